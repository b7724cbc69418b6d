/*
 * icp-report: statistics of conversion rates, from counts only.
 *
 * Everything is computed in double precision from the closed forms cited
 * in README.md; the only iterative parts are the incomplete gamma function
 * (series or continued fraction, to full precision) and the exact sum for
 * the chance to beat control.
 */

#include <float.h>
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


/*
 * The Stirling series remainder of lgamma(x) for x >= 10:
 *   lgamma(x) = (x - 1/2) log x - x + log(2 pi) / 2 + rpt_lgamma_rem(x)
 * sum(k) B_2k / (2k (2k - 1) x^(2k - 1)); at x = 10 the first term left
 * out is below 1e-17.
 */
static double
rpt_lgamma_rem(double x)
{
    double  x2;

    x2 = 1 / (x * x);

    return (1.0 / 12 + x2 * (-1.0 / 360 + x2 * (1.0 / 1260
            + x2 * (-1.0 / 1680 + x2 * (1.0 / 1188 + x2 * (-691.0 / 360360
            + x2 * (1.0 / 156 + x2 * (-3617.0 / 122400)))))))) / x;
}


#define RPT_LN_SQRT_2PI  0.918938533204672741780


/*
 * log B(a, b) without lgamma(a) + lgamma(b) - lgamma(a + b): for a
 * million visitors those are near 1.3e7 each, so their difference keeps
 * only 8 or 9 digits.  Written out by Stirling's formula, the large parts
 * cancel on paper, and what is computed (log1p of a ratio, the series
 * remainders) is small and exact to the last digits.
 */
double
rpt_lbeta(double a, double b)
{
    double  p, q, r;

    p = fmin(a, b);
    q = fmax(a, b);
    r = p / (p + q);

    if (p >= 10) {
        return RPT_LN_SQRT_2PI - 0.5 * log(q) + (p - 0.5) * log(r)
               + q * log1p(-r)
               + rpt_lgamma_rem(p) + rpt_lgamma_rem(q)
               - rpt_lgamma_rem(p + q);
    }

    if (q >= 10) {
        return lgamma(p) + p - p * log(p + q) + (q - 0.5) * log1p(-r)
               + rpt_lgamma_rem(q) - rpt_lgamma_rem(p + q);
    }

    /* small arguments: lgamma is exact enough, and p + q < 20 */
    return lgamma(p) + lgamma(q) - lgamma(p + q);
}


/* Rescale the running sum below when a term passes this. */
#define RPT_BIG      0x1p900
#define RPT_LOG_BIG  (900 * M_LN2)


/*
 * P(X > Y) for X ~ Beta(a1, b1), Y ~ Beta(a2, b2), a1 a whole number:
 *
 *   sum(i = 0 .. a1 - 1) B(a2 + i, b1 + b2)
 *                        / ((b1 + i) B(1 + i, b1) B(a2, b2))
 *
 * (Evan Miller, "Formulas for Bayesian A/B Testing", 2015).  The first
 * term is B(a2, b1 + b2) / B(a2, b2); each next one is the last times
 *
 *   (a2 + i) (b1 + i) / ((a2 + b1 + b2 + i) (1 + i))
 *
 * so only two log-betas are evaluated.  The terms are all positive: the
 * sum loses nothing however small it is.  They are summed relative to
 * the first, rescaled whenever they grow past 2^900.
 */
static double
rpt_beta_gt(double a1, double b1, double a2, double b2)
{
    double  i, t, sum, base;

    base = rpt_lbeta(a2, b1 + b2) - rpt_lbeta(a2, b2);
    t = 1;
    sum = 0;

    for (i = 0; i < a1; i++) {
        sum += t;
        t *= (a2 + i) * (b1 + i) / ((a2 + b1 + b2 + i) * (1 + i));

        if (t > RPT_BIG) {
            t /= RPT_BIG;
            sum /= RPT_BIG;
            base += RPT_LOG_BIG;
        }
    }

    return exp(base + log(sum));
}


/*
 * The tail that is computed by the sum is the one expected to be the
 * smaller (the arm with the lower posterior mean beating the other): a
 * chance near 1 is then 1 minus a small number, exact to rounding,
 * and a small chance is never the difference of two numbers near 1.
 */
double
rpt_beat(uint64_t xc, uint64_t nc, uint64_t xv, uint64_t nv)
{
    double  ac, bc, av, bv, p;

    if (xc > nc || xv > nv) {
        return NAN;
    }

    ac = 1.0 + xc;
    bc = 1.0 + (nc - xc);
    av = 1.0 + xv;
    bv = 1.0 + (nv - xv);

    /* av / (av + bv) <= ac / (ac + bc), without a division */
    if (av * (ac + bc) <= ac * (av + bv)) {
        p = rpt_beta_gt(av, bv, ac, bc);

    } else {
        p = 1 - rpt_beta_gt(ac, bc, av, bv);
    }

    return fmin(1, fmax(0, p));
}


/*
 * I_x(a, b), the regularized incomplete beta function, with y = 1 - x
 * given by the caller, by its continued fraction (DLMF 8.17.22) evaluated
 * with the modified Lentz method; it converges fast for x < (a + 1) /
 * (a + b + 2), and I_x(a, b) = 1 - I_y(b, a) covers the rest.
 *
 * In long double: for Student's t with a million degrees of freedom, x is
 * 1 - 1e-5 or so, and the fraction depends on 1 - x, which a double x
 * carries to 11 digits only.
 */
