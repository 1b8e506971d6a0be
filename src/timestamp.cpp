/* SPDX-License-Identifier: BSD-2-Clause */

#include "timestamp.hpp"

#include "swar.hpp"

namespace webhook {

namespace {

constexpr std::size_t kMillisecondDigits = 13;

// Values beyond any plausible clock saturate here: they are stale whatever
// the tolerance, and differences with the clock cannot overflow.
constexpr std::int64_t kSaturated = INT64_C(1) << 60;

// The value of eight digits or fewer, ending at end (at least eight bytes
// readable before it): the bytes before the n digits read as '0'.
std::uint64_t tail_word(const char *end, std::size_t n)
{
    std::uint64_t w = swar::load_le(end - 8);
    std::size_t before = 8 - n;     // the lowest bytes, in reading order
    std::uint64_t mask = before == 8 ? ~std::uint64_t(0)
                                     : (std::uint64_t(1) << (8 * before)) - 1;
    return (w & ~mask) | ('0' * swar::kOnes & mask);
}

constexpr std::uint64_t kPowersOfTen[] = {
    1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000,
};

// Plain decimal digits (is_plain_decimal) and their value, saturated: a
// timestamp's ten or thirteen digits in two words, any other length digit
// by digit.  Leading zeros do not count towards the 19 digits a uint64
// holds whole.
bool read_decimal(std::string_view digits, std::int64_t &out)
{
    constexpr std::size_t kExactDigits = 19;    // 10^19 - 1 < 2^64
    std::size_t n = digits.size();
    const char *p = digits.data();
    std::uint64_t value = 0;

    if (n >= 8 && n <= 16) {
        std::uint64_t head = swar::load_le(p);
        std::uint64_t tail = tail_word(p + n, n - 8);
        if (!swar::all_digits(head) || !swar::all_digits(tail)) {
            return false;
        }
        value = swar::decimal8(head) * kPowersOfTen[n - 8]
                + swar::decimal8(tail);
    } else {
        if (!is_plain_decimal(digits)) {
            return false;
        }
        std::size_t first = 0;
        while (first < n && p[first] == '0') {
            first++;
        }
        if (n - first > kExactDigits) {
            out = kSaturated;
            return true;
        }
        for (std::size_t i = first; i < n; i++) {
            value = value * 10 + static_cast<unsigned>(p[i] - '0');
        }
    }
    out = value < static_cast<std::uint64_t>(kSaturated)
          ? static_cast<std::int64_t>(value) : kSaturated;
    return true;
}

std::int64_t distance(std::int64_t a, std::int64_t b)
{
    return a > b ? a - b : b - a;
}

bool digits_at(std::string_view text, std::size_t at, std::size_t n,
               int &value)
{
    if (at + n > text.size()) {
        return false;
    }
    value = 0;
    for (std::size_t i = at; i < at + n; i++) {
        if (text[i] < '0' || text[i] > '9') {
            return false;
        }
        value = value * 10 + (text[i] - '0');
    }
    return true;
}

// Days from 1970-01-01 to a proleptic Gregorian date (Howard Hinnant's
// days_from_civil).
std::int64_t days_from_civil(std::int64_t y, unsigned m, unsigned d)
{
    y -= m <= 2;
    std::int64_t era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = static_cast<unsigned>(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + static_cast<std::int64_t>(doe) - 719468;
}

bool is_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int days_in_month(int y, int m)
{
    static constexpr int kDays[] = { 31, 28, 31, 30, 31, 30,
                                     31, 31, 30, 31, 30, 31 };
    return m == 2 && is_leap(y) ? 29 : kDays[m - 1];
}

// RFC 3339 section 5.6 date-time: full-date "T" full-time, "T" and "Z" of
// either case, an optional fraction of any length (kept to the
// millisecond), "Z" or an offset.  false if it is not one.
__attribute__((noinline))       // its frame kept off the unix path's
bool rfc3339_ms(std::string_view text, std::int64_t &ms)
{
    int year, month, day, hour, minute, second;

    if (!digits_at(text, 0, 4, year) || text.size() < 20 || text[4] != '-'
        || !digits_at(text, 5, 2, month) || text[7] != '-'
        || !digits_at(text, 8, 2, day)
        || (text[10] != 'T' && text[10] != 't')
        || !digits_at(text, 11, 2, hour) || text[13] != ':'
        || !digits_at(text, 14, 2, minute) || text[16] != ':'
        || !digits_at(text, 17, 2, second))
    {
        return false;
    }
    if (month < 1 || month > 12 || day < 1
        || day > days_in_month(year, month)
        || hour > 23 || minute > 59 || second > 60)
    {
        return false;
    }

    std::size_t at = 19;
    int millis = 0;

    if (text[at] == '.') {
        std::size_t digits = 0;
        for (at++; at < text.size() && text[at] >= '0' && text[at] <= '9';
             at++, digits++)
        {
            if (digits < 3) {
                millis = millis * 10 + (text[at] - '0');
            }
        }
        if (digits == 0) {
            return false;
        }
        for (; digits < 3; digits++) {
            millis *= 10;
        }
    }

    int offset_minutes = 0;
    std::string_view zone = text.substr(at);

    if (zone == "Z" || zone == "z") {
        // UTC
    } else {
        int oh, om;
        if (zone.size() != 6 || (zone[0] != '+' && zone[0] != '-')
            || !digits_at(zone, 1, 2, oh) || zone[3] != ':'
            || !digits_at(zone, 4, 2, om) || oh > 23 || om > 59)
        {
            return false;
        }
        offset_minutes = (zone[0] == '-' ? -1 : 1) * (oh * 60 + om);
    }

    std::int64_t seconds = days_from_civil(year, month, day) * 86400
                           + hour * 3600 + minute * 60 + second
                           - offset_minutes * 60;
    ms = seconds * 1000 + millis;
    return true;
}

}  // namespace

bool is_plain_decimal(std::string_view text)
{
    const char *p = text.data();
    const char *end = p + text.size();

    // a timestamp's ten or thirteen digits: one or two words and the rest
    for (; end - p >= 8; p += 8) {
        if (!swar::all_digits(swar::load_le(p))) {
            return false;
        }
    }
    for (; p < end; p++) {
        if (static_cast<unsigned char>(*p - '0') > 9) {
            return false;
        }
    }
    return !text.empty();
}

bool read_timestamp(TimeFormat format, std::string_view text, Timestamp &out)
{
    switch (format) {
    case TimeFormat::None:
        return false;
    case TimeFormat::Rfc3339:
        out.seconds = false;
        return rfc3339_ms(text, out.value);
    case TimeFormat::UnixSeconds:
    case TimeFormat::UnixMilliseconds:
    case TimeFormat::UnixAuto:
        break;
    }
    out.seconds = format == TimeFormat::UnixSeconds
                  || (format == TimeFormat::UnixAuto
                      && text.size() < kMillisecondDigits);
    return read_decimal(text, out.value);
}

bool is_stale(const Timestamp &timestamp, std::int64_t now_ms,
              std::int64_t tolerance_ms)
{
    if (tolerance_ms < 0) {
        return false;
    }
    if (timestamp.value == kSaturated) {
        return true;
    }
    if (!timestamp.seconds) {
        return distance(now_ms, timestamp.value) > tolerance_ms;
    }
    // d * 1000 > tolerance, without the product (d may be near 2^60)
    return distance(now_ms / 1000, timestamp.value) > tolerance_ms / 1000;
}

bool is_timestamp(TimeFormat format, std::string_view text)
{
    Timestamp timestamp;
    return read_timestamp(format, text, timestamp);
}

bool is_stale(TimeFormat format, std::string_view text, std::int64_t now_ms,
              std::int64_t tolerance_ms)
{
    Timestamp timestamp;

    if (tolerance_ms < 0 || format == TimeFormat::None) {
        return false;
    }
    return !read_timestamp(format, text, timestamp)
           || is_stale(timestamp, now_ms, tolerance_ms);
}

}  // namespace webhook
