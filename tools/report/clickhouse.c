/*
 * icp-report --clickhouse: the report's facts from SQL.
 *
 * Four queries, the last scanning the table twice, the others once, do
 * what agg.c and finish.c do per line: the counters of the summary; the runs (experiment phases)
 * with their arms and first and last exposure; the latest weights of each
 * run; and a histogram of the visitors of each run by the facts finish.c
 * derives from them (first exposure's variant, segment, persona and day,
 * multi-variant or not, converted or not, the day of the first counted
 * and the last counted conversion, the sum of the counted values, and
 * the conversions before the first exposure and after the window).  Visitors are de-duplicated,
 * and conversions held against the first exposure and the window, in
 * SQL.
 *
 * The histogram is then loaded into the same tables reading the files
 * fills, one visit per visitor under a made-up id, with one conversion
 * per converted visitor placed so that finish.c credits it to the same
 * day, so that rpt_finish() and the writers are the very code of the
 * files' report.  Only counts, days and sums cross the network: the rows
 * are as many as the distinct combinations, about the converters with a
 * value plus runs x variants x segments x personas x days.
 *
 * Every query is plain SQL of ClickHouse 18.16: one JOIN per SELECT, with
 * USING; no window functions, no DateTime64, no query parameters (filter
 * values are quoted here).
 */

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/agg.h"
#include "report/clickhouse.h"
#include "report/http.h"


#define RPT_CH_FIELDS  15


typedef struct {
    rpt_t       *r;
    const char  *url;           /* with wait_end_of_query=1 */
    uint64_t     next_vid;      /* of the made-up visitors */
} rpt_ch_t;


typedef int (*rpt_ch_row_pt)(rpt_ch_t *ch, char **f, size_t *len);


/* s as a ClickHouse string literal. */
static void
rpt_ch_quote(FILE *q, const char *s)
{
    fputc('\'', q);

    for ( ; *s; s++) {
        if (*s == '\'' || *s == '\\') {
            fputc('\\', q);
        }

        fputc(*s, q);
    }

    fputc('\'', q);
}


typedef enum {
    RPT_CH_KEPT,                /* a record of the report's types kept */
    RPT_CH_EXPOSURE,            /* an exposure counted */
    RPT_CH_GOAL,                /* a conversion kept, of --goal */
    RPT_CH_CONVERSION           /* a conversion counted */
} rpt_ch_cond_t;


/*
 * The conditions of the report's filters, as agg.c applies them: on
 * every record kept (--since, bots, previews), then on exposures and
 * conversions that count.  Written out, not as WITH aliases, and with no
 * constant for a filter not given: 18.16 fails a WHERE of such aliases
 * with std::bad_typeid.
 */
static void
rpt_ch_cond(FILE *q, const rpt_t *r, rpt_ch_cond_t what)
{
    fprintf(q, "(kind %s",
            what == RPT_CH_KEPT ? "IN ('exposure', 'conversion')"
            : what == RPT_CH_EXPOSURE ? "= 'exposure'" : "= 'conversion'");

    if (r->since != INT64_MIN) {
        fprintf(q, " AND ts >= %" PRId64, r->since);
    }

    fputs(" AND bot = 0 AND preview = 0", q);

    if (what == RPT_CH_EXPOSURE) {
        fputs(" AND vid != '' AND exp != ''", q);

        if (r->filter.experiment) {
            fputs(" AND exp = ", q);
            rpt_ch_quote(q, r->filter.experiment);
        }
    }

    if ((what == RPT_CH_GOAL || what == RPT_CH_CONVERSION) && r->filter.goal)
    {
        fputs(" AND goal = ", q);
        rpt_ch_quote(q, r->filter.goal);
    }

    if (what == RPT_CH_CONVERSION) {
        fputs(" AND vid != '' AND notEmpty(assign_exp)", q);

        if (r->filter.experiment) {
            fputs(" AND has(assign_exp, ", q);
            rpt_ch_quote(q, r->filter.experiment);
            fputc(')', q);
        }
    }

    fputc(')', q);
}


/* Day numbers as rpt_day_of() gives them, also before 1970. */
#define RPT_CH_DAY(x)                                                        \
    "(intDiv(" x ", 86400000) - (" x " % 86400000 < 0))"


