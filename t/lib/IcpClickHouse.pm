package IcpClickHouse;

# Debian's clickhouse-server for a test, as IcpTest runs Redis: a temp dir
# holding a minimal config.xml and users.xml, data and logs; HTTP, native
# (TCP) and interserver ports free on loopback; the server stopped by its
# pid and the dir removed when the test ends, even when it dies.
#
#   my $ch = IcpClickHouse->start;
#   $ch->client('--multiquery', { in => 'tools/report/clickhouse.sql' });
#   $ch->query('SELECT count() FROM icp.log');      # over HTTP
#   $ch->url('icp');            # http://127.0.0.1:PORT/?database=icp

use strict;
use warnings;

use File::Path qw(remove_tree);
use File::Temp qw(tempdir);
use HTTP::Tiny;
use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);
use IcpTest;

our $SERVER = $ENV{ICP_CLICKHOUSE_SERVER} || '/usr/sbin/clickhouse-server';
our $CLIENT = $ENV{ICP_CLICKHOUSE_CLIENT} || '/usr/bin/clickhouse-client';

my @live;

sub start {
    my ($class) = @_;
    my $self = bless { dir => tempdir('icp-ch-XXXXXX', TMPDIR => 1),
                       http => IcpTest::free_port(),
                       tcp => IcpTest::free_port(),
                       inter => IcpTest::free_port(),
                       ua => HTTP::Tiny->new(timeout => 120,
                                             keep_alive => 0) }, $class;
    my $dir = $self->{dir};

    push @live, $self;
    mkdir "$dir/$_" for qw(data tmp schemas);

    # the caches small: a test's table is megabytes, and the defaults
    # (5 GB of marks) are sized for a dedicated server
    _write("$dir/config.xml", <<"EOF");
<yandex>
  <logger>
    <level>warning</level>
    <log>$dir/server.log</log>
    <errorlog>$dir/error.log</errorlog>
    <console>0</console>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$self->{http}</http_port>
  <tcp_port>$self->{tcp}</tcp_port>
  <interserver_http_port>$self->{inter}</interserver_http_port>
  <path>$dir/data/</path>
  <tmp_path>$dir/tmp/</tmp_path>
  <format_schema_path>$dir/schemas/</format_schema_path>
  <users_config>$dir/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>67108864</mark_cache_size>
  <uncompressed_cache_size>67108864</uncompressed_cache_size>
</yandex>
EOF

    _write("$dir/users.xml", <<'EOF');
<yandex>
  <profiles><default></default></profiles>
  <users>
    <default>
      <password></password>
      <networks><ip>127.0.0.1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas><default></default></quotas>
</yandex>
EOF

    my $pid = fork // die "fork: $!";

    if ($pid == 0) {
        open STDOUT, '>', "$dir/stdout.log";
        open STDERR, '>&', \*STDOUT;
        { exec $SERVER, "--config-file=$dir/config.xml" }
        # no END block in the child: it would remove the parent's dir
        POSIX::_exit(127);
    }

    $self->{pid} = $pid;

    my $deadline = time + 60;
    while (time < $deadline) {
        my $res = $self->{ua}->get("http://127.0.0.1:$self->{http}/ping");
        return $self if $res->{status} == 200;
        die "clickhouse-server exited at start: " . $self->log_tail . "\n"
            if waitpid($pid, WNOHANG) == $pid;
        sleep 0.1;
    }
    die "clickhouse-server did not answer on $self->{http}\n";
}

sub _write {
    my ($path, $text) = @_;
    open my $fh, '>', $path or die "$path: $!";
    print $fh $text;
    close $fh or die "$path: $!";
}

sub http_port { $_[0]{http} }
sub tcp_port  { $_[0]{tcp} }
sub pid       { $_[0]{pid} }

sub url {
    my ($self, $db) = @_;
    return "http://127.0.0.1:$self->{http}/" . ($db ? "?database=$db" : '');
}

sub log_tail {
    my ($self) = @_;
    open my $fh, '<', "$self->{dir}/stdout.log" or return '';
    my @l = <$fh>;
    return join '', grep { defined } @l[-5 .. -1];
}

# A query over HTTP; dies with the server's message unless it succeeds.
sub query {
    my ($self, $sql) = @_;
    my $res = $self->{ua}->post($self->url, { content => $sql });
    die "clickhouse: $res->{status}: $res->{content}\n"
        unless $res->{status} == 200;
    return $res->{content};
}

# clickhouse-client with these arguments, stdin from $opt->{in} (a file)
# or $opt->{cmd} (a shell command whose output it reads); dies if it
# fails.
sub client {
    my ($self, @args) = @_;
    my $opt = ref $args[-1] eq 'HASH' ? pop @args : {};
    my $cmd = join ' ', map { _sh($_) } $CLIENT, '--host', '127.0.0.1',
                                        '--port', $self->{tcp}, @args;

    $cmd = "$opt->{cmd} | $cmd" if $opt->{cmd};
    $cmd .= ' < ' . _sh($opt->{in}) if $opt->{in};

    open my $fh, '-|', 'bash', '-o', 'pipefail', '-c', $cmd
        or die "bash: $!";
    local $/;
    my $out = <$fh>;
    close $fh;
    die "clickhouse-client failed ($?): $cmd\n" if $?;
    return $out;
}

sub _sh {
    my ($s) = @_;
    $s =~ s/'/'\\''/g;
    return "'$s'";
}

sub stop {
    my ($self) = @_;
    my $pid = delete $self->{pid};

    if ($pid) {
        kill 'TERM', $pid;
        my $deadline = time + 15;
        while (time < $deadline) {
            last if waitpid($pid, WNOHANG) == $pid;
            sleep 0.05;
        }
        if (kill 0, $pid) {
            kill 'KILL', $pid;
            waitpid($pid, 0);
        }
    }

    remove_tree($self->{dir}) if $self->{dir} && !$ENV{ICP_KEEP};
    delete $self->{dir};
}

sub DESTROY { $_[0]->stop }

END { $_->stop for @live }

1;
