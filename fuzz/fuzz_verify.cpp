// SPDX-License-Identifier: BSD-2-Clause
//
// libFuzzer target: the whole verification as the glue drives it (request,
// headers, then begin with the secrets, the body fed in pieces cut at
// offsets taken from the input, finish), for every scheme; see
// fuzz_input.hpp for the input format.
//
// Properties checked on every input:
// - cutting the body anywhere, and pre-keying secrets (ws_key_create, as the
//   glue does for secrets without variables), changes nothing: result and
//   key index equal those of the body fed in one piece with every secret
//   keyed per check;
// - every result is one the stage that gave it may give (headers: missing,
//   malformed, stale; begin: no_secret exactly when a secret is absent or
//   cannot be a key of the scheme; finish: ok or mismatch, plus malformed
//   for an empty body where the sender refuses one and malformed/stale for
//   Linear's timestamp in the body); never error; a failure has an error
//   body and no key index;
// - no forged request passes: when the result is ok for a scheme with an
//   independent reference below (novu, notifykit, the body-only HMAC
//   presets, hmac, square and the timestamped HMAC presets), the signature
//   of the secret reported, computed with OpenSSL's one-shot HMAC() over
//   the message as the sender documents it, is in a header;
// - every request the harness signs itself with one of the secrets (the
//   reference's header layout, the input's body, secrets and cuts) verifies
//   with the first secret equal to it; the same request with one body byte
//   changed is a mismatch.

#include "fuzz_input.hpp"

#include "scheme.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>
#include <utility>

