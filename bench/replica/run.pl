#!/usr/bin/perl
# Sizing an edge and its Redis replica (docs/scaling.md): a primary, one
# replica of it and one nginx edge reading the replica (t/lib/IcpTopology,
# the failover test's setup), filled with bench/http's firmographics and
# ruleset.  With two CPUs or more the edge's one worker is pinned to the
# last CPU and wrk and Redis to the others, as bench/http does.
#
#   hit    wrk on the 10,000 known visitors, the cache filled first
#   miss   wrk on a new address every request
#   lag    a miss run while icp-load writes ROWS rows to the primary;
#          every 20 ms a new marker is written to the primary and read
#          back from the replica until it is there: the replica's lag
#
# For hit and miss: requests/s, the worker's CPU per request, and from the
# replica's INFO commandstats the commands per request and its CPU per
# request.  For lag: the load's rows/s, the lag's median, p99 and
# maximum, how long after the load the replica held its last row, and
# whether any lookup failed meanwhile.
#
# usage: perl bench/replica/run.pl [BUILD]     (make bench-replica)
#   SECS=5 ROWS=300000

use strict;
use warnings;

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use IO::Socket::INET;
use POSIX qw(_exit);
use Time::HiRes qw(sleep time);

my $root;
BEGIN { $root = abs_path(dirname(__FILE__) . '/../..') }
use lib "$root/t/lib";

