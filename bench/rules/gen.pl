#!/usr/bin/perl
# Generates the benchmark's inputs, deterministically (fixed seed):
#   gen.pl rules       a ruleset of 100 conditions (rules) over 4 excludes,
#                      12 ICPs and 16 personas, plus 21 routes: 40% numeric,
#                      35% list and 25% regex conditions
#   gen.pl inputs N    N visitors, one per line, tab-separated FIELD=VALUE
use strict;
use warnings;

srand(20261123);

my @industries = ('software', 'marketing services', 'internet', 'retail',
    'healthcare', 'financial services', 'manufacturing', 'education',
    'e-commerce', 'logistics');
my @countries = qw(US CA GB DE FR NL SE ES IT JP AU BR IN SG);
my @regions = qw(NA EMEA APAC LATAM);
my @sources = qw(linkedin google bing facebook twitter newsletter g2
    capterra reddit);
my @mediums = qw(cpc paid_social email organic referral display);
my @clicks = qw(gclid fbclid msclkid li_fat_id);
my @seniority = qw(entry manager director vp cxo owner);
my @lifecycle = ('subscriber', 'lead', 'mql', 'sql', 'opportunity',
    'customer');
my @tech = qw(salesforce hubspot marketo k8s aws gcp azure sap oracle
    shopify segment snowflake);
my @campaign_words = qw(abm demand brand retarget webinar q4 q1 launch
    promo enterprise smb devops trial pricing);
my @term_words = ('crm', 'marketing automation', 'devops platform',
    'sre tools', 'lead scoring', 'abm software', 'best crm for startups',
    'kubernetes cost', 'email marketing', 'attribution');
my @titles = ('Marketing Manager', 'VP Marketing', 'Head of Growth',
    'CEO', 'Founder', 'Software Engineer', 'SRE', 'Demand Gen Lead',
    'Student', 'CFO', 'Platform Engineer', 'Sales Director');
my @hosts = qw(www.example.com example.de go.example.com example.co.uk);

sub pick { return $_[int(rand(@_))]; }

sub some {
    my ($n, @pool) = @_;
    my %seen;
    my @out;
    while (@out < $n) {
        my $v = pick(@pool);
        push @out, $v unless $seen{$v}++;
    }
    return @out;
}

sub quote {
    my $s = shift;
    return $s =~ /^[A-Za-z0-9_.\/-]+$/ ? $s : "\"$s\"";
}

sub list { return '(' . join(', ', map { quote($_) } @_) . ')'; }

my @numeric = (
    sub { my $lo = pick(1, 10, 50, 200, 1000); my $hi = $lo * pick(5, 10, 20);
          "employees in $lo..$hi" },
    sub { 'employees ' . pick('<', '>=', '>') . ' '
          . pick(10, 50, 500, 2000) },
    sub { 'revenue ' . pick('<', '>=') . ' ' . pick('1M', '5M', '50M', '1B') },
    sub { 'revenue in ' . pick('1M..10M', '10M..100M', '500K..2M') },
    sub { 'visits >= ' . pick(2, 3, 5) },
);
my @lists = (
    sub { 'industry in ' . list(some(3, @industries)) },
    sub { 'country in ' . list(some(4, @countries)) },
    sub { 'country not in ' . list(some(2, @countries)) },
    sub { 'region == ' . pick(@regions) },
    sub { 'seniority in ' . list(some(2, @seniority)) },
    sub { 'lifecycle in ' . list(some(2, @lifecycle)) },
    sub { 'tech has ' . list(some(2, @tech)) },
    sub { 'utm_source in ' . list(some(2, @sources)) },
    sub { 'utm_medium == ' . pick(@mediums) },
    sub { 'click_id == ' . pick(@clicks) },
);
my @regexes = (
    sub { 'utm_campaign ~* "' . join('|', some(2, @campaign_words)) . '"' },
    sub { 'utm_term ~* "\b(' . join('|', map { (split / /)[0] }
          some(2, @term_words)) . ')"' },
    sub { 'title ~* "' . join('|', map { lc((split / /)[-1]) }
          some(2, @titles)) . '"' },
    sub { 'utm_campaign !~ "^test"' },
    sub { '$host ~ "\.de$"' },
);

