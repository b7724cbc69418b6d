/*
 * Unit tests of the signed context cookie and the visitor id
 * (ngx_icp_module/icp_context.c).
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <openssl/hmac.h>

#include "icp_context.h"

#define VID  "AAAAAAAAAAAAAAAAAAAAAA"
#define KEY  ((const unsigned char *) "s3cret")


static size_t
encode(const icp_context_t *ctx, char *out, size_t size)
{
    return icp_context_encode(ctx, VID, 22, KEY, 6, out, size);
}


static icp_context_rc_t
decode(const char *cookie, size_t len, icp_context_t *ctx)
{
    return icp_context_decode(cookie, len, VID, 22, KEY, 6, ctx);
}


static void
sample(icp_context_t *ctx)
{
    memset(ctx, 0, sizeof(icp_context_t));

    icp_query_utm("utm_source=linkedin&utm_campaign=abm%20q4%3Bx&gclid=1",
                  53, &ctx->utm);
    ctx->visits = 3;
    icp_context_assign(ctx, "mary_hero_q4", 12, "benefit", 7);
    icp_context_assign(ctx, "a:b&c", 5, "v=1", 3);
}


static void
test_round_trip(void **state)
{
    char                     cookie[ICP_CONTEXT_COOKIE_MAX];
    size_t                   len, i;
    icp_context_t            in, out;
    const icp_assignment_t  *a;

    (void) state;

    sample(&in);

    len = encode(&in, cookie, sizeof(cookie));
    assert_true(len > 0);

    /* only cookie-octets (RFC 6265): no space, quote, comma, ; or \ */
    for (i = 0; i < len; i++) {
        assert_true(cookie[i] > 0x20 && cookie[i] < 0x7f);
        assert_null(strchr("\",;\\", cookie[i]));
    }

    assert_int_equal(decode(cookie, len, &out), ICP_CONTEXT_OK);
    assert_int_equal(out.visits, 3);
    assert_int_equal(out.utm.present, in.utm.present);
    assert_memory_equal(out.utm.value[2], "abm q4;x", 8);
    assert_string_equal(out.utm.click_id, "gclid");

    a = icp_context_find(&out, "mary_hero_q4", 12);
    assert_non_null(a);
    assert_memory_equal(a->variant, "benefit", 7);

    a = icp_context_find(&out, "a:b&c", 5);
    assert_non_null(a);
    assert_int_equal(a->variant_len, 3);
    assert_memory_equal(a->variant, "v=1", 3);
}


/* the count is written by hand: every width, and no room for it */

static void
test_visits_encoded(void **state)
{
    char           cookie[ICP_CONTEXT_COOKIE_MAX], want[16];
    size_t         len, i, n, mac;
    icp_context_t  in, out;
    unsigned       visits[] = { 0, 7, 10, 99, 100, 12345, 999999999u,
                               4294967295u };

    (void) state;

    /* "n=0." and the MAC */
    memset(&in, 0, sizeof(icp_context_t));
    mac = encode(&in, cookie, sizeof(cookie)) - 4;
    assert_int_equal(mac, 22);

    for (i = 0; i < sizeof(visits) / sizeof(visits[0]); i++) {
        memset(&in, 0, sizeof(icp_context_t));
        in.visits = visits[i];

        n = (size_t) snprintf(want, sizeof(want), "n=%u.", visits[i]);

        len = encode(&in, cookie, sizeof(cookie));
        assert_int_equal(len, n + mac);
        assert_memory_equal(cookie, want, n);

        /* the reader keeps 9 digits: a billion visits is enough */
        assert_int_equal(decode(cookie, len, &out), ICP_CONTEXT_OK);
        assert_int_equal(out.visits, visits[i] < 1000000000u
                                     ? visits[i] : 429496729u);

        /* one byte short of "n=DIGITS", the '.' and the MAC: refused */
        assert_int_equal(encode(&in, cookie, n + mac - 1), 0);
        assert_int_equal(encode(&in, cookie, n + mac + 1), len);
    }
}


