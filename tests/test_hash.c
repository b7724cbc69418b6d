/*
 * Experiment assignment: MurmurHash3_x86_32 against published vectors, the
 * bucket formula, the cumulative-weight walk, and the statistics of the
 * split (chi-square goodness of fit and independence of two experiments).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lfr.h"


#define NVISITORS  100000

/* chi-square critical values at p = 0.001 for 1, 2 and 9 degrees */
#define CHI2_DF1   10.828
#define CHI2_DF2   13.816
#define CHI2_DF9   27.877


/*
 * Vectors from the MurmurHash3_x86_32 verification table posted by Ian
 * Boyd (Stack Overflow question 14747343, "MurmurHash3 test vectors"),
 * which match Austin Appleby's smhasher reference; "hello" from the issue.
 */
static void
test_murmur3_vectors(void **state)
{
    size_t  i;

    static const struct {
        const char  *data;
        size_t       len;
        uint32_t     seed;
        uint32_t     hash;
    } v[] = {
        { "", 0, 0, 0 },
        { "", 0, 1, 0x514e28b7 },
        { "", 0, 0xffffffff, 0x81f16f39 },
        { "\xff\xff\xff\xff", 4, 0, 0x76293b50 },
        { "\x21\x43\x65\x87", 4, 0, 0xf55b516b },
        { "\x21\x43\x65\x87", 4, 0x5082edee, 0x2362f9de },
        { "\x21\x43\x65", 3, 0, 0x7e4a8634 },
        { "\x21\x43", 2, 0, 0xa0f7b07a },
        { "\x21", 1, 0, 0x72661cf4 },
        { "\0\0\0\0", 4, 0, 0x2362f9de },
        { "\0\0\0", 3, 0, 0x85f0b427 },
        { "\0\0", 2, 0, 0x30f4c306 },
        { "\0", 1, 0, 0x514e28b7 },
        { "aaaa", 4, 0x9747b28c, 0x5a97808a },
        { "aaa", 3, 0x9747b28c, 0x283e0130 },
        { "aa", 2, 0x9747b28c, 0x5d211726 },
        { "a", 1, 0x9747b28c, 0x7fa09ea6 },
        { "abcd", 4, 0x9747b28c, 0xf0478627 },
        { "abc", 3, 0x9747b28c, 0xc84a62dd },
        { "ab", 2, 0x9747b28c, 0x74875592 },
        { "Hello, world!", 13, 0x9747b28c, 0x24884cba },
        { "The quick brown fox jumps over the lazy dog", 43, 0x9747b28c,
          0x2fa826cd },
        { "hello", 5, 0, 0x248bfa47 },
    };

    (void) state;

    for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
        assert_int_equal(lfr_murmur3_32(v[i].data, v[i].len, v[i].seed),
                         v[i].hash);
    }
}


/* The streaming bucket equals the one-shot hash of the concatenation. */
static void
test_bucket_formula(void **state)
{
    char         buf[64];
    size_t       n;
    unsigned     i;
    const char  *exp = "mary_hero_q4";

    (void) state;

    for (i = 0; i < 1000; i++) {
        n = (size_t) snprintf(buf, sizeof(buf), "%s%cvisitor-%u", exp, 0, i);
        assert_int_equal(lfr_bucket(exp, strlen(exp), buf + strlen(exp) + 1,
                                    n - strlen(exp) - 1),
                         lfr_murmur3_32(buf, n, 0) % 10000);
    }

    /* the separator matters: "ab"+"c" and "a"+"bc" differ */
    assert_int_not_equal(lfr_bucket("ab", 2, "c", 1),
                         lfr_bucket("a", 1, "bc", 2));
}


static lfr_rules_t *
compile(const char *src)
{
    lfr_rules_t  *rules;

    rules = lfr_compile("t.rules", src, strlen(src), NULL, NULL);
    assert_non_null(rules);

    return rules;
}


static void
test_pick_boundaries(void **state)
{
    lfr_rules_t  *rules;

    (void) state;

    rules = compile("route * * { variant a /a 10; variant b /b 30;"
                    " variant c /c 60; }"
                    "route none * { variant x /x 1; variant y /y 2; }");

    assert_int_equal(lfr_pick_variant(rules, 0, 0), 0);
    assert_int_equal(lfr_pick_variant(rules, 0, 999), 0);
    assert_int_equal(lfr_pick_variant(rules, 0, 1000), 1);
    assert_int_equal(lfr_pick_variant(rules, 0, 3999), 1);
    assert_int_equal(lfr_pick_variant(rules, 0, 4000), 2);
    assert_int_equal(lfr_pick_variant(rules, 0, 9999), 2);

    /* 1:2 gives floor(10000 / 3) = 3333 buckets to x */
    assert_int_equal(lfr_pick_variant(rules, 1, 3332), 0);
    assert_int_equal(lfr_pick_variant(rules, 1, 3333), 1);

    lfr_free(rules);
}


