package IcpTest;

# The integration-test harness: per test file, a temp dir with a private
# redis-server and the Debian nginx running the built module, both on free
# loopback ports, both stopped and the dir removed when the test ends, even
# when it dies.
#
#   my $t = IcpTest->new;                      # starts redis-server
#   $t->write_file('html/lp/a.html', "A\n");
#   $t->start(<<'EOF');                        # inside http { }
#   server { listen %%PORT%%; root %%ROOT%%; location / { icp on; ... } }
#   EOF
#   my $res = $t->get('/?utm_source=x', 'X-Forwarded-For' => '192.0.2.7');
#
# Placeholders in configs: %%PORT%% (nginx's port), %%REDIS%% (host:port
# of the redis-server), %%TMP%% (the temp dir), %%ROOT%% (TMP/html),
# %%RULES%% (TMP/rules).  With ICP_VALGRIND=1 nginx runs under valgrind
# memcheck (master_process off) and any error or definite leak fails.

use strict;
use warnings;
use JSON::PP ();

use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Path qw(make_path remove_tree);
use File::Temp qw(tempdir);
use HTTP::Tiny;
use IO::Socket::INET;
use POSIX qw(WNOHANG);
use Test::More;
use Time::HiRes qw(sleep time);

our $ROOT = abs_path(dirname(__FILE__) . '/../..');
our $MODULE = $ENV{ICP_MODULE} || "$ROOT/build/ngx_http_icp_module.so";
our $NGINX = $ENV{ICP_NGINX} || '/usr/sbin/nginx';
our $VALGRIND = $ENV{ICP_VALGRIND};

my @live;

sub new {
    my ($class, %opt) = @_;

    die "module not built: $MODULE (run make)\n" unless -f $MODULE;

    my $self = bless {
        tmp  => tempdir('icp-test-XXXXXX', TMPDIR => 1),
        port => free_port(),
        http => HTTP::Tiny->new(max_redirect => 0, timeout => 10,
                                keep_alive => 0),
    }, $class;

    # workers run as nobody when the master is root: they must read it
    chmod 0755, $self->{tmp};
    make_path("$self->{tmp}/$_") for qw(html rules logs temp);

    push @live, $self;

    $self->{redis} = IcpTest::Redis->start($self->{tmp})
        unless defined $opt{redis} && !$opt{redis};

    return $self;
}

sub abs_root { $ROOT }

sub tmp   { $_[0]{tmp} }
sub port  { $_[0]{port} }
sub redis { $_[0]{redis} }

# An instant (ms since 1970) as ISO 8601 at a UTC offset of off minutes,
# as log records from servers in several time zones carry it.
sub iso {
    my ($ms, $off) = @_;
    my @g = gmtime(POSIX::floor($ms / 1000) + $off * 60);
    my $s = sprintf('%04d-%02d-%02dT%02d:%02d:%02d.%03d', $g[5] + 1900,
                    $g[4] + 1, $g[3], $g[2], $g[1], $g[0], $ms % 1000);
    return $s . 'Z' if $off == 0;
    return $s . sprintf('%s%02d:%02d', $off < 0 ? '-' : '+',
                        abs($off) / 60, abs($off) % 60);
}

# A stand-in for a hostile Redis on a free loopback port: serve($socket)
# for each connection, in a child process.  Returns (port, pid); the
# caller kills the pid.
sub fake_redis {
    my ($serve) = @_;
    my $listen = IO::Socket::INET->new(LocalAddr => '127.0.0.1',
                                       LocalPort => 0, Listen => 4,
                                       ReuseAddr => 1)
        or die "listen: $!";
    my $pid = fork // die "fork: $!";
    if ($pid == 0) {
        while (my $c = $listen->accept) {
            $serve->($c);
            close $c;
        }
        POSIX::_exit(0);
    }
    my $port = $listen->sockport;
    close $listen;
    return ($port, $pid);
}

sub free_port {
    my $s = IO::Socket::INET->new(Listen => 1, LocalAddr => '127.0.0.1',
                                  LocalPort => 0, Proto => 'tcp')
        or die "no free port: $!";
    my $port = $s->sockport;
    close $s;
    return $port;
}

