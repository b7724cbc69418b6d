#!/usr/bin/perl
# `make demo`: a private redis-server and nginx on loopback ports with the
# examples/ setup, a scripted story of visitors, a few hundred simulated
# ones, and the A/B report.  Everything it starts is stopped at the end.

use strict;
use warnings;

use FindBin qw($Bin);
use lib "$Bin/../t/lib";

use File::Path qw(make_path remove_tree);
use File::Temp qw(tempdir);
use HTTP::Tiny;
use IO::Socket::INET;
use JSON::PP;
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);

use IcpTest;

my $root = IcpTest::abs_root();
my $out_dir = "$root/build/demo";
my $tmp = tempdir('icp-demo-XXXXXX', TMPDIR => 1, CLEANUP => 1);
chmod 0755, $tmp;
my $port = IcpTest::free_port();
my $nginx_pid;
my $redis;

$SIG{INT} = $SIG{TERM} = sub { stop_all(); exit 1 };

sub stop_all {
    if ($nginx_pid) {
        kill 'QUIT', $nginx_pid;
        my $deadline = time + 10;
        while (time < $deadline && waitpid($nginx_pid, WNOHANG) != $nginx_pid)
        {
            sleep 0.05;
        }
        kill 'KILL', $nginx_pid if kill 0, $nginx_pid;
        undef $nginx_pid;
    }
    $redis->stop if $redis;
    undef $redis;
}

END { stop_all() }

sub run {
    my (@cmd) = @_;
    system(@cmd) == 0 or die "failed: @cmd\n";
}

# --- start ----------------------------------------------------------------

print "== starting a private redis-server and nginx on 127.0.0.1\n";

$redis = IcpTest::Redis->start($tmp);
my $redis_addr = '127.0.0.1:' . $redis->port;

run("$root/build/bin/icp-load", '--redis', $redis_addr,
    "$root/examples/firmographics.csv");

my $conf = do {
    local $/;
    open my $fh, '<', "$root/examples/nginx.conf" or die $!;
    <$fh>;
};
my %fill = (
    MODULE => "$root/build/ngx_http_icp_module.so",
    TMP    => $tmp,
    PORT   => $port,
    REDIS  => $redis_addr,
    ROOT   => "$root/examples/html",
    RULES  => "$root/examples/rules/b2b-saas.rules",
);
$conf =~ s/@(\w+)@/$fill{$1} \/\/ die "no value for \@$1\@\n"/ge;
make_path("$tmp/$_") for qw(body proxy fastcgi uwsgi scgi);
open my $cfh, '>', "$tmp/nginx.conf" or die $!;
print $cfh $conf;
close $cfh;

$nginx_pid = fork // die "fork: $!";
if ($nginx_pid == 0) {
    open STDERR, '>>', "$tmp/stderr.log";
    exec '/usr/sbin/nginx', '-p', $tmp, '-c', "$tmp/nginx.conf" or exit 127;
}

my $deadline = time + 10;
until (IO::Socket::INET->new(PeerAddr => "127.0.0.1:$port")) {
    die "nginx did not start:\n" . `cat $tmp/error.log $tmp/stderr.log`
        if time > $deadline || waitpid($nginx_pid, WNOHANG) == $nginx_pid;
    sleep 0.05;
}

print "   redis-server on $redis_addr, nginx on 127.0.0.1:$port\n\n";

# --- the story ------------------------------------------------------------

my $http = HTTP::Tiny->new(max_redirect => 0, timeout => 10);
my $log_pos = 0;

# The records nginx wrote since the last call.  nginx logs a request just
# after answering it, so wait a moment for the one expected.
sub new_records {
    my ($want) = @_;
    $want //= 1;
    my @recs;
    for (1 .. 200) {
        if (open my $fh, '<', "$tmp/icp.log") {
            seek $fh, $log_pos, 0;
            while (my $line = <$fh>) {
                last unless $line =~ /\n\z/;
                push @recs, decode_json($line);
                $log_pos = tell $fh;
            }
            close $fh;
        }
        last if @recs >= $want;
        sleep 0.005;
    }
    return @recs;
}

# Cookies a visitor's browser keeps.
sub cookie_header {
    my ($jar) = @_;
    return join '; ', map { "$_=$jar->{$_}" } sort keys %$jar;
}

sub keep_cookies {
    my ($jar, $res) = @_;
    my $sc = $res->{headers}{'set-cookie'} or return;
    for my $c (ref $sc ? @$sc : ($sc)) {
        $jar->{$1} = $2 if $c =~ /^([^=]+)=([^;]*)/;
    }
}

sub visit {
    my (%v) = @_;
    my %h = ('X-Forwarded-For' => $v{ip});
    $h{'User-Agent'} = $v{ua} if $v{ua};
    $h{'X-ICP-Preview'} = $v{preview} if $v{preview};
    $v{jar} ||= {};
    my $c = cookie_header($v{jar});
    $h{Cookie} = $c if $c;
    my $res = $http->get("http://127.0.0.1:$port$v{path}",
                         { headers => \%h });
    keep_cookies($v{jar}, $res);
    return $res;
}

my %consent = (consent_demo => 1);

