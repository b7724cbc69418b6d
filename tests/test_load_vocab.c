/*
 * Unit tests of icp-load's vocabulary and number parsers: label folding,
 * the label and SIC / NAICS code mapping of tools/load/industries.tsv,
 * countries, and every cell parser fed the cells exports really hold
 * and hostile ones (huge, negative, other scripts' digits, empty).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "load/names.h"
#include "load/number.h"
#include "load/vocab.h"


static load_vocab_t  vocab;


static void
expect_fold(const char *in, const char *want)
{
    char  out[LOAD_NAME_MAX];

    assert_int_equal(load_name_fold(in, strlen(in), out, sizeof(out)),
                     strlen(want));
    assert_string_equal(out, want);
}


static void
test_fold(void **state)
{
    char  out[8];

    (void) state;

    expect_fold("Hospital & Health Care", "hospital health care");
    expect_fold("HOSPITAL_HEALTH_CARE", "hospital health care");
    expect_fold("Information Technology and Services",
                "information technology services");
    expect_fold("  E-Learning ", "e learning");
    expect_fold("Android", "android");
    expect_fold("and & AND", "");
    /* bytes of other characters are kept as they are, case and all */
    expect_fold("\xc3\x96STERREICH", "\xc3\x96sterreich");
    expect_fold("", "");

    assert_int_equal(load_name_fold("much too long", 13, out, sizeof(out)),
                     (size_t) -1);
}


static const char *
key_of(int key)
{
    return key < 0 ? "(none)" : vocab.keys[key];
}


static void
expect_label(const char *label, const char *want)
{
    assert_string_equal(key_of(load_industry_label(&vocab, label,
                                                   strlen(label))), want);
}


static void
test_labels(void **state)
{
    (void) state;

    /* HubSpot, as exported and as its internal values */
    expect_label("Computer Software", "software");
    expect_label("COMPUTER_SOFTWARE", "software");
    expect_label("Marketing and Advertising", "marketing");
    expect_label("MARKETING_AND_ADVERTISING", "marketing");
    expect_label("Hospital & Health Care", "healthcare");
    expect_label("Information Technology and Services", "it_services");
    expect_label("Logistics and Supply Chain", "transportation");

    /* Salesforce's picklist */
    expect_label("Technology", "technology");
    expect_label("Not For Profit", "nonprofit");
    expect_label("Food & Beverage", "food_beverage");

    /* every key is a label for itself */
    expect_label("software", "software");
    expect_label("IT services", "it_services");
    expect_label("Financial_Services", "financial_services");

    expect_label("Widgetry", "(none)");
    expect_label("", "(none)");
}


static void
test_codes(void **state)
{
    (void) state;

    /* SIC: the longest prefix wins */
    assert_string_equal(key_of(load_industry_sic(&vocab, 7372)), "software");
    assert_string_equal(key_of(load_industry_sic(&vocab, 7374)),
                        "it_services");
    assert_string_equal(key_of(load_industry_sic(&vocab, 7375)), "internet");
    assert_string_equal(key_of(load_industry_sic(&vocab, 7311)),
                        "marketing");
    assert_string_equal(key_of(load_industry_sic(&vocab, 7361)), "staffing");
    assert_string_equal(key_of(load_industry_sic(&vocab, 7389)),
                        "business_services");
    assert_string_equal(key_of(load_industry_sic(&vocab, 8742)),
                        "consulting");
    assert_string_equal(key_of(load_industry_sic(&vocab, 8743)),
                        "marketing");
    assert_string_equal(key_of(load_industry_sic(&vocab, 6311)),
                        "insurance");
    assert_string_equal(key_of(load_industry_sic(&vocab, 2834)),
                        "pharma_biotech");
    assert_string_equal(key_of(load_industry_sic(&vocab, 2821)),
                        "chemicals");
    assert_string_equal(key_of(load_industry_sic(&vocab, 5961)),
                        "ecommerce");
    assert_string_equal(key_of(load_industry_sic(&vocab, 5999)), "retail");
    assert_string_equal(key_of(load_industry_sic(&vocab, 742)),
                        "agriculture");
    assert_string_equal(key_of(load_industry_sic(&vocab, 9721)),
                        "government");
    assert_string_equal(key_of(load_industry_sic(&vocab, 9999)), "(none)");
    assert_string_equal(key_of(load_industry_sic(&vocab, 10000)), "(none)");

    /* NAICS: a code of any length finds its longest listed prefix */
    assert_string_equal(key_of(load_industry_naics(&vocab, 541511, 6)),
                        "software");
    assert_string_equal(key_of(load_industry_naics(&vocab, 541519, 6)),
                        "it_services");
    assert_string_equal(key_of(load_industry_naics(&vocab, 5415, 4)),
                        "it_services");
    assert_string_equal(key_of(load_industry_naics(&vocab, 511210, 6)),
                        "software");
    assert_string_equal(key_of(load_industry_naics(&vocab, 513210, 6)),
                        "software");
    assert_string_equal(key_of(load_industry_naics(&vocab, 511110, 6)),
                        "media");
    assert_string_equal(key_of(load_industry_naics(&vocab, 541613, 6)),
                        "marketing");
    assert_string_equal(key_of(load_industry_naics(&vocab, 541611, 6)),
                        "consulting");
    assert_string_equal(key_of(load_industry_naics(&vocab, 524126, 6)),
                        "insurance");
    assert_string_equal(key_of(load_industry_naics(&vocab, 52, 2)),
                        "financial_services");
    assert_string_equal(key_of(load_industry_naics(&vocab, 454110, 6)),
                        "ecommerce");
    assert_string_equal(key_of(load_industry_naics(&vocab, 99, 2)),
                        "(none)");
    assert_string_equal(key_of(load_industry_naics(&vocab, 5, 1)), "(none)");
    assert_string_equal(key_of(load_industry_naics(&vocab, 1000000, 6)),
                        "(none)");
}


