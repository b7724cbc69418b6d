/*
 * icp-load numbers: amounts, codes, confidences and dates.
 *
 * Whatever a cell holds, the result is a number the rules read as the
 * export meant it, or nothing: a negative amount, one too large for the
 * rules, digits of other scripts (which a rule would never compare as
 * the export meant) and any text around the number are refused, never
 * guessed at.  A comma or a blank separates thousands only before
 * exactly three digits, so the European "1,5" is refused, not read as 15.
 */

#include <string.h>

#include "number.h"


static const char  *load_nan = "not a number";


static int
load_digit(const char *p, const char *end)
{
    return p < end && *p >= '0' && *p <= '9';
}


static int
load_letter(char c)
{
    return (c | 0x20) >= 'a' && (c | 0x20) <= 'z';
}


/* the length of a currency sign at p: $ £ € ¥ ₹, or 0 */
static size_t
load_currency_sign(const char *p, const char *end)
{
    const unsigned char  *u;

    u = (const unsigned char *) p;

    if (p < end && *p == '$') {
        return 1;
    }

    if (end - p >= 2 && u[0] == 0xc2 && (u[1] == 0xa3 || u[1] == 0xa5)) {
        return 2;
    }

    if (end - p >= 3 && u[0] == 0xe2 && u[1] == 0x82
        && (u[2] == 0xac || u[2] == 0xb9))
    {
        return 3;
    }

    return 0;
}


/* the length of a thousands separator at p: , ' blank, no-break blanks */
static size_t
load_separator(const char *p, const char *end)
{
    const unsigned char  *u;

    u = (const unsigned char *) p;

    if (p < end && (*p == ',' || *p == '\'' || *p == ' ')) {
        return 1;
    }

    if (end - p >= 2 && u[0] == 0xc2 && u[1] == 0xa0) {
        return 2;
    }

    if (end - p >= 3 && u[0] == 0xe2 && u[1] == 0x80 && u[2] == 0xaf) {
        return 3;
    }

    return 0;
}


static const char *
load_blanks(const char *p, const char *end)
{
    while (p < end && *p == ' ') {
        p++;
    }

    return p;
}


/* a word at p, any case, not followed by a letter */
static int
load_word(const char *p, const char *end, const char *w, size_t n)
{
    size_t  i;

    if ((size_t) (end - p) < n || (p + n < end && load_letter(p[n]))) {
        return 0;
    }

    for (i = 0; i < n; i++) {
        if ((p[i] | 0x20) != w[i]) {
            return 0;
        }
    }

    return 1;
}


static const struct {
    const char  *word;
    size_t       len;
    uint64_t     mult;
} load_suffixes[] = {
    { "thousand", 8, 1000 }, { "million", 7, 1000000 },
    { "billion", 7, 1000000000 }, { "bn", 2, 1000000000 },
    { "mm", 2, 1000000 }, { "k", 1, 1000 }, { "m", 1, 1000000 },
    { "b", 1, 1000000000 }, { NULL, 0, 0 }
};


/* An amount as written: whole.frac (frac of scale) times mult. */
typedef struct {
    uint64_t   whole;
    uint64_t   frac;
    uint64_t   scale;
    uint64_t   mult;        /* the suffix's, 0 without one */
} load_amt_t;