/* countIf(cond AND more), more a printf format of one string */
static void
rpt_ch_count(FILE *q, const rpt_t *r, rpt_ch_cond_t cond, const char *more,
    const char *arg)
{
    fputs(" countIf(", q);
    rpt_ch_cond(q, r, cond);
    fputs(" AND ", q);

    if (arg) {
        /* the filter's value, quoted, in place of the one %s */
        fprintf(q, "%.*s", (int) (strstr(more, "%s") - more), more);
        rpt_ch_quote(q, arg);
        fputs(strstr(more, "%s") + 2, q);

    } else {
        fputs(more, q);
    }

    fputs("),\n", q);
}


static void
rpt_ch_counts_sql(FILE *q, const rpt_t *r)
{
    const char  *x, *g;

    x = r->filter.experiment;
    g = r->filter.goal;

    fputs("SELECT count(),\n"
          " countIf(kind = 'malformed'),\n"
          " countIf(kind = 'other'),\n", q);

    if (r->since != INT64_MIN) {
        fprintf(q, " countIf(kind IN ('exposure', 'conversion')"
                " AND ts < %" PRId64 "),\n", r->since);

    } else {
        fputs(" toUInt64(0),\n", q);
    }

    fputs(" countIf(kind IN ('exposure', 'conversion')", q);

    if (r->since != INT64_MIN) {
        fprintf(q, " AND ts >= %" PRId64, r->since);
    }

    fputs(" AND bot = 1),\n countIf(kind IN ('exposure', 'conversion')", q);

    if (r->since != INT64_MIN) {
        fprintf(q, " AND ts >= %" PRId64, r->since);
    }

    fputs(" AND bot = 0 AND preview = 1),\n", q);

    rpt_ch_count(q, r, RPT_CH_KEPT, "kind = 'exposure' AND vid = ''", NULL);
    rpt_ch_count(q, r, RPT_CH_KEPT,
                 "kind = 'exposure' AND vid != '' AND exp = ''", NULL);

    if (x) {
        rpt_ch_count(q, r, RPT_CH_KEPT, "kind = 'exposure' AND vid != ''"
                     " AND exp != '' AND exp != %s", x);

    } else {
        fputs(" toUInt64(0),\n", q);
    }

    fputs(" countIf(", q);
    rpt_ch_cond(q, r, RPT_CH_EXPOSURE);
    fputs("),\n", q);

    if (g) {
        rpt_ch_count(q, r, RPT_CH_KEPT,
                     "kind = 'conversion' AND goal != %s", g);

    } else {
        fputs(" toUInt64(0),\n", q);
    }

    rpt_ch_count(q, r, RPT_CH_GOAL, "vid = ''", NULL);
    rpt_ch_count(q, r, RPT_CH_GOAL, "vid != '' AND empty(assign_exp)", NULL);

    if (x) {
        rpt_ch_count(q, r, RPT_CH_GOAL, "vid != '' AND notEmpty(assign_exp)"
                     " AND NOT has(assign_exp, %s)", x);

    } else {
        fputs(" toUInt64(0),\n", q);
    }

    fputs(" countIf(", q);
    rpt_ch_cond(q, r, RPT_CH_CONVERSION);
    fputs(")\nFROM log\n", q);
}


static const char *
rpt_ch_pk(const rpt_t *r)
{
    /* the run's key: pooled phases are one run */
    return r->filter.all_phases ? "''" : "phase";
}


static void
rpt_ch_runs_sql(FILE *q, const rpt_t *r)
{
    fputs("SELECT exp, phase, var, min(ts), max(ts)\nFROM log WHERE ", q);
    rpt_ch_cond(q, r, RPT_CH_EXPOSURE);
    fputs("\nGROUP BY exp, phase, var\n", q);
}


/* The latest weights of each run, one row per weight, in their order. */
static void
rpt_ch_weights_sql(FILE *q, const rpt_t *r)
{
    fprintf(q,
        "SELECT exp, tupleElement(w, 3), n, wv, wb FROM (\n"
        " SELECT exp, %s AS pk,\n"
        "  argMax(tuple(weight_vars, weight_bits, phase), ts) AS w\n"
        " FROM log WHERE notEmpty(weight_vars) AND ", rpt_ch_pk(r));
    rpt_ch_cond(q, r, RPT_CH_EXPOSURE);
    fputs("\n GROUP BY exp, pk)\n"
          "ARRAY JOIN tupleElement(w, 1) AS wv, tupleElement(w, 2) AS wb,\n"
          " arrayEnumerate(tupleElement(w, 1)) AS n\n"
          "ORDER BY exp, pk, n\n", q);
}


/* A conversion of the visitor's variant, counted: no later than the
 * window after the first exposure. */
