/*
 * icp_resp_scan: where replies end in a byte stream, whole or cut at
 * every byte, and what happens to one over a budget and to the replies
 * after it.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "icp_resp.h"


#define EVENTS_MAX  16

/* what one pass over a stream gave: each event and where it happened */
typedef struct {
    icp_resp_rc_t  rc[EVENTS_MAX];
    size_t         at[EVENTS_MAX];
    size_t         n;
} events_t;


static void
scanner(icp_resp_t *f, size_t max_bytes, size_t max_elements)
{
    memset(f, 0, sizeof(icp_resp_t));
    f->max_bytes = max_bytes;
    f->max_elements = max_elements;
}


/* the stream in pieces of step bytes; stops at BAD */

static void
scan_all(icp_resp_t *f, const char *s, size_t len, size_t step, events_t *e)
{
    size_t         pos, piece, used;
    icp_resp_rc_t  rc;

    e->n = 0;
    pos = 0;

    while (pos < len) {
        piece = (len - pos < step) ? len - pos : step;

        while (piece) {
            rc = icp_resp_scan(f, s + pos, piece, &used);
            assert_true(used <= piece);
            pos += used;
            piece -= used;

            if (rc != ICP_RESP_MORE) {
                assert_true(e->n < EVENTS_MAX);
                e->rc[e->n] = rc;
                e->at[e->n++] = pos;
            }

            if (rc == ICP_RESP_BAD) {
                return;
            }

            if (rc == ICP_RESP_MORE) {
                assert_int_equal(piece, 0);
            }
        }
    }
}


static void
expect_events(const char *s, size_t max_bytes, size_t max_elements,
    const icp_resp_rc_t *rc, const size_t *at, size_t n)
{
    size_t      i, step, len;
    events_t    e;
    icp_resp_t  f;

    len = strlen(s);

    /* the same events however the stream is cut */
    for (step = 1; step <= len; step++) {
        scanner(&f, max_bytes, max_elements);
        scan_all(&f, s, len, step, &e);

        assert_int_equal(e.n, n);

        for (i = 0; i < n; i++) {
            assert_int_equal(e.rc[i], rc[i]);
            assert_int_equal(e.at[i], at[i]);
        }
    }
}


static void
test_every_type(void **state)
{
    static const char  s[] = "+OK\r\n" "-ERR no\r\n" ":42\r\n" "$3\r\nabc\r\n"
                             "$-1\r\n" "*-1\r\n" "*0\r\n" "$0\r\n\r\n";
    static const icp_resp_rc_t  rc[] = {
        ICP_RESP_REPLY, ICP_RESP_REPLY, ICP_RESP_REPLY, ICP_RESP_REPLY,
        ICP_RESP_REPLY, ICP_RESP_REPLY, ICP_RESP_REPLY, ICP_RESP_REPLY
    };
    static const size_t  at[] = { 5, 14, 19, 28, 33, 38, 42, 48 };

    (void) state;
    expect_events(s, 1024, 16, rc, at, 8);
}


static void
test_nested_arrays(void **state)
{
    /* an HGETALL reply, then one nested two deep with a nil inside */
    static const char  s[] = "*4\r\n$7\r\ncompany\r\n$4\r\nAcme\r\n"
                             "$7\r\ncountry\r\n$2\r\nUS\r\n"
                             "*3\r\n*2\r\n:1\r\n$-1\r\n*0\r\n+x\r\n"
                             "+PONG\r\n";
    static const icp_resp_rc_t  rc[] = {
        ICP_RESP_REPLY, ICP_RESP_REPLY, ICP_RESP_REPLY
    };
    size_t  at[3];

    (void) state;

    at[0] = strlen("*4\r\n$7\r\ncompany\r\n$4\r\nAcme\r\n"
                   "$7\r\ncountry\r\n$2\r\nUS\r\n");
    at[1] = at[0] + strlen("*3\r\n*2\r\n:1\r\n$-1\r\n*0\r\n+x\r\n");
    at[2] = at[1] + 7;

    expect_events(s, 1024, 16, rc, at, 3);
}


static void
test_text_with_cr(void **state)
{
    /* a CR not followed by LF belongs to the text */
    static const char  s[] = "-ERR a\rb\r\r\n+OK\r\n";
    static const icp_resp_rc_t  rc[] = { ICP_RESP_REPLY, ICP_RESP_REPLY };
    static const size_t  at[] = { 11, 16 };

    (void) state;
    expect_events(s, 1024, 16, rc, at, 2);
}


