// SPDX-License-Identifier: BSD-2-Clause
//
// Signatures and keys as senders write them: hex and base64, decoded
// strictly, so that exactly one text stands for a given byte string (what a
// sender's library accepts when it compares the encoded strings).

#ifndef WEBHOOK_SIGNATURE_ENCODING_HPP
#define WEBHOOK_SIGNATURE_ENCODING_HPP

#include "hmac.hpp"

#include <string>
#include <string_view>

namespace webhook {

enum class Encoding {
    HexAnyCase,     // novu, notifykit (SPEC: hex of either case)
    HexLower,       // senders whose libraries compare lowercase hex strings
    Base64,         // standard alphabet, padded, canonical
    Base64Lenient,  // as Node's Buffer.from(text, "base64") (SendGrid)
};

// Decodes text into out; false (out unspecified) if the text is not in the
// encoding or does not fit out.
bool decode(Encoding encoding, std::string_view text, Bytes &out);

// As decode(), into a string of any length (keys).
bool decode_base64(std::string_view text, std::string &out);
bool decode_hex(std::string_view text, std::string &out);

// Lowercase hex of bytes.
std::string hex_lower(std::string_view bytes);

// Only printable ASCII and tab: what a header value of a signature may hold.
bool is_header_text(std::string_view value);

}  // namespace webhook

#endif
