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
    rpt_visits_t       visits;
    rpt_map_t          arm_of;          /* (exp name, var name) -> arm */
    rpt_map_t          converted;       /* rpt_conv_key() -> 1 */
    rpt_arm_t         *arms;
    size_t             cap_arms;
    rpt_exp_t         *exps;
    size_t             nexps;
    size_t             cap_exps;
    uint32_t          *exp_of_name;     /* name id -> exps index */
    size_t             cap_exp_of_name;
};


/* The key of "vid converted in arm"; collisions as rare as of vids. */
#define rpt_conv_key(arm, vid)                                               \
    ((vid) ^ ((uint64_t) (arm) + 1) * 0x9e3779b97f4a7c15ULL)


#endif /* RPT_AGG_H */
