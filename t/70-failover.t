#!/usr/bin/perl
# Failover under load, on real engines: one Redis primary, two replicas,
# three Sentinels, two nginx edges, each reading its own replica first
# and the primary as the fallback (t/lib/IcpTopology.pm, the setup of
# docs/scaling.md).  While both edges serve a steady stream of new
# visitors (every one a cache miss), the primary is killed and Sentinel
# promotes a replica; then the replica that is left is killed, so its
# edge has no Redis copy at all; then it is started again as a replica of
# the new primary.  Every request is answered 200 with a variant page:
# personalized while the edge reaches a copy of the data, the default page
# otherwise, never a 5xx, never a stuck worker.  An icp-load fed during
# the failover, and one run after it, both write through Sentinel to the
# new primary, and the edges see those rows once their cache entries
# expire.

use strict;
use warnings;

use POSIX qw(_exit WNOHANG);
use Test::More;
use Time::HiRes qw(sleep time);

use lib 't/lib';
use IcpTest;
use IcpTopology;

my $bin = "$IcpTest::ROOT/" . ($ENV{BUILD} // 'build') . '/bin/icp-load';
plan skip_all => "$bin not built (make tools)" unless -x $bin;

# valgrind makes nginx some ten times slower
my $SLOW = $ENV{ICP_VALGRIND} ? 10 : 1;

my $T0 = time;
my $top = IcpTopology->new(replicas => 2, sentinels => 3);
my $tmp = $top->tmp;
my @children;

END {
    for my $pid (grep { $_ } @children) {
        kill 'KILL', $pid;
        waitpid $pid, 0;
    }
}

# the visitors of edge $e come from 10.(1 + $e).0.0/16; 10.9.0.0/16 is
# loaded only after the failover
$top->primary->cli('HSET', "icp:net:10.$_.0.0/16", company => "Corp $_",
                   employees => 5000)
    for 1, 2;
$top->wait_ready;
my $synced = grep { ($_->cli('DBSIZE') // '') =~ /^2$/ } $top->replicas;
is $synced, 2, 'both replicas hold the data';

my $NEG_TTL = 2;
my $SERVER = <<"EOF";
icp_redis %%REPLICA%% connect_timeout=200ms timeout=200ms;
icp_redis %%PRIMARY%% connect_timeout=200ms timeout=200ms;
icp_cache zone=icp:1m ttl=10s negative_ttl=${NEG_TTL}s;

server {
    listen %%PORT%%;
    root %%ROOT%%;
    icp_rules %%RULES%%/site.rules;
    add_header X-Cache \$icp_cache always;

    location = / {
        icp on;
    }
}
EOF

my @edges = map { $top->edge($_, $SERVER, workers => 2,
                            setup => sub { $_[0]->write_enterprise_site }) }
            0, 1;
my @workers = map { [sort $_->worker_pids] } @edges;
diag sprintf 'topology up in %.1f s', time - $T0;


# --- the visitors ------------------------------------------------------------
#
# One process per edge sends new visitors one after the other and writes
# a line per request: start time, edge, status, page, $icp_cache, seconds.

sub traffic {
    my ($e) = @_;
    my $pid = fork // die "fork: $!";
    return $pid if $pid;

    my $http = HTTP::Tiny->new(timeout => 10, keep_alive => 0);
    open my $out, '>', "$tmp/traffic$e" or _exit(1);
    $out->autoflush(1);
    my $n = 0;
    until (-e "$tmp/stop") {
        $n++;
        my $ip = sprintf '10.%d.%d.%d', 1 + $e, $n >> 8 & 255, $n & 255;
        my $start = time;
        my $r = $http->get($edges[$e]->url('/'),
                           { headers => { 'X-Forwarded-For' => $ip } });
        chomp(my $page = $r->{content} // '');
        printf $out "%.4f %d %d %s %s %.4f\n", $start, $e, $r->{status},
            $page =~ /^\w+\z/ ? $page : 'other',
            $r->{headers}{'x-cache'} // '-', time - $start;
        sleep 0.005;
    }
    _exit(0);
}

sub requests {
    my @r;
    for my $e (0, 1) {
        open my $fh, '<', "$tmp/traffic$e" or next;
        while (<$fh>) {
            my %r;
            @r{qw(t edge status page cache took)} = split;
            push @r, \%r if defined $r{took};
        }
    }
    return sort { $a->{t} <=> $b->{t} } @r;
}

# when edge $e has served $page again since $since, or undef at $deadline
sub served_since {
    my ($e, $page, $since, $secs) = @_;
    my $deadline = time + $secs;
    while (time < $deadline) {
        my ($r) = grep { $_->{edge} == $e && $_->{t} >= $since
                         && $_->{page} eq $page } requests();
        return $r->{t} if $r;
        sleep 0.05;
    }
    return undef;
}


# --- a load that runs through the failover -----------------------------------
#
# Half its rows go in before the primary dies (and reach both replicas),
# half after, through a pipe: the loader meets the dead primary in the
# middle and must find the new one through Sentinel.

my @SENTINELS = map { ('--sentinel', $_) } $top->sentinel_addrs;
my $NOTE = 'x' x 200;    # long rows: standard input is read 256 KB a time
my $ROWS = 5000;

sub networks {
    my ($from, $n) = @_;
    return map { my $k = $from + $_;
                 sprintf "172.%d.%d.0/24,Net %d,%d,%s\n", 16 + ($k >> 8),
                     $k & 255, $k, 100 + $k % 7, $NOTE }
           0 .. $n - 1;
}

sub nets_in {
    my ($node) = @_;
    my $out = $node->cli('EVAL',
        "return #redis.call('KEYS', 'icp:net:172.*')", 0) // '';
    return $out =~ /(\d+)/ ? $1 : -1;
}

pipe my $rows_out, my $rows_in or die "pipe: $!";
my $loader = fork // die "fork: $!";
if ($loader == 0) {
    close $rows_in;
    open STDIN, '<&', $rows_out or _exit(99);
    open STDOUT, '>', "$tmp/load1.out" or _exit(99);
    open STDERR, '>', "$tmp/load1.err" or _exit(99);
    exec $bin, @SENTINELS, '--master', $IcpTopology::MASTER, '-'
        or _exit(99);
}
push @children, $loader;
close $rows_out;
print $rows_in "cidr,company,employees,note\n", networks(0, $ROWS / 2);
$rows_in->flush;


# --- the run -------------------------------------------------------------------

my @mark;    # [ time, name of the phase that starts ]
sub mark { push @mark, [time, $_[0]] }

push @children, traffic(0), traffic(1);
mark('all up');
sleep 2;

my $deadline = time + 10;
sleep 0.05 while (grep { nets_in($_) < 2000 } $top->replicas)
                 && time < $deadline;
is scalar(grep { nets_in($_) >= 2000 } $top->replicas), 2,
   'the loader\'s first batches reached both replicas';

my $old = $top->primary->port;
mark('primary killed');
$top->primary->kill_hard;
print $rows_in networks($ROWS / 2, $ROWS / 2);
close $rows_in;

my $new = $top->wait_failover($old, 20 * $SLOW);
ok $new, 'Sentinel promoted a replica' or BAIL_OUT('no failover');
mark('replica promoted');
my $failover = $mark[-1][0] - $mark[-2][0];
my ($kept) = grep { $top->replica($_)->port == $new } 0, 1;
my $lost = 1 - $kept;    # the edge whose replica dies next
my $lost_replica = $top->replica($lost);
sleep 1.5;

mark("edge $lost\'s replica killed");
$lost_replica->kill_hard;
sleep 2;

# back as a replica of the new primary, as an operator would start it
mark("edge $lost\'s replica back");
my $restarted = time;
$lost_replica->spawn;
$lost_replica->cli('REPLICAOF', '127.0.0.1', $new);
my $back = served_since($lost, 'ent', $restarted, 10 * $SLOW);
ok $back, "edge $lost personalizes again once its replica is back";
sleep 1.5;
mark('end');

open my $stop, '>', "$tmp/stop" or die "stop: $!";
close $stop;
for my $pid (@children[1, 2]) {
    waitpid $pid, 0;
    $pid = 0;
}


# --- every answer ----------------------------------------------------------------

my @all = requests();
my $bad = grep { $_->{status} != 200 } @all;
my $server_errors = grep { $_->{status} >= 500 } @all;
my $odd = grep { $_->{page} !~ /^(ent|default)\z/ } @all;
my ($slowest) = sort { $b <=> $a } map { $_->{took} } @all;

diag sprintf 'requests: %d (edge 0: %d, edge 1: %d); non-200: %d, 5xx: %d; '
             . 'slowest %.3f s', scalar @all,
             scalar(grep { !$_->{edge} } @all),
             scalar(grep { $_->{edge} } @all), $bad, $server_errors,
             $slowest;
cmp_ok scalar @all, '>', 200, 'a steady stream of visitors';
is $bad, 0, 'every request answered 200 (no 5xx)';
is $odd, 0, 'every answer is a variant page';
cmp_ok $slowest, '<', 1 * $SLOW, 'no request waited on Redis for long';

# the requests that started in each phase, per edge
my %share;
for my $i (0 .. $#mark - 1) {
    my ($from, $name) = @{ $mark[$i] };
    my $to = $mark[$i + 1][0];
    my @line;
    for my $e (0, 1) {
        my @in = grep { $_->{edge} == $e && $_->{t} >= $from && $_->{t} < $to }
                 @all;
        my $ent = grep { $_->{page} eq 'ent' } @in;
        $share{$name}[$e] = @in ? $ent / @in : undef;
        push @line, sprintf 'edge %d %3.0f%% of %d', $e,
            @in ? 100 * $ent / @in : 0, scalar @in;
    }
    diag sprintf '%-24s %4.1f s: personalized %s', $name, $to - $from,
        join ', ', @line;
}

# Sentinel ends every failover step it sends a node (SLAVEOF NO ONE on
# the promoted replica, REPLICAOF on the other) with CLIENT KILL TYPE
# normal, so each edge's link to its replica is closed once even though
# the replica never goes away
my @failover = ('primary killed', 'replica promoted');
my @after = map { $_->[1] } @mark[2 .. $#mark - 1];
for my $e (0, 1) {
    is $share{'all up'}[$e], 1, "edge $e: every visitor personalized while "
                                . 'all is up';
    # Sentinel's CLIENT KILL closes healthy links: connected again at
    # once, so only a lookup in flight at the kill gets the default page
    for my $phase (@failover) {
        cmp_ok $share{$phase}[$e], '>=', 0.99,
            "edge $e, $phase: at least 99% personalized";
    }
}
is_deeply [map { $share{$_}[$kept] } @after], [map { 1 } @after],
    "edge $kept (its replica promoted): every visitor personalized after "
    . 'the failover';
is $share{"edge $lost\'s replica killed"}[$lost], 0,
    "edge $lost: the default page while it reaches no Redis copy";

# each edge's runs of default pages: [start, end, requests, $icp_cache]
my %runs;
for my $e (0, 1) {
    my $run;
    for my $r (grep { $_->{edge} == $e } @all) {
        if ($r->{page} eq 'ent') {
            undef $run;
            next;
        }
        push @{ $runs{$e} }, $run = [$r->{t}, $r->{t}, 0, {}] unless $run;
        $run->[1] = $r->{t};
        $run->[2]++;
        $run->[3]{ $r->{cache} }++;
    }
}

my $kill = $mark[1][0];
for my $e (0, 1) {
    my @runs = @{ $runs{$e} || [] };
    my $total = 0;
    $total += $_->[1] - $_->[0] for @runs;
    diag sprintf 'edge %d served defaults for %.2f s: %s', $e, $total,
        join('; ', map { sprintf '%.2f s from %+.2f s (%d requests, %s)',
                             $_->[1] - $_->[0], $_->[0] - $kill, $_->[2],
                             join ' ', sort keys %{ $_->[3] } } @runs)
        || 'never';

    my @in_failover = grep { $_->[0] >= $kill && $_->[0] < $mark[3][0] }
                      @runs;
    my $gap = 0;
    $gap += $_->[1] - $_->[0] for @in_failover;
    cmp_ok $gap, '<', 0.5 * $SLOW,
        "edge $e: during the failover, defaults for under 0.5 s";
    is join(' ', map { keys %{ $_->[3] } } @in_failover) =~ s/ERROR| //gr,
       '', '... each one a failed lookup ($icp_cache ERROR)';
}
diag sprintf 'edge %d recovered %.2f s after its replica was restarted',
    $lost, $back - $restarted;
diag sprintf 'failover: Sentinel named the new primary %.1f s after the '
             . 'kill', $failover;
my @tail = grep { $_->{t} >= $back + 0.2 } @all;
is scalar(grep { $_->{page} ne 'ent' } @tail), 0,
   'after the recovery every visitor of both edges is personalized';

# no worker died, none hangs: the same workers answer at once
my @now = map { [sort $_->worker_pids] } @edges;
is_deeply \@now, \@workers, 'no worker crashed or was replaced';
for my $e (0, 1) {
    my $start = time;
    my $r = $edges[$e]->get('/', 'X-Forwarded-For' => "10.1$e.0.1");
    ok $r->{status} == 200 && time - $start < 1 * $SLOW,
       "edge $e answers at once after the run";
}


# --- the loader went through the failover ---------------------------------------

waitpid $loader, 0;
my $load_rc = $? >> 8;
$children[0] = 0;
my $load_err = $edges[0]->read_file("$tmp/load1.err");
is $load_rc, 0, 'the loader fed during the failover: exit 0'
    or diag $load_err;
like $load_err, qr/asking Sentinel again/, '... it lost the primary';
like $load_err, qr/the primary of "icp" is 127\.0\.0\.1:$new /,
    '... Sentinel named the new one';
is nets_in($top->node_on($new)), $ROWS, "... all $ROWS rows are on it";
note $load_err;


# --- a load after the failover, seen by the edges ----------------------------------

my @probe = map { "10.9.0.$_" } 1, 2;
my %first;
for my $e (0, 1) {
    for my $ip (@probe) {
        my $r = $edges[$e]->get('/', 'X-Forwarded-For' => $ip);
        $first{"$e $ip"} = time;
        is "$r->{status} $r->{content}", "200 default\n",
           "edge $e, $ip before the load: the default page";
    }
}

my $csv = $edges[0]->write_file('after.csv',
    "cidr,company,employees\n10.9.0.0/16,Late Corp,8000\n");
my $dead = '127.0.0.1:' . IcpTest::free_port();
my $out = `$bin --sentinel $dead @SENTINELS --master icp $csv 2>&1`;
is $? >> 8, 0, 'icp-load through Sentinel after the failover: exit 0'
    or diag $out;
like $out, qr/the primary of "icp" is 127\.0\.0\.1:$new /,
    '... it writes to the new primary';
is $top->node_on($new)->cli('HGET', 'icp:net:10.9.0.0/16', 'company'),
   "Late Corp\n", '... where the row is';

for my $e (0, 1) {
    my $r = $edges[$e]->get('/', 'X-Forwarded-For' => $probe[0]);
    is "$r->{content} $r->{headers}{'x-cache'}", "default\n HIT",
       "edge $e: a visitor seen before the load is cached as unknown";
}

# each probe again once its negative entry has expired
my %seen;
$deadline = time + $NEG_TTL + 3;
while (time < $deadline && keys %seen < 2 * @probe) {
    for my $e (0, 1) {
        for my $ip (@probe) {
            next if $seen{"$e $ip"};
            my $r = $edges[$e]->get('/', 'X-Forwarded-For' => $ip);
            $seen{"$e $ip"} = time - $first{"$e $ip"}
                if $r->{content} eq "ent\n";
        }
    }
    sleep 0.1;
}
is scalar keys %seen, 2 * @probe,
   'both edges personalize the loaded visitors after their cache ttl';
my ($soonest) = sort { $a <=> $b } values %seen;
# the cache counts whole seconds: an entry lives ttl - 1 to ttl
cmp_ok $soonest // 0, '>=', $NEG_TTL - 1, '... not before it';
diag sprintf 'rows loaded after the failover seen %.1f-%.1f s after the '
             . 'first visit (negative_ttl %d s)', $soonest // 0,
             (sort { $b <=> $a } values %seen)[0] // 0, $NEG_TTL;

$top->stop;
diag sprintf 'test took %.1f s', time - $T0;
done_testing;
