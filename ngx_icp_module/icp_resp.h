/*
 * icp_resp: the boundaries of Redis replies in the byte stream, and their
 * size, found before hiredis's reader sees them.  hiredis buffers a reply
 * whole before any of it can be refused: one 100 MB field, or a hash of
 * half a million fields, took a worker's memory with it.  This scanner
 * only counts: a reply within its budgets is handed on, one over them is
 * skipped as it streams in.  Plain C, no nginx types, for the unit tests
 * and the fuzzer.
 */

#ifndef ICP_RESP_H
#define ICP_RESP_H

#include <stddef.h>


typedef enum {
    ICP_RESP_MORE = 0,      /* all input taken, the reply goes on */
    ICP_RESP_REPLY,         /* a reply within budget ends at *used */
    ICP_RESP_OVER,          /* the reply went over budget at *used */
    ICP_RESP_SKIPPED,       /* the reply over budget ends at *used */
    ICP_RESP_BAD            /* not the protocol: the link cannot go on */
} icp_resp_rc_t;


/* icp_resp_t.over */
#define ICP_RESP_OVER_BYTES     1
#define ICP_RESP_OVER_ELEMENTS  2


typedef struct {
    size_t      max_bytes;      /* of one reply, framing included */
    size_t      max_elements;   /* array elements of one reply, nested too */

    /* the reply being read; all zero between replies */
    size_t      bytes;
    size_t      elements;
    size_t      pending;        /* items still to come */
    size_t      bulk;           /* body bytes still to come, CRLF too */
    size_t      number;         /* a length or count being read */
    unsigned    stage;
    unsigned    digits;
    unsigned    negative;
    unsigned    header;         /* '$' or '*' being read */
    unsigned    over;           /* ICP_RESP_OVER_*: being skipped */
} icp_resp_t;


/* Starts a link: the budgets are kept, the rest is cleared. */
void icp_resp_reset(icp_resp_t *f);

/*
 * Reads up to len bytes at p and stops at the end of a reply or where one
 * goes over budget; *used is what was read.
 */
icp_resp_rc_t icp_resp_scan(icp_resp_t *f, const char *p, size_t len,
    size_t *used);

#endif /* ICP_RESP_H */
