#!/bin/sh
# Checks what lua-free-rules/README.md and examples/rules/ promise:
#  - every example ruleset passes `icp-rules check` without a diagnostic;
#  - every examples/rules/broken/*.rules prints exactly its "# expect:"
#    lines, and exits 1 when one of them is an error;
#  - every row of the README's case table (between the cases:begin and
#    cases:end markers) is what `icp-rules eval` decides today.
# With --print it writes the table rows as they should be instead.
#
# usage: tests/rules-cases.sh [--print] PATH/TO/icp-rules

print=0
if [ "$1" = "--print" ]; then
    print=1
    shift
fi

bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")
readme=lua-free-rules/README.md
rules=examples/rules/b2b-saas.rules
failed=0
checked=0

fail() {
    echo "rules-cases: $*"
    failed=$((failed + 1))
}

if [ $print -eq 0 ]; then
    for f in examples/rules/*.rules; do
        out=$("$bin" check "$f" 2>&1 >/dev/null) || fail "$f does not load"
        [ -z "$out" ] || fail "$f: $out"
        checked=$((checked + 1))
    done

    for f in examples/rules/broken/*.rules; do
        want=$(sed -n 's/^# expect: //p' "$f")
        got=$(cd examples/rules/broken && "$bin" check "$(basename "$f")" \
              2>&1 >/dev/null)
        rc=$?
        [ "$got" = "$want" ] || fail "$f: got \"$got\", want \"$want\""
        case "$want" in
        *": error: "*) [ $rc -eq 1 ] || fail "$f: exit $rc, want 1" ;;
        *) [ $rc -eq 0 ] || fail "$f: exit $rc, want 0" ;;
        esac
        checked=$((checked + 1))
    done
fi

# A row: | N | `ARGS` | segment | score | persona | route | variant | bucket |
table=$(mktemp)
sed -n '/<!-- cases:begin -->/,/<!-- cases:end -->/p' "$readme" \
    | grep '^| [0-9]' > "$table"

[ -s "$table" ] || fail "no case table in $readme"

field() {
    printf '%s\n' "$out" | sed -n "s/^$1: *//p" | sed 's/ (no --visitor.*//'
}

while IFS= read -r row; do
    n=$(printf '%s\n' "$row" | cut -d'|' -f2 | tr -d ' ')
    args=$(printf '%s\n' "$row" | cut -d'`' -f2)
    out=$(eval "set -- $args"; "$bin" eval "$rules" "$@")

    new="| $n | \`$args\` | $(field segment) | $(field score) |"
    new="$new $(field persona) | $(field route) | $(field variant) |"
    new="$new $(field bucket) |"

    if [ $print -eq 1 ]; then
        printf '%s\n' "$new"
    elif [ "$new" != "$row" ]; then
        fail "README case $n is out of date:"
        echo "  README: $row"
        echo "  now:    $new"
    fi

    checked=$((checked + 1))
done < "$table"

rm -f "$table"

[ $print -eq 1 ] && exit 0

# JSON lines on stdin: a visitor per line, numbers, null, \u escapes, and
# lines that are not a flat object of fields.
got=$(printf '%s\n' \
    '{"visitor":"v-1003","employees":250,"industry":"software",'\
'"country":"US","utm_source":"linkedin","utm_campaign":"abm-q4"}' \
    '{"employees":"5","revenue":"300K","contact.title":"Founder",'\
'"company":null}' \
    '{"utm_term":"sre\u0020tools","visits":1}' \
    '{"employees":250,"bogus":1}' \
    'not json' \
    | "$bin" eval "$rules" 2>/dev/null \
    | sed -e 's/^{"segment":"\([^"]*\)".*"persona":"\([^"]*\)"/\1 \2 /' \
          -e 's/ ,.*"variant":"\([^"]*\)".*"bucket":\([0-9a-z]*\).*/ \1 \2/')
want='mid_market marketer benefit 8119
excluded executive self_serve null
none ops_leader ops null
{"error":"unknown field","line":4}
{"error":"expected '"'{'"'","line":5}'

[ "$got" = "$want" ] || fail "JSON lines: got \"$got\", want \"$want\""
checked=$((checked + 1))

echo "rules-cases: $checked checked, $failed failed"
[ $failed -eq 0 ]