my %mix;

sub condition {
    my $r = rand();
    my $kind = $r < 0.40 ? 'numeric' : $r < 0.75 ? 'list' : 'regex';
    my $gen = $kind eq 'numeric' ? pick(@numeric)
              : $kind eq 'list' ? pick(@lists) : pick(@regexes);
    $mix{$kind}++;
    return $gen->();
}

sub rules {
    my $out = '';
    my (@icps, @personas);

    for my $i (1 .. 4) {
        $out .= "exclude ex$i {\n";
        $out .= "    " . condition() . ";\n" for 1 .. 2;
        $out .= "}\n";
    }

    for my $i (1 .. 12) {
        $out .= "icp icp$i {\n";
        $out .= "    " . condition() . " weight " . (1 + int(rand(3))) . ";\n"
            for 1 .. 4;
        $out .= "    threshold " . pick(50, 60, 75, 100) . ";\n}\n";
        push @icps, "icp$i";
    }

    # 44 conditions: 12 personas of 3 and 4 of 2
    for my $i (1 .. 16) {
        $out .= "persona p$i {\n";
        $out .= "    " . condition() . ";\n" for 1 .. ($i <= 12 ? 3 : 2);
        $out .= "}\n";
        push @personas, "p$i";
    }

    $out .= "route excluded * { variant sorry /lp/sorry.html; }\n";

    for my $i (1 .. 19) {
        my $seg = $i <= 12 ? $icps[$i - 1] : 'none';
        my $per = $i > 12 ? $personas[$i - 13]
                  : $i % 3 == 0 ? '*' : $personas[$i - 1];
        $out .= "route $seg $per {\n";
        if ($i % 4 == 0) {
            $out .= "    variant a /lp/$i/a.html 50;\n";
            $out .= "    variant b /lp/$i/b.html 50;\n";
        } else {
            $out .= "    variant v /lp/$i.html;\n";
        }
        $out .= "}\n";
    }

    $out .= "route * * { variant default /lp/default.html; }\n";

    return "# generated by bench/rules/gen.pl: 100 conditions, $mix{numeric}"
           . " numeric, $mix{list} list, $mix{regex} regex\n" . $out;
}

sub maybe { my ($p, $v) = @_; return rand() < $p ? $v : undef; }

sub inputs {
    my $n = shift;
    my $out = '';

    for (1 .. $n) {
        my @f;
        my $emp = int(exp(rand(log(20000))));
        my %v = (
            employees => maybe(0.8, rand() < 0.02 ? 'n/a' : $emp),
            revenue => maybe(0.7, pick(int($emp * 150) . '',
                             (1 + int(rand(90))) . pick('K', 'M', 'M', 'B'))),
            industry => maybe(0.8, pick(@industries)),
            country => maybe(0.85, pick(@countries)),
            region => maybe(0.6, pick(@regions)),
            tech => maybe(0.5, join(', ', some(1 + int(rand(4)), @tech))),
            utm_source => maybe(0.7, pick(@sources)),
            utm_medium => maybe(0.7, pick(@mediums)),
            utm_campaign => maybe(0.6, join('-', some(2, @campaign_words))
                                  . '-' . (2024 + int(rand(3)))),
            utm_term => maybe(0.4, pick(@term_words)),
            click_id => maybe(0.5, pick(@clicks)),
            visits => maybe(0.9, 1 + int(rand(8))),
            title => maybe(0.2, pick(@titles)),
            seniority => maybe(0.2, pick(@seniority)),
            lifecycle => maybe(0.2, pick(@lifecycle)),
            '$host' => maybe(1, pick(@hosts)),
        );
        for my $k (sort keys %v) {
            push @f, "$k=$v{$k}" if defined $v{$k};
        }
        $out .= join("\t", @f) . "\n";
    }

    return $out;
}

if (@ARGV && $ARGV[0] eq 'rules') {
    print rules();
} elsif (@ARGV == 2 && $ARGV[0] eq 'inputs') {
    rules();    # the same random stream whatever is asked
    print inputs($ARGV[1]);
} else {
    die "usage: gen.pl rules | gen.pl inputs N\n";
}
