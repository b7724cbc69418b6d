/*
 * The rules compiler: every diagnostic with its line and column, what a
 * well-formed file compiles to (slots, blocks, routes, experiments), and
 * that the first error stops while warnings do not.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "lfr.h"


typedef struct {
    char      text[4096];
    size_t    len;
    unsigned  errors;
} diags_t;


static void
collect(void *ctx, lfr_severity_t severity, const char *file, unsigned line,
    unsigned col, const char *msg)
{
    diags_t  *d;

    d = ctx;
    (void) file;

    d->errors += severity == LFR_ERROR;
    d->len += snprintf(d->text + d->len, sizeof(d->text) - d->len,
                       "%u:%u: %s: %s\n", line, col,
                       severity == LFR_ERROR ? "error" : "warning", msg);
}


static lfr_rules_t *
compile(const char *src, diags_t *d)
{
    memset(d, 0, sizeof(diags_t));

    return lfr_compile("t.rules", src, strlen(src), collect, d);
}


static const struct {
    const char  *src;
    const char  *diags;
} cases[] = {

    /* unknown block */
    { "icp a { employees > 10; }\n"
      "segment b { }\n",
      "2:1: error: unknown block 'segment': expected icp, exclude, persona or"
      " route\n" },

    /* unknown op */
    { "icp a {\n"
      "    employees = 10;\n"
      "}\n",
      "2:15: error: unknown operator '=' after 'employees': expected in, not "
      "in, ==, !=, <, <=, >, >=, ~, ~*, !~, !~*, has, exists or missing\n" },

    /* unknown op word */
    { "icp a {\n"
      "    employees is 10;\n"
      "}\n",
      "2:15: error: unknown operator 'is' after 'employees': expected in, not"
      " in, ==, !=, <, <=, >, >=, ~, ~*, !~, !~*, has, exists or missing\n" },

    /* unknown field */
    { "icp a {\n"
      "    headcount > 10;\n"
      "}\n",
      "2:5: error: unknown field 'headcount': expected a UTM field, click_id,"
      " visits, a firmographic or contact field, firmo.NAME, contact.NAME or "
      "$NAME\n" },

    /* bad number */
    { "icp a {\n"
      "    employees < 10X;\n"
      "}\n",
      "2:17: error: bad number '10X': expected digits with an optional fracti"
      "on and K, M or B suffix\n" },

    /* bad range */
    { "icp a {\n"
      "    employees in 10..lots;\n"
      "}\n",
      "2:22: error: bad number 'lots': expected digits with an optional fract"
      "ion and K, M or B suffix\n" },

    /* empty range */
    { "icp a {\n"
      "    employees in 100..10;\n"
      "}\n",
      "2:23: error: empty range: the lower bound is greater than the upper on"
      "e\n" },

    /* unterminated */
    { "persona p {\n"
      "    utm_term ~* \"devops;\n"
      "}\n",
      "2:17: error: unterminated string: expected a closing \"\n" },

    /* control char */
    { "icp a {\n"
      "    employees \x01 > 10;\n"
      "}\n",
      "2:15: error: unexpected control character\n" },

    /* bad regex */
    { "persona p {\n"
      "    utm_term ~* \"(devops|sre\";\n"
      "}\n",
      "2:17: error: regex '(devops|sre' does not compile: missing closing par"
      "enthesis at offset 11\n" },

    /* dup icp */
    { "icp a { employees > 10; }\n"
      "icp a { employees > 20; }\n",
      "2:5: error: duplicate icp 'a', first defined at 1:1\n" },

    /* dup persona */
    { "persona p { utm_source == x; }\n"
      "\n"
      "persona p { utm_source == y; }\n",
      "3:9: error: duplicate persona 'p', first defined at 1:1\n" },

    /* dup variant */
    { "route * * {\n"
      "    variant a /a;\n"
      "    variant a /b;\n"
      "}\n",
      "3:13: error: duplicate variant 'a' in route */*\n" },

    /* dup experiment */
    { "persona p { utm_source == x; }\n"
      "route * p { experiment e; variant a /a; variant b /b; }\n"
      "route * * { experiment e; variant a /a; variant b /b; }\n",
      "3:24: error: duplicate experiment 'e', also run by route */p"
      " at 2:1\n" },

    /* unknown icp */
    { "icp a { employees > 10; }\n"
      "route b * { variant v /v; }\n",
      "2:7: error: route names unknown icp 'b'\n" },

    /* unknown persona */
    { "persona p { utm_source == x; }\n"
      "route * q { variant v /v; }\n"
      "route * * { variant d /d; }\n",
      "2:9: error: route names unknown persona 'q'\n" },

    /* excluded persona */
    { "route * excluded { variant a /a; }\n",
      "1:9: error: 'excluded' is a segment, not a persona: use a persona name"
      ", none or *\n" },

    /* reserved */
    { "icp none { employees > 1; }\n",
      "1:5: error: 'none' is reserved: choose another icp name\n" },

    /* bad name */
    { "icp a/b {\n"
      "    employees > 1;\n"
      "}\n",
      "1:5: error: invalid icp name 'a/b': use letters, digits, '_', '-' and "
      "'.'\n" },

    /*
     * names go into log records unescaped (ngx_http_icp_log.c): a quote
     * or a backslash in any of them is refused here
     */
    { "persona p\"q { utm_source == x; }\n",
      "1:9: error: invalid persona name 'p\"q': use letters, digits, '_', "
      "'-' and '.'\n" },
    { "route * * {\n"
      "    experiment e\\;\n"
      "    variant a /a 50;\n"
      "    variant b /b 50;\n"
      "}\n",
      "2:16: error: invalid experiment name 'e\\': use letters, digits, '_'"
      ", '-' and '.'\n" },
    { "route * * {\n"
      "    variant a\"b /a;\n"
      "}\n",
      "2:13: error: invalid variant name 'a\"b': use letters, digits, '_', "
      "'-' and '.'\n" },
    { "icp a {\n"
      "    firmo.x\"y > 1;\n"
      "}\n",
      "2:5: error: unknown field 'firmo.x\"y': expected a UTM field, click_id"
      ", visits, a firmographic or contact field, firmo.NAME, contact.NAME or"
      " $NAME\n" },

    /* zero weight */
    { "icp a {\n"
      "    employees > 10 weight 0;\n"
      "}\n",
      "2:27: error: weight must be an integer from 1 to 10000, found '0'\n" },

    /* neg weight */
    { "icp a {\n"
      "    employees > 10 weight -1;\n"
      "}\n",
      "2:27: error: weight must be an integer from 1 to 10000, found '-1'\n" },

    /* variant weight */
    { "route * * {\n"
      "    variant a /a 0;\n"
      "}\n",
      "2:18: error: variant weight must be an integer from 1 to 10000, found "
      "'0'\n" },

    /* mixed weights */
    { "route * * {\n"
      "    variant a /a 50;\n"
      "    variant b /b;\n"
      "}\n",
      "1:1: error: give every variant of route */* a weight, or none\n" },

    /* threshold range */
    { "icp a {\n"
      "    employees > 10;\n"
      "    threshold 150;\n"
      "}\n",
      "3:15: error: threshold must be an integer from 0 to 100, fou"
      "nd '150'\n" },

    /* threshold persona */
    { "persona p {\n"
      "    utm_source == x;\n"
      "    threshold 50;\n"
      "}\n",
      "3:5: error: threshold is only allowed in icp blocks, found in persona "
      "'p'\n" },

    /* missing semi */
    { "icp a {\n"
      "    employees > 10\n"
      "}\n",
      "3:1: error: expected ';' or 'weight', found '}'\n" },

    /* eof block */
    { "icp a {\n"
      "    employees > 10;\n",
      "3:1: error: expected '}' to close icp 'a' opened at 1:1, found end of "
      "file\n" },

    /* empty icp */
    { "icp a {\n"
      "}\n",
      "1:1: error: empty icp 'a': expected at least one condition\n" },

    /* empty list */
    { "icp a {\n"
      "    country in ();\n"
      "}\n",
      "2:16: error: empty list\n" },

    /* no variant */
    { "route * * {\n"
      "    experiment e;\n"
      "}\n",
      "1:1: error: route */* has no variant\n" },

    /* not without in */
    { "icp a {\n"
      "    country not (US);\n"
      "}\n",
      "2:17: error: expected 'in' after 'not', found '('\n" },

    /* bad uri */
    { "route * * {\n"
      "    variant a \"/a b\";\n"
      "}\n",
      "2:15: error: the URI of variant 'a' must not contain spaces or control"
      " characters\n" },

    /* unreachable */
    { "route * * { variant d /d; }\n"
      "route none * { variant n /n; }\n",
      "2:1: warning: unreachable route none/*: route */* at 1:1 matches its v"
      "isitors first\n" },

    /* no default */
    { "icp a { employees > 10; }\n"
      "route a * { variant v /v; }\n",
      "3:1: warning: no 'route * *': some visitors get no variant\n" },

    /* weight warning */
    { "persona p {\n"
      "    utm_source == x weight 2;\n"
      "}\n"
      "route * * { variant d /d; }\n",
      "2:21: warning: weight has no effect in persona blocks: all their condi"
      "tions must hold\n" },

    /* exp single */
    { "route * * {\n"
      "    experiment e;\n"
      "    variant a /a;\n"
      "}\n",
      "2:16: warning: experiment 'e' has no effect: route */* has a single va"
      "riant\n" },
};


