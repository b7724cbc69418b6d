/*
 * The compiler: parses rules text into lfr_rules_t, resolving field names
 * to slots, compiling regexes, and checking everything that can be checked
 * before the first request.  The first error stops; warnings do not.
 * Routes are parsed in lfr_route.c, the evaluation planned in lfr_plan.c.
 */

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lfr_int.h"
#include "lfr_parse.h"


typedef enum {
    LFR_BLOCK_ICP = 0,
    LFR_BLOCK_EXCLUDE,
    LFR_BLOCK_PERSONA
} lfr_block_kind_t;


static const char  *lfr_block_kinds[] = { "icp", "exclude", "persona" };


static void
lfr_report(lfr_parser_t *p, lfr_severity_t severity, unsigned line,
    unsigned col, const char *fmt, va_list args)
{
    char  msg[512];

    vsnprintf(msg, sizeof(msg), fmt, args);

    if (p->diag) {
        p->diag(p->ctx, severity, p->file, line, col, msg);
    }
}


int
lfr_error(lfr_parser_t *p, const lfr_token_t *tok, const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    lfr_report(p, LFR_ERROR, tok->line, tok->col, fmt, args);
    va_end(args);

    return -1;
}


void
lfr_warn(lfr_parser_t *p, const lfr_token_t *tok, const char *fmt, ...)
{
    va_list  args;

    va_start(args, fmt);
    lfr_report(p, LFR_WARNING, tok->line, tok->col, fmt, args);
    va_end(args);
}


/* A token as a diagnostic shows it: quoted, printable, short. */
const char *
lfr_show(const lfr_token_t *tok, char *buf, size_t size)
{
    size_t  i, n;

    switch (tok->type) {
    case LFR_TOK_EOF:
        return "end of file";
    case LFR_TOK_STRING:
    case LFR_TOK_WORD:
    case LFR_TOK_OP:
        break;
    default:
        snprintf(buf, size, "'%.*s'", (int) tok->len, tok->data);
        return buf;
    }

    n = 0;
    buf[n++] = '\'';

    for (i = 0; i < tok->len && n + 5 < size; i++) {
        if (i == 40) {
            memcpy(buf + n, "...", 3);
            n += 3;
            break;
        }

        buf[n++] = (tok->data[i] >= 0x20 && tok->data[i] < 0x7f)
                   ? tok->data[i] : '?';
    }

    buf[n++] = '\'';
    buf[n] = '\0';

    return buf;
}


int
lfr_next(lfr_parser_t *p)
{
    lfr_lex_next(&p->lx, &p->tok);

    if (p->tok.type == LFR_TOK_ERROR) {
        return lfr_error(p, &p->tok, "%s", p->tok.data);
    }

    return 0;
}


int
lfr_is(const lfr_token_t *tok, const char *word)
{
    return tok->type == LFR_TOK_WORD && strlen(word) == tok->len
           && memcmp(tok->data, word, tok->len) == 0;
}


int
lfr_expect(lfr_parser_t *p, lfr_tok_type_t type, const char *what)
{
    char  buf[64];

    if (p->tok.type != type) {
        return lfr_error(p, &p->tok, "expected %s, found %s", what,
                         lfr_show(&p->tok, buf, sizeof(buf)));
    }

    return lfr_next(p);
}


int
lfr_oom(lfr_parser_t *p)
{
    return lfr_error(p, &p->tok, "out of memory");
}


/* Room for one more element; NULL leaves the array as it was. */
void *
lfr_reserve(void *array, size_t n, size_t *cap, size_t size)
{
    size_t   ncap;
    void    *a;

    if (n < *cap) {
        return array;
    }

    ncap = n < 4 ? 8 : n * 2;

    a = realloc(array, ncap * size);
    if (a == NULL) {
        return NULL;
    }

    *cap = ncap;

    return a;
}


const char *
lfr_tok_dup(lfr_parser_t *p, const lfr_token_t *tok)
{
    return lfr_strdup(p->rules, tok->data, tok->len);
}


