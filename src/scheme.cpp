/* SPDX-License-Identifier: BSD-2-Clause */

#include "scheme.hpp"

#include "timestamp.hpp"

namespace webhook {

namespace {

constexpr std::size_t kHexMacLength = 64;

bool is_header_text(std::string_view value)
{
    for (unsigned char c : value) {
        if ((c < 0x20 && c != '\t') || c >= 0x7f) {
            return false;
        }
    }
    return true;
}

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

// Hex digit values, -1 for anything else.  A table rather than range
// tests: a signature's 64 digits mix letters and numbers at random, and
// each mispredicted branch costs more than the lookup.
struct HexTable {
    signed char value[256];

    constexpr HexTable() : value()
    {
        for (int c = 0; c < 256; c++) {
            value[c] = c >= '0' && c <= '9' ? c - '0'
                     : c >= 'a' && c <= 'f' ? c - 'a' + 10
                     : c >= 'A' && c <= 'F' ? c - 'A' + 10
                     : -1;
        }
    }
};

constexpr HexTable kHex;

int hex_digit(char c)
{
    return kHex.value[static_cast<unsigned char>(c)];
}

bool decode_hex_mac(std::string_view hex, Mac &out)
{
    if (hex.size() != kHexMacLength) {
        return false;
    }
    for (std::size_t i = 0; i < out.size(); i++) {
        int high = hex_digit(hex[2 * i]);
        int low = hex_digit(hex[2 * i + 1]);

        if (high < 0 || low < 0) {
            return false;
        }
        out[i] = static_cast<unsigned char>(high << 4 | low);
    }
    return true;
}

// Novu: "Novu-Signature", or the older "X-Novu-Signature" when absent.
ws_result_e parse_novu(const Scheme &scheme, const RequestHeaders &headers,
                       ParsedSignature &out)
{
    const HeaderField *field = &headers.get(scheme.signature_header);

    if (!field->present()) {
        field = &headers.get(scheme.fallback_header);
    }
    if (!field->present()) {
        return WS_RESULT_MISSING;
    }
    if (field->repeated()) {
        return WS_RESULT_MALFORMED;
    }
    return parse_timestamped_header(field->value, out);
}

// NotifyKit: X-Webhook-Timestamp must come with the signature header, and
// the "t" inside the signature must repeat the timestamp exactly.
ws_result_e parse_notifykit(const Scheme &scheme,
                            const RequestHeaders &headers,
                            ParsedSignature &out)
{
    const HeaderField &signature = headers.get(scheme.signature_header);
    const HeaderField &timestamp = headers.get(scheme.timestamp_header);

    // the signature header decides "missing", as for every scheme
    if (!signature.present()) {
        return WS_RESULT_MISSING;
    }
    if (!timestamp.present()
        || signature.repeated() || timestamp.repeated())
    {
        return WS_RESULT_MALFORMED;
    }

    ws_result_e result = parse_timestamped_header(signature.value, out);
    if (result != WS_RESULT_OK) {
        return result;
    }
    return out.timestamp == timestamp.value ? WS_RESULT_OK
                                            : WS_RESULT_MALFORMED;
}

const Scheme kSchemes[] = {
    {
        WS_SCHEME_NOVU, "novu",
        "novu-signature", "x-novu-signature", "",
        "{}",   // Novu signs GET requests, which carry no body, as "{}"
        parse_novu,
        {
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
        },
    },
    {
        WS_SCHEME_NOTIFYKIT, "notifykit",
        "x-webhook-signature", "", "x-webhook-timestamp",
        "",
        parse_notifykit,
        {
            "{\"error\":\"Missing signature\"}",
            "{\"error\":\"Malformed signature\"}",
            "{\"error\":\"Signature timestamp is outside the allowed"
            " tolerance\"}",
            "{\"error\":\"Invalid signature\"}",
            "{\"error\":\"Signing secret is not configured\"}",
        },
    },
};

}  // namespace

bool Scheme::sent_by(const RequestHeaders &headers) const
{
    return headers.get(signature_header).present()
           || headers.get(fallback_header).present();
}

bool Scheme::watch_headers(RequestHeaders &headers) const
{
    return headers.watch(signature_header)
           && headers.watch(fallback_header)
           && headers.watch(timestamp_header);
}

const char *Scheme::error_body(ws_result_e result) const
{
    switch (result) {
    case WS_RESULT_MISSING:   return errors.missing;
    case WS_RESULT_MALFORMED: return errors.malformed;
    case WS_RESULT_STALE:     return errors.stale;
    case WS_RESULT_MISMATCH:  return errors.mismatch;
    case WS_RESULT_NO_SECRET: return errors.no_secret;
    default:                  return nullptr;
    }
}

const Scheme *find_scheme(ws_scheme_e id)
{
    for (const Scheme &scheme : kSchemes) {
        if (scheme.id == id) {
            return &scheme;
        }
    }
    return nullptr;
}

ws_result_e parse_timestamped_header(std::string_view value,
                                     ParsedSignature &out)
{
    if (value.empty() || !is_header_text(value)) {
        return WS_RESULT_MALFORMED;
    }

    bool seen_timestamp = false;

    while (true) {
        std::size_t comma = value.find(',');
        std::string_view part = trim(value.substr(0, comma));
        std::size_t equals = part.find('=');

        if (equals == std::string_view::npos || equals == 0) {
            return WS_RESULT_MALFORMED;     // also catches an empty part
        }

        std::string_view key = part.substr(0, equals);
        std::string_view val = part.substr(equals + 1);

        if (key == "t") {
            if (seen_timestamp || !is_plain_decimal(val)) {
                return WS_RESULT_MALFORMED;
            }
            seen_timestamp = true;
            out.timestamp = val;

        } else if (key == "v1") {
            Mac mac;
            if (!decode_hex_mac(val, mac)) {
                return WS_RESULT_MALFORMED;
            }
            out.candidates.push_back(mac);
        }

        if (comma == std::string_view::npos) {
            break;
        }
        value.remove_prefix(comma + 1);
    }

    if (!seen_timestamp || out.candidates.empty()) {
        return WS_RESULT_MALFORMED;
    }

    out.signed_prefix[0] = out.timestamp;
    out.signed_prefix[1] = ".";
    return WS_RESULT_OK;
}

}  // namespace webhook
