// SPDX-License-Identifier: BSD-2-Clause
//
// The few request headers a scheme reads, gathered from all of them.

#ifndef WEBHOOK_SIGNATURE_REQUEST_HEADERS_HPP
#define WEBHOOK_SIGNATURE_REQUEST_HEADERS_HPP

#include <array>
#include <cstddef>
#include <cstdint>
#include <string_view>

namespace webhook {

struct HeaderField {
    std::string_view name;       // lowercase, as the scheme names it
    std::string_view value;      // the first occurrence
    unsigned         count = 0;  // how many times the request sent it

    bool present() const { return count > 0; }
    bool repeated() const { return count > 1; }
};

// Watches a fixed set of header names (case-insensitively, as HTTP does) and
// remembers each one's first value and how often it came.
class RequestHeaders {
public:
    static constexpr std::size_t kMaxWatched = 8;

    // Returns false when the set is full (a programming error in the scheme
    // table, caught by the unit tests).
    bool watch(std::string_view lowercase_name);
    // Any case; nginx's lowercased copy of the name (lowcase_key) is the
    // quickest to compare.
    void offer(std::string_view name, std::string_view value);

    // An absent field (count 0) for names nobody watched or that never came.
    const HeaderField &get(std::string_view lowercase_name) const;

    // bit n set if a watched name is n bytes long (bit 63: 63 or more), so
    // that most of a request's headers are passed over on their length
    std::uint64_t lengths() const { return lengths_; }

private:
    static std::uint64_t length_bit(std::size_t n)
    {
        return std::uint64_t(1) << (n < 63 ? n : 63);
    }

    std::array<HeaderField, kMaxWatched> fields_;
    std::size_t                          size_ = 0;
    std::uint64_t                        lengths_ = 0;
};

}  // namespace webhook

#endif
