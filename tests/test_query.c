/*
 * Unit tests of the query-string decoder (ngx_icp_module/icp_query.c):
 * UTM extraction, percent-decoding and the sanitising of hostile values.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "icp_query.h"


static unsigned
parse(const char *args, icp_utm_t *utm)
{
    return icp_query_utm(args, strlen(args), utm);
}


static void
assert_utm(const icp_utm_t *utm, int field, const char *expect)
{
    assert_true(utm->present & (1u << field));
    assert_int_equal(utm->len[field], strlen(expect));
    assert_memory_equal(utm->value[field], expect, strlen(expect));
}


static void
test_plain_fields(void **state)
{
    icp_utm_t  utm;

    (void) state;

    parse("utm_source=linkedin&utm_medium=paid&utm_campaign=abm-q4"
          "&utm_term=sre&utm_content=hero&utm_id=42&x=1", &utm);

    assert_utm(&utm, ICP_UTM_SOURCE, "linkedin");
    assert_utm(&utm, ICP_UTM_MEDIUM, "paid");
    assert_utm(&utm, ICP_UTM_CAMPAIGN, "abm-q4");
    assert_utm(&utm, ICP_UTM_TERM, "sre");
    assert_utm(&utm, ICP_UTM_CONTENT, "hero");
    assert_utm(&utm, ICP_UTM_ID, "42");
    assert_null(utm.click_id);
}


static void
test_absent_and_empty(void **state)
{
    icp_utm_t  utm;

    (void) state;

    assert_int_equal(parse("", &utm), 0);
    assert_int_equal(parse("&&&=&utm_=x", &utm), 0);

    /* an empty value is present and empty */
    assert_int_equal(parse("utm_term=", &utm), 1u << ICP_UTM_TERM);
    assert_int_equal(utm.len[ICP_UTM_TERM], 0);

    /* a name without '=' is present too */
    assert_int_equal(parse("utm_term", &utm), 1u << ICP_UTM_TERM);
}


static void
test_percent_and_plus(void **state)
{
    icp_utm_t  utm;

    (void) state;

    parse("utm_campaign=demand+gen%20%C3%A9t%C3%A9", &utm);
    assert_utm(&utm, ICP_UTM_CAMPAIGN, "demand gen \xc3\xa9t\xc3\xa9");

    /* a '%' without two hex digits stays literal */
    parse("utm_source=%ZZa%2&utm_term=100%", &utm);
    assert_utm(&utm, ICP_UTM_SOURCE, "%ZZa%2");
    assert_utm(&utm, ICP_UTM_TERM, "100%");

    /* lower-case hex */
    parse("utm_source=a%2fb", &utm);
    assert_utm(&utm, ICP_UTM_SOURCE, "a/b");
}


static void
test_first_wins_and_case(void **state)
{
    icp_utm_t  utm;

    (void) state;

    parse("utm_source=first&utm_source=second", &utm);
    assert_utm(&utm, ICP_UTM_SOURCE, "first");

    parse("Utm_Source=Mixed&UTM_MEDIUM=Paid", &utm);
    assert_utm(&utm, ICP_UTM_SOURCE, "Mixed");
    assert_utm(&utm, ICP_UTM_MEDIUM, "Paid");
}


static void
test_control_characters_dropped(void **state)
{
    icp_utm_t  utm;

    (void) state;

    parse("utm_source=a%00b%0D%0Ac%09d%7Fe", &utm);
    assert_utm(&utm, ICP_UTM_SOURCE, "abcde");
}


static void
test_invalid_utf8_replaced(void **state)
{
    icp_utm_t  utm;

    (void) state;

    /* overlong '/', a lone continuation byte, a surrogate, past U+10FFFF */
    parse("utm_term=%C0%AFx%80y%ED%A0%80z%F4%90%80%80", &utm);
    assert_utm(&utm, ICP_UTM_TERM, "??x?y???z????");

    /* a truncated sequence at the end */
    parse("utm_term=ok%E2%82", &utm);
    assert_utm(&utm, ICP_UTM_TERM, "ok??");
}


