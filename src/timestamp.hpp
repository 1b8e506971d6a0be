// SPDX-License-Identifier: BSD-2-Clause
//
// Timestamps as senders write them: plain decimal, seconds or milliseconds.

#ifndef WEBHOOK_SIGNATURE_TIMESTAMP_HPP
#define WEBHOOK_SIGNATURE_TIMESTAMP_HPP

#include <cstdint>
#include <string_view>

namespace webhook {

// At least one ASCII digit and nothing else: no sign, no spaces, no dot.
bool is_plain_decimal(std::string_view text);

// Whether a plain-decimal timestamp lies more than tolerance_ms away from
// now_ms, in either direction.  13 or more digits are milliseconds (Novu
// Cloud sends Date.now()); fewer are seconds, compared with whole seconds of
// the clock so that "exactly at the tolerance" is exact.  A negative
// tolerance disables the check.
bool is_stale(std::string_view timestamp, std::int64_t now_ms,
              std::int64_t tolerance_ms);

}  // namespace webhook

#endif
