/* SPDX-License-Identifier: BSD-2-Clause */

#include "request_headers.hpp"

#include "swar.hpp"

namespace webhook {

namespace {

char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

// Eight bytes with their ASCII capitals made small ('A'-'Z' plus 0x20; a
// byte at or above 0x80 stays at or above it, so it never equals a
// watched name's ASCII).
std::uint64_t lowered(std::uint64_t w)
{
    return w | swar::in_range(w & ~swar::kHighs, 'A', 'Z') >> 2;
}

// Whether eight bytes of a name are the watched name's, in any case: as
// they are (nginx's lowercased names always), else lowered.
bool same_word_ignoring_case(const char *any, const char *lowercase)
{
    std::uint64_t w = swar::load_le(any);
    std::uint64_t watched = swar::load_le(lowercase);

    return w == watched || lowered(w) == watched;
}

// Whether a name shorter than eight bytes is the watched one, byte by
// byte.
bool short_equals_ignoring_case(std::string_view lowercase,
                                std::string_view any)
{
    if (lowercase.size() != any.size()) {
        return false;
    }
    for (std::size_t i = 0; i < any.size(); i++) {
        if (ascii_lower(any[i]) != lowercase[i]) {
            return false;
        }
    }
    return true;
}

// Whether the bytes after the first eight of two names of one length,
// eight or more, are the same in any case: a word at a time, the last
// word overlapping the one before.
bool rest_equals_ignoring_case(std::string_view lowercase,
                               std::string_view any)
{
    std::size_t n = any.size();

    for (std::size_t i = 8; i + 8 < n; i += 8) {
        if (!same_word_ignoring_case(any.data() + i, lowercase.data() + i)) {
            return false;
        }
    }
    return same_word_ignoring_case(any.data() + n - 8,
                                   lowercase.data() + n - 8);
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
    first_words_[size_] = lowercase_name.size() >= 8
                          ? swar::load_le(lowercase_name.data()) : 0;
    names_[size_++] = lowercase_name;
    lengths_ |= length_bit(lowercase_name.size());
    initials_ |= initial_bit(lowercase_name[0]);
    return true;
}

// A name of eight bytes or more is lowered once, its first word, and
// compared with each watched name's first word and length; only a name
// that agrees in both is compared further.  (One scheme's names mostly
// differ in their first word or in their length; those that share their
// start, as webhook-signature and webhook-timestamp do, differ in their
// last, compared first after it.)
std::size_t WatchedHeaders::find(std::string_view any) const
{
    std::size_t n = any.size();

    if (n < 8) {
        for (std::size_t i = 0; i < size_; i++) {
            if (short_equals_ignoring_case(names_[i], any)) {
                return i;
            }
        }
        return kMax;
    }

    std::uint64_t first = lowered(swar::load_le(any.data()));

    for (std::size_t i = 0; i < size_; i++) {
        if (names_[i].size() == n && first_words_[i] == first
            && rest_equals_ignoring_case(names_[i], any))
        {
            return i;
        }
    }
    return kMax;
}

// (The glue passes over most headers on their length and first byte
// first, lengths() and initials(); a caller that does not finds no more
// and no less.)
void RequestHeaders::offer(std::string_view name, std::string_view value)
{
    std::size_t i = watched_->find(name);
    if (i != WatchedHeaders::kMax && counts_[i]++ == 0) {
        values_[i] = { value.data(), value.size() };
    }
}

}  // namespace webhook
