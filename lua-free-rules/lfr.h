/*
 * lua-free-rules: the rules language of ngx_icp_module.
 *
 * A plain C99 library with no nginx types in its API: the module, the
 * icp-rules CLI and the unit tests all decide through these calls, so they
 * cannot disagree.
 *
 * Life cycle: compile once (lfr_compile_file), ask which input slots the
 * rules read (lfr_slot_*), then per request fill an array of lfr_str_t
 * indexed by slot and call lfr_classify; lfr_free releases everything,
 * compiled regexes included.
 *
 * Evaluation is single-threaded per ruleset: the ruleset owns the PCRE2
 * match data it reuses on every call.
 */

#ifndef LFR_H
#define LFR_H

#include <stddef.h>
#include <stdint.h>


typedef struct lfr_rules_s  lfr_rules_t;


/* The value of one input field; data == NULL means the field is absent. */
typedef struct {
    const char  *data;
    size_t       len;
} lfr_str_t;


/* Where the host finds the value of a slot. */
typedef enum {
    LFR_SRC_UTM = 0,     /* utm_source ... utm_id */
    LFR_SRC_CLICK_ID,    /* name of the click id present: gclid, ... */
    LFR_SRC_VISITS,      /* visit count, decimal text */
    LFR_SRC_FIRMO,       /* firmographic field; slot name: "industry" */
    LFR_SRC_CONTACT,     /* contact field; slot name: "title" */
    LFR_SRC_VAR          /* host variable; slot name without the '$' */
} lfr_source_t;


/* Slots every ruleset has, at these indexes, whether the rules use them. */
enum {
    LFR_SLOT_UTM_SOURCE = 0,
    LFR_SLOT_UTM_MEDIUM,
    LFR_SLOT_UTM_CAMPAIGN,
    LFR_SLOT_UTM_TERM,
    LFR_SLOT_UTM_CONTENT,
    LFR_SLOT_UTM_ID,
    LFR_SLOT_CLICK_ID,
    LFR_SLOT_VISITS,
    LFR_SLOT_FIXED              /* index of the first rules-defined slot */
};


typedef enum {
    LFR_ERROR = 0,
    LFR_WARNING
} lfr_severity_t;


/*
 * Called once per diagnostic.  msg says what was found and what was
 * expected; the host prints "file:line:col: msg".  line and col are 1-based;
 * col counts bytes.  Both are 0 when lfr_compile_file cannot read the file.
 */
typedef void (*lfr_diag_pt)(void *ctx, lfr_severity_t severity,
    const char *file, unsigned line, unsigned col, const char *msg);


/*
 * Returns NULL after reporting the first error; warnings do not stop it.
 * Every name compiled rules hold (blocks, fields, experiments, variants)
 * is letters, digits, '_', '-' and '.' only: hosts write them, and routes
 * and lfr_explain's text made of them, to JSON and headers unescaped.
 */
lfr_rules_t *lfr_compile(const char *file, const char *src, size_t len,
    lfr_diag_pt diag, void *ctx);
lfr_rules_t *lfr_compile_file(const char *path, lfr_diag_pt diag, void *ctx);
void lfr_free(lfr_rules_t *rules);


/* Input slots: LFR_SLOT_FIXED fixed ones, then one per distinct field. */
size_t lfr_nslots(const lfr_rules_t *rules);
lfr_source_t lfr_slot_source(const lfr_rules_t *rules, size_t slot);
const char *lfr_slot_name(const lfr_rules_t *rules, size_t slot);
/* The length of lfr_slot_name, kept: hosts match names on every request. */
size_t lfr_slot_name_len(const lfr_rules_t *rules, size_t slot);
/* -1 when the rules do not read that field. */
int lfr_slot_find(const lfr_rules_t *rules, lfr_source_t source,
    const char *name);
/*
 * The slot of a field written as in the rules ("industry",
 * "firmo.industry", "contact.title", "$host", "visits"): -1 when the rules
 * do not read it, -2 when it is not a field name.
 */
int lfr_field_find(const lfr_rules_t *rules, const char *field, size_t len);


/*
 * The texts the rules compare a field with (in, not in, ==, !=, has; not
 * numbers or regexes), as written, and where, in file order: a host
 * checks them against a vocabulary of its own, as `icp-rules check`
 * does the industries.  field is written as in the rules ("industry").
 */
typedef void (*lfr_text_pt)(void *ctx, const char *text, size_t len,
    unsigned line, unsigned col);
void lfr_field_texts(const lfr_rules_t *rules, const char *field,
    size_t len, lfr_text_pt fn, void *ctx);


