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

// A word as eight bytes, its most significant first.
inline void store_be(void *p, std::uint64_t w)
{
#if !defined(__BYTE_ORDER__) || __BYTE_ORDER__ != __ORDER_BIG_ENDIAN__
    w = __builtin_bswap64(w);
#endif
    std::memcpy(p, &w, 8);
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

// Whether any of the eight bytes of w is c (the classic zero-byte test of
// w XOR c in every byte: exact, for any bytes).
inline bool has_byte(std::uint64_t w, unsigned char c)
{
    std::uint64_t x = w ^ (c * kOnes);
    return ((x - kOnes) & ~x & kHighs) != 0;
}

// Whether all eight bytes are ASCII digits.
inline bool all_digits(std::uint64_t w)
{
    return (w & kHighs) == 0 && in_range(w, '0', '9') == kHighs;
}

// Sixteen bytes, compared as signed chars: SSE2 and NEON compare signed
// bytes in one instruction each (unsigned ones take three), and every byte
// at or above 0x80 is then negative, outside any ASCII range at once.
typedef signed char s8x16 __attribute__((vector_size(16)));

inline s8x16 load16(const char *text)
{
    s8x16 w;
    std::memcpy(&w, text, 16);
    return w;
}

// Whether every lane of a comparison's result is true (all ones): the
// lanes of a whole string ANDed together, tested once.
inline bool all_set(s8x16 lanes)
{
    std::uint64_t halves[2];
    std::memcpy(halves, &lanes, 16);
    return (halves[0] & halves[1]) == ~std::uint64_t(0);
}

// Which of sixteen bytes are header text: printable ASCII or a tab.
inline s8x16 header_text16(const char *text)
{
    s8x16 w = load16(text);
    return ((w > 0x1f) & (w < 0x7f)) | (w == '\t');
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

// Sixteen hex digits into the eight bytes they spell; the lanes that are
// digits (of either case with AnyCase, else digits and a-f).  GCC's and
// Clang's vector extensions: SSE2 on x86-64, NEON on arm64, plain words
// elsewhere; about 30 instructions where a table takes 110.
template <bool AnyCase>
inline s8x16 hex16(const char *text, unsigned char *out)
{
    typedef unsigned char u8x16 __attribute__((vector_size(16)));
    typedef std::uint16_t u16x8 __attribute__((vector_size(16)));
    typedef unsigned char u8x8 __attribute__((vector_size(8)));

    s8x16 w = load16(text);
    s8x16 folded = AnyCase ? (w | 0x20) : w;
    s8x16 digit = (w >= '0') & (w <= '9');
    s8x16 letter = (folded >= 'a') & (folded <= 'f');

    // '0'-'9' are 0x30-0x39, 'A'-'F' 0x41-0x46, 'a'-'f' 0x61-0x66: the low
    // nibble, plus 9 for a letter; then each pair of digits into a byte
    u8x16 nibbles = reinterpret_cast<u8x16>((w & 0x0f) + (letter & 9));
    u16x8 pairs = reinterpret_cast<u16x8>(nibbles);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
    u16x8 bytes = (pairs >> 8 << 4) | (pairs & 0xff);
#else
    u16x8 bytes = ((pairs & 0xff) << 4) | (pairs >> 8);
#endif
    u8x8 packed = __builtin_convertvector(bytes, u8x8);
    std::memcpy(out, &packed, 8);

    return digit | letter;
}

}  // namespace swar
}  // namespace webhook

#endif
