#!/usr/bin/perl
# The cookies of returning visitors, for visitors.lua's "return" mode:
# visits every one of the 10,000 visitor addresses of the firmographics
# CSV (its ip rows, in order: visitor I is row I) once, as a first visit
# from an ad click, and prints, a line per visitor,
#
#   ADDRESS<TAB>NAME=VALUE; NAME=VALUE
#
# the cookies the answer set (the visitor id and the signed context), as
# the visitor's browser sends them back next time.  wrk cannot collect
# them itself: its response() gets one value per header name, and the
# answer has two Set-Cookie.
#
# usage: perl cookies.pl URL FIRMO.CSV [N] > cookies.txt
#   N: the first N visitors only
use strict;
use warnings;
use HTTP::Tiny;

my ($url, $csv, $max) = @ARGV;
die "usage: $0 URL FIRMO.CSV [N]\n"
    unless defined $csv && (!defined $max || $max =~ /^[1-9][0-9]*$/);

open my $fh, '<', $csv or die "$csv: $!\n";
my @addrs;
while (my $line = <$fh>) {
    push @addrs, $1 if $line =~ /^(\d+\.\d+\.\d+\.\d+),/;
}
close $fh;
die "$csv: no ip rows\n" unless @addrs;
splice @addrs, $max if defined $max && $max < @addrs;

my $http = HTTP::Tiny->new(timeout => 5);

for my $addr (@addrs) {
    my $r = $http->get("$url/?utm_source=linkedin&utm_medium=cpc"
                       . "&utm_campaign=abm-demand-2025",
                       { headers => { 'X-Forwarded-For' => $addr } });
    die "$addr: $r->{status} $r->{reason}\n" unless $r->{status} == 200;

    my $sc = $r->{headers}{'set-cookie'} // [];
    my @jar = map { /^([^=;]+=[^;]*)/ ? $1 : () }
              ref $sc ? @$sc : ($sc);
    die "$addr: no cookie set\n" unless @jar;

    print "$addr\t", join('; ', @jar), "\n";
}
