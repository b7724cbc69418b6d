/*
 * icp-load: loads a CRM or enrichment export (CSV with a header row) into
 * the Redis key schema of docs/redis.md.  Options, the row loop and the
 * summary; the work is in csv.c, schema.c, row.c and writer.c.
 *
 * Exit status: 0 when every row loaded or was reported and skipped, 1 on
 * a fatal error, an error reply from Redis or a bad row under --strict,
 * 2 on a usage error.
 */

#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csv.h"
#include "number.h"
#include "preset.h"
#include "row.h"
#include "schema.h"
#include "sentinel.h"
#include "vocab.h"
#include "writer.h"


typedef struct {
    const char         *redis;
    const char        **sentinels;
    size_t              nsentinels;
    const char         *master;
    int                 db;
    const char         *password;
    const char         *prefix;
    const char         *ttl;
    load_map_t         *maps;
    const load_map_t   *preset;
    const char         *preset_name;
    const char         *source;
    const char         *as_of;
    int                 dry_run;
    int                 strict;
    const char         *file;
} load_opts_t;


static const char  *load_usage =
    "usage: icp-load [--redis ADDR | --sentinel ADDR ... --master NAME]\n"
    "                [--db N] [--password S] [--prefix P]\n"
    "                [--ttl T] [--map COL=FIELD ...]"
    " [--preset hubspot|salesforce|reverse-ip]\n"
    "                [--source NAME] [--as-of YYYY-MM-DD]"
    " [--dry-run] [--strict] FILE.csv\n"
    "\n"
    "Loads a CSV with a header row into Redis hashes: key columns ip,\n"
    "cidr, domain, contact_id; every other column is a field.  FILE may\n"
    "be - for standard input.\n"
    "\n"
    "  --redis ADDR     host:port or unix:/path (default 127.0.0.1:6379)\n"
    "  --sentinel ADDR  ask this Sentinel (host:port; repeatable, tried\n"
    "                   in order) where the primary is, and again after\n"
    "                   a failover\n"
    "  --master NAME    the primary's name in Sentinel\n"
    "  --db N           SELECT N first\n"
    "  --password S     AUTH S first\n"
    "  --prefix P       key prefix (default icp:)\n"
    "  --ttl T          EXPIRE every key: seconds, or with s, m, h, d\n"
    "  --map COL=FIELD  load column COL as FIELD; FIELD empty: drop it\n"
    "  --preset NAME    header mapping of a hubspot, salesforce or\n"
    "                   reverse-ip export\n"
    "  --source NAME    the source field of every record (default: the\n"
    "                   preset, else the file's name)\n"
    "  --as-of DATE     the as_of field: the export's date (default: today)\n"
    "  --dry-run        print the commands, connect to nothing\n"
    "  --strict         stop at the first bad row (exit 1)\n";


/* "90", "90s", "30m", "12h", "7d" -> seconds as decimal text */
static int
load_parse_ttl(const char *text, char *out, size_t size)
{
    char          *end;
    unsigned long  n, unit;

    if (!isdigit((unsigned char) text[0])) {
        return -1;
    }

    n = strtoul(text, &end, 10);

    switch (*end) {
    case '\0':
    case 's':
        unit = 1;
        break;
    case 'm':
        unit = 60;
        break;
    case 'h':
        unit = 3600;
        break;
    case 'd':
        unit = 86400;
        break;
    default:
        return -1;
    }

    if (*end != '\0' && end[1] != '\0') {
        return -1;
    }

    /* Redis takes at most a signed 64-bit count; this keeps far below */
    if (n == 0 || n > 100UL * 365 * 86400 / unit) {
        return -1;
    }

    snprintf(out, size, "%lu", n * unit);

    return 0;
}


/* letters, digits, '.', '_' and '-': a source is logged and compared */
static int
load_source_ok(const char *s)
{
    size_t  i;

    for (i = 0; s[i] != '\0'; i++) {
        if (!isalnum((unsigned char) s[i]) && s[i] != '.' && s[i] != '_'
            && s[i] != '-')
        {
            return 0;
        }
    }

    return i > 0 && i <= 64;
}


