# The examples line up: README.md's table (between examples:begin and
# examples:end) says which segment each company of each example export
# gets with each example rules file.  Every export is loaded unchanged,
# with its preset, into a real redis-server by icp-load, and every row is
# one visit per rules file through nginx, whose log names each record's
# source and as_of.  Then `icp-rules check` on the
# vocabulary: quiet on the example rules, a warning with its place on a
# rule naming an industry icp-load never writes.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use IcpTest;

my $root = IcpTest::abs_root();
my $build = "$root/" . ($ENV{BUILD} // 'build') . '/bin';

for my $bin (qw(icp-load icp-rules)) {
    plan skip_all => "$build/$bin not built (make tools)"
        unless -x "$build/$bin";
}

my %presets = (
    'hubspot-companies.csv'   => 'hubspot',
    'salesforce-accounts.csv' => 'salesforce',
    'reverse-ip.csv'          => 'reverse-ip',
);
my @rules = qw(b2b-saas abm minimal);

# -- the table -------------------------------------------------------------

open my $fh, '<', "$root/README.md" or die "README.md: $!";
my $readme = do { local $/; <$fh> };
close $fh;

my ($table) = $readme =~ /<!-- examples:begin -->\n(.*?)<!-- examples:end -->/s;
ok(defined $table, 'README.md has the examples table') or BAIL_OUT('no table');

my @rows;
for my $line (split /\n/, $table) {
    next unless $line =~ /^\| `([^`]+\.csv)` \|/;
    my @cells = map { s/^\s+|\s+$//gr } split /\|/, $line;
    shift @cells;
    my ($export, $company, $visit, @want) = @cells;
    $export =~ tr/`//d;
    my ($kind, $key) = $visit =~ /^`(ip|domain)=([^`]+)`$/
        or die "README.md: no visit in: $line\n";
    die "README.md: not one segment per rules file in: $line\n"
        unless @want == @rules;
    push @rows, { export => $export, company => $company, kind => $kind,
                  key => $key, want => \@want };
}

is_deeply([ sort keys %{ { map { $_->{export} => 1 } @rows } } ],
          [ sort keys %presets ], 'the table has every example export');

# -- the exports, as a marketer loads them ---------------------------------

my $t = IcpTest->new;
my $redis = '127.0.0.1:' . $t->redis->port;

for my $export (sort keys %presets) {
    my $err = `$build/icp-load --redis $redis --preset $presets{$export} \\
               $root/examples/$export 2>&1`;
    is($? >> 8, 0, "$export: icp-load exits 0") or diag($err);

    my ($read, $skipped) = $err =~ /(\d+) rows read, (\d+) skipped/;
    is($read - $skipped, scalar(grep { $_->{export} eq $export } @rows),
       "$export: every company loaded is in the table");
    unlike($err, qr/not in the vocabulary/,
           "$export: every industry label is in the vocabulary");
}

# -- every row through nginx -----------------------------------------------

$t->write_file('html/ok.html', "ok\n");

my $locations = join '', map { <<"EOF" } @rules;
    location = /$_ {
        icp on;
        icp_rules $root/examples/rules/$_.rules;
        try_files /ok.html =404;
    }
EOF

$t->start(<<"EOF");
icp_redis %%REDIS%% connect_timeout=2s timeout=2s;
icp_cache zone=icp:1m ttl=60s;

server {
    listen %%PORT%%;
    root %%ROOT%%;
    icp_route off;
    icp_lookup ip=\$remote_addr domain=\$http_x_company_domain;
    add_header X-Segment \$icp_segment always;
    add_header X-Company \$icp_firmo_company always;
    access_log %%TMP%%/logs/icp.log icp if=\$icp_logged;

$locations
}
EOF

my $logged = 0;

for my $row (@rows) {
    # the harness takes the visitor's address from X-Forwarded-For
    my %h = $row->{kind} eq 'ip' ? ('X-Forwarded-For' => $row->{key})
                                 : ('X-Company-Domain' => $row->{key});

    for my $i (0 .. $#rules) {
        my $r = $t->get("/$rules[$i]", %h);
        my $what = "$row->{company} ($row->{export}), $rules[$i].rules";

        is($r->{status}, 200, "$what: 200");
        is($r->{headers}{'x-company'}, $row->{company},
           "$what: the company is found");
        is($r->{headers}{'x-segment'}, $row->{want}[$i],
           "$what: $row->{want}[$i]");
        $logged++;
    }
}

# the log says where each company's record came from
my %source = map { $_->{company} => $presets{$_->{export}} } @rows;
my @recs = $t->new_records($logged);
is(scalar @recs, $logged, 'one log record per visit');
is_deeply([ grep { ($_->{firmo}{source} // '') ne $source{$_->{firmo}{company}}
                   || ($_->{firmo}{as_of} // '') !~ /^\d{4}-\d\d-\d\d$/ }
            @recs ], [], 'every record logs its source and as_of');

# -- icp-rules check and the vocabulary -------------------------------------

my $vocab = "$root/tools/load/industries.tsv";

for my $r (@rules) {
    my $out = `$build/icp-rules check --industries $vocab \\
               $root/examples/rules/$r.rules 2>&1 >/dev/null`;
    is($out, '', "$r.rules: no diagnostic with the vocabulary");
}

my $old = $t->write_file('rules/old.rules', <<'EOF');
icp mid_market {
    employees in 10..1000;
    industry in (Software, "Computer Software", "marketing services");
    firmo.industry != Retail;
    industry ~* "soft";
    threshold 50;
}
route * * {
    variant default /lp/default.html;
}
EOF

my $out = `$build/icp-rules check --industries $vocab $old 2>&1 >/dev/null`;
is($? >> 8, 0, 'check: an unknown industry is a warning, not an error');
is($out,
   "$old:3:28: warning: industry \"Computer Software\" is not in the "
   . "industry vocabulary $vocab: no record icp-load writes has it\n"
   . "$old:3:49: warning: industry \"marketing services\" is not in the "
   . "industry vocabulary $vocab: no record icp-load writes has it\n",
   'check: each unknown industry, by line and column; keys in any case, '
   . 'firmo.industry and regexes are not warned about');

$out = `$build/icp-rules check --industries /nonexistent $old 2>&1`;
is($? >> 8, 2, 'check: a vocabulary that cannot be read is a usage error');

done_testing;
