/*
 * Unit tests of the icp-load key and column logic: IPv6 normalisation,
 * CIDR expansion, domains (Salesforce websites), presets, the header
 * schema and the cells normalised in place (numbers, industries: see
 * test_load_vocab.c).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "load/key.h"
#include "load/preset.h"
#include "load/schema.h"
#include "load/vocab.h"


static load_vocab_t  vocab;


static void
expect_ip(const char *in, const char *want)
{
    char  out[LOAD_NET_LEN];

    assert_null(load_ip(in, out, sizeof(out)));
    assert_string_equal(out, want);
}


static void
expect_bad_ip(const char *in)
{
    char  out[LOAD_NET_LEN];

    assert_non_null(load_ip(in, out, sizeof(out)));
}


static void
test_ip(void **state)
{
    (void) state;

    expect_ip("192.0.2.1", "192.0.2.1");
    /* RFC 5952: lower case, leading zeros dropped, "::" for the run */
    expect_ip("2001:0DB8:0000:0000:0000:0000:0000:0001", "2001:db8::1");
    /* 4.2.3: the first of two equal runs of zero groups */
    expect_ip("2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1");
    /* 4.2.3: the longest run, wherever it is */
    expect_ip("2001:0:0:1:0:0:0:1", "2001:0:0:1::1");
    /* 4.2.2: a single zero group is not shortened */
    expect_ip("2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1");
    expect_ip("2001:DB8::ABCD", "2001:db8::abcd");
    expect_ip("::", "::");
    expect_ip("::ffff:192.0.2.1", "192.0.2.1");
    expect_ip("::ffff:c000:201", "192.0.2.1");
    expect_ip("64:ff9b::c000:201", "64:ff9b::c000:201");

    expect_bad_ip("192.0.2.256");
    expect_bad_ip("192.0.2");
    expect_bad_ip("acme.io");
    expect_bad_ip("2001:db8::1::2");
    expect_bad_ip("fe80::1%eth0");
    expect_bad_ip("");
}


/* Expands a CIDR and checks the keys against a printf pattern. */
static void
expect_net(const char *cidr, unsigned long count, const char *first,
    const char *last)
{
    char            key[LOAD_NET_LEN], prev[LOAD_NET_LEN];
    load_net_t      net;
    unsigned long   n;

    assert_null(load_net_parse(&net, cidr));

    n = 0;
    prev[0] = '\0';

    while (load_net_next(&net, key, sizeof(key))) {
        if (n == 0) {
            assert_string_equal(key, first);
        }

        assert_string_not_equal(key, prev);
        strcpy(prev, key);
        n++;
    }

    assert_int_equal(n, count);
    assert_string_equal(prev, last);
}


static void
expect_bad_net(const char *cidr, const char *why)
{
    load_net_t   net;
    const char  *err;

    err = load_net_parse(&net, cidr);
    assert_non_null(err);
    assert_non_null(strstr(err, why));
}


static void
test_cidr_v4(void **state)
{
    int          i;
    char         key[LOAD_NET_LEN], want[LOAD_NET_LEN];
    load_net_t   net;

    (void) state;

    /* a /20 is its sixteen /24s, in order */
    assert_null(load_net_parse(&net, "10.1.0.0/20"));

    for (i = 0; i < 16; i++) {
        assert_int_equal(load_net_next(&net, key, sizeof(key)), 1);
        sprintf(want, "10.1.%d.0/24", i);
        assert_string_equal(key, want);
    }

    assert_int_equal(load_net_next(&net, key, sizeof(key)), 0);

    expect_net("192.0.2.0/24", 1, "192.0.2.0/24", "192.0.2.0/24");
    expect_net("10.0.254.0/23", 2, "10.0.254.0/24", "10.0.255.0/24");
    expect_net("10.20.0.0/17", 128, "10.20.0.0/24", "10.20.127.0/24");
    expect_net("172.16.0.0/16", 1, "172.16.0.0/16", "172.16.0.0/16");
    expect_net("172.16.0.0/12", 16, "172.16.0.0/16", "172.31.0.0/16");
    expect_net("10.0.0.0/8", 256, "10.0.0.0/16", "10.255.0.0/16");
    expect_net("0.0.0.0/0", 65536, "0.0.0.0/16", "255.255.0.0/16");

    expect_bad_net("192.0.2.0/25", "longer than /24");
    expect_bad_net("192.0.2.1/32", "longer than /24");
    expect_bad_net("10.1.2.0/16", "host bits");
    expect_bad_net("10.1.0.1/24", "host bits");
    expect_bad_net("10.0.0.0/33", "prefix length");
    expect_bad_net("10.0.0.0/", "prefix length");
    expect_bad_net("10.0.0.0/+8", "prefix length");
    expect_bad_net("10.0.0.0/8x", "prefix length");
    expect_bad_net("10.0.0.0", "no /LENGTH");
    expect_bad_net("10.0.0/8", "not an IPv4 or IPv6");
}


