/*
 * libFuzzer target: icp_resp_scan against hiredis's own reader.  Every
 * reply the scanner hands on, cut wherever the input says, must be
 * exactly one complete reply to hiredis (and one byte less, none), unless
 * hiredis refuses it (a bad integer, say: the link is dropped then), and
 * the scanner must always move on.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "icp_resp.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


/* 1: hiredis reads the bytes as one whole reply, or refuses them */

static int
whole_reply(const char *p, size_t len, int complete)
{
    int           ok;
    void         *reply;
    redisReader  *r;

    r = redisReaderCreate();
    if (r == NULL) {
        abort();
    }

    reply = NULL;
    ok = redisReaderFeed(r, p, len) != REDIS_OK
         || redisReaderGetReply(r, &reply) != REDIS_OK
         || (complete ? reply != NULL : reply == NULL);

    if (reply) {
        freeReplyObject(reply);
    }

    redisReaderFree(r);

    return ok;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t         pos, start, step, used, n;
    icp_resp_t     f;
    icp_resp_rc_t  rc;

    if (size < 1) {
        return 0;
    }

    /* the first byte cuts the rest into reads of 1 to 256 bytes */
    step = (size_t) data[0] + 1;
    data++;
    size--;

    memset(&f, 0, sizeof(f));
    f.max_bytes = 4096;
    f.max_elements = 64;

    pos = 0;
    start = 0;

    while (pos < size) {
        n = size - pos < step ? size - pos : step;
        rc = icp_resp_scan(&f, (const char *) data + pos, n, &used);

        if (used > n || (used == 0 && rc == ICP_RESP_MORE)) {
            abort();
        }

        pos += used;

        if (rc == ICP_RESP_BAD) {
            return 0;
        }

        if (rc == ICP_RESP_REPLY) {
            if (!whole_reply((const char *) data + start, pos - start, 1)
                || !whole_reply((const char *) data + start,
                                pos - start - 1, 0))
            {
                abort();
            }
        }

        if (rc == ICP_RESP_REPLY || rc == ICP_RESP_SKIPPED) {
            start = pos;
        }
    }

    return 0;
}