/* Names of blocks, variants and experiments end up in logs and headers. */
int
lfr_name(lfr_parser_t *p, const char *what, const char **name)
{
    size_t        i;
    char          c, buf[64];
    lfr_token_t  *tok;

    tok = &p->tok;

    if (tok->type != LFR_TOK_WORD) {
        return lfr_error(p, tok, "expected %s name, found %s", what,
                         lfr_show(tok, buf, sizeof(buf)));
    }

    for (i = 0; i < tok->len; i++) {
        c = tok->data[i];

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9') || c == '_' || c == '-' || c == '.'))
        {
            return lfr_error(p, tok, "invalid %s name %s: use letters, "
                             "digits, '_', '-' and '.'", what,
                             lfr_show(tok, buf, sizeof(buf)));
        }
    }

    *name = lfr_tok_dup(p, tok);
    if (*name == NULL) {
        return lfr_oom(p);
    }

    return lfr_next(p);
}


int
lfr_integer(lfr_parser_t *p, const char *what, unsigned min, unsigned max,
    unsigned *value)
{
    size_t        i;
    unsigned      v;
    char          buf[64];
    lfr_token_t  *tok;

    tok = &p->tok;
    v = 0;

    for (i = 0; i < tok->len && tok->type == LFR_TOK_WORD; i++) {
        if (tok->data[i] < '0' || tok->data[i] > '9' || v > max) {
            break;
        }
        v = v * 10 + (tok->data[i] - '0');
    }

    if (tok->type != LFR_TOK_WORD || i < tok->len || v < min || v > max) {
        return lfr_error(p, tok, "%s must be an integer from %u to %u, "
                         "found %s", what, min, max,
                         lfr_show(tok, buf, sizeof(buf)));
    }

    *value = v;

    return lfr_next(p);
}


static int
lfr_number(lfr_parser_t *p, double *num)
{
    char  buf[64];

    if (p->tok.type != LFR_TOK_WORD
        || lfr_parse_number(p->tok.data, p->tok.len, num) != 0)
    {
        return lfr_error(p, &p->tok, "bad number %s: expected digits with "
                         "an optional fraction and K, M or B suffix",
                         lfr_show(&p->tok, buf, sizeof(buf)));
    }

    return lfr_next(p);
}


static int
lfr_slot(lfr_parser_t *p, uint32_t *slot)
{
    size_t         i, len;
    char           buf[64];
    const char    *name;
    lfr_slot_t    *s;
    lfr_source_t   source;
    lfr_rules_t   *rules;

    rules = p->rules;

    if (p->tok.type != LFR_TOK_WORD
        || lfr_field_resolve(p->tok.data, p->tok.len, &source, &name, &len)
           != 0)
    {
        return lfr_error(p, &p->tok, "unknown field %s: expected a UTM "
                         "field, click_id, visits, a firmographic or "
                         "contact field, firmo.NAME, contact.NAME or $NAME",
                         lfr_show(&p->tok, buf, sizeof(buf)));
    }

    for (i = 0; i < rules->nslots; i++) {
        if (rules->slots[i].source == source
            && rules->slots[i].len == len
            && memcmp(rules->slots[i].name, name, len) == 0)
        {
            *slot = i;
            return 0;
        }
    }

    s = lfr_reserve(rules->slots, rules->nslots, &p->slots_cap,
                    sizeof(lfr_slot_t));
    if (s == NULL) {
        return lfr_oom(p);
    }

    rules->slots = s;
    s = &rules->slots[rules->nslots];
    s->source = source;
    s->len = len;
    s->name = lfr_strdup(rules, name, len);
    if (s->name == NULL) {
        return lfr_oom(p);
    }

    *slot = rules->nslots++;

    return 0;
}


