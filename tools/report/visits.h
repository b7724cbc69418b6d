/*
 * icp-report: the table of visitors per experiment, the one structure
 * every exposure line touches.  Its records live in the slots themselves,
 * so that a line costs one cache miss, not three.
 */

#ifndef RPT_VISITS_H
#define RPT_VISITS_H

#include <stddef.h>
#include <stdint.h>


/* arm of a visit just added */
#define RPT_VISIT_NEW  0x7fffffff


/* One visitor of one run (experiment phase): 32 bytes, half a line. */
typedef struct {
    uint64_t     vid;           /* rpt_vid_hash() of the visitor id */
    int64_t      ts;            /* the earliest exposure, ms since 1970 */
    uint32_t     run;           /* run index + 1; 0: a free slot */
    uint32_t     arm:31;        /* of the first exposure read */
    uint32_t     multi:1;       /* exposed to another arm as well */
    uint32_t     seg;           /* name ids, of the earliest exposure */
    uint32_t     per;
} rpt_visit_t;


typedef struct {
    rpt_visit_t  *slots;
    size_t        mask;
    size_t        n;
} rpt_visits_t;


/*
 * Visitors are told apart by a 64-bit hash of their id, not the id: with
 * a million visitors the chance that any two collide is about 3e-8.
 */
uint64_t rpt_vid_hash(const char *vid, size_t len);

int rpt_visits_init(rpt_visits_t *t);
void rpt_visits_free(rpt_visits_t *t);

/*
 * Starts loading the slot of (run, vid) into the cache, so that the work
 * done before rpt_visits_get() overlaps the memory access.
 */
void rpt_visits_prefetch(const rpt_visits_t *t, uint32_t run, uint64_t vid);

/*
 * The visit of (run, vid); a new one has only its key set and arm set to
 * RPT_VISIT_NEW, for the caller to fill.  NULL when memory runs out.
 */
rpt_visit_t *rpt_visits_get(rpt_visits_t *t, uint32_t run, uint64_t vid);

/* The slot of the visit of (run, vid), or RPT_VISIT_NONE. */
#define RPT_VISIT_NONE  ((size_t) -1)

size_t rpt_visits_find(const rpt_visits_t *t, uint32_t run, uint64_t vid);


#endif /* RPT_VISITS_H */
