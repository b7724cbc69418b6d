# The module loads into Debian's nginx, serves a classified request, and
# configuration mistakes fail `nginx -t` with the file and line.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use IcpTest;

my $t = IcpTest->new;

$t->write_file('rules/site.rules', <<'EOF');
persona marketer {
    utm_source in (linkedin, google);
}
route * marketer {
    variant marketer /lp/marketer.html;
}
route * * {
    variant default /lp/default.html;
}
EOF
$t->write_file('html/lp/marketer.html', "for marketers\n");
$t->write_file('html/lp/default.html', "default page\n");
$t->write_file('html/plain.html', "no icp here\n");

my $server = <<'EOF';
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

$t->start($server);

like($t->redis->cli('PING'), qr/PONG/, 'the private redis-server answers');

my $r = $t->get('/?utm_source=linkedin');
is($r->{status}, 200, 'classified request: 200');
is($r->{content}, "for marketers\n", 'marketer variant served');

$r = $t->get('/?utm_source=bing');
is($r->{content}, "default page\n", 'anyone else: the default variant');

$r = $t->get('/plain.html');
is($r->{content}, "no icp here\n", 'a location without icp is untouched');
ok(!$r->{headers}{'set-cookie'}, '... and sets no cookie');

# configuration errors

$t->conf_fails_like(<<'EOF', qr/unknown directive "icp_rule" in \S+nginx-t\.conf:\d+/, 'typo in a directive');
server {
    listen %%PORT%%;
    location / { icp on; icp_rule %%RULES%%/site.rules; }
}
EOF

$t->conf_fails_like(<<'EOF', qr/"icp on" needs an "icp_rules" file .* in \S+nginx-t\.conf:\d+/, 'icp on without rules');
server {
    listen %%PORT%%;
    location / { icp on; }
}
EOF

$t->write_file('rules/broken.rules', "persona p {\n    utm_source ?? x;\n}\n");

$t->conf_fails_like(<<'EOF', qr/broken\.rules:2:\d+: .* in \S+nginx-t\.conf:\d+/, 'rules error names FILE:LINE:COL');
server {
    listen %%PORT%%;
    location / { icp on; icp_rules %%RULES%%/broken.rules; }
}
EOF

$t->conf_fails_like(<<'EOF', qr/invalid value "sideways"/, 'icp_route takes internal, redirect or off');
server {
    listen %%PORT%%;
    location / { icp_route sideways; }
}
EOF

$t->conf_fails_like(<<'EOF', qr/invalid parameter "maxage=1d"/, 'icp_cookie rejects an unknown parameter');
icp_cookie vid maxage=1d;
EOF

$t->stop;

done_testing;
