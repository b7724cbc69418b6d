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

#include "report/multi.h"
#include "report/report.h"
#include "report/stats.h"


#define assert_near(a, b, eps)                                               \
    assert_true(fabs((double) (a) - (double) (b)) <= (eps))


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
    rpt_filter_t             filter = { NULL, NULL, NULL, 0, 0, 0 };
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
    /* one day, one look: the sequential p-value of the totals */
    assert_true(b->p_value == rpt_seq_p(1, 2, 2, 3, RPT_SEQ_TAU2));
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
    rpt_filter_t             filter = { NULL, "signup", NULL, 0, 0, 0 };
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
                                    0, 0, 0 };
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
    rpt_filter_t             filter = { NULL, NULL, NULL, 0, 0, 0 };
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
    rpt_filter_t             filter = { NULL, NULL, NULL, 0, 0, 0 };
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


/* A record of any shape, printf-style. */
static void
addf(rpt_t *r, const char *fmt, ...)
{
    char     line[1024];
    va_list  ap;

    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    add(r, line);
}


#define EXPO  "{\"ts\":\"%s\",\"type\":\"exposure\",\"vid\":\"%s\"," \
              "\"seg\":\"%s\",\"exp\":\"e\",\"var\":\"%s\"%s}"
#define CONV  "{\"ts\":\"%s\",\"type\":\"conversion\",\"vid\":\"%s\"," \
              "\"assignments\":[{\"exp\":\"e\",\"var\":\"%s\"}]%s}"


/*
 * Without weights the control is "control" if there is one, else the
 * first variant by name, whatever order the lines come in; with weights,
 * the first of them, and variants they lack follow by name.
 */
static void
test_control_order(void **state)
{
    int                  order;
    rpt_t               *r;
    rpt_filter_t         filter = { NULL, NULL, NULL, 0, 0, 0 };
    const rpt_result_t  *res;
    const char          *vars[] = { "zeta", "control", "alpha" };
    const char          *names[] = { "zeta", "beta", "alpha" };

    (void) state;

    for (order = 0; order < 3; order++) {
        r = rpt_new(&filter);
        addf(r, EXPO, "2026-11-23T10:00:00Z", "v1", "s",
             vars[order % 3], "");
        addf(r, EXPO, "2026-11-23T10:00:01Z", "v2", "s",
             vars[(order + 1) % 3], "");
        addf(r, EXPO, "2026-11-23T10:00:02Z", "v3", "s",
             vars[(order + 2) % 3], "");
        res = rpt_finish(r);
        assert_string_equal(res->experiments[0].variants[0].name.data,
                            "control");
        assert_string_equal(res->experiments[0].variants[1].name.data,
                            "alpha");
        assert_string_equal(res->experiments[0].variants[2].name.data,
                            "zeta");
        rpt_free(r);

        r = rpt_new(&filter);
        addf(r, EXPO, "2026-11-23T10:00:00Z", "v1", "s",
             names[order % 3], "");
        addf(r, EXPO, "2026-11-23T10:00:01Z", "v2", "s",
             names[(order + 1) % 3], "");
        addf(r, EXPO, "2026-11-23T10:00:02Z", "v3", "s",
             names[(order + 2) % 3], "");
        res = rpt_finish(r);
        assert_string_equal(res->experiments[0].variants[0].name.data,
                            "alpha");
        rpt_free(r);

        /* weights b, a: b is the control, a stray variant comes last */
        r = rpt_new(&filter);
        addf(r, EXPO, "2026-11-23T10:00:00Z", "v1", "s",
             order ? "a" : "stray", ",\"weights\":{\"b\":1,\"a\":1}");
        addf(r, EXPO, "2026-11-23T10:00:01Z", "v2", "s",
             order ? "stray" : "a", ",\"weights\":{\"b\":1,\"a\":1}");
        res = rpt_finish(r);
        assert_string_equal(res->experiments[0].variants[0].name.data, "b");
        assert_string_equal(res->experiments[0].variants[2].name.data,
                            "stray");
        rpt_free(r);
    }
}


