// SPDX-License-Identifier: BSD-2-Clause
//
// libFuzzer target: the header parsers, through the C API, for every scheme
// (auto included).  Arbitrary header names and values, clock and tolerance;
// see fuzz_input.hpp for the input format.
//
// Besides "no crash, no sanitizer report", it checks what the glue relies on:
// the headers alone only ever decide ok/missing/malformed/stale; the scheme
// reported is a real one; a failure has a JSON body; the timestamp points
// into the header bytes that carried it and is plain digits; auto judges a
// request exactly as the scheme it resolved to would.

#include "fuzz_input.hpp"

namespace {

bool points_into_a_value(const fuzz::Input &in, ws_bytes_t t)
{
    for (const fuzz::Header &h : in.headers) {
        if (t.data >= h.value.begin() && t.data + t.len <= h.value.end()) {
            return true;
        }
    }
    return false;
}

bool all_digits(ws_bytes_t t)
{
    for (std::size_t i = 0; i < t.len; i++) {
        if (t.data[i] < '0' || t.data[i] > '9') {
            return false;
        }
    }
    return true;
}

ws_result_e judge(ws_scheme_e scheme, const fuzz::Input &in,
                  ws_scheme_e *resolved, ws_bytes_t *timestamp)
{
    ws_check_t *check = ws_check_create(ws_scheme_get(scheme));
    FUZZ_ASSERT(check != nullptr);

    fuzz::add_headers(check, in);
    ws_result_e result = ws_check_headers(check, in.now_ms, in.tolerance_ms);
    *resolved = ws_check_scheme(check);
    *timestamp = ws_check_timestamp(check);
    ws_check_destroy(check);
    return result;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data,
                                      std::size_t size)
{
    fuzz::Input in = fuzz::parse(data, size);

    if (in.scheme == WS_SCHEME_OFF) {
        FUZZ_ASSERT(ws_scheme_get(WS_SCHEME_OFF) == nullptr);
        FUZZ_ASSERT(ws_check_create(nullptr) == nullptr);
        return 0;
    }

    ws_scheme_e resolved;
    ws_bytes_t timestamp;
    ws_result_e result = judge(in.scheme, in, &resolved, &timestamp);

    FUZZ_ASSERT(result == WS_RESULT_OK || result == WS_RESULT_MISSING
                || result == WS_RESULT_MALFORMED || result == WS_RESULT_STALE);
    FUZZ_ASSERT(resolved == WS_SCHEME_NOVU || resolved == WS_SCHEME_NOTIFYKIT);
    FUZZ_ASSERT(in.scheme == WS_SCHEME_AUTO || resolved == in.scheme);
    FUZZ_ASSERT(in.tolerance_ms != WS_TOLERANCE_OFF || result != WS_RESULT_STALE);

    if (result == WS_RESULT_OK || result == WS_RESULT_STALE) {
        FUZZ_ASSERT(timestamp.len > 0 && all_digits(timestamp));
        FUZZ_ASSERT(points_into_a_value(in, timestamp));
    } else {
        FUZZ_ASSERT(timestamp.len == 0);
        FUZZ_ASSERT(ws_error_body(resolved, result) != nullptr);
    }

    if (in.scheme == WS_SCHEME_AUTO) {
        ws_scheme_e again;
        ws_bytes_t t2;
        FUZZ_ASSERT(judge(resolved, in, &again, &t2) == result);
        FUZZ_ASSERT(again == resolved);
        FUZZ_ASSERT(t2.data == timestamp.data && t2.len == timestamp.len);
    }
    return 0;
}
