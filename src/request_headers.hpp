// SPDX-License-Identifier: BSD-2-Clause
//
// The few request headers a scheme reads, gathered from all of them: the
// names are the scheme's, made once (WatchedHeaders); a request keeps only
// their values (RequestHeaders).

#ifndef WEBHOOK_SIGNATURE_REQUEST_HEADERS_HPP
#define WEBHOOK_SIGNATURE_REQUEST_HEADERS_HPP

#include <cstddef>
#include <cstdint>
#include <string_view>

namespace webhook {

// A fixed set of lowercase header names.
class WatchedHeaders {
public:
    static constexpr std::size_t kMax = 8;

    // Returns false when the set is full (a programming error in the scheme
    // table, caught by the unit tests).
    bool watch(std::string_view lowercase_name);

    // Where a watched name is; kMax if it is not watched.  Inline: a
    // scheme asks for each header it reads, with the very string it
    // watched, found by its address first; any other string by its bytes.
    std::size_t index_of(std::string_view lowercase_name) const
    {
        for (std::size_t i = 0; i < size_; i++) {
            if (names_[i].data() == lowercase_name.data()
                && names_[i].size() == lowercase_name.size())
            {
                return i;
            }
        }
        for (std::size_t i = 0; i < size_; i++) {
            if (names_[i] == lowercase_name) {
                return i;
            }
        }
        return kMax;
    }

    // Where a request's header is, its name in any case; kMax if it is
    // not watched.
    std::size_t find(std::string_view any_case_name) const;

    // bit n set if a watched name is n bytes long (bit 63: 63 or more), so
    // that most of a request's headers are passed over on their length
    std::uint64_t lengths() const { return lengths_; }

    static std::uint64_t length_bit(std::size_t n)
    {
        return std::uint64_t(1) << (n < 63 ? n : 63);
    }

    // bit (c | 0x20) & 63 set for the first byte c of a watched name:
    // a name's first byte in either case sets the same bit, and a request's
    // headers of a watched length mostly begin otherwise (content-length
    // is as long as novu-signature)
    std::uint64_t initials() const { return initials_; }

    static std::uint64_t initial_bit(char c)
    {
        return std::uint64_t(1) << ((static_cast<unsigned char>(c) | 0x20)
                                    & 63);
    }

private:
    std::string_view names_[kMax];
    // each name's first eight bytes as a word (0 for a shorter name)
    std::uint64_t    first_words_[kMax] = {};
    std::size_t      size_ = 0;
    std::uint64_t    lengths_ = 0;
    std::uint64_t    initials_ = 0;
};

// A watched header as one request sent it.
struct HeaderField {
    std::string_view value;      // the first occurrence
    unsigned         count = 0;  // how many times the request sent it

    bool present() const { return count > 0; }
    bool repeated() const { return count > 1; }
};

// One request's values of a watched set (which must outlive it), matched
// case-insensitively, as HTTP does.
class RequestHeaders {
public:
    explicit RequestHeaders(const WatchedHeaders &watched)
        : watched_(&watched) {}

    // Any case; nginx's lowercased copy of the name (lowcase_key) is the
    // quickest to compare.
    void offer(std::string_view name, std::string_view value);

    // An absent field (count 0) for names nobody watched or that never came.
    HeaderField get(std::string_view lowercase_name) const
    {
        std::size_t i = watched_->index_of(lowercase_name);

        if (i == WatchedHeaders::kMax || counts_[i] == 0) {
            return {};
        }
        return { { values_[i].data, values_[i].size }, counts_[i] };
    }

private:
    // a value is set when its count first becomes 1: only counts start
    // zeroed, for every request
    struct Value {
        const char  *data;
        std::size_t  size;
    };

    const WatchedHeaders *watched_;
    Value                 values_[WatchedHeaders::kMax];
    unsigned              counts_[WatchedHeaders::kMax] = {};
};

}  // namespace webhook

#endif
