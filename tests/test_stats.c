/*
 * Unit tests of icp-report's statistics (tools/report/stats.c) against
 * published values and values worked out by hand, the arithmetic shown.
 */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "report/stats.h"


#define assert_near(a, b, eps)                                               \
    assert_true(fabs((double) (a) - (double) (b)) <= (eps))


/*
 * Newcombe RG, "Two-sided confidence intervals for the single proportion:
 * comparison of seven methods", Statistics in Medicine 17:857-872 (1998),
 * Table II, method 3 (Wilson score interval), to the 4 decimals printed.
 */
static void
test_wilson_newcombe(void **state)
{
    double  lo, hi;

    (void) state;

    rpt_wilson(81, 263, RPT_Z95, &lo, &hi);
    assert_near(lo, 0.2553, 0.00005);
    assert_near(hi, 0.3662, 0.00005);

    rpt_wilson(15, 148, RPT_Z95, &lo, &hi);
    assert_near(lo, 0.0624, 0.00005);
    assert_near(hi, 0.1605, 0.00005);

    rpt_wilson(0, 20, RPT_Z95, &lo, &hi);
    assert_true(lo == 0);
    assert_near(hi, 0.1611, 0.00005);

    rpt_wilson(1, 29, RPT_Z95, &lo, &hi);
    assert_near(lo, 0.0061, 0.00005);
    assert_near(hi, 0.1718, 0.00005);
}


/*
 * The ends in closed form: for x = 0 the upper bound is z^2 / (n + z^2),
 * for x = n the lower bound is n / (n + z^2) and the upper bound is 1.
 * A single converted visitor: 1 / (1 + 3.841459) = 0.206549.
 */
static void
test_wilson_edges(void **state)
{
    double  lo, hi, z2;

    (void) state;

    z2 = RPT_Z95 * RPT_Z95;

    rpt_wilson(20, 20, RPT_Z95, &lo, &hi);
    assert_near(lo, 20 / (20 + z2), 1e-12);
    assert_true(hi == 1);

    rpt_wilson(1, 1, RPT_Z95, &lo, &hi);
    assert_near(lo, 0.206549, 0.000001);
    assert_true(hi == 1);

    rpt_wilson(0, 1, RPT_Z95, &lo, &hi);
    assert_true(lo == 0);
    assert_near(hi, z2 / (1 + z2), 1e-12);

    rpt_wilson(0, 0, RPT_Z95, &lo, &hi);
    assert_true(isnan(lo) && isnan(hi));
}


/*
 * Control 100/1000, variant 130/1000, by hand:
 *   pooled p = 230/2000 = 0.115
 *   se = sqrt(0.115 * 0.885 * (1/1000 + 1/1000)) = 0.0142671
 *   z = 0.03 / 0.0142671 = 2.10274, two-sided p = 2 (1 - Phi(z)) = 0.03549
 */
static void
test_ztest_by_hand(void **state)
{
    (void) state;

    assert_near(rpt_ztest(100, 1000, 130, 1000), 0.03549, 0.00001);
    /* two-sided: the order of the arms does not matter */
    assert_near(rpt_ztest(130, 1000, 100, 1000), 0.03549, 0.00001);
}


/*
 * Physicians' Health Study (Steering Committee of the Physicians' Health
 * Study Research Group, NEJM 321:129-135, 1989), a classic textbook table:
 * myocardial infarction 189 of 11034 on placebo, 104 of 11037 on aspirin.
 * By hand: P = 293/22071 = 0.0132753, se = sqrt(P (1 - P) (1/11034 +
 * 1/11037)) = 0.00154078, z = (0.0171289 - 0.0094229) / se = 5.00139,
 * p = erfc(z / sqrt 2) = 5.692e-7.  z^2 = 25.014 is Pearson's X^2 of the
 * table, so the chi-square tail (another code path: the incomplete gamma
 * function) must give the same p.
 */