static void
expect_bad_vocab(const char *text, const char *want)
{
    char          err[256];
    load_vocab_t  v;

    memset(&v, 0, sizeof(v));
    assert_int_equal(load_vocab_industries(&v, text, "v.tsv", err,
                                           sizeof(err)), -1);
    assert_string_equal(err, want);
    load_vocab_free(&v);
}


static void
test_vocab_file(void **state)
{
    char          err[256];
    load_vocab_t  v;

    (void) state;

    /* the shipped file: at least a few dozen keys, all of them used */
    assert_true(vocab.nkeys >= 30 && vocab.nkeys <= 60);
    assert_true(vocab.sic.n > 50);
    assert_true(vocab.naics.n > 50);
    assert_int_equal(vocab.ncountries, 249);

    memset(&v, 0, sizeof(v));
    assert_int_equal(load_vocab_industries(&v,
        "# a comment\n"
        "\n"
        "industry\tsoftware\tSaaS\r\n"
        "industry\tmarketing\tagencies\n"
        "sic\t7371-7373\tsoftware\n"
        "sic\t73\tmarketing\n"
        "label\tComputer Software\tsoftware\n"
        "label\tcomputer & software\tsoftware\n", "v.tsv", err,
        sizeof(err)), 0);
    assert_int_equal(v.nkeys, 2);
    assert_int_equal(load_industry_sic(&v, 7372), 0);
    assert_int_equal(load_industry_sic(&v, 7374), 1);
    assert_int_equal(load_industry_label(&v, "computer software", 17), 0);
    load_vocab_free(&v);

    expect_bad_vocab("sic\t7372\tsoftware\n",
                     "v.tsv:1: \"software\": not a key declared above");
    expect_bad_vocab("industry\tSoft Ware\tx\n",
                     "v.tsv:1: \"Soft Ware\": a key is lower-case letters, "
                     "digits and _");
    expect_bad_vocab("industry\ta\tx\nindustry\ta\tx\n",
                     "v.tsv:2: \"a\": an empty or repeated key");
    expect_bad_vocab("industry\ta\tx\nindustry\tb\tx\n"
                     "label\tWidgets\ta\nlabel\tWIDGETS\tb\n",
                     "v.tsv:4: \"WIDGETS\": already a label of a");
    expect_bad_vocab("industry\ta\tx\nsic\t73-7379\ta\n",
                     "v.tsv:2: \"73-7379\": expected a code of 2 to 4 "
                     "digits, or a range of two of one length: 15-17");
    expect_bad_vocab("industry\ta\tx\nnaics\t5\ta\n",
                     "v.tsv:2: \"5\": expected a code of 2 to 6 digits, or "
                     "a range of two of one length: 15-17");
    expect_bad_vocab("industry\ta\tx\nsic\t17-15\ta\n",
                     "v.tsv:2: \"17-15\": expected a code of 2 to 4 digits, "
                     "or a range of two of one length: 15-17");
    expect_bad_vocab("industry\ta\tx\nsic\t15-17\ta\n\nsic\t17\ta\n",
                     "v.tsv:4: \"17\": overlaps the codes of line 2");
    expect_bad_vocab("industry\ta\n",
                     "v.tsv:1: expected KIND, VALUE and KEY or a "
                     "description, tab-separated");
    expect_bad_vocab("sector\ta\tb\n",
                     "v.tsv:1: \"sector\": expected industry, sic, naics or "
                     "label");
}


static void
expect_country(const char *in, const char *want)
{
    const char  *code;

    code = load_country(&vocab, in, strlen(in));
    assert_string_equal(code ? code : "(none)", want);
}


