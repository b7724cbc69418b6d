/*
 * icp-load rows: one CSV data row -> its HSET (and EXPIRE) commands, one
 * per key the row names.
 */

#ifndef ICP_LOAD_ROW_H
#define ICP_LOAD_ROW_H

#include <stddef.h>
#include <stdio.h>

#include "csv.h"
#include "schema.h"
#include "vocab.h"
#include "writer.h"


/* distinct unmapped industry labels listed in the summary */
#define LOAD_UNMAPPED_MAX  20

/* cells not written that are reported one by one; the rest are counted */
#define LOAD_WARN_MAX      10


typedef enum {
    LOAD_KEY_IP = 0,
    LOAD_KEY_NET,
    LOAD_KEY_DOMAIN,
    LOAD_KEY_CONTACT,
    LOAD_KEY_KINDS
} load_key_t;


typedef enum {
    LOAD_ROW_OK = 0,
    LOAD_ROW_BLANK,         /* an empty line: skipped, not an error */
    LOAD_ROW_BAD,           /* nothing written */
    LOAD_ROW_FAIL           /* out of memory or the writer failed: stop */
} load_row_rc_t;


/* What every row is loaded with. */
typedef struct {
    const char           *prefix;
    const char           *ttl;          /* seconds, or NULL: no EXPIRE */
    const char           *source;       /* provenance: the preset or */
    const char           *as_of;        /* --source; YYYY-MM-DD */
    const char           *file;         /* in warnings */
    FILE                 *warn;         /* where the warnings go */
    const load_vocab_t   *vocab;
} load_conf_t;


typedef struct {
    char                 *label;        /* as written */
    unsigned long         rows;
} load_unmapped_t;


typedef struct {
    const load_schema_t  *schema;
    load_writer_t        *writer;
    load_conf_t           conf;
    size_t                prefix_len;

    const char          **argv;
    size_t               *argvlen;
    char                 *key;
    size_t                key_cap;
    char                 *cells;        /* per column: a number's text */

    unsigned long         keys[LOAD_KEY_KINDS];   /* HSETs issued */
    unsigned long         dropped;      /* cells not written */
    unsigned long         unmapped;     /* rows with an unmapped label */
    load_unmapped_t       labels[LOAD_UNMAPPED_MAX];
    size_t                nlabels;
    char                  error[256];   /* why a row was BAD or FAIL */
} load_rows_t;


int load_rows_init(load_rows_t *rows, const load_schema_t *schema,
    load_writer_t *writer, const load_conf_t *conf);
void load_rows_free(load_rows_t *rows);

/* The unmapped labels and the cells not written, if any, for the summary. */
void load_rows_report(const load_rows_t *rows, FILE *fp);

/*
 * A contact_id row writes its contact key only (its domain is a field
 * that leads to the company); any other row writes the same fields under
 * each of its ip, cidr and domain keys, with its provenance (source,
 * as_of).  Cells are normalised in place; a cell that cannot be (an
 * amount that is no number, ...) is reported and left out, the rest of
 * the row is written.
 */
load_row_rc_t load_row(load_rows_t *rows, unsigned long line,
    csv_field_t *fields, size_t n);

#endif /* ICP_LOAD_ROW_H */