static void
test_ztest_aspirin(void **state)
{
    double  p;

    (void) state;

    p = rpt_ztest(189, 11034, 104, 11037);
    assert_near(p, 5.692e-7, 0.001e-7);
    assert_near(p, rpt_chi2_sf(25.0139, 1), 0.001 * p);
}


static void
test_ztest_edges(void **state)
{
    (void) state;

    /* nobody converted, or everybody: no variance, no test */
    assert_true(isnan(rpt_ztest(0, 100, 0, 100)));
    assert_true(isnan(rpt_ztest(100, 100, 50, 50)));
    /* an empty arm */
    assert_true(isnan(rpt_ztest(10, 100, 0, 0)));
    /* identical rates: z = 0, p = 1 */
    assert_near(rpt_ztest(10, 100, 20, 200), 1, 1e-12);
}


/*
 * Lift of 130/1000 over 100/1000, by hand, delta method on the log ratio:
 *   lift = 0.13 / 0.10 - 1 = 0.3
 *   se = sqrt(1/130 - 1/1000 + 1/100 - 1/1000) = 0.125269
 *   exp(ln 1.3 -/+ 1.959964 * 0.125269) - 1 = 0.016984, 0.661776
 * And the relative risk of the aspirin study above, by hand: 1.8178,
 * se = sqrt(1/189 - 1/11034 + 1/104 - 1/11037) = 0.121347, interval
 * exp(0.59763 -/+ 1.959964 * 0.121347) = 1.4330, 2.3059.
 */
static void
test_lift_by_hand(void **state)
{
    double  lift, lo, hi;

    (void) state;

    rpt_lift(100, 1000, 130, 1000, RPT_Z95, &lift, &lo, &hi);
    assert_near(lift, 0.3, 1e-12);
    assert_near(lo, 0.016984, 0.000002);
    assert_near(hi, 0.661776, 0.000002);

    rpt_lift(104, 11037, 189, 11034, RPT_Z95, &lift, &lo, &hi);
    assert_near(lift + 1, 1.8178, 0.0001);
    assert_near(lo + 1, 1.4330, 0.0001);
    assert_near(hi + 1, 2.3059, 0.0001);
}


static void
test_lift_edges(void **state)
{
    double  lift, lo, hi;

    (void) state;

    /* a control without conversions: no ratio */
    rpt_lift(0, 100, 5, 100, RPT_Z95, &lift, &lo, &hi);
    assert_true(isnan(lift) && isnan(lo) && isnan(hi));

    /* a variant without conversions: -100%, but no log-scale interval */
    rpt_lift(5, 100, 0, 100, RPT_Z95, &lift, &lo, &hi);
    assert_near(lift, -1, 1e-12);
    assert_true(isnan(lo) && isnan(hi));

    /* an empty variant */
    rpt_lift(5, 100, 0, 0, RPT_Z95, &lift, &lo, &hi);
    assert_true(isnan(lift));

    /* all converted in both: lift 0, interval collapses to 0 */
    rpt_lift(50, 50, 80, 80, RPT_Z95, &lift, &lo, &hi);
    assert_near(lift, 0, 1e-12);
    assert_near(lo, 0, 1e-12);
    assert_near(hi, 0, 1e-12);
}


/*
 * Chance to beat control with Beta(1 + x, 1 + n - x) posteriors, cases
 * integrated by hand:
 *   variant 1/1 -> Beta(2,1), density 2v; control 0/0 -> uniform:
 *     P = int 2v * v dv = 2/3
 *   variant 0/1 -> Beta(1,2), density 2(1-v): P = int 2(1-v) v dv = 1/3
 *   variant 2/2 -> Beta(3,1), density 3v^2; control 1/1 -> Beta(2,1),
 *     CDF c^2: P = int 3v^2 * v^2 dv = 3/5
 */
