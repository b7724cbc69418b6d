/*
 * The signed context cookie and the visitor id: see icp_context.h for the
 * format.
 */

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* SHA256_Init and friends: see icp_context_hmac */
#define OPENSSL_API_COMPAT  0x10101000L

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "icp_context.h"

#define ICP_MAC_BYTES  16
#define ICP_MAC_LEN    22               /* base64url of 16 bytes */

static const char  icp_utm_keys[ICP_UTM_N] = { 's', 'm', 'c', 't', 'o', 'i' };

static const char  icp_b64url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";


/*
 * The 6 bits a base64url character stands for, or -1: every returning
 * visitor's id is checked with it, and a search of the alphabet per
 * character cost 850 instructions an id.
 */

static int
icp_base64url_value(char c)
{
    if (c >= 'A' && c <= 'Z') {
        return c - 'A';
    }

    if (c >= 'a' && c <= 'z') {
        return c - 'a' + 26;
    }

    if (c >= '0' && c <= '9') {
        return c - '0' + 52;
    }

    return c == '-' ? 62 : c == '_' ? 63 : -1;
}


size_t
icp_base64url_encode(char *dst, const unsigned char *src, size_t len)
{
    char      *d;
    unsigned   v;

    d = dst;

    while (len >= 3) {
        v = (unsigned) src[0] << 16 | (unsigned) src[1] << 8 | src[2];
        *d++ = icp_b64url[v >> 18 & 63];
        *d++ = icp_b64url[v >> 12 & 63];
        *d++ = icp_b64url[v >> 6 & 63];
        *d++ = icp_b64url[v & 63];
        src += 3;
        len -= 3;
    }

    if (len) {
        v = (unsigned) src[0] << 16 | (len == 2 ? (unsigned) src[1] << 8 : 0);
        *d++ = icp_b64url[v >> 18 & 63];
        *d++ = icp_b64url[v >> 12 & 63];

        if (len == 2) {
            *d++ = icp_b64url[v >> 6 & 63];
        }
    }

    return d - dst;
}


/*
 * A call to RAND_bytes costs 11,000 instructions whatever it draws, as
 * much as classifying the request (bench/README.md): visitor and request
 * ids are cut from a pool drawn at once.  A child of fork() must not hand
 * out its parent's bytes again, so it starts with an empty pool.
 */

static unsigned char  icp_random_pool[4096];
static size_t         icp_random_left;


static void
icp_random_forked(void)
{
    icp_random_left = 0;
}


int
icp_random_bytes(unsigned char *out, size_t n)
{
    static int  hooked;

    if (n > sizeof(icp_random_pool)) {
        return 0;
    }

    if (!hooked) {
        if (pthread_atfork(NULL, NULL, icp_random_forked) != 0) {
            return 0;
        }

        hooked = 1;
    }

    if (icp_random_left < n) {
        if (RAND_bytes(icp_random_pool, sizeof(icp_random_pool)) != 1) {
            return 0;
        }

        icp_random_left = sizeof(icp_random_pool);
    }

    icp_random_left -= n;
    memcpy(out, icp_random_pool + icp_random_left, n);
    OPENSSL_cleanse(icp_random_pool + icp_random_left, n);

    return 1;
}


int
icp_vid_generate(char out[ICP_VID_LEN])
{
    unsigned char  id[16];

    if (!icp_random_bytes(id, sizeof(id))) {
        return 0;
    }

    icp_base64url_encode(out, id, sizeof(id));
    OPENSSL_cleanse(id, sizeof(id));

    return 1;
}


int
icp_vid_valid(const char *vid, size_t len)
{
    size_t  i;

    if (len != ICP_VID_LEN) {
        return 0;
    }

    for (i = 0; i < len; i++) {
        if (icp_base64url_value(vid[i]) < 0) {
            return 0;
        }
    }

    /* the last character carries 2 bits of padding, which must be zero */
    return icp_base64url_value(vid[len - 1]) % 16 == 0;
}


/*
 * HMAC-SHA256 with the key's two padded blocks hashed once, when the key
 * is first seen: a cookie then costs the compressions of its own bytes.
 * EVP_MAC restarted with a kept key went through the provider layer and
 * copied two digest contexts with mallocs, 8,700 instructions a cookie
 * (bench/README.md).  SHA256_Init and friends are deprecated in OpenSSL
 * 3 for the EVP interface, which cannot copy a midway state without that
 * cost; they stay in OpenSSL 3's API (OPENSSL_API_COMPAT above).
 */

