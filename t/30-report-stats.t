# icp-report's statistics cross-checked against SciPy and statsmodels on
# generated logs of known truth (the fixed-horizon figures; the
# sequential p-values and intervals on looks by day rebuilt from the
# generated instants; Holm; the chance of being best; power, through
# tests/stats_ref.py's references), and the counting rules that decide what
# those statistics are computed from: the control, timestamps with UTC
# offsets, the conversion window, phases.  Needs build/bin/icp-report
# only (no nginx, no Redis) and Debian's /usr/bin/python3 with
# python3-scipy and python3-statsmodels (make deps) for the cross-check.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use JSON::PP;
use File::Temp qw(tempdir);
use List::Util qw(shuffle max);
use IcpTest;

my $report = IcpTest::abs_root() . '/build/bin/icp-report';
my $python = '/usr/bin/python3';
my $tmp = tempdir('icp-report-XXXXXX', TMPDIR => 1, CLEANUP => 1);

plan skip_all => "$report not built (make tools)" unless -x $report;

# 2026-11-23T08:00:00Z
my $T0 = 1795420800 * 1000;
my $HOUR = 3600 * 1000;
my $DAY = 24 * $HOUR;


sub exposure {
    my (%a) = @_;
    my $w = $a{weights}
        ? ',"weights":{' . join(',', map { "\"$_->[0]\":$_->[1]" }
                                     @{ $a{weights} }) . '}'
        : '';
    my $phase = defined $a{phase} ? ",\"phase\":\"$a{phase}\"" : '';
    return sprintf('{"ts":"%s","type":"exposure","vid":"%s","seg":"%s",'
                   . '"per":"%s","exp":"%s","var":"%s"%s%s,"bot":false,'
                   . '"preview":false}',
                   IcpTest::iso($a{ts}, $a{off} // 0), $a{vid}, $a{seg} // 's',
                   $a{per} // 'p', $a{exp}, $a{var}, $phase, $w);
}

sub conversion {
    my (%a) = @_;
    my $value = defined $a{value} ? ",\"value\":$a{value}" : '';
    return sprintf('{"ts":"%s","type":"conversion","vid":"%s",'
                   . '"goal":"g"%s,"assignments":[{"exp":"%s","var":"%s"}],'
                   . '"bot":false,"preview":false}',
                   IcpTest::iso($a{ts}, $a{off} // 0), $a{vid}, $value, $a{exp},
                   $a{var});
}

sub run_report {
    my ($lines, @opt) = @_;
    my $log = "$tmp/hand.log";
    open(my $fh, '>', $log) or die "$log: $!";
    print $fh "$_\n" for @$lines;
    close $fh;
    my $out = `$report --format json @opt $log`;
    is($?, 0, "icp-report @opt: exit 0") or return undef;
    return decode_json($out);
}

sub experiments_named {
    my ($res, $name) = @_;
    return grep { $_->{name} eq $name } @{ $res->{experiments} };
}

sub by_name {
    my ($list) = @_;
    return { map { $_->{name} => $_ } @$list };
}


# --- the control is the first variant of the weights, never line order ---

{
    my @w = ([b => 50], [a => 50]);
    my @lines = (
        exposure(ts => $T0, vid => 'v1', exp => 'e', var => 'a',
                 weights => \@w),
        exposure(ts => $T0 + 1, vid => 'v2', exp => 'e', var => 'b',
                 weights => \@w),
    );
    for my $order ([0, 1], [1, 0]) {
        my $res = run_report([@lines[@$order]]);
        my ($e) = experiments_named($res, 'e');
        is($e->{variants}[0]{name}, 'b',
           "weights b, a: b is the control whatever the line order (@$order)");
        ok($e->{variants}[0]{control}, 'and is marked so');
    }

    # no weights at all: "control" first, then by name, in any order
    my @bare = map {
        exposure(ts => $T0 + $_, vid => "u$_", exp => 'f',
                 var => (qw(zeta control alpha))[$_ % 3])
    } 0 .. 5;
    for my $seed (1 .. 3) {
        srand($seed);
        my $res = run_report([shuffle @bare]);
        my ($e) = experiments_named($res, 'f');
        is(join(',', map { $_->{name} } @{ $e->{variants} }),
           'control,alpha,zeta', "no weights: control, alpha, zeta ($seed)");
    }
}


# --- timestamps with offsets are instants ---

{
    # 10:00+02:00 is 08:00Z: earlier than 09:00Z though later as text
    my @lines = (
        exposure(ts => $T0 + $HOUR, vid => 'v1', exp => 'e', var => 'a',
                 seg => 'late'),
        exposure(ts => $T0, off => 120, vid => 'v1', exp => 'e', var => 'a',
                 seg => 'early'),
        # converts at 08:30Z, written 03:30-05:00: after the first exposure
        conversion(ts => $T0 + $HOUR / 2, off => -300, vid => 'v1',
                   exp => 'e', var => 'a'),
    );
    like($lines[1], qr/T10:00:00\.000\+02:00/, 'the record has an offset');
    my $res = run_report(\@lines);
    my ($e) = experiments_named($res, 'e');
    is($e->{first_exposure}, '2026-11-23T08:00:00.000Z',
       'first exposure: 10:00+02:00 is 08:00Z');
    is(join(',', map { $_->{name} } @{ $e->{segments} }), 'early',
       'the segment is that of the exposure first in time');
    is($e->{variants}[0]{converted}, 1,
       'a conversion at 03:30-05:00 follows an exposure at 10:00+02:00');
    is($e->{conversions_before_exposure}, 0, 'none before the exposure');

    # --since compares instants too: 09:30+02:00 is 07:30Z, before all
    $res = run_report(\@lines, '--since', '2026-11-23T09:30:00+02:00');
    is($res->{lines}{before_since}, 0, '--since with an offset: nothing dropped');
    $res = run_report(\@lines, '--since', '2026-11-23T08:15Z');
    is($res->{lines}{before_since}, 1, '--since 08:15Z drops the 08:00Z record');

    my $bad = `$report --since yesterday $tmp/hand.log 2>&1`;
    is($? >> 8, 2, '--since that is no timestamp: exit 2');
    like($bad, qr/--since yesterday/, 'and says which');
}


# --- a conversion counts after the first exposure and within --window ---

{
    my @lines;
    my %when = (                  # conversion time after the exposure
        in_1h => $HOUR, in_29d => 29 * $DAY, at_30d => 30 * $DAY,
        out_31d => 31 * $DAY, before => -$HOUR,
    );
    for my $vid (sort keys %when) {
        push @lines, exposure(ts => $T0, vid => $vid, exp => 'e', var => 'a'),
            conversion(ts => $T0 + $when{$vid}, vid => $vid, exp => 'e',
                       var => 'a', value => 10);
    }
    my $res = run_report([reverse @lines]);
    my ($e) = experiments_named($res, 'e');
    is($e->{variants}[0]{exposed}, 5, 'window: 5 visitors');
    is($e->{variants}[0]{converted}, 3, 'default 30d: 1h, 29d, 30d count');
    is($e->{conversions_before_exposure}, 1, 'one before the exposure');
    is($e->{conversions_after_window}, 1, 'one after 30 days');
    is($e->{variants}[0]{value}{mean}, 30 / 5, 'values only of those counted');

    $res = run_report(\@lines, '--window', '12h');
    ($e) = experiments_named($res, 'e');
    is($e->{variants}[0]{converted}, 1, '--window 12h: only 1h counts');
    is($e->{conversions_after_window}, 3, 'three after 12 hours');
    is($res->{filter}{window_seconds}, 12 * 3600, 'json: the window');

    my $text = `$report --window 12h $tmp/hand.log`;
    like($text, qr/Conversions not counted: 1 before the visitor's first exposure, 3 more than 12h after it/,
         'text: conversions outside the window');
    my $html = `$report --format html --window 12h $tmp/hand.log`;
    like($html, qr/conversions not counted: 1 before the visitor's first exposure, 3 after the window/,
         'html: conversions outside the window');

    for my $w (qw(30 0d 12x -1h)) {
        `$report --window $w $tmp/hand.log 2>/dev/null`;
        is($? >> 8, 2, "--window $w: exit 2");
    }
}


# --- phases: each on its own, the latest first; --all-phases pools ---

{
    my @lines;
    my @w1 = ([control => 50], [b => 50]);
    my @w2 = ([control => 80], [b => 20]);
    # phase 1: 60/40 visitors for 50/50 (X^2 = 4, p = 0.0455);
    # phase 2, a day later: 80/20 for 80/20 (X^2 = 0)
    for my $i (0 .. 99) {
        push @lines, exposure(ts => $T0 + $i, vid => "p1v$i", exp => 'e',
                              var => $i < 60 ? 'control' : 'b',
                              phase => '0000aaaa', weights => \@w1);
        push @lines, exposure(ts => $T0 + $DAY + $i, vid => "p2v$i",
                              exp => 'e', var => $i < 80 ? 'control' : 'b',
                              phase => '0000bbbb', weights => \@w2);
    }
    # a visitor of both phases converts once, in phase 2's time
    push @lines, exposure(ts => $T0 + 500, vid => 'both', exp => 'e',
                          var => 'b', phase => '0000aaaa', weights => \@w1),
        exposure(ts => $T0 + $DAY + 500, vid => 'both', exp => 'e',
                 var => 'b', phase => '0000bbbb', weights => \@w2),
        conversion(ts => $T0 + $DAY + 600, vid => 'both', exp => 'e',
                   var => 'b');

    my $res = run_report([shuffle @lines]);
    my @e = experiments_named($res, 'e');
    is(scalar @e, 2, 'two phases, two results');
    is($e[0]{phase}, '0000bbbb', 'the latest phase first');
    is($e[1]{phase}, '0000aaaa', 'then the earlier one');
    is($e[0]{variants}[0]{weight}, 80, 'each with its own weights');
    is($e[0]{variants}[0]{exposed}, 80, 'and its own visitors');
    is($e[1]{variants}[0]{exposed}, 60, '(phase 1: 60 in control)');
    ok(abs($e[0]{srm}{chi2} - (80 - 80.8) ** 2 / 80.8
           - (21 - 20.2) ** 2 / 20.2) < 1e-9,
       'SRM of phase 2 against 80/20: (80 - 80.8)^2/80.8 + (21 - 20.2)^2/20.2');
    ok(abs($e[1]{srm}{chi2} - (60 - 50.5) ** 2 / 50.5 * 2) < 1e-9,
       'SRM of phase 1 against 50/50: 60 and 41 visitors');
    is($e[0]{variants}[1]{converted}, 1, 'the conversion counts in phase 2');
    is($e[1]{variants}[1]{converted}, 1,
       'and in phase 1, where the visitor came a day before');
    is($e[0]{phases_pooled}, 1, 'not pooled');

    $res = run_report(\@lines, '--all-phases');
    @e = experiments_named($res, 'e');
    is(scalar @e, 1, '--all-phases: one result');
    is($e[0]{phases_pooled}, 2, 'of two phases');
    like($e[0]{warning}, qr/phases pooled/, 'with a warning');
    ok(!$e[0]{srm}{checked}, 'and no sample-ratio check across splits');
    is($e[0]{variants}[0]{exposed} + $e[0]{variants}[1]{exposed}, 201,
       'every visitor once');
    my $text = `$report --all-phases $tmp/hand.log`;
    like($text, qr/WARNING: 2 phases pooled/, 'text: the warning');
    $text = `$report $tmp/hand.log`;
    like($text, qr/phase 0000bbbb \(latest of 2 phases\)/, 'text: the phase');
}


# --- odd inputs (issue 20): overlong lines, weights that are no share ---

{
    my @w = ([a => 50], [b => 50]);
    my $ok = exposure(ts => $T0, vid => 'v1', exp => 'e', var => 'a',
                      weights => \@w);
    # a record padded to exactly 1 MiB is read; one byte more is not
    my $pad = sub {
        my ($rec, $len) = @_;
        my $head = '{"pad":"';
        return $head . ('x' x ($len - length($head) - 1 - length($rec)))
            . '",' . substr($rec, 1);
    };
    my $mib = 1024 * 1024;
    my $at_limit = $pad->(exposure(ts => $T0, vid => 'v2', exp => 'e',
                                   var => 'b', weights => \@w), $mib);
    my $over = $pad->(exposure(ts => $T0, vid => 'v3', exp => 'e',
                               var => 'b', weights => \@w), $mib + 1);
    is(length($at_limit), $mib, 'a line of 1 MiB');
    is(length($over), $mib + 1, 'a line of 1 MiB and a byte');
    my @bad = map {
        (my $l = exposure(ts => $T0, vid => "w$_", exp => 'e', var => 'b',
                          weights => [[a => 50], [b => 'W']])) =~ s/W/$_/;
        $l
    } qw(1e400 -1 0 -0 1e-400 NaN);
    my $res = run_report([$ok, $over, $at_limit, 'x' x (3 * $mib), @bad,
                          $ok]);
    my $n = $res->{lines};
    is($n->{read}, 11, 'odd inputs: 11 lines read');
    is($n->{overlong}, 2, 'two over 1 MiB, counted apart');
    is($n->{malformed}, 6, 'six with a weight 1e400, -1, 0, -0, 1e-400, NaN');
    is($n->{exposures}, 3, 'the 1 MiB line and the others are read');
    my ($e) = experiments_named($res, 'e');
    is($e->{visitors}, 2, 'no visitor of a bad record counts');
    ok($e->{srm}{checked} && $e->{srm}{p_value} > 0.1,
       'the sample ratio is checked against the weights 50/50');
    my $text = `$report $tmp/hand.log`;
    like($text, qr/lines over 1 MiB, skipped\s+2\n/, 'text: overlong lines');
    like($text, qr/malformed lines, skipped\s+6\n/, 'text: malformed apart');
    my $html = `$report --format html $tmp/hand.log`;
    like($html, qr{<td>lines over 1 MiB, skipped</td><td>2</td>},
         'html: overlong lines');
}


# --- the cross-check: generated logs of known truth against SciPy ---

SKIP: {
    skip 'no /usr/bin/python3 with scipy and statsmodels (make deps)', 1
        if system("$python -c 'import scipy, statsmodels' 2>/dev/null") != 0;

    srand(30);

    # [converted, exposed] per variant, the control first; the first four
    # are the cases of issue 18, the chance to beat control far from 1/2
    my @cases = (
        [[150, 300], [225, 900]],
        [[225, 900], [150, 300]],
        [[2, 24], [158, 80271]],
        [[158, 80271], [2, 24]],
        [[0, 1], [1, 1]], [[1, 1], [0, 2]], [[0, 20], [3, 20]],
        [[20, 20], [19, 20]], [[1, 29], [0, 31]], [[81, 263], [15, 148]],
        [[100, 1000], [130, 1000]], [[189, 11034], [104, 11037]],
        [[40, 2000], [52, 2100], [61, 1900]],
        [[5, 40], [9, 45], [2, 38], [12, 41]],
        [[300, 5000], [350, 5200]],
        [[3000, 30000], [3100, 30000]],
    );
    for (1 .. 14) {
        my @arms;
        my $k = rand() < 0.3 ? 3 : 2;
        for (1 .. $k) {
            my $n = 1 + int(rand() ** 3 * 4000);
            push @arms, [int(rand() * rand() * $n), $n];
        }
        push @cases, \@arms;
    }

    my (@lines, @truth);
    for my $c (0 .. $#cases) {
        my $exp = sprintf('x%02d', $c);
        my @vars = map { "v$_" } 0 .. $#{ $cases[$c] };
        my @weights = map { [$vars[$_], $_ == 0 ? 40 : 30] } 0 .. $#vars;
        my %t = (name => $exp, weights => [map { $_->[1] } @weights],
                 variants => [], before => 0, after => 0, segs => {});
        for my $i (0 .. $#vars) {
            my ($x, $n) = @{ $cases[$c][$i] };
            # per visitor: the first exposure and first counted
            # conversion (undef: none), as instants, for the looks by day
            my (@values, @first, @conv);
            for my $j (0 .. $n - 1) {
                my $vid = "$exp-$i-$j";
                my $seg = "s" . ($j % 3);
                my $ts = $T0 + int(rand(5 * $DAY));
                my $off = (0, 60, -300, 330)[$j % 4];
                push @lines, exposure(ts => $ts, off => $off, vid => $vid,
                                      exp => $exp, var => $vars[$i],
                                      seg => $seg, weights => \@weights);
                push @lines, exposure(ts => $ts + $HOUR, vid => $vid,
                                      exp => $exp, var => $vars[$i],
                                      seg => 'later', weights => \@weights)
                    if $j % 3 == 0;
                my $sum = 0;
                my $conv;
                my $cell = $t{segs}{$seg}[$i] //= [0, 0];
                $cell->[1]++;
                if ($j < $x) {
                    $cell->[0]++;
                    # one or two conversions, most with a value
                    for my $k (0 .. ($j % 5 == 0 ? 1 : 0)) {
                        my $value = $j % 4 ? sprintf('%.2f', 10 + rand(990))
                                           : undef;
                        $sum += $value if defined $value;
                        my $when = $ts + int(rand(20 * $DAY));
                        $conv = $when if !defined $conv || $when < $conv;
                        push @lines, conversion(
                            ts => $when, vid => $vid,
                            off => (0, -120)[$k], exp => $exp,
                            var => $vars[$i], value => $value);
                    }
                } elsif ($j % 7 == 3) {
                    $t{before}++;
                    push @lines, conversion(ts => $ts - $HOUR, vid => $vid,
                                            exp => $exp, var => $vars[$i],
                                            value => 5000);
                } elsif ($j % 11 == 5) {
                    $t{after}++;
                    push @lines, conversion(ts => $ts + 31 * $DAY,
                                            vid => $vid, exp => $exp,
                                            var => $vars[$i], value => 5000);
                }
                push @values, $sum;
                push @first, $ts;
                push @conv, $conv;
            }
            push @{ $t{variants} }, { name => $vars[$i], converted => $x,
                                      exposed => $n, values => \@values,
                                      first => \@first, conv => \@conv };
        }
        push @truth, \%t;
    }

    # read in any order, from two files
    @lines = shuffle @lines;
    my $half = int(@lines / 2);
    for my $f (0, 1) {
        open(my $fh, '>', "$tmp/gen$f.log") or die $!;
        print $fh "$_\n" for $f ? @lines[$half .. $#lines]
                                : @lines[0 .. $half - 1];
        close $fh;
    }
    note(scalar(@lines) . ' lines generated');

    # the fixed-horizon figures, and the default sequential ones
    my $res = decode_json(scalar `$report --format json --fixed-horizon $tmp/gen1.log $tmp/gen0.log`);
    is($?, 0, 'cross-check log, --fixed-horizon: exit 0');
    is($res->{method}{test}, 'z-test', 'the method is named: z-test');
    my $seq = decode_json(scalar `$report --format json $tmp/gen1.log $tmp/gen0.log`);
    is($?, 0, 'cross-check log, sequential: exit 0');
    is_deeply([@{ $seq->{method} }{qw(test sequential tau2 alpha)}],
              ['mSPRT', JSON::PP::true, 1e-4, 0.05],
              'by default the method is mSPRT, tau2 1e-4, alpha 0.05');
    my $got = by_name($res->{experiments});

    # the known truth: counts, conversions left out
    my $counts_ok = 1;
    for my $t (@truth) {
        my $e = $got->{ $t->{name} };
        for my $i (0 .. $#{ $t->{variants} }) {
            my ($tv, $gv) = ($t->{variants}[$i], $e->{variants}[$i]);
            $counts_ok &&= $gv->{name} eq $tv->{name}
                && $gv->{exposed} == $tv->{exposed}
                && $gv->{converted} == $tv->{converted};
        }
        $counts_ok &&= $e->{conversions_before_exposure} == $t->{before}
            && $e->{conversions_after_window} == $t->{after};
        for my $row (@{ $e->{segments} }) {
            for my $i (0 .. $#{ $row->{variants} }) {
                my $cell = $t->{segs}{ $row->{name} }[$i] // [0, 0];
                $counts_ok &&= $row->{variants}[$i]{converted} == $cell->[0]
                    && $row->{variants}[$i]{exposed} == $cell->[1];
            }
        }
        # the trend ends at the totals
        for my $v (@{ $e->{trend}{variants} }) {
            my ($tv) = grep { $_->{name} eq $v->{name} } @{ $t->{variants} };
            $counts_ok &&= $v->{exposed}[-1] == $tv->{exposed}
                && $v->{converted}[-1] == $tv->{converted}
                && @{ $v->{exposed} } == @{ $e->{trend}{days} };
        }
    }
    ok($counts_ok, 'every count as generated: visitors, converted, '
       . 'breakdowns, conversions outside the window, trend totals');

    # the issue's cases, by name
    for my $c (0 .. 3) {
        my $beat = $got->{ sprintf('x%02d', $c) }{variants}[1]
                   {chance_to_beat_control};
        ok($beat >= 0 && $beat <= 1,
           sprintf('case %d: chance to beat control %.17g in [0, 1]', $c,
                   $beat));
    }

    my $cases = "$tmp/cases.json";
    open(my $fh, '>', $cases) or die $!;
    print $fh encode_json({ truth => \@truth, report => $res,
                            sequential => $seq });
    close $fh;

    my $check = "$tmp/check.py";
    open($fh, '>', $check) or die $!;
    print $fh <<'PYTHON';
import json, sys
import numpy as np
from scipy import integrate, optimize, stats
from statsmodels.stats.proportion import (confint_proportions_2indep,
                                          proportion_confint,
                                          proportions_ztest)
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

data = json.load(open(sys.argv[1]))
got = {e['name']: e for e in data['report']['experiments']}
table = {}


def rel(a, b):
    """Relative difference; absolute for a reference within 1e-12 of 0."""
    if a is None or b is None or not np.isfinite(b):
        return 0.0 if a is None and (b is None or not np.isfinite(b)) \
            else float('inf')
    return abs(a - b) / abs(b) if abs(b) > 1e-12 else abs(a - b)


def add(name, a, b, where):
    d = rel(a, b)
    t = table.setdefault(name, [0, 0.0, ''])
    t[0] += 1
    if d > t[1]:
        t[1], t[2] = d, where


def t975(df):
    """The 0.975 quantile of Student's t, by Brent's method on stats.t.sf:
    SciPy 1.10's t.ppf (Cephes) is off by up to 1.2e-9 relative (df 50,
    against mpmath), more than the tolerance, while t.sf is exact."""
    return optimize.brentq(lambda q: stats.t.sf(q, df) - 0.025, 1, 20,
                           xtol=1e-15, rtol=1e-15)


def beat(xc, nc, xv, nv):
    """P(pv > pc), Beta(1 + x, 1 + n - x) posteriors, by quadrature of
    the smaller tail: int f_low(t) F_high(t) dt."""
    c = stats.beta(1 + xc, 1 + nc - xc)
    v = stats.beta(1 + xv, 1 + nv - xv)
    lo, hi, flip = (v, c, False) if v.mean() <= c.mean() else (c, v, True)
    p = integrate.quad(lambda t: lo.pdf(t) * hi.cdf(t), 0, 1,
                       points=sorted({c.mean(), v.mean()}), epsabs=0,
                       epsrel=1e-12, limit=1000)[0]
    return 1 - p if flip else p


for t in data['truth']:
    e = got[t['name']]
    vs, tv = e['variants'], t['variants']
    c = tv[0]
    where = t['name']

    for v, g in zip(tv, vs):
        lo, hi = proportion_confint(v['converted'], v['exposed'],
                                    alpha=0.05, method='wilson')
        add('Wilson interval', g['rate_lo'], lo, where)
        add('Wilson interval', g['rate_hi'], hi, where)

    w = np.array(t['weights'], dtype=float)
    obs = np.array([v['exposed'] for v in tv], dtype=float)
    chi2, p = stats.chisquare(obs, obs.sum() * w / w.sum())
    add('SRM chi-square', e['srm']['chi2'], chi2, where)
    add('SRM p-value', e['srm']['p_value'], p, where)

    for i in range(1, len(tv)):
        v, g = tv[i], vs[i]
        wv = f"{where}/{v['name']}"
        xc, nc, xv, nv = (c['converted'], c['exposed'], v['converted'],
                          v['exposed'])
        if 0 < xc + xv < nc + nv:
            z, p = proportions_ztest([xv, xc], [nv, nc])
            add('two-proportion z p-value', g['p_value'], p, wv)
        if xc > 0 and xv > 0:
            lo, hi = confint_proportions_2indep(xv, nv, xc, nc,
                                                method='log',
                                                compare='ratio')
            add('lift interval (Katz log)', g['lift_lo'] + 1, lo, wv)
            add('lift interval (Katz log)', g['lift_hi'] + 1, hi, wv)
        add('chance to beat control (quad)' if where > 'x03'
            else 'chance to beat, issue 18 cases',
            g['chance_to_beat_control'], beat(xc, nc, xv, nv), wv)

        a = np.array(v['values'])
        b = np.array(c['values'])
        if g['value'] is not None and len(a) > 1 and len(b) > 1 \
                and (a.var() > 0 or b.var() > 0):
            r = stats.ttest_ind(a, b, equal_var=False)
            add('Welch t', g['value']['t'], r.statistic, wv)
            add('Welch p-value', g['value']['p_value'], r.pvalue, wv)
            cm = CompareMeans(DescrStatsW(a), DescrStatsW(b))
            diff = a.mean() - b.mean()
            half = t975(cm.dof_satt()) * cm.std_meandiff_separatevar
            add('Welch difference interval', g['value']['diff_lo'],
                diff - half, wv)
            add('Welch difference interval', g['value']['diff_hi'],
                diff + half, wv)
            # the same interval as statsmodels', but for t.ppf's error
            lo, hi = cm.tconfint_diff(alpha=0.05, usevar='unequal')
            add('(statsmodels tconfint_diff, t.ppf)', g['value']['diff_lo'],
                lo, wv)

    if vs[0]['value'] is None:
        # no counted conversion had a value: then none may have
        add('value metrics present iff values', 0.0 if all(
            x == 0 for v in tv for x in v['values']) else 1.0, 0.0, where)
        continue

    for v, g in zip(tv, vs):
        a = np.array(v['values'])
        add('mean value per visitor', g['value']['mean'], a.mean(), where)
        if len(a) > 1 and a.var() > 0:
            half = t975(len(a) - 1) * stats.sem(a)
            add('mean value t interval', g['value']['mean_lo'],
                a.mean() - half, where)
            add('mean value t interval', g['value']['mean_hi'],
                a.mean() + half, where)

    for row in e['segments']:
        k = row['variants'][0]
        for i, g in enumerate(row['variants']):
            if g['exposed'] == 0:
                continue
            lo, hi = proportion_confint(g['converted'], g['exposed'],
                                        alpha=0.05, method='wilson')
            add('segment Wilson interval', g['rate_lo'], lo, where)
            add('segment Wilson interval', g['rate_hi'], hi, where)
            x = [g['converted'], k['converted']]
            n = [g['exposed'], k['exposed']]
            if i and k['exposed'] and 0 < sum(x) < sum(n):
                add('segment z p-value', g['p_value'],
                    proportions_ztest(x, n)[1], where)

# -- sequential, Holm, best, power: tests/stats_ref.py's references ------
#
# The looks are rebuilt from the generated instants, not from the report's
# trend: for each UTC day on which a visitor was first exposed or first
# converted, the visitors exposed by its end and those converted by then.

sys.path.insert(0, sys.argv[2])
import stats_ref
from statsmodels.stats.multitest import multipletests

DAY_MS = 86400000
seq_got = {e['name']: e for e in data['sequential']['experiments']}


def looks(c, v):
    days = sorted({t // DAY_MS for arm in (c, v)
                   for t in arm['first'] + [x for x in arm['conv'] if x]})
    out = []
    for d in days:
        end = (d + 1) * DAY_MS
        counts = []
        for arm in (c, v):
            counts.append(sum(1 for x in arm['conv'] if x and x < end))
            counts.append(sum(1 for t in arm['first'] if t < end))
        out.append(tuple(counts))
    return out


def has_variance(look):
    xc, nc, xv, nv = look
    return nc and nv and (0 < xc < nc or 0 < xv < nv)


def finite(x):
    return x if x is not None and np.isfinite(x) else None


def holm(ps):
    idx = [i for i, p in enumerate(ps) if p is not None]
    adj = [None] * len(ps)
    if idx:
        for i, a in zip(idx, multipletests([ps[i] for i in idx],
                                           method='holm')[1]):
            adj[i] = a
    return adj


for t in data['truth']:
    tv = t['variants']
    c = tv[0]
    where = t['name']
    es, ef = seq_got[where], got[where]
    seq_p, fixed_p = [None], [None]

    for i in range(1, len(tv)):
        v, g, f = tv[i], es['variants'][i], ef['variants'][i]
        wv = f"{where}/{v['name']}"
        # a day before both arms have visitors is no look
        lk = [x for x in looks(c, v) if x[1] and x[3]]
        p, dlo, dhi, llo, lhi = stats_ref.seq_reference(
            1e-4, 0.05, lk)
        if not any(has_variance(x) for x in lk):
            p = None
        seq_p.append(p)
        add('sequential p-value (mSPRT)', g['p_value'], p, wv)
        add('sequential difference interval', g['sequential']['diff_lo'],
            finite(dlo), wv)
        add('sequential difference interval', g['sequential']['diff_hi'],
            finite(dhi), wv)
        if lhi != np.inf:
            add('sequential lift interval', g['lift_lo'], llo, wv)
            add('sequential lift interval', g['lift_hi'], lhi, wv)
        else:
            add('sequential lift interval', g['lift_lo'], None, wv)

        xc, nc, xv, nv = (c['converted'], c['exposed'], v['converted'],
                          v['exposed'])
        fixed_p.append(proportions_ztest([xv, xc], [nv, nc])[1]
                       if 0 < xc + xv < nc + nv else None)

        mde, mde_rel, total_c, total_v = stats_ref.power_reference(xc, nc, xv,
                                                               nv)
        pw = g['power']
        add('MDE (absolute)', pw['mde'], finite(mde), wv)
        add('MDE (relative)', pw['mde_relative'], finite(mde_rel), wv)
        add('visitors needed', pw['visitors_needed_control'],
            finite(total_c), wv)
        add('visitors needed', pw['visitors_needed_variant'],
            finite(total_v), wv)
        if np.isfinite(total_c):
            add('visitors still to come', pw['visitors_more_control'],
                float(max(0, np.ceil(total_c) - nc)), wv)
            add('visitors still to come', pw['visitors_more_variant'],
                float(max(0, np.ceil(total_v) - nv)), wv)

    # Holm of the references' p-values, not of the report's
    for report, ps, name in ((es, seq_p, 'Holm, sequential p-values'),
                             (ef, fixed_p, 'Holm, z-test p-values')):
        for i, a in enumerate(holm(ps)):
            if i:
                add(name, report['variants'][i]['p_value_holm'], a,
                    f"{where}/{tv[i]['name']}")

    counts = [(v['converted'], v['exposed']) for v in tv]
    if all(n for _, n in counts):
        for i, b in enumerate(stats_ref.best_reference(counts)):
            add('probability of being best (quad)',
                es['variants'][i]['prob_best'], b,
                f"{where}/{tv[i]['name']}")

json.dump(table, sys.stdout)
PYTHON
    close $fh;

    my $out = `$python $check $cases $IcpTest::ROOT/tests`;
    is($?, 0, 'the SciPy / statsmodels script ran') or diag($out);
    my $table = eval { decode_json($out) } // {};

    my %tolerance = ('chance to beat control (quad)' => 1e-6,
                     'probability of being best (quad)' => 1e-6,
                     'chance to beat, issue 18 cases' => 1e-6,
                     '(statsmodels tconfint_diff, t.ppf)' => 1e-6);
    my @rows = sort keys %$table;
    ok(@rows >= 12, scalar(@rows) . ' statistics compared');
    diag(sprintf('%-36s %6s  %s', 'statistic', 'cases',
                 'max relative difference'));
    for my $stat (@rows) {
        my ($n, $d, $where) = @{ $table->{$stat} };
        my $tol = $tolerance{$stat} // 1e-9;
        diag(sprintf('%-36s %6d  %.2e%s', $stat, $n, $d,
                     $where ? " ($where)" : ''));
        ok($d <= $tol, "$stat: $n cases within $tol relative");
    }
}

done_testing();
