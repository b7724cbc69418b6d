/*
 * icp-load key columns: the text of the ip, net and domain keys of the
 * Redis key schema (docs/redis.md), so that the loader writes exactly
 * the keys the module looks up.
 */

#ifndef ICP_LOAD_KEY_H
#define ICP_LOAD_KEY_H

#include <stddef.h>


/* "ffff:...:ffff/128" and a NUL */
#define LOAD_NET_LEN    (46 + 4 + 1)

/* the longest name DNS allows */
#define LOAD_DOMAIN_MAX  253

/* a cidr that would expand to more keys than this is refused */
#define LOAD_NET_MAX_KEYS  65536


/*
 * A CIDR being spread over the prefix lengths the module looks up: /24,
 * /16 for IPv4; /64, /48, /32 for IPv6.  A range is written as every
 * network of the longest of those lengths it contains, so a lookup finds
 * exactly the addresses of the range: 10.1.0.0/20 is sixteen /24 keys.
 */
typedef struct {
    int            family;
    unsigned char  addr[16];    /* the next network to write */
    unsigned       bits;        /* the prefix length of the keys */
    unsigned long  left;        /* keys still to write */
} load_net_t;


/*
 * Each returns NULL on success or a message saying what is wrong with the
 * value; the messages are constant strings.
 */

/*
 * out gets the address in RFC 5952 form, an IPv4-mapped IPv6 address as
 * its IPv4 address; size >= LOAD_NET_LEN.
 */
const char *load_ip(const char *text, char *out, size_t size);

const char *load_net_parse(load_net_t *net, const char *text);
/* 0 when every key has been written, else 1 and "PREFIX/LEN" in out */
int load_net_next(load_net_t *net, char *out, size_t size);

/*
 * Lower-cases a domain in place, keeping only the host of a URL: the
 * scheme, a port, a path, a trailing dot and a leading "www." go, so a
 * Salesforce "Website" of "https://www.Acme.io/about" becomes "acme.io".
 */
const char *load_domain(char *value, size_t *len);

#endif /* ICP_LOAD_KEY_H */