#define RPT_CH_CREDIT                                                        \
    "cv = fvar AND t >= first AND t - first <= %" PRId64


/*
 * Per visitor of each run (agg.c: its first exposure, and whether it saw
 * several variants), the arrays of its conversions naming the
 * experiment joined, one row per visitor (finish.c: of the same variant,
 * before the first exposure, after the window, or counted), then the
 * visitors counted by what the report makes of them.  Multi-variant
 * visitors count for nothing but themselves.  Joining arrays, not rows,
 * spares a second grouping of every visitor: half the time on 10
 * million records.
 */
static void
rpt_ch_visitors_sql(FILE *q, const rpt_t *r)
{
    int64_t  w;

    w = r->window;

    fputs("SELECT exp, fphase, fvar, multi,\n"
          " if(multi, '', fseg) AS s, if(multi, '', fper) AS p,\n"
          " if(multi, 0, " RPT_CH_DAY("first") ") AS eday,\n"
          " multi = 0 AND ncredit > 0 AS conv,\n"
          " if(conv, " RPT_CH_DAY("fconv") ", 0) AS cday,\n"
          " if(conv AND hval, val, 0) AS v, conv AND hval AS hv,\n"
          " sum(if(multi, 0, nbefore)), sum(if(multi, 0, nafter)), count(),\n"
          " max(if(conv, " RPT_CH_DAY("lconv") ", 0))\n"
          "FROM (\n", q);

    fprintf(q,
        "SELECT exp, fphase, fvar, multi, fseg, fper, first,\n"
        " arrayCount((cv, t) -> cv = fvar AND t < first, cvars, ctss)"
        " AS nbefore,\n"
        " arrayCount((cv, t) -> cv = fvar AND t - first > %" PRId64 ","
        " cvars, ctss) AS nafter,\n"
        " arrayFilter((t, cv) -> " RPT_CH_CREDIT ", ctss, cvars)"
        " AS credited,\n"
        " length(credited) AS ncredit,\n"
        " arrayReduce('min', credited) AS fconv,\n"
        " arrayReduce('max', credited) AS lconv,\n"
        " arraySum(arrayFilter((x, h, cv, t) -> h = 1 AND " RPT_CH_CREDIT
        ", cvals, chass, cvars, ctss)) AS val,\n"
        " arrayExists((h, cv, t) -> h = 1 AND " RPT_CH_CREDIT
        ", chass, cvars, ctss) AS hval\n"
        "FROM (\n", w, w, w, w);

    fprintf(q,
        "SELECT exp, %s AS pk, vid, min(ts) AS first,\n"
        " argMin(phase, ts) AS fphase, argMin(var, ts) AS fvar,\n"
        " uniqExact(var) > 1 AS multi,\n"
        " argMin(seg, ts) AS fseg, argMin(per, ts) AS fper\n"
        "FROM log WHERE ", rpt_ch_pk(r));
    rpt_ch_cond(q, r, RPT_CH_EXPOSURE);
    fputs("\nGROUP BY exp, pk, vid\n"
          ") ANY LEFT JOIN (\n"
          "SELECT exp, vid, groupArray(cvar) AS cvars,"
          " groupArray(cts) AS ctss,\n"
          " groupArray(cval) AS cvals, groupArray(chas) AS chass\n"
          "FROM (\n"
          "SELECT aexp AS exp, vid, avar AS cvar, ts AS cts, value AS cval,\n"
          " has_value AS chas\n"
          "FROM log ARRAY JOIN assign_exp AS aexp, assign_var AS avar\n"
          "WHERE ", q);
    rpt_ch_cond(q, r, RPT_CH_CONVERSION);

    if (r->filter.experiment) {
        fputs(" AND aexp = ", q);
        rpt_ch_quote(q, r->filter.experiment);
    }

    fputs("\n) GROUP BY exp, vid\n"
          ") USING (exp, vid)\n"
          ")\n"
          "GROUP BY exp, fphase, fvar, multi, s, p, eday, conv, cday, v, hv\n",
          q);
}


/* ClickHouse's TabSeparated escapes, undone in place; the new length. */
static size_t
rpt_ch_unescape(char *s, size_t len)
{
    size_t  i, n;

    for (i = 0, n = 0; i < len; i++, n++) {
        if (s[i] != '\\' || i + 1 == len) {
            s[n] = s[i];
            continue;
        }

        switch (s[++i]) {
        case 'b': s[n] = '\b'; break;
        case 'f': s[n] = '\f'; break;
        case 'n': s[n] = '\n'; break;
        case 'r': s[n] = '\r'; break;
        case 't': s[n] = '\t'; break;
        case '0': s[n] = '\0'; break;
        default:  s[n] = s[i]; break;
        }
    }

    s[n] = '\0';

    return n;
}


