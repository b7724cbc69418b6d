# icp-report --clickhouse against reading the files: Debian's
# clickhouse-server (18.16 on bookworm) on free loopback ports, the table
# of tools/report/clickhouse.sql, a generated log of three edges (three
# files, one gzip, visitors coming back through any edge) loaded through
# `icp-report --flatten | clickhouse-client`, then the json report of
# each filter from the files and from ClickHouse compared number by
# number.  Needs build/bin/icp-report and clickhouse-server/-client
# (make deps); no nginx, no Redis.

use strict;
use warnings;
use utf8;
use lib 't/lib';
use Test::More;
use JSON::PP;
use File::Temp qw(tempdir);
use List::Util qw(shuffle);
use Time::HiRes qw(time);
use IcpTest;
use IcpClickHouse;

my $report = IcpTest::abs_root() . '/build/bin/icp-report';
my $schema = IcpTest::abs_root() . '/tools/report/clickhouse.sql';
my $tmp = tempdir('icp-ch-log-XXXXXX', TMPDIR => 1, CLEANUP => 1);

plan skip_all => "$report not built (make tools)" unless -x $report;

srand(80);

# 2026-11-01T00:00:00Z
my $T0 = 1793491200 * 1000;
my $HOUR = 3600 * 1000;
my $DAY = 24 * $HOUR;


my $json = JSON::PP->new->utf8->canonical;

# Names with quotes, a backslash, a tab and UTF-8: what JSON, the flat
# rows and ClickHouse's TabSeparated answers each escape differently.
my @segs = ('mid_market', 'enterprise', 'smb "tier\\2"', "größe\tx");
my @pers = ('marketer', 'ops_leader', 'founder');

# hero changes its weights on day 10: a second phase
my @exps = (
    { name => 'hero', vars => [qw(control benefit)],
      phases => [[0, '0a0a0a0a', [50, 50]], [10, '0b0b0b0b', [70, 30]]],
      rates => [0.10, 0.14] },
    { name => 'pricing', vars => ['a', 'b', "c\x{e9}"],
      phases => [[0, 'cccc0001', [34, 33, 33]]], rates => [0.08, 0.08, 0.12] },
    # an older log: no phase, no weights (control by name)
    { name => 'legacy', vars => [qw(x control)], phases => [[0, undef]],
      rates => [0.05, 0.07] },
);

my @edges = map { [] } 0 .. 2;
# one edge writes instants with an offset
my @offsets = (0, 0, 120);

sub emit {
    my ($rec, $ts) = @_;
    my $edge = int(rand(3));
    $rec = { ts => IcpTest::iso($ts, $offsets[$edge]), %$rec };
    push @{ $edges[$edge] }, $json->encode($rec);
}

sub phase_at {
    my ($e, $ts) = @_;
    my $p = $e->{phases}[0];
    for (@{ $e->{phases} }) { $p = $_ if $ts >= $T0 + $_->[0] * $DAY }
    return $p;
}

my $nvisitors = 3000;
my %value;

for my $v (1 .. $nvisitors) {
    my $vid = sprintf('v%05d', $v);
    my $seg = $segs[rand @segs];
    my $per = $pers[rand @pers];
    my $visits = 1 + int(rand(4));
    my @times = sort { $a <=> $b }
                map { $T0 + int(rand(20 * $DAY)) } 1 .. $visits;
    my %assigned;

    for my $e (grep { rand() < 0.7 } @exps) {
        my $k = int(rand(@{ $e->{vars} }));

        for my $i (0 .. $#times) {
            my $ts = $times[$i] + int(rand(1000));
            my $p = phase_at($e, $ts);
            my $var = $e->{vars}[$k];
            # a lost cookie: another variant on a later visit
            $var = $e->{vars}[($k + 1) % @{ $e->{vars} }]
                if $i > 0 && rand() < 0.03;
            my %rec = (type => 'exposure', vid => $vid, exp => $e->{name},
                       var => $var,
                       # the segment of a later visit may differ: the
                       # first exposure's counts
                       seg => $i > 0 && rand() < 0.1 ? $segs[0] : $seg,
                       per => $per, bot => JSON::PP::false,
                       preview => JSON::PP::false);
            if (defined $p->[1]) {
                $rec{phase} = $p->[1];
                my @w = @{ $p->[2] };
                # weights as an object in rules order: built by hand
                my $w = '{' . join(',', map {
                    $json->encode($e->{vars}[$_]) . ':' . $w[$_] }
                    0 .. $#w) . '}';
                my $line = $json->encode({ ts => 'T', %rec });
                $line =~ s/\}$/,"weights":$w}/;
                my $edge = int(rand(3));
                my $iso = IcpTest::iso($ts, $offsets[$edge]);
                $line =~ s/"ts":"T"/"ts":"$iso"/;
                push @{ $edges[$edge] }, $line;
            } else {
                emit(\%rec, $ts);
            }
        }

        $assigned{$e->{name}} = [$e, $k];
    }

    next unless %assigned;

    # conversions: at the experiments' rates, most after the first
    # exposure, some before it, some more than 30 days after, some of
    # another variant than the one shown, some without a cookie
    my @names = sort keys %assigned;
    my ($e, $k) = @{ $assigned{ $names[rand @names] } };
    my $n = rand() < $e->{rates}[$k] * 3 ? 1 + int(rand(2)) : 0;

    for (1 .. $n) {
        my $r = rand();
        my $ts = $r < 0.08 ? $times[0] - int(rand(2 * $DAY))
               : $r < 0.16 ? $times[0] + 31 * $DAY + int(rand(5 * $DAY))
               : $times[0] + int(rand(6 * $DAY));
        my @assign = map {
            my ($ae, $ak) = @{ $assigned{$_} };
            $ak = ($ak + 1) % @{ $ae->{vars} } if rand() < 0.05;
            { exp => $_, var => $ae->{vars}[$ak] } } @names;
        @assign = () if rand() < 0.03;
        my %rec = (type => 'conversion', vid => $vid,
                   goal => rand() < 0.6 ? 'demo' : 'signup',
                   assignments => \@assign, bot => JSON::PP::false,
                   preview => JSON::PP::false);
        # cents that 18.16's text parser would read off by one ulp
        $rec{value} = 0 + sprintf('%.2f', 1 + rand(300)) if rand() < 0.5;
        $value{"$vid $ts"} = $rec{value} if defined $rec{value};
        emit(\%rec, $ts);
    }
}

