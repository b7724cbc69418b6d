/*
 * icp-report: string interning in an open-addressing hash table.
 *
 * The slots keep the 32-bit hash and the copy's address next to the id, so
 * a probe compares strings only when the hashes agree, and growing never
 * rehashes a string.
 * Copies live in large chunks: one allocation per 64 KB, not per string.
 */

#include <stdlib.h>
#include <string.h>

#include "report/intern.h"


#define RPT_CHUNK_SIZE  65536


struct rpt_chunk_s {
    rpt_chunk_t  *next;
    size_t        used;
    size_t        size;
    char          data[];
};


int
rpt_intern_init(rpt_intern_t *t)
{
    memset(t, 0, sizeof(*t));

    t->mask = 255;
    t->slots = calloc(t->mask + 1, sizeof(rpt_slot_t));

    return t->slots ? 0 : -1;
}


void
rpt_intern_free(rpt_intern_t *t)
{
    rpt_chunk_t  *c, *next;

    for (c = t->chunk; c; c = next) {
        next = c->next;
        free(c);
    }

    free(t->slots);
    free(t->strs);
    memset(t, 0, sizeof(*t));
}


static char *
rpt_intern_copy(rpt_intern_t *t, const char *s, size_t len)
{
    rpt_chunk_t  *c;
    size_t        size;
    char         *p;

    c = t->chunk;

    if (c == NULL || c->size - c->used < len + 1) {
        size = len + 1 > RPT_CHUNK_SIZE ? len + 1 : RPT_CHUNK_SIZE;
        c = malloc(sizeof(rpt_chunk_t) + size);

        if (c == NULL) {
            return NULL;
        }

        c->next = t->chunk;
        c->used = 0;
        c->size = size;
        t->chunk = c;
    }

    p = c->data + c->used;
    c->used += len + 1;

    memcpy(p, s, len);
    p[len] = '\0';

    return p;
}


static int
rpt_intern_grow(rpt_intern_t *t)
{
    rpt_slot_t  *slots;
    size_t       i, j, mask;

    mask = t->mask * 2 + 1;
    slots = calloc(mask + 1, sizeof(rpt_slot_t));

    if (slots == NULL) {
        return -1;
    }

    for (i = 0; i <= t->mask; i++) {
        if (t->slots[i].data == NULL) {
            continue;
        }

        for (j = t->slots[i].hash & mask; slots[j].data; j = (j + 1) & mask)
        {
            /* linear probing */
        }

        slots[j] = t->slots[i];
    }

    free(t->slots);
    t->slots = slots;
    t->mask = mask;

    return 0;
}


/* Returns the slot of s: either holding it or the free one to fill. */
static size_t
rpt_intern_slot(const rpt_intern_t *t, const char *s, size_t len,
    uint32_t hash)
{
    size_t             i;
    const rpt_slot_t  *slot;

    for (i = hash & t->mask; t->slots[i].data; i = (i + 1) & t->mask) {
        slot = &t->slots[i];

        /* strncmp stops at the NUL of a shorter copy, memcmp would not */
        if (slot->hash == hash && strncmp(slot->data, s, len) == 0
            && slot->data[len] == '\0')
        {
            break;
        }
    }

    return i;
}


uint32_t
rpt_intern(rpt_intern_t *t, const char *s, size_t len)
{
    uint32_t    hash, cap;
    size_t      i;
    lfr_str_t  *strs;
    char       *copy;

    hash = lfr_murmur3_32(s, len, 0);
    i = rpt_intern_slot(t, s, len, hash);

    if (t->slots[i].data) {
        return t->slots[i].id;
    }

    if (t->n == RPT_NO_ID - 1) {
        return RPT_NO_ID;
    }

    /* keep the load at most one half */
    if ((size_t) (t->n + 1) * 2 > t->mask + 1) {
        if (rpt_intern_grow(t) != 0) {
            return RPT_NO_ID;
        }

        i = rpt_intern_slot(t, s, len, hash);
    }

    if (t->n == t->cap) {
        cap = t->cap ? t->cap * 2 : 64;
        strs = realloc(t->strs, (size_t) cap * sizeof(lfr_str_t));

        if (strs == NULL) {
            return RPT_NO_ID;
        }

        t->strs = strs;
        t->cap = cap;
    }

    copy = rpt_intern_copy(t, s, len);

    if (copy == NULL) {
        return RPT_NO_ID;
    }

    t->strs[t->n].data = copy;
    t->strs[t->n].len = len;
    t->slots[i].data = copy;
    t->slots[i].hash = hash;
    t->slots[i].id = t->n;

    return t->n++;
}
