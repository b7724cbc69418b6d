/*
 * The evaluator: each operator, absent fields, case rules, numbers,
 * regex safety, weights and thresholds, exclusion precedence, first-match
 * order, route patterns, and lfr_explain.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "lfr.h"


#define MAXSLOTS  96


static lfr_rules_t *
compile(const char *src)
{
    lfr_rules_t  *rules;

    rules = lfr_compile("t.rules", src, strlen(src), NULL, NULL);
    assert_non_null(rules);
    assert_true(lfr_nslots(rules) <= MAXSLOTS);

    return rules;
}


/* Fills inputs from "field", "value" pairs ending in NULL. */
static void
fill(const lfr_rules_t *rules, lfr_str_t *in, va_list args)
{
    int          slot;
    const char  *field, *value;

    memset(in, 0, MAXSLOTS * sizeof(lfr_str_t));

    while ((field = va_arg(args, const char *)) != NULL) {
        value = va_arg(args, const char *);
        slot = lfr_field_find(rules, field, strlen(field));
        assert_true(slot >= 0);
        in[slot].data = value;
        in[slot].len = strlen(value);
    }
}


static void
classify(const lfr_rules_t *rules, lfr_result_t *r, ...)
{
    va_list    args;
    lfr_str_t  in[MAXSLOTS];

    va_start(args, r);
    fill(rules, in, args);
    va_end(args);

    lfr_classify(rules, in, r);
}


/* Whether one condition holds: it is the only one of a persona. */
static int
holds(const char *condition, ...)
{
    char           src[512];
    va_list        args;
    lfr_str_t      in[MAXSLOTS];
    lfr_rules_t   *rules;
    lfr_result_t   r;

    snprintf(src, sizeof(src), "persona p { %s; }", condition);
    rules = compile(src);

    va_start(args, condition);
    fill(rules, in, args);
    va_end(args);

    lfr_classify(rules, in, &r);
    lfr_free(rules);

    assert_true(r.persona == 0 || r.persona == LFR_NONE);

    return r.persona == 0;
}


static void
test_in(void **state)
{
    (void) state;

    assert_true(holds("industry in (software, \"Marketing Services\")",
                      "industry", "SOFTWARE", NULL));
    assert_true(holds("industry in (software, \"Marketing Services\")",
                      "industry", "marketing services", NULL));
    assert_false(holds("industry in (software, \"Marketing Services\")",
                       "industry", "soft", NULL));
    assert_false(holds("industry in (software)", "industry", "software ",
                       NULL));
    /* bare numbers in a list also match numerically */
    assert_true(holds("employees in (50, 1K)", "employees", "1000", NULL));
    assert_true(holds("employees in (50, 1K)", "employees", "50.0", NULL));
    assert_false(holds("employees in (50, 1K)", "employees", "51", NULL));
    assert_false(holds("employees in (\"1K\")", "employees", "1000", NULL));
    assert_false(holds("industry in (software)", NULL));
}


static void
test_not_in(void **state)
{
    (void) state;

    assert_true(holds("country not in (US, CA)", "country", "FR", NULL));
    assert_false(holds("country not in (US, CA)", "country", "us", NULL));
    /* absent is false even for a negation */
    assert_false(holds("country not in (US, CA)", NULL));
}


static void
test_range(void **state)
{
    (void) state;

    assert_true(holds("employees in 10..1K", "employees", "10", NULL));
    assert_true(holds("employees in 10..1K", "employees", "1000", NULL));
    assert_true(holds("employees in 10..1K", "employees", "1K", NULL));
    assert_true(holds("employees in 10..1K", "employees", "0.5k", NULL));
    assert_false(holds("employees in 10..1K", "employees", "9", NULL));
    assert_false(holds("employees in 10..1K", "employees", "1.001K", NULL));
    assert_false(holds("employees in 10..1K", "employees", "many", NULL));
    assert_false(holds("employees in 10..1K", "employees", "", NULL));
    assert_false(holds("employees in 10..1K", NULL));
    assert_true(holds("revenue in 1.5M..2B", "revenue", "1500000", NULL));
    assert_false(holds("revenue in 1.5M..2B", "revenue", "1499999", NULL));
    assert_true(holds("revenue in -1..1", "revenue", "-0.5", NULL));
}


