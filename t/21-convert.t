# Every exposure and conversion counted once: conversions whatever answers
# the request, goals and values from variables, crawlers out by default,
# phases, the live sample-ratio check, the context cookie over its limit.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use JSON::PP;
use IcpTest;

my $t = IcpTest->new;
my $bin = IcpTest::abs_root() . '/build/bin';

sub rules {
    my ($wa, $wb) = @_;
    return "persona marketer {\n    utm_source in (linkedin, google);\n}\n"
         . "route * marketer {\n    experiment hero;\n"
         . "    variant a /lp/a.html $wa;\n    variant b /lp/b.html $wb;\n}\n"
         . "route * * {\n    variant default /lp/default.html;\n}\n";
}

$t->write_file('rules/site.rules', rules(50, 50));
$t->write_file("html/lp/$_.html", "page $_\n") for qw(a b default);
$t->write_file('html/thanks.html', "thanks\n");
$t->write_file('html/404.html', "not here\n");

my $server = <<'CONF';
icp_secret convert-secret;
server {
    listen %%PORT%%;
    root %%ROOT%%;
    icp_rules %%RULES%%/site.rules;
    access_log %%TMP%%/logs/icp.log icp if=$icp_logged;
    icp_goals demo signup pricing;

    location = / {
        icp on;
    }
    location = /r204 {
        icp_convert demo;
        return 204;
    }
    location = /r200 {
        icp_convert signup;
        return 200 "thanks\n";
    }
    location = /proxy {
        icp_convert demo;
        proxy_pass http://%%PORT%%/upstream;
    }
    location = /upstream {
        access_log off;
        return 200 "from upstream\n";
    }
    location = /tf {
        icp_convert signup;
        try_files /thanks.html =404;
    }
    location = /thanks.html {
        icp_convert signup;
    }
    location = /err {
        icp_convert demo;
        error_page 404 /404.html;
        return 404;
    }
    location = /icp/convert {
        icp_convert $arg_goal value=$arg_value;
        add_header Cache-Control no-store;
        return 204;
    }
    location = /status {
        icp_status;
        access_log off;
    }
    location /lp/ {
    }
}
CONF

$t->start($server, workers => 2);

sub records { $t->new_records(@_) }

sub status { decode_json($t->get('/status')->{content}) }

sub set_cookies {
    my ($r) = @_;
    my $h = $r->{headers}{'set-cookie'};
    return ref $h ? @$h : defined $h ? ($h) : ();
}

# a visitor with both cookies, assigned to hero
my $r = $t->get('/?utm_source=linkedin');
my %jar = map { /^([^=]+)=([^;]*)/ ? ($1, $2) : () } set_cookies($r);
my $cookie = join '; ', map { "$_=$jar{$_}" } sort keys %jar;
my ($exposure) = records();
my $var = $exposure->{var};
my $phase = $exposure->{phase};
like($phase, qr/^[0-9a-f]{8}\z/, 'an exposure carries its phase');

# --- conversions whatever answers ---------------------------------------------

for my $case (['/r204', 204, 'demo', 'return 204'],
              ['/r200', 200, 'signup', 'return 200'],
              ['/proxy', 200, 'demo', 'proxy_pass'],
              ['/tf', 200, 'signup', 'try_files'],
              ['/thanks.html', 200, 'signup', 'a static file'],
              ['/err', 404, 'demo', 'error_page'])
{
    my ($uri, $code, $goal, $what) = @$case;
    $r = $t->get($uri, Cookie => $cookie);
    is($r->{status}, $code, "$what: answered $code");
    my @recs = records();
    select(undef, undef, undef, 0.05);
    push @recs, records(0);
    is(scalar @recs, 1, "$what: exactly one record");
    is($recs[0]{type}, 'conversion', "$what: a conversion record");
    is($recs[0]{goal}, $goal, "$what: goal $goal");
    is_deeply($recs[0]{assignments}, [{ exp => 'hero', var => $var }],
              "$what: the visitor's assignment");
}

# --- goals from a variable, declared; values ----------------------------------

my $before = status();

$r = $t->get('/icp/convert?goal=pricing&value=1250.50', Cookie => $cookie);
is($r->{status}, 204, 'beacon: 204');
is($r->{headers}{'cache-control'}, 'no-store', 'beacon: not cached');
my ($rec) = records();
is($rec->{goal}, 'pricing', 'a declared goal from $arg_goal is recorded');
is($rec->{value}, 1250.5, 'a valid value is recorded');

$t->get('/icp/convert?goal=hacked', Cookie => $cookie);
$t->get('/icp/convert?goal=', Cookie => $cookie);
select(undef, undef, undef, 0.2);
is(scalar(records(0)), 0, 'an undeclared or empty goal writes no record');

for my $bad ('-5', '1.234', '1e5', 'abc', '1234567890123') {
    $t->get("/icp/convert?goal=demo&value=$bad", Cookie => $cookie);
    ($rec) = records();
    ok($rec && $rec->{goal} eq 'demo' && !exists $rec->{value},
       "value '$bad' dropped, the conversion still counts");
}

