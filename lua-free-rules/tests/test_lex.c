/*
 * The rules lexer: token kinds, positions, quoting and escapes as nginx
 * reads them, ranges split off numbers, and its two errors.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lfr_lex.h"


typedef struct {
    lfr_tok_type_t   type;
    const char      *text;
    unsigned         line;
    unsigned         col;
} want_t;


static void
lex(const char *src, const want_t *want)
{
    lfr_lexer_t  lx;
    lfr_token_t  tok;

    assert_int_equal(lfr_lex_init(&lx, src, strlen(src)), 0);

    for ( ;; want++) {
        lfr_lex_next(&lx, &tok);

        assert_int_equal(tok.type, want->type);
        assert_int_equal(tok.line, want->line);
        assert_int_equal(tok.col, want->col);

        if (tok.type == LFR_TOK_ERROR) {
            assert_string_equal(tok.data, want->text);
            break;
        }

        assert_int_equal(tok.len, strlen(want->text));
        assert_memory_equal(tok.data, want->text, tok.len);

        if (tok.type == LFR_TOK_EOF) {
            break;
        }
    }

    lfr_lex_free(&lx);
}


static void
test_block(void **state)
{
    static const want_t  w[] = {
        { LFR_TOK_WORD, "icp", 1, 1 },
        { LFR_TOK_WORD, "mid_market", 1, 5 },
        { LFR_TOK_LBRACE, "{", 1, 16 },
        { LFR_TOK_WORD, "employees", 2, 5 },
        { LFR_TOK_WORD, "in", 2, 15 },
        { LFR_TOK_WORD, "10", 2, 18 },
        { LFR_TOK_DOTDOT, "..", 2, 20 },
        { LFR_TOK_WORD, "1K", 2, 22 },
        { LFR_TOK_SEMI, ";", 2, 24 },
        { LFR_TOK_WORD, "country", 3, 5 },
        { LFR_TOK_WORD, "in", 3, 13 },
        { LFR_TOK_LPAREN, "(", 3, 16 },
        { LFR_TOK_WORD, "US", 3, 17 },
        { LFR_TOK_COMMA, ",", 3, 19 },
        { LFR_TOK_STRING, "G B", 3, 21 },
        { LFR_TOK_RPAREN, ")", 3, 26 },
        { LFR_TOK_WORD, "weight", 3, 28 },
        { LFR_TOK_WORD, "2", 3, 35 },
        { LFR_TOK_SEMI, ";", 3, 36 },
        { LFR_TOK_RBRACE, "}", 5, 1 },
        { LFR_TOK_EOF, "", 5, 21 },
    };

    (void) state;

    lex("icp mid_market {   # comment { ; \"\n"
        "    employees in 10..1K;\n"
        "    country in (US, \"G B\") weight 2;\n"
        "# whole-line comment\n"
        "}             # last",
        w);
}


static void
test_operators(void **state)
{
    static const want_t  w[] = {
        { LFR_TOK_OP, "==", 1, 1 },
        { LFR_TOK_OP, "!~*", 1, 4 },
        { LFR_TOK_OP, "<=", 1, 8 },
        { LFR_TOK_OP, "~*", 1, 11 },
        { LFR_TOK_OP, "=", 1, 14 },
        { LFR_TOK_WORD, "*", 1, 16 },
        { LFR_TOK_WORD, "a=b<c", 1, 18 },
        { LFR_TOK_EOF, "", 1, 23 },
    };

    (void) state;

    lex("== !~* <= ~* = * a=b<c", w);
}


/* '#' and quotes are special only where a token starts, as in nginx. */
static void
test_words(void **state)
{
    static const want_t  w[] = {
        { LFR_TOK_WORD, "/lp/a.html#top", 1, 1 },
        { LFR_TOK_WORD, "it's", 1, 16 },
        { LFR_TOK_WORD, "$host", 1, 21 },
        { LFR_TOK_WORD, "firmo.x-y", 1, 27 },
        { LFR_TOK_WORD, "a..b", 1, 37 },
        { LFR_TOK_WORD, "-5", 1, 42 },
        { LFR_TOK_DOTDOT, "..", 1, 44 },
        { LFR_TOK_WORD, "1.5M", 1, 46 },
        { LFR_TOK_WORD, "M\xc3\xbcnchen", 1, 51 },
        { LFR_TOK_EOF, "", 1, 59 },
    };

    (void) state;

    lex("/lp/a.html#top it's $host firmo.x-y a..b -5..1.5M M\xc3\xbcnchen", w);
}


static void
test_strings(void **state)
{
    static const want_t  w[] = {
        { LFR_TOK_STRING, "a\"b'c\\d\n\r\t", 1, 1 },
        { LFR_TOK_STRING, "(devops|sre)\\d+\\.", 1, 20 },
        { LFR_TOK_STRING, "two\nlines", 1, 40 },
        { LFR_TOK_STRING, "", 2, 8 },
        { LFR_TOK_WORD, "x", 2, 11 },
        { LFR_TOK_EOF, "", 2, 12 },
    };

    (void) state;

    lex("\"a\\\"b\\'c\\\\d\\n\\r\\t\" '(devops|sre)\\d+\\.' "
        "\"two\nlines\" '' x",
        w);
}


static void
test_errors(void **state)
{
    static const want_t  w1[] = {
        { LFR_TOK_WORD, "a", 1, 1 },
        { LFR_TOK_ERROR, "unterminated string: expected a closing \"",
          2, 3 },
    };
    static const want_t  w2[] = {
        { LFR_TOK_WORD, "a", 1, 1 },
        { LFR_TOK_ERROR, "unexpected control character", 1, 3 },
    };
    static const want_t  w3[] = {
        { LFR_TOK_ERROR, "unterminated string: expected a closing '",
          1, 1 },
    };

    (void) state;

    lex("a\n  \"never closed;\n}\n", w1);
    lex("a \x01", w2);
    lex("'ends in a backslash\\'", w3);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_block),
        cmocka_unit_test(test_operators),
        cmocka_unit_test(test_words),
        cmocka_unit_test(test_strings),
        cmocka_unit_test(test_errors),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
