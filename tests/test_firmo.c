/*
 * icp_firmo_parse: HGETALL replies built by hand, clean and garbage, and
 * which pairs and which warning come out of them.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "icp_firmo.h"
#include "firmo_wanted.h"


#define MAXEL  128

/* a reply tree on the stack: one array of string elements */
typedef struct {
    redisReply    top;
    redisReply    el[MAXEL];
    redisReply   *ptr[MAXEL];
} reply_t;


static const icp_firmo_str_t  wanted[] = {
    { "company", 7 }, { "industry", 8 }, { "employees", 9 },
    { "revenue", 7 }, { "country", 7 },
};


static void
reply_init(reply_t *r, size_t n, const char **strs)
{
    size_t  i;

    memset(r, 0, sizeof(*r));
    r->top.type = REDIS_REPLY_ARRAY;
    r->top.elements = n;
    r->top.element = r->ptr;

    for (i = 0; i < n; i++) {
        r->el[i].type = REDIS_REPLY_STRING;
        r->el[i].str = (char *) strs[i];
        r->el[i].len = strlen(strs[i]);
        r->ptr[i] = &r->el[i];
    }
}


static void
assert_pair(const icp_firmo_pair_t *p, const char *name, const char *value)
{
    assert_int_equal(p->name.len, strlen(name));
    assert_memory_equal(p->name.data, name, p->name.len);
    assert_int_equal(p->value.len, strlen(value));
    assert_memory_equal(p->value.data, value, p->value.len);
}


static void
assert_warning(const icp_firmo_warning_t *w, const char *reason,
    const char *field)
{
    assert_non_null(w->reason);
    assert_string_equal(w->reason, reason);

    if (field == NULL) {
        assert_int_equal(w->field.len, 0);
        return;
    }

    assert_int_equal(w->field.len, strlen(field));
    assert_memory_equal(w->field.data, field, w->field.len);
}


static void
test_keeps_wanted_fields_only(void **state)
{
    reply_t              r;
    size_t               n;
    icp_firmo_pair_t     pairs[8];
    icp_firmo_warning_t  w;
    const char          *s[] = {
        "company", "Acme", "website", "acme.io", "employees", "250",
        "industry", "software", "notes", "call back in Q3",
    };

    (void) state;

    reply_init(&r, 10, s);

    assert_int_equal(icp_firmo_parse(&r.top, FIRMO_WANTED(wanted), pairs, 8, &n,
                                     &w),
                     ICP_FIRMO_FOUND);
    assert_int_equal(n, 3);
    assert_pair(&pairs[0], "company", "Acme");
    assert_pair(&pairs[1], "employees", "250");
    assert_pair(&pairs[2], "industry", "software");
    assert_null(w.reason);

    /* names are the wanted ones, which outlive the reply */
    assert_ptr_equal(pairs[0].name.data, wanted[0].data);
    assert_ptr_equal(pairs[1].name.data, wanted[2].data);
    assert_ptr_equal(pairs[2].value.data, s[7]);
}


static void
test_missing_key(void **state)
{
    reply_t              r;
    redisReply           nil;
    size_t               n;
    icp_firmo_pair_t     pairs[4];
    icp_firmo_warning_t  w;

    (void) state;

    /* HGETALL of an absent key is an empty array */
    reply_init(&r, 0, NULL);
    n = 99;
    assert_int_equal(icp_firmo_parse(&r.top, FIRMO_WANTED(wanted), pairs, 4, &n,
                                     &w),
                     ICP_FIRMO_MISSING);
    assert_int_equal(n, 0);
    assert_null(w.reason);

    memset(&nil, 0, sizeof(nil));
    nil.type = REDIS_REPLY_NIL;
    assert_int_equal(icp_firmo_parse(&nil, FIRMO_WANTED(wanted), pairs, 4,
                                     &n, &w),
                     ICP_FIRMO_MISSING);

    /* the connection dropped: hiredis hands the callback no reply */
    assert_int_equal(icp_firmo_parse(NULL, FIRMO_WANTED(wanted), pairs, 4,
                                     &n, &w),
                     ICP_FIRMO_MISSING);
    assert_null(w.reason);
}


