/*
 * Unit tests of icp-report's corrections for several variants
 * (tools/report/multi.c): Holm by hand, the probability of being best in
 * closed form, against the exact sum of stats.c for two arms, and against
 * SciPy's quadrature for the small probabilities of issue 18.
 */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "report/multi.h"
#include "report/stats.h"


#define assert_near(a, b, eps)                                               \
    assert_true(fabs((double) (a) - (double) (b)) <= (eps))

#define assert_rel(a, b, eps)                                                \
    assert_true(fabs((double) (a) - (double) (b))                            \
                <= (eps) * fabs((double) (b)))


/*
 * p = 0.01, 0.04, 0.03, 0.005; sorted 0.005, 0.01, 0.03, 0.04, times
 * 4, 3, 2, 1: 0.02, 0.03, 0.06, 0.04; running maximum 0.02, 0.03, 0.06,
 * 0.06.  Bonferroni (times 4) would give 0.04, 0.16, 0.12, 0.02.
 */
static void
test_holm_by_hand(void **state)
{
    double  p[] = { 0.01, 0.04, 0.03, 0.005 };
    double  adj[4];

    (void) state;

    rpt_holm(p, 4, adj);
    assert_near(adj[0], 0.03, 1e-15);
    assert_near(adj[1], 0.06, 1e-15);
    assert_near(adj[2], 0.06, 1e-15);
    assert_near(adj[3], 0.02, 1e-15);
}


/* Ties share a value, whatever their order; capped at 1; NaN left out. */
static void
test_holm_edges(void **state)
{
    double  tie[] = { 0.02, 0.01, 0.02, 0.01 };
    double  big[] = { 0.6, 0.3, 0.9 };
    double  gap[] = { NAN, 0.04, 0.01, NAN };
    double  one[] = { 0.2 };
    double  adj[4];

    (void) state;

    /* 0.01 * 4 = 0.04, 0.01 * 3 -> 0.04, 0.02 * 2 = 0.04, 0.02 * 1 -> 0.04 */
    rpt_holm(tie, 4, adj);
    assert_near(adj[0], 0.04, 1e-15);
    assert_near(adj[1], 0.04, 1e-15);
    assert_near(adj[2], 0.04, 1e-15);
    assert_near(adj[3], 0.04, 1e-15);

    /* 0.3 * 3 = 0.9, 0.6 * 2 = 1.2 -> 1, 0.9 -> 1 */
    rpt_holm(big, 3, adj);
    assert_near(adj[1], 0.9, 1e-15);
    assert_true(adj[0] == 1 && adj[2] == 1);

    /* two comparisons, not four: 0.01 * 2 = 0.02, 0.04 * 1 -> 0.04 */
    rpt_holm(gap, 4, adj);
    assert_true(isnan(adj[0]) && isnan(adj[3]));
    assert_near(adj[2], 0.02, 1e-15);
    assert_near(adj[1], 0.04, 1e-15);

    rpt_holm(one, 1, adj);
    assert_true(adj[0] == 0.2);
}


/*
 * Closed forms.  No data: uniform posteriors, all alike.  One visitor
 * converted in the third arm: density 2x against F(x) = x twice,
 * integral of 2x x^2 = 1/2, the others 1/4.  0/1 against 1/1: densities
 * 2(1 - x) and 2x; integral of 2x (2x - x^2) = 4/3 - 1/2 = 5/6.
 */
static void
test_best_closed_forms(void **state)
{
    uint64_t  zero[] = { 0, 0, 0 };
    uint64_t  conv3[] = { 0, 0, 1 }, n3[] = { 0, 0, 1 };
    uint64_t  conv2[] = { 0, 1 }, n2[] = { 1, 1 };
    double    best[3];

    (void) state;

    assert_int_equal(rpt_prob_best(zero, zero, 2, best), 0);
    assert_near(best[0], 0.5, 1e-14);
    assert_near(best[1], 0.5, 1e-14);

    rpt_prob_best(zero, zero, 3, best);
    assert_near(best[0], 1.0 / 3, 1e-14);

    rpt_prob_best(conv3, n3, 3, best);
    assert_near(best[0], 0.25, 1e-14);
    assert_near(best[1], 0.25, 1e-14);
    assert_near(best[2], 0.5, 1e-14);

    rpt_prob_best(conv2, n2, 2, best);
    assert_near(best[0], 1.0 / 6, 1e-14);
    assert_near(best[1], 5.0 / 6, 1e-14);

    rpt_prob_best(conv2, n2, 1, best);
    assert_true(best[0] == 1);
}


/*
 * Two arms: the probability of being best is the chance to beat the
 * other, which stats.c sums exactly (Evan Miller's formula), by another
 * method entirely.  Cases where that sum keeps its precision (moderate
 * probabilities).
 */
