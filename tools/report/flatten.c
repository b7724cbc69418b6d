/*
 * icp-report --flatten: the log as rows of tools/report/clickhouse.sql.
 *
 * Timestamps become milliseconds since 1970 (read as the report reads
 * them, offsets included), the weights and the assignments parallel
 * arrays, and numbers the bits of their double: ClickHouse 18.16 reads
 * decimal text into a Float64 off by one unit in the last place for about
 * 4% of values (1.14 is read as 1.1400000000000001), which would shift
 * means and the sample-ratio test against the files' report.  Keys
 * holding "", 0 or [] are left out: JSONEachRow fills in those defaults.
 */

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "report/flatten.h"
#include "report/instant.h"
#include "report/line.h"


static uint64_t
rpt_bits(double x)
{
    uint64_t  u;

    memcpy(&u, &x, sizeof(u));

    return u;
}


static int
rpt_flat_str(rpt_flat_t *f, const lfr_str_t *s)
{
    size_t   n;
    char    *p;

    n = lfr_json_escape(f->buf, f->cap, s->data ? s->data : "", s->len);

    if (n > f->cap) {
        p = realloc(f->buf, n);

        if (p == NULL) {
            return -1;
        }

        f->buf = p;
        f->cap = n;
        lfr_json_escape(f->buf, f->cap, s->data, s->len);
    }

    fputc('"', f->out);
    fwrite(f->buf, 1, n, f->out);
    fputc('"', f->out);

    return 0;
}


/* ,"key":"value" unless the string is empty or absent. */
static int
rpt_flat_key(rpt_flat_t *f, const char *key, const lfr_str_t *s)
{
    if (s->len == 0) {
        return 0;
    }

    fprintf(f->out, ",\"%s\":", key);

    return rpt_flat_str(f, s);
}


static int
rpt_flat_exposure(rpt_flat_t *f, const rpt_rec_t *rec)
{
    size_t  i;

    if (rpt_flat_key(f, "exp", &rec->exp) != 0
        || rpt_flat_key(f, "var", &rec->var) != 0
        || rpt_flat_key(f, "phase", &rec->phase) != 0
        || rpt_flat_key(f, "seg", &rec->seg) != 0
        || rpt_flat_key(f, "per", &rec->per) != 0)
    {
        return -1;
    }

    if (rec->nweights == 0) {
        return 0;
    }

    fputs(",\"weight_vars\":[", f->out);

    for (i = 0; i < rec->nweights; i++) {
        if (i) {
            fputc(',', f->out);
        }

        if (rpt_flat_str(f, &rec->weights[i].name) != 0) {
            return -1;
        }
    }

    fputs("],\"weight_bits\":[", f->out);

    for (i = 0; i < rec->nweights; i++) {
        fprintf(f->out, "%s%" PRIu64, i ? "," : "",
                rpt_bits(rec->weights[i].weight));
    }

    fputc(']', f->out);

    return 0;
}


static int
rpt_flat_conversion(rpt_flat_t *f, const rpt_rec_t *rec)
{
    size_t  i;

    if (rpt_flat_key(f, "goal", &rec->goal) != 0) {
        return -1;
    }

    if (rec->has_value) {
        fprintf(f->out, ",\"has_value\":1,\"value_bits\":%" PRIu64,
                rpt_bits(rec->value));
    }

    if (rec->nassign == 0) {
        return 0;
    }

    fputs(",\"assign_exp\":[", f->out);

    for (i = 0; i < rec->nassign; i++) {
        if (i) {
            fputc(',', f->out);
        }

        if (rpt_flat_str(f, &rec->assign[i].exp) != 0) {
            return -1;
        }
    }

    fputs("],\"assign_var\":[", f->out);

    for (i = 0; i < rec->nassign; i++) {
        if (i) {
            fputc(',', f->out);
        }

        if (rpt_flat_str(f, &rec->assign[i].var) != 0) {
            return -1;
        }
    }

    fputc(']', f->out);

    return 0;
}


int
rpt_flatten_line(rpt_flat_t *f, char *line, size_t len)
{
    int        rc;
    int64_t    ts;
    rpt_rec_t  rec;

    /* the same order of checks as rpt_add_line(): a record without a
     * type is malformed before its time is looked at */
    if (rpt_parse_line(line, len, &rec) != 0) {
        fputs("{\"kind\":\"malformed\"}\n", f->out);
        return 0;
    }

    if (rec.type == RPT_REC_OTHER) {
        fputs("{\"kind\":\"other\"}\n", f->out);
        return 0;
    }

    if (rec.ts.data == NULL || rpt_instant(rec.ts.data, rec.ts.len, &ts) != 0)
    {
        fputs("{\"kind\":\"malformed\"}\n", f->out);
        return 0;
    }

    fprintf(f->out, "{\"kind\":\"%s\",\"ts\":%" PRId64,
            rec.type == RPT_REC_EXPOSURE ? "exposure" : "conversion", ts);

    if (rpt_flat_key(f, "vid", &rec.vid) != 0) {
        return -1;
    }

    rc = (rec.type == RPT_REC_EXPOSURE) ? rpt_flat_exposure(f, &rec)
                                        : rpt_flat_conversion(f, &rec);

    if (rc != 0) {
        return -1;
    }

    if (rec.bot) {
        fputs(",\"bot\":1", f->out);
    }

    if (rec.preview) {
        fputs(",\"preview\":1", f->out);
    }

    fputs("}\n", f->out);

    return 0;
}


void
rpt_flatten_free(rpt_flat_t *f)
{
    free(f->buf);
    f->buf = NULL;
    f->cap = 0;
}
