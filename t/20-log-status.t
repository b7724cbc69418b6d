# The log record ($icp_json through access_log), conversions, icp-report
# on the real log, reopen during traffic, and the icp_status endpoint.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use JSON::PP;
use POSIX qw(WNOHANG);
use IcpTest;

my $t = IcpTest->new;
my $bin = IcpTest::abs_root() . '/build/bin';

$t->write_file('rules/site.rules', <<'EOF');
persona marketer {
    utm_source in (linkedin, google);
}
route * marketer {
    experiment hero;
    variant a /lp/a.html 50;
    variant b /lp/b.html 50;
}
route * * {
    variant default /lp/default.html;
}
EOF
$t->write_file("html/lp/$_.html", "page $_\n") for qw(a b default);
$t->write_file('html/thanks.html', "thanks\n");

my $server = <<'EOF';
icp_secret log-secret;
log_format ids '$request_id';
server {
    listen %%PORT%%;
    root %%ROOT%%;
    icp_rules %%RULES%%/site.rules;
    icp_preview_key pk;
    access_log %%TMP%%/logs/icp.log icp if=$icp_logged;
    access_log %%TMP%%/logs/ids.log ids if=$icp_logged;

    location = / {
        icp on;
        icp_bots on;
    }

    location = /h {
        icp on;
        icp_route off;
        add_header X-Request-ID $request_id;
        try_files $icp_variant_uri =404;
    }
    location = /c {
        icp on;
        icp_consent $cookie_consent;
    }
    location = /thank-you {
        icp_convert signup;
        try_files /thanks.html =404;
    }
    location = /status {
        icp_status;
        access_log off;
    }
    location /lp/ {
    }
}
EOF

$t->start($server, workers => 2);

sub records { $t->new_records(@_) }

sub browse {
    my ($jar, $path, %h) = @_;
    my $c = join '; ', map { "$_=$jar->{$_}" } sort keys %$jar;
    $h{Cookie} = $c if $c;
    my $r = $t->get($path, %h);
    my $sc = $r->{headers}{'set-cookie'};
    for ($sc ? (ref $sc ? @$sc : $sc) : ()) {
        $jar->{$1} = $2 if /^([^=]+)=([^;]*)/;
    }
    return $r;
}

# --- exposures -----------------------------------------------------------

my %jar;
browse(\%jar, '/?utm_source=linkedin&utm_medium=paid&utm_campaign=q4',
       'X-Forwarded-For' => '192.0.2.44');
my ($rec) = records();
is($rec->{type}, 'exposure', 'exposure record');
is($rec->{vid}, $jar{icp_vid}, 'vid is the visitor cookie');
is($rec->{ip}, '192.0.2.44', 'visitor address (realip)');
is($rec->{seg}, 'none', 'seg');
is($rec->{per}, 'marketer', 'per');
is($rec->{route}, '*/marketer', 'route');
is($rec->{exp}, 'hero', 'exp');
like($rec->{var}, qr/^[ab]$/, 'var');
is_deeply($rec->{weights}, { a => 50, b => 50 }, 'weights recorded');
ok($rec->{new}, 'first assignment: new');
is_deeply($rec->{utm}, { source => 'linkedin', medium => 'paid',
                         campaign => 'q4', term => '', content => '' },
          'utm object');
like($rec->{ts}, qr/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/, 'ts');
like($rec->{req}, qr/^[0-9a-f]{32}$/, 'req: 32 hex digits');
is($rec->{cache}, 'BYPASS', 'cache: no icp_redis here');
ok(!$rec->{bot} && !$rec->{preview}, 'not a bot, not a preview');
my $var = $rec->{var};

# values from the request are escaped (no persona: not in the experiment)
$t->get('/?utm_source=bing&utm_term=%22q%22%5Cx%5C%5C&utm_content='
        . '%E2%82%ACok%01%2F', 'X-Forwarded-For' => '192.0.2.45');
($rec) = records();
is($rec->{utm}{term}, '"q"\\x\\\\', 'a quote and backslashes come back');
is($rec->{utm}{content}, "\x{20ac}ok/", 'UTF-8 kept, a control dropped');

browse(\%jar, '/', 'X-Forwarded-For' => '192.0.2.44');
($rec) = records();
ok(!$rec->{new}, 'second exposure: not new');
is($rec->{var}, $var, 'same variant');
is($rec->{utm}{source}, 'linkedin', 'utm kept from the cookie');

