/*
 * Unit tests of icp-report's log line parser (tools/report/line.c): the
 * records of the log format, escapes, extra keys, torn and garbled lines.
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "report/line.h"


static const char  exposure[] =
    "{\"ts\":\"2026-11-23T10:11:12.345Z\",\"type\":\"exposure\","
    "\"req\":\"5f2a\",\"vid\":\"Qx9\",\"ip\":\"203.0.113.7\","
    "\"seg\":\"mid_market\",\"per\":\"marketer\",\"score\":83,"
    "\"route\":\"mid_market/marketer\",\"exp\":\"mary_hero_q4\","
    "\"var\":\"control\",\"new\":true,"
    "\"weights\":{\"control\":50,\"benefit\":50.5},"
    "\"utm\":{\"source\":\"linkedin\",\"medium\":\"paid\","
    "\"campaign\":\"abm-q4\",\"term\":\"\",\"content\":\"\"},"
    "\"firmo\":{\"company\":\"Acme\",\"domain\":\"acme.io\","
    "\"industry\":\"software\",\"employees\":\"250\",\"country\":\"US\"},"
    "\"cache\":\"HIT\",\"bot\":false,\"preview\":false}";

static const char  conversion[] =
    "{\"ts\":\"2026-11-23T10:15:00.000Z\",\"type\":\"conversion\","
    "\"req\":\"77\",\"vid\":\"Qx9\",\"ip\":\"203.0.113.0\","
    "\"goal\":\"signup\",\"assignments\":[{\"exp\":\"mary_hero_q4\","
    "\"var\":\"control\"},{\"exp\":\"other\",\"var\":\"b\"}],"
    "\"seg\":\"mid_market\",\"per\":\"marketer\",\"cache\":\"HIT\","
    "\"bot\":false,\"preview\":true}";


/* Parses a writable copy; the copy is kept until the next call. */
static int
parse(const char *line, rpt_rec_t *rec)
{
    static char  buf[8192];
    size_t       len;

    len = strlen(line);
    assert_true(len < sizeof(buf));
    memcpy(buf, line, len);
    buf[len] = 'X';     /* the parser must not read past len */

    return rpt_parse_line(buf, len, rec);
}


static void
assert_str(const lfr_str_t *s, const char *want)
{
    assert_non_null(s->data);
    assert_int_equal(s->len, strlen(want));
    assert_memory_equal(s->data, want, s->len);
}


static void
test_exposure(void **state)
{
    rpt_rec_t  rec;

    (void) state;

    assert_int_equal(parse(exposure, &rec), 0);
    assert_int_equal(rec.type, RPT_REC_EXPOSURE);
    assert_str(&rec.ts, "2026-11-23T10:11:12.345Z");
    assert_str(&rec.vid, "Qx9");
    assert_str(&rec.seg, "mid_market");
    assert_str(&rec.per, "marketer");
    assert_str(&rec.exp, "mary_hero_q4");
    assert_str(&rec.var, "control");
    assert_null(rec.goal.data);
    assert_int_equal(rec.bot, 0);
    assert_int_equal(rec.preview, 0);
    assert_int_equal(rec.nweights, 2);
    assert_str(&rec.weights[0].name, "control");
    assert_true(rec.weights[0].weight == 50);
    assert_str(&rec.weights[1].name, "benefit");
    assert_true(rec.weights[1].weight == 50.5);
    assert_int_equal(rec.nassign, 0);
}


static void
test_conversion(void **state)
{
    rpt_rec_t  rec;

    (void) state;

    assert_int_equal(parse(conversion, &rec), 0);
    assert_int_equal(rec.type, RPT_REC_CONVERSION);
    assert_str(&rec.goal, "signup");
    assert_int_equal(rec.preview, 1);
    assert_int_equal(rec.nassign, 2);
    assert_str(&rec.assign[0].exp, "mary_hero_q4");
    assert_str(&rec.assign[0].var, "control");
    assert_str(&rec.assign[1].exp, "other");
    assert_str(&rec.assign[1].var, "b");
    assert_int_equal(rec.nweights, 0);

    assert_int_equal(parse("{\"type\":\"conversion\",\"vid\":\"a\","
                           "\"goal\":\"g\",\"assignments\":[ ]}", &rec), 0);
    assert_int_equal(rec.nassign, 0);
}


