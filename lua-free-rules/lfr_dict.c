/*
 * Per-slot dictionaries of the texts the rules compare inputs with.  The
 * evaluator hashes an input once and finds its id, instead of comparing
 * it with every literal of every list that names the field.
 */

#include <stdlib.h>
#include <string.h>

#include "lfr_int.h"


static unsigned char
lfr_lower(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') ? c | 0x20 : c;
}


/*
 * The bytes of a text shorter than 8 in one word, without a loop over
 * them: two loads that overlap when the length is not a power of two, so
 * that every byte is in the word.  Two texts of the same length have the
 * same word exactly when they have the same bytes.
 */
static uint64_t
lfr_dict_short(const char *s, size_t len)
{
    uint16_t  a2, b2;
    uint32_t  a4, b4;

    if (len >= 4) {
        memcpy(&a4, s, 4);
        memcpy(&b4, s + len - 4, 4);
        return (uint64_t) b4 << 32 | a4;
    }

    if (len >= 2) {
        memcpy(&a2, s, 2);
        memcpy(&b2, s + len - 2, 2);
        return (uint64_t) b2 << 16 | a2;
    }

    return len ? (unsigned char) s[0] : 0;
}


/*
 * A hash that ignores ASCII case and reads at most 16 bytes: the first
 * and the last 8, with the length.  Bytes are OR-ed with 0x20, which
 * makes "US" and "us" equal (and a few other pairs, which the full
 * comparison then tells apart).
 */
static uint32_t
lfr_dict_hash(const char *s, size_t len)
{
    uint64_t  h, w;

    if (len >= 8) {
        memcpy(&w, s, 8);
        h = (w | 0x2020202020202020ULL) * 0x9e3779b97f4a7c15ULL;

        if (len > 8) {
            memcpy(&w, s + len - 8, 8);
            h ^= (w | 0x2020202020202020ULL) * 0xc2b2ae3d27d4eb4fULL;
        }

    } else {
        h = (lfr_dict_short(s, len) | 0x2020202020202020ULL)
            * 0x9e3779b97f4a7c15ULL;
    }

    h ^= len;
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;

    return (uint32_t) (h >> 32);
}


/* Eight bytes in ASCII lower case at once (bytes >= 0x80 unchanged). */
static uint64_t
lfr_fold8(uint64_t x)
{
    uint64_t  low7, ge_a, gt_z, upper;

    low7 = x & 0x7f7f7f7f7f7f7f7fULL;
    ge_a = low7 + 0x3f3f3f3f3f3f3f3fULL;        /* 0x80 - 'A' */
    gt_z = low7 + 0x2525252525252525ULL;        /* 0x80 - 'Z' - 1 */
    upper = ge_a & ~gt_z & ~x & 0x8080808080808080ULL;

    return x | (upper >> 2);
}


/*
 * Whether s, in any case, equals t, stored in lower case: word by word,
 * the last word overlapping the one before it.
 */
static int
lfr_dict_eq(const char *t, const char *s, size_t len)
{
    size_t    i;
    uint64_t  a, b;

    if (len < 8) {
        return lfr_fold8(lfr_dict_short(s, len)) == lfr_dict_short(t, len);
    }

    for (i = 0; i + 8 < len; i += 8) {
        memcpy(&a, s + i, 8);
        memcpy(&b, t + i, 8);

        if (lfr_fold8(a) != b) {
            return 0;
        }
    }

    memcpy(&a, s + len - 8, 8);
    memcpy(&b, t + len - 8, 8);

    return lfr_fold8(a) == b;
}


int
lfr_dict_find(const lfr_dict_t *d, const char *s, size_t len)
{
    uint32_t  h, e, k;

    if (d->n == 0) {
        return -1;
    }

    h = lfr_dict_hash(s, len);

    for (k = h & d->mask; (e = d->table[k]) != 0; k = (k + 1) & d->mask) {
        e--;

        if (d->hash[e] == h && d->len[e] == len
            && lfr_dict_eq(d->text[e], s, len))
        {
            return (int) e;
        }
    }

    return -1;
}


int
lfr_is_text_op(lfr_op_t op)
{
    return op == LFR_OP_IN || op == LFR_OP_NOT_IN || op == LFR_OP_EQ
           || op == LFR_OP_NE || op == LFR_OP_HAS;
}


