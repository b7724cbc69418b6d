#!/usr/bin/perl
# Converts a rules file of lua-free-rules (lua-free-rules/README.md) into a
# Lua module for the comparator's handler (bench/lua/icp.lua), as an
# OpenResty user would carry a ruleset over: mechanically, once, at
# deployment.  The conditions become calls of the constructors in
# icp.lua's `cond` table, numbers are converted here (K, M, B), text
# values lower-cased for the case-insensitive comparisons.
#
# usage: perl rules2lua.pl RULES > icp_rules.lua
#
# Covers the whole grammar except what needs more than the bench's inputs
# (contact fields are simply absent in the comparator, as in the bench).
use strict;
use warnings;

my $file = shift or die "usage: $0 RULES\n";
open my $fh, '<', $file or die "$file: $!\n";
my $text = do { local $/; <$fh> };
close $fh;

# tokens: [TYPE, VALUE] with TYPE 'w' (bare word), 's' (quoted) or 'p'
my %esc = (n => "\n", r => "\r", t => "\t", '"' => '"', "'" => "'",
           '\\' => '\\');
my @tok;
pos($text) = 0;
while (pos($text) < length $text) {
    if ($text =~ /\G(?:\s+|#[^\n]*)/gc) {
        next;
    } elsif ($text =~ /\G([{}();,])/gc) {
        push @tok, ['p', $1];
    } elsif ($text =~ /\G(["'])((?:\\.|(?!\1).)*)\1/gcs) {
        my $s = $2;
        $s =~ s/\\(["'\\nrt])/$esc{$1}/g;
        push @tok, ['s', $s];
    } elsif ($text =~ /\G([^\s{}();,"']+)/gc) {
        push @tok, ['w', $1];
    } else {
        die "$file: cannot read at offset " . pos($text) . "\n";
    }
}

sub peek { return @tok ? $tok[0][1] : ''; }
sub take {
    my $t = shift @tok or die "$file: unexpected end\n";
    return $t->[1];
}
sub want {
    my $v = take();
    die "$file: expected '$_[0]', got '$v'\n" unless $v eq $_[0];
}

sub number {
    my $s = shift;
    $s =~ /^([+-]?(?:\d+\.?\d*|\.\d+))([kKmMbB]?)$/
        or die "$file: not a number: $s\n";
    return $1 * { '' => 1, k => 1e3, m => 1e6, b => 1e9 }->{lc $2};
}

sub lstr {
    my $s = shift;
    $s =~ s/([\\"])/\\$1/g;
    $s =~ s/\n/\\n/g;
    $s =~ s/\r/\\r/g;
    $s =~ s/\t/\\t/g;
    return "\"$s\"";
}

# ( A, B, ... ): text values lower-cased, and the bare numbers, which
# match numerically too
sub list {
    my (@text, @num);
    want('(');
    while (peek() ne ')') {
        my $t = shift @tok or die "$file: unexpected end\n";
        if ($t->[1] eq ',') {
            next;
        }
        push @text, lstr(lc $t->[1]);
        push @num, number($t->[1])
            if $t->[0] eq 'w'
               && $t->[1] =~ /^[+-]?(?:\d+\.?\d*|\.\d+)[kKmMbB]?$/;
    }
    want(')');
    return '{ ' . join(', ', @text) . ' }, { ' . join(', ', @num) . ' }';
}

sub condition {
    my $field = shift;
    my $op = take();
    my $c;

    if ($op eq 'in' && peek() eq '(') {
        $c = 'set(' . lstr($field) . ', ' . list() . ', false)';
    } elsif ($op eq 'in') {
        my ($lo, $hi) = split /\.\./, take(), 2;
        $c = 'range(' . lstr($field) . ', ' . number($lo) . ', '
             . number($hi) . ')';
    } elsif ($op eq 'not') {
        want('in');
        $c = 'set(' . lstr($field) . ', ' . list() . ', true)';
    } elsif ($op eq '==' || $op eq '!=') {
        unshift @tok, ['p', '('], shift(@tok), ['p', ')'];
        $c = 'set(' . lstr($field) . ', ' . list() . ', '
             . ($op eq '!=' ? 'true' : 'false') . ')';
    } elsif ($op =~ /^(?:<|<=|>|>=)$/) {
        $c = 'cmp(' . lstr($field) . ', "' . $op . '", ' . number(take())
             . ')';
    } elsif ($op =~ /^(!?)~(\*?)$/) {
        $c = 're(' . lstr($field) . ', ' . lstr(take()) . ', "'
             . ($2 ? 'ijo' : 'jo') . '", ' . ($1 ? 'true' : 'false') . ')';
    } elsif ($op eq 'has') {
        if (peek() ne '(') {
            unshift @tok, ['p', '('], shift(@tok), ['p', ')'];
        }
        my ($text) = split /, \{/, list();
        $c = 'has(' . lstr($field) . ', ' . $text . ')';
    } elsif ($op eq 'exists' || $op eq 'missing') {
        $c = "$op(" . lstr($field) . ')';
    } else {
        die "$file: unknown operator $op\n";
    }

    my $w = 1;
    if (peek() eq 'weight') {
        take();
        $w = take();
    }
    want(';');
    return "cond = c.$c, w = $w";
}

my (%blocks, @routes);
$blocks{$_} = [] for qw(exclude icp persona);

while (@tok) {
    my $kind = take();
    if ($kind eq 'route') {
        my ($seg, $per) = (take(), take());
        my ($exp, @var);
        want('{');
        while (peek() ne '}') {
            my $s = take();
            if ($s eq 'experiment') {
                $exp = take();
            } elsif ($s eq 'variant') {
                my ($name, $uri) = (take(), take());
                my $w = peek() eq ';' ? 1 : take();
                push @var, [$name, $uri, $w];
            } else {
                die "$file: route: unknown statement $s\n";
            }
            want(';');
        }
        want('}');
        push @routes, [$seg, $per, $exp // "$seg.$per", \@var];
        next;
    }
    die "$file: unknown block $kind\n" unless $blocks{$kind};
    my $name = take();
    my ($threshold, @conds) = (100);
    want('{');
    while (peek() ne '}') {
        my $f = take();
        if ($f eq 'threshold') {
            $threshold = take();
            want(';');
        } else {
            push @conds, condition($f);
        }
    }
    want('}');
    push @{$blocks{$kind}}, [$name, $threshold, \@conds];
}

print "-- generated by bench/lua/rules2lua.pl from $file: do not edit\n";
print "return function(c)\n    return {\n";
for my $kind (qw(exclude icp persona)) {
    print "        $kind = {\n";
    for my $b (@{$blocks{$kind}}) {
        print "            { name = ", lstr($b->[0]),
              $kind eq 'icp' ? ", threshold = $b->[1]" : '', ", conds = {\n";
        print "                { $_ },\n" for @{$b->[2]};
        print "            } },\n";
    }
    print "        },\n";
}
print "        route = {\n";
for my $r (@routes) {
    my ($seg, $per, $exp, $var) = @$r;
    print "            { seg = ", lstr($seg), ", per = ", lstr($per),
          ", exp = ", lstr(@$var > 1 ? $exp : ''), ", variants = {\n";
    print "                { name = ", lstr($_->[0]), ", uri = ", lstr($_->[1]),
          ", w = $_->[2] },\n" for @$var;
    print "            } },\n";
}
print "        },\n    }\nend\n";
