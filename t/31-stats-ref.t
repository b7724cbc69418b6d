#!/usr/bin/perl
# The statistics of tools/report/seq.c, multi.c and power.c against SciPy
# and statsmodels: tests/stats_ref.py writes seeded cases with the
# libraries' answers, a small C driver (tests/stats_ref.c, built here from
# the sources) answers the same cases, and every figure must agree within
# 1e-9 relative where the reference is closed form or a root found to full
# precision, 1e-6 where it is a numerical integral (quad).  Prints the
# table: statistic, cases, largest relative difference.

use strict;
use warnings;

use File::Temp qw(tempdir);
use Test::More;

use lib 't/lib';
use IcpTest;

my $python = '/usr/bin/python3';
my $cc = $ENV{CC} // 'cc';

chdir $IcpTest::ROOT or die "$IcpTest::ROOT: $!";

plan skip_all => "$python lacks scipy or statsmodels (make deps)"
    if system("$python -c 'import scipy, statsmodels' 2>/dev/null") != 0;

my $dir = tempdir('icp-stats-ref-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $driver = "$dir/stats_ref";

is(system("$cc -std=c99 -D_DEFAULT_SOURCE -Wall -Wextra -Werror -O2 "
          . "-Itools -o $driver tests/stats_ref.c tools/report/seq.c "
          . "tools/report/multi.c tools/report/power.c -lm"),
   0, 'the driver builds') or BAIL_OUT('no driver');

my $cases = $ENV{STATS_REF_CASES} // 200;
my @ref = `$python tests/stats_ref.py $cases`;
is($?, 0, 'tests/stats_ref.py ran');

open my $in, '>', "$dir/cases" or die "$dir/cases: $!";
print $in map { (split / = /)[0] . "\n" } @ref;
close $in;

my @got = `$driver < $dir/cases`;
is($?, 0, 'the driver ran');
is(scalar @got, scalar @ref, 'one answer per case');

# what each answer of a command is, and how close it must be
my %names = (
    holm  => sub { ('holm adjusted p') x $_[0] },
    seq   => sub { ('seq p-value', ('seq difference interval') x 2,
                    ('seq lift interval') x 2) },
    best  => sub { ('prob best') x $_[0] },
    power => sub { ('mde absolute', 'mde relative',
                    ('visitors needed') x 2) },
);
my %tolerance = ('prob best' => 1e-6);

my (%per_cmd, %cases, %values, %worst, %where, @order);

for my $i (0 .. $#ref) {
    my ($case, $want) = split / = /, $ref[$i];
    my ($cmd, $k) = split ' ', $case;
    my @want = split ' ', $want;
    my @have = split ' ', $got[$i] // '';
    my @name = $names{$cmd}->($k);
    my %seen;

    $per_cmd{$cmd}++;

    for my $j (0 .. $#want) {
        my ($w, $h, $name) = ($want[$j], $have[$j] // 'missing', $name[$j]);
        my $diff;

        push @order, $name unless exists $cases{$name};
        $cases{$name}++ unless $seen{$name}++;
        $values{$name}++;

        if ($w =~ /nan/i || $h =~ /nan|missing/i) {
            $diff = (lc $w eq lc $h) ? 0 : 'inf';

        } elsif ($w =~ /inf/i || $h =~ /inf/i) {
            $diff = ($w == $h) ? 0 : 'inf';

        } elsif ($w == $h) {
            $diff = 0;

        } else {
            $diff = abs($h - $w) / abs($w);
        }

        if (!defined $worst{$name} || $diff > $worst{$name}) {
            $worst{$name} = $diff;
            $where{$name} = "$case: want $w, have $h";
        }
    }
}

is($per_cmd{$_} // 0, $cases, "$cases cases of $_") for sort keys %names;

diag(sprintf "%-26s %6s %6s  %s", 'statistic', 'cases', 'values',
             'max relative difference');

for my $name (@order) {
    my $tol = $tolerance{$name} // 1e-9;

    diag(sprintf "%-26s %6d %6d  %.3g", $name, $cases{$name},
                 $values{$name}, $worst{$name});
    cmp_ok($worst{$name}, '<=', $tol, "$name within $tol")
        or diag("worst: $where{$name}");
}

done_testing();
