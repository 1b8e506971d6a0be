/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * The constant-time comparison of MACs and digests (hmac.hpp's
 * bytes_equal), which compares eight bytes at a time and the rest one by
 * one: at every size a MAC or signature has (HMAC-SHA1's 20, SHA-256's 32,
 * SHA-512's 64, a DER signature's up to 72, the capacity of 80), a
 * difference in any one bit of any byte is found, equal bytes are equal,
 * and sizes that differ are never equal, whatever the bytes.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
extern "C" {        // cmocka's header does not say so itself
#include <cmocka.h>
}

#include "hmac.hpp"

#include <cstddef>

namespace {

using webhook::Bytes;
using webhook::bytes_equal;

constexpr std::size_t kSizes[] = { 1, 7, 8, 9, 20, 32, 64, 72,
                                   Bytes::kCapacity };

Bytes pattern(std::size_t size)
{
    Bytes bytes;
    for (std::size_t i = 0; i < Bytes::kCapacity; i++) {
        bytes.data[i] = static_cast<unsigned char>(i * 37 + 11);
    }
    bytes.size = size;
    return bytes;
}

void test_equal_bytes_are_equal(void **)
{
    for (std::size_t size : kSizes) {
        Bytes a = pattern(size);
        Bytes b = pattern(size);
        assert_true(bytes_equal(a, b));
        assert_true(bytes_equal(a, a));
    }
}

void test_every_bit_of_every_byte_counts(void **)
{
    for (std::size_t size : kSizes) {
        Bytes a = pattern(size);
        for (std::size_t i = 0; i < size; i++) {
            for (unsigned bit = 0; bit < 8; bit++) {
                Bytes b = pattern(size);
                b.data[i] ^= static_cast<unsigned char>(1u << bit);
                assert_false(bytes_equal(a, b));
                assert_false(bytes_equal(b, a));
            }
        }
    }
}

void test_bytes_past_the_size_are_not_compared(void **)
{
    for (std::size_t size : kSizes) {
        if (size == Bytes::kCapacity) {
            continue;
        }
        Bytes a = pattern(size);
        Bytes b = pattern(size);
        b.data[size] ^= 0xff;
        b.data[Bytes::kCapacity - 1] ^= 0xff;
        assert_true(bytes_equal(a, b));
    }
}

void test_sizes_that_differ_are_not_equal(void **)
{
    Bytes a = pattern(32);
    Bytes b = pattern(32);
    b.size = 20;
    assert_false(bytes_equal(a, b));
    a.size = 0;
    b.size = 0;
    assert_true(bytes_equal(a, b));
}

}  // namespace

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_equal_bytes_are_equal),
        cmocka_unit_test(test_every_bit_of_every_byte_counts),
        cmocka_unit_test(test_bytes_past_the_size_are_not_compared),
        cmocka_unit_test(test_sizes_that_differ_are_not_equal),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
