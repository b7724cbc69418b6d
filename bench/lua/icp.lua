-- The module's job written as an OpenResty user would write it: the
-- comparator of bench/lua (bench/README.md).  Inputs from the query
-- string and the signed context cookie, a firmographic lookup through a
-- lua_shared_dict cache (ttl, negative ttl) with one pipelined resty.redis
-- round trip on a miss (ip, /24, /16; keepalive pool), the ruleset
-- converted by rules2lua.pl, the module's MurmurHash3 bucketing, the
-- visitor id and context cookies with the module's format and
-- HMAC-SHA256 (OpenSSL through the FFI, as lua-resty-hmac does), then
-- ngx.exec to the variant and the record in nginx variables for an
-- escape=json access_log.
--
--   init_by_lua_block { require("icp").init{ rules = "icp_rules",
--       redis_port = 6379, secret = "..." } }
--   location = / { access_by_lua_block { require("icp").handle() } }

local ffi = require "ffi"
local bit = require "bit"
-- lua-resty-redis, which Debian installs as nginx.redis
local redis = require "nginx.redis"

local ngx = ngx
local var = ngx.var
local band, bor, bxor = bit.band, bit.bor, bit.bxor
local lshift, rshift, rol, tobit = bit.lshift, bit.rshift, bit.rol, bit.tobit
local byte, sub, lower, find, gsub = string.byte, string.sub, string.lower,
                                     string.find, string.gsub
local concat = table.concat
local re_find = ngx.re.find

ffi.cdef [[
typedef struct evp_md_st EVP_MD;
const EVP_MD *EVP_sha256(void);
unsigned char *HMAC(const EVP_MD *evp_md, const void *key, int key_len,
                    const unsigned char *d, size_t n, unsigned char *md,
                    unsigned int *md_len);
int RAND_bytes(unsigned char *buf, int num);
]]

-- nginx links libcrypto: its symbols are in the global namespace
local crypto = ffi.C
local md_buf = ffi.new("unsigned char[32]")
local md_len = ffi.new("unsigned int[1]")
local rand_buf = ffi.new("unsigned char[16]")

local M = {}
local conf, rules
local cache = ngx.shared.icp_cache
local stats = ngx.shared.icp_stats

local UTM = { "utm_source", "utm_medium", "utm_campaign", "utm_term",
              "utm_content", "utm_id" }
local UTM_KEY = { "s", "m", "c", "t", "o", "i" }
local CLICKS = { "gclid", "fbclid", "msclkid", "li_fat_id" }
local FIRMO_LOG = { "company", "industry", "employees", "revenue",
                    "country", "region", "tech" }
local COOKIE_ATTR = "; Max-Age=31536000; Path=/; SameSite=Lax; HttpOnly"


-- MurmurHash3_x86_32, seed 0, in LuaJIT's 32-bit bit operations; a
-- product of two 32-bit words is split so the double keeps every bit
local function mul32(a, b)
    return tobit(band(a, 0xffff) * b + lshift(tobit(rshift(a, 16) * b), 16))
end

local function murmur3(s)
    local h, n = 0, #s
    local c1, c2 = tobit(0xcc9e2d51), tobit(0x1b873593)
    local k
    local blocks = n - n % 4

    for i = 1, blocks, 4 do
        local b1, b2, b3, b4 = byte(s, i, i + 3)
        k = bor(b1, lshift(b2, 8), lshift(b3, 16), lshift(b4, 24))
        k = mul32(rol(mul32(k, c1), 15), c2)
        h = rol(bxor(h, k), 13)
        h = tobit(mul32(h, 5) + tobit(0xe6546b64))
    end
    if blocks < n then
        k = 0
        for i = n, blocks + 1, -1 do
            k = bor(lshift(k, 8), byte(s, i))
        end
        h = bxor(h, mul32(rol(mul32(k, c1), 15), c2))
    end
    h = bxor(h, n)
    h = mul32(bxor(h, rshift(h, 16)), tobit(0x85ebca6b))
    h = mul32(bxor(h, rshift(h, 13)), tobit(0xc2b2ae35))
    h = bxor(h, rshift(h, 16))
    -- unsigned
    return h < 0 and h + 4294967296 or h
end
M.murmur3 = murmur3


local function b64url(s)
    return (gsub(ngx.encode_base64(s, true), "[+/]",
                 { ["+"] = "-", ["/"] = "_" }))
end

local function mac(vid, payload)
    local msg = "icp1|" .. vid .. "|" .. payload
    crypto.HMAC(crypto.EVP_sha256(), conf.secret, #conf.secret, msg, #msg,
                md_buf, md_len)
    return b64url(ffi.string(md_buf, 16))
end

