/*
 * icp-report: numbers and verdicts as the text and html reports show them,
 * so that both always print the same figures and words.
 */

#ifndef RPT_FORMAT_H
#define RPT_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "report/report.h"


#define RPT_FMT_SIZE     48
#define RPT_METHOD_SIZE  160


/* 1234567 -> "1,234,567". */
char *rpt_fmt_count(char *buf, uint64_t n);

/* 0.05112 -> "5.11%"; NaN -> "-". */
char *rpt_fmt_rate(char *buf, double x);

/* 0.179 -> "+17.9%"; NaN -> "-". */
char *rpt_fmt_lift(char *buf, double x);

/* "0.0052", "<0.0001"; NaN -> "-". */
char *rpt_fmt_p(char *buf, double p);

/* A probability as a share: "99.7%", ">99.9%", "<0.1%"; NaN -> "-". */
char *rpt_fmt_chance(char *buf, double x);

/* A weight as written in the rules: "50", "33.3"; NaN -> "-". */
char *rpt_fmt_weight(char *buf, double w);

/* An amount: "1,250.50", "-3.00"; NaN -> "-". */
char *rpt_fmt_amount(char *buf, double x);

/* An amount with its sign: "+12.40"; NaN -> "-". */
char *rpt_fmt_amount_diff(char *buf, double x);

/* Visitors needed: "12,345"; INFINITY -> "never"; NaN -> "-". */
char *rpt_fmt_needed(char *buf, double x);

/*
 * Which results the report shows, in a sentence of two lines (the second
 * begins with two blanks), into a buffer of RPT_METHOD_SIZE bytes.
 */
char *rpt_fmt_method(char *buf, unsigned fixed_horizon);

/* A window of ms as the option takes it: "30d", "12h", "90m", "45s". */
char *rpt_fmt_window(char *buf, int64_t ms);

/*
 * How many phases experiment i of res has in the report (they are next
 * to each other, the latest first), and which of them, from 1, it is.
 */
size_t rpt_phases_of(const rpt_result_t *res, size_t i, size_t *rank);

/*
 * What a non-control variant's figures say, in words, for a reader who
 * does not read p-values: "better than control (significant at 95%)",
 * "no significant difference yet", ...
 */
const char *rpt_verdict(double lift, double p_value, uint64_t exposed);


#endif /* RPT_FORMAT_H */
