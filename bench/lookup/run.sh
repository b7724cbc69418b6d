#!/bin/sh
# Requests/s through the lookup stage, against a private redis-server and
# nginx with the built module, one worker, wrk with 2 threads and 32
# connections on loopback:
#
#   plain   a location without icp: nginx serving a small file
#   bypass  icp on, no lookup key: the whole icp pipeline (classify,
#           assign, cookies, internal redirect) without a lookup
#   hit     icp on, the same visitor again and again: shared-cache hits
#   miss    icp on, a random visitor address per request: a cache miss,
#           one pipelined round trip to Redis (ip, /24, /16), a cache put
#
# usage: sh bench/lookup/run.sh [MODULE.so] [SECONDS]
#
# Each scenario runs 5 times, interleaved; prints every run's requests/s
# and the nginx worker's CPU time per request (user + system, from
# /proc: on a shared machine it says more than requests/s), the medians,
# and the ratios of hit and miss to bypass: what the lookup costs.
set -eu

module=$(realpath "${1:-build/ngx_http_icp_module.so}")
secs=${2:-5}
here=$(cd "$(dirname "$0")" && pwd)

# the servers' helpers and the EXIT trap that stops them and removes $dir
. "$here/../http/env.sh"

dir=$(mktemp -d)
chmod 755 "$dir"

rport=$(bench_port)
nport=$(bench_port)

(cd "$dir" && exec redis-server --port "$rport" --bind 127.0.0.1 \
    --save '' --appendonly no --daemonize no > redis.log 2>&1) &
rpid=$!
bench_wait redis-cli -p "$rport" ping

redis-cli -p "$rport" hset icp:ip:192.0.2.7 company Acme employees 250 \
    industry software country US > /dev/null

mkdir -p "$dir/html/lp" "$dir/logs"
echo mid > "$dir/html/lp/mid.html"
echo default > "$dir/html/lp/default.html"
echo plain > "$dir/html/plain.html"

cat > "$dir/site.rules" <<'RULES'
icp mid_market {
    employees in 10..1000;
    industry in (software, "marketing services");
}
route mid_market * {
    variant mid /lp/mid.html;
}
route * * {
    variant default /lp/default.html;
}
RULES

cat > "$dir/nginx.conf" <<CONF
load_module $module;
daemon off;
worker_processes 1;
pid $dir/nginx.pid;
error_log $dir/logs/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    icp_redis 127.0.0.1:$rport timeout=1s;
    icp_cache zone=icp:8m;
    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;

    server {
        listen 127.0.0.1:$nport;
        root $dir/html;
        icp_rules $dir/site.rules;
        location = / { icp on; }
        location = /bypass { icp on; icp_lookup domain=\$cookie_none; }
        location / { }
    }
}
CONF

/usr/sbin/nginx -p "$dir" -c "$dir/nginx.conf" &
npid=$!
bench_wait curl -sf "http://127.0.0.1:$nport/plain.html"

url=http://127.0.0.1:$nport
wpid=$(ps -o pid= --ppid "$npid" | tr -d ' ' | head -n 1)
tick_us=$((1000000 / $(getconf CLK_TCK)))

# the worker's CPU time so far, in clock ticks
cpu() {
    awk '{ print $14 + $15 }' "/proc/$wpid/stat"
}

# one scenario, one run: "REQUESTS/S CPU-MICROSECONDS/REQUEST"
bench() {
    t0=$(cpu)

    case $1 in
    plain) wrk -t2 -c32 -d"$secs" "$url/plain.html" ;;
    bypass) wrk -t2 -c32 -d"$secs" "$url/bypass" ;;
    hit)   wrk -t2 -c32 -d"$secs" -H 'X-Forwarded-For: 192.0.2.7' "$url/" ;;
    miss)  wrk -t2 -c32 -d"$secs" -s "$here/random-ip.lua" "$url/" ;;
    esac > "$dir/wrk.out"

    if grep -q 'Non-2xx' "$dir/wrk.out"; then
        echo "$1: non-2xx responses" >&2
        cat "$dir/wrk.out" >&2
        exit 1
    fi

    t1=$(cpu)

    awk -v t="$((t1 - t0))" -v us="$tick_us" '
        / requests in / { n = $1 }
        /^Requests\/sec:/ { rate = $2 }
        END { printf "%d %.1f\n", rate, t * us / n }' "$dir/wrk.out"
}

for run in 1 2 3 4 5; do
    for s in plain bypass hit miss; do
        bench $s > "$dir/one"
        read -r rate us < "$dir/one"
        echo "$rate" >> "$dir/$s.rate"
        echo "$us" >> "$dir/$s.us"
        echo "run $run $s: $rate req/s, $us us CPU/request"
    done
done

# the median of 5, column-wise
median() { sort -n "$dir/$1" | sed -n 3p; }

for s in plain bypass hit miss; do
    echo "$s $(median $s.rate) $(median $s.us)"
done | awk '
    { rate[$1] = $2; us[$1] = $3
      printf "median %-6s %6d req/s %7.1f us CPU/request\n", $1, $2, $3 }
    END {
      printf "hit/bypass: %.2f req/s, %.2f CPU\n",
          rate["hit"] / rate["bypass"], us["hit"] / us["bypass"]
      printf "miss/bypass: %.2f req/s, %.2f CPU\n",
          rate["miss"] / rate["bypass"], us["miss"] / us["bypass"] }'

redis-cli -p "$rport" info commandstats | tr -d '\r' \
    | sed -n 's/^cmdstat_hgetall:calls=\([0-9]*\),.*/HGETALL calls: \1/p'

grep -E '\[(alert|crit|emerg)\]' "$dir/logs/error.log" >&2 || true
