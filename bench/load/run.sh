#!/bin/sh
# icp-load throughput: rows/s into a private local redis-server.
#
# usage: sh bench/load/run.sh [ICP_LOAD_BIN] [ROWS]
#
# Generates ROWS (default 500000) rows: 80% IPv4 and 10% IPv6 ip rows,
# 5% domain rows, 5% /24 cidr rows, ten fields each; loads them 3 times
# into an empty database and prints each run's rows/s and the median.
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

awk -v n="$rows" 'BEGIN {
    print "ip,cidr,domain,company,industry,employees,revenue,country,region,tech"
    split("software,marketing services,manufacturing,retail,financial services", ind, ",")
    split("US,CA,GB,DE,FR", cc, ",")
    srand(42)
    for (i = 0; i < n; i++) {
        r = i % 20
        ip = ""; net = ""; dom = ""
        if (r < 16) {
            ip = sprintf("10.%d.%d.%d", int(i / 65536) % 256,
                         int(i / 256) % 256, i % 256)
        } else if (r < 18) {
            ip = sprintf("2001:db8:%x::%x", int(i / 65536), i % 65536)
        } else if (r < 19) {
            dom = sprintf("company-%d.example", i)
        } else {
            net = sprintf("172.%d.%d.0/24", 16 + int(i / 65536) % 16,
                          int(i / 256) % 256)
        }
        printf "%s,%s,%s,\"Company %d, Inc.\",%s,%d,%d,%s,Region %d,\"hubspot,salesforce\"\n",
            ip, net, dom, i, ind[1 + i % 5], 1 + int(rand() * 5000),
            int(rand() * 1e9), cc[1 + i % 5], i % 50
    }
}' > "$dir/rows.csv"

for run in 1 2 3; do
    redis-cli -p "$port" flushall > /dev/null
    "$bin" --redis "127.0.0.1:$port" "$dir/rows.csv" 2>&1 \
        | sed -n 's/.* \([0-9][0-9]*\) rows\/s$/\1/p' >> "$dir/rates"
    echo "run $run: $(tail -n 1 "$dir/rates") rows/s"
done

sort -n "$dir/rates" | sed -n 2p | awk -v t="$target" -v n="$rows" '{
    printf "icp-load: median %d rows/s over 3 runs of %d rows (%.2fx the %d rows/s target)\n",
        $1, n, $1 / t, t
}'