static SHA256_CTX      icp_hmac_inner;
static SHA256_CTX      icp_hmac_outer;
static unsigned char  *icp_hmac_key;
static size_t          icp_hmac_key_len;
static int             icp_hmac_ready;


void
icp_context_release(void)
{
    OPENSSL_clear_free(icp_hmac_key, icp_hmac_key_len);
    OPENSSL_cleanse(&icp_hmac_inner, sizeof(SHA256_CTX));
    OPENSSL_cleanse(&icp_hmac_outer, sizeof(SHA256_CTX));

    icp_hmac_key = NULL;
    icp_hmac_key_len = 0;
    icp_hmac_ready = 0;
}


static int
icp_context_hmac(const unsigned char *key, size_t key_len)
{
    size_t         i;
    unsigned char  block[SHA256_CBLOCK], pad[SHA256_CBLOCK];

    if (icp_hmac_ready && icp_hmac_key_len == key_len
        && (key_len == 0 || memcmp(icp_hmac_key, key, key_len) == 0))
    {
        return 1;
    }

    icp_context_release();

    /* one byte at least: OPENSSL_memdup gives NULL for none */
    icp_hmac_key = OPENSSL_memdup(key_len ? key : (const unsigned char *) "",
                                  key_len ? key_len : 1);
    if (icp_hmac_key == NULL) {
        return 0;
    }

    icp_hmac_key_len = key_len;

    /* RFC 2104: a key longer than a block is replaced by its hash */
    memset(block, 0, sizeof(block));

    if (key_len > SHA256_CBLOCK) {
        SHA256(key, key_len, block);

    } else if (key_len) {
        memcpy(block, key, key_len);
    }

    for (i = 0; i < SHA256_CBLOCK; i++) {
        pad[i] = block[i] ^ 0x36;
    }

    SHA256_Init(&icp_hmac_inner);
    SHA256_Update(&icp_hmac_inner, pad, SHA256_CBLOCK);

    for (i = 0; i < SHA256_CBLOCK; i++) {
        pad[i] = block[i] ^ 0x5c;
    }

    SHA256_Init(&icp_hmac_outer);
    SHA256_Update(&icp_hmac_outer, pad, SHA256_CBLOCK);

    OPENSSL_cleanse(block, sizeof(block));
    OPENSSL_cleanse(pad, sizeof(pad));

    icp_hmac_ready = 1;

    return 1;
}


static void
icp_context_mac(const char *vid, size_t vid_len, const char *payload,
    size_t len, const unsigned char *key, size_t key_len,
    char out[ICP_MAC_LEN])
{
    SHA256_CTX     c;
    unsigned char  md[SHA256_DIGEST_LENGTH];

    if (vid_len <= ICP_VID_LEN && len <= ICP_CONTEXT_COOKIE_MAX
        && icp_context_hmac(key, key_len))
    {
        c = icp_hmac_inner;
        SHA256_Update(&c, "icp1|", 5);
        SHA256_Update(&c, vid, vid_len);
        SHA256_Update(&c, "|", 1);
        SHA256_Update(&c, payload, len);
        SHA256_Final(md, &c);

        c = icp_hmac_outer;
        SHA256_Update(&c, md, sizeof(md));
        SHA256_Final(md, &c);

        OPENSSL_cleanse(&c, sizeof(SHA256_CTX));

    } else {
        /* a MAC nobody can match: the cookie is then never trusted */
        RAND_bytes(md, ICP_MAC_BYTES);
    }

    icp_base64url_encode(out, md, ICP_MAC_BYTES);
}


/*
 * Appends value percent-encoded to out at pos; returns the new position,
 * or size + 1 once it does not fit.
 */

static size_t
icp_context_put(char *out, size_t pos, size_t size, const char *value,
    size_t len)
{
    static const char  hex[] = "0123456789ABCDEF";
    unsigned char      c;
    size_t             i;

    for (i = 0; i < len && pos <= size; i++) {
        c = (unsigned char) value[i];

        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')
            || (c >= '0' && c <= '9')
            || c == '_' || c == '.' || c == '~' || c == '-')
        {
            out[pos++] = (char) c;
            continue;
        }

        if (pos + 3 > size) {
            return size + 1;
        }

        out[pos++] = '%';
        out[pos++] = hex[c >> 4];
        out[pos++] = hex[c & 15];
    }

    return pos;
}


/* Appends "&" key "=" to out at pos, as icp_context_put does. */

/* n in decimal at out + pos; past size: size + 1, as icp_context_put */

