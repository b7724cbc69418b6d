#!/usr/bin/perl
# The Lua comparator's correctness check: the same N visitors sent to the
# module's nginx and to the Lua one, twice each (a first visit with UTM
# parameters, then a return with the context cookie each server gave,
# half of them with new parameters), and the two servers' answers and
# records compared: the context cookie byte for byte (visit count, UTM
# set, assignments, HMAC) and in the records segment, persona, score,
# route, experiment, variant, "new", the UTM set, the firmographic fields
# and the cache status.  Visitors come with a visitor id of their own, so
# assignments are comparable: known addresses (a company in Redis),
# unknown ones in 10.0.0.0/10 (a /24 or /16 record) and addresses Redis
# knows nothing of; Host varies, for the rules on $host.
#
# usage: perl check.pl MODULE_URL LUA_URL MODULE_LOG LUA_LOG [N]
# Prints one line and exits 0 when every one agrees; else the first
# differences, and 1.
use strict;
use warnings;
use IO::Socket::INET;
use JSON::PP;
use MIME::Base64 qw(encode_base64url);

my ($murl, $lurl, $mlog, $llog, $n) = @ARGV;
die "usage: $0 MODULE_URL LUA_URL MODULE_LOG LUA_LOG [N]\n"
    unless defined $llog;
$n //= 1000;
die "N: 1 to 10000\n" unless $n =~ /^[1-9][0-9]*$/ && $n <= 10000;

srand(22);

my @sources = qw(linkedin google bing facebook twitter newsletter g2
    capterra reddit);
my @mediums = qw(cpc paid_social email organic referral display);
my @campaigns = qw(abm-demand-2025 brand-q4-2026 webinar-launch
    retarget-smb-2024 devops-trial-2026 pricing-promo enterprise-abm-2026
    test-q1);
my @terms = ('crm', 'marketing+automation', 'devops+platform', 'sre+tools',
    'lead+scoring', 'kubernetes+cost', 'email+marketing', 'attribution');
my @clicks = qw(gclid fbclid msclkid li_fat_id);
my @hosts = qw(www.example.com example.de go.example.com example.co.uk);

sub pick { return $_[int(rand(@_))]; }

sub query {
    my $q = "utm_source=" . pick(@sources) . "&utm_medium=" . pick(@mediums)
            . "&utm_campaign=" . pick(@campaigns);
    $q .= "&utm_term=" . pick(@terms) if rand() < 0.5;
    $q .= "&" . pick(@clicks) . "=Cj0KCQiA" . int(rand(1e6)) if rand() < 0.3;
    return $q;
}

# a visitor id as the module makes them: 128 bits, base64url
sub vid {
    my $b = join '', map { chr(int(rand(256))) } 1 .. 16;
    return encode_base64url($b);
}

# GET over a connection of its own; returns the status and the value of
# the icp_vid_ctx cookie set
sub get {
    my ($url, $path, $addr, $host, $cookie) = @_;
    my ($hp) = $url =~ m{^http://([^/]+)} or die "$url: not http://\n";
    my $s = IO::Socket::INET->new(PeerAddr => $hp, Timeout => 5)
        or die "$hp: $!\n";
    print $s "GET $path HTTP/1.1\r\nHost: $host\r\n"
             . "X-Forwarded-For: $addr\r\nCookie: $cookie\r\n"
             . "Connection: close\r\n\r\n";
    my $head = '';
    while (my $line = <$s>) {
        last if $line eq "\r\n";
        $head .= $line;
    }
    close $s;
    my ($status) = $head =~ m{^HTTP/1\.\d (\d+)};
    my ($ctx) = $head =~ /^Set-Cookie: icp_vid_ctx=([^;\r]*)/mi;
    return ($status // 0, $ctx // '');
}

# the records appended to FILE since offset $$pos, by visitor id
sub records {
    my ($file, $pos) = @_;
    my %by;
    open my $fh, '<', $file or die "$file: $!\n";
    seek $fh, $$pos, 0;
    while (my $line = <$fh>) {
        my $r = decode_json($line);
        $by{$r->{vid}} = $r;
    }
    $$pos = tell $fh;
    close $fh;
    return \%by;
}

my @fields = qw(seg per score route exp var new cache ip);
my @diff;
my $compared = 0;
my %cover;

sub compare {
    my ($what, $m, $l) = @_;
    return push @diff, "$what: no record of the module" unless $m;
    return push @diff, "$what: no record of the Lua version" unless $l;
    my @d;
    for my $f (@fields) {
        my ($a, $b) = ($m->{$f} // '', $l->{$f} // '');
        push @d, "$f $a/$b" if "$a" ne "$b";
    }
    for my $k (qw(source medium campaign term content)) {
        my ($a, $b) = ($m->{utm}{$k} // '', $l->{utm}{$k} // '');
        push @d, "utm.$k $a/$b" if $a ne $b;
    }
    for my $k (keys %{$l->{firmo}}) {
        my ($a, $b) = ($m->{firmo}{$k} // '', $l->{firmo}{$k});
        push @d, "firmo.$k $a/$b" if $a ne $b;
    }
    push @diff, "$what: " . join(', ', @d) if @d;
    $cover{$_}{$m->{$_}}++ for qw(seg per);
    $cover{var}{"$m->{route} $m->{var}"}++;
    $compared++;
}

my @visitors;
for my $i (0 .. $n - 1) {
    my $r = rand();
    my $addr = $r < 0.6
        ? sprintf("10.%d.%d.%d", $i % 64, int($i / 64) % 40, 1 + int($i / 2560))
        : $r < 0.9
        ? sprintf("10.%d.%d.%d", int(rand(64)), int(rand(60)), 100 + $i % 150)
        : sprintf("192.168.%d.%d", int($i / 250), 1 + $i % 250);
    push @visitors, { addr => $addr, vid => vid(), host => pick(@hosts) };
}

my ($mpos, $lpos) = (-s $mlog // 0, -s $llog // 0);

for my $visit (1, 2) {
    for my $v (@visitors) {
        my $q = $visit == 1 || rand() < 0.5 ? '/?' . query() : '/';
        my %ctx;
        for my $s (['m', $murl], ['l', $lurl]) {
            my $cookie = "icp_vid=$v->{vid}";
            $cookie .= "; icp_vid_ctx=$v->{ctx}{$s->[0]}" if $visit == 2;
            my ($status, $c) = get($s->[1], $q, $v->{addr}, $v->{host},
                                   $cookie);
            push @diff, "visit $visit of $v->{addr}: $s->[0] answered $status"
                unless $status == 200;
            $ctx{$s->[0]} = $c;
        }
        push @diff, "visit $visit of $v->{addr} $q: context cookie"
                    . " $ctx{m} / $ctx{l}"
            if $ctx{m} ne $ctx{l};
        $v->{ctx} = \%ctx;
    }
    # both logs flush every second
    sleep 2;
    my $m = records($mlog, \$mpos);
    my $l = records($llog, \$lpos);
    compare("visit $visit of $_->{addr}", $m->{$_->{vid}}, $l->{$_->{vid}})
        for @visitors;
}

if (@diff) {
    print "lua check: ", scalar(@diff), " differences in ", 2 * $n,
          " requests of $n visitors, the first:\n";
    print "  $_\n" for @diff[0 .. ($#diff < 9 ? $#diff : 9)];
    exit 1;
}
printf "lua check: %d visitors, %d requests: the module and Lua agree on"
       . " every context cookie and record (%d segments, %d personas,"
       . " %d variants)\n", $n, $compared, map { scalar keys %$_ }
       @cover{qw(seg per var)};
