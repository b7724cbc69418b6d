/*
 * icp_firmo: filtering an HGETALL reply down to the wanted fields.
 *
 * Redis holds whatever a loader or an operator put there, so every field
 * is checked on its own: a bad one is dropped and named in the warning,
 * the good ones are kept.  A key of another type gives an error reply
 * (WRONGTYPE), which counts as no data.
 */

#include <stdint.h>
#include <string.h>

#include "icp_firmo.h"
#include "lfr.h"


/* fields the rules compare as numbers: text there could never match */
static const icp_firmo_str_t  icp_firmo_numeric[] = {
    { "employees", sizeof("employees") - 1 },
    { "revenue", sizeof("revenue") - 1 },
};


/*
 * A slot holds 1 + the index of its name, 0 when empty, and whether the
 * name is in icp_firmo_numeric: looked up once, at init.
 */
#define ICP_FIRMO_SLOT_NUMERIC  0x80000000u
#define ICP_FIRMO_SLOT_INDEX    0x7fffffffu


static size_t icp_firmo_hash(const char *s, size_t len);
static inline uint32_t icp_firmo_find(const icp_firmo_wanted_t *wanted,
    const char *s, size_t len);
static inline int icp_firmo_eq(const char *a, const char *b, size_t len);
static int icp_firmo_is_str(const redisReply *r);
static int icp_firmo_in(const icp_firmo_str_t *list, size_t n,
    const char *s, size_t len);
static void icp_firmo_warn(icp_firmo_warning_t *warning, const char *reason,
    const redisReply *field);


/* at least twice as many slots as names: one is always empty */

size_t
icp_firmo_wanted_slots(size_t n)
{
    size_t  slots;

    for (slots = 1; slots < 2 * n; slots *= 2) { /* void */ }

    return slots;
}


void
icp_firmo_wanted_init(icp_firmo_wanted_t *wanted,
    const icp_firmo_str_t *names, size_t n, uint32_t *slots)
{
    size_t    i, k;
    uint32_t  slot;

    wanted->names = names;
    wanted->slots = slots;
    wanted->mask = icp_firmo_wanted_slots(n) - 1;

    memset(slots, 0, (wanted->mask + 1) * sizeof(uint32_t));

    for (i = 0; i < n; i++) {
        if (icp_firmo_find(wanted, names[i].data, names[i].len)) {
            /* a name twice: the first one is found anyway */
            continue;
        }

        slot = (uint32_t) (i + 1);

        if (icp_firmo_in(icp_firmo_numeric,
                         sizeof(icp_firmo_numeric)
                         / sizeof(icp_firmo_numeric[0]),
                         names[i].data, names[i].len))
        {
            slot |= ICP_FIRMO_SLOT_NUMERIC;
        }

        for (k = icp_firmo_hash(names[i].data, names[i].len) & wanted->mask;
             slots[k];
             k = (k + 1) & wanted->mask)
        { /* void */ }

        slots[k] = slot;
    }
}


