// SPDX-License-Identifier: BSD-2-Clause
//
// The C API: one ws_check_t per request, driven by the nginx glue.
//
// A check turns the scheme's row into the message it signs: the pieces of
// the template before {body} are fed when the check begins, the body as it
// arrives, the pieces after it when it finishes.  Each algorithm takes the
// message its own way: HMACs stream it (one per secret), ECDSA streams its
// SHA-256 digest, Ed25519 needs it whole (a copy: PureEdDSA hashes the
// message twice), a token needs none.  Twilio's form parameters and
// Linear's timestamp need the body whole too.

#include "webhook_signature.h"

#include "hmac.hpp"
#include "key.hpp"
#include "key_cache.hpp"
#include "message.hpp"
#include "request_headers.hpp"
#include "scheme.hpp"
#include "timestamp.hpp"

#include <openssl/crypto.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <array>
#include <memory>
#include <new>
#include <string>
#include <string_view>
#include <vector>

using webhook::Algorithm;
using webhook::Bytes;
using webhook::Hash;
using webhook::HashAlgorithm;
using webhook::Hmac;
using webhook::Key;
using webhook::ParsedSignature;
using webhook::RequestHeaders;
using webhook::Scheme;
using webhook::SmallVector;
using webhook::Special;

struct ws_key_s {
    Key  key;
};

namespace {

std::string_view view(ws_bytes_t bytes)
{
    return {reinterpret_cast<const char *>(bytes.data), bytes.len};
}

const Scheme *row(const ws_scheme_t *scheme)
{
    return reinterpret_cast<const Scheme *>(scheme);
}

const ws_scheme_t *handle(const Scheme *scheme)
{
    return reinterpret_cast<const ws_scheme_t *>(scheme);
}

// The headers a scheme's checks read; NULL if they cannot be made.
const webhook::WatchedHeaders *watched_by(const ws_scheme_t *scheme)
{
    return scheme != nullptr ? row(scheme)->watched() : nullptr;
}

// Linear's body member that carries the timestamp.
constexpr std::string_view kLinearTimestamp = "webhookTimestamp";
using webhook::kContentType;
constexpr std::string_view kFormType = "application/x-www-form-urlencoded";

// A Content-Type of form parameters, with or without parameters of its own;
// spaces and tabs around it ignored (nginx keeps a tab, applications trim
// it).
bool is_form(std::string_view type)
{
    while (!type.empty() && (type.front() == ' ' || type.front() == '\t')) {
        type.remove_prefix(1);
    }
    while (!type.empty() && (type.back() == ' ' || type.back() == '\t')) {
        type.remove_suffix(1);
    }
    if (type.size() < kFormType.size()) {
        return false;
    }
    for (std::size_t i = 0; i < kFormType.size(); i++) {
        char c = type[i];
        if ((c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c) != kFormType[i]) {
            return false;
        }
    }
    std::string_view rest = type.substr(kFormType.size());
    return rest.empty() || rest[0] == ';' || rest[0] == ' '
           || rest[0] == '\t';
}

// A template's piece into the joined ones: most are a byte or a
// timestamp, copied with two overlapping loads and stores (a call to
// memcpy costs more than the copy); longer ones with memcpy.
void copy_short(char *to, std::string_view piece)
{
    const char *from = piece.data();
    std::size_t n = piece.size();

    if (n >= 8 && n <= 16) {
        std::uint64_t head, tail;
        std::memcpy(&head, from, 8);
        std::memcpy(&tail, from + n - 8, 8);
        std::memcpy(to, &head, 8);
        std::memcpy(to + n - 8, &tail, 8);
    } else if (n < 8) {
        for (std::size_t i = 0; i < n; i++) {
            to[i] = from[i];
        }
    } else {
        std::memcpy(to, from, n);
    }
}

// Twilio's query parameter for a JSON body's digest.
constexpr std::string_view kTwilioBodyDigest = "bodySHA256";
// The most of a body kept whole (Ed25519, Twilio's form, Linear); a larger
// one does not verify.  Those senders' bodies are a few KiB.
constexpr std::size_t kMaxKeptMessage = 1024 * 1024;

}  // namespace


struct ws_check_s {
    const Scheme            *configured;
    const Scheme            *scheme = nullptr;     // resolved by headers()
    RequestHeaders           headers;
    ParsedSignature          parsed;
    std::string_view         method;
    std::string_view         url;
    std::int64_t             now_ms = 0;
    std::int64_t             tolerance_ms = WS_TOLERANCE_OFF;