static void
test_diagnostics(void **state)
{
    size_t        i;
    diags_t       d;
    lfr_rules_t  *rules;

    (void) state;

    for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        rules = compile(cases[i].src, &d);

        print_message("case %zu\n", i);
        assert_string_equal(d.text, cases[i].diags);

        /* an error means no ruleset, and exactly one error */
        if (d.errors) {
            assert_null(rules);
            assert_int_equal(d.errors, 1);
        } else {
            assert_non_null(rules);
        }

        lfr_free(rules);
    }
}


static void
test_first_error_stops(void **state)
{
    diags_t       d;
    lfr_rules_t  *rules;

    (void) state;

    rules = compile("route * * { variant d /d; }\n"
                    "route none * { variant n /n; }\n"
                    "icp a { employees <> 1; }\n"
                    "icp b { bogus > 1; }\n", &d);

    assert_null(rules);
    assert_string_equal(d.text, "3:19: error: unknown operator '<>' after "
                        "'employees': expected in, not in, ==, !=, <, <=, "
                        ">, >=, ~, ~*, !~, !~*, has, exists or missing\n");
}


static const char  full[] =
    "icp mid_market {\n"
    "    employees in 10..1000;\n"
    "    firmo.industry in (software, \"marketing services\") weight 2;\n"
    "    country in (US, CA);\n"
    "    threshold 75;\n"
    "}\n"
    "icp enterprise { employees >= 1K; region == emea; }\n"
    "exclude tiny { industry == software; employees < 10; }\n"
    "persona marketer { contact.title ~* market; $host == example.com; }\n"
    "persona ops { title ~* ops; seniority exists; tech has k8s; }\n"
    "route mid_market marketer {\n"
    "    variant control /a.html 70;\n"
    "    variant benefit /b.html 30;\n"
    "}\n"
    "route * ops { experiment ops_hero; variant a /o/a; variant b /o/b;\n"
    "    variant c /o/c; }\n"
    "route excluded * { variant sorry /sorry.html; }\n"
    "route * * { variant default /default.html; }\n";


