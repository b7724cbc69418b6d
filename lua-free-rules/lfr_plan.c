/*
 * Evaluation planning at load: conditions that are identical share one
 * verdict per call, and each block's conditions get the order that lets
 * the evaluator stop soonest.  Results never depend on it.
 */

#include <stdlib.h>
#include <string.h>

#include "lfr_int.h"


static int
lfr_same_cond(const lfr_rules_t *rules, const lfr_cond_t *a,
    const lfr_cond_t *b)
{
    uint32_t            i;
    const lfr_value_t  *x, *y;

    if (a->slot != b->slot || a->op != b->op || a->lo != b->lo
        || a->hi != b->hi || a->caseless != b->caseless
        || a->nvalues != b->nvalues)
    {
        return 0;
    }

    /* numeric conditions have no literal: values may still be NULL */
    if (a->nvalues == 0) {
        return 1;
    }

    x = &rules->values[a->value];
    y = &rules->values[b->value];

    for (i = 0; i < a->nvalues; i++) {
        if (x[i].len != y[i].len || x[i].is_num != y[i].is_num
            || memcmp(x[i].data, y[i].data, x[i].len) != 0)
        {
            return 0;
        }
    }

    return 1;
}


/*
 * A block's conditions in evaluation order: regexes last, and heavier
 * weights first, so an ICP that cannot matter any more is found early.
 */
static void
lfr_order(lfr_rules_t *rules, const lfr_block_t *b)
{
    uint32_t           i, j, k, end;
    const lfr_cond_t  *x, *y;

    end = b->cond + b->nconds;

    for (i = b->cond; i < end; i++) {
        rules->order[i] = i;
    }

    /* insertion sort: stable, and blocks are short */
    for (i = b->cond + 1; i < end; i++) {
        k = rules->order[i];
        x = &rules->conds[k];

        for (j = i; j > b->cond; j--) {
            y = &rules->conds[rules->order[j - 1]];

            if ((y->re != NULL) < (x->re != NULL)
                || ((y->re != NULL) == (x->re != NULL)
                    && y->weight >= x->weight))
            {
                break;
            }

            rules->order[j] = rules->order[j - 1];
        }

        rules->order[j] = k;
    }
}


static uint32_t
lfr_cond_hash(const lfr_rules_t *rules, const lfr_cond_t *c)
{
    uint32_t            h, i, key[4];
    const lfr_value_t  *v;

    key[0] = c->slot;
    key[1] = (uint32_t) c->op;
    key[2] = c->nvalues;
    key[3] = c->caseless;

    h = lfr_murmur3_32(key, sizeof(key), 0);
    h = lfr_murmur3_32(&c->lo, sizeof(double), h);
    h = lfr_murmur3_32(&c->hi, sizeof(double), h);

    if (c->nvalues) {
        v = &rules->values[c->value];

        for (i = 0; i < c->nvalues; i++) {
            h = lfr_murmur3_32(v[i].data, v[i].len, h);
        }
    }

    return h;
}


/*
 * Plans the evaluation: identical conditions share a verdict, and the
 * cheap tests of a block run before its regexes, so a block that fails
 * early (or an ICP that can no longer matter) never runs them.  Identical
 * conditions are found through a hash table: comparing each with every
 * earlier one made a file of 100,000 blocks take minutes to load.
 */
int
lfr_plan(lfr_rules_t *rules)
{
    size_t       i, j, size, pos;
    uint32_t    *table;
    lfr_cond_t  *c;

    for (size = 16; size < 2 * rules->nconds; size *= 2) {
        /* void */
    }

    /* entries are condition index + 1; 0 is free */
    table = calloc(size, sizeof(uint32_t));
    if (table == NULL) {
        return -1;
    }

    for (i = 0; i < rules->nconds; i++) {
        c = &rules->conds[i];
        pos = lfr_cond_hash(rules, c) & (size - 1);

        for ( ;; ) {
            if (table[pos] == 0) {
                table[pos] = (uint32_t) i + 1;
                c->memo = (uint32_t) rules->nmemo++;
                break;
            }

            j = table[pos] - 1;

            if (lfr_same_cond(rules, c, &rules->conds[j])) {
                c->memo = rules->conds[j].memo;
                c->shared = 1;
                rules->conds[j].shared = 1;
                break;
            }

            pos = (pos + 1) & (size - 1);
        }
    }

    free(table);

    for (i = 0; i < rules->nicps; i++) {
        lfr_order(rules, &rules->icps[i]);
    }

    for (i = 0; i < rules->nexcludes; i++) {
        lfr_order(rules, &rules->excludes[i]);
    }

    for (i = 0; i < rules->npersonas; i++) {
        lfr_order(rules, &rules->personas[i]);
    }

    return 0;
}