/* 10:00+02:00 is 08:00Z, before 09:00Z, though after it as text. */
static void
test_offsets(void **state)
{
    rpt_t                   *r;
    rpt_filter_t             filter = { NULL, NULL, NULL, 0, 0, 0 };
    const rpt_result_t      *res;
    const rpt_experiment_t  *ex;

    (void) state;

    r = rpt_new(&filter);
    addf(r, EXPO, "2026-11-23T09:00:00Z", "v1", "late", "a", "");
    addf(r, EXPO, "2026-11-23T10:00:00+02:00", "v1", "early", "a", "");
    /* 08:30Z: after the first exposure, before the second */
    addf(r, CONV, "2026-11-23T03:30:00-05:00", "v1", "a", "");
    res = rpt_finish(r);

    ex = &res->experiments[0];
    assert_true(ex->first_ts == 1795420800000LL);
    assert_int_equal(ex->nsegments, 1);
    assert_string_equal(ex->segments[0].name.data, "early");
    assert_int_equal(ex->variants[0].converted, 1);
    assert_int_equal(ex->conv_before, 0);
    rpt_free(r);

    /* a record whose time is missing or unreadable is malformed */
    r = rpt_new(&filter);
    add(r, "{\"type\":\"exposure\",\"vid\":\"v\",\"exp\":\"e\",\"var\":\"a\"}");
    addf(r, EXPO, "2026-11-23T25:00:00Z", "v1", "s", "a", "");
    addf(r, CONV, "23/11/2026", "v1", "a", "");
    res = rpt_finish(r);
    assert_int_equal(res->counts.malformed, 3);
    assert_int_equal(res->nexperiments, 0);
    rpt_free(r);
}


/*
 * A conversion counts from the first exposure to --window after it: not
 * one second before, at 30 days exactly still, not a minute later.
 */
static void
test_window(void **state)
{
    rpt_t                   *r;
    rpt_filter_t             filter = { NULL, NULL, NULL, 0, 0, 0 };
    const rpt_result_t      *res;
    const rpt_experiment_t  *ex;

    (void) state;

    r = rpt_new(&filter);
    addf(r, CONV, "2026-11-23T09:59:59Z", "early", "a", "");
    addf(r, EXPO, "2026-11-23T10:00:00Z", "early", "s", "a", "");
    addf(r, EXPO, "2026-11-23T10:00:00Z", "at", "s", "a", "");
    addf(r, CONV, "2026-12-23T10:00:00Z", "at", "a", "");
    addf(r, EXPO, "2026-11-23T10:00:00Z", "late", "s", "a", "");
    addf(r, CONV, "2026-12-23T10:01:00Z", "late", "a", "");
    /* the same visitor, later in the window: converted */
    addf(r, EXPO, "2026-11-23T10:00:00Z", "back", "s", "a", "");
    addf(r, CONV, "2026-11-23T09:00:00Z", "back", "a", "");
    addf(r, CONV, "2026-11-24T09:00:00Z", "back", "a", "");
    res = rpt_finish(r);

    ex = &res->experiments[0];
    assert_true(res->filter.window == 30 * RPT_MS_PER_DAY);
    assert_int_equal(ex->variants[0].exposed, 4);
    assert_int_equal(ex->variants[0].converted, 2);     /* at, back */
    assert_int_equal(ex->conv_before, 2);               /* early, back */
    assert_int_equal(ex->conv_after, 1);                /* late */
    rpt_free(r);

    filter.window = 3600 * 1000;
    r = rpt_new(&filter);
    addf(r, EXPO, "2026-11-23T10:00:00Z", "v1", "s", "a", "");
    addf(r, CONV, "2026-11-23T11:00:00Z", "v1", "a", "");
    addf(r, EXPO, "2026-11-23T10:00:00Z", "v2", "s", "a", "");
    addf(r, CONV, "2026-11-23T11:00:00.001Z", "v2", "a", "");
    res = rpt_finish(r);
    assert_int_equal(res->experiments[0].variants[0].converted, 1);
    assert_int_equal(res->experiments[0].conv_after, 1);
    rpt_free(r);
}


/*
 * Two phases: two results, the latest first, each with its weights,
 * visitors and SRM; pooled, one result, no SRM.
 */
