# The cache's hash table: in a 32k zone (64 chains) hundreds of entries
# share chains, yet each visitor gets its own record, whichever worker put
# it; the least recently used entries go when the zone is full; an entry
# past its stale window is removed when asked for; a reload keeps the
# entries.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(sleep);
use IcpTest;

my $t = IcpTest->new;
my $redis = $t->redis;

$t->write_enterprise_site;

# visitor N is 10.7.N/200.N%200, of company "Co N"; every fifth has
# nothing in Redis (a negative entry, smaller: more of them share a chain).
# One more than $visitors is in Redis: the short-lived entry at the end.
my $visitors = 600;

sub ip { sprintf '10.7.%d.%d', $_[0] / 200, $_[0] % 200 }

sub company { $_[0] % 5 ? "Co $_[0]" : '' }

$redis->cli('EVAL', <<'EOF', 0, $visitors + 1);
for i = 1, tonumber(ARGV[1]) do
    if i % 5 ~= 0 then
        redis.call('HSET',
                   'icp:ip:10.7.' .. math.floor(i / 200) .. '.' .. i % 200,
                   'company', 'Co ' .. i, 'employees', i * 10)
    end
end
EOF

sub hgetall_calls {
    my ($n) = ($redis->cli('INFO', 'commandstats')
               =~ /cmdstat_hgetall:calls=(\d+)/);
    return $n // 0;
}

# "CACHE COMPANY" for visitor N
sub visit {
    my ($n) = @_;
    my $r = $t->get('/', 'X-Forwarded-For' => ip($n));
    return "status $r->{status}" if $r->{status} != 200;
    return join ' ', $r->{headers}{'x-cache'} // '',
                     $r->{headers}{'x-company'} // '';
}

# every visitor of the list answered as expected; names the first that
# is not
sub visits_are {
    my ($cache, $list, $name) = @_;
    for my $n (@$list) {
        my $got = visit($n);
        my $want = "$cache " . company($n);
        if ($got ne $want) {
            fail($name);
            diag("visitor $n: got \"$got\", want \"$want\"");
            return;
        }
    }
    pass($name);
}

my $conf = <<'EOF';
icp_redis %%REDIS%% connect_timeout=3s timeout=3s;
icp_cache zone=icp:32k ttl=%%TTL%% negative_ttl=%%TTL%% stale=%%STALE%%;

server {
    listen %%PORT%%;
    root %%ROOT%%;
    icp_rules %%RULES%%/site.rules;
    add_header X-Cache $icp_cache always;
    add_header X-Company $icp_firmo_company always;

    location = / {
        icp on;
    }
    location / {
    }
}
EOF

sub conf_with {
    my ($ttl, $stale) = @_;
    (my $c = $conf) =~ s/%%TTL%%/$ttl/g;
    $c =~ s/%%STALE%%/$stale/g;
    return $c;
}

# two workers: an entry one of them put, the other finds
$t->start(conf_with('1h', '1h'), workers => 2);

my $calls = hgetall_calls();
visits_are('MISS', [1 .. 40], '40 new visitors: MISS, each their company');
visits_are('HIT', [reverse 1 .. 40], '... again: HIT, each their own record');
is(hgetall_calls() - $calls, 40 * 3, '... one query each, the first time');

# far more than the zone holds: evictions run through shared chains
visits_are('MISS', [41 .. $visitors], "visitors 41 to $visitors: MISS");

$calls = hgetall_calls();
my @recent = ($visitors - 19) .. $visitors;
visits_are('HIT', \@recent, 'the 20 most recent: still HIT, right records');
is(hgetall_calls(), $calls, '... no query');

visits_are('MISS', [1 .. 40], 'the first 40: evicted, asked again');

SKIP: {
    skip 'a reload under valgrind is a restart: the zone is new', 2
        if $IcpTest::VALGRIND;

    $t->reload(conf_with('1h', '1h'));

    $calls = hgetall_calls();
    visits_are('HIT', \@recent, 'after a reload: the entries stay');
    is(hgetall_calls(), $calls, '... no query');
}

# an entry past its stale window is removed when asked for: with Redis
# down it is not served, while one within its window is
$t->reload(conf_with('1s', '0s'));

visits_are('MISS', [$visitors + 1], 'a short-lived entry: MISS');
visits_are('HIT', [$visitors + 1], '... then HIT');
sleep 1.5;
$redis->kill_hard;

is(visit($visitors + 1), 'ERROR ', 'expired, no stale window: removed');
is(visit($visitors + 1), 'ERROR ', '... and stays away');

SKIP: {
    skip 'a reload under valgrind is a restart: the zone is new', 1
        if $IcpTest::VALGRIND;

    visits_are('HIT', [@recent[0 .. 4]],
               'entries of the earlier ttl: still fresh, Redis down');
}

$t->stop;
done_testing;