sub write_file {
    my ($self, $name, $content) = @_;
    my $path = $name =~ m{^/} ? $name : "$self->{tmp}/$name";
    make_path(dirname($path));
    open my $fh, '>', $path or die "$path: $!";
    print $fh $content;
    close $fh;
    return $path;
}

# The JSON records that logs/icp.log gained since the last call, waiting
# up to about a second for $want of them: nginx logs a request after
# answering it.  A line that is not JSON fails the calling test.
sub new_records {
    my ($self, $want) = @_;
    $want //= 1;
    $self->{log_pos} //= 0;
    my @recs;
    for (1 .. 100) {
        open my $fh, '<', "$self->{tmp}/logs/icp.log" or last;
        seek $fh, $self->{log_pos}, 0;
        while (my $line = <$fh>) {
            last unless $line =~ /\n\z/;
            my $rec = eval { JSON::PP::decode_json($line) };
            ok(0, "log line is JSON: $line") unless $rec;
            push @recs, $rec if $rec;
            $self->{log_pos} = tell $fh;
        }
        last if @recs >= $want;
        select(undef, undef, undef, 0.01);
    }
    return @recs;
}

sub read_file {
    my ($self, $name) = @_;
    my $path = $name =~ m{^/} ? $name : "$self->{tmp}/$name";
    open my $fh, '<', $path or return '';
    local $/;
    my $s = <$fh>;
    close $fh;
    return $s;
}

sub error_log { $_[0]->read_file('logs/error.log') }

# The smallest site that needs a lookup, shared by the lookup and cache
# tests: rules/site.rules sends ICP "enterprise" (employees >= 1000) to
# /lp/ent.html and everyone else to /lp/default.html; each page's body is
# its variant's name.
sub write_enterprise_site {
    my ($self) = @_;
    $self->write_file('rules/site.rules', <<'EOF');
icp enterprise {
    employees >= 1000;
}
route enterprise * {
    variant ent /lp/ent.html;
}
route * * {
    variant default /lp/default.html;
}
EOF
    $self->write_file("html/lp/$_.html", "$_\n") for qw(ent default);
}

sub expand {
    my ($self, $s) = @_;
    my $redis = $self->{redis} ? '127.0.0.1:' . $self->{redis}->port : '';
    $s =~ s/%%PORT%%/127.0.0.1:$self->{port}/g;
    $s =~ s/%%REDIS%%/$redis/g;
    $s =~ s/%%TMP%%/$self->{tmp}/g;
    $s =~ s/%%ROOT%%/$self->{tmp}\/html/g;
    $s =~ s/%%RULES%%/$self->{tmp}\/rules/g;
    return $s;
}

# The whole nginx.conf around a test's http-level snippet.
sub conf {
    my ($self, $http, %opt) = @_;
    my $tmp = $self->{tmp};
    my $master = $VALGRIND ? 'off' : 'on';
    my $workers = $opt{workers} || 1;

    return $self->expand(<<"EOF");
load_module $MODULE;
daemon off;
master_process $master;
worker_processes $workers;
pid $tmp/nginx.pid;
error_log $tmp/logs/error.log info;

events {
    worker_connections 1024;
}

http {
    default_type text/html;
    access_log off;
    client_body_temp_path $tmp/temp/body;
    proxy_temp_path $tmp/temp/proxy;
    fastcgi_temp_path $tmp/temp/fastcgi;
    uwsgi_temp_path $tmp/temp/uwsgi;
    scgi_temp_path $tmp/temp/scgi;

    set_real_ip_from 127.0.0.1;
    real_ip_header X-Forwarded-For;

    log_format icp escape=none '\$icp_json';

$http
}
EOF
}

# Runs `nginx -t` on a config; returns (exit status, output).
sub conf_test {
    my ($self, $http) = @_;
    my $file = $self->write_file('nginx-t.conf', $self->conf($http));
    my $out = `$NGINX -t -p $self->{tmp} -c $file 2>&1`;
    return ($? >> 8, $out);
}

sub conf_fails_like {
    my ($self, $http, $re, $name) = @_;
    my ($rc, $out) = $self->conf_test($http);
    ok($rc != 0, "$name: nginx -t fails");
    like($out, $re, "$name: message") or diag($out);
}

