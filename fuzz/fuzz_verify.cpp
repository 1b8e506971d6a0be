// SPDX-License-Identifier: BSD-2-Clause
//
// libFuzzer target: the whole verification as the glue drives it (headers,
// then begin with the secrets, the body fed in pieces cut at offsets taken
// from the input, finish); see fuzz_input.hpp for the input format.
//
// Properties checked on every input:
// - cutting the body anywhere, and pre-keying secrets (ws_key_create, as the
//   glue does for secrets without variables), changes nothing: result and
//   key index equal those of the body fed in one piece with every secret
//   keyed per check;
// - no forged request passes: when the result is ok, the secret it names
//   really signs "<t>.<body>" (independently computed with OpenSSL's one-shot
//   HMAC(); "{}" for an empty novu body) and that hex signature is in a
//   header as "v1=<hex>";
// - an empty secret, or none, is no_secret, never a pass.

#include "fuzz_input.hpp"

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <string>

namespace {

constexpr std::size_t kMaxSecrets = 16;

struct Outcome {
    ws_result_e result;
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
// so checks mix pre-keyed secrets and secrets keyed per check.
std::vector<ws_key_t *> prekey(const fuzz::Input &in)
{
    std::vector<ws_key_t *> keys;
    for (std::size_t i = 0; i < in.secrets.size(); i++) {
        bool keyed = in.secrets[i].size() > 0
                     && (i + in.splits.size()) % 2 == 0;
        keys.push_back(keyed ? ws_key_create(ws_scheme_get(in.scheme),
                                             in.secrets[i].bytes(), nullptr)
                             : nullptr);
        FUZZ_ASSERT(!keyed || keys.back() != nullptr);
    }
    return keys;
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

Outcome verify(const fuzz::Input &in, const std::vector<std::size_t> &cuts,
               const std::vector<ws_key_t *> &prekeyed)
{
    ws_check_t *check = ws_check_create(ws_scheme_get(in.scheme));
    FUZZ_ASSERT(check != nullptr);
    fuzz::add_headers(check, in);

    std::vector<ws_bytes_t> keys;
    for (const fuzz::Block &secret : in.secrets) {
        keys.push_back(secret.bytes());
    }

    ws_result_e r = ws_check_headers(check, in.now_ms, in.tolerance_ms);
    if (r == WS_RESULT_OK) {
        r = prekeyed.empty()
            ? ws_check_begin(check, keys.data(), keys.size())
            : ws_check_begin_secrets(check, prepared(keys, prekeyed).data(),
                                     keys.size());
    }
    if (r == WS_RESULT_OK) {
        r = feed(check, in.body, cuts);
    }
    if (r == WS_RESULT_OK) {
        r = ws_check_finish(check);
    }

    ws_bytes_t t = ws_check_timestamp(check);
    Outcome out{r, ws_check_key_index(check),
                std::string(reinterpret_cast<const char *>(t.data), t.len),
                ws_check_scheme(check)};
    ws_check_destroy(check);
    return out;
}

std::string lower(std::string_view s)
{
    std::string out(s);
    for (char &c : out) {
        if (c >= 'A' && c <= 'F') {
            c = static_cast<char>(c - 'A' + 'a');
        }
    }
    return out;
}

// "v1=" + lowercase hex of HMAC-SHA256(secret, t "." body).
std::string reference_signature(const fuzz::Block &secret,
                                const std::string &t, std::string_view body)
{
    static const char hex[] = "0123456789abcdef";
    std::string message = t + "." + std::string(body);
    unsigned char mac[EVP_MAX_MD_SIZE];
    unsigned int len = 0;

    FUZZ_ASSERT(HMAC(EVP_sha256(), secret.begin(), static_cast<int>(secret.size()),
                     reinterpret_cast<const unsigned char *>(message.data()),
                     message.size(), mac, &len) != nullptr);
    std::string out = "v1=";
    for (unsigned int i = 0; i < len; i++) {
        out += hex[mac[i] >> 4];
        out += hex[mac[i] & 0xf];
    }
    return out;
}

bool some_header_carries(const fuzz::Input &in, const std::string &needle)
{
    for (const fuzz::Header &h : in.headers) {
        std::string_view value(reinterpret_cast<const char *>(h.value.begin()),
                               h.value.size());
        if (lower(value).find(needle) != std::string::npos) {
            return true;
        }
    }
    return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data,
                                      std::size_t size)
{
    fuzz::Input in = fuzz::parse(data, size);

    if (in.scheme == WS_SCHEME_OFF || in.secrets.size() > kMaxSecrets) {
        return 0;
    }

    std::vector<ws_key_t *> prekeyed = prekey(in);
    Outcome split = verify(in, in.splits, prekeyed);
    Outcome again = verify(in, in.splits, prekeyed);   // the same keys again
    Outcome whole = verify(in, {}, {});
    for (ws_key_t *key : prekeyed) {
        ws_key_destroy(key);
    }

    FUZZ_ASSERT(again.result == split.result);
    FUZZ_ASSERT(again.key_index == split.key_index);

    FUZZ_ASSERT(split.result == whole.result);
    FUZZ_ASSERT(split.key_index == whole.key_index);
    FUZZ_ASSERT(split.result != WS_RESULT_ERROR);

    bool empty_secret = in.secrets.empty();
    for (const fuzz::Block &secret : in.secrets) {
        empty_secret = empty_secret || secret.size() == 0;
    }

    if (split.result == WS_RESULT_OK) {
        FUZZ_ASSERT(!empty_secret);
        FUZZ_ASSERT(split.key_index >= 1 && split.key_index <= in.secrets.size());
        std::string_view body = in.body;
        if (body.empty() && split.scheme == WS_SCHEME_NOVU) {
            body = "{}";
        }
        FUZZ_ASSERT(some_header_carries(in, reference_signature(
            in.secrets[split.key_index - 1], split.timestamp, body)));
    } else {
        FUZZ_ASSERT(split.key_index == 0);
    }
    if (split.result == WS_RESULT_MISMATCH) {
        FUZZ_ASSERT(!empty_secret);
    }
    return 0;
}
