/*
 * icp-report: single-pass parser of one $icp_json log line.
 *
 * The line is walked once, left to right.  Known keys are stored as slices
 * of the line; strings with escapes are decoded in place (a decoded string
 * is never longer than its escaped form); all other values are checked and
 * skipped.  The walk is strict JSON, so a torn or garbled line is refused
 * instead of being half counted.
 */

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report/line.h"


/* Nesting deeper than this in skipped values makes the line malformed. */
#define RPT_MAX_DEPTH  32


/* Bytes that end the plain run of a string: quote, backslash, controls. */
static const unsigned char  rpt_stop[256] = {
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
};


typedef struct {
    char        *p;
    char        *end;
} rpt_cur_t;


static int rpt_skip_value(rpt_cur_t *c, unsigned depth);


static void
rpt_skip_ws(rpt_cur_t *c)
{
    while (c->p < c->end
           && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r'
               || *c->p == '\n'))
    {
        c->p++;
    }
}


static int
rpt_expect(rpt_cur_t *c, char ch)
{
    rpt_skip_ws(c);

    if (c->p == c->end || *c->p != ch) {
        return -1;
    }

    c->p++;
    return 0;
}


static int
rpt_hex4(const char *p, unsigned *out)
{
    unsigned  i, v, d;

    v = 0;

    for (i = 0; i < 4; i++) {
        d = (unsigned char) p[i];

        if (d >= '0' && d <= '9') {
            d -= '0';
        } else if ((d | 0x20) >= 'a' && (d | 0x20) <= 'f') {
            d = (d | 0x20) - 'a' + 10;
        } else {
            return -1;
        }

        v = v << 4 | d;
    }

    *out = v;
    return 0;
}


static char *
rpt_put_utf8(char *w, unsigned cp)
{
    if (cp < 0x80) {
        *w++ = (char) cp;
    } else if (cp < 0x800) {
        *w++ = (char) (0xc0 | cp >> 6);
        *w++ = (char) (0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *w++ = (char) (0xe0 | cp >> 12);
        *w++ = (char) (0x80 | (cp >> 6 & 0x3f));
        *w++ = (char) (0x80 | (cp & 0x3f));
    } else {
        *w++ = (char) (0xf0 | cp >> 18);
        *w++ = (char) (0x80 | (cp >> 12 & 0x3f));
        *w++ = (char) (0x80 | (cp >> 6 & 0x3f));
        *w++ = (char) (0x80 | (cp & 0x3f));
    }

    return w;
}


/*
 * Decodes one escape at c->p (just past the backslash) to w.  A lone
 * surrogate becomes U+FFFD, as the module's escaper does for bad UTF-8.
 * \u0000 is refused: names and ids are C strings in the report.
 */
static char *
rpt_unescape(rpt_cur_t *c, char *w)
{
    unsigned  cp, lo;

    if (c->p == c->end) {
        return NULL;
    }

    switch (*c->p++) {
    case '"':  *w++ = '"';  return w;
    case '\\': *w++ = '\\'; return w;
    case '/':  *w++ = '/';  return w;
    case 'b':  *w++ = '\b'; return w;
    case 'f':  *w++ = '\f'; return w;
    case 'n':  *w++ = '\n'; return w;
    case 'r':  *w++ = '\r'; return w;
    case 't':  *w++ = '\t'; return w;
    case 'u':  break;
    default:   return NULL;
    }

    if (c->end - c->p < 4 || rpt_hex4(c->p, &cp) != 0) {
        return NULL;
    }

    c->p += 4;

    if (cp == 0) {
        return NULL;
    }

    if (cp >= 0xd800 && cp <= 0xdbff) {
        if (c->end - c->p >= 6 && c->p[0] == '\\' && c->p[1] == 'u'
            && rpt_hex4(c->p + 2, &lo) == 0 && lo >= 0xdc00 && lo <= 0xdfff)
        {
            c->p += 6;
            cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);

        } else {
            cp = 0xfffd;
        }

    } else if (cp >= 0xdc00 && cp <= 0xdfff) {
        cp = 0xfffd;
    }

    return rpt_put_utf8(w, cp);
}


