# Replies over icp_redis max_reply / max_elements: one oversized record
# must not cost other visitors their answer, nor the worker its memory.
# It is skipped as it streams in, taken as absent, warned about once and
# not fetched again within negative_ttl.  A hostile server streaming a
# 400 MB string cannot hold a request up either.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(time sleep);
use HTTP::Tiny;
use POSIX qw(_exit);
use IcpTest;

my $t = IcpTest->new;
my $redis = $t->redis;

$t->write_enterprise_site;

sub hgetall_calls {
    my ($n) = ($redis->cli('INFO', 'commandstats')
               =~ /cmdstat_hgetall:calls=(\d+)/);
    return $n // 0;
}

sub rss_kb {
    my ($pid) = @_;
    open my $fh, '<', "/proc/$pid/status" or return 0;
    local $/;
    my ($kb) = (<$fh> =~ /^VmRSS:\s+(\d+)/m);
    return $kb // 0;
}

# 100 MB in one field, and 100,000 fields (half a million keep Redis
# itself busy past the command timeout: see docs/redis.md)
$redis->cli('EVAL', "redis.call('HSET', KEYS[1], 'company', "
            . "string.rep('x', 100 * 1048576), 'employees', 5000)",
            1, 'icp:domain:huge.example');
$redis->cli('EVAL', "for i = 1, 100000 do "
            . "redis.call('HSET', KEYS[1], 'f' .. i, 'v') end",
            1, 'icp:domain:wide.example');

my @ips = map { "10.20." . int($_ / 250) . '.' . ($_ % 250 + 1) } 0 .. 399;
$redis->cli('HSET', "icp:ip:$_", 'company', 'Acme', 'employees', 5000)
    for @ips;

# the default budgets; a longer command timeout, as Redis itself copying
# 100 MB into its reply can take past 250 ms on a loaded machine
$t->start(<<'EOF');
icp_redis %%REDIS%% timeout=1s;
icp_cache zone=icp:4m ttl=10m negative_ttl=1m;

server {
    listen %%PORT%%;
    root %%ROOT%%;
    icp_rules %%RULES%%/site.rules;
    add_header X-Cache $icp_cache always;

    location = / {
        icp on;
    }
    location = /by-domain {
        icp on;
        icp_lookup domain=$arg_domain;
    }
    location / {
    }
}
EOF

my ($worker) = $t->worker_pids;

# the worker at rest
my $r = $t->get('/', 'X-Forwarded-For' => shift @ips);
is($r->{content}, "ent\n", 'a known visitor: personalized');
$t->get('/', 'X-Forwarded-For' => shift @ips) for 1 .. 20;
my $rss0 = rss_kb($worker);

# three bad requests a second, while other visitors browse
my $bad = fork // die "fork: $!";

if ($bad == 0) {
    my $http = HTTP::Tiny->new(timeout => 5);
    for my $i (1 .. 12) {
        my $domain = $i % 2 ? 'huge.example' : 'wide.example';
        $http->get($t->url("/by-domain?domain=$domain"),
                   { headers => { 'X-Forwarded-For' => "198.18.0.$i" } });
        sleep 0.33;
    }
    _exit(0);
}

my ($visits, $personal, $slowest, $rss_max) = (0, 0, 0, $rss0);
my $end = time + 4;