static void
test_beat_by_hand(void **state)
{
    (void) state;

    assert_near(rpt_beat(0, 0, 1, 1), 2.0 / 3, 1e-12);
    assert_near(rpt_beat(0, 0, 0, 1), 1.0 / 3, 1e-12);
    assert_near(rpt_beat(1, 1, 2, 2), 3.0 / 5, 1e-12);
    /* the same three with the arms swapped take the other branch */
    assert_near(rpt_beat(1, 1, 0, 0), 1.0 / 3, 1e-12);
    assert_near(rpt_beat(2, 2, 1, 1), 2.0 / 5, 1e-12);
}


static void
test_beat_symmetry(void **state)
{
    double  p, q;

    (void) state;

    /* identical counts: exactly one half, small or large */
    assert_near(rpt_beat(0, 0, 0, 0), 0.5, 1e-12);
    assert_near(rpt_beat(3, 40, 3, 40), 0.5, 1e-12);
    assert_near(rpt_beat(5000, 100000, 5000, 100000), 0.5, 1e-9);

    /* P(v > c) + P(c > v) = 1, through both branches of the sum */
    p = rpt_beat(7, 120, 15, 130);
    q = rpt_beat(15, 130, 7, 120);
    assert_near(p + q, 1, 1e-12);
    assert_true(p > 0.9);
}


/*
 * Large counts: the posteriors are nearly normal, so the normal
 * approximation is a fair check of the exact sum (terms far below 1e-308
 * in the sum must not be lost).  5000/100000 vs 5200/100000:
 *   means 5001/100002, 5201/100002; variances a b / ((a+b)^2 (a+b+1))
 *   = 4.7506e-7, 4.9303e-7; z = 0.0019999 / 0.00098392 = 2.0326;
 *   Phi(z) = 0.97896
 */
static void
test_beat_large(void **state)
{
    (void) state;

    assert_near(rpt_beat(5000, 100000, 5200, 100000), 0.97896, 0.0002);
    assert_true(rpt_beat(0, 100000, 50, 100000) > 1 - 1e-12);
}


/*
 * The cases of issue 18, where 1 - S lost the small tail: the exact
 * values by quadrature, scipy.integrate.quad of f_v(t) F_c(t) over [0, 1]
 * (epsrel 1e-12; t/30-report-stats.t does the same for its cases):
 *   control 150/300, variant 225/900:     1.2813690843938246e-15
 *   control 2/24, variant 158/80,271:     1.7615342405897994e-05
 * Mirrored (control and variant swapped) they are 1 minus these, and
 * must not pass 1.
 */
static void
test_beat_small_tails(void **state)
{
    double  p;

    (void) state;

    p = rpt_beat(150, 300, 225, 900);
    assert_near(p, 1.2813690843938246e-15, 1e-6 * 1.2813690843938246e-15);

    p = rpt_beat(2, 24, 158, 80271);
    assert_near(p, 1.7615342405897994e-05, 1e-6 * 1.7615342405897994e-05);

    p = rpt_beat(225, 900, 150, 300);
    assert_true(p <= 1);
    assert_near(p, 1 - 1.2813690843938246e-15, 1e-15);

    p = rpt_beat(158, 80271, 2, 24);
    assert_true(p <= 1);
    assert_near(1 - p, 1.7615342405897994e-05, 1e-6 * 1.7615342405897994e-05);

    /* far out: positive, however small, never 0 by cancellation */
    p = rpt_beat(5000, 10000, 4000, 10000);
    assert_true(p > 0 && p < 1e-40);
    assert_true(rpt_beat(4000, 10000, 5000, 10000) <= 1);
}


/*
 * log B(a, b): closed forms B(1, b) = 1/b, B(2, b) = 1/(b (b + 1)),
 * B(1/2, 1/2) = pi; the recurrence B(a + 1, b) = B(a, b) a / (a + b)
 * across the branches (a from 9.5 to 10.5, around the switch at 10) and
 * at a million, where lgamma(a) + lgamma(b) - lgamma(a + b) keeps only
 * 9 digits; and scipy.special.betaln(1e6, 2e6) = -1909548.2909685448
 * (itself good to about 50 ulps: mpmath gives ...5331).
 */
