/*
 * A reply is counted as items: one to begin with, each array adds its
 * count, each string, integer, status, error or nil ends one.  The reply
 * ends when none is left, so nested arrays need no stack.
 */

#include <string.h>

#include "icp_resp.h"


/* a length or count past any budget: ten digits cannot wrap the counts */
#define ICP_RESP_DIGITS_MAX  10


enum {
    ICP_RESP_TYPE = 0,
    ICP_RESP_LINE,              /* status, error or integer text */
    ICP_RESP_LINE_CR,
    ICP_RESP_NUMBER,            /* after '$' or '*' */
    ICP_RESP_NUMBER_LF,
    ICP_RESP_BULK
};


static icp_resp_rc_t icp_resp_item(icp_resp_t *f);
static icp_resp_rc_t icp_resp_header(icp_resp_t *f);


void
icp_resp_reset(icp_resp_t *f)
{
    size_t  max_bytes, max_elements;

    max_bytes = f->max_bytes;
    max_elements = f->max_elements;

    memset(f, 0, sizeof(icp_resp_t));

    f->max_bytes = max_bytes;
    f->max_elements = max_elements;
}


icp_resp_rc_t
icp_resp_scan(icp_resp_t *f, const char *p, size_t len, size_t *used)
{
    char           c;
    size_t         n;
    const char    *start, *end, *cr, *q;
    icp_resp_rc_t  rc;

    start = p;
    end = p + len;
    rc = ICP_RESP_MORE;

    while (p < end && rc == ICP_RESP_MORE) {
        q = p;
        c = *p;

        switch (f->stage) {

        case ICP_RESP_TYPE:
            if (f->pending == 0) {
                f->pending = 1;
            }

            if (c == '+' || c == '-' || c == ':') {
                f->stage = ICP_RESP_LINE;

            } else if (c == '$' || c == '*') {
                f->stage = ICP_RESP_NUMBER;
                f->header = (unsigned) c;
                f->number = 0;
                f->digits = 0;
                f->negative = 0;

            } else {
                rc = ICP_RESP_BAD;
                break;
            }

            p++;
            break;

        case ICP_RESP_LINE:
            cr = memchr(p, '\r', end - p);
            p = cr ? cr + 1 : end;

            if (cr) {
                f->stage = ICP_RESP_LINE_CR;
            }

            break;

        case ICP_RESP_LINE_CR:
            /* a CR not before LF is text, as hiredis reads it */
            p++;

            if (c == '\n') {
                rc = icp_resp_item(f);

            } else if (c != '\r') {
                f->stage = ICP_RESP_LINE;
            }

            break;

        case ICP_RESP_NUMBER:
            p++;

            if (c == '-' && f->digits == 0 && !f->negative) {
                f->negative = 1;

            } else if (c >= '0' && c <= '9'
                       && f->digits < ICP_RESP_DIGITS_MAX)
            {
                f->number = f->number * 10 + (size_t) (c - '0');
                f->digits++;

            } else if (c == '\r' && f->digits) {
                f->stage = ICP_RESP_NUMBER_LF;

            } else {
                rc = ICP_RESP_BAD;
            }

            break;

        case ICP_RESP_NUMBER_LF:
            p++;
            rc = (c == '\n') ? icp_resp_header(f) : ICP_RESP_BAD;
            break;

        default: /* ICP_RESP_BULK */
            n = (size_t) (end - p);
            n = (n < f->bulk) ? n : f->bulk;
            p += n;
            f->bulk -= n;

            if (f->bulk == 0) {
                rc = icp_resp_item(f);
            }

            break;
        }

        if (rc == ICP_RESP_BAD) {
            break;
        }

        f->bytes += (size_t) (p - q);

        if (!f->over && f->bytes > f->max_bytes) {
            /* ended or not, its bytes are too many to hand on */
            f->over = ICP_RESP_OVER_BYTES;
            rc = (rc == ICP_RESP_REPLY) ? ICP_RESP_SKIPPED : ICP_RESP_OVER;
        }

        if (rc == ICP_RESP_REPLY || rc == ICP_RESP_SKIPPED) {
            icp_resp_reset(f);
        }
    }

    *used = (size_t) (p - start);

    return rc;
}


/* '$' or '*' and its number were read */

static icp_resp_rc_t
icp_resp_header(icp_resp_t *f)
{
    if (f->negative) {
        /* only -1, the nil string or array */
        return (f->number == 1) ? icp_resp_item(f) : ICP_RESP_BAD;
    }

    if (f->header == '$') {
        f->bulk = f->number + 2;
        f->stage = ICP_RESP_BULK;

        /* refused before its body comes, not after */
        if (!f->over && f->bulk > f->max_bytes - f->bytes) {
            f->over = ICP_RESP_OVER_BYTES;
            return ICP_RESP_OVER;
        }

        return ICP_RESP_MORE;
    }

    if (f->number == 0) {
        return icp_resp_item(f);
    }

    f->pending += f->number - 1;
    f->elements += f->number;
    f->stage = ICP_RESP_TYPE;

    if (!f->over && f->elements > f->max_elements) {
        f->over = ICP_RESP_OVER_ELEMENTS;
        return ICP_RESP_OVER;
    }

    return ICP_RESP_MORE;
}


static icp_resp_rc_t
icp_resp_item(icp_resp_t *f)
{
    f->stage = ICP_RESP_TYPE;

    if (--f->pending) {
        return ICP_RESP_MORE;
    }

    return f->over ? ICP_RESP_SKIPPED : ICP_RESP_REPLY;
}
