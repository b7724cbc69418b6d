/*
 * icp-report: statistics of conversion rates, from counts only.
 *
 * Everything is computed in double precision from the closed forms cited
 * in README.md; the only iterative parts are the incomplete gamma function
 * (series or continued fraction, to full precision) and the exact sum for
 * the chance to beat control.
 */

#include <math.h>

#include "report/stats.h"


/* Relative precision and iteration cap of the incomplete gamma function. */
#define RPT_GAMMA_EPS    1e-15
#define RPT_GAMMA_ITERS  100000


void
rpt_wilson(uint64_t x, uint64_t n, double z, double *lo, double *hi)
{
    double  p, z2, denom, center, half;

    if (n == 0 || x > n) {
        *lo = NAN;
        *hi = NAN;
        return;
    }

    p = (double) x / n;
    z2 = z * z;
    denom = 1 + z2 / n;
    center = (p + z2 / (2.0 * n)) / denom;
    half = z / denom * sqrt(p * (1 - p) / n + z2 / (4.0 * n * n));

    /* rounding must not push the bounds of 0/n or n/n outside [0, 1] */
    *lo = fmax(0, center - half);
    *hi = fmin(1, center + half);
}


void
rpt_lift(uint64_t xc, uint64_t nc, uint64_t xv, uint64_t nv, double z,
    double *lift, double *lo, double *hi)
{
    double  pc, pv, se, lr;

    *lift = NAN;
    *lo = NAN;
    *hi = NAN;

    if (nc == 0 || nv == 0 || xc == 0 || xc > nc || xv > nv) {
        return;
    }

    pc = (double) xc / nc;
    pv = (double) xv / nv;
    *lift = pv / pc - 1;

    if (xv == 0) {
        return;
    }

    /* Var(log p) ~ (1 - p) / (n p) = 1/x - 1/n, for each arm */
    se = sqrt(1.0 / xv - 1.0 / nv + 1.0 / xc - 1.0 / nc);
    lr = log(pv / pc);
    *lo = exp(lr - z * se) - 1;
    *hi = exp(lr + z * se) - 1;
}


double
rpt_ztest(uint64_t xc, uint64_t nc, uint64_t xv, uint64_t nv)
{
    double  pc, pv, pool, se;

    if (nc == 0 || nv == 0 || xc > nc || xv > nv) {
        return NAN;
    }

    pc = (double) xc / nc;
    pv = (double) xv / nv;
    pool = (double) (xc + xv) / (nc + nv);

    /* nobody or everybody converted: no variance, no test */
    if (pool <= 0 || pool >= 1) {
        return NAN;
    }

    se = sqrt(pool * (1 - pool) * (1.0 / nc + 1.0 / nv));

    return erfc(fabs(pv - pc) / se / M_SQRT2);
}


static double
rpt_lbeta(double a, double b)
{
    return lgamma(a) + lgamma(b) - lgamma(a + b);
}


/*
 * P(X > Y) for X ~ Beta(a1, b1), Y ~ Beta(a2, b2), a1 a whole number:
 *
 *   sum(i = 0 .. a1 - 1) B(a2 + i, b1 + b2)
 *                        / ((b1 + i) B(1 + i, b1) B(a2, b2))
 *
 * (Evan Miller, "Formulas for Bayesian A/B Testing", 2015).  The terms are
 * summed from their logarithms, rescaled to the largest seen so far, so
 * terms far below 1e-308 still add up exactly.
 */
static double
rpt_beta_gt(double a1, double b1, double a2, double b2)
{
    double  i, l, max, sum, base;

    base = lgamma(b1 + b2) - rpt_lbeta(a2, b2) - lgamma(b1);
    max = -INFINITY;
    sum = 0;

    for (i = 0; i < a1; i++) {
        l = base + lgamma(a2 + i) - lgamma(a2 + i + b1 + b2)
            - log(b1 + i) - lgamma(1 + i) + lgamma(1 + i + b1);

        if (l > max) {
            sum = sum * exp(max - l) + 1;
            max = l;

        } else {
            sum += exp(l - max);
        }
    }

    return sum * exp(max);
}


