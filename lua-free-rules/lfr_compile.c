/*
 * The compiler: rules text to lfr_rules_t.  (First cut: an empty ruleset.)
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lfr_int.h"


lfr_rules_t *
lfr_compile(const char *file, const char *src, size_t len, lfr_diag_pt diag,
    void *ctx)
{
    (void) src;
    (void) len;

    if (diag) {
        diag(ctx, LFR_WARNING, file, 1, 1, "rules compiler not written yet");
    }

    return lfr_rules_new();
}


lfr_rules_t *
lfr_compile_file(const char *path, lfr_diag_pt diag, void *ctx)
{
    FILE         *f;
    char         *buf, *p;
    size_t        len, size, n;
    lfr_rules_t  *rules;
    char          msg[256];

    f = fopen(path, "rb");
    if (f == NULL) {
        goto failed;
    }

    len = 0;
    size = 8192;
    buf = malloc(size);

    while (buf) {
        n = fread(buf + len, 1, size - len, f);
        len += n;

        if (len < size) {
            break;
        }

        size *= 2;
        p = realloc(buf, size);
        if (p == NULL) {
            free(buf);
        }
        buf = p;
    }

    if (buf == NULL || ferror(f)) {
        free(buf);
        fclose(f);
        goto failed;
    }

    fclose(f);

    rules = lfr_compile(path, buf, len, diag, ctx);
    free(buf);

    return rules;

failed:

    if (diag) {
        snprintf(msg, sizeof(msg), "cannot read the rules file");
        diag(ctx, LFR_ERROR, path, 0, 0, msg);
    }

    return NULL;
}