/* One amount from *pp: currency, digits, fraction, suffix, currency code. */
static const char *
load_amount_part(const char **pp, const char *end, load_amt_t *a)
{
    size_t       n, i;
    const char  *p;

    p = *pp;

    if (p < end && (*p == '-' || *p == '(')) {
        return "negative";
    }

    /* "USD 25,000", "US$ 5", "CA$3" */
    for (i = 0; i < 3 && p + i < end && load_letter(p[i]); i++) {
        /* void */
    }

    if (i > 0 && (load_digit(p + i, end) || load_currency_sign(p + i, end)
                  || (p + i < end && p[i] == ' ')))
    {
        p = load_blanks(p + i, end);
    }

    p = load_blanks(p + load_currency_sign(p, end), end);

    if (p < end && *p == '-') {
        return "negative";
    }

    if (!load_digit(p, end)) {
        return load_nan;
    }

    a->whole = 0;

    for ( ;; ) {
        if (load_digit(p, end)) {
            if (a->whole > (LOAD_AMOUNT_MAX - (*p - '0')) / 10) {
                return "too large";
            }

            a->whole = a->whole * 10 + (*p++ - '0');
            continue;
        }

        n = load_separator(p, end);

        if (n > 0 && load_digit(p + n, end) && load_digit(p + n + 1, end)
            && load_digit(p + n + 2, end) && !load_digit(p + n + 3, end))
        {
            p += n;
            continue;
        }

        break;
    }

    a->frac = 0;
    a->scale = 1;

    if (p < end && *p == '.' && load_digit(p + 1, end)) {
        for (p++; load_digit(p, end); p++) {
            /* nine digits are more than any suffix needs */
            if (a->scale < 1000000000) {
                a->frac = a->frac * 10 + (*p - '0');
                a->scale *= 10;
            }
        }
    }

    p = load_blanks(p, end);
    a->mult = 0;

    for (i = 0; load_suffixes[i].word != NULL; i++) {
        if (load_word(p, end, load_suffixes[i].word, load_suffixes[i].len)) {
            a->mult = load_suffixes[i].mult;
            p = load_blanks(p + load_suffixes[i].len, end);
            break;
        }
    }

    /* "9,700,000 USD" */
    if (end - p >= 3 && load_letter(p[0]) && load_letter(p[1])
        && load_letter(p[2]) && (end - p == 3 || !load_letter(p[3])))
    {
        p = load_blanks(p + 3, end);
    }

    *pp = p;

    return NULL;
}


static const char *
load_amount_value(const load_amt_t *a, uint64_t mult, uint64_t *out)
{
    /* frac < scale <= 10^9 and mult <= 10^9: frac * mult fits */
    if (a->whole > LOAD_AMOUNT_MAX / mult) {
        return "too large";
    }

    *out = a->whole * mult + a->frac * mult / a->scale;

    return *out > LOAD_AMOUNT_MAX ? "too large" : NULL;
}


/* the length of a range's separator at p: - en dash, em dash, "to" */
static size_t
load_range_separator(const char *p, const char *end)
{
    const unsigned char  *u;

    u = (const unsigned char *) p;

    if (p < end && *p == '-') {
        return 1;
    }

    if (end - p >= 3 && u[0] == 0xe2 && u[1] == 0x80
        && (u[2] == 0x93 || u[2] == 0x94))
    {
        return 3;
    }

    return load_word(p, end, "to", 2) ? 2 : 0;
}


const char *
load_amount(const char *s, size_t len, uint64_t *out, int *range)
{
    size_t       n;
    uint64_t     hi;
    load_amt_t   a, b;
    const char  *p, *end, *err;

    p = s;
    end = s + len;
    *range = 0;

    err = load_amount_part(&p, end, &a);
    if (err != NULL) {
        return err;
    }

    if (p == end) {
        return load_amount_value(&a, a.mult ? a.mult : 1, out);
    }

    /* "10,001+" */
    if (*p == '+' && load_blanks(p + 1, end) == end) {
        *range = 1;
        return load_amount_value(&a, a.mult ? a.mult : 1, out);
    }

    n = load_range_separator(p, end);
    if (n == 0) {
        return load_nan;
    }

    p = load_blanks(p + n, end);

    err = load_amount_part(&p, end, &b);
    if (err != NULL) {
        return err;
    }

    if (p != end) {
        return load_nan;
    }

    /* "$1-5M": the bound without a suffix takes the other's */
    if (a.mult == 0) {
        a.mult = b.mult ? b.mult : 1;
    }

    err = load_amount_value(&a, a.mult, out);
    if (err == NULL) {
        err = load_amount_value(&b, b.mult ? b.mult : 1, &hi);
    }

    if (err != NULL) {
        return err;
    }

    if (hi < *out) {
        return "a range whose upper bound is below its lower one";
    }

    *range = 1;

    return NULL;
}


/* all of s digits, at most max of them, as a number */
static int
load_digits(const char *s, size_t len, size_t max, unsigned *out)
{
    size_t  i;

    if (len == 0 || len > max) {
        return -1;
    }

    *out = 0;

    for (i = 0; i < len; i++) {
        if (s[i] < '0' || s[i] > '9') {
            return -1;
        }
        *out = *out * 10 + (s[i] - '0');
    }

    return 0;
}


const char *
load_sic(const char *s, size_t len, unsigned *code)
{
    /* the smallest, 0100, is a major group of division A */
    if (load_digits(s, len, 4, code) != 0 || *code < 100) {
        return "not a SIC code (4 digits)";
    }

    return NULL;
}