static void
test_phases(void **state)
{
    int                      i, j;
    rpt_t                   *r;
    char                     vid[16];
    rpt_filter_t             filter = { NULL, NULL, NULL, 0, 0, 0 };
    const rpt_result_t      *res;
    const rpt_experiment_t  *ex;
    const char              *p1 = ",\"phase\":\"00000001\","
                                  "\"weights\":{\"a\":1,\"b\":1}";
    const char              *p2 = ",\"phase\":\"00000002\","
                                  "\"weights\":{\"b\":3,\"a\":1}";

    (void) state;

    for (i = 0; i < 2; i++) {
        filter.all_phases = i;
        r = rpt_new(&filter);

        /* phase 2 is read first, but phase 1 came first in time */
        addf(r, EXPO, "2026-11-24T10:00:00Z", "x", "s", "b", p2);
        addf(r, EXPO, "2026-11-24T10:00:01Z", "y", "s", "b", p2);
        addf(r, EXPO, "2026-11-24T10:00:02Z", "z", "s", "b", p2);
        addf(r, EXPO, "2026-11-24T10:00:03Z", "w", "s", "a", p2);
        addf(r, CONV, "2026-11-24T11:00:00Z", "x", "b", "");

        for (j = 0; j < 10; j++) {
            snprintf(vid, sizeof(vid), "u%d", j);
            addf(r, EXPO, "2026-11-23T10:00:00Z", vid, "s",
                 j < 5 ? "a" : "b", p1);
        }

        res = rpt_finish(r);

        if (i == 0) {
            assert_int_equal(res->nexperiments, 2);
            ex = &res->experiments[0];
            assert_string_equal(ex->phase.data, "00000002");
            assert_string_equal(ex->variants[0].name.data, "b");
            assert_int_equal(ex->variants[0].exposed, 3);
            assert_int_equal(ex->variants[0].converted, 1);
            assert_near(ex->srm_chi2, 0, 1e-12);    /* 3:1 for 3:1 */
            ex = &res->experiments[1];
            assert_string_equal(ex->phase.data, "00000001");
            assert_string_equal(ex->variants[0].name.data, "a");
            assert_int_equal(ex->variants[0].exposed, 5);
            assert_int_equal(ex->variants[1].converted, 0);
            assert_int_equal(ex->nphases, 1);

        } else {
            assert_int_equal(res->nexperiments, 1);
            ex = &res->experiments[0];
            assert_int_equal(ex->nphases, 2);
            assert_int_equal(ex->phase.len, 0);
            assert_int_equal(ex->visitors, 14);
            assert_true(isnan(ex->srm_p));
        }

        rpt_free(r);
    }
}


/*
 * Value per visitor: the values of the counted conversions summed per
 * visitor, 0 for the others; the moments feed Welch's test.
 */
static void
test_values(void **state)
{
    rpt_t                   *r;
    rpt_filter_t             filter = { NULL, NULL, NULL, 0, 0, 0 };
    const rpt_result_t      *res;
    const rpt_experiment_t  *ex;
    const rpt_variant_t     *a, *b;
    rpt_welch_t              w;

    (void) state;

    r = rpt_new(&filter);
    addf(r, EXPO, "2026-11-23T10:00:00Z", "a1", "s", "a", "");
    addf(r, EXPO, "2026-11-23T10:00:00Z", "a2", "s", "a", "");
    addf(r, EXPO, "2026-11-23T10:00:00Z", "a3", "s", "a", "");
    addf(r, CONV, "2026-11-23T11:00:00Z", "a1", "a", ",\"value\":100");
    addf(r, CONV, "2026-11-23T12:00:00Z", "a1", "a", ",\"value\":50.5");
    addf(r, CONV, "2026-11-23T09:00:00Z", "a2", "a", ",\"value\":999");
    addf(r, EXPO, "2026-11-23T10:00:00Z", "b1", "s", "b", "");
    addf(r, EXPO, "2026-11-23T10:00:00Z", "b2", "s", "b", "");
    addf(r, CONV, "2026-11-23T11:00:00Z", "b1", "b", ",\"value\":20");
    addf(r, CONV, "2026-11-23T11:00:00Z", "b2", "b", "");
    res = rpt_finish(r);

    ex = &res->experiments[0];
    a = &ex->variants[0];
    b = &ex->variants[1];
    assert_true(ex->has_values);
    /* a: 150.5, 0 (its conversion came before), 0 */
    assert_int_equal(a->value.n, 3);
    assert_near(a->value.mean, 150.5 / 3, 1e-12);
    /* b: 20, 0 (a conversion without value) */
    assert_near(b->value.mean, 10, 1e-12);
    assert_int_equal(b->converted, 2);

    w = b->value_cmp;
    assert_near(w.diff, 10 - 150.5 / 3, 1e-12);
    rpt_welch(&a->value, &b->value, &w);
    assert_true(w.p_value == b->value_cmp.p_value);
    assert_true(isnan(a->value_cmp.p_value));
    rpt_free(r);

    /* no value anywhere: no value metrics */
    r = rpt_new(&filter);
    addf(r, EXPO, "2026-11-23T10:00:00Z", "a1", "s", "a", "");
    addf(r, CONV, "2026-11-23T11:00:00Z", "a1", "a", "");
    res = rpt_finish(r);
    assert_false(res->experiments[0].has_values);
    rpt_free(r);
}


