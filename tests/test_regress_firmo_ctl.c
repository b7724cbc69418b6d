/*
 * Regression (t/60-hostile.t): a firmographic value from Redis holding CR,
 * LF or NUL went through $icp_firmo_company into a response header and
 * split it.  icp_firmo_parse now drops such a value, with a warning, and
 * keeps the clean fields of the same key.  Replies are read by hiredis
 * from RESP, as a worker reads them.
 */

#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "icp_firmo.h"
#include "firmo_wanted.h"


static const icp_firmo_str_t  wanted[] = {
    { "company", 7 }, { "industry", 8 }, { "employees", 9 },
};


static redisReply *
read_reply(const char *resp, size_t len)
{
    void         *reply;
    redisReader  *reader;

    reader = redisReaderCreate();
    assert_non_null(reader);
    assert_int_equal(redisReaderFeed(reader, resp, len), REDIS_OK);
    assert_int_equal(redisReaderGetReply(reader, &reply), REDIS_OK);
    assert_non_null(reply);
    redisReaderFree(reader);

    return reply;
}


/* HGETALL of company "a\r\nX-Evil: 1", industry "\0", employees 5000 */
static void
test_control_characters_dropped(void **state)
{
    static const char    resp[] =
        "*6\r\n"
        "$7\r\ncompany\r\n$12\r\na\r\nX-Evil: 1\r\n"
        "$8\r\nindustry\r\n$1\r\n\0\r\n"
        "$9\r\nemployees\r\n$4\r\n5000\r\n";
    size_t               n;
    redisReply          *reply;
    icp_firmo_pair_t     pairs[ICP_FIRMO_FIELDS_MAX];
    icp_firmo_warning_t  w;

    (void) state;

    reply = read_reply(resp, sizeof(resp) - 1);

    assert_int_equal(icp_firmo_parse(reply, FIRMO_WANTED(wanted), pairs,
                                     ICP_FIRMO_FIELDS_MAX, &n, &w),
                     ICP_FIRMO_FOUND);

    assert_int_equal(n, 1);
    assert_int_equal(pairs[0].name.len, 9);
    assert_memory_equal(pairs[0].name.data, "employees", 9);
    assert_int_equal(pairs[0].value.len, 4);
    assert_memory_equal(pairs[0].value.data, "5000", 4);

    assert_string_equal(w.reason, "control character, dropped");
    assert_int_equal(w.field.len, 7);
    assert_memory_equal(w.field.data, "company", 7);

    freeReplyObject(reply);
}


/* ESC and DEL too; UTF-8 and a plain space stay */
static void
test_esc_del_dropped_utf8_kept(void **state)
{
    static const char    resp[] =
        "*6\r\n"
        "$7\r\ncompany\r\n$9\r\nCaf\xc3\xa9 Co.\r\n"
        "$8\r\nindustry\r\n$4\r\n\x1b[2J\r\n"
        "$9\r\nemployees\r\n$3\r\n5\x7f" "0\r\n";
    size_t               n;
    redisReply          *reply;
    icp_firmo_pair_t     pairs[ICP_FIRMO_FIELDS_MAX];
    icp_firmo_warning_t  w;

    (void) state;

    reply = read_reply(resp, sizeof(resp) - 1);

    icp_firmo_parse(reply, FIRMO_WANTED(wanted), pairs, ICP_FIRMO_FIELDS_MAX,
                    &n, &w);

    assert_int_equal(n, 1);
    assert_int_equal(pairs[0].value.len, 9);
    assert_memory_equal(pairs[0].value.data, "Caf\xc3\xa9 Co.", 9);
    assert_memory_equal(w.field.data, "industry", 8);

    freeReplyObject(reply);
}


int
main(void)
{
    const struct CMUnitTest  tests[] = {
        cmocka_unit_test(test_control_characters_dropped),
        cmocka_unit_test(test_esc_del_dropped_utf8_kept),
    };

    return cmocka_run_group_tests(tests, NULL, NULL);
}