namespace {

constexpr std::size_t kMaxSecrets = 16;

enum class Stage { Headers, Begin, Finish };

struct Outcome {
    ws_result_e result;
    Stage stage;
    std::size_t key_index;
    std::string timestamp;
    ws_scheme_e scheme;
};

// Feeds the body cut at the given offsets, each piece an exact heap copy.
ws_result_e feed(ws_check_t *check, std::string_view body,
                 std::vector<std::size_t> cuts)
{
    for (std::size_t &cut : cuts) {
        cut %= body.size() + 1;
    }
    std::sort(cuts.begin(), cuts.end());
    cuts.push_back(body.size());

    std::size_t pos = 0;
    for (std::size_t cut : cuts) {
        fuzz::Block piece(body.substr(pos, cut - pos));
        ws_result_e r = ws_check_update(check, piece.begin(), piece.size());
        if (r != WS_RESULT_OK) {
            return r;
        }
        pos = cut;
    }
    return WS_RESULT_OK;
}

// Pre-keys every other non-empty secret (which ones depends on the input),
// so checks mix pre-keyed secrets and secrets keyed per check.  A secret
// that cannot be a key of the scheme stays unkeyed (the glue refuses it
// when the configuration loads; per check it is no_secret).
std::vector<ws_key_t *> prekey(const ws_scheme_t *scheme, const fuzz::Input &in)
{
    std::vector<ws_key_t *> keys;
    for (std::size_t i = 0; i < in.secrets.size(); i++) {
        bool keyed = in.secrets[i].size() > 0
                     && (i + in.splits.size()) % 2 == 0;
        const char *error = nullptr;
        keys.push_back(keyed ? ws_key_create(scheme, in.secrets[i].bytes(),
                                             &error)
                             : nullptr);
        FUZZ_ASSERT(!keyed || (keys.back() != nullptr) == (error == nullptr));
    }
    return keys;
}

// Whether every secret can be a key of the scheme (none: false).
bool all_keys(const ws_scheme_t *scheme, const fuzz::Input &in)
{
    for (const fuzz::Block &secret : in.secrets) {
        const char *error = nullptr;
        ws_key_t *key = ws_key_create(scheme, secret.bytes(), &error);
        FUZZ_ASSERT((key == nullptr) == (error != nullptr));
        ws_key_destroy(key);
        if (key == nullptr) {
            return false;
        }
    }
    return !in.secrets.empty();
}

// The one array of prepared secrets the glue hands to the core.
std::vector<ws_secret_t> prepared(const std::vector<ws_bytes_t> &values,
                                  const std::vector<ws_key_t *> &keys)
{
    std::vector<ws_secret_t> secrets;
    for (std::size_t i = 0; i < values.size(); i++) {
        secrets.push_back({values[i], keys[i]});
    }
    return secrets;
}

Outcome verify(const ws_scheme_t *scheme, const fuzz::Input &in,
               const std::vector<std::size_t> &cuts,
               const std::vector<ws_key_t *> &prekeyed)
{
    ws_check_t *check = ws_check_create(scheme);
    FUZZ_ASSERT(check != nullptr);
    fuzz::add_request(check, in);
    fuzz::add_headers(check, in);

    std::vector<ws_bytes_t> keys;
    for (const fuzz::Block &secret : in.secrets) {
        keys.push_back(secret.bytes());
    }

    Stage stage = Stage::Headers;
    ws_result_e r = ws_check_headers(check, in.now_ms, in.tolerance_ms);
    if (r == WS_RESULT_OK) {
        stage = Stage::Begin;
        r = prekeyed.empty()
            ? ws_check_begin(check, keys.data(), keys.size())
            : ws_check_begin_secrets(check, prepared(keys, prekeyed).data(),
                                     keys.size());
    }
    if (r == WS_RESULT_OK) {
        stage = Stage::Finish;
        // as the glue: a scheme that reads no body is finished at once
        if (ws_check_needs_body(check)) {
            r = feed(check, in.body, cuts);
        }
    }
    if (r == WS_RESULT_OK) {
        r = ws_check_finish(check);
    }

    ws_bytes_t t = ws_check_timestamp(check);
    Outcome out{r, stage, ws_check_key_index(check),
                std::string(reinterpret_cast<const char *>(t.data), t.len),
                ws_check_scheme(check)};
    ws_check_destroy(check);
    return out;
}

// ---- independent references -------------------------------------------

enum class Enc { HexLower, HexAnyCase, Base64 };

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

std::string encode(Enc enc, const unsigned char *mac, unsigned int len)
{
    static const char hex[] = "0123456789abcdef";
    std::string out;
    if (enc == Enc::Base64) {
        out.resize(4 * ((len + 2) / 3) + 1);
        int n = EVP_EncodeBlock(reinterpret_cast<unsigned char *>(&out[0]),
                                mac, static_cast<int>(len));
        out.resize(static_cast<std::size_t>(n));
        return out;
    }
    for (unsigned int i = 0; i < len; i++) {
        out += hex[mac[i] >> 4];
        out += hex[mac[i] & 0xf];
    }
    return out;
}

std::string hmac(const EVP_MD *md, Enc enc, std::string_view key,
                 const std::string &message)
{
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    FUZZ_ASSERT(HMAC(md, key.data(), static_cast<int>(key.size()),
                     reinterpret_cast<const unsigned char *>(message.data()),
                     message.size(), mac, &len) != nullptr);
    return encode(enc, mac, len);
}

using Headers = std::vector<std::pair<std::string, std::string>>;

struct Request {
    std::string_view ts;        // the timestamp signed (may be empty)
    std::string_view url;
    std::string_view body;      // as signed (an empty body as the sender signs it)
};

// A sender as its documentation describes it, written here without the
// scheme table: the message it signs and the headers it sends.
struct Reference {
    ws_scheme_e id;
    const EVP_MD *(*md)();
    Enc enc;
    bool body_required;         // the library refuses an empty body
    bool html_key;              // WooCommerce: only keys without '&' here
    bool timestamped;           // signs "ts" (unix seconds)
    std::string (*message)(const Request &);
    Headers (*headers)(std::string_view ts, const std::string &sig);
};

std::string body_only(const Request &r) { return std::string(r.body); }
std::string t_dot_body(const Request &r) { return std::string(r.ts) + "." + std::string(r.body); }
std::string t_colon_body(const Request &r) { return std::string(r.ts) + ":" + std::string(r.body); }
std::string v0_t_body(const Request &r) { return "v0:" + std::string(r.ts) + ":" + std::string(r.body); }
std::string url_body(const Request &r) { return std::string(r.url) + std::string(r.body); }

Headers one(const char *name, const std::string &value)
{
    return {{name, value}};
}

const Reference kReferences[] = {
    {WS_SCHEME_NOVU, EVP_sha256, Enc::HexAnyCase, false, false, true, t_dot_body,
     [](std::string_view ts, const std::string &s) {
         return one("Novu-Signature", "t=" + std::string(ts) + ",v1=" + s); }},
    {WS_SCHEME_NOTIFYKIT, EVP_sha256, Enc::HexAnyCase, false, false, true, t_dot_body,
     [](std::string_view ts, const std::string &s) {
         return Headers{{"X-Webhook-Timestamp", std::string(ts)},
                        {"X-Webhook-Signature", "t=" + std::string(ts) + ",v1=" + s}}; }},
    {WS_SCHEME_STRIPE, EVP_sha256, Enc::HexLower, true, false, true, t_dot_body,
     [](std::string_view ts, const std::string &s) {
         return one("Stripe-Signature", "t=" + std::string(ts) + ",v1=" + s); }},
    {WS_SCHEME_CALENDLY, EVP_sha256, Enc::HexLower, false, false, true, t_dot_body,
     [](std::string_view ts, const std::string &s) {
         return one("Calendly-Webhook-Signature", "t=" + std::string(ts) + ",v1=" + s); }},
    {WS_SCHEME_PADDLE, EVP_sha256, Enc::HexLower, false, false, true, t_colon_body,
     [](std::string_view ts, const std::string &s) {
         return one("Paddle-Signature", "ts=" + std::string(ts) + ";h1=" + s); }},
    {WS_SCHEME_SLACK, EVP_sha256, Enc::HexLower, false, false, true, v0_t_body,
     [](std::string_view ts, const std::string &s) {
         return Headers{{"X-Slack-Request-Timestamp", std::string(ts)},
                        {"X-Slack-Signature", "v0=" + s}}; }},
    {WS_SCHEME_ZOOM, EVP_sha256, Enc::HexLower, false, false, true, v0_t_body,
     [](std::string_view ts, const std::string &s) {
         return Headers{{"x-zm-request-timestamp", std::string(ts)},
                        {"x-zm-signature", "v0=" + s}}; }},
    {WS_SCHEME_GITHUB, EVP_sha256, Enc::HexLower, true, false, false, body_only,
     [](std::string_view, const std::string &s) { return one("X-Hub-Signature-256", "sha256=" + s); }},
    {WS_SCHEME_SHOPIFY, EVP_sha256, Enc::Base64, true, false, false, body_only,
     [](std::string_view, const std::string &s) { return one("X-Shopify-Hmac-Sha256", s); }},
    {WS_SCHEME_PAGERDUTY, EVP_sha256, Enc::HexAnyCase, true, false, false, body_only,
     [](std::string_view, const std::string &s) { return one("X-PagerDuty-Signature", "v1=" + s); }},
    {WS_SCHEME_SENTRY, EVP_sha256, Enc::HexLower, false, false, false, body_only,
     [](std::string_view, const std::string &s) { return one("Sentry-Hook-Signature", s); }},
    {WS_SCHEME_BITBUCKET, EVP_sha256, Enc::HexLower, false, false, false, body_only,
     [](std::string_view, const std::string &s) { return one("X-Hub-Signature", "sha256=" + s); }},
    {WS_SCHEME_JIRA, EVP_sha256, Enc::HexLower, false, false, false, body_only,
     [](std::string_view, const std::string &s) { return one("X-Hub-Signature", "sha256=" + s); }},
    {WS_SCHEME_TYPEFORM, EVP_sha256, Enc::Base64, false, false, false, body_only,
     [](std::string_view, const std::string &s) { return one("Typeform-Signature", "sha256=" + s); }},
    {WS_SCHEME_INTERCOM, EVP_sha1, Enc::HexLower, false, false, false, body_only,
     [](std::string_view, const std::string &s) { return one("X-Hub-Signature", "sha1=" + s); }},
    {WS_SCHEME_VERCEL, EVP_sha1, Enc::HexLower, false, false, false, body_only,
     [](std::string_view, const std::string &s) { return one("x-vercel-signature", s); }},
    {WS_SCHEME_WOOCOMMERCE, EVP_sha256, Enc::Base64, false, true, false, body_only,
     [](std::string_view, const std::string &s) { return one("X-WC-Webhook-Signature", s); }},
    {WS_SCHEME_SQUARE, EVP_sha256, Enc::Base64, false, false, false, url_body,
     [](std::string_view, const std::string &s) { return one("X-Square-HmacSha256-Signature", s); }},
};

// The reference for the input's scheme (hmac: from its parameters, filled
// into *custom); nullptr if none.
const Reference *reference_for(ws_scheme_e id, const fuzz::Input &in,
                               Reference *custom)
{
    if (id == WS_SCHEME_HMAC) {
        *custom = {WS_SCHEME_HMAC, EVP_sha256, Enc::HexAnyCase, false, false,
                   false, body_only, nullptr};
        if (in.hmac_algorithm == "sha1") {
            custom->md = EVP_sha1;
        } else if (in.hmac_algorithm == "sha512") {
            custom->md = EVP_sha512;
        }
        if (in.hmac_encoding == "base64") {
            custom->enc = Enc::Base64;
        }
        return custom;
    }
    for (const Reference &r : kReferences) {
        if (r.id == id) {
            return &r;
        }
    }
    return nullptr;
}

bool some_header_carries(const std::vector<fuzz::Header> &headers, Enc enc,
                         const std::string &needle)
{
    for (const fuzz::Header &h : headers) {
        std::string_view value(reinterpret_cast<const char *>(h.value.begin()),
                               h.value.size());
        std::string text = enc == Enc::HexAnyCase ? lower(value)
                                                  : std::string(value);
        if (text.find(needle) != std::string::npos) {
            return true;
        }
    }
    return false;
}

std::string_view view(const fuzz::Block &b)
{
    return {reinterpret_cast<const char *>(b.begin()), b.size()};
}

// A copy of the input with other headers and body.
fuzz::Input with(const fuzz::Input &in, const Headers &headers,
                 std::string_view body)
{
    fuzz::Input out;
    out.scheme = in.scheme;
    out.now_ms = in.now_ms;
    out.tolerance_ms = in.tolerance_ms;
    out.has_request = in.has_request;
    out.method = fuzz::Block(view(in.method));
    out.url = fuzz::Block(view(in.url));
    out.hmac_header = in.hmac_header;
    out.hmac_prefix = in.hmac_prefix;
    out.hmac_algorithm = in.hmac_algorithm;
    out.hmac_encoding = in.hmac_encoding;
    for (const auto &h : headers) {
        out.headers.push_back({fuzz::Block(h.first), fuzz::Block(h.second)});
    }
    for (const fuzz::Block &s : in.secrets) {
        out.secrets.emplace_back(view(s));
    }
    out.splits = in.splits;
    out.body = body;
    return out;
}

// Signs the input's body with one of its secrets as the sender would, and
// checks that the core agrees; then changes one body byte.
void signed_roundtrip(const ws_scheme_t *scheme, const fuzz::Input &in,
                      const Reference &ref)
{
    std::size_t n = in.secrets.size();
    // a clock the core takes as one (timestamps saturate at 2^60 ms)
    if (n == 0 || in.now_ms >= (INT64_C(1) << 59) || !all_keys(scheme, in)) {
        return;
    }
    std::size_t signer = in.splits.size() % n;
    std::string_view key = view(in.secrets[signer]);
    if (ref.html_key) {
        for (const fuzz::Block &s : in.secrets) {
            if (view(s).find('&') != std::string_view::npos) {
                return;
            }
        }
    }

    // a fresh timestamp: now, in seconds (never stale); novu's and
    // notifykit's read 13 digits or more as milliseconds
    bool auto_unit = in.scheme == WS_SCHEME_NOVU || in.scheme == WS_SCHEME_NOTIFYKIT;
    std::string ts = std::to_string(in.now_ms / 1000);
    if (auto_unit && ts.size() >= 13) {
        ts = std::to_string(in.now_ms);
    }
    std::string body(in.body);
    std::string signed_body = body.empty() && in.scheme == WS_SCHEME_NOVU
                              ? "{}" : body;
    std::string message = ref.message({ts, view(in.url), signed_body});
    std::string sig = hmac(ref.md(), ref.enc, key, message);
    // the first secret that keys the same HMAC verifies: not only the same
    // text (HMAC pads a short key with zero bytes, so "k" and "k\0" agree)
    std::size_t first = signer;
    for (std::size_t i = 0; i < signer; i++) {
        if (hmac(ref.md(), ref.enc, view(in.secrets[i]), message) == sig) {
            first = i;
            break;
        }
    }
    Headers headers = ref.headers != nullptr
        ? ref.headers(ts, sig)
        : Headers{{std::string(in.hmac_header), std::string(in.hmac_prefix) + sig}};
    if (ref.id == WS_SCHEME_HMAC && !webhook::is_header_text(in.hmac_prefix)) {
        return;     // ws_scheme_hmac_create refused it already
    }

    fuzz::Input good = with(in, headers, body);
    std::vector<ws_key_t *> prekeyed = prekey(scheme, good);
    Outcome ok = verify(scheme, good, good.splits, prekeyed);
    Outcome ok_whole = verify(scheme, good, {}, {});
    for (ws_key_t *k : prekeyed) {
        ws_key_destroy(k);
    }
    FUZZ_ASSERT(ok.result == ok_whole.result && ok.key_index == ok_whole.key_index);
    if (body.empty() && ref.body_required) {
        FUZZ_ASSERT(ok.result == WS_RESULT_MALFORMED);
        return;
    }
    FUZZ_ASSERT(ok.result == WS_RESULT_OK);
    FUZZ_ASSERT(ok.key_index == first + 1);

    if (body.empty()) {
        return;
    }
    std::size_t at = (in.splits.empty() ? 0 : in.splits[0]) % body.size();
    body[at] = static_cast<char>(body[at] ^ 0x20);
    fuzz::Input forged = with(in, headers, body);
    Outcome bad = verify(scheme, forged, forged.splits, {});
    FUZZ_ASSERT(bad.result == WS_RESULT_MISMATCH);
    FUZZ_ASSERT(bad.key_index == 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data,
                                      std::size_t size)
{
    fuzz::Input in = fuzz::parse(data, size);

    if (in.scheme == WS_SCHEME_OFF || in.secrets.size() > kMaxSecrets) {
        return 0;
    }
    fuzz::SchemeHandle handle(in);
    if (handle.get() == nullptr) {
        return 0;
    }
    const ws_scheme_t *scheme = handle.get();

    std::vector<ws_key_t *> prekeyed = prekey(scheme, in);
    Outcome split = verify(scheme, in, in.splits, prekeyed);
    Outcome again = verify(scheme, in, in.splits, prekeyed);   // the same keys again
    Outcome whole = verify(scheme, in, {}, {});
    for (ws_key_t *key : prekeyed) {
        ws_key_destroy(key);
    }

    FUZZ_ASSERT(again.result == split.result);
    FUZZ_ASSERT(again.key_index == split.key_index);

    FUZZ_ASSERT(split.result == whole.result);
    FUZZ_ASSERT(split.stage == whole.stage);
    FUZZ_ASSERT(split.key_index == whole.key_index);
    FUZZ_ASSERT(split.timestamp == whole.timestamp);
    FUZZ_ASSERT(split.result != WS_RESULT_ERROR);

    const webhook::Scheme *row = webhook::find_scheme(split.scheme);
    FUZZ_ASSERT(row != nullptr);
    ws_result_e r = split.result;

    switch (split.stage) {
    case Stage::Headers:
        FUZZ_ASSERT(r == WS_RESULT_MISSING || r == WS_RESULT_MALFORMED
                    || r == WS_RESULT_STALE);
        break;
    case Stage::Begin:
        FUZZ_ASSERT(r == WS_RESULT_NO_SECRET);
        break;
    case Stage::Finish:
        FUZZ_ASSERT(r == WS_RESULT_OK || r == WS_RESULT_MISMATCH
                    || (r == WS_RESULT_MALFORMED && in.body.empty()
                        && row->special == webhook::Special::BodyRequired)
                    || ((r == WS_RESULT_MALFORMED || r == WS_RESULT_STALE)
                        && row->special == webhook::Special::TimestampInBody));
        break;
    }
    if (split.stage != Stage::Headers) {
        // keyed exactly when every secret can be a key of the scheme
        FUZZ_ASSERT((r == WS_RESULT_NO_SECRET) == !all_keys(scheme, in));
    }

    if (r != WS_RESULT_OK) {
        FUZZ_ASSERT(split.key_index == 0);
        FUZZ_ASSERT(ws_error_body(split.scheme, r) != nullptr);
    } else {
        FUZZ_ASSERT(split.key_index >= 1 && split.key_index <= in.secrets.size());
        for (const fuzz::Block &secret : in.secrets) {
            FUZZ_ASSERT(secret.size() > 0);
        }
        if (row->special == webhook::Special::TimestampInBody) {
            // Linear: the timestamp is digits out of the body
            FUZZ_ASSERT(!split.timestamp.empty()
                        && split.timestamp.find_first_not_of("0123456789")
                           == std::string::npos
                        && in.body.find(split.timestamp) != std::string_view::npos);
        }
    }

    Reference custom;
    const Reference *ref = reference_for(split.scheme, in, &custom);
    if (ref != nullptr && r == WS_RESULT_OK
        && !(ref->html_key
             && view(in.secrets[split.key_index - 1]).find('&')
                != std::string_view::npos))
    {
        std::string_view body = in.body;
        if (body.empty() && split.scheme == WS_SCHEME_NOVU) {
            body = "{}";
        }
        std::string sig = hmac(ref->md(), ref->enc,
                               view(in.secrets[split.key_index - 1]),
                               ref->message({split.timestamp, view(in.url), body}));
        FUZZ_ASSERT(some_header_carries(in.headers, ref->enc, sig));
    }
    // auto is judged as the scheme it resolved to: sign for that one
    if (ref != nullptr && in.scheme != WS_SCHEME_AUTO) {
        signed_roundtrip(scheme, in, *ref);
    }
    return 0;
}
