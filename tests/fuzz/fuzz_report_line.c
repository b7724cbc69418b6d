/*
 * libFuzzer target: icp-report's line parser on arbitrary bytes.  The
 * parser decodes in place, so it gets a writable copy of exactly the
 * input, with nothing after it, for ASan to catch any read past the end.
 */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "report/line.h"


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

    free(line);

    return 0;
}
