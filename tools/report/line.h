/*
 * icp-report: the parser of one log line of $icp_json (see README.md).
 *
 * A single pass over the line that picks out the keys the report needs and
 * skips every other value; no tree is built and nothing is allocated.
 */

#ifndef RPT_LINE_H
#define RPT_LINE_H

#include <stddef.h>

#include <lfr.h>


/* Larger arrays make the line malformed: no experiment has that many. */
#define RPT_MAX_WEIGHTS  64
#define RPT_MAX_ASSIGN   64


typedef enum {
    RPT_REC_NONE = 0,           /* no "type": the line is malformed */
    RPT_REC_OTHER,              /* a "type" the report does not know */
    RPT_REC_EXPOSURE,
    RPT_REC_CONVERSION
} rpt_type_t;


typedef struct {
    lfr_str_t    name;
    double       weight;
} rpt_weight_t;


typedef struct {
    lfr_str_t    exp;
    lfr_str_t    var;
} rpt_assign_t;


/* Strings point into the parsed line; data == NULL means the key was absent. */
typedef struct {
    rpt_type_t    type;
    lfr_str_t     ts;
    lfr_str_t     vid;
    lfr_str_t     seg;
    lfr_str_t     per;
    lfr_str_t     exp;
    lfr_str_t     var;
    lfr_str_t     goal;
    lfr_str_t     phase;
    double        value;        /* of a conversion; has_value says if any */
    unsigned      has_value;
    unsigned      bot;
    unsigned      preview;
    size_t        nweights;
    rpt_weight_t  weights[RPT_MAX_WEIGHTS];
    size_t        nassign;
    rpt_assign_t  assign[RPT_MAX_ASSIGN];
} rpt_rec_t;


/*
 * Parses line[0..len) (no newline needed, trailing white space allowed).
 * Escaped strings are decoded in place, so the line must be writable and
 * outlive the record.  Returns 0, or -1 for a malformed line: bad JSON,
 * a torn line, a string holding \u0000, a known key with a value of the
 * wrong type (a "value" must be a finite number, a weight a finite
 * positive one), an exposure without
 * vid, exp and var, a conversion without vid.
 */
int rpt_parse_line(char *line, size_t len, rpt_rec_t *rec);


#endif /* RPT_LINE_H */
