/*
 * icp-load names: folding, and an open-addressing hash table of folded
 * names.  Tables are built once at start and read for every row.
 */

#include <stdlib.h>
#include <string.h>

#include "names.h"


static int
load_name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
           || (c >= '0' && c <= '9') || c >= 0x80;
}


size_t
load_name_fold(const char *name, size_t len, char *out, size_t size)
{
    size_t         i, start, n, k;
    unsigned char  c;

    n = 0;
    i = 0;

    for ( ;; ) {
        while (i < len && !load_name_char(name[i])) {
            i++;
        }

        if (i == len) {
            break;
        }

        start = i;

        while (i < len && load_name_char(name[i])) {
            i++;
        }

        if (i - start == 3
            && (name[start] | 0x20) == 'a' && (name[start + 1] | 0x20) == 'n'
            && (name[start + 2] | 0x20) == 'd')
        {
            continue;
        }

        if (n + (n > 0) + (i - start) + 1 > size) {
            if (size > 0) {
                out[0] = '\0';
            }
            return (size_t) -1;
        }

        if (n > 0) {
            out[n++] = ' ';
        }

        for (k = start; k < i; k++) {
            c = name[k];
            out[n++] = (c >= 'A' && c <= 'Z') ? c | 0x20 : c;
        }
    }

    if (size > 0) {
        out[n] = '\0';
    }

    return n;
}


/* FNV-1a */
static uint32_t
load_name_hash(const char *s, size_t len)
{
    size_t    i;
    uint32_t  h;

    h = 2166136261u;

    for (i = 0; i < len; i++) {
        h = (h ^ (unsigned char) s[i]) * 16777619u;
    }

    return h;
}


/* the slot of a folded name, or the empty slot where it would go */
static size_t
load_names_slot(const load_names_t *t, const char *s, size_t len)
{
    size_t    k;
    uint32_t  i;

    for (k = load_name_hash(s, len) & t->mask; t->slots[k] != 0;
         k = (k + 1) & t->mask)
    {
        i = t->slots[k] - 1;

        if (t->lens[i] == len && memcmp(t->names[i], s, len) == 0) {
            break;
        }
    }

    return k;
}


/* at most half full: a lookup ends at an empty slot soon */
static int
load_names_grow(load_names_t *t)
{
    int       *values;
    char     **names;
    size_t     i, cap, *lens;
    uint32_t  *slots;

    if (t->slots != NULL && 2 * (t->n + 1) <= t->mask + 1) {
        return 0;
    }

    cap = t->slots ? 2 * (t->mask + 1) : 64;

    slots = calloc(cap, sizeof(uint32_t));
    names = realloc(t->names, cap / 2 * sizeof(char *));
    if (names != NULL) {
        t->names = names;
    }
    lens = realloc(t->lens, cap / 2 * sizeof(size_t));
    if (lens != NULL) {
        t->lens = lens;
    }
    values = realloc(t->values, cap / 2 * sizeof(int));
    if (values != NULL) {
        t->values = values;
    }

    if (slots == NULL || names == NULL || lens == NULL || values == NULL) {
        free(slots);
        return -1;
    }

    free(t->slots);
    t->slots = slots;
    t->mask = cap - 1;

    for (i = 0; i < t->n; i++) {
        t->slots[load_names_slot(t, t->names[i], t->lens[i])] = i + 1;
    }

    return 0;
}


int
load_names_add(load_names_t *t, const char *name, size_t len, int value,
    int *other)
{
    char    folded[LOAD_NAME_MAX];
    size_t  n, k;

    n = load_name_fold(name, len, folded, sizeof(folded));

    if (n == 0 || n == (size_t) -1 || load_names_grow(t) != 0) {
        return -1;
    }

    k = load_names_slot(t, folded, n);

    if (t->slots[k] != 0) {
        *other = t->values[t->slots[k] - 1];
        return *other == value ? 0 : 1;
    }

    t->names[t->n] = malloc(n + 1);
    if (t->names[t->n] == NULL) {
        return -1;
    }

    memcpy(t->names[t->n], folded, n + 1);
    t->lens[t->n] = n;
    t->values[t->n] = value;
    t->slots[k] = ++t->n;

    return 0;
}


int
load_names_get(const load_names_t *t, const char *name, size_t len)
{
    char    folded[LOAD_NAME_MAX];
    size_t  n, k;

    if (t->slots == NULL) {
        return -1;
    }

    n = load_name_fold(name, len, folded, sizeof(folded));

    if (n == (size_t) -1) {
        return -1;
    }

    k = load_names_slot(t, folded, n);

    return t->slots[k] ? t->values[t->slots[k] - 1] : -1;
}


void
load_names_free(load_names_t *t)
{
    size_t  i;

    for (i = 0; i < t->n; i++) {
        free(t->names[i]);
    }

    free(t->names);
    free(t->lens);
    free(t->values);
    free(t->slots);
    memset(t, 0, sizeof(load_names_t));
}
