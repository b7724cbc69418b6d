/*
 * icp-report: one HTTP/1.0 POST over a plain socket.  HTTP/1.0 with
 * "Connection: close" makes the server end the body by closing the
 * connection, so no chunked encoding is to be decoded (ClickHouse answers
 * a 1.0 request so); a chunked answer is refused rather than misread.
 */

#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "report/http.h"


/* A query that takes longer is given up: nothing would print meanwhile. */
#define RPT_HTTP_TIMEOUT  1800


typedef struct {
    char         host[256];
    char         port[8];
    const char  *target;        /* path and query, "/" when empty */
} rpt_url_t;


static int
rpt_url_parse(const char *url, rpt_url_t *u)
{
    size_t       n;
    const char  *p, *end, *colon;

    if (strncmp(url, "http://", 7) != 0) {
        return -1;
    }

    p = url + 7;
    end = p + strcspn(p, "/?");
    u->target = *end ? end : "/";

    if (*p == '[') {
        /* [v6]:port */
        colon = memchr(p, ']', end - p);

        if (colon == NULL) {
            return -1;
        }

        p++;
        n = colon - p;
        colon = (colon + 1 < end && colon[1] == ':') ? colon + 1 : NULL;

    } else {
        colon = memchr(p, ':', end - p);
        n = (colon ? colon : end) - p;
    }

    if (n == 0 || n >= sizeof(u->host)) {
        return -1;
    }

    memcpy(u->host, p, n);
    u->host[n] = '\0';

    if (colon == NULL) {
        strcpy(u->port, "80");
        return 0;
    }

    n = end - colon - 1;

    if (n == 0 || n >= sizeof(u->port)
        || strspn(colon + 1, "0123456789") < n)
    {
        return -1;
    }

    memcpy(u->port, colon + 1, n);
    u->port[n] = '\0';

    return 0;
}


static int
rpt_connect(const rpt_url_t *u, char *err, size_t errsize)
{
    int               fd, rc;
    struct addrinfo   hints, *res, *ai;
    struct timeval    tv;

    memset(&hints, 0, sizeof(hints));
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;

    rc = getaddrinfo(u->host, u->port, &hints, &res);

    if (rc != 0) {
        snprintf(err, errsize, "%s: %s", u->host, gai_strerror(rc));
        return -1;
    }

    fd = -1;
    errno = 0;

    for (ai = res; ai != NULL && fd == -1; ai = ai->ai_next) {
        fd = socket(ai->ai_family, ai->ai_socktype, ai->ai_protocol);

        if (fd != -1 && connect(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
            close(fd);
            fd = -1;
        }
    }

    freeaddrinfo(res);

    if (fd == -1) {
        snprintf(err, errsize, "%s:%s: %s", u->host, u->port,
                 strerror(errno));
        return -1;
    }

    tv.tv_sec = RPT_HTTP_TIMEOUT;
    tv.tv_usec = 0;
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));

    return fd;
}


static int
rpt_send_all(int fd, const char *p, size_t len)
{
    ssize_t  n;

    while (len > 0) {
        n = send(fd, p, len, MSG_NOSIGNAL);

        if (n < 0 && errno == EINTR) {
            continue;
        }

        if (n <= 0) {
            return -1;
        }

        p += n;
        len -= n;
    }

    return 0;
}


/* Reads to the end of the stream; the buffer is NUL-terminated. */
static int
rpt_recv_all(int fd, char **out, size_t *len)
{
    size_t    cap, n;
    ssize_t   got;
    char     *buf, *p;

    cap = 64 * 1024;
    n = 0;
    buf = malloc(cap);

    if (buf == NULL) {
        return -1;
    }

    for ( ;; ) {
        if (cap - n < 4096) {
            p = realloc(buf, cap * 2);

            if (p == NULL) {
                free(buf);
                return -1;
            }

            buf = p;
            cap *= 2;
        }

        got = recv(fd, buf + n, cap - n - 1, 0);

        if (got < 0 && errno == EINTR) {
            continue;
        }

        if (got < 0) {
            free(buf);
            return -1;
        }

        if (got == 0) {
            break;
        }

        n += got;
    }

    buf[n] = '\0';
    *out = buf;
    *len = n;

    return 0;
}


/* A header's line, case-insensitively, in head[0..len). */
static int
rpt_has_header(const char *head, size_t len, const char *line)
{
    size_t       n;
    const char  *p, *end;

    n = strlen(line);
    end = head + len;

    for (p = head; p != NULL && p < end; p = memchr(p, '\n', end - p)) {
        p++;

        if ((size_t) (end - p) >= n && strncasecmp(p, line, n) == 0) {
            return 1;
        }
    }

    return 0;
}


int
rpt_http_post(const char *url, const char *body, size_t len,
    rpt_http_resp_t *resp, char *err, size_t errsize)
{
    int         fd, rc, status;
    char        head[512], *raw, *sep;
    size_t      n, rawlen;
    rpt_url_t   u;

    if (rpt_url_parse(url, &u) != 0) {
        snprintf(err, errsize, "%s: not an http://host[:port]/ url", url);
        return -1;
    }

    fd = rpt_connect(&u, err, errsize);

    if (fd == -1) {
        return -1;
    }

    n = snprintf(head, sizeof(head),
                 "POST %.*s HTTP/1.0\r\nHost: %s:%s\r\n"
                 "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                 (int) strcspn(u.target, "#"), u.target, u.host, u.port, len);
    rc = -1;

    if (n >= sizeof(head)) {
        snprintf(err, errsize, "%s: url too long", url);

    } else if (rpt_send_all(fd, head, n) != 0
               || rpt_send_all(fd, body, len) != 0
               || rpt_recv_all(fd, &raw, &rawlen) != 0)
    {
        snprintf(err, errsize, "%s:%s: %s", u.host, u.port,
                 errno ? strerror(errno) : "out of memory");

    } else {
        rc = 0;
    }

    close(fd);

    if (rc != 0) {
        return -1;
    }

    sep = strstr(raw, "\r\n\r\n");

    if (sep == NULL || sscanf(raw, "HTTP/1.%*[01] %d", &status) != 1
        || rpt_has_header(raw, sep - raw, "transfer-encoding: chunked"))
    {
        snprintf(err, errsize, "%s:%s: not an HTTP/1.0 response", u.host,
                 u.port);
        free(raw);
        return -1;
    }

    /* the body moves to the front of the buffer it came in */
    n = rawlen - (sep + 4 - raw);
    memmove(raw, sep + 4, n + 1);
    resp->status = status;
    resp->body = raw;
    resp->len = n;

    return 0;
}