    SmallVector<const Key *, 2>       keys;        // one per secret
    // the keys of secrets from variables, shared with the worker's cache
    SmallVector<std::shared_ptr<const Key>, 2> own_keys;
    SmallVector<Hmac, 2>              macs;        // HMACs that stream
    Hash                     digest;               // ECDSA, Twilio bodySHA256
    bool                     digesting = false;
    std::string              message;              // kept whole if needed
    bool                     keeping = false;
    bool                     kept_too_long = false;
    std::string_view         body_digest_hex;      // Twilio's bodySHA256
    bool                     twilio_form = false;  // a form body, Twilio
    std::string              body_timestamp;       // Linear's, as sent
    unsigned long long       body_bytes = 0;
    std::size_t              key_index = 0;
    // what was verified, for replay records (ws_check_replay_keys(),
    // which makes keys of it only when asked): each secret's MAC, or the
    // one digest of the message a public key verified; or, when the
    // message was verified whole, the message itself (verified_whole)
    SmallVector<Bytes, 2>    verified;
    bool                     verified_whole = false;
    // the template's pieces on either side of the body, joined
    // (feed_pieces()); the request's own bytes, not wiped
    char                     joined[128];

    ws_check_s(const Scheme *s, const webhook::WatchedHeaders &watched)
        : configured(s), headers(watched) {}

    const Scheme &resolve_scheme() const;
    std::string_view value_of(const webhook::Piece &piece) const;
    inline bool feed(std::string_view bytes);
    __attribute__((noinline)) bool feed_others(std::string_view bytes);
    bool feed_pieces(std::size_t from, std::size_t to);
    bool start_message();
    ws_result_e verify_body_timestamp();
    ws_result_e judge();
    ws_result_e judge_twilio();
    void remember(const Bytes &verified);
    void remember_message();
    Bytes replay_key(std::size_t i) const;
    bool twilio_matches(const Key &key, std::string_view url,
                        std::string_view parameters, Bytes &computed);
    inline bool offered(const Bytes &mac) const;
    bool verifies(const Key &key, std::string_view message) const;
};


// Under auto the first scheme whose signature header came wins; with none,
// the request is judged (as missing) by the first scheme.
const Scheme &ws_check_s::resolve_scheme() const
{
    if (configured->id != WS_SCHEME_AUTO) {
        return *configured;
    }
    std::size_t n;
    const Scheme *const *list = webhook::auto_schemes(n);
    for (std::size_t i = 0; i < n; i++) {
        if (list[i]->sent_by(headers)) {
            return *list[i];
        }
    }
    return *list[0];
}

// A piece of the template, for this request.
std::string_view ws_check_s::value_of(const webhook::Piece &piece) const
{
    switch (piece.part) {
    case webhook::Part::Text:       return piece.text;
    case webhook::Part::Timestamp:  return parsed.timestamp;
    case webhook::Part::DeliveryId: return parsed.delivery_id;
    case webhook::Part::Method:     return method;
    case webhook::Part::Url:        return url;
    case webhook::Part::Body:       break;      // fed as it arrives
    }
    return {};
}

// Every piece of every message: the MACs here, what else takes the
// message (a digest, a copy) out of the way.
bool ws_check_s::feed(std::string_view bytes)
{
    for (Hmac &mac : macs) {
        if (!mac.update(bytes.data(), bytes.size())) {
            return false;
        }
    }
    return (!digesting && !keeping) || feed_others(bytes);
}

bool ws_check_s::feed_others(std::string_view bytes)
{
    if (digesting && !digest.update(bytes.data(), bytes.size())) {
        return false;
    }
    if (keeping) {
        if (message.size() + bytes.size() > kMaxKeptMessage) {
            kept_too_long = true;
        } else {
            message.append(bytes);
        }
    }
    return true;
}

