/*
 * Query-string decoding for the inputs stage: see icp_query.h for the
 * rules every value goes through.
 */

#include <string.h>

#include "icp_query.h"


const char *const icp_utm_names[ICP_UTM_N] = {
    "source", "medium", "campaign", "term", "content", "id"
};

const char *const icp_click_id_names[] = {
    "gclid", "fbclid", "msclkid", "li_fat_id", NULL
};


static int
icp_hex(int c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }

    c |= 0x20;

    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }

    return -1;
}


int
icp_name_eq(const char *p, size_t len, const char *name)
{
    size_t  i;
    int     c;

    for (i = 0; i < len; i++) {
        c = (unsigned char) p[i];

        if (c >= 'A' && c <= 'Z') {
            c |= 0x20;
        }

        if (name[i] == '\0' || c != name[i]) {
            return 0;
        }
    }

    return name[len] == '\0';
}


/*
 * Length of the valid UTF-8 sequence at p (at most n bytes), or 0 when it
 * is invalid: overlong forms, surrogates and code points past U+10FFFF
 * included.
 */
static size_t
icp_utf8_len(const unsigned char *p, size_t n)
{
    unsigned  c, min, cp;
    size_t    len, i;

    c = p[0];

    if (c < 0x80) {
        return 1;
    }

    if (c >= 0xc2 && c <= 0xdf) {
        len = 2; cp = c & 0x1f; min = 0x80;

    } else if (c >= 0xe0 && c <= 0xef) {
        len = 3; cp = c & 0x0f; min = 0x800;

    } else if (c >= 0xf0 && c <= 0xf4) {
        len = 4; cp = c & 0x07; min = 0x10000;

    } else {
        return 0;
    }

    if (n < len) {
        return 0;
    }

    for (i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80) {
            return 0;
        }
        cp = (cp << 6) | (p[i] & 0x3f);
    }

    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
        return 0;
    }

    return len;
}


size_t
icp_query_decode(char *dst, size_t size, const char *src, size_t len)
{
    unsigned char  raw[ICP_VALUE_MAX * 4], c;
    size_t         i, n, out, clen;
    int            hi, lo;

    /*
     * Nearly every UTM value is printable ASCII with nothing to decode:
     * the prefix that fits is the whole result.
     */

    n = len < size ? len : size;

    for (i = 0; i < n; i++) {
        c = (unsigned char) src[i];

        if (c < 0x20 || c >= 0x7f || c == '%' || c == '+') {
            break;
        }
    }

    if (i == n) {
        memcpy(dst, src, n);
        return n;
    }

    /* decode first, into a bounded buffer: the tail past it is cut anyway */

    n = 0;

    for (i = 0; i < len && n < sizeof(raw); i++) {
        if (src[i] == '+') {
            raw[n++] = ' ';

        } else if (src[i] == '%' && i + 2 < len
                   && (hi = icp_hex((unsigned char) src[i + 1])) >= 0
                   && (lo = icp_hex((unsigned char) src[i + 2])) >= 0)
        {
            raw[n++] = (unsigned char) (hi << 4 | lo);
            i += 2;

        } else {
            raw[n++] = (unsigned char) src[i];
        }
    }

    out = 0;

    for (i = 0; i < n; i += clen) {
        if (raw[i] < 0x20 || raw[i] == 0x7f) {
            clen = 1;
            continue;
        }

        /* nearly every byte of a UTM value: no call, no sequence check */
        if (raw[i] < 0x80) {
            if (out + 1 > size) {
                break;
            }
            dst[out++] = (char) raw[i];
            clen = 1;
            continue;
        }

        clen = icp_utf8_len(raw + i, n - i);

        if (clen == 0) {
            if (out + 1 > size) {
                break;
            }
            dst[out++] = '?';
            clen = 1;
            continue;
        }

        if (out + clen > size) {
            break;
        }

        memcpy(dst + out, raw + i, clen);
        out += clen;
    }

    return out;
}


void
icp_query_walk(const char *args, size_t len, icp_query_pair_pt pair,
    void *data)
{
    const char  *p, *end, *amp, *eq;

    p = args;
    end = args + len;

    while (p < end) {
        amp = memchr(p, '&', end - p);
        if (amp == NULL) {
            amp = end;
        }

        eq = memchr(p, '=', amp - p);

        if (eq == NULL) {
            eq = amp;
        }

        if (pair(data, p, eq - p, eq < amp ? eq + 1 : amp,
                 eq < amp ? (size_t) (amp - eq - 1) : 0))
        {
            return;
        }

        p = amp + 1;
    }
}


static int
icp_query_utm_pair(void *data, const char *name, size_t nlen,
    const char *value, size_t vlen)
{
    int         c;
    icp_utm_t  *utm = data;
    unsigned    i;

    if (nlen > 4 && icp_name_eq(name, 4, "utm_")) {
        /* a name is compared only with those of its first letter */

        c = name[4] | 0x20;

        for (i = 0; i < ICP_UTM_N; i++) {
            if (c == icp_utm_names[i][0]
                && (utm->present & (1u << i)) == 0
                && icp_name_eq(name + 4, nlen - 4, icp_utm_names[i]))
            {
                utm->len[i] = icp_query_decode(utm->value[i], ICP_VALUE_MAX,
                                               value, vlen);
                utm->present |= 1u << i;
                break;
            }
        }

        return 0;
    }

    if (utm->click_id == NULL && vlen > 0) {
        c = name[0] | 0x20;

        for (i = 0; icp_click_id_names[i]; i++) {
            if (c == icp_click_id_names[i][0]
                && icp_name_eq(name, nlen, icp_click_id_names[i]))
            {
                utm->click_id = icp_click_id_names[i];
                break;
            }
        }
    }

    return 0;
}


unsigned
icp_query_utm(const char *args, size_t len, icp_utm_t *utm)
{
    memset(utm, 0, sizeof(icp_utm_t));

    icp_query_walk(args, len, icp_query_utm_pair, utm);

    return utm->present;
}


typedef struct {
    const char  *name;
    char        *out;
    size_t       size;
    long         len;
} icp_query_arg_t;


static int
icp_query_arg_pair(void *data, const char *name, size_t nlen,
    const char *value, size_t vlen)
{
    icp_query_arg_t  *arg = data;

    if (!icp_name_eq(name, nlen, arg->name)) {
        return 0;
    }

    arg->len = (long) icp_query_decode(arg->out, arg->size, value, vlen);

    return 1;
}


long
icp_query_arg(const char *args, size_t len, const char *name, char *out,
    size_t size)
{
    icp_query_arg_t  arg;

    arg.name = name;
    arg.out = out;
    arg.size = size;
    arg.len = -1;

    icp_query_walk(args, len, icp_query_arg_pair, &arg);

    return arg.len;
}
