/*
 * icp-report: formatting of counts, rates, lifts and p-values.  Every
 * function writes into a caller's buffer of RPT_FMT_SIZE bytes and returns
 * it, so several can appear in one printf.
 */

#include <math.h>
#include <stdio.h>

#include "report/format.h"


char *
rpt_fmt_count(char *buf, uint64_t n)
{
    char      digits[24];
    int       len, i, j;

    len = snprintf(digits, sizeof(digits), "%llu", (unsigned long long) n);

    for (i = 0, j = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0) {
            buf[j++] = ',';
        }

        buf[j++] = digits[i];
    }

    buf[j] = '\0';

    return buf;
}


char *
rpt_fmt_rate(char *buf, double x)
{
    if (isnan(x)) {
        snprintf(buf, RPT_FMT_SIZE, "-");

    } else {
        snprintf(buf, RPT_FMT_SIZE, "%.2f%%", x * 100);
    }

    return buf;
}


char *
rpt_fmt_lift(char *buf, double x)
{
    if (isnan(x)) {
        snprintf(buf, RPT_FMT_SIZE, "-");

    } else {
        snprintf(buf, RPT_FMT_SIZE, "%+.1f%%", x * 100);
    }

    return buf;
}


char *
rpt_fmt_p(char *buf, double p)
{
    if (isnan(p)) {
        snprintf(buf, RPT_FMT_SIZE, "-");

    } else if (p < 0.0001) {
        snprintf(buf, RPT_FMT_SIZE, "<0.0001");

    } else {
        snprintf(buf, RPT_FMT_SIZE, "%.4f", p);
    }

    return buf;
}


char *
rpt_fmt_chance(char *buf, double x)
{
    if (isnan(x)) {
        snprintf(buf, RPT_FMT_SIZE, "-");

    } else if (x > 0.999) {
        snprintf(buf, RPT_FMT_SIZE, ">99.9%%");

    } else if (x < 0.001) {
        snprintf(buf, RPT_FMT_SIZE, "<0.1%%");

    } else {
        snprintf(buf, RPT_FMT_SIZE, "%.1f%%", x * 100);
    }

    return buf;
}


char *
rpt_fmt_weight(char *buf, double w)
{
    if (isnan(w)) {
        snprintf(buf, RPT_FMT_SIZE, "-");

    } else {
        snprintf(buf, RPT_FMT_SIZE, "%.4g", w);
    }

    return buf;
}


const char *
rpt_verdict(double lift, double p_value, uint64_t exposed)
{
    if (exposed == 0) {
        return "no visitors yet";
    }

    if (isnan(p_value)) {
        return "no conversions to compare yet";
    }

    if (p_value >= 0.05) {
        return "no significant difference yet";
    }

    return lift >= 0 ? "better than control (significant at 95%)"
                     : "worse than control (significant at 95%)";
}
