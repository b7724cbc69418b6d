/*
 * Unit tests of the icp-load CSV reader (tools/load/csv.c): RFC 4180
 * quoting, line ends, line numbers, malformed rows and input larger than
 * the reader's block.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "load/csv.h"


typedef struct {
    FILE   *fp;
    csv_t  *csv;
} reader_t;


static void
reader_open(reader_t *r, const char *text, size_t len)
{
    r->fp = fmemopen((void *) text, len, "r");
    assert_non_null(r->fp);

    r->csv = csv_open(r->fp);
    assert_non_null(r->csv);
}


static void
reader_close(reader_t *r)
{
    csv_close(r->csv);
    fclose(r->fp);
}


/* Reads one row and checks its fields and the line it started on. */
static void
expect_row(reader_t *r, csv_rc_t rc, unsigned long line, size_t n, ...)
{
    size_t        i, got;
    va_list       args;
    const char   *want;
    csv_field_t  *fields;

    assert_int_equal(csv_next(r->csv, &fields, &got), rc);
    assert_int_equal(csv_line(r->csv), line);
    assert_int_equal(got, n);

    va_start(args, n);

    for (i = 0; i < n; i++) {
        want = va_arg(args, const char *);
        assert_int_equal(fields[i].len, strlen(want));
        assert_memory_equal(fields[i].data, want, fields[i].len + 1);
    }

    va_end(args);
}


static void
expect_eof(reader_t *r)
{
    size_t        n;
    csv_field_t  *fields;

    assert_int_equal(csv_next(r->csv, &fields, &n), CSV_EOF);
}


#define OPEN(r, s)  reader_open(r, s, sizeof(s) - 1)


static void
test_plain_rows(void **state)
{
    reader_t  r;

    (void) state;

    OPEN(&r, "ip,company\n192.0.2.1,Acme\n192.0.2.2,Globex");

    expect_row(&r, CSV_ROW, 1, 2, "ip", "company");
    expect_row(&r, CSV_ROW, 2, 2, "192.0.2.1", "Acme");
    expect_row(&r, CSV_ROW, 3, 2, "192.0.2.2", "Globex");
    expect_eof(&r);

    reader_close(&r);
}


static void
test_quotes(void **state)
{
    reader_t  r;

    (void) state;

    OPEN(&r, "\"Acme, Inc.\",\"say \"\"hi\"\"\",\"\",\"\"\"\"\n"
             "plain\"quote,x\n");

    expect_row(&r, CSV_ROW, 1, 4, "Acme, Inc.", "say \"hi\"", "", "\"");
    /* a quote inside an unquoted field is data */
    expect_row(&r, CSV_ROW, 2, 2, "plain\"quote", "x");
    expect_eof(&r);

    reader_close(&r);
}


static void
test_crlf_and_cr(void **state)
{
    reader_t  r;

    (void) state;

    OPEN(&r, "a,b\r\nc,\"d\"\r\ne,f\rg,h\r\n");

    expect_row(&r, CSV_ROW, 1, 2, "a", "b");
    expect_row(&r, CSV_ROW, 2, 2, "c", "d");
    expect_row(&r, CSV_ROW, 3, 2, "e", "f");
    expect_row(&r, CSV_ROW, 4, 2, "g", "h");
    expect_eof(&r);

    reader_close(&r);
}


static void
test_embedded_newlines(void **state)
{
    reader_t  r;

    (void) state;

    OPEN(&r, "id,note\n1,\"two\nlines\"\n2,\"crlf\r\ninside\r\n\"\n3,x\n");

    expect_row(&r, CSV_ROW, 1, 2, "id", "note");
    expect_row(&r, CSV_ROW, 2, 2, "1", "two\nlines");
    expect_row(&r, CSV_ROW, 4, 2, "2", "crlf\r\ninside\r\n");
    /* the row after spans the lines inside the quotes */
    expect_row(&r, CSV_ROW, 7, 2, "3", "x");
    expect_eof(&r);

    reader_close(&r);
}


static void
test_empty_fields(void **state)
{
    reader_t  r;

    (void) state;

    OPEN(&r, "a,,c\n,\n\nlast,\n");

    expect_row(&r, CSV_ROW, 1, 3, "a", "", "c");
    expect_row(&r, CSV_ROW, 2, 2, "", "");
    expect_row(&r, CSV_ROW, 3, 1, "");
    expect_row(&r, CSV_ROW, 4, 2, "last", "");
    expect_eof(&r);

    reader_close(&r);
}


