#!/bin/sh
# Requests/s and latency of nginx with the module against plain nginx, on
# one machine in one run (see bench/README.md):
#
#   a  plain: a static landing page, icp off
#   b  hit:   icp on, the 100-rule bench ruleset with its experiments,
#             the same 10,000 addresses over and over (the cache filled
#             first): every lookup a cache hit; no cookie: every request a
#             first visit, given a visitor id and a signed context
#   r  return: b's path for visitors who come back with the cookies of
#             their first visit (cookies.pl): the signed context checked
#             and signed again, no new visitor id
#   c  miss:  b's path, every request a new visitor address: a cache miss
#             and a pipelined round trip to Redis
#   o  output: no module logic, but what b's answers carry done by nginx
#             alone (a second pass, two Set-Cookie headers, a JSON log
#             record of the same size): what b's output costs without
#             the module's decisions; a reference, no target
#   lb, lc    the Lua comparator (bench/lua) on b's and c's requests:
#             the same job as an OpenResty user writes it, in a second
#             nginx on the same CPU, after a check that it decides as
#             the module does
#
# usage: sh bench/http/run.sh [MODULE.so] [BINDIR] [LUALIB]
#                                                        (make bench-http)
#   SECS=10 ROUNDS=3 CONNS=32 THREADS=1   wrk's duration per run, rounds
#                                         of a o b r c lb lc,
#                                         connections, threads
#   PAGE_KB=4                             the landing page's size
#   SENDFILE=off                          nginx's sendfile (Debian's
#                                         nginx.conf has it on)
#   PIN=1                                 nginx's worker on the last CPU,
#                                         wrk and redis on the others
#   WORKERS=1                             nginx's worker_processes (both
#                                         nginx); above 1 nothing is
#                                         pinned
#   CHECK_N=1000                          visitors of the Lua check
#   PACE_MS=1 PACED_CONNS=8               the paced runs of a and b: each
#                                         connection, in a thread of its
#                                         own, waits PACE_MS after a
#                                         response
#
# Prints every run, then per configuration the medians of requests/s, p50,
# p99 and the CPU time per request of the nginx worker and of redis-server
# (from /proc: steadier than requests/s on a busy machine), the ratios
# against a and each target met or missed.  Then the same rounds of a and
# b paced to one offered load that neither saturates: with 32 connections
# on a saturated worker, p99 is the time a request queues, 32 / (requests
# per second), and only restates the throughput; paced, it is the time
# nginx takes to answer.
set -eu

secs=${SECS:-10}
rounds=${ROUNDS:-3}
conns=${CONNS:-32}
threads=${THREADS:-1}

. "$(dirname "$0")/env.sh"

. "$(dirname "$0")/../lua/env.sh"

bench_up "${1:-build/ngx_http_icp_module.so}" "${2:-build/bin}"
lua_up "${3:-build/bench/lua}"
echo "nginx workers $wpid on $url, Lua's $lwpid on $lurl;" \
     "a page of ${PAGE_KB:-4} KB, sendfile $SENDFILE;" \
     "wrk -t$threads -c$conns -d${secs}s, $rounds rounds of a o b r c lb lc"
if [ -z "$client" ]; then
    echo "nothing pinned: the workers, wrk and redis-server share" \
         "$(nproc) CPUs"
fi

# the comparator decides as the module does, or its figures mean nothing
perl "$bench_lua/check.pl" "$url" "$lurl" "$dir/icp.log" "$dir/lua.log" \
    "${CHECK_N:-1000}"
bench_logs_empty

tck=$(getconf CLK_TCK)

# CPU time processes have used, in clock ticks
cpu_ticks() {
    for p in "$@"; do
        sed 's/.*) //' "/proc/$p/stat"
    done | awk '{ t += $12 + $13 } END { print t }'
}

