/*
 * icp-report: the report, built line by line, then finished into per
 * experiment results that the text, json and html writers print.
 */

#ifndef RPT_REPORT_H
#define RPT_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include <lfr.h>

#include "report/line.h"


typedef struct {
    const char  *experiment;    /* NULL: every experiment */
    const char  *goal;          /* NULL: every goal */
    const char  *since;         /* NULL: every record; else a ts prefix */
} rpt_filter_t;


/* What happened to the lines read; see README.md. */
typedef struct {
    uint64_t     lines;
    uint64_t     malformed;
    uint64_t     other_types;
    uint64_t     before_since;
    uint64_t     bots;
    uint64_t     previews;
    uint64_t     exposures;         /* counted exposure records */
    uint64_t     anonymous;         /* exposures without a visitor id */
    uint64_t     single_variant;    /* exposures outside experiments */
    uint64_t     other_experiment;  /* exposures skipped by --experiment */
    uint64_t     conversions;       /* conversion records of the goal */
    uint64_t     other_exp_conv;    /* conversions skipped by --experiment */
    uint64_t     anonymous_conv;
    uint64_t     unattributed;      /* conversions with no assignment */
    uint64_t     other_goal;        /* conversions skipped by --goal */
} rpt_counts_t;


typedef struct {
    lfr_str_t    name;
    double       weight;        /* from the log; 0 if absent, NaN if none */
    uint64_t     exposed;
    uint64_t     converted;
    double       rate;
    double       rate_lo;
    double       rate_hi;
    /* against the control (variant 0); NaN for the control itself */
    double       lift;
    double       lift_lo;
    double       lift_hi;
    double       p_value;
    double       beat;          /* P(rate > control rate) */
} rpt_variant_t;


/* A breakdown row: one segment or persona, counts per variant. */
typedef struct {
    lfr_str_t    name;
    uint32_t     id;
    uint64_t    *exposed;
    uint64_t    *converted;
} rpt_row_t;


typedef struct {
    lfr_str_t       name;
    size_t          nvariants;
    rpt_variant_t  *variants;       /* the first is the control */
    uint64_t        visitors;       /* exposed, multi-variant excluded */
    uint64_t        multi;          /* multi-variant visitors */
    double          srm_chi2;
    unsigned        srm_df;
    double          srm_p;          /* NaN: no weights in the log */
    size_t          nsegments;
    rpt_row_t      *segments;
    size_t          npersonas;
    rpt_row_t      *personas;
} rpt_experiment_t;


typedef struct {
    rpt_filter_t       filter;
    rpt_counts_t       counts;
    size_t             nexperiments;
    rpt_experiment_t  *experiments;     /* sorted by name */
} rpt_result_t;


/* SRM is flagged below this p-value. */
#define RPT_SRM_ALPHA  0.001


typedef struct rpt_s  rpt_t;

/* filter's strings must outlive the report. */
rpt_t *rpt_new(const rpt_filter_t *filter);
void rpt_free(rpt_t *r);

/*
 * Counts one log line (without its newline); the line is modified.
 * Returns -1 only when memory runs out; a bad line is counted, not fatal.
 */
int rpt_add_line(rpt_t *r, char *line, size_t len);

/* Computes the results; NULL when memory runs out. */
const rpt_result_t *rpt_finish(rpt_t *r);


/* Writers, in out_text.c, out_json.c and out_html.c. */
void rpt_write_text(FILE *out, const rpt_result_t *res);
void rpt_write_json(FILE *out, const rpt_result_t *res);
void rpt_write_html(FILE *out, const rpt_result_t *res);


#endif /* RPT_REPORT_H */
