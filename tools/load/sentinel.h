/*
 * icp-load --sentinel: the primary's address from Redis Sentinel, asked
 * again when a write fails or lands on a replica.
 */

#ifndef ICP_LOAD_SENTINEL_H
#define ICP_LOAD_SENTINEL_H

#include <stddef.h>

#include "writer.h"


/*
 * A Redis writer to the primary that the first answering of sentinels
 * (HOST:PORT each, in order) names for master, with db and password as for
 * load_writer_redis().  It follows failovers for LOAD_SENTINEL_WAIT_MS
 * without an answered command before it gives up.
 */
load_writer_t *load_sentinel_writer(const char **sentinels, size_t n,
    const char *master, int db, const char *password, const char *name,
    char *err, size_t size);

#endif /* ICP_LOAD_SENTINEL_H */
