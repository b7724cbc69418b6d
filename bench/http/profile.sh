#!/bin/sh
# Where the time of a request goes: nginx without a master process under
# callgrind, with the servers and load of run.sh, instruction counts per
# request for a (plain), b (cache hit), r (a cache hit of a visitor with
# its cookies), c (Redis miss) and o (nginx alone with a hit's headers and
# log record), and for the Lua comparator (bench/lua) lb (hit) and lc
# (miss).
#
# usage: sh bench/http/profile.sh [MODULE.so] [BINDIR] [OUT] [LUALIB]
#   SECS=10   wrk's duration per configuration (under callgrind nginx
#             answers a few hundred requests a second)
#
# Keeps the seven profiles in OUT (default build/bench/http) as
# callgrind.{a,b,r,c,o,lb,lc}, prints instructions per request (Ir / requests)
# for each and the functions of b, r and c with the most inclusive
# instructions.
set -eu

secs=${SECS:-10}
out=$(mkdir -p "${3:-build/bench/http}" && cd "${3:-build/bench/http}" && pwd)

NGINX_GLOBAL="master_process off;"
NGINX_WRAP="valgrind --tool=callgrind --instr-atstart=no --dump-instr=no
            --callgrind-out-file=$out/callgrind.out"
# LuaJIT patches the machine code of its traces in place
NGINX_WRAP_LUA="valgrind --tool=callgrind --instr-atstart=no --dump-instr=no
            --smc-check=all-non-file
            --callgrind-out-file=$out/callgrind-lua.out"
rm -f "$out"/callgrind.* "$out"/callgrind-lua.* "$out/requests"

. "$(dirname "$0")/env.sh"
. "$(dirname "$0")/../lua/env.sh"

bench_up "${1:-build/ngx_http_icp_module.so}" "${2:-build/bin}"
lua_up "${4:-build/bench/lua}"

# a few requests before counting: the first ones open files, connect to Redis
bench_fill
# the first visits of 1,000 of them: callgrind slows nginx down
COOKIES=1000 bench_cookies
wrk -t1 -c32 -d2s -s "$bench_http/visitors.lua" "$url/lp/default.html" \
    -- repeat > /dev/null
bench_fill "$lurl"
# LuaJIT compiles its traces during the first requests
wrk -t1 -c32 -d"${secs}s" -s "$bench_http/visitors.lua" "$lurl/" \
    -- repeat > /dev/null

for cf in a b r c o lb lc; do
    base=$url
    pid=$npid
    case $cf in
    a) path=/lp/default.html; set -- repeat ;;
    o) path=/output; set -- repeat ;;
    b) path=/; set -- repeat ;;
    r) path=/; set -- return "$dir/cookies.txt" ;;
    c) path=/; set -- new 0 ;;
    lb) path=/; set -- repeat; base=$lurl; pid=$lnpid ;;
    lc) path=/; set -- new 0; base=$lurl; pid=$lnpid ;;
    esac
    callgrind_control -i on "$pid" > /dev/null 2>&1
    wrk -t1 -c32 -d"${secs}s" --timeout 10s -s "$bench_http/visitors.lua" \
        "$base$path" -- "$@" > "$dir/wrk.out"
    callgrind_control -d "$cf" "$pid" > /dev/null 2>&1
    callgrind_control -i off "$pid" > /dev/null 2>&1
    n=$(awk '/^result/ { print $7 }' "$dir/wrk.out")
    f=$(ls -t "$out"/callgrind.out.* "$out"/callgrind-lua.out.* 2> /dev/null \
        | head -1)
    mv "$f" "$out/callgrind.$cf"
    ir=$(sed -n 's/^totals: *//p' "$out/callgrind.$cf")
    echo "$cf: $n requests, $((ir / n)) instructions per request"
    echo "$cf $n" >> "$out/requests"
done

# inclusive counts of the functions that were running when counting was
# switched on (the event loop) are garbage: only those within the total;
# a function compiled into two objects is listed once
for cf in b r c; do
    n=$(awk -v c="$cf" '$1 == c { print $2 }' "$out/requests")
    ir=$(sed -n 's/^totals: *//p' "$out/callgrind.$cf")
    echo "$cf: functions by inclusive instructions per request"
    callgrind_annotate --inclusive=yes --auto=no --threshold=100 \
            "$out/callgrind.$cf" 2> /dev/null \
        | awk -v n="$n" -v total="$ir" '/^ *[0-9,]+ \( *[0-9.]+%\) / {
            v = $1; gsub(",", "", v)
            if (v + 0 > total + 0 || /PROGRAM TOTALS/) next
            sub(/^ *[0-9,]+ \( *[0-9.]+%\) +/, "")
            sub(/ \[.*\]$/, "")
            f = $0; sub(/.*:/, "", f)
            if (seen[f]++) next
            printf "%9d  %s\n", v / n, $0 }' | head -"${TOP:-40}"
done
