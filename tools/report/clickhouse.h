/*
 * icp-report --clickhouse URL: the report computed from aggregates that
 * ClickHouse's HTTP interface returns for the table of
 * tools/report/clickhouse.sql, instead of from the files.
 */

#ifndef RPT_CLICKHOUSE_H
#define RPT_CLICKHOUSE_H

#include "report/report.h"


/*
 * Fills r, new from rpt_new(), from the table "log" of the server and
 * database of url (http://host:port/?database=icp, user and password as
 * ClickHouse takes them in the url) with what reading the files would
 * have given rpt_finish().  Returns 0, -1 with a message on stderr when
 * the server fails or answers what is not expected, -2 when memory runs
 * out.
 */
int rpt_clickhouse(rpt_t *r, const char *url);


#endif /* RPT_CLICKHOUSE_H */
