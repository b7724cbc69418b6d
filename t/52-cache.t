# The shared-memory cache: stale entries while Redis is down, LRU eviction
# in a full zone, coalescing of concurrent lookups, and garbage in Redis
# ignored field by field with one warning per key.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(time sleep);
use IO::Socket::INET;
use IcpTest;

my $t = IcpTest->new;
my $redis = $t->redis;

$t->write_enterprise_site;

sub hset {
    my ($key, @f) = @_;
    $redis->cli('HSET', "icp:$key", @f);
}

sub hgetall_calls {
    my ($n) = ($redis->cli('INFO', 'commandstats')
               =~ /cmdstat_hgetall:calls=(\d+)/);
    return $n // 0;
}

# (page, $icp_cache, company)
sub visit {
    my ($ip) = @_;
    my $r = $t->get('/', 'X-Forwarded-For' => $ip);
    is($r->{status}, 200, "visitor $ip: 200");
    chomp(my $page = $r->{content} // '');
    return ($page, $r->{headers}{'x-cache'} // '',
            $r->{headers}{'x-company'} // '');
}

hset('ip:192.0.2.1', company => 'Acme', employees => 5000);
hset('ip:192.0.2.2', company => 'Later', employees => 5000);

# garbage: a key of another type, a 4 KB field (past the value cap, within
# the reply budget: t/54 has one past it), a number that is not one
$redis->cli('SET', 'icp:ip:192.0.2.30', 'not a hash');
$redis->cli('EVAL', "redis.call('HSET', KEYS[1], 'company', "
            . "string.rep('x', 4096), 'employees', 5000, 'country', 'US')",
            1, 'icp:ip:192.0.2.31');
hset('ip:192.0.2.32', company => 'Words Inc', employees => 'lots');

# the zone has room for a few hundred entries at most
$t->start(<<'EOF');
icp_redis %%REDIS%% connect_timeout=3s timeout=3s;
icp_cache zone=icp:32k ttl=3s negative_ttl=3s stale=1h;

server {
    listen %%PORT%%;
    root %%ROOT%%;
    icp_rules %%RULES%%/site.rules;
    add_header X-Cache $icp_cache always;
    add_header X-Company $icp_firmo_company always;
    add_header X-Country $icp_firmo_country always;

    location = / {
        icp on;
    }
    location / {
    }
}
EOF

my ($page, $cache, $company);

# garbage

my $r = $t->get('/', 'X-Forwarded-For' => '192.0.2.30');
chomp($page = $r->{content});
is("$r->{status} $page $r->{headers}{'x-cache'}", '200 default MISS',
   'a key of the wrong type: no data, the default variant');

$r = $t->get('/', 'X-Forwarded-For' => '192.0.2.31');
chomp($page = $r->{content});
is("$r->{status} $page", '200 ent', 'a 4 KB field: the other fields count');
ok(!defined $r->{headers}{'x-company'}, '... the huge field is dropped');
is($r->{headers}{'x-country'}, 'US', '... the others are kept');

$r = $t->get('/', 'X-Forwarded-For' => '192.0.2.32');
chomp($page = $r->{content});
is("$r->{status} $page", '200 default',
   'employees not a number: dropped, no ICP');
is($r->{headers}{'x-company'}, 'Words Inc', '... the company is kept');

# each key again: served from the cache, no new warning
$t->get('/', 'X-Forwarded-For' => "192.0.2.$_") for 30 .. 32;

my $log = $t->error_log;
my %warned;
$warned{$1}++ while $log =~ /\[warn\].*icp lookup: key "icp:ip:([\d.]+)"/g;
is_deeply(\%warned, { '192.0.2.30' => 1, '192.0.2.31' => 1,
                      '192.0.2.32' => 1 },
          'one warning per bad key') or diag($log);
like($log, qr/key "icp:ip:192\.0\.2\.30": not a hash/, '... wrong type');
like($log, qr/key "icp:ip:192\.0\.2\.31": value longer than the cap, (?x)
              dropped,\ field\ company/,
     '... the huge field, named');
like($log,
     qr/key "icp:ip:192\.0\.2\.32": not a number, dropped, field employees/,
     '... the bad number, named');

# coalescing: while Redis holds its clients, five requests for the same
# visitor wait on one query

$t->get('/', 'X-Forwarded-For' => '192.0.2.1');   # warm the connection
my $calls = hgetall_calls();

$redis->cli('CLIENT', 'PAUSE', 500, 'ALL');

my @socks = map {
    my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $t->port)
        or die "connect: $!";
    print $s "GET / HTTP/1.0\r\nX-Forwarded-For: 192.0.2.2\r\n\r\n";
    $s;
} 1 .. 5;

my @pages = map { my $s = $_; scalar do { local $/; <$s> } } @socks;
is(scalar(grep { /X-Cache: MISS.*\r\n\r\nent\n$/s } @pages), 5,
   'five concurrent requests: all answered from Redis');
is(hgetall_calls() - $calls, 3, '... with one query (ip, /24, /16)');

# a client that leaves while its lookup is out: the reply still fills the
# cache and touches nothing of the request (valgrind runs check that)

$redis->cli('CLIENT', 'PAUSE', 1000, 'ALL');

my $gone = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $t->port)
    or die "connect: $!";
