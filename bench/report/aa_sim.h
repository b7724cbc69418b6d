/*
 * A/A simulation of peeking: experiments whose two arms share one true
 * conversion rate (or, with lift, whose variant is better), looked at
 * after every equal batch of visitors, each look tested by the
 * fixed-horizon z-test (tools/report/stats.h) and by the always-valid
 * mSPRT (tools/report/seq.h).  An A/A experiment declared significant at
 * any look is a false positive.  Seeded: the same configuration gives the
 * same counts on every machine.
 */

#ifndef AA_SIM_H
#define AA_SIM_H

#include <stdint.h>


typedef struct {
    unsigned  experiments;
    unsigned  looks;
    /* visitors per arm between two looks */
    unsigned  batch;
    /* the control's rate; the variant's is rate * (1 + lift) */
    double    rate;
    double    lift;
    double    alpha;
    double    tau2;
    uint64_t  seed;
} aa_conf_t;


typedef struct {
    /* experiments ever declared significant (false positives if A/A) */
    unsigned  fixed;
    unsigned  seq;
    /* the same at the last look alone */
    unsigned  fixed_last;
    unsigned  seq_last;
} aa_result_t;


/*
 * 1,000 A/A experiments (lift 0), 20 looks, 20,000 visitors per arm, 10%,
 * alpha 5%, tau2 RPT_SEQ_TAU2.
 */
void aa_default(aa_conf_t *conf);

void aa_run(const aa_conf_t *conf, aa_result_t *res);


#endif /* AA_SIM_H */
