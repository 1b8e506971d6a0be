// SPDX-License-Identifier: BSD-2-Clause
//
// The input format shared by the fuzz targets: a small text "request" that
// libFuzzer mutates byte by byte and that a person can read and write.
//
//   <scheme> [now_ms [tolerance_ms]]\n      any name webhook_signature takes
//                                           (novu, stripe, ..., hmac, off)
//   Header-Name: value\n                    any number, any bytes but \n
//   @method <bytes>\n  @url <bytes>\n        the request (ws_check_set_request)
//   @hmac-header <bytes>\n                  hmac's parameters, each optional
//   @hmac-prefix <bytes>\n                  (ws_scheme_hmac_create)
//   @hmac-algorithm <bytes>\n
//   @hmac-encoding <bytes>\n
//   @secret <bytes>\n                       any number (verify target)
//   @split <offset>\n                       any number (verify target)
//   \n                                      end of the head
//   <body>                                  the rest of the input
//
// An unknown scheme name is novu.
//
// Every header value, secret and body piece is copied into a heap block of
// exactly its own size, so that AddressSanitizer catches a read one byte
// past any of them (std::string's spare capacity would hide it).

#ifndef WEBHOOK_FUZZ_INPUT_HPP
#define WEBHOOK_FUZZ_INPUT_HPP

#include "webhook_signature.h"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string_view>
#include <vector>

namespace fuzz {

// One exact-size heap copy of some bytes.
class Block {
public:
    explicit Block(std::string_view bytes)
        : data_(new unsigned char[bytes.size()]), size_(bytes.size())
    {
        if (!bytes.empty()) {       // an empty view may hold nullptr
            std::memcpy(data_.get(), bytes.data(), bytes.size());
        }
    }

    ws_bytes_t bytes() const { return {data_.get(), size_}; }
    const unsigned char *begin() const { return data_.get(); }
    const unsigned char *end() const { return data_.get() + size_; }
    std::size_t size() const { return size_; }

private:
    std::unique_ptr<unsigned char[]> data_;
    std::size_t size_;
};

struct Header {
    Block name;
    Block value;
};

struct Input {
    ws_scheme_e scheme = WS_SCHEME_NOVU;
    bool has_request = false;
    Block method{std::string_view()};
    Block url{std::string_view()};
    std::string_view hmac_header;
    std::string_view hmac_prefix;
    std::string_view hmac_algorithm;
    std::string_view hmac_encoding;
    // 2025-05-06T19:53:54Z, the clock of the unit tests and of the seeds.
    std::int64_t now_ms = INT64_C(1746561234000);
    std::int64_t tolerance_ms = INT64_C(300000);
    std::vector<Header> headers;
    std::vector<Block> secrets;
    std::vector<std::size_t> splits;
    std::string_view body;
};

// Every scheme, by the name webhook_signature takes (kept in step with
// ws_scheme_find() by the headers target's first check).
struct SchemeName {
    std::string_view name;
    ws_scheme_e id;
};

inline constexpr SchemeName kNames[] = {
    {"novu", WS_SCHEME_NOVU},
    {"notifykit", WS_SCHEME_NOTIFYKIT},
    {"auto", WS_SCHEME_AUTO},
    {"off", WS_SCHEME_OFF},
    {"stripe", WS_SCHEME_STRIPE},
    {"standard_webhooks", WS_SCHEME_STANDARD_WEBHOOKS},
    {"svix", WS_SCHEME_SVIX},
    {"github", WS_SCHEME_GITHUB},
    {"gitlab", WS_SCHEME_GITLAB},
    {"slack", WS_SCHEME_SLACK},
    {"shopify", WS_SCHEME_SHOPIFY},
    {"paddle", WS_SCHEME_PADDLE},
    {"calendly", WS_SCHEME_CALENDLY},
    {"zoom", WS_SCHEME_ZOOM},
    {"twitch", WS_SCHEME_TWITCH},
    {"pagerduty", WS_SCHEME_PAGERDUTY},
    {"sentry", WS_SCHEME_SENTRY},
    {"bitbucket", WS_SCHEME_BITBUCKET},
    {"jira", WS_SCHEME_JIRA},
    {"typeform", WS_SCHEME_TYPEFORM},
    {"intercom", WS_SCHEME_INTERCOM},
    {"vercel", WS_SCHEME_VERCEL},
    {"woocommerce", WS_SCHEME_WOOCOMMERCE},
    {"linear", WS_SCHEME_LINEAR},
    {"square", WS_SCHEME_SQUARE},
    {"hubspot", WS_SCHEME_HUBSPOT},
    {"twilio", WS_SCHEME_TWILIO},
    {"discord", WS_SCHEME_DISCORD},
    {"sendgrid", WS_SCHEME_SENDGRID},
    {"hmac", WS_SCHEME_HMAC},
};

// Decimal digits at the front of s, saturating; false when there are none.
inline bool take_number(std::string_view &s, std::uint64_t &out)
{
    std::size_t i = 0;

    out = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') {
        std::uint64_t digit = static_cast<std::uint64_t>(s[i] - '0');
        out = out > (UINT64_MAX - digit) / 10 ? UINT64_MAX : out * 10 + digit;
        i++;
    }
    s.remove_prefix(i);
    return i > 0;
}

inline void skip_spaces(std::string_view &s)
{
    while (!s.empty() && s.front() == ' ') {
        s.remove_prefix(1);
    }
}