static int
lfr_value(lfr_parser_t *p, lfr_cond_t *cond)
{
    char          buf[64];
    lfr_value_t  *v;
    lfr_rules_t  *rules;

    rules = p->rules;

    if (p->tok.type != LFR_TOK_WORD && p->tok.type != LFR_TOK_STRING) {
        return lfr_error(p, &p->tok, "expected a value, found %s",
                         lfr_show(&p->tok, buf, sizeof(buf)));
    }

    v = lfr_reserve(rules->values, rules->nvalues, &p->values_cap,
                    sizeof(lfr_value_t));
    if (v == NULL) {
        return lfr_oom(p);
    }

    rules->values = v;
    v = &rules->values[rules->nvalues++];
    v->line = p->tok.line;
    v->col = p->tok.col;
    v->len = p->tok.len;
    v->data = lfr_tok_dup(p, &p->tok);
    if (v->data == NULL) {
        return lfr_oom(p);
    }

    /* only bare numbers compare as numbers: "10" quoted is text */
    v->is_num = p->tok.type == LFR_TOK_WORD
                && lfr_parse_number(v->data, v->len, &v->num) == 0;
    cond->has_num |= v->is_num;

    if (cond->nvalues++ == 0) {
        cond->value = rules->nvalues - 1;
    }

    return lfr_next(p);
}


static int
lfr_list(lfr_parser_t *p, lfr_cond_t *cond)
{
    char         buf[64];
    lfr_token_t  open;

    open = p->tok;

    if (lfr_next(p) != 0) {
        return -1;
    }

    while (p->tok.type != LFR_TOK_RPAREN) {
        if (p->tok.type != LFR_TOK_WORD && p->tok.type != LFR_TOK_STRING) {
            return lfr_error(p, &p->tok, "expected a value or ')' in the "
                             "list opened at %u:%u, found %s", open.line,
                             open.col, lfr_show(&p->tok, buf, sizeof(buf)));
        }

        if (lfr_value(p, cond) != 0) {
            return -1;
        }

        if (p->tok.type == LFR_TOK_COMMA && lfr_next(p) != 0) {
            return -1;
        }
    }

    if (cond->nvalues == 0) {
        return lfr_error(p, &open, "empty list");
    }

    return lfr_next(p);
}


static int
lfr_regex(lfr_parser_t *p, lfr_cond_t *cond, int caseless)
{
    int          rc;
    char         buf[64];
    uint32_t     options;
    PCRE2_SIZE   offset;
    PCRE2_UCHAR  msg[256];

    if (p->tok.type != LFR_TOK_WORD && p->tok.type != LFR_TOK_STRING) {
        return lfr_error(p, &p->tok, "expected a regex, found %s",
                         lfr_show(&p->tok, buf, sizeof(buf)));
    }

    cond->caseless = caseless;

    /* \C could split a UTF-8 character and is never needed here */
    options = PCRE2_UTF | PCRE2_NEVER_BACKSLASH_C
              | (caseless ? PCRE2_CASELESS : 0);

    cond->re = pcre2_compile((PCRE2_SPTR) p->tok.data, p->tok.len, options,
                             &rc, &offset, NULL);

    if (cond->re == NULL) {
        pcre2_get_error_message(rc, msg, sizeof(msg));
        return lfr_error(p, &p->tok, "regex %s does not compile: %s at "
                         "offset %lu", lfr_show(&p->tok, buf, sizeof(buf)),
                         (char *) msg, (unsigned long) offset);
    }

    /* without JIT (an unsupported CPU) the interpreter still matches */
    cond->jit = pcre2_jit_compile(cond->re, PCRE2_JIT_COMPLETE) == 0;

    /* the source, kept as the literal, tells identical regexes apart */
    return lfr_value(p, cond);
}


static const struct {
    const char  *text;
    lfr_op_t     op;
} lfr_ops[] = {
    { "==", LFR_OP_EQ }, { "!=", LFR_OP_NE },
    { "<", LFR_OP_LT }, { "<=", LFR_OP_LE },
    { ">", LFR_OP_GT }, { ">=", LFR_OP_GE },
    { "~", LFR_OP_RE }, { "~*", LFR_OP_RE },
    { "!~", LFR_OP_NOT_RE }, { "!~*", LFR_OP_NOT_RE },
    { NULL, LFR_OP_EXISTS }
};


