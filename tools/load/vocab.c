/*
 * icp-load vocabulary: parsing industries.tsv and countries.tsv, and the
 * lookups made for every row.
 *
 * A mistake in either file (a key used before it is declared, a label or
 * a code mapped to two keys, two code ranges that overlap) stops icp-load
 * at start: a vocabulary that maps one input two ways cannot be trusted.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vocab.h"


/* the fields of a line: at most this many are looked at */
#define LOAD_VOCAB_FIELDS  16

/* 26 * 26 two-letter codes, then 26 * 26 * 26 three-letter ones */
#define LOAD_CODES_2  676
#define LOAD_CODES    (676 + 17576)


typedef struct {
    const char   *p;
    const char   *file;
    unsigned      line;
    char         *err;
    size_t        size;

    const char   *f[LOAD_VOCAB_FIELDS];
    size_t        len[LOAD_VOCAB_FIELDS];
    size_t        n;
} load_tsv_t;


static const unsigned  load_pow10[] = {
    1, 10, 100, 1000, 10000, 100000, 1000000
};


/* The next line that is not blank or a comment, split at tabs: 0 at the end. */
static int
load_tsv_next(load_tsv_t *t)
{
    const char  *end, *s;

    for ( ;; ) {
        if (*t->p == '\0') {
            return 0;
        }

        t->line++;
        end = strchr(t->p, '\n');
        if (end == NULL) {
            end = t->p + strlen(t->p);
        }

        s = t->p;
        t->p = *end ? end + 1 : end;

        if (end > s && end[-1] == '\r') {
            end--;
        }

        if (end == s || *s == '#') {
            continue;
        }

        t->n = 0;

        while (t->n < LOAD_VOCAB_FIELDS) {
            t->f[t->n] = s;

            while (s < end && *s != '\t') {
                s++;
            }

            t->len[t->n] = s - t->f[t->n];
            t->n++;

            if (s == end) {
                break;
            }

            s++;
        }

        return 1;
    }
}


static int
load_tsv_error(load_tsv_t *t, const char *what, size_t i)
{
    if (i < t->n) {
        snprintf(t->err, t->size, "%s:%u: \"%.*s\": %s", t->file, t->line,
                 (int) (t->len[i] > 64 ? 64 : t->len[i]), t->f[i], what);
    } else {
        snprintf(t->err, t->size, "%s:%u: %s", t->file, t->line, what);
    }

    return -1;
}


static int
load_vocab_key(const load_vocab_t *v, const char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < v->nkeys; i++) {
        if (strlen(v->keys[i]) == len && memcmp(v->keys[i], s, len) == 0) {
            return (int) i;
        }
    }

    return -1;
}


static int
load_vocab_declare(load_vocab_t *v, load_tsv_t *t)
{
    int      other;
    char   **keys;
    size_t   i;

    for (i = 0; i < t->len[1]; i++) {
        if (!((t->f[1][i] >= 'a' && t->f[1][i] <= 'z')
              || (t->f[1][i] >= '0' && t->f[1][i] <= '9')
              || t->f[1][i] == '_'))
        {
            return load_tsv_error(t, "a key is lower-case letters, digits "
                                  "and _", 1);
        }
    }

    if (t->len[1] == 0 || load_vocab_key(v, t->f[1], t->len[1]) >= 0) {
        return load_tsv_error(t, "an empty or repeated key", 1);
    }

    keys = realloc(v->keys, (v->nkeys + 1) * sizeof(char *));
    if (keys == NULL) {
        return load_tsv_error(t, "out of memory", t->n);
    }

    v->keys = keys;
    keys[v->nkeys] = malloc(t->len[1] + 1);
    if (keys[v->nkeys] == NULL) {
        return load_tsv_error(t, "out of memory", t->n);
    }

    memcpy(keys[v->nkeys], t->f[1], t->len[1]);
    keys[v->nkeys][t->len[1]] = '\0';
    v->nkeys++;

    /* every key is a label for itself: "it_services" for "IT services" */
    if (load_names_add(&v->labels, t->f[1], t->len[1], v->nkeys - 1, &other)
        != 0)
    {
        return load_tsv_error(t, "a label of another key folds the same", 1);
    }

    return 0;
}


static int
load_code_number(const char *s, size_t len, unsigned *out)
{
    size_t  i;

    *out = 0;

    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        *out = *out * 10 + (s[i] - '0');
    }

    return 0;
}