# what the report counts apart
for (1 .. 150) {
    my $ts = $T0 + int(rand(20 * $DAY));
    my $e = $exps[rand @exps];
    my %base = (type => 'exposure', vid => sprintf('b%04d', $_),
                exp => $e->{name}, var => $e->{vars}[0], seg => 's',
                per => 'p');
    emit({ %base, bot => JSON::PP::true }, $ts);
    emit({ %base, preview => JSON::PP::true }, $ts);
    emit({ %base, vid => '' }, $ts);
    emit({ %base, exp => '', var => 'only' }, $ts);
    emit({ type => 'conversion', vid => '', goal => 'demo',
           assignments => [] }, $ts);
    emit({ type => 'click', vid => 'x' }, $ts);
}
push @{ $edges[$_ % 3] }, '{"ts":"2026-11-02T00:00:00Z","type":"expo',
    '{"type":"exposure","vid":"v1","exp":"hero","var":"control"}',
    'garbage' for 1 .. 20;

my @files;
for my $i (0 .. 2) {
    my $path = "$tmp/edge$i.log";
    open my $fh, '>', $path or die "$path: $!";
    print $fh "$_\n" for shuffle @{ $edges[$i] };
    close $fh or die "$path: $!";
    if ($i == 2) {
        system('gzip', $path) == 0 or die "gzip failed\n";
        $path .= '.gz';
    }
    push @files, $path;
}
my $lines = 0;
$lines += @$_ for @edges;

my $ch = IcpClickHouse->start;
$ch->client('--multiquery', { in => $schema });

my $t0 = time;
$ch->client('--query', 'INSERT INTO icp.log FORMAT JSONEachRow',
            { cmd => join(' ', $report, '--flatten', @files) });
my $ingest = time - $t0;
my $rows = $ch->query('SELECT count() FROM icp.log') + 0;
is($rows, $lines, "every line is a row ($lines)");
diag(sprintf('%d lines flattened and inserted in %.2f s: %d records/s',
             $lines, $ingest, $lines / $ingest));

# the bits survive: the value column reads them back as the doubles
my @got = split /\n/, $ch->query('SELECT vid, ts, value FROM icp.log'
                                 . ' WHERE has_value = 1');
my $exact = grep {
    my ($vid, $ts, $v) = split /\t/;
    defined $value{"$vid $ts"} && $value{"$vid $ts"} == $v } @got;
is($exact, scalar keys %value, "every value read back exactly ($exact)");

# exit status, stdout and stderr of icp-report
sub run_report {
    my (@args) = @_;
    open my $err, '>&', \*STDERR or die "dup: $!";
    open STDERR, '>', "$tmp/stderr" or die "$tmp/stderr: $!";
    my $ok = open my $fh, '-|', $report, @args;
    open STDERR, '>&', $err;
    die "$report: $!" unless $ok;
    local $/;
    my $out = <$fh>;
    close $fh;
    my $rc = $? >> 8;
    open $fh, '<', "$tmp/stderr" or die "$tmp/stderr: $!";
    return ($rc, $out, scalar <$fh>);
}

# Compares the two reports' trees: every number equal, but for the
# value per visitor, whose running mean (Welford's) depends on the
# order the visitors are added in: the hash table's order from the
# files, the histogram's from ClickHouse.  Those agree to 1e-9 relative
# (an interval's end near 0 loses digits to cancellation; the means
# themselves agree to 1e-14).
my ($checked, $close, $worst);

