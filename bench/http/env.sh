# The benchmark's servers, sourced by bench/http/run.sh and
# bench/memory/run.sh (POSIX sh, set -eu):
#
#   bench_up MODULE.so BINDIR
#
# makes a temp dir $dir with the variant pages, the bench ruleset
# (bench/rules/gen.pl) and the firmographics (gen-data.pl); starts a
# private redis-server on a free loopback port, loads it with
# BINDIR/icp-load, then nginx (nginx.conf.in, $NGINX_BIN or the Debian one,
# WORKERS workers, 1 by default) on another.  Sets $url, $npid (master)
# and $wpid (the workers, space-separated);
# bench_fill then puts the 10,000 known visitors in the cache, and
# bench_cookies keeps the cookies of their first visit.
# An EXIT trap stops both and removes $dir, whatever ends the script.
# NGINX_WRAP (a command such as valgrind) and NGINX_GLOBAL (-g
# directives, such as "master_process off;") change how nginx runs; with
# no master, $wpid is $npid.

bench_http=$(cd "$(dirname "$0")/../http" && pwd)
bench_root=$(cd "$bench_http/../.." && pwd)
dir=
rpid=
npid=
lnpid=

bench_down() {
    for p in $npid $lnpid; do
        kill "$p" 2> /dev/null || true
        wait "$p" 2> /dev/null || true
    done
    if [ -n "$rpid" ]; then
        kill "$rpid" 2> /dev/null || true
        wait "$rpid" 2> /dev/null || true
    fi
    [ -z "$dir" ] || rm -rf "$dir"
}
trap bench_down EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

bench_port() {
    perl -MIO::Socket::INET -e \
        'print IO::Socket::INET->new(Listen => 1, LocalAddr => "127.0.0.1",
                                     LocalPort => 0)->sockport'
}

bench_wait() {
    i=0
    until "$@" > /dev/null 2>&1; do
        i=$((i + 1))
        [ $i -lt 600 ] || { echo "did not start: $*" >&2; exit 1; }
        sleep 0.1
    done
}

# a landing page of PAGE_KB kilobytes (4 by default), every variant a copy
# of it: what the module adds to a request is the same whatever the page,
# so its share of the request's cost shrinks as the page grows
bench_pages() {
    case ${PAGE_KB:-4} in
    *[!0-9]* | 0*)
        echo "PAGE_KB=$PAGE_KB: a number of kilobytes, 1 or more" >&2
        exit 2 ;;
    esac
    mkdir -p "$dir/html"
    perl -e 'my $n = int($ARGV[0] * 1024 / 101);
             print "<!doctype html>\n<title>landing page</title>\n",
             map({ sprintf "<p>paragraph %5d of the variant page, the same"
                   . " text for every variant: only the module differs</p>\n",
                   $_ } 1 .. $n)' "${PAGE_KB:-4}" > "$dir/variant.html"
    grep -o '/lp/[^ ;]*' "$dir/bench.rules" | sort -u | while read -r p; do
        mkdir -p "$dir/html${p%/*}"
        cp "$dir/variant.html" "$dir/html$p"
    done
}

bench_up() {
    # checked before anything starts
    case ${SENDFILE:=off} in
    on | off) ;;
    *) echo "SENDFILE=$SENDFILE: on or off" >&2; exit 2 ;;
    esac
    case ${WORKERS:=1} in
    [1-9] | [1-9][0-9]) ;;
    *) echo "WORKERS=$WORKERS: a number of worker processes" >&2; exit 2 ;;
    esac
    module=$(realpath "$1")
    bindir=$(realpath "$2")
    nginx=${NGINX_BIN:-/usr/sbin/nginx}

    dir=$(mktemp -d "${TMPDIR:-/tmp}/bench-http.XXXXXX")
    chmod 755 "$dir"
    mkdir -p "$dir/tmp"

    perl "$bench_root/bench/rules/gen.pl" rules > "$dir/bench.rules"
    perl "$bench_http/gen-data.pl" > "$dir/firmo.csv"
    bench_pages

    rport=$(bench_port)
    (cd "$dir" && exec redis-server --port "$rport" --bind 127.0.0.1 \
        --save '' --appendonly no --daemonize no > redis.log 2>&1) &
    rpid=$!
    bench_wait redis-cli -p "$rport" ping
    "$bindir/icp-load" --redis "127.0.0.1:$rport" "$dir/firmo.csv" \
        2> "$dir/load.log" || { cat "$dir/load.log" >&2; exit 1; }

    port=$(bench_port)
    sed -e "s|@MODULE@|$module|" -e "s|@DIR@|$dir|g" \
        -e "s|@SENDFILE@|$SENDFILE|" -e "s|@WORKERS@|$WORKERS|" \
        -e "s|@PORT@|$port|" -e "s|@REDIS_PORT@|$rport|" \
        "$bench_http/nginx.conf.in" > "$dir/nginx.conf"
    "$nginx" -t -q -p "$dir" -e "$dir/error.log" -c "$dir/nginx.conf"
    # shellcheck disable=SC2086
    ${NGINX_WRAP:-} "$nginx" -p "$dir" -e "$dir/error.log" \
        -c "$dir/nginx.conf" -g "${NGINX_GLOBAL:-}" &
    npid=$!
    url=http://127.0.0.1:$port
    bench_wait bench_get /lp/default.html
    wpid=$(bench_workers "$npid")
    bench_pin
}

