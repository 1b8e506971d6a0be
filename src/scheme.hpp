// SPDX-License-Identifier: BSD-2-Clause
//
// A signature scheme is data (which headers, what an empty body is signed
// as, how errors look) plus a small parser that turns the headers into a
// ParsedSignature.  Adding a sender means adding one table entry.

#ifndef WEBHOOK_SIGNATURE_SCHEME_HPP
#define WEBHOOK_SIGNATURE_SCHEME_HPP

#include "hmac.hpp"
#include "request_headers.hpp"
#include "webhook_signature.h"

#include <string_view>
#include <vector>

namespace webhook {

struct ParsedSignature {
    std::string_view timestamp;          // exactly as sent
    std::vector<Mac> candidates;         // every signature the request offers
    std::string_view signed_prefix[2];   // fed to the MAC before the body
};

// The JSON body sent for each failed result when no error_page applies.
struct ErrorBodies {
    const char *missing;
    const char *malformed;
    const char *stale;
    const char *mismatch;
    const char *no_secret;
};

struct Scheme {
    ws_scheme_e      id;
    std::string_view name;
    std::string_view signature_header;    // lowercase
    std::string_view fallback_header;     // lowercase; empty if none
    std::string_view timestamp_header;    // lowercase; empty if none
    std::string_view empty_body;          // what an empty body is signed as

    // WS_RESULT_OK, WS_RESULT_MISSING or WS_RESULT_MALFORMED.  Called only
    // with headers the scheme watched.
    ws_result_e (*parse)(const Scheme &scheme, const RequestHeaders &headers,
                         ParsedSignature &out);

    ErrorBodies      errors;

    // Whether the request carries this scheme's signature header at all.
    bool sent_by(const RequestHeaders &headers) const;
    bool watch_headers(RequestHeaders &headers) const;
    const char *error_body(ws_result_e result) const;
};

// NULL for WS_SCHEME_OFF and WS_SCHEME_AUTO.
const Scheme *find_scheme(ws_scheme_e id);

// Parses "t=<decimal>,v1=<64 hex>[,v1=...]" with optional whitespace around
// the comma-separated parts; unknown keys are ignored.  Shared by every
// Stripe-style header.
ws_result_e parse_timestamped_header(std::string_view value,
                                     ParsedSignature &out);

}  // namespace webhook

#endif