static void
test_hash_without_wanted_fields_is_found(void **state)
{
    reply_t              r;
    size_t               n;
    icp_firmo_pair_t     pairs[4];
    icp_firmo_warning_t  w;
    const char          *s[] = { "website", "acme.io" };

    (void) state;

    /* it still exists, so a shorter IP prefix must not win over it */
    reply_init(&r, 2, s);
    assert_int_equal(icp_firmo_parse(&r.top, FIRMO_WANTED(wanted), pairs, 4, &n,
                                     &w),
                     ICP_FIRMO_FOUND);
    assert_int_equal(n, 0);
}


static void
test_wrong_type(void **state)
{
    redisReply           err;
    redisReply           str;
    size_t               n;
    icp_firmo_pair_t     pairs[4];
    icp_firmo_warning_t  w;
    char                 msg[] = "WRONGTYPE Operation against a key holding "
                                 "the wrong kind of value";

    (void) state;

    memset(&err, 0, sizeof(err));
    err.type = REDIS_REPLY_ERROR;
    err.str = msg;
    err.len = strlen(msg);

    assert_int_equal(icp_firmo_parse(&err, FIRMO_WANTED(wanted), pairs, 4,
                                     &n, &w),
                     ICP_FIRMO_INVALID);
    assert_int_equal(n, 0);
    assert_warning(&w, "not a hash", NULL);

    memset(&str, 0, sizeof(str));
    str.type = REDIS_REPLY_STRING;
    str.str = msg;
    str.len = 4;

    assert_int_equal(icp_firmo_parse(&str, FIRMO_WANTED(wanted), pairs, 4,
                                     &n, &w),
                     ICP_FIRMO_INVALID);
    assert_warning(&w, "malformed reply", NULL);
}


static void
test_value_cap(void **state)
{
    reply_t              r;
    size_t               n;
    char                 at[ICP_FIRMO_VALUE_MAX + 1];
    char                 over[ICP_FIRMO_VALUE_MAX + 2];
    icp_firmo_pair_t     pairs[4];
    icp_firmo_warning_t  w;
    const char          *s[] = {
        "company", at, "industry", over, "country", "US"
    };

    (void) state;

    memset(at, 'a', ICP_FIRMO_VALUE_MAX);
    at[ICP_FIRMO_VALUE_MAX] = '\0';
    memset(over, 'b', ICP_FIRMO_VALUE_MAX + 1);
    over[ICP_FIRMO_VALUE_MAX + 1] = '\0';

    reply_init(&r, 6, s);
    assert_int_equal(icp_firmo_parse(&r.top, FIRMO_WANTED(wanted), pairs, 4, &n,
                                     &w),
                     ICP_FIRMO_FOUND);
    assert_int_equal(n, 2);
    assert_pair(&pairs[0], "company", at);
    assert_pair(&pairs[1], "country", "US");
    assert_warning(&w, "value longer than the cap, dropped", "industry");
}


static void
test_numbers(void **state)
{
    reply_t              r;
    size_t               n;
    icp_firmo_pair_t     pairs[4];
    icp_firmo_warning_t  w;
    const char          *s[] = {
        "employees", "lots", "revenue", "12.5M", "company", "250 people"
    };
    const char          *t[] = { "employees", "1000", "revenue", "" };

    (void) state;

    /* only employees and revenue must be numbers; the first bad one warns */
    reply_init(&r, 6, s);
    assert_int_equal(icp_firmo_parse(&r.top, FIRMO_WANTED(wanted), pairs, 4, &n,
                                     &w),
                     ICP_FIRMO_FOUND);
    assert_int_equal(n, 2);
    assert_pair(&pairs[0], "revenue", "12.5M");
    assert_pair(&pairs[1], "company", "250 people");
    assert_warning(&w, "not a number, dropped", "employees");

    reply_init(&r, 4, t);
    icp_firmo_parse(&r.top, FIRMO_WANTED(wanted), pairs, 4, &n, &w);
    assert_int_equal(n, 1);
    assert_pair(&pairs[0], "employees", "1000");
    assert_warning(&w, "not a number, dropped", "revenue");
}


