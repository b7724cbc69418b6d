/*
 * icp-report: open-addressing table of (run, visitor) records.
 *
 * The key is already a hash (of the visitor id) mixed with the run
 * index, so its low bits index the table directly; linear probing at
 * most half full.
 */

#include <stdlib.h>
#include <string.h>

#include <lfr.h>

#include "report/visits.h"


#define RPT_MIX  0x9e3779b97f4a7c15ULL


uint64_t
rpt_vid_hash(const char *vid, size_t len)
{
    /* two seeds of MurmurHash3_x86_32 make the 64 bits */
    return (uint64_t) lfr_murmur3_32(vid, len, 0) << 32
           | lfr_murmur3_32(vid, len, 0x5bd1e995);
}


int
rpt_visits_init(rpt_visits_t *t)
{
    t->mask = 1023;
    t->n = 0;
    t->slots = calloc(t->mask + 1, sizeof(rpt_visit_t));

    return t->slots ? 0 : -1;
}


void
rpt_visits_free(rpt_visits_t *t)
{
    free(t->slots);
    t->slots = NULL;
}


void
rpt_visits_prefetch(const rpt_visits_t *t, uint32_t run, uint64_t vid)
{
#if defined(__GNUC__)
    __builtin_prefetch(&t->slots[(vid ^ (run + 1) * RPT_MIX) & t->mask]);
#else
    (void) t;
    (void) run;
    (void) vid;
#endif
}


static size_t
rpt_visits_slot(const rpt_visit_t *slots, size_t mask, uint32_t run,
    uint64_t vid)
{
    size_t  i;

    for (i = (vid ^ run * RPT_MIX) & mask;
         slots[i].run != 0 && (slots[i].run != run || slots[i].vid != vid);
         i = (i + 1) & mask)
    {
        /* linear probing */
    }

    return i;
}


static int
rpt_visits_grow(rpt_visits_t *t)
{
    rpt_visit_t  *slots;
    size_t        i, mask;

    mask = t->mask * 2 + 1;
    slots = calloc(mask + 1, sizeof(rpt_visit_t));

    if (slots == NULL) {
        return -1;
    }

    for (i = 0; i <= t->mask; i++) {
        if (t->slots[i].run != 0) {
            slots[rpt_visits_slot(slots, mask, t->slots[i].run,
                                  t->slots[i].vid)] = t->slots[i];
        }
    }

    free(t->slots);
    t->slots = slots;
    t->mask = mask;

    return 0;
}


rpt_visit_t *
rpt_visits_get(rpt_visits_t *t, uint32_t run, uint64_t vid)
{
    size_t        i;
    rpt_visit_t  *v;

    run++;
    i = rpt_visits_slot(t->slots, t->mask, run, vid);

    if (t->slots[i].run != 0) {
        return &t->slots[i];
    }

    if ((t->n + 1) * 2 > t->mask + 1) {
        if (rpt_visits_grow(t) != 0) {
            return NULL;
        }

        i = rpt_visits_slot(t->slots, t->mask, run, vid);
    }

    t->n++;
    v = &t->slots[i];
    memset(v, 0, sizeof(rpt_visit_t));
    v->run = run;
    v->vid = vid;
    v->arm = RPT_VISIT_NEW;

    return v;
}


size_t
rpt_visits_find(const rpt_visits_t *t, uint32_t run, uint64_t vid)
{
    size_t  i;

    i = rpt_visits_slot(t->slots, t->mask, run + 1, vid);

    return t->slots[i].run != 0 ? i : RPT_VISIT_NONE;
}