/*
 * Without --source: the preset's name, else the file's base name with
 * its extension cut and other characters than load_source_ok() takes
 * made '_'.
 */
static void
load_default_source(const load_opts_t *o, char *out, size_t size)
{
    size_t       i, n;
    const char  *base, *dot;

    if (o->preset_name != NULL || strcmp(o->file, "-") == 0) {
        snprintf(out, size, "%s", o->preset_name ? o->preset_name : "stdin");
        return;
    }

    base = strrchr(o->file, '/');
    base = base ? base + 1 : o->file;
    dot = strrchr(base, '.');
    n = (dot && dot > base) ? (size_t) (dot - base) : strlen(base);

    for (i = 0; i < n && i + 1 < size; i++) {
        out[i] = (isalnum((unsigned char) base[i]) || base[i] == '.'
                  || base[i] == '-') ? base[i] : '_';
    }

    out[i] = '\0';

    if (i == 0) {
        snprintf(out, size, "csv");
    }
}


/* source has 65 bytes, as_of LOAD_DATE_LEN */
static void
load_provenance(load_opts_t *o, char *as_of, char *source)
{
    time_t     now;
    struct tm  tm;

    if (o->source == NULL) {
        load_default_source(o, source, 65);
        o->source = source;
    }

    /* the day the load runs, in UTC as the module's log */
    if (o->as_of == NULL) {
        now = time(NULL);
        gmtime_r(&now, &tm);
        strftime(as_of, LOAD_DATE_LEN, "%Y-%m-%d", &tm);
        o->as_of = as_of;
    }
}


