# Hostile inputs, beyond t/10's: encoding oddities, huge queries and
# headers, forged, replayed and foreign-secret context cookies, garbage in
# Redis, fake Redis servers (garbage, wrong replies, huge announcements,
# mute, closing), and hostile rules files (empty, 10 MB, deeply nested, a
# catastrophic-backtracking regex).  Every case must get a safe answer (a
# valid variant, or a clear 4xx from nginx itself), quickly, with no raw
# control character in a header or a log record, and no crash.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Digest::SHA qw(hmac_sha256);
use IO::Select;
use IO::Socket::INET;
use JSON::PP;
use MIME::Base64 qw(encode_base64);
use POSIX ();
use Time::HiRes qw(time sleep);
use IcpTest;

my $SLOW = $ENV{ICP_VALGRIND} ? 10 : 1;
my $SECRET = 'hostile-secret';

my $t = IcpTest->new;
my $redis = $t->redis;
my $plain_port = IcpTest::free_port();

my $rules = <<'EOF';
icp enterprise {
    employees >= 1000;
}
persona backtrack {
    utm_term ~ "(a+)+$";
}
persona backtrack_var {
    $http_x_long ~ "(a+)+$";
}
persona marketer {
    utm_source in (linkedin, google);
}
route enterprise * {
    variant ent /lp/ent.html;
}
route * marketer {
    experiment hero;
    variant a /lp/a.html 50;
    variant b /lp/b.html 50;
}
route * backtrack {
    variant bt /lp/bt.html;
}
route * backtrack_var {
    variant btv /lp/btv.html;
}
route * * {
    variant default /lp/default.html;
}
EOF
$t->write_file('rules/site.rules', $rules);
$t->write_file("html/lp/$_.html", "page $_\n") for qw(ent a b bt btv default);

# The module's variables in a header, so a hostile value that reached one
# would show; a second server keeps nginx's default header buffers.
my $xicp = join '|', map { "\$icp_$_" }
    qw(segment persona variant utm_source utm_term firmo_company reason);
my $server = <<"EOF";
icp_redis %%REDIS%% connect_timeout=${\ (3 * $SLOW)}s
          timeout=${\ (3 * $SLOW)}s;
icp_cache zone=hostile:1m ttl=1s negative_ttl=1s;
icp_secret $SECRET;

server {
    listen %%PORT%%;
    root %%ROOT%%;
    large_client_header_buffers 4 128k;
    icp_rules %%RULES%%/site.rules;
    access_log %%TMP%%/logs/icp.log icp if=\$icp_logged;

    location = / {
        icp on;
        icp_route off;
        add_header X-ICP "$xicp" always;
        try_files \$icp_variant_uri =404;
    }
    location /lp/ {
    }
}

server {
    listen 127.0.0.1:$plain_port;
    root %%ROOT%%;
    icp_rules %%RULES%%/site.rules;

    location = / {
        icp on;
    }
    location /lp/ {
    }
}
EOF

$t->start($server);

sub variant_of {
    my ($r) = @_;
    return $r->{content} =~ /^page (\w+)$/ ? $1 : "?($r->{status})";
}

sub cookies {
    my ($r) = @_;
    my $sc = $r->{headers}{'set-cookie'} or return ();
    return ref $sc ? @$sc : ($sc);
}

sub clean_headers {
    my ($r) = @_;
    my @v = map { ref $_ ? @$_ : $_ } values %{ $r->{headers} };
    return !grep({ /[\x00-\x1f\x7f]/ } @v)
        && !grep({ /^(x-injected|x-evil)$/ } keys %{ $r->{headers} })
        && !grep({ /^evil=/ } cookies($r));
}

# GET with a stopwatch: (response, seconds)
sub timed_get {
    my ($path, %h) = @_;
    my $t0 = time;
    my $r = $t->get($path, %h);
    return ($r, time - $t0);
}

