/*
 * icp-load output: commands pipelined to Redis, or printed for --dry-run
 * in the quoting redis-cli reads back.
 */

#ifndef ICP_LOAD_WRITER_H
#define ICP_LOAD_WRITER_H

#include <stddef.h>
#include <stdio.h>


typedef struct load_writer_s  load_writer_t;

/*
 * Where to write: fills addr, or returns -1 to give up with err saying
 * why.  Asked before the first connection (why NULL), and again whenever
 * a connection fails or the server answers READONLY (why says so);
 * attempt counts the calls since a command was last answered, from 0.
 */
typedef int (*load_writer_locate_pt)(void *data, unsigned attempt,
    const char *why, char *addr, size_t size, char *err, size_t errsize);

struct redisContext;


/*
 * addr is "host:port" or "unix:/path"; db < 0 and password == NULL skip
 * SELECT and AUTH.  name and line tag the messages about error replies.
 */
load_writer_t *load_writer_redis(const char *addr, int db,
    const char *password, const char *name, char *err, size_t size);
load_writer_t *load_writer_print(FILE *out);

/*
 * A Redis writer to wherever locate says, following it when the server
 * fails or turns replica; data goes to locate, and is freed with free()
 * when the writer is (or at once when this fails).
 */
load_writer_t *load_writer_located(load_writer_locate_pt locate, void *data,
    int db, const char *password, const char *name, char *err, size_t size);

/* addr as for load_writer_redis(); NULL when it is not an address */
struct redisContext *load_writer_connect(const char *addr, long ms);

/* -1 when the connection failed: load_writer_error() says why */
int load_writer_cmd(load_writer_t *w, unsigned long line, int argc,
    const char **argv, const size_t *argvlen);
/* waits for every reply still due */
int load_writer_flush(load_writer_t *w);

/* error replies so far, each already reported on stderr */
unsigned long load_writer_errors(const load_writer_t *w);
const char *load_writer_error(const load_writer_t *w);
void load_writer_free(load_writer_t *w);

#endif /* ICP_LOAD_WRITER_H */
