/*
 * icp-load schema: header row -> column plan, and cell normalisation.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"


static const struct {
    const char    *name;
    load_kind_t    kind;
} load_keys[] = {
    { "ip", LOAD_COL_IP },
    { "cidr", LOAD_COL_CIDR },
    { "domain", LOAD_COL_DOMAIN },
    { "contact_id", LOAD_COL_CONTACT },
    { NULL, LOAD_COL_DROP }
};


/* fields whose cells are more than text */
static const struct {
    const char    *name;
    load_value_t   value;
} load_values[] = {
    { "tech", LOAD_VAL_LIST },
    { "country", LOAD_VAL_COUNTRY },
    { "employees", LOAD_VAL_AMOUNT },
    { "revenue", LOAD_VAL_AMOUNT },
    { "confidence", LOAD_VAL_CONFIDENCE },
    { "industry", LOAD_VAL_INDUSTRY },
    { "sic", LOAD_VAL_SIC },
    { "naics", LOAD_VAL_NAICS },
    { "source", LOAD_VAL_SOURCE },
    { "as_of", LOAD_VAL_AS_OF },
    { NULL, LOAD_VAL_TEXT }
};


void
load_field_name(const char *name, char *out, size_t size)
{
    size_t         n;
    unsigned char  c;

    n = 0;

    for ( /* void */ ; *name != '\0' && n + 1 < size; name++) {
        c = *name;

        if (isalnum(c)) {
            out[n++] = tolower(c);

        } else if (n > 0 && out[n - 1] != '_') {
            out[n++] = '_';
        }
    }

    if (n > 0 && out[n - 1] == '_') {
        n--;
    }

    out[n] = '\0';
}


static int
load_schema_col(load_schema_t *schema, size_t i, const char *header,
    const load_map_t *maps, const load_map_t *preset, char *err, size_t size)
{
    int          *key;
    size_t        j, len;
    load_col_t   *col;
    const char   *name;

    col = &schema->cols[i];

    name = maps ? load_map_find(maps, header) : NULL;

    if (name == NULL && preset != NULL) {
        name = load_map_find(preset, header);
    }

    if (name == NULL) {
        name = header;
    }

    len = strlen(name) + 1;

    col->field = malloc(len);
    if (col->field == NULL) {
        snprintf(err, size, "out of memory");
        return -1;
    }

    load_field_name(name, col->field, len);
    col->field_len = strlen(col->field);

    if (col->field_len == 0) {
        col->kind = LOAD_COL_DROP;
        return 0;
    }

    for (j = 0; j < i; j++) {
        if (schema->cols[j].kind != LOAD_COL_DROP
            && strcmp(schema->cols[j].field, col->field) == 0)
        {
            snprintf(err, size, "columns %zu and %zu are both \"%s\": "
                     "drop one with --map COL=", j + 1, i + 1, col->field);
            return -1;
        }
    }

    col->kind = LOAD_COL_FIELD;

    for (j = 0; load_keys[j].name != NULL; j++) {
        if (strcmp(col->field, load_keys[j].name) == 0) {
            col->kind = load_keys[j].kind;
        }
    }

    key = NULL;

    switch (col->kind) {
    case LOAD_COL_IP:
        key = &schema->ip;
        break;
    case LOAD_COL_CIDR:
        key = &schema->cidr;
        break;
    case LOAD_COL_DOMAIN:
        key = &schema->domain;
        break;
    case LOAD_COL_CONTACT:
        key = &schema->contact;
        break;
    default:
        break;
    }

    if (key != NULL) {
        *key = i;
    }

    for (j = 0; load_values[j].name != NULL; j++) {
        if (strcmp(col->field, load_values[j].name) == 0) {
            col->value = load_values[j].value;
        }
    }

    switch (col->value) {
    case LOAD_VAL_INDUSTRY:
        key = &schema->industry;
        break;
    case LOAD_VAL_SIC:
        key = &schema->sic;
        break;
    case LOAD_VAL_NAICS:
        key = &schema->naics;
        break;
    case LOAD_VAL_SOURCE:
        key = &schema->source;
        break;
    case LOAD_VAL_AS_OF:
        key = &schema->as_of;
        break;
    default:
        key = NULL;
        break;
    }

    if (key != NULL && col->kind == LOAD_COL_FIELD) {
        *key = i;
    }

    return 0;
}


