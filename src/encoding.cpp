// SPDX-License-Identifier: BSD-2-Clause

#include "encoding.hpp"

#include "swar.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>

namespace webhook {

namespace {

// Digit values, -1 for anything else.  Tables rather than range tests: a
// signature's digits mix letters and numbers at random, and each
// mispredicted branch costs more than the lookup.
struct DigitTables {
    signed char hex_any[256];
    signed char hex_lower[256];
    signed char base64[256];

    constexpr DigitTables() : hex_any(), hex_lower(), base64()
    {
        for (int c = 0; c < 256; c++) {
            hex_lower[c] = c >= '0' && c <= '9' ? c - '0'
                         : c >= 'a' && c <= 'f' ? c - 'a' + 10
                         : -1;
            hex_any[c] = hex_lower[c] >= 0 ? hex_lower[c]
                       : c >= 'A' && c <= 'F' ? c - 'A' + 10
                       : -1;
            base64[c] = c >= 'A' && c <= 'Z' ? c - 'A'
                      : c >= 'a' && c <= 'z' ? c - 'a' + 26
                      : c >= '0' && c <= '9' ? c - '0' + 52
                      : c == '+' ? 62
                      : c == '/' ? 63
                      : -1;
        }
    }
};

constexpr DigitTables kDigits;

int digit(const signed char (&table)[256], char c)
{
    return table[static_cast<unsigned char>(c)];
}

// A base64 digit's value, or all ones for any other byte: the digits of
// a quantum, or of two, shifted into place and ORed then show an invalid
// one in the bits above theirs, tested once per quantum instead of per
// digit.
std::uint64_t base64_value(char c)
{
    return static_cast<std::uint64_t>(static_cast<std::int64_t>(
        kDigits.base64[static_cast<unsigned char>(c)]));
}

// RFC 4648 base64 with padding; the bits a last quantum leaves unused must
// be zero, so that no second text decodes to the same bytes.  Straight
// into out, which holds capacity bytes; no branch per digit.  Two quanta
// at a time while an 8-byte store fits: eight digits are 48 bits, stored
// most significant first with the two zero bytes after them, which the
// next bytes written overwrite or which lie past the size.
bool decode_base64_to(std::string_view text, unsigned char *out,
                      std::size_t capacity, std::size_t &size)
{
    if (text.empty() || text.size() % 4 != 0) {
        return false;
    }
    std::size_t padding = 0;
    if (text.back() == '=') {
        padding = text[text.size() - 2] == '=' ? 2 : 1;
    }
    std::size_t n = text.size() / 4 * 3 - padding;
    if (n > capacity) {
        return false;
    }

    const char *p = text.data();
    std::size_t whole = text.size() / 4 - (padding != 0);
    // pair k is stored at 6k and its store ends at 6k + 8
    std::size_t pairs = std::min(whole / 2,
                                 capacity >= 8 ? (capacity - 8) / 6 + 1 : 0);
    std::size_t q = 2 * pairs;
    std::uint64_t invalid = 0;

    for (std::size_t k = 0; k < pairs; k++, p += 8, out += 6) {
        std::uint64_t v = 0;
#pragma GCC unroll 8
        for (std::size_t i = 0; i < 8; i++) {
            v = v << 6 | base64_value(p[i]);
        }
        invalid |= v >> 48;
        swar::store_be(out, v << 16);
    }
    for (; q < whole; q++, p += 4, out += 3) {
        std::uint64_t v = base64_value(p[0]) << 18 | base64_value(p[1]) << 12
                          | base64_value(p[2]) << 6 | base64_value(p[3]);
        invalid |= v >> 24;
        out[0] = static_cast<unsigned char>(v >> 16);
        out[1] = static_cast<unsigned char>(v >> 8);
        out[2] = static_cast<unsigned char>(v);
    }
    bool unused_zero = true;
    if (padding != 0) {
        std::uint64_t v = base64_value(p[0]) << 18 | base64_value(p[1]) << 12
                          | (padding == 1 ? base64_value(p[2]) << 6 : 0);
        invalid |= v >> 24;
        out[0] = static_cast<unsigned char>(v >> 16);
        if (padding == 1) {
            out[1] = static_cast<unsigned char>(v >> 8);
            unused_zero = (v & 0xff) == 0;
        } else {
            unused_zero = (v & 0xffff) == 0;
        }
    }
    size = n;
    return invalid == 0 && unused_zero;
}

// Node's base64 decoder: both alphabets, any other byte skipped, the
// first '=' ends the text, bits left over at the end dropped.
template <typename Out>
bool decode_base64_lenient_into(std::string_view text, Out &&put)
{
    unsigned value = 0;
    unsigned bits = 0;

    for (char c : text) {
        int d = c == '-' ? 62 : c == '_' ? 63 : digit(kDigits.base64, c);
        if (c == '=') {
            break;
        }
        if (d < 0) {
            continue;
        }
        value = (value << 6 | static_cast<unsigned>(d)) & 0xffffff;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            put(static_cast<unsigned char>(value >> bits));
        }
    }
    return true;
}

struct BytesWriter {
    Bytes &out;
    bool   overflow = false;

