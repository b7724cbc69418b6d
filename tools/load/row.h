/*
 * icp-load rows: one CSV data row -> its HSET (and EXPIRE) commands, one
 * per key the row names.
 */

#ifndef ICP_LOAD_ROW_H
#define ICP_LOAD_ROW_H

#include <stddef.h>

#include "csv.h"
#include "schema.h"
#include "writer.h"


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


typedef struct {
    const load_schema_t  *schema;
    load_writer_t        *writer;
    const char           *prefix;
    size_t                prefix_len;
    const char           *ttl;          /* seconds, or NULL: no EXPIRE */

    const char          **argv;
    size_t               *argvlen;
    char                 *key;
    size_t                key_cap;

    unsigned long         keys[LOAD_KEY_KINDS];   /* HSETs issued */
    char                  error[256];   /* why a row was BAD or FAIL */
} load_rows_t;


int load_rows_init(load_rows_t *rows, const load_schema_t *schema,
    load_writer_t *writer, const char *prefix, const char *ttl);
void load_rows_free(load_rows_t *rows);

/*
 * A contact_id row writes its contact key only (its domain is a field
 * that leads to the company); any other row writes the same fields under
 * each of its ip, cidr and domain keys.  Cells are normalised in place.
 */
load_row_rc_t load_row(load_rows_t *rows, unsigned long line,
    csv_field_t *fields, size_t n);

#endif /* ICP_LOAD_ROW_H */