static size_t
icp_context_number(char *out, size_t pos, size_t size, unsigned long n)
{
    char    digits[24];
    size_t  len;

    len = 0;

    do {
        digits[len++] = (char) ('0' + n % 10);
        n /= 10;
    } while (n);

    if (pos + len > size) {
        return size + 1;
    }

    while (len) {
        out[pos++] = digits[--len];
    }

    return pos;
}


static size_t
icp_context_key(char *out, size_t pos, size_t size, char key)
{
    if (pos + 3 > size) {
        return size + 1;
    }

    out[pos++] = '&';
    out[pos++] = key;
    out[pos++] = '=';

    return pos;
}


size_t
icp_context_encode(const icp_context_t *ctx, const char *vid,
    size_t vid_len, const unsigned char *key, size_t key_len, char *out,
    size_t size)
{
    size_t                   pos, n;
    unsigned                 i, v;
    const icp_assignment_t  *a;

    if (size > ICP_CONTEXT_COOKIE_MAX) {
        size = ICP_CONTEXT_COOKIE_MAX;
    }

    if (size < ICP_MAC_LEN + 1) {
        return 0;
    }

    size -= ICP_MAC_LEN + 1;

    /* snprintf cost more than the rest of the encoding (bench/README.md) */

    v = ctx->visits;
    n = 1;

    while (v >= 10) {
        v /= 10;
        n++;
    }

    if (n + 2 >= size) {
        return 0;
    }

    out[0] = 'n';
    out[1] = '=';
    pos = n + 2;

    for (v = ctx->visits; n; v /= 10) {
        out[--n + 2] = (char) ('0' + v % 10);
    }

    if (ctx->visit_start) {
        pos = icp_context_key(out, pos, size, 'v');
        pos = icp_context_number(out, pos, size, ctx->visit_start);
    }

    for (i = 0; i < ICP_UTM_N; i++) {
        if (ctx->utm.present & (1u << i)) {
            pos = icp_context_key(out, pos, size, icp_utm_keys[i]);
            pos = icp_context_put(out, pos, size, ctx->utm.value[i],
                                  ctx->utm.len[i]);
        }
    }

    if (ctx->utm.click_id) {
        pos = icp_context_key(out, pos, size, 'k');
        pos = icp_context_put(out, pos, size, ctx->utm.click_id,
                              strlen(ctx->utm.click_id));
    }

    /* the ':' between the names is the only one not percent-encoded */

    for (i = 0; i < ctx->nassign; i++) {
        a = &ctx->assign[i];

        pos = icp_context_key(out, pos, size, 'a');
        pos = icp_context_put(out, pos, size, a->experiment,
                              a->experiment_len);

        if (pos < size) {
            out[pos++] = ':';

        } else {
            pos = size + 1;
        }

        pos = icp_context_put(out, pos, size, a->variant, a->variant_len);
    }

    if (pos > size) {
        return 0;
    }

    out[pos] = '.';
    icp_context_mac(vid, vid_len, out, pos, key, key_len, out + pos + 1);

    return pos + 1 + ICP_MAC_LEN;
}


size_t
icp_context_encode_fit(icp_context_t *ctx, const char *vid, size_t vid_len,
    const unsigned char *key, size_t key_len, char *out, size_t size)
{
    size_t    len, n;
    unsigned  i, longest;

    for ( ;; ) {
        len = icp_context_encode(ctx, vid, vid_len, key, key_len, out, size);

        if (len) {
            return len;
        }

        if (ctx->nassign > 1) {
            memmove(&ctx->assign[0], &ctx->assign[1],
                    sizeof(icp_assignment_t) * (ctx->nassign - 1));
            ctx->nassign--;
            continue;
        }

        longest = ICP_UTM_N;

        for (i = 0; i < ICP_UTM_N; i++) {
            if ((ctx->utm.present & (1u << i)) && ctx->utm.len[i]
                && (longest == ICP_UTM_N
                    || ctx->utm.len[i] > ctx->utm.len[longest]))
            {
                longest = i;
            }
        }

        if (longest == ICP_UTM_N) {
            return 0;
        }

        /* a quarter off, back to the start of a UTF-8 character */

        n = ctx->utm.len[longest] * 3 / 4;

        while (n && (ctx->utm.value[longest][n] & 0xc0) == 0x80) {
            n--;
        }

        ctx->utm.len[longest] = n;
    }
}