static int
lfr_operator(lfr_parser_t *p, lfr_cond_t *cond, const char *field)
{
    size_t        i;
    char          buf[64];
    lfr_token_t  *tok, hi;

    tok = &p->tok;

    if (lfr_is(tok, "in")) {
        if (lfr_next(p) != 0) {
            return -1;
        }

        if (p->tok.type == LFR_TOK_LPAREN) {
            cond->op = LFR_OP_IN;
            return lfr_list(p, cond);
        }

        if (p->tok.type != LFR_TOK_WORD) {
            return lfr_error(p, tok, "expected '(' or a range A..B after "
                             "'in', found %s",
                             lfr_show(tok, buf, sizeof(buf)));
        }

        cond->op = LFR_OP_RANGE;

        if (lfr_number(p, &cond->lo) != 0
            || lfr_expect(p, LFR_TOK_DOTDOT, "'..' of a range A..B") != 0)
        {
            return -1;
        }

        hi = p->tok;

        if (lfr_number(p, &cond->hi) != 0) {
            return -1;
        }

        if (cond->lo > cond->hi) {
            return lfr_error(p, &hi, "empty range: the lower bound is "
                             "greater than the upper one");
        }

        return 0;
    }

    if (lfr_is(tok, "not")) {
        if (lfr_next(p) != 0) {
            return -1;
        }

        if (!lfr_is(tok, "in")) {
            return lfr_error(p, tok, "expected 'in' after 'not', found %s",
                             lfr_show(tok, buf, sizeof(buf)));
        }

        if (lfr_next(p) != 0) {
            return -1;
        }

        if (tok->type != LFR_TOK_LPAREN) {
            return lfr_error(p, tok, "expected '(' after 'not in', found %s",
                             lfr_show(tok, buf, sizeof(buf)));
        }

        cond->op = LFR_OP_NOT_IN;
        return lfr_list(p, cond);
    }

    if (lfr_is(tok, "has")) {
        cond->op = LFR_OP_HAS;

        if (lfr_next(p) != 0) {
            return -1;
        }

        return tok->type == LFR_TOK_LPAREN ? lfr_list(p, cond)
                                           : lfr_value(p, cond);
    }

    if (lfr_is(tok, "exists") || lfr_is(tok, "missing")) {
        cond->op = tok->data[0] == 'e' ? LFR_OP_EXISTS : LFR_OP_MISSING;
        return lfr_next(p);
    }

    for (i = 0; tok->type == LFR_TOK_OP && lfr_ops[i].text; i++) {
        if (strlen(lfr_ops[i].text) == tok->len
            && memcmp(lfr_ops[i].text, tok->data, tok->len) == 0)
        {
            break;
        }
    }

    if (tok->type != LFR_TOK_OP || lfr_ops[i].text == NULL) {
        return lfr_error(p, tok, "unknown operator %s after '%s': expected "
                         "in, not in, ==, !=, <, <=, >, >=, ~, ~*, !~, !~*, "
                         "has, exists or missing",
                         lfr_show(tok, buf, sizeof(buf)), field);
    }

    cond->op = lfr_ops[i].op;

    if (lfr_next(p) != 0) {
        return -1;
    }

    switch (cond->op) {

    case LFR_OP_EQ:
    case LFR_OP_NE:
        return lfr_value(p, cond);

    case LFR_OP_RE:
    case LFR_OP_NOT_RE:
        return lfr_regex(p, cond, strchr(lfr_ops[i].text, '*') != NULL);

    default:
        return lfr_number(p, &cond->lo);
    }
}


