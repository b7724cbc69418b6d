#!/usr/bin/perl
# icp-load --sentinel against a stand-in Sentinel whose answers the test
# scripts: Sentinels tried in order, a primary that is down or has become
# a replica (READONLY) at the start, a connection lost in the middle of a
# load (every row lands, once), and the answers that end a load at once
# (an unknown master name, a server that is no Sentinel).  The real
# failover, with real Sentinels, is t/70-failover.t.

use strict;
use warnings;

use File::Temp qw(tempdir);
use IO::Socket::INET;
use POSIX qw(_exit);
use Test::More;
use Time::HiRes qw(sleep time);

use lib 't/lib';
use IcpTest;

my $bin = "$IcpTest::ROOT/" . ($ENV{BUILD} // 'build') . '/bin/icp-load';
plan skip_all => "$bin not built (make tools)" unless -x $bin;

my $dir = tempdir('icp-load-sentinel-XXXXXX', TMPDIR => 1, CLEANUP => 1);
my $primary = IcpTest::Redis->start($dir, name => 'primary');
my $replica = IcpTest::Redis->start($dir, name => 'replica',
    args => ['--replicaof', '127.0.0.1', $primary->port]);
my $fake;

END {
    kill 'KILL', $fake if $fake;
    waitpid $fake, 0 if $fake;
    $_->stop for grep { defined } $replica, $primary;
}

my $P = '127.0.0.1:' . $primary->port;
my $DEAD = '127.0.0.1:' . IcpTest::free_port();


# --- the stand-in Sentinel ------------------------------------------------
#
# Answers every command with the next line of $dir/answers, the last one
# again and again; rewriting the file starts from its first line.  A line
# is "HOST PORT", "nil" or an error reply ("-ERR ...").

sub answers {
    open my $fh, '>', "$dir/answers.new" or die "answers: $!";
    print $fh map { "$_\n" } @_;
    close $fh;
    rename "$dir/answers.new", "$dir/answers" or die "answers: $!";
}

sub read_command {
    my ($c) = @_;
    my $head = <$c> // return;
    my ($n) = $head =~ /^\*(\d+)/ or return;
    my @args;
    for (1 .. $n) {
        my ($len) = (<$c> // '') =~ /^\$(\d+)/ or return;
        read($c, my $arg, $len + 2) == $len + 2 or return;
        push @args, substr($arg, 0, $len);
    }
    return \@args;
}

sub fake_sentinel {
    my $listen = IO::Socket::INET->new(Listen => 16, LocalAddr => '127.0.0.1',
                                       LocalPort => 0, ReuseAddr => 1)
        or die "listen: $!";
    my $port = $listen->sockport;
    my $pid = fork // die "fork: $!";
    return ($pid, "127.0.0.1:$port") if $pid;

    my ($seen, $i) = ('', 0);
    while (my $c = $listen->accept) {
        while (my $cmd = read_command($c)) {
            open my $fh, '<', "$dir/answers" or _exit(1);
            my $text = do { local $/; <$fh> };
            ($seen, $i) = ($text, 0) if $text ne $seen;
            my @lines = split /\n/, $text;
            my $a = $lines[ $i < $#lines ? $i++ : $#lines ];
            open my $log, '>>', "$dir/asked" or _exit(1);
            print $log "@$cmd\n";
            close $log;
            if ($a eq 'nil') {
                print $c "*-1\r\n";
            } elsif ($a =~ /^-/) {
                print $c "$a\r\n";
            } else {
                my ($host, $p) = split / /, $a;
                printf $c "*2\r\n\$%d\r\n%s\r\n\$%d\r\n%s\r\n",
                    length $host, $host, length $p, $p;
            }
            $c->flush;
        }
        close $c;
    }
    _exit(0);
}

answers('127.0.0.1 ' . $primary->port);
(my $sentinel_pid, my $S) = fake_sentinel();
$fake = $sentinel_pid;


# --- helpers ---------------------------------------------------------------

sub slurp {
    my ($path) = @_;
    open my $fh, '<', $path or return '';
    local $/;
    return scalar <$fh>;
}

# CSV rows of $n networks, 172.16.0.0/24 upwards, starting at $from; the
# note makes a row long enough that standard input is read in several
# blocks (icp-load reads 256 KB at a time)
my $HEADER = "cidr,company,employees,note\n";
my $NOTE = 'x' x 200;

sub networks {
    my ($from, $n) = @_;
    return map { my $k = $from + $_;
                 sprintf "172.%d.%d.0/24,Net %d,%d,%s\n", 16 + ($k >> 8),
                     $k & 255, $k, 100 + $k % 7, $NOTE }
           0 .. $n - 1;
}

sub csv {
    my ($name, @lines) = @_;
    open my $fh, '>', "$dir/$name" or die "$name: $!";
    print $fh $HEADER, @lines;
    close $fh;
    return "$dir/$name";
}

# Runs icp-load; returns (exit status, standard error, seconds taken).
sub load {
    my (@args) = @_;
    my $start = time;
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        open STDOUT, '>', "$dir/out" or _exit(99);
        open STDERR, '>', "$dir/err" or _exit(99);
        exec $bin, @args or _exit(99);
    }
    waitpid $pid, 0;
    return ($? >> 8, slurp("$dir/err"), time - $start);
}

sub nets_in {
    my ($node) = @_;
    my $out = $node->cli('EVAL',
        "return #redis.call('KEYS', 'icp:net:172.*')", 0) // '';
    return $out =~ /(\d+)/ ? $1 : -1;
}

sub reset_primary { $primary->cli('FLUSHALL') }

my $small = csv('small.csv', networks(0, 3));


# --- Sentinels in order; the primary's address from the first that answers

my ($rc, $err) = load('--sentinel', $DEAD, '--sentinel', $S,
                      '--master', 'icp', $small);
is $rc, 0, 'first Sentinel down, second answers: exit 0';
like $err, qr/Sentinel \Q$DEAD\E: Connection refused/,
    '... the Sentinel that is down is named';
like $err, qr/the primary of "icp" is \Q$P\E \(Sentinel \Q$S\E\)/,
    '... and the primary it was given';
is $primary->cli('HGET', 'icp:net:172.16.0.0/24', 'company'), "Net 0\n",
    '... the rows are on the primary';
like slurp("$dir/asked"), qr/^SENTINEL get-master-addr-by-name icp$/m,
    '... asked with SENTINEL get-master-addr-by-name';


# --- the named server has become a replica: READONLY, ask again ----------

reset_primary();
answers('127.0.0.1 ' . $replica->port, '127.0.0.1 ' . $primary->port);
($rc, $err) = load('--sentinel', $S, '--master', 'icp', $small);
is $rc, 0, 'Sentinel names a replica first: exit 0';
like $err, qr/READONLY.*asking Sentinel again/,
    '... the READONLY reply sends it back to Sentinel';
like $err, qr/is \Q$P\E /, '... which names the primary';
is nets_in($primary), 3, '... where every row lands';
like $err, qr/0 redis errors/, '... READONLY is no error of a row';


# --- the named primary is down at the start ------------------------------

reset_primary();
answers("127.0.0.1 " . (split /:/, $DEAD)[1], '127.0.0.1 ' . $primary->port);
($rc, $err) = load('--sentinel', $S, '--master', 'icp', $small);
is $rc, 0, 'the primary Sentinel names is down: exit 0';
like $err, qr/cannot connect to redis at \Q$DEAD\E.*asking Sentinel again/,
    '... it asks again';
is nets_in($primary), 3, '... and loads into the next one named';


# --- the connection is lost in the middle of a load ----------------------
#
# Rows go in through standard input, half before the connection is
# killed and half after: the batches nobody answered are sent again.

reset_primary();
answers('127.0.0.1 ' . $primary->port);
my $total = 5000;
open my $in, '|-', "exec $bin --sentinel $S --master icp - "
                   . ">$dir/out 2>$dir/err"
    or die "icp-load: $!";
print $in $HEADER, networks(0, $total / 2);
$in->flush;
my $deadline = time + 10;
sleep 0.05 while nets_in($primary) < 2000 && time < $deadline;
cmp_ok nets_in($primary), '>=', 2000, 'half a load sent';
like $primary->cli('CLIENT', 'KILL', 'TYPE', 'normal'), qr/^[1-9]/,
    '... its connection killed';
print $in networks($total / 2, $total / 2);
close $in;
$rc = $? >> 8;
$err = slurp("$dir/err");
is $rc, 0, 'connection lost in the middle: exit 0';
like $err, qr/redis: .*; asking Sentinel again/, '... it asked again';
note $err;
is nets_in($primary), $total, "... all $total rows are there";
is $primary->cli('HGET', 'icp:net:172.35.0.0/24', 'company'),
    "Net 4864\n", '... with their fields';
like $err, qr/5000 rows read, 0 skipped; keys written: 0 ip, 5000 net/,
    '... and the summary counts each row once';


# --- answers that end a load at once --------------------------------------

answers('nil');
($rc, $err, my $took) = load('--sentinel', $S, '--master', 'nosuch', $small);
is $rc, 1, 'an unknown master name: exit 1';
like $err, qr/no master named "nosuch"/, '... says so';
cmp_ok $took, '<', 2, '... at once';

($rc, $err, $took) = load('--sentinel', $P, '--master', 'icp', $small);
is $rc, 1, 'a Redis that is no Sentinel: exit 1';
like $err, qr/Sentinel \Q$P\E: ERR unknown command/, '... says so';
cmp_ok $took, '<', 2, '... at once';


# --- usage -----------------------------------------------------------------

($rc, $err) = load('--sentinel', $S, $small);
is $rc, 2, '--sentinel without --master: usage error';
like $err, qr/--sentinel and --master go together/, '... says so';
($rc, $err) = load('--redis', $P, '--sentinel', $S, '--master', 'icp',
                   $small);
is $rc, 2, '--redis and --sentinel: usage error';
($rc) = load('--master', 'icp', $small);
is $rc, 2, '--master alone: usage error';

done_testing;