static int
load_vocab_code(load_vocab_t *v, load_tsv_t *t, load_codes_t *codes,
    unsigned max)
{
    int           key;
    size_t        i, n;
    const char   *dash, *last;
    load_code_t   c, *grown;

    key = load_vocab_key(v, t->f[2], t->len[2]);
    if (key < 0) {
        return load_tsv_error(t, "not a key declared above", 2);
    }

    dash = memchr(t->f[1], '-', t->len[1]);
    n = dash ? (size_t) (dash - t->f[1]) : t->len[1];

    c.digits = n;
    c.key = key;
    c.line = t->line;

    /* a single code is the range of it to itself */
    last = dash ? dash + 1 : t->f[1];

    if (n < 2 || n > max || load_code_number(t->f[1], n, &c.lo) != 0
        || (size_t) (t->f[1] + t->len[1] - last) != n
        || load_code_number(last, n, &c.hi) != 0 || c.lo > c.hi)
    {
        snprintf(t->err, t->size, "%s:%u: \"%.*s\": expected a code of 2 to "
                 "%u digits, or a range of two of one length: 15-17",
                 t->file, t->line, (int) t->len[1], t->f[1], max);
        return -1;
    }

    for (i = 0; i < codes->n; i++) {
        if (codes->codes[i].digits == c.digits
            && codes->codes[i].lo <= c.hi && c.lo <= codes->codes[i].hi)
        {
            snprintf(t->err, t->size, "%s:%u: \"%.*s\": overlaps the codes "
                     "of line %u", t->file, t->line, (int) t->len[1],
                     t->f[1], codes->codes[i].line);
            return -1;
        }
    }

    grown = realloc(codes->codes, (codes->n + 1) * sizeof(load_code_t));
    if (grown == NULL) {
        return load_tsv_error(t, "out of memory", t->n);
    }

    codes->codes = grown;

    /* longest first, in file order among equals: the first match wins */
    for (i = codes->n; i > 0 && grown[i - 1].digits < c.digits; i--) {
        grown[i] = grown[i - 1];
    }

    grown[i] = c;
    codes->n++;

    return 0;
}


static int
load_vocab_label(load_vocab_t *v, load_tsv_t *t)
{
    int  key, other, rc;

    key = load_vocab_key(v, t->f[2], t->len[2]);
    if (key < 0) {
        return load_tsv_error(t, "not a key declared above", 2);
    }

    rc = load_names_add(&v->labels, t->f[1], t->len[1], key, &other);

    if (rc < 0) {
        return load_tsv_error(t, "an empty label, a label longer than 127 "
                              "bytes, or out of memory", 1);
    }

    if (rc > 0) {
        snprintf(t->err, t->size, "%s:%u: \"%.*s\": already a label of %s",
                 t->file, t->line, (int) t->len[1], t->f[1],
                 v->keys[other]);
        return -1;
    }

    return 0;
}


int
load_vocab_industries(load_vocab_t *v, const char *text, const char *file,
    char *err, size_t size)
{
    int         rc;
    load_tsv_t  t;

    memset(&t, 0, sizeof(load_tsv_t));
    t.p = text;
    t.file = file;
    t.err = err;
    t.size = size;

    while (load_tsv_next(&t)) {
        if (t.n < 3) {
            return load_tsv_error(&t, "expected KIND, VALUE and KEY or a "
                                  "description, tab-separated", t.n);
        }

        if (t.len[0] == 8 && memcmp(t.f[0], "industry", 8) == 0) {
            rc = load_vocab_declare(v, &t);

        } else if (t.len[0] == 3 && memcmp(t.f[0], "sic", 3) == 0) {
            rc = load_vocab_code(v, &t, &v->sic, 4);

        } else if (t.len[0] == 5 && memcmp(t.f[0], "naics", 5) == 0) {
            rc = load_vocab_code(v, &t, &v->naics, 6);

        } else if (t.len[0] == 5 && memcmp(t.f[0], "label", 5) == 0) {
            rc = load_vocab_label(v, &t);

        } else {
            rc = load_tsv_error(&t, "expected industry, sic, naics or label",
                                0);
        }

        if (rc != 0) {
            return -1;
        }
    }

    return 0;
}


static int
load_country_code(const char *s, size_t len)
{
    int     code;
    size_t  i;

    if (len != 2 && len != 3) {
        return -1;
    }

    code = 0;

    for (i = 0; i < len; i++) {
        if ((s[i] | 0x20) < 'a' || (s[i] | 0x20) > 'z') {
            return -1;
        }
        code = code * 26 + ((s[i] | 0x20) - 'a');
    }

    return len == 2 ? code : LOAD_CODES_2 + code;
}


