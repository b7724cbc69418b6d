/*
 * Experiment assignment: MurmurHash3_x86_32 (Austin Appleby's public domain
 * reference, smhasher), the bucket of a visitor and the weighted pick.
 */

#include <string.h>

#include "lfr_int.h"


/* Streaming state, so experiment "\0" visitor hashes without a copy. */
typedef struct {
    uint32_t    h;
    uint32_t    k;
    unsigned    nk;
    size_t      len;
} lfr_murmur_t;


static uint32_t
lfr_rotl32(uint32_t x, unsigned r)
{
    return (x << r) | (x >> (32 - r));
}


static uint32_t
lfr_murmur_scramble(uint32_t k)
{
    k *= 0xcc9e2d51;
    k = lfr_rotl32(k, 15);
    return k * 0x1b873593;
}


static void
lfr_murmur_init(lfr_murmur_t *m, uint32_t seed)
{
    m->h = seed;
    m->k = 0;
    m->nk = 0;
    m->len = 0;
}


static void
lfr_murmur_feed(lfr_murmur_t *m, const unsigned char *p, size_t len)
{
    size_t  i;

    m->len += len;

    for (i = 0; i < len; i++) {
        /* blocks are read little-endian whatever the host's byte order */
        m->k |= (uint32_t) p[i] << (8 * m->nk);

        if (++m->nk == 4) {
            m->h ^= lfr_murmur_scramble(m->k);
            m->h = lfr_rotl32(m->h, 13);
            m->h = m->h * 5 + 0xe6546b64;
            m->k = 0;
            m->nk = 0;
        }
    }
}


static uint32_t
lfr_murmur_final(lfr_murmur_t *m)
{
    uint32_t  h;

    h = m->h;

    if (m->nk) {
        h ^= lfr_murmur_scramble(m->k);
    }

    h ^= (uint32_t) m->len;
    h ^= h >> 16;
    h *= 0x85ebca6b;
    h ^= h >> 13;
    h *= 0xc2b2ae35;
    h ^= h >> 16;

    return h;
}


uint32_t
lfr_murmur3_32(const void *data, size_t len, uint32_t seed)
{
    lfr_murmur_t  m;

    lfr_murmur_init(&m, seed);
    lfr_murmur_feed(&m, data, len);

    return lfr_murmur_final(&m);
}


unsigned
lfr_bucket(const char *experiment, size_t elen, const char *visitor,
    size_t vlen)
{
    lfr_murmur_t  m;

    lfr_murmur_init(&m, 0);
    lfr_murmur_feed(&m, (const unsigned char *) experiment, elen);
    lfr_murmur_feed(&m, (const unsigned char *) "", 1);
    lfr_murmur_feed(&m, (const unsigned char *) visitor, vlen);

    return lfr_murmur_final(&m) % LFR_BUCKETS;
}


size_t
lfr_pick_variant(const lfr_rules_t *rules, int route, unsigned bucket)
{
    size_t                i;
    const lfr_route_t    *r;
    const lfr_variant_t  *v;

    if (route < 0 || (size_t) route >= rules->nroutes) {
        return 0;
    }

    r = &rules->routes[route];
    v = &rules->variants[r->variant];

    for (i = 0; i + 1 < r->nvariants; i++) {
        if (bucket < v[i].cum) {
            return i;
        }
    }

    return i;
}
