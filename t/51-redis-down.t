# Redis failures never hold a request up for long and never block the
# worker: a dead Redis costs the first request at most the connect
# timeout, then the circuit is open and lookups are skipped at once
# ($icp_cache ERROR, the non-ICP variant); a restarted Redis is used again
# without a reload; a paused Redis (SIGSTOP) times commands out while the
# worker goes on serving; fallback servers, AUTH and SELECT.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(time sleep);
use IO::Socket::INET;
use IcpTest;

sub site {
    my ($t) = @_;
    $t->write_enterprise_site;
    $t->write_file('html/plain.html', "plain\n");
}

my $SERVER = <<'EOF';
server {
    listen %%PORT%%;
    root %%ROOT%%;
    icp_rules %%RULES%%/site.rules;
    add_header X-Cache $icp_cache always;

    location = / {
        icp on;
    }
    location / {
    }
}
EOF

# GET / as a visitor: (page, $icp_cache, seconds taken)
# one visit, untested: (status, page, $icp_cache, seconds taken)
sub fetch {
    my ($t, $ip) = @_;
    my $start = time;
    my $r = $t->get('/', 'X-Forwarded-For' => $ip);
    my $took = time - $start;
    chomp(my $page = $r->{content} // '');
    return ($r->{status}, $page, $r->{headers}{'x-cache'} // '', $took);
}

sub visit {
    my ($t, $ip) = @_;
    my ($status, @rest) = fetch($t, $ip);
    is($status, 200, "visitor $ip: 200");
    return @rest;
}

sub load {
    my ($redis, @auth) = @_;
    $redis->cli(@auth, 'HSET', "icp:net:192.0.2.0/24",
                company => 'Exact', employees => 5000);
}

# until the lookups work again, or a deadline
sub wait_for_miss {
    my ($t, $net, $secs) = @_;
    my $deadline = time + $secs;
    my $n = 0;
    while (time < $deadline) {
        my $r = $t->get('/', 'X-Forwarded-For' => "$net." . ++$n);
        return $r if ($r->{headers}{'x-cache'} // '') eq 'MISS';
        sleep 0.1;
    }
    return undef;
}

# valgrind makes nginx some ten times slower
my $SLOW = $ENV{ICP_VALGRIND} ? 10 : 1;

# timeouts long enough that "at once" (NOW) is told apart from "after a
# timeout" on a loaded machine; LATE is the most a timeout may take
my $MS = 1000 * $SLOW;
my $NOW = 0.25 * $SLOW;
my $LATE = ($MS + 500 * $SLOW) / 1000;

my $t = IcpTest->new;
my $redis = $t->redis;
site($t);
load($redis);

$t->start(<<"EOF" . $SERVER);
icp_redis %%REDIS%% connect_timeout=${MS}ms timeout=${MS}ms;
EOF

my ($page, $cache, $took) = visit($t, '192.0.2.1');
is("$page $cache", 'ent MISS', 'Redis up: the lookup works');

# Redis stopped

$redis->kill_hard;

($page, $cache, $took) = visit($t, '192.0.2.2');
is($page, 'default', 'Redis stopped: the non-ICP variant');
is($cache, 'ERROR', '... $icp_cache is ERROR');
cmp_ok($took, '<', $LATE,
       '... within the connect timeout');

my $slowest = 0;
for my $i (3 .. 12) {
    ($page, $cache, $took) = visit($t, "192.0.2.$i");
    $slowest = $took if $took > $slowest;
}
is("$page $cache", 'default ERROR', 'circuit open: ERROR');
cmp_ok($slowest, '<', $NOW,
       "... with no wait (slowest ${slowest}s)");

like($t->error_log, qr/icp_redis 127\.0\.0\.1:\d+: .*lookups skipped/,
     'the outage is in error.log');

# Redis restarted: the backoff retry finds it, no reload

$redis->spawn;
load($redis);

my $r = wait_for_miss($t, '192.0.2', 8);
ok($r, 'Redis restarted: lookups resume without a reload');
chomp($page = $r ? $r->{content} : '');
is($page, 'ent', '... and classify again');
like($t->error_log, qr/icp_redis 127\.0\.0\.1:\d+: lookups resumed/,
     '... logged');

# an error reply that is no fault of the key: the server is dropped once,
# not blamed per command, and used again when it answers again

$redis->cli('ACL', 'SETUSER', 'default', '-hgetall');

($page, $cache) = visit($t, '192.0.2.150');
is("$page $cache", 'default ERROR', 'HGETALL refused (NOPERM): ERROR');
for my $i (151 .. 155) {
    ($page, $cache) = visit($t, "192.0.2.$i");
}
is($cache, 'ERROR', '... the circuit is open');
# a second, slower round: the server takes PING again and again
sleep 1;
($page, $cache) = visit($t, '192.0.2.156');
my @noperm = $t->error_log =~ /(\[error\][^\n]*NOPERM[^\n]*)/g;
is(scalar @noperm, 1, '... said once in error.log') or diag(explain \@noperm);

$redis->cli('ACL', 'SETUSER', 'default', '+hgetall');
ok(wait_for_miss($t, '192.0.4', 8), '... and used again once allowed');

# Redis paused: the worker goes on, icp requests time out into the
# fallback variant

$redis->pause;
my $paused_at = time;

my $sock = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $t->port)
    or die "connect: $!";
my $pending_start = time;
print $sock "GET / HTTP/1.0\r\nX-Forwarded-For: 192.0.2.200\r\n\r\n";

sleep 0.05;
my $start = time;
my $plain = $t->get('/plain.html');
my $plain_took = time - $start;
is($plain->{content}, "plain\n",
   'Redis paused: a location without icp is served');
cmp_ok($plain_took, '<', $NOW,
       "... at once while a lookup waits (${plain_took}s)");

my $resp = do { local $/; <$sock> };
my $pending_took = time - $pending_start;
close $sock;
like($resp, qr/^HTTP\/1\.1 200/, 'the waiting icp request: 200');
like($resp, qr/X-Cache: ERROR/, '... $icp_cache ERROR');
like($resp, qr/\r\n\r\ndefault\n$/, '... the non-ICP variant');
cmp_ok($pending_took, '>=', $MS / 1000 - 0.05,
       "... it waited for the command timeout");
cmp_ok($pending_took, '<', $LATE,
       "... after the command timeout "
                                    . "(${pending_took}s)");

# as many visits as fit in the pause, one test for them all: a test per
# visit made the count of the file depend on the machine's speed
$slowest = 0;
my $end = $paused_at + 2;
my ($n, @bad) = (0);
while (time < $end) {
    my $ip = '192.0.2.' . (210 + $n++ % 40);
    my $status;
    ($status, $page, $cache, $took) = fetch($t, $ip);
    push @bad, "$ip: $status" if $status != 200;
    $slowest = $took if $took > $slowest;
    last if $cache ne 'ERROR';
    sleep 0.05;
}
ok($n > 0 && !@bad, "$n visits while paused: all 200")
    or diag(explain \@bad);
is($cache, 'ERROR', 'still paused: ERROR');
cmp_ok($slowest, '<', $NOW,
       "... at once, circuit open (slowest ${slowest}s)");

cmp_ok(time - $paused_at, '>=', 2, 'Redis was paused for 2 s');
$redis->resume;

$r = wait_for_miss($t, '192.0.3', 8);
ok($r, 'Redis resumed: lookups resume');

like($t->error_log, qr/command timed out/, 'the timeout is in error.log');

$t->stop;

# Fallbacks in order, AUTH and SELECT

my $dead = IcpTest::free_port();

my $t2 = IcpTest->new;
site($t2);
$t2->redis->cli('CONFIG', 'SET', 'requirepass', 's3cret');
load($t2->redis, '-a', 's3cret', '--no-auth-warning', '-n', 3);

$t2->start(<<"EOF" . $SERVER);
icp_redis 127.0.0.1:$dead connect_timeout=${MS}ms;
icp_redis %%REDIS%% db=3 password=s3cret
          connect_timeout=${MS}ms timeout=${MS}ms;
EOF

($page, $cache) = visit($t2, '192.0.2.7');
is("$page $cache", 'ent MISS',
   'first server dead: the fallback answers, after AUTH and SELECT');

$t2->stop;

# A wrong password: the server is never used, requests are not held

my $t3 = IcpTest->new;
site($t3);
$t3->redis->cli('CONFIG', 'SET', 'requirepass', 's3cret');

$t3->start(<<"EOF" . $SERVER);
icp_redis %%REDIS%% password=wrong connect_timeout=${MS}ms;
EOF

($page, $cache, $took) = visit($t3, '192.0.2.7');
is("$page $cache", 'default ERROR', 'wrong password: ERROR, non-ICP variant');
cmp_ok($took, '<', $LATE, '... soon');
like($t3->error_log, qr/icp_redis 127\.0\.0\.1:\d+: WRONGPASS/,
     '... Redis\'s refusal is in error.log');

# a server that accepts connections and never answers: the handshake
# times out, the circuit opens

my $mute = IO::Socket::INET->new(Listen => 16, LocalAddr => '127.0.0.1',
                                 LocalPort => 0) or die "listen: $!";
my $mute_port = $mute->sockport;

my $t4 = IcpTest->new(redis => 0);
site($t4);

$t4->start(<<"EOF" . $SERVER);
icp_redis 127.0.0.1:$mute_port connect_timeout=${MS}ms timeout=${MS}ms;
EOF

($page, $cache, $took) = visit($t4, '192.0.2.7');
is("$page $cache", 'default ERROR', 'a mute server: ERROR');
cmp_ok($took, '<', $LATE,
       '... within the connect timeout');

$slowest = 0;
for my $i (1 .. 5) {
    ($page, $cache, $took) = visit($t4, "192.0.2.$i");
    $slowest = $took if $took > $slowest;
}
is($cache, 'ERROR', '... and after');
cmp_ok($slowest, '<', $NOW, "... with no wait (slowest ${slowest}s)");
like($t4->error_log, qr/connect timed out/, '... logged');

$t4->stop;
close $mute;

# unix: sockets

my $t5 = IcpTest->new(redis => 0);
site($t5);

my $sock_path = $t5->tmp . '/redis.sock';
my $upid = fork // die "fork: $!";

if ($upid == 0) {
    open STDOUT, '>', '/dev/null';
    exec 'redis-server', '--port', 0, '--unixsocket', $sock_path,
         '--unixsocketperm', 777, '--save', '', '--appendonly', 'no',
         '--dir', $t5->tmp
        or exit 127;
}

my $deadline = time + 10;
sleep 0.05 until -S $sock_path || time > $deadline;
like(qx{redis-cli -s $sock_path HSET acme:net:192.0.2.0/24 employees 5000},
     qr/^1$/, 'a redis-server on a unix socket');

$t5->start(<<"EOF" . $SERVER);
icp_redis unix:$sock_path prefix=acme: connect_timeout=${MS}ms
          timeout=${MS}ms;
EOF

($page, $cache) = visit($t5, '192.0.2.7');
is("$page $cache", 'ent MISS', 'unix: socket, keys under prefix=');

$t5->stop;
kill 'TERM', $upid;
waitpid($upid, 0);

# configuration errors

my @bad = (
    [ 'icp_redis 127.0.0.1:6379 tiemout=1s;',
      qr/invalid parameter "tiemout=1s": expected db=N, password=S/,
      'unknown icp_redis parameter' ],
    [ 'icp_redis 127.0.0.1:6379 timeout=soon;',
      qr/invalid parameter "timeout=soon"/, 'bad timeout' ],
    [ 'icp_redis 127.0.0.1:6379 db=x;', qr/invalid parameter "db=x"/,
      'bad db' ],
    [ 'icp_redis no-such-host.invalid:6379;',
      qr/host not found in "no-such-host\.invalid:6379"/, 'unknown host' ],
    [ 'icp_redis unix:;', qr/no path in "unix:"/, 'unix: without a path' ],
);

$t3->conf_fails_like("$_->[0]\n", $_->[1], $_->[2]) for @bad;

$t3->stop;

done_testing;