static void
test_cidr_v6(void **state)
{
    (void) state;

    expect_net("2001:db8::/32", 1, "2001:db8::/32", "2001:db8::/32");
    expect_net("2001:db8:1000::/48", 1, "2001:db8:1000::/48",
               "2001:db8:1000::/48");
    expect_net("2001:db8::/44", 16, "2001:db8::/48", "2001:db8:f::/48");
    expect_net("2001:db8:3000:2::/63", 2, "2001:db8:3000:2::/64",
               "2001:db8:3000:3::/64");
    expect_net("2001:db8:3000:1::/64", 1, "2001:db8:3000:1::/64",
               "2001:db8:3000:1::/64");
    expect_net("2001:db8:ab00::/40", 256, "2001:db8:ab00::/48",
               "2001:db8:abff::/48");
    /* /16 is as wide as a range may be: 65536 keys of /32 */
    expect_net("2001::/16", 65536, "2001::/32", "2001:ffff::/32");

    expect_bad_net("2000::/15", "more than 65536");
    expect_bad_net("::/0", "more than 65536");
    expect_bad_net("2001:db8::/65", "longer than /64");
    expect_bad_net("2001:db8::1/128", "longer than /64");
    expect_bad_net("2001:db8::1/64", "host bits");
    expect_bad_net("2001:db8::/129", "prefix length");
}


static void
expect_domain(const char *in, const char *want)
{
    char    buf[256];
    size_t  len;

    strcpy(buf, in);
    len = strlen(buf);

    assert_null(load_domain(buf, &len));
    assert_string_equal(buf, want);
    assert_int_equal(len, strlen(want));
}


static void
expect_bad_domain(const char *in)
{
    char    buf[256];
    size_t  len;

    strcpy(buf, in);
    len = strlen(buf);

    assert_non_null(load_domain(buf, &len));
    /* a refused value is left as it was, for the message */
    assert_string_equal(buf, in);
}


static void
test_domain(void **state)
{
    (void) state;

    expect_domain("acme.io", "acme.io");
    expect_domain("ACME.io.", "acme.io");
    expect_domain("www.Acme.io", "acme.io");
    /* Salesforce "Website" values */
    expect_domain("https://www.Acme.io/about", "acme.io");
    expect_domain("http://shop.acme.co.uk?ref=crm", "shop.acme.co.uk");
    expect_domain("HTTPS://WWW.GLOBEX.EXAMPLE:8443/", "globex.example");
    expect_domain("initech.example/#contact", "initech.example");
    expect_domain("wwwacme.io", "wwwacme.io");

    expect_bad_domain("acme io");
    expect_bad_domain("https://");
    expect_bad_domain(".acme.io");
    expect_bad_domain("acme@io");
}


static void
test_domain_length(void **state)
{
    char    buf[300];
    size_t  len;

    (void) state;

    memset(buf, 'a', sizeof(buf));
    memcpy(buf + 249, ".io", 3);
    buf[252] = '\0';
    len = 252;
    assert_null(load_domain(buf, &len));

    buf[252] = 'o';
    buf[253] = '\0';
    len = 253;
    assert_null(load_domain(buf, &len));

    buf[253] = 'o';
    buf[254] = '\0';
    len = 254;
    assert_non_null(load_domain(buf, &len));
}


static void
test_presets(void **state)
{
    const load_map_t  *hubspot, *salesforce, *ip;

    (void) state;

    hubspot = load_preset("hubspot");
    salesforce = load_preset("salesforce");
    assert_non_null(hubspot);
    assert_non_null(salesforce);
    assert_null(load_preset("pipedrive"));

    assert_string_equal(load_map_find(hubspot, "Company Domain Name"),
                        "domain");
    assert_string_equal(load_map_find(hubspot, "company domain name"),
                        "domain");
    assert_string_equal(load_map_find(hubspot, "Number of Employees"),
                        "employees");
    assert_string_equal(load_map_find(hubspot, "Annual Revenue"), "revenue");
    assert_string_equal(load_map_find(hubspot, "Country/Region"), "country");
    assert_string_equal(load_map_find(hubspot, "State/Region"), "region");
    assert_string_equal(load_map_find(hubspot, "Description"), "");
    assert_null(load_map_find(hubspot, "Website"));

    assert_string_equal(load_map_find(salesforce, "Website"), "domain");
    assert_string_equal(load_map_find(salesforce, "Account Name"),
                        "company");
    assert_string_equal(load_map_find(salesforce, "Billing Country"),
                        "country");
    assert_string_equal(load_map_find(salesforce, "Employees"), "employees");
    assert_null(load_map_find(salesforce, "Company Domain Name"));
    assert_string_equal(load_map_find(salesforce, "SIC Code"), "sic");

    ip = load_preset("reverse-ip");
    assert_non_null(ip);
    assert_string_equal(load_map_find(ip, "IP Address"), "ip");
    assert_string_equal(load_map_find(ip, "ip range"), "cidr");
    assert_string_equal(load_map_find(ip, "Company Domain"), "domain");
    assert_string_equal(load_map_find(ip, "Employee Range"), "employees");
    assert_string_equal(load_map_find(ip, "Match Confidence"),
                        "confidence");
}


