/*
 * icp-report: string interning.  Every distinct name (experiment, variant,
 * segment, persona) gets a small dense id, so tables are keyed by integers.
 */

#ifndef RPT_INTERN_H
#define RPT_INTERN_H

#include <stddef.h>
#include <stdint.h>

#include <lfr.h>


#define RPT_NO_ID  UINT32_MAX


typedef struct rpt_chunk_s  rpt_chunk_t;

/*
 * A probe finds the copy without touching strs[]: one cache miss less per
 * lookup.  Strings hold no NUL (the line parser refuses \u0000), so the
 * copy's terminating NUL tells its length.
 */
typedef struct {
    const char   *data;      /* NULL: a free slot */
    uint32_t      hash;
    uint32_t      id;
} rpt_slot_t;

typedef struct {
    rpt_slot_t   *slots;
    size_t        mask;
    lfr_str_t    *strs;      /* by id; data is NUL-terminated */
    uint32_t      n;
    uint32_t      cap;
    rpt_chunk_t  *chunk;     /* the copies of the strings */
} rpt_intern_t;


int rpt_intern_init(rpt_intern_t *t);
void rpt_intern_free(rpt_intern_t *t);

/* The id of s (no NUL in it), added if new; RPT_NO_ID: out of memory. */
uint32_t rpt_intern(rpt_intern_t *t, const char *s, size_t len);


#endif /* RPT_INTERN_H */