# wrk PATH MODE [START]: prints "REQ/S P50_US P99_US WORKER_US REDIS_US",
# the last two CPU microseconds per request; to $base (the module's nginx
# or Lua's), whose workers are $wp
run_wrk() {
    path=$1
    shift
    # shellcheck disable=SC2086
    w0=$(cpu_ticks $wp)
    r0=$(cpu_ticks "$rpid")
    $client env ${pace:+ICP_PACE_MS=$pace} \
        wrk -t"$threads" -c"$conns" -d"${secs}s" --timeout 5s \
        -s "$bench_http/visitors.lua" "$base$path" -- "$@" > "$dir/wrk.out"
    # shellcheck disable=SC2086
    w1=$(cpu_ticks $wp)
    r1=$(cpu_ticks "$rpid")
    bench_logs_empty
    # shellcheck disable=SC2046
    set -- $(sed -n 's/^result //p' "$dir/wrk.out")
    if [ $# -ne 6 ] || [ "$4" -ne 0 ] || [ "$5" -ne 0 ]; then
        echo "wrk: no result, non-2xx responses or socket errors" >&2
        cat "$dir/wrk.out" "$dir/error.log" "$dir/lua/error.log" >&2
        exit 1
    fi
    echo "$1 $2 $3 $6" | awk -v t="$tck" -v w=$((w1 - w0)) -v r=$((r1 - r0)) \
        '{ printf "%d %d %d %.1f %.1f\n", $1, $2, $3,
                  w * 1e6 / t / $4, r * 1e6 / t / $4 }'
}

# the share of HIT and MISS in the cache counters between $1 and $2
cache_share() {
    echo "$1 $2" | awk '{
        for (i = 1; i <= NF; i++) {
            split($i, kv, "=")
            if (i <= NF / 2) { was[kv[1]] = kv[2] } else {
                d[kv[1]] = kv[2] - was[kv[1]]; n += d[kv[1]] }
        }
        printf "HIT %.1f%%, MISS %.1f%%", 100 * d["HIT"] / n,
               100 * d["MISS"] / n }'
}

# every known visitor's first visit, and the cookies it got
bench_cookies

# the first requests of a fresh worker are slower: not in the figures
$client wrk -t1 -c"$conns" -d1s -s "$bench_http/visitors.lua" \
    "$url/lp/default.html" \
    > /dev/null

# run_cf CF ROUND: one run of configuration CF, appended to $dir/CF$tag
# and printed
run_cf() {
    base=$url
    wp=$wpid
    case $1 in
    a)  res=$(run_wrk /lp/default.html repeat) ;;
    o)  res=$(run_wrk /output repeat) ;;
    b)  bench_fill
        was=$(bench_cache)
        res=$(run_wrk / repeat "$2")
        share=$(cache_share "$was" "$(bench_cache)") ;;
    r)  bench_fill
        was=$(bench_cache)
        res=$(run_wrk / return "$dir/cookies.txt" "$2")
        share=$(cache_share "$was" "$(bench_cache)") ;;
    c)  was=$(bench_cache)
        res=$(run_wrk / new "$start")
        share=$(cache_share "$was" "$(bench_cache)") ;;
    lb) base=$lurl
        wp=$lwpid
        bench_fill "$lurl"
        was=$(lua_cache)
        res=$(run_wrk / repeat "$2")
        share=$(cache_share "$was" "$(lua_cache)") ;;
    # the addresses of this round's c, new to Lua's cache
    lc) base=$lurl
        wp=$lwpid
        was=$(lua_cache)
        res=$(run_wrk / new "$start")
        start=$((start + 1048576))
        share=$(cache_share "$was" "$(lua_cache)") ;;
    esac
    echo "$res" >> "$dir/$1$tag"
    echo "$res" | awk -v r="$2" -v c="$1$label" -v s="${share:-}" '{
        printf "round %d %s: %6d req/s, p50 %.2f ms, p99 %.2f ms,",
            r, c, $1, $2 / 1000, $3 / 1000
        printf " cpu/req nginx %.1f us, redis %.1f us%s\n", $4, $5,
            s == "" ? "" : "; " s }'
    share=
}

pace=
tag=
label=
start=0
for round in $(seq 1 "$rounds"); do
    for cf in a o b r c lb lc; do
        run_cf "$cf" "$round"
    done