static int
lfr_condition(lfr_parser_t *p, lfr_block_kind_t kind)
{
    lfr_cond_t   *c;
    lfr_rules_t  *rules;
    lfr_token_t   weight;

    rules = p->rules;

    c = lfr_reserve(rules->conds, rules->nconds, &p->conds_cap,
                    sizeof(lfr_cond_t));
    if (c == NULL) {
        return lfr_oom(p);
    }

    rules->conds = c;
    c = &rules->conds[rules->nconds++];
    memset(c, 0, sizeof(lfr_cond_t));
    c->weight = 1;

    if (lfr_slot(p, &c->slot) != 0) {
        return -1;
    }

    c->field = lfr_tok_dup(p, &p->tok);
    if (c->field == NULL) {
        return lfr_oom(p);
    }

    if (lfr_next(p) != 0 || lfr_operator(p, c, c->field) != 0) {
        return -1;
    }

    if (lfr_is(&p->tok, "weight")) {
        weight = p->tok;

        if (lfr_next(p) != 0
            || lfr_integer(p, "weight", 1, LFR_MAX_WEIGHT, &c->weight) != 0)
        {
            return -1;
        }

        if (kind != LFR_BLOCK_ICP) {
            lfr_warn(p, &weight, "weight has no effect in %s blocks: all "
                     "their conditions must hold", lfr_block_kinds[kind]);
        }
    }

    return lfr_expect(p, LFR_TOK_SEMI, "';' or 'weight'");
}


static int
lfr_reserved(const char *name)
{
    return strcmp(name, "none") == 0 || strcmp(name, "excluded") == 0;
}


/*
 * Block names for the duplicate check: an open-addressing table of
 * kind << 28 | index, plus 1 (0 is free), so that a file of many blocks
 * loads in linear time.
 */

static const lfr_block_t *
lfr_block_at(const lfr_rules_t *rules, uint32_t entry)
{
    uint32_t  i;

    i = entry & 0x0fffffff;

    switch (entry >> 28) {
    case LFR_BLOCK_ICP:
        return &rules->icps[i];
    case LFR_BLOCK_EXCLUDE:
        return &rules->excludes[i];
    default:
        return &rules->personas[i];
    }
}


/* The slot of that kind and name in table: its entry, or a free one. */
static size_t
lfr_name_slot(const lfr_rules_t *rules, const uint32_t *table, size_t size,
    uint32_t kind, const char *name)
{
    size_t    pos;
    uint32_t  e;

    pos = lfr_murmur3_32(name, strlen(name), kind) & (size - 1);

    while ((e = table[pos]) != 0) {
        if (((e - 1) >> 28) == kind
            && strcmp(lfr_block_at(rules, e - 1)->name, name) == 0)
        {
            break;
        }

        pos = (pos + 1) & (size - 1);
    }

    return pos;
}


static const lfr_block_t *
lfr_name_find(lfr_parser_t *p, lfr_block_kind_t kind, const char *name)
{
    size_t  pos;

    if (p->names_size == 0) {
        return NULL;
    }

    pos = lfr_name_slot(p->rules, p->names, p->names_size, kind, name);

    return p->names[pos] ? lfr_block_at(p->rules, p->names[pos] - 1) : NULL;
}


/* Adds the block just appended; the table doubles at half full. */
static int
lfr_name_add(lfr_parser_t *p, lfr_block_kind_t kind, size_t index)
{
    size_t      i, size, pos;
    uint32_t   *table, e;

    if (2 * (p->nnames + 1) > p->names_size) {
        size = p->names_size ? 2 * p->names_size : 64;

        table = calloc(size, sizeof(uint32_t));
        if (table == NULL) {
            return -1;
        }

        for (i = 0; i < p->names_size; i++) {
            e = p->names[i];

            if (e) {
                pos = lfr_name_slot(p->rules, table, size, (e - 1) >> 28,
                                    lfr_block_at(p->rules, e - 1)->name);
                table[pos] = e;
            }
        }

        free(p->names);
        p->names = table;
        p->names_size = size;
    }

    e = ((uint32_t) kind << 28 | (uint32_t) index) + 1;
    pos = lfr_name_slot(p->rules, p->names, p->names_size, kind,
                        lfr_block_at(p->rules, e - 1)->name);
    p->names[pos] = e;
    p->nnames++;

    return 0;
}