    void operator()(unsigned char byte)
    {
        if (out.size == out.data.size()) {
            overflow = true;
            return;
        }
        out.data[out.size++] = byte;
    }
};

}  // namespace

// Hex straight into out, which holds capacity bytes, sixteen digits at a
// time (swar::hex16), the rest by table; no branch per digit: an invalid
// digit (-1) makes the OR of all of them negative.
template <bool AnyCase>
bool decode_hex_to(std::string_view text, unsigned char *out,
                   std::size_t capacity, std::size_t &size)
{
    if (text.size() % 2 != 0 || text.size() / 2 > capacity) {
        return false;
    }
    const signed char (&table)[256] = AnyCase ? kDigits.hex_any
                                              : kDigits.hex_lower;
    const char *p = text.data();
    std::size_t n = text.size() / 2;
    std::size_t i = 0;
    swar::s8x16 valid = ~swar::s8x16{};

    for (; i + 8 <= n; i += 8, p += 16) {
        valid &= swar::hex16<AnyCase>(p, &out[i]);
    }
    int invalid = 0;
    for (; i < n; i++, p += 2) {
        int high = digit(table, p[0]);
        int low = digit(table, p[1]);
        invalid |= high | low;
        // an invalid digit's -1 is shifted as unsigned: defined, and unused
        out[i] = static_cast<unsigned char>(static_cast<unsigned>(high) << 4
                                            | static_cast<unsigned>(low));
    }
    size = n;
    return swar::all_set(valid) && invalid >= 0;
}

bool decode(Encoding encoding, std::string_view text, Bytes &out)
{
    out.size = 0;
    BytesWriter writer{out};
    auto put = [&writer](unsigned char byte) { writer(byte); };
    bool ok = false;

    switch (encoding) {
    case Encoding::HexAnyCase:
        return decode_hex_to<true>(text, out.data.data(), out.data.size(),
                                   out.size);
    case Encoding::HexLower:
        return decode_hex_to<false>(text, out.data.data(), out.data.size(),
                                    out.size);
    case Encoding::Base64:
        return decode_base64_to(text, out.data.data(), out.data.size(),
                                out.size);
    case Encoding::Base64Lenient:
        ok = decode_base64_lenient_into(text, put);
        break;
    }
    return ok && !writer.overflow;
}

bool decode_base64(std::string_view text, std::string &out)
{
    // on failure out keeps its length, so that a caller wiping a
    // secret's decoding wipes whatever was written
    std::size_t size = 0;
    out.assign(text.size() / 4 * 3, '\0');
    if (out.empty()
        || !decode_base64_to(text, reinterpret_cast<unsigned char *>(&out[0]),
                             out.size(), size))
    {
        return false;
    }
    out.resize(size);
    return true;
}

bool decode_hex(std::string_view text, std::string &out)
{
    // as decode_base64(): on failure out keeps what was written
    std::size_t size = 0;
    out.assign(text.size() / 2, '\0');
    return decode_hex_to<true>(text,
                               reinterpret_cast<unsigned char *>(&out[0]),
                               out.size(), size);
}

std::string hex_lower(std::string_view bytes)
{
    static constexpr char kDigitChars[] = "0123456789abcdef";
    std::string hex;

    hex.reserve(bytes.size() * 2);
    for (unsigned char byte : bytes) {
        hex.push_back(kDigitChars[byte >> 4]);
        hex.push_back(kDigitChars[byte & 0xf]);
    }
    return hex;
}

bool is_header_text(std::string_view value)
{
    const char *p = value.data();
    const char *end = p + value.size();

    if (value.size() >= 16) {
        // sixteen at a time, the last sixteen overlapping the ones before
        swar::s8x16 text = swar::header_text16(end - 16);
        for (; end - p > 16; p += 16) {
            text &= swar::header_text16(p);
        }
        return swar::all_set(text);
    }
    for (; p < end; p++) {
        unsigned char c = static_cast<unsigned char>(*p);
        if ((c < 0x20 && c != '\t') || c >= 0x7f) {
            return false;
        }
    }
    return true;
}

}  // namespace webhook
