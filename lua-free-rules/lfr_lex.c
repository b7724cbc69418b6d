/*
 * The lexer: nginx-conf style tokens.  As in nginx, '#' and quotes are
 * special only where a token starts, and quoted strings resolve \" \' \\
 * \n \r \t but keep any other backslash, so regexes read naturally.
 */

#include <stdlib.h>
#include <string.h>

#include "lfr_lex.h"


int
lfr_lex_init(lfr_lexer_t *lx, const char *src, size_t len)
{
    lx->p = src;
    lx->end = src + len;
    lx->line_start = src;
    lx->line = 1;
    lx->used = 0;
    lx->buf = malloc(len + 1);

    return lx->buf ? 0 : -1;
}


void
lfr_lex_free(lfr_lexer_t *lx)
{
    free(lx->buf);
    lx->buf = NULL;
}


static int
lfr_word_end(char c)
{
    return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '{'
           || c == '}' || c == '(' || c == ')' || c == ';' || c == ','
           || (unsigned char) c < 0x20 || c == 0x7f;
}


static int
lfr_op_char(char c)
{
    return c == '=' || c == '<' || c == '>' || c == '!' || c == '~';
}


static void
lfr_lex_string(lfr_lexer_t *lx, lfr_token_t *tok)
{
    char        q, c, *out;
    const char  *p;

    q = *lx->p;
    p = lx->p + 1;
    out = lx->buf + lx->used;
    tok->data = out;

    while (p < lx->end && *p != q) {
        c = *p++;

        if (c == '\0') {
            tok->type = LFR_TOK_ERROR;
            tok->data = "NUL byte in string";
            return;
        }

        if (c == '\n') {
            lx->line++;
            lx->line_start = p;

        } else if (c == '\\' && p < lx->end) {
            switch (*p) {
            case '"': case '\'': case '\\': c = *p++; break;
            case 'n': c = '\n'; p++; break;
            case 'r': c = '\r'; p++; break;
            case 't': c = '\t'; p++; break;
            default: break;
            }
        }

        *out++ = c;
    }

    if (p == lx->end) {
        tok->type = LFR_TOK_ERROR;
        tok->data = q == '"' ? "unterminated string: expected a closing \""
                             : "unterminated string: expected a closing '";
        return;
    }

    tok->type = LFR_TOK_STRING;
    tok->len = out - tok->data;
    *out++ = '\0';
    lx->used = out - lx->buf;
    lx->p = p + 1;
}


void
lfr_lex_next(lfr_lexer_t *lx, lfr_token_t *tok)
{
    int          num;
    const char  *p;

    for ( ;; ) {
        while (lx->p < lx->end
               && (*lx->p == ' ' || *lx->p == '\t' || *lx->p == '\r'
                   || *lx->p == '\n'))
        {
            if (*lx->p++ == '\n') {
                lx->line++;
                lx->line_start = lx->p;
            }
        }

        if (lx->p < lx->end && *lx->p == '#') {
            while (lx->p < lx->end && *lx->p != '\n') {
                lx->p++;
            }
            continue;
        }

        break;
    }

    tok->line = lx->line;
    tok->col = (unsigned) (lx->p - lx->line_start) + 1;
    tok->data = lx->p;
    tok->len = 1;

    if (lx->p == lx->end) {
        tok->type = LFR_TOK_EOF;
        tok->len = 0;
        return;
    }

    p = lx->p;

    switch (*p) {
    case '{': tok->type = LFR_TOK_LBRACE; lx->p++; return;
    case '}': tok->type = LFR_TOK_RBRACE; lx->p++; return;
    case '(': tok->type = LFR_TOK_LPAREN; lx->p++; return;
    case ')': tok->type = LFR_TOK_RPAREN; lx->p++; return;
    case ';': tok->type = LFR_TOK_SEMI; lx->p++; return;
    case ',': tok->type = LFR_TOK_COMMA; lx->p++; return;
    case '"': case '\'': lfr_lex_string(lx, tok); return;
    }

    if ((unsigned char) *p < 0x20 || *p == 0x7f) {
        tok->type = LFR_TOK_ERROR;
        tok->data = "unexpected control character";
        return;
    }

    if (lfr_op_char(*p)) {
        while (p < lx->end && (lfr_op_char(*p) || *p == '*')) {
            p++;
        }

        tok->type = LFR_TOK_OP;
        tok->len = p - lx->p;
        lx->p = p;
        return;
    }

    if (p + 1 < lx->end && p[0] == '.' && p[1] == '.') {
        tok->type = LFR_TOK_DOTDOT;
        tok->len = 2;
        lx->p += 2;
        return;
    }

    /* a number stops at "..", so that 10..1000 is a range */
    num = (*p >= '0' && *p <= '9') || *p == '-' || *p == '+';

    while (p < lx->end && !lfr_word_end(*p)) {
        if (num && *p == '.' && p + 1 < lx->end && p[1] == '.') {
            break;
        }
        p++;
    }

    tok->type = LFR_TOK_WORD;
    tok->len = p - lx->p;
    lx->p = p;
}
