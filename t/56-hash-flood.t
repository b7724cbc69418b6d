# Hash flooding of the lookup cache: contact ids chosen to share one
# hash must cost the worker no more than random ones.  Under a fixed-seed
# MurmurHash2 (nginx's ngx_murmur_hash2, which the cache once used) the
# ids below come in groups of 8,192 that hash alike whatever the key's
# prefix, so each group fills one chain that every insert and lookup of
# it walks.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use IO::Select;
use IO::Socket::INET;
use POSIX qw(sysconf _SC_CLK_TCK);
use IcpTest;

plan skip_all => 'under valgrind the CPU time is valgrind\'s'
    if $IcpTest::VALGRIND;

my $M = 0x5bd1e995;

# the low 32 bits of a product of two 32-bit numbers, in halves so that
# no partial product needs more than 49 bits
sub mul32 {
    my ($a, $b) = @_;
    return ($a * ($b & 0xffff) + ((($a * ($b >> 16)) & 0xffff) << 16))
           & 0xffffffff;
}

# MurmurHash2's step on one 4-byte block, and its inverse
sub mix {
    my $k = mul32($_[0], $M);
    return mul32($k ^ ($k >> 24), $M);
}

my $M_INV = $M;                 # Newton's iteration: 5 steps give 32 bits
$M_INV = mul32($M_INV, (2 - mul32($M, $M_INV)) & 0xffffffff)
    for 1 .. 5;

sub unmix {
    my $k = mul32($_[0], $M_INV);
    return mul32($k ^ ($k >> 24), $M_INV);
}

sub murmur2 {
    my ($s) = @_;
    my $len = length $s;
    my $h = $len;
    my $i = 0;

    for (; $i + 4 <= $len; $i += 4) {
        $h = mul32($h, $M) ^ mix(unpack 'V', substr($s, $i, 4));
    }

    my @tail = unpack 'C*', substr($s, $i);
    if (@tail) {
        $h ^= $tail[2] << 16 if @tail > 2;
        $h ^= $tail[1] << 8 if @tail > 1;
        $h = mul32($h ^ $tail[0], $M);
    }

    $h = mul32($h ^ ($h >> 13), $M);
    return $h ^ ($h >> 15);
}

# values of nginx's own ngx_murmur_hash2, compiled from its source:
# every tail length, and bytes with the top bit set
my %nginx = (
    '' => 0x00000000, 'a' => 0x92685f5e, 'ab' => 0x1aa14063,
    'abc' => 0x13577c9b, 'abcd' => 0x26873021, '0123abcd9' => 0xa8ea98ae,
    "\xff\xfe\xfd\xfc\xfb\xfa\xf9" => 0xf56e298f,
    'The quick brown fox jumps over the lazy dog' => 0x212729d0,
);
is_deeply({ map { $_ => sprintf '%08x', murmur2($_) } keys %nginx },
          { map { $_ => sprintf '%08x', $nginx{$_} } keys %nginx },
          "this MurmurHash2 is nginx's");

ok(unmix(mix(0xdeadbeef)) == 0xdeadbeef && mul32($M, $M_INV) == 1,
   'the block step is inverted');

# Blocks whose step differs from their partner's in the top bit only:
# the state times M (odd) differs in that bit too, so a second such pair
# puts it back.  Two pairs make a slot of 8 bytes, taken as (a, b) or as
# (a', b'); 13 slots give 8,192 ids of one hash.  A block and its partner
# differ by one of two constants, which take bytes 0, 2 and 3 out of the
# ASCII letters and digits, so the ids have raw bytes of 0x80 and up too:
# nginx passes them into $arg_cid as they are.

srand 56;

my @bytes = ('a' .. 'z', 'A' .. 'Z', '0' .. '9', map { chr } 0x80 .. 0xff);
sub id_bytes { join '', map { $bytes[rand @bytes] } 1 .. $_[0] }

my (@pairs, %seen);
while (@pairs < 26) {
    my $block = id_bytes(4);
    my $mate = pack 'V', unmix(mix(unpack 'V', $block) ^ 0x80000000);
    next unless $mate =~ /\A[a-zA-Z0-9\x80-\xff]{4}\z/ && !$seen{$block}++;
    push @pairs, [$block, $mate];
}

my @tails = ('');
for my $slot (0 .. 12) {
    my ($p, $q) = @pairs[2 * $slot, 2 * $slot + 1];
    @tails = map { ($_ . $p->[0] . $q->[0], $_ . $p->[1] . $q->[1]) } @tails;
}

# The cache key is "FIELDSID|||contact:" and the id: 19 bytes, so a byte
# more puts the slots on MurmurHash2's blocks.  That byte makes 4 groups
# of 8,192 (an insert measures only for an id new to the zone), sent in
# sets of 4,096 taking turns with random ones.
my @groups = map { my $pad = $_; [map { "$pad$_" } @tails] } 'a' .. 'd';
my @flood = map { [@$_[0 .. 4095]], [@$_[4096 .. 8191]] } @groups;

# the same bytes at random, as long
my @random = map { [map { id_bytes(105) } 1 .. 4096] } 1 .. 8;

is(scalar(keys %{{ map { $_ => 1 } @tails }}), 8192, '8,192 distinct ids');

for my $prefix ('0123abcd|||contact:', 'ffffffff|||contact:') {
    my %h = map { murmur2("$prefix$_") => 1 } @{ $groups[0] };
    is(scalar(keys %h), 1, "... of one MurmurHash2 after \"$prefix\"");
}

is_deeply([map { my $group = $_; scalar(keys %{{
               map { murmur2("0123abcd|||contact:$_") => 1 } @$group }}) }
           @groups[1 .. 3]],
          [1, 1, 1], '... whatever byte comes first');