/*
 * An amount column's range goes to FIELD_range, unless the export has a
 * column of that name already: a second value for one field in one HSET
 * would silently replace the first.
 */
static int
load_schema_derived(load_schema_t *schema, char *err, size_t size)
{
    size_t       i, j;
    load_col_t  *col;

    for (i = 0; i < schema->ncols; i++) {
        col = &schema->cols[i];

        if (col->kind == LOAD_COL_FIELD
            && strcmp(col->field, "industry_raw") == 0)
        {
            schema->raw = 1;
        }

        if (col->kind != LOAD_COL_FIELD || col->value != LOAD_VAL_AMOUNT) {
            continue;
        }

        col->range = malloc(col->field_len + sizeof("_range"));
        if (col->range == NULL) {
            snprintf(err, size, "out of memory");
            return -1;
        }

        memcpy(col->range, col->field, col->field_len);
        memcpy(col->range + col->field_len, "_range", sizeof("_range"));

        for (j = 0; j < schema->ncols; j++) {
            if (schema->cols[j].kind != LOAD_COL_DROP
                && strcmp(schema->cols[j].field, col->range) == 0)
            {
                free(col->range);
                col->range = NULL;
                break;
            }
        }
    }

    return 0;
}


int
load_schema_init(load_schema_t *schema, const csv_field_t *header,
    size_t n, const load_map_t *maps, const load_map_t *preset, char *err,
    size_t size)
{
    size_t  i, len;
    char   *name;

    memset(schema, 0, sizeof(load_schema_t));
    schema->ip = -1;
    schema->cidr = -1;
    schema->domain = -1;
    schema->contact = -1;
    schema->industry = -1;
    schema->sic = -1;
    schema->naics = -1;
    schema->source = -1;
    schema->as_of = -1;

    schema->cols = calloc(n, sizeof(load_col_t));
    if (schema->cols == NULL) {
        snprintf(err, size, "out of memory");
        return -1;
    }

    schema->ncols = n;

    for (i = 0; i < n; i++) {
        name = strdup(header[i].data);
        if (name == NULL) {
            snprintf(err, size, "out of memory");
            return -1;
        }

        len = header[i].len;
        load_value(NULL, &schema->cols[i], name, &len);

        if (load_schema_col(schema, i, name, maps, preset, err, size) != 0) {
            free(name);
            return -1;
        }

        free(name);
    }

    if (schema->ip < 0 && schema->cidr < 0 && schema->domain < 0
        && schema->contact < 0)
    {
        snprintf(err, size, "no key column: the header needs ip, cidr, "
                 "domain or contact_id (rename with --map COL=FIELD)");
        return -1;
    }

    return load_schema_derived(schema, err, size);
}


void
load_schema_free(load_schema_t *schema)
{
    size_t  i;

    if (schema->cols == NULL) {
        return;
    }

    for (i = 0; i < schema->ncols; i++) {
        free(schema->cols[i].field);
        free(schema->cols[i].range);
    }

    free(schema->cols);
    schema->cols = NULL;
}


void
load_value(const load_vocab_t *vocab, const load_col_t *col, char *value,
    size_t *len)
{
    size_t       i, start, end;
    const char  *code;

    start = 0;
    end = *len;

    while (start < end && isspace((unsigned char) value[start])) {
        start++;
    }

    while (end > start && isspace((unsigned char) value[end - 1])) {
        end--;
    }

    if (start > 0) {
        memmove(value, value + start, end - start);
    }

    *len = end - start;
    value[*len] = '\0';

    switch (col->value) {
    case LOAD_VAL_LIST:
        for (i = 0; i < *len; i++) {
            if (value[i] == ';') {
                value[i] = ',';
            }
        }
        break;

    case LOAD_VAL_COUNTRY:
        code = vocab ? load_country(vocab, value, *len) : NULL;
        if (code != NULL) {
            memcpy(value, code, 3);
            *len = 2;
        }
        break;

    default:
        break;
    }
}
