/*
 * Unit tests of icp-load's rows (tools/load/row.c): which keys a row
 * writes, with which fields, and which rows are refused.  Commands go
 * through the --dry-run writer into memory and are compared as text.
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
#include "load/row.h"


typedef struct {
    char            *out;
    size_t           outlen;
    FILE            *mem;
    load_writer_t   *w;
    load_schema_t    schema;
    load_rows_t      rows;
} loader_t;


static void
loader_open(loader_t *l, const char *header, const char *prefix,
    const char *ttl)
{
    char          err[256];
    FILE         *fp;
    size_t        n;
    csv_t        *csv;
    csv_field_t  *fields;

    memset(l, 0, sizeof(loader_t));

    fp = fmemopen((void *) header, strlen(header), "r");
    assert_non_null(fp);
    csv = csv_open(fp);
    assert_non_null(csv);
    assert_int_equal(csv_next(csv, &fields, &n), CSV_ROW);
    assert_int_equal(load_schema_init(&l->schema, fields, n, NULL, NULL,
                                      err, sizeof(err)), 0);
    csv_close(csv);
    fclose(fp);

    l->mem = open_memstream(&l->out, &l->outlen);
    assert_non_null(l->mem);
    l->w = load_writer_print(l->mem);
    assert_non_null(l->w);

    assert_int_equal(load_rows_init(&l->rows, &l->schema, l->w, prefix, ttl),
                     0);
}


static void
loader_close(loader_t *l)
{
    load_rows_free(&l->rows);
    load_writer_free(l->w);
    load_schema_free(&l->schema);
    fclose(l->mem);
    free(l->out);
}


/* Loads one data line; out gets the commands it printed. */
static load_row_rc_t
load_line(loader_t *l, const char *line, const char **out)
{
    FILE           *fp;
    size_t          n;
    csv_t          *csv;
    csv_field_t    *fields;
    load_row_rc_t   rc;

    fp = fmemopen((void *) line, strlen(line), "r");
    assert_non_null(fp);
    csv = csv_open(fp);
    assert_non_null(csv);
    assert_int_equal(csv_next(csv, &fields, &n), CSV_ROW);

    rewind(l->mem);
    rc = load_row(&l->rows, 2, fields, n);
    assert_int_equal(fflush(l->mem), 0);

    csv_close(csv);
    fclose(fp);

    /* rewind() does not shorten what the stream wrote before */
    l->out[ftell(l->mem)] = '\0';
    *out = l->out;

    return rc;
}


#define HEADER  "ip,cidr,domain,contact_id,company,employees,title,tech"


static void
test_ip_and_domain(void **state)
{
    loader_t     l;
    const char  *out;

    (void) state;

    loader_open(&l, HEADER, "icp:", NULL);

    assert_int_equal(load_line(&l, " 2001:DB8::0:1 ,,WWW.Acme.io,,"
                               "\"Acme \"\"Labs\"\"\",\"1,200\",,a;b", &out),
                     LOAD_ROW_OK);
    /* the domain is a field too; empty cells and key columns are not */
    assert_string_equal(out,
        "HSET icp:ip:2001:db8::1 domain acme.io company \"Acme \\\"Labs\\\"\""
        " employees 1200 tech a,b\n"
        "HSET icp:domain:acme.io domain acme.io company \"Acme \\\"Labs\\\"\""
        " employees 1200 tech a,b\n");

    assert_int_equal(l.rows.keys[LOAD_KEY_IP], 1);
    assert_int_equal(l.rows.keys[LOAD_KEY_DOMAIN], 1);
    assert_int_equal(l.rows.keys[LOAD_KEY_NET], 0);

    loader_close(&l);
}


static void
test_cidr_prefix_ttl(void **state)
{
    loader_t     l;
    const char  *out;

    (void) state;

    loader_open(&l, HEADER, "crm:", "3600");

    assert_int_equal(load_line(&l, ",10.1.2.0/23,,,Globex,,,", &out),
                     LOAD_ROW_OK);
    assert_string_equal(out,
        "HSET crm:net:10.1.2.0/24 company Globex\n"
        "EXPIRE crm:net:10.1.2.0/24 3600\n"
        "HSET crm:net:10.1.3.0/24 company Globex\n"
        "EXPIRE crm:net:10.1.3.0/24 3600\n");
    assert_int_equal(l.rows.keys[LOAD_KEY_NET], 2);

    loader_close(&l);
}


static void
test_contact(void **state)
{
    loader_t     l;
    const char  *out;

    (void) state;

    loader_open(&l, HEADER, "icp:", NULL);

    /* the domain of a contact leads to its company: no domain key */
    assert_int_equal(load_line(&l, ",,acme.io,c-42,,,VP Marketing,", &out),
                     LOAD_ROW_OK);
    assert_string_equal(out,
        "HSET icp:contact:c-42 domain acme.io title \"VP Marketing\"\n");
    assert_int_equal(l.rows.keys[LOAD_KEY_CONTACT], 1);
    assert_int_equal(l.rows.keys[LOAD_KEY_DOMAIN], 0);

    assert_int_equal(load_line(&l, "192.0.2.1,,,c-43,,,CTO,", &out),
                     LOAD_ROW_BAD);
    assert_string_equal(out, "");
    assert_non_null(strstr(l.rows.error, "contact_id"));

    loader_close(&l);
}


static void
test_bad_rows(void **state)
{
    loader_t     l;
    const char  *out;

    (void) state;

    loader_open(&l, HEADER, "icp:", NULL);

    assert_int_equal(load_line(&l, "192.0.2.1,Acme", &out), LOAD_ROW_BAD);
    assert_string_equal(l.rows.error, "2 fields, the header has 8");

    assert_int_equal(load_line(&l, "192.0.2.300,,,,Acme,,,", &out),
                     LOAD_ROW_BAD);
    assert_non_null(strstr(l.rows.error, "ip \"192.0.2.300\""));

    /* a valid ip does not get written when the cidr of its row is bad */
    assert_int_equal(load_line(&l, "192.0.2.1,10.0.0.0/25,,,Acme,,,", &out),
                     LOAD_ROW_BAD);
    assert_string_equal(out, "");
    assert_non_null(strstr(l.rows.error, "cidr \"10.0.0.0/25\""));

    assert_int_equal(load_line(&l, ",,acme io,,Acme,,,", &out),
                     LOAD_ROW_BAD);
    assert_non_null(strstr(l.rows.error, "domain \"acme io\""));

    assert_int_equal(load_line(&l, " , ,,,Acme,250,,", &out), LOAD_ROW_BAD);
    assert_non_null(strstr(l.rows.error, "no key"));

    assert_int_equal(load_line(&l, "192.0.2.1,,,,,,,", &out), LOAD_ROW_BAD);
    assert_non_null(strstr(l.rows.error, "no field"));

    assert_int_equal(load_line(&l, "\n", &out), LOAD_ROW_BLANK);
    assert_string_equal(out, "");

    assert_int_equal(l.rows.keys[LOAD_KEY_IP], 0);

    loader_close(&l);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_ip_and_domain),
        cmocka_unit_test(test_cidr_prefix_ttl),
        cmocka_unit_test(test_contact),
        cmocka_unit_test(test_bad_rows),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