icp_firmo_rc_t
icp_firmo_parse(const redisReply *reply, const icp_firmo_wanted_t *wanted,
    icp_firmo_pair_t *pairs, size_t max, size_t *n,
    icp_firmo_warning_t *warning)
{
    size_t              i, kept;
    double              num;
    uint32_t            slot;
    const redisReply   *f, *v;

    *n = 0;
    warning->reason = NULL;
    warning->field.data = NULL;
    warning->field.len = 0;

    if (max > ICP_FIRMO_FIELDS_MAX) {
        max = ICP_FIRMO_FIELDS_MAX;
    }

    if (reply == NULL || reply->type == REDIS_REPLY_NIL) {
        return ICP_FIRMO_MISSING;
    }

    if (reply->type == REDIS_REPLY_ERROR) {
        icp_firmo_warn(warning, "not a hash", NULL);
        return ICP_FIRMO_INVALID;
    }

    if (reply->type != REDIS_REPLY_ARRAY || reply->elements % 2) {
        icp_firmo_warn(warning, "malformed reply", NULL);
        return ICP_FIRMO_INVALID;
    }

    if (reply->elements == 0) {
        return ICP_FIRMO_MISSING;
    }

    /*
     * counted here, not in *n, which pairs might alias for all the
     * compiler knows: every store would reload it
     */
    kept = 0;

    for (i = 0; i + 1 < reply->elements; i += 2) {
        f = reply->element[i];
        v = reply->element[i + 1];

        if (!icp_firmo_is_str(f) || !icp_firmo_is_str(v)) {
            icp_firmo_warn(warning, "malformed reply", NULL);
            continue;
        }

        slot = icp_firmo_find(wanted, f->str, f->len);

        if (slot == 0) {
            continue;
        }

        if (v->len > ICP_FIRMO_VALUE_MAX) {
            icp_firmo_warn(warning, "value longer than the cap, dropped", f);
            continue;
        }

        /* a value reaches headers through $icp_firmo_NAME: no CR, LF, NUL */
        if (lfr_has_control(v->str, v->len)) {
            icp_firmo_warn(warning, "control character, dropped", f);
            continue;
        }

        if ((slot & ICP_FIRMO_SLOT_NUMERIC)
            && lfr_parse_number(v->str, v->len, &num) != 0)
        {
            icp_firmo_warn(warning, "not a number, dropped", f);
            continue;
        }

        if (kept == max) {
            icp_firmo_warn(warning, "too many fields, dropped", f);
            continue;
        }

        pairs[kept].name = wanted->names[(slot & ICP_FIRMO_SLOT_INDEX) - 1];
        pairs[kept].value.data = v->str;
        pairs[kept].value.len = v->len;
        kept++;
    }

    *n = kept;

    return ICP_FIRMO_FOUND;
}


/*
 * Three bytes and the length tell the names of a field set apart (company
 * and country differ in the middle one) at a fixed cost, where a scan of
 * the list compared the length of every name in turn.
 */

static size_t
icp_firmo_hash(const char *s, size_t len)
{
    const unsigned char  *p = (const unsigned char *) s;

    if (len == 0) {
        return 0;
    }

    return len * 131 + p[0] * 31 + p[len / 2] * 7 + p[len - 1];
}


/* the name's slot, 0 if it is not wanted */

static inline uint32_t
icp_firmo_find(const icp_firmo_wanted_t *wanted, const char *s, size_t len)
{
    size_t                  k;
    uint32_t                slot;
    const icp_firmo_str_t  *name;

    for (k = icp_firmo_hash(s, len) & wanted->mask;
         (slot = wanted->slots[k]) != 0;
         k = (k + 1) & wanted->mask)
    {
        name = &wanted->names[(slot & ICP_FIRMO_SLOT_INDEX) - 1];

        if (name->len == len && icp_firmo_eq(name->data, s, len)) {
            return slot;
        }
    }

    return 0;
}


/*
 * Most names are 4 to 16 bytes: two loads of each, overlapping, instead
 * of a call to memcmp, which cost as much as the rest of the lookup.
 */

static inline int
icp_firmo_eq(const char *a, const char *b, size_t len)
{
    uint32_t  a4, b4, c4, d4;
    uint64_t  a8, b8, c8, d8;

    if (len >= 8 && len <= 16) {
        memcpy(&a8, a, 8);
        memcpy(&b8, b, 8);
        memcpy(&c8, a + len - 8, 8);
        memcpy(&d8, b + len - 8, 8);

        return a8 == b8 && c8 == d8;
    }

    if (len >= 4 && len < 8) {
        memcpy(&a4, a, 4);
        memcpy(&b4, b, 4);
        memcpy(&c4, a + len - 4, 4);
        memcpy(&d4, b + len - 4, 4);

        return a4 == b4 && c4 == d4;
    }

    return len == 0 || memcmp(a, b, len) == 0;
}


static int
icp_firmo_is_str(const redisReply *r)
{
    return r != NULL
           && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
           && (r->str != NULL || r->len == 0);
}


static int
icp_firmo_in(const icp_firmo_str_t *list, size_t n, const char *s,
    size_t len)
{
    size_t  i;

    for (i = 0; i < n; i++) {
        if (list[i].len == len
            && (len == 0 || memcmp(list[i].data, s, len) == 0))
        {
            return 1;
        }
    }

    return 0;
}


static void
icp_firmo_warn(icp_firmo_warning_t *warning, const char *reason,
    const redisReply *field)
{
    if (warning->reason != NULL) {
        return;
    }

    warning->reason = reason;

    if (field != NULL) {
        warning->field.data = field->str;
        warning->field.len = field->len;
    }
}