static void
test_slots(void **state)
{
    size_t        i;
    int           s;
    diags_t       d;
    lfr_rules_t  *rules;

    static const struct {
        const char    *field;
        lfr_source_t   source;
        const char    *name;
    } fields[] = {
        { "employees", LFR_SRC_FIRMO, "employees" },
        { "industry", LFR_SRC_FIRMO, "industry" },
        { "firmo.industry", LFR_SRC_FIRMO, "industry" },
        { "country", LFR_SRC_FIRMO, "country" },
        { "region", LFR_SRC_FIRMO, "region" },
        { "tech", LFR_SRC_FIRMO, "tech" },
        { "contact.title", LFR_SRC_CONTACT, "title" },
        { "title", LFR_SRC_CONTACT, "title" },
        { "seniority", LFR_SRC_CONTACT, "seniority" },
        { "$host", LFR_SRC_VAR, "host" },
    };

    (void) state;

    rules = compile(full, &d);
    assert_non_null(rules);
    assert_string_equal(d.text, "");

    /* fixed slots, then employees industry country region title host
     * seniority tech in order of first use */
    assert_int_equal(lfr_nslots(rules), LFR_SLOT_FIXED + 8);
    assert_int_equal(lfr_slot_source(rules, LFR_SLOT_UTM_TERM), LFR_SRC_UTM);
    assert_string_equal(lfr_slot_name(rules, LFR_SLOT_UTM_TERM), "utm_term");
    assert_int_equal(lfr_slot_source(rules, LFR_SLOT_CLICK_ID),
                     LFR_SRC_CLICK_ID);
    assert_int_equal(lfr_slot_source(rules, LFR_SLOT_VISITS),
                     LFR_SRC_VISITS);
    assert_string_equal(lfr_slot_name(rules, LFR_SLOT_FIXED), "employees");
    assert_int_equal(lfr_slot_source(rules, LFR_SLOT_FIXED + 5),
                     LFR_SRC_VAR);
    assert_string_equal(lfr_slot_name(rules, LFR_SLOT_FIXED + 5), "host");

    for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
        s = lfr_field_find(rules, fields[i].field, strlen(fields[i].field));
        assert_true(s >= LFR_SLOT_FIXED);
        assert_int_equal(s, lfr_slot_find(rules, fields[i].source,
                                          fields[i].name));
        assert_int_equal(lfr_slot_source(rules, s), fields[i].source);
        assert_string_equal(lfr_slot_name(rules, s), fields[i].name);
    }

    assert_int_equal(lfr_field_find(rules, "utm_campaign", 12),
                     LFR_SLOT_UTM_CAMPAIGN);
    assert_int_equal(lfr_field_find(rules, "visits", 6), LFR_SLOT_VISITS);
    assert_int_equal(lfr_field_find(rules, "company", 7), -1);
    assert_int_equal(lfr_field_find(rules, "firmo.x", 7), -1);
    assert_int_equal(lfr_field_find(rules, "$remote_addr", 12), -1);
    assert_int_equal(lfr_field_find(rules, "headcount", 9), -2);
    assert_int_equal(lfr_field_find(rules, "firmo.", 6), -2);
    assert_int_equal(lfr_field_find(rules, "$a-b", 4), -2);
    assert_int_equal(lfr_slot_find(rules, LFR_SRC_FIRMO, "title"), -1);

    lfr_free(rules);
}


