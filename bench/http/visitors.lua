-- wrk script of the HTTP benchmark: every request from a visitor address
-- (X-Forwarded-For) with UTM parameters and, sometimes, a click id drawn
-- from the vocabulary of the bench ruleset, so that personas match.
--
--   wrk -s visitors.lua URL -- repeat [SEED]
--       one of the 10,000 addresses of gen-data.pl, at random: once each
--       has come (each), every lookup is a cache hit
--   wrk -s visitors.lua URL -- each START
--       the 10,000 addresses in turn from number START: fills the cache
--       before a run of repeat
--   wrk -s visitors.lua URL -- return FILE [SEED]
--       a returning visitor at random, with the cookies of its first
--       visit (FILE, from cookies.pl: an address and a Cookie header a
--       line): the module checks the signed context and signs it again
--   wrk -s visitors.lua URL -- new START
--       every request a new address in 10.0.0.0/10 (a company at /24 or
--       /16 in Redis, never in the cache): request N of the run takes
--       address number (START + N) * 3635633 mod 2^22 (an odd factor: a
--       permutation), so an address comes back only after 4 million others
--
-- With ICP_PACE_MS=N in the environment each connection waits N ms after
-- a response before its next request: a and b then get the same offered
-- load, below what either can serve, and the latency is the service's,
-- not the length of a queue.  Paced, give every connection its own thread
-- (-tN -cN): the timers of one thread's connections are set in the same
-- millisecond and fire together, so one thread sends its requests in
-- bursts, and the last of a burst waits for all the others.
-- each and new number their addresses for one thread; repeat and return
-- draw them from a seed per thread.
--
-- done() prints one line for the driver:
--   result REQUESTS/S P50_US P99_US NON_2XX SOCKET_ERRORS REQUESTS

local sources = { "linkedin", "google", "bing", "facebook", "twitter",
                  "newsletter", "g2", "capterra", "reddit" }
local mediums = { "cpc", "paid_social", "email", "organic", "referral",
                  "display" }
local campaigns = { "abm-demand-2025", "brand-q4-2026", "webinar-launch",
                    "retarget-smb-2024", "devops-trial-2026",
                    "pricing-promo", "enterprise-abm-2026", "test-q1" }
local terms = { "crm", "marketing+automation", "devops+platform",
                "sre+tools", "lead+scoring", "kubernetes+cost",
                "email+marketing", "attribution" }
local clicks = { "gclid", "fbclid", "msclkid", "li_fat_id" }

local mode, start, n = "repeat", 0, 0
local threads = 0
local headers = {}
local returning = {}

-- wrk looks for delay() once, when it loads the script
local pace = tonumber(os.getenv("ICP_PACE_MS") or "")

if pace then
    function delay()
        return pace
    end
end

local function pick(t)
    return t[math.random(#t)]
end

-- called in the main script for each thread, before the thread's init()
function setup(thread)
    thread:set("thread_index", threads)
    threads = threads + 1
end

local function read_cookies(file)
    local list = {}

    for line in assert(io.open(file or "")):lines() do
        local addr, cookie = line:match("^([^\t]+)\t(.+)$")
        if not addr then
            error(file .. ": not ADDRESS<TAB>COOKIE: " .. line)
        end
        list[#list + 1] = { addr, cookie }
    end
    if #list == 0 then
        error(file .. ": no visitors")
    end
    return list
end

function init(args)
    local index = thread_index or 0

    mode = args[1] or "repeat"
    if mode == "return" then
        returning = read_cookies(args[2])
        start = tonumber(args[3] or "0")
    else
        start = tonumber(args[2] or "0")
    end
    if (mode == "each" or mode == "new") and index > 0 then
        error(mode .. " numbers its addresses for one thread: use -t1")
    end
    math.randomseed(start + 1 + index * 7919)
end

local function visitor(i)
    return string.format("10.%d.%d.%d", i % 64, math.floor(i / 64) % 40,
                         1 + math.floor(i / 2560))
end

local function each_address()
    n = n + 1
    return visitor((start + n - 1) % 10000)
end

local function new_address()
    local a = (((start + n) % 4194304) * 3635633) % 4194304
    n = n + 1
    return string.format("10.%d.%d.%d", math.floor(a / 65536),
                         math.floor(a / 256) % 256, a % 256)
end

function request()
    local q = "?utm_source=" .. pick(sources) .. "&utm_medium="
              .. pick(mediums) .. "&utm_campaign=" .. pick(campaigns)

    if math.random() < 0.5 then
        q = q .. "&utm_term=" .. pick(terms)
    end
    if math.random() < 0.3 then
        q = q .. "&" .. pick(clicks) .. "=Cj0KCQiA" .. math.random(1e6)
    end

    if mode == "return" then
        local v = returning[math.random(#returning)]
        headers["X-Forwarded-For"] = v[1]
        headers["Cookie"] = v[2]
    elseif mode == "new" then
        headers["X-Forwarded-For"] = new_address()
    elseif mode == "each" then
        headers["X-Forwarded-For"] = each_address()
    else
        headers["X-Forwarded-For"] = visitor(math.random(0, 9999))
    end

    return wrk.format("GET", wrk.path .. q, headers)
end

function done(summary, latency, requests)
    local bad = summary.errors.status
    local sock = summary.errors.connect + summary.errors.read
                 + summary.errors.write + summary.errors.timeout

    io.write(string.format("result %.0f %d %d %d %d %d\n",
                           summary.requests / (summary.duration / 1e6),
                           latency:percentile(50), latency:percentile(99),
                           bad, sock, summary.requests))
end
