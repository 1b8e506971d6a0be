// SPDX-License-Identifier: BSD-2-Clause
//
// libFuzzer target: the standalone parsers, called directly (the internal
// C++ functions, not the C API).  The input's first byte chooses the
// parser, the rest is its text:
//
//   'd' <text>                          decode(), every Encoding
//   't' <now:8><tol:8><tol:8><text>     is_timestamp()/is_stale(), every TimeFormat
//   'w' <url>\n<body>                   twilio_form_parameters()
//   'q' <name>\n<url>                   query_parameter()
//   'j' <name>\n<json>                  json_top_level_integer()
//   'k' <secret>                        Key::init(), every Algorithm x KeyFormat
//
// (any other first byte: its value modulo 6 chooses, in that order).
// Properties, besides no crash, no leak and no sanitizer report:
// - decoding is canonical: what decodes re-encodes (OpenSSL's
//   EVP_EncodeBlock, lowercase hex) to exactly the text (hex of either case:
//   to the text in lowercase); every byte string's encoding decodes back to
//   it; decode() agrees with decode_base64()/decode_hex() up to its capacity;
// - timestamps: the unix formats accept exactly plain decimals and judge
//   staleness as exact arithmetic does (for clocks and tolerances below
//   2^59 ms); RFC 3339 accepts exactly what a regular expression and
//   timegm() accept, at the instant they compute (stale one millisecond
//   away with no tolerance, not stale at exactly the tolerance), the same
//   with 't'/'z' in lowercase and "+00:00" for "Z"; for every format and any
//   text, staleness is monotonic in the tolerance and a negative tolerance
//   is never stale;
// - Twilio's message starts with the URL, is no longer than URL and body,
//   and does not depend on the order of the '&'-separated pairs;
// - a query parameter's value lies inside the URL, after a '?';
// - Linear's integer is digits found inside the JSON; a JSON object built
//   with the member is found;
// - a key that inits as a verbatim HMAC key computes OpenSSL's HMAC(); a
//   verbatim token matches itself and not more; an Ed25519 key was 64 hex
//   digits; verifying anything with a public key does not crash.

#include "encoding.hpp"
#include "hmac.hpp"
#include "key.hpp"
#include "message.hpp"
#include "timestamp.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <memory>
#include <regex>
#include <string>
#include <string_view>
#include <vector>

#define FUZZ_ASSERT(cond)                                                     \
    do {                                                                      \
        if (!(cond)) {                                                        \
            __builtin_printf("property failed: %s (%s:%d)\n", #cond,          \
                             __FILE__, __LINE__);                             \
            __builtin_abort();                                                \
        }                                                                     \
    } while (0)

