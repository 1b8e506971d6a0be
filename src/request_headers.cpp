/* SPDX-License-Identifier: BSD-2-Clause */

#include "request_headers.hpp"

#include "swar.hpp"

namespace webhook {

namespace {

char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Whether eight bytes of a name are the watched name's, in any case: as
// they are (nginx's lowercased names always), else with their ASCII
// capitals made small ('A'-'Z' plus 0x20; a byte at or above 0x80 stays
// at or above it, so it never equals a watched name's ASCII).
bool same_word_ignoring_case(const char *any, const char *lowercase)
{
    std::uint64_t w = swar::load_le(any);
    std::uint64_t watched = swar::load_le(lowercase);

    return w == watched
           || (w | swar::in_range(w & ~swar::kHighs, 'A', 'Z') >> 2)
              == watched;
}

// Names of eight bytes or more compared a word at a time, the last word
// first (one scheme's names of one length share their start, as
// webhook-signature and webhook-timestamp do, not their end), then the
// others from the start, the last of them overlapping the last word;
// shorter names byte by byte.
bool equals_ignoring_case(std::string_view lowercase, std::string_view any)
{
    std::size_t n = any.size();

    if (lowercase.size() != n) {
        return false;
    }
    if (n < 8) {
        for (std::size_t i = 0; i < n; i++) {
            if (ascii_lower(any[i]) != lowercase[i]) {
                return false;
            }
        }
        return true;
    }
    if (!same_word_ignoring_case(any.data() + n - 8,
                                 lowercase.data() + n - 8))
    {
        return false;
    }
    for (std::size_t i = 0; i + 8 < n; i += 8) {
        if (!same_word_ignoring_case(any.data() + i, lowercase.data() + i)) {
            return false;
        }
    }
    return true;
}

}  // namespace

bool WatchedHeaders::watch(std::string_view lowercase_name)
{
    if (lowercase_name.empty() || index_of(lowercase_name) != kMax) {
        return true;
    }
    if (size_ == kMax) {
        return false;
    }
    names_[size_++] = lowercase_name;
    lengths_ |= length_bit(lowercase_name.size());
    initials_ |= initial_bit(lowercase_name[0]);
    return true;
}

void RequestHeaders::offer(std::string_view name, std::string_view value)
{
    if (!watched_->may_watch(name)) {
        return;
    }
    for (std::size_t i = 0; i < watched_->size(); i++) {
        if (equals_ignoring_case(watched_->name(i), name)) {
            if (counts_[i]++ == 0) {
                values_[i] = { value.data(), value.size() };
            }
            return;
        }
    }
}

}  // namespace webhook
