/*
 * icp-report: the state of a report being read, shared by the reading
 * (agg.c) and the finishing (finish.c) halves.
 */

#ifndef RPT_AGG_H
#define RPT_AGG_H

#include "report/map.h"
#include "report/report.h"


/* One visitor of one experiment. */
typedef struct {
    uint32_t     arm;           /* of the first exposure read */
    uint32_t     vid;
    uint32_t     seg;           /* of the earliest exposure */
    uint32_t     per;
    uint64_t     ts;            /* rpt_ts_key() of the earliest exposure */
    unsigned     multi;         /* exposed to another arm as well */
} rpt_visit_t;


typedef struct {
    uint32_t     exp;           /* name ids */
    uint32_t     var;
    unsigned     exposed;
    uint32_t     variant;       /* index in its rpt_experiment_t */
} rpt_arm_t;


/* What rpt_finish() needs to know of an experiment besides its visits. */
typedef struct {
    uint32_t     name;
    uint64_t     weights_ts;
    size_t       nweights;      /* 0: no record carried weights */
    uint32_t    *wnames;
    double      *weights;
} rpt_exp_t;


struct rpt_s {
    rpt_filter_t       filter;
    rpt_result_t       result;
    rpt_intern_t       names;
    rpt_intern_t       vids;
    rpt_map_t          visit_of;        /* (exp name, vid) -> visit */
    rpt_map_t          arm_of;          /* (exp name, var name) -> arm */
    rpt_map_t          converted;       /* (arm, vid) -> 1 */
    rpt_visit_t       *visits;
    size_t             nvisits;
    size_t             cap_visits;
    rpt_arm_t         *arms;
    size_t             cap_arms;
    rpt_exp_t         *exps;
    size_t             nexps;
    size_t             cap_exps;
    uint32_t          *exp_of_name;     /* name id -> exps index */
    size_t             cap_exp_of_name;
};


/* Grows *arr (of elements of size bytes) so that index n fits. */
int rpt_reserve(void **arr, size_t *cap, size_t n, size_t size);


#endif /* RPT_AGG_H */
