#!/bin/sh
# The full chaos run (make chaos): t/90-chaos.t for 60 s instead of 15,
# its figures printed at the end.  Usage: run.sh [SECONDS]
set -e
cd "$(dirname "$0")/../.."
ICP_CHAOS_SECS=${1:-60} perl t/90-chaos.t
