/*
 * icp-rules: checks a rules file, or evaluates visitors against it through
 * the same library calls the module makes, so both decide alike.
 *
 *   icp-rules check [--industries VOCABULARY] FILE
 *   icp-rules eval FILE [--visitor ID] [--json] [FIELD=VALUE ...]
 *
 * Without FIELD=VALUE arguments eval reads JSON lines from stdin, one flat
 * object of fields per line, and writes one JSON result per line.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lfr.h"


/*
 * The industry vocabulary icp-load writes (tools/load/industries.tsv),
 * where the build put it; the Makefile sets it, and a package sets it to
 * where it installs the file.
 */
#ifndef ICP_INDUSTRIES
#define ICP_INDUSTRIES  "/usr/share/icp/industries.tsv"
#endif


/* The keys of a vocabulary, for the warnings of check. */
typedef struct {
    char         *text;         /* the file; the keys point into it */
    const char  **keys;
    size_t        nkeys;
    const char   *path;
    const char   *rules;        /* the rules file, in the warnings */
    unsigned      unknown;
} vocab_t;


typedef struct {
    lfr_rules_t   *rules;
    lfr_str_t     *inputs;
    const char    *visitor;
    size_t         vlen;
    int            json;
} eval_t;


static int  quiet;


static void
diag_print(void *ctx, lfr_severity_t severity, const char *file,
    unsigned line, unsigned col, const char *msg)
{
    (void) ctx;

    if (severity == LFR_WARNING && quiet) {
        return;
    }

    if (line == 0) {
        fprintf(stderr, "%s: %s: %s\n", file,
                severity == LFR_ERROR ? "error" : "warning", msg);
        return;
    }

    fprintf(stderr, "%s:%u:%u: %s: %s\n", file, line, col,
            severity == LFR_ERROR ? "error" : "warning", msg);
}


static int
usage(void)
{
    fprintf(stderr,
            "usage: icp-rules check [--industries VOCABULARY] FILE\n"
            "       icp-rules eval FILE [--visitor ID] [--json] "
            "[FIELD=VALUE ...]\n"
            "eval reads JSON lines from stdin when no FIELD=VALUE is given\n");
    return 2;
}


/*
 * The "industry" lines' keys.  Returns -1 when the file cannot be read,
 * -2 when it names no key.
 */
static int
vocab_read(vocab_t *v, const char *path)
{
    FILE         *fp;
    long          size;
    char         *p, *end, *line;
    const char  **keys;

    v->path = path;

    fp = fopen(path, "r");
    if (fp == NULL) {
        return -1;
    }

    if (fseek(fp, 0, SEEK_END) != 0 || (size = ftell(fp)) < 0
        || fseek(fp, 0, SEEK_SET) != 0
        || (v->text = malloc(size + 1)) == NULL
        || fread(v->text, 1, size, fp) != (size_t) size)
    {
        fclose(fp);
        return -1;
    }

    fclose(fp);
    v->text[size] = '\0';

    for (line = v->text; line < v->text + size; line = end + 1) {
        end = strchr(line, '\n');
        if (end == NULL) {
            end = v->text + size;
        }

        *end = '\0';

        if (strncmp(line, "industry\t", 9) != 0) {
            continue;
        }

        p = line + 9;
        p[strcspn(p, "\t\r")] = '\0';

        keys = realloc(v->keys, (v->nkeys + 1) * sizeof(char *));
        if (keys == NULL) {
            return -1;
        }

        v->keys = keys;
        v->keys[v->nkeys++] = p;
    }

    return v->nkeys ? 0 : -2;
}


/* rules compare texts without regard to ASCII case, and so does this */
static void
vocab_check(void *ctx, const char *text, size_t len, unsigned line,
    unsigned col)
{
    char      msg[512];
    size_t    i, k;
    vocab_t  *v = ctx;

    for (k = 0; k < v->nkeys; k++) {
        if (strlen(v->keys[k]) != len) {
            continue;
        }

        for (i = 0; i < len; i++) {
            if ((text[i] | 0x20) != (v->keys[k][i] | 0x20)) {
                break;
            }
        }

        if (i == len) {
            return;
        }
    }

    v->unknown++;
    snprintf(msg, sizeof(msg), "industry \"%.*s\" is not in the industry "
             "vocabulary %s: no record icp-load writes has it",
             (int) (len > 64 ? 64 : len), text, v->path);
    diag_print(NULL, LFR_WARNING, v->rules, line, col, msg);
}


/*
 * Without --industries the vocabulary is the build's default, if it is
 * there; named with --industries it must be.
 */
