#!/usr/bin/perl
# Writes a synthetic $icp_json log of N lines to stdout for the icp-report
# benchmark and for looking at the reports: two experiments, visitors that
# come back, conversions at known rates, plus bots, previews, anonymous
# visitors and a few torn lines, as a real access log has them.
#
#   perl bench/report/gen.pl 2000000 > /tmp/icp.log
use strict;
use warnings;

my $lines = shift // 100000;
my $seed = shift // 42;
srand($seed);

my @segs = qw(mid_market enterprise smb excluded none);
my @pers = qw(marketer ops_leader founder none);
my @exps = (
    { name => 'mary_hero_q4', vars => [qw(control benefit)],
      weights => [50, 50], rates => [0.040, 0.048] },
    { name => 'ops_pricing', vars => [qw(a b c)],
      weights => [34, 33, 33], rates => [0.020, 0.020, 0.026] },
);
my $visitors = int($lines / 4) + 1;

sub ts {
    my ($i) = @_;
    my $s = int($i / 20);
    return sprintf('2026-11-%02dT%02d:%02d:%02d.%03dZ',
                   1 + int($s / 86400) % 28, int($s / 3600) % 24,
                   int($s / 60) % 60, $s % 60, $i % 1000);
}

for (my $i = 0; $i < $lines; $i++) {
    my $v = int(rand($visitors));
    my $vid = sprintf('v%011x', $v * 2654435761 % 4294967296);
    my $e = $exps[$v % 2];
    my $k = int($v / 2) % scalar @{$e->{vars}};
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
    if (rand() < $e->{rates}[$k] * 0.3) {
        print "{\"ts\":\"", ts($i), "\",\"type\":\"conversion\",",
            "\"req\":\"$req\",",
            "\"vid\":\"$vid\",\"ip\":\"203.0.113.", $v % 250, "\",",
            "\"goal\":\"", (rand() < 0.8 ? 'signup' : 'demo'), "\",",
            "\"assignments\":[{\"exp\":\"$e->{name}\",\"var\":\"$var\"}],",
            "\"seg\":\"$seg\",\"per\":\"$per\",\"cache\":\"HIT\",",
            "\"bot\":$bot,\"preview\":$preview}\n";
        next;
    }
    my $w = join(',', map { "\"$e->{vars}[$_]\":$e->{weights}[$_]" }
                      0 .. $#{$e->{vars}});
    print "{\"ts\":\"", ts($i), "\",\"type\":\"exposure\",\"req\":\"$req\",",
        "\"vid\":\"$vid\",\"ip\":\"203.0.113.", $v % 250, "\",",
        "\"seg\":\"$seg\",\"per\":\"$per\",\"score\":", $v % 101, ",",
        "\"route\":\"$seg/$per\",\"exp\":\"$e->{name}\",\"var\":\"$var\",",
        "\"new\":", ($r < 0.3 ? 'true' : 'false'), ",\"weights\":{$w},",
        "\"utm\":{\"source\":\"linkedin\",\"medium\":\"paid\",",
        "\"campaign\":\"abm-q4\",\"term\":\"\",\"content\":\"\"},",
        "\"firmo\":{\"company\":\"Acme \\\"Widgets\\\"\",",
        "\"domain\":\"acme.io\",",
        "\"industry\":\"software\",\"employees\":\"250\",\"country\":\"US\"},",
        "\"cache\":\"HIT\",\"bot\":$bot,\"preview\":$preview}\n";
}
