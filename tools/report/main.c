/*
 * icp-report: A/B analysis of the module's JSON log.
 *
 *   icp-report [--format text|json|html] [--experiment NAME] [--goal GOAL]
 *              [--since TS] [--window DURATION] [--all-phases]
 *              [--fixed-horizon] LOG...
 *   icp-report [options as above] --clickhouse URL
 *   icp-report --flatten LOG...
 *
 * LOG is a file, plain or gzip (zlib reads both), or "-" for stdin.
 */

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "report/clickhouse.h"
#include "report/flatten.h"
#include "report/report.h"


#define RPT_GZ_BUFFER (256 * 1024)

/*
 * The line buffer: RPT_LINE_MAX bytes, the newline and the NUL.  A record
 * of the module is a few hundred bytes; a longer line is skipped as it is
 * read, never kept whole, and counted apart.
 */
#define RPT_BUF_SIZE  (RPT_LINE_MAX + 2)


static void
rpt_usage(FILE *out)
{
    fprintf(out,
        "usage: icp-report [--format text|json|html] [--experiment NAME]\n"
        "                  [--goal GOAL] [--since TS] [--window DURATION]\n"
        "                  [--all-phases] [--fixed-horizon]\n"
        "                  LOG... | --clickhouse URL\n"
        "       icp-report --flatten LOG...\n"
        "LOG: the module's JSON log, plain or .gz; \"-\" reads stdin.\n"
        "--since keeps records from the instant TS on, ISO 8601 from the\n"
        "year on: --since 2026-11, --since 2026-11-23T10:00+01:00.\n"
        "--window counts a conversion only if it comes at most DURATION\n"
        "after the visitor's first exposure: 30d (default), 12h, 90m.\n"
        "--all-phases pools the phases of each experiment (a warning).\n"
        "--fixed-horizon gives the z-test's p-value and interval, valid\n"
        "for one look at a sample fixed in advance, instead of the\n"
        "sequential (always-valid, mSPRT) ones.\n"
        "--clickhouse reports on the table of clickhouse.sql at URL,\n"
        "http://127.0.0.1:8123/?database=icp, instead of LOG files.\n"
        "--flatten writes LOG as rows of that table, JSONEachRow.\n");
}


/* Returns -1 when the file cannot be opened, -2 when memory runs out. */
static int
rpt_read(rpt_t *r, rpt_flat_t *flat, const char *path, char *buf)
{
    gzFile       f;
    size_t       len;
    int          fd, errnum, rc;
    const char  *msg;

    errno = 0;

    if (strcmp(path, "-") == 0) {
        /* a dup, so that gzclose leaves stdin open for a second "-" */
        fd = dup(STDIN_FILENO);
        f = (fd == -1) ? NULL : gzdopen(fd, "rb");

        if (f == NULL && fd != -1) {
            close(fd);
        }

    } else {
        f = gzopen(path, "rb");
    }

    if (f == NULL) {
        fprintf(stderr, "icp-report: %s: %s\n", path,
                errno ? strerror(errno) : "cannot open");
        return -1;
    }

    gzbuffer(f, RPT_GZ_BUFFER);
    rc = 0;

    while (rc == 0 && gzgets(f, buf, RPT_BUF_SIZE) != NULL) {
        len = strlen(buf);

        if (len > 0 && buf[len - 1] == '\n') {
            buf[--len] = '\0';

        } else if (len > RPT_LINE_MAX) {
            /* an overlong line: skip the rest of it, count it apart */
            while (gzgets(f, buf, RPT_BUF_SIZE) != NULL
                   && strchr(buf, '\n') == NULL)
            {
                /* draining */
            }

            rpt_add_overlong(r);
            continue;
        }

        if ((flat ? rpt_flatten_line(flat, buf, len)
                  : rpt_add_line(r, buf, len))
            != 0)
        {
            rc = -2;
        }
    }

    /* a log cut short (a .gz still being written) is read up to the cut */
    msg = gzerror(f, &errnum);

    if (errnum != Z_OK && errnum != Z_BUF_ERROR) {
        fprintf(stderr, "icp-report: %s: %s\n", path,
                errnum == Z_ERRNO ? strerror(errno) : msg);
    }

    gzclose(f);

    return rc;
}