my @story = (
    { who => 'Mary, marketing manager, BrightFunnel',
      what => '250 staff, US software; clicks a LinkedIn ABM ad',
      ip => '192.0.2.10', jar => {%consent},
      path => '/?utm_source=linkedin&utm_medium=paid&utm_campaign=abm-q4' },
    { who => 'Mary again, next page',
      what => 'no UTM parameters: the signed cookie remembers',
      ip => '192.0.2.10', same_as => 0, path => '/' },
    { who => 'Enterprise visitor, Globex',
      what => '42,000 staff, known by its /16 network',
      ip => '10.50.3.7', jar => {%consent},
      path => '/?utm_source=google&utm_medium=cpc&utm_campaign=brand' },
    { who => 'Founder of Tinybird Labs',
      what => '4 staff, $250K revenue: too small, no budget',
      ip => '203.0.113.5', jar => {%consent},
      path => '/?utm_source=linkedin&utm_campaign=demand-gen' },
    { who => 'SRE from a search ad',
      what => 'unknown company; searched "sre on-call tooling"',
      ip => '10.99.0.1', jar => {%consent},
      path => '/?utm_source=google&utm_medium=cpc&utm_term=sre+on-call' },
    { who => 'Googlebot',
      what => 'a crawler: control page, no cookie, not logged',
      ip => '66.249.66.1', ua => 'Mozilla/5.0 (compatible; Googlebot/2.1)',
      path => '/?utm_source=linkedin&utm_campaign=abm-q4' },
    { who => 'Marketer without consent',
      what => 'declined the banner: no cookie, no experiment',
      ip => '192.0.2.11', jar => {},
      path => '/?utm_source=linkedin&utm_campaign=abm-q4' },
    { who => 'Marketing team, preview',
      what => 'X-ICP-Preview key forces variant "benefit"',
      ip => '192.0.2.10', jar => {%consent}, preview => 'preview-demo',
      path => '/?utm_source=linkedin&utm_campaign=abm-q4'
              . '&icp_variant=benefit' },
);

my $fmt = "%-2s %-38s %-11s %-11s %-26s %-5s %s\n";
printf $fmt, '#', 'visitor', 'segment', 'persona', 'experiment: variant',
    'cache', 'page served';
print '-' x 132, "\n";

for my $i (0 .. $#story) {
    my $v = $story[$i];
    $v->{jar} = $story[$v->{same_as}]{jar} if defined $v->{same_as};
    my $res = visit(%$v);
    my ($rec) = new_records($v->{ua} ? 0 : 1);
    my ($title) = $res->{content} =~ m{<title>(.*?)</title>};
    $rec ||= { seg => '-', per => '-', var => '-', cache => '-', exp => '' };
    my $arm = $rec->{exp} ? "$rec->{exp}: $rec->{var}" : $rec->{var};
    printf $fmt, $i + 1, $v->{who}, $rec->{seg}, $rec->{per}, $arm,
        $rec->{cache}, $title // "HTTP $res->{status}";
    print "   $v->{what}\n";
    print "   why: $rec->{reason}\n" if $rec->{reason};
    if ($res->{headers}{'x-icp-debug'}) {
        print "   X-ICP-Debug: $res->{headers}{'x-icp-debug'}\n";
    }
}

# --- a few hundred simulated visitors -------------------------------------

my @mid_market = map { "192.0.2.$_" } 10 .. 14;
my %rate = (control => 0.08, benefit => 0.14);
my $n = 400;
my $beacon_shown = 0;
srand(20261123);

for my $i (1 .. $n) {
    my %jar = %consent;
    my $ip = $mid_market[$i % @mid_market];
    visit(ip => $ip, jar => \%jar,
          path => '/?utm_source=linkedin&utm_medium=paid'
                  . '&utm_campaign=abm-q4');
    my ($rec) = grep { $_->{type} eq 'exposure' } new_records();
    next unless $rec && $rec->{exp};
    next unless rand() < ($rate{$rec->{var}} // 0.05);

    # half book on the thank-you page, half through the beacon, with the
    # deal's pipeline value
    if ($i % 2) {
        visit(ip => $ip, jar => \%jar, path => '/thank-you');
        new_records();
        next;
    }

    my $res = visit(ip => $ip, jar => \%jar,
                    path => '/icp/convert?goal=demo_booked&value='
                            . (5000 + 250 * ($i % 40)));
    my ($conv) = new_records();
    if (!$beacon_shown++ && $conv) {
        print "\n== the conversion beacon: GET /icp/convert?goal=demo_booked"
            . "&value=... answered $res->{status}, recorded goal "
            . "$conv->{goal}, value $conv->{value}\n";
    }
}

print "\n== $n simulated mid-market marketers from the LinkedIn ABM "
    . "campaign, some of whom booked a demo\n\n";

stop_all();

# --- the report -----------------------------------------------------------

make_path($out_dir);
run("$root/build/bin/icp-report", "$tmp/icp.log");
run("$root/build/bin/icp-report --format html $tmp/icp.log "
    . "> $out_dir/report.html");
system('cp', "$tmp/icp.log", "$out_dir/icp.log");

print "\nHTML report: $out_dir/report.html\n";
print "Log records: $out_dir/icp.log\n";
print "Everything the demo started has been stopped.\n";