static int
lfr_block(lfr_parser_t *p, lfr_block_kind_t kind)
{
    size_t        i, n, *cap;
    unsigned      threshold;
    lfr_block_t   b, *blocks;
    lfr_token_t   start, name, thr;
    const lfr_block_t  *prev;
    lfr_rules_t  *rules;
    const char   *what;

    rules = p->rules;
    what = lfr_block_kinds[kind];
    start = p->tok;

    switch (kind) {
    case LFR_BLOCK_ICP:
        blocks = rules->icps; n = rules->nicps; cap = &p->icps_cap;
        break;
    case LFR_BLOCK_EXCLUDE:
        blocks = rules->excludes; n = rules->nexcludes;
        cap = &p->excludes_cap;
        break;
    default:
        blocks = rules->personas; n = rules->npersonas;
        cap = &p->personas_cap;
        break;
    }

    memset(&b, 0, sizeof(lfr_block_t));
    b.line = start.line;
    b.col = start.col;
    b.cond = rules->nconds;
    threshold = 0;

    if (lfr_next(p) != 0) {
        return -1;
    }

    name = p->tok;

    if (lfr_name(p, what, &b.name) != 0) {
        return -1;
    }

    if (lfr_reserved(b.name)) {
        return lfr_error(p, &name, "'%s' is reserved: choose another %s "
                         "name", b.name, what);
    }

    prev = lfr_name_find(p, kind, b.name);

    if (prev) {
        return lfr_error(p, &name, "duplicate %s '%s', first defined "
                         "at %u:%u", what, b.name, prev->line, prev->col);
    }

    if (lfr_expect(p, LFR_TOK_LBRACE, "'{'") != 0) {
        return -1;
    }

    while (p->tok.type != LFR_TOK_RBRACE) {
        if (p->tok.type == LFR_TOK_EOF) {
            return lfr_error(p, &p->tok, "expected '}' to close %s '%s' "
                             "opened at %u:%u, found end of file", what,
                             b.name, start.line, start.col);
        }

        if (!lfr_is(&p->tok, "threshold")) {
            if (lfr_condition(p, kind) != 0) {
                return -1;
            }
            continue;
        }

        thr = p->tok;

        if (kind != LFR_BLOCK_ICP) {
            return lfr_error(p, &thr, "threshold is only allowed in icp "
                             "blocks, found in %s '%s'", what, b.name);
        }

        if (threshold) {
            return lfr_error(p, &thr, "duplicate threshold in icp '%s'",
                             b.name);
        }

        threshold = 1;

        if (lfr_next(p) != 0
            || lfr_integer(p, "threshold", 0, 100, &b.threshold) != 0
            || lfr_expect(p, LFR_TOK_SEMI, "';'") != 0)
        {
            return -1;
        }
    }

    b.nconds = rules->nconds - b.cond;

    if (b.nconds == 0) {
        return lfr_error(p, &start, "empty %s '%s': expected at least one "
                         "condition", what, b.name);
    }

    if (!threshold) {
        b.threshold = 100;
    }

    for (i = b.cond; i < rules->nconds; i++) {
        b.total += rules->conds[i].weight;
    }

    /* score >= threshold, in integers: 100 * need >= threshold * total */
    b.need = (unsigned) (((uint64_t) b.threshold * b.total + 99) / 100);

    blocks = lfr_reserve(blocks, n, cap, sizeof(lfr_block_t));
    if (blocks == NULL) {
        return lfr_oom(p);
    }

    blocks[n++] = b;

    switch (kind) {
    case LFR_BLOCK_ICP:
        rules->icps = blocks; rules->nicps = n;
        break;
    case LFR_BLOCK_EXCLUDE:
        rules->excludes = blocks; rules->nexcludes = n;
        break;
    default:
        rules->personas = blocks; rules->npersonas = n;
        break;
    }

    if (lfr_name_add(p, kind, n - 1) != 0) {
        return lfr_oom(p);
    }

    return lfr_next(p);
}


