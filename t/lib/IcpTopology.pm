package IcpTopology;

# A scaled-out site on loopback: one Redis primary, replicas of it, Redis
# Sentinels watching it, and nginx edges that each read a replica first
# and the primary as the fallback (docs/scaling.md is the same setup).
# Everything runs from a temp dir on free ports and is stopped by pid.
#
#   my $top = IcpTopology->new(replicas => 2, sentinels => 3);
#   $top->wait_ready;                  # replicas synced, Sentinels met
#   my $edge = $top->edge(0, $server); # IcpTest on replica 0, then primary
#   $top->master_port;                 # the primary Sentinel names
#
# Placeholders in an edge's config, besides IcpTest's: %%REPLICA%% (its
# replica), %%PRIMARY%% (the primary at the start).

use strict;
use warnings;

use File::Path qw(remove_tree);
use File::Temp qw(tempdir);
use Time::HiRes qw(sleep time);
use IcpTest;

our $MASTER = 'icp';

# short Sentinel timings: a failover takes seconds, not the default minute
our $DOWN_AFTER_MS = 1000;
our $FAILOVER_TIMEOUT_MS = 5000;

my @live;

sub new {
    my ($class, %opt) = @_;
    my $self = bless { tmp => tempdir('icp-topo-XXXXXX', TMPDIR => 1),
                       edges => [], replicas => [], sentinels => [] },
        $class;
    my $n_replicas = $opt{replicas} // 2;
    my $n_sentinels = $opt{sentinels} // 3;

    push @live, $self;

    # a replica syncs at once: no 5 s wait for more replicas to join
    my @sync = ('--repl-diskless-sync', 'yes',
                '--repl-diskless-sync-delay', '0');

    $self->{primary} = IcpTest::Redis->start($self->{tmp}, name => 'primary',
                                             args => \@sync);
    my $p = $self->{primary}->port;
    $self->{primary_port} = $p;

    for my $i (0 .. $n_replicas - 1) {
        push @{ $self->{replicas} }, IcpTest::Redis->start($self->{tmp},
            name => "replica$i",
            args => [@sync, '--replicaof', '127.0.0.1', $p]);
    }

    for my $i (0 .. $n_sentinels - 1) {
        my $quorum = int($n_sentinels / 2) + 1;
        my $conf = "$self->{tmp}/sentinel$i.conf";
        open my $fh, '>', $conf or die "$conf: $!";
        print $fh <<"EOF";
sentinel monitor $MASTER 127.0.0.1 $p $quorum
sentinel down-after-milliseconds $MASTER $DOWN_AFTER_MS
sentinel failover-timeout $MASTER $FAILOVER_TIMEOUT_MS
sentinel parallel-syncs $MASTER 1
EOF
        close $fh;
        push @{ $self->{sentinels} }, IcpTest::Redis->start($self->{tmp},
            name => "sentinel$i", conf => $conf, args => ['--sentinel']);
    }

    return $self;
}

sub tmp       { $_[0]{tmp} }
sub primary   { $_[0]{primary} }
sub replicas  { @{ $_[0]{replicas} } }
sub replica   { $_[0]{replicas}[$_[1]] }
sub sentinels { @{ $_[0]{sentinels} } }
sub edges     { @{ $_[0]{edges} } }

# every node, the primary first
sub nodes { ($_[0]{primary}, @{ $_[0]{replicas} }) }

# "HOST:PORT" of each Sentinel
sub sentinel_addrs { map { '127.0.0.1:' . $_->port } $_[0]->sentinels }

# field => value of a redis-cli reply that lists them one a line
sub fields {
    my ($node, @cmd) = @_;
    my @lines = split /\r?\n/, $node->cli(@cmd) // '';
    my %f;
    $f{ $lines[$_] } = $lines[$_ + 1] for grep { !($_ % 2) } 0 .. $#lines - 1;
    return %f;
}

# INFO replication of a node: field => value
sub replication {
    my ($node) = @_;
    my %info = map { /^(\w+):(.*?)\r?$/ ? ($1, $2) : () }
               split /\n/, $node->cli('INFO', 'replication') // '';
    return %info;
}

# What a Sentinel knows of the master: its fields (ip, port, flags,
# num-slaves, num-other-sentinels, ...).
sub sentinel_master {
    my ($self, $i) = @_;
    return fields($self->{sentinels}[$i // 0], 'SENTINEL', 'MASTER', $MASTER);
}

# The port of the primary that Sentinel names (undef when it does not
# answer).
sub master_port {
    my ($self, $i) = @_;
    my $out = $self->{sentinels}[$i // 0]
                  ->cli('SENTINEL', 'get-master-addr-by-name', $MASTER) // '';
    return $out =~ /^\S+\n(\d+)/ ? $1 : undef;
}

# The node (an IcpTest::Redis) listening on a port.
sub node_on {
    my ($self, $port) = @_;
    my ($n) = grep { $_->port == $port } $self->nodes;
    return $n;
}

# Until every replica has synced and every Sentinel knows them all and
# the other Sentinels; dies after $secs.
sub wait_ready {
    my ($self, $secs) = @_;
    my $deadline = time + ($secs // 20);
    my $others = @{ $self->{sentinels} } - 1;
    my $replicas = @{ $self->{replicas} };

    while (time < $deadline) {
        my $synced = grep { my %r = replication($_);
                            ($r{master_link_status} // '') eq 'up' }
                     $self->replicas;
        my $met = grep { my %m = $self->sentinel_master($_);
                         ($m{'num-slaves'} // 0) == $replicas
                         && ($m{'num-other-sentinels'} // 0) == $others }
                  0 .. $#{ $self->{sentinels} };
        return 1 if $synced == $replicas && $met == @{ $self->{sentinels} };
        sleep 0.1;
    }
    die "topology not ready in time\n";
}

# Until Sentinel has finished a failover away from $old_port: returns the
# new primary's port, or undef after $secs.
sub wait_failover {
    my ($self, $old_port, $secs) = @_;
    my $deadline = time + $secs;
    while (time < $deadline) {
        my %m = $self->sentinel_master;
        return $m{port}
            if ($m{port} // $old_port) != $old_port
               && ($m{flags} // '') eq 'master';
        sleep 0.05;
    }
    return undef;
}

# Starts nginx edge $i: an IcpTest with no Redis of its own, reading
# replica $i, then the primary.
sub edge {
    my ($self, $i, $http, %opt) = @_;
    my $t = IcpTest->new(redis => 0);
    my $replica = '127.0.0.1:' . $self->{replicas}[$i]->port;
    my $primary = "127.0.0.1:$self->{primary_port}";
    $http =~ s/%%REPLICA%%/$replica/g;
    $http =~ s/%%PRIMARY%%/$primary/g;
    $self->{edges}[$i] = $t;
    my $setup = delete $opt{setup};
    $setup->($t) if $setup;
    $t->start($http, %opt);
    return $t;
}

# Stops the edges (each asserting a clean error log), then every Redis
# and Sentinel.
sub stop {
    my ($self) = @_;
    return if $self->{stopped}++;
    $_->stop for grep { defined } $self->edges;
    $self->stop_nodes;
}

sub stop_nodes {
    my ($self) = @_;
    $_->stop for grep { defined } $self->sentinels, $self->nodes;
    remove_tree($self->{tmp}) unless $ENV{ICP_KEEP};
}

sub DESTROY { $_[0]->stop_quietly }

sub stop_quietly {
    my ($self) = @_;
    return if $self->{stopped}++;
    $_->stop_quietly for grep { defined } $self->edges;
    $self->stop_nodes;
}

END { $_->stop_quietly for @live }

1;
