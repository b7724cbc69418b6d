/*
 * libFuzzer target: lfr_json_escape, the escaper behind every string of the
 * log record.  A strict JSON string reader written here, independent of
 * the escaper, must accept the output (full and cut short), and reading it
 * back must give the input whenever the input was valid UTF-8.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lfr.h"
#include "lfr.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static int
hex4(const unsigned char *p, unsigned *v)
{
    int  i, c;

    *v = 0;

    for (i = 0; i < 4; i++) {
        c = p[i];

        if (c >= '0' && c <= '9') {
            c -= '0';
        } else if (c >= 'a' && c <= 'f') {
            c -= 'a' - 10;
        } else if (c >= 'A' && c <= 'F') {
            c -= 'A' - 10;
        } else {
            return -1;
        }

        *v = *v << 4 | c;
    }

    return 0;
}


static size_t
put_utf8(unsigned char *d, unsigned cp)
{
    if (cp < 0x80) {
        d[0] = cp;
        return 1;
    }

    if (cp < 0x800) {
        d[0] = 0xc0 | cp >> 6;
        d[1] = 0x80 | (cp & 0x3f);
        return 2;
    }

    if (cp < 0x10000) {
        d[0] = 0xe0 | cp >> 12;
        d[1] = 0x80 | (cp >> 6 & 0x3f);
        d[2] = 0x80 | (cp & 0x3f);
        return 3;
    }

    d[0] = 0xf0 | cp >> 18;
    d[1] = 0x80 | (cp >> 12 & 0x3f);
    d[2] = 0x80 | (cp >> 6 & 0x3f);
    d[3] = 0x80 | (cp & 0x3f);
    return 4;
}


/*
 * Strict RFC 8259 string content (no surrounding quotes): decodes s into
 * out (at least len bytes) and returns the decoded length, or -1 when a
 * JSON parser could reject it or read it as something else.  UTF-8 is
 * checked by code point (overlongs, surrogates, > U+10FFFF are errors),
 * not by the byte ranges lfr_json.c uses.
 */
static long
json_read(const unsigned char *s, size_t len, unsigned char *out)
{
    size_t    i, n, o, k;
    unsigned  cp, lo, min;

    o = 0;

    for (i = 0; i < len; i += n) {
        if (s[i] == '"' || s[i] < 0x20) {
            return -1;
        }

        if (s[i] == '\\') {
            if (i + 1 >= len) {
                return -1;
            }

            n = 2;

            switch (s[i + 1]) {
            case '"': case '\\': case '/':
                out[o++] = s[i + 1];
                continue;
            case 'b': out[o++] = '\b'; continue;
            case 'f': out[o++] = '\f'; continue;
            case 'n': out[o++] = '\n'; continue;
            case 'r': out[o++] = '\r'; continue;
            case 't': out[o++] = '\t'; continue;
            case 'u':
                break;
            default:
                return -1;
            }

            if (i + 6 > len || hex4(s + i + 2, &cp) != 0) {
                return -1;
            }

            n = 6;

            if (cp >= 0xdc00 && cp <= 0xdfff) {
                return -1;
            }

            if (cp >= 0xd800 && cp <= 0xdbff) {
                if (i + 12 > len || s[i + 6] != '\\' || s[i + 7] != 'u'
                    || hex4(s + i + 8, &lo) != 0
                    || lo < 0xdc00 || lo > 0xdfff)
                {
                    return -1;
                }

                cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                n = 12;
            }

            o += put_utf8(out + o, cp);
            continue;
        }

        if (s[i] < 0x80) {
            out[o++] = s[i];
            n = 1;
            continue;
        }

        if ((s[i] & 0xe0) == 0xc0) {
            n = 2; cp = s[i] & 0x1f; min = 0x80;
        } else if ((s[i] & 0xf0) == 0xe0) {
            n = 3; cp = s[i] & 0x0f; min = 0x800;
        } else if ((s[i] & 0xf8) == 0xf0) {
            n = 4; cp = s[i] & 0x07; min = 0x10000;
        } else {
            return -1;
        }

        if (i + n > len) {
            return -1;
        }

        for (k = 1; k < n; k++) {
            if ((s[i + k] & 0xc0) != 0x80) {
                return -1;
            }
            cp = cp << 6 | (s[i + k] & 0x3f);
        }

        if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
            return -1;
        }

        memcpy(out + o, s + i, n);
        o += n;
    }

    return (long) o;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t          need, cut, got;
    long            n;
    char           *full, *part;
    unsigned char  *back;

    /* 6 bytes out per byte in is the worst case (\u00XX) */
    need = lfr_json_escape(NULL, 0, (const char *) data, size);

    if (need > 6 * size) {
        abort();
    }

    full = malloc(need + 1);
    back = malloc(need + 1);
    if (full == NULL || back == NULL) {
        abort();
    }

    if (lfr_json_escape(full, need, (const char *) data, size) != need) {
        abort();
    }

    n = json_read((unsigned char *) full, need, back);
    if (n < 0) {
        abort();
    }

    if (lfr_utf8_valid((const char *) data, size)
        && ((size_t) n != size || memcmp(back, data, size) != 0))
    {
        abort();
    }

    /* a buffer too small: a prefix of the full output, still valid */
    cut = size ? data[0] % (need + 1) : 0;
    part = malloc(cut + 1);
    if (part == NULL) {
        abort();
    }

    memset(part, 0xff, cut + 1);

    if (lfr_json_escape(part, cut, (const char *) data, size) != need) {
        abort();
    }

    for (got = 0; got < cut && (unsigned char) part[got] != 0xff; got++) {
        /* count the bytes written */
    }

    if ((unsigned char) part[cut] != 0xff
        || memcmp(part, full, got) != 0
        || json_read((unsigned char *) part, got, back) < 0)
    {
        abort();
    }

    free(part);
    free(back);
    free(full);

    return 0;
}
