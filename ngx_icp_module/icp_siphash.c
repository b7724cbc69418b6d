/*
 * SipHash as Aumasson and Bernstein define it, with one compression
 * round per 8-byte word and three finalization rounds (the variant
 * Python and Rust use for their hash tables): a table's keys are short,
 * and what is needed is that collisions cannot be made without the key.
 */

#include "icp_siphash.h"


#define ICP_ROTL(x, b)  (uint64_t) (((x) << (b)) | ((x) >> (64 - (b))))

#define ICP_SIPROUND                                                         \
    do {                                                                     \
        v0 += v1; v1 = ICP_ROTL(v1, 13); v1 ^= v0; v0 = ICP_ROTL(v0, 32);    \
        v2 += v3; v3 = ICP_ROTL(v3, 16); v3 ^= v2;                           \
        v0 += v3; v3 = ICP_ROTL(v3, 21); v3 ^= v0;                           \
        v2 += v1; v1 = ICP_ROTL(v1, 17); v1 ^= v2; v2 = ICP_ROTL(v2, 32);    \
    } while (0)


static uint64_t
icp_siphash_le64(const unsigned char *p)
{
    return (uint64_t) p[0] | (uint64_t) p[1] << 8 | (uint64_t) p[2] << 16
           | (uint64_t) p[3] << 24 | (uint64_t) p[4] << 32
           | (uint64_t) p[5] << 40 | (uint64_t) p[6] << 48
           | (uint64_t) p[7] << 56;
}


uint64_t
icp_siphash13(const unsigned char key[ICP_SIPHASH_KEY_LEN], const void *data,
    size_t len)
{
    size_t                i, left;
    uint64_t              k0, k1, v0, v1, v2, v3, m, last;
    const unsigned char  *p, *end;

    k0 = icp_siphash_le64(key);
    k1 = icp_siphash_le64(key + 8);

    v0 = k0 ^ 0x736f6d6570736575ULL;
    v1 = k1 ^ 0x646f72616e646f6dULL;
    v2 = k0 ^ 0x6c7967656e657261ULL;
    v3 = k1 ^ 0x7465646279746573ULL;

    p = data;
    end = p + (len & ~(size_t) 7);

    for ( /* void */ ; p < end; p += 8) {
        m = icp_siphash_le64(p);
        v3 ^= m;
        ICP_SIPROUND;
        v0 ^= m;
    }

    /* the last word: the bytes left, and the length in its top byte */
    last = (uint64_t) (len & 0xff) << 56;
    left = len & 7;

    for (i = 0; i < left; i++) {
        last |= (uint64_t) p[i] << (8 * i);
    }

    v3 ^= last;
    ICP_SIPROUND;
    v0 ^= last;

    v2 ^= 0xff;
    ICP_SIPROUND;
    ICP_SIPROUND;
    ICP_SIPROUND;

    return v0 ^ v1 ^ v2 ^ v3;
}