int
main(int argc, char **argv)
{
    int                  opt, rc;
    int64_t              since;
    const char          *format, *clickhouse;
    char                *buf;
    rpt_flat_t           flat, *flatp;
    rpt_filter_t         filter;
    rpt_t               *r;
    const rpt_result_t  *res;
    static const struct option  options[] = {
        { "format", required_argument, NULL, 'f' },
        { "experiment", required_argument, NULL, 'e' },
        { "goal", required_argument, NULL, 'g' },
        { "since", required_argument, NULL, 's' },
        { "window", required_argument, NULL, 'w' },
        { "all-phases", no_argument, NULL, 'a' },
        { "fixed-horizon", no_argument, NULL, 'H' },
        { "clickhouse", required_argument, NULL, 'c' },
        { "flatten", no_argument, NULL, 'F' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };

    format = "text";
    clickhouse = NULL;
    flatp = NULL;
    memset(&flat, 0, sizeof(flat));
    memset(&filter, 0, sizeof(filter));

    while ((opt = getopt_long(argc, argv, "f:e:g:s:w:ah", options, NULL))
           != -1)
    {
        switch (opt) {
        case 'f':
            format = optarg;
            break;
        case 'e':
            filter.experiment = optarg;
            break;
        case 'g':
            filter.goal = optarg;
            break;
        case 's':
            if (rpt_instant(optarg, strlen(optarg), &since) != 0) {
                fprintf(stderr, "icp-report: --since %s: not an ISO 8601 "
                        "date and time\n", optarg);
                return 2;
            }

            filter.since = optarg;
            break;
        case 'w':
            if (rpt_duration(optarg, &filter.window) != 0) {
                fprintf(stderr, "icp-report: --window %s: not a duration "
                        "such as 30d, 12h, 90m\n", optarg);
                return 2;
            }

            break;
        case 'a':
            filter.all_phases = 1;
            break;
        case 'H':
            filter.fixed_horizon = 1;
            break;
        case 'c':
            clickhouse = optarg;
            break;
        case 'F':
            flat.out = stdout;
            flatp = &flat;
            break;
        case 'h':
            rpt_usage(stdout);
            return 0;
        default:
            rpt_usage(stderr);
            return 2;
        }
    }

    if ((optind == argc) != (clickhouse != NULL) || (clickhouse && flatp)
        || (strcmp(format, "text") != 0 && strcmp(format, "json") != 0
            && strcmp(format, "html") != 0))
    {
        rpt_usage(stderr);
        return 2;
    }

    r = rpt_new(&filter);
    buf = malloc(RPT_BUF_SIZE);

    if (r == NULL || buf == NULL) {
        fprintf(stderr, "icp-report: out of memory\n");
        return 1;
    }

    rc = clickhouse ? rpt_clickhouse(r, clickhouse) : 0;

    if (rc != 0) {
        if (rc == -2) {
            fprintf(stderr, "icp-report: out of memory\n");
        }

        return 1;
    }

    for ( ; optind < argc; optind++) {
        rc = rpt_read(r, flatp, argv[optind], buf);

        if (rc != 0) {
            if (rc == -2) {
                fprintf(stderr, "icp-report: out of memory\n");
            }

            return rc == -2 ? 1 : 2;
        }
    }

    free(buf);
    res = flatp ? NULL : rpt_finish(r);

    if (res == NULL && flatp == NULL) {
        fprintf(stderr, "icp-report: out of memory\n");
        return 1;
    }

    if (flatp) {
        rpt_flatten_free(flatp);

    } else if (strcmp(format, "json") == 0) {
        rpt_write_json(stdout, res);

    } else if (strcmp(format, "html") == 0) {
        rpt_write_html(stdout, res);

    } else {
        rpt_write_text(stdout, res);
    }

    rpt_free(r);

    if (fflush(stdout) != 0 || ferror(stdout)) {
        fprintf(stderr, "icp-report: writing the report: %s\n",
                strerror(errno));
        return 1;
    }

    return 0;
}
