/*
 * The A/A simulation of aa_sim.h.  Visitors are Bernoulli draws from
 * SplitMix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number
 * generators", OOPSLA 2014): integer arithmetic only, so the draws, and
 * the counts, are the same everywhere.
 */

#include <math.h>

#include "report/seq.h"
#include "report/stats.h"
#include "aa_sim.h"


static uint64_t
aa_next(uint64_t *state)
{
    uint64_t  z;

    *state += 0x9e3779b97f4a7c15ULL;
    z = *state;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;

    return z ^ (z >> 31);
}


/* Conversions among n visitors of the given rate. */
static uint64_t
aa_batch(uint64_t *state, unsigned n, double rate)
{
    unsigned  i;
    uint64_t  conv;

    conv = 0;

    for (i = 0; i < n; i++) {
        /* the top 53 bits as a uniform in [0, 1) */
        conv += (double) (aa_next(state) >> 11) * 0x1p-53 < rate;
    }

    return conv;
}


void
aa_default(aa_conf_t *conf)
{
    conf->experiments = 1000;
    conf->looks = 20;
    conf->batch = 1000;
    conf->rate = 0.10;
    conf->lift = 0;
    conf->alpha = 0.05;
    conf->tau2 = RPT_SEQ_TAU2;
    conf->seed = 20261123;
}


void
aa_run(const aa_conf_t *conf, aa_result_t *res)
{
    unsigned   e, t, fixed, seq;
    double     rate_v;
    uint64_t   state, xc, xv, n;
    rpt_seq_t  s;

    rate_v = conf->rate * (1 + conf->lift);
    res->fixed = 0;
    res->seq = 0;
    res->fixed_last = 0;
    res->seq_last = 0;
    state = conf->seed;

    for (e = 0; e < conf->experiments; e++) {
        xc = 0;
        xv = 0;
        n = 0;
        fixed = 0;
        seq = 0;
        rpt_seq_init(&s, conf->tau2, conf->alpha);

        for (t = 0; t < conf->looks; t++) {
            xc += aa_batch(&state, conf->batch, conf->rate);
            xv += aa_batch(&state, conf->batch, rate_v);
            n += conf->batch;

            /* NaN (no conversions yet) compares false: not significant */
            fixed |= rpt_ztest(xc, n, xv, n) < conf->alpha;
            rpt_seq_look(&s, xc, n, xv, n);
            seq |= s.p_value < conf->alpha;
        }

        res->fixed += fixed;
        res->seq += seq;
        res->fixed_last += rpt_ztest(xc, n, xv, n) < conf->alpha;
        res->seq_last += rpt_seq_p(xc, n, xv, n, conf->tau2) < conf->alpha;
    }
}
