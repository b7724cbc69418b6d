/*
 * icp-report: Holm's adjustment and the probability of being best.
 *
 * The probability of being best is one integral per variant.  Its
 * integrand g = f_i prod F_j is log-concave (so are the Beta densities of
 * shapes >= 1 and, by Prekopa, their distribution functions), hence has one
 * peak: the peak is found by golden-section search on log g, the interval
 * where log g is within RPT_BEST_NATS of it by bisection, and g is
 * integrated there by Gauss-Legendre panels, doubled until two rounds
 * agree.  Working with log g scaled by its peak keeps the relative accuracy
 * of a probability of 1e-15 as of one of 0.5, where a sum of simulated
 * draws or 1 - (the others) would keep none.
 */

#include <float.h>
#include <math.h>

#include "report/multi.h"


/* Continued fraction of I_x(a, b): relative precision, iteration cap. */
#define RPT_BETA_EPS     1e-15
#define RPT_BETA_ITERS   1000000

/*
 * Outside the interval where log g is within this of its peak, g is below
 * e^-50 = 2e-22 of its peak; g being log-concave, it falls at least that
 * fast further out, so what is left out is as small against the whole.
 */
#define RPT_BEST_NATS    50

/* Gauss-Legendre points per panel; panels of the first and last round. */
#define RPT_GL_POINTS    20
#define RPT_GL_PANELS    8
#define RPT_GL_PANELS_MAX  4096
#define RPT_GL_EPS       1e-13

/* Search steps: each shrinks the interval by 0.618 or 0.5, to below 1e-18. */
#define RPT_SEARCH_STEPS  90


/* Pass order of Holm: ascending p, ties by position. */
static int
rpt_holm_before(const double *p, size_t i, size_t j)
{
    return p[i] < p[j] || (p[i] == p[j] && i < j);
}


void
rpt_holm(const double *p, size_t k, double *adj)
{
    size_t  i, j, m, left, rank, last, next;
    double  run;

    m = 0;

    for (i = 0; i < k; i++) {
        m += !isnan(p[i]);
    }

    /* (m - rank) p, rank counted from 0 in pass order */
    for (i = 0; i < k; i++) {
        if (isnan(p[i])) {
            adj[i] = NAN;
            continue;
        }

        rank = 0;

        for (j = 0; j < k; j++) {
            rank += !isnan(p[j]) && rpt_holm_before(p, j, i);
        }

        adj[i] = (m - rank) * p[i];
    }

    /*
     * The running maximum over the pass order, taken from the last in
     * that order down, so that what is still to be read is not yet
     * overwritten.
     */
    last = k;

    for (left = m; left > 0; left--) {
        next = k;

        for (i = 0; i < k; i++) {
            if (!isnan(p[i])
                && (last == k || rpt_holm_before(p, i, last))
                && (next == k || rpt_holm_before(p, next, i)))
            {
                next = i;
            }
        }

        run = adj[next];

        for (j = 0; j < k; j++) {
            if (!isnan(p[j]) && rpt_holm_before(p, j, next)) {
                run = fmax(run, adj[j]);
            }
        }

        adj[next] = fmin(1, run);
        last = next;
    }
}


/* Stirling's series of log Gamma(x) - ((x - 1/2) log x - x + log(2 pi)/2). */
static double
rpt_lgamma_corr(double x)
{
    double  x2;

    x2 = 1 / (x * x);

    return (1.0 / 12 - x2 * (1.0 / 360 - x2 * (1.0 / 1260 - x2 * (1.0 / 1680
            - x2 / 1188)))) / x;
}


/*
 * log B(a, b).  lgamma(b) - lgamma(a + b) subtracts two numbers near
 * b log b: with a small and b = 1e7, 1e-8 of the result is lost.  With
 * Stirling's series, from x >= 10 (its error then below 1e-14), the large
 * terms cancel before they are computed.
 */
static double
rpt_lbeta(double a, double b)
{
    double  t, s;

    if (a > b) {
        t = a;
        a = b;
        b = t;
    }

    s = a + b;

    if (b < 10) {
        return lgamma(a) + lgamma(b) - lgamma(s);
    }

    /* lgamma(b) - lgamma(a + b) by the series, the large terms cancelled */
    t = (b - 0.5) * log1p(-a / s) - a * log(s) + a
        + rpt_lgamma_corr(b) - rpt_lgamma_corr(s);

    if (a < 10) {
        return lgamma(a) + t;
    }

    return (a - 0.5) * log(a) - a + 0.5 * log(2 * M_PI) + rpt_lgamma_corr(a)
           + t;
}


