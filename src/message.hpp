// SPDX-License-Identifier: BSD-2-Clause
//
// The two signed messages a template cannot describe: Twilio's URL followed
// by the sorted form parameters, and Linear's timestamp inside the JSON
// body.

#ifndef WEBHOOK_SIGNATURE_MESSAGE_HPP
#define WEBHOOK_SIGNATURE_MESSAGE_HPP

#include <string>
#include <string_view>

namespace webhook {

// Twilio (twilio-node getExpectedTwilioSignature) signs the URL, then for
// each application/x-www-form-urlencoded parameter of the body, sorted by
// name, its decoded name and value: this, what follows the URL (the same
// for every way of writing the URL, so made once per request).
std::string twilio_form_parameters(std::string_view body);

// new URL(url).toString() (WHATWG URL serialisation) for an http(s) URL as
// nginx receives one: scheme and host lowercased, the default port
// dropped, dot segments removed, the path's and query's bytes
// percent-encoded as the URL standard encodes them.  Empty if url is not
// absolute.
std::string url_normalised(std::string_view url);

// The URL with its query run through Node's querystring.parse and
// stringify: decoded, names regrouped in order of first appearance, then
// escaped as encodeURIComponent escapes.
std::string url_query_restrung(std::string_view url);

// twilio-node tries the URL as given and with its port toggled: without
// the port if it has one, with the scheme's default port (443, 80) if not.
// Empty if there is no such variant.
std::string url_with_port_toggled(std::string_view url);

// The value of a query parameter of url, exactly as written; false if the
// URL has none of that name.
bool query_parameter(std::string_view url, std::string_view name,
                     std::string_view &value);

// The digits of a top-level JSON member that is a non-negative integer
// (the last one, as JSON.parse keeps it); false if the body is not a JSON
// object or the member is absent or not such a number.
bool json_top_level_integer(std::string_view json, std::string_view name,
                            std::string_view &digits);

}  // namespace webhook

#endif
