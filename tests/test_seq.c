/*
 * Unit tests of icp-report's sequential test (tools/report/seq.c): a look
 * worked out by hand, the properties that make it always valid, and the
 * A/A simulation of bench/report/aa_sim.c.  t/31-stats-ref.t compares the
 * same functions with SciPy on 200 generated cases.
 */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "report/seq.h"
#include "report/stats.h"
#include "../bench/report/aa_sim.h"


#define assert_near(a, b, eps)                                               \
    assert_true(fabs((double) (a) - (double) (b)) <= (eps))

#define assert_rel(a, b, eps)                                                \
    assert_true(fabs((double) (a) - (double) (b))                            \
                <= (eps) * fabs((double) (b)))


/*
 * Control 100/1000, variant 130/1000, tau2 = 2.5e-5, alpha = 0.05:
 *   D = 0.03, V = 0.1 * 0.9 / 1000 + 0.13 * 0.87 / 1000 = 2.031e-4
 *   sqrt(V / (V + tau2)) = sqrt(2.031e-4 / 2.281e-4) = 0.9436095
 *   tau2 D^2 / (2 V (V + tau2)) = 2.25e-8 / 9.265422e-8 = 0.2428384
 *   L = 0.9436095 * e^0.2428384 = 1.2029725, p = 1 / L = 0.8312742
 * The interval: r = tau2 / V = 0.1230921, (1 + r) / r = 9.124,
 *   c = sqrt(9.124 * (log 1.1230921 + 2 log 20)) = sqrt(9.124 * 6.107551)
 *     = 7.464937, half-width c sqrt(V) = 7.464937 * 0.01425132 = 0.1063852
 *   difference 0.03 -/+ 0.1063852 = -0.0763852, 0.1363852
 * The lift: se = sqrt(1/130 - 1/1000 + 1/100 - 1/1000) = 0.1252689,
 *   exp(log 1.3 -/+ 7.464937 * 0.1252689) - 1 = -0.4897021, 2.311791
 * (the fixed-horizon interval is -/+ 1.959964 se: 0.016984, 0.661776).
 */
static void
test_seq_by_hand(void **state)
{
    double     dlo, dhi, llo, lhi;
    rpt_seq_t  s;

    (void) state;

    assert_rel(rpt_seq_p(100, 1000, 130, 1000, 2.5e-5), 0.8312742, 1e-6);

    rpt_seq_ci(100, 1000, 130, 1000, 2.5e-5, 0.05, &dlo, &dhi, &llo, &lhi);
    assert_rel(dlo, -0.0763852, 1e-6);
    assert_rel(dhi, 0.1363852, 1e-6);
    assert_rel(llo, -0.4897021, 1e-6);
    assert_rel(lhi, 2.311791, 1e-6);

    /* one look of a sequence is that look alone */
    rpt_seq_init(&s, 2.5e-5, 0.05);
    rpt_seq_look(&s, 100, 1000, 130, 1000);
    assert_true(s.looks == 1 && s.conflicts == 0);
    assert_true(s.p_value == rpt_seq_p(100, 1000, 130, 1000, 2.5e-5));
    assert_true(s.diff_lo == dlo && s.diff_hi == dhi);
    assert_true(s.lift_lo == llo && s.lift_hi == lhi);
}


/*
 * The interval is the set of differences the test does not reject, so at
 * one look it excludes 0 exactly when p < alpha: the variant's conversions
 * at which each turns significant, against a control of 1000/10000, are
 * the same (for every tau2 and alpha tried).
 */
