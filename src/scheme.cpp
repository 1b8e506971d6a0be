/* SPDX-License-Identifier: BSD-2-Clause */

#include "scheme.hpp"

namespace webhook {

namespace {

constexpr std::int64_t kOff = WS_TOLERANCE_OFF;

constexpr std::int64_t seconds(std::int64_t n) { return n * 1000; }
constexpr std::int64_t minutes(std::int64_t n) { return n * 60000; }

constexpr SignatureSyntax key_value_list(char separator,
                                         std::string_view timestamp_key,
                                         std::string_view signature_key,
                                         bool strict = false)
{
    return { Syntax::KeyValueList, separator, timestamp_key, signature_key,
             strict };
}

constexpr SignatureSyntax versioned_list(std::string_view version)
{
    return { Syntax::VersionedList, ' ', {}, version, false };
}

constexpr SignatureSyntax prefixed(std::string_view prefix)
{
    return { Syntax::Prefixed, 0, {}, prefix, false };
}

constexpr SignatureSyntax token()
{
    return { Syntax::Token, 0, {}, {}, false };
}

constexpr ErrorBodies kNovuErrors = {
    "{\"message\":\"Signature not found. Please provide a signature"
    " in the `novu-signature` header\","
    "\"code\":\"SignatureNotFoundError\"}",

    "{\"message\":\"Signature is invalid. Please provide a valid"
    " signature in the `novu-signature` header\","
    "\"code\":\"SignatureInvalidError\"}",

    "{\"message\":\"Signature expired. Please provide a signature"
    " with a timestamp within the allowed tolerance in the"
    " `novu-signature` header\","
    "\"code\":\"SignatureExpiredError\"}",

    "{\"message\":\"Signature does not match the expected signature."
    " Please ensure the signature provided in the `novu-signature`"
    " header is correct and try again.\","
    "\"code\":\"SignatureMismatchError\"}",

    "{\"message\":\"Signature key not found. Please configure a"
    " secret key for this endpoint\","
    "\"code\":\"SigningKeyNotFoundError\"}",

    // not Novu's own: codes in its style, documented in the README
    "{\"message\":\"Webhook already delivered\","
    "\"code\":\"WebhookReplayError\"}",

    "{\"message\":\"Webhook delivery in progress. Please retry later\","
    "\"code\":\"WebhookInFlightError\"}",

    "{\"message\":\"Webhook replay store is full. Please retry later\","
    "\"code\":\"WebhookReplayStoreFullError\"}",
};

// NotifyKit's, and every preset's (SPEC: {"error": ...} but for novu).
constexpr ErrorBodies kErrors = {
    "{\"error\":\"Missing signature\"}",
    "{\"error\":\"Malformed signature\"}",
    "{\"error\":\"Signature timestamp is outside the allowed tolerance\"}",
    "{\"error\":\"Invalid signature\"}",
    "{\"error\":\"Signing secret is not configured\"}",
    "{\"error\":\"Webhook already delivered\"}",
    "{\"error\":\"Webhook delivery in progress\"}",
    "{\"error\":\"Replay store is full\"}",
};

using A = Algorithm;
using E = Encoding;
using K = KeyFormat;
using T = TimeFormat;
using S = Special;

// id, name,
//   signature header, its syntax, timestamp header, delivery id header,
//   signed message, algorithm, signature encoding, key format,
//   timestamp format, default tolerance, empty body as signed, special,
//   error bodies
constexpr Scheme kSchemes[] = {
    { WS_SCHEME_NOVU, "novu",
      { "novu-signature", "x-novu-signature" },
      key_value_list(',', "t", "v1", true), {}, {},
      "{ts}.{body}", A::HmacSha256, E::HexAnyCase, K::Verbatim,
      // Novu signs GET requests, which carry no body, as "{}"
      T::UnixAuto, minutes(5), "{}", S::None, &kNovuErrors },

    { WS_SCHEME_NOTIFYKIT, "notifykit",
      { "x-webhook-signature", {} },
      key_value_list(',', "t", "v1", true), { "x-webhook-timestamp", {} }, {},
      "{ts}.{body}", A::HmacSha256, E::HexAnyCase, K::Verbatim,
      T::UnixAuto, minutes(5), "", S::TimestampHeaderEqualsKey, &kErrors },

    // the directive's own value; resolved per request to novu or notifykit
    { WS_SCHEME_AUTO, "auto",
      {}, key_value_list(',', "t", "v1", true), {}, {},
      "{ts}.{body}", A::HmacSha256, E::HexAnyCase, K::Verbatim,
      T::UnixAuto, minutes(5), "", S::None, &kNovuErrors },

    { WS_SCHEME_STRIPE, "stripe",
      { "stripe-signature", {} }, key_value_list(',', "t", "v1"), {}, {},
      "{ts}.{body}", A::HmacSha256, E::HexLower, K::Verbatim,
      T::UnixSeconds, minutes(5), "", S::BodyRequired, &kErrors },

    { WS_SCHEME_STANDARD_WEBHOOKS, "standard_webhooks",
      { "webhook-signature", {} }, versioned_list("v1"),
      { "webhook-timestamp", {} }, { "webhook-id", {} },
      "{id}.{ts}.{body}", A::HmacSha256, E::Base64, K::WhsecBase64,
      T::UnixSeconds, minutes(5), "", S::None, &kErrors },

    { WS_SCHEME_SVIX, "svix",
      { "svix-signature", "webhook-signature" }, versioned_list("v1"),
      { "svix-timestamp", "webhook-timestamp" },
      { "svix-id", "webhook-id" },
      "{id}.{ts}.{body}", A::HmacSha256, E::Base64, K::WhsecBase64,
      T::UnixSeconds, minutes(5), "", S::None, &kErrors },

    { WS_SCHEME_GITHUB, "github",
      { "x-hub-signature-256", {} }, prefixed("sha256="), {}, {},
      "{body}", A::HmacSha256, E::HexLower, K::Verbatim,
      T::None, kOff, "", S::BodyRequired, &kErrors },

    { WS_SCHEME_GITLAB, "gitlab",
      { "x-gitlab-token", {} }, token(), {}, {},
      "", A::Token, E::HexLower, K::Verbatim,
      T::None, kOff, "", S::None, &kErrors },

    { WS_SCHEME_SLACK, "slack",
      { "x-slack-signature", {} }, prefixed("v0="),
      { "x-slack-request-timestamp", {} }, {},
      "v0:{ts}:{body}", A::HmacSha256, E::HexLower, K::Verbatim,
      T::UnixSeconds, minutes(5), "", S::None, &kErrors },

    { WS_SCHEME_SHOPIFY, "shopify",
      // @shopify/shopify-api reads the unprefixed name (events
      // deliveries) before the X- one
      { "shopify-hmac-sha256", "x-shopify-hmac-sha256" }, prefixed(""),
      {}, {},
      "{body}", A::HmacSha256, E::Base64, K::Verbatim,
      T::None, kOff, "", S::BodyRequired, &kErrors },

    { WS_SCHEME_PADDLE, "paddle",
      { "paddle-signature", {} }, key_value_list(';', "ts", "h1"), {}, {},
      "{ts}:{body}", A::HmacSha256, E::HexLower, K::Verbatim,
      T::UnixSeconds, seconds(5), "", S::None, &kErrors },

    { WS_SCHEME_CALENDLY, "calendly",
      { "calendly-webhook-signature", {} }, key_value_list(',', "t", "v1"),
      {}, {},
      "{ts}.{body}", A::HmacSha256, E::HexLower, K::Verbatim,
      T::UnixSeconds, minutes(3), "", S::None, &kErrors },

    { WS_SCHEME_ZOOM, "zoom",
      { "x-zm-signature", {} }, prefixed("v0="),
      { "x-zm-request-timestamp", {} }, {},
      "v0:{ts}:{body}", A::HmacSha256, E::HexLower, K::Verbatim,
      T::UnixSeconds, minutes(5), "", S::None, &kErrors },

    { WS_SCHEME_TWITCH, "twitch",
      { "twitch-eventsub-message-signature", {} }, prefixed("sha256="),
      { "twitch-eventsub-message-timestamp", {} },
      { "twitch-eventsub-message-id", {} },
      "{id}{ts}{body}", A::HmacSha256, E::HexLower, K::Verbatim,
      T::Rfc3339, minutes(10), "", S::None, &kErrors },

    { WS_SCHEME_PAGERDUTY, "pagerduty",
      { "x-pagerduty-signature", {} }, key_value_list(',', {}, "v1"), {}, {},
      // go-pagerduty compares decoded bytes: hex of either case
      "{body}", A::HmacSha256, E::HexAnyCase, K::Verbatim,
      T::None, kOff, "", S::BodyRequired, &kErrors },

    { WS_SCHEME_SENTRY, "sentry",
      { "sentry-hook-signature", {} }, prefixed(""), {}, {},
      "{body}", A::HmacSha256, E::HexLower, K::Verbatim,
      T::None, kOff, "", S::None, &kErrors },

    { WS_SCHEME_BITBUCKET, "bitbucket",
      { "x-hub-signature", {} }, prefixed("sha256="), {}, {},
      "{body}", A::HmacSha256, E::HexLower, K::Verbatim,
      T::None, kOff, "", S::None, &kErrors },

    { WS_SCHEME_JIRA, "jira",
      { "x-hub-signature", {} }, prefixed("sha256="), {}, {},
      "{body}", A::HmacSha256, E::HexLower, K::Verbatim,
      T::None, kOff, "", S::None, &kErrors },

    { WS_SCHEME_TYPEFORM, "typeform",
      { "typeform-signature", {} }, prefixed("sha256="), {}, {},
      "{body}", A::HmacSha256, E::Base64, K::Verbatim,
      T::None, kOff, "", S::None, &kErrors },

    { WS_SCHEME_INTERCOM, "intercom",
      { "x-hub-signature", {} }, prefixed("sha1="), {}, {},
      "{body}", A::HmacSha1, E::HexLower, K::Verbatim,
      T::None, kOff, "", S::None, &kErrors },

    { WS_SCHEME_VERCEL, "vercel",
      { "x-vercel-signature", {} }, prefixed(""), {}, {},
      "{body}", A::HmacSha1, E::HexLower, K::Verbatim,
      T::None, kOff, "", S::None, &kErrors },

    { WS_SCHEME_WOOCOMMERCE, "woocommerce",
      { "x-wc-webhook-signature", {} }, prefixed(""), {}, {},
      "{body}", A::HmacSha256, E::Base64, K::HtmlEntities,
      T::None, kOff, "", S::None, &kErrors },

    { WS_SCHEME_LINEAR, "linear",
      { "linear-signature", {} }, prefixed(""), {}, {},
      "{body}", A::HmacSha256, E::HexLower, K::Verbatim,
      T::UnixMilliseconds, minutes(1), "", S::TimestampInBody, &kErrors },

    { WS_SCHEME_SQUARE, "square",
      { "x-square-hmacsha256-signature", {} }, prefixed(""), {}, {},
      "{url}{body}", A::HmacSha256, E::Base64, K::Verbatim,
      T::None, kOff, "", S::None, &kErrors },

    { WS_SCHEME_HUBSPOT, "hubspot",
      { "x-hubspot-signature-v3", {} }, prefixed(""),
      { "x-hubspot-request-timestamp", {} }, {},
      "{method}{url}{body}{ts}", A::HmacSha256, E::Base64, K::Verbatim,
      T::UnixMilliseconds, minutes(5), "", S::None, &kErrors },

    { WS_SCHEME_TWILIO, "twilio",
      { "x-twilio-signature", {} }, prefixed(""), {}, {},
      "{url}", A::HmacSha1, E::Base64, K::Verbatim,
      T::None, kOff, "", S::TwilioParameters, &kErrors },

    { WS_SCHEME_DISCORD, "discord",
      { "x-signature-ed25519", {} }, prefixed(""),
      { "x-signature-timestamp", {} }, {},
      // discord-interactions decodes hex of either case
      "{ts}{body}", A::Ed25519, E::HexAnyCase, K::Ed25519Hex,
      T::UnixSeconds, minutes(5), "", S::None, &kErrors },

    { WS_SCHEME_SENDGRID, "sendgrid",
      { "x-twilio-email-event-webhook-signature", {} }, prefixed(""),
      { "x-twilio-email-event-webhook-timestamp", {} }, {},
      "{ts}{body}", A::EcdsaP256Sha256, E::Base64Lenient, K::EcPublicKey,
      T::UnixSeconds, minutes(5), "", S::None, &kErrors },

    // the generic HMAC: what webhook_signature_hmac leaves as it is
    { WS_SCHEME_HMAC, "hmac",
      {}, prefixed(""), {}, {},
      "{body}", A::HmacSha256, E::HexAnyCase, K::Verbatim,
      T::None, kOff, "", S::None, &kErrors },
};

const Scheme *const kAutoSchemes[] = { &kSchemes[0], &kSchemes[1] };

}  // namespace

// Twilio signs a form body's parameters; the Content-Type says which.
const std::string_view kContentType = "content-type";

namespace {

std::string_view trim(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

// The first of a header and its fallback that came; absent if neither.
HeaderField find_header(const RequestHeaders &headers, const HeaderName &name)
{
    HeaderField field = headers.get(name.name);

    if (!field.present() && !name.fallback.empty()) {
        field = headers.get(name.fallback);
    }
    return field;
}

// A signature as the scheme encodes it; false if it cannot be one.
bool add_candidate(const Scheme &scheme, std::string_view text,
                   ParsedSignature &out)
{
    // decoded where it is kept, and dropped again if it cannot be one
    Bytes &signature = out.candidates.emplace_back();
    std::size_t size = signature_size(scheme.algorithm);
    bool ok = decode(scheme.encoding, text, signature)
              && (size != 0 ? signature.size == size : signature.size != 0);

    if (ok && scheme.algorithm == Algorithm::EcdsaP256Sha256) {
        Bytes canonical;
        ok = ecdsa_signature_canonical(signature, canonical);
        signature = canonical;
    }
    if (!ok) {
        out.candidates.pop_back();
    }
    return ok;
}

// Keys are a byte or two ("t", "v1", "ts"): compared and found byte by
// byte, quicker than a call to memcmp or memchr.
bool same_key(std::string_view a, std::string_view b)
{
    if (a.size() != b.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); i++) {
        if (a[i] != b[i]) {
            return false;
        }
    }
    return true;
}

std::size_t find_equals(std::string_view part)
{
    for (std::size_t i = 0; i < part.size(); i++) {
        if (part[i] == '=') {
            return i;
        }
    }
    return std::string_view::npos;
}

// t=<ts>,v1=<sig>,...: whitespace around parts ignored, unknown keys
// ignored, the timestamp key exactly once when the scheme has one.  A
// part it would pass over must be header text when the value was not
// checked whole (Scheme::parse_checks_text()).
bool parse_key_value_list(const Scheme &scheme, std::string_view value,
                          bool check_skipped, ParsedSignature &out)
{
    const SignatureSyntax &syntax = scheme.syntax;
    bool seen_timestamp = false;

    while (true) {
        std::size_t end = value.find(syntax.separator);
        std::string_view part(value.data(),
                              end == std::string_view::npos ? value.size()
                                                            : end);

        // SPEC ignores whitespace around Novu's and NotifyKit's parts; the
        // senders' libraries do not (" v1" is not the v1 key)
        if (syntax.strict) {
            part = trim(part);
        }
        std::size_t equals = find_equals(part);

        if (equals == std::string_view::npos || equals == 0) {
            if (syntax.strict || (check_skipped && !is_header_text(part))) {
                return false;       // also catches an empty part
            }
        } else {
            std::string_view key(part.data(), equals);
            std::string_view val(part.data() + equals + 1,
                                 part.size() - equals - 1);

            // the value's form is the scheme's time format, checked once
            // with every other timestamp (parse_headers())
            if (same_key(key, syntax.timestamp_key)) {
                if (seen_timestamp) {
                    return false;
                }
                seen_timestamp = true;
                out.timestamp = val;

            } else if (same_key(key, syntax.signature_key)) {
                if (!add_candidate(scheme, val, out)
                    && (syntax.strict
                        || (check_skipped && !is_header_text(val))))
                {
                    return false;
                }
            } else if (check_skipped && !is_header_text(part)) {
                return false;
            }
        }

        if (end == std::string_view::npos) {
            break;
        }
        value.remove_prefix(end + 1);
    }

    return seen_timestamp == !syntax.timestamp_key.empty();
}

// v1,<sig> v1,<sig>: space-separated; other versions (v1a) ignored.
bool parse_versioned_list(const Scheme &scheme, std::string_view value,
                          ParsedSignature &out)
{
    while (!value.empty()) {
        std::size_t end = value.find(' ');
        std::string_view part = value.substr(0, end);
        std::size_t comma = part.find(',');

        if (comma != std::string_view::npos
            && part.substr(0, comma) == scheme.syntax.signature_key)
        {
            add_candidate(scheme, part.substr(comma + 1), out);
        }
        if (end == std::string_view::npos) {
            break;
        }
        value.remove_prefix(end + 1);
    }
    return true;
}

bool parse_value(const Scheme &scheme, std::string_view value,
                 bool check_skipped, ParsedSignature &out)
{
    switch (scheme.syntax.syntax) {
    case Syntax::KeyValueList:
        return parse_key_value_list(scheme, value, check_skipped, out);

    case Syntax::VersionedList:
        return parse_versioned_list(scheme, value, out);

    case Syntax::Prefixed: {
        std::string_view prefix = scheme.syntax.signature_key;
        return value.substr(0, prefix.size()) == prefix
               && add_candidate(scheme, value.substr(prefix.size()), out);
    }

    case Syntax::Token:
        out.token = value;
        return true;
    }
    return false;
}

// A header the scheme requires besides the signature: exactly once.
bool required_header(const RequestHeaders &headers, const HeaderName &name,
                     std::string_view &value)
{
    HeaderField field = find_header(headers, name);

    if (!field.present() || field.repeated() || field.value.empty()) {
        return false;
    }
    value = field.value;
    return true;
}

ws_result_e parse_headers(const Scheme &scheme, const RequestHeaders &headers,
                          ParsedSignature &out)
{
    HeaderField signature = find_header(headers, scheme.signature);

    // the signature header decides "missing", as for every scheme
    if (!signature.present()) {
        return WS_RESULT_MISSING;
    }
    bool checks_text = scheme.parse_checks_text();
    if (signature.repeated() || signature.value.empty()
        || (!checks_text && !is_header_text(signature.value))
        || !parse_value(scheme, signature.value, checks_text, out))
    {
        return WS_RESULT_MALFORMED;
    }
    if (scheme.syntax.syntax != Syntax::Token && out.candidates.empty()) {
        return WS_RESULT_MALFORMED;
    }

    if (!scheme.timestamp.none()) {
        std::string_view header;
        if (!required_header(headers, scheme.timestamp, header)) {
            return WS_RESULT_MALFORMED;
        }
        if (scheme.special == Special::TimestampHeaderEqualsKey
            && out.timestamp != header)
        {
            return WS_RESULT_MALFORMED;
        }
        out.timestamp = header;
    }
    if (!scheme.delivery_id.none()
        && !required_header(headers, scheme.delivery_id, out.delivery_id))
    {
        return WS_RESULT_MALFORMED;
    }
    if (scheme.time_format != TimeFormat::None
        && scheme.special != Special::TimestampInBody
        && !read_timestamp(scheme.time_format, out.timestamp, out.time))
    {
        return WS_RESULT_MALFORMED;
    }
    return WS_RESULT_OK;
}

}  // namespace

bool Scheme::parse_checks_text() const
{
    bool hex = encoding == Encoding::HexAnyCase
               || encoding == Encoding::HexLower;

    switch (syntax.syntax) {
    case Syntax::Prefixed:
        // the prefix is the row's text, or a custom scheme's checked at
        // configuration
        return hex;
    case Syntax::KeyValueList:
        return hex && (syntax.timestamp_key.empty()
                       || (time_format != TimeFormat::None
                           && special != Special::TimestampInBody));
    case Syntax::VersionedList:
    case Syntax::Token:
        break;
    }
    return false;
}

bool Scheme::sent_by(const RequestHeaders &headers) const
{
    return find_header(headers, signature).present();
}

bool Scheme::watch_headers(WatchedHeaders &headers) const
{
    if (special == Special::TwilioParameters
        && !headers.watch(kContentType))
    {
        return false;
    }
    if (id == WS_SCHEME_AUTO) {
        for (const Scheme *chosen : kAutoSchemes) {
            if (!chosen->watch_headers(headers)) {
                return false;
            }
        }
        return true;
    }
    for (const HeaderName *h : { &signature, &timestamp, &delivery_id }) {
        if (!headers.watch(h->name) || !headers.watch(h->fallback)) {
            return false;
        }
    }
    return true;
}

namespace {

constexpr std::size_t kRows = sizeof(kSchemes) / sizeof(kSchemes[0]);

// Every row's watched headers, made when the library loads (the rows are
// constants by then), then only read.
struct WatchedSets {
    WatchedHeaders headers[kRows];
    bool           fit[kRows];