/*
 * The continued fraction of I_x(a, b) (Abramowitz & Stegun 26.5.8),
 * 1 / (1 + d1 / (1 + d2 / (1 + ...))), by the modified Lentz method;
 * converges fast for x < (a + 1) / (a + b + 2).
 */
static double
rpt_beta_cf(double x, double a, double b)
{
    double  f, c, d, dm, delta, j;
    double  tiny = 1e-300;
    long    m;

    f = 1;
    c = 1;
    d = 0;

    for (m = 1; m < RPT_BETA_ITERS; m++) {
        j = (double) (m / 2);

        if (m % 2) {
            dm = -(a + j) * (a + b + j) * x / ((a + 2 * j) * (a + 2 * j + 1));

        } else {
            dm = j * (b - j) * x / ((a + 2 * j - 1) * (a + 2 * j));
        }

        d = 1 + dm * d;
        d = (fabs(d) < tiny) ? 1 / tiny : 1 / d;
        c = 1 + dm / c;

        if (fabs(c) < tiny) {
            c = tiny;
        }

        delta = c * d;
        f *= delta;

        if (fabs(delta - 1) < RPT_BETA_EPS) {
            break;
        }
    }

    return 1 / f;
}


double
rpt_log_beta_inc(double x, double a, double b)
{
    double  front;

    if (!(a > 0) || !(b > 0) || isnan(x)) {
        return NAN;
    }

    if (x <= 0) {
        return -INFINITY;
    }

    if (x >= 1) {
        return 0;
    }

    /* x^a (1 - x)^b / B(a, b), as a logarithm */
    front = a * log(x) + b * log1p(-x) - rpt_lbeta(a, b);

    if (x < (a + 1) / (a + b + 2)) {
        return front - log(a) + log(rpt_beta_cf(x, a, b));
    }

    /* I_x(a, b) = 1 - I_(1-x)(b, a), the small tail computed directly */
    return log1p(-exp(front - log(b) + log(rpt_beta_cf(1 - x, b, a))));
}


double
rpt_beta_inc(double x, double a, double b)
{
    return exp(rpt_log_beta_inc(x, a, b));
}


/* The integrand of variant i: the posterior shapes come from the counts. */
typedef struct {
    const uint64_t  *conv;
    const uint64_t  *n;
    size_t           k;
    size_t           i;
} rpt_best_t;


#define rpt_shape_a(bt, j)  (1.0 + (bt)->conv[j])
#define rpt_shape_b(bt, j)  (1.0 + ((bt)->n[j] - (bt)->conv[j]))


/* log g(x) of variant i, without the constant -log B(a_i, b_i). */
static double
rpt_best_log(const rpt_best_t *bt, double x)
{
    size_t  j;
    double  l, a, b;

    a = rpt_shape_a(bt, bt->i);
    b = rpt_shape_b(bt, bt->i);

    /* (a - 1) log x with a = 1 is 0 at x = 0 too */
    l = (a > 1) ? (a - 1) * log(x) : 0;
    l += (b > 1) ? (b - 1) * log1p(-x) : 0;

    for (j = 0; j < bt->k && l > -INFINITY; j++) {
        if (j != bt->i) {
            l += rpt_log_beta_inc(x, rpt_shape_a(bt, j),
                                  rpt_shape_b(bt, j));
        }
    }

    return l;
}


/* The peak of the concave log g on [0, 1], by golden-section search. */
static double
rpt_best_peak(const rpt_best_t *bt)
{
    int     n;
    double  lo, hi, x1, x2, l1, l2;
    double  r = (sqrt(5.0) - 1) / 2;

    lo = 0;
    hi = 1;
    x1 = hi - r * (hi - lo);
    x2 = lo + r * (hi - lo);
    l1 = rpt_best_log(bt, x1);
    l2 = rpt_best_log(bt, x2);

    for (n = 0; n < RPT_SEARCH_STEPS; n++) {
        if (l1 < l2) {
            lo = x1;
            x1 = x2;
            l1 = l2;
            x2 = lo + r * (hi - lo);
            l2 = rpt_best_log(bt, x2);

        } else {
            hi = x2;
            x2 = x1;
            l2 = l1;
            x1 = hi - r * (hi - lo);
            l1 = rpt_best_log(bt, x1);
        }
    }

    return (lo + hi) / 2;
}