// The template's pieces [from, to), the body excluded, joined where they
// fit so that each MAC takes them in one update instead of one per piece
// (they are short: a timestamp, a dot, an id); a piece too long for the
// room is fed as it is.
bool ws_check_s::feed_pieces(std::size_t from, std::size_t to)
{
    const webhook::MessageTemplate &message = scheme->message;
    std::size_t size = 0;

    for (std::size_t i = from; i < to && i < message.size; i++) {
        if (i == message.body) {
            continue;
        }
        std::string_view piece = value_of(message.pieces[i]);

        if (size + piece.size() > sizeof(joined)) {
            if (size != 0 && !feed({joined, size})) {
                return false;
            }
            size = 0;
            if (piece.size() > sizeof(joined)) {
                if (!feed(piece)) {
                    return false;
                }
                continue;
            }
        }
        copy_short(joined + size, piece);
        size += piece.size();
    }
    return size == 0 || feed({joined, size});
}

// Sets up what takes the message, and feeds it what precedes the body.
bool ws_check_s::start_message()
{
    Algorithm algorithm = scheme->algorithm;

    digesting = false;
    keeping = false;
    message.clear();

    if (algorithm == Algorithm::Token) {
        return true;
    }

    if (scheme->special == Special::TwilioParameters) {
        // twilio-node: a URL that names bodySHA256 (anywhere) binds a JSON
        // body by its digest, and the URL alone is signed; a form body's
        // parameters are signed after the URL, in an order known only
        // once all of them came.  Any other body no signature covers: it
        // does not verify (judge_twilio()).
        if (url.find(kTwilioBodyDigest) != std::string_view::npos) {
            webhook::query_parameter(url, kTwilioBodyDigest,
                                     body_digest_hex);
            digesting = digest.init(HashAlgorithm::Sha256);
            return digesting;
        }
        twilio_form = is_form(headers.get(kContentType).value);
        keeping = twilio_form;
        return true;
    }

    if (webhook::is_hmac(algorithm)) {
        for (const Key *key : keys) {
            if (!macs.emplace_back().init(key->hmac())) {
                return false;
            }
        }
    } else if (algorithm == Algorithm::EcdsaP256Sha256) {
        digesting = digest.init(HashAlgorithm::Sha256);
        if (!digesting) {
            return false;
        }
    } else {
        keeping = true;     // Ed25519
    }
    keeping = keeping || scheme->special == Special::TimestampInBody;

    // a template without {body} (twilio's, handled above) is fed whole
    return feed_pieces(0, scheme->message.body);
}

// Linear: the timestamp is the body's "webhookTimestamp" (milliseconds).
ws_result_e ws_check_s::verify_body_timestamp()
{
    std::string_view digits;
    // the signed body is kept whole for this scheme; feed() appended it
    std::string_view body(message);

    if (!webhook::json_top_level_integer(body, kLinearTimestamp, digits)) {
        return WS_RESULT_MALFORMED;
    }
    body_timestamp.assign(digits);
    parsed.timestamp = body_timestamp;

    return webhook::is_stale(scheme->time_format, parsed.timestamp, now_ms,
                             tolerance_ms)
           ? WS_RESULT_STALE : WS_RESULT_OK;
}

// Whether a finished MAC is any signature the request offers.  Every
// candidate is compared, whatever matched first, so that the time taken
// does not depend on which signature matched.
bool ws_check_s::offered(const Bytes &mac) const
{
    bool match = false;

    for (const Bytes &candidate : parsed.candidates) {
        match = webhook::bytes_equal(mac, candidate) || match;
    }
    return match;
}

// Whether a public key verifies any signature the request offers over
// message (every one tried, as above).
bool ws_check_s::verifies(const Key &key, std::string_view message) const
{
    bool match = false;

    for (const Bytes &candidate : parsed.candidates) {
        match = key.verify(candidate, message) || match;
    }
    return match;
}

// What a replay key is made of: each secret's MAC over what was verified
// (or the message a public key verified), so that neither which secret nor
// which of several signatures matched, nor how a signature was written,
// changes it.  Kept as it is; made a key only for a replay zone.
void ws_check_s::remember(const Bytes &mac)
{
    verified.push_back(mac);
}

void ws_check_s::remember_message()
{
    verified_whole = true;
}

// A MAC is a keyed PRF's output, unpredictable and already a digest: its
// first 32 bytes (zero-padded if shorter: HMAC-SHA1's 20) are the key, no
// further hash needed.  A message verified whole is digested.
Bytes ws_check_s::replay_key(std::size_t i) const
{
    if (verified_whole) {
        return webhook::sha256(message);
    }
    const Bytes &mac = verified[i];
    Bytes key;
    key.size = 32;
    key.data.fill(0);
    std::memcpy(key.data.data(), mac.data.data(),
                std::min<std::size_t>(mac.size, 32));
    return key;
}

