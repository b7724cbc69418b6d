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

#include "report/instant.h"
#include "report/line.h"
#include "report/power.h"
#include "report/seq.h"
#include "report/stats.h"


typedef struct {
    const char  *experiment;    /* NULL: every experiment */
    const char  *goal;          /* NULL: every goal */
    const char  *since;         /* NULL: every record; else a timestamp
                                   that rpt_instant() reads */
    int64_t      window;        /* how long after the first exposure a
                                   conversion counts, in ms; 0: 30 days */
    unsigned     all_phases;    /* pool the phases of each experiment */
    unsigned     fixed_horizon; /* the z-test and Katz interval, read once,
                                   instead of the sequential results */
} rpt_filter_t;


#define RPT_WINDOW_DEFAULT  (30 * RPT_MS_PER_DAY)

/* The longest line read, its newline not counted: 1 MiB. */
#define RPT_LINE_MAX  (1024 * 1024)


/* What happened to the lines read; see README.md. */
typedef struct {
    uint64_t     lines;
    uint64_t     overlong;          /* longer than RPT_LINE_MAX, skipped */
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
    lfr_str_t      name;
    double         weight;      /* from the log; 0 if absent, NaN if none */
    uint64_t       exposed;
    uint64_t       converted;
    double         rate;
    double         rate_lo;
    double         rate_hi;
    /*
     * against the control (variant 0), NaN for the control itself; the
     * interval and p-value are the always-valid ones of seq (mSPRT over
     * the trend's days) or, with --fixed-horizon, the Katz interval and
     * the z-test
     */
    double         lift;
    double         lift_lo;
    double         lift_hi;
    double         p_value;
    double         p_holm;      /* p_value, Holm-adjusted across variants */
    double         beat;        /* P(rate > control rate) */
    rpt_seq_t      seq;         /* the looks; unused with --fixed-horizon */
    rpt_power_t    power;       /* of the fixed-horizon test */
    double         best;        /* P(highest rate), the control's too */
    /* per exposed visitor, the sum of its counted conversions' values */
    rpt_moments_t  value;
    double         value_lo;    /* 95% t interval of the mean */
    double         value_hi;
    rpt_welch_t    value_cmp;   /* against the control; NaN for it */
    /* cumulative by day from the experiment's trend_day0: visitors first
     * exposed by the end of the day, and those of them converted by then */
    uint64_t      *trend_exposed;
    uint64_t      *trend_converted;
} rpt_variant_t;


/* One variant in one row of a breakdown. */
typedef struct {
    uint64_t     exposed;
    uint64_t     converted;
    double       rate;
    double       rate_lo;       /* Wilson */
    double       rate_hi;
    double       p_value;       /* z-test against the row's control */
} rpt_cell_t;


/* A breakdown row: one segment or persona, a cell per variant. */
typedef struct {
    lfr_str_t    name;
    uint32_t     id;
    rpt_cell_t  *cells;
} rpt_row_t;


/*
 * The results of one phase of an experiment (or of all its phases, with
 * --all-phases).
 */
typedef struct {
    lfr_str_t       name;
    lfr_str_t       phase;          /* "" without phases, or pooled */
    size_t          nphases;        /* phases pooled: 1 unless pooled */
    int64_t         first_ts;       /* its first and last exposure */
    int64_t         last_ts;
    size_t          nvariants;
    rpt_variant_t  *variants;       /* the first is the control */
    uint64_t        visitors;       /* exposed, multi-variant excluded */
    uint64_t        multi;          /* multi-variant visitors */
    uint64_t        conv_before;    /* conversions before the visitor's
                                       first exposure, not counted */
    uint64_t        conv_after;     /* conversions after the window */
    unsigned        has_values;     /* a counted conversion had a value */
    double          srm_chi2;
    unsigned        srm_df;
    double          srm_p;          /* NaN: no weights, or pooled */
    size_t          nsegments;
    rpt_row_t      *segments;
    size_t          npersonas;
    rpt_row_t      *personas;
    int64_t         trend_day0;     /* rpt_day_of() of the first point */
    size_t          ndays;
} rpt_experiment_t;


typedef struct {
    rpt_filter_t       filter;
    rpt_counts_t       counts;
    size_t             nexperiments;
    rpt_experiment_t  *experiments;     /* by name, the latest phase first */
} rpt_result_t;


/* The level of the tests and intervals: 95%, two-sided. */
#define RPT_ALPHA      0.05

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

/*
 * Counts a line longer than RPT_LINE_MAX bytes, which the reader skipped
 * without keeping it: apart from the malformed ones, as nothing is known
 * of it but its length.
 */
void rpt_add_overlong(rpt_t *r);

/* Computes the results; NULL when memory runs out. */
const rpt_result_t *rpt_finish(rpt_t *r);


/* Writers, in out_text.c, out_json.c and out_html.c. */
void rpt_write_text(FILE *out, const rpt_result_t *res);
void rpt_write_json(FILE *out, const rpt_result_t *res);
void rpt_write_html(FILE *out, const rpt_result_t *res);


#endif /* RPT_REPORT_H */
