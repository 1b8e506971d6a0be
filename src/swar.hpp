// SPDX-License-Identifier: BSD-2-Clause
//
// ASCII text eight or sixteen bytes at a time, in a 64-bit word ("SIMD
// within a register") or a vector: classifying header text byte by byte
// costs a compare and a branch per byte; in a word, a handful of
// operations for eight.  No intrinsics: little- and big-endian alike.

#ifndef WEBHOOK_SIGNATURE_SWAR_HPP
#define WEBHOOK_SIGNATURE_SWAR_HPP

#include <cstdint>
#include <cstring>

namespace webhook {
namespace swar {

constexpr std::uint64_t kOnes = 0x0101010101010101u;
constexpr std::uint64_t kHighs = 0x8080808080808080u;

// Eight bytes as a word, the first byte in the low bits.
inline std::uint64_t load_le(const void *p)
{
    std::uint64_t w;
    std::memcpy(&w, p, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    return w;
}

// 0x80 in every byte of w that lies in [lo, hi], 0 in the others, for
// bytes below 0x80 (lo >= 1, hi <= 0x7f): no sum carries into the next
// byte.  A byte at or above 0x80 may show either way: callers reject those
// with kHighs first.
inline std::uint64_t in_range(std::uint64_t w, unsigned char lo,
                              unsigned char hi)
{
    std::uint64_t at_least_lo = w + (0x80 - lo) * kOnes;
    std::uint64_t above_hi = w + (0x7f - hi) * kOnes;
    return at_least_lo & ~above_hi & kHighs;
}

// Whether all eight bytes are ASCII digits.
inline bool all_digits(std::uint64_t w)
{
    return (w & kHighs) == 0 && in_range(w, '0', '9') == kHighs;
}

// Whether sixteen bytes are all header text: printable ASCII or a tab.
inline bool header_text16(const char *text)
{
    typedef unsigned char u8x16 __attribute__((vector_size(16)));

    u8x16 w;
    std::memcpy(&w, text, 16);
    auto bad = ((w < 0x20) & (w != '\t')) | (w >= 0x7f);
    std::uint64_t halves[2];
    std::memcpy(halves, &bad, 16);
    return (halves[0] | halves[1]) == 0;
}

// The value of eight ASCII digits (all_digits; the first the most
// significant): pairs, then quads, then the eight, by multiplication
// (Lemire's method) instead of eight multiply-adds in a row.
inline std::uint64_t decimal8(std::uint64_t w)
{
    constexpr std::uint64_t kLowBytes = 0x000000ff000000ffu;
    constexpr std::uint64_t kTimes100And1000000 = 100 + (1000000ull << 32);
    constexpr std::uint64_t kTimes1And10000 = 1 + (10000ull << 32);

    w -= '0' * kOnes;
    w = w * 10 + (w >> 8);
    return ((w & kLowBytes) * kTimes100And1000000
            + (w >> 16 & kLowBytes) * kTimes1And10000) >> 32;
}

// Sixteen hex digits into the eight bytes they spell; false if any is not
// a digit (of either case with AnyCase, else digits and a-f).  GCC's and
// Clang's vector extensions: SSE2 on x86-64, NEON on arm64, plain words
// elsewhere; about 45 instructions where a table takes 110.
template <bool AnyCase>
inline bool hex16(const char *text, unsigned char *out)
{
    typedef unsigned char u8x16 __attribute__((vector_size(16)));
    typedef std::uint16_t u16x8 __attribute__((vector_size(16)));
    typedef unsigned char u8x8 __attribute__((vector_size(8)));

    u8x16 w;
    std::memcpy(&w, text, 16);
    u8x16 folded = AnyCase ? (w | 0x20) : w;
    auto digit = (w >= '0') & (w <= '9');
    auto letter = (folded >= 'a') & (folded <= 'f');
    auto valid = digit | letter;

    // '0'-'9' are 0x30-0x39, 'A'-'F' 0x41-0x46, 'a'-'f' 0x61-0x66: the low
    // nibble, plus 9 for a letter; then each pair of digits into a byte
    u8x16 nibbles = (w & 0x0f) + (reinterpret_cast<u8x16>(letter) & 9);
    u16x8 pairs = reinterpret_cast<u16x8>(nibbles);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    u16x8 bytes = (pairs >> 8 << 4) | (pairs & 0xff);
#else
    u16x8 bytes = ((pairs & 0xff) << 4) | (pairs >> 8);
#endif
    u8x8 packed = __builtin_convertvector(bytes, u8x8);
    std::memcpy(out, &packed, 8);

    std::uint64_t halves[2];
    std::memcpy(halves, &valid, 16);
    return (halves[0] & halves[1]) == ~std::uint64_t(0);
}

}  // namespace swar
}  // namespace webhook

#endif