static void
test_equality(void **state)
{
    (void) state;

    assert_true(holds("region == EMEA", "region", "emea", NULL));
    assert_false(holds("region == EMEA", "region", "emea-north", NULL));
    assert_true(holds("region != EMEA", "region", "apac", NULL));
    assert_false(holds("region != EMEA", "region", "Emea", NULL));
    assert_false(holds("region != EMEA", NULL));
    assert_true(holds("employees == 1K", "employees", "1000", NULL));
    assert_true(holds("employees == 1K", "employees", "1k", NULL));
    assert_true(holds("$host == example.com", "$host", "EXAMPLE.com",
                      NULL));
    assert_true(holds("click_id == gclid", "click_id", "gclid", NULL));
    /* case folding is ASCII only: no locale decides */
    assert_false(holds("company == \"\xc3\xa9t\xc3\xa9\"", "company",
                       "\xc3\x89T\xc3\x89", NULL));
}


static void
test_compare(void **state)
{
    (void) state;

    assert_true(holds("employees < 10", "employees", "9", NULL));
    assert_false(holds("employees < 10", "employees", "10", NULL));
    assert_true(holds("employees <= 10", "employees", "10", NULL));
    assert_false(holds("employees <= 10", "employees", "10.01", NULL));
    assert_true(holds("employees > 10", "employees", "11", NULL));
    assert_false(holds("employees > 10", "employees", "10", NULL));
    assert_true(holds("employees >= 10", "employees", "10", NULL));
    assert_false(holds("employees >= 10", "employees", "9.99", NULL));
    assert_true(holds("revenue < 1M", "revenue", "999K", NULL));
    assert_false(holds("revenue < 1M", "revenue", "1.2M", NULL));
    assert_true(holds("visits >= 3", "visits", "3", NULL));

    /* not a number: every numeric comparison is false */
    assert_false(holds("employees < 10", "employees", "n/a", NULL));
    assert_false(holds("employees >= 10", "employees", "n/a", NULL));
    assert_false(holds("employees < 10", "employees", "1,000", NULL));
    assert_false(holds("employees < 10", "employees", "5 ", NULL));
    assert_false(holds("employees < 10", "employees", "5X", NULL));
    assert_false(holds("employees < 10", "employees", ".", NULL));
}


static void
test_regex(void **state)
{
    (void) state;

    assert_true(holds("utm_campaign ~ \"^abm\"", "utm_campaign", "abm-q4",
                      NULL));
    assert_false(holds("utm_campaign ~ \"^abm\"", "utm_campaign", "ABM-q4",
                       NULL));
    assert_true(holds("utm_campaign ~* \"^abm\"", "utm_campaign", "ABM-q4",
                      NULL));
    assert_true(holds("utm_campaign !~ \"^abm\"", "utm_campaign", "ABM-q4",
                      NULL));
    assert_false(holds("utm_campaign !~* \"^abm\"", "utm_campaign",
                       "ABM-q4", NULL));
    assert_false(holds("utm_campaign !~ \"^abm\"", NULL));
    assert_false(holds("utm_campaign ~ \".*\"", NULL));
    assert_true(holds("utm_term ~ '\\d+\\.\\d'", "utm_term", "v1.2", NULL));

    /* UTF-8: a character is one '.', and caseless folds beyond ASCII */
    assert_true(holds("country ~ \"^M.nchen$\"", "country",
                      "M\xc3\xbcnchen", NULL));
    assert_true(holds("country ~* \"m\xc3\xbcnchen\"", "country",
                      "M\xc3\x9cNCHEN", NULL));
}