double
rpt_beat(uint64_t xc, uint64_t nc, uint64_t xv, uint64_t nv)
{
    double  ac, bc, av, bv;

    if (xc > nc || xv > nv) {
        return NAN;
    }

    ac = 1.0 + xc;
    bc = 1.0 + (nc - xc);
    av = 1.0 + xv;
    bv = 1.0 + (nv - xv);

    /* the sum has as many terms as its first shape: take the smaller */
    if (av <= ac) {
        return rpt_beta_gt(av, bv, ac, bc);
    }

    return 1 - rpt_beta_gt(ac, bc, av, bv);
}


/* P(a, x) by its power series, for x < a + 1 (A&S 6.5.29). */
static double
rpt_gamma_p_series(double a, double x)
{
    double  term, sum, n;

    term = 1 / a;
    sum = term;

    for (n = 1; n < RPT_GAMMA_ITERS; n++) {
        term *= x / (a + n);
        sum += term;

        if (term < sum * RPT_GAMMA_EPS) {
            break;
        }
    }

    return sum * exp(-x + a * log(x) - lgamma(a));
}


/*
 * Q(a, x) by its continued fraction, for x >= a + 1 (A&S 6.5.31),
 * evaluated with the modified Lentz method.
 */
static double
rpt_gamma_q_fraction(double a, double x)
{
    double  b, c, d, h, an, delta, n;
    double  tiny = 1e-300;

    b = x + 1 - a;
    c = 1 / tiny;
    d = 1 / b;
    h = d;

    for (n = 1; n < RPT_GAMMA_ITERS; n++) {
        an = -n * (n - a);
        b += 2;
        d = an * d + b;
        d = (fabs(d) < tiny) ? 1 / tiny : 1 / d;
        c = b + an / c;

        if (fabs(c) < tiny) {
            c = tiny;
        }

        delta = d * c;
        h *= delta;

        if (fabs(delta - 1) < RPT_GAMMA_EPS) {
            break;
        }
    }

    return h * exp(-x + a * log(x) - lgamma(a));
}


double
rpt_gamma_q(double a, double x)
{
    if (!(a > 0) || !(x >= 0)) {
        return NAN;
    }

    if (x == 0) {
        return 1;
    }

    if (isinf(x)) {
        return 0;
    }

    if (x < a + 1) {
        return 1 - rpt_gamma_p_series(a, x);
    }

    return rpt_gamma_q_fraction(a, x);
}


double
rpt_chi2_sf(double x, double df)
{
    return rpt_gamma_q(df / 2, x / 2);
}


double
rpt_srm(const uint64_t *observed, const double *weight, size_t k,
    double *chi2, unsigned *df)
{
    size_t    i;
    unsigned  arms;
    double    total_w, total_n, expected, d;

    total_w = 0;
    total_n = 0;
    arms = 0;

    for (i = 0; i < k; i++) {
        total_n += observed[i];

        if (weight[i] > 0) {
            total_w += weight[i];
            arms++;
        }
    }

    *chi2 = NAN;
    *df = arms > 0 ? arms - 1 : 0;

    if (total_n == 0 || total_w == 0) {
        return NAN;
    }

    *chi2 = 0;

    for (i = 0; i < k; i++) {
        if (weight[i] > 0) {
            expected = total_n * weight[i] / total_w;
            d = observed[i] - expected;
            *chi2 += d * d / expected;

        } else if (observed[i] > 0) {
            /* visitors in a variant that was to get none */
            *chi2 = INFINITY;
            return 0;
        }
    }

    if (*df == 0) {
        return NAN;
    }

    return rpt_chi2_sf(*chi2, *df);
}
