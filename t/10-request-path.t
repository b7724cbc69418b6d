# The request path: UTM inputs, classification by $var fields and UTM
# personas, sticky assignment, the three routing modes, bots, consent, GPC,
# preview, and hostile inputs.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use HTTP::Tiny;
use IcpTest;

my $t = IcpTest->new;

my $rules = <<'EOF';
exclude tiny {
    $http_x_employees < 10;
}
icp big {
    $http_x_employees >= 1000;
}
icp mid {
    $http_x_employees in 10..999;
    $http_x_industry in (software, "marketing services");
}
persona marketer {
    utm_source in (linkedin, google);
}
persona sre {
    utm_term ~* "sre|devops";
}
route excluded * {
    variant tiny /lp/tiny.html;
}
route mid marketer {
    experiment hero;
    variant a /lp/a.html WA;
    variant b /lp/b.html WB;
}
route big * {
    variant big /lp/big.html;
}
route * sre {
    variant sre /lp/sre.html;
}
route * * {
    variant default /lp/default.html;
}
EOF

sub rules_with {
    my ($wa, $wb) = @_;
    (my $r = $rules) =~ s/WA/$wa/;
    $r =~ s/WB/$wb/;
    $t->write_file('rules/site.rules', $r);
}

rules_with(50, 50);

for my $v (qw(a b tiny big sre default)) {
    $t->write_file("html/lp/$v.html", "page $v\n");
}

my $server = <<'EOF';
icp_secret test-secret;
server {
    listen %%PORT%%;
    root %%ROOT%%;
    large_client_header_buffers 4 16k;
    icp_rules %%RULES%%/site.rules;
    icp_preview_key let-me-see;

    location = / {
        icp on;
    }
    location = /r {
        icp on;
        icp_route redirect;
    }
    location = /off {
        icp on;
        icp_route off;
        add_header X-ICP "$icp_segment|$icp_persona|$icp_variant|$icp_experiment|$icp_score|$icp_route|$icp_utm_source|$icp_visitor" always;
        try_files $icp_variant_uri =404;
    }
    location = /c {
        icp on;
        icp_consent $cookie_consent;
        icp_gpc on;
    }
    location = /nobots {
        icp on;
        icp_bots off;
    }
    location /lp/ {
    }
}
server {
    listen %%PORT%%;
    server_name localhost;
    root %%ROOT%%;
    icp_rules %%RULES%%/site.rules;
    icp_cookie v max_age=1d domain=example.com path=/lp samesite=None;

    location = /named {
        icp on;
    }
    location /lp/ {
    }
}
EOF

$t->start($server);

my %mid = ('X-Employees' => 250, 'X-Industry' => 'Software');

# A browser: keeps cookies between requests.
sub browse {
    my ($jar, $path, %h) = @_;
    my $c = join '; ', map { "$_=$jar->{$_}" } sort keys %$jar;
    $h{Cookie} = $c if $c;
    my $r = $t->get($path, %h);
    for my $sc (cookies($r)) {
        $jar->{$1} = $2 if $sc =~ /^([^=]+)=([^;]*)/;
    }
    return $r;
}

sub cookies {
    my ($r) = @_;
    my $sc = $r->{headers}{'set-cookie'} or return ();
    return ref $sc ? @$sc : ($sc);
}

sub variant_of {
    my ($r) = @_;
    return $r->{content} =~ /^page (\w+)$/ ? $1 : "?($r->{status})";
}

# --- classification and routing -------------------------------------------

is(variant_of($t->get('/?utm_source=bing', 'X-Employees' => 5)), 'tiny',
   'exclusion: fewer than 10 staff');
is(variant_of($t->get('/', 'X-Employees' => 5000)), 'big',
   'ICP big by $http_x_employees');
is(variant_of($t->get('/?utm_term=devops+tools')), 'sre',
   'persona sre from utm_term, no ICP');
is(variant_of($t->get('/?utm_source=bing')), 'default', 'nobody: default');
is(variant_of($t->get('/?utm_source=bing', %mid)), 'default',
   'mid-market, not a marketer: default');
like(variant_of($t->get('/?utm_source=LinkedIn', %mid)), qr/^[ab]$/,
     'mid-market marketer: one of the experiment variants');