my %h = map { murmur2("0123abcd|||contact:$_") => 1 } @{ $random[0] };
cmp_ok(scalar(keys %h), '>', 4090, 'random ids: about as many hashes');

# the worker's CPU time so far, in clock ticks
sub worker_cpu {
    my ($t) = @_;
    my ($pid) = $t->worker_pids;
    open my $fh, '<', "/proc/$pid/stat" or die "/proc/$pid/stat: $!";
    my @f = split ' ', (<$fh> =~ /\)\s(.*)/)[0];
    return $f[11] + $f[12];     # utime, stime: fields 14 and 15
}

# GETs /?cid= for each id, on 8 connections at once with up to 16 requests
# pipelined on each: the worker's Redis replies come in batches, as under
# load, and the worker seldom waits for this client.  Counts the
# responses by "status $icp_cache" in $seen.
sub get_all {
    my ($t, $ids, $seen) = @_;
    my $sel = IO::Select->new;
    my %conn;

    for my $c (0 .. 7) {
        my $s = IO::Socket::INET->new(PeerAddr => '127.0.0.1:' . $t->port)
            or die "connect: $!";
        binmode $s;
        $conn{fileno $s} = { s => $s, buf => '', out => 0,
            ids => [@$ids[grep { $_ % 8 == $c } 0 .. $#$ids]] };
        $sel->add($s);
        send_more($conn{fileno $s});
    }

    while ($sel->count) {
        my @ready = $sel->can_read(10) or die "no response in 10 s";
        for my $s (@ready) {
            my $c = $conn{fileno $s};
            sysread($s, $c->{buf}, 65536, length $c->{buf})
                or die "read: $!";

            while ((my $end = index $c->{buf}, "\r\n\r\n") >= 0) {
                my $head = substr $c->{buf}, 0, $end;
                my ($len) = $head =~ /\r\nContent-Length: (\d+)/i;
                $len = $end + 4 + ($len // 0);
                last if length $c->{buf} < $len;
                my ($status) = $head =~ m{\AHTTP/1\.1 (\d+)};
                my ($cache) = $head =~ /\r\nX-Cache: (\S*)/i;
                $seen->{ ($status // '?') . ' ' . ($cache // '') }++;
                substr($c->{buf}, 0, $len) = '';
                $c->{out}--;
            }

            send_more($c);

            if (!$c->{out}) {
                $sel->remove($s);
                close $s;
            }
        }
    }
}

sub send_more {
    my ($c) = @_;
    my $req = '';
    while (@{ $c->{ids} } && $c->{out} < 16) {
        $req .= "GET /?cid=" . shift(@{ $c->{ids} })
                . " HTTP/1.1\r\nHost: t\r\n\r\n";
        $c->{out}++;
    }
    return unless length $req;
    syswrite($c->{s}, $req) == length $req or die "write: $!";
}

# the request around the lookup is kept cheap (no cookie, no file to
# open) so that the cache's share of the worker's time shows
my $conf = <<'EOF';
icp_redis %%REDIS%%;
icp_cache zone=icp:16m negative_ttl=10m;

server {
    listen %%PORT%%;
    keepalive_requests 1000000;
    icp_rules %%RULES%%/site.rules;
    add_header X-Cache $icp_cache always;

    location = / {
        icp on;
        icp_route off;
        icp_consent $arg_consent;
        icp_lookup contact=$arg_cid;
        empty_gif;
    }
}
EOF

# Two servers side by side, one per kind of id, taking turns set by set:
# a change in the machine's load (other tests, other jobs) then weighs on
# both alike.  Each round starts both afresh, with empty zones.
my %t = map { $_ => IcpTest->new } qw(random colliding);
my %ids = (random => \@random, colliding => \@flood);
$_->write_enterprise_site for values %t;

my $LOOKUPS = 4;
my $TICK = sysconf(_SC_CLK_TCK);
my (%cpu, %seen_by);

# get_all() of set $i on each server in turn, adding up each one's CPU;
# which goes first alternates
sub turns {
    my ($phase, $i) = @_;
    for my $kind ($i % 2 ? qw(colliding random) : qw(random colliding)) {
        my $cpu = worker_cpu($t{$kind});
        get_all($t{$kind}, $ids{$kind}[$i], $seen_by{$kind}{$phase} //= {});
        $cpu{$kind}{$phase} += worker_cpu($t{$kind}) - $cpu;
    }
}

for my $round (1 .. 2) {
    $_->start($conf) for values %t;
    turns(inserts => $_) for 0 .. 7;
    for (1 .. $LOOKUPS) {
        turns(lookups => $_) for 0 .. 7;
    }
    $_->stop_nginx for values %t;
}

for my $kind (qw(random colliding)) {
    is_deeply($seen_by{$kind},
              { inserts => { '200 MISS' => 2 * 8 * 4096 },
                lookups => { '200 HIT' => 2 * $LOOKUPS * 8 * 4096 } },
              "$kind ids: all 200, a miss each, then hits");
}

for my $phase (qw(inserts lookups)) {
    my ($c, $r) = ($cpu{colliding}{$phase}, $cpu{random}{$phase});
    my $ratio = $c / ($r || 1);
    diag(sprintf '%s: colliding %d ticks (%d ms), random %d ticks (%d ms), '
         . 'ratio %.2f', $phase, $c, 1000 * $c / $TICK, $r, 1000 * $r / $TICK,
         $ratio);
    cmp_ok($ratio, '<', 1.5, "$phase: colliding ids within 1.5x of random");
}

$_->stop for values %t;
done_testing;
