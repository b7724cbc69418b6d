/*
 * icp-load schema: header row -> column plan, and cell normalisation.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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


/*
 * CRMs export countries by name; rules compare ISO 3166 codes
 * ("country in (US, CA, GB, DE)").  The names of the countries most B2B
 * exports hold are translated; any other value stays as written.
 */
static const struct {
    const char  *name;
    const char  *code;
} load_countries[] = {
    { "United States", "US" }, { "United States of America", "US" },
    { "USA", "US" }, { "U.S.", "US" }, { "U.S.A.", "US" },
    { "Canada", "CA" }, { "Mexico", "MX" }, { "Brazil", "BR" },
    { "United Kingdom", "GB" }, { "UK", "GB" }, { "Great Britain", "GB" },
    { "Ireland", "IE" }, { "Germany", "DE" }, { "Deutschland", "DE" },
    { "France", "FR" }, { "Spain", "ES" }, { "Italy", "IT" },
    { "Netherlands", "NL" }, { "The Netherlands", "NL" },
    { "Belgium", "BE" }, { "Switzerland", "CH" }, { "Austria", "AT" },
    { "Sweden", "SE" }, { "Norway", "NO" }, { "Denmark", "DK" },
    { "Finland", "FI" }, { "Poland", "PL" }, { "Portugal", "PT" },
    { "Israel", "IL" }, { "India", "IN" }, { "Singapore", "SG" },
    { "Japan", "JP" }, { "South Korea", "KR" }, { "China", "CN" },
    { "Australia", "AU" }, { "New Zealand", "NZ" },
    { NULL, NULL }
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

    if (strcmp(col->field, "employees") == 0
        || strcmp(col->field, "revenue") == 0)
    {
        col->value = LOAD_VAL_NUMBER;

    } else if (strcmp(col->field, "tech") == 0) {
        col->value = LOAD_VAL_LIST;

    } else if (strcmp(col->field, "country") == 0) {
        col->value = LOAD_VAL_COUNTRY;
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
        load_value(&schema->cols[i], name, &len);

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

    return 0;
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
    }

    free(schema->cols);
    schema->cols = NULL;
}


/*
 * "$1,200,000.00" -> "1200000": thousands separators, blanks, currency
 * signs and a leading currency code ("USD 25,000,000", as multi-currency
 * Salesforce orgs export) go, and so does a fraction.  Anything else
 * ("51-200", "1.2M") stays as written: the rules decide what to make of it.
 */
static void
load_number(char *value, size_t *len)
{
    size_t          i, n, digits, dots, start;
    unsigned char   c;

    digits = 0;
    dots = 0;
    start = 0;

    if (*len > 4 && isupper((unsigned char) value[0])
        && isupper((unsigned char) value[1])
        && isupper((unsigned char) value[2]) && value[3] == ' ')
    {
        start = 4;
    }

    for (i = start; i < *len; i++) {
        c = value[i];

        if (isdigit(c)) {
            digits++;

        } else if (c == '.') {
            dots++;

        } else if (c == ',' || c == ' ' || c == '$') {
            continue;

        } else if (c == 0xc2 && i + 1 < *len
                   && (unsigned char) value[i + 1] == 0xa3)
        {
            i++;                                        /* pound sign */

        } else if (c == 0xe2 && i + 2 < *len
                   && (unsigned char) value[i + 1] == 0x82
                   && (unsigned char) value[i + 2] == 0xac)
        {
            i += 2;                                     /* euro sign */

        } else {
            return;
        }
    }

    if (digits == 0 || dots > 1) {
        return;
    }

    n = 0;

    for (i = start; i < *len && value[i] != '.'; i++) {
        if (isdigit((unsigned char) value[i])) {
            value[n++] = value[i];
        }
    }

    value[n] = '\0';
    *len = n;
}


void
load_value(const load_col_t *col, char *value, size_t *len)
{
    size_t  i, start, end;

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
    case LOAD_VAL_NUMBER:
        load_number(value, len);
        break;

    case LOAD_VAL_LIST:
        for (i = 0; i < *len; i++) {
            if (value[i] == ';') {
                value[i] = ',';
            }
        }
        break;

    case LOAD_VAL_COUNTRY:
        for (i = 0; load_countries[i].name != NULL; i++) {
            /* the first letters first: this runs for every row */
            if (toupper((unsigned char) value[0]) == load_countries[i].name[0]
                && strcasecmp(value, load_countries[i].name) == 0)
            {
                *len = 2;
                memcpy(value, load_countries[i].code, 3);
                break;
            }
        }
        break;

    default:
        break;
    }
}
