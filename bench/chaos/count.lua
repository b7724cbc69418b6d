-- wrk script of the chaos run: every request a new visitor from one of 4096
-- addresses (half of them known to Redis), half of them with UTM
-- parameters; done() prints the responses counted by status, which the
-- chaos test compares with nginx's own logs.  An argument (after "--")
-- is a pause in ms before each request of a connection, so the short run
-- writes no more records than the test can read back in a few seconds.

local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

function init(args)
    codes = {}
    n = 0
    pause = tonumber(args[1]) or 0
end

function delay()
    return pause
end

local paths = {
    "/?utm_source=linkedin&utm_campaign=abm-q4",
    "/?utm_source=google&utm_term=sre",
    "/",
    "/?utm_source=Bing&utm_medium=%ZZ%00",
}

function request()
    n = n + 1
    return wrk.format(nil, paths[n % #paths + 1], {
        ["X-Forwarded-For"] = string.format("198.18.%d.%d",
                                            math.floor(n / 256) % 16,
                                            n % 256)
    })
end

function response(status, headers, body)
    codes[status] = (codes[status] or 0) + 1
end

function done(summary, latency, requests)
    local total = {}

    for _, t in ipairs(threads) do
        for status, count in pairs(t:get("codes")) do
            total[status] = (total[status] or 0) + count
        end
    end

    io.write(string.format("chaos-wrk requests %d\n", summary.requests))
    for status, count in pairs(total) do
        io.write(string.format("chaos-wrk status %d %d\n", status, count))
    end
    io.write(string.format("chaos-wrk errors connect=%d read=%d write=%d "
                           .. "timeout=%d\n", summary.errors.connect,
                           summary.errors.read, summary.errors.write,
                           summary.errors.timeout))
end