// The MAC of one of Twilio's signed messages, a URL and the parameters
// after it, and whether it is a signature the request offers.
bool ws_check_s::twilio_matches(const Key &key, std::string_view url,
                                std::string_view parameters, Bytes &computed)
{
    Hmac mac;

    if (!mac.init(key.hmac())
        || !mac.update(url.data(), url.size())
        || !mac.update(parameters.data(), parameters.size())
        || !mac.finish(computed))
    {
        throw std::bad_alloc();     // reported as WS_RESULT_ERROR
    }
    return offered(computed);
}

// Twilio: the URL the sender called, as twilio-node tries it: as given,
// WHATWG-normalised, and with that URL's query re-encoded by Node's
// querystring, each with and without its port; then the form parameters.
// Or the URL alone, a JSON body bound by the URL's bodySHA256 (an empty
// body hashed as "{}", as twilio-node's middleware hashes it).
ws_result_e ws_check_s::judge_twilio()
{
    bool body_bound = true;
    bool json = digesting;

    if (json) {
        Bytes body_digest;
        if ((body_bytes == 0 && !digest.update("{}", 2))
            || !digest.finish(body_digest))
        {
            return WS_RESULT_ERROR;
        }
        digesting = false;
        body_bound = webhook::hex_lower(body_digest.view())
                     == body_digest_hex;
    } else if (!twilio_form && body_bytes != 0) {
        return WS_RESULT_MISMATCH;      // a body no signature covers
    }

    std::string parameters = json ? std::string()
                                  : webhook::twilio_form_parameters(message);

    // Variant by variant, every secret's MAC, up to the first variant one
    // of them verifies: the string the sender signed, however the copy
    // spells its URL, and the replay keys are the MACs over that one.
    // Each variant is a whole HMAC pass, made only if the ones before did
    // not verify (the URL as sent, first, verifies but behind a proxy that
    // rewrote it); one the same as an earlier one is not tried again.
    std::vector<Bytes> computed(keys.size());
    std::vector<std::string> tried;
    auto url_verifies = [&](std::string candidate) {
        // the URL as sent decides whether a body digest binds the body: a
        // variant that decodes "%62odySHA256" into the name must not
        // turn a JSON delivery's URL-only signature into one for any body
        if (candidate.empty()
            || (!json
                && candidate.find(kTwilioBodyDigest) != std::string::npos)
            || std::find(tried.begin(), tried.end(), candidate)
               != tried.end())
        {
            return false;
        }
        for (std::size_t i = 0; i < keys.size(); i++) {
            if (twilio_matches(*keys[i], candidate, parameters, computed[i])
                && body_bound && key_index == 0)
            {
                key_index = i + 1;
            }
        }
        tried.push_back(std::move(candidate));
        return key_index != 0;
    };

    // as given, WHATWG-normalised, that URL's query re-encoded; each with
    // and without its port
    std::string normalised;
    bool ok = url_verifies(std::string(url))
              || url_verifies(webhook::url_with_port_toggled(url))
              || url_verifies(normalised = webhook::url_normalised(url))
              || url_verifies(webhook::url_with_port_toggled(normalised))
              || url_verifies(normalised =
                                  webhook::url_query_restrung(normalised))
              || url_verifies(webhook::url_with_port_toggled(normalised));
    if (!ok) {
        return WS_RESULT_MISMATCH;
    }
    for (const Bytes &mac : computed) {
        remember(mac);
    }
    return WS_RESULT_OK;
}

// The verdict, once the whole message went in.
ws_result_e ws_check_s::judge()
{
    key_index = 0;
    verified.clear();
    verified_whole = false;

    if (kept_too_long) {
        return WS_RESULT_MISMATCH;
    }

    auto record = [this](std::size_t i, bool match) {
        if (match && key_index == 0) {
            key_index = i + 1;
        }
    };

    if (scheme->algorithm == Algorithm::Token) {
        for (std::size_t i = 0; i < keys.size(); i++) {
            record(i, keys[i]->token_matches(parsed.token));
        }

    } else if (scheme->special == Special::TwilioParameters) {
        return judge_twilio();

    } else if (!macs.empty()) {
        for (std::size_t i = 0; i < macs.size(); i++) {
            // finished where it is kept for the replay keys
            Bytes &computed = verified.emplace_back();
            if (!macs[i].finish(computed)) {
                verified.pop_back();
                return WS_RESULT_ERROR;
            }
            record(i, offered(computed));
        }

    } else if (digesting) {
        Bytes message_digest;
        if (!digest.finish(message_digest)) {
            return WS_RESULT_ERROR;
        }
        digesting = false;
        for (std::size_t i = 0; i < keys.size(); i++) {
            record(i, verifies(*keys[i], message_digest.view()));
        }
        remember(message_digest);

    } else {
        for (std::size_t i = 0; i < keys.size(); i++) {
            record(i, verifies(*keys[i], message));
        }
        remember_message();
    }

    return key_index != 0 ? WS_RESULT_OK : WS_RESULT_MISMATCH;
}