# "req" is $request_id: the one a response header used before the log
# phase (/h), or one the module drew, which an access log asking after the
# record sees too (/)
{
    my $r = browse(\%jar, '/h', 'X-Forwarded-For' => '192.0.2.44');
    my @reqs = ((records())[0]{req});
    is($reqs[0], $r->{headers}{'x-request-id'},
       'req is the $request_id of the response header');
    for (1 .. 3) {
        $r = browse(\%jar, '/', 'X-Forwarded-For' => '192.0.2.44');
        ok(!$r->{headers}{'x-request-id'}, 'no header asked for the id');
        push @reqs, (records())[0]{req};
    }
    open my $fh, '<', $t->tmp . '/logs/ids.log' or die $!;
    chomp(my @ids = <$fh>);
    is_deeply([@ids[-4 .. -1]], \@reqs,
              'req is the $request_id of the access log, request by request');
    my %seen = map { $_ => 1 } @reqs;
    is(scalar keys %seen, 4, 'every request its own id');
}

# conversions
browse(\%jar, '/thank-you');
($rec) = records();
is($rec->{type}, 'conversion', 'conversion record');
is($rec->{goal}, 'signup', 'goal');
is($rec->{vid}, $jar{icp_vid}, 'visitor id');
is_deeply($rec->{assignments}, [{ exp => 'hero', var => $var }],
          'the assignments from the signed cookie');

$t->get('/thank-you');
($rec) = records();
is_deeply($rec->{assignments}, [], 'no cookie: no assignment');

# crawlers are logged, flagged, in no experiment; previews flagged too
$t->get('/?utm_source=linkedin', 'User-Agent' => 'Googlebot/2.1');
($rec) = records();
ok($rec->{bot}, 'a crawler is logged with "bot":true');
is($rec->{exp}, '', 'a crawler joins no experiment');
is($rec->{vid}, '', 'a crawler gets no visitor id');

$t->get('/?utm_source=linkedin&icp_variant=b', 'X-ICP-Preview' => 'pk');
($rec) = records();
ok($rec->{preview} && $rec->{var} eq 'b', 'preview logged as preview');

# consent
$t->get('/c?utm_source=linkedin', 'X-Forwarded-For' => '198.51.100.77');
($rec) = records();
is($rec->{vid}, '', 'no consent: no visitor id');
is($rec->{ip}, '198.51.100.0', 'no consent: address cut to /24');
$t->get('/c?utm_source=linkedin', 'X-Forwarded-For' => '2001:db8:1:2:3::9');
($rec) = records();
is($rec->{ip}, '2001:db8:1::', 'IPv6 cut to /48');
$t->get('/c?utm_source=linkedin', 'X-Forwarded-For' => '198.51.100.77',
        Cookie => 'consent=yes');
($rec) = records();
ok(length $rec->{vid} == 22 && $rec->{ip} eq '198.51.100.77',
   'with consent: id and full address');
my @also_exposed = ($rec->{var});

# escaping
$t->get('/?utm_source=bing&utm_term=%22q%22%5C%C3%A9%01%FF');
($rec) = records();
push @also_exposed, $rec->{var};
is($rec->{utm}{term}, "\"q\"\\\x{e9}?", 'quotes, backslash, UTF-8 survive; '
   . 'control dropped, bad byte replaced');

# --- 1,000 visitors, a known subset converts, icp-report on the real log ---

my %exposed = (a => 0, b => 0);
my %converted = (a => 0, b => 0);

for my $i (1 .. 1000) {
    my %j;
    my $r = browse(\%j, '/?utm_source=google');
    my ($v) = $r->{content} =~ /^page (\w+)/;
    $exposed{$v}++;
    # a second page view must not count the visitor twice
    browse(\%j, '/') if $i % 7 == 0;
    # variant b converts every 4th visitor, a every 10th
    if ($i % ($v eq 'b' ? 4 : 10) == 0) {
        browse(\%j, '/thank-you');
        $converted{$v}++;
    }
}

my $log = $t->tmp . '/logs/icp.log';
my $report = decode_json(scalar `$bin/icp-report --format json --experiment hero $log`);
my ($exp) = @{ $report->{experiments} };
my %got = map { $_->{name} => $_ } @{ $exp->{variants} };

# the visitor from the start of the test converted too; two more were
# exposed by the consent and escaping checks
$exposed{$var}++;
$converted{$var}++;
$exposed{$_}++ for @also_exposed;

for my $v (qw(a b)) {
    is($got{$v}{exposed}, $exposed{$v}, "icp-report: $v exposed $exposed{$v}");
    is($got{$v}{converted}, $converted{$v},
       "icp-report: $v converted $converted{$v}");
    ok(abs($got{$v}{rate} - $converted{$v} / $exposed{$v}) < 1e-9,
       "icp-report: $v rate");
}