my $r = $t->get('/r?utm_source=linkedin&x=%20y', %mid);
is($r->{status}, 302, 'redirect mode: 302');
like($r->{headers}{location}, qr{^(http://[^/]+)?/lp/[ab]\.html\?utm_source=linkedin&x=%20y$},
     'redirect keeps the query string');
is($r->{headers}{'cache-control'}, 'private', 'the 302 is private too');
ok(scalar(cookies($r)) == 2, 'the 302 sets the visitor and context cookies');

$r = $t->get('/off?utm_source=google', 'X-Employees' => 300,
             'X-Industry' => 'marketing services');
my @f = split /\|/, $r->{headers}{'x-icp'} // '';
is($f[0], 'mid', 'off mode: $icp_segment');
is($f[1], 'marketer', '$icp_persona');
like($f[2], qr/^[ab]$/, '$icp_variant');
is($f[3], 'hero', '$icp_experiment');
is($f[4], 100, '$icp_score');
is($f[5], 'mid/marketer', '$icp_route');
is($f[6], 'google', '$icp_utm_source');
like($f[7], qr/^[A-Za-z0-9_-]{22}$/, '$icp_visitor is the new id');
is(variant_of($r), $f[2], 'try_files $icp_variant_uri serves the variant');
is($r->{headers}{'cache-control'}, 'private', 'Cache-Control: private');

# --- cookies and stickiness ---------------------------------------------------

my %jar;
$r = browse(\%jar, '/?utm_source=linkedin&utm_campaign=q4', %mid);
my $first = variant_of($r);
my ($vid_cookie) = grep { /^icp_vid=/ } cookies($r);
like($vid_cookie, qr/^icp_vid=[A-Za-z0-9_-]{22}; Max-Age=31536000; Path=\/; SameSite=Lax; HttpOnly$/,
     'visitor cookie: 128-bit base64url id and its attributes');
ok(length($jar{icp_vid_ctx}) < 400, 'context cookie stays small');

{
    (my $url = $t->url('/named?utm_source=linkedin')) =~ s/127\.0\.0\.1/localhost/;
    my @c = cookies(HTTP::Tiny->new->get($url, { headers => \%mid }));
    my $attrs = '; Max-Age=86400; Path=/lp; Domain=example.com; '
              . 'SameSite=None; HttpOnly; Secure';
    is(scalar(grep { /^v=[A-Za-z0-9_-]{22}\Q$attrs\E$/ } @c), 1,
       'icp_cookie: its name and every attribute on the visitor cookie');
    is(scalar(grep { /^v_ctx=[^;]+\Q$attrs\E$/ } @c), 1,
       'icp_cookie: the context cookie named after it, same attributes');
}

my @seen = map { variant_of(browse(\%jar, '/?utm_source=linkedin', %mid)) }
           1 .. 20;
is_deeply([grep { $_ ne $first } @seen], [], 'same variant over 20 requests');

is(variant_of(browse(\%jar, '/', %mid)), $first,
   'a later page without UTM parameters keeps persona and variant');

# new UTM parameters replace the saved set
is(variant_of(browse(\%jar, '/?utm_source=bing', %mid)), 'default',
   'new UTM parameters replace the saved ones');
is(variant_of(browse(\%jar, '/?utm_source=linkedin', %mid)), $first,
   'and the assignment is still remembered');

# weights change and reload: a visitor with a valid cookie keeps the variant
my $other = $first eq 'a' ? 'b' : 'a';
rules_with($first eq 'a' ? (1, 99) : (99, 1));
$t->reload($server);
is(variant_of(browse(\%jar, '/?utm_source=linkedin', %mid)), $first,
   'after the weights change and a reload, the cookie keeps the variant');

my %fresh_count;
$fresh_count{variant_of($t->get('/?utm_source=linkedin', %mid))}++ for 1..40;
ok(($fresh_count{$other} // 0) > 30,
   "new visitors now mostly get $other (" . ($fresh_count{$other} // 0)
   . '/40)');

rules_with(50, 50);
$t->reload($server);

# a tampered context cookie is ignored: the visitor is re-bucketed by id
my %probe = (icp_vid => $jar{icp_vid});
my $by_hash = variant_of(browse({%probe}, '/?utm_source=linkedin', %mid));
for my $claim ('a', 'b') {
    (my $forged = $jar{icp_vid_ctx}) =~ s/hero%3A\w+|hero:\w+/hero:$claim/;
    my $v = variant_of(browse({ icp_vid => $jar{icp_vid},
                                icp_vid_ctx => $forged },
                              '/?utm_source=linkedin', %mid));
    is($v, $by_hash, "forged assignment to $claim: the hash decides ($by_hash)");
}

# --- the split -----------------------------------------------------------------

my %n = (a => 0, b => 0);
$n{variant_of($t->get('/?utm_source=linkedin', %mid))}++ for 1 .. 2000;
my $chi2 = (($n{a} - 1000) ** 2 + ($n{b} - 1000) ** 2) / 1000;
cmp_ok($chi2, '<', 10.828,
       "2,000 visitors split $n{a}/$n{b}: chi-square $chi2 < 10.828 "
       . '(p > 0.001, 1 df)');

# --- bots ------------------------------------------------------------------------

my $bot = 'Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)';
my %bots;
for (1 .. 10) {
    $r = $t->get('/?utm_source=linkedin', %mid, 'User-Agent' => $bot);
    $bots{variant_of($r)}++;
    $bots{cookie}++ if cookies($r);
}
is_deeply(\%bots, { a => 10 },
          'Googlebot, no icp_bots line: always the control, no cookie');

$r = $t->get('/?utm_source=linkedin', %mid,
             'User-Agent' => 'AdsBot-Google (+http://www.google.com/adsbot.html)');
ok(!cookies($r), 'AdsBot-Google gets no cookie');

$r = $t->get('/nobots?utm_source=linkedin', %mid, 'User-Agent' => $bot);
ok(scalar cookies($r), 'with icp_bots off a crawler is a visitor');

$r = $t->get('/?utm_source=linkedin', %mid,
             'User-Agent' => 'Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0');
ok(scalar cookies($r), 'a browser is not a bot');

# --- consent and GPC ---------------------------------------------------------------

my %c;
for (1 .. 10) {
    $r = $t->get('/c?utm_source=linkedin', %mid);
    $c{variant_of($r)}++;
    $c{cookie}++ if cookies($r);
}
is_deeply(\%c, { a => 10 }, 'no consent: no cookie, no experiment (control)');

$r = $t->get('/c?utm_source=linkedin', %mid, Cookie => 'consent=0');
ok(!cookies($r), 'consent=0 is no consent');

$r = $t->get('/c?utm_source=linkedin', %mid, Cookie => 'consent=1');
ok(scalar cookies($r), 'consent given: cookies set');

$r = $t->get('/c?utm_source=linkedin', %mid, Cookie => 'consent=1',
             'Sec-GPC' => '1');
ok(!cookies($r), 'Sec-GPC: 1 overrides consent');

$r = $t->get('/c?utm_source=linkedin', %mid, Cookie => 'consent=1',
             'Sec-GPC' => '0');
ok(scalar cookies($r), 'Sec-GPC: 0 does not');

# --- preview ---------------------------------------------------------------------------

$r = $t->get('/?utm_source=linkedin&icp_variant=b', %mid,
             'X-ICP-Preview' => 'let-me-see');
is(variant_of($r), 'b', 'preview key: icp_variant forces b');
like($r->{headers}{'x-icp-debug'},
     qr/^segment=mid; score=100; persona=marketer; route=mid\/marketer; experiment=hero; variant=b; bucket=-?\d+; reason=.+/,
     'X-ICP-Debug explains the decision');

$r = $t->get('/?utm_source=linkedin&icp_variant=a', %mid,
             'X-ICP-Preview' => 'let-me-see');
is(variant_of($r), 'a', 'preview key: icp_variant forces a');

$r = $t->get('/?utm_source=linkedin&icp_variant=nope', %mid,
             'X-ICP-Preview' => 'let-me-see');
like(variant_of($r), qr/^[ab]$/, 'a variant the route lacks is ignored');

my %forced;
for (1 .. 30) {
    $r = $t->get('/?utm_source=linkedin&icp_variant=b', %mid,
                 'X-ICP-Preview' => 'wrong');
    $forced{variant_of($r)}++;
    $forced{debug}++ if $r->{headers}{'x-icp-debug'};
}
ok($forced{a} && !$forced{debug},
   'wrong key: icp_variant does nothing, no debug header');

$r = $t->get('/?icp_variant=../../etc/passwd', 'X-ICP-Preview' => 'let-me-see');
is(variant_of($r), 'default', 'icp_variant cannot name a URI');

# --- hostile inputs ---------------------------------------------------------------------

sub safe {
    my ($name, $r) = @_;
    my $bad = grep { /[\x00-\x1f\x7f]/ }
              map { ref $_ ? @$_ : $_ } values %{ $r->{headers} };
    ok($r->{status} == 200 && variant_of($r) =~ /^(a|b|default|tiny|big|sre)$/
       && !$bad, "$name: 200, a valid variant, clean headers")
        or diag("status $r->{status}: $r->{content}");
}

safe('8 KB query string',
     $t->get('/?utm_source=linkedin&utm_term=' . ('x' x 8192), %mid));
safe('%00 in a value', $t->get('/off?utm_source=link%00edin%0d%0aX-Bad:%201', %mid));
safe('%ZZ and lone %', $t->get('/?utm_source=%ZZ%&utm_term=%', %mid));
safe('overlong UTF-8', $t->get('/?utm_source=%C0%AF%E0%80%AF', %mid));
safe('100 repeated utm_source',
     $t->get('/?' . join('&', map { "utm_source=s$_" } 1 .. 100), %mid));
safe('4 KB cookie', $t->get('/', %mid, Cookie => 'icp_vid=' . ('A' x 4096)));
safe('base64 garbage in both cookies',
     $t->get('/?utm_source=linkedin', %mid,
             Cookie => 'icp_vid=Zm9vYmFyYmF6cXV4; icp_vid_ctx=Zm9vYmFy.YmF6cXV4cXV4cXV4cXV4cXV4'));

$r = $t->get('/off?utm_source=a%0d%0aSet-Cookie:%20evil=1', %mid);
is($r->{headers}{'x-icp'} =~ tr/\r\n//, 0, 'CRLF never reaches a header');
ok(!grep({ /^evil=/ } cookies($r)), 'no header injection');

$t->stop;

done_testing;
