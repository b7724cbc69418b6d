/*
 * Benchmark driver: loads a ruleset and a file of visitors (one per line,
 * tab-separated FIELD=VALUE), turns every visitor into its slot array
 * first, then classifies them all, so that under callgrind the cost of
 * lfr_classify stands apart from the loading.
 *
 *   driver RULES INPUTS [EACH]
 *
 * With EACH, the first EACH classifications are each followed by a
 * callgrind dump, for the distribution of the per-call cost.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <valgrind/callgrind.h>

#include "lfr.h"


static char *
read_all(const char *path, size_t *len)
{
    FILE   *f;
    char   *buf;
    long    n;

    f = fopen(path, "rb");
    if (f == NULL || fseek(f, 0, SEEK_END) != 0 || (n = ftell(f)) < 0) {
        perror(path);
        exit(1);
    }

    rewind(f);

    buf = malloc(n + 1);
    if (buf == NULL || fread(buf, 1, n, f) != (size_t) n) {
        perror(path);
        exit(1);
    }

    fclose(f);
    buf[n] = '\0';
    *len = n;

    return buf;
}


/* Splits the inputs in place into nlines arrays of nslots values. */
static lfr_str_t *
load_inputs(const lfr_rules_t *rules, char *text, size_t *nlines)
{
    int          slot;
    char        *p, *line, *eol, *field, *tab, *eq;
    size_t       n, nslots, i;
    lfr_str_t   *in;

    nslots = lfr_nslots(rules);
    n = 0;

    for (p = text; *p; p++) {
        n += *p == '\n';
    }

    in = calloc(n * nslots, sizeof(lfr_str_t));
    if (in == NULL) {
        exit(1);
    }

    line = text;

    for (i = 0; i < n; i++) {
        eol = strchr(line, '\n');
        *eol = '\0';

        for (field = line; field < eol; field = tab + 1) {
            tab = strchr(field, '\t');
            if (tab == NULL) {
                tab = eol;
            }

            *tab = '\0';
            eq = strchr(field, '=');

            if (eq) {
                slot = lfr_field_find(rules, field, eq - field);
                if (slot >= 0) {
                    in[i * nslots + slot].data = eq + 1;
                    in[i * nslots + slot].len = tab - eq - 1;
                }
            }
        }

        line = eol + 1;
    }

    *nlines = n;

    return in;
}


int
main(int argc, char **argv)
{
    char          *text;
    size_t         len, n, i, nslots, each;
    size_t         seg[3], persona, routed;
    lfr_str_t     *in;
    lfr_rules_t   *rules;
    lfr_result_t   r;

    if (argc < 3) {
        fprintf(stderr, "usage: driver RULES INPUTS [EACH]\n");
        return 2;
    }

    rules = lfr_compile_file(argv[1], NULL, NULL);
    if (rules == NULL) {
        fprintf(stderr, "%s: does not compile\n", argv[1]);
        return 1;
    }

    text = read_all(argv[2], &len);
    in = load_inputs(rules, text, &n);
    nslots = lfr_nslots(rules);
    each = argc > 3 ? (size_t) atol(argv[3]) : 0;

    memset(seg, 0, sizeof(seg));
    persona = 0;
    routed = 0;

    for (i = 0; i < n; i++) {
        lfr_classify(rules, &in[i * nslots], &r);

        if (i < each) {
            CALLGRIND_DUMP_STATS;
        }

        seg[r.segment >= 0 ? 0 : r.segment == LFR_NONE ? 1 : 2]++;
        persona += r.persona >= 0;
        routed += r.route >= 0;
    }

    printf("%zu visitors: %zu in an ICP, %zu none, %zu excluded; "
           "%zu with a persona, %zu routed\n",
           n, seg[0], seg[1], seg[2], persona, routed);

    free(in);
    free(text);
    lfr_free(rules);

    return 0;
}
