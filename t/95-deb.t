# The Debian package, installed: apt-get installs build/deb's .deb, its
# files land where Debian's nginx modules put theirs, Debian's nginx loads
# the module through the installed load snippet, the installed icp-load
# fills Redis and the installed module serves the variant those
# firmographics pick; then the package is purged.  It changes the system,
# so it runs only when asked (ICP_DEB_TEST=1, as CI does) or as root with
# the package built (make deb).

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use IcpTest;

my $PKG = 'libnginx-mod-http-icp';
my $SO = '/usr/lib/nginx/modules/ngx_http_icp_module.so';
my $SNIPPET = '/usr/share/nginx/modules-available/mod-http-icp.conf';
my $ENABLED = '/etc/nginx/modules-enabled/50-mod-http-icp.conf';
my @TOOLS = map { "/usr/bin/$_" } qw(icp-rules icp-load icp-report);

my @debs = glob(IcpTest::abs_root() . "/build/deb/${PKG}_*.deb");

sub installed {
    my $s = `dpkg-query -W -f='\${Status}' $PKG 2>/dev/null`;
    return $s =~ /^install ok installed/;
}

if (!$ENV{ICP_DEB_TEST}) {
    plan skip_all => 'installs a package system-wide: set ICP_DEB_TEST=1, '
                   . 'or run as root after make deb'
        if $> != 0 || !@debs;
}

plan skip_all => "$PKG is already installed here; this test would remove it"
    if installed();

if (@debs != 1) {
    fail(@debs ? 'several packages in build/deb: run make deb again'
               : 'no package in build/deb: run make deb');
    done_testing;
    exit;
}

# output of a command, standard error included, and its exit status
sub run {
    my $out = `@_ 2>&1`;
    return ($? >> 8, $out);
}

my $we_installed;

END {
    # a test that died halfway still leaves the machine as it found it
    local $?;
    system("apt-get purge -y -q $PKG >/dev/null 2>&1") if $we_installed;
}

$ENV{DEBIAN_FRONTEND} = 'noninteractive';

my ($rc, $out) = run('apt-get', 'install', '-y', '-q', $debs[0]);
$we_installed = 1;
is($rc, 0, "apt-get install $debs[0]") or diag($out);
ok(installed(), 'dpkg: installed');

# --- files --------------------------------------------------------------

ok(-f $SO, "module at $SO");
ok(-x $_, "tool at $_") for @TOOLS;

# the harness loads the installed module, not build/'s
$IcpTest::MODULE = $SO;

my $t = IcpTest->new;
is($t->read_file($SNIPPET), "load_module modules/ngx_http_icp_module.so;\n",
   "load snippet $SNIPPET");
is(readlink($ENABLED), $SNIPPET, "postinst links it as $ENABLED");

# --- Debian's nginx loads it the way its own nginx.conf does ----------------

my $tmp = $t->tmp;
$t->write_file('rules/site.rules', <<'EOF');
icp mid_market {
    employees in 10..999;
}
persona marketer {
    utm_source in (linkedin, google);
}
route mid_market marketer {
    variant mid /lp/mid.html;
}
route * * {
    variant default /lp/default.html;
}
EOF

# no -p: modules/ in the snippet is Debian's prefix /usr/share/nginx
$t->write_file('debian.conf', <<"EOF");
include /etc/nginx/modules-enabled/*.conf;
pid $tmp/debian.pid;
error_log stderr;
events {
}
http {
    access_log off;
    icp_rules $tmp/rules/site.rules;
}
EOF
($rc, $out) = run('/usr/sbin/nginx', '-t', '-c', "$tmp/debian.conf");
is($rc, 0, 'nginx -t: the module loads through modules-enabled')
    or diag($out);

# --- the installed tools ------------------------------------------------

($rc, $out) = run($TOOLS[0], 'check', "$tmp/rules/site.rules");
is($rc, 0, 'icp-rules check: exit 0') or diag($out);
like($out, qr/: ok, 1 icp, 0 exclusions, 1 persona, 2 routes/,
     'icp-rules check: summary');

# the vocabulary the installed icp-rules reads, from the package
$t->write_file('rules/vocab.rules', <<'RULES');
icp saas {
    industry in (software, widgetry);
}
route * * {
    variant default /lp/default.html;
}
RULES
($rc, $out) = run($TOOLS[0], 'check', "$tmp/rules/vocab.rules");
like($out, qr{"widgetry" is not in .*/usr/share/icp/industries\.tsv},
     'icp-rules check: an industry not in '
     . '/usr/share/icp/industries.tsv is warned of') or diag($out);
unlike($out, qr/\bsoftware\b/, '... a known one is not');

$t->write_file('firmo.csv', "ip,company,employees\n192.0.2.7,Acme,250\n");
($rc, $out) = run($TOOLS[1], '--redis', '127.0.0.1:' . $t->redis->port,
                  "$tmp/firmo.csv");
is($rc, 0, 'icp-load: exit 0') or diag($out);
like($t->redis->cli('HGET', 'icp:ip:192.0.2.7', 'employees'), qr/^250$/,
     'icp-load: the row is in Redis');

# --- one request through the installed module ------------------------------

$t->write_file("html/lp/$_.html", "page $_\n") for qw(mid default);

$t->start(<<'EOF');
icp_redis %%REDIS%%;
server {
    listen %%PORT%%;
    root %%ROOT%%;
    icp_rules %%RULES%%/site.rules;
    access_log %%TMP%%/logs/icp.log icp if=$icp_logged;

    location = / {
        icp on;
    }
    location /lp/ {
    }
}
EOF

my $r = $t->get('/?utm_source=linkedin', 'X-Forwarded-For' => '192.0.2.7');
is($r->{status}, 200, 'request: 200');
is($r->{content}, "page mid\n",
   'request: the variant that the loaded firmographics pick');

($rc, $out) = run($TOOLS[2], "$tmp/logs/icp.log");
is($rc, 0, 'icp-report: exit 0') or diag($out);
like($out, qr/\b1 lines? read/, 'icp-report: the request\'s log record');

$t->stop;

# --- removal ------------------------------------------------------------

($rc, $out) = run('apt-get', 'purge', '-y', '-q', $PKG);
is($rc, 0, "apt-get purge $PKG") or diag($out);
$we_installed = 0 if $rc == 0;

ok(!installed(), 'dpkg: not installed');
ok(!-e $_, "removed: $_") for $SO, $SNIPPET, @TOOLS;
ok(!-l $_, "no link left: $_") for $ENABLED, "$ENABLED.removed";

done_testing;
