// SPDX-License-Identifier: BSD-2-Clause

#include "message.hpp"

#include "swar.hpp"

#include <algorithm>
#include <cstring>
#include <deque>
#include <memory>
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

// The bytes of a UTF-8 decoding with replacement (WHATWG "UTF-8 decode",
// as Node's Buffer.toString() makes it): each maximal invalid subpart
// becomes U+FFFD.
std::string utf8_replaced(std::string_view in)
{
    static constexpr std::string_view kReplacement = "\xef\xbf\xbd";
    std::string out;

    out.reserve(in.size());
    for (std::size_t i = 0; i < in.size(); ) {
        unsigned char c = static_cast<unsigned char>(in[i]);
        std::size_t need = c < 0x80 ? 0 : c >= 0xc2 && c <= 0xdf ? 1
                         : c >= 0xe0 && c <= 0xef ? 2
                         : c >= 0xf0 && c <= 0xf4 ? 3 : 4;
        if (need == 0) {
            out.push_back(in[i++]);
            continue;
        }
        if (need == 4) {
            out.append(kReplacement);
            i++;
            continue;
        }

        unsigned char low = c == 0xe0 ? 0xa0 : c == 0xf0 ? 0x90 : 0x80;
        unsigned char high = c == 0xed ? 0x9f : c == 0xf4 ? 0x8f : 0xbf;
        std::size_t j = i + 1;
        std::size_t got = 0;

        for (; got < need && j < in.size(); got++, j++) {
            unsigned char d = static_cast<unsigned char>(in[j]);
            if (d < low || d > high) {
                break;
            }
            low = 0x80;
            high = 0xbf;
        }
        if (got == need) {
            out.append(in.substr(i, j - i));
        } else {
            out.append(kReplacement);
        }
        i = j;
    }
    return out;
}

// application/x-www-form-urlencoded decoding as Node's querystring does
// it: '+' is a space, %XX a byte (a '%' not followed by two hex digits
// stays as it is).  Into out (room for text.size() bytes: a decoding is
// at most its text's length); returns the length, and whether a byte
// above 0x7f came out (then it is read as UTF-8 with replacement).
std::size_t form_decode_into(std::string_view text, char *out, bool &high)
{
    char *o = out;
    unsigned char high_bits = 0;
    std::uint64_t high_words = 0;

    for (std::size_t i = 0; i < text.size(); i++) {
        // eight bytes with neither '+' nor '%' are copied as they are
        while (text.size() - i >= 8) {
            std::uint64_t w = swar::load_le(text.data() + i);
            if (swar::has_byte(w, '+') || swar::has_byte(w, '%')) {
                break;
            }
            std::memcpy(o, text.data() + i, 8);
            high_words |= w;
            o += 8;
            i += 8;
        }
        if (i == text.size()) {
            break;
        }
        char c = text[i];
        int high_digit, low_digit;

        if (c == '+') {
            c = ' ';
        } else if (c == '%' && i + 2 < text.size()
                   && (high_digit = hex_value(text[i + 1])) >= 0
                   && (low_digit = hex_value(text[i + 2])) >= 0)
        {
            c = static_cast<char>(high_digit << 4 | low_digit);
            i += 2;
        }
        *o++ = c;
        high_bits |= static_cast<unsigned char>(c);
    }
    high = high_bits >= 0x80 || (high_words & swar::kHighs) != 0;
    return static_cast<std::size_t>(o - out);
}

std::string form_decoded(std::string_view text)
{
    std::string out(text.size(), '\0');
    bool high;

    out.resize(form_decode_into(text, &out[0], high));
    return high ? utf8_replaced(out) : out;
}

// Bytes outside unreserved escaped as %XX, uppercase: percent_encoded()
// with querystring.escape()'s set (encodeURIComponent's).
bool is_query_string_unreserved(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9')
           || std::string_view("-_.!~*'()").find(static_cast<char>(c))
              != std::string_view::npos;
}

// The WHATWG URL standard's path and special-query percent-encode sets.
bool in_path_set(unsigned char c)
{
    return c <= 0x20 || c >= 0x7f
           || std::string_view("\"#<>?`{}").find(static_cast<char>(c))
              != std::string_view::npos;
}

bool in_special_query_set(unsigned char c)
{
    return c <= 0x20 || c >= 0x7f
           || std::string_view("\"#<>'").find(static_cast<char>(c))
              != std::string_view::npos;
}

template <typename Escaped>
void append_encoded(std::string &out, std::string_view text, Escaped escaped)
{
    static constexpr char kHex[] = "0123456789ABCDEF";

    for (unsigned char c : text) {
        if (escaped(c)) {
            out.push_back('%');
            out.push_back(kHex[c >> 4]);
            out.push_back(kHex[c & 0xf]);
        } else {
            out.push_back(static_cast<char>(c));
        }
    }
}

// RFC 3986 5.2.4 remove_dot_segments of a path that starts with '/', as
// the URL parser applies it.
std::string without_dot_segments(std::string_view path)
{
    std::vector<std::string_view> segments;

    for (std::size_t at = 1; ; ) {
        std::size_t end = path.find('/', at);
        bool last = end == std::string_view::npos;
        std::string_view segment = path.substr(at, last ? end : end - at);

        if (segment == ".." || segment == ".") {
            if (segment == ".." && !segments.empty()) {
                segments.pop_back();
            }
            if (last) {
                segments.emplace_back();    // "/a/.." is "/"; "/a/." "/a/"
            }
        } else {
            segments.push_back(segment);
        }
        if (last) {
            break;
        }
        at = end + 1;
    }

    std::string out;
    for (std::string_view segment : segments) {
        out.push_back('/');
        out.append(segment);
    }
    return out;
}