static void
test_best_two_arms(void **state)
{
    int       i;
    double    best[2];
    uint64_t  cases[][4] = {
        { 100, 1000, 130, 1000 },
        { 10, 100, 12, 90 },
        { 3, 40, 0, 35 },
        { 1200, 10000, 1250, 10000 },
        { 40, 2000, 52, 1000 },
    };
    uint64_t  conv[2], n[2];

    (void) state;

    for (i = 0; i < 5; i++) {
        conv[0] = cases[i][0];
        n[0] = cases[i][1];
        conv[1] = cases[i][2];
        n[1] = cases[i][3];
        rpt_prob_best(conv, n, 2, best);
        assert_rel(best[1], rpt_beat(conv[0], n[0], conv[1], n[1]), 1e-9);
        assert_near(best[0] + best[1], 1, 1e-10);
    }
}


/*
 * The cases of issue 18 where a chance to beat control of 1 - S lost its
 * digits, and their mirrors: the small probability keeps 1e-6 relative,
 * here 1e-9.  Reference: scipy.integrate.quad of the Beta density times
 * the other's distribution function (tests/stats_ref.py), 1.28e-15 and
 * 1.76153e-05 as the issue gives them.
 */
static void
test_best_small(void **state)
{
    double    best[2];
    uint64_t  conv1[] = { 150, 225 }, n1[] = { 300, 900 };
    uint64_t  conv2[] = { 2, 158 }, n2[] = { 24, 80271 };
    uint64_t  mirror_conv[] = { 225, 150 }, mirror_n[] = { 900, 300 };

    (void) state;

    rpt_prob_best(conv1, n1, 2, best);
    assert_rel(best[1], 1.2813690843938268e-15, 1e-9);
    assert_true(best[0] <= 1);

    rpt_prob_best(mirror_conv, mirror_n, 2, best);
    assert_rel(best[0], 1.2813690843938268e-15, 1e-9);
    assert_true(best[1] <= 1 && best[1] > 1 - 1e-12);

    rpt_prob_best(conv2, n2, 2, best);
    assert_rel(best[1], 1.761534240589798e-05, 1e-9);
    assert_rel(best[0], 1 - 1.761534240589798e-05, 1e-12);
}


/*
 * Five arms: the figures sum to 1, follow their arms when the arms are
 * reordered, and rank as the rates do.
 */
static void
test_best_five(void **state)
{
    int       i;
    double    best[5], back[5], sum;
    uint64_t  conv[] = { 120, 130, 110, 125, 90 };
    uint64_t  n[] = { 1000, 1000, 1000, 1000, 800 };
    uint64_t  rconv[5], rn[5];

    (void) state;

    assert_int_equal(rpt_prob_best(conv, n, 5, best), 0);

    for (i = 0, sum = 0; i < 5; i++) {
        sum += best[i];
        rconv[i] = conv[4 - i];
        rn[i] = n[4 - i];
    }

    assert_near(sum, 1, 1e-10);
    assert_true(best[1] > best[3] && best[3] > best[0] && best[0] > best[2]);

    rpt_prob_best(rconv, rn, 5, back);

    for (i = 0; i < 5; i++) {
        assert_rel(back[4 - i], best[i], 1e-12);
    }
}


static void
test_best_edges(void **state)
{
    double    best[2];
    uint64_t  conv[] = { 11, 3 }, n[] = { 10, 10 };

    (void) state;

    assert_int_equal(rpt_prob_best(conv, n, 2, best), -1);
    assert_true(isnan(best[0]) && isnan(best[1]));

    assert_int_equal(rpt_prob_best(conv, n, 0, best), 0);
}


/*
 * I_x(1, b) = 1 - (1 - x)^b, I_x(a, 1) = x^a, I_1/2(a, a) = 1/2; the
 * logarithm where the value underflows: log I_0.001(200, 1) = 200 log
 * 0.001 = -1381.551.
 */
static void
test_beta_inc(void **state)
{
    (void) state;

    assert_rel(rpt_beta_inc(0.3, 1, 7), 1 - pow(0.7, 7), 1e-14);
    assert_rel(rpt_beta_inc(0.3, 7, 1), pow(0.3, 7), 1e-13);
    assert_rel(rpt_beta_inc(0.5, 12345, 12345), 0.5, 1e-10);
    assert_rel(rpt_log_beta_inc(0.001, 200, 1), 200 * log(0.001), 1e-13);
    assert_true(rpt_beta_inc(0, 2, 3) == 0 && rpt_beta_inc(1, 2, 3) == 1);
    assert_true(isnan(rpt_beta_inc(0.5, 0, 3)));
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_holm_by_hand),
        cmocka_unit_test(test_holm_edges),
        cmocka_unit_test(test_best_closed_forms),
        cmocka_unit_test(test_best_two_arms),
        cmocka_unit_test(test_best_small),
        cmocka_unit_test(test_best_five),
        cmocka_unit_test(test_best_edges),
        cmocka_unit_test(test_beta_inc),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
