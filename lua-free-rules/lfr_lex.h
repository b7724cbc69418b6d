/*
 * The lexer of the rules language, internal to lua-free-rules (the unit
 * tests drive it directly).
 */

#ifndef LFR_LEX_H
#define LFR_LEX_H

#include <stddef.h>


typedef enum {
    LFR_TOK_EOF = 0,
    LFR_TOK_WORD,               /* bare string, name, number or field */
    LFR_TOK_STRING,             /* quoted string, escapes resolved */
    LFR_TOK_OP,                 /* a run of = < > ! ~ *, checked later */
    LFR_TOK_LBRACE,
    LFR_TOK_RBRACE,
    LFR_TOK_LPAREN,
    LFR_TOK_RPAREN,
    LFR_TOK_SEMI,
    LFR_TOK_COMMA,
    LFR_TOK_DOTDOT,
    LFR_TOK_ERROR               /* data is the message */
} lfr_tok_type_t;


typedef struct {
    lfr_tok_type_t   type;
    const char      *data;
    size_t           len;
    unsigned         line;
    unsigned         col;
} lfr_token_t;


typedef struct {
    const char      *p;
    const char      *end;
    const char      *line_start;
    unsigned         line;
    char            *buf;       /* unescaped strings, never longer in all */
    size_t           used;      /* than the source itself */
} lfr_lexer_t;


int lfr_lex_init(lfr_lexer_t *lx, const char *src, size_t len);
void lfr_lex_next(lfr_lexer_t *lx, lfr_token_t *tok);
void lfr_lex_free(lfr_lexer_t *lx);

#endif /* LFR_LEX_H */
