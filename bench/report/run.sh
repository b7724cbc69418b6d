#!/bin/sh
# icp-report throughput: generates a synthetic log (bench/report/gen.pl,
# LINES lines, default 2,000,000; kept in build/bench/ between runs) and
# times three runs of the text report on it, on one core.  Prints each
# run and the median in lines per second.
#
#   sh bench/report/run.sh build/bin/icp-report        (or: make bench-report)
set -e

bin=${1:-build/bin/icp-report}
lines=${LINES:-2000000}
dir=build/bench
log=$dir/report-$lines.log

mkdir -p $dir
if [ ! -s "$log" ]; then
    echo "generating $log ($lines lines)"
    perl bench/report/gen.pl "$lines" > "$log.tmp"
    mv "$log.tmp" "$log"
fi

# one core, as the target says; taskset is in util-linux
pin=""
if command -v taskset >/dev/null 2>&1; then
    pin="taskset -c 0"
fi

times=""
for run in 1 2 3; do
    start=$(date +%s.%N)
    $pin "$bin" "$log" > /dev/null
    end=$(date +%s.%N)
    t=$(awk "BEGIN { printf \"%.3f\", $end - $start }")
    echo "run $run: $t s, $(awk "BEGIN { printf \"%d\", $lines / $t }") lines/s"
    times="$times $t"
done

median=$(printf '%s\n' $times | sort -n | sed -n 2p)
echo "icp-report: $lines lines, $(wc -c < "$log") bytes;" \
     "median $median s, $(awk "BEGIN { printf \"%d\", $lines / $median }")" \
     "lines/s"