// The first line: a scheme name, then optionally the clock and tolerance.
// The clock stays within the API's contract (milliseconds since the epoch,
// >= 0); the tolerance is WS_TOLERANCE_OFF ("off" or "-1") or >= 0.
inline void parse_settings(std::string_view line, Input &in)
{
    std::uint64_t n;

    std::size_t space = std::min(line.find(' '), line.size());
    std::string_view name = line.substr(0, space);
    line.remove_prefix(space);
    in.scheme = WS_SCHEME_NOVU;
    for (const auto &known : kNames) {
        if (name == known.name) {
            in.scheme = known.id;
        }
    }

    skip_spaces(line);
    if (take_number(line, n)) {
        in.now_ms = static_cast<std::int64_t>(std::min<std::uint64_t>(n, INT64_MAX));
    }
    skip_spaces(line);
    if (line.substr(0, 3) == "off" || line.substr(0, 2) == "-1") {
        in.tolerance_ms = WS_TOLERANCE_OFF;
    } else if (take_number(line, n)) {
        in.tolerance_ms = static_cast<std::int64_t>(std::min<std::uint64_t>(n, INT64_MAX));
    }
}

inline void parse_line(std::string_view line, Input &in)
{
    std::uint64_t n;

    if (line.substr(0, 8) == "@secret ") {
        in.secrets.emplace_back(line.substr(8));
        return;
    }
    static const struct { std::string_view tag; std::string_view Input::*field; }
    kFields[] = {
        {"@hmac-header ", &Input::hmac_header},
        {"@hmac-prefix ", &Input::hmac_prefix},
        {"@hmac-algorithm ", &Input::hmac_algorithm},
        {"@hmac-encoding ", &Input::hmac_encoding},
    };
    for (const auto &f : kFields) {
        if (line.substr(0, f.tag.size()) == f.tag) {
            in.*f.field = line.substr(f.tag.size());
            return;
        }
    }
    if (line.substr(0, 8) == "@method ") {
        in.method = Block(line.substr(8));
        in.has_request = true;
        return;
    }
    if (line.substr(0, 5) == "@url ") {
        in.url = Block(line.substr(5));
        in.has_request = true;
        return;
    }
    if (line.substr(0, 7) == "@split ") {
        line.remove_prefix(7);
        if (take_number(line, n)) {
            in.splits.push_back(static_cast<std::size_t>(std::min<std::uint64_t>(n, SIZE_MAX)));
        }
        return;
    }

    // "Name: value" (one optional space after the colon, as a client would
    // send it); a line without a colon is a header with an empty value.
    std::size_t colon = std::min(line.find(':'), line.size());
    std::string_view value = line.substr(std::min(colon + 1, line.size()));
    if (!value.empty() && value.front() == ' ') {
        value.remove_prefix(1);
    }
    in.headers.push_back({Block(line.substr(0, colon)), Block(value)});
}

inline Input parse(const std::uint8_t *data, std::size_t size)
{
    Input in;
    std::string_view rest(reinterpret_cast<const char *>(data), size);
    bool first = true;

    while (!rest.empty()) {
        std::size_t nl = rest.find('\n');
        if (nl == std::string_view::npos) {
            nl = rest.size();
        }
        std::string_view line = rest.substr(0, nl);
        rest.remove_prefix(std::min(nl + 1, rest.size()));

        if (first) {
            parse_settings(line, in);
            first = false;
        } else if (line.empty()) {
            in.body = rest;
            break;
        } else {
            parse_line(line, in);
        }
    }
    return in;
}

// The scheme of the input: a built-in row, or an hmac scheme made from the
// input's parameters (nullptr when they cannot make one, with *error set).
class SchemeHandle {
public:
    explicit SchemeHandle(const Input &in)
    {
        if (in.scheme != WS_SCHEME_HMAC) {
            scheme_ = ws_scheme_get(in.scheme);
            return;
        }
        // exact-size copies: ASan sees a read past any parameter
        Block header(in.hmac_header), prefix(in.hmac_prefix),
              algorithm(in.hmac_algorithm), encoding(in.hmac_encoding);
        custom_ = ws_scheme_hmac_create(header.bytes(), prefix.bytes(),
                                        algorithm.bytes(), encoding.bytes(),
                                        &error_);
        scheme_ = custom_;
    }
    ~SchemeHandle() { ws_scheme_hmac_destroy(custom_); }
    SchemeHandle(const SchemeHandle &) = delete;
    SchemeHandle &operator=(const SchemeHandle &) = delete;

    const ws_scheme_t *get() const { return scheme_; }
    const char *error() const { return error_; }

private:
    const ws_scheme_t *scheme_ = nullptr;
    ws_scheme_t *custom_ = nullptr;
    const char *error_ = nullptr;
};

inline void add_request(ws_check_t *check, const Input &in)
{
    if (in.has_request) {
        ws_check_set_request(check, in.method.bytes(), in.url.bytes());
    }
}

inline void add_headers(ws_check_t *check, const Input &in)
{
    for (const Header &h : in.headers) {
        ws_check_add_header(check, h.name.bytes(), h.value.bytes());
    }
}

// The harness aborts (and libFuzzer records a crash) on a broken property.
#define FUZZ_ASSERT(cond)                                                     \
    do {                                                                      \
        if (!(cond)) {                                                        \
            __builtin_printf("property failed: %s (%s:%d)\n", #cond,          \
                             __FILE__, __LINE__);                             \
            __builtin_abort();                                                \
        }                                                                     \
    } while (0)

}  // namespace fuzz

#endif  // WEBHOOK_FUZZ_INPUT_HPP
