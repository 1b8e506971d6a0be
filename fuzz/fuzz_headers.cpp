// SPDX-License-Identifier: BSD-2-Clause
//
// libFuzzer target: the header parsers, through the C API, for every scheme
// (auto, every preset, and hmac made from fuzzed parameters).  Arbitrary
// header names and values, request, clock and tolerance; see
// fuzz_input.hpp for the input format.
//
// Besides "no crash, no sanitizer report", it checks what the glue relies on:
// the headers alone only ever decide ok/missing/malformed/stale, and stale
// only for a scheme with a timestamp in a header and a tolerance; the scheme
// reported is the one configured (auto: novu or notifykit); a failure has a
// JSON body; the timestamp is empty for a scheme without one, else points
// into the header bytes that carried it and is what the scheme's format
// allows; header names match in any case; auto judges a request exactly as
// the scheme it resolved to would; every name webhook_signature takes is
// fuzzed (kNames agrees with ws_scheme_find).

#include "fuzz_input.hpp"

#include "scheme.hpp"
#include "timestamp.hpp"

#include <string>

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

struct Judged {
    ws_result_e result;
    ws_scheme_e resolved;
    ws_bytes_t timestamp;
};

Judged judge(const ws_scheme_t *scheme, const fuzz::Input &in,
             const std::vector<fuzz::Header> &headers)
{
    ws_check_t *check = ws_check_create(scheme);
    FUZZ_ASSERT(check != nullptr);

    fuzz::add_request(check, in);
    for (const fuzz::Header &h : headers) {
        ws_check_add_header(check, h.name.bytes(), h.value.bytes());
    }
    Judged j;
    j.result = ws_check_headers(check, in.now_ms, in.tolerance_ms);
    j.resolved = ws_check_scheme(check);
    j.timestamp = ws_check_timestamp(check);
    ws_check_destroy(check);
    return j;
}

// The headers with every name's ASCII letters in the other case.
std::vector<fuzz::Header> case_flipped(const fuzz::Input &in)
{
    std::vector<fuzz::Header> out;
    for (const fuzz::Header &h : in.headers) {
        std::string name(h.name.begin(), h.name.end());
        for (char &c : name) {
            if (c >= 'a' && c <= 'z') {
                c = static_cast<char>(c - 'a' + 'A');
            } else if (c >= 'A' && c <= 'Z') {
                c = static_cast<char>(c - 'A' + 'a');
            }
        }
        // the value is the same block's bytes: timestamps stay comparable
        std::string_view value(reinterpret_cast<const char *>(h.value.begin()),
                               h.value.size());
        out.push_back({fuzz::Block(name), fuzz::Block(value)});
    }
    return out;
}

void check_names_once()
{
    static bool done = false;
    if (done) {
        return;
    }
    done = true;
    std::size_t schemes = 0;
    for (const auto &known : fuzz::kNames) {
        ws_bytes_t name = {reinterpret_cast<const unsigned char *>(known.name.data()),
                           known.name.size()};
        // ws_scheme_find() refuses "hmac" (it takes parameters) but the
        // row has the name
        FUZZ_ASSERT(ws_scheme_find(name) == static_cast<int>(known.id)
                    || (known.id == WS_SCHEME_HMAC && ws_scheme_find(name) == -1));
        FUZZ_ASSERT(known.id == WS_SCHEME_OFF
                    || known.name == ws_scheme_name(known.id));
        schemes++;
    }
    // every id of ws_scheme_e, WS_SCHEME_OFF to WS_SCHEME_HMAC, is fuzzed
    FUZZ_ASSERT(schemes == WS_SCHEME_HMAC + 1);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data,
                                      std::size_t size)
{
    check_names_once();
    fuzz::Input in = fuzz::parse(data, size);

    if (in.scheme == WS_SCHEME_OFF) {
        FUZZ_ASSERT(ws_scheme_get(WS_SCHEME_OFF) == nullptr);
        FUZZ_ASSERT(ws_check_create(nullptr) == nullptr);
        return 0;
    }
    fuzz::SchemeHandle handle(in);
    if (handle.get() == nullptr) {
        FUZZ_ASSERT(in.scheme == WS_SCHEME_HMAC && handle.error() != nullptr);
        return 0;
    }
    FUZZ_ASSERT(ws_scheme_id(handle.get()) == in.scheme);

    Judged j = judge(handle.get(), in, in.headers);
    ws_result_e result = j.result;

    FUZZ_ASSERT(result == WS_RESULT_OK || result == WS_RESULT_MISSING
                || result == WS_RESULT_MALFORMED || result == WS_RESULT_STALE);
    if (in.scheme == WS_SCHEME_AUTO) {
        FUZZ_ASSERT(j.resolved == WS_SCHEME_NOVU || j.resolved == WS_SCHEME_NOTIFYKIT);
    } else {
        FUZZ_ASSERT(j.resolved == in.scheme);
    }

    const webhook::Scheme *row = webhook::find_scheme(j.resolved);
    FUZZ_ASSERT(row != nullptr);
    bool header_time = row->time_format != webhook::TimeFormat::None
                       && row->special != webhook::Special::TimestampInBody;

    FUZZ_ASSERT(result != WS_RESULT_STALE
                || (in.tolerance_ms != WS_TOLERANCE_OFF && header_time));

    if ((result == WS_RESULT_OK || result == WS_RESULT_STALE) && header_time) {
        std::string_view t(reinterpret_cast<const char *>(j.timestamp.data),
                           j.timestamp.len);
        FUZZ_ASSERT(webhook::is_timestamp(row->time_format, t));
        FUZZ_ASSERT(points_into_a_value(in, j.timestamp));
        FUZZ_ASSERT((result == WS_RESULT_STALE)
                    == webhook::is_stale(row->time_format, t, in.now_ms,
                                         in.tolerance_ms));
    } else {
        FUZZ_ASSERT(j.timestamp.len == 0);
    }
    if (result != WS_RESULT_OK) {
        FUZZ_ASSERT(ws_error_body(j.resolved, result) != nullptr);
    }

    // header names are case-insensitive
    std::vector<fuzz::Header> flipped = case_flipped(in);
    Judged f = judge(handle.get(), in, flipped);
    FUZZ_ASSERT(f.result == result && f.resolved == j.resolved);
    FUZZ_ASSERT(f.timestamp.len == j.timestamp.len);

    if (in.scheme == WS_SCHEME_AUTO) {
        Judged again = judge(ws_scheme_get(j.resolved), in, in.headers);
        FUZZ_ASSERT(again.result == result);
        FUZZ_ASSERT(again.resolved == j.resolved);
        FUZZ_ASSERT(again.timestamp.data == j.timestamp.data
                    && again.timestamp.len == j.timestamp.len);
    }
    return 0;
}
