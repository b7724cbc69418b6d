/*
 * icp-report: hash map from 64-bit keys (two ids side by side) to 32-bit
 * values (indexes of the report's arrays).
 */

#ifndef RPT_MAP_H
#define RPT_MAP_H

#include <stddef.h>
#include <stdint.h>

#include "report/intern.h"


typedef struct {
    uint64_t     key;
    uint32_t     val;        /* RPT_NO_ID marks a free slot */
} rpt_map_slot_t;


typedef struct {
    rpt_map_slot_t  *slots;
    unsigned         shift;  /* 64 - log2(number of slots) */
    size_t           n;
} rpt_map_t;


/* Two 32-bit ids as one key. */
#define rpt_key(hi, lo)  ((uint64_t) (hi) << 32 | (uint32_t) (lo))


int rpt_map_init(rpt_map_t *m);
void rpt_map_free(rpt_map_t *m);

/*
 * The value of key; when key is new, val (never RPT_NO_ID) is stored and
 * returned.  RPT_NO_ID when memory runs out.
 */
uint32_t rpt_map_put(rpt_map_t *m, uint64_t key, uint32_t val);

/* The value of key, or RPT_NO_ID. */
uint32_t rpt_map_find(const rpt_map_t *m, uint64_t key);


#endif /* RPT_MAP_H */
