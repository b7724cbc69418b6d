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

/* P(pv > pc) with independent Beta(1 + x, 1 + n - x) posteriors. */
double rpt_beat(uint64_t xc, uint64_t nc, uint64_t xv, uint64_t nv);

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