static void
test_lbeta(void **state)
{
    double  a, b;

    (void) state;

    assert_near(rpt_lbeta(1, 1e6), -log(1e6), 1e-12);
    assert_near(rpt_lbeta(2, 80000), -log(80000.0 * 80001), 1e-12);
    assert_near(rpt_lbeta(0.5, 0.5), log(M_PI), 1e-14);
    assert_near(rpt_lbeta(7, 3), rpt_lbeta(3, 7), 0);

    for (a = 0.5; a < 40; a += 1) {
        for (b = 0.25; b < 1e7; b *= 7.3) {
            assert_near(rpt_lbeta(a + 1, b) - rpt_lbeta(a, b),
                        log(a / (a + b)), 1e-12 * (1 + fabs(rpt_lbeta(a, b))));
        }
    }

    assert_near(rpt_lbeta(1e6 + 1, 2e6) - rpt_lbeta(1e6, 2e6), log(1.0 / 3),
                1e-9);
    assert_near(rpt_lbeta(1e6, 2e6), -1909548.2909685448, 1e-12 * 1.91e6);
}


/*
 * Student's t in closed form: one degree of freedom is Cauchy,
 * P(|T| > t) = 1 - 2 atan(t) / pi; two give 1 - t / sqrt(2 + t^2).
 * Quantiles: tan(0.475 pi) = 12.706204736174707 for 1 df, and for 2 df
 * (1 - 2p) / sqrt(2 p (1 - p)) = 0.95 / sqrt(0.04875) = 4.302652729749464.
 * Many df: the normal's 1.959963984540054.
 */
static void
test_student_t(void **state)
{
    double  t, p;

    (void) state;

    /* written without 1 - x, which would lose the far tail: 1 - 2 atan(t)
     * / pi = 2 atan(1 / t) / pi, 1 - t / s = 2 / (s (s + t)) */
    for (t = 0.01; t < 1e4; t *= 1.9) {
        p = 2 * atan(1 / t) / M_PI;
        assert_near(rpt_t_sf2(t, 1), p, 1e-14 * p);
        p = 2 / (sqrt(2 + t * t) * (sqrt(2 + t * t) + t));
        assert_near(rpt_t_sf2(t, 2), p, 1e-14 * p);
    }

    assert_true(rpt_t_sf2(0, 5) == 1);
    assert_near(rpt_t_quantile(0.025, 1), 12.706204736174707, 1e-12);
    assert_near(rpt_t_quantile(0.025, 2), 4.302652729749464, 1e-13);
    assert_near(rpt_t_quantile(0.025, 1e9), RPT_Z95, 1e-8);
    assert_true(isnan(rpt_t_quantile(0.5, 10)));
}


/*
 * Welch's test, against scipy.stats.ttest_ind(v, c, equal_var=False) and
 * statsmodels' CompareMeans(...).tconfint_diff(usevar='unequal'):
 *   c = 0 0 0 120.5 0 0 300 0, v = 0 250 0 0 80 0 0 410.25 0 0
 *   t = 0.36286016787279274, p = 0.7214637808940005,
 *   df = 15.981624524404044, difference 21.4625, interval
 *   [-103.93765011078588, 146.8626501107859] (its t.ppf is good to 1e-10)
 * and the mean's t interval, scipy.stats.t.interval(0.95, 9, 74.025,
 * sem(v)): [-27.816204495046847, 175.86620449504687] (t.ppf again).
 */