static int
check(const char *file, const char *industries)
{
    int             rc;
    vocab_t         v;
    lfr_rules_t    *rules;
    lfr_summary_t   s;

    memset(&v, 0, sizeof(vocab_t));
    v.rules = file;

    rc = vocab_read(&v, industries ? industries : ICP_INDUSTRIES);

    if (rc != 0 && (industries != NULL || rc == -2)) {
        fprintf(stderr, "icp-rules: %s: %s\n", v.path,
                rc == -1 ? "cannot be read" : "no \"industry\" line: not a "
                "vocabulary");
        free(v.text);
        free(v.keys);
        return 2;
    }

    rules = lfr_compile_file(file, diag_print, NULL);
    if (rules == NULL) {
        free(v.text);
        free(v.keys);
        return 1;
    }

    if (v.nkeys > 0) {
        lfr_field_texts(rules, "industry", 8, vocab_check, &v);
    }

    lfr_summary(rules, &s);
    printf("%s: ok, %u icp%s, %u exclusion%s, %u persona%s, %u route%s, "
           "%u experiment%s\n", file,
           s.icps, s.icps == 1 ? "" : "s",
           s.excludes, s.excludes == 1 ? "" : "s",
           s.personas, s.personas == 1 ? "" : "s",
           s.routes, s.routes == 1 ? "" : "s",
           s.experiments, s.experiments == 1 ? "" : "s");
    lfr_free(rules);
    free(v.text);
    free(v.keys);

    return 0;
}


/* A JSON string value, or null. */
static void
put_json(const char *s)
{
    char    *buf;
    size_t   n;

    if (s == NULL) {
        fputs("null", stdout);
        return;
    }

    n = lfr_json_escape(NULL, 0, s, strlen(s));

    buf = malloc(n + 1);
    if (buf == NULL) {
        fputs("null", stdout);
        return;
    }

    lfr_json_escape(buf, n, s, strlen(s));
    printf("\"%.*s\"", (int) n, buf);
    free(buf);
}


static void
evaluate(eval_t *ev, const char *visitor, size_t vlen)
{
    int            bucket;
    size_t         n, variant;
    char           reason[1024];
    const char    *exp, *vname, *uri;
    lfr_result_t   r;

    lfr_classify(ev->rules, ev->inputs, &r);
    lfr_explain(ev->rules, ev->inputs, &r, reason, sizeof(reason));

    exp = lfr_route_experiment(ev->rules, r.route);
    bucket = -1;
    variant = 0;

    /* without a visitor id an experiment shows its control */
    if (exp && visitor) {
        bucket = (int) lfr_bucket(exp, strlen(exp), visitor, vlen);
        variant = lfr_pick_variant(ev->rules, r.route, (unsigned) bucket);
    }

    n = lfr_route_nvariants(ev->rules, r.route);
    vname = n ? lfr_variant_name(ev->rules, r.route, variant) : NULL;
    uri = n ? lfr_variant_uri(ev->rules, r.route, variant) : NULL;

    if (!ev->json) {
        printf("segment:    %s\n", lfr_segment_name(ev->rules, r.segment));
        printf("score:      %d\n", r.score);
        printf("persona:    %s\n", lfr_persona_name(ev->rules, r.persona));
        printf("route:      %s\n", n ? lfr_route_name(ev->rules, r.route)
                                     : "none");
        printf("experiment: %s\n", exp ? exp : "-");
        printf("variant:    %s\n", vname ? vname : "-");
        printf("uri:        %s\n", uri ? uri : "-");

        if (bucket >= 0) {
            printf("bucket:     %d\n", bucket);
        } else {
            printf("bucket:     -%s\n",
                   exp ? " (no --visitor: the control is shown)" : "");
        }

        printf("reason:     %s\n", reason);
        return;
    }

    fputs("{\"segment\":", stdout);
    put_json(lfr_segment_name(ev->rules, r.segment));
    printf(",\"score\":%d,\"persona\":", r.score);
    put_json(lfr_persona_name(ev->rules, r.persona));
    fputs(",\"route\":", stdout);
    put_json(n ? lfr_route_name(ev->rules, r.route) : NULL);
    fputs(",\"experiment\":", stdout);
    put_json(exp);
    fputs(",\"variant\":", stdout);
    put_json(vname);
    fputs(",\"uri\":", stdout);
    put_json(uri);

    if (bucket >= 0) {
        printf(",\"bucket\":%d", bucket);
    } else {
        fputs(",\"bucket\":null", stdout);
    }

    fputs(",\"reason\":", stdout);
    put_json(reason);
    fputs("}\n", stdout);
}


