/*
 * An RFC 4180 CSV reader for icp-load: one row at a time from a stdio
 * stream, quoted fields with "" escapes and embedded line breaks, CRLF or
 * LF line ends, a leading UTF-8 byte order mark skipped.
 *
 * Rows are not checked against the header: a ragged row comes back with
 * the number of fields it has, and the caller decides.
 */

#ifndef ICP_LOAD_CSV_H
#define ICP_LOAD_CSV_H

#include <stddef.h>
#include <stdio.h>


typedef struct csv_s  csv_t;


/*
 * data is NUL-terminated and writable up to len: callers normalise values
 * in place.  It stays valid until the next csv_next().
 */
typedef struct {
    char    *data;
    size_t   len;
} csv_field_t;


typedef enum {
    CSV_FAIL = -2,       /* read error or out of memory: stop */
    CSV_BAD = -1,        /* malformed row, consumed and skipped */
    CSV_EOF = 0,
    CSV_ROW = 1
} csv_rc_t;


csv_t *csv_open(FILE *fp);
void csv_close(csv_t *csv);

/*
 * An empty line is a row of one empty field.  After CSV_BAD or CSV_FAIL,
 * csv_error() says why; csv_line() is the line the last row started on
 * (1-based, counting line breaks inside quoted fields).
 */
csv_rc_t csv_next(csv_t *csv, csv_field_t **fields, size_t *nfields);
unsigned long csv_line(const csv_t *csv);
const char *csv_error(const csv_t *csv);

#endif /* ICP_LOAD_CSV_H */
