/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * The per-process (per-worker) cache of keys for secrets from variables (key_cache.hpp),
 * from C++: whether a secret was found or keyed anew shows as the very key
 * object returned.  Tenants' secrets that differ only in a few bytes, at
 * their end, their start or their middle, are spread over the sets: a
 * quarter of the cache's worth of them (1,024) all stay, and a second round
 * over them keys nothing.  (A hash that left those bytes out of the set's bits made most
 * of them evict each other: 0.25 keyings per request over 1,000 tenants in
 * bench/instructions.sh.)
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
extern "C" {        // cmocka's header does not say so itself
#include <cmocka.h>
}

#include "key_cache.hpp"

#include <cstdio>
#include <memory>
#include <string>
#include <vector>

namespace {

using webhook::Algorithm;
using webhook::Key;
using webhook::KeyCache;
using webhook::KeyFormat;

constexpr std::size_t kTenants = KeyCache::kSets * KeyCache::kWays / 4;

std::shared_ptr<const Key> keyed(KeyCache &cache, std::string_view secret)
{
    const char *why = nullptr;
    std::shared_ptr<const Key> key = cache.get(Algorithm::HmacSha256,
                                               KeyFormat::Verbatim, secret,
                                               &why);
    assert_non_null(key.get());
    return key;
}

// Every tenant keyed once, then each found as the same key.
void all_stay(const char *label, std::string (*secret_of)(std::size_t))
{
    KeyCache cache;
    std::vector<const Key *> first;
    std::size_t keyed_again = 0;

    for (std::size_t i = 0; i < kTenants; i++) {
        first.push_back(keyed(cache, secret_of(i)).get());
    }
    for (std::size_t i = 0; i < kTenants; i++) {
        keyed_again += keyed(cache, secret_of(i)).get() != first[i];
    }
    if (keyed_again != 0) {
        std::fprintf(stderr, "%s: %zu of %zu tenants keyed again\n", label,
                     keyed_again, kTenants);
    }
    assert_int_equal(keyed_again, 0);
}

std::string number(std::size_t i)
{
    char digits[8];
    std::snprintf(digits, sizeof(digits), "%04zu", i);
    return digits;
}

void test_tenants_differing_at_the_end(void **)
{
    all_stay("suffix", [](std::size_t i) {
        return "whsec_bench_0123456789abcdef0123456789abcdef_t" + number(i);
    });
}

void test_tenants_differing_at_the_start(void **)
{
    all_stay("prefix", [](std::size_t i) {
        return number(i) + "_0123456789abcdef0123456789abcdef0123456789";
    });
}

void test_tenants_differing_in_the_middle(void **)
{
    all_stay("middle", [](std::size_t i) {
        return "tenant-secret-0123456789-" + number(i) + "-abcdef0123456789";
    });
}

void test_short_secrets(void **)
{
    all_stay("short", [](std::size_t i) { return "s" + number(i); });
}

// The address only hints: the bytes there decide.  One buffer holds one
// tenant's secret, then another's, then the first's again (a secret a
// request computes lands where the last one was).
void test_same_address_other_secret(void **)
{
    KeyCache cache;
    std::string a = "whsec_tenant_secret_number_one_0123456789abcdef";
    std::string b = "whsec_tenant_secret_number_two_0123456789abcdef";
    std::string where(a);

    const Key *key_a = keyed(cache, where).get();
    where.replace(0, b.size(), b);
    const Key *key_b = keyed(cache, where).get();
    assert_ptr_not_equal(key_a, key_b);
    assert_ptr_equal(keyed(cache, b).get(), key_b);   // elsewhere: the same
    where.replace(0, a.size(), a);
    assert_ptr_equal(keyed(cache, where).get(), key_a);
    // the same bytes, one shorter, are another secret
    std::string_view shorter = std::string_view(where).substr(0, a.size() - 1);
    assert_ptr_not_equal(keyed(cache, shorter).get(), key_a);
}

}  // namespace

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tenants_differing_at_the_end),
        cmocka_unit_test(test_tenants_differing_at_the_start),
        cmocka_unit_test(test_tenants_differing_in_the_middle),
        cmocka_unit_test(test_short_secrets),
        cmocka_unit_test(test_same_address_other_secret),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
