#!/bin/sh
# Instructions per lfr_classify call, counted by callgrind, over 100,000
# generated visitors and a generated 100-condition ruleset (gen.pl).
#
#   sh bench/rules/run.sh [BUILD]      (make bench-rules)
#
# Prints the mean over all calls (inclusive Ir of lfr_classify / calls)
# and the median, p90 and max over the first EACH calls, each measured
# alone: a callgrind dump after every call.

set -e

build=${1:-build}
out=$build/bench/rules
n=${N:-100000}
each=${EACH:-10000}

mkdir -p "$out"
rm -f "$out"/callgrind.*

perl bench/rules/gen.pl rules > "$out/bench.rules"
perl bench/rules/gen.pl inputs "$n" > "$out/inputs.tsv"
head -1 "$out/bench.rules"
"$build/bin/icp-rules" check "$out/bench.rules"

# every call: the mean
valgrind --tool=callgrind --callgrind-out-file="$out/callgrind.all" \
    "$out/driver" "$out/bench.rules" "$out/inputs.tsv" 2> "$out/all.log"

ir=$(callgrind_annotate --inclusive=yes "$out/callgrind.all" \
     | awk '/lfr_classify / { gsub(",", "", $1); print $1; exit }')

echo "lfr_classify: $ir instructions in $n calls," \
     "mean $((ir / n)) per classification"

# one dump per call over the first $each: the distribution
valgrind --tool=callgrind --collect-atstart=no \
    --toggle-collect=lfr_classify --dump-instr=no \
    --callgrind-out-file="$out/callgrind.each" \
    "$out/driver" "$out/bench.rules" "$out/inputs.tsv" "$each" \
    > /dev/null 2> "$out/each.log"

cat "$out"/callgrind.each.* | sed -n 's/^totals: *//p' | sort -n \
    > "$out/per-call.txt"

awk '{ v[NR] = $1 } END {
    printf "per call over the first %d: median %d, p90 %d, max %d\n",
           NR, v[int((NR + 1) / 2)], v[int(NR * 0.9)], v[NR] }' \
    "$out/per-call.txt"

rm -f "$out"/callgrind.each.*