static void
test_field_name(void **state)
{
    char  out[32];

    (void) state;

    load_field_name("Country/Region", out, sizeof(out));
    assert_string_equal(out, "country_region");
    load_field_name("  Year   Founded (est.) ", out, sizeof(out));
    assert_string_equal(out, "year_founded_est");
    load_field_name("Contact ID", out, sizeof(out));
    assert_string_equal(out, "contact_id");
    load_field_name("--", out, sizeof(out));
    assert_string_equal(out, "");
    load_field_name("abcdefghij", out, 5);
    assert_string_equal(out, "abcd");
}


/* A schema from a header given as one CSV line. */
static int
schema_from(load_schema_t *schema, const char *header,
    const load_map_t *maps, const load_map_t *preset, char *err, size_t size)
{
    int           rc;
    FILE         *fp;
    size_t        n;
    csv_t        *csv;
    csv_field_t  *fields;

    fp = fmemopen((void *) header, strlen(header), "r");
    assert_non_null(fp);
    csv = csv_open(fp);
    assert_non_null(csv);
    assert_int_equal(csv_next(csv, &fields, &n), CSV_ROW);

    err[0] = '\0';
    rc = load_schema_init(schema, fields, n, maps, preset, err, size);

    csv_close(csv);
    fclose(fp);

    return rc;
}


static void
test_schema(void **state)
{
    char           err[256];
    load_schema_t  s;

    (void) state;

    assert_int_equal(schema_from(&s, "IP, Contact ID ,Country/Region,"
                                 "employees,Tech,domain,cidr", NULL, NULL,
                                 err, sizeof(err)), 0);
    assert_int_equal(s.ncols, 7);
    assert_int_equal(s.ip, 0);
    assert_int_equal(s.contact, 1);
    assert_int_equal(s.domain, 5);
    assert_int_equal(s.cidr, 6);
    assert_int_equal(s.cols[0].kind, LOAD_COL_IP);
    assert_int_equal(s.cols[2].kind, LOAD_COL_FIELD);
    assert_string_equal(s.cols[2].field, "country_region");
    assert_int_equal(s.cols[2].field_len, 14);
    assert_int_equal(s.cols[3].value, LOAD_VAL_AMOUNT);
    assert_string_equal(s.cols[3].range, "employees_range");
    assert_int_equal(s.cols[4].value, LOAD_VAL_LIST);
    assert_int_equal(s.cols[2].value, LOAD_VAL_TEXT);
    assert_int_equal(s.cols[5].kind, LOAD_COL_DOMAIN);
    assert_int_equal(s.industry, -1);
    assert_int_equal(s.raw, 0);
    load_schema_free(&s);

    /* the columns a row's industry and provenance come from */
    assert_int_equal(schema_from(&s, "domain,SIC,naics,Industry,source,"
                                 "As Of,revenue,revenue_range,industry_raw",
                                 NULL, NULL, err, sizeof(err)), 0);
    assert_int_equal(s.sic, 1);
    assert_int_equal(s.naics, 2);
    assert_int_equal(s.industry, 3);
    assert_int_equal(s.source, 4);
    assert_int_equal(s.as_of, 5);
    assert_int_equal(s.cols[5].value, LOAD_VAL_AS_OF);
    /* the export's own revenue_range and industry_raw are not replaced */
    assert_null(s.cols[6].range);
    assert_int_equal(s.raw, 1);
    load_schema_free(&s);
}


