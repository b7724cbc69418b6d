/*
 * icp-report --flatten: each log line as one flat JSON object for
 * ClickHouse's JSONEachRow (tools/report/clickhouse.sql), which on 18.16
 * reads neither the weights object nor the array of assignment objects,
 * nor a timestamp with milliseconds and an offset.
 */

#ifndef RPT_FLATTEN_H
#define RPT_FLATTEN_H

#include <stddef.h>
#include <stdio.h>


typedef struct {
    FILE        *out;
    char        *buf;           /* for escaping a string */
    size_t       cap;
} rpt_flat_t;


/*
 * Writes the record of one line (without its newline; the line is
 * modified) as a line of out: a bad line is written as
 * {"kind":"malformed"}, a record of another type as {"kind":"other"}, so
 * that the table counts every line as the report does.  Returns -1 only
 * when memory runs out.
 */
int rpt_flatten_line(rpt_flat_t *f, char *line, size_t len);

void rpt_flatten_free(rpt_flat_t *f);


#endif /* RPT_FLATTEN_H */
