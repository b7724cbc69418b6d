/*
 * The parser's state and helpers, shared by the files of the compiler
 * (lfr_compile.c: blocks and conditions; lfr_route.c: routes).  Internal.
 */

#ifndef LFR_PARSE_H
#define LFR_PARSE_H

#include "lfr_int.h"
#include "lfr_lex.h"


#define LFR_MAX_WEIGHT  10000


/* A route as written, kept until every block is known. */
typedef struct {
    const char       *seg;
    const char       *per;
    lfr_token_t       seg_tok;
    lfr_token_t       per_tok;
    lfr_token_t       tok;
    lfr_token_t       exp_tok;
} lfr_route_src_t;


typedef struct {
    lfr_rules_t      *rules;
    lfr_lexer_t       lx;
    lfr_token_t       tok;
    const char       *file;
    lfr_diag_pt       diag;
    void             *ctx;

    size_t            slots_cap;
    size_t            conds_cap;
    size_t            values_cap;
    size_t            icps_cap;
    size_t            excludes_cap;
    size_t            personas_cap;
    size_t            routes_cap;
    size_t            variants_cap;
    size_t            route_src_cap;

    lfr_route_src_t  *route_src;

    uint32_t         *names;        /* see lfr_name_add() */
    size_t            names_size;
    size_t            nnames;
} lfr_parser_t;


int lfr_error(lfr_parser_t *p, const lfr_token_t *tok, const char *fmt, ...);
void lfr_warn(lfr_parser_t *p, const lfr_token_t *tok, const char *fmt, ...);
const char *lfr_show(const lfr_token_t *tok, char *buf, size_t size);
int lfr_next(lfr_parser_t *p);
int lfr_is(const lfr_token_t *tok, const char *word);
int lfr_expect(lfr_parser_t *p, lfr_tok_type_t type, const char *what);
int lfr_oom(lfr_parser_t *p);
void *lfr_reserve(void *array, size_t n, size_t *cap, size_t size);
const char *lfr_tok_dup(lfr_parser_t *p, const lfr_token_t *tok);
int lfr_name(lfr_parser_t *p, const char *what, const char **name);
int lfr_integer(lfr_parser_t *p, const char *what, unsigned min,
    unsigned max, unsigned *value);

int lfr_route_block(lfr_parser_t *p);
int lfr_resolve(lfr_parser_t *p);
void lfr_check_routes(lfr_parser_t *p);
int lfr_route_table(lfr_parser_t *p);

#endif /* LFR_PARSE_H */