static void
test_structure(void **state)
{
    diags_t        d;
    lfr_summary_t  s;
    lfr_rules_t   *rules;

    (void) state;

    rules = compile(full, &d);
    assert_non_null(rules);

    lfr_summary(rules, &s);
    assert_int_equal(s.icps, 2);
    assert_int_equal(s.excludes, 1);
    assert_int_equal(s.personas, 2);
    assert_int_equal(s.routes, 4);
    assert_int_equal(s.experiments, 2);

    assert_string_equal(lfr_segment_name(rules, 1), "enterprise");
    assert_string_equal(lfr_segment_name(rules, LFR_NONE), "none");
    assert_string_equal(lfr_segment_name(rules, LFR_EXCLUDED), "excluded");
    assert_string_equal(lfr_persona_name(rules, 0), "marketer");
    assert_string_equal(lfr_persona_name(rules, LFR_NONE), "none");

    assert_int_equal(lfr_nroutes(rules), 4);
    assert_string_equal(lfr_route_name(rules, 0), "mid_market/marketer");
    assert_string_equal(lfr_route_name(rules, 3), "*/*");

    /* the default experiment name is SEGMENT.PERSONA */
    assert_string_equal(lfr_route_experiment(rules, 0),
                        "mid_market.marketer");
    assert_string_equal(lfr_route_experiment(rules, 1), "ops_hero");
    assert_null(lfr_route_experiment(rules, 2));

    assert_int_equal(lfr_route_nvariants(rules, 0), 2);
    assert_string_equal(lfr_variant_name(rules, 0, 1), "benefit");
    assert_string_equal(lfr_variant_uri(rules, 0, 1), "/b.html");
    assert_int_equal(lfr_variant_weight(rules, 0, 0), 70);
    assert_int_equal(lfr_variant_weight(rules, 1, 2), 1);
    assert_int_equal(lfr_variant_find(rules, 1, "c", 1), 2);
    assert_int_equal(lfr_variant_find(rules, 1, "d", 1), -1);
    assert_null(lfr_variant_name(rules, 0, 2));

    /* 70/30 over 10000 buckets, and 1/1/1 as 3333/6666/10000 */
    assert_int_equal(lfr_pick_variant(rules, 0, 6999), 0);
    assert_int_equal(lfr_pick_variant(rules, 0, 7000), 1);
    assert_int_equal(lfr_pick_variant(rules, 1, 3332), 0);
    assert_int_equal(lfr_pick_variant(rules, 1, 3333), 1);
    assert_int_equal(lfr_pick_variant(rules, 1, 6666), 2);

    lfr_free(rules);
}