// ---- schemes ------------------------------------------------------------

namespace {

bool parse_algorithm(std::string_view text, Algorithm &out)
{
    if (text.empty() || text == "sha256") {
        out = Algorithm::HmacSha256;
    } else if (text == "sha1") {
        out = Algorithm::HmacSha1;
    } else if (text == "sha512") {
        out = Algorithm::HmacSha512;
    } else {
        return false;
    }
    return true;
}

bool parse_encoding(std::string_view text, webhook::Encoding &out)
{
    if (text.empty() || text == "hex") {
        out = webhook::Encoding::HexAnyCase;
    } else if (text == "base64") {
        out = webhook::Encoding::Base64;
    } else {
        return false;
    }
    return true;
}

// An HTTP field name (RFC 9110 token characters).
bool is_field_name(std::string_view name)
{
    if (name.empty()) {
        return false;
    }
    for (unsigned char c : name) {
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
                  || (c >= '0' && c <= '9')
                  || std::string_view("!#$%&'*+-.^_`|~").find(c)
                     != std::string_view::npos;
        if (!ok) {
            return false;
        }
    }
    return true;
}

}  // namespace

extern "C" {

int ws_scheme_find(ws_bytes_t name)
{
    if (view(name) == "off") {
        return WS_SCHEME_OFF;
    }
    const Scheme *found = webhook::find_scheme(view(name));
    return found != nullptr ? found->id : -1;
}

const ws_scheme_t *ws_scheme_get(ws_scheme_e id)
{
    if (id == WS_SCHEME_HMAC) {
        return nullptr;
    }
    return handle(webhook::find_scheme(id));
}

ws_scheme_t *ws_scheme_hmac_create(ws_bytes_t header, ws_bytes_t prefix,
    ws_bytes_t algorithm, ws_bytes_t encoding, const char **error)
{
    webhook::CustomScheme *custom =
        new (std::nothrow) webhook::CustomScheme();
    *error = nullptr;

    if (custom == nullptr) {
        return nullptr;
    }
    static_cast<Scheme &>(*custom) = *webhook::find_scheme(WS_SCHEME_HMAC);

    try {
        if (!is_field_name(view(header))) {
            *error = "\"header=\" must name a header";
        } else if (!webhook::is_header_text(view(prefix))) {
            *error = "\"prefix=\" must be printable ASCII";
        } else if (!parse_algorithm(view(algorithm), custom->algorithm)) {
            *error = "\"algorithm=\" must be sha1, sha256 or sha512";
        } else if (!parse_encoding(view(encoding), custom->encoding)) {
            *error = "\"encoding=\" must be hex or base64";
        }
        if (*error != nullptr) {
            delete custom;
            return nullptr;
        }

        for (char c : view(header)) {
            custom->header.push_back(c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c);
        }
        custom->prefix.assign(view(prefix));
    } catch (...) {
        delete custom;
        return nullptr;
    }

    custom->signature = { custom->header, {} };
    custom->syntax.signature_key = custom->prefix;
    if (!custom->watch_headers(custom->watched_headers)) {
        delete custom;
        return nullptr;
    }
    custom->watch_set = &custom->watched_headers;
    return reinterpret_cast<ws_scheme_t *>(static_cast<Scheme *>(custom));
}

void ws_scheme_hmac_destroy(ws_scheme_t *scheme)
{
    if (scheme != nullptr) {
        delete static_cast<webhook::CustomScheme *>(
            reinterpret_cast<Scheme *>(scheme));
    }
}

ws_scheme_e ws_scheme_id(const ws_scheme_t *scheme)
{
    return row(scheme)->id;
}

int64_t ws_scheme_tolerance(const ws_scheme_t *scheme)
{
    return row(scheme)->tolerance_ms;
}

uint64_t ws_scheme_header_lengths(const ws_scheme_t *scheme)
{
    const webhook::WatchedHeaders *watched = watched_by(scheme);
    return watched != nullptr ? watched->lengths() : 0;
}

uint64_t ws_scheme_header_initials(const ws_scheme_t *scheme)
{
    const webhook::WatchedHeaders *watched = watched_by(scheme);
    return watched != nullptr ? watched->initials() : 0;
}

int ws_scheme_signs_url(const ws_scheme_t *scheme)
{
    return row(scheme)->signs_url();
}

int ws_scheme_signs_message(const ws_scheme_t *scheme)
{
    return row(scheme)->algorithm != Algorithm::Token;
}

int ws_scheme_signs_delivery_id(const ws_scheme_t *scheme)
{
    return !row(scheme)->delivery_id.none();
}


// ---- checks -------------------------------------------------------------

namespace {

// The memory of destroyed checks, kept for the next ones, so that a
// request's check allocates nothing.  A check is always a new object: only
// its memory is reused, after its destructor ran (its keys and MAC states
// wiped).  One per process, not per thread: checks are made and destroyed
// by one thread at a time (webhook_signature.h), and a thread_local in a
// module nginx loads with dlopen() costs a __tls_get_addr() call on every
// access.
class CheckMemory {
public:
    ~CheckMemory()
    {
        while (count_ > 0) {
            ::operator delete(kept_[--count_]);
        }
    }

    void *take()
    {
        return count_ > 0 ? kept_[--count_]
                          : ::operator new(sizeof(ws_check_s), std::nothrow);
    }

    void give(void *memory)
    {
        if (count_ < kKept) {
            kept_[count_++] = memory;
        } else {
            ::operator delete(memory);
        }
    }

private:
    static constexpr std::size_t kKept = 16;
    void        *kept_[kKept] = {};
    std::size_t  count_ = 0;
};

CheckMemory check_memory;

}  // namespace

ws_check_t *ws_check_create(const ws_scheme_t *scheme)
{
    if (scheme == nullptr) {
        return nullptr;
    }

    void *memory = check_memory.take();
    if (memory == nullptr) {
        return nullptr;
    }
    const webhook::WatchedHeaders *watched = row(scheme)->watched();
    if (watched == nullptr) {
        check_memory.give(memory);
        return nullptr;
    }
    return new (memory) ws_check_s(row(scheme), *watched);
}

void ws_check_destroy(ws_check_t *check)
{
    if (check == nullptr) {
        return;
    }
    // a message kept whole is the request's own timestamp, URL and body,
    // no secret: nginx leaves its copies in its buffers as they are, and
    // so does the check (wiping 1 MiB costs what copying it does)
    check->~ws_check_s();
    check_memory.give(check);
}

void ws_check_set_request(ws_check_t *check, ws_bytes_t method,
    ws_bytes_t url)
{
    check->method = view(method);
    check->url = view(url);
}

void ws_check_add_header(ws_check_t *check, ws_bytes_t name, ws_bytes_t value)
{
    check->headers.offer(view(name), view(value));
}

ws_result_e ws_check_headers(ws_check_t *check, int64_t now_ms,
    int64_t tolerance_ms)
{
    try {
        check->scheme = &check->resolve_scheme();
        check->now_ms = now_ms;
        check->tolerance_ms = tolerance_ms;

        const Scheme &scheme = *check->scheme;
        ws_result_e result = webhook::parse_signature(scheme, check->headers,
                                                      check->parsed);
        if (result != WS_RESULT_OK) {
            return result;
        }
        if (scheme.special != Special::TimestampInBody
            && !check->parsed.timestamp.empty()
            && webhook::is_stale(check->parsed.time, now_ms, tolerance_ms))
        {
            return WS_RESULT_STALE;
        }
        return WS_RESULT_OK;

    } catch (...) {
        return WS_RESULT_ERROR;
    }
}

ws_key_t *ws_key_create(const ws_scheme_t *scheme, ws_bytes_t secret,
    const char **error)
{
    const char *why = nullptr;
    ws_key_t *key = new (std::nothrow) ws_key_s;

    if (key != nullptr) {
        try {
            why = key->key.init(row(scheme)->algorithm,
                                row(scheme)->key_format, view(secret));
        } catch (...) {
            why = "cannot be keyed (out of memory)";
        }
        if (why != nullptr) {
            delete key;
            key = nullptr;
        }
    }
    if (error != nullptr) {
        *error = why;
    }
    return key;
}

void ws_key_destroy(ws_key_t *key)
{
    delete key;
}

}  // extern "C"

