/*
 * libFuzzer target: icp_firmo_parse on whatever reply hiredis's own reader
 * makes of arbitrary bytes (RESP), as a reply from a broken Redis would
 * reach the module.  Every pair kept must be a wanted field, within the
 * caps, its name the wanted one's text, its value pointing into the
 * reply.
 *
 * hiredis 0.14 allocates an array of whatever size a "*N" header says
 * (it has no maxelements yet), so inputs announcing huge arrays are
 * skipped: that is the reader's limit, not the parser's.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lfr.h"
#include "icp_firmo.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static const icp_firmo_str_t  wanted[] = {
    { "company", 7 }, { "employees", 9 }, { "revenue", 7 },
    { "domain", 6 }, { "", 0 },
};

#define NWANTED  (sizeof(wanted) / sizeof(wanted[0]))


static int
in_reply(const redisReply *r, const char *p, size_t len)
{
    size_t  i;

    for (i = 0; r->type == REDIS_REPLY_ARRAY && i < r->elements; i++) {
        if (r->element[i]->str == p && r->element[i]->len == len) {
            return 1;
        }
    }

    return 0;
}


static void
check(const redisReply *reply, size_t max)
{
    size_t               i, j, n;
    double               num;
    uint32_t             slots[16];
    icp_firmo_pair_t     pairs[ICP_FIRMO_FIELDS_MAX];
    icp_firmo_wanted_t   set;
    icp_firmo_warning_t  w;

    if (icp_firmo_wanted_slots(NWANTED) > 16) {
        abort();
    }

    icp_firmo_wanted_init(&set, wanted, NWANTED, slots);
    icp_firmo_parse(reply, &set, pairs, max, &n, &w);

    if (n > max) {
        abort();
    }

    for (i = 0; i < n; i++) {
        for (j = 0; j < NWANTED; j++) {
            if (wanted[j].len == pairs[i].name.len
                && memcmp(wanted[j].data, pairs[i].name.data,
                          wanted[j].len) == 0)
            {
                break;
            }
        }

        if (j == NWANTED
            || pairs[i].value.len > ICP_FIRMO_VALUE_MAX
            || pairs[i].name.data != wanted[j].data
            || !in_reply(reply, pairs[i].value.data, pairs[i].value.len))
        {
            abort();
        }

        if ((j == 1 || j == 2)
            && lfr_parse_number(pairs[i].value.data, pairs[i].value.len,
                                &num) != 0)
        {
            abort();
        }
    }
}


static int
huge_array(const uint8_t *data, size_t size)
{
    size_t  i, n;

    for (i = 0; i < size; i++) {
        if (data[i] != '*') {
            continue;
        }

        for (n = 0; i + 1 < size && data[i + 1] >= '0' && data[i + 1] <= '9';
             i++)
        {
            n = n * 10 + (data[i + 1] - '0');

            if (n > 4096) {
                return 1;
            }
        }
    }

    return 0;
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    void         *reply;
    redisReader  *reader;

    if (huge_array(data, size)) {
        return 0;
    }

    reader = redisReaderCreate();
    if (reader == NULL) {
        return 0;
    }

    if (redisReaderFeed(reader, (const char *) data, size) == REDIS_OK
        && redisReaderGetReply(reader, &reply) == REDIS_OK
        && reply != NULL)
    {
        check(reply, 3);
        check(reply, ICP_FIRMO_FIELDS_MAX);
        freeReplyObject(reply);
    }

    redisReaderFree(reader);

    return 0;
}
