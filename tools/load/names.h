/*
 * icp-load names: a table from names, compared in a folded form, to
 * small numbers; the industry labels and the country names of the
 * vocabulary (vocab.c) are two of them.
 */

#ifndef ICP_LOAD_NAMES_H
#define ICP_LOAD_NAMES_H

#include <stddef.h>
#include <stdint.h>


/* a longer name is never in a table */
#define LOAD_NAME_MAX  128


typedef struct {
    char       **names;     /* folded, NUL-terminated */
    size_t      *lens;
    int         *values;
    uint32_t    *slots;     /* 1 + the index of a name, 0 when empty */
    size_t       n;
    size_t       mask;      /* slots - 1 */
} load_names_t;


/*
 * The folded form: ASCII letters lower case, every run of characters other
 * than letters, digits and bytes of non-ASCII characters one blank, none
 * at either end, and the word "and" dropped: "Food & Beverages" and
 * FOOD_AND_BEVERAGES are both "food beverages".  Returns its length, or
 * (size_t) -1 when it would not fit in size - 1 bytes; out gets a NUL.
 */
size_t load_name_fold(const char *name, size_t len, char *out, size_t size);

/*
 * Adds name (folded here) with value: 0 when added or already there with
 * that value; 1 when already there with another, which goes in *other; -1
 * when memory ran out or the name is too long or folds to nothing.
 */
int load_names_add(load_names_t *t, const char *name, size_t len, int value,
    int *other);

/* The value of name (folded here), or -1. */
int load_names_get(const load_names_t *t, const char *name, size_t len);

void load_names_free(load_names_t *t);

#endif /* ICP_LOAD_NAMES_H */
