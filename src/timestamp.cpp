/* SPDX-License-Identifier: BSD-2-Clause */

#include "timestamp.hpp"

namespace webhook {

namespace {

constexpr std::size_t kMillisecondDigits = 13;

// Values beyond any plausible clock saturate here: they are stale whatever
// the tolerance, and differences with the clock cannot overflow.
constexpr std::int64_t kSaturated = INT64_C(1) << 60;

std::int64_t decimal_value(std::string_view digits)
{
    std::int64_t value = 0;

    for (char c : digits) {
        std::int64_t digit = c - '0';

        if (value > (kSaturated - digit) / 10) {
            return kSaturated;
        }
        value = value * 10 + digit;
    }
    return value;
}

std::int64_t distance(std::int64_t a, std::int64_t b)
{
    return a > b ? a - b : b - a;
}

}  // namespace

bool is_plain_decimal(std::string_view text)
{
    if (text.empty()) {
        return false;
    }
    for (char c : text) {
        if (c < '0' || c > '9') {
            return false;
        }
    }
    return true;
}

bool is_stale(std::string_view timestamp, std::int64_t now_ms,
              std::int64_t tolerance_ms)
{
    if (tolerance_ms < 0) {
        return false;
    }

    std::int64_t value = decimal_value(timestamp);

    if (value == kSaturated) {
        return true;
    }

    if (timestamp.size() >= kMillisecondDigits) {
        return distance(now_ms, value) > tolerance_ms;
    }

    std::int64_t now_s = now_ms / 1000;

    return distance(now_s, value) * 1000 > tolerance_ms;
}

}  // namespace webhook
