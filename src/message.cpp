// SPDX-License-Identifier: BSD-2-Clause

#include "message.hpp"

#include <algorithm>
#include <utility>
#include <vector>

namespace webhook {

namespace {

int hex_value(char c)
{
    return c >= '0' && c <= '9' ? c - '0'
         : c >= 'a' && c <= 'f' ? c - 'a' + 10
         : c >= 'A' && c <= 'F' ? c - 'A' + 10
         : -1;
}

// application/x-www-form-urlencoded decoding: '+' is a space, %XX a byte;
// a '%' not followed by two hex digits stays as it is.
std::string form_decoded(std::string_view text)
{
    std::string out;

    out.reserve(text.size());
    for (std::size_t i = 0; i < text.size(); i++) {
        char c = text[i];

        if (c == '+') {
            out.push_back(' ');
        } else if (c == '%' && i + 2 < text.size()
                   && hex_value(text[i + 1]) >= 0
                   && hex_value(text[i + 2]) >= 0)
        {
            out.push_back(static_cast<char>(hex_value(text[i + 1]) << 4
                                            | hex_value(text[i + 2])));
            i += 2;
        } else {
            out.push_back(c);
        }
    }
    return out;
}

void skip_space(std::string_view json, std::size_t &at)
{
    while (at < json.size()
           && (json[at] == ' ' || json[at] == '\t' || json[at] == '\n'
               || json[at] == '\r'))
    {
        at++;
    }
}

// A JSON string at json[at] == '"'; at moves past it.  raw is its text
// between the quotes, escapes undecoded.
bool skip_string(std::string_view json, std::size_t &at,
                 std::string_view &raw)
{
    std::size_t start = ++at;

    while (at < json.size()) {
        char c = json[at];
        if (c == '\\') {
            at += 2;
        } else if (c == '"') {
            raw = json.substr(start, at - start);
            at++;
            return true;
        } else {
            at++;
        }
    }
    return false;
}

// Any JSON value; nested objects and arrays by depth, strings skipped.
bool skip_value(std::string_view json, std::size_t &at)
{
    std::string_view raw;
    std::size_t depth = 0;

    do {
        skip_space(json, at);
        if (at >= json.size()) {
            return false;
        }
        char c = json[at];
        if (c == '"') {
            if (!skip_string(json, at, raw)) {
                return false;
            }
        } else if (c == '{' || c == '[') {
            depth++;
            at++;
        } else if (c == '}' || c == ']') {
            if (depth == 0) {
                return false;
            }
            depth--;
            at++;
        } else if (depth > 0 && (c == ',' || c == ':')) {
            at++;
        } else {
            std::size_t start = at;
            while (at < json.size() && json[at] != ',' && json[at] != '}'
                   && json[at] != ']' && json[at] != ' ' && json[at] != '\n'
                   && json[at] != '\r' && json[at] != '\t' && json[at] != ':')
            {
                at++;
            }
            if (at == start) {
                return false;
            }
        }
    } while (depth > 0);
    return true;
}

}  // namespace

std::string twilio_form_message(std::string_view url, std::string_view body)
{
    std::vector<std::pair<std::string, std::string>> parameters;

    while (!body.empty()) {
        std::size_t end = body.find('&');
        std::string_view pair = body.substr(0, end);
        std::size_t equals = pair.find('=');

        if (!pair.empty()) {
            parameters.emplace_back(
                form_decoded(pair.substr(0, equals)),
                equals == std::string_view::npos
                    ? std::string() : form_decoded(pair.substr(equals + 1)));
        }
        if (end == std::string_view::npos) {
            break;
        }
        body.remove_prefix(end + 1);
    }

    // by name, then by value; a parameter repeated with the same value is
    // signed once (twilio-node makes a Set of each name's values)
    std::sort(parameters.begin(), parameters.end());
    parameters.erase(std::unique(parameters.begin(), parameters.end()),
                     parameters.end());

    std::string message(url);
    for (const auto &p : parameters) {
        message += p.first;
        message += p.second;
    }
    return message;
}

std::string url_with_port_toggled(std::string_view url)
{
    std::size_t scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) {
        return std::string();
    }

    std::string_view scheme = url.substr(0, scheme_end);
    std::size_t host_start = scheme_end + 3;
    std::size_t host_end = url.find_first_of("/?#", host_start);
    if (host_end == std::string_view::npos) {
        host_end = url.size();
    }

    std::string_view authority = url.substr(host_start, host_end - host_start);
    // user:password@host:port; an IPv6 host is in brackets
    std::size_t at = authority.rfind('@');
    std::size_t host_offset = at == std::string_view::npos ? 0 : at + 1;
    std::size_t colon = authority.rfind(':');
    std::size_t bracket = authority.rfind(']');

    std::string out(url.substr(0, host_start));

    if (colon != std::string_view::npos && colon >= host_offset
        && (bracket == std::string_view::npos || colon > bracket))
    {
        out.append(authority.substr(0, colon));
    } else {
        const char *port = scheme == "https" ? ":443"
                         : scheme == "http" ? ":80" : nullptr;
        if (port == nullptr) {
            return std::string();
        }
        out.append(authority);
        out.append(port);
    }
    out.append(url.substr(host_end));
    return out;
}

bool query_parameter(std::string_view url, std::string_view name,
                     std::string_view &value)
{
    std::size_t question = url.find('?');
    if (question == std::string_view::npos) {
        return false;
    }

    std::string_view query = url.substr(question + 1);
    query = query.substr(0, query.find('#'));

    while (true) {
        std::size_t end = query.find('&');
        std::string_view pair = query.substr(0, end);
        std::size_t equals = pair.find('=');

        if (pair.substr(0, equals) == name) {
            value = equals == std::string_view::npos
                    ? std::string_view() : pair.substr(equals + 1);
            return true;
        }
        if (end == std::string_view::npos) {
            return false;
        }
        query.remove_prefix(end + 1);
    }
}

bool json_top_level_integer(std::string_view json, std::string_view name,
                            std::string_view &digits)
{
    std::size_t at = 0;
    bool found = false;

    skip_space(json, at);
    if (at >= json.size() || json[at] != '{') {
        return false;
    }
    at++;
    skip_space(json, at);
    if (at < json.size() && json[at] == '}') {
        return false;
    }

    while (true) {
        std::string_view key;

        skip_space(json, at);
        if (at >= json.size() || json[at] != '"'
            || !skip_string(json, at, key))
        {
            return false;
        }
        skip_space(json, at);
        if (at >= json.size() || json[at] != ':') {
            return false;
        }
        at++;
        skip_space(json, at);

        std::size_t start = at;
        if (!skip_value(json, at)) {
            return false;
        }
        if (key == name) {
            std::string_view value = json.substr(start, at - start);
            found = !value.empty()
                    && value.find_first_not_of("0123456789")
                       == std::string_view::npos;
            if (found) {
                digits = value;
            }
        }

        skip_space(json, at);
        if (at < json.size() && json[at] == ',') {
            at++;
            continue;
        }
        return at < json.size() && json[at] == '}' && found;
    }
}

}  // namespace webhook
