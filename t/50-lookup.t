# Firmographic lookups against a real redis-server: each key kind gives
# the ICP its data implies, the longest network prefix wins, domain and
# contact data merge over IP data, and a repeat visitor is served from the
# shared cache without a Redis command.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use IcpTest;

my $t = IcpTest->new;
my $redis = $t->redis;

$t->write_file('rules/site.rules', <<'EOF');
icp enterprise {
    employees >= 1000;
}
icp mid_market {
    employees in 10..999;
}
persona exec {
    title ~* "^(vp|chief)";
}
route enterprise exec {
    variant ent_exec /lp/ent-exec.html;
}
route enterprise * {
    variant ent /lp/ent.html;
}
route mid_market * {
    variant mid /lp/mid.html;
}
route * * {
    variant default /lp/default.html;
}
EOF

$t->write_file("html/lp/$_.html", "$_\n") for qw(ent-exec ent mid default);
$t->write_file('html/plain.html', "plain\n");

sub hset {
    my ($key, %f) = @_;
    $redis->cli('HSET', "icp:$key", %f);
}

hset('ip:192.0.2.7', company => 'Exact Corp', employees => 5000);
hset('net:198.51.100.0/24', company => 'Class C Inc', employees => 200);
hset('net:10.20.0.0/16', company => 'Sixteen Ltd', employees => 50);
# one network inside another: the narrower one must win
hset('net:203.0.113.0/24', company => 'Narrow', employees => 5000);
hset('net:203.0.0.0/16', company => 'Wide', employees => 50);
hset('net:2001:db8:1:2::/64', company => 'Six Networks', employees => 2000);
hset('domain:acme.io', company => 'Acme', employees => 300,
     industry => 'software');
hset('contact:c-42', title => 'VP Marketing', domain => 'BigCorp.com');
hset('contact:c-43', title => 'Chief of Staff', domain => 'bigcorp.com');
hset('domain:bigcorp.com', company => 'BigCorp', employees => 20000);
# the visitor's IP says small, the domain cookie says enterprise
hset('ip:192.0.2.50', company => 'Small Office', employees => 20,
     country => 'US');
hset('domain:huge.example', company => 'Huge', employees => 90000);

# valgrind makes nginx some ten times slower
my $ms = $ENV{ICP_VALGRIND} ? 5000 : 2000;

my $conf = <<'EOF' =~ s/%%MS%%/$ms/gr;
icp_redis %%REDIS%% connect_timeout=%%MS%%ms timeout=%%MS%%ms;
icp_cache zone=icp:1m ttl=60s;

server {
    listen %%PORT%%;
    root %%ROOT%%;
    icp_rules %%RULES%%/site.rules;

    add_header X-Cache $icp_cache always;
    add_header X-Company $icp_firmo_company always;
    add_header X-Country $icp_firmo_country always;

    location = / {
        icp on;
        icp_lookup ip=$remote_addr domain=$cookie_company
                   contact=$http_x_contact;
    }
    location = /nokey {
        icp on;
        icp_lookup domain=$cookie_company;
    }
    location = /raw {
        icp on;
        icp_lookup ip=$http_x_visitor;
    }
    location = /status {
        icp_status;
    }
    location / {
    }
}
EOF

$t->start($conf);

