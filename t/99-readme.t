# The documentation is the contract a clone of the repository carries:
#  - every directive in the module's command tables has a section in
#    docs/directives.md, every variable in its variable table a row in
#    docs/variables.md;
#  - in every *.md file of the repository, every relative link and every
#    code span naming a file of the repository resolves to a file that
#    exists, inside the repository, and a #fragment to a heading of it;
#    nothing points outside the repository (a ../shared/DESIGN.md that
#    only one machine has).
# Nothing is started: `make check` runs this file too.

use strict;
use warnings;
use lib 't/lib';
use Test::More;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Find qw(find);
use File::Spec;
use IcpTest;

my $root = IcpTest::abs_root();

sub slurp {
    open my $fh, '<', "$root/$_[0]" or die "$_[0]: $!";
    local $/;
    return <$fh>;
}

# -- directives and variables ---------------------------------------------

my $directives_md = slurp('docs/directives.md');
my $variables_md = slurp('docs/variables.md');

my @directives;
for my $c (glob "$root/ngx_icp_module/*.c") {
    (my $rel = $c) =~ s{^\Q$root\E/}{};
    for my $table (slurp($rel)
                   =~ /ngx_command_t\s+\w+\[\]\s*=\s*\{(.*?)ngx_null_command/sg)
    {
        push @directives, $table =~ /\{ ngx_string\("(\w+)"\)/g;
    }
}

my ($vars) = slurp('ngx_icp_module/ngx_http_icp_variables.c')
    =~ /ngx_http_variable_t\s+\w+\[\]\s*=\s*\{(.*?)ngx_http_null_variable/s;
my @variables = ($vars // '') =~ /\{ ngx_string\("(\w+)"\)/g;

cmp_ok(scalar @directives, '>=', 15, 'found the command table');
cmp_ok(scalar @variables, '>=', 19, 'found the variable table');

for my $d (@directives) {
    like($directives_md, qr/^### \Q$d\E$/m, "directive $d has a section");
}

for my $v (@variables) {
    # the prefix variable icp_firmo_ is documented as $icp_firmo_NAME
    like($variables_md, qr/`\$\Q$v\E(?:NAME)?`/,
         "variable \$$v is documented");
}

# -- links ------------------------------------------------------------------

# GitHub's anchor of a heading: lower case, punctuation but - and _ gone,
# spaces as -, a -N suffix for the Nth repeat
sub anchors {
    my ($text) = @_;
    my (%seen, %anchors);

    $text =~ s/^```.*?^```//msg;

    for my $h ($text =~ /^#{1,6}[ \t]+(.+?)[ \t]*#*$/mg) {
        my $a = lc $h;
        $a =~ s/\[([^\]]*)\]\([^)]*\)/$1/g;
        $a =~ s/[^\w\- ]//g;
        $a =~ s/ /-/g;
        my $n = $seen{$a}++;
        $anchors{$n ? "$a-$n" : $a} = 1;
    }

    return \%anchors;
}

my @md;
find({ no_chdir => 1, wanted => sub {
    if (-d $_ && $_ ne $root && m{/(?:\.[^/]*|build)$}) {
        $File::Find::prune = 1;
        return;
    }
    push @md, $_ if /\.md$/ && -f $_;
} }, $root);

my %top = map { (m{([^/]+)$})[0] => 1 } grep { !m{/(?:\.|build$)} }
          glob("$root/*");

cmp_ok(scalar @md, '>=', 5, 'found the Markdown files');

my %anchor_cache;

# Where TARGET (a link or a path) leads from FILE: undef when it is fine,
# else what is wrong.
sub check_target {
    my ($file, $target, $base) = @_;
    my ($path, $frag) = $target =~ /^([^#]*)(?:#(.*))?$/;
    my ($abs, $resolved);

    if ($path eq '') {
        $resolved = $file;

    } else {
        $abs = File::Spec->rel2abs($path, $base);
        $abs = File::Spec->canonpath($abs);
        1 while $abs =~ s{/[^/]+/\.\.(?=/|$)}{};

        return 'outside the repository'
            unless $abs eq $root || index($abs, "$root/") == 0;
        return 'no such file' unless -e $abs;

        $resolved = abs_path($abs);
        return 'outside the repository (a link)'
            unless index($resolved, "$root/") == 0 || $resolved eq $root;
    }

    if (defined $frag && $frag ne '') {
        return "#$frag: not a Markdown file" unless $resolved =~ /\.md$/;
        $anchor_cache{$resolved} //= do {
            open my $fh, '<', $resolved or die "$resolved: $!";
            local $/;
            anchors(scalar <$fh>);
        };
        return "#$frag: no such heading" unless $anchor_cache{$resolved}{$frag};
    }

    return undef;
}

for my $file (sort @md) {
    (my $rel = $file) =~ s{^\Q$root\E/}{};
    my $text = do { open my $fh, '<', $file or die; local $/; <$fh> };
    my $dir = dirname($file);
    my @bad;

    # fenced blocks are commands and configuration, not references
    (my $prose = $text) =~ s/^```.*?^```//msg;

    for my $target ($prose =~ /\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g) {
        next if $target =~ m{^[a-z][a-z0-9+.-]*:}i;     # http:, mailto:
        my $why = check_target($file, $target, $dir);
        push @bad, "link $target: $why" if $why;
    }

    # a code span that is a path of the repository (`tools/load/README.md`)
    # or climbs out of the file's directory (`../shared/DESIGN.md`)
    for my $span ($prose =~ /`([^`\s]+)`/g) {
        next if $span =~ /[*\$\[\]{}<>|=]/;
        next unless $span =~ m{^(?:\.\./|[\w.-]+/)};
        my ($first) = $span =~ m{^([^/]+)/};
        my $why;

        if ($first eq '..') {
            $why = check_target($file, $span, $dir);

        } elsif ($top{$first} && $first ne 'build') {
            # repository paths are written from the root
            $why = check_target($file, $span, $root);
        } else {
            next;
        }

        push @bad, "`$span`: $why" if $why;
    }

    ok(!@bad, "$rel: every link and path resolves in the repository")
        or diag(join "\n", map { "  $rel: $_" } @bad);
}

done_testing;