namespace {

using webhook::Encoding;
using webhook::TimeFormat;

// An exact-size heap copy, so that ASan sees a read one byte past it.
class Copy {
public:
    explicit Copy(std::string_view s) : data_(new char[s.size() + 1]), size_(s.size())
    {
        if (!s.empty()) {       // an empty view may hold nullptr
            std::memcpy(data_.get(), s.data(), s.size());
        }
    }
    std::string_view view() const { return {data_.get(), size_}; }
private:
    std::unique_ptr<char[]> data_;
    std::size_t size_;
};

std::unique_ptr<char[]> exact(std::string_view s)
{
    std::unique_ptr<char[]> p(new char[s.size() ? s.size() : 1]);
    if (!s.empty()) {
        std::memcpy(p.get(), s.data(), s.size());
    }
    return p;
}

std::string lower(std::string_view s)
{
    std::string out(s);
    for (char &c : out) {
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

std::string base64_of(std::string_view bytes)
{
    std::string out(4 * ((bytes.size() + 2) / 3) + 1, '\0');
    int n = EVP_EncodeBlock(reinterpret_cast<unsigned char *>(&out[0]),
                            reinterpret_cast<const unsigned char *>(bytes.data()),
                            static_cast<int>(bytes.size()));
    out.resize(static_cast<std::size_t>(n));
    return out;
}

std::string hex_of(std::string_view bytes)
{
    std::string out;
    char two[3];
    for (unsigned char c : bytes) {
        std::snprintf(two, sizeof(two), "%02x", c);
        out += two;
    }
    return out;
}

// ---- encodings ----------------------------------------------------------

void fuzz_decode(std::string_view input)
{
    std::unique_ptr<char[]> buf = exact(input);
    std::string_view text(buf.get(), input.size());

    for (Encoding enc : {Encoding::HexAnyCase, Encoding::HexLower, Encoding::Base64}) {
        webhook::Bytes out;
        bool ok = webhook::decode(enc, text, out);

        std::string any;
        bool ok_any = enc == Encoding::Base64 ? webhook::decode_base64(text, any)
                                              : webhook::decode_hex(text, any);
        bool lowercase = lower(text) == text;
        bool expect = ok_any && any.size() <= webhook::Bytes::kCapacity
                      && (enc != Encoding::HexLower || lowercase);
        FUZZ_ASSERT(ok == expect);
        if (ok) {
            FUZZ_ASSERT(out.view() == any);
        }
        if (ok_any) {
            if (enc == Encoding::Base64) {
                FUZZ_ASSERT(!any.empty());
                FUZZ_ASSERT(base64_of(any) == text);
            } else {
                FUZZ_ASSERT(hex_of(any) == lower(text));
                FUZZ_ASSERT(webhook::hex_lower(any) == hex_of(any));
            }
        }
    }

    // every byte string's encodings decode back to it
    std::string b64 = base64_of(text), hex = hex_of(text), back;
    if (!text.empty()) {
        FUZZ_ASSERT(webhook::decode_base64(b64, back) && back == text);
    }
    FUZZ_ASSERT(webhook::decode_hex(hex, back) && back == text);
    std::string upper = hex;
    for (char &c : upper) {
        c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    }
    FUZZ_ASSERT(webhook::decode_hex(upper, back) && back == text);
    if (text.size() <= webhook::Bytes::kCapacity) {
        webhook::Bytes out;
        FUZZ_ASSERT(webhook::decode(Encoding::HexLower, hex, out) && out.view() == text);
        FUZZ_ASSERT(webhook::decode(Encoding::HexAnyCase, upper, out) && out.view() == text);
        FUZZ_ASSERT(text.empty() || (webhook::decode(Encoding::Base64, b64, out)
                                     && out.view() == text));
        FUZZ_ASSERT(text.empty() || upper == hex
                    || !webhook::decode(Encoding::HexLower, upper, out));
    }

    bool header_text = true;
    for (unsigned char c : text) {
        header_text = header_text && (c == '\t' || (c >= 0x20 && c <= 0x7e));
    }
    FUZZ_ASSERT(webhook::is_header_text(text) == header_text);
}

// ---- timestamps ---------------------------------------------------------

constexpr std::int64_t kBound = INT64_C(1) << 59;

std::int64_t take_int64(std::string_view &s)
{
    std::uint64_t v = 0;
    for (int i = 0; i < 8 && !s.empty(); i++) {
        v = v << 8 | static_cast<unsigned char>(s.front());
        s.remove_prefix(1);
    }
    return static_cast<std::int64_t>(v);
}

bool plain_decimal(std::string_view s)
{
    return !s.empty() && s.find_first_not_of("0123456789") == std::string_view::npos;
}

// Exact staleness of a plain decimal, by 128-bit arithmetic.
bool unix_stale(TimeFormat format, std::string_view digits, std::int64_t now,
                std::int64_t tol)
{
    __int128 v = 0;
    for (char c : digits) {
        v = v * 10 + (c - '0');
        if (v > (static_cast<__int128>(1) << 100)) {
            return true;        // far beyond any clock in the bound
        }
    }
    bool ms = format == TimeFormat::UnixMilliseconds
              || (format == TimeFormat::UnixAuto && digits.size() >= 13);
    __int128 d = ms ? v - now : (v - now / 1000) * 1000;
    if (d < 0) {
        d = -d;
    }
    return d > tol;
}

// RFC 3339 date-time by a regular expression and timegm(); false if not one.
bool rfc3339_reference(std::string_view text, std::int64_t &ms)
{
    static const std::regex kDateTime(
        "([0-9]{4})-([0-9]{2})-([0-9]{2})[Tt]([0-9]{2}):([0-9]{2}):([0-9]{2})"
        "(\\.[0-9]+)?([Zz]|[+-][0-9]{2}:[0-9]{2})");
    std::match_results<std::string_view::const_iterator> m;
    if (!std::regex_match(text.begin(), text.end(), m, kDateTime)) {
        return false;
    }
    auto num = [&m](int i) { return std::stoi(m[i].str()); };
    int year = num(1), month = num(2), day = num(3);
    int hour = num(4), minute = num(5), second = num(6);
    if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 60) {
        return false;
    }
    std::tm tm{};
    tm.tm_year = year - 1900;
    tm.tm_mon = month - 1;
    tm.tm_mday = day;
    std::time_t midnight = timegm(&tm);
    std::tm back{};
    gmtime_r(&midnight, &back);
    if (back.tm_mday != day || back.tm_mon != month - 1) {
        return false;       // no such day in that month
    }
    int millis = 0;
    if (m[7].matched) {
        std::string frac = m[7].str().substr(1) + "00";
        millis = std::stoi(frac.substr(0, 3));
    }
    std::string zone = m[8].str();
    std::int64_t offset = 0;
    if (zone != "Z" && zone != "z") {
        int oh = std::stoi(zone.substr(1, 2)), om = std::stoi(zone.substr(4, 2));
        if (oh > 23 || om > 59) {
            return false;
        }
        offset = (zone[0] == '-' ? -1 : 1) * (oh * 60 + om);
    }
    ms = (static_cast<std::int64_t>(midnight) + hour * 3600 + minute * 60 + second
          - offset * 60) * 1000 + millis;
    return true;
}

bool stale(TimeFormat f, std::string_view t, std::int64_t now, std::int64_t tol)
{
    std::unique_ptr<char[]> buf = exact(t);
    return webhook::is_stale(f, std::string_view(buf.get(), t.size()), now, tol);
}

void fuzz_timestamp(std::string_view input)
{
    std::int64_t now = take_int64(input) & (kBound - 1);
    std::int64_t tol1 = take_int64(input) & (kBound - 1);
    std::int64_t tol2 = take_int64(input) & (kBound - 1);
    if (tol1 > tol2) {
        std::swap(tol1, tol2);
    }
    std::unique_ptr<char[]> buf = exact(input);
    std::string_view text(buf.get(), input.size());

    for (TimeFormat f : {TimeFormat::None, TimeFormat::UnixSeconds,
                         TimeFormat::UnixMilliseconds, TimeFormat::UnixAuto,
                         TimeFormat::Rfc3339})
    {
        bool is = webhook::is_timestamp(f, text);
        if (f == TimeFormat::None) {
            FUZZ_ASSERT(!is);
            FUZZ_ASSERT(!webhook::is_stale(f, text, now, tol1));
            continue;
        }
        FUZZ_ASSERT(!webhook::is_stale(f, text, now, -1));
        if (f != TimeFormat::Rfc3339) {
            FUZZ_ASSERT(is == plain_decimal(text));
            FUZZ_ASSERT(webhook::is_plain_decimal(text) == plain_decimal(text));
            if (!is) {
                continue;       // the core asks is_stale only of timestamps
            }
        }
        bool s1 = webhook::is_stale(f, text, now, tol1);
        bool s2 = webhook::is_stale(f, text, now, tol2);
        FUZZ_ASSERT(s1 || !s2);         // stale at the wider, stale at the narrower
        if (f != TimeFormat::Rfc3339) {
            FUZZ_ASSERT(s1 == unix_stale(f, text, now, tol1));
            FUZZ_ASSERT(s2 == unix_stale(f, text, now, tol2));
        }
    }

    std::int64_t ms = 0;
    bool valid = rfc3339_reference(text, ms);
    FUZZ_ASSERT(webhook::is_timestamp(TimeFormat::Rfc3339, text) == valid);
    if (!valid) {
        return;
    }
    std::string variants[3] = {std::string(text), std::string(text), std::string(text)};
    std::replace(variants[1].begin(), variants[1].end(), 'T', 't');
    if (!variants[1].empty() && variants[1].back() == 'Z') {
        variants[1].back() = 'z';
        variants[2].pop_back();
        variants[2] += "+00:00";
    }
    for (const std::string &v : variants) {
        FUZZ_ASSERT(webhook::is_timestamp(TimeFormat::Rfc3339, v));
        if (ms >= 0) {      // the clock is never before the epoch
            FUZZ_ASSERT(!stale(TimeFormat::Rfc3339, v, ms, 0));
            FUZZ_ASSERT(stale(TimeFormat::Rfc3339, v, ms + 1, 0));
            FUZZ_ASSERT(!stale(TimeFormat::Rfc3339, v, ms + tol1, tol1));
            FUZZ_ASSERT(stale(TimeFormat::Rfc3339, v, ms + tol1 + 1, tol1));
            if (ms >= tol1 + 1) {
                FUZZ_ASSERT(!stale(TimeFormat::Rfc3339, v, ms - tol1, tol1));
                FUZZ_ASSERT(stale(TimeFormat::Rfc3339, v, ms - tol1 - 1, tol1));
            }
        }
        __int128 d = static_cast<__int128>(now) - ms;
        FUZZ_ASSERT(stale(TimeFormat::Rfc3339, v, now, tol1) == (d > tol1 || -d > tol1));
    }
}

// ---- messages -----------------------------------------------------------

std::pair<std::string_view, std::string_view> two(std::string_view s)
{
    std::size_t nl = s.find('\n');
    if (nl == std::string_view::npos) {
        return {s, {}};
    }
    return {s.substr(0, nl), s.substr(nl + 1)};
}

void fuzz_twilio(std::string_view input)
{
    auto [u, b] = two(input);
    Copy url(u), body(b);
    std::string message = std::string(url.view())
                          + webhook::twilio_form_parameters(body.view());

    FUZZ_ASSERT(message.substr(0, u.size()) == u);
    // a byte can grow to U+FFFD's three (invalid UTF-8 replaced)
    FUZZ_ASSERT(message.size() <= u.size() + 3 * b.size());

    std::vector<std::string_view> pairs;
    for (std::string_view rest = b;;) {
        std::size_t amp = rest.find('&');
        pairs.push_back(rest.substr(0, amp));
        if (amp == std::string_view::npos) {
            break;
        }
        rest.remove_prefix(amp + 1);
    }
    std::vector<std::string_view> permuted = pairs;
    std::reverse(permuted.begin(), permuted.end());
    if (permuted.size() > 2) {
        std::rotate(permuted.begin(), permuted.begin() + b.size() % permuted.size(),
                    permuted.end());
    }
    std::string joined;
    for (std::size_t i = 0; i < permuted.size(); i++) {
        joined += (i ? "&" : "");
        joined += permuted[i];
    }
    Copy body2(joined);
    FUZZ_ASSERT(std::string(url.view())
                    + webhook::twilio_form_parameters(body2.view()) == message);
}

void fuzz_query(std::string_view input)
{
    auto [n, u] = two(input);
    Copy name(n), url(u);
    std::string_view value;
    if (webhook::query_parameter(url.view(), name.view(), value)) {
        std::string_view whole = url.view();
        std::size_t q = whole.find('?');
        FUZZ_ASSERT(q != std::string_view::npos);
        FUZZ_ASSERT(value.empty()
                    || (value.data() > whole.data() + q
                        && value.data() + value.size() <= whole.data() + whole.size()));
        FUZZ_ASSERT(whole.substr(q).find(n) != std::string_view::npos || n.empty());
        FUZZ_ASSERT(value.find('&') == std::string_view::npos
                    && value.find('#') == std::string_view::npos);
    }
}

void check_integer(std::string_view name, std::string_view json)
{
    Copy n(name), j(json);
    std::string_view digits;
    if (webhook::json_top_level_integer(j.view(), n.view(), digits)) {
        FUZZ_ASSERT(plain_decimal(digits));
        FUZZ_ASSERT(digits.data() >= j.view().data()
                    && digits.data() + digits.size() <= j.view().data() + json.size());
    }
}

void fuzz_json(std::string_view input)
{
    auto [name, json] = two(input);
    check_integer(name, json);
    check_integer("webhookTimestamp", json);
    check_integer("webhookTimestamp", input);

    if (name.find_first_of("\"\\") == std::string_view::npos) {
        std::string built = "{\"a\":[1,{\"" + std::string(name) + "\":2}],\""
                            + std::string(name) + "\" : 1746561234000 }";
        Copy j(built), n(name);
        std::string_view digits;
        FUZZ_ASSERT(webhook::json_top_level_integer(j.view(), n.view(), digits));
        FUZZ_ASSERT(digits == "1746561234000");
    }
}

// ---- keys ---------------------------------------------------------------

void fuzz_key(std::string_view input)
{
    using webhook::Algorithm;
    using webhook::KeyFormat;
    Copy secret(input);

    for (Algorithm a : {Algorithm::HmacSha1, Algorithm::HmacSha256,
                        Algorithm::HmacSha512, Algorithm::Token,
                        Algorithm::Ed25519, Algorithm::EcdsaP256Sha256})
    {
        for (KeyFormat f : {KeyFormat::Verbatim, KeyFormat::WhsecBase64,
                            KeyFormat::HtmlEntities, KeyFormat::Ed25519Hex,
                            KeyFormat::EcPublicKey})
        {
            webhook::Key key;
            const char *why = key.init(a, f, secret.view());
            if (input.empty()) {
                FUZZ_ASSERT(why != nullptr);
            }
            if (why != nullptr) {
                FUZZ_ASSERT(std::strlen(why) > 0);
                continue;
            }
            FUZZ_ASSERT(key.algorithm() == a);
            if (f == KeyFormat::Ed25519Hex) {
                std::string raw;
                FUZZ_ASSERT(input.size() == 64 && webhook::decode_hex(input, raw));
            }
            if (f == KeyFormat::Ed25519Hex || f == KeyFormat::EcPublicKey) {
                webhook::Bytes sig;
                sig.size = std::min<std::size_t>(input.size(), 72);
                std::memcpy(sig.data.data(), input.data(), sig.size);
                key.verify(sig, input);
                continue;
            }
            if (f != KeyFormat::Verbatim) {
                continue;
            }
            if (a == Algorithm::Token) {
                FUZZ_ASSERT(key.token_matches(input));
                FUZZ_ASSERT(!key.token_matches(std::string(input) + "x"));
                continue;
            }
            if (!webhook::is_hmac(a)) {
                continue;
            }
            const EVP_MD *md = a == Algorithm::HmacSha1 ? EVP_sha1()
                             : a == Algorithm::HmacSha512 ? EVP_sha512()
                             : EVP_sha256();
            unsigned char mac[EVP_MAX_MD_SIZE];
            unsigned int len = 0;
            static const char kMessage[] = "1746561234.{\"a\":1}";
            FUZZ_ASSERT(HMAC(md, input.data(), static_cast<int>(input.size()),
                             reinterpret_cast<const unsigned char *>(kMessage),
                             sizeof(kMessage) - 1, mac, &len) != nullptr);
            webhook::Hmac h;
            webhook::Bytes out;
            FUZZ_ASSERT(h.init(key.hmac()) && h.update(kMessage, sizeof(kMessage) - 1)
                        && h.finish(out));
            FUZZ_ASSERT(out.size == len && std::memcmp(out.data.data(), mac, len) == 0);
        }
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    if (size == 0) {
        return 0;
    }
    std::string_view input(reinterpret_cast<const char *>(data) + 1, size - 1);
    static const char kTags[] = "dtwqjk";
    const char *tag = std::strchr(kTags, data[0]);
    std::size_t which = data[0] != 0 && tag != nullptr
                        ? static_cast<std::size_t>(tag - kTags) : data[0] % 6;

    switch (which) {
    case 0: fuzz_decode(input); break;
    case 1: fuzz_timestamp(input); break;
    case 2: fuzz_twilio(input); break;
    case 3: fuzz_query(input); break;
    case 4: fuzz_json(input); break;
    case 5: fuzz_key(input); break;
    }
    return 0;
}
