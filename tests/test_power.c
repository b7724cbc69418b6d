/*
 * Unit tests of icp-report's power figures (tools/report/power.c), worked
 * out by hand on the arcsine scale; t/31-stats-ref.t compares them with
 * statsmodels' NormalIndPower on 200 generated cases.
 */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "report/power.h"
#include "report/stats.h"


#define assert_rel(a, b, eps)                                                \
    assert_true(fabs((double) (a) - (double) (b))                            \
                <= (eps) * fabs((double) (b)))


/*
 * 1000/10000 against 1100/10000, 80% power, 5% two-sided:
 *   z_alpha + z_power = 1.959964 + 0.841621 = 2.801585
 *   h = 2.801585 sqrt(2 / 10000) = 0.03962040
 *   asin(sqrt 0.1) = 0.3217506, + h/2 = 0.3415608, sin^2 = 0.1121969
 *   MDE 0.0121969 absolute, 12.1969% relative
 * The lift seen, on the arcsine scale: 2 asin(sqrt 0.11) - 2 asin(sqrt 0.1)
 *   = 2 (0.3380653 - 0.3217506) = 0.03262940; the sample must grow by
 *   2.801585^2 * 2e-4 / 0.03262940^2 = 1.569776e-3 / 1.064678e-3
 *   = 1.474414: 14744.14 per arm, 4745 more each (rounded up).
 */
static void
test_power_by_hand(void **state)
{
    rpt_power_t  pw;

    (void) state;

    rpt_power(1000, 10000, 1100, 10000, RPT_Z95, RPT_Z80, &pw);
    assert_rel(pw.mde_abs, 0.0121969, 1e-5);
    assert_rel(pw.mde_rel, 0.121969, 1e-5);
    assert_rel(pw.total_c, 14744.14, 1e-6);
    assert_rel(pw.total_v, 14744.14, 1e-6);
    assert_true(pw.more_c == 4745 && pw.more_v == 4745);

    /* a lift above the MDE needs nothing more */
    rpt_power(1000, 10000, 1125, 10000, RPT_Z95, RPT_Z80, &pw);
    assert_true(pw.total_c < 10000 && pw.more_c == 0 && pw.more_v == 0);
}


/*
 * Unequal arms: 5000 and 15000 visitors, h = 2.801585 sqrt(1/5000 +
 * 1/15000) = 0.04574970, sin^2(0.3217506 + 0.02287485) - 0.1 = 0.0141387.
 * The split is kept: the arms grow by one factor.
 */
static void
test_power_unequal(void **state)
{
    rpt_power_t  pw;

    (void) state;

    rpt_power(500, 5000, 1800, 15000, RPT_Z95, RPT_Z80, &pw);
    assert_rel(pw.mde_abs, 0.0141387, 1e-5);
    assert_rel(pw.total_v, 3 * pw.total_c, 1e-12);
}


/*
 * More visitors, smaller effects: the MDE shrinks as 1 / sqrt(n), nearly
 * (the arcsine scale bends it); and more power wants more.
 */
static void
test_power_monotone(void **state)
{
    rpt_power_t  a, b, c;

    (void) state;

    rpt_power(100, 1000, 100, 1000, RPT_Z95, RPT_Z80, &a);
    rpt_power(400, 4000, 400, 4000, RPT_Z95, RPT_Z80, &b);
    assert_true(b.mde_abs < a.mde_abs / 1.9 && b.mde_abs > a.mde_abs / 2.1);

    /* z of 90% power, 1.281552 */
    rpt_power(100, 1000, 100, 1000, RPT_Z95, 1.2815515655446004, &c);
    assert_true(c.mde_abs > a.mde_abs);
}


static void
test_power_edges(void **state)
{
    rpt_power_t  pw;

    (void) state;

    /* equal rates: no sample is enough */
    rpt_power(100, 1000, 100, 1000, RPT_Z95, RPT_Z80, &pw);
    assert_true(isinf(pw.total_c) && isinf(pw.more_v));

    /*
     * no conversion in the control: an absolute MDE, no relative one;
     * h = 2.801585 sqrt(2 / 1000) = 0.1252907, sin^2(h / 2) = 0.00391931
     */
    rpt_power(0, 1000, 3, 1000, RPT_Z95, RPT_Z80, &pw);
    assert_rel(pw.mde_abs, 0.00391931, 1e-5);
    assert_true(isnan(pw.mde_rel));
    assert_true(pw.total_c > 1000);

    /* ten visitors at 90%: not even a rate of 100% is detectable */
    rpt_power(9, 10, 9, 10, RPT_Z95, RPT_Z80, &pw);
    assert_true(isnan(pw.mde_abs) && isnan(pw.mde_rel));

    /* an empty arm, impossible counts */
    rpt_power(10, 100, 0, 0, RPT_Z95, RPT_Z80, &pw);
    assert_true(isnan(pw.mde_abs) && isnan(pw.total_c) && isnan(pw.more_c));
    rpt_power(101, 100, 1, 100, RPT_Z95, RPT_Z80, &pw);
    assert_true(isnan(pw.mde_abs) && isnan(pw.total_v));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_power_by_hand),
        cmocka_unit_test(test_power_unequal),
        cmocka_unit_test(test_power_monotone),
        cmocka_unit_test(test_power_edges),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