static void
test_escapes(void **state)
{
    rpt_rec_t  rec;

    (void) state;

    assert_int_equal(parse("{\"type\":\"exposure\",\"vid\":\"a\\\"b\\\\c\","
                           "\"exp\":\"caf\\u00e9 \\/ \\t\","
                           "\"var\":\"\\ud83d\\ude00|\\ud800|\\u20AC\"}",
                           &rec), 0);
    assert_str(&rec.vid, "a\"b\\c");
    assert_str(&rec.exp, "caf\xc3\xa9 / \t");
    /* a pair is one code point; a lone surrogate is U+FFFD */
    assert_str(&rec.var, "\xf0\x9f\x98\x80|\xef\xbf\xbd|\xe2\x82\xac");

    /* escapes in keys are decoded too */
    assert_int_equal(parse("{\"type\":\"exposure\",\"v\\u0069d\":\"x\","
                           "\"exp\":\"e\",\"var\":\"v\"}", &rec), 0);
    assert_str(&rec.vid, "x");
}


static void
test_extra_keys_and_order(void **state)
{
    rpt_rec_t  rec;

    (void) state;

    assert_int_equal(parse(" { \"var\" : \"b\" , \"extra\" : {\"a\":[1,2.5e3,"
                           "-0.1,true,false,null,{\"x\":[]}],\"b\":\"}\"} ,"
                           "\"exp\":\"e\",\"n\":-12,\"vid\":\"v\","
                           "\"type\":\"exposure\",\"bot\":true } \r",
                           &rec), 0);
    assert_str(&rec.var, "b");
    assert_str(&rec.exp, "e");
    assert_str(&rec.vid, "v");
    assert_int_equal(rec.bot, 1);

    /* extra keys inside assignments are skipped */
    assert_int_equal(parse("{\"type\":\"conversion\",\"vid\":\"v\","
                           "\"assignments\":[{\"since\":1,\"exp\":\"e\","
                           "\"var\":\"a\"}]}", &rec), 0);
    assert_int_equal(rec.nassign, 1);
    assert_str(&rec.assign[0].var, "a");

    /* a type the report does not know is no error */
    assert_int_equal(parse("{\"type\":\"heartbeat\"}", &rec), 0);
    assert_int_equal(rec.type, RPT_REC_OTHER);
}


/* Numbers: the integer shortcut and strtod must agree with JSON. */
static void
test_weight_numbers(void **state)
{
    rpt_rec_t  rec;

    (void) state;

    assert_int_equal(parse("{\"type\":\"exposure\",\"vid\":\"v\","
                           "\"exp\":\"e\",\"var\":\"a\",\"weights\":"
                           "{\"a\":1,\"b\":1e2,\"c\":3,\"d\":2.5E-1,"
                           "\"e\":123456789012345,"
                           "\"f\":12345678901234567}}", &rec), 0);
    assert_int_equal(rec.nweights, 6);
    assert_true(rec.weights[0].weight == 1);
    assert_true(rec.weights[1].weight == 100);
    assert_true(rec.weights[2].weight == 3);
    assert_true(rec.weights[3].weight == 0.25);
    assert_true(rec.weights[4].weight == 123456789012345.0);
    assert_true(rec.weights[5].weight == 12345678901234567.0);
}


/*
 * A weight that is no share of traffic makes the record malformed:
 * infinite (1e400), 0 (also 1e-400, -0), negative, or not a number.
 */