done

# the same offered load for a and b, a tenth of what b can serve, every
# lookup of b a hit still; a thread per connection, or one thread's
# connections wake in the same millisecond and nginx answers them in turn
# (with -t1 -c8 the worker found 4 or 5 requests ready per epoll_wait,
# and p99 measured that line again)
pace=${PACE_MS:-1}
conns=${PACED_CONNS:-8}
threads=$conns
tag=p
label=" paced ($pace ms)"
for round in $(seq 1 "$rounds"); do
    for cf in a b; do
        run_cf "$cf" "$round"
    done
done

# the median of column $2 of file $1
median() {
    sort -n -k "$2" "$dir/$1" | awk -v k="$2" '{ v[NR] = $k } END {
        print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

for cf in a b c o r lb lc ap bp; do
    echo "$cf $(median "$cf" 1) $(median "$cf" 2) $(median "$cf" 3)" \
         "$(median "$cf" 4) $(median "$cf" 5)"
done > "$dir/medians"

awk -v n="$rounds" -v pace="$pace" -v pconns="$conns" '
    { rps[$1] = $2; p50[$1] = $3; p99[$1] = $4; wus[$1] = $5; rus[$1] = $6 }
    function verdict(ok) { return ok ? "met" : "MISSED" }
    END {
        name["a"] = "plain"; name["b"] = "hit"; name["c"] = "miss"
        name["o"] = "output"; name["r"] = "hit, return"
        name["ap"] = "plain, paced"; name["bp"] = "hit, paced"
        name["lb"] = "Lua, hit"; name["lc"] = "Lua, miss"
        printf "medians of %d runs:\n", n
        split("a b r c o lb lc ap bp", order, " ")
        for (i = 1; i <= 9; i++) {
            k = order[i]
            printf "  %-2s %-12s %6d req/s, p50 %.2f ms, p99 %.2f ms,", k,
                name[k], rps[k], p50[k] / 1000, p99[k] / 1000
            printf " cpu/req nginx %.1f us, redis %.1f us\n", wus[k], rus[k]
        }
        b = rps["b"] / rps["a"]; c = rps["c"] / rps["a"]
        printf "b/a %.2f (target >= 0.90: %s)\n", b, verdict(b >= 0.90)
        printf "c/a %.2f (target >= 0.75: %s)\n", c, verdict(c >= 0.75)
        printf "r/a %.2f (hits of visitors with their cookies)\n",
            rps["r"] / rps["a"]
        printf "o/a %.2f (nginx alone, a hit'"'"'s headers and log record)," \
            " b/o %.2f (the module'"'"'s logic)\n", rps["o"] / rps["a"],
            rps["b"] / rps["o"]
        printf "p99 b/a saturated %.2f (a queue: about a/b requests/s)\n",
            p99["b"] / p99["a"]
        p = p99["bp"] / p99["ap"]
        printf "p99 b/a at one load, %d connections, a thread each," \
            " paced %s ms (%d and %d req/s) %.2f (target <= 1.20: %s)\n",
            pconns, pace, rps["ap"], rps["bp"], p, verdict(p <= 1.20)
        printf "nginx cpu/req b/a %.2f, r/a %.2f, c/a %.2f, o/a %.2f\n",
            wus["b"] / wus["a"], wus["r"] / wus["a"], wus["c"] / wus["a"],
            wus["o"] / wus["a"]
        printf "module/Lua requests/s: hits b/lb %.2f, misses c/lc %.2f;" \
            " nginx cpu/req lb/b %.2f, lc/c %.2f\n", rps["b"] / rps["lb"],
            rps["c"] / rps["lc"], wus["lb"] / wus["b"], wus["lc"] / wus["c"]
    }' "$dir/medians"

if grep -E '\[(alert|crit|emerg|error)\]' "$dir/lua/error.log" >&2 \
   || grep -E '\[(alert|crit|emerg)\]' "$dir/error.log" >&2; then
    exit 1
fi
