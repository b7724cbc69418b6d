#!/bin/sh
# The Lua comparator's correctness check alone (bench/lua/check.pl): the
# servers of bench/http, the module's nginx and the Lua one, and N
# visitors sent to both.  bench/http/run.sh runs the same check first.
#
# usage: sh bench/lua/check.sh [MODULE.so] [BINDIR] [LIBDIR]
#   CHECK_N=1000   visitors, each visiting twice
set -eu

. "$(dirname "$0")/../http/env.sh"
. "$(dirname "$0")/env.sh"

bench_up "${1:-build/ngx_http_icp_module.so}" "${2:-build/bin}"
lua_up "${3:-build/bench/lua}"
perl "$bench_lua/check.pl" "$url" "$lurl" "$dir/icp.log" "$dir/lua.log" \
    "${CHECK_N:-1000}"