static void
test_tampering_detected(void **state)
{
    char           cookie[ICP_CONTEXT_COOKIE_MAX];
    size_t         len, i;
    icp_context_t  in, out;

    (void) state;

    sample(&in);
    len = encode(&in, cookie, sizeof(cookie));

    /* every single-byte change anywhere is caught */
    for (i = 0; i < len; i++) {
        cookie[i] ^= 0x01;
        assert_int_equal(decode(cookie, len, &out), ICP_CONTEXT_FORGED);
        assert_int_equal(out.nassign, 0);
        cookie[i] ^= 0x01;
    }

    /* truncated */
    assert_int_equal(decode(cookie, len - 1, &out), ICP_CONTEXT_FORGED);
    assert_int_equal(decode(cookie, 5, &out), ICP_CONTEXT_FORGED);

    /* another visitor's id, or another secret */
    assert_int_equal(icp_context_decode(cookie, len, "BAAAAAAAAAAAAAAAAAAAAA",
                                        22, KEY, 6, &out),
                     ICP_CONTEXT_FORGED);
    assert_int_equal(icp_context_decode(cookie, len, VID, 22,
                                        (const unsigned char *) "other", 5,
                                        &out),
                     ICP_CONTEXT_FORGED);

    assert_int_equal(decode("", 0, &out), ICP_CONTEXT_ABSENT);
    assert_int_equal(decode(cookie, len, &out), ICP_CONTEXT_OK);
}


static void
test_garbage(void **state)
{
    icp_context_t  out;
    const char    *g = "bm90IGEgY29va2llIGF0IGFsbA==.AAAAAAAAAAAAAAAAAAAAAA";

    (void) state;

    assert_int_equal(decode(g, strlen(g), &out), ICP_CONTEXT_FORGED);
}


static void
test_assignments_capped(void **state)
{
    char           name[16], cookie[ICP_CONTEXT_COOKIE_MAX];
    size_t         len;
    unsigned       i;
    icp_context_t  ctx, out;

    (void) state;

    memset(&ctx, 0, sizeof(ctx));

    for (i = 0; i < ICP_CONTEXT_ASSIGN_MAX + 3; i++) {
        len = (size_t) snprintf(name, sizeof(name), "exp%u", i);
        icp_context_assign(&ctx, name, len, "control", 7);
    }

    /* the oldest went first */
    assert_int_equal(ctx.nassign, ICP_CONTEXT_ASSIGN_MAX);
    assert_null(icp_context_find(&ctx, "exp0", 4));
    assert_non_null(icp_context_find(&ctx, "exp10", 5));

    /* reassigning replaces in place */
    icp_context_assign(&ctx, "exp10", 5, "b", 1);
    assert_int_equal(ctx.nassign, ICP_CONTEXT_ASSIGN_MAX);
    assert_memory_equal(icp_context_find(&ctx, "exp10", 5)->variant, "b", 1);

    len = encode(&ctx, cookie, sizeof(cookie));
    assert_true(len > 0 && len < 400);
    assert_int_equal(decode(cookie, len, &out), ICP_CONTEXT_OK);
    assert_int_equal(out.nassign, ICP_CONTEXT_ASSIGN_MAX);

    /* too small a buffer: nothing, rather than a cut cookie */
    assert_int_equal(encode(&ctx, cookie, 40), 0);
}


static void
test_visitor_id(void **state)
{
    char      a[ICP_VID_LEN], b[ICP_VID_LEN];

    (void) state;

    assert_true(icp_vid_generate(a));
    assert_true(icp_vid_generate(b));
    assert_true(icp_vid_valid(a, ICP_VID_LEN));
    assert_memory_not_equal(a, b, ICP_VID_LEN);

    assert_false(icp_vid_valid(a, ICP_VID_LEN - 1));
    assert_false(icp_vid_valid("AAAAAAAAAAAAAAAAAAAAA=", ICP_VID_LEN));
    assert_false(icp_vid_valid("AAAAAAAAAAAAAAAAAAAA\0A", ICP_VID_LEN));
    /* the last character's two padding bits must be zero */
    assert_false(icp_vid_valid("AAAAAAAAAAAAAAAAAAAAAB", ICP_VID_LEN));
    assert_true(icp_vid_valid("AAAAAAAAAAAAAAAAAAAAAQ", ICP_VID_LEN));
}