static void
test_countries(void **state)
{
    (void) state;

    expect_country("US", "US");
    expect_country("us", "US");
    expect_country("USA", "US");
    expect_country("United States", "US");
    expect_country("united states of america", "US");
    expect_country("U.S.", "US");
    expect_country("UK", "GB");
    expect_country("GBR", "GB");
    expect_country("England", "GB");
    expect_country("Deutschland", "DE");
    expect_country("AND", "AD");
    expect_country("Bosnia & Herzegovina", "BA");
    expect_country("C\xc3\xb4te d'Ivoire", "CI");
    expect_country("Korea", "KR");
    expect_country("Atlantis", "(none)");
    expect_country("XX", "(none)");
    expect_country("", "(none)");
}


static void
expect_amount(const char *in, uint64_t want, int want_range)
{
    int          range;
    uint64_t     v;
    const char  *err;

    err = load_amount(in, strlen(in), &v, &range);
    if (err != NULL) {
        fail_msg("\"%s\": %s", in, err);
    }

    assert_int_equal(v, want);
    assert_int_equal(range, want_range);
}


static void
expect_bad_amount(const char *in, const char *want)
{
    int       range;
    uint64_t  v;

    assert_string_equal(load_amount(in, strlen(in), &v, &range), want);
}


static void
test_amounts(void **state)
{
    (void) state;

    expect_amount("320", 320, 0);
    expect_amount("0", 0, 0);
    expect_amount("18,000", 18000, 0);
    expect_amount("18 000", 18000, 0);
    expect_amount("18\xc2\xa0" "000", 18000, 0);
    expect_amount("18'000", 18000, 0);
    expect_amount("USD 9,700,000,000.00", 9700000000ULL, 0);
    expect_amount("9,700,000 USD", 9700000, 0);
    expect_amount("usd 25", 25, 0);
    expect_amount("$1,200,000.00", 1200000, 0);
    expect_amount("US$ 5", 5, 0);
    expect_amount("\xe2\x82\xac" "3500000", 3500000, 0);
    expect_amount("\xc2\xa3" "900,000", 900000, 0);
    expect_amount("$11.4M", 11400000, 0);
    expect_amount("1.2B", 1200000000, 0);
    expect_amount("1.2 bn", 1200000000, 0);
    expect_amount("11.4 million", 11400000, 0);
    expect_amount("$5MM", 5000000, 0);
    expect_amount("0.5k", 500, 0);
    expect_amount("2.9999999999M", 2999999, 0);
    expect_amount("12.7", 12, 0);

    /* ranges: the lower bound */
    expect_amount("51-200", 51, 1);
    expect_amount("51 - 200", 51, 1);
    expect_amount("51\xe2\x80\x93" "200", 51, 1);
    expect_amount("1,001 to 5,000", 1001, 1);
    expect_amount("10,001+", 10001, 1);
    expect_amount("$1M - $5M", 1000000, 1);
    expect_amount("$1-5M", 1000000, 1);
    expect_amount("500K-1M", 500000, 1);
    expect_amount("200-200", 200, 1);

    /* the largest the rules read, and one more */
    expect_amount("999,999,999,999,999", LOAD_AMOUNT_MAX, 0);
    expect_amount("999999.999999999B", 999999999999999ULL, 0);
    expect_bad_amount("1000000000000000", "too large");
    expect_bad_amount("99999999999999999999999999999999", "too large");
    expect_bad_amount("1000000B", "too large");
    expect_bad_amount("18446744073709551617", "too large");
    expect_bad_amount("1-9999999999999999", "too large");

    expect_bad_amount("-5", "negative");
    expect_bad_amount("(5,000)", "negative");
    expect_bad_amount("$-5", "negative");
    expect_bad_amount("USD -1", "negative");

    /* digits of other scripts, and anything that is not a number */
    expect_bad_amount("\xd9\xa3\xd9\xa2\xd9\xa0", "not a number");
    expect_bad_amount("\xef\xbc\x93\xef\xbc\x92\xef\xbc\x90", "not a number");
    expect_bad_amount("3\xef\xbc\x92", "not a number");
    expect_bad_amount("", "not a number");
    expect_bad_amount("n/a", "not a number");
    expect_bad_amount("1,5", "not a number");
    expect_bad_amount("1,2,3", "not a number");
    expect_bad_amount("1.200.000", "not a number");
    expect_bad_amount("1e9", "not a number");
    expect_bad_amount("51-", "not a number");
    expect_bad_amount("about 50", "not a number");
    expect_bad_amount("50 employees", "not a number");
    expect_bad_amount("\xe2\x88\x92" "5", "not a number");
    expect_bad_amount("200-51",
                      "a range whose upper bound is below its lower one");
}