print $gone "GET / HTTP/1.0\r\nX-Forwarded-For: 192.0.2.3\r\n\r\n";
sleep 0.1;
close $gone;
sleep 1.1;

$calls = hgetall_calls();
($page, $cache) = visit('192.0.2.3');
like($t->error_log,
     qr/client prematurely closed connection, client: 192\.0\.2\.3,/,
     'client gone before the reply');
is($cache, 'HIT', '... the reply was cached all the same');
is(hgetall_calls(), $calls, '... no second query');

# stale: expired entries serve while Redis is down

($page, $cache, $company) = visit('192.0.2.1');
sleep 3.2;
$redis->kill_hard;

($page, $cache, $company) = visit('192.0.2.1');
is($cache, 'STALE', 'expired entry, Redis down: STALE');
is($page, 'ent', '... the old data still classifies');
is($company, 'Acme', '... with the old company');

($page, $cache) = visit('192.0.2.99');
is("$page $cache", 'default ERROR', 'nothing cached, Redis down: ERROR');

$redis->spawn;
hset('ip:192.0.2.1', company => 'Acme New', employees => 5000);

my $deadline = time + 8;
while (time < $deadline) {
    ($page, $cache, $company) = visit('192.0.2.1');
    last if $cache eq 'MISS';
    sleep 0.1;
}
is("$cache $company", 'MISS Acme New', 'Redis back: the entry is refreshed');

# a full zone: the least recently used entries go, no request fails

for my $i (1 .. 400) {
    my $ip = sprintf '10.9.%d.%d', $i / 200, $i % 200;
    $r = $t->get('/', 'X-Forwarded-For' => $ip);
    last if $r->{status} != 200;
}
is($r->{status}, 200, '400 visitors through a 32k zone: all served');

# with Redis gone, what is still in the zone shows as STALE, what was
# evicted as ERROR
$redis->kill_hard;

($page, $cache) = visit('10.9.2.0');
like($cache, qr/^(HIT|STALE)$/, 'the most recent entry is in the zone');
($page, $cache) = visit('10.9.0.1');
is($cache, 'ERROR', 'the oldest was evicted');

# configuration errors

$t->conf_fails_like(<<'EOF', qr/"icp_cache" needs zone=NAME:SIZE/, 'no zone');
icp_cache ttl=1m;
EOF

$t->conf_fails_like(<<'EOF', qr/zone "c" is too small/, 'tiny zone');
icp_cache zone=c:1k;
EOF

$t->conf_fails_like(<<'EOF', qr/invalid time in "stale=forever"/, 'bad time');
icp_cache zone=c:1m stale=forever;
EOF

$t->conf_fails_like(<<'EOF', qr/"icp_cache" directive is duplicate/, 'twice');
icp_cache zone=c:1m;
icp_cache zone=d:1m;
EOF

$t->stop;
done_testing;
