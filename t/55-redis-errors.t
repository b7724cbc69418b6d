# One [error] per outage whatever its cause, retries at [info], one line
# when it is over; and a server's error text escaped before it reaches the
# error log.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Time::HiRes qw(time sleep);
use IcpTest;

my $t = IcpTest->new;
my $redis = $t->redis;

$t->write_enterprise_site;
$redis->cli('HSET', "icp:ip:10.30.0.$_", 'company', 'Acme',
            'employees', 5000) for 1 .. 40;

# the password is set on Redis, not given to nginx: NOAUTH on every try
$redis->cli('CONFIG', 'SET', 'requirepass', 's3cret');

$t->start(<<'EOF', workers => 2);
icp_redis %%REDIS%% connect_timeout=1s;

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

my $ip = 0;
my $end = time + 8;
my $answered = 0;
my $requests = 0;

while (time < $end) {
    my $r = $t->get('/', 'X-Forwarded-For' => '10.30.0.' . (++$ip % 40 + 1));
    $requests++;
    $answered++ if $r->{status} == 200 && $r->{content} eq "default\n";
    sleep 0.2;
}

my $log = $t->error_log;
my @errors = $log =~ /^.*\[error\].*icp_redis.*$/mg;
my @retries = $log =~ /^.*\[info\].*icp_redis.*NOAUTH.*$/mg;

diag(sprintf "over 8 s, 2 workers: %d [error], %d [info] retries",
     scalar @errors, scalar @retries);

is($answered, $requests, "all $requests requests: the default page, 200");
ok(@errors >= 1 && @errors <= 2, 'one [error] per worker for the outage')
    or diag(join "\n", @errors);
like($errors[0] // '', qr/NOAUTH Authentication required/,
     '... naming the cause');
ok(@retries >= 4, 'the retries at [info] (' . scalar @retries . ')');

# the outage ends: one [notice] per worker, lookups again
system("redis-cli -p " . $redis->port . " -a s3cret --no-auth-warning "
       . "CONFIG SET requirepass '' >/dev/null") == 0 or die 'redis-cli';
sleep 3.5;

my $personal = 0;
for (1 .. 20) {
    my $r = $t->get('/', 'X-Forwarded-For' => '10.30.0.' . (++$ip % 40 + 1));
    $personal++ if $r->{content} eq "ent\n";
}
is($personal, 20, 'after the outage: lookups again');

$log = $t->error_log;
my @resumed = $log =~ /\[notice\].*icp_redis.*lookups resumed/g;
ok(@resumed >= 1 && @resumed <= 2, 'one "lookups resumed" per worker');
my @after = $log =~ /\[error\].*icp_redis/g;
is(scalar @after, scalar @errors, 'no [error] since');

$t->stop;

# a hostile server's error text: escape sequences and a NUL-free binary

my ($fake_port, $fake) = IcpTest::fake_redis(sub {
    my ($c) = @_;
    my $buf;
    sysread($c, $buf, 65536);
    syswrite($c, "-ERR \e[2J\e]0;pwned\a\x7f\xff gone\r\n");
});

my $t2 = IcpTest->new(redis => 0);
$t2->write_enterprise_site;
$t2->start(<<"EOF");
icp_redis 127.0.0.1:$fake_port;

server {
    listen %%PORT%%;
    root %%ROOT%%;
    icp_rules %%RULES%%/site.rules;

    location = / {
        icp on;
    }
    location / {
    }
}
EOF

sleep 1;
my $r = $t2->get('/', 'X-Forwarded-For' => '10.30.0.1');
is("$r->{status} $r->{content}", "200 default\n", 'hostile server: default');

$log = $t2->error_log;
like($log, qr/ERR \\x1b\[2J\\x1b\]0;pwned\\x07\\x7f\\xff gone/,
     'its error text escaped');
unlike($log, qr/[\x00-\x08\x0b-\x1f\x7f-\xff]/, 'no raw control byte');

$t2->stop;
kill 'KILL', $fake;
waitpid($fake, 0);

done_testing;