/* Sets a field; 0, or -1 when the name is not a field at all. */
static int
set_field(eval_t *ev, const char *name, size_t nlen, const char *value,
    size_t vlen)
{
    int  slot;

    slot = lfr_field_find(ev->rules, name, nlen);

    if (slot == -2) {
        return -1;
    }

    /* a field the rules never read cannot change the decision */
    if (slot >= 0) {
        ev->inputs[slot].data = value;
        ev->inputs[slot].len = vlen;
    }

    return 0;
}


/*
 * A minimal reader of one flat JSON object whose values are strings,
 * numbers, true, false or null: enough for a line of visitor fields.
 */
typedef struct {
    const char  *p;
    const char  *end;
    char        *out;       /* decoded strings; never longer than input */
} json_t;


static void
json_ws(json_t *j)
{
    while (j->p < j->end
           && (*j->p == ' ' || *j->p == '\t' || *j->p == '\r'
               || *j->p == '\n'))
    {
        j->p++;
    }
}


static int
json_hex4(json_t *j, unsigned *cp)
{
    int  i;
    char c;

    if (j->end - j->p < 4) {
        return -1;
    }

    *cp = 0;

    for (i = 0; i < 4; i++) {
        c = *j->p++;
        *cp <<= 4;

        if (c >= '0' && c <= '9') {
            *cp |= c - '0';
        } else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
            *cp |= (c | 0x20) - 'a' + 10;
        } else {
            return -1;
        }
    }

    return 0;
}


static void
json_utf8(json_t *j, unsigned cp)
{
    if (cp < 0x80) {
        *j->out++ = (char) cp;
    } else if (cp < 0x800) {
        *j->out++ = (char) (0xc0 | cp >> 6);
        *j->out++ = (char) (0x80 | (cp & 0x3f));
    } else if (cp < 0x10000) {
        *j->out++ = (char) (0xe0 | cp >> 12);
        *j->out++ = (char) (0x80 | ((cp >> 6) & 0x3f));
        *j->out++ = (char) (0x80 | (cp & 0x3f));
    } else {
        *j->out++ = (char) (0xf0 | cp >> 18);
        *j->out++ = (char) (0x80 | ((cp >> 12) & 0x3f));
        *j->out++ = (char) (0x80 | ((cp >> 6) & 0x3f));
        *j->out++ = (char) (0x80 | (cp & 0x3f));
    }
}


/* A string at j->p (after its opening quote), decoded into j->out. */
static const char *
json_string(json_t *j, size_t *len)
{
    char        c;
    unsigned    cp, lo;
    const char *start;

    start = j->out;

    while (j->p < j->end && *j->p != '"') {
        c = *j->p++;

        if ((unsigned char) c < 0x20) {
            return NULL;
        }

        if (c != '\\') {
            *j->out++ = c;
            continue;
        }

        if (j->p == j->end) {
            return NULL;
        }

        c = *j->p++;

        switch (c) {
        case '"': case '\\': case '/': *j->out++ = c; break;
        case 'b': *j->out++ = '\b'; break;
        case 'f': *j->out++ = '\f'; break;
        case 'n': *j->out++ = '\n'; break;
        case 'r': *j->out++ = '\r'; break;
        case 't': *j->out++ = '\t'; break;
        case 'u':
            if (json_hex4(j, &cp) != 0) {
                return NULL;
            }

            if (cp >= 0xd800 && cp < 0xdc00 && j->end - j->p >= 6
                && j->p[0] == '\\' && j->p[1] == 'u')
            {
                j->p += 2;

                if (json_hex4(j, &lo) != 0) {
                    return NULL;
                }

                if (lo >= 0xdc00 && lo < 0xe000) {
                    cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
                } else {
                    /* a lone surrogate cannot be UTF-8: U+FFFD */
                    json_utf8(j, 0xfffd);
                    cp = lo;
                }
            }

            json_utf8(j, (cp >= 0xd800 && cp < 0xe000) ? 0xfffd : cp);
            break;
        default:
            return NULL;
        }
    }

    if (j->p == j->end) {
        return NULL;
    }

    j->p++;
    *len = j->out - start;
    *j->out++ = '\0';

    return start;
}