/* every byte, in the first and in the last place of an id */
static void
test_visitor_id_bytes(void **state)
{
    int          c, first, last;
    char         vid[ICP_VID_LEN];
    const char  *alphabet, *p;

    (void) state;

    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
               "0123456789-_";

    for (c = 0; c < 256; c++) {
        p = c ? strchr(alphabet, c) : NULL;

        /* anywhere but last, any character of the alphabet */
        first = p != NULL;
        /* last, only those whose two low bits (padding) are zero */
        last = p != NULL && (p - alphabet) % 16 == 0;

        memset(vid, 'A', sizeof(vid));
        vid[0] = (char) c;
        assert_int_equal(icp_vid_valid(vid, ICP_VID_LEN), first);

        memset(vid, 'A', sizeof(vid));
        vid[ICP_VID_LEN - 1] = (char) c;
        assert_int_equal(icp_vid_valid(vid, ICP_VID_LEN), last);
    }
}


static void
test_base64url(void **state)
{
    char  out[8];

    (void) state;

    /* RFC 4648 section 10 vectors, url alphabet, no padding */
    assert_int_equal(icp_base64url_encode(out, (const unsigned char *) "f",
                                          1), 2);
    assert_memory_equal(out, "Zg", 2);
    assert_int_equal(icp_base64url_encode(out, (const unsigned char *) "fo",
                                          2), 3);
    assert_memory_equal(out, "Zm8", 3);
    assert_int_equal(icp_base64url_encode(out, (const unsigned char *) "foob",
                                          4), 6);
    assert_memory_equal(out, "Zm9vYg", 6);
    assert_int_equal(icp_base64url_encode(out,
                                          (const unsigned char *) "\xfb\xff",
                                          2), 3);
    assert_memory_equal(out, "-_8", 3);
}


/*
 * The MAC is HMAC-SHA256 as RFC 2104 defines it, whatever the key length
 * (keys over a block are hashed first): checked against OpenSSL's
 * one-shot HMAC(), which shares none of the precomputed pad states.
 */

static void
test_mac_is_hmac_sha256(void **state)
{
    char           cookie[ICP_CONTEXT_COOKIE_MAX], msg[2048], want[32];
    size_t         len, plen, n, k;
    unsigned char  key[200], md[32];
    unsigned int   md_len;
    icp_context_t  in;
    static const size_t  lens[] = { 0, 1, 6, 32, 63, 64, 65, 200, 6 };

    (void) state;

    sample(&in);

    for (k = 0; k < sizeof(lens) / sizeof(lens[0]); k++) {
        memset(key, 'a' + (int) k, sizeof(key));

        len = icp_context_encode(&in, VID, 22, key, lens[k], cookie,
                                 sizeof(cookie));
        assert_true(len > 23);

        plen = len - 23;
        assert_int_equal(cookie[plen], '.');

        n = (size_t) snprintf(msg, sizeof(msg), "icp1|%s|%.*s", VID,
                              (int) plen, cookie);

        assert_non_null(HMAC(EVP_sha256(), key, (int) lens[k],
                             (const unsigned char *) msg, n, md, &md_len));
        assert_int_equal(icp_base64url_encode(want, md, 16), 22);
        assert_memory_equal(cookie + plen + 1, want, 22);
    }
}


static void
test_random_bytes(void **state)
{
    size_t         i, ones;
    unsigned char  a[4096], b[16];

    (void) state;

    assert_false(icp_random_bytes(a, sizeof(a) + 1));

    /* more than the pool holds in all, across refills */
    for (i = 0; i < 300; i++) {
        assert_true(icp_random_bytes(b, sizeof(b)));
    }

    assert_true(icp_random_bytes(a, sizeof(a)));

    ones = 0;

    for (i = 0; i < sizeof(a); i++) {
        ones += (size_t) __builtin_popcount(a[i]);
    }

    /* 32,768 fair bits: 16,384 ones, sd 90; 10 sd either way */
    assert_in_range(ones, 16384 - 900, 16384 + 900);
}


int
main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_visits_encoded),
        cmocka_unit_test(test_tampering_detected),
        cmocka_unit_test(test_garbage),
        cmocka_unit_test(test_assignments_capped),
        cmocka_unit_test(test_visitor_id),
        cmocka_unit_test(test_visitor_id_bytes),
        cmocka_unit_test(test_base64url),
        cmocka_unit_test(test_mac_is_hmac_sha256),
        cmocka_unit_test(test_random_bytes),
    };

    return cmocka_run_group_tests_name("context", tests, NULL, NULL);
}
