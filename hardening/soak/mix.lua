-- SPDX-License-Identifier: BSD-2-Clause
--
-- wrk script for the soak: sends the pre-signed raw HTTP/1.1 requests of
-- one batch (hardening/soak/sign.pl's h1/pool) in their order and counts the
-- responses per request kind and status (nginx echoes the kind in
-- X-Soak-Kind).  Two ways:
--   once   every request once (one thread, -t 1), then wrk stops as soon
--          as every response is in (the soak: a valid message must not
--          come back once its replay record may have expired)
--   cycle  round and round until wrk's -d is over, each thread starting
--          at its own offset (the reload under load)
-- done() prints
--   SOAK <kind> <status> <count>       one line per kind and status
--   SOAK-ERRORS <connect> <read> <write> <timeout>
--
--   wrk -s mix.lua ... -- <batch dir> once|cycle

local ffi = require("ffi")
ffi.cdef[[
int kill(int pid, int sig);
int getpid(void);
]]

local threads = {}
local next_id = 0

function setup(thread)
    thread:set("id", next_id)
    next_id = next_id + 1
    table.insert(threads, thread)
end

local pool = {}
local once = false
local verified, answered, drained, stopped = false, 0, nil, false
seen = {}

-- Sent once every request of the pool was, to keep the connections busy
-- until the last responses are in; nginx answers it 204 and logs nothing.
local IDLE = "GET /soak-idle HTTP/1.1\r\nHost: soak\r\n\r\n"

-- The pool's records: "S name length" (a shared tail), "R length tail"
-- (a request, then the tail named, "-" for none), "C n" (the n-th R again).
function init(args)
    local dir = args[1]
    once = args[2] == "once"
    local fh = assert(io.open(dir .. "/h1/pool", "rb"))
    local data = fh:read("*a")
    fh:close()
    local tails, records, pos = {}, {}, 1
    while pos <= #data do
        local eol = assert(data:find("\n", pos, true))
        local tag, a, b = data:sub(pos, eol - 1):match("^(%u) (%S+) ?(%S*)$")
        pos = eol + 1
        if tag == "S" then
            local len = tonumber(b)
            tails[a] = data:sub(pos, pos + len - 1)
            pos = pos + len
        elseif tag == "R" then
            local len = tonumber(a)
            local bytes = data:sub(pos, pos + len - 1)
            pos = pos + len
            local req = bytes
            if b ~= "-" then req = { bytes, assert(tails[b]) } end
            table.insert(records, req)
            table.insert(pool, req)
        else
            table.insert(pool, assert(records[tonumber(a)]))
        end
    end
    i = once and 0 or (id or 0) * 7 % #pool
end

-- The thread stops at once; SIGINT wakes wrk's main thread, which would
-- otherwise sleep out -d before it collects the results.
local function stop()
    if stopped then return end
    stopped = true
    wrk.thread:stop()
    ffi.C.kill(ffi.C.getpid(), 2)
end

function request()
    -- wrk's first call only checks what a request looks like, and drops it
    if not verified then
        verified = true
        return IDLE
    end
    if once and i >= #pool then
        drained = drained or os.time()
        -- a response that never comes is wrk's timeout error, judged
        if answered >= #pool or os.time() - drained > 5 then stop() end
        return IDLE
    end
    i = i % #pool + 1
    local req = pool[i]
    if type(req) == "table" then return req[1] .. req[2] end
    return req
end

function response(status, headers, body)
    local kind = headers["X-Soak-Kind"]
    if not kind then return end             -- /soak-idle
    local key = kind .. " " .. status
    seen[key] = (seen[key] or 0) + 1
    answered = answered + 1
    if once and answered >= #pool then stop() end
end

function done(summary, latency, requests)
    local total = {}
    for _, thread in ipairs(threads) do
        for key, n in pairs(thread:get("seen")) do
            total[key] = (total[key] or 0) + n
        end
    end
    for key, n in pairs(total) do
        io.write(string.format("SOAK %s %d\n", key, n))
    end
    local e = summary.errors
    io.write(string.format("SOAK-ERRORS %d %d %d %d\n",
                           e.connect, e.read, e.write, e.timeout))
end