static void
test_bom(void **state)
{
    reader_t  r;

    (void) state;

    OPEN(&r, "\xef\xbb\xbf" "ip,domain\n\xef\xbb\xbf,x\n");

    expect_row(&r, CSV_ROW, 1, 2, "ip", "domain");
    /* only the first bytes of the input are a byte order mark */
    expect_row(&r, CSV_ROW, 2, 2, "\xef\xbb\xbf", "x");
    expect_eof(&r);

    reader_close(&r);
}


static void
test_ragged_rows(void **state)
{
    reader_t  r;

    (void) state;

    OPEN(&r, "a,b,c\n1,2\n1,2,3,4\n");

    expect_row(&r, CSV_ROW, 1, 3, "a", "b", "c");
    expect_row(&r, CSV_ROW, 2, 2, "1", "2");
    expect_row(&r, CSV_ROW, 3, 4, "1", "2", "3", "4");
    expect_eof(&r);

    reader_close(&r);
}


static void
test_after_closing_quote(void **state)
{
    reader_t  r;

    (void) state;

    OPEN(&r, "\"ab\"c,d\nnext,row\n");

    expect_row(&r, CSV_BAD, 1, 2, "abc", "d");
    assert_non_null(strstr(csv_error(r.csv), "closing quote"));
    /* the reader resynchronises at the end of the bad row */
    expect_row(&r, CSV_ROW, 2, 2, "next", "row");
    expect_eof(&r);

    reader_close(&r);
}


static void
test_unterminated_quote(void **state)
{
    size_t        n;
    reader_t      r;
    csv_field_t  *fields;

    (void) state;

    OPEN(&r, "a,b\n1,\"open\n2,x\n");

    expect_row(&r, CSV_ROW, 1, 2, "a", "b");
    assert_int_equal(csv_next(r.csv, &fields, &n), CSV_BAD);
    assert_int_equal(csv_line(r.csv), 2);
    assert_non_null(strstr(csv_error(r.csv), "not closed"));
    expect_eof(&r);

    reader_close(&r);
}


/*
 * Fields longer than the reader's input block, with a "" escape and a
 * closing quote split across block boundaries.
 */
static void
test_large_fields(void **state)
{
    char      *text, *want;
    size_t     big, i, len;
    reader_t   r;

    (void) state;

    big = 700 * 1024;
    text = malloc(2 * big + 64);
    want = malloc(big + 1);
    assert_non_null(text);
    assert_non_null(want);

    len = 0;
    text[len++] = '"';

    for (i = 0; i < big; i++) {
        want[i] = (i % 1000 == 999) ? '"' : 'a' + i % 26;

        if (want[i] == '"') {
            text[len++] = '"';
        }
        text[len++] = want[i];
    }

    want[big] = '\0';
    len += sprintf(text + len, "\",tail\nx,y\n");

    reader_open(&r, text, len);

    expect_row(&r, CSV_ROW, 1, 2, want, "tail");
    expect_row(&r, CSV_ROW, 2, 2, "x", "y");
    expect_eof(&r);

    reader_close(&r);

    /* the same content unquoted: no escapes, one run across blocks */
    for (i = 0; i < big; i++) {
        want[i] = 'a' + i % 26;
    }

    memcpy(text, want, big);
    len = big + sprintf(text + big, ",end");

    reader_open(&r, text, len);

    expect_row(&r, CSV_ROW, 1, 2, want, "end");
    expect_eof(&r);

    reader_close(&r);

    free(text);
    free(want);
}


static void
test_empty_input(void **state)
{
    reader_t  r;

    (void) state;

    OPEN(&r, "\xef\xbb\xbf");

    expect_eof(&r);

    reader_close(&r);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_plain_rows),
        cmocka_unit_test(test_quotes),
        cmocka_unit_test(test_crlf_and_cr),
        cmocka_unit_test(test_embedded_newlines),
        cmocka_unit_test(test_empty_fields),
        cmocka_unit_test(test_bom),
        cmocka_unit_test(test_ragged_rows),
        cmocka_unit_test(test_after_closing_quote),
        cmocka_unit_test(test_unterminated_quote),
        cmocka_unit_test(test_large_fields),
        cmocka_unit_test(test_empty_input),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