/* c->p is at the opening quote. */
static int
rpt_string(rpt_cur_t *c, lfr_str_t *out)
{
    char           *start, *w;
    unsigned char   ch;

    start = ++c->p;

    /* the common case: no escapes, the slice is the line itself */
    while (c->p < c->end && !rpt_stop[(unsigned char) *c->p]) {
        c->p++;
    }

    if (c->p == c->end || (unsigned char) *c->p < 0x20) {
        return -1;
    }

    if (*c->p == '"') {
        out->data = start;
        out->len = c->p++ - start;
        return 0;
    }

    w = c->p;

    for ( ;; ) {
        if (c->p == c->end) {
            return -1;
        }

        ch = (unsigned char) *c->p;

        if (ch == '"') {
            c->p++;
            out->data = start;
            out->len = w - start;
            return 0;
        }

        if (ch < 0x20) {
            return -1;
        }

        if (ch == '\\') {
            c->p++;
            w = rpt_unescape(c, w);

            if (w == NULL) {
                return -1;
            }

            continue;
        }

        *w++ = *c->p++;
    }
}


static int
rpt_string_value(rpt_cur_t *c, lfr_str_t *out)
{
    rpt_skip_ws(c);

    if (c->p == c->end || *c->p != '"') {
        return -1;
    }

    return rpt_string(c, out);
}


static int
rpt_digits(rpt_cur_t *c)
{
    char  *start;

    start = c->p;

    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        c->p++;
    }

    return c->p > start ? 0 : -1;
}


/* The JSON number grammar; *value is set when value != NULL. */
static int
rpt_number(rpt_cur_t *c, double *value)
{
    char   *start, *p, buf[64];
    size_t  len;
    int     integer;

    start = c->p;
    integer = 1;

    if (c->p < c->end && *c->p == '-') {
        c->p++;
        integer = 0;
    }

    if (c->p < c->end && *c->p == '0') {
        c->p++;

    } else if (rpt_digits(c) != 0) {
        return -1;
    }

    if (c->p < c->end && *c->p == '.') {
        c->p++;
        integer = 0;

        if (rpt_digits(c) != 0) {
            return -1;
        }
    }

    if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
        c->p++;
        integer = 0;

        if (c->p < c->end && (*c->p == '+' || *c->p == '-')) {
            c->p++;
        }

        if (rpt_digits(c) != 0) {
            return -1;
        }
    }

    if (value == NULL) {
        return 0;
    }

    len = c->p - start;

    /* weights are small integers: exact in a double, no strtod needed */
    if (integer && len <= 15) {
        *value = 0;

        for (p = start; p < c->p; p++) {
            *value = *value * 10 + (*p - '0');
        }

        return 0;
    }

    /* the line need not end in a NUL, so strtod reads a copy */
    if (len >= sizeof(buf)) {
        return -1;
    }

    memcpy(buf, start, len);
    buf[len] = '\0';
    *value = strtod(buf, NULL);

    return 0;
}


/* A conversion's amount: a number, and a finite one. */
static int
rpt_value(rpt_cur_t *c, double *value)
{
    return (rpt_number(c, value) == 0 && isfinite(*value)) ? 0 : -1;
}


static int
rpt_literal(rpt_cur_t *c, const char *word, size_t len)
{
    if ((size_t) (c->end - c->p) < len || memcmp(c->p, word, len) != 0) {
        return -1;
    }

    c->p += len;
    return 0;
}


static int
rpt_bool(rpt_cur_t *c, unsigned *out)
{
    rpt_skip_ws(c);

    if (rpt_literal(c, "true", 4) == 0) {
        *out = 1;
        return 0;
    }

    if (rpt_literal(c, "false", 5) == 0) {
        *out = 0;
        return 0;
    }

    return -1;
}