int
load_vocab_countries(load_vocab_t *v, const char *text, const char *file,
    char *err, size_t size)
{
    int          a2, a3, other, rc;
    char       (*alpha2)[3];
    size_t       i;
    load_tsv_t   t;

    memset(&t, 0, sizeof(load_tsv_t));
    t.p = text;
    t.file = file;
    t.err = err;
    t.size = size;

    v->by_code = malloc(LOAD_CODES * sizeof(int16_t));
    if (v->by_code == NULL) {
        return load_tsv_error(&t, "out of memory", 0);
    }

    memset(v->by_code, 0xff, LOAD_CODES * sizeof(int16_t));

    while (load_tsv_next(&t)) {
        a2 = load_country_code(t.f[0], t.len[0]);
        a3 = t.n > 1 ? load_country_code(t.f[1], t.len[1]) : -1;

        if (t.n < 3 || a2 < 0 || a2 >= LOAD_CODES_2 || a3 < LOAD_CODES_2
            || t.f[0][0] > 'Z' || t.f[0][1] > 'Z')
        {
            return load_tsv_error(&t, "expected an upper-case alpha-2 code, "
                                  "an alpha-3 code and names, "
                                  "tab-separated", t.n);
        }

        if (v->by_code[a2] >= 0 || v->by_code[a3] >= 0) {
            return load_tsv_error(&t, "a code listed twice", 0);
        }

        alpha2 = realloc(v->alpha2, (v->ncountries + 1) * sizeof(*alpha2));
        if (alpha2 == NULL) {
            return load_tsv_error(&t, "out of memory", 0);
        }

        v->alpha2 = alpha2;
        memcpy(alpha2[v->ncountries], t.f[0], 2);
        alpha2[v->ncountries][2] = '\0';
        v->by_code[a2] = v->ncountries;
        v->by_code[a3] = v->ncountries;

        for (i = 2; i < t.n; i++) {
            rc = load_names_add(&v->countries, t.f[i], t.len[i],
                                v->ncountries, &other);

            if (rc != 0) {
                return load_tsv_error(&t, rc < 0 ? "an empty or too long "
                                      "name, or out of memory"
                                      : "a name of another country", i);
            }
        }

        v->ncountries++;
    }

    return 0;
}


int
load_vocab_init(load_vocab_t *v, char *err, size_t size)
{
    memset(v, 0, sizeof(load_vocab_t));

    if (load_vocab_industries(v, load_industries_tsv, "industries.tsv", err,
                              size)
        != 0
        || load_vocab_countries(v, load_countries_tsv, "countries.tsv", err,
                                size)
           != 0)
    {
        load_vocab_free(v);
        return -1;
    }

    return 0;
}


void
load_vocab_free(load_vocab_t *v)
{
    size_t  i;

    for (i = 0; i < v->nkeys; i++) {
        free(v->keys[i]);
    }

    free(v->keys);
    load_names_free(&v->labels);
    free(v->sic.codes);
    free(v->naics.codes);
    free(v->alpha2);
    load_names_free(&v->countries);
    free(v->by_code);
    memset(v, 0, sizeof(load_vocab_t));
}


int
load_industry_label(const load_vocab_t *v, const char *label, size_t len)
{
    return load_names_get(&v->labels, label, len);
}


static int
load_codes_find(const load_codes_t *codes, unsigned code, unsigned digits)
{
    size_t        i;
    unsigned      prefix;
    load_code_t  *c;

    for (i = 0; i < codes->n; i++) {
        c = &codes->codes[i];

        if (c->digits > digits) {
            continue;
        }

        prefix = code / load_pow10[digits - c->digits];

        if (prefix >= c->lo && prefix <= c->hi) {
            return c->key;
        }
    }

    return -1;
}


int
load_industry_sic(const load_vocab_t *v, unsigned code)
{
    return code < 10000 ? load_codes_find(&v->sic, code, 4) : -1;
}


int
load_industry_naics(const load_vocab_t *v, unsigned code, unsigned digits)
{
    if (digits < 2 || digits > 6 || code >= load_pow10[digits]) {
        return -1;
    }

    return load_codes_find(&v->naics, code, digits);
}


const char *
load_country(const load_vocab_t *v, const char *value, size_t len)
{
    int  code, i;

    code = load_country_code(value, len);

    if (code >= 0 && v->by_code[code] >= 0) {
        return v->alpha2[v->by_code[code]];
    }

    i = load_names_get(&v->countries, value, len);

    return i >= 0 ? v->alpha2[i] : NULL;
}
