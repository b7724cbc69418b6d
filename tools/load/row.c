/*
 * icp-load rows: validation of the key cells, then the commands.
 *
 * Every key cell of a row is checked before the first command is issued,
 * so a bad row writes nothing at all.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "key.h"
#include "row.h"


/* the longest kind name below, "contact:", and a NUL */
#define LOAD_KIND_LEN  9


static const char  *load_kinds[LOAD_KEY_KINDS] = {
    "ip:", "net:", "domain:", "contact:"
};


int
load_rows_init(load_rows_t *rows, const load_schema_t *schema,
    load_writer_t *writer, const char *prefix, const char *ttl)
{
    size_t  n;

    memset(rows, 0, sizeof(load_rows_t));

    rows->schema = schema;
    rows->writer = writer;
    rows->prefix = prefix;
    rows->prefix_len = strlen(prefix);
    rows->ttl = ttl;

    /* HSET, the key and two per column */
    n = 2 + 2 * schema->ncols;

    rows->argv = malloc(n * sizeof(char *));
    rows->argvlen = malloc(n * sizeof(size_t));

    if (rows->argv == NULL || rows->argvlen == NULL) {
        load_rows_free(rows);
        return -1;
    }

    return 0;
}


void
load_rows_free(load_rows_t *rows)
{
    free(rows->argv);
    free(rows->argvlen);
    free(rows->key);

    rows->argv = NULL;
    rows->argvlen = NULL;
    rows->key = NULL;
}


static int
load_key(load_rows_t *rows, load_key_t kind, const char *value, size_t len)
{
    char    *key;
    size_t   n, kn;

    kn = strlen(load_kinds[kind]);
    n = rows->prefix_len + LOAD_KIND_LEN + len;

    if (n > rows->key_cap) {
        key = realloc(rows->key, n);
        if (key == NULL) {
            return -1;
        }

        rows->key = key;
        rows->key_cap = n;
    }

    memcpy(rows->key, rows->prefix, rows->prefix_len);
    memcpy(rows->key + rows->prefix_len, load_kinds[kind], kn);
    memcpy(rows->key + rows->prefix_len + kn, value, len);

    rows->argv[1] = rows->key;
    rows->argvlen[1] = rows->prefix_len + kn + len;

    return 0;
}


static load_row_rc_t
load_emit(load_rows_t *rows, unsigned long line, load_key_t kind,
    const char *value, size_t len, int argc)
{
    const char  *argv[3];
    size_t       argvlen[3];

    if (load_key(rows, kind, value, len) != 0) {
        snprintf(rows->error, sizeof(rows->error), "out of memory");
        return LOAD_ROW_FAIL;
    }

    if (load_writer_cmd(rows->writer, line, argc, rows->argv, rows->argvlen)
        != 0)
    {
        goto failed;
    }

    rows->keys[kind]++;

    if (rows->ttl == NULL) {
        return LOAD_ROW_OK;
    }

    argv[0] = "EXPIRE";
    argvlen[0] = 6;
    argv[1] = rows->argv[1];
    argvlen[1] = rows->argvlen[1];
    argv[2] = rows->ttl;
    argvlen[2] = strlen(rows->ttl);

    if (load_writer_cmd(rows->writer, line, 3, argv, argvlen) != 0) {
        goto failed;
    }

    return LOAD_ROW_OK;

failed:

    snprintf(rows->error, sizeof(rows->error), "%s",
             load_writer_error(rows->writer));

    return LOAD_ROW_FAIL;
}


static load_row_rc_t
load_bad(load_rows_t *rows, const char *what, const char *value,
    const char *why)
{
    snprintf(rows->error, sizeof(rows->error), "%s \"%.64s\": %s", what,
             value, why);

    return LOAD_ROW_BAD;
}


load_row_rc_t
load_row(load_rows_t *rows, unsigned long line, csv_field_t *fields,
    size_t n)
{
    int                   argc;
    char                  ip[LOAD_NET_LEN], net[LOAD_NET_LEN];
    size_t                i;
    load_net_t            range;
    const char           *err;
    csv_field_t          *f;
    load_row_rc_t         rc;
    const load_col_t     *col;
    const load_schema_t  *schema;

    schema = rows->schema;

    if (n == 1 && fields[0].len == 0) {
        return LOAD_ROW_BLANK;
    }

    if (n != schema->ncols) {
        snprintf(rows->error, sizeof(rows->error),
                 "%zu fields, the header has %zu", n, schema->ncols);
        return LOAD_ROW_BAD;
    }

    argc = 2;
    rows->argv[0] = "HSET";
    rows->argvlen[0] = 4;

    for (i = 0; i < n; i++) {
        col = &schema->cols[i];
        f = &fields[i];

        if (col->kind == LOAD_COL_DROP) {
            continue;
        }

        load_value(col, f->data, &f->len);

        if (f->len == 0) {
            continue;
        }

        if (col->kind == LOAD_COL_DOMAIN) {
            err = load_domain(f->data, &f->len);
            if (err != NULL) {
                return load_bad(rows, "domain", f->data, err);
            }
        }

        if (col->kind == LOAD_COL_FIELD || col->kind == LOAD_COL_DOMAIN) {
            rows->argv[argc] = col->field;
            rows->argvlen[argc++] = col->field_len;
            rows->argv[argc] = f->data;
            rows->argvlen[argc++] = f->len;
        }
    }

    ip[0] = '\0';
    if (schema->ip >= 0 && fields[schema->ip].len > 0) {
        err = load_ip(fields[schema->ip].data, ip, sizeof(ip));
        if (err != NULL) {
            return load_bad(rows, "ip", fields[schema->ip].data, err);
        }
    }

    range.left = 0;
    if (schema->cidr >= 0 && fields[schema->cidr].len > 0) {
        err = load_net_parse(&range, fields[schema->cidr].data);
        if (err != NULL) {
            return load_bad(rows, "cidr", fields[schema->cidr].data, err);
        }
    }

    if (schema->contact >= 0 && fields[schema->contact].len > 0) {
        if (ip[0] != '\0' || range.left > 0) {
            snprintf(rows->error, sizeof(rows->error),
                     "a contact_id row cannot also have an ip or a cidr");
            return LOAD_ROW_BAD;
        }

        f = &fields[schema->contact];

        if (argc == 2) {
            return load_bad(rows, "contact_id", f->data, "no field to write");
        }

        return load_emit(rows, line, LOAD_KEY_CONTACT, f->data, f->len,
                         argc);
    }

    if (ip[0] == '\0' && range.left == 0
        && (schema->domain < 0 || fields[schema->domain].len == 0))
    {
        snprintf(rows->error, sizeof(rows->error),
                 "no key: ip, cidr, domain and contact_id are all empty");
        return LOAD_ROW_BAD;
    }

    if (argc == 2) {
        snprintf(rows->error, sizeof(rows->error), "no field to write");
        return LOAD_ROW_BAD;
    }

    if (ip[0] != '\0') {
        rc = load_emit(rows, line, LOAD_KEY_IP, ip, strlen(ip), argc);
        if (rc != LOAD_ROW_OK) {
            return rc;
        }
    }

    while (load_net_next(&range, net, sizeof(net))) {
        rc = load_emit(rows, line, LOAD_KEY_NET, net, strlen(net), argc);
        if (rc != LOAD_ROW_OK) {
            return rc;
        }
    }

    if (schema->domain >= 0 && fields[schema->domain].len > 0) {
        f = &fields[schema->domain];
        return load_emit(rows, line, LOAD_KEY_DOMAIN, f->data, f->len, argc);
    }

    return LOAD_ROW_OK;
}