static void
test_field_count_cap(void **state)
{
    reply_t              r;
    size_t               n;
    icp_firmo_pair_t     pairs[3];
    icp_firmo_warning_t  w;
    const char          *s[] = {
        "company", "Acme", "industry", "software", "employees", "250",
        "revenue", "10M", "country", "US"
    };

    (void) state;

    reply_init(&r, 10, s);
    assert_int_equal(icp_firmo_parse(&r.top, FIRMO_WANTED(wanted), pairs, 3, &n,
                                     &w),
                     ICP_FIRMO_FOUND);
    assert_int_equal(n, 3);
    assert_pair(&pairs[2], "employees", "250");
    assert_warning(&w, "too many fields, dropped", "revenue");
}


static void
test_hard_cap(void **state)
{
    reply_t              r;
    size_t               i, n;
    char                 names[ICP_FIRMO_FIELDS_MAX + 8][8];
    uint32_t             slots[128];
    icp_firmo_str_t      all[ICP_FIRMO_FIELDS_MAX + 8];
    icp_firmo_pair_t     pairs[ICP_FIRMO_FIELDS_MAX + 8];
    icp_firmo_wanted_t   set;
    icp_firmo_warning_t  w;
    const char          *s[2 * (ICP_FIRMO_FIELDS_MAX + 8)];

    (void) state;

    /* a caller asking for more than the cap still gets the cap */
    for (i = 0; i < ICP_FIRMO_FIELDS_MAX + 8; i++) {
        snprintf(names[i], sizeof(names[i]), "f%zu", i);
        all[i].data = names[i];
        all[i].len = strlen(names[i]);
        s[2 * i] = names[i];
        s[2 * i + 1] = "v";
    }

    assert_true(icp_firmo_wanted_slots(ICP_FIRMO_FIELDS_MAX + 8) <= 128);
    icp_firmo_wanted_init(&set, all, ICP_FIRMO_FIELDS_MAX + 8, slots);

    reply_init(&r, 2 * (ICP_FIRMO_FIELDS_MAX + 8), s);
    icp_firmo_parse(&r.top, &set, pairs, ICP_FIRMO_FIELDS_MAX + 8, &n, &w);
    assert_int_equal(n, ICP_FIRMO_FIELDS_MAX);
    assert_warning(&w, "too many fields, dropped", names[ICP_FIRMO_FIELDS_MAX]);
}


static void
test_malformed_elements(void **state)
{
    reply_t              r;
    size_t               n;
    icp_firmo_pair_t     pairs[4];
    icp_firmo_warning_t  w;
    const char          *s[] = {
        "company", "Acme", "industry", "x", "country", "US"
    };

    (void) state;

    /* a nested array where a value should be: that pair goes */
    reply_init(&r, 6, s);
    r.el[3].type = REDIS_REPLY_ARRAY;
    r.el[3].str = NULL;
    r.el[3].len = 0;

    assert_int_equal(icp_firmo_parse(&r.top, FIRMO_WANTED(wanted), pairs, 4, &n,
                                     &w),
                     ICP_FIRMO_FOUND);
    assert_int_equal(n, 2);
    assert_pair(&pairs[0], "company", "Acme");
    assert_pair(&pairs[1], "country", "US");
    assert_warning(&w, "malformed reply", NULL);

    /* an odd number of elements is not a hash */
    reply_init(&r, 5, s);
    assert_int_equal(icp_firmo_parse(&r.top, FIRMO_WANTED(wanted), pairs, 4, &n,
                                     &w),
                     ICP_FIRMO_INVALID);
    assert_int_equal(n, 0);
}