local function new_vid()
    if crypto.RAND_bytes(rand_buf, 16) ~= 1 then
        return nil
    end
    return b64url(ffi.string(rand_buf, 16))
end

-- 22 characters of base64url whose last one carries no bit past 128
local function vid_valid(v)
    return v ~= nil and #v == 22 and not find(v, "[^A-Za-z0-9_-]")
           and find("AQgw", sub(v, 22), 1, true) ~= nil
end

local function pct(s)
    return (gsub(s, "[^A-Za-z0-9_.~-]", function(ch)
        return string.format("%%%02X", byte(ch))
    end))
end


-- The conditions of the converted ruleset: each returns a function of the
-- field's value (never nil: an absent field is false before it is called)

local function number(x)
    if type(x) == "number" then
        return x
    end
    local d, suffix = x:match("^([+-]?%d*%.?%d*)([kKmMbB]?)$")
    local n = d and tonumber(d)
    if not n then
        return nil
    end
    if suffix ~= "" then
        n = n * ({ k = 1e3, m = 1e6, b = 1e9 })[lower(suffix)]
    end
    return n
end

local function as_set(list)
    local t = {}
    for _, v in ipairs(list) do
        t[v] = true
    end
    return t
end

local cond = {}

function cond.set(field, text, nums, negate)
    local set = as_set(text)
    return { field = field, test = function(x)
        local hit = set[lower(x)] == true
        if not hit and #nums > 0 then
            local n = number(x)
            for i = 1, #nums do
                if n == nums[i] then
                    hit = true
                    break
                end
            end
        end
        return hit ~= negate
    end }
end

function cond.range(field, lo, hi)
    return { field = field, test = function(x)
        local n = number(x)
        return n ~= nil and n >= lo and n <= hi
    end }
end

function cond.cmp(field, op, v)
    local f
    if op == "<" then f = function(n) return n < v end
    elseif op == "<=" then f = function(n) return n <= v end
    elseif op == ">" then f = function(n) return n > v end
    else f = function(n) return n >= v end
    end
    return { field = field, test = function(x)
        local n = number(x)
        return n ~= nil and f(n)
    end }
end

function cond.re(field, pattern, flags, negate)
    return { field = field, test = function(x)
        local from, _, err = re_find(x, pattern, flags)
        if err then
            return false
        end
        return (from ~= nil) ~= negate
    end }
end

function cond.has(field, text)
    local set = as_set(text)
    return { field = field, test = function(x)
        for e in x:gmatch("[^,]+") do
            if set[lower(e:match("^[ \t]*(.-)[ \t]*$"))] then
                return true
            end
        end
        return false
    end }
end

function cond.exists(field)
    return { field = field, test = function() return true end }
end

function cond.missing(field)
    return { field = field, missing = true,
             test = function() return false end }
end

-- the value of a condition's field: nginx variables ($host) read when
-- asked, firmo. and contact. names as the plain field
local function getter(field)
    local name = field:match("^%$(.+)$")
    if name then
        return function() return var[name] end
    end
    name = field:match("^firmo%.(.+)$") or field:match("^contact%.(.+)$")
           or field
    return function(v) return v[name] end
end

local function prepare(list)
    for _, b in ipairs(list) do
        b.total = 0
        for _, c in ipairs(b.conds) do
            c.get = getter(c.cond.field)
            c.label = c.cond.field
            b.total = b.total + c.w
        end
    end
end

-- true, false, or nil when the field is absent ("absent" in the reason)
local function eval(c, v)
    local x = c.get(v)
    if x == nil then
        return c.cond.missing and true or nil
    end
    return c.cond.test(x)
end

local WORD = { [true] = " ok", [false] = " fail" }

-- "(f ok, g fail, h absent)" and whether every condition held
local function all_hold(b, v, why)
    local ok = true
    local parts = why and {}
    for i, c in ipairs(b.conds) do
        local r = eval(c, v)
        if r ~= true then
            ok = false
            if not why then
                return false
            end
        end
        if why then
            parts[i] = c.label .. (WORD[r] or " absent")
        end
    end
    return ok, why and "(" .. concat(parts, ", ") .. ")"
end

local function score(b, v)
    local held = 0
    local parts = {}
    for i, c in ipairs(b.conds) do
        local r = eval(c, v)
        if r == true then
            held = held + c.w
        end
        parts[i] = c.label .. (WORD[r] or " absent")
    end
    return held, "(" .. concat(parts, ", ") .. ")"
end

