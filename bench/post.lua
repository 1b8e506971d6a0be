-- SPDX-License-Identifier: BSD-2-Clause
--
-- wrk script: POSTs one pre-signed webhook body again and again.
--
-- The body and its Novu-Signature header are prepared by bench/run.sh
-- (signed with openssl just before the run, so the timestamp is fresh) and
-- handed over in the environment:
--   BENCH_BODY_FILE   file holding the exact body bytes
--   BENCH_SIGNATURE   the Novu-Signature header value
-- done() prints one machine-readable line that run.sh parses.

local function read_file(path)
    local f = assert(io.open(path, "rb"), "cannot open " .. tostring(path))
    local data = f:read("*a")
    f:close()
    return data
end

wrk.method = "POST"
wrk.body = read_file(os.getenv("BENCH_BODY_FILE"))
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Novu-Signature"] = assert(os.getenv("BENCH_SIGNATURE"),
                                       "BENCH_SIGNATURE is not set")

function done(summary, latency, requests)
    local e = summary.errors
    io.write(string.format(
        "BENCH requests=%d duration_us=%d status_errors=%d socket_errors=%d\n",
        summary.requests, summary.duration, e.status,
        e.connect + e.read + e.write + e.timeout))
end
