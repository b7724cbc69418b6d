/*
 * icp-load vocabulary: the industry keys of industries.tsv with the labels
 * and SIC and NAICS codes that map to them, and the countries of
 * countries.tsv.  Both files are compiled in (data.c is made from them by
 * embed.sh), so the loader needs nothing at run time.
 */

#ifndef ICP_LOAD_VOCAB_H
#define ICP_LOAD_VOCAB_H

#include <stddef.h>
#include <stdint.h>

#include "names.h"


/* the files' text, NUL-terminated (data.c) */
extern const char  load_industries_tsv[];
extern const char  load_countries_tsv[];


/* A run of code prefixes of one length, lo..hi, and its industry. */
typedef struct {
    unsigned   digits;
    unsigned   lo;
    unsigned   hi;
    int        key;
    unsigned   line;
} load_code_t;


typedef struct {
    load_code_t  *codes;        /* longest prefixes first */
    size_t        n;
} load_codes_t;


typedef struct {
    char          **keys;
    size_t          nkeys;
    load_names_t    labels;     /* -> index in keys */
    load_codes_t    sic;
    load_codes_t    naics;

    char          (*alpha2)[3];
    size_t          ncountries;
    load_names_t    countries;  /* names -> index in alpha2 */
    int16_t        *by_code;    /* AA and AAA codes -> index, or -1 */
} load_vocab_t;


/*
 * Parse a vocabulary file's text; file names it in messages.  Return -1
 * with "FILE:LINE: what is wrong" in err.  Industries may be parsed into
 * a vocabulary once, countries once.
 */
int load_vocab_industries(load_vocab_t *v, const char *text,
    const char *file, char *err, size_t size);
int load_vocab_countries(load_vocab_t *v, const char *text,
    const char *file, char *err, size_t size);

/* Both compiled-in files. */
int load_vocab_init(load_vocab_t *v, char *err, size_t size);
void load_vocab_free(load_vocab_t *v);

/* Each returns the index of an industry key, or -1. */
int load_industry_label(const load_vocab_t *v, const char *label,
    size_t len);
/* a 4-digit SIC code, leading zeros dropped: 742 is 0742 */
int load_industry_sic(const load_vocab_t *v, unsigned code);
/* a NAICS code of digits digits, 2 to 6 */
int load_industry_naics(const load_vocab_t *v, unsigned code,
    unsigned digits);

/* The alpha-2 code of a country's code or name, or NULL. */
const char *load_country(const load_vocab_t *v, const char *value,
    size_t len);

#endif /* ICP_LOAD_VOCAB_H */
