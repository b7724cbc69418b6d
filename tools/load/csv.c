/*
 * The RFC 4180 CSV reader of icp-load (see csv.h).
 *
 * Input is read in large blocks; a row is unescaped into one growing
 * buffer, each field followed by a NUL, so callers get C strings without a
 * copy of their own.
 */

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "csv.h"


#define CSV_BLOCK  (256 * 1024)

/* what the scanners return besides a delimiter or EOF */
#define CSV_READ_ERROR  (-2)
#define CSV_NO_MEMORY   (-3)
#define CSV_OPEN_QUOTE  (-4)


struct csv_s {
    FILE           *fp;
    unsigned char  *in;
    size_t          pos;
    size_t          end;
    int             eof;

    char           *buf;       /* the current row, unescaped */
    size_t          len;
    size_t          cap;

    size_t         *off;       /* where each field starts in buf */
    csv_field_t    *fields;
    size_t          nfields;
    size_t          fcap;

    unsigned long   line;      /* line the reader is on */
    unsigned long   row_line;  /* line the last row started on */
    int             started;
    const char     *error;
    char            errbuf[128];
};


csv_t *
csv_open(FILE *fp)
{
    csv_t  *csv;

    csv = calloc(1, sizeof(csv_t));
    if (csv == NULL) {
        return NULL;
    }

    csv->fp = fp;
    csv->in = malloc(CSV_BLOCK);
    csv->cap = 4096;
    csv->buf = malloc(csv->cap);
    csv->fcap = 32;
    csv->off = malloc(csv->fcap * sizeof(size_t));
    csv->fields = malloc(csv->fcap * sizeof(csv_field_t));
    csv->line = 1;

    if (csv->in == NULL || csv->buf == NULL || csv->off == NULL
        || csv->fields == NULL)
    {
        csv_close(csv);
        return NULL;
    }

    return csv;
}


void
csv_close(csv_t *csv)
{
    if (csv == NULL) {
        return;
    }

    free(csv->in);
    free(csv->buf);
    free(csv->off);
    free(csv->fields);
    free(csv);
}


unsigned long
csv_line(const csv_t *csv)
{
    return csv->row_line;
}


const char *
csv_error(const csv_t *csv)
{
    return csv->error;
}


/* 1 when input is available, 0 at end of input, -1 on a read error. */
static int
csv_fill(csv_t *csv)
{
    size_t  n;

    if (csv->pos < csv->end) {
        return 1;
    }

    if (csv->eof) {
        return 0;
    }

    n = fread(csv->in, 1, CSV_BLOCK, csv->fp);
    csv->pos = 0;
    csv->end = n;

    if (n == 0) {
        csv->eof = 1;

        if (ferror(csv->fp)) {
            snprintf(csv->errbuf, sizeof(csv->errbuf), "read error: %s",
                     strerror(errno));
            csv->error = csv->errbuf;
            return -1;
        }

        return 0;
    }

    if (!csv->started) {
        csv->started = 1;

        /* a byte order mark, as spreadsheet exports often start with */
        if (n >= 3 && memcmp(csv->in, "\xef\xbb\xbf", 3) == 0) {
            csv->pos = 3;
            return csv_fill(csv);
        }
    }

    return 1;
}


static int
csv_reserve(csv_t *csv, size_t n)
{
    size_t   cap;
    char    *buf;

    if (csv->len + n <= csv->cap) {
        return 0;
    }

    cap = csv->cap;
    while (cap < csv->len + n) {
        cap *= 2;
    }

    buf = realloc(csv->buf, cap);
    if (buf == NULL) {
        return -1;
    }

    csv->buf = buf;
    csv->cap = cap;

    return 0;
}


static int
csv_append(csv_t *csv, const void *p, size_t n)
{
    if (csv_reserve(csv, n) != 0) {
        return -1;
    }

    memcpy(csv->buf + csv->len, p, n);
    csv->len += n;

    return 0;
}


static int
csv_field_start(csv_t *csv)
{
    size_t        fcap;
    size_t       *off;
    csv_field_t  *fields;

    if (csv->nfields == csv->fcap) {
        fcap = csv->fcap * 2;

        off = realloc(csv->off, fcap * sizeof(size_t));
        if (off == NULL) {
            return -1;
        }
        csv->off = off;

        fields = realloc(csv->fields, fcap * sizeof(csv_field_t));
        if (fields == NULL) {
            return -1;
        }
        csv->fields = fields;

        csv->fcap = fcap;
    }

    csv->off[csv->nfields++] = csv->len;

    return 0;
}


static int
csv_field_end(csv_t *csv)
{
    return csv_append(csv, "", 1);
}