typedef struct {
    unsigned     icps;
    unsigned     excludes;
    unsigned     personas;
    unsigned     routes;
    unsigned     experiments;
} lfr_summary_t;

void lfr_summary(const lfr_rules_t *rules, lfr_summary_t *summary);


#define LFR_NONE      (-1)
#define LFR_EXCLUDED  (-2)

typedef struct {
    int          segment;   /* ICP index, LFR_NONE or LFR_EXCLUDED */
    int          exclude;   /* matching exclude block, or -1 */
    int          score;     /* 0..100, see the README for none/excluded */
    int          near;      /* segment none: the first ICP with that best
                               score (for the reason), or LFR_NONE */
    int          persona;   /* persona index or LFR_NONE */
    int          route;     /* route index, or LFR_NONE: no route matched */
    uint64_t     held;      /* bit i: condition i, as written, of the ICP
                               the reason shows (segment or near) held;
                               lfr_explain tests only those past the 64th */
} lfr_result_t;

/* inputs has lfr_nslots(rules) entries. */
void lfr_classify(const lfr_rules_t *rules, const lfr_str_t *inputs,
    lfr_result_t *result);

/*
 * The reason: which conditions held or failed, short, one line, for
 * $icp_reason and the debug header; result is lfr_classify's for the same
 * inputs.  snprintf semantics.
 */
size_t lfr_explain(const lfr_rules_t *rules, const lfr_str_t *inputs,
    const lfr_result_t *result, char *buf, size_t size);


/* "none" and "excluded" for LFR_NONE and LFR_EXCLUDED. */
const char *lfr_segment_name(const lfr_rules_t *rules, int segment);
const char *lfr_persona_name(const lfr_rules_t *rules, int persona);


/* Routes and their variants; route indexes come from lfr_result_t. */
size_t lfr_nroutes(const lfr_rules_t *rules);
/* "SEGMENT/PERSONA" as the route's patterns are written: "*\/marketer". */
const char *lfr_route_name(const lfr_rules_t *rules, int route);
/* NULL when the route has a single variant (no experiment). */
const char *lfr_route_experiment(const lfr_rules_t *rules, int route);
size_t lfr_route_nvariants(const lfr_rules_t *rules, int route);
const char *lfr_variant_name(const lfr_rules_t *rules, int route,
    size_t variant);
const char *lfr_variant_uri(const lfr_rules_t *rules, int route,
    size_t variant);
unsigned lfr_variant_weight(const lfr_rules_t *rules, int route,
    size_t variant);
/* -1 when the route has no variant of that name. */
int lfr_variant_find(const lfr_rules_t *rules, int route, const char *name,
    size_t len);


/*
 * Assignment.  bucket = MurmurHash3_x86_32(experiment "\0" visitor,
 * seed 0) mod 10000; lfr_pick_variant walks the cumulative weights scaled
 * to 10000.  Documented in README so offline analysis can reproduce it.
 */
uint32_t lfr_murmur3_32(const void *data, size_t len, uint32_t seed);
unsigned lfr_bucket(const char *experiment, size_t elen,
    const char *visitor, size_t vlen);
size_t lfr_pick_variant(const lfr_rules_t *rules, int route,
    unsigned bucket);


/*
 * JSON string escaping shared by the CLI and the module's log: quotes,
 * backslashes and control characters escaped, invalid UTF-8 replaced by
 * U+FFFD.  Writes no quotes around the string.  Returns the length the full
 * output needs; writes at most size bytes (no terminating NUL).
 */
size_t lfr_json_escape(char *dst, size_t size, const char *src, size_t len);

/*
 * Copies to dst the longest prefix of src that a JSON string carries as it
 * is (printable ASCII but '"' and '\\') and returns its length; dst has
 * room for len bytes and gets no byte past the prefix.  When it returns
 * len, lfr_json_escape would have copied src unchanged.
 */
size_t lfr_json_plain(char *dst, const char *src, size_t len);


/*
 * Helpers the hosts share with the library, so that a value is judged
 * the same way wherever it is read.
 *
 * lfr_parse_number: 0 when s is a number as the rules write one (an
 * optional sign, digits, fraction, K, M or B suffix), in *num; else -1.
 * lfr_utf8_valid: nonzero when s is well-formed UTF-8.  lfr_has_control:
 * nonzero when s holds a byte below 0x20 or DEL, which no header or log
 * line may carry.
 */
int lfr_parse_number(const char *s, size_t len, double *num);
int lfr_utf8_valid(const char *s, size_t len);
int lfr_has_control(const char *s, size_t len);


#endif /* LFR_H */
