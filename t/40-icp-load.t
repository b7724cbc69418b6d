#!/usr/bin/perl
# icp-load against a real redis-server: the example firmographics, the
# HubSpot and Salesforce exports with their presets, bad rows and their
# line numbers, --strict, --ttl, --prefix, --db, --password, --dry-run,
# standard input and error replies; the industry vocabulary, numbers and
# provenance (--source, --as-of) as the records show them, and the
# reverse-IP preset.

use strict;
use warnings;

use File::Temp qw(tempdir);
use POSIX qw(_exit strftime);
use Test::More;

use lib 't/lib';
use IcpTest;

my $bin = "$IcpTest::ROOT/" . ($ENV{BUILD} // 'build') . '/bin/icp-load';
plan skip_all => "$bin not built (make tools)" unless -x $bin;

# no nginx here: only the harness's redis-server, in a dir of our own
my $dir = tempdir('icp-load-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $redis = IcpTest::Redis->start($dir);

END { $redis->stop if $redis }

my $addr = '127.0.0.1:' . $redis->port;

chdir $IcpTest::ROOT or die "$IcpTest::ROOT: $!";


# redis-cli output without its last line break
sub cli {
    my $out = $redis->cli(@_) // '';

    $out =~ s/\n\z//;
    return $out;
}


sub slurp {
    my ($path) = @_;

    open my $fh, '<', $path or return '';
    local $/;
    return scalar <$fh>;
}


# Runs icp-load; returns exit status, standard output and standard error.
sub load {
    my (%o) = @_;

    my $pid = fork // die "fork: $!";

    if ($pid == 0) {
        open STDOUT, '>', "$dir/out" or _exit(99);
        open STDERR, '>', "$dir/err" or _exit(99);
        if (defined $o{stdin}) {
            open STDIN, '<', $o{stdin} or _exit(99);
        }
        exec $bin, @{ $o{args} } or _exit(99);
    }

    waitpid $pid, 0;

    return ($? >> 8, slurp("$dir/out"), slurp("$dir/err"));
}


# a hash whose values hold no line break
sub hash {
    my ($key, @cli) = @_;

    return { split /\n/, cli(@cli, 'hgetall', $key) };
}


sub csv {
    my ($name, $text) = @_;

    open my $fh, '>', "$dir/$name" or die "$name: $!";
    print $fh $text;
    close $fh;

    return "$dir/$name";
}


# --- examples/firmographics.csv -------------------------------------------

my ($rc, $out, $err) = load(args => ['--redis', $addr, '--as-of',
                                     '2026-11-20',
                                     'examples/firmographics.csv']);
is $rc, 0, 'firmographics: exit 0';
like $err, qr/35 rows read, 0 skipped; keys written: /,
    'firmographics: rows';
like $err, qr/11 ip, 51 net, 14 domain, 5 contact; 0 redis errors/,
    'firmographics: keys';
is cli('dbsize'), 81, 'firmographics: 81 keys';

is_deeply hash('icp:ip:192.0.2.10'), {
    domain => 'brightfunnel.example', company => 'BrightFunnel',
    industry => 'software', employees => 250, revenue => 42000000,
    country => 'US', region => 'CA', tech => 'hubspot,salesforce,segment',
    source => 'firmographics', as_of => '2026-11-20',
}, 'exact IPv4 key with every non-empty field, and its provenance';

is_deeply hash('icp:domain:brightfunnel.example'),
    hash('icp:ip:192.0.2.10'), 'the domain of a row gets the same fields';

is hash('icp:ip:192.0.2.12')->{company}, 'Harbor & Finch', 'ip row, no domain';
ok !exists hash('icp:ip:192.0.2.12')->{domain}, 'empty cells are not fields';

is hash("icp:net:10.20.$_.0/24")->{company}, 'Lumen Metrics',
    "10.20.0.0/20 spread: 10.20.$_.0/24" for 0, 7, 15;
is cli('exists', 'icp:net:10.20.16.0/24'), 0,
    '10.20.0.0/20 spread: nothing past the range';
is cli('exists', 'icp:net:10.20.0.0/20'), 0,
    'no key of an unsupported length';
is hash('icp:net:198.51.100.0/24')->{company}, 'Northwind Marketing',
    'a /24 is one key';
is hash('icp:net:10.50.0.0/16')->{employees}, 42000, 'a /16 is one key';
is hash("icp:net:172.$_.0.0/16")->{company}, 'Umbrella Health',
    "172.20.0.0/14 spread: 172.$_.0.0/16" for 20, 23;
is hash('icp:net:2001:db8:1000::/48')->{company}, 'Initech', 'IPv6 /48';
is hash('icp:net:2001:db8:3000:1::/64')->{company}, 'Tidewater Cloud',
    'IPv6 /64';
is hash('icp:net:2001:db8:3000:3::/64')->{company}, 'Fjord Analytics',
    'IPv6 /63 spread over two /64';
is hash('icp:net:2001:db8:f::/48')->{company} // '', '',
    'a /44 at 2001:db8:2000:: does not reach 2001:db8:f::';
is hash('icp:net:2001:db8:200f::/48')->{company}, 'Soylent Foods',
    'IPv6 /44 spread over sixteen /48';
is hash('icp:ip:2001:db8:4000::25')->{company}, 'Kettle & Kiln',
    'exact IPv6 key';
is hash('icp:domain:sproutly.example')->{employees}, 5, 'domain-only row';
is_deeply [ @{ hash('icp:ip:192.0.2.12') }{qw(industry industry_raw)} ],
    [ 'marketing', 'marketing services' ],
    'a label of the vocabulary becomes its key, the label is kept';
unlike $err, qr/not in the vocabulary/,
    'firmographics: every label is in the vocabulary';

is_deeply hash('icp:contact:c-1001'), {
    domain => 'brightfunnel.example', title => 'VP Marketing',
    seniority => 'vp', lifecycle => 'opportunity',
    source => 'firmographics', as_of => '2026-11-20',
}, 'contact: title, seniority, lifecycle and the company domain';
is hash('icp:contact:c-2002')->{title}, 'Director, Platform Engineering',
    'contact: quoted comma';
is hash('icp:domain:brightfunnel.example')->{title} // '', '',
    'a contact row leaves its company alone';

# --- HubSpot and Salesforce exports ---------------------------------------

cli('flushall');

($rc, $out, $err) = load(args => ['--redis', $addr, '--preset', 'hubspot',
                                  'examples/hubspot-companies.csv']);
is $rc, 0, 'hubspot: exit 0 with a skipped row';
like $err, qr{^examples/hubspot-companies\.csv:11: no key}m,
    'hubspot: the row without a domain, by its line (after a multi-line cell)';
like $err, qr/9 rows read, 1 skipped; keys written: 0 ip, 0 net, 8 domain/,
    'hubspot: summary';

# without --as-of: the day of the load, in UTC
my $today = strftime('%Y-%m-%d', gmtime);

is_deeply hash('icp:domain:brightwave.example'), {
    hubspot_id => '18230417501', company => 'Brightwave Analytics',
    city => 'San Francisco', country => 'US', industry => 'software',
    industry_raw => 'Computer Software',
    domain => 'brightwave.example', employees => 320, revenue => 48000000,
    region => 'California', lifecycle => 'Opportunity',
    tech => 'hubspot,salesforce,segment', source => 'hubspot',
    as_of => $today,
}, 'hubspot: mapped fields, the industry key, provenance; '
   . 'owner/dates/phone/description dropped';
is hash('icp:domain:kestrelcampaigns.example')->{country}, 'GB',
    'hubspot: "www." dropped from the domain, country name to its code';
is hash('icp:domain:atlasfreight.example')->{revenue}, 6200000000,
    'hubspot: thousands separators dropped';
is hash('icp:domain:lumiolabs.example')->{employees}, 6,
    'hubspot: a URL in the domain column';

($rc, $out, $err) = load(args => ['--redis', $addr, '--preset',
                                  'salesforce',
                                  'examples/salesforce-accounts.csv']);
is $rc, 0, 'salesforce: exit 0';
like $err, qr{^examples/salesforce-accounts\.csv:6: domain "not a url"}m,
    'salesforce: bad website reported by line';
is_deeply [ @{ hash('icp:domain:harborline.example') }{qw(company revenue
                                                         country sic)} ],
    [ 'Harborline Data', 62000000, 'US', 7372 ],
    'salesforce: website to domain, USD amount, country code';
is_deeply [ @{ hash('icp:domain:harborline.example') }{qw(industry
                                                         industry_raw
                                                         source)} ],
    [ 'software', 'Technology', 'salesforce' ],
    'salesforce: SIC 7372 wins over the label Technology';
is_deeply [ @{ hash('icp:domain:quartzwave.example') }{qw(industry
                                                         employees revenue)} ],
    [ 'marketing', 88, 11400000 ],
    'salesforce: SIC 7311 is marketing; $11,400,000';
is hash('icp:domain:helvetia-group.example')->{employees}, 18000,
    'salesforce: 18,000 staff';

($rc, $out, $err) = load(args => ['--redis', $addr, '--preset',
                                  'reverse-ip', '--as-of', '2026-11-01',
                                  'examples/reverse-ip.csv']);
is $rc, 0, 'reverse-ip: exit 0';
like $err, qr/5 rows read, 0 skipped; keys written: 3 ip, 2 net, 4 domain/,
    'reverse-ip: summary';
is_deeply hash('icp:ip:198.51.100.23'), {
    domain => 'tidewater.example', company => 'Tidewater Analytics',
    industry => 'software', industry_raw => 'Software Development',
    employees => 51, employees_range => '51-200', country => 'US',
    confidence => 92, source => 'reverse-ip', as_of => '2026-11-01',
}, 'reverse-ip: a range\'s lower bound, a fraction as a confidence';
is_deeply [ @{ hash('icp:net:2001:db8:77::/48') }{qw(company country
                                                     industry)} ],
    [ 'Copperleaf Studio', 'DE', 'marketing' ],
    'reverse-ip: an IPv6 range, DEU as DE';
is hash('icp:net:203.0.113.0/24')->{employees_range}, '10,001+',
    'reverse-ip: an open range kept';

# --- bad rows, --strict ---------------------------------------------------

my $bad = csv('bad.csv', <<'EOF');
ip,cidr,domain,company
192.0.2.1,,,Good One
192.0.2.300,,,Bad Address
,10.9.0.0/25,,Too Narrow
"192.0.2.2",,,"Two
Lines"
,,,No Key
192.0.2.3,,Ragged
,0.0.0.0/0,,Everything
,10.8.0.0/12,,Host Bits
"192.0.2.4"x,,,Junk
192.0.2.5,,,Good Two
EOF

cli('flushall');
($rc, $out, $err) = load(args => ['--redis', $addr, $bad]);
is $rc, 0, 'bad rows: skipped, exit 0';
my @lines = $err =~ /^\Q$bad\E:(\d+): /mg;
is_deeply \@lines, [3, 4, 7, 8, 10, 11], 'bad rows: their line numbers';
like $err, qr/:8: 3 fields, the header has 4/, 'bad rows: ragged row';
like $err, qr/:4: cidr "10\.9\.0\.0\/25": longer than \/24/,
    'bad rows: narrower than /24';
like $err, qr/:10: cidr "10\.8\.0\.0\/12": host bits/, 'bad rows: host bits';
like $err, qr/10 rows read, 6 skipped/, 'bad rows: summary';
like $err, qr/:11: unexpected character after a closing quote/,
    'bad rows: malformed CSV';
like $err, qr/:7: no key/, 'bad rows: no key';
is cli('exists', 'icp:net:0.0.0.0/16'), 1,
    'bad rows: /0 is the widest range allowed (65536 keys)';
is cli('hget', 'icp:ip:192.0.2.2', 'company'), "Two\nLines",
    'bad rows: a quoted line break is data';
is hash('icp:ip:192.0.2.5')->{company}, 'Good Two',
    'bad rows: loading goes on after them';

cli('flushall');
($rc, $out, $err) = load(args => ['--redis', $addr, '--strict', $bad]);
is $rc, 1, '--strict: exit 1';
like $err, qr/:3: ip "192\.0\.2\.300": not an IPv4/, '--strict: the row';
unlike $err, qr/:4: /, '--strict: stops at the first bad row';
is cli('exists', 'icp:ip:192.0.2.1'), 1,
    '--strict: the rows before it are loaded';
is cli('dbsize'), 1, '--strict: and nothing after';

# --- options --------------------------------------------------------------

my $small = csv('small.csv', "IP Address,Company,Org Size\n"
                             . "198.51.100.7,Initrode,\"1,500\"\n");

cli('flushall');
($rc, $out, $err) = load(args => ['--redis', $addr, '--ttl', '1h',
                                  '--prefix', 'crm:', '--db', '3',
                                  '--map', 'IP Address=ip',
                                  '--map', 'Org Size=employees', $small]);
is $rc, 0, 'options: exit 0';
is_deeply hash('crm:ip:198.51.100.7', '-n', 3),
    { company => 'Initrode', employees => 1500, source => 'small',
      as_of => $today },
    '--map, --prefix, --db; the source is the file\'s name';
my $ttl = cli('-n', 3, 'ttl', 'crm:ip:198.51.100.7');
ok $ttl > 3590 && $ttl <= 3600, "--ttl 1h: TTL $ttl";
is cli('dbsize'), 0, '--db: nothing in db 0';

cli('flushall');
($rc, $out, $err) = load(args => ['--redis', $addr, '--map',
                                  'IP Address=ip', '-'], stdin => $small);
is $rc, 0, 'stdin: exit 0';
is hash('icp:ip:198.51.100.7')->{org_size}, '1,500',
    'stdin: unmapped header made a field name, not a number';
is hash('icp:ip:198.51.100.7')->{source}, 'stdin', 'stdin: the source';

($rc, $out, $err) = load(args => ['--redis', $addr, '--map',
                                  'IP Address=ip', '--source', 'zoominfo',
                                  '--as-of', '2024-02-29', $small]);
is_deeply [ @{ hash('icp:ip:198.51.100.7') }{qw(source as_of)} ],
    [ 'zoominfo', '2024-02-29' ], '--source, --as-of';

for my $bad (['--source', 'two words'], ['--source', ''],
             ['--as-of', '2026-02-30'], ['--as-of', '11/20/2026'])
{
    ($rc, $out, $err) = load(args => [@$bad, $small]);
    is $rc, 2, "@$bad: usage error";
}

# cells no rule could read as the export meant are left out, and said
my $cells = csv('cells.csv', <<'EOF');
domain,industry,employees,revenue,confidence,sic
a.example,Widgetry,-5,"$1,5",high,73
b.example,Widgetry,99999999999999999999,1.2B,150%,7372
c.example,Gizmos,٣٢٠,,,
EOF
cli('flushall');
($rc, $out, $err) = load(args => ['--redis', $addr, $cells]);
is $rc, 0, 'bad cells: the rows are loaded';
like $err, qr/^\Q$cells\E:2: employees "-5": negative, not written$/m,
    'bad cells: a negative count';
like $err, qr/^\Q$cells\E:3: employees "9{20}": too large, not written$/m,
    'bad cells: a huge count';
like $err, qr/^\Q$cells\E:4: employees "\S+": not a number, not written$/m,
    'bad cells: Arabic-Indic digits';
like $err, qr/: 7 cells not written, above$/m, 'bad cells: counted';
# b.example's SIC code gives its industry: only two labels count
like $err, qr/: 2 rows with an industry label not in the vocabulary, (?x)
              kept\ as\ written:\ "Widgetry"\ 1,\ "Gizmos"\ 1$/m,
    'bad cells: the unmapped labels';
is_deeply hash('icp:domain:b.example'), {
    domain => 'b.example', industry => 'software',
    industry_raw => 'Widgetry', revenue => 1200000000, sic => 7372,
    source => 'cells', as_of => $today,
}, 'bad cells: the good ones are written';

($rc, $out, $err) = load(args => ['--redis', '127.0.0.1:1', '--dry-run',
                                  'examples/firmographics.csv']);
is $rc, 0, '--dry-run: connects to nothing';
like $out, qr/^HSET icp:ip:192\.0\.2\.12 company "Harbor & Finch" /m,
    '--dry-run: prints the commands';
is scalar(() = $out =~ /^HSET /mg), 81, '--dry-run: one HSET per key';

($rc, $out, $err) = load(args => ['--redis', '127.0.0.1:1', '--map',
                                  'IP Address=ip', $small]);
is $rc, 1, 'unreachable redis: exit 1';
like $err, qr/cannot connect to redis at 127\.0\.0\.1:1/,
    'unreachable redis: says so';

($rc, $out, $err) = load(args => ['--preset', 'pipedrive', $small]);
is $rc, 2, 'unknown preset: usage error';

($rc, $out, $err) = load(args => ['--redis', $addr, 'examples/'
                                  . 'hubspot-companies.csv']);
is $rc, 1, 'hubspot export without the preset: exit 1';
like $err, qr/no key column/, 'hubspot export without the preset: no key';

# --- error replies, AUTH --------------------------------------------------

cli('flushall');
cli('set', 'icp:ip:198.51.100.7', 'not a hash');
($rc, $out, $err) = load(args => ['--redis', $addr, '--map',
                                  'IP Address=ip', $small]);
is $rc, 1, 'error reply: exit 1';
like $err, qr/^\Q$small\E:2: redis: WRONGTYPE/m,
    'error reply: reported with the line of its row';
like $err, qr/1 redis errors/, 'error reply: counted';

cli('config', 'set', 'requirepass', 's3cret');
($rc, $out, $err) = load(args => ['--redis', $addr, '--password', 's3cret',
                                  '--map', 'IP Address=ip', '--prefix', 'a:',
                                  $small]);
is $rc, 0, '--password: AUTH';
($rc, $out, $err) = load(args => ['--redis', $addr, '--password', 'wrong',
                                  '--map', 'IP Address=ip', $small]);
is $rc, 1, '--password: a wrong one fails';
like $err, qr/AUTH/, '--password: says so';
cli('-a', 's3cret', '--no-auth-warning', 'config', 'set',
            'requirepass', '');
is cli('exists', 'a:ip:198.51.100.7'), 1, '--password: loaded';

done_testing;