static void
test_schema_maps(void **state)
{
    char           err[256];
    load_schema_t  s;

    static const load_map_t  maps[] = {
        { "Industry", "vertical" },
        { "Description", "about" },
        { "City", "" },
        { NULL, NULL }
    };

    (void) state;

    /* --map wins over the preset, the preset over the header */
    assert_int_equal(schema_from(&s, "Company Domain Name,Industry,"
                                 "Description,City,Number of Employees,"
                                 "Year Founded", maps, load_preset("hubspot"),
                                 err, sizeof(err)), 0);
    assert_int_equal(s.domain, 0);
    assert_string_equal(s.cols[1].field, "vertical");
    assert_string_equal(s.cols[2].field, "about");
    assert_int_equal(s.cols[3].kind, LOAD_COL_DROP);
    assert_string_equal(s.cols[4].field, "employees");
    assert_int_equal(s.cols[4].value, LOAD_VAL_AMOUNT);
    assert_string_equal(s.cols[5].field, "founded");
    load_schema_free(&s);

    /* Salesforce's Website is the domain key */
    assert_int_equal(schema_from(&s, "Account Name,Website,Billing Country",
                                 NULL, load_preset("salesforce"), err,
                                 sizeof(err)), 0);
    assert_int_equal(s.domain, 1);
    assert_string_equal(s.cols[0].field, "company");
    assert_string_equal(s.cols[2].field, "country");
    assert_int_equal(s.cols[2].value, LOAD_VAL_COUNTRY);
    load_schema_free(&s);
}


static void
test_schema_errors(void **state)
{
    char           err[256];
    load_schema_t  s;

    (void) state;

    assert_int_equal(schema_from(&s, "ip,Country,country", NULL, NULL,
                                 err, sizeof(err)), -1);
    assert_non_null(strstr(err, "columns 2 and 3"));
    load_schema_free(&s);

    assert_int_equal(schema_from(&s, "company,industry", NULL, NULL,
                                 err, sizeof(err)), -1);
    assert_non_null(strstr(err, "no key column"));
    load_schema_free(&s);

    /* without the preset a HubSpot export has no key column */
    assert_int_equal(schema_from(&s, "Company Domain Name,Company name",
                                 NULL, NULL, err, sizeof(err)), -1);
    load_schema_free(&s);
}


static void
expect_cell(load_value_t value, const char *in, const char *want)
{
    char        buf[64];
    size_t      len;
    load_col_t  col;

    memset(&col, 0, sizeof(col));
    col.kind = LOAD_COL_FIELD;
    col.value = value;

    strcpy(buf, in);
    len = strlen(buf);

    load_value(&vocab, &col, buf, &len);
    assert_string_equal(buf, want);
    assert_int_equal(len, strlen(want));
}


static void
test_values(void **state)
{
    (void) state;

    expect_cell(LOAD_VAL_TEXT, "  Computer Software \t", "Computer Software");
    expect_cell(LOAD_VAL_TEXT, "   ", "");
    expect_cell(LOAD_VAL_TEXT, "1,200", "1,200");

    /* parsed by the row, not here */
    expect_cell(LOAD_VAL_AMOUNT, " $1,200 ", "$1,200");

    expect_cell(LOAD_VAL_LIST, "hubspot;wordpress;stripe",
                 "hubspot,wordpress,stripe");

    expect_cell(LOAD_VAL_COUNTRY, " united states ", "US");
    expect_cell(LOAD_VAL_COUNTRY, "United Kingdom", "GB");
    expect_cell(LOAD_VAL_COUNTRY, "Deutschland", "DE");
    expect_cell(LOAD_VAL_COUNTRY, "uk", "GB");
    expect_cell(LOAD_VAL_COUNTRY, "DE", "DE");
    expect_cell(LOAD_VAL_COUNTRY, "de", "DE");
    expect_cell(LOAD_VAL_COUNTRY, "DEU", "DE");
    expect_cell(LOAD_VAL_COUNTRY, "CHE", "CH");
    expect_cell(LOAD_VAL_COUNTRY, "U.S.A.", "US");
    expect_cell(LOAD_VAL_COUNTRY, "Korea, Republic of", "KR");
    expect_cell(LOAD_VAL_COUNTRY, "\xc3\x96sterreich", "AT");
    expect_cell(LOAD_VAL_COUNTRY, "Trinidad & Tobago", "TT");
    expect_cell(LOAD_VAL_COUNTRY, "Atlantis", "Atlantis");
    expect_cell(LOAD_VAL_COUNTRY, "XX", "XX");
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
        cmocka_unit_test(test_ip),
        cmocka_unit_test(test_cidr_v4),
        cmocka_unit_test(test_cidr_v6),
        cmocka_unit_test(test_domain),
        cmocka_unit_test(test_domain_length),
        cmocka_unit_test(test_presets),
        cmocka_unit_test(test_field_name),
        cmocka_unit_test(test_schema),
        cmocka_unit_test(test_schema_maps),
        cmocka_unit_test(test_schema_errors),
        cmocka_unit_test(test_values),
    };

    return cmocka_run_group_tests(tests, vocab_setup, vocab_teardown);
}