sub same {
    my ($a, $b, $path, $bad) = @_;
    if (ref $a eq 'HASH' && ref $b eq 'HASH') {
        my %k = map { $_ => 1 } keys %$a, keys %$b;
        same($a->{$_}, $b->{$_}, "$path/$_", $bad) for sort keys %k;
    } elsif (ref $a eq 'ARRAY' && ref $b eq 'ARRAY') {
        if (@$a != @$b) {
            push @$bad, "$path: " . @$a . ' against ' . @$b . ' elements';
            return;
        }
        same($a->[$_], $b->[$_], "$path/$_", $bad) for 0 .. $#$a;
    } elsif (JSON::PP::is_bool($a) && JSON::PP::is_bool($b)) {
        $checked++;
        push @$bad, "$path: $a against $b" if $a != $b;
    } elsif (!defined $a || !defined $b || ref $a || ref $b) {
        push @$bad, "$path: " . ($a // 'null') . ' against '
                    . ($b // 'null')
            if defined $a != defined $b || ref $a || ref $b;
    } elsif ($path =~ m{/value/} && $a =~ /^-?[0-9.e+-]+$/
             && $b =~ /^-?[0-9.e+-]+$/ && $a != $b) {
        my $rel = abs($a - $b) / (abs($a) > abs($b) ? abs($a) : abs($b));
        $worst = $rel if !defined $worst || $rel > $worst;
        $close++;
        push @$bad, "$path: $a against $b" if $rel > 1e-9;
    } else {
        $checked++;
        push @$bad, "$path: $a against $b" if $a ne $b;
    }
}

my @cases = (
    [],
    ['--goal', 'demo'],
    ['--experiment', 'pricing'],
    ['--experiment', 'nosuch'],
    ['--since', '2026-11-08T12:00+02:00'],
    ['--window', '12h'],
    ['--all-phases'],
    ['--goal', 'signup', '--experiment', 'hero', '--window', '3d',
     '--since', '2026-11-03'],
);

my $url = $ch->url('icp');
my $tq = 0;

for my $case (@cases) {
    my $name = @$case ? "@$case" : 'no filter';
    my ($rc_f, $files) = run_report('--format', 'json', @$case, @files);
    my $t = time;
    my ($rc_c, $click) = run_report('--format', 'json', @$case,
                                    '--clickhouse', $url);
    $tq += time - $t;
    is($rc_f, 0, "$name: files read");
    is($rc_c, 0, "$name: ClickHouse read");
    my ($f, $c) = (decode_json($files), decode_json($click));
    my @bad;
    $checked = 0;
    same($f, $c, '', \@bad);
    ok(!@bad, "$name: the same $checked figures")
        or diag(join "\n", @bad[0 .. ($#bad < 9 ? $#bad : 9)]);
    if ($name eq 'no filter') {
        cmp_ok(@{ $f->{experiments} }, '==', 4,
               'four runs: hero in two phases');
        ok($f->{experiments}[0]{multi_variant_visitors} > 0
           && $f->{experiments}[0]{conversions_before_exposure} > 0
           && $f->{experiments}[0]{conversions_after_window} > 0,
           'multi-variant visitors, conversions before and after counted');
        ok($f->{lines}{malformed} > 0 && $f->{lines}{other_types} > 0
           && $f->{lines}{bots} > 0,
           'malformed lines, other types, bots counted');
    }
}

diag(sprintf('%d reports from ClickHouse in %.2f s; value figures: %d '
             . 'differ in the last bits, at most %.1e relative',
             scalar @cases, $tq, $close // 0, $worst // 0));

# the text and html reports are the same writers' output
for my $format (qw(text html)) {
    my (undef, $files) = run_report('--format', $format, @files);
    my (undef, $click) = run_report('--format', $format, '--clickhouse',
                                    $url);
    ok($files eq $click, "$format report the same");
}

# failures: a server not there, an unknown table, a usage error
my $port = IcpTest::free_port();
my ($rc, $out, $err) = run_report('--clickhouse', "http://127.0.0.1:$port/");
is($rc, 1, 'no server: exit 1');
like($err, qr/Connection refused/, 'no server: said so');
($rc, $out, $err) = run_report('--clickhouse', $ch->url('default'));
is($rc, 1, 'no table: exit 1');
like($err, qr/HTTP 404: .*default\.log doesn't exist/,
     "no table: the server's message");
is($out, '', 'no table: no report');
($rc, $out, $err) = run_report('--clickhouse', $url, $files[0]);
is($rc, 2, 'files and --clickhouse: a usage error');
($rc, $out, $err) = run_report('--clickhouse', 'https://127.0.0.1/');
like($err, qr/not an http:/, 'https: refused, not misread');

$ch->stop;

done_testing;
