/*
 * libFuzzer target: the query-string / UTM decoder (icp_query.c) on
 * arbitrary query strings.  Every value it returns must keep the promises
 * of icp_query.h (bounded, valid UTF-8, no control character), and a value
 * percent-encoded back must decode to itself.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "lfr.h"
#include "icp_query.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static void
check_value(const char *v, size_t len, size_t size)
{
    static const char  hex[] = "0123456789abcdef";
    char               enc[ICP_VALUE_MAX * 3], back[ICP_VALUE_MAX];
    size_t             i;

    /* size is at most ICP_VALUE_MAX */
    if (len > size || !lfr_utf8_valid(v, len)) {
        abort();
    }

    for (i = 0; i < len; i++) {
        if ((unsigned char) v[i] < 0x20 || v[i] == 0x7f) {
            abort();
        }
    }

    for (i = 0; i < len; i++) {
        enc[3 * i] = '%';
        enc[3 * i + 1] = hex[(unsigned char) v[i] >> 4];
        enc[3 * i + 2] = hex[v[i] & 15];
    }

    if (icp_query_decode(back, ICP_VALUE_MAX, enc, 3 * len) != len
        || memcmp(back, v, len) != 0)
    {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char  *args, *const *c;
    char         out[ICP_VALUE_MAX];
    unsigned     i;
    size_t       cap;
    long         n;
    icp_utm_t    utm;

    args = (const char *) data;

    if (icp_query_utm(args, size, &utm) >> ICP_UTM_N) {
        abort();
    }

    for (i = 0; i < ICP_UTM_N; i++) {
        if (utm.present & (1u << i)) {
            check_value(utm.value[i], utm.len[i], ICP_VALUE_MAX);

        } else if (utm.len[i] != 0) {
            abort();
        }
    }

    if (utm.click_id) {
        for (c = icp_click_id_names; *c && *c != utm.click_id; c++) {
            /* find it */
        }

        if (*c == NULL) {
            abort();
        }
    }

    /* a cap that cuts values short, taken from the input itself */
    cap = size ? data[size - 1] % (ICP_VALUE_MAX + 1) : ICP_VALUE_MAX;

    n = icp_query_arg(args, size, "utm_source", out, cap);
    if (n >= 0) {
        check_value(out, (size_t) n, cap);

        if ((utm.present & 1) == 0) {
            abort();
        }

        /* the same first parameter, cut at a character boundary */
        if ((size_t) n > utm.len[ICP_UTM_SOURCE]
            || memcmp(out, utm.value[ICP_UTM_SOURCE], n) != 0)
        {
            abort();
        }
    }

    return 0;
}
