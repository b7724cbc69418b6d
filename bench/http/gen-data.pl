#!/usr/bin/perl
# Firmographics for the HTTP benchmark, as a CSV for icp-load, the same
# every time (fixed seed):
#
#   10,000 ip rows     visitor I (0..9999) is 10.(I % 64).(I / 64 % 40).
#                      (1 + I / 2560): 64 /16 networks, 2,560 /24s, a few
#                      addresses in each (visitors.lua knows this formula)
#   2,560 /24 rows     the networks those addresses are in
#   64 /16 rows        10.0.0.0/16 .. 10.63.0.0/16: any address in
#                      10.0.0.0/10 finds a company at least there
#   1,000 domain rows  company-N.example
#
# The fields are drawn from the vocabulary of bench/rules/gen.pl, so the
# bench ruleset matches ICPs, exclusions and routes with experiments.
use strict;
use warnings;

srand(7);

my @industries = ('software', 'marketing services', 'internet', 'retail',
    'healthcare', 'financial services', 'manufacturing', 'education',
    'e-commerce', 'logistics');
my @countries = qw(US CA GB DE FR NL SE ES IT JP AU BR IN SG);
my @regions = qw(NA EMEA APAC LATAM);
my @tech = qw(salesforce hubspot marketo k8s aws gcp azure sap oracle
    shopify segment snowflake);

sub pick { return $_[int(rand(@_))]; }

sub company {
    my ($name) = @_;
    my $emp = int(exp(rand(log(20000))));
    my %seen;
    my @t = grep { !$seen{$_}++ } map { pick(@tech) } 1 .. 1 + int(rand(3));

    return join(',', "\"$name\"", pick(@industries), $emp,
                $emp * (50000 + int(rand(200000))), pick(@countries),
                pick(@regions), '"' . join(',', @t) . '"');
}

print "ip,cidr,domain,company,industry,employees,revenue,country,region,"
    . "tech\n";

for my $i (0 .. 9999) {
    printf "10.%d.%d.%d,,,%s\n", $i % 64, int($i / 64) % 40,
        1 + int($i / 2560), company("Visitor $i Inc.");
}
for my $n (0 .. 2559) {
    printf ",10.%d.%d.0/24,,%s\n", $n % 64, int($n / 64),
        company("Network $n GmbH");
}
for my $b (0 .. 63) {
    printf ",10.%d.0.0/16,,%s\n", $b, company("Carrier $b");
}
for my $d (0 .. 999) {
    printf ",,company-%d.example,%s\n", $d, company("Company $d");
}
