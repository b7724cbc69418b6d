/*
 * icp-report: the little HTTP client that --clickhouse needs, over a
 * plain socket: one POST, HTTP/1.0, the response read to the end.
 */

#ifndef RPT_HTTP_H
#define RPT_HTTP_H

#include <stddef.h>


typedef struct {
    int          status;        /* 200, 500, ... */
    char        *body;          /* NUL-terminated; free() it */
    size_t       len;
} rpt_http_resp_t;


/*
 * POSTs body to url, "http://host[:port][/path][?query]" (port 80 by
 * default, host a name, an IPv4 address or [IPv6]).  Returns 0 with the
 * response, or -1 with a message in err when the url is not one, the
 * server cannot be reached or answers no HTTP.
 */
int rpt_http_post(const char *url, const char *body, size_t len,
    rpt_http_resp_t *resp, char *err, size_t errsize);


#endif /* RPT_HTTP_H */
