/*
 * libFuzzer target for the rules compiler and evaluator: any bytes must
 * compile or fail with a well-formed diagnostic, and a ruleset that
 * compiles must classify, explain and assign without a sanitizer report.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lfr.h"


/* Values that exercise numbers, lists, UTF-8 and regex backtracking. */
static const char  *values[] = {
    "250", "software", "US", "1.5M", "salesforce, hubspot ,k8s", "",
    "\xff\xfe", "M\xc3\xbcnchen", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab",
    "linkedin", "abm-q4", "-3", "9999999999999999", "\xed\xa0\x80"
};

#define NVALUES  (sizeof(values) / sizeof(values[0]))


static void
diag_check(void *ctx, lfr_severity_t severity, const char *file,
    unsigned line, unsigned col, const char *msg)
{
    (void) ctx;
    (void) severity;
    (void) file;

    if (line == 0 || col == 0 || msg[0] == '\0') {
        abort();
    }
}


static void
check_printable(const char *s)
{
    for ( /* void */ ; *s; s++) {
        if (*s < 0x20 || *s == 0x7f) {
            abort();
        }
    }
}


static void
run(const lfr_rules_t *rules, lfr_str_t *in, size_t pass)
{
    int           route;
    size_t        i, n, v;
    char          reason[256];
    const char   *exp;
    lfr_result_t  r;

    n = lfr_nslots(rules);

    for (i = 0; i < n; i++) {
        /* pass 0: nothing known; then each slot gets its own value */
        in[i].data = pass ? values[(i + pass) % NVALUES] : NULL;
        in[i].len = pass ? strlen(in[i].data) : 0;
        (void) lfr_slot_name(rules, i);
    }

    lfr_classify(rules, in, &r);

    if (r.score < 0 || r.score > 100) {
        abort();
    }

    lfr_explain(rules, in, &r, reason, sizeof(reason));
    check_printable(reason);
    lfr_explain(rules, in, &r, reason, 7);

    route = r.route;
    n = lfr_route_nvariants(rules, route);
    exp = lfr_route_experiment(rules, route);

    if (route >= 0 && n == 0) {
        abort();
    }

    if (exp) {
        v = lfr_pick_variant(rules, route,
                             lfr_bucket(exp, strlen(exp), "visitor", 7));
        if (v >= n || lfr_variant_uri(rules, route, v) == NULL) {
            abort();
        }
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t         pass;
    lfr_str_t     *in;
    lfr_rules_t   *rules;
    lfr_summary_t  s;

    rules = lfr_compile("fuzz.rules", (const char *) data, size, diag_check,
                        NULL);
    if (rules == NULL) {
        return 0;
    }

    lfr_summary(rules, &s);

    in = calloc(lfr_nslots(rules), sizeof(lfr_str_t));

    if (in) {
        for (pass = 0; pass < 4; pass++) {
            run(rules, in, pass);
        }
    }

    free(in);
    lfr_free(rules);

    return 0;
}