/*
 * Runs the query q (freed here) and calls row() with the nf fields of
 * each line of its answer.  Returns what a row() returned if not 0, -1
 * when the server fails or answers otherwise, -2 when memory runs out.
 */
static int
rpt_ch_query(rpt_ch_t *ch, char *q, size_t qlen, size_t nf,
    rpt_ch_row_pt row)
{
    int              rc;
    char             err[512], *p, *end, *eol, *f[RPT_CH_FIELDS];
    size_t           i, len[RPT_CH_FIELDS];
    rpt_http_resp_t  resp;

    rc = rpt_http_post(ch->url, q, qlen, &resp, err, sizeof(err));
    free(q);

    if (rc != 0) {
        fprintf(stderr, "icp-report: --clickhouse %s\n", err);
        return -1;
    }

    if (resp.status != 200) {
        fprintf(stderr, "icp-report: --clickhouse: HTTP %d: %.*s\n",
                resp.status, (int) strcspn(resp.body, "\n"), resp.body);
        free(resp.body);
        return -1;
    }

    end = resp.body + resp.len;
    rc = 0;

    for (p = resp.body; rc == 0 && p < end; p = eol + 1) {
        eol = memchr(p, '\n', end - p);
        eol = eol ? eol : end;
        *eol = '\0';

        for (i = 0; i < nf && p != NULL; i++) {
            f[i] = p;
            p = strchr(p, '\t');
            len[i] = (p ? p : eol) - f[i];
            p = p ? p + 1 : NULL;
            len[i] = rpt_ch_unescape(f[i], len[i]);
        }

        if (i < nf || p != NULL) {
            fprintf(stderr, "icp-report: --clickhouse: an answer of %zu "
                    "fields was expected: is the table the one of "
                    "clickhouse.sql?\n", nf);
            rc = -1;
            break;
        }

        rc = row(ch, f, len);
    }

    free(resp.body);

    return rc;
}


typedef void (*rpt_ch_sql_pt)(FILE *q, const rpt_t *r);


/* Writes the query of sql() and runs it, row() taking its answer. */
static int
rpt_ch_ask(rpt_ch_t *ch, rpt_ch_sql_pt sql, size_t nf, rpt_ch_row_pt row)
{
    int      bad;
    char    *q;
    size_t   qlen;
    FILE    *f;

    f = open_memstream(&q, &qlen);

    if (f == NULL) {
        return -2;
    }

    sql(f, ch->r);
    fputs("FORMAT TabSeparated\n", f);
    bad = ferror(f);

    if (fclose(f) != 0 || bad) {
        free(q);
        return -2;
    }

    return rpt_ch_query(ch, q, qlen, nf, row);
}


static int
rpt_ch_u64(const char *s, uint64_t *n)
{
    char  *end;

    errno = 0;
    *n = strtoull(s, &end, 10);

    return (*s == '\0' || *s == '-' || *end != '\0' || errno) ? -1 : 0;
}


static int
rpt_ch_i64(const char *s, int64_t *n)
{
    char  *end;

    errno = 0;
    *n = strtoll(s, &end, 10);

    return (*s == '\0' || *end != '\0' || errno) ? -1 : 0;
}


static int
rpt_ch_bad(const char *what)
{
    fprintf(stderr, "icp-report: --clickhouse: not a number in the %s\n",
            what);
    return -1;
}


/* A name id; names hold no NUL (intern.h), as the log's parser sees to. */
static int
rpt_ch_name(rpt_ch_t *ch, const char *s, size_t len, uint32_t *id)
{
    if (memchr(s, '\0', len) != NULL) {
        fprintf(stderr, "icp-report: --clickhouse: a name holds NUL\n");
        return -1;
    }

    *id = rpt_intern(&ch->r->names, s, len);

    return *id == RPT_NO_ID ? -2 : 0;
}