sub visit {
    my (%h) = @_;
    my $r = $t->get('/', %h);
    is($r->{status}, 200, 'status 200') or diag(explain $r);
    chomp(my $page = $r->{content} // '');
    return ($page, $r->{headers}{'x-cache'} // '',
            $r->{headers}{'x-company'} // '');
}

sub hgetall_calls {
    my ($n) = ($redis->cli('INFO', 'commandstats')
               =~ /cmdstat_hgetall:calls=(\d+)/);
    return $n // 0;
}

my ($page, $cache, $company);

($page, $cache, $company) = visit('X-Forwarded-For' => '192.0.2.7');
is($page, 'ent', 'exact IP: enterprise');
is($cache, 'MISS', '... first visit goes to Redis');
is($company, 'Exact Corp', '... company from ip:');

($page, undef, $company) = visit('X-Forwarded-For' => '198.51.100.23');
is($page, 'mid', '/24: mid market');
is($company, 'Class C Inc', '... company from net:/24');

($page, undef, $company) = visit('X-Forwarded-For' => '10.20.30.40');
is($page, 'mid', '/16: mid market');
is($company, 'Sixteen Ltd', '... company from net:/16');

($page, undef, $company) = visit('X-Forwarded-For' => '203.0.113.9');
is($page, 'ent', 'inside a /24 and a /16: the /24 wins');
is($company, 'Narrow', '... its company');

($page, undef, $company) = visit('X-Forwarded-For' => '203.0.7.1');
is($page, 'mid', 'only in the /16: the /16');
is($company, 'Wide', '... its company');

($page, undef, $company) = visit('X-Forwarded-For' => '2001:db8:1:2:aa::99');
is($page, 'ent', 'IPv6 /64: enterprise');
is($company, 'Six Networks', '... company from the v6 net: key');

($page, undef, $company) = visit('X-Forwarded-For' => '192.0.2.99',
                                 Cookie => 'company=WWW.Acme.IO');
is($page, 'mid', 'domain cookie (case and www. ignored): mid market');
is($company, 'Acme', '... company from domain:');

($page, undef, $company) = visit('X-Forwarded-For' => '192.0.2.99',
                                 'X-Contact' => 'c-42');
is($page, 'ent-exec', 'contact: title gives the persona, its domain '
                      . 'the company');
is($company, 'BigCorp', '... company from the contact\'s domain');

my $r = $t->get('/', 'X-Forwarded-For' => '192.0.2.50',
                Cookie => 'company=huge.example');
chomp($page = $r->{content});
is($page, 'ent', 'domain data overrides IP data');
is($r->{headers}{'x-company'}, 'Huge', '... company from the domain');
is($r->{headers}{'x-country'}, 'US',
   '... fields only the IP record has are kept');

($page, $cache) = visit('X-Forwarded-For' => '192.0.2.200');
is($page, 'default', 'unknown visitor: default variant');
is($cache, 'MISS', '... looked up');

# repeat visits: served from the cache, no Redis command

my $calls = hgetall_calls();
ok($calls > 0, "HGETALL calls counted ($calls)");

($page, $cache, $company) = visit('X-Forwarded-For' => '192.0.2.7');
is($page, 'ent', 'repeat visitor: same variant');
is($cache, 'HIT', '... from the cache');
is($company, 'Exact Corp', '... with the company');

($page, $cache) = visit('X-Forwarded-For' => '192.0.2.200');
is($cache, 'HIT', 'nothing found is cached too (negative entry)');
is($page, 'default', '... and still the default variant');

($page, $cache) = visit('X-Forwarded-For' => '192.0.2.99',
                        'X-Contact' => 'c-42');
is($cache, 'HIT', 'contact visitor: HIT');
is($page, 'ent-exec', '... same decision');

is(hgetall_calls(), $calls, 'the cache hits sent no HGETALL');

# a contact reaches its company in exactly one more round trip

$calls = hgetall_calls();
($page) = visit('X-Forwarded-For' => '192.0.2.98', 'X-Contact' => 'c-43');
is($page, 'ent-exec', 'another contact of the same company');
is(hgetall_calls() - $calls, 5,
   '... 5 HGETALL: ip, /24, /16, contact, then the company domain');

# no key at all: the lookup is bypassed

$r = $t->get('/nokey');
chomp($page = $r->{content});
is($page, 'default', 'no lookup key: default variant');
is($r->{headers}{'x-cache'}, 'BYPASS', '... $icp_cache is BYPASS')
    or diag(explain $r->{headers});

$r = $t->get('/plain.html');
ok(!defined $r->{headers}{'x-cache'}, 'a location without icp: no lookup');

# addresses as the lookup normalises them

hset('ip:2001:db8::1', company => 'Six Exact', employees => 3000);

sub raw {
    my ($addr) = @_;
    my $r = $t->get('/raw', 'X-Visitor' => $addr);
    return ($r->{headers}{'x-company'} // '') . ' '
           . ($r->{headers}{'x-cache'} // '');
}

is(raw('2001:0DB8:0000:0000:0000:0000:0000:0001'), 'Six Exact MISS',
   'IPv6 in long form: looked up in RFC 5952 form');
is(raw('::ffff:192.0.2.7'), 'Exact Corp HIT',
   'IPv4-mapped IPv6: the IPv4 address, even its cache entry');
is(raw('192.0.2.300'), ' BYPASS', 'not an address: no lookup');
is(raw('www.example.com'), ' BYPASS', '... nor a name');

# icp-load writes the keys the lookup reads

SKIP: {
    my $load = $ENV{ICP_LOAD} || IcpTest::abs_root() . '/build/bin/icp-load';
    skip "icp-load not built ($load)", 4 unless -x $load;

    my $csv = $t->write_file('firmo.csv', <<'EOF');
cidr,domain,company,employees
198.18.0.0/22,,Loaded Four,4000
2001:db8:aa00::/56,,Loaded Six,4000
,Loaded.Example,Loaded Domain,4000
EOF
    my $port = $redis->port;
    my $out = qx{$load --redis 127.0.0.1:$port $csv 2>&1};
    is($?, 0, 'icp-load loads a CIDR of each family and a domain')
        or diag($out);

    is(raw('198.18.2.9'), 'Loaded Four MISS',
       '... an IPv4 /22 spread in /24s');
    is(raw('2001:db8:aa00:17::5'), 'Loaded Six MISS',
       '... an IPv6 /56 spread in /64s');

    my $r = $t->get('/', 'X-Forwarded-For' => '192.0.2.201',
                    Cookie => 'company=loaded.example');
    is($r->{headers}{'x-company'}, 'Loaded Domain', '... a domain');
}

# the status endpoint counts Redis commands and cache results

{
    my $s = $t->get('/status')->{content};
    my ($server) = $s =~ /"redis":\[\{"server":"([^"]+)","up":true,"commands":(\d+)/;
    is($server, '127.0.0.1:' . $t->redis->port, 'status: the Redis server, up');
    my ($commands) = $s =~ /"commands":(\d+)/;
    cmp_ok($commands, '>', 0, "status: $commands Redis commands counted");
    my ($hits) = $s =~ /"HIT":(\d+)/;
    cmp_ok($hits, '>', 0, "status: $hits cache hits counted");
}

# a reload keeps the cache and connects the new workers

SKIP: {
    skip 'no reload without a master process (valgrind)', 2
        if $ENV{ICP_VALGRIND};

    $t->reload($conf);

    ($page, $cache, $company) = visit('X-Forwarded-For' => '192.0.2.7');
    is("$page $cache", 'ent HIT', 'after a reload: still cached');

    ($page, $cache) = visit('X-Forwarded-For' => '198.51.100.77');
    is("$page $cache", 'mid MISS', '... and the new worker reaches Redis');
}

$t->stop;
done_testing;
