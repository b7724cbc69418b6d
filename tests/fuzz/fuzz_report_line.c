/*
 * libFuzzer target: icp-report's line parser on arbitrary bytes.  The
 * parser decodes in place, so it gets a writable copy of exactly the
 * input, with nothing after it, for ASan to catch any read past the end.
 * Then the input's lines go through a whole report, written in the three
 * formats, as a log of such lines would.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/line.h"
#include "report/report.h"


int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


/* A slice must lie in the line and hold no NUL (interning relies on it). */
static void
check(const lfr_str_t *s, const char *line, size_t size)
{
    if (s->data == NULL) {
        return;
    }

    if (s->data < line || s->data + s->len > line + size
        || memchr(s->data, '\0', s->len) != NULL)
    {
        abort();
    }
}


static void
report(char *log, size_t size)
{
    char                *p, *nl, *end;
    rpt_t               *r;
    const rpt_result_t  *res;
    rpt_filter_t         filter = { NULL, NULL, NULL, 0, 0, 0 };
    static FILE         *null;

    if (null == NULL) {
        null = fopen("/dev/null", "w");
    }

    /* the first byte picks a filter, so that they are fuzzed too */
    if (size > 0) {
        filter.experiment = (log[0] == 'E') ? "e" : NULL;
        filter.goal = (log[0] == 'G') ? "g" : NULL;
        filter.since = (log[0] == 'S') ? "2026-11" : NULL;
        filter.all_phases = (log[0] == 'P');
    }

    r = rpt_new(&filter);

    if (r == NULL) {
        return;
    }

    end = log + size;

    for (p = log; p < end; p = nl + 1) {
        nl = memchr(p, '\n', end - p);
        nl = nl ? nl : end;
        rpt_add_line(r, p, nl - p);
    }

    res = rpt_finish(r);

    if (res != NULL && null != NULL) {
        rpt_write_text(null, res);
        rpt_write_json(null, res);
        rpt_write_html(null, res);
    }

    rpt_free(r);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char       *line;
    size_t      i;
    rpt_rec_t   rec;

    line = malloc(size ? size : 1);

    if (line == NULL) {
        return 0;
    }

    memcpy(line, data, size);

    if (rpt_parse_line(line, size, &rec) == 0) {
        if (rec.nweights > RPT_MAX_WEIGHTS || rec.nassign > RPT_MAX_ASSIGN) {
            abort();
        }

        check(&rec.ts, line, size);
        check(&rec.vid, line, size);
        check(&rec.seg, line, size);
        check(&rec.per, line, size);
        check(&rec.exp, line, size);
        check(&rec.var, line, size);
        check(&rec.goal, line, size);

        for (i = 0; i < rec.nweights; i++) {
            check(&rec.weights[i].name, line, size);
        }

        for (i = 0; i < rec.nassign; i++) {
            check(&rec.assign[i].exp, line, size);
            check(&rec.assign[i].var, line, size);
        }
    }

    /* the parse above decoded escapes in place: start again from data */
    memcpy(line, data, size);
    report(line, size);

    free(line);

    return 0;
}