static int
icp_context_pair(void *data, const char *name, size_t nlen,
    const char *value, size_t vlen)
{
    icp_context_t     *ctx = data;
    unsigned           i;
    const char        *colon;
    icp_assignment_t  *a;

    if (nlen != 1) {
        return 0;
    }

    if (name[0] == 'v') {
        ctx->visit_start = 0;

        for (i = 0; i < vlen && i < 12; i++) {
            if (value[i] < '0' || value[i] > '9') {
                break;
            }
            ctx->visit_start = ctx->visit_start * 10 + (value[i] - '0');
        }

        return 0;
    }

    if (name[0] == 'n') {
        ctx->visits = 0;

        for (i = 0; i < vlen && i < 9; i++) {
            if (value[i] < '0' || value[i] > '9') {
                break;
            }
            ctx->visits = ctx->visits * 10 + (value[i] - '0');
        }

        return 0;
    }

    for (i = 0; i < ICP_UTM_N; i++) {
        if (name[0] == icp_utm_keys[i]) {
            ctx->utm.len[i] = icp_query_decode(ctx->utm.value[i],
                                               ICP_VALUE_MAX, value, vlen);
            ctx->utm.present |= 1u << i;
            return 0;
        }
    }

    if (name[0] == 'k') {
        for (i = 0; icp_click_id_names[i]; i++) {
            if (icp_name_eq(value, vlen, icp_click_id_names[i])) {
                ctx->utm.click_id = icp_click_id_names[i];
            }
        }

        return 0;
    }

    if (name[0] == 'a' && ctx->nassign < ICP_CONTEXT_ASSIGN_MAX) {
        colon = memchr(value, ':', vlen);
        if (colon == NULL) {
            return 0;
        }

        a = &ctx->assign[ctx->nassign++];
        a->experiment_len = icp_query_decode(a->experiment, ICP_VALUE_MAX,
                                             value, colon - value);
        a->variant_len = icp_query_decode(a->variant, ICP_VALUE_MAX,
                                          colon + 1,
                                          vlen - (colon - value) - 1);
    }

    return 0;
}


icp_context_rc_t
icp_context_decode(const char *cookie, size_t len, const char *vid,
    size_t vid_len, const unsigned char *key, size_t key_len,
    icp_context_t *ctx)
{
    char         mac[ICP_MAC_LEN];
    const char  *dot;
    size_t       plen;

    memset(ctx, 0, sizeof(icp_context_t));

    if (len == 0) {
        return ICP_CONTEXT_ABSENT;
    }

    if (len > ICP_CONTEXT_COOKIE_MAX || len < ICP_MAC_LEN + 1) {
        return ICP_CONTEXT_FORGED;
    }

    plen = len - ICP_MAC_LEN - 1;
    dot = cookie + plen;

    if (*dot != '.') {
        return ICP_CONTEXT_FORGED;
    }

    icp_context_mac(vid, vid_len, cookie, plen, key, key_len, mac);

    if (CRYPTO_memcmp(mac, dot + 1, ICP_MAC_LEN) != 0) {
        return ICP_CONTEXT_FORGED;
    }

    icp_query_walk(cookie, plen, icp_context_pair, ctx);

    return ICP_CONTEXT_OK;
}


const icp_assignment_t *
icp_context_find(const icp_context_t *ctx, const char *experiment,
    size_t len)
{
    unsigned  i;

    for (i = 0; i < ctx->nassign; i++) {
        if (ctx->assign[i].experiment_len == len
            && memcmp(ctx->assign[i].experiment, experiment, len) == 0)
        {
            return &ctx->assign[i];
        }
    }

    return NULL;
}


void
icp_context_assign(icp_context_t *ctx, const char *experiment, size_t elen,
    const char *variant, size_t vlen)
{
    icp_assignment_t  *a;

    if (elen >= ICP_VALUE_MAX || vlen >= ICP_VALUE_MAX) {
        return;
    }

    a = (icp_assignment_t *) icp_context_find(ctx, experiment, elen);

    if (a == NULL) {
        if (ctx->nassign == ICP_CONTEXT_ASSIGN_MAX) {
            /* the oldest assignment goes first */
            memmove(&ctx->assign[0], &ctx->assign[1],
                    sizeof(icp_assignment_t) * (ICP_CONTEXT_ASSIGN_MAX - 1));
            ctx->nassign--;
        }

        a = &ctx->assign[ctx->nassign++];
    }

    memcpy(a->experiment, experiment, elen);
    a->experiment_len = elen;
    memcpy(a->variant, variant, vlen);
    a->variant_len = vlen;
}
