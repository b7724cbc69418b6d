/*
 * Unit tests of icp-report's counting (tools/report/agg.c, finish.c): who
 * is an exposed and a converting visitor of which variant, what is counted
 * apart, filters, the control, and the statistics wired to the counts.
 */

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "report/report.h"
#include "report/stats.h"


#define W50  ",\"weights\":{\"control\":50,\"b\":50}"


static void
add(rpt_t *r, const char *line)
{
    char    *copy;
    size_t   len;

    len = strlen(line);
    copy = malloc(len + 1);
    assert_non_null(copy);
    memcpy(copy, line, len + 1);
    assert_int_equal(rpt_add_line(r, copy, len), 0);
    free(copy);
}


/* An exposure of vid to exp/var at second sec of the day, in seg/per. */
static void
expose(rpt_t *r, int sec, const char *vid, const char *exp,
    const char *var, const char *seg, const char *extra)
{
    char  line[1024];

    snprintf(line, sizeof(line), "{\"ts\":\"2026-11-23T10:00:%02d.000Z\","
             "\"type\":\"exposure\",\"vid\":\"%s\",\"seg\":\"%s\","
             "\"per\":\"p\",\"exp\":\"%s\",\"var\":\"%s\"%s,\"bot\":false,"
             "\"preview\":false}", sec, vid, seg, exp, var, extra);
    add(r, line);
}


static void
convert(rpt_t *r, const char *vid, const char *goal, const char *assign)
{
    char  line[1024];

    snprintf(line, sizeof(line), "{\"ts\":\"2026-11-23T11:00:00.000Z\","
             "\"type\":\"conversion\",\"vid\":\"%s\",\"goal\":\"%s\","
             "\"assignments\":[%s],\"bot\":false,\"preview\":false}",
             vid, goal, assign);
    add(r, line);
}


static const rpt_variant_t *
variant(const rpt_experiment_t *ex, const char *name)
{
    size_t  i;

    for (i = 0; i < ex->nvariants; i++) {
        if (strcmp(ex->variants[i].name.data, name) == 0) {
            return &ex->variants[i];
        }
    }

    fail_msg("no variant %s", name);
    return NULL;
}


/* The log of the README's worked example, with every kind of record. */
static void
feed_example(rpt_t *r)
{
    const char  *e1c = "{\"exp\":\"e1\",\"var\":\"control\"}";
    const char  *e1b = "{\"exp\":\"e1\",\"var\":\"b\"}";

    expose(r, 1, "v1", "e1", "control", "s1", W50);
    expose(r, 2, "v1", "e1", "control", "s1", W50);   /* comes back */
    convert(r, "v1", "signup", e1c);
    expose(r, 3, "v2", "e1", "control", "s2", W50);
    expose(r, 4, "v3", "e1", "b", "s1", W50);
    convert(r, "v3", "demo", e1b);
    expose(r, 5, "v4", "e1", "b", "s1", W50);          /* broken cookie */
    expose(r, 6, "v4", "e1", "control", "s1", W50);
    convert(r, "v4", "signup", e1c);
    expose(r, 7, "v5", "e1", "b", "s2", W50);
    convert(r, "v5", "signup", e1c);                   /* not its variant */
    convert(r, "v6", "signup", e1b);                   /* read before ... */
    expose(r, 8, "v6", "e1", "b", "s2", W50);          /* ... its exposure */
    add(r, "{\"ts\":\"2026-11-23T10:00:09Z\",\"type\":\"exposure\","
           "\"vid\":\"v7\",\"exp\":\"e1\",\"var\":\"b\",\"bot\":true}");
    add(r, "{\"ts\":\"2026-11-23T10:00:09Z\",\"type\":\"exposure\","
           "\"vid\":\"v8\",\"exp\":\"e1\",\"var\":\"b\",\"preview\":true}");
    expose(r, 10, "", "e1", "b", "s1", W50);           /* no consent */
    expose(r, 11, "v9", "", "default", "s1", "");      /* no experiment */
    convert(r, "v9", "signup", "");                    /* no assignment */
    convert(r, "", "signup", e1b);                     /* no consent */
    add(r, "{\"ts\":\"2026-11-23T10:00:12Z\",\"type\":\"exposure\",\"vi");
    add(r, "{\"type\":\"heartbeat\"}");
}