static void
test_weight_not_positive(void **state)
{
    size_t              i;
    rpt_rec_t           rec;
    char                line[256];
    static const char  *bad[] = {
        "1e400", "-1e400", "0", "-0", "0.0", "1e-400", "-1", "-0.5",
        "NaN", "nan", "Infinity", "\"50\"", "null"
    };

    (void) state;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        snprintf(line, sizeof(line), "{\"type\":\"exposure\","
                 "\"vid\":\"v\",\"exp\":\"e\",\"var\":\"a\","
                 "\"weights\":{\"a\":50,\"b\":%s}}", bad[i]);
        assert_int_equal(parse(line, &rec), -1);
    }

    /* the smallest and largest that are fine */
    assert_int_equal(parse("{\"type\":\"exposure\",\"vid\":\"v\","
                           "\"exp\":\"e\",\"var\":\"a\",\"weights\":"
                           "{\"a\":1e-300,\"b\":1e300}}", &rec), 0);
    assert_true(rec.weights[0].weight == 1e-300);
    assert_true(rec.weights[1].weight == 1e300);
}


/* Every proper prefix of a record is a torn line. */
static void
test_torn_lines(void **state)
{
    size_t     len, i;
    char       buf[sizeof(exposure)];
    rpt_rec_t  rec;
    const char  *lines[] = { exposure, conversion };

    (void) state;

    for (i = 0; i < 2; i++) {
        for (len = 0; len < strlen(lines[i]); len++) {
            memcpy(buf, lines[i], len);
            assert_int_equal(rpt_parse_line(buf, len, &rec), -1);
        }
    }
}


static void
test_malformed(void **state)
{
    size_t      i;
    rpt_rec_t   rec;
    const char  *bad[] = {
        "",
        "garbage",
        "[]",
        "{}",                                           /* no type */
        "{\"type\":\"exposure\",\"vid\":\"v\",\"exp\":\"e\"}",  /* no var */
        "{\"type\":\"conversion\"}",                    /* no vid */
        "{\"type\":\"exposure\",\"vid\":7,\"exp\":\"e\",\"var\":\"v\"}",
        "{\"type\":\"exposure\",\"vid\":\"v\",\"exp\":\"e\",\"var\":\"v\","
            "\"bot\":\"no\"}",
        "{\"type\":\"exposure\",\"vid\":\"v\",\"exp\":\"e\",\"var\":\"v\"}}",
        "{\"type\":\"exposure\",\"vid\":\"v\",\"exp\":\"e\",\"var\":\"v\"} x",
        "{\"type\":\"exposure\",\"vid\":\"v\",\"exp\":\"e\",\"var\":\"v\",}",
        "{\"type\":\"exposure\" \"vid\":\"v\",\"exp\":\"e\",\"var\":\"v\"}",
        "{\"type\":\"exposure\",\"vid\":\"a\tb\",\"exp\":\"e\",\"var\":\"v\"}",
        "{\"type\":\"exposure\",\"vid\":\"\\u0000\",\"exp\":\"e\","
            "\"var\":\"v\"}",
        "{\"type\":\"exposure\",\"vid\":\"\\x\",\"exp\":\"e\",\"var\":\"v\"}",
        "{\"type\":\"exposure\",\"vid\":\"\\u12g4\",\"exp\":\"e\","
            "\"var\":\"v\"}",
        "{\"type\":\"exposure\",\"vid\":\"v\",\"exp\":\"e\",\"var\":\"v\","
            "\"n\":01}",
        "{\"type\":\"exposure\",\"vid\":\"v\",\"exp\":\"e\",\"var\":\"v\","
            "\"n\":1.}",
        "{\"type\":\"exposure\",\"vid\":\"v\",\"exp\":\"e\",\"var\":\"v\","
            "\"n\":tru}",
        "{\"type\":\"exposure\",\"vid\":\"v\",\"exp\":\"e\",\"var\":\"v\","
            "\"weights\":{\"a\":\"50\"}}",
        "{\"type\":\"conversion\",\"vid\":\"v\",\"assignments\":[\"e\"]}",
        "{\"type\":\"conversion\",\"vid\":\"v\",\"assignments\":"
            "[{\"exp\":\"e\"}]}",
    };

    (void) state;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        if (parse(bad[i], &rec) != -1) {
            fail_msg("accepted: %s", bad[i]);
        }
    }
}


