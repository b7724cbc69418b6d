/*
 * icp-report: sequential (always-valid) inference for the difference of two
 * conversion rates, so that a report may be read every day without the
 * false-positive rate growing with the number of looks.
 *
 * The method is the mixture sequential probability ratio test (mSPRT) with
 * a normal mixing distribution, as in Optimizely's Stats Engine (Johari,
 * Koomen, Pekelis, Walsh, "Peeking at A/B Tests", KDD 2017).  For the
 * difference d = p_v - p_c, estimated by D = x_v/n_v - x_c/n_c with the
 * unpooled variance V = p_c(1-p_c)/n_c + p_v(1-p_v)/n_v, the likelihood
 * ratio of "d ~ N(d0, tau2)" against "d = d0" at one look is
 *
 *   L(d0) = sqrt(V / (V + tau2)) exp(tau2 (D - d0)^2 / (2 V (V + tau2)))
 *
 * Under d = d0 it is a martingale (asymptotically), so by Ville's inequality
 * the chance that it ever reaches 1/alpha is at most alpha:
 *
 *   p-value   p_t = min(p_{t-1}, 1 / L_t(0)), p_0 = 1
 *   interval  the d0 with L_t(d0) < 1/alpha, D +/- sqrt(V) c(tau2 / V),
 *             c(r) = sqrt((1 + r) / r (log(1 + r) - 2 log alpha)),
 *             intersected with the interval of every earlier look
 *
 * The relative lift p_v / p_c - 1 gets the matching interval: the same
 * multiplier c(tau2 / V) of the same look, applied on the log scale to the
 * delta-method standard error of log(p_v / p_c) that the fixed-horizon
 * interval uses (stats.h, rpt_lift), then intersected across looks.  This
 * is a mixing variance of about tau2 / p_c^2 on the log ratio.
 *
 * tau2, the variance of the mixing distribution, is the tuning parameter:
 * any value keeps the error rate, it decides which differences the test
 * finds soonest.  The default, RPT_SEQ_TAU2 = 1e-4, is a standard
 * deviation of one percentage point on the difference: for rates of 1% to
 * 5% and lifts of 10% to 50%, the sample it needs is within 1.43 times
 * that of the best tau2 for the case (README.md, "Sequential results").
 *
 * Feed the cumulative counts of each look in time order (each day, say);
 * one look at the end is valid too.  Counts are visitors, one Bernoulli
 * trial each; the normal approximation wants a few dozen conversions per
 * arm before the first look counts for much.
 */

#ifndef RPT_SEQ_H
#define RPT_SEQ_H

#include <stdint.h>


/* Mixing variance tau^2 of the difference of rates: tau = 0.01. */
#define RPT_SEQ_TAU2   1e-4


typedef struct {
    double    tau2;
    double    alpha;
    /* always-valid p-value: the running minimum, 1 before any look */
    double    p_value;
    /* always-valid interval of p_v - p_c: -inf, +inf before any look */
    double    diff_lo;
    double    diff_hi;
    /* always-valid interval of p_v / p_c - 1: -1, +inf before any look */
    double    lift_lo;
    double    lift_hi;
    /* looks that had a variance (some conversion, not everyone) */
    unsigned  looks;
    /*
     * looks whose interval missed the running one entirely: the effect
     * moved, which the model rules out; the running interval is kept
     */
    unsigned  conflicts;
} rpt_seq_t;


/*
 * The p-value of one look alone, min(1, 1 / L(0)); NaN when the look has
 * no variance (no visitors in an arm, x > n, V = 0).
 */
double rpt_seq_p(uint64_t xc, uint64_t nc, uint64_t xv, uint64_t nv,
    double tau2);

/*
 * The intervals of one look alone at level 1 - alpha: of the difference,
 * NaN without variance; of the relative lift, NaN unless both arms have a
 * conversion.
 */
void rpt_seq_ci(uint64_t xc, uint64_t nc, uint64_t xv, uint64_t nv,
    double tau2, double alpha, double *diff_lo, double *diff_hi,
    double *lift_lo, double *lift_hi);

/* Starts a sequence of looks: tau2 > 0 (RPT_SEQ_TAU2), 0 < alpha < 1. */
void rpt_seq_init(rpt_seq_t *s, double tau2, double alpha);

/*
 * One more look, with the cumulative counts so far: lowers the p-value and
 * narrows the intervals.  A look without variance changes nothing.
 */
void rpt_seq_look(rpt_seq_t *s, uint64_t xc, uint64_t nc, uint64_t xv,
    uint64_t nv);


#endif /* RPT_SEQ_H */
