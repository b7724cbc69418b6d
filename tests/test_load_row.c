/*
 * Unit tests of icp-load's rows (tools/load/row.c): which keys a row
 * writes, with which fields (the industry, numbers and provenance made
 * from its cells), and which rows are refused.  Commands go
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


static load_vocab_t  vocab;


typedef struct {
    char            *out;
    size_t           outlen;
    FILE            *mem;
    char            *warned;        /* the warnings so far */
    size_t           warnlen;
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
    load_conf_t   conf;
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

    conf.prefix = prefix;
    conf.ttl = ttl;
    conf.source = "crm";
    conf.as_of = "2026-11-20";
    conf.file = "t.csv";
    conf.warn = open_memstream(&l->warned, &l->warnlen);
    conf.vocab = &vocab;
    assert_non_null(conf.warn);

    assert_int_equal(load_rows_init(&l->rows, &l->schema, l->w, &conf), 0);
}


static void
loader_close(loader_t *l)
{
    load_rows_free(&l->rows);
    load_writer_free(l->w);
    load_schema_free(&l->schema);
    fclose(l->mem);
    fclose(l->rows.conf.warn);
    free(l->out);
    free(l->warned);
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
    assert_int_equal(fflush(l->rows.conf.warn), 0);

    csv_close(csv);
    fclose(fp);

    /* rewind() does not shorten what the stream wrote before */
    l->out[ftell(l->mem)] = '\0';
    *out = l->out;

    return rc;
}


#define HEADER  "ip,cidr,domain,contact_id,company,employees,title,tech"

/* what every record written by loader_open()'s rows ends with */
#define PROV    " source crm as_of 2026-11-20"


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
        " employees 1200 tech a,b" PROV "\n"
        "HSET icp:domain:acme.io domain acme.io company \"Acme \\\"Labs\\\"\""
        " employees 1200 tech a,b" PROV "\n");

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
        "HSET crm:net:10.1.2.0/24 company Globex" PROV "\n"
        "EXPIRE crm:net:10.1.2.0/24 3600\n"
        "HSET crm:net:10.1.3.0/24 company Globex" PROV "\n"
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
        "HSET icp:contact:c-42 domain acme.io title \"VP Marketing\"" PROV
        "\n");
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


#define FIRMO  "domain,industry,sic,naics,employees,revenue,confidence," \
               "source,as_of"


static void
test_industry(void **state)
{
    loader_t     l;
    const char  *out;

    (void) state;

    loader_open(&l, FIRMO, "icp:", NULL);

    /* a HubSpot label: the key, and the label as written */
    assert_int_equal(load_line(&l, "a.example,Computer Software,,,,,,,",
                               &out), LOAD_ROW_OK);
    assert_string_equal(out, "HSET icp:domain:a.example domain a.example "
        "industry software industry_raw \"Computer Software\"" PROV "\n");

    /* Salesforce's Technology with SIC 7372: the code wins */
    assert_int_equal(load_line(&l, "b.example,Technology,7372,,,,,,", &out),
                     LOAD_ROW_OK);
    assert_string_equal(out, "HSET icp:domain:b.example domain b.example "
        "sic 7372 industry software industry_raw Technology" PROV "\n");

    /* SIC over NAICS; a SIC code that lost its leading 0 gets it back */
    assert_int_equal(load_line(&l, "c.example,,742,541511,,,,,", &out),
                     LOAD_ROW_OK);
    assert_string_equal(out, "HSET icp:domain:c.example domain c.example "
        "sic 0742 naics 541511 industry agriculture" PROV "\n");

    /* a NAICS code alone; a key written as its own label, any case */
    assert_int_equal(load_line(&l, "d.example,SOFTWARE,,541613,,,,,", &out),
                     LOAD_ROW_OK);
    assert_string_equal(out, "HSET icp:domain:d.example domain d.example "
        "naics 541613 industry marketing industry_raw SOFTWARE" PROV "\n");

    assert_int_equal(load_line(&l, "e.example,software,,,,,,,", &out),
                     LOAD_ROW_OK);
    assert_string_equal(out, "HSET icp:domain:e.example domain e.example "
        "industry software" PROV "\n");

    /* a bad code is left out: the label decides */
    assert_int_equal(load_line(&l, "f.example,Banking,73x2,,,,,,", &out),
                     LOAD_ROW_OK);
    assert_string_equal(out, "HSET icp:domain:f.example domain f.example "
        "industry financial_services industry_raw Banking" PROV "\n");
    assert_int_equal(l.rows.dropped, 1);

    /* unmapped: kept as written, counted */
    assert_int_equal(load_line(&l, "g.example,Widgetry,9999,,,,,,", &out),
                     LOAD_ROW_OK);
    assert_string_equal(out, "HSET icp:domain:g.example domain g.example "
        "sic 9999 industry Widgetry" PROV "\n");
    assert_int_equal(load_line(&l, "h.example,Widgetry,,,,,,,", &out),
                     LOAD_ROW_OK);
    assert_int_equal(load_line(&l, "i.example, Gizmos ,,,,,,,", &out),
                     LOAD_ROW_OK);

    /* a bad row counts no label */
    assert_int_equal(load_line(&l, "j example,Gizmos,,,,,,,", &out),
                     LOAD_ROW_BAD);

    assert_int_equal(l.rows.unmapped, 3);
    assert_int_equal(l.rows.nlabels, 2);
    assert_string_equal(l.rows.labels[0].label, "Widgetry");
    assert_int_equal(l.rows.labels[0].rows, 2);
    assert_string_equal(l.rows.labels[1].label, "Gizmos");
    assert_int_equal(l.rows.labels[1].rows, 1);

    loader_close(&l);
}