# A valid variant (one of $want, a regex), clean headers, answered in time.
sub safe {
    my ($name, $want, $path, %h) = @_;
    my ($r, $secs) = timed_get($path, %h);
    my $v = variant_of($r);
    ok($r->{status} == 200 && $v =~ /^(?:$want)$/ && clean_headers($r)
       && $secs < 3 * $SLOW,
       "$name: $v, clean headers, " . sprintf('%.2f s', $secs))
        or diag("status $r->{status}, X-ICP: "
                . ($r->{headers}{'x-icp'} // '') . "\n"
                . substr($r->{content} // '', 0, 300));
    return $r;
}

# A clear 4xx from nginx itself (its own error page), not from the module.
sub refused {
    my ($name, $r) = @_;
    ok($r->{status} >= 400 && $r->{status} < 500
       && $r->{content} =~ /<center>nginx/,
       "$name: nginx answers $r->{status}")
        or diag("status $r->{status}: "
                . substr($r->{content} // '', 0, 300));
}

sub plain_get {
    my ($path, %h) = @_;
    return $t->{http}->get("http://127.0.0.1:$plain_port$path",
                           { headers => \%h });
}

# --- query strings ------------------------------------------------------

safe('overlong UTF-8 around a known value', 'default',
     '/?utm_source=%C0%AClinkedin%E0%80%AF');
safe('%00 is dropped from a value', 'a|b', '/?utm_source=linked%00in');
safe('lone % and %ZZ', 'default', '/?utm_source=%&utm_term=%ZZ%4');
safe('mixed-case names and values', 'a|b', '/?Utm_Source=LinkedIn');
safe('UTM_SOURCE in capitals, first occurrence wins', 'default',
     '/?UTM_SOURCE=bing&utm_source=linkedin');
safe('CRLF and a header in a value', 'default',
     '/?utm_source=x%0d%0aSet-Cookie:%20evil=1&utm_term=%0d%0aX-Injected:%201');
safe('ESC, DEL and C1 controls', 'default',
     '/?utm_source=%1b[2J%7f%c2%9b&utm_term=%e2%80%ae');
safe('an empty name, = and & runs; the first, empty, utm_source wins',
     'default',
     '/?=&&==&utm_source=&utm_source=google');

my $many = '/?' . join('&', map { "p$_=v" } 1 .. 10000)
    . '&utm_source=linkedin';
safe('10,000 parameters, the UTM one last', 'a|b', $many);
refused('10,000 parameters with default buffers', plain_get($many));

safe('a 64 KB header', 'default', '/', 'X-Junk' => 'x' x 65536);
refused('a 64 KB header with default buffers',
        plain_get('/', 'X-Junk' => 'x' x 65536));
safe('a 64 KB context cookie', 'default', '/',
     Cookie => 'icp_vid=' . ('B' x 21) . 'A; icp_vid_ctx=' . ('n=1&' x 16384));

# --- catastrophic backtracking: PCRE2's match limit ends it ---------------

safe('(a+)+$ matches "aaaa" (the rule is live)', 'bt', '/?utm_term=aaaa');
safe('(a+)+$ on 63 a and a b: no match, in time', 'a|b',
     '/?utm_source=linkedin&utm_term=' . ('a' x 63) . 'b');
safe('(a+)+$ on a 4 KB header of a and a b: no match, in time', 'default',
     '/', 'X-Long' => ('a' x 4096) . 'b');
safe('(a+)+$ on a 64 KB header of a and a b', 'default',
     '/', 'X-Long' => ('a' x 65000) . 'b');

# --- context cookies ------------------------------------------------------

my $vid_b = ('B' x 21) . 'A';

sub b64url {
    (my $s = encode_base64($_[0], '')) =~ tr{+/}{-_};
    $s =~ s/=+$//;
    return $s;
}

# the format of icp_context.h, signed here
sub sign {
    my ($vid, $payload, $secret) = @_;
    my $mac = substr(hmac_sha256("icp1|$vid|$payload", $secret), 0, 16);
    return "$payload." . b64url($mac);
}

my $r = safe('visitor A, a marketer', 'a|b', '/?utm_source=linkedin');
my %jar = map { /^([^=]+)=([^;]*)/ } cookies($r);
my $var_a = variant_of($r);
ok($jar{icp_vid} && $jar{icp_vid_ctx}, 'visitor A got both cookies');

safe('A comes back without UTM: the context keeps the variant', $var_a,
     '/', Cookie => "icp_vid=$jar{icp_vid}; icp_vid_ctx=$jar{icp_vid_ctx}");
safe("B without a context: nobody", 'default', '/',
     Cookie => "icp_vid=$vid_b");
safe("B replays A's context: ignored", 'default', '/',
     Cookie => "icp_vid=$vid_b; icp_vid_ctx=$jar{icp_vid_ctx}");
safe('B with a context signed with the right secret', 'a|b', '/',
     Cookie => "icp_vid=$vid_b; icp_vid_ctx="
               . sign($vid_b, 'n=1&s=linkedin', $SECRET));
safe('B with a context signed with another secret', 'default', '/',
     Cookie => "icp_vid=$vid_b; icp_vid_ctx="
               . sign($vid_b, 'n=1&s=linkedin', 'other-secret'));

my $good = sign($vid_b, 'n=1&s=bing', $SECRET);
(my $edited = $good) =~ s/s=bing/s=goog/;
safe('a signed payload edited after signing', 'default', '/',
     Cookie => "icp_vid=$vid_b; icp_vid_ctx=$edited");
for my $bad ('', '.', '..', 'n=1&s=linkedin.', substr($good, 0, -1),
             "$good.", "n=1&s=linkedin." . ('A' x 22), '%01%02.%7f')
{
    safe('a broken context cookie (' . length($bad) . ' bytes)', 'default',
         '/', Cookie => "icp_vid=$vid_b; icp_vid_ctx=$bad");
}
safe('a signed context with hostile values', 'default', '/',
     Cookie => "icp_vid=$vid_b; icp_vid_ctx="
               . sign($vid_b, 'n=99999999999&s=%0D%0AX-Evil:1&t=%00%1b&'
                      . 'a=hero:zzz&a=:&a=%3A%3A:', $SECRET));
safe('two visitor ids and two contexts', 'default', '/',
     Cookie => "icp_vid=$vid_b; icp_vid=$jar{icp_vid}; "
               . "icp_vid_ctx=$jar{icp_vid_ctx}; icp_vid_ctx=x");

# --- garbage in Redis -----------------------------------------------------

sub eval_redis { $redis->cli('EVAL', $_[0], 1, $_[1]) }

$redis->cli('SET', 'icp:ip:198.51.100.1', 'a string');
$redis->cli('RPUSH', 'icp:ip:198.51.100.2', 'company', 'Listed');
$redis->cli('SADD', 'icp:ip:198.51.100.3', 'company', 'Set');
$redis->cli('ZADD', 'icp:ip:198.51.100.4', 1, 'company');
$redis->cli('XADD', 'icp:ip:198.51.100.5', '*', 'company', 'Stream');
eval_redis("redis.call('HSET', KEYS[1], 'company', string.rep('x', 8388608),"
           . " 'employees', '5000')", 'icp:ip:198.51.100.6');
# memcheck reads 100,000 fields slower than a client waits
my $fields = $ENV{ICP_VALGRIND} ? 10000 : 100000;
eval_redis("for i = 1, $fields do redis.call('HSET', KEYS[1], 'f' .. i, i)"
           . " end redis.call('HSET', KEYS[1], 'employees', '5000')",
           'icp:ip:198.51.100.7');
eval_redis("redis.call('HSET', KEYS[1], 'company',"
           . " 'a\\0b\\r\\nX-Evil: 1\\27[2J\\255\\254\\192\\175',"
           . " 'employees', '5000', 'industry', '\\1\\2\\3',"
           . " 'country', 'U\"S\\\\')",
           'icp:ip:198.51.100.8');
$redis->cli('HSET', 'icp:ip:198.51.100.9', 'employees', '1e999');
$redis->cli('HSET', 'icp:ip:198.51.100.10', 'employees', '-5000');
$redis->cli('HSET', 'icp:net:198.51.100.0/24', 'employees', 'NaN');

for my $case ([ 1, 'a string', 'default' ], [ 2, 'a list', 'default' ],
              [ 3, 'a set', 'default' ], [ 4, 'a sorted set', 'default' ],
              [ 5, 'a stream', 'default' ],
              [ 6, 'an 8 MB value, over max_reply', 'default' ],
              [ 7, "a hash of $fields fields, over max_elements", 'default' ],
              [ 8, 'NUL, CRLF, ESC, invalid UTF-8', 'ent' ],
              [ 9, 'employees 1e999', 'ent|default' ],
              [ 10, 'employees -5000', 'default' ],
              [ 11, 'employees NaN from the network key', 'default' ])
{
    my ($n, $what, $want) = @$case;
    safe("Redis: $what", $want, '/',
         'X-Forwarded-For' => "198.51.100.$n") for 1 .. 2;
}

$r = $t->get('/', 'X-Forwarded-For' => '198.51.100.6');
ok(length($r->{headers}{'x-icp'} // '') < 4096,
   'an 8 MB company is cut before it reaches a header');

# every record so far: whole JSON lines, no raw control character
sub check_log {
    my ($name, $file) = @_;
    my ($n, $bad) = (0, 0);
    open my $fh, '<', $file or return fail("$name: no log");
    while (my $line = <$fh>) {
        $n++;
        chomp $line;
        next if $line !~ /[\x00-\x1f\x7f]/
            && eval { decode_json($line); 1 };
        $bad++;
        diag("bad record: " . substr($line, 0, 200)) if $bad <= 3;
    }
    ok($n > 0 && !$bad, "$name: $n records, all JSON, no raw control");
}

sleep 0.2;
check_log('log', $t->tmp . '/logs/icp.log');
ok((grep { ($_->{firmo}{country} // '') eq 'U"S\\' }
    map { eval { decode_json($_) } || () }
    split /\n/, $t->read_file('logs/icp.log')),
   'a quote and a backslash from Redis come back from the record');
$t->stop;

# --- fake Redis servers -----------------------------------------------------

# A server on a free port that answers every read with $answer (undef:
# never answers; 'close': closes at once); returns (port, pid).
sub fake_redis {
    my ($answer) = @_;
    my $ls = IO::Socket::INET->new(Listen => 64, LocalAddr => '127.0.0.1',
                                   LocalPort => 0, Proto => 'tcp',
                                   ReuseAddr => 1) or die "listen: $!";
    my $pid = fork // die "fork: $!";
    if ($pid) {
        my $port = $ls->sockport;
        close $ls;
        return ($port, $pid);
    }

    my $sel = IO::Select->new($ls);
    my $end = time + 120;
    while (time < $end) {
        for my $s ($sel->can_read(0.5)) {
            if ($s == $ls) {
                my $c = $ls->accept or next;
                if (defined $answer && $answer eq 'close') {
                    close $c;
                    next;
                }
                $sel->add($c);
                next;
            }
            my $got = sysread $s, my $buf, 65536;
            if (!$got) {
                $sel->remove($s);
                close $s;
                next;
            }
            syswrite $s, $answer if defined $answer;
        }
    }
    POSIX::_exit(0);
}

my @fakes = (
    [ 'protocol garbage', "\x00\xff\r\n!garbage\r\n" ],
    [ 'an error for everything', "-ERR fake\r\n" ],
    [ '+OK for everything', "+OK\r\n" ],
    [ 'an integer for everything', ":1\r\n" ],
    [ 'an array of 2^31 elements announced', "*2147483647\r\n" ],
    [ 'a 2 GB bulk string announced', "\$2147483647\r\nab" ],
    [ 'nested arrays', ('*1\r\n' x 10000) ],
    # more replies than commands: hiredis asserted and the worker aborted
    [ 'two replies per read', "+PONG\r\n+PONG\r\n" ],
    [ 'accepts, never answers', undef ],
    [ 'accepts and closes', 'close' ],
);

for my $fake (@fakes) {
    my ($what, $answer) = @$fake;
    $answer =~ s/\\r\\n/\r\n/g if defined $answer;
    my ($port, $pid) = fake_redis($answer);
    my $f = IcpTest->new(redis => 0);
    $f->write_file('rules/site.rules', $rules);
    $f->write_file("html/lp/$_.html", "page $_\n") for qw(ent default);
    $f->start(<<"EOF");
icp_redis 127.0.0.1:$port connect_timeout=${\ (300 * $SLOW)}ms
          timeout=${\ (300 * $SLOW)}ms;
icp_cache zone=fake:1m ttl=1s;

server {
    listen %%PORT%%;
    root %%ROOT%%;
    icp_rules %%RULES%%/site.rules;

    location = / {
        icp on;
    }
    location /lp/ {
    }
}
EOF

    my ($slowest, @got) = (0);
    for my $i (1 .. 5) {
        my $t0 = time;
        my $r = $f->get('/', 'X-Forwarded-For' => "192.0.2.$i");
        my $secs = time - $t0;
        $slowest = $secs if $secs > $slowest;
        push @got, clean_headers($r) ? variant_of($r) : 'unclean';
        last if $secs > 2 * $SLOW;
    }
    ok("@got" eq 'default default default default default'
       && $slowest < 2 * $SLOW,
       sprintf('fake Redis, %s: 5 default answers, slowest %.2f s',
               $what, $slowest)) or diag("got @got");
    $f->stop;
    kill 'KILL', $pid;
    waitpid $pid, 0;
}

# --- hostile rules files ----------------------------------------------------

sub rules_server {
    my ($rules) = @_;
    return <<"EOF";
server {
    listen %%PORT%%;
    root %%ROOT%%;
    icp_rules %%RULES%%/$rules;

    location = / {
        icp on;
    }
    location /lp/ {
    }
}
EOF
}

my $h = IcpTest->new(redis => 0);
$h->write_file("html/lp/$_.html", "page $_\n") for qw(m d);
$h->write_file('html/index.html', "page index\n");

$h->write_file('rules/nest1.rules',
               "icp a {\n    employees in " . ('(' x 100000) . "1"
               . (')' x 100000) . ";\n}\n");
$h->write_file('rules/nest2.rules', '{' x 100000);
$h->write_file('rules/nest3.rules',
               "persona p {\n    utm_term ~ \"" . ('(' x 5000) . 'a'
               . (')' x 5000) . "\";\n}\nroute * * {\n"
               . "    variant d /lp/d.html;\n}\n");
for my $nest (qw(nest1 nest2 nest3)) {
    my ($rc, $out) = $h->conf_test(rules_server("$nest.rules"));
    ok($rc != 0 && $out =~ /$nest\.rules:\d+:\d+: /,
       "deeply nested rules ($nest): nginx -t fails with FILE:LINE:COL")
        or diag($out);
}

# 10 MB: a long comment block and a 700,000-value list, the match last
$h->write_file('rules/big.rules',
               join('', map { '# ' . ('x' x 1000) . "\n" } 1 .. 1000)
               . "persona marketer {\n    utm_source in ("
               . join(', ', map { "source$_" } 1 .. 700000)
               . ", linkedin);\n}\nroute * marketer {\n"
               . "    variant m /lp/m.html;\n}\nroute * * {\n"
               . "    variant d /lp/d.html;\n}\n");
ok(-s $h->tmp . '/rules/big.rules' > 10_000_000, 'big.rules is over 10 MB');
my $t0 = time;
$h->start(rules_server('big.rules'));
my $load = time - $t0;
ok($load < 30 * $SLOW, sprintf('a 10 MB rules file loads (%.1f s)', $load));
is(variant_of($h->get('/?utm_source=LinkedIn')), 'm',
   '... its last list value matches');
is(variant_of($h->get('/?utm_source=source699999')), 'm',
   '... and one near the end');
is(variant_of($h->get('/?utm_source=source0')), 'd', '... and others do not');
$h->stop_nginx;

# empty: no route, so the module changes nothing and nginx serves the page
$h->write_file('rules/empty.rules', '');
$h->start(rules_server('empty.rules'));
$r = $h->get('/');
ok($r->{status} == 200 && variant_of($r) eq 'index',
   'empty rules: no variant, the location\'s own page')
    or diag("$r->{status} $r->{content}");
$h->stop;

done_testing;
