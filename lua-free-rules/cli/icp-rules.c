/*
 * icp-rules: check a rules file, or evaluate visitors against it exactly
 * as the module does.  (First cut: check only.)
 */

#include <stdio.h>
#include <string.h>

#include "lfr.h"


static void
diag_print(void *ctx, lfr_severity_t severity, const char *file,
    unsigned line, unsigned col, const char *msg)
{
    (void) ctx;

    fprintf(stderr, "%s:%u:%u: %s: %s\n", file, line, col,
            severity == LFR_ERROR ? "error" : "warning", msg);
}


int
main(int argc, char **argv)
{
    lfr_rules_t    *rules;
    lfr_summary_t   s;

    if (argc != 3 || strcmp(argv[1], "check") != 0) {
        fprintf(stderr, "usage: icp-rules check FILE\n");
        return 2;
    }

    rules = lfr_compile_file(argv[2], diag_print, NULL);
    if (rules == NULL) {
        return 1;
    }

    lfr_summary(rules, &s);
    printf("%s: %u icps, %u excludes, %u personas, %u routes, "
           "%u experiments\n", argv[2], s.icps, s.excludes, s.personas,
           s.routes, s.experiments);
    lfr_free(rules);

    return 0;
}
