/*
 * icp_firmo: the (field, value) pairs of one HGETALL reply that the rules
 * and the log want, with garbage dropped field by field.  Plain C, no
 * nginx types, so the unit tests and the fuzzer drive it directly.
 */

#ifndef ICP_FIRMO_H
#define ICP_FIRMO_H

#include <stddef.h>
#include <stdint.h>
#include <hiredis/hiredis.h>


/* a longer value is dropped: no company name or title needs more */
#define ICP_FIRMO_VALUE_MAX   256
/* pairs kept per key; the rest is dropped with a warning */
#define ICP_FIRMO_FIELDS_MAX  32


typedef enum {
    ICP_FIRMO_FOUND = 0,      /* a hash, maybe with no wanted field */
    ICP_FIRMO_MISSING,        /* no such key */
    ICP_FIRMO_INVALID         /* not a hash: ignored, with a warning */
} icp_firmo_rc_t;


typedef struct {
    const char   *data;
    size_t        len;
} icp_firmo_str_t;


/*
 * The value points into the reply, the name to the wanted one's text:
 * the reply's goes with it, that one lives on, no copy needed.
 */
typedef struct {
    icp_firmo_str_t   name;
    icp_firmo_str_t   value;
} icp_firmo_pair_t;


/*
 * The wanted fields, as icp_firmo_parse() finds a field among them: a
 * hash table in slots, icp_firmo_wanted_slots(n) of them, which like
 * names must outlive it.
 */
typedef struct {
    const icp_firmo_str_t  *names;
    uint32_t               *slots;
    size_t                  mask;
} icp_firmo_wanted_t;


/* The first problem met in a reply: one warning per key is enough. */
typedef struct {
    const char       *reason;   /* NULL: the reply was clean */
    icp_firmo_str_t   field;    /* the field concerned, or empty */
} icp_firmo_warning_t;


/* how many slots icp_firmo_wanted_init() fills for n names */
size_t icp_firmo_wanted_slots(size_t n);

/* Makes wanted the set of names[0..n), in slots. */
void icp_firmo_wanted_init(icp_firmo_wanted_t *wanted,
    const icp_firmo_str_t *names, size_t n, uint32_t *slots);

/*
 * Keeps the pairs of reply whose field is wanted, at most max of them
 * (and never more than ICP_FIRMO_FIELDS_MAX), in *n.
 */
icp_firmo_rc_t icp_firmo_parse(const redisReply *reply,
    const icp_firmo_wanted_t *wanted, icp_firmo_pair_t *pairs, size_t max,
    size_t *n, icp_firmo_warning_t *warning);

#endif /* ICP_FIRMO_H */
