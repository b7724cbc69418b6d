/*
 * icp-report: several variants at once.
 *
 * rpt_holm corrects the p-values of k comparisons (each variant against
 * the control, or each goal) for their number; rpt_prob_best says which
 * of k variants, the control among them, is likely the best.
 */

#ifndef RPT_MULTI_H
#define RPT_MULTI_H

#include <stddef.h>
#include <stdint.h>


/*
 * Holm's step-down adjusted p-values (Holm 1979, "A simple sequentially
 * rejective multiple test procedure"): with p sorted ascending,
 *
 *   adj_(i) = min(1, max over j <= i of (m - j + 1) p_(j))
 *
 * where m counts the p-values that are not NaN; a NaN (a comparison that
 * has no test) stays NaN in adj and is not counted in m.  Rejecting every
 * adj < alpha keeps the family-wise error rate at alpha under any
 * dependence, and rejects at least what Bonferroni does.  Ties get the
 * same adjusted value.  adj must not overlap p.  Quadratic in k: for the
 * handful of variants or goals of one experiment.
 */
void rpt_holm(const double *p, size_t k, double *adj);

/*
 * The probability that each of k variants has the highest rate, with
 * independent posteriors Beta(1 + conv[i], 1 + n[i] - conv[i]) (uniform
 * prior):
 *
 *   best[i] = integral over [0, 1] of f_i(x) prod(j != i) F_j(x) dx
 *
 * f the density, F the distribution function.  Computed by quadrature,
 * not simulation: the same counts always give the same figures, accurate
 * to about 1e-9 relative up to a million visitors per arm, the small ones (1e-15,
 * 1e-300) too; the error grows with log B(a, b) of the posteriors, to
 * 1e-8 at 3e7 visitors.  The best sum to 1.  Returns 0; -1, with every
 * best NaN, when some conv[i] > n[i].
 */
int rpt_prob_best(const uint64_t *conv, const uint64_t *n, size_t k,
    double *best);

/* Regularized incomplete beta function I_x(a, b), and its logarithm. */
double rpt_beta_inc(double x, double a, double b);
double rpt_log_beta_inc(double x, double a, double b);


#endif /* RPT_MULTI_H */
