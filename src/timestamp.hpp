// SPDX-License-Identifier: BSD-2-Clause
//
// Timestamps as senders write them: unix seconds or milliseconds in plain
// decimal, or RFC 3339 (Twitch).

#ifndef WEBHOOK_SIGNATURE_TIMESTAMP_HPP
#define WEBHOOK_SIGNATURE_TIMESTAMP_HPP

#include <cstdint>
#include <string_view>

namespace webhook {

enum class TimeFormat {
    None,           // the scheme signs no timestamp
    UnixSeconds,
    UnixMilliseconds,
    UnixAuto,       // 13 or more digits are milliseconds (Novu Cloud)
    Rfc3339,        // 2026-12-01T12:00:00.123456789Z, or with an offset
};

// At least one ASCII digit and nothing else: no sign, no spaces, no dot.
bool is_plain_decimal(std::string_view text);

// Whether text is a timestamp the format allows.
bool is_timestamp(TimeFormat format, std::string_view text);

// Whether a timestamp (is_timestamp) lies more than tolerance_ms away from
// now_ms, in either direction.  Seconds are compared with whole seconds of
// the clock, so that "exactly at the tolerance" is exact; milliseconds and
// RFC 3339 (to the millisecond) with the clock's milliseconds.  A negative
// tolerance disables the check.
bool is_stale(TimeFormat format, std::string_view timestamp,
              std::int64_t now_ms, std::int64_t tolerance_ms);

}  // namespace webhook

#endif