my $build = abs_path($ARGV[0] // "$root/build");
$ENV{ICP_MODULE} //= "$build/ngx_http_icp_module.so";

require IcpTest;
require IcpTopology;

my $secs = $ENV{SECS} || 5;
my $rows = $ENV{ROWS} || 300_000;
my $load = "$build/bin/icp-load";
my $visitors = "$root/bench/http/visitors.lua";
my $tck = POSIX::sysconf(POSIX::_SC_CLK_TCK());
my $ncpu = `nproc` + 0;

sub sh {
    my ($cmd) = @_;
    my $out = `$cmd`;
    die "failed: $cmd\n$out" if $?;
    return $out;
}

my $top = IcpTopology->new(replicas => 1, sentinels => 0);
my $tmp = $top->tmp;
$top->wait_ready;
my $primary = $top->primary;
my $replica = $top->replica(0);

sh("perl $root/bench/http/gen-data.pl > $tmp/firmo.csv");
sh("$load --redis 127.0.0.1:" . $primary->port . " $tmp/firmo.csv 2>&1");
sh("perl $root/bench/rules/gen.pl rules > $tmp/bench.rules");

my $page = "<!doctype html>\n<title>landing page</title>\n"
           . ("<p>the same 4 KB for every variant</p>\n" x 100);

my $conf = <<"EOF";
icp_redis %%REPLICA%% connect_timeout=1s timeout=1s;
icp_cache zone=icp:8m ttl=10m negative_ttl=1m;
icp_secret "bench secret";

server {
    listen %%PORT%%;
    root %%ROOT%%;
    icp_rules $tmp/bench.rules;

    location = / {
        icp on;
    }
    location = /icp-status {
        icp_status;
    }
}
EOF

# every variant of the ruleset a copy of one page
sub pages {
    my ($t) = @_;
    my %uri = map { $_ => 1 }
              sh("grep -o '/lp/[^ ;]*' $tmp/bench.rules") =~ /(\S+)/g;
    $t->write_file("html$_", $page) for keys %uri;
}

my $edge = $top->edge(0, $conf, setup => \&pages);

my @workers = $edge->worker_pids;
my $client = '';
if ($ncpu >= 2) {
    $client = 'taskset -c 0-' . ($ncpu - 2) . ' ';
    sh("taskset -a -p -c " . ($ncpu - 1) . " $_ >/dev/null") for @workers;
    sh("taskset -a -p -c 0-" . ($ncpu - 2) . " " . $_->pid . " >/dev/null")
        for $primary, $replica;
}

sub ticks {
    my $t = 0;
    for my $pid (@_) {
        open my $fh, '<', "/proc/$pid/stat" or next;
        my @f = split ' ', (<$fh> =~ s/.*\) //r);
        $t += $f[11] + $f[12];
    }
    return $t;
}

# cmdstat name => calls, from INFO commandstats
sub commands {
    my ($node) = @_;
    my %c = map { /^cmdstat_(\w+):calls=(\d+)/ ? ($1, $2) : () }
            split /\n/, $node->cli('INFO', 'commandstats') // '';
    return \%c;
}

sub cache_counts {
    my $body = $edge->get('/icp-status')->{content} // '';
    my ($c) = $body =~ /"cache":\{([^}]*)\}/;
    return { map { /"(\w+)":(\d+)/ } split /,/, $c // '' };
}

# one wrk run: requests/s, requests, worker and replica CPU us/request,
# commands/request, cache shares
sub run {
    my (@mode) = @_;
    my ($w0, $r0) = (ticks(@workers), ticks($replica->pid));
    my $c0 = commands($replica);
    my $k0 = cache_counts();
    my $out = sh("${client}wrk -t1 -c32 -d${secs}s --timeout 5s -s $visitors "
                 . $edge->url('/') . " -- @mode");
    my ($w1, $r1) = (ticks(@workers), ticks($replica->pid));
    my $c1 = commands($replica);
    my $k1 = cache_counts();
    my ($rps, $p50, $p99, $non2xx, $errors, $n) =
        $out =~ /^result (\S+) (\S+) (\S+) (\S+) (\S+) (\S+)/m
        or die "wrk: no result\n$out";
    die "wrk: $non2xx non-2xx, $errors socket errors\n" if $non2xx || $errors;
    my $cmds = 0;
    my %by;
    for my $k (keys %$c1) {
        next if $k eq 'info';
        my $d = $c1->{$k} - ($c0->{$k} // 0);
        $by{$k} = $d if $d;
        $cmds += $d;
    }
    my %share = map { $_ => ($k1->{$_} // 0) - ($k0->{$_} // 0) } keys %$k1;
    return { rps => $rps, n => $n, p99 => $p99,
             worker => ($w1 - $w0) * 1e6 / $tck / $n,
             redis => ($r1 - $r0) * 1e6 / $tck / $n,
             cmds => $cmds / $n, by => \%by, cache => \%share };
}

sub show {
    my ($name, $r) = @_;
    my $total = 0;
    $total += $_ for values %{ $r->{cache} };
    printf "%-5s %7.0f req/s, p99 %.2f ms, worker %.1f us/req, replica "
           . "%.2f us/req, %.3f commands/req (%s); cache %s\n",
        $name, $r->{rps}, $r->{p99} / 1000, $r->{worker}, $r->{redis},
        $r->{cmds},
        join(' ', map { "$_ $r->{by}{$_}" } sort keys %{ $r->{by} }),
        join(' ', map { sprintf '%s %.1f%%', $_,
                            100 * $r->{cache}{$_} / ($total || 1) }
                  grep { $r->{cache}{$_} } sort keys %{ $r->{cache} });
}

printf "edge worker %s on CPU %d, wrk and Redis on %s; %d CPUs (%s); "
       . "load %s", "@workers", $ncpu - 1, $ncpu > 1 ? '0-' . ($ncpu - 2)
       : 'the same', $ncpu,
       (sh("grep -m1 'model name' /proc/cpuinfo") =~ /:\s*(.*)/)[0],
       sh('cat /proc/loadavg');

# fill the cache with the 10,000 known visitors, then hit and miss
my $filled = 0;
while ($filled < 10_000) {
    my $out = sh("${client}wrk -t1 -c32 -d2s -s $visitors " . $edge->url('/')
                 . " -- each $filled");
    $filled += ($out =~ /^result (?:\S+ ){5}(\S+)/m)[0];
}
show('hit', run('repeat', 1));
show('miss', run('new', 0));


# --- replica lag while icp-load writes ----------------------------------------

open my $csv, '>', "$tmp/rows.csv" or die "rows.csv: $!";
print $csv "cidr,company,industry,employees,country\n";
sub net { sprintf '%d.%d.%d.0/24', 100 + ($_[0] >> 16), $_[0] >> 8 & 255,
              $_[0] & 255 }
printf $csv "%s,Load %d,software,%d,US\n", net($_), $_, 10 + $_ % 5000
    for 0 .. $rows - 1;
close $csv;

sub resp {
    my ($s, @args) = @_;
    print $s '*' . @args . "\r\n", map { '$' . length($_) . "\r\n$_\r\n" }
        @args;
    my $line = <$s>;
    if ($line =~ /^\$(-?\d+)/) {
        return undef if $1 < 0;
        read $s, my $v, $1 + 2;
        return substr $v, 0, $1;
    }
    return $line;
}

my $pid = fork // die "fork: $!";
if ($pid == 0) {
    # the loader waits for the lag probe's first samples
    sleep 0.5;
    open my $fh, '>', "$tmp/load.start" or _exit(99);
    printf $fh "%.6f\n", time;
    close $fh;
    exec "$load --redis 127.0.0.1:" . $primary->port
         . " $tmp/rows.csv 2> $tmp/load.err" or _exit(99);
}

my $probe = fork // die "fork: $!";
if ($probe == 0) {
    my $w = IO::Socket::INET->new('127.0.0.1:' . $primary->port) or _exit(1);
    my $r = IO::Socket::INET->new('127.0.0.1:' . $replica->port) or _exit(1);
    open my $out, '>', "$tmp/lag" or _exit(1);
    $out->autoflush(1);
    # a new mark each time, read back until the replica has it
    for (my $i = 0; !-e "$tmp/lag.stop"; $i++) {
        my $set = time;
        resp($w, 'SET', 'bench:mark', $i);
        1 until (resp($r, 'GET', 'bench:mark') // -1) == $i
                || time - $set > 10;
        printf $out "%.6f %.3f\n", $set, 1000 * (time - $set);
        sleep 0.02;
    }
    _exit(0);
}

my $k0 = cache_counts();
my $during = run('new', 4_000_000);
waitpid $pid, 0;
my $load_rc = $?;
my $loaded = time;
my $last = 'icp:net:' . net($rows - 1);
sleep 0.001 until ($replica->cli('EXISTS', $last) // '') =~ /1/
                  || time - $loaded > 30;
my $caught_up = time - $loaded;
sleep 0.1;
open my $stop, '>', "$tmp/lag.stop" or die;
close $stop;
waitpid $probe, 0;
my $k1 = cache_counts();

my $err = $edge->read_file("$tmp/load.err");
my ($rate) = $err =~ /([\d.]+) rows\/s/;
# the samples taken while icp-load ran
my ($start) = $edge->read_file("$tmp/load.start") =~ /(\S+)/;
open my $lagf, '<', "$tmp/lag" or die "lag: $!";
my @lag = sort { $a <=> $b }
          map { my ($t, $ms) = split; $t >= $start && $t <= $loaded ? $ms : () }
          <$lagf>;
die "icp-load failed: $err" if $load_rc;
show('lag', $during);
printf "icp-load: %d rows at %.0f rows/s into the primary; replica lag "
       . "over %d samples: median %.1f ms, p99 %.1f ms, max %.1f ms; the "
       . "last row on the replica %.1f ms after icp-load exited; lookups "
       . "failed meanwhile: %d\n", $rows, $rate // 0, scalar @lag,
    $lag[@lag / 2], $lag[int(@lag * 0.99)], $lag[-1], 1000 * $caught_up,
    ($k1->{ERROR} // 0) - ($k0->{ERROR} // 0);

$top->stop_quietly;