static int
load_parse_args(load_opts_t *o, int argc, char **argv, char *ttl, size_t size,
    char *as_of, char *source)
{
    int    c, nmaps, redis;
    char  *eq, *end;
    long   db;

    static const struct option  options[] = {
        { "redis", required_argument, NULL, 'r' },
        { "sentinel", required_argument, NULL, 'S' },
        { "master", required_argument, NULL, 'M' },
        { "db", required_argument, NULL, 'n' },
        { "password", required_argument, NULL, 'a' },
        { "prefix", required_argument, NULL, 'p' },
        { "ttl", required_argument, NULL, 't' },
        { "map", required_argument, NULL, 'm' },
        { "preset", required_argument, NULL, 'P' },
        { "source", required_argument, NULL, 'o' },
        { "as-of", required_argument, NULL, 'A' },
        { "dry-run", no_argument, NULL, 'd' },
        { "strict", no_argument, NULL, 's' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    memset(o, 0, sizeof(load_opts_t));
    o->redis = "127.0.0.1:6379";
    o->db = -1;
    o->prefix = "icp:";

    o->maps = calloc(argc + 1, sizeof(load_map_t));
    o->sentinels = calloc(argc, sizeof(const char *));
    if (o->maps == NULL || o->sentinels == NULL) {
        fprintf(stderr, "icp-load: out of memory\n");
        return -1;
    }

    nmaps = 0;
    redis = 0;

    while ((c = getopt_long(argc, argv, "h", options, NULL)) != -1) {
        switch (c) {
        case 'r':
            o->redis = optarg;
            redis = 1;
            break;

        case 'S':
            o->sentinels[o->nsentinels++] = optarg;
            break;

        case 'M':
            o->master = optarg;
            break;

        case 'n':
            db = strtol(optarg, &end, 10);
            if (!isdigit((unsigned char) optarg[0]) || *end != '\0'
                || db > 65535)
            {
                fprintf(stderr, "icp-load: --db: not a database number: "
                        "\"%s\"\n", optarg);
                return -1;
            }
            o->db = db;
            break;

        case 'a':
            o->password = optarg;
            break;

        case 'p':
            o->prefix = optarg;
            break;

        case 't':
            if (load_parse_ttl(optarg, ttl, size) != 0) {
                fprintf(stderr, "icp-load: --ttl: not a time to live: "
                        "\"%s\" (seconds, or a number with s, m, h, d)\n",
                        optarg);
                return -1;
            }
            o->ttl = ttl;
            break;

        case 'm':
            eq = strrchr(optarg, '=');
            if (eq == NULL || eq == optarg) {
                fprintf(stderr, "icp-load: --map: expected COL=FIELD, "
                        "got \"%s\"\n", optarg);
                return -1;
            }
            *eq = '\0';
            o->maps[nmaps].column = optarg;
            o->maps[nmaps++].field = eq + 1;
            break;

        case 'P':
            o->preset = load_preset(optarg);
            if (o->preset == NULL) {
                fprintf(stderr, "icp-load: --preset: unknown preset \"%s\" "
                        "(hubspot, salesforce, reverse-ip)\n", optarg);
                return -1;
            }
            o->preset_name = optarg;
            break;

        case 'o':
            if (!load_source_ok(optarg)) {
                fprintf(stderr, "icp-load: --source: \"%s\": expected 1 to "
                        "64 letters, digits, '.', '_' or '-'\n", optarg);
                return -1;
            }
            o->source = optarg;
            break;

        case 'A':
            if (strlen(optarg) != 10 || optarg[4] != '-'
                || load_date(optarg, 10, as_of) != NULL)
            {
                fprintf(stderr, "icp-load: --as-of: \"%s\": expected a date "
                        "YYYY-MM-DD\n", optarg);
                return -1;
            }
            o->as_of = as_of;
            break;

        case 'd':
            o->dry_run = 1;
            break;

        case 's':
            o->strict = 1;
            break;

        case 'h':
            fputs(load_usage, stdout);
            exit(0);

        default:
            fputs(load_usage, stderr);
            return -1;
        }
    }

    if (optind + 1 != argc) {
        fputs(load_usage, stderr);
        return -1;
    }

    if ((o->nsentinels > 0) != (o->master != NULL)
        || (o->nsentinels > 0 && redis))
    {
        fprintf(stderr, "icp-load: --sentinel and --master go together, "
                "instead of --redis\n");
        return -1;
    }

    o->file = argv[optind];
    load_provenance(o, as_of, source);

    return 0;
}


static double
load_now(void)
{
    struct timespec  ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);

    return ts.tv_sec + ts.tv_nsec / 1e9;
}


/* "sent" when the connection failed: not every write was confirmed */
static void
load_summary(const load_opts_t *o, const load_rows_t *rows,
    unsigned long read, unsigned long skipped, unsigned long errors,
    double secs, int failed)
{
    fprintf(stderr, "icp-load: %s: %lu rows read, %lu skipped; keys %s: "
            "%lu ip, %lu net, %lu domain, %lu contact; %lu redis errors; "
            "%.2f s, %.0f rows/s\n",
            o->file, read, skipped,
            o->dry_run ? "to write" : failed ? "sent" : "written",
            rows->keys[LOAD_KEY_IP], rows->keys[LOAD_KEY_NET],
            rows->keys[LOAD_KEY_DOMAIN], rows->keys[LOAD_KEY_CONTACT],
            errors, secs, secs > 0 ? read / secs : 0.0);
}


/*
 * Reads the data rows.  Returns 0 at the end of the input, 1 when it
 * stopped at a bad row under --strict, -1 on a fatal error (reported).
 */
static int
load_rows(const load_opts_t *o, csv_t *csv, load_rows_t *rows,
    unsigned long *read, unsigned long *skipped)
{
    size_t          n;
    csv_rc_t        rc;
    csv_field_t    *fields;
    load_row_rc_t   row;

    for ( ;; ) {
        rc = csv_next(csv, &fields, &n);

        if (rc == CSV_EOF) {
            return 0;
        }

        if (rc == CSV_FAIL) {
            fprintf(stderr, "icp-load: %s:%lu: %s\n", o->file,
                    csv_line(csv), csv_error(csv));
            return -1;
        }

        row = (rc == CSV_BAD) ? LOAD_ROW_BAD
                              : load_row(rows, csv_line(csv), fields, n);

        if (row == LOAD_ROW_BLANK) {
            continue;
        }

        (*read)++;

        if (row == LOAD_ROW_FAIL) {
            fprintf(stderr, "icp-load: %s\n", rows->error);
            return -1;
        }

        if (row == LOAD_ROW_BAD) {
            fprintf(stderr, "%s:%lu: %s\n", o->file, csv_line(csv),
                    rc == CSV_BAD ? csv_error(csv) : rows->error);
            (*skipped)++;

            if (o->strict) {
                fprintf(stderr, "icp-load: stopped at the first bad row "
                        "(--strict); the rows before it are loaded\n");
                return 1;
            }
        }
    }
}


int
main(int argc, char **argv)
{
    int             rc;
    char            ttl[32], err[256];
    char            as_of[LOAD_DATE_LEN], source[65];
    FILE           *fp;
    size_t          n;
    csv_t          *csv;
    double          start;
    csv_rc_t        hrc;
    csv_field_t    *header;
    load_conf_t     conf;
    load_opts_t     o;
    load_rows_t     rows;
    load_vocab_t    vocab;
    unsigned long   read, skipped;
    load_schema_t   schema;
    load_writer_t  *w;

    if (load_parse_args(&o, argc, argv, ttl, sizeof(ttl), as_of, source)
        != 0)
    {
        free(o.maps);
        free(o.sentinels);
        return 2;
    }

    rc = 1;
    csv = NULL;
    w = NULL;
    memset(&schema, 0, sizeof(load_schema_t));
    memset(&rows, 0, sizeof(load_rows_t));

    if (load_vocab_init(&vocab, err, sizeof(err)) != 0) {
        fprintf(stderr, "icp-load: %s\n", err);
        free(o.maps);
        return 1;
    }

    fp = strcmp(o.file, "-") == 0 ? stdin : fopen(o.file, "r");
    if (fp == NULL) {
        perror(o.file);
        goto done;
    }

    csv = csv_open(fp);
    if (csv == NULL) {
        fprintf(stderr, "icp-load: out of memory\n");
        goto done;
    }

    hrc = csv_next(csv, &header, &n);

    if (hrc != CSV_ROW) {
        fprintf(stderr, "icp-load: %s:%lu: %s\n", o.file, csv_line(csv),
                hrc == CSV_EOF ? "no header row" : csv_error(csv));
        goto done;
    }

    if (load_schema_init(&schema, header, n, o.maps, o.preset, err,
                         sizeof(err))
        != 0)
    {
        fprintf(stderr, "icp-load: %s:1: %s\n", o.file, err);
        goto done;
    }

    w = o.dry_run ? load_writer_print(stdout)
        : o.nsentinels > 0 ? load_sentinel_writer(o.sentinels, o.nsentinels,
                                                  o.master, o.db, o.password,
                                                  o.file, err, sizeof(err))
        : load_writer_redis(o.redis, o.db, o.password, o.file, err,
                            sizeof(err));
    if (w == NULL) {
        fprintf(stderr, "icp-load: %s\n", o.dry_run ? "out of memory" : err);
        goto done;
    }

    conf.prefix = o.prefix;
    conf.ttl = o.ttl;
    conf.source = o.source;
    conf.as_of = o.as_of;
    conf.file = o.file;
    conf.warn = stderr;
    conf.vocab = &vocab;

    if (load_rows_init(&rows, &schema, w, &conf) != 0) {
        fprintf(stderr, "icp-load: out of memory\n");
        goto done;
    }

    read = 0;
    skipped = 0;
    start = load_now();

    rc = load_rows(&o, csv, &rows, &read, &skipped);

    /* under --strict too: what was sent before the bad row is kept */
    if (rc >= 0 && load_writer_flush(w) != 0) {
        fprintf(stderr, "icp-load: %s\n", o.dry_run ? "write error"
                                                    : load_writer_error(w));
        rc = -1;
    }

    load_summary(&o, &rows, read, skipped, load_writer_errors(w),
                 load_now() - start, rc < 0);
    load_rows_report(&rows, stderr);

    rc = (rc == 0 && load_writer_errors(w) == 0) ? 0 : 1;

done:

    load_rows_free(&rows);
    load_writer_free(w);
    load_schema_free(&schema);
    load_vocab_free(&vocab);
    csv_close(csv);

    if (fp != NULL && fp != stdin) {
        fclose(fp);
    }

    free(o.maps);
    free(o.sentinels);

    return rc;
}
