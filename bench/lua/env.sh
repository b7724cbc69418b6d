# The Lua comparator's nginx, sourced after bench/http/env.sh (POSIX sh,
# set -eu):
#
#   lua_up LIBDIR
#
# after bench_up: unpacks Debian's lua-nginx-redis (resty.redis) into
# LIBDIR unless it is there (`apt-get download` and `dpkg-deb -x`: the
# package depends on nginx-extras, which would replace Debian's nginx),
# converts the bench ruleset with rules2lua.pl and starts a second nginx
# (bench/lua/nginx.conf.in, $WORKERS workers, Debian's
# libnginx-mod-http-lua and lua-resty-core) on the same Redis and pages.
# Sets $lurl, $lnpid (master) and $lwpid (the workers), pinned as
# bench_pin pins the module's; bench_down stops it.

bench_lua=$(cd "$bench_http/../lua" && pwd)

lua_redis() {
    [ ! -f "$1/usr/share/lua/5.1/nginx/redis.lua" ] || return 0
    mkdir -p "$1"
    (cd "$1" && apt-get download lua-nginx-redis > /dev/null 2>&1) || {
        echo "apt-get download lua-nginx-redis failed" >&2
        exit 1
    }
    dpkg-deb -x "$(ls -t "$1"/lua-nginx-redis_*.deb | head -1)" "$1"
}

lua_up() {
    lib=$(mkdir -p "$1" && cd "$1" && pwd)
    lua_redis "$lib"
    mkdir -p "$dir/lua"
    cp "$bench_lua/icp.lua" "$dir/lua/"
    perl "$bench_lua/rules2lua.pl" "$dir/bench.rules" \
        > "$dir/lua/icp_rules.lua"

    lport=$(bench_port)
    sed -e "s|@DIR@|$dir|g" -e "s|@LUALIB@|$lib/usr/share/lua/5.1|" \
        -e "s|@SENDFILE@|$SENDFILE|" -e "s|@WORKERS@|$WORKERS|" \
        -e "s|@PORT@|$lport|" -e "s|@REDIS_PORT@|$rport|" \
        "$bench_lua/nginx.conf.in" > "$dir/lua/nginx.conf"
    "$nginx" -t -q -p "$dir/lua" -e "$dir/lua/error.log" \
        -c "$dir/lua/nginx.conf"
    # shellcheck disable=SC2086
    ${NGINX_WRAP_LUA:-${NGINX_WRAP:-}} "$nginx" -p "$dir/lua" \
        -e "$dir/lua/error.log" -c "$dir/lua/nginx.conf" \
        -g "${NGINX_GLOBAL:-}" &
    lnpid=$!
    lurl=http://127.0.0.1:$lport
    bench_wait bench_get /lp/default.html "$lurl"
    lwpid=$(bench_workers "$lnpid")
    if [ -n "$client" ]; then
        for p in $lwpid; do
            taskset -a -p -c $(($(nproc) - 1)) "$p" > /dev/null
        done
    fi
}

# the Lua cache's counters, as "HIT=N MISS=N ERROR=N"
lua_cache() {
    bench_get /lua-status "$lurl"
}