static void
test_amounts(void **state)
{
    loader_t     l;
    const char  *out;

    (void) state;

    loader_open(&l, FIRMO, "icp:", NULL);

    assert_int_equal(load_line(&l, "a.example,,,,\"18,000\","
                               "\"USD 9,700,000,000.00\",0.87,,", &out),
                     LOAD_ROW_OK);
    assert_string_equal(out, "HSET icp:domain:a.example domain a.example "
        "employees 18000 revenue 9700000000 confidence 87" PROV "\n");

    /* a range: its lower bound, and the range as written */
    assert_int_equal(load_line(&l, "b.example,,,,51-200,$11.4M,87%,,", &out),
                     LOAD_ROW_OK);
    assert_string_equal(out, "HSET icp:domain:b.example domain b.example "
        "employees 51 employees_range 51-200 revenue 11400000 "
        "confidence 87" PROV "\n");

    /* hostile cells are left out, the row is written */
    assert_int_equal(load_line(&l, "c.example,,,,-5,99999999999999999999,"
                               "250,,", &out), LOAD_ROW_OK);
    assert_string_equal(out, "HSET icp:domain:c.example domain c.example"
                        PROV "\n");
    assert_int_equal(l.rows.dropped, 3);
    assert_string_equal(l.warned,
        "t.csv:2: employees \"-5\": negative, not written\n"
        "t.csv:2: revenue \"99999999999999999999\": too large, not written\n"
        "t.csv:2: confidence \"250\": not a confidence (0 to 100, or a "
        "fraction 0.0 to 1.0), not written\n");

    /* Arabic-Indic digits are not read as digits */
    assert_int_equal(load_line(&l, "d.example,,,,\xd9\xa3\xd9\xa2,,,,",
                               &out), LOAD_ROW_OK);
    assert_string_equal(out, "HSET icp:domain:d.example domain d.example"
                        PROV "\n");
    assert_int_equal(l.rows.dropped, 4);

    loader_close(&l);
}


static void
test_provenance(void **state)
{
    loader_t     l;
    const char  *out;

    (void) state;

    loader_open(&l, FIRMO, "icp:", NULL);

    /* a row's own source and as_of win; a bad date falls back */
    assert_int_equal(load_line(&l, "a.example,,,,10,,,clearbit,11/18/2026",
                               &out), LOAD_ROW_OK);
    assert_string_equal(out, "HSET icp:domain:a.example domain a.example "
        "employees 10 source clearbit as_of 2026-11-18\n");

    assert_int_equal(load_line(&l, "b.example,,,,10,,,,2026-02-30", &out),
                     LOAD_ROW_OK);
    assert_string_equal(out, "HSET icp:domain:b.example domain b.example "
        "employees 10" PROV "\n");

    loader_close(&l);
}


#define NA_WARNING  "t.csv:2: employees \"n/a\": not a number, not written\n"


static void
test_report(void **state)
{
    int          i;
    char        *text, row[64];
    FILE        *fp;
    size_t       len;
    loader_t     l;
    const char  *out;

    (void) state;

    loader_open(&l, FIRMO, "icp:", NULL);

    fp = open_memstream(&text, &len);
    assert_non_null(fp);

    /* nothing to say about a clean load */
    assert_int_equal(load_line(&l, "a.example,Retail,,,,,,,", &out),
                     LOAD_ROW_OK);
    load_rows_report(&l.rows, fp);
    assert_int_equal(fflush(fp), 0);
    assert_int_equal(len, 0);

    for (i = 0; i < LOAD_UNMAPPED_MAX + 2; i++) {
        snprintf(row, sizeof(row), "x%d.example,Label %d,,,n/a,,,,", i, i);
        assert_int_equal(load_line(&l, row, &out), LOAD_ROW_OK);
    }

    load_rows_report(&l.rows, fp);
    assert_int_equal(fclose(fp), 0);

    assert_non_null(strstr(text, "icp-load: t.csv: 22 rows with an industry "
                           "label not in the vocabulary, kept as written: "
                           "\"Label 0\" 1, \"Label 1\" 1,"));
    assert_non_null(strstr(text, "\"Label 19\" 1, 2 more\n"));
    assert_non_null(strstr(text, "icp-load: t.csv: 22 cells not written, "
                           "the first 10 above\n"));
    free(text);

    /* only the first few are said one by one */
    assert_int_equal(strlen(l.warned),
                     LOAD_WARN_MAX * strlen(NA_WARNING));
    assert_memory_equal(l.warned, NA_WARNING, strlen(NA_WARNING));

    loader_close(&l);
}


static int
vocab_setup(void **state)
{
    char  err[256];

    (void) state;

    return load_vocab_init(&vocab, err, sizeof(err));
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
        cmocka_unit_test(test_ip_and_domain),
        cmocka_unit_test(test_cidr_prefix_ttl),
        cmocka_unit_test(test_contact),
        cmocka_unit_test(test_bad_rows),
        cmocka_unit_test(test_industry),
        cmocka_unit_test(test_amounts),
        cmocka_unit_test(test_provenance),
        cmocka_unit_test(test_report),
    };

    return cmocka_run_group_tests(tests, vocab_setup, vocab_teardown);
}