/*
 * The trend by UTC day, cumulative: exposed by the end of the day, and
 * converted by then.
 */
static void
test_trend(void **state)
{
    rpt_t                   *r;
    rpt_filter_t             filter = { NULL, NULL, NULL, 0, 0, 0 };
    const rpt_result_t      *res;
    const rpt_experiment_t  *ex;
    const rpt_variant_t     *a, *b;
    char                     day[RPT_DAY_SIZE];

    (void) state;

    r = rpt_new(&filter);
    /* 23 Nov: a1, b1; a1 converts the same day */
    addf(r, EXPO, "2026-11-23T10:00:00Z", "a1", "s", "a", "");
    addf(r, EXPO, "2026-11-23T11:00:00Z", "b1", "s", "b", "");
    addf(r, CONV, "2026-11-23T12:00:00Z", "a1", "a", "");
    /* 24 Nov UTC (23:30-02:00 on the 23rd is 01:30Z on the 24th): a2 */
    addf(r, EXPO, "2026-11-23T23:30:00-02:00", "a2", "s", "a", "");
    /* 26 Nov: b1 converts; nothing on the 25th */
    addf(r, CONV, "2026-11-26T08:00:00Z", "b1", "b", "");
    res = rpt_finish(r);

    ex = &res->experiments[0];
    a = &ex->variants[0];
    b = &ex->variants[1];
    assert_int_equal(ex->ndays, 4);
    assert_string_equal(rpt_day_str(day, ex->trend_day0), "2026-11-23");
    assert_true(a->trend_exposed[0] == 1 && a->trend_exposed[1] == 2
                && a->trend_exposed[2] == 2 && a->trend_exposed[3] == 2);
    assert_true(a->trend_converted[0] == 1 && a->trend_converted[3] == 1);
    assert_true(b->trend_exposed[0] == 1 && b->trend_exposed[3] == 1);
    assert_true(b->trend_converted[2] == 0 && b->trend_converted[3] == 1);
    rpt_free(r);
}


/*
 * Per variant, visitors and converters by day 23, 24, 25 Nov: a, the
 * control, 400/20 a day; b 400/45, 400/10, 400/10, ahead on the first
 * day and not after; c 400/20, 400/30, 400/40, ahead at the end.
 */
static rpt_t *
feed_days(unsigned fixed_horizon)
{
    int                  d, i, j;
    rpt_t               *r;
    char                 vid[32], ts[32];
    rpt_filter_t         filter = { NULL, NULL, NULL, 0, 0, 0 };
    static const char   *names[] = { "a", "b", "c" };
    static const int     conv[3][3] = { { 20, 20, 20 }, { 45, 10, 10 },
                                        { 20, 30, 40 } };

    filter.fixed_horizon = fixed_horizon;
    r = rpt_new(&filter);
    assert_non_null(r);

    for (d = 0; d < 3; d++) {
        for (j = 0; j < 3; j++) {
            for (i = 0; i < 400; i++) {
                snprintf(vid, sizeof(vid), "%s%d-%d", names[j], d, i);
                snprintf(ts, sizeof(ts), "2026-11-%02dT10:%02d:%02dZ",
                         23 + d, i / 60, i % 60);
                addf(r, EXPO, ts, vid, "s", names[j],
                     ",\"weights\":{\"a\":1,\"b\":1,\"c\":1}");

                if (i < conv[j][d]) {
                    snprintf(ts, sizeof(ts), "2026-11-%02dT12:00:00Z",
                             23 + d);
                    addf(r, CONV, ts, vid, names[j], "");
                }
            }
        }
    }

    return r;
}


