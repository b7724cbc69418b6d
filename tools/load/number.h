/*
 * icp-load numbers: the cells of number columns (employees, revenue,
 * confidence), industry codes and dates, parsed from the forms exports
 * write them in into the one form the rules and the module read.
 *
 * Each returns NULL on success or a constant message saying why the cell
 * is not written; the cell has been trimmed.
 */

#ifndef ICP_LOAD_NUMBER_H
#define ICP_LOAD_NUMBER_H

#include <stddef.h>
#include <stdint.h>


/*
 * The largest amount written: 15 digits, all the rules' numbers hold
 * (and more than any company's staff or revenue).
 */
#define LOAD_AMOUNT_MAX  999999999999999ULL

/* "999999999999999" and a NUL */
#define LOAD_AMOUNT_LEN  16

/* "YYYY-MM-DD" and a NUL */
#define LOAD_DATE_LEN    11


/*
 * An amount: "18,000", "USD 9,700,000,000.00", "$11.4M", "1.2B", "€ 3,5"
 * is not one.  A range ("51-200", "$1M - $5M", "10,001+") gives its lower
 * bound and *range = 1.  The fraction is cut off.
 */
const char *load_amount(const char *s, size_t len, uint64_t *out,
    int *range);

/* A SIC code: 1 to 4 digits (0742 may have lost its 0 to a spreadsheet). */
const char *load_sic(const char *s, size_t len, unsigned *code);

/* A NAICS code: 2 to 6 digits, not starting with 0. */
const char *load_naics(const char *s, size_t len, unsigned *code,
    unsigned *digits);

/* A confidence: 0 to 100, "87%", or a fraction written 0.87 or 1.0. */
const char *load_confidence(const char *s, size_t len, unsigned *out);

/*
 * A date, written to out as YYYY-MM-DD: "2026-11-20", with a time after
 * it ("2026-11-20 09:12", "2026-11-20T09:12:00Z"), or "11/20/2026"
 * (month first, as US CRMs export).
 */
const char *load_date(const char *s, size_t len, char *out);

/* n as decimal text; out has LOAD_AMOUNT_LEN bytes at least */
size_t load_decimal(uint64_t n, char *out);

#endif /* ICP_LOAD_NUMBER_H */