/* Nesting is bounded so that a hostile line cannot exhaust the stack. */
static void
test_depth(void **state)
{
    char       line[512];
    int        depth, n;
    rpt_rec_t  rec;

    (void) state;

    for (depth = 30; depth <= 40; depth += 10) {
        n = snprintf(line, sizeof(line), "{\"type\":\"heartbeat\",\"x\":");
        memset(line + n, '[', depth);
        memset(line + n + depth, ']', depth);
        line[n + 2 * depth] = '}';

        assert_int_equal(rpt_parse_line(line, n + 2 * depth + 1, &rec),
                         depth <= 30 ? 0 : -1);
    }
}


static void
test_too_many_weights(void **state)
{
    char       line[4096];
    int        i, n;
    rpt_rec_t  rec;

    (void) state;

    n = snprintf(line, sizeof(line), "{\"type\":\"exposure\",\"vid\":\"v\","
                 "\"exp\":\"e\",\"var\":\"v0\",\"weights\":{");

    for (i = 0; i <= RPT_MAX_WEIGHTS; i++) {
        n += snprintf(line + n, sizeof(line) - n, "%s\"v%d\":1",
                      i ? "," : "", i);

        if (i == RPT_MAX_WEIGHTS - 1) {
            memcpy(line + n, "}}", 2);
            assert_int_equal(rpt_parse_line(line, n + 2, &rec), 0);
            assert_int_equal(rec.nweights, RPT_MAX_WEIGHTS);
        }
    }

    memcpy(line + n, "}}", 2);
    assert_int_equal(rpt_parse_line(line, n + 2, &rec), -1);
}


/* The phase of an exposure, the value of a conversion (docs/log.md). */
static void
test_phase_and_value(void **state)
{
    rpt_rec_t  rec;

    (void) state;

    assert_int_equal(parse("{\"ts\":\"t\",\"type\":\"exposure\","
                           "\"vid\":\"v\",\"exp\":\"e\",\"var\":\"a\","
                           "\"phase\":\"7fc229e6\"}", &rec), 0);
    assert_str(&rec.phase, "7fc229e6");
    assert_false(rec.has_value);

    assert_int_equal(parse("{\"type\":\"conversion\",\"vid\":\"v\","
                           "\"goal\":\"g\",\"value\":1250.5,"
                           "\"assignments\":[]}", &rec), 0);
    assert_true(rec.has_value && rec.value == 1250.5);
    assert_null(rec.phase.data);

    assert_int_equal(parse("{\"type\":\"conversion\",\"vid\":\"v\","
                           "\"value\":-3,\"assignments\":[]}", &rec), 0);
    assert_true(rec.has_value && rec.value == -3);

    /* a value must be a finite number; a phase a string */
    assert_int_equal(parse("{\"type\":\"conversion\",\"vid\":\"v\","
                           "\"value\":\"12\"}", &rec), -1);
    assert_int_equal(parse("{\"type\":\"conversion\",\"vid\":\"v\","
                           "\"value\":1e999}", &rec), -1);
    assert_int_equal(parse("{\"type\":\"exposure\",\"vid\":\"v\","
                           "\"exp\":\"e\",\"var\":\"a\",\"phase\":7}", &rec),
                     -1);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_exposure),
        cmocka_unit_test(test_conversion),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_extra_keys_and_order),
        cmocka_unit_test(test_weight_numbers),
        cmocka_unit_test(test_weight_not_positive),
        cmocka_unit_test(test_torn_lines),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_depth),
        cmocka_unit_test(test_too_many_weights),
        cmocka_unit_test(test_phase_and_value),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