/*
 * The default results are sequential, one look a day: the p-value is the
 * least of the days', not the last day's; Holm adjusts across b and c;
 * the chance of being best is that of the totals.  --fixed-horizon gives
 * the z-test and Katz interval of the totals.
 */
static void
test_sequential(void **state)
{
    rpt_t                   *r;
    const rpt_result_t      *res;
    const rpt_experiment_t  *ex;
    const rpt_variant_t     *a, *b, *c;
    double                   p1, p3, p[3], adj[3], best[3], lift, lo, hi;
    uint64_t                 conv[3] = { 60, 65, 90 }, n[3] = { 1200, 1200,
                                                                1200 };

    (void) state;

    r = feed_days(0);
    res = rpt_finish(r);
    assert_non_null(res);
    ex = &res->experiments[0];
    assert_int_equal(ex->ndays, 3);
    a = &ex->variants[0];
    b = &ex->variants[1];
    c = &ex->variants[2];

    /* b: 45/400 against 20/400 on the first day (p 0.36), 65/1200
     * against 60/1200 at the end (p 1) */
    p1 = rpt_seq_p(20, 400, 45, 400, RPT_SEQ_TAU2);
    p3 = rpt_seq_p(60, 1200, 65, 1200, RPT_SEQ_TAU2);
    assert_true(p1 < 0.5 && p3 == 1);
    assert_true(p1 < rpt_seq_p(40, 800, 55, 800, RPT_SEQ_TAU2));
    assert_int_equal(b->seq.looks, 3);
    assert_true(b->p_value == p1);
    /* c: the last day's is the least */
    assert_true(c->p_value == rpt_seq_p(60, 1200, 90, 1200, RPT_SEQ_TAU2));
    assert_true(c->p_value < rpt_seq_p(40, 800, 50, 800, RPT_SEQ_TAU2));
    /* the interval of every day holds the running one */
    rpt_seq_ci(60, 1200, 65, 1200, RPT_SEQ_TAU2, RPT_ALPHA, &lo, &hi,
               &lift, &lift);
    assert_true(b->seq.diff_lo >= lo && b->seq.diff_hi <= hi);
    assert_true(b->lift_lo > -1 && b->lift_hi > b->lift_lo);
    assert_true(b->lift_lo <= b->lift && b->lift <= b->lift_hi);

    /* Holm across b and c; the control has none */
    p[0] = NAN;
    p[1] = b->p_value;
    p[2] = c->p_value;
    rpt_holm(p, 3, adj);
    assert_true(isnan(a->p_holm));
    assert_true(b->p_holm == adj[1] && c->p_holm == adj[2]);
    assert_true(fmin(b->p_holm, c->p_holm)
                == fmin(1, 2 * fmin(b->p_value, c->p_value)));

    assert_int_equal(rpt_prob_best(conv, n, 3, best), 0);
    assert_true(a->best == best[0] && b->best == best[1]
                && c->best == best[2]);
    assert_true(c->best > b->best && b->best > a->best);

    /* the power of the totals, a's rate the baseline */
    assert_true(b->power.mde_abs > 0 && isnan(a->power.mde_abs));
    rpt_free(r);

    r = feed_days(1);
    res = rpt_finish(r);
    ex = &res->experiments[0];
    b = &ex->variants[1];
    assert_true(b->p_value == rpt_ztest(60, 1200, 65, 1200));
    rpt_lift(60, 1200, 65, 1200, RPT_Z95, &lift, &lo, &hi);
    assert_true(b->lift_lo == lo && b->lift_hi == hi);
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
        cmocka_unit_test(test_control_order),
        cmocka_unit_test(test_offsets),
        cmocka_unit_test(test_window),
        cmocka_unit_test(test_phases),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_trend),
        cmocka_unit_test(test_sequential),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
