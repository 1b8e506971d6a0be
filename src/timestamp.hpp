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

// A timestamp read once, when the headers are parsed: its value, and
// whether it counts seconds (compared with whole seconds of the clock, so
// that "exactly at the tolerance" is exact) or milliseconds (RFC 3339 is
// read to the millisecond).  Values beyond any plausible clock saturate:
// they are stale whatever the tolerance.
struct Timestamp {
    std::int64_t value = 0;
    bool         seconds = false;
};

// Whether text is a timestamp the format allows; if so, its value in out.
bool read_timestamp(TimeFormat format, std::string_view text, Timestamp &out);

// Whether a timestamp lies more than tolerance_ms away from now_ms, in
// either direction.  A negative tolerance disables the check.
bool is_stale(const Timestamp &timestamp, std::int64_t now_ms,
              std::int64_t tolerance_ms);

// The two above for text as sent (the fuzzers, Linear's body): a text
// that is no timestamp is stale.
bool is_timestamp(TimeFormat format, std::string_view text);
bool is_stale(TimeFormat format, std::string_view timestamp,
              std::int64_t now_ms, std::int64_t tolerance_ms);

}  // namespace webhook

#endif