// Both entry points key the check the same way; a secret comes either as
// bytes or as a prepared key.
namespace {

template <typename SecretAt>
ws_result_e begin_check(ws_check_t *check, size_t n, SecretAt secret_at)
{
    if (check->scheme == nullptr) {
        return WS_RESULT_ERROR;
    }
    if (n == 0) {
        return WS_RESULT_NO_SECRET;
    }

    try {
        const Scheme &scheme = *check->scheme;
        // the MACs before the keys they read at their finish
        check->macs.clear();
        check->keys.clear();
        check->own_keys.clear();

        for (size_t i = 0; i < n; i++) {
            ws_secret_t secret = secret_at(i);

            if (secret.key != nullptr) {
                check->keys.push_back(&secret.key->key);
                continue;
            }
            // a secret from a variable: keyed once per worker, then kept
            const char *why;
            std::shared_ptr<const Key> key = webhook::KeyCache::local().get(
                scheme.algorithm, scheme.key_format, view(secret.value), &why);
            if (key == nullptr) {
                return why != nullptr ? WS_RESULT_NO_SECRET : WS_RESULT_ERROR;
            }
            check->keys.push_back(key.get());
            check->own_keys.push_back(std::move(key));
        }

        return check->start_message() ? WS_RESULT_OK : WS_RESULT_ERROR;

    } catch (...) {
        return WS_RESULT_ERROR;
    }
}

}  // namespace

