#!/bin/sh
# Per-request leaks: the servers of bench/http, 1,000,000 requests to the
# module (by default), half from returning visitors (cache hits), half from
# new ones (misses, Redis), in alternating slices; the worker's resident
# memory is read from /proc after a first slice of each kind and at the
# end.
#
# usage: sh bench/memory/run.sh [MODULE.so] [BINDIR]     (make bench-memory)
#   REQUESTS=1000000 SLICE=5   requests after the warm-up, seconds per wrk
#                              run
#
# The warm-up sends new visitors until 60,000 misses have filled the
# cache (about 33,000 entries fit in 8 MB) and evictions have begun, so
# the shared pages are all touched before the first reading.  Resident
# memory (VmRSS) and private memory (RssAnon) must then grow by less than
# 1 MB.  Shared memory (RssShmem, the zones the worker has touched) stays
# within their size: the 8 MB cache zone of nginx.conf.in plus the 256 kB
# status zone (NGX_HTTP_ICP_STATUS_SIZE).
set -eu

total=${REQUESTS:-1000000}
slice=${SLICE:-5}

. "$(dirname "$0")/../http/env.sh"

bench_up "${1:-build/ngx_http_icp_module.so}" "${2:-build/bin}"

# "RSS_KB ANON_KB SHMEM_KB" of the worker
rss() {
    awk '/^VmRSS:/ { r = $2 } /^RssAnon:/ { a = $2 } /^RssShmem:/ { s = $2 }
         END { print r, a, s }' "/proc/$wpid/status"
}

done_n=0
start=0
load() {
    $client wrk -t1 -c32 -d"${slice}s" --timeout 5s \
        -s "$bench_http/visitors.lua" \
        "$url/" -- "$@" > "$dir/wrk.out"
    bench_logs_empty
    set -- $(sed -n 's/^result //p' "$dir/wrk.out")
    if [ $# -ne 6 ] || [ "$4" -ne 0 ] || [ "$5" -ne 0 ]; then
        echo "wrk: no result, non-2xx responses or socket errors" >&2
        cat "$dir/wrk.out" "$dir/error.log" >&2
        exit 1
    fi
    done_n=$((done_n + $6))
}

misses() {
    bench_cache | tr ' ' '\n' | sed -n 's/^MISS=//p'
}

load repeat 0
while [ "$(misses)" -lt 60000 ]; do
    load new "$start"
    start=$((start + 1048576))
done
base=$(rss)
first=$done_n
echo "warm-up, $done_n requests: rss/anon/shmem $base kB"

while [ $((done_n - first)) -lt "$total" ]; do
    load repeat "$done_n"
    load new "$start"
    start=$((start + 1048576))
    echo "after $done_n requests: rss/anon/shmem $(rss) kB"
done

echo "$base $(rss)" | awk -v n=$((done_n - first)) '
    function verdict(ok) { return ok ? "met" : "MISSED" }
    {
        printf "worker growth over %d requests after the warm-up:", n
        printf " rss %+d kB, anon %+d kB (target < 1024 kB: %s);", $4 - $1,
            $5 - $2, verdict($4 - $1 < 1024 && $5 - $2 < 1024)
        printf " shmem %d kB (zones 8448 kB: %s)\n", $6,
            verdict($6 <= 8448)
    }'
echo "cache counters: $(bench_cache)"

if grep -E '\[(alert|crit|emerg)\]' "$dir/error.log" >&2; then
    exit 1
fi
