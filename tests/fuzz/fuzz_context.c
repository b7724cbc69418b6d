/*
 * libFuzzer target: the context cookie (icp_context.c).  The input is
 * tried as a whole cookie, as a nginx worker would receive it, and as a
 * payload signed here with OpenSSL (so the fuzzer reaches the payload
 * parser, which a forger without the secret never does).  A signed cookie
 * must decode, must not decode for another visitor, another secret or with
 * one byte changed, and must survive an encode/decode round trip.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "lfr.h"
#include "icp_context.h"

#define MAC_LEN  22


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static const char           vid_a[] = "AAAAAAAAAAAAAAAAAAAAAA";
static const char           vid_b[] = "BBBBBBBBBBBBBBBBBBBBBA";
static const unsigned char  key[] = "fuzz secret";
static const unsigned char  key2[] = "fuzz secreT";


static size_t
sign(const char *payload, size_t len, char *out)
{
    unsigned char  md[EVP_MAX_MD_SIZE];
    unsigned int   md_len;
    unsigned char  msg[5 + ICP_VID_LEN + 1 + ICP_CONTEXT_COOKIE_MAX];

    memcpy(msg, "icp1|", 5);
    memcpy(msg + 5, vid_a, ICP_VID_LEN);
    msg[5 + ICP_VID_LEN] = '|';
    memcpy(msg + 6 + ICP_VID_LEN, payload, len);

    if (HMAC(EVP_sha256(), key, sizeof(key) - 1, msg, 6 + ICP_VID_LEN + len,
             md, &md_len) == NULL)
    {
        abort();
    }

    memcpy(out, payload, len);
    out[len] = '.';

    return len + 1 + icp_base64url_encode(out + len + 1, md, 16);
}


static void
check_value(const char *v, size_t len)
{
    size_t  i;

    if (len > ICP_VALUE_MAX || !lfr_utf8_valid(v, len)) {
        abort();
    }

    for (i = 0; i < len; i++) {
        if ((unsigned char) v[i] < 0x20 || v[i] == 0x7f) {
            abort();
        }
    }
}


static void
check(const icp_context_t *ctx)
{
    unsigned  i;

    if (ctx->utm.present >> ICP_UTM_N || ctx->nassign > ICP_CONTEXT_ASSIGN_MAX)
    {
        abort();
    }

    for (i = 0; i < ICP_UTM_N; i++) {
        check_value(ctx->utm.value[i], ctx->utm.len[i]);
    }

    for (i = 0; i < ctx->nassign; i++) {
        check_value(ctx->assign[i].experiment, ctx->assign[i].experiment_len);
        check_value(ctx->assign[i].variant, ctx->assign[i].variant_len);
    }
}


static int
zeroed(const icp_context_t *ctx)
{
    static const icp_context_t  zero;

    return memcmp(ctx, &zero, sizeof(icp_context_t)) == 0;
}


static int
same(const icp_context_t *a, const icp_context_t *b)
{
    unsigned  i;

    if (a->visits != b->visits || a->utm.present != b->utm.present
        || a->utm.click_id != b->utm.click_id || a->nassign != b->nassign)
    {
        return 0;
    }

    for (i = 0; i < ICP_UTM_N; i++) {
        if (a->utm.len[i] != b->utm.len[i]
            || memcmp(a->utm.value[i], b->utm.value[i], a->utm.len[i]) != 0)
        {
            return 0;
        }
    }

    for (i = 0; i < a->nassign; i++) {
        if (a->assign[i].experiment_len != b->assign[i].experiment_len
            || a->assign[i].variant_len != b->assign[i].variant_len
            || memcmp(a->assign[i].experiment, b->assign[i].experiment,
                      a->assign[i].experiment_len) != 0
            || memcmp(a->assign[i].variant, b->assign[i].variant,
                      a->assign[i].variant_len) != 0)
        {
            return 0;
        }
    }

    return 1;
}


/* RFC 6265 cookie-octet, which the encoder promises to stay within */
static void
check_cookie(const char *s, size_t len)
{
    size_t         i;
    unsigned char  c;

    for (i = 0; i < len; i++) {
        c = (unsigned char) s[i];

        if (c <= 0x20 || c >= 0x7f || c == '"' || c == ',' || c == ';'
            || c == '\\')
        {
            abort();
        }
    }
}


static void
round_trip(icp_context_t *ctx)
{
    char           out[ICP_CONTEXT_COOKIE_MAX];
    size_t         len;
    icp_context_t  back;

    len = icp_context_encode(ctx, vid_a, ICP_VID_LEN, key, sizeof(key) - 1,
                             out, sizeof(out));
    if (len == 0) {
        return;
    }

    check_cookie(out, len);

    if (icp_context_decode(out, len, vid_a, ICP_VID_LEN, key,
                           sizeof(key) - 1, &back) != ICP_CONTEXT_OK
        || !same(ctx, &back))
    {
        abort();
    }
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char                     cookie[ICP_CONTEXT_COOKIE_MAX + 1];
    size_t                   len, at;
    icp_context_t            ctx;
    icp_context_rc_t         rc;
    const icp_assignment_t  *a;

    rc = icp_context_decode((const char *) data, size, vid_a, ICP_VID_LEN,
                            key, sizeof(key) - 1, &ctx);

    if (rc == ICP_CONTEXT_OK) {
        check(&ctx);

    } else if (!zeroed(&ctx)) {
        abort();
    }

    if (size + 1 + MAC_LEN > ICP_CONTEXT_COOKIE_MAX) {
        return 0;
    }

    len = sign((const char *) data, size, cookie);

    if (icp_context_decode(cookie, len, vid_a, ICP_VID_LEN, key,
                           sizeof(key) - 1, &ctx) != ICP_CONTEXT_OK)
    {
        abort();
    }

    check(&ctx);

    /* replayed under another visitor, or for another secret */
    if (icp_context_decode(cookie, len, vid_b, ICP_VID_LEN, key,
                           sizeof(key) - 1, &ctx) != ICP_CONTEXT_FORGED
        || !zeroed(&ctx)
        || icp_context_decode(cookie, len, vid_a, ICP_VID_LEN, key2,
                              sizeof(key2) - 1, &ctx) != ICP_CONTEXT_FORGED
        || !zeroed(&ctx))
    {
        abort();
    }

    /* one byte changed anywhere, the MAC included */
    at = size ? data[0] % len : len - 1;
    cookie[at] ^= 0x01;

    if (icp_context_decode(cookie, len, vid_a, ICP_VID_LEN, key,
                           sizeof(key) - 1, &ctx) != ICP_CONTEXT_FORGED)
    {
        abort();
    }

    cookie[at] ^= 0x01;

    icp_context_decode(cookie, len, vid_a, ICP_VID_LEN, key, sizeof(key) - 1,
                       &ctx);
    round_trip(&ctx);

    /* a new assignment named after two of the cookie's own values */
    icp_context_assign(&ctx, ctx.utm.value[0], ctx.utm.len[0],
                       ctx.utm.value[1], ctx.utm.len[1]);

    a = icp_context_find(&ctx, ctx.utm.value[0], ctx.utm.len[0]);

    if (ctx.nassign > ICP_CONTEXT_ASSIGN_MAX
        || (ctx.utm.len[0] < ICP_VALUE_MAX && ctx.utm.len[1] < ICP_VALUE_MAX
            && (a == NULL || a->variant_len != ctx.utm.len[1]
                || memcmp(a->variant, ctx.utm.value[1], a->variant_len))))
    {
        abort();
    }

    round_trip(&ctx);

    return 0;
}