static long double
rpt_beta_inc(double a, double b, long double x, long double y)
{
    long double  c, d, h, m, num, delta, lx, ly, pre;
    long double  tiny = 1e-300L;
    int          k;

    if (x <= 0) {
        return 0;
    }

    if (y <= 0) {
        return 1;
    }

    if (x > (a + 1) / (a + b + 2)) {
        return 1 - rpt_beta_inc(b, a, y, x);
    }

    /* log x when x is near 1 is better had from y, and the other way */
    lx = x > 0.5L ? log1pl(-y) : logl(x);
    ly = y > 0.5L ? log1pl(-x) : logl(y);
    pre = expl(a * lx + b * ly - logl(a) - rpt_lbeta(a, b));

    /* the first level of the fraction, then one per coefficient */
    c = 1;
    d = 1 - (a + b) * x / (a + 1);
    d = (fabsl(d) < tiny) ? 1 / tiny : 1 / d;
    h = d;

    for (k = 2; k < RPT_GAMMA_ITERS; k++) {
        m = k / 2;

        if (k % 2 == 0) {
            num = m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m));

        } else {
            num = -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1));
        }

        d = 1 + num * d;
        d = (fabsl(d) < tiny) ? 1 / tiny : 1 / d;
        c = 1 + num / c;

        if (fabsl(c) < tiny) {
            c = tiny;
        }

        delta = c * d;
        h *= delta;

        if (fabsl(delta - 1) < 4 * LDBL_EPSILON) {
            break;
        }
    }

    return pre * h;
}


double
rpt_t_sf2(double t, double df)
{
    long double  t2;

    if (isnan(t) || !(df > 0)) {
        return NAN;
    }

    if (isinf(t)) {
        return 0;
    }

    /* P(|T| > t) = I_{df / (df + t^2)}(df / 2, 1 / 2) */
    t2 = (long double) t * t;

    return rpt_beta_inc(df / 2, 0.5, df / (df + t2), t2 / (df + t2));
}


/* The density of Student's t with df degrees of freedom. */
static double
rpt_t_pdf(double t, double df)
{
    return exp(-(df + 1) / 2 * log1p(t * t / df) - 0.5 * log(df)
               - rpt_lbeta(df / 2, 0.5));
}


double
rpt_t_quantile(double p, double df)
{
    double  lo, hi, t, next;
    int     i;

    if (!(p > 0 && p < 0.5) || !(df > 0)) {
        return NAN;
    }

    /* a bracket [lo, hi] of the root of P(T > t) = p, then Newton's steps
     * kept inside it, halving it when a step would leave */
    lo = 0;

    for (hi = 2; rpt_t_sf2(hi, df) / 2 > p; hi *= 2) {
        lo = hi;
    }

    t = (lo + hi) / 2;

    for (i = 0; i < 200; i++) {
        if (rpt_t_sf2(t, df) / 2 > p) {
            lo = t;

        } else {
            hi = t;
        }

        next = t + (rpt_t_sf2(t, df) / 2 - p) / rpt_t_pdf(t, df);

        if (!(next > lo && next < hi)) {
            next = (lo + hi) / 2;
        }

        if (fabs(next - t) <= 1e-15 * t) {
            return next;
        }

        t = next;
    }

    return t;
}


void
rpt_moments_add(rpt_moments_t *m, double x)
{
    double  d;

    /* Welford's update: no sum of squares to cancel against the mean */
    m->n++;
    d = x - m->mean;
    m->mean += d / m->n;
    m->m2 += d * (x - m->mean);
}


void
rpt_mean_ci(const rpt_moments_t *m, double *lo, double *hi)
{
    double  half;

    *lo = NAN;
    *hi = NAN;

    if (m->n < 2) {
        return;
    }

    half = rpt_t_quantile(0.025, m->n - 1)
           * sqrt(m->m2 / (m->n - 1) / m->n);
    *lo = m->mean - half;
    *hi = m->mean + half;
}


void
rpt_welch(const rpt_moments_t *c, const rpt_moments_t *v, rpt_welch_t *w)
{
    double  sc, sv, se, q;

    w->diff = NAN;
    w->lo = NAN;
    w->hi = NAN;
    w->t = NAN;
    w->df = NAN;
    w->p_value = NAN;
    w->lift = NAN;

    if (c->n == 0 || v->n == 0) {
        return;
    }

    w->diff = v->mean - c->mean;
    w->lift = c->mean != 0 ? v->mean / c->mean - 1 : NAN;

    if (c->n < 2 || v->n < 2) {
        return;
    }

    /* the squared standard errors of the two means */
    sc = c->m2 / (c->n - 1) / c->n;
    sv = v->m2 / (v->n - 1) / v->n;
    se = sqrt(sc + sv);

    if (!(se > 0)) {
        return;
    }

    /* Welch-Satterthwaite */
    w->df = (sc + sv) * (sc + sv)
            / (sc * sc / (c->n - 1) + sv * sv / (v->n - 1));
    w->t = w->diff / se;
    w->p_value = rpt_t_sf2(w->t, w->df);
    q = rpt_t_quantile(0.025, w->df);
    w->lo = w->diff - q * se;
    w->hi = w->diff + q * se;
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