extern "C" {

ws_result_e ws_check_begin(ws_check_t *check, const ws_bytes_t *secrets,
    size_t n)
{
    return begin_check(check, n, [secrets](size_t i) {
        return ws_secret_t{secrets[i], nullptr};
    });
}

ws_result_e ws_check_begin_secrets(ws_check_t *check,
    const ws_secret_t *secrets, size_t n)
{
    return begin_check(check, n, [secrets](size_t i) { return secrets[i]; });
}

void ws_check_expect_body(ws_check_t *check, uint64_t length)
{
    if (!check->keeping) {
        return;
    }
    // what comes after the body (a template's last pieces) is short; and
    // the length is the client's word, before any signature verified: at
    // most 64 KiB is reserved on it (a larger body grows as it comes)
    constexpr std::size_t kRoom = 256;
    constexpr std::size_t kMaxReserved = 64 * 1024;
    std::size_t body = length < kMaxReserved ? length : kMaxReserved;
    try {
        check->message.reserve(check->message.size() + body + kRoom);
    } catch (...) {
        // only a hint: the message grows as it comes instead
    }
}

int ws_check_needs_body(const ws_check_t *check)
{
    const Scheme *scheme = check->scheme != nullptr ? check->scheme
                                                    : check->configured;
    return scheme->algorithm != Algorithm::Token;
}

ws_result_e ws_check_update(ws_check_t *check, const void *data, size_t len)
{
    try {
        if (!check->feed({static_cast<const char *>(data), len})) {
            return WS_RESULT_ERROR;
        }
    } catch (...) {
        return WS_RESULT_ERROR;
    }
    check->body_bytes += len;
    return WS_RESULT_OK;
}

ws_result_e ws_check_finish(ws_check_t *check)
{
    if (check->scheme == nullptr || check->keys.empty()) {
        return WS_RESULT_ERROR;
    }

    try {
        const Scheme &scheme = *check->scheme;

        if (check->body_bytes == 0 && scheme.special == Special::BodyRequired) {
            return WS_RESULT_MALFORMED;
        }
        if (check->body_bytes == 0 && !check->feed(scheme.empty_body)) {
            return WS_RESULT_ERROR;
        }
        if (scheme.special == Special::TimestampInBody) {
            ws_result_e result = check->verify_body_timestamp();
            if (result != WS_RESULT_OK) {
                return result;
            }
        }
        // (most templates end with the body: nothing to call for)
        const webhook::MessageTemplate &message = scheme.message;
        if (message.body + 1 < message.size
            && !check->feed_pieces(message.body + 1, message.size))
        {
            return WS_RESULT_ERROR;
        }
        return check->judge();

    } catch (...) {
        return WS_RESULT_ERROR;
    }
}

ws_scheme_e ws_check_scheme(const ws_check_t *check)
{
    return (check->scheme != nullptr ? *check->scheme
                                     : check->resolve_scheme()).id;
}

ws_bytes_t ws_check_timestamp(const ws_check_t *check)
{
    std::string_view t = check->parsed.timestamp;
    return {reinterpret_cast<const unsigned char *>(t.data()), t.size()};
}

size_t ws_check_key_index(const ws_check_t *check)
{
    return check->key_index;
}

size_t ws_check_replay_keys(const ws_check_t *check, unsigned char *out,
    size_t max)
{
    if (check->key_index == 0) {
        return 0;
    }
    // one key for a message verified whole, else one per secret's MAC
    std::size_t n = std::min<std::size_t>(
        max, check->verified_whole ? 1 : check->verified.size());
    for (std::size_t i = 0; i < n; i++) {
        Bytes key = check->replay_key(i);
        if (key.size != 32) {
            return 0;
        }
        std::memcpy(out + 32 * i, key.data.data(), 32);
    }
    return n;
}

size_t ws_check_delivery_keys(const ws_check_t *check, unsigned char *out,
    size_t max)
{
    std::string_view id = check->parsed.delivery_id;
    if (check->key_index == 0 || id.empty()) {
        return 0;
    }
    // each secret's MAC of "id", the scheme and the id, NUL-separated
    // (never a signed message, which ends with a body), then its digest
    std::string_view name = check->resolve_scheme().name;
    std::size_t n = std::min(max, check->keys.size());
    for (std::size_t i = 0; i < n; i++) {
        Hmac mac;
        Bytes computed;
        if (!webhook::is_hmac(check->keys[i]->algorithm())
            || !mac.init(check->keys[i]->hmac())
            || !mac.update("id", 3)
            || !mac.update(name.data(), name.size())
            || !mac.update("", 1)
            || !mac.update(id.data(), id.size())
            || !mac.finish(computed))
        {
            return 0;
        }
        std::memcpy(out + 32 * i, webhook::sha256(computed.view()).data.data(),
                    32);
    }
    return n;
}

ws_bytes_t ws_check_delivery_id(const ws_check_t *check)
{
    std::string_view id = check->parsed.delivery_id;
    return {reinterpret_cast<const unsigned char *>(id.data()), id.size()};
}

int ws_subscriber_hash(ws_bytes_t secret, ws_bytes_t subscriber_id,
    char out[64])
{
    webhook::HmacKey key;
    Hmac mac;
    Bytes digest;

    if (!key.init(HashAlgorithm::Sha256, view(secret))
        || !mac.init(key)
        || !mac.update(subscriber_id.data, subscriber_id.len)
        || !mac.finish(digest))
    {
        return 0;
    }

    static constexpr char kDigits[] = "0123456789abcdef";
    for (std::size_t i = 0; i < digest.size; i++) {
        out[2 * i] = kDigits[digest.data[i] >> 4];
        out[2 * i + 1] = kDigits[digest.data[i] & 0xf];
    }
    webhook::wipe_memory(digest.data.data(), digest.size);
    return 1;
}

const char *ws_scheme_name(ws_scheme_e scheme)
{
    if (scheme == WS_SCHEME_OFF) {
        return "off";
    }
    const Scheme *found = webhook::find_scheme(scheme);
    return found != nullptr ? found->name.data() : "unknown";
}

const char *ws_result_name(ws_result_e result)
{
    switch (result) {
    case WS_RESULT_NONE:      return "";
    case WS_RESULT_OK:        return "ok";
    case WS_RESULT_MISSING:   return "missing";
    case WS_RESULT_MALFORMED: return "malformed";
    case WS_RESULT_STALE:     return "stale";
    case WS_RESULT_MISMATCH:  return "mismatch";
    case WS_RESULT_NO_SECRET: return "no_secret";
    case WS_RESULT_ERROR:     return "error";
    case WS_RESULT_REPLAY:    return "replay";
    case WS_RESULT_INFLIGHT:  return "inflight";
    case WS_RESULT_ZONE_FULL: return "zone_full";
    }
    return "error";
}

const char *ws_error_body(ws_scheme_e scheme, ws_result_e result)
{
    const Scheme *found = webhook::find_scheme(scheme);
    return found != nullptr ? found->error_body(result) : nullptr;
}

}  // extern "C"
