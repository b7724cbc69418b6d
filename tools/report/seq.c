/*
 * icp-report: the mSPRT of seq.h, one look at a time.
 *
 * Everything is in closed form: the normal mixture integrates out, so a
 * look costs a few logarithms.  The likelihood ratio is handled through
 * its logarithm, which a strong effect on a large sample would overflow.
 */

#include <math.h>

#include "report/seq.h"


/*
 * D and V of a look; 0 when the look has no variance: an arm without
 * visitors, impossible counts, nobody or everybody converting in both.
 */
static int
rpt_seq_moments(uint64_t xc, uint64_t nc, uint64_t xv, uint64_t nv,
    double *d, double *v)
{
    double  pc, pv;

    if (nc == 0 || nv == 0 || xc > nc || xv > nv) {
        return 0;
    }

    pc = (double) xc / nc;
    pv = (double) xv / nv;
    *d = pv - pc;
    *v = pc * (1 - pc) / nc + pv * (1 - pv) / nv;

    return *v > 0;
}


/* The half-width multiplier c(r) of seq.h, r = tau2 / V. */
static double
rpt_seq_width(double r, double alpha)
{
    return sqrt((1 + r) / r * (log1p(r) - 2 * log(alpha)));
}


double
rpt_seq_p(uint64_t xc, uint64_t nc, uint64_t xv, uint64_t nv, double tau2)
{
    double  d, v, log_lr;

    if (!rpt_seq_moments(xc, nc, xv, nv, &d, &v)) {
        return NAN;
    }

    log_lr = 0.5 * log(v / (v + tau2))
             + tau2 * d * d / (2 * v * (v + tau2));

    return log_lr > 0 ? exp(-log_lr) : 1;
}


void
rpt_seq_ci(uint64_t xc, uint64_t nc, uint64_t xv, uint64_t nv,
    double tau2, double alpha, double *diff_lo, double *diff_hi,
    double *lift_lo, double *lift_hi)
{
    double  d, v, c, half, lr, se;

    *diff_lo = NAN;
    *diff_hi = NAN;
    *lift_lo = NAN;
    *lift_hi = NAN;

    if (!rpt_seq_moments(xc, nc, xv, nv, &d, &v)) {
        return;
    }

    c = rpt_seq_width(tau2 / v, alpha);
    half = c * sqrt(v);
    *diff_lo = d - half;
    *diff_hi = d + half;

    if (xc == 0 || xv == 0) {
        return;
    }

    /* as rpt_lift: Var(log p) ~ 1/x - 1/n for each arm */
    lr = log(((double) xv / nv) / ((double) xc / nc));
    se = sqrt(1.0 / xv - 1.0 / nv + 1.0 / xc - 1.0 / nc);
    *lift_lo = expm1(lr - c * se);
    *lift_hi = expm1(lr + c * se);
}


void
rpt_seq_init(rpt_seq_t *s, double tau2, double alpha)
{
    s->tau2 = tau2;
    s->alpha = alpha;
    s->p_value = 1;
    s->diff_lo = -INFINITY;
    s->diff_hi = INFINITY;
    s->lift_lo = -1;
    s->lift_hi = INFINITY;
    s->looks = 0;
    s->conflicts = 0;
}


/*
 * Narrows the running [*run_lo, *run_hi] to its intersection with [lo, hi]
 * (a NaN interval leaves it); 0, leaving it too, when the two are disjoint.
 */
static int
rpt_seq_intersect(double *run_lo, double *run_hi, double lo, double hi)
{
    if (isnan(lo)) {
        return 1;
    }

    if (lo > *run_hi || hi < *run_lo) {
        return 0;
    }

    *run_lo = fmax(*run_lo, lo);
    *run_hi = fmin(*run_hi, hi);

    return 1;
}


void
rpt_seq_look(rpt_seq_t *s, uint64_t xc, uint64_t nc, uint64_t xv,
    uint64_t nv)
{
    int     ok;
    double  p, diff_lo, diff_hi, lift_lo, lift_hi;

    p = rpt_seq_p(xc, nc, xv, nv, s->tau2);

    if (isnan(p)) {
        return;
    }

    s->looks++;
    s->p_value = fmin(s->p_value, p);

    rpt_seq_ci(xc, nc, xv, nv, s->tau2, s->alpha, &diff_lo, &diff_hi,
               &lift_lo, &lift_hi);

    ok = rpt_seq_intersect(&s->diff_lo, &s->diff_hi, diff_lo, diff_hi);
    ok &= rpt_seq_intersect(&s->lift_lo, &s->lift_hi, lift_lo, lift_hi);

    if (!ok) {
        s->conflicts++;
    }
}
