/*
 * lfr_json_escape: escapes, UTF-8 validation with U+FFFD replacement of
 * each maximal ill-formed subpart, and truncation that never cuts an
 * escape in half.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "lfr.h"


#define FFFD  "\xef\xbf\xbd"


static void
check(const char *in, size_t len, const char *want)
{
    char    out[256];
    size_t  n;

    memset(out, '#', sizeof(out));
    n = lfr_json_escape(out, sizeof(out), in, len);

    assert_int_equal(n, strlen(want));
    assert_memory_equal(out, want, n);
    /* no terminating NUL is written */
    assert_int_equal(out[n], '#');
}


#define CHECK(in, want)  check(in, sizeof(in) - 1, want)


static void
test_plain(void **state)
{
    (void) state;

    CHECK("", "");
    CHECK("linkedin", "linkedin");
    CHECK("a b/c?d=e&f", "a b/c?d=e&f");
}


static void
test_escapes(void **state)
{
    (void) state;

    CHECK("say \"hi\"", "say \\\"hi\\\"");
    CHECK("C:\\path", "C:\\\\path");
    CHECK("a\nb\rc\td", "a\\nb\\rc\\td");
    CHECK("\x01\x1f", "\\u0001\\u001f");
    CHECK("\b\f", "\\u0008\\u000c");
    CHECK("\x7f", "\\u007f");
    check("a\0b", 3, "a\\u0000b");
}


static void
test_valid_utf8(void **state)
{
    (void) state;

    CHECK("M\xc3\xbcnchen", "M\xc3\xbcnchen");                 /* U+00FC */
    CHECK("\xe2\x82\xac", "\xe2\x82\xac");                     /* U+20AC */
    CHECK("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80");             /* U+1F600 */
    CHECK("\xf4\x8f\xbf\xbf", "\xf4\x8f\xbf\xbf");             /* U+10FFFF */
    CHECK("\xe2\x80\xa8", "\xe2\x80\xa8");                     /* U+2028 */
    CHECK("\xed\x9f\xbf", "\xed\x9f\xbf");                     /* U+D7FF */
    CHECK("\xee\x80\x80", "\xee\x80\x80");                     /* U+E000 */
}


static void
test_invalid_utf8(void **state)
{
    (void) state;

    /* lone continuation bytes and bytes that never start a character */
    CHECK("\x80", FFFD);
    CHECK("a\xbfz", "a" FFFD "z");
    CHECK("\xfe\xff", FFFD FFFD);
    CHECK("\xf5\x80\x80\x80", FFFD FFFD FFFD FFFD);

    /* overlong forms: C0/C1 leads, E0 80..9F, F0 80..8F */
    CHECK("\xc0\xaf", FFFD FFFD);
    CHECK("\xc1\xbf", FFFD FFFD);
    CHECK("\xe0\x80\xaf", FFFD FFFD FFFD);
    CHECK("\xf0\x80\x80\xaf", FFFD FFFD FFFD FFFD);

    /* UTF-16 surrogates encoded in UTF-8 */
    CHECK("\xed\xa0\x80", FFFD FFFD FFFD);
    CHECK("\xed\xbf\xbf", FFFD FFFD FFFD);

    /* above U+10FFFF */
    CHECK("\xf4\x90\x80\x80", FFFD FFFD FFFD FFFD);

    /* truncated sequences: one U+FFFD for the maximal subpart */
    CHECK("\xe2\x82", FFFD);
    CHECK("\xe2\x82z", FFFD "z");
    CHECK("\xf0\x9f\x98", FFFD);
    CHECK("\xf0\x9f\x98\"", FFFD "\\\"");
    CHECK("\xc3", FFFD);
    CHECK("\xc3\xc3\xbc", FFFD "\xc3\xbc");
}


static void
test_length_only(void **state)
{
    (void) state;

    assert_int_equal(lfr_json_escape(NULL, 0, "a\"b\x01\xff", 5),
                     1 + 2 + 1 + 6 + 3);
}