/* The route table has a row per segment and a column per persona. */
static void
test_too_large(void **state)
{
    char         *src, *p;
    size_t        i, size;
    diags_t       d;
    lfr_rules_t  *rules;

    (void) state;

    size = 2100 * 48;
    src = malloc(size);
    assert_non_null(src);
    p = src;

    for (i = 0; i < 1100; i++) {
        p += sprintf(p, "icp i%zu { visits > 1; }\n", i);
    }

    for (i = 0; i < 1000; i++) {
        p += sprintf(p, "persona p%zu { visits > 1; }\n", i);
    }

    p += sprintf(p, "route * * { variant d /d; }\n");
    assert_true((size_t) (p - src) < size);

    rules = compile(src, &d);
    assert_null(rules);
    assert_string_equal(d.text, "2102:1: error: too large: 1100 icps times "
                        "1000 personas exceed 1048576 combinations\n");

    free(src);
}


static void
test_compile_file(void **state)
{
    FILE          *f;
    char           path[64];
    diags_t        d;
    lfr_rules_t   *rules;

    (void) state;

    memset(&d, 0, sizeof(diags_t));
    rules = lfr_compile_file("/nonexistent/t.rules", collect, &d);
    assert_null(rules);
    assert_string_equal(d.text, "0:0: error: cannot read the rules file: "
                        "No such file or directory\n");

    snprintf(path, sizeof(path), "/tmp/test_rules_parse.%ld.rules",
             (long) getpid());
    f = fopen(path, "w");
    assert_non_null(f);
    fputs(full, f);
    fclose(f);

    rules = lfr_compile_file(path, NULL, NULL);
    assert_non_null(rules);
    assert_int_equal(lfr_nroutes(rules), 4);
    lfr_free(rules);
    remove(path);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_diagnostics),
        cmocka_unit_test(test_first_error_stops),
        cmocka_unit_test(test_slots),
        cmocka_unit_test(test_structure),
        cmocka_unit_test(test_too_large),
        cmocka_unit_test(test_compile_file),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
