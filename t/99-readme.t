# Every directive in the module's command table and every variable in its
# variable table is documented in README.md.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use IcpTest;

my $root = IcpTest::abs_root();

sub slurp {
    open my $fh, '<', "$root/$_[0]" or die "$_[0]: $!";
    local $/;
    return <$fh>;
}

my $readme = slurp('README.md');

my ($commands) = slurp('ngx_icp_module/ngx_http_icp_module.c')
    =~ /ngx_http_icp_commands\[\] = \{(.*?)ngx_null_command/s;
my @directives = $commands =~ /\{ ngx_string\("(\w+)"\)/g;

my ($vars) = slurp('ngx_icp_module/ngx_http_icp_variables.c')
    =~ /ngx_http_icp_vars\[\] = \{(.*?)ngx_http_null_variable/s;
my @variables = $vars =~ /\{ ngx_string\("(\w+)"\)/g;

cmp_ok(scalar @directives, '>=', 15, 'found the command table');
cmp_ok(scalar @variables, '>=', 19, 'found the variable table');

for my $d (@directives) {
    like($readme, qr/^### (?:.*\b)?\Q$d\E\b/m, "directive $d has a section");
}

for my $v (@variables) {
    # the prefix variable icp_firmo_ is documented as $icp_firmo_NAME
    like($readme, qr/`\$\Q$v\E(?:NAME)?`/, "variable \$$v is documented");
}

done_testing;