static void
test_counts(void **state)
{
    rpt_t                   *r;
    rpt_filter_t             filter = { NULL, NULL, NULL, 0, 0 };
    const rpt_result_t      *res;
    const rpt_experiment_t  *ex;
    const rpt_variant_t     *c, *b;

    (void) state;

    r = rpt_new(&filter);
    assert_non_null(r);
    feed_example(r);
    res = rpt_finish(r);
    assert_non_null(res);

    assert_int_equal(res->counts.lines, 21);
    assert_int_equal(res->counts.malformed, 1);
    assert_int_equal(res->counts.other_types, 1);
    assert_int_equal(res->counts.bots, 1);
    assert_int_equal(res->counts.previews, 1);
    assert_int_equal(res->counts.anonymous, 1);
    assert_int_equal(res->counts.single_variant, 1);
    assert_int_equal(res->counts.unattributed, 1);
    assert_int_equal(res->counts.anonymous_conv, 1);
    assert_int_equal(res->counts.exposures, 8);
    assert_int_equal(res->counts.conversions, 5);

    assert_int_equal(res->nexperiments, 1);
    ex = &res->experiments[0];
    assert_string_equal(ex->name.data, "e1");
    assert_int_equal(ex->multi, 1);
    assert_int_equal(ex->visitors, 5);
    assert_int_equal(ex->nvariants, 2);

    /* control first, as in the weights */
    c = &ex->variants[0];
    b = &ex->variants[1];
    assert_string_equal(c->name.data, "control");
    assert_int_equal(c->exposed, 2);        /* v1, v2 */
    assert_int_equal(c->converted, 1);      /* v1 */
    assert_int_equal(b->exposed, 3);        /* v3, v5, v6 */
    assert_int_equal(b->converted, 2);      /* v3, v6 */
    assert_true(c->weight == 50 && b->weight == 50);

    /* the statistics are those of the counts */
    assert_true(c->rate == 0.5);
    assert_true(isnan(c->lift) && isnan(c->p_value) && isnan(c->beat));
    assert_true(b->p_value == rpt_ztest(1, 2, 2, 3));
    assert_true(b->beat == rpt_beat(1, 2, 2, 3));
    assert_true(fabs(b->lift - (2.0 / 3 / 0.5 - 1)) < 1e-12);

    /* 2 and 3 visitors for 50/50: X^2 = 2 * 0.5^2 / 2.5 = 0.2, 1 df,
     * p = erfc(sqrt(0.1)) = 0.654721 */
    assert_true(fabs(ex->srm_chi2 - 0.2) < 1e-12);
    assert_int_equal(ex->srm_df, 1);
    assert_true(fabs(ex->srm_p - 0.654721) < 1e-6);

    /* breakdown: s1 has v1 (control, converted) and v3 (b, converted);
     * s2 has v2 (control) and v5, v6 (b, v6 converted) */
    assert_int_equal(ex->nsegments, 2);
    assert_string_equal(ex->segments[0].name.data, "s1");
    assert_int_equal(ex->segments[0].cells[0].exposed, 1);
    assert_int_equal(ex->segments[0].cells[0].converted, 1);
    assert_int_equal(ex->segments[0].cells[1].exposed, 1);
    assert_int_equal(ex->segments[0].cells[1].converted, 1);
    assert_string_equal(ex->segments[1].name.data, "s2");
    assert_int_equal(ex->segments[1].cells[0].exposed, 1);
    assert_int_equal(ex->segments[1].cells[0].converted, 0);
    assert_int_equal(ex->segments[1].cells[1].exposed, 2);
    assert_int_equal(ex->segments[1].cells[1].converted, 1);
    assert_int_equal(ex->npersonas, 1);
    assert_int_equal(ex->personas[0].cells[1].exposed, 3);

    rpt_free(r);
}


static void
test_goal_filter(void **state)
{
    rpt_t                   *r;
    rpt_filter_t             filter = { NULL, "signup", NULL, 0, 0 };
    const rpt_result_t      *res;
    const rpt_experiment_t  *ex;

    (void) state;

    r = rpt_new(&filter);
    feed_example(r);
    res = rpt_finish(r);

    /* v3 converted on "demo" only */
    assert_int_equal(res->counts.other_goal, 1);
    ex = &res->experiments[0];
    assert_int_equal(variant(ex, "control")->converted, 1);
    assert_int_equal(variant(ex, "b")->converted, 1);

    rpt_free(r);
}


static void
test_experiment_and_since_filters(void **state)
{
    rpt_t               *r;
    rpt_filter_t         filter = { "e2", NULL, "2026-11-23T10:00:03",
                                    0, 0 };
    const rpt_result_t  *res;

    (void) state;

    r = rpt_new(&filter);
    expose(r, 1, "v1", "e2", "a", "s", "");     /* before --since */
    expose(r, 3, "v2", "e2", "a", "s", "");     /* at: kept */
    expose(r, 4, "v3", "e2", "b", "s", "");
    expose(r, 5, "v4", "e1", "a", "s", "");     /* another experiment */
    convert(r, "v3", "g", "{\"exp\":\"e1\",\"var\":\"b\"},"
            "{\"exp\":\"e2\",\"var\":\"b\"}");
    convert(r, "v2", "g", "{\"exp\":\"e1\",\"var\":\"a\"}");
    res = rpt_finish(r);

    assert_int_equal(res->counts.before_since, 1);
    assert_int_equal(res->counts.other_experiment, 1);
    assert_int_equal(res->counts.other_exp_conv, 1);
    assert_int_equal(res->counts.conversions, 1);
    assert_int_equal(res->nexperiments, 1);
    assert_string_equal(res->experiments[0].name.data, "e2");
    assert_int_equal(variant(&res->experiments[0], "a")->exposed, 1);
    assert_int_equal(variant(&res->experiments[0], "a")->converted, 0);
    assert_int_equal(variant(&res->experiments[0], "b")->converted, 1);
    /* no weights in these records: no sample-ratio check */
    assert_true(isnan(res->experiments[0].srm_p));
    assert_true(isnan(res->experiments[0].variants[0].weight));

    rpt_free(r);
}


