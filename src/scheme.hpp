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

struct Scheme {
    ws_scheme_e      id;
    std::string_view name;
    HeaderName       signature;
    SignatureSyntax  syntax;
    HeaderName       timestamp;          // a header of its own, if any
    HeaderName       delivery_id;
    // What is signed: literal text and {ts}, {id}, {body}, {method},
    // {url}; {body} at most once.
    std::string_view message;
    Algorithm        algorithm;
    Encoding         encoding;
    KeyFormat        key_format;
    TimeFormat       time_format;
    std::int64_t     tolerance_ms;       // the sender's; WS_TOLERANCE_OFF
    std::string_view empty_body;         // what an empty body is signed as
    Special          special;
    const ErrorBodies *errors;

    bool signs_url() const;
    bool sent_by(const RequestHeaders &headers) const;
    bool watch_headers(RequestHeaders &headers) const;
    const char *error_body(ws_result_e result) const;
};

// The generic body-only HMAC, configured per location.
struct CustomScheme : Scheme {
    std::string header;
    std::string prefix;
};

// NULL for WS_SCHEME_OFF, WS_SCHEME_HMAC and unknown ids.
const Scheme *find_scheme(ws_scheme_e id);
// By the name webhook_signature takes; NULL if none.
const Scheme *find_scheme(std::string_view name);

// The schemes WS_SCHEME_AUTO chooses from, in the order it prefers them.
const Scheme *const *auto_schemes(std::size_t &n);

struct ParsedSignature {
    std::string_view   timestamp;     // exactly as sent
    std::string_view   delivery_id;
    std::string_view   token;         // Syntax::Token: the header's value
    SmallVector<Bytes, 4> candidates;  // every signature the request offers
};

// WS_RESULT_OK, WS_RESULT_MISSING or WS_RESULT_MALFORMED.
ws_result_e parse_signature(const Scheme &scheme,
                            const RequestHeaders &headers,
                            ParsedSignature &out);

// The size every signature of the algorithm decodes to; 0 if it varies.
std::size_t signature_size(Algorithm algorithm);

}  // namespace webhook

#endif
