/*
 * The evaluator: classify one visitor and explain the decision.
 * (First cut: every visitor is none.)
 */

#include <stdio.h>

#include "lfr_int.h"


void
lfr_classify(const lfr_rules_t *rules, const lfr_str_t *inputs,
    lfr_result_t *result)
{
    (void) rules;
    (void) inputs;

    result->segment = LFR_NONE;
    result->exclude = -1;
    result->score = 0;
    result->persona = LFR_NONE;
    result->route = LFR_NONE;
}


size_t
lfr_explain(const lfr_rules_t *rules, const lfr_str_t *inputs,
    const lfr_result_t *result, char *buf, size_t size)
{
    int  n;

    (void) rules;
    (void) inputs;
    (void) result;

    n = snprintf(buf, size, "icp none; persona none; route none");

    return n < 0 ? 0 : (size_t) n;
}