struct UrlParts {
    std::string_view scheme, userinfo, host, port, path, query;
    bool has_userinfo = false, has_port = false, has_query = false;
};

bool split_url(std::string_view url, UrlParts &u)
{
    std::size_t scheme_end = url.find("://");
    if (scheme_end == std::string_view::npos) {
        return false;
    }
    u.scheme = url.substr(0, scheme_end);
    std::size_t start = scheme_end + 3;
    std::size_t end = url.find_first_of("/?#", start);
    if (end == std::string_view::npos) {
        end = url.size();
    }
    std::string_view authority = url.substr(start, end - start);
    std::size_t at = authority.rfind('@');
    if (at != std::string_view::npos) {
        u.userinfo = authority.substr(0, at);
        u.has_userinfo = true;
        authority.remove_prefix(at + 1);
    }
    std::size_t colon = authority.rfind(':');
    std::size_t bracket = authority.rfind(']');
    if (colon != std::string_view::npos
        && (bracket == std::string_view::npos || colon > bracket))
    {
        u.port = authority.substr(colon + 1);
        u.has_port = true;
        authority = authority.substr(0, colon);
    }
    u.host = authority;

    std::string_view rest = url.substr(end);
    rest = rest.substr(0, rest.find('#'));
    std::size_t question = rest.find('?');
    u.path = rest.substr(0, question);
    if (question != std::string_view::npos) {
        u.query = rest.substr(question + 1);
        u.has_query = true;
    }
    return true;
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

std::string twilio_form_parameters(std::string_view body)
{
    // every name and value decoded into one buffer, as views of it (or,
    // read as UTF-8 with replacement, of a string of its own): no string
    // per parameter
    std::unique_ptr<char[]> buffer(new char[body.size() + 1]);
    std::deque<std::string> replaced;
    char *next = buffer.get();
    auto decoded = [&](std::string_view text) -> std::string_view {
        bool high;
        std::string_view out(next, form_decode_into(text, next, high));
        next += out.size();
        if (high) {
            replaced.push_back(utf8_replaced(out));
            out = replaced.back();
        }
        return out;
    };

    std::vector<std::pair<std::string_view, std::string_view>> parameters;
    while (!body.empty()) {
        std::size_t end = body.find('&');
        std::string_view pair = body.substr(0, end);
        std::size_t equals = pair.find('=');

        if (!pair.empty()) {
            std::string_view name = decoded(pair.substr(0, equals));
            std::string_view value = equals == std::string_view::npos
                                     ? std::string_view()
                                     : decoded(pair.substr(equals + 1));
            parameters.emplace_back(name, value);
        }
        if (end == std::string_view::npos) {
            break;
        }
        body.remove_prefix(end + 1);
    }

    // by name, then by value (bytes, unsigned); a parameter repeated with
    // the same value is signed once (twilio-node makes a Set of each
    // name's values)
    std::sort(parameters.begin(), parameters.end());
    parameters.erase(std::unique(parameters.begin(), parameters.end()),
                     parameters.end());

    std::size_t size = 0;
    for (const auto &p : parameters) {
        size += p.first.size() + p.second.size();
    }
    std::string message;
    message.reserve(size);
    for (const auto &p : parameters) {
        message.append(p.first).append(p.second);
    }
    return message;
}

std::string url_normalised(std::string_view url)
{
    UrlParts u;
    if (!split_url(url, u)) {
        return std::string();
    }

    std::string out;
    for (char c : u.scheme) {
        out.push_back(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }
    out.append("://");
    if (u.has_userinfo && !u.userinfo.empty()) {
        out.append(u.userinfo);
        out.push_back('@');
    }
    for (char c : u.host) {
        out.push_back(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
    }

    bool default_port = (out.compare(0, 8, "https://") == 0 && u.port == "443")
                        || (out.compare(0, 7, "http://") == 0
                            && u.port == "80");
    if (u.has_port && !u.port.empty() && !default_port) {
        out.push_back(':');
        out.append(u.port);
    }

    append_encoded(out, without_dot_segments(u.path.empty() ? "/" : u.path),
                   in_path_set);
    if (u.has_query) {
        out.push_back('?');
        append_encoded(out, u.query, in_special_query_set);
    }
    return out;
}

std::string url_query_restrung(std::string_view url)
{
    UrlParts u;
    if (!split_url(url, u) || !u.has_query) {
        return std::string(url);
    }

    // querystring.parse: names in order of first appearance, each with
    // its values in order; stringify writes them back so, escaped
    std::vector<std::pair<std::string, std::vector<std::string>>> names;
    std::string_view query = u.query;

    while (true) {
        std::size_t end = query.find('&');
        std::string_view pair = query.substr(0, end);
        if (!pair.empty()) {
            std::size_t equals = pair.find('=');
            std::string name = form_decoded(pair.substr(0, equals));
            std::string value = equals == std::string_view::npos
                                ? std::string()
                                : form_decoded(pair.substr(equals + 1));
            auto found = std::find_if(names.begin(), names.end(),
                [&name](const auto &n) { return n.first == name; });
            if (found == names.end()) {
                names.push_back({ name, {} });
                found = names.end() - 1;
            }
            found->second.push_back(value);
        }
        if (end == std::string_view::npos) {
            break;
        }
        query.remove_prefix(end + 1);
    }

    std::string out(url.substr(0, u.query.data() - url.data()));
    bool first = true;
    for (const auto &n : names) {
        for (const std::string &value : n.second) {
            if (!first) {
                out.push_back('&');
            }
            first = false;
            append_encoded(out, n.first, [](unsigned char c) {
                return !is_query_string_unreserved(c);
            });
            out.push_back('=');
            append_encoded(out, value, [](unsigned char c) {
                return !is_query_string_unreserved(c);
            });
        }
    }
    return out;
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