    WatchedSets() : headers(), fit()
    {
        for (std::size_t i = 0; i < kRows; i++) {
            fit[i] = kSchemes[i].watch_headers(headers[i]);
        }
    }
};

const WatchedSets kWatched;

}  // namespace

const WatchedHeaders *Scheme::watched() const
{
    if (watch_set != nullptr) {
        return watch_set;
    }
    // the rows follow the enumeration from novu on (find_scheme())
    std::size_t i = static_cast<std::size_t>(id) - WS_SCHEME_NOVU;
    return i < kRows && &kSchemes[i] == this && kWatched.fit[i]
           ? &kWatched.headers[i] : nullptr;
}

const char *Scheme::error_body(ws_result_e result) const
{
    switch (result) {
    case WS_RESULT_MISSING:   return errors->missing;
    case WS_RESULT_MALFORMED: return errors->malformed;
    case WS_RESULT_STALE:     return errors->stale;
    case WS_RESULT_MISMATCH:  return errors->mismatch;
    case WS_RESULT_NO_SECRET: return errors->no_secret;
    case WS_RESULT_REPLAY:    return errors->replay;
    case WS_RESULT_INFLIGHT:  return errors->inflight;
    case WS_RESULT_ZONE_FULL: return errors->zone_full;
    default:                  return nullptr;
    }
}

const Scheme *find_scheme(ws_scheme_e id)
{
    // the rows follow the enumeration from novu on: found at once
    std::size_t at = static_cast<std::size_t>(id) - WS_SCHEME_NOVU;
    if (at < kRows && kSchemes[at].id == id) {
        return &kSchemes[at];
    }
    for (const Scheme &scheme : kSchemes) {
        if (scheme.id == id) {
            return &scheme;
        }
    }
    return nullptr;
}

const Scheme *find_scheme(std::string_view name)
{
    for (const Scheme &scheme : kSchemes) {
        if (scheme.name == name) {
            return &scheme;
        }
    }
    return nullptr;
}

const Scheme *const *auto_schemes(std::size_t &n)
{
    n = sizeof(kAutoSchemes) / sizeof(kAutoSchemes[0]);
    return kAutoSchemes;
}

ws_result_e parse_signature(const Scheme &scheme,
                            const RequestHeaders &headers,
                            ParsedSignature &out)
{
    ws_result_e result = parse_headers(scheme, headers, out);

    if (result != WS_RESULT_OK) {
        out.clear();
    }
    return result;
}

}  // namespace webhook
