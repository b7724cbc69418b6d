/*
 * Unit tests of icp-report's writers (tools/report/out_*.c): the figures
 * reach each format, names are escaped for it, a sample-ratio mismatch is
 * flagged loudly, and the html page stays self-contained.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "report/report.h"


typedef void (*writer_pt)(FILE *out, const rpt_result_t *res);


/*
 * Experiment "<e&\"1>": control 30 visitors, 3 converted; b none, though
 * the weights are 50/50: X^2 = 30, p = 4.3e-8, a mismatch.  Experiment
 * "fine": 10 and 10 visitors for 50/50, no mismatch.
 */
static rpt_t *
feed(void)
{
    rpt_t         *r;
    rpt_filter_t   filter = { NULL, NULL, NULL, 0, 0, 0 };
    char           line[512];
    int            i;

    r = rpt_new(&filter);
    assert_non_null(r);

    for (i = 0; i < 30; i++) {
        snprintf(line, sizeof(line), "{\"ts\":\"2026-11-23T10:00:00Z\","
                 "\"type\":\"exposure\",\"vid\":\"v%d\","
                 "\"seg\":\"s\\u0007x\",\"per\":\"p\",\"exp\":\"<e&\\\"1>\","
                 "\"var\":\"control\",\"weights\":{\"control\":50,\"b\":50}}",
                 i);
        assert_int_equal(rpt_add_line(r, line, strlen(line)), 0);

        if (i < 3) {
            snprintf(line, sizeof(line), "{\"ts\":\"2026-11-23T11:00:00Z\","
                     "\"type\":\"conversion\","
                     "\"vid\":\"v%d\",\"assignments\":[{\"exp\":"
                     "\"<e&\\\"1>\",\"var\":\"control\"}]}", i);
            assert_int_equal(rpt_add_line(r, line, strlen(line)), 0);
        }
    }

    for (i = 0; i < 20; i++) {
        snprintf(line, sizeof(line), "{\"ts\":\"2026-11-23T10:00:00Z\","
                 "\"type\":\"exposure\",\"vid\":\"v%d\","
                 "\"seg\":\"s\",\"per\":\"p\",\"exp\":\"fine\","
                 "\"var\":\"%s\",\"weights\":{\"a\":50,\"b\":50}}",
                 i, i % 2 ? "a" : "b");
        assert_int_equal(rpt_add_line(r, line, strlen(line)), 0);
    }

    return r;
}


static char *
render(writer_pt writer)
{
    rpt_t               *r;
    const rpt_result_t  *res;
    char                *text;
    size_t               len;
    FILE                *out;

    r = feed();
    res = rpt_finish(r);
    assert_non_null(res);

    out = open_memstream(&text, &len);
    assert_non_null(out);
    writer(out, res);
    assert_int_equal(fclose(out), 0);
    rpt_free(r);

    return text;
}


static unsigned
count(const char *hay, const char *needle)
{
    unsigned  n;

    for (n = 0; (hay = strstr(hay, needle)) != NULL; hay++) {
        n++;
    }

    return n;
}


static void
test_text(void **state)
{
    char  *text;

    (void) state;

    text = render(rpt_write_text);

    assert_int_equal(count(text, "SAMPLE RATIO MISMATCH"), 1);
    assert_int_equal(count(text, "Sample ratio: OK"), 1);
    assert_non_null(strstr(text, "Experiment <e&\"1>, 2026-11-23 to "
                            "2026-11-23: 30 visitors"));
    /*
     * 3/30 = 10.00%; Wilson by hand: denom = 1 + 3.8415/30 = 1.12805,
     * center = (0.1 + 3.8415/60) / denom = 0.145406, half = 1.959964 /
     * denom * sqrt(0.09/30 + 3.8415/3600) = 0.110806: [3.46%, 25.62%]
     */
    assert_non_null(strstr(text, "10.00%  [3.46%, 25.62%]"));
    /* a control byte in a name does not reach the terminal */
    assert_null(strchr(text, '\a'));
    assert_non_null(strstr(text, "s?x"));
    /* the verdicts: b of the first had no visitor, nobody converted in
     * the second */
    assert_non_null(strstr(text, "  b: no visitors yet\n"));
    assert_non_null(strstr(text, "  b: no conversions to compare yet\n"));
    /* the method is named above each table */
    assert_int_equal(count(text, "Sequential results (mSPRT, tau^2 = "
                                 "0.0001)"), 2);
    assert_int_equal(count(text, "Power (fixed-horizon z-test"), 2);

    free(text);
}


static void
test_json(void **state)
{
    char  *text;

    (void) state;

    text = render(rpt_write_json);

    assert_non_null(strstr(text, "\"name\":\"<e&\\\"1>\""));
    assert_non_null(strstr(text, "\"name\":\"s\\u0007x\""));
    assert_int_equal(count(text, "\"mismatch\":true"), 1);
    assert_int_equal(count(text, "\"mismatch\":false"), 1);
    assert_non_null(strstr(text, "\"exposed\":30,\"converted\":3,"
                            "\"rate\":0.1,"));
    /* an empty variant: no rate, null rather than NaN */
    assert_non_null(strstr(text, "\"exposed\":0,\"converted\":0,"
                            "\"rate\":null,"));
    assert_null(strstr(text, "nan"));
    assert_non_null(strstr(text, "\"method\":{\"test\":\"mSPRT\","
                                 "\"sequential\":true,\"tau2\":0.0001,"
                                 "\"alpha\":0.05,"));
    assert_int_equal(count(text, "\"sequential\":{\"looks\":"), 2);
    assert_int_equal(count(text, "\"p_value_holm\":"), 2);
    assert_int_equal(count(text, "\"prob_best\":"), 4);
    assert_int_equal(count(text, "\"power\":{\"mde\":"), 2);
    assert_string_equal(text + strlen(text) - 3, "]}\n");

    free(text);
}