/* Invalid UTF-8 and runaway backtracking: false, never a crash. */
static void
test_regex_safety(void **state)
{
    (void) state;

    assert_false(holds("utm_term ~ \".\"", "utm_term", "\xff", NULL));
    assert_false(holds("utm_term !~ \"x\"", "utm_term", "\xc3", NULL));
    assert_false(holds("utm_term ~ \".\"", "utm_term", "\xed\xa0\x80",
                       NULL));

    assert_false(holds("utm_term ~ \"(a+)+$\"", "utm_term",
                       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", NULL));
    assert_false(holds("utm_term !~ \"(a+)+$\"", "utm_term",
                       "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", NULL));
    assert_true(holds("utm_term ~ \"(a+)+$\"", "utm_term", "aaaa", NULL));
}


static void
test_has(void **state)
{
    (void) state;

    assert_true(holds("tech has salesforce", "tech",
                      "HubSpot, Salesforce ,k8s", NULL));
    assert_true(holds("tech has (marketo, k8s)", "tech",
                      "HubSpot, Salesforce ,k8s", NULL));
    assert_true(holds("tech has hubspot", "tech", "hubspot", NULL));
    assert_false(holds("tech has sales", "tech", "salesforce,hubspot",
                       NULL));
    assert_false(holds("tech has salesforce", "tech", "", NULL));
    assert_false(holds("tech has salesforce", NULL));
    assert_true(holds("tech has \"\"", "tech", "a,,b", NULL));
    /* a bare number also matches an element numerically */
    assert_true(holds("sic has (7372, 1K)", "sic", "5411, 1000", NULL));
    assert_true(holds("sic has 7372", "sic", "7372.0", NULL));
    assert_false(holds("sic has 7372", "sic", "7372x, 73", NULL));
    assert_false(holds("sic has \"1K\"", "sic", "1000", NULL));
}


static void
test_exists_missing(void **state)
{
    (void) state;

    assert_true(holds("company exists", "company", "Acme", NULL));
    assert_true(holds("company exists", "company", "", NULL));
    assert_false(holds("company exists", NULL));
    assert_true(holds("company missing", NULL));
    assert_false(holds("company missing", "company", "", NULL));
}


static const char  icps[] =
    "icp mid {\n"
    "    employees in 10..1000;\n"
    "    industry in (software) weight 2;\n"
    "    country in (US, CA);\n"
    "    threshold 75;\n"
    "}\n"
    "icp big { employees > 1000; country == US; tech has sap; }\n"
    "exclude student { title ~* student; }\n"
    "exclude tiny { employees < 10; revenue < 1M; }\n"
    "persona marketer { utm_source in (linkedin, google);"
    " utm_campaign ~* abm; }\n"
    "persona anyone_paid { utm_medium == cpc; }\n"
    "route excluded * { variant sorry /sorry; }\n"
    "route mid marketer { variant a /a; variant b /b; }\n"
    "route mid * { variant mid /mid; }\n"
    "route none anyone_paid { variant paid /paid; }\n"
    "route * none { variant plain /plain; }\n";


static void
test_score_threshold(void **state)
{
    lfr_rules_t   *rules;
    lfr_result_t   r;

    (void) state;

    rules = compile(icps);

    /* 1 + 2 of 4: 75, the threshold */
    classify(rules, &r, "employees", "200", "industry", "software",
             "country", "FR", NULL);
    assert_int_equal(r.segment, 0);
    assert_int_equal(r.score, 75);

    /* 1 + 1 of 4: 50, below; no other ICP fits: the near miss is 50 */
    classify(rules, &r, "employees", "200", "industry", "retail",
             "country", "US", NULL);
    assert_int_equal(r.segment, LFR_NONE);
    assert_int_equal(r.score, 50);

    /* all of mid */
    classify(rules, &r, "employees", "200", "industry", "Software",
             "country", "us", NULL);
    assert_int_equal(r.segment, 0);
    assert_int_equal(r.score, 100);

    /* big at 2 of 3 (66) beats mid at 1 of 4 (25) as the near miss */
    classify(rules, &r, "employees", "5000", "country", "US",
             "industry", "retail", NULL);
    assert_int_equal(r.segment, LFR_NONE);
    assert_int_equal(r.score, 66);

    /* big needs all three (default threshold 100) */
    classify(rules, &r, "employees", "5000", "country", "US",
             "tech", "SAP, oracle", NULL);
    assert_int_equal(r.segment, 1);
    assert_int_equal(r.score, 100);

    /* nothing known: no ICP by accident, score 0 */
    classify(rules, &r, NULL);
    assert_int_equal(r.segment, LFR_NONE);
    assert_int_equal(r.score, 0);
    assert_int_equal(r.exclude, -1);

    lfr_free(rules);
}


/* The near-miss score is the best of every ICP, whatever their order. */
static void
test_near_miss_order(void **state)
{
    lfr_rules_t   *rules;
    lfr_result_t   r;

    (void) state;

    rules = compile("icp a { employees > 10; country == US; }\n"
                    "icp b { employees > 10000; region == emea;"
                    " tech has sap; }\n");

    /* a: 1 of 2 = 50; b: first condition false, then 2 of 3 = 66 */
    classify(rules, &r, "employees", "500", "region", "EMEA",
             "tech", "sap", NULL);
    assert_int_equal(r.segment, LFR_NONE);
    assert_int_equal(r.score, 66);

    lfr_free(rules);
}


static void
test_threshold_zero_and_first_match(void **state)
{
    lfr_rules_t   *rules;
    lfr_result_t   r;

    (void) state;

    rules = compile("icp first { country == US; }\n"
                    "icp second { country == US; employees > 1; }\n"
                    "icp catch_all { employees > 1; threshold 0; }\n");

    classify(rules, &r, "country", "US", "employees", "5", NULL);
    assert_int_equal(r.segment, 0);

    classify(rules, &r, "country", "FR", NULL);
    assert_int_equal(r.segment, 2);
    assert_int_equal(r.score, 0);

    lfr_free(rules);
}


static void
test_exclusion(void **state)
{
    lfr_rules_t   *rules;
    lfr_result_t   r;

    (void) state;

    rules = compile(icps);

    /* fits mid fully, yet a student: excluded wins, score 0 */
    classify(rules, &r, "employees", "200", "industry", "software",
             "country", "US", "contact.title", "PhD Student", NULL);
    assert_int_equal(r.segment, LFR_EXCLUDED);
    assert_int_equal(r.exclude, 0);
    assert_int_equal(r.score, 0);

    /* every condition of an exclude must hold */
    classify(rules, &r, "employees", "5", "revenue", "2M", NULL);
    assert_int_equal(r.segment, LFR_NONE);

    classify(rules, &r, "employees", "5", "revenue", "200K", NULL);
    assert_int_equal(r.segment, LFR_EXCLUDED);
    assert_int_equal(r.exclude, 1);

    /* an absent field cannot exclude either */
    classify(rules, &r, "employees", "5", NULL);
    assert_int_equal(r.segment, LFR_NONE);

    lfr_free(rules);
}


static void
test_persona_and_routes(void **state)
{
    lfr_rules_t   *rules;
    lfr_result_t   r;

    (void) state;

    rules = compile(icps);

    /* mid + marketer: the experiment route */
    classify(rules, &r, "employees", "200", "industry", "software",
             "country", "US", "utm_source", "LinkedIn",
             "utm_campaign", "q4-ABM", NULL);
    assert_int_equal(r.persona, 0);
    assert_int_equal(r.route, 1);

    /* persona needs all its conditions: only utm_source */
    classify(rules, &r, "employees", "200", "industry", "software",
             "country", "US", "utm_source", "linkedin", NULL);
    assert_int_equal(r.persona, LFR_NONE);
    assert_int_equal(r.route, 2);

    /* first persona in file order wins */
    classify(rules, &r, "utm_source", "google", "utm_campaign", "abm",
             "utm_medium", "cpc", NULL);
    assert_int_equal(r.persona, 0);
    /* none/marketer: none of the routes before * none, nor it */
    assert_int_equal(r.route, LFR_NONE);

    classify(rules, &r, "utm_medium", "cpc", NULL);
    assert_int_equal(r.persona, 1);
    assert_int_equal(r.route, 3);

    classify(rules, &r, NULL);
    assert_int_equal(r.route, 4);

    /* excluded first, whatever the persona */
    classify(rules, &r, "title", "student", "utm_medium", "cpc", NULL);
    assert_int_equal(r.persona, 1);
    assert_int_equal(r.route, 0);

    lfr_free(rules);
}


/* Per-call facts (numbers, UTF-8 checks) never leak into the next call. */
static void
test_no_stale_state(void **state)
{
    lfr_rules_t   *rules;
    lfr_result_t   r;

    (void) state;

    rules = compile("icp small { employees < 100; utm_term ~ x; }\n"
                    "icp large { employees > 100; }\n");

    classify(rules, &r, "employees", "50", "utm_term", "x", NULL);
    assert_int_equal(r.segment, 0);
    classify(rules, &r, "employees", "5000", "utm_term", "\xff", NULL);
    assert_int_equal(r.segment, 1);
    classify(rules, &r, "employees", "lots", "utm_term", "x", NULL);
    assert_int_equal(r.segment, LFR_NONE);
    assert_int_equal(r.score, 50);

    lfr_free(rules);
}


/*
 * The dictionary compares a text word by word, the last word overlapping
 * the one before: a change in any byte, at any length, must tell.
 */
static void
test_dict_every_byte(void **state)
{
    char          lit[40], in[40], cond[64];
    size_t        len, i;
    const char   *abc = "abcdefghijklmnopqrstuvwx";

    (void) state;

    for (len = 1; len <= 24; len++) {
        memcpy(lit, abc, len);
        lit[len] = '\0';
        snprintf(cond, sizeof(cond), "industry == \"%s\"", lit);

        assert_true(holds(cond, "industry", lit, NULL));

        for (i = 0; i < len; i++) {
            memcpy(in, lit, len + 1);
            in[i] = (char) (in[i] - 'a' + 'A');
            assert_true(holds(cond, "industry", in, NULL));

            in[i] = 'z';
            assert_false(holds(cond, "industry", in, NULL));
        }

        memcpy(in, lit, len + 1);
        in[len - 1] = '\0';
        assert_false(holds(cond, "industry", in, NULL));

        memcpy(in, lit, len);
        in[len] = 'a';
        in[len + 1] = '\0';
        assert_false(holds(cond, "industry", in, NULL));
    }

    /* 0x20 apart but not letters: not the same in any case */
    assert_false(holds("industry == \"a@b\"", "industry", "a`b", NULL));
    assert_false(holds("industry == \"a[b\"", "industry", "a{b", NULL));
    assert_true(holds("industry in (\"\")", "industry", "", NULL));
    assert_false(holds("industry in (\"\")", "industry", "a", NULL));
    assert_true(holds("industry == \"\xc3\xa9t\xc3\xa9s\"", "industry",
                      "\xc3\xa9T\xc3\xa9S", NULL));
}


static void
test_number_digits(void **state)
{
    size_t  i;

    static const char  *bad[] = {
        "", ".", "-", "+", "K", "-K", "1.2.3", "..5", "5..", "1e3", "0x10",
        "--1", "1-", " 1", "1 "
    };

    (void) state;

    assert_true(holds("revenue == 123456789012345", "revenue",
                      "123456789012345", NULL));
    assert_true(holds("revenue > 1", "revenue", "999999999999999", NULL));
    /* more than 15 digits, or enough to wrap 64 bits: not a number */
    assert_false(holds("revenue > 1", "revenue", "1234567890123456", NULL));
    assert_false(holds("revenue > 0", "revenue", "18446744073709551617",
                       NULL));
    assert_false(holds("revenue < 1", "revenue", "18446744073709551616",
                       NULL));
    assert_true(holds("revenue == 0.000000000000001", "revenue",
                      "0.000000000000001", NULL));
    assert_true(holds("revenue == 1.5M", "revenue", "1500000", NULL));
    assert_true(holds("revenue == -2.5K", "revenue", "-2500", NULL));
    assert_true(holds("revenue in -1..1", "revenue", "-0", NULL));

    /* the digits before and after the point count alike */
    assert_true(holds("revenue == 0.5", "revenue", ".5", NULL));
    assert_true(holds("revenue == 5", "revenue", "5.", NULL));
    assert_true(holds("revenue == 1234.5K", "revenue", "1234500", NULL));
    assert_true(holds("revenue > 1", "revenue", "12345678901234.5", NULL));
    assert_false(holds("revenue > 1", "revenue", "123456789012345.6",
                       NULL));

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_false(holds("revenue > -1", "revenue", bad[i], NULL));
        assert_false(holds("revenue < 1", "revenue", bad[i], NULL));
    }
}


/*
 * The verdicts of up to six conditions in one ICP, read back from its
 * score: with weights 1, 2, 4 ... 32, 100 * earned / total tells which
 * held.
 */
static unsigned
verdicts(const char **conds, size_t n, const char **fields,
    const char **values)
{
    char           src[1024], *p;
    size_t         i;
    unsigned       earned;
    lfr_str_t      in[MAXSLOTS];
    lfr_rules_t   *rules;
    lfr_result_t   r;
    int            slot;

    p = src + snprintf(src, sizeof(src), "icp all {\n");

    for (i = 0; i < n; i++) {
        p += snprintf(p, src + sizeof(src) - p, "    %s weight %u;\n",
                      conds[i], 1u << i);
    }

    p += snprintf(p, src + sizeof(src) - p, "    threshold 100;\n}\n");
    assert_true(p < src + sizeof(src));

    rules = compile(src);
    memset(in, 0, sizeof(in));

    for (i = 0; fields[i]; i++) {
        slot = lfr_field_find(rules, fields[i], strlen(fields[i]));

        if (slot >= 0 && values[i]) {
            in[slot].data = values[i];
            in[slot].len = strlen(values[i]);
        }
    }

    lfr_classify(rules, in, &r);
    lfr_free(rules);

    for (earned = 0; earned < 64; earned++) {
        if ((unsigned) r.score == 100 * earned / ((1u << n) - 1)) {
            return earned;
        }
    }

    fail();
    return 0;
}


/*
 * A slot's number, text id and "has" elements are found once per call
 * and shared by every condition on it: each condition in a ruleset
 * that tests the slot many ways must hold exactly when it holds alone.
 */
static void
test_slot_facts_shared(void **state)
{
    size_t        g, i, v;
    unsigned      got, want;
    const char   *fields[] = { "employees", "revenue", NULL };
    const char   *values[2];

    static const char  *groups[][6] = {
        { "employees in 10..100", "employees < 50", "employees >= 1K",
          "employees > 0", "revenue < 1M", "employees <= 50" },
        { "employees in (50, 1K)", "employees == 50", "employees > 20",
          "employees != 1000", "employees in (fifty, \"1K\")",
          "revenue in (50, 1K)" },
        { "employees has (50, 7)", "employees < 100",
          "employees has (fifty, \"1K\")", "employees in (50, 7)",
          "employees ~ \"^5\"", "revenue has (7)" },
        { "employees exists", "employees missing", "employees > -1",
          "employees in 1K..1K", "revenue exists", "revenue >= 50" },
    };

    static const char  *inputs[] = {
        "50", "1000", "1K", "1k", "fifty", "FIFTY", "", "-3", "0", "5e3",
        " 50", "50, 7", "7 , 50", "0.5K", "50.0", "1,000", "abc", NULL
    };

    (void) state;

    for (g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {

        /* every pair of values, NULL (absent) included */
        for (v = 0; v < 18 * 18; v++) {
            values[0] = inputs[v % 18];
            values[1] = inputs[v / 18];

            want = 0;

            for (i = 0; i < 6; i++) {
                want |= verdicts(&groups[g][i], 1, fields, values) << i;
            }

            got = verdicts(groups[g], 6, fields, values);

            if (got != want) {
                print_error("group %zu, employees \"%s\", revenue \"%s\":"
                            " %#x, alone %#x\n", g,
                            values[0] ? values[0] : "(absent)",
                            values[1] ? values[1] : "(absent)", got, want);
            }

            assert_int_equal(got, want);
        }
    }
}


/*
 * Identical conditions share one verdict per call.  A ruleset without a
 * single literal (found by the fuzzer: its value array is NULL) too.
 */
static void
test_shared_conditions(void **state)
{
    lfr_rules_t   *rules;
    lfr_result_t   r;

    (void) state;

    rules = compile("icp a { employees < 10; revenue > 5M; }\n"
                    "icp b { employees < 10; revenue > 1M; }\n"
                    "persona p { visits > 3; employees > 100; }\n"
                    "persona q { visits > 3; }\n");

    classify(rules, &r, "employees", "5", "revenue", "2M", "visits", "4",
             NULL);
    assert_int_equal(r.segment, 1);
    assert_int_equal(r.persona, 1);

    classify(rules, &r, "employees", "5", "revenue", "9M", "visits", "1",
             NULL);
    assert_int_equal(r.segment, 0);
    assert_int_equal(r.persona, LFR_NONE);

    lfr_free(rules);

    rules = compile("persona p { utm_term ~ x; visits > 1; }\n"
                    "persona q { utm_term ~ x; }\n");

    classify(rules, &r, "utm_term", "x", "visits", "1", NULL);
    assert_int_equal(r.persona, 1);

    lfr_free(rules);
}


static void
explain(const lfr_rules_t *rules, char *buf, size_t size, ...)
{
    va_list       args;
    lfr_str_t     in[MAXSLOTS];
    lfr_result_t  r;

    va_start(args, size);
    fill(rules, in, args);
    va_end(args);

    lfr_classify(rules, in, &r);
    lfr_explain(rules, in, &r, buf, size);
}


/*
 * The verdicts lfr_explain prints come from lfr_classify's held bits for
 * the first 64 conditions (evaluated regexes last, so not in the written
 * order) and from a new test past them: each checked against the input.
 */

static void
test_explain_wide_icp(void **state)
{
    char          src[8192], want[4096], buf[4096], *p, *w;
    char          names[70][16];
    size_t        i, k, slot;
    unsigned      seed, weight, earned, total;
    lfr_str_t     in[MAXSLOTS];
    lfr_rules_t  *rules;
    lfr_result_t  r;

    (void) state;

    p = src;
    p += sprintf(p, "icp other { firmo.f3 == q; }\nicp wide {\n");
    total = 0;

    for (i = 0; i < 70; i++) {
        sprintf(names[i], "firmo.f%zu", i);
        weight = 1 + i % 3;
        total += weight;
        p += sprintf(p, i % 7 == 5 ? "    %s ~ \"^y$\" weight %u;\n"
                                   : "    %s == y weight %u;\n",
                     names[i], weight);
    }

    sprintf(p, "    threshold 100;\n}\n");
    rules = compile(src);

    seed = 12345;

    for (k = 0; k < 300; k++) {
        memset(in, 0, sizeof(in));
        earned = 0;
        w = want;
        w += sprintf(w, "icp none, best wide ");

        for (i = 0; i < 70; i++) {
            seed = seed * 1103515245u + 12345u;
            slot = (size_t) lfr_field_find(rules, names[i],
                                           strlen(names[i]));

            switch ((seed >> 16) % (k < 5 ? 1 : 3)) {
            case 0:
                in[slot].data = "y";
                in[slot].len = 1;
                earned += 1 + i % 3;
                break;
            case 1:
                in[slot].data = "n";
                in[slot].len = 1;
                break;
            default:
                break;
            }
        }

        /* the first rounds: all hold but one, which is absent */
        if (k < 5) {
            slot = (size_t) lfr_field_find(rules, names[60 + k],
                                           strlen(names[60 + k]));
            in[slot].data = NULL;
            in[slot].len = 0;
            earned -= 1 + (60 + k) % 3;
        }

        w += sprintf(w, "%u%% (", (unsigned) (100 * (uint64_t) earned
                                                / total));

        for (i = 0; i < 70; i++) {
            slot = (size_t) lfr_field_find(rules, names[i],
                                           strlen(names[i]));
            w += sprintf(w, "%s%s %s", i ? ", " : "", names[i],
                         in[slot].data == NULL ? "absent"
                         : in[slot].data[0] == 'y' ? "ok" : "fail");
        }

        sprintf(w, "); persona none; route none");

        lfr_classify(rules, in, &r);

        if (earned == 0) {
            /* nothing scored: the near miss is the first ICP */
            assert_int_equal(r.near, 0);
            continue;
        }

        assert_int_equal(r.segment, LFR_NONE);
        assert_int_equal(r.near, 1);

        /* another classification in between, of the same conditions */
        explain(rules, buf, sizeof(buf), "firmo.f64", "y", "firmo.f65", "y",
                "firmo.f66", "y", "firmo.f67", "y", "firmo.f68", "y",
                "firmo.f69", "y", NULL);

        lfr_explain(rules, in, &r, buf, sizeof(buf));
        assert_string_equal(buf, want);
    }

    lfr_free(rules);
}


static void
test_explain(void **state)
{
    char          buf[512];
    size_t        i, n;
    lfr_str_t     in[MAXSLOTS];
    lfr_rules_t  *rules;
    lfr_result_t  r;

    (void) state;

    rules = compile(icps);

    explain(rules, buf, sizeof(buf), "employees", "200", "industry",
            "software", "utm_source", "linkedin", "utm_campaign", "abm",
            NULL);
    assert_string_equal(buf, "icp mid 75% (employees ok, industry ok, "
                        "country absent); persona marketer (utm_source ok, "
                        "utm_campaign ok); route mid/marketer");

    explain(rules, buf, sizeof(buf), "employees", "5000", "country", "US",
            "utm_medium", "cpc", NULL);
    assert_string_equal(buf, "icp none, best big 66% (employees ok, "
                        "country ok, tech absent); persona anyone_paid "
                        "(utm_medium ok); route none/anyone_paid");

    explain(rules, buf, sizeof(buf), "employees", "3", "revenue", "1K",
            "utm_source", "bing", NULL);
    assert_string_equal(buf, "excluded by tiny (employees ok, revenue ok); "
                        "persona none; route excluded/*");

    explain(rules, buf, sizeof(buf), "employees", "lots", NULL);
    assert_string_equal(buf, "icp none, best mid 0% (employees fail, "
                        "industry absent, country absent); persona none; "
                        "route */none");

    /* snprintf semantics: the full length, a terminated prefix */
    lfr_classify(rules, memset(in, 0, sizeof(in)), &r);
    n = lfr_explain(rules, in, &r, buf, 10);
    assert_int_equal(n, strlen("icp none, best mid 0% (employees absent, "
                               "industry absent, country absent); persona "
                               "none; route */none"));
    assert_string_equal(buf, "icp none,");
    assert_int_equal(lfr_explain(rules, in, &r, NULL, 0), n);

    lfr_free(rules);

    /* input values never reach the reason: printable ASCII only */
    rules = compile("persona p { utm_term ~ \"\\n\"; }\n");
    explain(rules, buf, sizeof(buf), "utm_term", "a\nb\"\x01\xc3\xbc",
            NULL);
    assert_string_equal(buf, "icp none; persona p (utm_term ok); "
                        "route none");

    for (i = 0; buf[i]; i++) {
        assert_true(buf[i] >= 0x20 && buf[i] < 0x7f);
    }

    lfr_free(rules);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_in),
        cmocka_unit_test(test_not_in),
        cmocka_unit_test(test_range),
        cmocka_unit_test(test_equality),
        cmocka_unit_test(test_compare),
        cmocka_unit_test(test_regex),
        cmocka_unit_test(test_regex_safety),
        cmocka_unit_test(test_has),
        cmocka_unit_test(test_exists_missing),
        cmocka_unit_test(test_score_threshold),
        cmocka_unit_test(test_near_miss_order),
        cmocka_unit_test(test_threshold_zero_and_first_match),
        cmocka_unit_test(test_exclusion),
        cmocka_unit_test(test_persona_and_routes),
        cmocka_unit_test(test_no_stale_state),
        cmocka_unit_test(test_dict_every_byte),
        cmocka_unit_test(test_number_digits),
        cmocka_unit_test(test_slot_facts_shared),
        cmocka_unit_test(test_shared_conditions),
        cmocka_unit_test(test_explain),
        cmocka_unit_test(test_explain_wide_icp),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
