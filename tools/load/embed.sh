#!/bin/sh
# Writes C that defines each FILE's text as load_NAME_tsv, NAME being its
# base name without .tsv, so the data files are compiled into icp-load.
#
# usage: sh tools/load/embed.sh FILE.tsv ... > data.c
set -eu

echo "/* made by tools/load/embed.sh from $*: do not edit */"

for f in "$@"; do
    name=$(basename "$f" .tsv)
    printf '\nconst char  load_%s_tsv[] =\n' "$name"
    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' \
        -e 's/	/\\t/g' -e 's/^/    "/' -e 's/$/\\n"/' "$f"
    echo '    "";'
done
