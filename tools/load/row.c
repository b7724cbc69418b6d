/*
 * icp-load rows: validation of the key cells, the fields made from the
 * cells (numbers, the industry, the provenance), then the commands.
 *
 * Every key cell of a row is checked before the first command is issued,
 * so a bad row writes nothing at all.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "key.h"
#include "number.h"
#include "row.h"


/* fields a row may add to its columns': industry, industry_raw, source, as_of */
#define LOAD_DERIVED  4


/* the longest kind name below, "contact:", and a NUL */
#define LOAD_KIND_LEN  9


static const char  *load_kinds[LOAD_KEY_KINDS] = {
    "ip:", "net:", "domain:", "contact:"
};


int
load_rows_init(load_rows_t *rows, const load_schema_t *schema,
    load_writer_t *writer, const load_conf_t *conf)
{
    size_t  n;

    memset(rows, 0, sizeof(load_rows_t));

    rows->schema = schema;
    rows->writer = writer;
    rows->conf = *conf;
    rows->prefix_len = strlen(conf->prefix);

    /* HSET, the key, two per column and its range, two per derived one */
    n = 2 + 4 * schema->ncols + 2 * LOAD_DERIVED;

    rows->argv = malloc(n * sizeof(char *));
    rows->argvlen = malloc(n * sizeof(size_t));
    rows->cells = malloc(schema->ncols * LOAD_AMOUNT_LEN + 1);

    if (rows->argv == NULL || rows->argvlen == NULL || rows->cells == NULL) {
        load_rows_free(rows);
        return -1;
    }

    return 0;
}


void
load_rows_free(load_rows_t *rows)
{
    size_t  i;

    free(rows->argv);
    free(rows->argvlen);
    free(rows->key);
    free(rows->cells);

    for (i = 0; i < rows->nlabels; i++) {
        free(rows->labels[i].label);
    }

    rows->argv = NULL;
    rows->argvlen = NULL;
    rows->key = NULL;
    rows->cells = NULL;
    rows->nlabels = 0;
}


