# Rules are compiled once per distinct file, shared by the locations that
# name it, and freed with the configuration that loaded them: 100 reloads
# do not grow the master process.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use IcpTest;

plan skip_all => 'a reload under valgrind is a restart: nothing to measure'
    if $IcpTest::VALGRIND;

my $t = IcpTest->new(redis => 0);

# A ruleset with regexes (JIT-compiled: their code lives outside the heap).
my $rules = join '', map { <<"EOF" } 1 .. 40;
persona p$_ {
    utm_term ~* "(devops|sre|platform)-$_";
    utm_campaign ~ "^q[1-4]-$_\$";
}
EOF
$rules .= "route * * {\n    variant default /lp/default.html;\n}\n";
$t->write_file('rules/site.rules', $rules);
$t->write_file('html/lp/default.html', "default\n");

my $server = <<'EOF';
server {
    listen %%PORT%%;
    root %%ROOT%%;
    location = / { icp on; icp_rules %%RULES%%/site.rules; }
    location = /again { icp on; icp_rules %%RULES%%/site.rules; }
    location /lp/ { }
}
EOF

$t->start($server);

sub master_rss_kb {
    open my $fh, '<', "/proc/$t->{nginx_pid}/status" or return 0;
    while (<$fh>) { return $1 if /^VmRSS:\s+(\d+)/ }
    return 0;
}

sub reloads {
    my ($n) = @_;
    for (1 .. $n) {
        $t->reload($server);
        is($t->get('/')->{content}, "default\n", "serves after reload")
            if $_ == $n;
    }
}

reloads(20);
my $before = master_rss_kb();
reloads(80);
my $after = master_rss_kb();

diag("master RSS after 20 reloads: $before kB, after 100: $after kB");
cmp_ok($after - $before, '<', 512,
       'no growth across 80 more reloads (< 512 kB of noise)');

is($t->get('/again')->{content}, "default\n", 'second location, same rules');

$t->stop;

done_testing;