my $text = `$bin/icp-report --experiment hero $log`;
like($text, qr/\b$exposed{b}\b.*\b$converted{b}\b/, 'text report shows b');

# --- reopen during traffic loses and tears nothing -------------------------

records();
my $before = $t->{log_pos};
my $n = 600;
my $pid = fork // die;
if ($pid == 0) {
    my $ok = 0;
    for (1 .. $n) {
        $ok++ if $t->get('/?utm_source=linkedin')->{status} == 200;
    }
    # _exit: the harness's END block belongs to the parent
    POSIX::_exit($ok == $n ? 0 : 1);
}

for my $k (1 .. 3) {
    select(undef, undef, undef, 0.15);
    rename $log, "$log.$k";
    kill 'USR1', $t->{nginx_pid};
}
waitpid($pid, 0);
is($?, 0, "$n requests answered during 3 reopens");
select(undef, undef, undef, 0.3);

my ($lines, $bad) = (0, 0);
for my $f ("$log.1", "$log.2", "$log.3", $log) {
    open my $fh, '<', $f or next;
    seek $fh, $before, 0 if $f eq "$log.1";
    while (my $l = <$fh>) {
        $lines++;
        $bad++ unless $l =~ /\n\z/ && eval { decode_json($l) };
    }
}
is($lines, $n, "every request has its record ($lines)");
is($bad, 0, 'no torn line');

# --- icp_status -------------------------------------------------------------

my $s = decode_json($t->get('/status')->{content});
ok($s->{classified} >= 1000 + $n, "classified summed over workers: "
   . "$s->{classified}");
is($s->{conversions}, $converted{a} + $converted{b} + 1,
   'conversions counted');
ok($s->{variants}{'hero/a'} && $s->{variants}{'hero/b'}, 'by variant');
is($s->{goals}{signup}, $s->{conversions}, 'by goal');
ok($s->{rules}[0] =~ /site\.rules$/, 'rules file path');

my $prom = $t->get('/status?format=prometheus');
like($prom->{headers}{'content-type'}, qr{^text/plain; version=0\.0\.4},
     'Prometheus content type');
my %m = parse_prometheus($prom->{content});
is($m{'icp_requests_classified_total'}, $s->{classified} + 0,
   'classified in both outputs');
ok(defined $m{'icp_variant_exposures_total{experiment="hero",variant="b"}'},
   'labelled counter');
is($m{'icp_cache_requests_total{status="BYPASS"}'}, $s->{cache}{BYPASS},
   'cache counters');

SKIP: {
    skip 'a reload under valgrind is a restart', 1 if $IcpTest::VALGRIND;
    $t->reload($server);
    my $after = decode_json($t->get('/status')->{content});
    ok($after->{classified} >= $s->{classified}, 'counters survive a reload');
}

# A strict reader of the text exposition format 0.0.4: every sample's
# metric has one TYPE line before it, names and labels are well-formed,
# values are numbers.
sub parse_prometheus {
    my ($body) = @_;
    my (%type, %help, %samples);
    my $name_re = qr/[a-zA-Z_:][a-zA-Z0-9_:]*/;
    my $label_re = qr/[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"/;
    my $line_no = 0;
    my $ok = 1;
    ok($body =~ /\n\z/, 'exposition ends with a newline');
    for my $line (split /\n/, $body) {
        $line_no++;
        if ($line =~ /^# HELP ($name_re) (.*)$/) {
            $ok = 0, diag("second HELP: $line") if $help{$1}++;
        } elsif ($line =~ /^# TYPE ($name_re) (counter|gauge|untyped)$/) {
            $ok = 0, diag("second TYPE: $line") if $type{$1}++;
        } elsif ($line =~ /^($name_re)(\{$label_re(?:,$label_re)*\})? (-?[0-9.]+(?:e[+-]?\d+)?|NaN|[+-]Inf)$/) {
            my ($name, $labels, $value) = ($1, $2 // '', $3);
            $ok = 0, diag("sample before its TYPE: $line")
                unless $type{$name};
            $ok = 0, diag("duplicate sample: $line")
                if exists $samples{"$name$labels"};
            $samples{"$name$labels"} = $value;
        } else {
            $ok = 0;
            diag("line $line_no is not exposition format: $line");
        }
    }
    ok($ok, 'Prometheus output passes a strict parse');
    return %samples;
}

$t->stop;

done_testing;
