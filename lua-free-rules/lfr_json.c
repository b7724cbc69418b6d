/*
 * JSON string escaping for the log record and the CLI.  The output is
 * always valid JSON string content: invalid UTF-8 becomes U+FFFD, one per
 * maximal ill-formed subpart, as the Unicode standard recommends.
 */

#include <stdint.h>
#include <string.h>

#include "lfr_int.h"


/*
 * Length of the well-formed UTF-8 sequence at p (1..4), or 0 with *bad set
 * to the number of bytes one U+FFFD replaces.
 */
static size_t
lfr_utf8_seq(const unsigned char *p, size_t len, size_t *bad)
{
    size_t         n, i;
    unsigned char  lo, hi, c;

    c = p[0];

    if (c >= 0xc2 && c <= 0xdf) {
        n = 2;
    } else if (c >= 0xe0 && c <= 0xef) {
        n = 3;
    } else if (c >= 0xf0 && c <= 0xf4) {
        n = 4;
    } else {
        *bad = 1;
        return 0;
    }

    /* the second byte's range excludes overlongs, surrogates, > U+10FFFF */
    lo = 0x80;
    hi = 0xbf;

    if (c == 0xe0) {
        lo = 0xa0;
    } else if (c == 0xed) {
        hi = 0x9f;
    } else if (c == 0xf0) {
        lo = 0x90;
    } else if (c == 0xf4) {
        hi = 0x8f;
    }

    for (i = 1; i < n; i++) {
        if (i >= len || p[i] < lo || p[i] > hi) {
            *bad = i;
            return 0;
        }

        lo = 0x80;
        hi = 0xbf;
    }

    return n;
}


int
lfr_utf8_valid(const char *s, size_t len)
{
    size_t                n, bad;
    uint64_t              w;
    const unsigned char  *p, *end;

    p = (const unsigned char *) s;
    end = p + len;

    while (p < end) {
        /* ASCII eight bytes at a time: most inputs are all ASCII */
        if (end - p >= 8) {
            memcpy(&w, p, 8);

            if ((w & 0x8080808080808080ULL) == 0) {
                p += 8;
                continue;
            }
        }

        if (*p < 0x80) {
            p++;
            continue;
        }

        n = lfr_utf8_seq(p, end - p, &bad);
        if (n == 0) {
            return 0;
        }

        p += n;
    }

    return 1;
}


size_t
lfr_json_escape(char *dst, size_t size, const char *src, size_t len)
{
    size_t                need, n, bad, i;
    int                   full;
    char                  esc[8];
    const char           *out;
    const unsigned char  *p, *end;

    static const char     hex[] = "0123456789abcdef";

    p = (const unsigned char *) src;
    end = p + len;
    need = 0;
    full = 0;

    while (p < end) {
        out = esc;

        if (*p >= 0x80) {
            n = lfr_utf8_seq(p, end - p, &bad);

            if (n) {
                out = (const char *) p;
                p += n;

            } else {
                memcpy(esc, "\xef\xbf\xbd", 3);
                n = 3;
                p += bad;
            }

        } else if (*p == '"' || *p == '\\') {
            esc[0] = '\\';
            esc[1] = (char) *p++;
            n = 2;

        } else if (*p == '\n' || *p == '\r' || *p == '\t') {
            esc[0] = '\\';
            esc[1] = *p == '\n' ? 'n' : (*p == '\r' ? 'r' : 't');
            p++;
            n = 2;

        } else if (*p < 0x20 || *p == 0x7f) {
            memcpy(esc, "\\u00", 4);
            esc[4] = hex[*p >> 4];
            esc[5] = hex[*p & 0xf];
            p++;
            n = 6;

        } else {
            out = (const char *) p++;
            n = 1;
        }

        /* never a partial escape: a truncated output stays valid */
        if (!full && need + n <= size) {
            for (i = 0; i < n; i++) {
                dst[need + i] = out[i];
            }

        } else {
            full = 1;
        }

        need += n;
    }

    return need;
}


/*
 * Most strings of a log record have nothing to escape: they are copied in
 * the pass that checks them, eight bytes at a time (a byte of 0x80 or
 * more, below 0x20, '"', '\\' or 0x7f stops the word), the rest one by
 * one.
 */
size_t
lfr_json_plain(char *dst, const char *src, size_t len)
{
    size_t                i;
    uint64_t              w;
    const unsigned char  *s;

    s = (const unsigned char *) src;

    for (i = 0; i + 8 <= len; i += 8) {
        memcpy(&w, s + i, 8);

        if ((w & LFR_HIGHS)
            | lfr_has_zero(w & ~(0x1fULL * LFR_ONES))
            | lfr_has_zero(w ^ (0x22ULL * LFR_ONES))
            | lfr_has_zero(w ^ (0x5cULL * LFR_ONES))
            | lfr_has_zero(w ^ (0x7fULL * LFR_ONES)))
        {
            break;
        }

        memcpy(dst + i, &w, 8);
    }

    while (i < len && s[i] >= 0x20 && s[i] < 0x7f && s[i] != '"'
           && s[i] != '\\')
    {
        dst[i] = (char) s[i];
        i++;
    }

    return i;
}


/* a byte below 0x20 or DEL in the eight at s */

static int
lfr_control8(const char *s)
{
    uint64_t  w;

    memcpy(&w, s, 8);

    return (lfr_has_zero(w & ~(0x1fULL * LFR_ONES))
            | lfr_has_zero(w ^ (0x7fULL * LFR_ONES)))
           != 0;
}


/*
 * Eight bytes a step, the last eight overlapping what was seen: a byte
 * at a time cost a lookup miss a measurable share (bench/README.md).
 */

int
lfr_has_control(const char *s, size_t len)
{
    size_t  i;

    if (len >= 8) {
        for (i = 0; i < len - 8; i += 8) {
            if (lfr_control8(s + i)) {
                return 1;
            }
        }

        return lfr_control8(s + len - 8);
    }

    for (i = 0; i < len; i++) {
        if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f) {
            return 1;
        }
    }

    return 0;
}