static void
test_welch(void **state)
{
    size_t          i;
    double          lo, hi;
    rpt_moments_t   c = { 0, 0, 0 }, v = { 0, 0, 0 };
    rpt_welch_t     w;
    const double    cx[] = { 0, 0, 0, 120.5, 0, 0, 300, 0 };
    const double    vx[] = { 0, 250, 0, 0, 80, 0, 0, 410.25, 0, 0 };

    (void) state;

    for (i = 0; i < 8; i++) {
        rpt_moments_add(&c, cx[i]);
    }

    for (i = 0; i < 10; i++) {
        rpt_moments_add(&v, vx[i]);
    }

    rpt_welch(&c, &v, &w);
    assert_near(w.t, 0.36286016787279274, 1e-14);
    assert_near(w.p_value, 0.7214637808940005, 1e-14);
    assert_near(w.df, 15.981624524404044, 1e-12);
    assert_near(w.diff, 21.4625, 1e-12);
    assert_near(w.lift, 74.025 / 52.5625 - 1, 1e-14);
    assert_near(w.lo, -103.93765011078588, 1e-8);
    assert_near(w.hi, 146.8626501107859, 1e-8);

    rpt_mean_ci(&v, &lo, &hi);
    assert_near(lo, -27.816204495046847, 1e-8);
    assert_near(hi, 175.86620449504687, 1e-8);

    /* no spread at all, or one value: no test */
    c = (rpt_moments_t) { 0, 0, 0 };
    v = (rpt_moments_t) { 0, 0, 0 };
    rpt_moments_add(&c, 0);
    rpt_moments_add(&c, 0);
    rpt_moments_add(&v, 0);
    rpt_moments_add(&v, 0);
    rpt_welch(&c, &v, &w);
    assert_true(w.diff == 0 && isnan(w.p_value) && isnan(w.lo)
                && isnan(w.lift));
    rpt_moments_add(&c, 5);
    v.n = 1;
    rpt_welch(&c, &v, &w);
    assert_true(isnan(w.t) && !isnan(w.diff));
}


/* Welford keeps the variance of values far from 0: 1e9 + 1, 2, 3, 4. */
static void
test_moments(void **state)
{
    int            i;
    rpt_moments_t  m = { 0, 0, 0 };

    (void) state;

    for (i = 1; i <= 4; i++) {
        rpt_moments_add(&m, 1e9 + i);
    }

    assert_int_equal(m.n, 4);
    assert_near(m.mean, 1e9 + 2.5, 1e-6);
    /* sum of squared deviations: 2.25 + 0.25 + 0.25 + 2.25 */
    assert_near(m.m2, 5, 1e-6);
}


/*
 * Chi-square critical values, NIST/SEMATECH e-Handbook of Statistical
 * Methods, 1.3.6.7.4 (upper-tail critical values), printed to 3 decimals.
 */
static void
test_chi2_critical(void **state)
{
    (void) state;

    assert_near(rpt_chi2_sf(3.841, 1), 0.05, 0.0001);
    assert_near(rpt_chi2_sf(6.635, 1), 0.01, 0.00005);
    assert_near(rpt_chi2_sf(10.828, 1), 0.001, 0.00001);
    assert_near(rpt_chi2_sf(5.991, 2), 0.05, 0.0001);
    assert_near(rpt_chi2_sf(13.816, 2), 0.001, 0.00001);
    assert_near(rpt_chi2_sf(7.815, 3), 0.05, 0.0001);
    assert_near(rpt_chi2_sf(16.266, 3), 0.001, 0.00001);
    assert_near(rpt_chi2_sf(18.307, 10), 0.05, 0.0001);
    assert_near(rpt_chi2_sf(29.588, 10), 0.001, 0.00001);
}


/*
 * Closed forms: Q(1, x) = exp(-x), Q(1/2, x) = erfc(sqrt(x)), so the
 * chi-square tail is exp(-x/2) for 2 df; both branches (series below
 * a + 1, continued fraction above) are reached.
 */