sub start {
    my ($self, $http, %opt) = @_;

    $self->{opt} = \%opt;
    $self->{conf} = $self->write_file('nginx.conf', $self->conf($http, %opt));

    my ($rc, $out) = $self->conf_test($http);
    die "nginx -t failed:\n$out" if $rc;

    my @cmd = ($NGINX, '-p', $self->{tmp}, '-c', $self->{conf});

    if ($VALGRIND) {
        unshift @cmd, 'valgrind', '--quiet', '--leak-check=full',
            '--show-leak-kinds=definite', '--errors-for-leak-kinds=definite',
            '--num-callers=30', "--suppressions=$ROOT/t/valgrind.supp",
            "--log-file=$self->{tmp}/logs/valgrind.%p.log";
    }

    my $pid = fork // die "fork: $!";

    if ($pid == 0) {
        open STDOUT, '>>', "$self->{tmp}/logs/stdout.log";
        open STDERR, '>&', \*STDOUT;
        exec @cmd or exit 127;
    }

    $self->{nginx_pid} = $pid;

    my $deadline = time + ($VALGRIND ? 60 : 10);

    while (time < $deadline) {
        my $s = IO::Socket::INET->new(PeerAddr => "127.0.0.1:$self->{port}",
                                      Timeout => 1);
        if ($s) {
            close $s;
            return $self;
        }
        die "nginx exited at start:\n" . $self->error_log
            if waitpid($pid, WNOHANG) == $pid;
        sleep 0.05;
    }

    die "nginx did not listen on $self->{port}\n" . $self->error_log;
}

# nginx -s reload with a new config; waits until the old workers are gone.
sub reload {
    my ($self, $http) = @_;
    my %opt = %{ $self->{opt} || {} };
    $self->write_file('nginx.conf', $self->conf($http, %opt));
    if ($VALGRIND) {
        # a single-process nginx does not reload cleanly (its old cycle is
        # never freed): under valgrind a reload is a restart
        $self->stop_nginx;
        $self->start($http, %opt);
        return;
    }

    my @old = $self->worker_pids;
    kill 'HUP', $self->{nginx_pid};

    my $deadline = time + 10;
    while (time < $deadline) {
        my %now = map { $_ => 1 } $self->worker_pids;
        my $old_left = grep { $now{$_} } @old;
        last if !$old_left && %now;
        sleep 0.05;
    }
}

sub worker_pids {
    my ($self) = @_;
    my $master = $self->{nginx_pid} or return;
    my @pids;
    for my $stat (glob '/proc/[0-9]*/stat') {
        open my $fh, '<', $stat or next;
        my $line = <$fh>;
        close $fh;
        next unless $line;
        my ($pid, $ppid) = $line =~ /^(\d+) \(.*?\) \S+ (\d+)/;
        push @pids, $pid if defined $ppid && $ppid == $master;
    }
    return @pids;
}

sub url { "http://127.0.0.1:$_[0]{port}$_[1]" }

# GET a path; extra arguments are request headers.
sub get {
    my ($self, $path, %headers) = @_;
    return $self->{http}->get($self->url($path), { headers => \%headers });
}

sub stop_nginx {
    my ($self) = @_;
    my $pid = delete $self->{nginx_pid} or return;
    my @workers = $self->worker_pids_of($pid);

    kill 'QUIT', $pid;
    my $deadline = time + ($VALGRIND ? 60 : 10);
    while (time < $deadline) {
        last if waitpid($pid, WNOHANG) == $pid;
        sleep 0.05;
    }
    if (kill 0, $pid) {
        kill 'KILL', $pid;
        waitpid($pid, 0);
    }

    # a worker that outlived its master would run on, orphaned
    for my $w (@workers) {
        for (1 .. 40) {
            last unless kill 0, $w;
            sleep 0.05;
        }
        next unless kill 0, $w;
        kill 'KILL', $w;
        push @{ $self->{stuck_workers} }, $w;
    }
}

sub worker_pids_of {
    my ($self, $master) = @_;
    local $self->{nginx_pid} = $master;
    return $self->worker_pids;
}