-- segment, score, persona, reason
local function classify(v)
    local seg, best, why
    local reason = {}

    for _, b in ipairs(rules.exclude) do
        local ok, w = all_hold(b, v, true)
        if ok then
            seg, best = "excluded", 0
            reason[1] = "excluded " .. b.name .. " " .. w
            break
        end
    end
    if not seg then
        local best_name
        best = -1
        for _, b in ipairs(rules.icp) do
            local held, w = score(b, v)
            local s = math.floor(100 * held / b.total)
            if 100 * held >= b.threshold * b.total then
                seg, best = b.name, s
                reason[1] = "icp " .. b.name .. " " .. s .. "% " .. w
                break
            end
            if s > best then
                best, best_name, why = s, b.name, w
            end
        end
        if not seg then
            seg = "none"
            reason[1] = "icp none, best " .. best_name .. " " .. best .. "% "
                        .. why
        end
    end

    local per = "none"
    reason[2] = "persona none"
    for _, b in ipairs(rules.persona) do
        if all_hold(b, v) then
            local _, w = all_hold(b, v, true)
            per = b.name
            reason[2] = "persona " .. b.name .. " " .. w
            break
        end
    end
    return seg, best, per, reason
end

local function route_of(seg, per)
    for _, r in ipairs(rules.route) do
        if (r.seg == "*" or r.seg == seg) and (r.per == "*" or r.per == per)
        then
            return r
        end
    end
end

-- the variant's index by bucket over the cumulative weights
local function draw(r, vid)
    local b = murmur3(r.exp .. "\0" .. vid) % 10000
    local cum = 0
    for i, v in ipairs(r.variants) do
        cum = cum + v.w
        if b < math.floor(cum * 10000 / r.wsum) then
            return i
        end
    end
    return #r.variants
end


-- The context cookie: PAYLOAD "." MAC (ngx_icp_module/icp_context.h)

local function ctx_read(vid)
    local cookie = var.cookie_icp_vid_ctx
    if not cookie or not vid then
        return nil
    end
    local payload, m = cookie:match("^(.*)%.([A-Za-z0-9_-]+)$")
    if not payload or m ~= mac(vid, payload) then
        return nil
    end
    local ctx = { visits = 0, utm = {}, assign = {} }
    for k, v in payload:gmatch("([^&=]+)=([^&]*)") do
        if k == "n" then
            ctx.visits = tonumber(v) or 0
        elseif k == "k" then
            ctx.click = ngx.unescape_uri(v)
        elseif k == "a" then
            local e, x = v:match("^(.-):(.*)$")
            if e then
                ctx.assign[#ctx.assign + 1] = { ngx.unescape_uri(e),
                                                ngx.unescape_uri(x) }
            end
        else
            for i = 1, #UTM_KEY do
                if k == UTM_KEY[i] then
                    ctx.utm[UTM[i]] = ngx.unescape_uri(v)
                end
            end
        end
    end
    return ctx
end