static void
test_seq_duality(void **state)
{
    int       first_p, first_ci, ti, ai;
    uint64_t  xv;
    double    dlo, dhi, llo, lhi;
    double    tau2[] = { 1e-6, RPT_SEQ_TAU2, 1e-3 };
    double    alpha[] = { 0.01, 0.05, 0.2 };

    (void) state;

    for (ti = 0; ti < 3; ti++) {
        for (ai = 0; ai < 3; ai++) {
            first_p = -1;
            first_ci = -1;

            for (xv = 1000; xv < 2000; xv++) {
                rpt_seq_ci(1000, 10000, xv, 10000, tau2[ti], alpha[ai],
                           &dlo, &dhi, &llo, &lhi);

                if (first_p < 0
                    && rpt_seq_p(1000, 10000, xv, 10000, tau2[ti])
                       < alpha[ai])
                {
                    first_p = (int) xv;
                }

                if (first_ci < 0 && dlo > 0) {
                    first_ci = (int) xv;
                }
            }

            assert_true(first_p > 1000);
            assert_int_equal(first_p, first_ci);
        }
    }
}


/*
 * Whatever tau2, the always-valid interval is wider than the fixed-horizon
 * one of the same look: c(r)^2 >= -2 log 0.05 = 5.99 > 1.96^2.  The Wald
 * interval of 100/1000 against 130/1000 is 0.03 -/+ 1.959964 * 0.01425132.
 */
static void
test_seq_wider_than_fixed(void **state)
{
    double  dlo, dhi, llo, lhi, tau2, wald;

    (void) state;

    wald = RPT_Z95 * sqrt(2.031e-4);

    for (tau2 = 1e-9; tau2 < 10; tau2 *= 10) {
        rpt_seq_ci(100, 1000, 130, 1000, tau2, 0.05, &dlo, &dhi, &llo, &lhi);
        assert_true(dhi - 0.03 > 1.2 * wald);
        assert_near(0.03 - dlo, dhi - 0.03, 1e-12);
    }
}


/*
 * Looks in a row: the p-value is the running minimum and the intervals
 * the running intersection.  A variant ahead early (180/1000 against
 * 100/1000) and level later (1000/10000 each): the later looks alone say
 * less, the sequence keeps what the first said.
 */
static void
test_seq_running(void **state)
{
    double     p1, p2, dlo1, dhi1, llo1, lhi1, dlo2, dhi2, llo2, lhi2;
    rpt_seq_t  s;

    (void) state;

    p1 = rpt_seq_p(100, 1000, 180, 1000, RPT_SEQ_TAU2);
    p2 = rpt_seq_p(1000, 10000, 1000, 10000, RPT_SEQ_TAU2);
    assert_true(p1 < 0.05 && p2 == 1);

    rpt_seq_ci(100, 1000, 180, 1000, RPT_SEQ_TAU2, 0.05,
               &dlo1, &dhi1, &llo1, &lhi1);
    rpt_seq_ci(1000, 10000, 1000, 10000, RPT_SEQ_TAU2, 0.05,
               &dlo2, &dhi2, &llo2, &lhi2);
    /* overlapping: the first starts above 0, the second ends above it */
    assert_true(dlo1 > 0 && dlo1 < dhi2 && dlo2 < 0);

    rpt_seq_init(&s, RPT_SEQ_TAU2, 0.05);
    rpt_seq_look(&s, 100, 1000, 180, 1000);
    rpt_seq_look(&s, 1000, 10000, 1000, 10000);

    assert_true(s.looks == 2 && s.conflicts == 0);
    assert_true(s.p_value == p1);
    assert_true(s.diff_lo == dlo1 && s.diff_hi == dhi2);
    assert_true(s.lift_lo == llo1 && s.lift_hi == lhi2);
}


/*
 * A look whose interval misses the running one (0.2 ahead, then level on
 * 100 times the sample) is a conflict: counted, the running interval kept.
 */
static void
test_seq_conflict(void **state)
{
    double     dlo, dhi, llo, lhi;
    rpt_seq_t  s;

    (void) state;

    rpt_seq_init(&s, RPT_SEQ_TAU2, 0.05);
    rpt_seq_look(&s, 100, 1000, 300, 1000);
    dlo = s.diff_lo;
    dhi = s.diff_hi;
    llo = s.lift_lo;
    lhi = s.lift_hi;
    assert_true(dlo > 0.05);

    rpt_seq_look(&s, 10000, 100000, 10000, 100000);
    assert_true(s.looks == 2 && s.conflicts == 1);
    assert_true(s.diff_lo == dlo && s.diff_hi == dhi);
    assert_true(s.lift_lo == llo && s.lift_hi == lhi);
}


