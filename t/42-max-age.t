# icp_lookup max_age=: a company record whose as_of (written by icp-load)
# is older is taken as absent; one without as_of is kept.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use POSIX qw(strftime);
use IcpTest;

my $t = IcpTest->new;
my $redis = $t->redis;

$t->write_enterprise_site;

my $day = sub { strftime('%Y-%m-%d', gmtime(time - $_[0] * 86400)) };

$redis->cli('HSET', 'icp:ip:10.40.0.1', 'company', 'Fresh', 'employees',
            5000, 'as_of', $day->(2));
$redis->cli('HSET', 'icp:ip:10.40.0.2', 'company', 'Stale', 'employees',
            5000, 'as_of', $day->(200));
$redis->cli('HSET', 'icp:ip:10.40.0.3', 'company', 'Undated', 'employees',
            5000);
$redis->cli('HSET', 'icp:ip:10.40.0.4', 'company', 'Garbled', 'employees',
            5000, 'as_of', 'last spring');

$t->conf_fails_like(<<'EOF', qr/invalid parameter "max_age=soon"/, 'max_age=soon');
icp_redis 127.0.0.1:1;
server { listen %%PORT%%; location / { icp_lookup max_age=soon; } }
EOF

$t->start(<<'EOF');
icp_redis %%REDIS%%;
icp_cache zone=icp:1m;

server {
    listen %%PORT%%;
    root %%ROOT%%;
    icp_rules %%RULES%%/site.rules;
    add_header X-Company $icp_firmo_company always;

    location = / {
        icp on;
        icp_lookup max_age=90d;
    }
    location = /any-age {
        icp on;
    }
    location / {
    }
}
EOF

for my $case ([1, 'ent', 'Fresh', 'as_of 2 days ago: kept'],
              [2, 'default', '', 'as_of 200 days ago: absent'],
              [3, 'ent', 'Undated', 'no as_of: kept'],
              [4, 'ent', 'Garbled', 'an as_of that is no date: kept'])
{
    my ($n, $page, $company, $name) = @$case;
    my $r = $t->get('/', 'X-Forwarded-For' => "10.40.0.$n");
    is("$r->{status} $r->{content}", "200 $page\n", $name);
    is($r->{headers}{'x-company'} // '', $company, '... company');
}

my $r = $t->get('/any-age', 'X-Forwarded-For' => '10.40.0.2');
is($r->{headers}{'x-company'}, 'Stale', 'without max_age the old record counts');

done_testing;
