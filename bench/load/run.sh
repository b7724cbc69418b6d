#!/bin/sh
# icp-load throughput: rows/s into a private local redis-server.
#
# usage: sh bench/load/run.sh [ICP_LOAD_BIN] [ROWS]
#
# Generates ROWS (default 500000) rows with gen.awk, loads them 3 times,
# each into an empty database, and prints each run's rows/s (from
# icp-load's summary: reading, parsing and every reply, not the connect)
# and the median.
set -eu

bin=${1:-build/bin/icp-load}
rows=${2:-500000}
target=200000

dir=$(mktemp -d)
pid=
cleanup() {
    [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
    rm -rf "$dir"
}
trap cleanup EXIT INT TERM

port=$(perl -MIO::Socket::INET -e \
    'print IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1",
                                 LocalPort => 0)->sockport')

(cd "$dir" && exec redis-server --port "$port" --bind 127.0.0.1 --save '' \
    --appendonly no --daemonize no > redis.log 2>&1) &
pid=$!

i=0
until redis-cli -p "$port" ping > /dev/null 2>&1; do
    i=$((i + 1))
    [ $i -lt 50 ] || { echo "redis-server did not start" >&2; exit 1; }
    sleep 0.1
done

awk -v n="$rows" -f "$(dirname "$0")/gen.awk" > "$dir/rows.csv"

# CPU seconds redis-server has used so far
redis_cpu() {
    redis-cli -p "$port" info cpu | tr -d '\r' | awk -F: '
        /^used_cpu_(sys|user):/ { s += $2 } END { printf "%.3f\n", s }'
}

for run in 1 2 3; do
    redis-cli -p "$port" flushall > /dev/null
    cpu0=$(redis_cpu)
    "$bin" --redis "127.0.0.1:$port" "$dir/rows.csv" 2> "$dir/summary"
    cpu1=$(redis_cpu)
    sed -n 's/.*; \([0-9.]*\) s, \([0-9]*\) rows\/s$/\1 \2/p' \
        "$dir/summary" > "$dir/run"
    read -r secs rate < "$dir/run"
    echo "$rate" >> "$dir/rates"
    # near 100%: Redis is the bottleneck, not the loader
    echo "$secs $cpu0 $cpu1" | awk -v r="$run" -v rate="$rate" '{
        printf "run %d: %d rows/s, redis-server busy %.0f%% of %.2f s\n",
            r, rate, 100 * ($3 - $2) / $1, $1 }'
done

sort -n "$dir/rates" | sed -n 2p | awk -v t="$target" -v n="$rows" '{
    printf "icp-load: median %d rows/s, 3 runs of %d rows", $1, n
    printf " (%.2fx the %d rows/s target)\n", $1 / t, t
}'
