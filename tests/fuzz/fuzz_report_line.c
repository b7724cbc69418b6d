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
        /* every slice handed out must lie inside the line */
        if (rec.vid.data) {
            for (i = 0; i < rec.vid.len; i++) {
                if (rec.vid.data[i] == '\0') {
                    abort();
                }
            }
        }

        if (rec.nweights > RPT_MAX_WEIGHTS || rec.nassign > RPT_MAX_ASSIGN) {
            abort();
        }
    }

    free(line);

    return 0;
}
