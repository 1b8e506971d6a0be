// SPDX-License-Identifier: BSD-2-Clause
//
// A signature scheme is a row of data: where the signature is and how its
// header reads, which headers carry the timestamp and the delivery id, what
// is signed (a template over them, the body, the method and the URL), the
// algorithm, the encodings of signatures and keys, the timestamp format and
// the sender's tolerance.  What data cannot say is a named special case
// (Twilio's form parameters, Linear's timestamp in the body).  Adding a
// sender means adding a row.

#ifndef WEBHOOK_SIGNATURE_SCHEME_HPP
#define WEBHOOK_SIGNATURE_SCHEME_HPP

#include "encoding.hpp"
#include "hmac.hpp"
#include "small_vector.hpp"
#include "key.hpp"
#include "request_headers.hpp"
#include "timestamp.hpp"
#include "webhook_signature.h"

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace webhook {

// A header, and the older or alternative name read when it is absent;
// lowercase, empty if none.
struct HeaderName {
    std::string_view name;
    std::string_view fallback;

    bool none() const { return name.empty(); }
};

enum class Syntax {
    KeyValueList,   // t=<ts>,v1=<sig>[,v1=<sig>...]; ';' for Paddle
    VersionedList,  // v1,<sig>[ v1,<sig>...] (Standard Webhooks)
    Prefixed,       // <prefix><sig>, the prefix possibly empty
    Token,          // the value is the secret itself (GitLab)
};

struct SignatureSyntax {
    Syntax           syntax;
    char             separator;       // KeyValueList: ',' or ';'
    std::string_view timestamp_key;   // KeyValueList: "t", "ts"; or empty
    std::string_view signature_key;   // "v1", "h1"; the version; the prefix
    // Every part must parse and every signature decode (SPEC, for Novu and
    // NotifyKit); otherwise parts and signatures that cannot match are
    // skipped, as the senders' libraries skip them.
    bool             strict;
};

enum class Special {
    None,
    TimestampHeaderEqualsKey,   // NotifyKit: t= repeats X-Webhook-Timestamp
    TwilioParameters,           // URL + sorted form parameters, bodySHA256
    TimestampInBody,            // Linear: the body's "webhookTimestamp"
    BodyRequired,               // the sender's library refuses an empty body
};

// The JSON body sent for each failed result when no error_page applies.
struct ErrorBodies {
    const char *missing;
    const char *malformed;
    const char *stale;
    const char *mismatch;
    const char *no_secret;
    const char *replay;
    const char *inflight;
    const char *zone_full;
};

// What a signed message is made of, in order: literal text, a value of
// the request, the body.
enum class Part : unsigned char {
    Text, Timestamp, DeliveryId, Method, Url, Body,
};

struct Piece {
    Part             part;
    std::string_view text;          // Part::Text only
};

// A row's template ("{ts}.{body}": literal text and {ts}, {id}, {method},
// {url}, {body} at most once), taken apart when the table is built, so that
// a request only looks the values up.  A template that cannot be taken
// apart does not compile (the throw in a constant expression).
struct MessageTemplate {
    static constexpr std::size_t kMaxPieces = 8;

    std::string_view text;
    Piece            pieces[kMaxPieces] = {};
    std::size_t      size = 0;
    std::size_t      body = kMaxPieces;     // where {body} is, if anywhere
    unsigned         parts = 0;             // bit n: a piece of Part n

    constexpr MessageTemplate() = default;

    template <std::size_t N>
    constexpr MessageTemplate(const char (&literal)[N])   // NOLINT: a row
        : text(literal, N - 1)
    {
        std::string_view rest = text;
        while (!rest.empty()) {
            if (size == kMaxPieces) {
                throw "a template of more than 8 pieces";
            }
            std::size_t open = rest.find('{');
            if (open != 0) {
                add({ Part::Text, rest.substr(0, open) });
                rest.remove_prefix(open == rest.npos ? rest.size() : open);
                continue;
            }
            std::size_t close = rest.find('}');
            std::string_view name = rest.substr(1, close - 1);
            Part part = name == "ts"     ? Part::Timestamp
                      : name == "id"     ? Part::DeliveryId
                      : name == "method" ? Part::Method
                      : name == "url"    ? Part::Url
                      : name == "body"   ? Part::Body
                      : throw "an unknown name in a template";
            if (part == Part::Body) {
                if (body != kMaxPieces) {
                    throw "{body} twice in a template";
                }
                body = size;
            }
            add({ part, {} });
            rest.remove_prefix(close + 1);
        }
    }

    constexpr bool has(Part part) const
    {
        return (parts >> static_cast<unsigned>(part) & 1) != 0;
    }

private:
    constexpr void add(Piece piece)
    {
        pieces[size++] = piece;
        parts |= 1u << static_cast<unsigned>(piece.part);
    }
};

struct Scheme {
    ws_scheme_e      id;
    std::string_view name;
    HeaderName       signature;
    SignatureSyntax  syntax;
    HeaderName       timestamp;          // a header of its own, if any
    HeaderName       delivery_id;
    MessageTemplate  message;            // what is signed
    Algorithm        algorithm;
    Encoding         encoding;
    KeyFormat        key_format;
    TimeFormat       time_format;
    std::int64_t     tolerance_ms;       // the sender's; WS_TOLERANCE_OFF
    std::string_view empty_body;         // what an empty body is signed as
    Special          special;
    const ErrorBodies *errors;

    // the headers a check of this scheme watches (watched()), when not the
    // table's own: a CustomScheme's
    const WatchedHeaders *watch_set = nullptr;

    bool signs_url() const { return message.has(Part::Url); }
    // Whether parsing the signature header checks every byte it accepts
    // (hex signatures, a prefix or keys matched exactly, a timestamp read
    // in its format), so that only the bytes it would skip (an unknown
    // part) need the header-text check.
    bool parse_checks_text() const;
    bool sent_by(const RequestHeaders &headers) const;
    // Every header a check of this scheme reads (under auto, those of
    // every scheme it chooses from): made once, copied into each check.
    // NULL if they do not fit (a mistake in the table: unit tests).
    const WatchedHeaders *watched() const;
    bool watch_headers(WatchedHeaders &headers) const;
    const char *error_body(ws_result_e result) const;
};

// The generic body-only HMAC, configured per location.
struct CustomScheme : Scheme {
    std::string    header;
    std::string    prefix;
    WatchedHeaders watched_headers;
};

extern const std::string_view kContentType;

// NULL for WS_SCHEME_OFF, WS_SCHEME_HMAC and unknown ids.
const Scheme *find_scheme(ws_scheme_e id);
// By the name webhook_signature takes; NULL if none.
const Scheme *find_scheme(std::string_view name);

// The schemes WS_SCHEME_AUTO chooses from, in the order it prefers them.
const Scheme *const *auto_schemes(std::size_t &n);

struct ParsedSignature {
    std::string_view   timestamp;     // exactly as sent
    Timestamp          time;          // its value, when the format has one
    std::string_view   delivery_id;
    std::string_view   token;         // Syntax::Token: the header's value
    SmallVector<Bytes, 4> candidates;  // every signature the request offers

    void clear()
    {
        timestamp = delivery_id = token = {};
        time = {};
        candidates.clear();
    }
};

// WS_RESULT_OK, WS_RESULT_MISSING or WS_RESULT_MALFORMED.
ws_result_e parse_signature(const Scheme &scheme,
                            const RequestHeaders &headers,
                            ParsedSignature &out);

// The size every signature of the algorithm decodes to; 0 if it varies.
inline std::size_t signature_size(Algorithm algorithm)
{
    switch (algorithm) {
    case Algorithm::HmacSha1:        return digest_size(HashAlgorithm::Sha1);
    case Algorithm::HmacSha256:      return digest_size(HashAlgorithm::Sha256);
    case Algorithm::HmacSha512:      return digest_size(HashAlgorithm::Sha512);
    case Algorithm::Ed25519:         return 64;
    case Algorithm::EcdsaP256Sha256: return 0;    // DER: 8 to 72 bytes
    case Algorithm::Token:           return 0;
    }
    return 0;
}

}  // namespace webhook

#endif