static void
test_bulk_over_budget_refused_at_header(void **state)
{
    /* 100 MB announced: refused before its body, which is then skipped */
    char                 *s;
    size_t                len, head, body;
    events_t              e;
    icp_resp_t            f;

    (void) state;

    body = 100 * 1024 * 1024;
    head = strlen("*2\r\n$7\r\ncompany\r\n$104857600\r\n");
    len = head + body + 2 + strlen("+OK\r\n");

    s = malloc(len + 1);
    assert_non_null(s);
    strcpy(s, "*2\r\n$7\r\ncompany\r\n$104857600\r\n");
    memset(s + head, 'x', body);
    memcpy(s + head + body, "\r\n+OK\r\n", 8);

    scanner(&f, 65536, 1024);
    scan_all(&f, s, len, 16384, &e);

    assert_int_equal(e.n, 3);
    assert_int_equal(e.rc[0], ICP_RESP_OVER);
    assert_int_equal(e.at[0], head);
    assert_int_equal(e.rc[1], ICP_RESP_SKIPPED);
    assert_int_equal(e.at[1], head + body + 2);
    assert_int_equal(e.rc[2], ICP_RESP_REPLY);
    assert_int_equal(e.at[2], len);

    free(s);
}


static void
test_many_small_fields_over_budget(void **state)
{
    /* bytes, not elements: 64 strings of 8 bytes against 256 */
    char        s[2048], *p;
    size_t      i, len;
    events_t    e;
    icp_resp_t  f;

    (void) state;

    p = s + sprintf(s, "*64\r\n");

    for (i = 0; i < 64; i++) {
        p += sprintf(p, "$8\r\nfield%03zu\r\n", i);
    }

    p += sprintf(p, ":7\r\n");
    len = (size_t) (p - s);

    scanner(&f, 256, 1024);
    scan_all(&f, s, len, 7, &e);

    assert_int_equal(e.n, 3);
    assert_int_equal(e.rc[0], ICP_RESP_OVER);
    assert_true(e.at[0] > 256 && e.at[0] <= 256 + 14);
    assert_int_equal(f.over, 0);
    assert_int_equal(e.rc[1], ICP_RESP_SKIPPED);
    assert_int_equal(e.at[1], len - 4);
    assert_int_equal(e.rc[2], ICP_RESP_REPLY);
}


static void
test_elements_over_budget(void **state)
{
    /* half a million announced: refused at the count */
    static const char  s[] = "*500000\r\n";
    size_t      used;
    icp_resp_t  f;

    (void) state;

    scanner(&f, 1 << 20, 1024);
    assert_int_equal(icp_resp_scan(&f, s, strlen(s), &used), ICP_RESP_OVER);
    assert_int_equal(used, strlen(s));
    assert_int_equal(f.over, ICP_RESP_OVER_ELEMENTS);

    /* nested counts add up */
    scanner(&f, 1 << 20, 4);
    assert_int_equal(icp_resp_scan(&f, "*2\r\n*2\r\n*2\r\n", 12, &used),
                     ICP_RESP_OVER);
    assert_int_equal(used, 12);
}


static void
test_long_error_line_over_budget(void **state)
{
    char        s[600];
    size_t      used, pos;
    icp_resp_t  f;

    (void) state;

    s[0] = '-';
    memset(s + 1, 'E', 500);
    memcpy(s + 501, "\r\n+OK\r\n", 7);

    scanner(&f, 100, 16);
    assert_int_equal(icp_resp_scan(&f, s, 508, &used), ICP_RESP_OVER);
    pos = used;
    assert_int_equal(icp_resp_scan(&f, s + pos, 508 - pos, &used),
                     ICP_RESP_SKIPPED);
    pos += used;
    assert_int_equal(pos, 503);
    assert_int_equal(icp_resp_scan(&f, s + pos, 508 - pos, &used),
                     ICP_RESP_REPLY);
    assert_int_equal(used, 5);
}


static void
test_not_the_protocol(void **state)
{
    static const char  *bad[] = {
        "!oops\r\n", "$-2\r\n", "*-5\r\n", "$\r\n", "$12a\r\n",
        "*1-\r\n", "$--1\r\n", "$3\rx", "$99999999999\r\n", "\r\n",
    };
    size_t      i, used;
    icp_resp_t  f;

    (void) state;

    for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        scanner(&f, 1 << 30, 1 << 20);
        assert_int_equal(icp_resp_scan(&f, bad[i], strlen(bad[i]), &used),
                         ICP_RESP_BAD);
    }
}


static void
test_reset_keeps_budgets(void **state)
{
    size_t      used;
    icp_resp_t  f;

    (void) state;

    scanner(&f, 10, 2);
    assert_int_equal(icp_resp_scan(&f, "*1\r\n$2", 6, &used), ICP_RESP_MORE);
    icp_resp_reset(&f);

    assert_int_equal(f.max_bytes, 10);
    assert_int_equal(f.max_elements, 2);
    assert_int_equal(f.pending, 0);
    assert_int_equal(icp_resp_scan(&f, "+OK\r\n", 5, &used), ICP_RESP_REPLY);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_every_type),
        cmocka_unit_test(test_nested_arrays),
        cmocka_unit_test(test_text_with_cr),
        cmocka_unit_test(test_bulk_over_budget_refused_at_header),
        cmocka_unit_test(test_many_small_fields_over_budget),
        cmocka_unit_test(test_elements_over_budget),
        cmocka_unit_test(test_long_error_line_over_budget),
        cmocka_unit_test(test_not_the_protocol),
        cmocka_unit_test(test_reset_keeps_budgets),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