my $after = status();
is($after->{convert_rejected} - $before->{convert_rejected}, 2,
   'status: convert_rejected counts both');
is($after->{value_rejected} - $before->{value_rejected}, 5,
   'status: value_rejected counts the five');

# --- crawlers without any icp_bots line ---------------------------------------

my $bot = 'Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)';
$r = $t->get('/?utm_source=linkedin', 'User-Agent' => $bot);
is($r->{content}, "page a\n", 'a crawler gets the first variant');
my @bot_cookies = set_cookies($r);
is(scalar @bot_cookies, 0, 'a crawler gets no cookie');
($rec) = records();
ok($rec->{bot}, 'a crawler is logged with "bot":true');
is($rec->{exp}, '', 'a crawler joins no experiment');

my $log = $t->tmp . '/logs/icp.log';
my $report = decode_json(scalar `$bin/icp-report --format json $log`);
is($report->{lines}{exposures}, 1,
   'icp-report counts the visitor\'s exposure, not the crawler\'s');

# --- phases -----------------------------------------------------------------------

$t->reload($server);
$t->get('/?utm_source=google');
($rec) = records();
is($rec->{phase}, $phase, 'an identical reload keeps the phase');

$t->write_file('rules/site.rules', rules(80, 20));
$t->reload($server);
$t->get('/?utm_source=google');
($rec) = records();
like($rec->{phase}, qr/^[0-9a-f]{8}\z/, 'new weights: a phase');
isnt($rec->{phase}, $phase, 'new weights: a new phase');
is_deeply($rec->{weights}, { a => 80, b => 20 }, 'the new weights');

# --- live experiment health -------------------------------------------------------

$t->write_file('rules/site.rules', rules(50, 50));
$t->reload($server);
my $hero = status()->{experiments}{hero};
is($hero->{phase}, $phase, 'status: back to the first phase');
is($hero->{variants}{a}{weight}, 50, 'status: the weight of a');
my $base = $hero->{assigned};

# visitor ids (cookie-borne, so the test may choose them) that the hash
# puts in a: a split of 1,100 to 0 the check must see
my @ids;
my $rules = $t->tmp . '/rules/site.rules';
for (my $i = 0; @ids < 1100 && $i < 4000; $i++) {
    my $id = sprintf 'skew%017dA', $i;
    my $out = `$bin/icp-rules eval $rules --visitor $id utm_source=linkedin`;
    push @ids, $id if $out =~ /^variant:\s+a$/m;
}
is(scalar @ids, 1100, '1,100 visitor ids the hash puts in a');
$t->get('/?utm_source=linkedin', Cookie => "icp_vid=$_") for @ids;
select(undef, undef, undef, 0.2);
$hero = status()->{experiments}{hero};
is($hero->{assigned} - $base, 1100,
   'status: every new assignment counted, summed over the workers');
cmp_ok($hero->{srm_p}, '<', 0.001, "status: SRM p < 0.001 ($hero->{srm_p})");
my $prom = $t->get('/status?format=prometheus')->{content};
like($prom, qr/^icp_experiment_assigned_total\{experiment="hero",variant="a",phase="$phase"\} \d+$/m,
     'prometheus: assigned by experiment, variant and phase');
like($prom, qr/^icp_experiment_srm_p\{experiment="hero",phase="$phase"\} 0\.000/m,
     'prometheus: the SRM p-value');
my @warn = $t->error_log =~ /\[warn\][^\n]*sample ratio mismatch/g;
is(scalar @warn, 1, 'one [warn] for the mismatch, not one per check');

# --- a visit: the context cookie changes once per visit ---------------------------

# a returning visitor (the first request's cookies), same visit, no UTM
$r = $t->get('/', Cookie => $cookie);
is(scalar(grep { /_ctx=/ } set_cookies($r)), 0,
   'a page view in the same visit: the context cookie is not sent again');
$r = $t->get('/?utm_source=linkedin', Cookie => $cookie);
is(scalar(grep { /_ctx=/ } set_cookies($r)), 0,
   'the same campaign again: not sent again');
$r = $t->get('/?utm_source=google', Cookie => $cookie);
is(scalar(grep { /_ctx=/ } set_cookies($r)), 1,
   'another campaign: a new visit, the cookie is sent');
records(3);

# --- the context cookie over its limit ----------------------------------------------

my $q = join '&', map { "utm_$_=" . ('%C3%A9' x 31) . 'x' }
        qw(source medium campaign term content id);
$r = $t->get("/?$q", Cookie => $cookie);
my ($ctx) = grep { /_ctx=/ } set_cookies($r);
ok($ctx, 'six 63-byte UTM values: the context cookie is still sent');
my ($pair) = ($ctx // '') =~ /^([^;]+)/;
$r = $t->get('/', Cookie => ($pair // '') . "; icp_vid=$jar{icp_vid}");
my @last = grep { $_->{type} eq 'exposure' } records(2);
$rec = $last[-1];
like($rec->{utm}{source}, qr/^\x{e9}/,
     'the next page has the newest UTM set, shortened');

done_testing;