const char *
load_naics(const char *s, size_t len, unsigned *code, unsigned *digits)
{
    if (len < 2 || s[0] == '0' || load_digits(s, len, 6, code) != 0) {
        return "not a NAICS code (2 to 6 digits)";
    }

    *digits = len;

    return NULL;
}


const char *
load_confidence(const char *s, size_t len, unsigned *out)
{
    size_t    i;
    unsigned  whole, frac, scale, pct;

    pct = len > 0 && s[len - 1] == '%';
    len -= pct;

    for (i = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++) {
        /* void */
    }

    if (i == 0 || i > 3 || load_digits(s, i, 3, &whole) != 0) {
        return "not a confidence (0 to 100, or a fraction 0.0 to 1.0)";
    }

    frac = 0;
    scale = 1;

    if (i < len) {
        if (s[i] != '.' || i + 1 == len) {
            return "not a confidence (0 to 100, or a fraction 0.0 to 1.0)";
        }

        /* four places decide the rounding to a whole percent */
        for (i++; i < len; i++) {
            if (s[i] < '0' || s[i] > '9') {
                return "not a confidence (0 to 100, or a fraction 0.0 to "
                       "1.0)";
            }

            if (scale < 10000) {
                frac = frac * 10 + (s[i] - '0');
                scale *= 10;
            }
        }

        /* 0.87 and 1.0 are fractions; 87.5 and 87.5% are percents */
        if (!pct && whole <= 1) {
            frac += whole * scale;

            if (frac > scale) {
                return "not a confidence (0 to 100, or a fraction 0.0 to "
                       "1.0)";
            }

            *out = (frac * 100 + scale / 2) / scale;
            return NULL;
        }
    }

    *out = whole + (frac * 2 >= scale && scale > 1);

    if (*out > 100) {
        return "not a confidence (0 to 100, or a fraction 0.0 to 1.0)";
    }

    return NULL;
}


static int
load_leap(unsigned y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}


const char *
load_date(const char *s, size_t len, char *out)
{
    unsigned     y, m, d, n;
    const char  *slash1, *slash2;

    static const unsigned  days[] = {
        31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
    };

    if (len >= 10 && s[4] == '-' && s[7] == '-'
        && (len == 10 || s[10] == ' ' || s[10] == 'T')
        && load_digits(s, 4, 4, &y) == 0 && load_digits(s + 5, 2, 2, &m) == 0
        && load_digits(s + 8, 2, 2, &d) == 0)
    {
        goto check;
    }

    slash1 = memchr(s, '/', len);
    slash2 = slash1 ? memchr(slash1 + 1, '/', s + len - slash1 - 1) : NULL;

    for (n = 0; slash2 && slash2 + 1 + n < s + len
                && slash2[1 + n] >= '0' && slash2[1 + n] <= '9'; n++)
    {
        /* void */
    }

    if (slash2 != NULL && n == 4
        && (slash2 + 5 == s + len || slash2[5] == ' ')
        && load_digits(s, slash1 - s, 2, &m) == 0
        && load_digits(slash1 + 1, slash2 - slash1 - 1, 2, &d) == 0
        && load_digits(slash2 + 1, 4, 4, &y) == 0)
    {
        goto check;
    }

    return "not a date (YYYY-MM-DD or MM/DD/YYYY)";

check:

    if (y < 1900 || m < 1 || m > 12 || d < 1
        || d > days[m - 1] + (m == 2 && load_leap(y)))
    {
        return "not a date (YYYY-MM-DD or MM/DD/YYYY)";
    }

    out[0] = '0' + y / 1000;
    out[1] = '0' + y / 100 % 10;
    out[2] = '0' + y / 10 % 10;
    out[3] = '0' + y % 10;
    out[4] = '-';
    out[5] = '0' + m / 10;
    out[6] = '0' + m % 10;
    out[7] = '-';
    out[8] = '0' + d / 10;
    out[9] = '0' + d % 10;
    out[10] = '\0';

    return NULL;
}


size_t
load_decimal(uint64_t n, char *out)
{
    char    buf[LOAD_AMOUNT_LEN + 4];
    size_t  i, len;

    i = sizeof(buf);

    do {
        buf[--i] = '0' + n % 10;
        n /= 10;
    } while (n > 0);

    len = sizeof(buf) - i;
    memcpy(out, buf + i, len);
    out[len] = '\0';

    return len;
}