static void
test_codes_cells(void **state)
{
    unsigned  code, digits;

    (void) state;

    assert_null(load_sic("7372", 4, &code));
    assert_int_equal(code, 7372);
    assert_null(load_sic("742", 3, &code));
    assert_int_equal(code, 742);
    assert_non_null(load_sic("73", 2, &code));
    assert_non_null(load_sic("73721", 5, &code));
    assert_non_null(load_sic("-737", 4, &code));
    assert_non_null(load_sic("7\xd9\xa3", 3, &code));
    assert_non_null(load_sic("", 0, &code));

    assert_null(load_naics("541511", 6, &code, &digits));
    assert_int_equal(code, 541511);
    assert_int_equal(digits, 6);
    assert_null(load_naics("52", 2, &code, &digits));
    assert_int_equal(digits, 2);
    assert_non_null(load_naics("5", 1, &code, &digits));
    assert_non_null(load_naics("0541", 4, &code, &digits));
    assert_non_null(load_naics("5415111", 7, &code, &digits));
    assert_non_null(load_naics("54-15", 5, &code, &digits));
}


static void
expect_confidence(const char *in, int want)
{
    unsigned     v;
    const char  *err;

    err = load_confidence(in, strlen(in), &v);

    if (want < 0) {
        assert_non_null(err);
        return;
    }

    if (err != NULL) {
        fail_msg("\"%s\": %s", in, err);
    }

    assert_int_equal(v, want);
}


static void
test_confidence(void **state)
{
    (void) state;

    expect_confidence("87", 87);
    expect_confidence("87%", 87);
    expect_confidence("87.5", 88);
    expect_confidence("87.4%", 87);
    expect_confidence("0.87", 87);
    expect_confidence("0.875", 88);
    expect_confidence("1.0", 100);
    expect_confidence("1", 1);
    expect_confidence("0", 0);
    expect_confidence("100", 100);
    expect_confidence("0.5%", 1);

    expect_confidence("101", -1);
    expect_confidence("1.5", -1);
    expect_confidence("-3", -1);
    expect_confidence("1000", -1);
    expect_confidence("99999999999999999999", -1);
    expect_confidence("high", -1);
    expect_confidence("87.", -1);
    expect_confidence("%", -1);
    expect_confidence("", -1);
    expect_confidence("\xd9\xa8\xd9\xa7", -1);
}


static void
expect_date(const char *in, const char *want)
{
    char         out[LOAD_DATE_LEN];
    const char  *err;

    err = load_date(in, strlen(in), out);

    if (want == NULL) {
        assert_non_null(err);
        return;
    }

    if (err != NULL) {
        fail_msg("\"%s\": %s", in, err);
    }

    assert_string_equal(out, want);
}


static void
test_dates(void **state)
{
    (void) state;

    expect_date("2026-11-20", "2026-11-20");
    expect_date("2026-03-14 09:12", "2026-03-14");
    expect_date("2026-03-14T09:12:00Z", "2026-03-14");
    expect_date("11/18/2026", "2026-11-18");
    expect_date("1/2/2026", "2026-01-02");
    expect_date("2/29/2024", "2024-02-29");
    expect_date("2/29/2024 10:00", "2024-02-29");

    expect_date("2026-02-29", NULL);
    expect_date("2/29/2026", NULL);
    expect_date("2026-13-01", NULL);
    expect_date("2026-00-10", NULL);
    expect_date("2026-11-31", NULL);
    expect_date("18/11/2026", NULL);
    expect_date("2026-1-5", NULL);
    expect_date("20261120", NULL);
    expect_date("1899-12-31", NULL);
    expect_date("11/18/26", NULL);
    expect_date("", NULL);
    expect_date("yesterday", NULL);
}


static void
test_decimal(void **state)
{
    char  out[LOAD_AMOUNT_LEN];

    (void) state;

    assert_int_equal(load_decimal(0, out), 1);
    assert_string_equal(out, "0");
    assert_int_equal(load_decimal(LOAD_AMOUNT_MAX, out), 15);
    assert_string_equal(out, "999999999999999");
}


static int
vocab_setup(void **state)
{
    char  err[256];

    (void) state;

    if (load_vocab_init(&vocab, err, sizeof(err)) != 0) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }

    return 0;
}


static int
vocab_teardown(void **state)
{
    (void) state;

    load_vocab_free(&vocab);

    return 0;
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_fold),
        cmocka_unit_test(test_labels),
        cmocka_unit_test(test_codes),
        cmocka_unit_test(test_vocab_file),
        cmocka_unit_test(test_countries),
        cmocka_unit_test(test_amounts),
        cmocka_unit_test(test_codes_cells),
        cmocka_unit_test(test_confidence),
        cmocka_unit_test(test_dates),
        cmocka_unit_test(test_decimal),
    };

    return cmocka_run_group_tests(tests, vocab_setup, vocab_teardown);
}
