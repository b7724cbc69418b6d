/*
 * icp-load key columns: addresses, networks and domains as key text.
 *
 * Addresses go through inet_pton/inet_ntop: glibc prints IPv6 in RFC 5952
 * form (lower case, no leading zeros, the longest run of two or more zero
 * groups as "::", the first of equal runs), the form the module looks up.
 */

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include "key.h"


/* prefix lengths of the network keys, shortest first */
static const unsigned  load_net4_bits[] = { 16, 24, 0 };
static const unsigned  load_net6_bits[] = { 32, 48, 64, 0 };


static int
load_addr_parse(const char *text, int *family, unsigned char *addr)
{
    *family = strchr(text, ':') ? AF_INET6 : AF_INET;

    return inet_pton(*family, text, addr) == 1 ? 0 : -1;
}


const char *
load_ip(const char *text, char *out, size_t size)
{
    int            family;
    unsigned char  addr[16];

    if (load_addr_parse(text, &family, addr) != 0) {
        return "not an IPv4 or IPv6 address";
    }

    /* the module looks an IPv4-mapped visitor up by its IPv4 address */
    if (family == AF_INET6
        && IN6_IS_ADDR_V4MAPPED((const struct in6_addr *) addr))
    {
        memmove(addr, addr + 12, 4);
        family = AF_INET;
    }

    if (inet_ntop(family, addr, out, size) == NULL) {
        return "address too long";
    }

    return NULL;
}


const char *
load_net_parse(load_net_t *net, const char *text)
{
    char             buf[LOAD_NET_LEN], *end;
    size_t           n;
    unsigned         i, len, max, spread;
    const char      *slash;
    unsigned long    value;
    const unsigned  *bits;

    slash = strchr(text, '/');
    if (slash == NULL) {
        return "no /LENGTH: put single addresses in the ip column";
    }

    n = slash - text;
    if (n >= sizeof(buf)) {
        return "not an IPv4 or IPv6 network";
    }

    memcpy(buf, text, n);
    buf[n] = '\0';

    if (load_addr_parse(buf, &net->family, net->addr) != 0) {
        return "not an IPv4 or IPv6 network";
    }

    max = (net->family == AF_INET) ? 32 : 128;

    value = 0;
    if (isdigit((unsigned char) slash[1])) {
        value = strtoul(slash + 1, &end, 10);
    }

    if (!isdigit((unsigned char) slash[1]) || *end != '\0' || value > max) {
        return "invalid prefix length";
    }

    len = value;

    for (i = len; i < max; i++) {
        if (net->addr[i / 8] & (0x80 >> (i % 8))) {
            return "host bits set: the address must be the network's first";
        }
    }

    bits = (net->family == AF_INET) ? load_net4_bits : load_net6_bits;

    while (*bits != 0 && *bits < len) {
        bits++;
    }

    if (*bits == 0) {
        return (net->family == AF_INET)
               ? "longer than /24, the narrowest network key: "
                 "put its addresses in the ip column"
               : "longer than /64, the narrowest network key: "
                 "put its addresses in the ip column";
    }

    spread = *bits - len;

    if (spread > 30 || (1UL << spread) > LOAD_NET_MAX_KEYS) {
        return "too wide: it would expand to more than 65536 network keys";
    }

    net->bits = *bits;
    net->left = 1UL << spread;

    return NULL;
}


int
load_net_next(load_net_t *net, char *out, size_t size)
{
    size_t  n;
    int     i;

    if (net->left == 0) {
        return 0;
    }

    if (inet_ntop(net->family, net->addr, out, size) == NULL) {
        return 0;
    }

    n = strlen(out);
    snprintf(out + n, size - n, "/%u", net->bits);

    net->left--;

    /* the next network of this length: carry from its last byte up */
    for (i = net->bits / 8 - 1; i >= 0; i--) {
        if (++net->addr[i] != 0) {
            break;
        }
    }

    return 1;
}


const char *
load_domain(char *value, size_t *len)
{
    char           *p, *start, *end;
    unsigned char   c;

    start = value;
    end = value + *len;

    for (p = start; p + 3 <= end; p++) {
        if (memcmp(p, "://", 3) == 0) {
            start = p + 3;
            break;
        }
    }

    for (p = start; p < end; p++) {
        if (*p == '/' || *p == '?' || *p == '#' || *p == ':') {
            break;
        }
    }

    end = p;

    while (end > start && end[-1] == '.') {
        end--;
    }

    /* bytes >= 0x80: an internationalised name, kept as written */
    for (p = start; p < end; p++) {
        c = *p;

        if (!(isalnum(c) || c == '-' || c == '.' || c == '_' || c >= 0x80)) {
            return "not a domain name";
        }
    }

    for (p = start; p < end; p++) {
        *p = tolower((unsigned char) *p);
    }

    if (end - start > 4 && memcmp(start, "www.", 4) == 0) {
        start += 4;
    }

    if (start == end || *start == '.') {
        return "not a domain name";
    }

    if (end - start > LOAD_DOMAIN_MAX) {
        return "longer than a domain name can be (253)";
    }

    *len = end - start;
    memmove(value, start, *len);
    value[*len] = '\0';

    return NULL;
}
