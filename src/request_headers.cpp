/* SPDX-License-Identifier: BSD-2-Clause */

#include "request_headers.hpp"

namespace webhook {

namespace {

char ascii_lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c;
}

bool equals_ignoring_case(std::string_view lowercase, std::string_view any)
{
    // a request's other names of the same length mostly differ at once
    if (lowercase.size() != any.size()
        || (!any.empty() && ascii_lower(any[0]) != lowercase[0]))
    {
        return false;
    }
    if (lowercase == any) {
        return true;
    }
    for (std::size_t i = 0; i < any.size(); i++) {
        if (ascii_lower(any[i]) != lowercase[i]) {
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
    return true;
}

std::size_t WatchedHeaders::index_of(std::string_view lowercase_name) const
{
    for (std::size_t i = 0; i < size_; i++) {
        // the scheme's row asks with the very string it watched
        const std::string_view &name = names_[i];
        if ((name.data() == lowercase_name.data()
             && name.size() == lowercase_name.size())
            || name == lowercase_name)
        {
            return i;
        }
    }
    return kMax;
}

void RequestHeaders::offer(std::string_view name, std::string_view value)
{
    if ((watched_->lengths() & WatchedHeaders::length_bit(name.size())) == 0) {
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

HeaderField RequestHeaders::get(std::string_view lowercase_name) const
{
    std::size_t i = watched_->index_of(lowercase_name);

    if (i == WatchedHeaders::kMax || counts_[i] == 0) {
        return {};
    }
    return { { values_[i].data, values_[i].size }, counts_[i] };
}

}  // namespace webhook