/* A short buffer gets whole units only, and the full length is returned. */
static void
test_truncation(void **state)
{
    char    out[8];
    size_t  n;

    (void) state;

    memset(out, '#', sizeof(out));
    n = lfr_json_escape(out, 4, "ab\ncd", 5);
    assert_int_equal(n, 6);
    assert_memory_equal(out, "ab\\n#", 5);

    memset(out, '#', sizeof(out));
    n = lfr_json_escape(out, 3, "ab\ncd", 5);
    assert_int_equal(n, 6);
    assert_memory_equal(out, "ab#", 3);

    memset(out, '#', sizeof(out));
    n = lfr_json_escape(out, 4, "a\xe2\x82\xac", 4);
    assert_int_equal(n, 4);
    assert_memory_equal(out, "a\xe2\x82\xac", 4);

    memset(out, '#', sizeof(out));
    n = lfr_json_escape(out, 3, "a\xe2\x82\xac", 4);
    assert_int_equal(n, 4);
    assert_memory_equal(out, "a##", 3);
}


/* Every byte value alone: the output is always valid JSON content. */
static void
test_every_byte(void **state)
{
    char           out[16];
    size_t         n, i;
    unsigned char  c;

    (void) state;

    for (i = 0; i < 256; i++) {
        c = (unsigned char) i;
        n = lfr_json_escape(out, sizeof(out), (char *) &c, 1);

        if (c == '"' || c == '\\' || c == '\n' || c == '\r' || c == '\t') {
            assert_int_equal(n, 2);
            assert_int_equal(out[0], '\\');

        } else if (c < 0x20 || c == 0x7f) {
            assert_int_equal(n, 6);
            assert_memory_equal(out, "\\u00", 4);

        } else if (c < 0x80) {
            assert_int_equal(n, 1);
            assert_int_equal((unsigned char) out[0], c);

        } else {
            assert_int_equal(n, 3);
            assert_memory_equal(out, FFFD, 3);
        }
    }
}


/*
 * lfr_json_plain copies up to the first byte the escaper would change,
 * for every byte value at every place of a word or of the tail, and
 * writes nothing past it; a plain string comes out of lfr_json_escape as
 * it went in.
 */
static void
test_plain_prefix(void **state)
{
    char    buf[24], out[24], copy[25];
    size_t  len, pos, i, want;
    int     plain;

    (void) state;

    for (len = 0; len <= sizeof(buf); len++) {
        memset(buf, 'a', sizeof(buf));
        memset(copy, '#', sizeof(copy));
        assert_int_equal(lfr_json_plain(copy, buf, len), len);
        assert_memory_equal(copy, buf, len);
        assert_int_equal(copy[len], '#');
        assert_int_equal(lfr_json_escape(out, sizeof(out), buf, len), len);
        assert_memory_equal(out, buf, len);
    }

    for (pos = 0; pos < sizeof(buf); pos++) {
        for (i = 0; i < 256; i++) {
            memset(buf, 'a', sizeof(buf));
            buf[pos] = (char) i;

            plain = i >= 0x20 && i < 0x7f && i != '"' && i != '\\';
            want = plain ? sizeof(buf) : pos;

            memset(copy, '#', sizeof(copy));
            assert_int_equal(lfr_json_plain(copy, buf, sizeof(buf)), want);
            assert_memory_equal(copy, buf, want);
            assert_int_equal(copy[want], '#');

            /* a byte past the end is never looked at */
            assert_int_equal(lfr_json_plain(copy, buf, pos), pos);
        }
    }
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_plain),
        cmocka_unit_test(test_escapes),
        cmocka_unit_test(test_valid_utf8),
        cmocka_unit_test(test_invalid_utf8),
        cmocka_unit_test(test_length_only),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_every_byte),
        cmocka_unit_test(test_plain_prefix),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
