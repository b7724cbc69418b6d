/*
 * icp-report: timestamps as instants.  Records from several servers may
 * carry different UTC offsets ("10:00:00+02:00" is "08:00:00Z"), so they
 * are compared as milliseconds since 1970-01-01T00:00:00Z, never as text.
 */

#ifndef RPT_INSTANT_H
#define RPT_INSTANT_H

#include <stddef.h>
#include <stdint.h>


#define RPT_MS_PER_DAY  86400000LL


/*
 * An ISO 8601 date and time, from the year on, as long as it goes:
 *
 *   YYYY[-MM[-DD[Thh[:mm[:ss[.fff...]]]]]][Z | +hh[:mm] | -hh[:mm]]
 *
 * ("T" may be "t" or a space, the fraction may start with ','; digits
 * after the milliseconds are dropped; without an offset it is UTC).  The
 * missing fields are the earliest: "2026-11" is 2026-11-01T00:00:00Z.
 * Returns 0 and sets *ms, or -1 when s is not such a timestamp.
 */
int rpt_instant(const char *s, size_t len, int64_t *ms);

/*
 * A duration as a number and a unit: "30d", "12h", "90m", "45s", "2w".
 * Returns 0 and sets *ms, or -1 (no unit, not positive, too long).
 */
int rpt_duration(const char *s, int64_t *ms);

/* Day number day as "YYYY-MM-DD", in buf of RPT_DAY_SIZE bytes. */
#define RPT_DAY_SIZE  32

char *rpt_day_str(char *buf, int64_t day);

/* ms as "YYYY-MM-DDThh:mm:ss.fffZ", in buf of RPT_DAY_SIZE bytes. */
char *rpt_instant_str(char *buf, int64_t ms);

/* The number of the UTC day of ms: 0 is 1970-01-01. */
int64_t rpt_day_of(int64_t ms);


#endif /* RPT_INSTANT_H */