static void
test_gamma_closed_forms(void **state)
{
    double  x;

    (void) state;

    for (x = 0.01; x < 60; x *= 1.7) {
        assert_near(rpt_gamma_q(1, x), exp(-x), 1e-13 + 1e-12 * exp(-x));
        assert_near(rpt_gamma_q(0.5, x), erfc(sqrt(x)),
                    1e-13 + 1e-10 * erfc(sqrt(x)));
        assert_near(rpt_chi2_sf(x, 2), exp(-x / 2), 1e-13);
    }

    assert_true(rpt_gamma_q(3, 0) == 1);
    assert_true(isnan(rpt_gamma_q(0, 1)));
}


/*
 * Sample ratio, by hand: weights 50/50, 10000 and 9000 visitors:
 *   expected 9500 each; X^2 = 2 * 500^2 / 9500 = 52.632, 1 df, p ~ 4e-13.
 * Weights 34/33/33, 3400/3300/3300: exactly as expected, X^2 = 0, p = 1.
 * Weights 34/33/33, 3500/3300/3200: expected 3400, 3300, 3300:
 *   X^2 = 100^2/3400 + 0 + 100^2/3300 = 2.9412 + 3.0303 = 5.9715, 2 df,
 *   p = exp(-5.9715 / 2) = 0.05050.
 */
static void
test_srm_by_hand(void **state)
{
    double          chi2, p;
    unsigned        df;
    const uint64_t  o1[] = { 10000, 9000 };
    const double    w1[] = { 50, 50 };
    const uint64_t  o2[] = { 3400, 3300, 3300 };
    const uint64_t  o3[] = { 3500, 3300, 3200 };
    const double    w3[] = { 34, 33, 33 };

    (void) state;

    p = rpt_srm(o1, w1, 2, &chi2, &df);
    assert_near(chi2, 52.632, 0.001);
    assert_int_equal(df, 1);
    assert_true(p < 1e-12 && p > 1e-13);

    p = rpt_srm(o2, w3, 3, &chi2, &df);
    assert_near(chi2, 0, 1e-12);
    assert_int_equal(df, 2);
    assert_near(p, 1, 1e-12);

    p = rpt_srm(o3, w3, 3, &chi2, &df);
    assert_near(chi2, 5.9715, 0.0001);
    assert_near(p, 0.05050, 0.00001);
}


static void
test_srm_edges(void **state)
{
    double          chi2, p;
    unsigned        df;
    const uint64_t  zero[] = { 0, 0 };
    const uint64_t  stray[] = { 100, 100, 1 };
    const uint64_t  empty[] = { 120, 0 };
    const double    w[] = { 50, 50, 0 };

    (void) state;

    /* no visitors: nothing to test */
    p = rpt_srm(zero, w, 2, &chi2, &df);
    assert_true(isnan(p));

    /* one visitor in a variant of weight 0: a mismatch whatever the rest */
    p = rpt_srm(stray, w, 3, &chi2, &df);
    assert_true(p == 0 && isinf(chi2));

    /* one variant empty: X^2 = 60^2/60 * 2 = 120 */
    p = rpt_srm(empty, w, 2, &chi2, &df);
    assert_near(chi2, 120, 1e-9);
    assert_true(p < 1e-20);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_wilson_newcombe),
        cmocka_unit_test(test_wilson_edges),
        cmocka_unit_test(test_ztest_by_hand),
        cmocka_unit_test(test_ztest_aspirin),
        cmocka_unit_test(test_ztest_edges),
        cmocka_unit_test(test_lift_by_hand),
        cmocka_unit_test(test_lift_edges),
        cmocka_unit_test(test_beat_by_hand),
        cmocka_unit_test(test_beat_symmetry),
        cmocka_unit_test(test_beat_large),
        cmocka_unit_test(test_beat_small_tails),
        cmocka_unit_test(test_lbeta),
        cmocka_unit_test(test_student_t),
        cmocka_unit_test(test_welch),
        cmocka_unit_test(test_moments),
        cmocka_unit_test(test_chi2_critical),
        cmocka_unit_test(test_gamma_closed_forms),
        cmocka_unit_test(test_srm_by_hand),
        cmocka_unit_test(test_srm_edges),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
