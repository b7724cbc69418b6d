/*
 * icp-report: the statistics of an A/B comparison of conversion rates.
 *
 * Pure functions of counts.  Every result that does not exist for the
 * counts given (an empty variant, a rate of zero in a ratio) is NaN; the
 * outputs print it as "-" (text, html) or null (json).  Formulas and their
 * sources are in README.md.
 */

#ifndef RPT_STATS_H
#define RPT_STATS_H

#include <stddef.h>
#include <stdint.h>


/* The 0.975 quantile of the standard normal: two-sided 95%. */
#define RPT_Z95  1.959963984540054


/* Wilson score interval of x successes in n trials. */
void rpt_wilson(uint64_t x, uint64_t n, double z, double *lo, double *hi);

/*
 * Relative lift of the variant (xv of nv) over the control (xc of nc),
 * pv / pc - 1, and its interval by the delta method on log(pv / pc).
 */
void rpt_lift(uint64_t xc, uint64_t nc, uint64_t xv, uint64_t nv, double z,
    double *lift, double *lo, double *hi);

/* Two-sided p-value of the pooled two-proportion z-test. */
double rpt_ztest(uint64_t xc, uint64_t nc, uint64_t xv, uint64_t nv);

/*
 * P(pv > pc) with independent Beta(1 + x, 1 + n - x) posteriors, in
 * [0, 1], the smaller tail exact to about 1e-10 relative however small.
 */
double rpt_beat(uint64_t xc, uint64_t nc, uint64_t xv, uint64_t nv);

/* log B(a, b), accurate to rounding also for arguments in the millions. */
double rpt_lbeta(double a, double b);

/* Two-sided P(|T| > |t|) for Student's t with df degrees of freedom. */
double rpt_t_sf2(double t, double df);

/* The t with P(T > t) = p, 0 < p < 0.5, for df degrees of freedom. */
double rpt_t_quantile(double p, double df);


/* Count, mean and sum of squared deviations of a sample, by Welford. */
typedef struct {
    uint64_t     n;
    double       mean;
    double       m2;
} rpt_moments_t;

void rpt_moments_add(rpt_moments_t *m, double x);

/* The 95% t interval of the mean; NaN with fewer than 2 values. */
void rpt_mean_ci(const rpt_moments_t *m, double *lo, double *hi);


/* Welch's test of the variant's mean against the control's. */
typedef struct {
    double       diff;          /* mean_v - mean_c */
    double       lo;            /* its 95% interval */
    double       hi;
    double       lift;          /* mean_v / mean_c - 1 */
    double       t;
    double       df;            /* Welch-Satterthwaite */
    double       p_value;       /* two-sided */
} rpt_welch_t;

void rpt_welch(const rpt_moments_t *c, const rpt_moments_t *v,
    rpt_welch_t *w);

/* Regularized upper incomplete gamma Q(a, x) = Gamma(a, x) / Gamma(a). */
double rpt_gamma_q(double a, double x);

/* Upper tail P(X > x) of the chi-square distribution with df degrees. */
double rpt_chi2_sf(double x, double df);

/*
 * Sample-ratio check: chi-square goodness of fit of k observed counts to
 * the shares weight[i] / sum(weight).  Sets *chi2 and *df, returns the
 * p-value (0 when a variant of weight 0 was observed at all).
 */
double rpt_srm(const uint64_t *observed, const double *weight, size_t k,
    double *chi2, unsigned *df);


#endif /* RPT_STATS_H */