/*
 * Walks the members of an object or the elements of an array: c->p is
 * past the opening bracket; calls member() for each one.  For objects the
 * key is decoded and passed, for arrays key is NULL.
 */
typedef int (*rpt_member_pt)(rpt_cur_t *c, lfr_str_t *key, void *ctx,
    unsigned depth);

static int
rpt_members(rpt_cur_t *c, char close, rpt_member_pt member, void *ctx,
    unsigned depth)
{
    lfr_str_t  key, *k;

    rpt_skip_ws(c);

    if (c->p < c->end && *c->p == close) {
        c->p++;
        return 0;
    }

    k = (close == '}') ? &key : NULL;

    for ( ;; ) {
        if (k != NULL) {
            if (rpt_string_value(c, k) != 0 || rpt_expect(c, ':') != 0) {
                return -1;
            }
        }

        rpt_skip_ws(c);

        if (member(c, k, ctx, depth) != 0) {
            return -1;
        }

        rpt_skip_ws(c);

        if (c->p == c->end) {
            return -1;
        }

        if (*c->p == close) {
            c->p++;
            return 0;
        }

        if (*c->p++ != ',') {
            return -1;
        }
    }
}


static int
rpt_skip_member(rpt_cur_t *c, lfr_str_t *key, void *ctx, unsigned depth)
{
    (void) key;
    (void) ctx;

    return rpt_skip_value(c, depth);
}


static int
rpt_skip_value(rpt_cur_t *c, unsigned depth)
{
    lfr_str_t  s;

    if (c->p == c->end) {
        return -1;
    }

    switch (*c->p) {
    case '"':
        return rpt_string(c, &s);

    case '{':
    case '[':
        if (depth == RPT_MAX_DEPTH) {
            return -1;
        }

        return rpt_members(c, *c->p++ == '{' ? '}' : ']', rpt_skip_member,
                           NULL, depth + 1);

    case 't':
        return rpt_literal(c, "true", 4);

    case 'f':
        return rpt_literal(c, "false", 5);

    case 'n':
        return rpt_literal(c, "null", 4);

    default:
        return rpt_number(c, NULL);
    }
}


static int
rpt_is(const lfr_str_t *s, const char *word, size_t len)
{
    return s->len == len && memcmp(s->data, word, len) == 0;
}


static int
rpt_weight_member(rpt_cur_t *c, lfr_str_t *key, void *ctx, unsigned depth)
{
    rpt_rec_t  *rec = ctx;

    (void) depth;

    if (rec->nweights == RPT_MAX_WEIGHTS) {
        return -1;
    }

    rec->weights[rec->nweights].name = *key;

    /*
     * the module writes whole weights from 1 up; 0, a negative, 1e400
     * (infinite) or 1e-400 (0) is no share of traffic, and a sample-ratio
     * check against it would be meaningless
     */
    if (rpt_number(c, &rec->weights[rec->nweights].weight) != 0
        || !isfinite(rec->weights[rec->nweights].weight)
        || !(rec->weights[rec->nweights].weight > 0))
    {
        return -1;
    }

    rec->nweights++;
    return 0;
}


static int
rpt_assign_field(rpt_cur_t *c, lfr_str_t *key, void *ctx, unsigned depth)
{
    rpt_assign_t  *a = ctx;

    if (rpt_is(key, "exp", 3)) {
        return rpt_string_value(c, &a->exp);
    }

    if (rpt_is(key, "var", 3)) {
        return rpt_string_value(c, &a->var);
    }

    return rpt_skip_value(c, depth + 1);
}


static int
rpt_assign_member(rpt_cur_t *c, lfr_str_t *key, void *ctx, unsigned depth)
{
    rpt_rec_t     *rec = ctx;
    rpt_assign_t  *a;

    (void) key;

    if (rec->nassign == RPT_MAX_ASSIGN || c->p == c->end || *c->p != '{') {
        return -1;
    }

    c->p++;
    a = &rec->assign[rec->nassign];
    a->exp.data = NULL;
    a->var.data = NULL;

    if (rpt_members(c, '}', rpt_assign_field, a, depth + 1) != 0
        || a->exp.data == NULL || a->var.data == NULL)
    {
        return -1;
    }

    rec->nassign++;
    return 0;
}