local function ctx_write(vid, visits, utm, click, assign)
    local p = { "n=" .. visits }
    for i = 1, #UTM do
        local v = utm[UTM[i]]
        if v then
            p[#p + 1] = UTM_KEY[i] .. "=" .. pct(v)
        end
    end
    if click then
        p[#p + 1] = "k=" .. click
    end
    for _, a in ipairs(assign) do
        p[#p + 1] = "a=" .. pct(a[1]) .. ":" .. pct(a[2])
    end
    local payload = concat(p, "&")
    return payload .. "." .. mac(vid, payload)
end


-- The lookup: the cache first, then ip, /24 and /16 in one round trip;
-- the record of the longest key found is cached for ttl, nothing found
-- for negative_ttl.  Records are "name\0value\0..." strings.

local function decode(s)
    local t = {}
    for k, v in s:gmatch("([^%z]*)%z([^%z]*)%z") do
        t[k] = v
    end
    return t
end

local function lookup(addr)
    local rec = cache:get(addr)
    if rec then
        return decode(rec), "HIT"
    end

    local red = redis:new()
    red:set_timeout(conf.timeout)
    local ok, err = red:connect(conf.redis_host, conf.redis_port)
    if not ok then
        ngx.log(ngx.ERR, "redis: ", err)
        return {}, "ERROR"
    end

    local a, b, c = addr:match("^(%d+)%.(%d+)%.(%d+)%.%d+$")
    red:init_pipeline()
    red:hgetall("icp:ip:" .. addr)
    if a then
        red:hgetall("icp:net:" .. a .. "." .. b .. "." .. c .. ".0/24")
        red:hgetall("icp:net:" .. a .. "." .. b .. ".0.0/16")
    end
    local res
    res, err = red:commit_pipeline()
    if not res then
        ngx.log(ngx.ERR, "redis: ", err)
        red:close()
        return {}, "ERROR"
    end
    red:set_keepalive(conf.keepalive, conf.pool)

    local found
    for i = 1, #res do
        if type(res[i]) == "table" and #res[i] > 0 then
            found = res[i]
            break
        end
    end
    if not found then
        cache:set(addr, "", conf.negative_ttl)
        return {}, "MISS"
    end
    local parts = {}
    for i = 1, #found do
        parts[i] = found[i] .. "\0"
    end
    cache:set(addr, concat(parts), conf.ttl)
    return decode(concat(parts)), "MISS"
end


function M.init(c)
    conf = c
    conf.redis_host = conf.redis_host or "127.0.0.1"
    conf.timeout = conf.timeout or 1000
    conf.ttl = conf.ttl or 600
    conf.negative_ttl = conf.negative_ttl or 60
    conf.keepalive = conf.keepalive or 60000
    conf.pool = conf.pool or 64
    rules = require(conf.rules)(cond)
    prepare(rules.exclude)
    prepare(rules.icp)
    prepare(rules.persona)
    for _, r in ipairs(rules.route) do
        r.wsum = 0
        for _, v in ipairs(r.variants) do
            r.wsum = r.wsum + v.w
        end
    end
end

function M.handle()
    local args = ngx.req.get_uri_args(32)
    local vid = var.cookie_icp_vid
    local cookies = {}

    if not vid_valid(vid) then
        vid = new_vid()
        cookies[1] = "icp_vid=" .. vid .. COOKIE_ATTR
    end

    local ctx = ctx_read(vid) or { visits = 0, utm = {}, assign = {} }

    -- new UTM parameters replace the saved set; none keep it
    local utm, click = {}, nil
    local given = false
    for i = 1, #UTM do
        local v = args[UTM[i]]
        if type(v) == "table" then
            v = v[1]
        end
        if type(v) == "string" then
            utm[UTM[i]] = sub(v, 1, 64)
            given = true
        end
    end
    for i = 1, #CLICKS do
        if args[CLICKS[i]] then
            click = CLICKS[i]
            given = true
            break
        end
    end
    if not given then
        utm, click = ctx.utm, ctx.click
    end
    local visits = ctx.visits + 1

    local addr = var.remote_addr
    local firmo, status = lookup(addr)
    stats:incr(status, 1, 0)

    local v = {}
    for k, x in pairs(firmo) do
        v[k] = x
    end
    for k, x in pairs(utm) do
        v[k] = x
    end
    v.click_id = click
    v.visits = visits

    local seg, sc, per, reason = classify(v)
    local r = route_of(seg, per)
    -- no route: the request is left alone
    if not r then
        return
    end

    local i, new, weights = 1, false, ""
    if #r.variants > 1 then
        local slot, kept
        for j, a in ipairs(ctx.assign) do
            if a[1] == r.exp then
                slot = j
                for k, x in ipairs(r.variants) do
                    if x.name == a[2] then
                        kept = k
                    end
                end
                break
            end
        end
        if kept then
            i = kept
        else
            i, new = draw(r, vid), true
        end
        -- a new experiment goes last, the oldest dropped past 8
        if not slot then
            if #ctx.assign == 8 then
                table.remove(ctx.assign, 1)
            end
            slot = #ctx.assign + 1
        end
        ctx.assign[slot] = { r.exp, r.variants[i].name }
        local w = {}
        for k, x in ipairs(r.variants) do
            w[k] = x.name .. ":" .. x.w
        end
        weights = concat(w, ",")
    end
    local variant = r.variants[i]

    cookies[#cookies + 1] = "icp_vid_ctx="
        .. ctx_write(vid, visits, utm, click, ctx.assign) .. COOKIE_ATTR
    ngx.header["Set-Cookie"] = cookies
    ngx.header["Cache-Control"] = "private"

    reason[3] = "route " .. r.seg .. "/" .. r.per
    var.lua_vid = vid
    var.lua_seg = seg
    var.lua_per = per
    var.lua_score = sc
    var.lua_route = r.seg .. "/" .. r.per
    var.lua_exp = r.exp
    var.lua_var = variant.name
    var.lua_new = new and "true" or "false"
    var.lua_weights = weights
    var.lua_reason = concat(reason, "; ")
    var.lua_utm_source = utm.utm_source or ""
    var.lua_utm_medium = utm.utm_medium or ""
    var.lua_utm_campaign = utm.utm_campaign or ""
    var.lua_utm_term = utm.utm_term or ""
    var.lua_utm_content = utm.utm_content or ""
    for k = 1, #FIRMO_LOG do
        var["lua_" .. FIRMO_LOG[k]] = firmo[FIRMO_LOG[k]] or ""
    end
    var.lua_cache = status
    var.lua_logged = "1"

    return ngx.exec(variant.uri, var.args)
end

return M
