-- wrk: every request from another visitor address, so no lookup is a
-- cache hit or shares a query with another request
math.randomseed(os.time())

request = function()
    local ip = string.format("10.%d.%d.%d", math.random(0, 255),
                             math.random(0, 255), math.random(1, 254))
    return wrk.format(nil, nil, { ["X-Forwarded-For"] = ip })
end