static int
rpt_container(rpt_cur_t *c, char open, rpt_member_pt member, rpt_rec_t *rec)
{
    if (c->p == c->end || *c->p != open) {
        return -1;
    }

    c->p++;

    return rpt_members(c, open == '{' ? '}' : ']', member, rec, 1);
}


static int
rpt_type(rpt_cur_t *c, rpt_rec_t *rec)
{
    lfr_str_t  s;

    if (rpt_string_value(c, &s) != 0) {
        return -1;
    }

    if (rpt_is(&s, "exposure", 8)) {
        rec->type = RPT_REC_EXPOSURE;

    } else if (rpt_is(&s, "conversion", 10)) {
        rec->type = RPT_REC_CONVERSION;

    } else {
        rec->type = RPT_REC_OTHER;
    }

    return 0;
}


static int
rpt_top_member(rpt_cur_t *c, lfr_str_t *key, void *ctx, unsigned depth)
{
    rpt_rec_t  *rec = ctx;

    switch (key->len) {
    case 2:
        if (rpt_is(key, "ts", 2)) {
            return rpt_string_value(c, &rec->ts);
        }
        break;

    case 3:
        if (rpt_is(key, "vid", 3)) {
            return rpt_string_value(c, &rec->vid);
        }
        if (rpt_is(key, "seg", 3)) {
            return rpt_string_value(c, &rec->seg);
        }
        if (rpt_is(key, "per", 3)) {
            return rpt_string_value(c, &rec->per);
        }
        if (rpt_is(key, "exp", 3)) {
            return rpt_string_value(c, &rec->exp);
        }
        if (rpt_is(key, "var", 3)) {
            return rpt_string_value(c, &rec->var);
        }
        if (rpt_is(key, "bot", 3)) {
            return rpt_bool(c, &rec->bot);
        }
        break;

    case 4:
        if (rpt_is(key, "type", 4)) {
            return rpt_type(c, rec);
        }
        if (rpt_is(key, "goal", 4)) {
            return rpt_string_value(c, &rec->goal);
        }
        break;

    case 5:
        if (rpt_is(key, "phase", 5)) {
            return rpt_string_value(c, &rec->phase);
        }
        if (rpt_is(key, "value", 5)) {
            rec->has_value = 1;
            return rpt_value(c, &rec->value);
        }
        break;

    case 7:
        if (rpt_is(key, "weights", 7)) {
            rec->nweights = 0;
            return rpt_container(c, '{', rpt_weight_member, rec);
        }
        if (rpt_is(key, "preview", 7)) {
            return rpt_bool(c, &rec->preview);
        }
        break;

    case 11:
        if (rpt_is(key, "assignments", 11)) {
            rec->nassign = 0;
            return rpt_container(c, '[', rpt_assign_member, rec);
        }
        break;
    }

    return rpt_skip_value(c, depth);
}


int
rpt_parse_line(char *line, size_t len, rpt_rec_t *rec)
{
    rpt_cur_t  c;

    /* the arrays are bounded by their counts: only the head is cleared */
    memset(rec, 0, offsetof(rpt_rec_t, weights));
    rec->nassign = 0;

    c.p = line;
    c.end = line + len;

    if (rpt_expect(&c, '{') != 0
        || rpt_members(&c, '}', rpt_top_member, rec, 1) != 0)
    {
        return -1;
    }

    rpt_skip_ws(&c);

    if (c.p != c.end) {
        return -1;
    }

    switch (rec->type) {
    case RPT_REC_EXPOSURE:
        return (rec->vid.data && rec->exp.data && rec->var.data) ? 0 : -1;

    case RPT_REC_CONVERSION:
        return rec->vid.data ? 0 : -1;

    case RPT_REC_OTHER:
        return 0;

    default:
        return -1;
    }
}