static int
rpt_ch_counts(rpt_ch_t *ch, char **f, size_t *len)
{
    size_t          i;
    rpt_counts_t   *c;
    uint64_t       *field[15];

    (void) len;
    c = &ch->r->result.counts;

    /* in the order of rpt_ch_counts_sql() */
    field[0] = &c->lines;
    field[1] = &c->malformed;
    field[2] = &c->other_types;
    field[3] = &c->before_since;
    field[4] = &c->bots;
    field[5] = &c->previews;
    field[6] = &c->anonymous;
    field[7] = &c->single_variant;
    field[8] = &c->other_experiment;
    field[9] = &c->exposures;
    field[10] = &c->other_goal;
    field[11] = &c->anonymous_conv;
    field[12] = &c->unattributed;
    field[13] = &c->other_exp_conv;
    field[14] = &c->conversions;

    for (i = 0; i < 15; i++) {
        if (rpt_ch_u64(f[i], field[i]) != 0) {
            return rpt_ch_bad("counts");
        }
    }

    return 0;
}


/* The run of an experiment and phase named in fields f[0] and f[1]. */
static int
rpt_ch_run_of(rpt_ch_t *ch, char **f, size_t *len, uint32_t *run)
{
    int       rc;
    uint32_t  name, phase;

    rc = rpt_ch_name(ch, f[0], len[0], &name);

    if (rc == 0) {
        rc = rpt_ch_name(ch, f[1], len[1], &phase);
    }

    if (rc == 0) {
        *run = rpt_run(ch->r, name, phase);
        rc = (*run == RPT_NO_ID) ? -2 : 0;
    }

    return rc;
}


/* exp, phase, var, min(ts), max(ts) */
static int
rpt_ch_runs(rpt_ch_t *ch, char **f, size_t *len)
{
    int         rc;
    int64_t     first, last;
    uint32_t    run, var, arm;
    rpt_exp_t  *e;

    if (rpt_ch_i64(f[3], &first) != 0 || rpt_ch_i64(f[4], &last) != 0) {
        return rpt_ch_bad("runs");
    }

    rc = rpt_ch_run_of(ch, f, len, &run);

    if (rc == 0) {
        rc = rpt_ch_name(ch, f[2], len[2], &var);
    }

    if (rc != 0) {
        return rc;
    }

    arm = rpt_arm(ch->r, run, var);

    if (arm == RPT_NO_ID) {
        return -2;
    }

    ch->r->arms[arm].exposed = 1;
    e = &ch->r->exps[run];
    e->first_ts = first < e->first_ts ? first : e->first_ts;
    e->last_ts = last > e->last_ts ? last : e->last_ts;

    return 0;
}


/* exp, phase, n, var, weight bits: n counts the weights from 1 */
static int
rpt_ch_weights(rpt_ch_t *ch, char **f, size_t *len)
{
    int         rc;
    double      w;
    uint32_t    run, var, *wnames;
    uint64_t    n, bits;
    rpt_exp_t  *e;

    if (rpt_ch_u64(f[2], &n) != 0 || rpt_ch_u64(f[4], &bits) != 0) {
        return rpt_ch_bad("weights");
    }

    rc = rpt_ch_run_of(ch, f, len, &run);

    if (rc == 0) {
        rc = rpt_ch_name(ch, f[3], len[3], &var);
    }

    if (rc != 0) {
        return rc;
    }

    e = &ch->r->exps[run];

    if (n != e->nweights + 1) {
        fprintf(stderr, "icp-report: --clickhouse: weights out of order\n");
        return -1;
    }

    wnames = realloc(e->wnames, n * sizeof(uint32_t));

    if (wnames == NULL) {
        return -2;
    }

    e->wnames = wnames;
    e->weights = realloc(e->weights, n * sizeof(double));

    if (e->weights == NULL) {
        return -2;
    }

    memcpy(&w, &bits, sizeof(w));
    e->wnames[n - 1] = var;
    e->weights[n - 1] = w;
    e->nweights = n;

    return 0;
}


