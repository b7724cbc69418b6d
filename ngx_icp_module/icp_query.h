/*
 * UTM parameters and click ids from a query string: plain C, no nginx
 * types, so the unit tests and the fuzzer drive the same code the module
 * runs.
 *
 * Rules (documented in README): parameter names match ASCII-case-
 * insensitively; the first occurrence of a parameter wins; values are
 * percent-decoded with '+' as space, a '%' not followed by two hex digits
 * is kept literally; control characters (including a decoded %00) are
 * dropped, bytes that are not valid UTF-8 become '?', and the result is
 * cut to ICP_VALUE_MAX bytes on a character boundary.
 */

#ifndef ICP_QUERY_H
#define ICP_QUERY_H

#include <stddef.h>

#define ICP_VALUE_MAX  64
#define ICP_UTM_N      6

enum {
    ICP_UTM_SOURCE = 0,
    ICP_UTM_MEDIUM,
    ICP_UTM_CAMPAIGN,
    ICP_UTM_TERM,
    ICP_UTM_CONTENT,
    ICP_UTM_ID
};

typedef struct {
    char         value[ICP_UTM_N][ICP_VALUE_MAX];
    size_t       len[ICP_UTM_N];
    unsigned     present;          /* bit i: utm field i was given */
    const char  *click_id;         /* "gclid", ...; NULL if none */
} icp_utm_t;

extern const char *const icp_utm_names[ICP_UTM_N];  /* "source", ... */
extern const char *const icp_click_id_names[];      /* NULL-terminated */

/* Fills utm from the query string; returns utm->present. */
unsigned icp_query_utm(const char *args, size_t len, icp_utm_t *utm);

/*
 * The decoded, sanitized value of the first parameter called name, cut to
 * size bytes; returns its length, or -1 when the parameter is absent.
 */
long icp_query_arg(const char *args, size_t len, const char *name,
    char *out, size_t size);

/*
 * Calls pair for each name=value in args, raw (not decoded); stops when it
 * returns non-zero.
 */
typedef int (*icp_query_pair_pt)(void *data, const char *name, size_t nlen,
    const char *value, size_t vlen);

void icp_query_walk(const char *args, size_t len, icp_query_pair_pt pair,
    void *data);

/* Whether the raw name p equals the lower-case name, ignoring ASCII case. */
int icp_name_eq(const char *p, size_t len, const char *name);

/* Percent-decode and sanitize src into dst (size bytes); returns length. */
size_t icp_query_decode(char *dst, size_t size, const char *src,
    size_t len);

#endif /* ICP_QUERY_H */