static void
test_html(void **state)
{
    char  *text;

    (void) state;

    text = render(rpt_write_html);

    assert_int_equal(count(text, "SAMPLE RATIO MISMATCH"), 1);
    assert_non_null(strstr(text, "Experiment &lt;e&amp;&quot;1&gt;"));
    assert_null(strstr(text, "<e&"));
    /* self-contained: no script, nothing loaded from elsewhere */
    assert_null(strstr(text, "<script"));
    assert_null(strstr(text, "src="));
    assert_null(strstr(text, "href="));
    assert_null(strstr(text, "url("));
    /* two charts per experiment: the rates and the trend */
    assert_int_equal(count(text, "<svg "), 4);
    assert_int_equal(count(text, "</svg>"), 4);
    assert_int_equal(count(text, "aria-label=\"cumulative conversion rate "
                               "by day\""), 2);
    assert_int_equal(count(text, "Sequential results (mSPRT"), 2);
    assert_int_equal(count(text, "<h3>Power"), 2);
    assert_non_null(strstr(text, "</html>\n"));

    free(text);
}


/*
 * Two phases with values, pooled or not: the value table, the phase in
 * the heading, the pooling warning, the exploratory label, the trend.
 */
static char *
render_phases(writer_pt writer, unsigned pooled)
{
    int            i;
    rpt_t         *r;
    char           line[512], *text;
    size_t         len;
    FILE          *out;
    rpt_filter_t   filter = { NULL, NULL, NULL, 0, 0, 0 };

    filter.all_phases = pooled;
    r = rpt_new(&filter);
    assert_non_null(r);

    for (i = 0; i < 40; i++) {
        snprintf(line, sizeof(line), "{\"ts\":\"2026-11-%02dT10:00:00Z\","
                 "\"type\":\"exposure\",\"vid\":\"v%d\",\"seg\":\"s\","
                 "\"per\":\"p\",\"exp\":\"e\",\"var\":\"%s\","
                 "\"phase\":\"%s\",\"weights\":{\"a\":1,\"b\":1}}",
                 (i < 20 ? 20 : 21) + i % 4, i, i % 2 ? "a" : "b",
                 i < 20 ? "0000000a" : "0000000b");
        assert_int_equal(rpt_add_line(r, line, strlen(line)), 0);

        snprintf(line, sizeof(line), "{\"ts\":\"2026-11-24T10:00:00Z\","
                 "\"type\":\"conversion\",\"vid\":\"v%d\",\"value\":%d,"
                 "\"assignments\":[{\"exp\":\"e\",\"var\":\"%s\"}]}",
                 i, 100 + i, i % 2 ? "a" : "b");
        assert_int_equal(rpt_add_line(r, line, strlen(line)), 0);
    }

    out = open_memstream(&text, &len);
    assert_non_null(out);
    writer(out, rpt_finish(r));
    assert_int_equal(fclose(out), 0);
    rpt_free(r);

    return text;
}


static void
test_phases_values_trend(void **state)
{
    char  *text;

    (void) state;

    text = render_phases(rpt_write_text, 0);
    assert_non_null(strstr(text, "Experiment e, phase 0000000b (latest of "
                                 "2 phases)"));
    assert_non_null(strstr(text, "phase 0000000a (earlier of 2 phases)"));
    assert_int_equal(count(text, "Value per visitor"), 2);
    assert_int_equal(count(text, "exploratory"), 4);
    assert_null(strstr(text, "WARNING"));
    free(text);

    text = render_phases(rpt_write_text, 1);
    assert_int_equal(count(text, "WARNING: 2 phases pooled"), 1);
    assert_non_null(strstr(text, "window 30d, phases pooled"));
    free(text);

    text = render_phases(rpt_write_json, 0);
    assert_int_equal(count(text, "\"phase\":\"0000000"), 2);
    assert_int_equal(count(text, "\"value\":{\"visitors\":10,"), 4);
    /* the converted visitors of a variant of phase a by day, 20 to 24
     * Nov: none, and then all, their conversions being on the 24th; a
     * variant without visitors yet has no rate */
    assert_non_null(strstr(text, "\"days\":[\"2026-11-20\",\"2026-11-21\","
                                 "\"2026-11-22\",\"2026-11-23\","
                                 "\"2026-11-24\"]"));
    assert_non_null(strstr(text, "\"converted\":[0,0,0,0,10]"));
    assert_non_null(strstr(text, "\"rate\":[null,"));
    free(text);

    text = render_phases(rpt_write_json, 1);
    assert_int_equal(count(text, "\"phases_pooled\":2,\"warning\":"), 1);
    free(text);

    text = render_phases(rpt_write_html, 1);
    assert_int_equal(count(text, "2 phases pooled"), 1);
    assert_int_equal(count(text, "Value per visitor"), 1);
    assert_int_equal(count(text, "<polyline points="), 2);
    assert_int_equal(count(text, "Exploratory"), 2);
    assert_null(strstr(text, "<script"));
    free(text);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_text),
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_html),
        cmocka_unit_test(test_phases_values_trend),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