# the worker processes of master $1, space-separated, once all have
# started; $1 itself when it runs without a master process
bench_workers() {
    case ${NGINX_GLOBAL:-} in
    *"master_process off"*) echo "$1"; return ;;
    esac
    i=0
    while [ "$(wc -w < "/proc/$1/task/$1/children")" -lt "$WORKERS" ] \
          && [ $i -lt 100 ]; do
        i=$((i + 1))
        sleep 0.1
    done
    echo $(cat "/proc/$1/task/$1/children")
}

# With 2 CPUs or more (and PIN=1, the default) the nginx worker has the
# last CPU to itself, and wrk and redis-server share the others: left to
# the scheduler, the three moved between CPUs and the same configuration
# varied up to 2x in requests/s and CPU per request between rounds.
# $client prefixes wrk.  With WORKERS above 1 nothing is pinned: the
# workers, wrk and redis-server share every CPU, as on a server.
client=
bench_pin() {
    ncpu=$(nproc)
    if [ "${PIN:-1}" = 1 ] && [ "$ncpu" -ge 2 ] && [ "$WORKERS" = 1 ]; then
        client="taskset -c 0-$((ncpu - 2))"
        for p in $wpid; do
            taskset -a -p -c $((ncpu - 1)) "$p" > /dev/null
        done
        taskset -a -p -c 0-$((ncpu - 2)) "$rpid" > /dev/null
    fi
}

# The access logs, emptied after every run: a 10 s run of b writes about
# 400 MB of records and a whole `make bench` 4 GB, which the kernel's
# flusher wrote back to disk 30 s later, during whichever run came then,
# and on any CPU, the worker's too; emptied, their dirty pages are dropped
# unwritten, and /tmp never holds more than one run's records.  The worker
# still pays for the write() of every record.
bench_logs_empty() {
    for log in "$dir/icp.log" "$dir/output.log" "$dir/lua.log"; do
        [ ! -f "$log" ] || : > "$log"
    done
}

# every one of the 10,000 known visitors once, so that repeat finds them
# all in the cache (wrk's runs have a duration, not a count); of the
# module's nginx, or of the one at URL $1
bench_fill() {
    fill=0
    while [ "$fill" -lt 10000 ]; do
        $client wrk -t1 -c32 -d2s -s "$bench_http/visitors.lua" \
            "${1:-$url}/" \
            -- each "$fill" > "$dir/fill.out"
        fill=$((fill + $(awk '/^result/ { print $7 }' "$dir/fill.out")))
    done
    bench_logs_empty
}

# the first COOKIES (all 10,000 by default) of the known visitors once,
# as a first visit, into $dir/cookies.txt: the cookies each got, for
# visitors.lua's return mode
bench_cookies() {
    perl "$bench_http/cookies.pl" "$url" "$dir/firmo.csv" ${COOKIES:-} \
        > "$dir/cookies.txt"
    bench_logs_empty
}

# GET PATH [URL]: the body on stdout; fails unless 200 (Perl's core
# HTTP::Tiny: no curl needed); of the module's nginx unless URL is given
bench_get() {
    perl -MHTTP::Tiny -e '
        my $r = HTTP::Tiny->new(timeout => 5)->get($ARGV[0]);
        $r->{status} == 200 or exit 1;
        print $r->{content}' "${2:-$url}$1"
}

# the status counters of the firmographic cache, as "HIT=N MISS=N ..."
bench_cache() {
    bench_get /icp-status | perl -ne \
        'print join(" ", map { s/"//g; s/:/=/; $_ } split /,/, $1), "\n"
             if /"cache":\{([^}]*)\}/'
}