# Stops everything and asserts that nginx logged no alert, no emerg and no
# crashed worker (and, under valgrind, no memory error or definite leak).
sub stop {
    my ($self) = @_;
    return if $self->{stopped}++;

    my $started = exists $self->{nginx_pid} || $self->{conf};
    $self->stop_nginx;
    $self->{redis}->stop if $self->{redis};

    if ($started) {
        my @bad = grep { /\[(crit|alert|emerg)\]|exited on signal/ }
                  split /\n/, $self->error_log;
        push @bad, map { "worker $_ did not exit after its master" }
                   @{ $self->{stuck_workers} || [] };
        ok(!@bad, 'error log has no crit, alert, emerg or crashed worker')
            or diag(join "\n", @bad);

        if ($VALGRIND) {
            my $vg = join '', map { $self->read_file($_) }
                     glob "$self->{tmp}/logs/valgrind.*.log";
            # with --quiet valgrind prints only what it found
            ok($vg !~ /Invalid (read|write|free)|uninitialised|Mismatched
                       |are\ definitely\ lost|Source\ and\ destination/x,
               'valgrind: no memory error, no definite leak')
                or diag($vg);
        }
    }

    remove_tree($self->{tmp}) unless $ENV{ICP_KEEP};
}

sub DESTROY { $_[0]->stop_quietly }

# At exit after a die: stop the processes without emitting more tests.
sub stop_quietly {
    my ($self) = @_;
    return if $self->{stopped}++;
    $self->stop_nginx;
    $self->{redis}->stop if $self->{redis};
    remove_tree($self->{tmp}) unless $ENV{ICP_KEEP};
}

END { $_->stop_quietly for @live }


package IcpTest::Redis;

use strict;
use warnings;

use POSIX qw(WNOHANG);
use Time::HiRes qw(sleep time);

# name: its dir under $tmp (default redis); conf: a config file to read
# first (a Sentinel's); args: more redis-server arguments
sub start {
    my ($class, $tmp, %opt) = @_;
    my $self = bless { port => IcpTest::free_port(),
                       dir => "$tmp/" . ($opt{name} || 'redis'),
                       conf => $opt{conf}, args => $opt{args} || [] },
        $class;

    mkdir $self->{dir};
    $self->spawn;

    return $self;
}

sub port { $_[0]{port} }
sub pid  { $_[0]{pid} }

sub spawn {
    my ($self) = @_;

    my $pid = fork // die "fork: $!";

    if ($pid == 0) {
        exec 'redis-server', grep(defined, $self->{conf}),
            '--port', $self->{port}, '--bind', '127.0.0.1',
            '--save', '', '--appendonly', 'no', '--dir', $self->{dir},
            '--daemonize', 'no', '--logfile', "$self->{dir}/redis.log",
            @{ $self->{args} }
            or exit 127;
    }

    $self->{pid} = $pid;

    my $deadline = time + 10;
    while (time < $deadline) {
        return if ($self->cli('PING') // '') =~ /PONG/;
        die "redis-server exited at start\n" if waitpid($pid, WNOHANG) == $pid;
        sleep 0.05;
    }
    die "redis-server did not answer on $self->{port}\n";
}

# redis-cli with these arguments; returns its output.
sub cli {
    my ($self, @args) = @_;

    # "connection refused" while redis starts or is down is expected
    open my $err, '>&', \*STDERR or die "dup: $!";
    open STDERR, '>', '/dev/null';
    my $ok = open my $fh, '-|', 'redis-cli', '-p', $self->{port}, @args;
    open STDERR, '>&', $err;
    die "redis-cli: $!" unless $ok;

    local $/;
    my $out = <$fh>;
    close $fh;
    return $out;
}

sub kill_hard {
    my ($self) = @_;
    my $pid = delete $self->{pid} or return;
    kill 'KILL', $pid;
    waitpid($pid, 0);
}

sub pause  { kill 'STOP', $_[0]{pid} }
sub resume { kill 'CONT', $_[0]{pid} }
sub restart { $_[0]->kill_hard; $_[0]->spawn }

sub stop {
    my ($self) = @_;
    my $pid = delete $self->{pid} or return;
    kill 'CONT', $pid;
    kill 'TERM', $pid;
    my $deadline = time + 5;
    while (time < $deadline) {
        return if waitpid($pid, WNOHANG) == $pid;
        sleep 0.05;
    }
    kill 'KILL', $pid;
    waitpid($pid, 0);
}

1;
