/*
 * icp-report: open-addressing hash map of 64-bit keys.
 *
 * Keys are pairs of dense ids, so Fibonacci hashing (multiply, keep the
 * high bits) spreads them well enough for linear probing at half load.
 */

#include <stdlib.h>

#include "report/map.h"


#define RPT_MAP_MULT  0x9e3779b97f4a7c15ULL


static rpt_map_slot_t *
rpt_map_alloc(unsigned shift)
{
    rpt_map_slot_t  *slots;
    size_t           i, n;

    n = (size_t) 1 << (64 - shift);
    slots = malloc(n * sizeof(rpt_map_slot_t));

    if (slots == NULL) {
        return NULL;
    }

    for (i = 0; i < n; i++) {
        slots[i].val = RPT_NO_ID;
    }

    return slots;
}


int
rpt_map_init(rpt_map_t *m)
{
    m->shift = 64 - 8;
    m->n = 0;
    m->slots = rpt_map_alloc(m->shift);

    return m->slots ? 0 : -1;
}


void
rpt_map_free(rpt_map_t *m)
{
    free(m->slots);
    m->slots = NULL;
}


static size_t
rpt_map_slot(const rpt_map_slot_t *slots, unsigned shift, uint64_t key)
{
    size_t  i, mask;

    mask = ((size_t) 1 << (64 - shift)) - 1;

    for (i = (key * RPT_MAP_MULT) >> shift;
         slots[i].val != RPT_NO_ID && slots[i].key != key;
         i = (i + 1) & mask)
    {
        /* linear probing */
    }

    return i;
}


static int
rpt_map_grow(rpt_map_t *m)
{
    rpt_map_slot_t  *slots;
    size_t           i, j, n;
    unsigned         shift;

    shift = m->shift - 1;
    slots = rpt_map_alloc(shift);

    if (slots == NULL) {
        return -1;
    }

    n = (size_t) 1 << (64 - m->shift);

    for (i = 0; i < n; i++) {
        if (m->slots[i].val != RPT_NO_ID) {
            j = rpt_map_slot(slots, shift, m->slots[i].key);
            slots[j] = m->slots[i];
        }
    }

    free(m->slots);
    m->slots = slots;
    m->shift = shift;

    return 0;
}


uint32_t
rpt_map_put(rpt_map_t *m, uint64_t key, uint32_t val)
{
    size_t  i;

    i = rpt_map_slot(m->slots, m->shift, key);

    if (m->slots[i].val != RPT_NO_ID) {
        return m->slots[i].val;
    }

    /* keep the load at most one half */
    if ((m->n + 1) * 2 > (size_t) 1 << (64 - m->shift)) {
        if (rpt_map_grow(m) != 0) {
            return RPT_NO_ID;
        }

        i = rpt_map_slot(m->slots, m->shift, key);
    }

    m->slots[i].key = key;
    m->slots[i].val = val;
    m->n++;

    return val;
}


uint32_t
rpt_map_find(const rpt_map_t *m, uint64_t key)
{
    return m->slots[rpt_map_slot(m->slots, m->shift, key)].val;
}
