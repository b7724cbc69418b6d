#!/usr/bin/perl
# Writes a synthetic $icp_json log of N lines to stdout for the icp-report
# benchmark and for looking at the reports: two experiments over 28 days,
# one of them changing its weights (a new phase) half-way, visitors that
# come back, conversions at known rates after the first exposure, a third
# of them with a value, plus bots, previews, anonymous visitors and a few
# torn lines, as a real access log has them.
#
#   perl bench/report/gen.pl 2000000 > /tmp/icp.log
use strict;
use warnings;

my $lines = shift // 100000;
my $seed = shift // 42;
srand($seed);

my @segs = qw(mid_market enterprise smb excluded none);
my @pers = qw(marketer ops_leader founder none);
# phases: the weights of the second half of the log, the phase ids as
# the module would name them (any 8 hex digits do for the report)
my @exps = (
    { name => 'mary_hero_q4', vars => [qw(control benefit)],
      weights => [[50, 50], [50, 50]], phases => [qw(7fc229e6 7fc229e6)],
      rates => [0.040, 0.048] },
    { name => 'ops_pricing', vars => [qw(a b c)],
      weights => [[34, 33, 33], [50, 25, 25]],
      phases => [qw(1b0e53a2 c44f0d17)], rates => [0.020, 0.020, 0.026] },
);
my $visitors = int($lines / 4) + 1;
my %seen;

# The variant of visitor v for these weights: a fixed point of [0, 100).
sub bucket {
    my ($v, $weights) = @_;
    my $point = ($v * 2654435761 % 4294967296) / 4294967296 * 100;
    my $k = 0;
    while ($k < $#$weights && $point >= $weights->[$k]) {
        $point -= $weights->[$k++];
    }
    return $k;
}

# 28 days whatever the number of lines
sub ts {
    my ($i) = @_;
    my $s = int($i * 28 * 86400 / $lines);
    return sprintf('2026-11-%02dT%02d:%02d:%02d.%03dZ',
                   1 + int($s / 86400) % 28, int($s / 3600) % 24,
                   int($s / 60) % 60, $s % 60, $i % 1000);
}

for (my $i = 0; $i < $lines; $i++) {
    my $v = int(rand($visitors));
    my $vid = sprintf('v%011x', $v * 2654435761 % 4294967296);
    my $e = $exps[$v % 2];
    my $half = $i < $lines / 2 ? 0 : 1;
    my $k = bucket($v, $e->{weights}[$half]);
    my $var = $e->{vars}[$k];
    my $seg = $segs[$v % 5];
    my $per = $pers[int($v / 5) % 4];
    my $r = rand();
    my ($bot, $preview) = ('false', 'false');

    if ($r < 0.0005) {
        print "{\"ts\":\"", ts($i), "\",\"type\":\"exposure\",\"req\":\"7f\n";
        next;
    }
    $bot = 'true' if $r > 0.99;
    $preview = 'true' if $r > 0.985 && $r <= 0.99;
    $vid = '' if $r > 0.98 && $r <= 0.985;

    my $req = sprintf('%08x%08x', $i, $v);
    if ($seen{$vid} && rand() < $e->{rates}[$k] * 0.3) {
        my $value = rand() < 0.3 ? sprintf(',"value":%d.5', 200 + rand(5000))
                                 : '';
        print "{\"ts\":\"", ts($i), "\",\"type\":\"conversion\",",
            "\"req\":\"$req\",",
            "\"vid\":\"$vid\",\"ip\":\"203.0.113.", $v % 250, "\",",
            "\"goal\":\"", (rand() < 0.8 ? 'signup' : 'demo'), "\"$value,",
            "\"assignments\":[{\"exp\":\"$e->{name}\",\"var\":\"$var\"}],",
            "\"seg\":\"$seg\",\"per\":\"$per\",\"cache\":\"HIT\",",
            "\"bot\":$bot,\"preview\":$preview}\n";
        next;
    }
    $seen{$vid} = 1;
    my $w = join(',', map { "\"$e->{vars}[$_]\":$e->{weights}[$half][$_]" }
                      0 .. $#{$e->{vars}});
    print "{\"ts\":\"", ts($i), "\",\"type\":\"exposure\",\"req\":\"$req\",",
        "\"vid\":\"$vid\",\"ip\":\"203.0.113.", $v % 250, "\",",
        "\"seg\":\"$seg\",\"per\":\"$per\",\"score\":", $v % 101, ",",
        "\"route\":\"$seg/$per\",\"exp\":\"$e->{name}\",\"var\":\"$var\",",
        "\"new\":", ($r < 0.3 ? 'true' : 'false'),
        ",\"phase\":\"$e->{phases}[$half]\",\"weights\":{$w},",
        "\"utm\":{\"source\":\"linkedin\",\"medium\":\"paid\",",
        "\"campaign\":\"abm-q4\",\"term\":\"\",\"content\":\"\"},",
        "\"firmo\":{\"company\":\"Acme \\\"Widgets\\\"\",",
        "\"domain\":\"acme.io\",",
        "\"industry\":\"software\",\"employees\":\"250\",\"country\":\"US\"},",
        "\"cache\":\"HIT\",\"bot\":$bot,\"preview\":$preview}\n";
}
