/*
 * lua-free-rules internals: the compiled form of a ruleset, shared by the
 * compiler, the evaluator and the accessors.  Not part of the API.
 */

#ifndef LFR_INT_H
#define LFR_INT_H

#ifndef PCRE2_CODE_UNIT_WIDTH
#define PCRE2_CODE_UNIT_WIDTH 8
#endif
#include <pcre2.h>

#include "lfr.h"


/* Assignment buckets: experiment weights are scaled to this many. */
#define LFR_BUCKETS  10000


/* A route pattern that matches every segment or persona. */
#define LFR_ANY  (-3)


/*
 * A word has a zero byte (as a whole, not which one): the classic test,
 * for eight bytes of a string at a time; with w & ~(0x1f * LFR_ONES) it
 * finds a byte below 0x20, with w ^ (c * LFR_ONES) a byte c.
 */
#define LFR_ONES   0x0101010101010101ULL
#define LFR_HIGHS  0x8080808080808080ULL
#define lfr_has_zero(w)  (((w) - LFR_ONES) & ~(w) & LFR_HIGHS)


typedef enum {
    LFR_OP_IN = 0,
    LFR_OP_NOT_IN,
    LFR_OP_RANGE,
    LFR_OP_EQ,
    LFR_OP_NE,
    LFR_OP_LT,
    LFR_OP_LE,
    LFR_OP_GT,
    LFR_OP_GE,
    LFR_OP_RE,
    LFR_OP_NOT_RE,
    LFR_OP_HAS,
    LFR_OP_EXISTS,
    LFR_OP_MISSING
} lfr_op_t;


/* A literal; numeric literals keep their value for numeric comparison. */
typedef struct {
    const char   *data;
    size_t        len;
    double        num;
    int           is_num;
    unsigned      line;         /* where it is written, for hosts' checks */
    unsigned      col;
} lfr_value_t;


typedef struct {
    uint32_t      slot;
    lfr_op_t      op;
    unsigned      weight;
    uint32_t      value;        /* first literal in rules->values */
    uint32_t      nvalues;
    double        lo;           /* numeric bound(s) */
    double        hi;
    pcre2_code   *re;          /* its source is the single literal */
    const char   *field;        /* as written, for lfr_explain */
    uint32_t      memo;         /* the same for identical conditions */
    uint32_t      set;          /* its texts' ids: a bitset in rules->sets */
    unsigned      caseless:1;
    unsigned      jit:1;
    unsigned      has_num:1;    /* one of the literals is a number */
    unsigned      shared:1;     /* another condition is identical */
} lfr_cond_t;


/* An icp, exclude or persona block. */
typedef struct {
    const char   *name;
    uint32_t      cond;         /* first condition in rules->conds */
    uint32_t      nconds;
    unsigned      total;        /* sum of the weights */
    unsigned      threshold;
    unsigned      need;         /* the weight the threshold asks for */
    unsigned      line;
    unsigned      col;
} lfr_block_t;


typedef struct {
    const char   *name;
    const char   *uri;
    unsigned      weight;
    unsigned      cum;          /* cumulative upper bound of its buckets */
} lfr_variant_t;


typedef struct {
    int           segment;      /* ICP, LFR_NONE, LFR_EXCLUDED, LFR_ANY */
    int           persona;      /* persona index, LFR_NONE, LFR_ANY */
    const char   *name;         /* "SEGMENT/PERSONA" */
    const char   *experiment;   /* NULL with a single variant */
    uint32_t      variant;      /* first variant in rules->variants */
    uint32_t      nvariants;
} lfr_route_t;


typedef struct {
    lfr_source_t  source;
    const char   *name;
    size_t        len;          /* of name */
} lfr_slot_t;


/*
 * The distinct texts the rules compare a slot with (in, not in, ==, !=,
 * has), in ASCII lower case, each with an id: an input is looked up once,
 * then every such condition on the slot is a bit test.
 */
typedef struct {
    uint32_t     *table;        /* open addressing: id + 1, 0 when empty */
    uint32_t      mask;
    const char  **text;
    uint32_t     *len;
    uint32_t     *hash;
    uint32_t      n;
    uint32_t      nw;           /* 64-bit words in a set of this slot */
    uint32_t      has;          /* its "has" set in rules->has_sets */
} lfr_dict_t;


/* Per-slot facts computed lazily, at most once per lfr_classify call. */
#define LFR_NUM_DONE  0x01
#define LFR_NUM_OK    0x02
#define LFR_UTF_DONE  0x04
#define LFR_UTF_OK    0x08
#define LFR_ID_DONE   0x10
#define LFR_HAS_DONE  0x20

typedef struct {
    unsigned      flags;
    int           id;           /* in the slot's dict, or -1 */
    double        num;
} lfr_scratch_t;


typedef struct lfr_chunk_s  lfr_chunk_t;

struct lfr_chunk_s {
    lfr_chunk_t  *next;
    size_t        used;
    size_t        size;
};


struct lfr_rules_s {
    lfr_slot_t             *slots;
    size_t                  nslots;
    lfr_cond_t             *conds;
    size_t                  nconds;
    lfr_value_t            *values;
    size_t                  nvalues;
    lfr_block_t            *icps;
    size_t                  nicps;
    lfr_block_t            *excludes;
    size_t                  nexcludes;
    lfr_block_t            *personas;
    size_t                  npersonas;
    lfr_route_t            *routes;
    size_t                  nroutes;
    lfr_variant_t          *variants;
    size_t                  nvariants;

    /*
     * Per-call state: the slots' facts, and the verdict of each distinct
     * condition (0 not yet known, 1 false, 2 true), so a condition
     * repeated in several blocks is tested once.  memo follows scratch
     * in its allocation.
     */
    lfr_scratch_t          *scratch;
    unsigned char          *memo;
    size_t                  nmemo;

    /* Conditions in evaluation order: a block's regexes come last. */
    uint32_t               *order;

    /* The route of every segment and persona: (segment + 2) rows. */
    int                    *route_table;

    lfr_dict_t             *dicts;      /* one per slot */
    uint64_t               *sets;       /* conditions' sets of text ids */
    uint64_t               *has_sets;   /* per call: ids in "has" inputs */

    pcre2_match_data       *match_data;
    pcre2_match_context    *match_ctx;

    lfr_chunk_t            *arena;
};


lfr_rules_t *lfr_rules_new(void);
char *lfr_alloc(lfr_rules_t *rules, size_t len);
char *lfr_strdup(lfr_rules_t *rules, const char *s, size_t len);
int lfr_plan(lfr_rules_t *rules);
int lfr_dict_build(lfr_rules_t *rules);
void lfr_dict_free(lfr_rules_t *rules);
int lfr_dict_find(const lfr_dict_t *dict, const char *s, size_t len);
int lfr_is_text_op(lfr_op_t op);
int lfr_field_resolve(const char *field, size_t len, lfr_source_t *source,
    const char **name, size_t *name_len);

#endif /* LFR_INT_H */
