/*
 * The statistics of tools/report/seq.c, multi.c and power.c on the cases
 * that tests/stats_ref.py writes, for t/31-stats-ref.t to compare with
 * what SciPy and statsmodels compute.  One case per input line, the
 * results of one case per output line:
 *
 *   holm K P1 .. PK                      ->  K adjusted p-values
 *   seq TAU2 ALPHA T XC NC XV NV ...     ->  p diff_lo diff_hi lift_lo
 *        (T looks of cumulative counts)      lift_hi, after the last look
 *   best K C1 N1 .. CK NK                ->  K probabilities of being best
 *   power ZA ZB XC NC XV NV              ->  mde_abs mde_rel total_c total_v
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/multi.h"
#include "report/power.h"
#include "report/seq.h"


#define MAX_K  64


static char  *next_tok;


static double
num(void)
{
    char  *t;

    t = strtok_r(NULL, " \t\n", &next_tok);

    if (t == NULL) {
        fprintf(stderr, "stats_ref: short line\n");
        exit(2);
    }

    return strtod(t, NULL);
}


static uint64_t
count(void)
{
    return (uint64_t) num();
}


static void
out(const double *v, size_t n)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        printf(i ? " %.17g" : "%.17g", v[i]);
    }

    printf("\n");
}


int
main(void)
{
    char         line[65536], *cmd;
    size_t       i, k, t, looks;
    double       p[MAX_K], r[MAX_K], tau2, alpha, za, zb;
    uint64_t     c[MAX_K], n[MAX_K], xc, nc, xv, nv;
    rpt_seq_t    s;
    rpt_power_t  pw;

    while (fgets(line, sizeof(line), stdin) != NULL) {
        cmd = strtok_r(line, " \t\n", &next_tok);

        if (cmd == NULL) {
            continue;
        }

        if (strcmp(cmd, "holm") == 0) {
            k = count();

            for (i = 0; i < k && i < MAX_K; i++) {
                p[i] = num();
            }

            rpt_holm(p, i, r);
            out(r, i);

        } else if (strcmp(cmd, "seq") == 0) {
            tau2 = num();
            alpha = num();
            looks = count();
            rpt_seq_init(&s, tau2, alpha);

            for (t = 0; t < looks; t++) {
                xc = count();
                nc = count();
                xv = count();
                nv = count();
                rpt_seq_look(&s, xc, nc, xv, nv);
            }

            r[0] = s.p_value;
            r[1] = s.diff_lo;
            r[2] = s.diff_hi;
            r[3] = s.lift_lo;
            r[4] = s.lift_hi;
            out(r, 5);

        } else if (strcmp(cmd, "best") == 0) {
            k = count();

            for (i = 0; i < k && i < MAX_K; i++) {
                c[i] = count();
                n[i] = count();
            }

            rpt_prob_best(c, n, i, r);
            out(r, i);

        } else if (strcmp(cmd, "power") == 0) {
            za = num();
            zb = num();
            xc = count();
            nc = count();
            xv = count();
            nv = count();
            rpt_power(xc, nc, xv, nv, za, zb, &pw);
            r[0] = pw.mde_abs;
            r[1] = pw.mde_rel;
            r[2] = pw.total_c;
            r[3] = pw.total_v;
            out(r, 4);

        } else {
            fprintf(stderr, "stats_ref: unknown case \"%s\"\n", cmd);
            return 2;
        }
    }

    return 0;
}
