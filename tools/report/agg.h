/*
 * icp-report: the state of a report being read, shared by the reading
 * (agg.c) and the finishing (finish.c) halves.
 */

#ifndef RPT_AGG_H
#define RPT_AGG_H

#include "report/map.h"
#include "report/report.h"
#include "report/visits.h"


typedef struct {
    uint32_t     run;           /* index in exps */
    uint32_t     var;           /* name id */
    unsigned     exposed;
    uint32_t     variant;       /* index in its rpt_experiment_t */
} rpt_arm_t;


/*
 * A run: one phase of an experiment, or all of them with --all-phases.
 * What rpt_finish() needs to know of it besides its visits.
 */
typedef struct {
    uint32_t     name;          /* the experiment's name id */
    uint32_t     phase;         /* name id; the first seen when pooled */
    uint32_t     next;          /* the next run of the experiment */
    int64_t      first_ts;
    int64_t      last_ts;
    int64_t      weights_ts;
    size_t       nweights;      /* 0: no record carried weights */
    uint32_t    *wnames;
    double      *weights;
    size_t       nphases;       /* distinct phases seen */
    uint32_t    *phases;        /* kept only when pooling */
} rpt_exp_t;


/*
 * A conversion's assignment to one experiment: whether it counts depends
 * on the visitor's first exposure, which may be read later.
 */
typedef struct {
    uint64_t     vid;
    int64_t      ts;
    double       value;         /* NaN: the record had none */
    uint32_t     exp;           /* name ids */
    uint32_t     var;
} rpt_conv_t;


struct rpt_s {
    rpt_filter_t       filter;
    int64_t            since;           /* INT64_MIN: no --since */
    int64_t            window;
    rpt_result_t       result;
    rpt_intern_t       names;
    rpt_visits_t       visits;
    rpt_map_t          arm_of;          /* (run, var name) -> arm */
    rpt_map_t          run_of;          /* (exp name, phase name) -> run */
    rpt_arm_t         *arms;
    size_t             cap_arms;
    rpt_exp_t         *exps;            /* runs */
    size_t             nexps;
    size_t             cap_exps;
    uint32_t          *exp_of_name;     /* name id -> first run */
    size_t             cap_exp_of_name;
    rpt_conv_t        *convs;
    size_t             nconvs;
    size_t             cap_convs;
    uint32_t           no_phase;        /* the name id of "" */
};


/* The trend covers at most this many days, the latest. */
#define RPT_TREND_DAYS  1000


/*
 * The run of (experiment, phase) name ids: a phase of its own, or, with
 * --all-phases, the experiment's only run, made when new.  The arm of
 * (run, variant name id), made when new, not yet exposed.  RPT_NO_ID
 * when memory runs out.  agg.c and clickhouse.c fill the report so.
 */
uint32_t rpt_run(rpt_t *r, uint32_t name, uint32_t phase);
uint32_t rpt_arm(rpt_t *r, uint32_t run, uint32_t var);


/* Grows *arr (of elements of size bytes) so that index n fits. */
int rpt_reserve(void **arr, size_t *cap, size_t n, size_t size);


#endif /* RPT_AGG_H */
