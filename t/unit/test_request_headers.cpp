/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * Which of a request's headers a watched set takes (request_headers.hpp):
 * a watched name sent in any mix of case is taken, and a name that differs
 * from every watched one in a single byte is not, wherever that byte is
 * (names are compared a word at a time, the last word first, shorter ones
 * byte by byte), at every length from 1 to 40 bytes.  The first
 * occurrence's value is kept and repeats are counted.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
extern "C" {        // cmocka's header does not say so itself
#include <cmocka.h>
}

#include "request_headers.hpp"

#include <string>

namespace {

using webhook::RequestHeaders;
using webhook::WatchedHeaders;

// a lowercase name of n bytes: letters, digits and dashes
std::string name_of(std::size_t n)
{
    static const char kChars[] = "abcdefghijklmnopqrstuvwxyz-0123456789";
    std::string name;
    for (std::size_t i = 0; i < n; i++) {
        name += kChars[(i * 7 + n) % (sizeof(kChars) - 1)];
    }
    name[0] = 'x';
    return name;
}

std::string capitalised(std::string name, std::size_t every)
{
    for (std::size_t i = 0; i < name.size(); i += every) {
        if (name[i] >= 'a' && name[i] <= 'z') {
            name[i] = static_cast<char>(name[i] - 'a' + 'A');
        }
    }
    return name;
}

void test_a_watched_name_in_any_case(void **)
{
    for (std::size_t n = 1; n <= 40; n++) {
        std::string watched = name_of(n);
        for (std::size_t every = 1; every <= 3; every++) {
            WatchedHeaders set;
            assert_true(set.watch(watched));
            RequestHeaders headers(set);
            headers.offer(capitalised(watched, every), "first");
            headers.offer(watched, "second");
            assert_int_equal(headers.get(watched).count, 2);
            assert_true(headers.get(watched).value == "first");
        }
    }
}

void test_one_byte_off_anywhere(void **)
{
    for (std::size_t n = 1; n <= 40; n++) {
        std::string watched = name_of(n);
        WatchedHeaders set;
        assert_true(set.watch(watched));
        for (std::size_t i = 0; i < n; i++) {
            std::string other = watched;
            other[i] = other[i] == 'q' ? 'r' : 'q';
            RequestHeaders headers(set);
            headers.offer(other, "forged");
            headers.offer(capitalised(other, 1), "forged");
            assert_false(headers.get(watched).present());
        }
        // longer or shorter by a byte
        RequestHeaders headers(set);
        headers.offer(watched + "a", "longer");
        headers.offer(watched.substr(0, n - 1), "shorter");
        assert_false(headers.get(watched).present());
    }
}

void test_names_sharing_their_start(void **)
{
    WatchedHeaders set;
    assert_true(set.watch("webhook-signature"));
    assert_true(set.watch("webhook-timestamp"));
    assert_true(set.watch("webhook-id"));
    RequestHeaders headers(set);
    headers.offer("Webhook-Timestamp", "1700000000");
    headers.offer("webhook-signature", "v1,abc");
    headers.offer("webhook-signaturE", "v1,def");
    headers.offer("webhook-ie", "msg_1");
    assert_true(headers.get("webhook-timestamp").value == "1700000000");
    assert_int_equal(headers.get("webhook-timestamp").count, 1);
    assert_true(headers.get("webhook-signature").value == "v1,abc");
    assert_int_equal(headers.get("webhook-signature").count, 2);
    assert_false(headers.get("webhook-id").present());
}

}  // namespace

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_a_watched_name_in_any_case),
        cmocka_unit_test(test_one_byte_off_anywhere),
        cmocka_unit_test(test_names_sharing_their_start),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
