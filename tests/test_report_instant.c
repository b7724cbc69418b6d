/*
 * Unit tests of icp-report's timestamps (tools/report/instant.c): ISO
 * 8601 with UTC offsets as instants, partial forms for --since, what is
 * refused, durations for --window, days back to dates.  The expected
 * milliseconds are Python's: (datetime.fromisoformat(s) - epoch) //
 * timedelta(milliseconds=1).
 */

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "report/instant.h"


static int64_t
instant(const char *s)
{
    int64_t  ms;

    ms = -42;
    assert_int_equal(rpt_instant(s, strlen(s), &ms), 0);

    return ms;
}


static void
refused(const char *s)
{
    int64_t  ms;

    if (rpt_instant(s, strlen(s), &ms) == 0) {
        fail_msg("\"%s\" was read as %lld", s, (long long) ms);
    }
}


static void
test_instants(void **state)
{
    (void) state;

    assert_true(instant("2026-11-23T08:00:00Z") == 1795420800000LL);
    assert_true(instant("2026-11-23T08:00:00.000Z") == 1795420800000LL);
    /* the same instant at another offset */
    assert_true(instant("2026-11-23T10:00:00+02:00") == 1795420800000LL);
    assert_true(instant("2026-11-23T02:30:00-05:30") == 1795420800000LL);
    assert_true(instant("2026-11-23T10:00:00+0200") == 1795420800000LL);
    assert_true(instant("2026-11-23t08:00:00z") == 1795420800000LL);
    assert_true(instant("2026-11-23 08:00:00Z") == 1795420800000LL);
    /* fractions: milliseconds, shorter, longer (cut), with a comma */
    assert_true(instant("2026-11-23T08:00:00.5Z") == 1795420800500LL);
    assert_true(instant("2026-11-23T08:00:00.123456Z") == 1795420800123LL);
    assert_true(instant("2026-11-23T08:00:00,25Z") == 1795420800250LL);
    /* leap days, centuries, before 1970, the ends */
    assert_true(instant("2024-02-29T00:00:00Z") == 1709164800000LL);
    assert_true(instant("2000-03-01T00:00:00Z") == 951868800000LL);
    assert_true(instant("1900-03-01T00:00:00Z") == -2203891200000LL);
    assert_true(instant("1969-12-31T23:59:59.999Z") == -1);
    assert_true(instant("0001-01-01T00:00:00Z") == -62135596800000LL);
    assert_true(instant("9999-12-31T23:59:59Z") == 253402300799000LL);
}


/* What --since takes: as much of the timestamp as wanted. */
static void
test_partial(void **state)
{
    (void) state;

    assert_true(instant("2026") == instant("2026-01-01T00:00:00Z"));
    assert_true(instant("2026-11") == 1793491200000LL);
    assert_true(instant("2026-11-23") == instant("2026-11-23T00:00:00Z"));
    assert_true(instant("2026-11-23T10") == instant("2026-11-23T10:00:00Z"));
    assert_true(instant("2026-11-23T10:00") == 1795428000000LL);
    assert_true(instant("2026-11-23T10:00+01:00")
                == instant("2026-11-23T09:00:00Z"));
}


static void
test_refused(void **state)
{
    (void) state;

    refused("");
    refused("yesterday");
    refused("26-11-23");
    refused("2026-13");
    refused("2026-00");
    refused("2026-02-29");
    refused("2026-04-31");
    refused("2026-11-23T24:00");
    refused("2026-11-23T10:60");
    refused("2026-11-23T1");
    refused("2026-11-23T10:00:00.Z");
    refused("2026-11-23T10:00:00Zx");
    refused("2026-11-23T10:00:00+2");
    refused("2026-11-23T10:00:00+24:00");
    refused("2026-11-23T10:00:00 ");
    refused("0000-01-01");
}


static void
test_durations(void **state)
{
    int64_t  ms;

    (void) state;

    assert_int_equal(rpt_duration("30d", &ms), 0);
    assert_true(ms == 30 * RPT_MS_PER_DAY);
    assert_int_equal(rpt_duration("12h", &ms), 0);
    assert_true(ms == 12 * 3600000LL);
    assert_int_equal(rpt_duration("90m", &ms), 0);
    assert_true(ms == 90 * 60000LL);
    assert_int_equal(rpt_duration("45s", &ms), 0);
    assert_true(ms == 45000);
    assert_int_equal(rpt_duration("2w", &ms), 0);
    assert_true(ms == 14 * RPT_MS_PER_DAY);

    assert_int_equal(rpt_duration("30", &ms), -1);
    assert_int_equal(rpt_duration("0d", &ms), -1);
    assert_int_equal(rpt_duration("-1h", &ms), -1);
    assert_int_equal(rpt_duration("1.5h", &ms), -1);
    assert_int_equal(rpt_duration("12hh", &ms), -1);
    assert_int_equal(rpt_duration("d", &ms), -1);
    assert_int_equal(rpt_duration("99999999999d", &ms), -1);
}


static void
test_days(void **state)
{
    char  buf[RPT_DAY_SIZE];

    (void) state;

    assert_string_equal(rpt_day_str(buf, 0), "1970-01-01");
    assert_string_equal(rpt_day_str(buf, rpt_day_of(-1)), "1969-12-31");
    assert_string_equal(rpt_day_str(buf, rpt_day_of(1709164800000LL)),
                        "2024-02-29");
    assert_string_equal(rpt_day_str(buf,
                        rpt_day_of(instant("2024-12-31T23:59:59Z"))),
                        "2024-12-31");
    assert_string_equal(rpt_day_str(buf,
                        rpt_day_of(instant("2026-11-23T23:30:00-02:00"))),
                        "2026-11-24");
    assert_string_equal(rpt_day_str(buf,
                        rpt_day_of(instant("0001-01-01"))), "0001-01-01");
    assert_string_equal(rpt_day_str(buf,
                        rpt_day_of(instant("9999-12-31T12:00Z"))),
                        "9999-12-31");
    assert_string_equal(rpt_instant_str(buf,
                        instant("2026-11-23T10:11:12.345+02:00")),
                        "2026-11-23T08:11:12.345Z");
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_instants),
        cmocka_unit_test(test_partial),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_durations),
        cmocka_unit_test(test_days),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
