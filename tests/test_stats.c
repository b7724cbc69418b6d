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
        cmocka_unit_test(test_chi2_critical),
        cmocka_unit_test(test_gamma_closed_forms),
        cmocka_unit_test(test_srm_by_hand),
        cmocka_unit_test(test_srm_edges),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
