/*
 * icp-report: what the sample so far can detect, so that "not significant"
 * can be read as "no effect of that size" or as "too early".
 *
 * For the pooled two-proportion test of stats.h at two-sided level alpha
 * and power 1 - beta, by the normal approximation on Cohen's arcsine scale
 * h = 2 asin(sqrt(p_v)) - 2 asin(sqrt(p_c)), where the variance of the
 * estimate is 1/n_c + 1/n_v whatever the rates (Cohen, "Statistical Power
 * Analysis for the Behavioral Sciences", 2nd ed., 1988, ch. 6):
 *
 *   detectable h   = (z_alpha + z_power) sqrt(1/n_c + 1/n_v)
 *
 * the far tail of the two-sided test (below 1e-6 of the power at 80%)
 * left out, as statsmodels' NormalIndPower does with alternative
 * "larger" at alpha / 2.  z_alpha is the 1 - alpha/2 quantile of the
 * standard normal (RPT_Z95 of stats.h for 5%), z_power the 1 - beta one
 * (RPT_Z80 for 80%).
 */

#ifndef RPT_POWER_H
#define RPT_POWER_H

#include <stdint.h>


/* The 0.80 quantile of the standard normal: power 80%. */
#define RPT_Z80  0.8416212335729143


typedef struct {
    /*
     * minimum detectable effect: the smallest rise of the control's rate
     * p_c that the current sample detects, absolute (a rate p_c + mde_abs)
     * and relative (mde_abs / p_c); NaN with no visitors in an arm, or
     * when even a rate of 1 is not enough; mde_rel NaN when p_c = 0
     */
    double  mde_abs;
    double  mde_rel;
    /*
     * visitors that each arm needs in all, the current split kept, for
     * the lift observed to be detected: INFINITY when the rates are
     * equal, NaN with no visitors in an arm
     */
    double  total_c;
    double  total_v;
    /* still to come: ceil(total) - exposed, at least 0 */
    double  more_c;
    double  more_v;
} rpt_power_t;


/*
 * The control has xc conversions of nc visitors, the variant xv of nv;
 * xc > nc or xv > nv give NaN everywhere.
 */
void rpt_power(uint64_t xc, uint64_t nc, uint64_t xv, uint64_t nv,
    double z_alpha, double z_power, rpt_power_t *pw);


#endif /* RPT_POWER_H */