/*
 * Between the peak and the end, the point where log g falls to level: the
 * end itself if log g is above level there.
 */
static double
rpt_best_edge(const rpt_best_t *bt, double peak, double end, double level)
{
    int     n;
    double  mid;

    if (rpt_best_log(bt, end) >= level) {
        return end;
    }

    for (n = 0; n < RPT_SEARCH_STEPS; n++) {
        mid = (peak + end) / 2;

        if (rpt_best_log(bt, mid) >= level) {
            peak = mid;

        } else {
            end = mid;
        }
    }

    return end;
}


/*
 * Nodes and weights of Gauss-Legendre quadrature on [-1, 1]: the roots of
 * the Legendre polynomial P_n by Newton's method from Tricomi's estimate,
 * P_n and its derivative by the three-term recurrence.
 */
static void
rpt_gl_rule(double *node, double *weight)
{
    int     i, j, it;
    double  z, p0, p1, p2, dp, step;
    int     n = RPT_GL_POINTS;

    for (i = 0; i < n / 2; i++) {
        z = cos(M_PI * (i + 0.75) / (n + 0.5));

        for (it = 0; it < 100; it++) {
            p0 = 1;
            p1 = z;

            for (j = 2; j <= n; j++) {
                p2 = ((2 * j - 1) * z * p1 - (j - 1) * p0) / j;
                p0 = p1;
                p1 = p2;
            }

            dp = n * (z * p1 - p0) / (z * z - 1);
            step = p1 / dp;
            z -= step;

            if (fabs(step) < 4 * DBL_EPSILON) {
                break;
            }
        }

        node[i] = z;
        node[n - 1 - i] = -z;
        weight[i] = 2 / ((1 - z * z) * dp * dp);
        weight[n - 1 - i] = weight[i];
    }
}


/* The integral of exp(log g - top) over [lo, hi] in panels equal panels. */
static double
rpt_best_panels(const rpt_best_t *bt, double lo, double hi, double top,
    int panels, const double *node, const double *weight)
{
    int     p, q;
    double  h, mid, sum;

    h = (hi - lo) / panels;
    sum = 0;

    for (p = 0; p < panels; p++) {
        mid = lo + (p + 0.5) * h;

        for (q = 0; q < RPT_GL_POINTS; q++) {
            sum += weight[q]
                   * exp(rpt_best_log(bt, mid + node[q] * h / 2) - top);
        }
    }

    return sum * h / 2;
}


static double
rpt_best_one(const rpt_best_t *bt, const double *node, const double *weight)
{
    int     panels;
    double  peak, top, lo, hi, area, finer;

    peak = rpt_best_peak(bt);
    top = rpt_best_log(bt, peak);
    lo = rpt_best_edge(bt, peak, 0, top - RPT_BEST_NATS);
    hi = rpt_best_edge(bt, peak, 1, top - RPT_BEST_NATS);

    panels = RPT_GL_PANELS;
    area = rpt_best_panels(bt, lo, hi, top, panels, node, weight);

    while (panels < RPT_GL_PANELS_MAX) {
        panels *= 2;
        finer = rpt_best_panels(bt, lo, hi, top, panels, node, weight);

        if (fabs(finer - area) <= RPT_GL_EPS * finer) {
            area = finer;
            break;
        }

        area = finer;
    }

    return exp(top + log(area)
               - rpt_lbeta(rpt_shape_a(bt, bt->i), rpt_shape_b(bt, bt->i)));
}


int
rpt_prob_best(const uint64_t *conv, const uint64_t *n, size_t k,
    double *best)
{
    size_t      i;
    double      node[RPT_GL_POINTS], weight[RPT_GL_POINTS];
    rpt_best_t  bt;

    for (i = 0; i < k; i++) {
        if (conv[i] > n[i]) {
            for (i = 0; i < k; i++) {
                best[i] = NAN;
            }

            return -1;
        }
    }

    if (k == 1) {
        best[0] = 1;
        return 0;
    }

    rpt_gl_rule(node, weight);

    bt.conv = conv;
    bt.n = n;
    bt.k = k;

    for (i = 0; i < k; i++) {
        bt.i = i;
        best[i] = rpt_best_one(&bt, node, weight);
    }

    return 0;
}