/* A made-up visitor id: any 64 bits spread over the table do. */
static uint64_t
rpt_ch_vid(rpt_ch_t *ch)
{
    uint64_t  z;

    /* splitmix64 */
    z = (ch->next_vid += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;

    return z ^ (z >> 31);
}


static int
rpt_ch_conv(rpt_t *r, uint64_t vid, int64_t ts, double value, uint32_t run,
    uint32_t var)
{
    rpt_conv_t  *c;

    if (rpt_reserve((void **) &r->convs, &r->cap_convs, r->nconvs,
                    sizeof(rpt_conv_t))
        != 0)
    {
        return -2;
    }

    c = &r->convs[r->nconvs++];
    c->vid = vid;
    c->ts = ts;
    c->value = value;
    c->exp = r->exps[run].name;
    c->var = var;

    return 0;
}


/*
 * exp, phase, var, multi, seg, per, exposure day, converted, conversion
 * day, value, has value, conversions before, after the window, visitors,
 * the day of their last counted conversion.
 *
 * Each visitor is a visit whose first exposure is the last instant of its
 * day; its first counted conversion is the first instant of its own day,
 * or the exposure's instant on the same day: finish.c then counts it for
 * that day and within the window, as the true instants are (at most the
 * window apart, so never more apart than these).  The last conversion,
 * which ends the trend, is one more without a value, of a visitor
 * converted before it.
 */
static int
rpt_ch_visitors(rpt_ch_t *ch, char **f, size_t *len)
{
    int           rc;
    double        value;
    int64_t       eday, cday, lday, ts;
    uint32_t      run, var, seg, per, arm;
    uint64_t      multi, conv, hv, before, after, n, k, vid;
    rpt_t        *r;
    rpt_visit_t  *v;

    r = ch->r;

    if (rpt_ch_u64(f[3], &multi) != 0 || rpt_ch_i64(f[6], &eday) != 0
        || rpt_ch_u64(f[7], &conv) != 0 || rpt_ch_i64(f[8], &cday) != 0
        || rpt_ch_u64(f[10], &hv) != 0 || rpt_ch_u64(f[11], &before) != 0
        || rpt_ch_u64(f[12], &after) != 0 || rpt_ch_u64(f[13], &n) != 0
        || rpt_ch_i64(f[14], &lday) != 0 || n == 0)
    {
        return rpt_ch_bad("visitors");
    }

    value = hv ? strtod(f[9], NULL) : NAN;
    rc = rpt_ch_run_of(ch, f, len, &run);

    if (rc == 0) {
        rc = rpt_ch_name(ch, f[2], len[2], &var);
    }

    if (rc == 0) {
        rc = rpt_ch_name(ch, f[4], len[4], &seg);
    }

    if (rc == 0) {
        rc = rpt_ch_name(ch, f[5], len[5], &per);
    }

    if (rc != 0) {
        return rc;
    }

    arm = rpt_arm(r, run, var);

    if (arm == RPT_NO_ID) {
        return -2;
    }

    ts = eday * RPT_MS_PER_DAY + RPT_MS_PER_DAY - 1;
    vid = 0;

    for (k = 0; k < n; k++) {
        vid = rpt_ch_vid(ch);
        v = rpt_visits_get(&r->visits, run, vid);

        if (v == NULL) {
            return -2;
        }

        v->arm = arm;
        v->multi = multi != 0;
        v->ts = ts;
        v->seg = seg;
        v->per = per;

        if (conv
            && rpt_ch_conv(r, vid, cday > eday ? cday * RPT_MS_PER_DAY : ts,
                           value, run, var)
               != 0)
        {
            return -2;
        }
    }

    if (conv && lday > cday
        && rpt_ch_conv(r, vid, lday * RPT_MS_PER_DAY, NAN, run, var) != 0)
    {
        return -2;
    }

    /* held against the last of these visitors, who is no multi */
    for (k = 0; k < before + after; k++) {
        if (rpt_ch_conv(r, vid, k < before ? ts - 1 : ts + r->window + 1,
                        NAN, run, var)
            != 0)
        {
            return -2;
        }
    }

    return 0;
}


int
rpt_clickhouse(rpt_t *r, const char *url)
{
    int        rc;
    char      *u;
    size_t     n;
    rpt_ch_t   ch;

    /* an error after the answer began would otherwise come as HTTP 200 */
    n = strlen(url);
    u = malloc(n + sizeof("?wait_end_of_query=1"));

    if (u == NULL) {
        return -2;
    }

    memcpy(u, url, n);
    strcpy(u + n, strchr(url, '?') ? "&wait_end_of_query=1"
                                   : "?wait_end_of_query=1");

    ch.r = r;
    ch.url = u;
    ch.next_vid = 0;

    rc = rpt_ch_ask(&ch, rpt_ch_counts_sql, 15, rpt_ch_counts);

    if (rc == 0) {
        rc = rpt_ch_ask(&ch, rpt_ch_runs_sql, 5, rpt_ch_runs);
    }

    if (rc == 0) {
        rc = rpt_ch_ask(&ch, rpt_ch_weights_sql, 5, rpt_ch_weights);
    }

    if (rc == 0) {
        rc = rpt_ch_ask(&ch, rpt_ch_visitors_sql, 15, rpt_ch_visitors);
    }

    free(u);

    return rc;
}
