/*
 * icp_siphash: SipHash-1-3, a keyed hash.  The cache and the lookups in
 * flight take keys from clients (an ip, a domain cookie, a contact id);
 * with a fixed-seed hash an attacker can make thousands of them share a
 * bucket.  With a random key per zone they cannot know which do.  Plain
 * C, no nginx types.
 */

#ifndef ICP_SIPHASH_H
#define ICP_SIPHASH_H

#include <stddef.h>
#include <stdint.h>


#define ICP_SIPHASH_KEY_LEN  16

uint64_t icp_siphash13(const unsigned char key[ICP_SIPHASH_KEY_LEN],
    const void *data, size_t len);

#endif /* ICP_SIPHASH_H */