/*
 * Copies an unquoted run up to the next comma, line break or end of input
 * and returns that delimiter (EOF at the end) without consuming it.  A
 * quote inside an unquoted field is kept as data, as most readers do.
 */
static int
csv_unquoted(csv_t *csv)
{
    int             rc;
    unsigned char  *p, *last;

    for ( ;; ) {
        rc = csv_fill(csv);
        if (rc <= 0) {
            return rc == 0 ? EOF : CSV_READ_ERROR;
        }

        p = csv->in + csv->pos;
        last = csv->in + csv->end;

        while (p < last && *p != ',' && *p != '\n' && *p != '\r') {
            p++;
        }

        if (csv_append(csv, csv->in + csv->pos, p - (csv->in + csv->pos))
            != 0)
        {
            return CSV_NO_MEMORY;
        }

        csv->pos = p - csv->in;

        if (p < last) {
            return *p;
        }
    }
}


/*
 * Copies a quoted field after its opening quote, through the closing one,
 * and returns the character after it, unconsumed (EOF at the end).
 * Returns CSV_OPEN_QUOTE when the input ends inside the quotes.
 */
static int
csv_quoted(csv_t *csv)
{
    int             rc;
    unsigned char  *p, *last;

    for ( ;; ) {
        rc = csv_fill(csv);
        if (rc <= 0) {
            return rc == 0 ? CSV_OPEN_QUOTE : CSV_READ_ERROR;
        }

        p = csv->in + csv->pos;
        last = csv->in + csv->end;

        while (p < last && *p != '"') {
            if (*p == '\n') {
                csv->line++;
            }
            p++;
        }

        if (csv_append(csv, csv->in + csv->pos, p - (csv->in + csv->pos))
            != 0)
        {
            return CSV_NO_MEMORY;
        }

        csv->pos = p - csv->in;

        if (p == last) {
            continue;
        }

        /* a quote: either "" (a literal quote) or the closing one */
        csv->pos++;

        rc = csv_fill(csv);
        if (rc < 0) {
            return CSV_READ_ERROR;
        }

        if (rc == 0) {
            return EOF;
        }

        if (csv->in[csv->pos] != '"') {
            return csv->in[csv->pos];
        }

        csv->pos++;

        if (csv_append(csv, "\"", 1) != 0) {
            return CSV_NO_MEMORY;
        }
    }
}


static csv_rc_t
csv_fail(csv_t *csv, int rc)
{
    if (rc == CSV_NO_MEMORY) {
        csv->error = "out of memory";
    }

    return CSV_FAIL;
}


csv_rc_t
csv_next(csv_t *csv, csv_field_t **fields, size_t *nfields)
{
    int      c, rc;
    size_t   i;

    csv->len = 0;
    csv->nfields = 0;
    csv->error = NULL;
    csv->row_line = csv->line;

    rc = csv_fill(csv);
    if (rc <= 0) {
        return rc == 0 ? CSV_EOF : CSV_FAIL;
    }

    for ( ;; ) {
        if (csv_field_start(csv) != 0) {
            return csv_fail(csv, CSV_NO_MEMORY);
        }

        c = EOF;
        rc = csv_fill(csv);
        if (rc < 0) {
            return CSV_FAIL;
        }

        if (rc > 0 && csv->in[csv->pos] == '"') {
            csv->pos++;
            c = csv_quoted(csv);

            if (c == CSV_OPEN_QUOTE) {
                csv->error = "quoted field not closed before end of input";
                return CSV_BAD;
            }

            if (c != EOF && c != ',' && c != '\n' && c != '\r' && c >= 0) {
                /* keep the rest so the row ends where a reader expects */
                csv->error = "unexpected character after a closing quote";
                c = csv_unquoted(csv);
            }

        } else if (rc > 0) {
            c = csv_unquoted(csv);
        }

        if (c < EOF) {
            return csv_fail(csv, c);
        }

        if (csv_field_end(csv) != 0) {
            return csv_fail(csv, CSV_NO_MEMORY);
        }

        if (c != ',') {
            break;
        }

        csv->pos++;
    }

    if (c != EOF) {
        csv->pos++;
        csv->line++;

        if (c == '\r') {
            rc = csv_fill(csv);
            if (rc < 0) {
                return CSV_FAIL;
            }

            if (rc > 0 && csv->in[csv->pos] == '\n') {
                csv->pos++;
            }
        }
    }

    for (i = 0; i < csv->nfields; i++) {
        csv->fields[i].data = csv->buf + csv->off[i];
        csv->fields[i].len = (i + 1 < csv->nfields ? csv->off[i + 1]
                                                    : csv->len)
                             - csv->off[i] - 1;
    }

    *fields = csv->fields;
    *nfields = csv->nfields;

    return csv->error ? CSV_BAD : CSV_ROW;
}