/*
 * Names the lookup may mistake for each other: same length, first and
 * last byte (company, country), one a prefix of another, the empty name,
 * a name given twice; and fields that are none of them.
 */
static void
test_wanted_lookup(void **state)
{
    reply_t              r;
    size_t               n;
    uint32_t             slots[16];
    icp_firmo_pair_t     pairs[16];
    icp_firmo_wanted_t   set;
    icp_firmo_warning_t  w;
    const char          *s[] = {
        "country", "1", "countr", "2", "company", "3", "", "4",
        "companx", "5", "revenue", "6", "employees", "7", "x", "8",
        "comp", "9",
    };

    static const icp_firmo_str_t  names[] = {
        { "company", 7 }, { "country", 7 }, { "comp", 4 }, { "", 0 },
        { "company", 7 }, { "revenue", 7 },
    };

    (void) state;

    assert_int_equal(icp_firmo_wanted_slots(0), 1);
    assert_int_equal(icp_firmo_wanted_slots(6), 16);
    icp_firmo_wanted_init(&set, names, 6, slots);

    reply_init(&r, 18, s);
    assert_int_equal(icp_firmo_parse(&r.top, &set, pairs, 16, &n, &w),
                     ICP_FIRMO_FOUND);
    assert_int_equal(n, 5);
    assert_pair(&pairs[0], "country", "1");
    assert_pair(&pairs[1], "company", "3");
    assert_pair(&pairs[2], "", "4");
    assert_pair(&pairs[3], "revenue", "6");
    assert_pair(&pairs[4], "comp", "9");
    assert_null(w.reason);

    /* no name wanted at all */
    icp_firmo_wanted_init(&set, names, 0, slots);
    assert_int_equal(icp_firmo_parse(&r.top, &set, pairs, 16, &n, &w),
                     ICP_FIRMO_FOUND);
    assert_int_equal(n, 0);
}


/*
 * Values of every length up to 40 with one bad byte at each place are
 * dropped, with any other byte there kept: eight bytes are checked at a
 * time, the last eight overlapping.
 */
static void
test_control_character_anywhere(void **state)
{
    reply_t              r;
    size_t               i, len, pos, n;
    char                 value[41];
    icp_firmo_pair_t     pairs[4];
    icp_firmo_warning_t  w;
    const char          *s[] = { "company", value };

    static const unsigned char  bad[] = { 0x00, 0x01, '\r', '\n', 0x1f, 0x7f };
    static const unsigned char  good[] = {
        ' ', '~', 0x80, 0x9f, 0xa0, 0xfe, 0xff
    };

    (void) state;

    for (len = 1; len <= 40; len++) {
        for (pos = 0; pos < len; pos++) {
            memset(value, 'a', len);
            value[len] = '\0';

            for (i = 0; i < sizeof(good); i++) {
                value[pos] = (char) good[i];
                reply_init(&r, 2, s);
                icp_firmo_parse(&r.top, FIRMO_WANTED(wanted), pairs, 4, &n, &w);
                assert_int_equal(n, 1);
                assert_null(w.reason);
            }

            for (i = 0; i < sizeof(bad); i++) {
                value[pos] = (char) bad[i];
                reply_init(&r, 2, s);
                r.el[1].len = len;
                icp_firmo_parse(&r.top, FIRMO_WANTED(wanted), pairs, 4, &n, &w);
                assert_int_equal(n, 0);
                assert_warning(&w, "control character, dropped", "company");
            }
        }
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_keeps_wanted_fields_only),
        cmocka_unit_test(test_missing_key),
        cmocka_unit_test(test_hash_without_wanted_fields_is_found),
        cmocka_unit_test(test_wrong_type),
        cmocka_unit_test(test_value_cap),
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_field_count_cap),
        cmocka_unit_test(test_hard_cap),
        cmocka_unit_test(test_malformed_elements),
        cmocka_unit_test(test_wanted_lookup),
        cmocka_unit_test(test_control_character_anywhere),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
