/*
 * icp-load schema: what each CSV column becomes (a key column, a hash
 * field or nothing), decided once from the header row, and how a cell of
 * it is normalised before it is written.
 */

#ifndef ICP_LOAD_SCHEMA_H
#define ICP_LOAD_SCHEMA_H

#include <stddef.h>

#include "csv.h"
#include "preset.h"
#include "vocab.h"


typedef enum {
    LOAD_COL_DROP = 0,
    LOAD_COL_FIELD,
    LOAD_COL_IP,
    LOAD_COL_CIDR,
    LOAD_COL_DOMAIN,        /* a key, and the "domain" field too */
    LOAD_COL_CONTACT
} load_kind_t;


/* How a field's cell is normalised (load_value(), then row.c). */
typedef enum {
    LOAD_VAL_TEXT = 0,
    LOAD_VAL_LIST,          /* tech: ';' separators become ',' */
    LOAD_VAL_COUNTRY,       /* country: names and codes become alpha-2 */
    LOAD_VAL_AMOUNT,        /* employees, revenue: a plain number */
    LOAD_VAL_CONFIDENCE,    /* 0 to 100 */
    LOAD_VAL_INDUSTRY,      /* the label: mapped with the codes */
    LOAD_VAL_SIC,
    LOAD_VAL_NAICS,
    LOAD_VAL_SOURCE,        /* a row's own provenance, over the defaults */
    LOAD_VAL_AS_OF          /* a date */
} load_value_t;


typedef struct {
    load_kind_t    kind;
    load_value_t   value;
    char          *field;
    size_t         field_len;
    char          *range;       /* AMOUNT: "employees_range", or NULL when
                                   a column of the export has that name */
} load_col_t;


typedef struct {
    load_col_t    *cols;
    size_t         ncols;
    int            ip;          /* column index of each key, or -1 */
    int            cidr;
    int            domain;
    int            contact;
    int            industry;    /* and of the columns a row's derived */
    int            sic;         /* fields come from, or -1 */
    int            naics;
    int            source;
    int            as_of;
    unsigned       raw:1;       /* industry_raw is a column of its own */
} load_schema_t;


/*
 * A column is named by the first of: a --map entry (maps, may be NULL),
 * the preset (may be NULL), its header.  The name is then made a field
 * name: lower case, each run of other characters than [a-z0-9] one '_'
 * ("Country/Region" -> country_region).  Returns -1 with a message in err
 * when two columns get the same name or memory runs out.
 */
int load_schema_init(load_schema_t *schema, const csv_field_t *header,
    size_t n, const load_map_t *maps, const load_map_t *preset, char *err,
    size_t size);
void load_schema_free(load_schema_t *schema);

/* out gets at most size - 1 bytes and a NUL */
void load_field_name(const char *name, char *out, size_t size);

/*
 * Normalises a field cell in place: leading and trailing blanks go, a
 * LIST gets ',' separators, a COUNTRY known to vocab (NULL: none is) its
 * alpha-2 code.  The other kinds are parsed by the row (row.c).
 */
void load_value(const load_vocab_t *vocab, const load_col_t *col,
    char *value, size_t *len);

#endif /* ICP_LOAD_SCHEMA_H */