static void
test_seq_edges(void **state)
{
    double     dlo, dhi, llo, lhi;
    rpt_seq_t  s;

    (void) state;

    /* no variance: nobody converted, an empty arm, impossible counts */
    assert_true(isnan(rpt_seq_p(0, 100, 0, 100, RPT_SEQ_TAU2)));
    assert_true(isnan(rpt_seq_p(100, 100, 50, 50, RPT_SEQ_TAU2)));
    assert_true(isnan(rpt_seq_p(10, 100, 0, 0, RPT_SEQ_TAU2)));
    assert_true(isnan(rpt_seq_p(101, 100, 10, 100, RPT_SEQ_TAU2)));

    rpt_seq_ci(0, 100, 0, 100, RPT_SEQ_TAU2, 0.05, &dlo, &dhi, &llo, &lhi);
    assert_true(isnan(dlo) && isnan(dhi) && isnan(llo) && isnan(lhi));

    /* such looks change nothing */
    rpt_seq_init(&s, RPT_SEQ_TAU2, 0.05);
    rpt_seq_look(&s, 0, 100, 0, 100);
    rpt_seq_look(&s, 10, 100, 0, 0);
    assert_true(s.looks == 0 && s.p_value == 1);
    assert_true(isinf(s.diff_lo) && isinf(s.diff_hi));
    assert_true(s.lift_lo == -1 && isinf(s.lift_hi));

    /* no conversion in the variant: a difference, no lift interval */
    rpt_seq_ci(30, 2000, 0, 2000, RPT_SEQ_TAU2, 0.05, &dlo, &dhi, &llo,
               &lhi);
    assert_true(dlo < -0.015 && dhi < 0);
    assert_true(isnan(llo) && isnan(lhi));
    rpt_seq_look(&s, 30, 2000, 0, 2000);
    assert_true(s.looks == 1 && s.diff_hi == dhi);
    assert_true(s.lift_lo == -1 && isinf(s.lift_hi));

    /* a huge effect: the likelihood ratio overflows, its logarithm not */
    assert_true(rpt_seq_p(1000, 1000000, 500000, 1000000, RPT_SEQ_TAU2)
                == 0);
    assert_true(rpt_seq_p(500, 1000, 500, 1000, RPT_SEQ_TAU2) == 1);
}


/*
 * bench/report/aa_sim.c with its defaults: 1,000 A/A experiments at 10%,
 * 20,000 visitors per arm, looked at every 1,000.  Checked daily, the
 * fixed-horizon test declares about a quarter of them winners; the
 * always-valid p-value stays under 5% (Ville's inequality), and a real
 * +20% is still found in nearly all.
 */
static void
test_seq_aa_simulation(void **state)
{
    aa_conf_t    c;
    aa_result_t  r;

    (void) state;

    aa_default(&c);
    aa_run(&c, &r);
    print_message("A/A false positives of %u: fixed-horizon %u, "
                  "sequential %u\n", c.experiments, r.fixed, r.seq);

    assert_true(r.seq <= c.experiments / 20);
    assert_true(r.fixed > c.experiments / 20);
    /* once at the end, the z-test is right */
    assert_true(r.fixed_last <= c.experiments * 7 / 100);

    c.lift = 0.2;
    aa_run(&c, &r);
    print_message("+20%% declared of %u: fixed-horizon %u, sequential %u\n",
                  c.experiments, r.fixed, r.seq);
    assert_true(r.seq >= c.experiments * 95 / 100);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_seq_by_hand),
        cmocka_unit_test(test_seq_duality),
        cmocka_unit_test(test_seq_wider_than_fixed),
        cmocka_unit_test(test_seq_running),
        cmocka_unit_test(test_seq_conflict),
        cmocka_unit_test(test_seq_edges),
        cmocka_unit_test(test_seq_aa_simulation),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
