/*
 * icp_firmo: filtering an HGETALL reply down to the wanted fields.
 *
 * Redis holds whatever a loader or an operator put there, so every field
 * is checked on its own: a bad one is dropped and named in the warning,
 * the good ones are kept.  A key of another type gives an error reply
 * (WRONGTYPE), which counts as no data.
 */

#include <string.h>

#include "lfr_int.h"
#include "icp_firmo.h"


/* fields the rules compare as numbers: text there could never match */
static const icp_firmo_str_t  icp_firmo_numeric[] = {
    { "employees", sizeof("employees") - 1 },
    { "revenue", sizeof("revenue") - 1 },
};


static int icp_firmo_is_str(const redisReply *r);
static int icp_firmo_has_ctl(const char *s, size_t len);
static int icp_firmo_in(const icp_firmo_str_t *list, size_t n,
    const char *s, size_t len);
static void icp_firmo_warn(icp_firmo_warning_t *warning, const char *reason,
    const redisReply *field);


icp_firmo_rc_t
icp_firmo_parse(const redisReply *reply, const icp_firmo_str_t *wanted,
    size_t nwanted, icp_firmo_pair_t *pairs, size_t max, size_t *n,
    icp_firmo_warning_t *warning)
{
    size_t              i;
    double              num;
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

    for (i = 0; i + 1 < reply->elements; i += 2) {
        f = reply->element[i];
        v = reply->element[i + 1];

        if (!icp_firmo_is_str(f) || !icp_firmo_is_str(v)) {
            icp_firmo_warn(warning, "malformed reply", NULL);
            continue;
        }

        if (!icp_firmo_in(wanted, nwanted, f->str, f->len)) {
            continue;
        }

        if (v->len > ICP_FIRMO_VALUE_MAX) {
            icp_firmo_warn(warning, "value longer than the cap, dropped", f);
            continue;
        }

        /* a value reaches headers through $icp_firmo_NAME: no CR, LF, NUL */
        if (icp_firmo_has_ctl(v->str, v->len)) {
            icp_firmo_warn(warning, "control character, dropped", f);
            continue;
        }

        if (icp_firmo_in(icp_firmo_numeric,
                         sizeof(icp_firmo_numeric)
                         / sizeof(icp_firmo_numeric[0]),
                         f->str, f->len)
            && lfr_parse_number(v->str, v->len, &num) != 0)
        {
            icp_firmo_warn(warning, "not a number, dropped", f);
            continue;
        }

        if (*n == max) {
            icp_firmo_warn(warning, "too many fields, dropped", f);
            continue;
        }

        pairs[*n].name.data = f->str;
        pairs[*n].name.len = f->len;
        pairs[*n].value.data = v->str;
        pairs[*n].value.len = v->len;
        (*n)++;
    }

    return ICP_FIRMO_FOUND;
}


static int
icp_firmo_is_str(const redisReply *r)
{
    return r != NULL
           && (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
           && (r->str != NULL || r->len == 0);
}


static int
icp_firmo_has_ctl(const char *s, size_t len)
{
    size_t  i;

    for (i = 0; i < len; i++) {
        if ((unsigned char) s[i] < 0x20 || s[i] == 0x7f) {
            return 1;
        }
    }

    return 0;
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
