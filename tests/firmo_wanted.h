/*
 * The wanted-field set that icp_firmo_parse() takes, built from a test's
 * array of names: shared by the unit tests of the firmographic parser.
 * Include after <cmocka.h> and "icp_firmo.h".
 */

#ifndef FIRMO_WANTED_H
#define FIRMO_WANTED_H

#define FIRMO_WANTED_SLOTS  16


static const icp_firmo_wanted_t *
firmo_wanted(const icp_firmo_str_t *names, size_t n)
{
    static uint32_t            slots[FIRMO_WANTED_SLOTS];
    static icp_firmo_wanted_t  set;

    assert_true(icp_firmo_wanted_slots(n) <= FIRMO_WANTED_SLOTS);
    icp_firmo_wanted_init(&set, names, n, slots);

    return &set;
}

/* the set of a static array of names */
#define FIRMO_WANTED(names)                                              \
    firmo_wanted(names, sizeof(names) / sizeof(names[0]))

#endif /* FIRMO_WANTED_H */