while (time < $end && @ips) {
    my $t0 = time;
    $r = $t->get('/', 'X-Forwarded-For' => shift @ips);
    my $took = time - $t0;
    $slowest = $took if $took > $slowest;
    $visits++;
    $personal++ if $r->{status} == 200 && $r->{content} eq "ent\n"
                   && ($r->{headers}{'x-cache'} // '') eq 'MISS';
    my $rss = rss_kb($worker);
    $rss_max = $rss if $rss > $rss_max;
    sleep 0.01;
}

waitpid($bad, 0);

# a fetch of a bad key is a warning; none now, within negative_ttl
my $calls2 = hgetall_calls();
$t->get("/by-domain?domain=$_", 'X-Forwarded-For' => '198.18.3.1')
    for qw(huge.example wide.example) x 3;
my $fetched = hgetall_calls() - $calls2;

diag(sprintf "%d other visitors, %d personalized, slowest %.0f ms; "
     . "worker RSS %d kB at rest, %d kB at most",
     $visits, $personal, $slowest * 1000, $rss0, $rss_max);

ok($visits >= 20, "other visitors kept coming ($visits)");
is($personal, $visits, 'every other visitor personalized, from Redis');
ok($rss_max - $rss0 < 10 * 1024,
   'worker RSS grew by less than 10 MB (' . ($rss_max - $rss0) . ' kB)');
is($fetched, 0, '6 more bad requests: no fetch within negative_ttl');

my $log = $t->error_log;
my @huge = $log =~ /\[warn\].*key "icp:domain:huge\.example": reply over (?x)
                    65536\ bytes/g;
my @wide = $log =~ /\[warn\].*key "icp:domain:wide\.example": reply over (?x)
                    1024\ elements/g;
is(scalar @huge, 1, 'one warning for the 100 MB record') or diag($log);
is(scalar @wide, 1, 'one warning for the 100,000-field record');
unlike($log, qr/timed out|\[error\]/, 'no timeout, no error');

$r = $t->get('/by-domain?domain=huge.example',
             'X-Forwarded-For' => '198.18.1.1');
is("$r->{status} $r->{content}", "200 default\n", 'the bad key: default page');
is($r->{headers}{'x-cache'}, 'HIT', '... known absent, not fetched');

$t->stop;

# a hostile server: a 400 MB string, streamed, to every HGETALL

my ($fake_port, $fake) = IcpTest::fake_redis(sub {
    my ($c) = @_;
    # the module sends whole commands: PING first, then HGETALLs
    my $buf;
    while (sysread($c, $buf, 65536)) {
        syswrite($c, "+PONG\r\n") for $buf =~ /PING/g;
        for ($buf =~ /HGETALL/g) {
            syswrite($c, '$' . (400 * 1048576) . "\r\n");
            my $chunk = 'x' x 65536;
            for (1 .. 6400) {
                defined syswrite($c, $chunk) or last;
            }
            syswrite($c, "\r\n");
        }
    }
});

my $t2 = IcpTest->new(redis => 0);
$t2->write_enterprise_site;
$t2->start(<<"EOF");
icp_redis 127.0.0.1:$fake_port timeout=3s;
icp_cache zone=icp:1m negative_ttl=1m;

server {
    listen %%PORT%%;
    root %%ROOT%%;
    icp_rules %%RULES%%/site.rules;
    add_header X-Cache \$icp_cache always;

    location = / {
        icp on;
        icp_lookup domain=\$arg_domain;
    }
    location / {
    }
}
EOF

($worker) = $t2->worker_pids;
sleep 0.3;
$rss0 = rss_kb($worker);

my $t0 = time;
$r = $t2->get('/?domain=any.example', 'X-Forwarded-For' => '198.18.2.1');
my $took = time - $t0;
is("$r->{status} $r->{content}", "200 default\n",
   'a 400 MB string: the default page');
ok($took < 0.25, sprintf('... answered in %.0f ms, not after the stream',
                         $took * 1000));

$rss_max = $rss0;
for (1 .. 20) {
    sleep 0.1;
    my $rss = rss_kb($worker);
    $rss_max = $rss if $rss > $rss_max;
}
ok($rss_max - $rss0 < 10 * 1024,
   'worker RSS grew by less than 10 MB while it streamed ('
   . ($rss_max - $rss0) . ' kB)');
like($t2->error_log, qr/reply over 65536 bytes/, '... and it was warned of');

$t2->stop;
kill 'KILL', $fake;
waitpid($fake, 0);

done_testing;
