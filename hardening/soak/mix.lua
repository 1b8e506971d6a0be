-- SPDX-License-Identifier: BSD-2-Clause
--
-- wrk script for the soak: cycles through the pre-signed raw HTTP/1.1
-- requests of one batch (hardening/soak/sign.pl), each thread starting at
-- its own offset, and counts the responses per request kind and status
-- (nginx echoes the kind in X-Soak-Kind).  done() prints
--   SOAK <kind> <status> <count>       one line per kind and status
--   SOAK-ERRORS <connect> <read> <write> <timeout>
--
--   wrk -s mix.lua ... -- <batch dir>

local threads = {}
local next_id = 0

function setup(thread)
    thread:set("id", next_id)
    next_id = next_id + 1
    table.insert(threads, thread)
end

local pool = {}
seen = {}

function init(args)
    local dir = args[1]
    for line in io.lines(dir .. "/h1/index") do
        local kind, file = line:match("^(%S+) (%S+)$")
        local fh = assert(io.open(file, "rb"))
        table.insert(pool, fh:read("*a"))
        fh:close()
    end
    i = (id or 0) * 7 % #pool
end

function request()
    i = i % #pool + 1
    return pool[i]
end

function response(status, headers, body)
    local key = (headers["X-Soak-Kind"] or "unknown") .. " " .. status
    seen[key] = (seen[key] or 0) + 1
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
