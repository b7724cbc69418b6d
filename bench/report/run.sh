#!/bin/sh
# icp-report throughput: generates a synthetic log (bench/report/gen.pl,
# LINES lines, default 2,000,000; kept in build/bench/ between runs) and
# times three runs of the text report on it.  icp-report is single-threaded;
# each run prints its wall-clock time and the CPU time it used (user + sys,
# which a busy machine does not inflate), then the medians in lines/s.
#
#   sh bench/report/run.sh build/bin/icp-report        (or: make bench-report)
set -e

bin=${1:-build/bin/icp-report}
lines=${LINES:-2000000}
dir=build/bench
# v2: phases and values (gen.pl); an older log is not reused
log=$dir/report-v2-$lines.log

mkdir -p $dir
if [ ! -s "$log" ]; then
    echo "generating $log ($lines lines)"
    perl bench/report/gen.pl "$lines" > "$log.tmp"
    mv "$log.tmp" "$log"
fi

perl -MTime::HiRes=time -e '
    my ($bin, $log, $lines) = @ARGV;
    my (@wall, @cpu);
    for my $run (1 .. 3) {
        my ($u0, $s0) = (times)[2, 3];
        my $t0 = time;
        system("$bin $log > /dev/null") == 0 or die "$bin failed\n";
        my $wall = time - $t0;
        my ($u1, $s1) = (times)[2, 3];
        my $cpu = $u1 - $u0 + $s1 - $s0;
        printf "run %d: wall %.3f s (%d lines/s), cpu %.3f s (%d lines/s)\n",
            $run, $wall, $lines / $wall, $cpu, $lines / $cpu;
        push @wall, $wall;
        push @cpu, $cpu;
    }
    my $w = (sort { $a <=> $b } @wall)[1];
    my $c = (sort { $a <=> $b } @cpu)[1];
    printf "icp-report: %d lines, %d bytes; median wall %.3f s, %d lines/s;"
        . " median cpu %.3f s, %d lines/s\n",
        $lines, -s $log, $w, $lines / $w, $c, $lines / $c;
' "$bin" "$log" "$lines"