static int
lfr_dict_add(lfr_rules_t *rules, lfr_dict_t *d, const lfr_value_t *v)
{
    size_t     i;
    char      *t;
    uint32_t   k, id;

    if (lfr_dict_find(d, v->data, v->len) >= 0) {
        return 0;
    }

    t = lfr_alloc(rules, v->len);
    if (t == NULL) {
        return -1;
    }

    for (i = 0; i < v->len; i++) {
        t[i] = (char) lfr_lower(v->data[i]);
    }

    t[v->len] = '\0';

    id = d->n++;
    d->text[id] = t;
    d->len[id] = (uint32_t) v->len;
    d->hash[id] = lfr_dict_hash(t, v->len);

    for (k = d->hash[id] & d->mask; d->table[k]; k = (k + 1) & d->mask) {
        /* void */
    }

    d->table[k] = id + 1;

    return 0;
}


/* Sizes every slot's dictionary for the texts its conditions name. */
static int
lfr_dict_alloc(lfr_rules_t *rules)
{
    size_t       i, size;
    lfr_dict_t  *d;

    rules->dicts = calloc(rules->nslots, sizeof(lfr_dict_t));
    if (rules->dicts == NULL) {
        return -1;
    }

    for (i = 0; i < rules->nconds; i++) {
        if (lfr_is_text_op(rules->conds[i].op)) {
            rules->dicts[rules->conds[i].slot].n += rules->conds[i].nvalues;
        }
    }

    for (i = 0; i < rules->nslots; i++) {
        d = &rules->dicts[i];

        /* at most half full, so a probe meets an empty entry soon */
        for (size = 4; size < 2 * (size_t) d->n; size *= 2) {
            /* void */
        }

        d->table = calloc(size, sizeof(uint32_t));
        d->text = calloc(d->n + 1, sizeof(char *));
        d->len = calloc(d->n + 1, sizeof(uint32_t));
        d->hash = calloc(d->n + 1, sizeof(uint32_t));

        if (d->table == NULL || d->text == NULL || d->len == NULL
            || d->hash == NULL)
        {
            return -1;
        }

        d->mask = (uint32_t) size - 1;
        d->n = 0;
        d->has = UINT32_MAX;
    }

    return 0;
}


int
lfr_dict_build(lfr_rules_t *rules)
{
    size_t        i, j, nsets, nhas;
    lfr_cond_t   *c;
    lfr_dict_t   *d;
    lfr_value_t  *v;
    int           id;

    if (lfr_dict_alloc(rules) != 0) {
        return -1;
    }

    for (i = 0; i < rules->nconds; i++) {
        c = &rules->conds[i];

        for (j = 0; lfr_is_text_op(c->op) && j < c->nvalues; j++) {
            if (lfr_dict_add(rules, &rules->dicts[c->slot],
                             &rules->values[c->value + j]) != 0)
            {
                return -1;
            }
        }
    }

    nsets = 0;
    nhas = 0;

    for (i = 0; i < rules->nslots; i++) {
        rules->dicts[i].nw = (rules->dicts[i].n + 63) / 64;
    }

    for (i = 0; i < rules->nconds; i++) {
        c = &rules->conds[i];

        if (!lfr_is_text_op(c->op)) {
            continue;
        }

        d = &rules->dicts[c->slot];
        c->set = (uint32_t) nsets;
        nsets += d->nw;

        if (c->op == LFR_OP_HAS && d->has == UINT32_MAX) {
            d->has = (uint32_t) nhas;
            nhas += d->nw;
        }
    }

    rules->sets = calloc(nsets + 1, sizeof(uint64_t));
    rules->has_sets = calloc(nhas + 1, sizeof(uint64_t));

    if (rules->sets == NULL || rules->has_sets == NULL) {
        return -1;
    }

    for (i = 0; i < rules->nconds; i++) {
        c = &rules->conds[i];

        for (j = 0; lfr_is_text_op(c->op) && j < c->nvalues; j++) {
            v = &rules->values[c->value + j];
            id = lfr_dict_find(&rules->dicts[c->slot], v->data, v->len);
            rules->sets[c->set + id / 64] |= (uint64_t) 1 << (id % 64);
        }
    }

    return 0;
}


void
lfr_dict_free(lfr_rules_t *rules)
{
    size_t       i;
    lfr_dict_t  *d;

    for (i = 0; rules->dicts && i < rules->nslots; i++) {
        d = &rules->dicts[i];
        free(d->table);
        free(d->text);
        free(d->len);
        free(d->hash);
    }

    free(rules->dicts);
    free(rules->sets);
    free(rules->has_sets);
}
