/*
 * icp-report: ISO 8601 timestamps to milliseconds since the epoch, in the
 * proleptic Gregorian calendar, years 1 to 9999.
 */

#include <stdio.h>

#include "report/instant.h"


/* Days before each month in a common year. */
static const int  rpt_month_days[13] = {
    0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365
};


static int
rpt_leap(int64_t y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}


/* Leap years from year 1 to year y - 1. */
static int64_t
rpt_leaps_before(int64_t y)
{
    return (y - 1) / 4 - (y - 1) / 100 + (y - 1) / 400;
}


/* Days from 1970-01-01 to y-m-d (month 1-12, day 1-31). */
static int64_t
rpt_days(int64_t y, int m, int d)
{
    return 365 * (y - 1970) + rpt_leaps_before(y) - rpt_leaps_before(1970)
           + rpt_month_days[m - 1] + (m > 2 && rpt_leap(y)) + d - 1;
}


static int
rpt_month_len(int64_t y, int m)
{
    return rpt_month_days[m] - rpt_month_days[m - 1]
           + (m == 2 && rpt_leap(y));
}


/* n digits at s[*i], as a number; -1 when they are not all digits. */
static int
rpt_digits_at(const char *s, size_t len, size_t *i, unsigned n)
{
    int       v;
    unsigned  k;

    if (len - *i < n) {
        return -1;
    }

    for (v = 0, k = 0; k < n; k++) {
        if (s[*i + k] < '0' || s[*i + k] > '9') {
            return -1;
        }

        v = v * 10 + (s[*i + k] - '0');
    }

    *i += n;

    return v;
}


/* A separator and then n digits in [lo, hi]; 1 when the text ended. */
static int
rpt_field(const char *s, size_t len, size_t *i, char sep, unsigned n,
    int lo, int hi, int *out)
{
    if (*i == len || s[*i] != sep) {
        return 1;
    }

    (*i)++;
    *out = rpt_digits_at(s, len, i, n);

    return (*out < lo || *out > hi) ? -1 : 0;
}


static int
rpt_offset(const char *s, size_t len, size_t i, int64_t *off)
{
    int  sign, hh, mm;

    if (i == len) {
        *off = 0;
        return 0;
    }

    if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == len) {
        *off = 0;
        return 0;
    }

    if (s[i] != '+' && s[i] != '-') {
        return -1;
    }

    sign = s[i++] == '-' ? -1 : 1;
    hh = rpt_digits_at(s, len, &i, 2);
    mm = 0;

    if (i < len && s[i] == ':') {
        i++;
    }

    if (i < len) {
        mm = rpt_digits_at(s, len, &i, 2);
    }

    if (hh < 0 || hh > 23 || mm < 0 || mm > 59 || i != len) {
        return -1;
    }

    *off = sign * (hh * 60 + mm) * 60000LL;

    return 0;
}


int
rpt_instant(const char *s, size_t len, int64_t *ms)
{
    int      year, month, day, hour, min, sec, frac, unit, rc;
    size_t   i;
    int64_t  off;

    i = 0;
    year = rpt_digits_at(s, len, &i, 4);
    month = 1;
    day = 1;
    hour = 0;
    min = 0;
    sec = 0;
    frac = 0;

    if (year < 1) {
        return -1;
    }

    rc = rpt_field(s, len, &i, '-', 2, 1, 12, &month);

    if (rc == 0) {
        rc = rpt_field(s, len, &i, '-', 2, 1, 31, &day);

        if (rc == 0 && day > rpt_month_len(year, month)) {
            return -1;
        }
    }

    if (rc == 0 && i < len && (s[i] == 'T' || s[i] == 't' || s[i] == ' '))
    {
        i++;
        hour = rpt_digits_at(s, len, &i, 2);

        if (hour < 0 || hour > 23) {
            return -1;
        }

        rc = rpt_field(s, len, &i, ':', 2, 0, 59, &min);

        if (rc == 0) {
            /* 60: a leap second, counted as the next minute's first */
            rc = rpt_field(s, len, &i, ':', 2, 0, 60, &sec);
        }

        if (rc == 0 && i < len && (s[i] == '.' || s[i] == ',')) {
            if (++i == len || s[i] < '0' || s[i] > '9') {
                return -1;
            }

            for (unit = 100; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
                frac += (s[i] - '0') * unit;
                unit /= 10;
            }
        }
    }

    if (rc < 0 || rpt_offset(s, len, i, &off) != 0) {
        return -1;
    }

    *ms = ((rpt_days(year, month, day) * 24 + hour) * 60 + min) * 60000LL
          + sec * 1000LL + frac - off;

    return 0;
}


int
rpt_duration(const char *s, int64_t *ms)
{
    int64_t  n, unit;

    for (n = 0; *s >= '0' && *s <= '9'; s++) {
        n = n * 10 + (*s - '0');

        if (n > 1000000000) {
            return -1;
        }
    }

    switch (*s) {
    case 's': unit = 1000;                  break;
    case 'm': unit = 60 * 1000;             break;
    case 'h': unit = 3600 * 1000;           break;
    case 'd': unit = RPT_MS_PER_DAY;        break;
    case 'w': unit = 7 * RPT_MS_PER_DAY;    break;
    default:  return -1;
    }

    if (n == 0 || s[1] != '\0' || n > 100000 * RPT_MS_PER_DAY / unit) {
        return -1;
    }

    *ms = n * unit;

    return 0;
}


int64_t
rpt_day_of(int64_t ms)
{
    /* rounded down, also before 1970 */
    return ms >= 0 ? ms / RPT_MS_PER_DAY
                   : -((-ms + RPT_MS_PER_DAY - 1) / RPT_MS_PER_DAY);
}


char *
rpt_day_str(char *buf, int64_t day)
{
    int64_t  y;
    int      m, d;

    /* a first guess of the year, then the exact one */
    y = 1970 + day * 400 / 146097;

    while (y > 1 && rpt_days(y, 1, 1) > day) {
        y--;
    }

    while (rpt_days(y + 1, 1, 1) <= day) {
        y++;
    }

    d = (int) (day - rpt_days(y, 1, 1));

    for (m = 1; m < 12 && d >= rpt_month_days[m] + (m >= 2 && rpt_leap(y));
         m++)
    {
        /* the month that holds day d of the year */
    }

    d -= rpt_month_days[m - 1] + (m > 2 && rpt_leap(y));

    snprintf(buf, RPT_DAY_SIZE, "%04d-%02d-%02d", (int) y, m, d + 1);

    return buf;
}


char *
rpt_instant_str(char *buf, int64_t ms)
{
    int64_t  day, in_day;

    day = rpt_day_of(ms);
    in_day = ms - day * RPT_MS_PER_DAY;
    rpt_day_str(buf, day);
    snprintf(buf + 10, RPT_DAY_SIZE - 10, "T%02d:%02d:%02d.%03dZ",
             (int) (in_day / 3600000), (int) (in_day / 60000 % 60),
             (int) (in_day / 1000 % 60), (int) (in_day % 1000));

    return buf;
}