/* Fills ev->inputs from one line; NULL or a message saying what is wrong. */
static const char *
json_fields(eval_t *ev, json_t *j, const char **visitor, size_t *vlen)
{
    size_t       klen, len;
    const char  *key, *value, *start;

    json_ws(j);

    if (j->p == j->end || *j->p++ != '{') {
        return "expected '{'";
    }

    json_ws(j);

    if (j->p < j->end && *j->p == '}') {
        j->p++;
        goto done;
    }

    for ( ;; ) {
        json_ws(j);

        if (j->p == j->end || *j->p++ != '"'
            || (key = json_string(j, &klen)) == NULL)
        {
            return "expected a field name in quotes";
        }

        json_ws(j);

        if (j->p == j->end || *j->p++ != ':') {
            return "expected ':'";
        }

        json_ws(j);

        if (j->p < j->end && *j->p == '"') {
            j->p++;
            value = json_string(j, &len);
            if (value == NULL) {
                return "bad string";
            }

        } else {
            start = j->p;

            while (j->p < j->end && *j->p != ',' && *j->p != '}'
                   && *j->p != ' ' && *j->p != '\t')
            {
                j->p++;
            }

            len = j->p - start;

            if (len == 4 && memcmp(start, "null", 4) == 0) {
                value = NULL;

            } else if (len == 0 || *start == '[' || *start == '{') {
                return "expected a string, number, true, false or null";

            } else {
                value = j->out;
                memcpy(j->out, start, len);
                j->out += len;
                *j->out++ = '\0';
            }
        }

        if (strcmp(key, "visitor") == 0) {
            *visitor = value;
            *vlen = len;

        } else if (value && set_field(ev, key, klen, value, len) != 0) {
            return "unknown field";
        }

        json_ws(j);

        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }

        if (j->p < j->end && *j->p == '}') {
            j->p++;
            break;
        }

        return "expected ',' or '}'";
    }

done:

    json_ws(j);

    return j->p == j->end ? NULL : "trailing characters after the object";
}


static int
eval_lines(eval_t *ev)
{
    int          rc;
    char        *line, *buf;
    size_t       cap, nslots, vlen, lineno;
    ssize_t      len;
    json_t       j;
    const char  *err, *visitor;

    line = NULL;
    cap = 0;
    lineno = 0;
    rc = 0;
    nslots = lfr_nslots(ev->rules);

    while ((len = getline(&line, &cap, stdin)) != -1) {
        lineno++;

        buf = malloc(len + 1);
        if (buf == NULL) {
            rc = 1;
            break;
        }

        memset(ev->inputs, 0, nslots * sizeof(lfr_str_t));
        visitor = ev->visitor;
        vlen = ev->vlen;

        j.p = line;
        j.end = line + len;
        j.out = buf;

        err = json_fields(ev, &j, &visitor, &vlen);

        if (err) {
            fprintf(stderr, "icp-rules: stdin:%lu: %s\n",
                    (unsigned long) lineno, err);
            printf("{\"error\":");
            put_json(err);
            printf(",\"line\":%lu}\n", (unsigned long) lineno);
            rc = 1;

        } else {
            evaluate(ev, visitor, vlen);
        }

        free(buf);
    }

    free(line);

    return rc;
}


static int
eval(int argc, char **argv)
{
    int          i, rc, args;
    const char  *eq;
    eval_t       ev;

    memset(&ev, 0, sizeof(eval_t));
    quiet = 1;

    ev.rules = lfr_compile_file(argv[0], diag_print, NULL);
    if (ev.rules == NULL) {
        return 1;
    }

    ev.inputs = calloc(lfr_nslots(ev.rules), sizeof(lfr_str_t));
    if (ev.inputs == NULL) {
        lfr_free(ev.rules);
        return 1;
    }

    rc = 0;
    args = 0;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--json") == 0) {
            ev.json = 1;

        } else if (strcmp(argv[i], "--visitor") == 0 && i + 1 < argc) {
            ev.visitor = argv[++i];
            ev.vlen = strlen(ev.visitor);

        } else if ((eq = strchr(argv[i], '=')) != NULL && eq != argv[i]) {
            args++;

            if (set_field(&ev, argv[i], eq - argv[i], eq + 1, strlen(eq + 1))
                != 0)
            {
                fprintf(stderr, "icp-rules: unknown field \"%.*s\"\n",
                        (int) (eq - argv[i]), argv[i]);
                rc = 2;
                goto done;
            }

        } else {
            rc = usage();
            goto done;
        }
    }

    if (args) {
        evaluate(&ev, ev.visitor, ev.vlen);

    } else {
        ev.json = 1;
        rc = eval_lines(&ev);
    }

done:

    free(ev.inputs);
    lfr_free(ev.rules);

    return rc;
}


int
main(int argc, char **argv)
{
    if (argc == 3 && strcmp(argv[1], "check") == 0) {
        return check(argv[2], NULL);
    }

    if (argc == 5 && strcmp(argv[1], "check") == 0
        && strcmp(argv[2], "--industries") == 0)
    {
        return check(argv[4], argv[3]);
    }

    if (argc >= 3 && strcmp(argv[1], "eval") == 0) {
        return eval(argc - 2, argv + 2);
    }

    return usage();
}