static int
lfr_finish(lfr_parser_t *p)
{
    lfr_rules_t  *rules;

    rules = p->rules;

    rules->order = malloc((rules->nconds + 1) * sizeof(uint32_t));
    if (rules->order == NULL) {
        return lfr_oom(p);
    }

    if (lfr_plan(rules) != 0) {
        return lfr_oom(p);
    }

    if (lfr_route_table(p) != 0) {
        return -1;
    }

    if (lfr_dict_build(rules) != 0) {
        return lfr_oom(p);
    }

    /* the verdicts after the slots' facts: one memset clears both */
    rules->scratch = calloc(1, rules->nslots * sizeof(lfr_scratch_t)
                               + rules->nmemo + 1);
    rules->match_data = pcre2_match_data_create(1, NULL);
    rules->match_ctx = pcre2_match_context_create(NULL);

    if (rules->scratch == NULL || rules->match_data == NULL
        || rules->match_ctx == NULL)
    {
        return lfr_oom(p);
    }

    rules->memo = (unsigned char *) &rules->scratch[rules->nslots];

    /* a pathological regex such as (a+)+$ gives up instead of spinning */
    pcre2_set_match_limit(rules->match_ctx, 100000);
    pcre2_set_depth_limit(rules->match_ctx, 1000);

    return 0;
}


static int
lfr_parse(lfr_parser_t *p)
{
    char  buf[64];

    if (lfr_next(p) != 0) {
        return -1;
    }

    while (p->tok.type != LFR_TOK_EOF) {
        if (lfr_is(&p->tok, "icp")) {
            if (lfr_block(p, LFR_BLOCK_ICP) != 0) {
                return -1;
            }

        } else if (lfr_is(&p->tok, "exclude")) {
            if (lfr_block(p, LFR_BLOCK_EXCLUDE) != 0) {
                return -1;
            }

        } else if (lfr_is(&p->tok, "persona")) {
            if (lfr_block(p, LFR_BLOCK_PERSONA) != 0) {
                return -1;
            }

        } else if (lfr_is(&p->tok, "route")) {
            if (lfr_route_block(p) != 0) {
                return -1;
            }

        } else {
            return lfr_error(p, &p->tok, "unknown block %s: expected icp, "
                             "exclude, persona or route",
                             lfr_show(&p->tok, buf, sizeof(buf)));
        }
    }

    if (lfr_resolve(p) != 0) {
        return -1;
    }

    lfr_check_routes(p);

    return lfr_finish(p);
}


lfr_rules_t *
lfr_compile(const char *file, const char *src, size_t len, lfr_diag_pt diag,
    void *ctx)
{
    int            rc;
    lfr_parser_t   p;

    memset(&p, 0, sizeof(lfr_parser_t));
    p.file = file;
    p.diag = diag;
    p.ctx = ctx;
    p.tok.line = 1;
    p.tok.col = 1;

    p.rules = lfr_rules_new();
    p.slots_cap = LFR_SLOT_FIXED;

    if (p.rules == NULL || lfr_lex_init(&p.lx, src, len) != 0) {
        lfr_free(p.rules);
        lfr_oom(&p);
        return NULL;
    }

    rc = lfr_parse(&p);

    lfr_lex_free(&p.lx);
    free(p.route_src);
    free(p.names);

    if (rc != 0) {
        lfr_free(p.rules);
        return NULL;
    }

    return p.rules;
}


lfr_rules_t *
lfr_compile_file(const char *path, lfr_diag_pt diag, void *ctx)
{
    FILE         *f;
    char         *buf, *nbuf;
    size_t        len, size;
    lfr_rules_t  *rules;
    char          msg[256];

    f = fopen(path, "rb");
    if (f == NULL) {
        goto failed;
    }

    len = 0;
    size = 8192;
    buf = malloc(size);

    while (buf) {
        len += fread(buf + len, 1, size - len, f);

        if (len < size) {
            break;
        }

        size *= 2;
        nbuf = realloc(buf, size);
        if (nbuf == NULL) {
            free(buf);
        }
        buf = nbuf;
    }

    if (buf == NULL || ferror(f)) {
        free(buf);
        fclose(f);
        goto failed;
    }

    fclose(f);

    rules = lfr_compile(path, buf, len, diag, ctx);
    free(buf);

    return rules;

failed:

    if (diag) {
        snprintf(msg, sizeof(msg), "cannot read the rules file: %s",
                 strerror(errno));
        diag(ctx, LFR_ERROR, path, 0, 0, msg);
    }

    return NULL;
}