/* Deterministic visitor ids: v- followed by a xorshift32 stream. */
static void
visitor(unsigned i, char *buf, size_t size)
{
    static uint32_t  x = 2463534242u;

    if (i == 0) {
        x = 2463534242u;
    }

    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;

    snprintf(buf, size, "v-%08x%u", (unsigned) x, i);
}


static double
chi2(const unsigned *observed, const double *expected, size_t n)
{
    size_t  i;
    double  d, sum;

    sum = 0;

    for (i = 0; i < n; i++) {
        d = observed[i] - expected[i];
        sum += d * d / expected[i];
    }

    return sum;
}


static void
split(const char *src, const double *weights, size_t n, double critical)
{
    char          id[32];
    size_t        i;
    unsigned      b, count[8];
    double        expected[8];
    const char   *exp;
    lfr_rules_t  *rules;

    rules = compile(src);
    exp = lfr_route_experiment(rules, 0);
    assert_non_null(exp);
    memset(count, 0, sizeof(count));

    for (i = 0; i < NVISITORS; i++) {
        visitor(i, id, sizeof(id));
        b = lfr_bucket(exp, strlen(exp), id, strlen(id));
        count[lfr_pick_variant(rules, 0, b)]++;
    }

    for (i = 0; i < n; i++) {
        expected[i] = NVISITORS * weights[i];
    }

    assert_true(chi2(count, expected, n) < critical);

    lfr_free(rules);
}


static void
test_split_50_50(void **state)
{
    static const double  w[] = { 0.5, 0.5 };

    (void) state;

    split("route * * { experiment hero; variant a /a 50; variant b /b 50; }",
          w, 2, CHI2_DF1);
}


static void
test_split_10_30_60(void **state)
{
    static const double  w[] = { 0.1, 0.3, 0.6 };

    (void) state;

    split("route * * { experiment price; variant a /a 10; variant b /b 30;"
          " variant c /c 60; }", w, 3, CHI2_DF2);
}


/* The skewed split must fail the 50/50 test: the statistic has power. */
static void
test_split_detects_skew(void **state)
{
    char      id[32];
    size_t    i;
    unsigned  count[2];
    double    expected[2] = { NVISITORS / 2.0, NVISITORS / 2.0 };

    (void) state;

    count[0] = count[1] = 0;

    for (i = 0; i < NVISITORS; i++) {
        visitor(i, id, sizeof(id));
        count[lfr_bucket("e", 1, id, strlen(id)) < 5100]++;
    }

    assert_true(chi2(count, expected, 2) > CHI2_DF1);
}


/* Quartiles of two experiments' buckets form a 4x4 table: independent. */
static void
test_experiments_independent(void **state)
{
    char      id[32];
    size_t    i, a, b;
    unsigned  cell[16], row[4], col[4];
    double    expected[16];

    (void) state;

    memset(cell, 0, sizeof(cell));
    memset(row, 0, sizeof(row));
    memset(col, 0, sizeof(col));

    for (i = 0; i < NVISITORS; i++) {
        visitor(i, id, sizeof(id));
        a = lfr_bucket("hero_q4", 7, id, strlen(id)) / 2500;
        b = lfr_bucket("pricing_q4", 10, id, strlen(id)) / 2500;
        cell[a * 4 + b]++;
        row[a]++;
        col[b]++;
    }

    for (a = 0; a < 4; a++) {
        for (b = 0; b < 4; b++) {
            expected[a * 4 + b] = (double) row[a] * col[b] / NVISITORS;
        }
    }

    assert_true(chi2(cell, expected, 16) < CHI2_DF9);

    /* and one experiment against itself is as dependent as can be */
    for (i = 0; i < 16; i++) {
        expected[i] = NVISITORS / 16.0;
    }

    memset(cell, 0, sizeof(cell));

    for (i = 0; i < NVISITORS; i++) {
        visitor(i, id, sizeof(id));
        a = lfr_bucket("hero_q4", 7, id, strlen(id)) / 2500;
        cell[a * 4 + a]++;
    }

    assert_true(chi2(cell, expected, 16) > CHI2_DF9);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_murmur3_vectors),
        cmocka_unit_test(test_bucket_formula),
        cmocka_unit_test(test_pick_boundaries),
        cmocka_unit_test(test_split_50_50),
        cmocka_unit_test(test_split_10_30_60),
        cmocka_unit_test(test_split_detects_skew),
        cmocka_unit_test(test_experiments_independent),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