static void
test_truncated_on_character_boundary(void **state)
{
    char       args[400];
    icp_utm_t  utm;
    size_t     i;

    (void) state;

    /* 63 ASCII bytes then a 2-byte character: it does not fit in 64 */
    strcpy(args, "utm_content=");
    for (i = 0; i < 63; i++) {
        strcat(args, "a");
    }
    strcat(args, "%C3%A9zzz");

    parse(args, &utm);
    assert_int_equal(utm.len[ICP_UTM_CONTENT], 63);

    /* long values are cut to ICP_VALUE_MAX */
    strcpy(args, "utm_content=");
    for (i = 0; i < 300; i++) {
        strcat(args, "b");
    }

    parse(args, &utm);
    assert_int_equal(utm.len[ICP_UTM_CONTENT], ICP_VALUE_MAX);
}


/* a plain prefix is copied as it is; anything else takes the long way */

static void
test_decode_plain_and_not(void **state)
{
    char    src[80], dst[ICP_VALUE_MAX];
    size_t  n;

    (void) state;

    memset(src, 'a', sizeof(src));

    /* all plain, longer than the room: cut */
    assert_int_equal(icp_query_decode(dst, 64, src, 70), 64);
    assert_int_equal(icp_query_decode(dst, 2, "abc", 3), 2);
    assert_memory_equal(dst, "ab", 2);
    assert_int_equal(icp_query_decode(dst, 64, "", 0), 0);

    /* what needs work past the room does not matter */
    memcpy(src + 64, "%00+", 4);
    assert_int_equal(icp_query_decode(dst, 64, src, 68), 64);

    /* a raw control byte inside: dropped, the next byte moves up */
    src[10] = '\x01';
    n = icp_query_decode(dst, 64, src, 66);
    assert_int_equal(n, 64);
    assert_null(memchr(dst, '\x01', n));
    src[10] = 'a';

    /* the last byte that fits needs decoding */
    memcpy(src + 63, "%41", 3);
    assert_int_equal(icp_query_decode(dst, 64, src, 66), 64);
    assert_int_equal(dst[63], 'A');

    assert_int_equal(icp_query_decode(dst, 64, "a+b", 3), 3);
    assert_memory_equal(dst, "a b", 3);

    /* raw UTF-8 stays, raw invalid bytes become '?' */
    assert_int_equal(icp_query_decode(dst, 64, "\xc3\xa9t\xff", 4), 4);
    assert_memory_equal(dst, "\xc3\xa9t?", 4);
}


static void
test_click_ids(void **state)
{
    icp_utm_t  utm;

    (void) state;

    parse("x=1&gclid=abc&fbclid=def", &utm);
    assert_string_equal(utm.click_id, "gclid");

    parse("li_fat_id=1", &utm);
    assert_string_equal(utm.click_id, "li_fat_id");

    /* an empty click id does not count */
    parse("msclkid=&fbclid=z", &utm);
    assert_string_equal(utm.click_id, "fbclid");
}


static void
test_query_arg(void **state)
{
    char  out[16];
    long  n;

    (void) state;

    n = icp_query_arg("a=1&icp_variant=b%65nefit", 25, "icp_variant", out,
                      sizeof(out));
    assert_int_equal(n, 7);
    assert_memory_equal(out, "benefit", 7);

    n = icp_query_arg("a=1", 3, "icp_variant", out, sizeof(out));
    assert_int_equal(n, -1);
}


static void
test_many_parameters(void **state)
{
    static char  args[10000 * 4 + 32];
    icp_utm_t    utm;
    size_t       i, pos;

    (void) state;

    pos = 0;
    for (i = 0; i < 10000; i++) {
        memcpy(args + pos, "a=1&", 4);
        pos += 4;
    }
    memcpy(args + pos, "utm_source=last", 15);
    pos += 15;

    icp_query_utm(args, pos, &utm);
    assert_utm(&utm, ICP_UTM_SOURCE, "last");
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_plain_fields),
        cmocka_unit_test(test_absent_and_empty),
        cmocka_unit_test(test_percent_and_plus),
        cmocka_unit_test(test_first_wins_and_case),
        cmocka_unit_test(test_control_characters_dropped),
        cmocka_unit_test(test_invalid_utf8_replaced),
        cmocka_unit_test(test_truncated_on_character_boundary),
        cmocka_unit_test(test_decode_plain_and_not),
        cmocka_unit_test(test_click_ids),
        cmocka_unit_test(test_query_arg),
        cmocka_unit_test(test_many_parameters),
    };

    return cmocka_run_group_tests_name("query", tests, NULL, NULL);
}
