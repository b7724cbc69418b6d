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
 * addr is "host:port" or "unix:/path"; db < 0 and password == NULL skip
 * SELECT and AUTH.  name and line tag the messages about error replies.
 */
load_writer_t *load_writer_redis(const char *addr, int db,
    const char *password, const char *name, char *err, size_t size);
load_writer_t *load_writer_print(FILE *out);

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