void
load_rows_report(const load_rows_t *rows, FILE *fp)
{
    size_t         i;
    unsigned long  listed;

    if (rows->unmapped > 0) {
        fprintf(fp, "icp-load: %s: %lu row%s with an industry label not in "
                "the vocabulary, kept as written:", rows->conf.file,
                rows->unmapped, rows->unmapped == 1 ? "" : "s");

        listed = 0;

        for (i = 0; i < rows->nlabels; i++) {
            fprintf(fp, "%s \"%.64s\" %lu", i ? "," : "",
                    rows->labels[i].label, rows->labels[i].rows);
            listed += rows->labels[i].rows;
        }

        if (listed < rows->unmapped) {
            fprintf(fp, ", %lu more", rows->unmapped - listed);
        }

        fputc('\n', fp);
    }

    if (rows->dropped > LOAD_WARN_MAX) {
        fprintf(fp, "icp-load: %s: %lu cells not written, the first %d "
                "above\n", rows->conf.file, rows->dropped, LOAD_WARN_MAX);

    } else if (rows->dropped > 0) {
        fprintf(fp, "icp-load: %s: %lu cell%s not written, above\n",
                rows->conf.file, rows->dropped,
                rows->dropped == 1 ? "" : "s");
    }
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

    memcpy(rows->key, rows->conf.prefix, rows->prefix_len);
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

    if (rows->conf.ttl == NULL) {
        return LOAD_ROW_OK;
    }

    argv[0] = "EXPIRE";
    argvlen[0] = 6;
    argv[1] = rows->argv[1];
    argvlen[1] = rows->argvlen[1];
    argv[2] = rows->conf.ttl;
    argvlen[2] = strlen(rows->conf.ttl);

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


/* A cell left out of its row: said for the first few, counted for all. */
static void
load_drop(load_rows_t *rows, unsigned long line, const load_col_t *col,
    const char *value, const char *why)
{
    if (rows->dropped++ < LOAD_WARN_MAX) {
        fprintf(rows->conf.warn, "%s:%lu: %s \"%.64s\": %s, not written\n",
                rows->conf.file, line, col->field, value, why);
    }
}


static void
load_push(load_rows_t *rows, int *argc, const char *field, size_t flen,
    const char *value, size_t vlen)
{
    rows->argv[*argc] = field;
    rows->argvlen[(*argc)++] = flen;
    rows->argv[*argc] = value;
    rows->argvlen[(*argc)++] = vlen;
}


/* What a row's cells say its industry is; set by load_cell(). */
typedef struct {
    const char   *label;
    size_t        label_len;
    int           sic;          /* the key a code maps to, or -1 */
    int           naics;
    const char   *source;
    const char   *as_of;
} load_facts_t;


/* One field cell, normalised, as a pair of argv or a fact of the row. */
static void
load_cell(load_rows_t *rows, unsigned long line, size_t i, csv_field_t *f,
    int *argc, load_facts_t *facts)
{
    int                range;
    char              *cell;
    size_t             n;
    unsigned           code, digits;
    uint64_t           amount;
    const char        *err;
    const load_col_t  *col;

    col = &rows->schema->cols[i];
    cell = rows->cells + i * LOAD_AMOUNT_LEN;
    err = NULL;

    switch (col->value) {

    case LOAD_VAL_AMOUNT:
        err = load_amount(f->data, f->len, &amount, &range);
        if (err != NULL) {
            break;
        }

        n = load_decimal(amount, cell);
        load_push(rows, argc, col->field, col->field_len, cell, n);

        if (range && col->range != NULL) {
            load_push(rows, argc, col->range, col->field_len + 6, f->data,
                      f->len);
        }
        return;

    case LOAD_VAL_CONFIDENCE:
        err = load_confidence(f->data, f->len, &code);
        if (err != NULL) {
            break;
        }

        n = load_decimal(code, cell);
        load_push(rows, argc, col->field, col->field_len, cell, n);
        return;

    case LOAD_VAL_SIC:
        err = load_sic(f->data, f->len, &code);
        if (err != NULL) {
            break;
        }

        /* the four digits SIC codes are written with: 0742 */
        snprintf(cell, LOAD_AMOUNT_LEN, "%04u", code);
        load_push(rows, argc, col->field, col->field_len, cell, 4);
        facts->sic = load_industry_sic(rows->conf.vocab, code);
        return;

    case LOAD_VAL_NAICS:
        err = load_naics(f->data, f->len, &code, &digits);
        if (err != NULL) {
            break;
        }

        load_push(rows, argc, col->field, col->field_len, f->data, f->len);
        facts->naics = load_industry_naics(rows->conf.vocab, code, digits);
        return;

    case LOAD_VAL_INDUSTRY:
        facts->label = f->data;
        facts->label_len = f->len;
        return;

    case LOAD_VAL_SOURCE:
        facts->source = f->data;
        return;

    case LOAD_VAL_AS_OF:
        err = load_date(f->data, f->len, cell);
        if (err == NULL) {
            facts->as_of = cell;
        }
        break;

    default:
        load_push(rows, argc, col->field, col->field_len, f->data, f->len);
        return;
    }

    if (err != NULL) {
        load_drop(rows, line, col, f->data, err);
    }
}


static void
load_unmapped(load_rows_t *rows, const char *label, size_t len)
{
    size_t  i;

    rows->unmapped++;

    for (i = 0; i < rows->nlabels; i++) {
        if (strlen(rows->labels[i].label) == len
            && memcmp(rows->labels[i].label, label, len) == 0)
        {
            rows->labels[i].rows++;
            return;
        }
    }

    if (rows->nlabels < LOAD_UNMAPPED_MAX) {
        rows->labels[rows->nlabels].label = strndup(label, len);

        if (rows->labels[rows->nlabels].label != NULL) {
            rows->labels[rows->nlabels++].rows = 1;
        }
    }
}


/*
 * A code wins over a label: a SIC code over a NAICS code, either over
 * the label.  industry_raw keeps a label the industry is not spelt as
 * (but for case).
 */
static void
load_industry(load_rows_t *rows, const load_facts_t *facts, int *argc)
{
    int          key;
    const char  *name;

    key = facts->sic >= 0 ? facts->sic : facts->naics;

    if (key < 0 && facts->label != NULL) {
        key = load_industry_label(rows->conf.vocab, facts->label,
                                  facts->label_len);

        if (key < 0) {
            load_unmapped(rows, facts->label, facts->label_len);
            load_push(rows, argc, "industry", 8, facts->label,
                      facts->label_len);
            return;
        }
    }

    if (key < 0) {
        return;
    }

    name = rows->conf.vocab->keys[key];
    load_push(rows, argc, "industry", 8, name, strlen(name));

    if (facts->label != NULL && !rows->schema->raw
        && (strlen(name) != facts->label_len
            || strncasecmp(name, facts->label, facts->label_len) != 0))
    {
        load_push(rows, argc, "industry_raw", 12, facts->label,
                  facts->label_len);
    }
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
    load_facts_t          facts;
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

    memset(&facts, 0, sizeof(load_facts_t));
    facts.sic = -1;
    facts.naics = -1;

    for (i = 0; i < n; i++) {
        col = &schema->cols[i];
        f = &fields[i];

        if (col->kind == LOAD_COL_DROP) {
            continue;
        }

        load_value(rows->conf.vocab, col, f->data, &f->len);

        if (f->len == 0) {
            continue;
        }

        if (col->kind == LOAD_COL_DOMAIN) {
            err = load_domain(f->data, &f->len);
            if (err != NULL) {
                return load_bad(rows, "domain", f->data, err);
            }

            load_push(rows, &argc, col->field, col->field_len, f->data,
                      f->len);

        } else if (col->kind == LOAD_COL_FIELD) {
            load_cell(rows, line, i, f, &argc, &facts);
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

    if (schema->contact >= 0 && fields[schema->contact].len > 0
        && (ip[0] != '\0' || range.left > 0))
    {
        snprintf(rows->error, sizeof(rows->error),
                 "a contact_id row cannot also have an ip or a cidr");
        return LOAD_ROW_BAD;
    }

    if (ip[0] == '\0' && range.left == 0
        && (schema->domain < 0 || fields[schema->domain].len == 0)
        && (schema->contact < 0 || fields[schema->contact].len == 0))
    {
        snprintf(rows->error, sizeof(rows->error),
                 "no key: ip, cidr, domain and contact_id are all empty");
        return LOAD_ROW_BAD;
    }

    load_industry(rows, &facts, &argc);

    if (argc == 2) {
        if (schema->contact >= 0 && fields[schema->contact].len > 0) {
            return load_bad(rows, "contact_id", fields[schema->contact].data,
                            "no field to write");
        }

        snprintf(rows->error, sizeof(rows->error), "no field to write");
        return LOAD_ROW_BAD;
    }

    /* a row's own source and as_of columns win over the load's */
    if (facts.source == NULL) {
        facts.source = rows->conf.source;
    }

    if (facts.as_of == NULL) {
        facts.as_of = rows->conf.as_of;
    }

    load_push(rows, &argc, "source", 6, facts.source, strlen(facts.source));
    load_push(rows, &argc, "as_of", 5, facts.as_of, strlen(facts.as_of));

    if (schema->contact >= 0 && fields[schema->contact].len > 0) {
        f = &fields[schema->contact];
        return load_emit(rows, line, LOAD_KEY_CONTACT, f->data, f->len,
                         argc);
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
