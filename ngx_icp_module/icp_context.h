/*
 * The signed context cookie: the visitor's last UTM set, visit count and
 * experiment assignments, so later pages of a visit without UTM parameters
 * keep their persona and variant.  Plain C (OpenSSL for the HMAC), shared
 * by the module, the unit tests and the fuzzer.
 *
 * Format, all cookie-safe characters:
 *   PAYLOAD "." MAC
 *   PAYLOAD = "n=" VISITS ( "&" KEY "=" VALUE )*
 *     KEY: v (when the visit began, Unix seconds),
 *          s m c t o i (utm source, medium, campaign, term, content, id),
 *          k (click id name), a (an assignment "EXPERIMENT:VARIANT")
 *     values percent-encoded outside [A-Za-z0-9_.~-]
 *   MAC = base64url(first 16 bytes of
 *         HMAC-SHA256(secret, "icp1|" VISITOR_ID "|" PAYLOAD))
 * Binding the MAC to the visitor id stops one visitor's cookie from being
 * replayed under another id.
 */

#ifndef ICP_CONTEXT_H
#define ICP_CONTEXT_H

#include <stddef.h>

#include "icp_query.h"

#define ICP_CONTEXT_ASSIGN_MAX  8
#define ICP_CONTEXT_COOKIE_MAX  1024     /* encode never writes more */
#define ICP_VID_LEN             22       /* 128 bits in base64url */

typedef struct {
    char         experiment[ICP_VALUE_MAX];
    size_t       experiment_len;
    char         variant[ICP_VALUE_MAX];
    size_t       variant_len;
} icp_assignment_t;

typedef struct {
    icp_utm_t         utm;
    unsigned          visits;
    unsigned long     visit_start;     /* Unix seconds; 0: unknown */
    icp_assignment_t  assign[ICP_CONTEXT_ASSIGN_MAX];
    unsigned          nassign;
} icp_context_t;

typedef enum {
    ICP_CONTEXT_OK = 0,
    ICP_CONTEXT_ABSENT,
    ICP_CONTEXT_FORGED          /* bad MAC, bad shape: never trusted */
} icp_context_rc_t;

/* Returns the cookie length, at most size; 0 when size is too small. */
size_t icp_context_encode(const icp_context_t *ctx, const char *vid,
    size_t vid_len, const unsigned char *key, size_t key_len, char *out,
    size_t size);

/*
 * As icp_context_encode, but a context too long for size is made to fit:
 * the older assignments go first, then the longest UTM values are cut at
 * a character boundary.  ctx is changed to what was encoded.  0 only when
 * nothing is left to cut.
 */
size_t icp_context_encode_fit(icp_context_t *ctx, const char *vid,
    size_t vid_len, const unsigned char *key, size_t key_len, char *out,
    size_t size);

/* ctx is zeroed first; on ICP_CONTEXT_FORGED it stays zeroed. */
icp_context_rc_t icp_context_decode(const char *cookie, size_t len,
    const char *vid, size_t vid_len, const unsigned char *key,
    size_t key_len, icp_context_t *ctx);

/* The assignment for experiment, or NULL. */
const icp_assignment_t *icp_context_find(const icp_context_t *ctx,
    const char *experiment, size_t len);

/* Records experiment -> variant, replacing an older one or the oldest. */
void icp_context_assign(icp_context_t *ctx, const char *experiment,
    size_t elen, const char *variant, size_t vlen);

/*
 * n bytes (at most 4096) from OpenSSL's CSPRNG, drawn in bulk; 0 on
 * failure.
 */
int icp_random_bytes(unsigned char *out, size_t n);

/* A fresh visitor id: 128 bits from icp_random_bytes; 0 on failure. */
int icp_vid_generate(char out[ICP_VID_LEN]);

/* Clears the keyed HMAC state kept between calls (at process exit). */
void icp_context_release(void);
int icp_vid_valid(const char *vid, size_t len);

size_t icp_base64url_encode(char *dst, const unsigned char *src,
    size_t len);

#endif /* ICP_CONTEXT_H */
