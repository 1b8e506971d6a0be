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
    if (lowercase.size() != any.size()) {
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

const HeaderField kAbsent{};

}  // namespace

bool RequestHeaders::watch(std::string_view lowercase_name)
{
    if (lowercase_name.empty() || get(lowercase_name).name == lowercase_name) {
        return true;
    }
    if (size_ == fields_.size()) {
        return false;
    }
    fields_[size_++] = HeaderField{lowercase_name, {}, 0};
    lengths_ |= length_bit(lowercase_name.size());
    return true;
}

void RequestHeaders::offer(std::string_view name, std::string_view value)
{
    if ((lengths_ & length_bit(name.size())) == 0) {
        return;
    }
    for (std::size_t i = 0; i < size_; i++) {
        HeaderField &field = fields_[i];

        if (equals_ignoring_case(field.name, name)) {
            if (field.count++ == 0) {
                field.value = value;
            }
            return;
        }
    }
}

const HeaderField &RequestHeaders::get(std::string_view lowercase_name) const
{
    for (std::size_t i = 0; i < size_; i++) {
        // the scheme's row asks with the very string it watched
        const std::string_view &name = fields_[i].name;
        if ((name.data() == lowercase_name.data()
             && name.size() == lowercase_name.size())
            || name == lowercase_name)
        {
            return fields_[i];
        }
    }
    return kAbsent;
}

}  // namespace webhook
