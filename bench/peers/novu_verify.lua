-- SPDX-License-Identifier: BSD-2-Clause
--
-- Peer for the benchmark: Novu webhook verification in OpenResty's Lua
-- module, the way a user would write it without this module:
--
--   access_by_lua_block { require("novu_verify").verify(SECRET) }
--
-- The HMAC is OpenSSL's, called through LuaJIT's FFI (the libcrypto nginx
-- itself links).  One HMAC_CTX per worker is re-keyed for every request and
-- fed the body where nginx keeps it: the in-memory body as one string, a
-- body spilled to a temp file in 64 KiB reads.

local ffi = require "ffi"

ffi.cdef [[
typedef struct hmac_ctx_st HMAC_CTX;
typedef struct evp_md_st EVP_MD;
const EVP_MD *EVP_sha256(void);
HMAC_CTX *HMAC_CTX_new(void);
int HMAC_Init_ex(HMAC_CTX *ctx, const void *key, int len, const EVP_MD *md,
                 void *impl);
int HMAC_Update(HMAC_CTX *ctx, const unsigned char *data, size_t len);
int HMAC_Final(HMAC_CTX *ctx, unsigned char *md, unsigned int *len);
]]

local C = ffi.C
local sha256 = C.EVP_sha256()
local ctx = C.HMAC_CTX_new()
assert(ctx ~= nil, "HMAC_CTX_new failed")
local mac = ffi.new("unsigned char[32]")
local mac_len = ffi.new("unsigned int[1]")

local TOLERANCE_S = 300
local READ_CHUNK = 65536

local _M = {}

local function unhex(hex)
    return (hex:gsub("%x%x", function(byte)
        return string.char(tonumber(byte, 16))
    end))
end

-- "t=<ts>,v1=<hex>[,v1=<hex>...]" -> ts, { binary signatures } or nil
local function parse(header)
    local t, signatures = nil, {}

    for part in header:gmatch("[^,]+") do
        local key, value = part:match("^%s*([^=%s]+)=(.-)%s*$")
        if key == nil then
            return nil
        end
        if key == "t" then
            t = value
        elseif key == "v1" then
            if #value ~= 64 or value:find("%X") then
                return nil
            end
            signatures[#signatures + 1] = unhex(value)
        end
    end

    if t == nil or not t:match("^%d+$") or #signatures == 0 then
        return nil
    end
    return t, signatures
end

local function is_stale(t)
    local seconds = tonumber(t)
    if #t >= 13 then
        seconds = seconds / 1000
    end
    return math.abs(ngx.now() - seconds) > TOLERANCE_S
end

local function update(data)
    C.HMAC_Update(ctx, data, #data)
end

local function hash_body()
    local data = ngx.req.get_body_data()
    if data ~= nil then
        update(data)
        return true
    end

    local path = ngx.req.get_body_file()
    if path == nil then
        update("{}")        -- Novu signs an empty body as "{}"
        return true
    end

    local file = io.open(path, "rb")
    if file == nil then
        return false
    end
    while true do
        local chunk = file:read(READ_CHUNK)
        if chunk == nil then
            break
        end
        update(chunk)
    end
    file:close()
    return true
end

function _M.verify(secret)
    local header = ngx.var.http_novu_signature
    if header == nil then
        return ngx.exit(ngx.HTTP_UNAUTHORIZED)
    end

    local t, signatures = parse(header)
    if t == nil or is_stale(t) then
        return ngx.exit(ngx.HTTP_UNAUTHORIZED)
    end

    ngx.req.read_body()

    C.HMAC_Init_ex(ctx, secret, #secret, sha256, nil)
    update(t .. ".")
    if not hash_body() then
        return ngx.exit(ngx.HTTP_INTERNAL_SERVER_ERROR)
    end
    C.HMAC_Final(ctx, mac, mac_len)

    local computed = ffi.string(mac, 32)
    for i = 1, #signatures do
        if signatures[i] == computed then
            return
        end
    end
    return ngx.exit(ngx.HTTP_UNAUTHORIZED)
end

return _M