/*
 * Logs are read in any order: the segment is that of the earliest
 * exposure and the weights those of the latest record, by ts.
 */
static void
test_order_by_time(void **state)
{
    rpt_t                   *r;
    rpt_filter_t             filter = { NULL, NULL, NULL, 0, 0 };
    const rpt_result_t      *res;
    const rpt_experiment_t  *ex;

    (void) state;

    r = rpt_new(&filter);
    expose(r, 30, "v1", "e", "a", "late", ",\"weights\":{\"b\":1,\"a\":3}");
    expose(r, 10, "v1", "e", "a", "early", ",\"weights\":{\"a\":1,\"b\":1}");
    expose(r, 20, "v2", "e", "b", "late", "");
    res = rpt_finish(r);

    ex = &res->experiments[0];
    assert_string_equal(ex->variants[0].name.data, "b");
    assert_true(ex->variants[0].weight == 1);
    assert_string_equal(ex->variants[1].name.data, "a");
    assert_true(ex->variants[1].weight == 3);

    assert_int_equal(ex->nsegments, 2);
    assert_string_equal(ex->segments[0].name.data, "early");
    assert_int_equal(ex->segments[0].cells[1].exposed, 1);
    assert_string_equal(ex->segments[1].name.data, "late");
    assert_int_equal(ex->segments[1].cells[0].exposed, 1);
    assert_int_equal(ex->segments[1].cells[1].exposed, 0);

    rpt_free(r);
}


static void
test_edges(void **state)
{
    rpt_t                   *r;
    rpt_filter_t             filter = { NULL, NULL, NULL, 0, 0 };
    const rpt_result_t      *res;
    const rpt_experiment_t  *ex;
    const rpt_variant_t     *v;

    (void) state;

    /* nothing at all */
    r = rpt_new(&filter);
    res = rpt_finish(r);
    assert_int_equal(res->nexperiments, 0);
    rpt_free(r);

    /* a single visitor, converted; the other variant empty */
    r = rpt_new(&filter);
    expose(r, 1, "only", "e", "control", "s", W50);
    convert(r, "only", "g", "{\"exp\":\"e\",\"var\":\"control\"}");
    res = rpt_finish(r);
    ex = &res->experiments[0];
    assert_int_equal(ex->nvariants, 2);
    v = variant(ex, "control");
    assert_int_equal(v->exposed, 1);
    assert_true(v->rate == 1 && v->rate_hi == 1);
    v = variant(ex, "b");
    assert_int_equal(v->exposed, 0);
    assert_true(isnan(v->rate) && isnan(v->rate_lo) && isnan(v->lift)
                && isnan(v->p_value) && isnan(v->beat));
    /* 1 and 0 for 50/50: X^2 = 1, p = erfc(sqrt(1/2)) = 0.317311 */
    assert_true(fabs(ex->srm_p - 0.317311) < 1e-6);
    rpt_free(r);

    /* every visitor saw both variants: nobody left to count */
    r = rpt_new(&filter);
    expose(r, 1, "v1", "e", "control", "s", W50);
    expose(r, 2, "v1", "e", "b", "s", W50);
    res = rpt_finish(r);
    ex = &res->experiments[0];
    assert_int_equal(ex->multi, 1);
    assert_int_equal(ex->visitors, 0);
    assert_int_equal(ex->nsegments, 0);
    assert_int_equal(ex->npersonas, 0);
    assert_true(isnan(ex->srm_p));
    rpt_free(r);

    /* a visitor exposed to a variant that the weights do not have */
    r = rpt_new(&filter);
    expose(r, 1, "v1", "e", "control", "s", W50);
    expose(r, 2, "v2", "e", "b", "s", W50);
    expose(r, 3, "v3", "e", "stray", "s", W50);
    res = rpt_finish(r);
    ex = &res->experiments[0];
    assert_int_equal(ex->nvariants, 3);
    assert_true(variant(ex, "stray")->weight == 0);
    assert_true(ex->srm_p == 0);
    rpt_free(r);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_counts),
        cmocka_unit_test(test_goal_filter),
        cmocka_unit_test(test_experiment_and_since_filters),
        cmocka_unit_test(test_order_by_time),
        cmocka_unit_test(test_edges),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
