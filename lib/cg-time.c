#include "cg-time.h"

#include <ctype.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#define USEC UINT64_C(1000000)

/* Digits only, at most 12 of them (no sign, no spaces, no overflow). */
static int digits(const char *s, size_t len, uint64_t *ret) {
        uint64_t v = 0;
        if (len == 0 || len > 12)
                return -EINVAL;
        for (size_t i = 0; i < len; i++) {
                if (!isdigit((unsigned char)s[i]))
                        return -EINVAL;
                v = v * 10 + (uint64_t)(s[i] - '0');
        }
        *ret = v;
        return 0;
}

int cg_duration_parse(const char *s, uint64_t *ret_usec) {
        static const struct {
                char unit;
                uint64_t usec;
        } units[] = {{'s', USEC}, {'m', 60 * USEC}, {'h', 3600 * USEC}, {'d', 86400 * USEC}, {'w', 7 * 86400 * USEC}};
        size_t len = strlen(s);
        uint64_t n, mul = USEC;
        if (len > 0 && !isdigit((unsigned char)s[len - 1])) {
                bool found = false;
                for (size_t i = 0; i < sizeof units / sizeof *units; i++)
                        if (s[len - 1] == units[i].unit) {
                                mul = units[i].usec;
                                found = true;
                        }
                if (!found)
                        return -EINVAL;
                len--;
        }
        int r = digits(s, len, &n);
        if (r < 0)
                return r;
        if (n == 0 || n > CG_DURATION_MAX_USEC / mul)
                return -ERANGE;
        *ret_usec = n * mul;
        return 0;
}

/* Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar (Howard Hinnant's
 * days_from_civil), so no timegm() and no time zone state. */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d) {
        y -= m <= 2;
        int64_t era = (y >= 0 ? y : y - 399) / 400;
        unsigned yoe = (unsigned)(y - era * 400);
        unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146097 + (int64_t)doe - 719468;
}

static bool field(const char *s, size_t at, size_t len, unsigned lo, unsigned hi, unsigned *ret) {
        uint64_t v;
        if (digits(s + at, len, &v) < 0 || v < lo || v > hi)
                return false;
        *ret = (unsigned)v;
        return true;
}

static int rfc3339(const char *s, uint64_t *ret_usec) {
        unsigned y, mo, d, h = 0, mi = 0, sec = 0;
        uint64_t frac_usec = 0;
        int64_t offset_sec = 0;
        size_t len = strlen(s);
        if (len < 10 || s[4] != '-' || s[7] != '-' || !field(s, 0, 4, 1970, 9999, &y) || !field(s, 5, 2, 1, 12, &mo) ||
            !field(s, 8, 2, 1, 31, &d))
                return -EINVAL;
        static const unsigned mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
        bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
        if (d > mdays[mo - 1] || (mo == 2 && d == 29 && !leap))
                return -EINVAL;
        const char *p = s + 10;
        if (*p) {
                if ((*p != 'T' && *p != 't' && *p != ' ') || strlen(p) < 9 || p[3] != ':' || p[6] != ':' ||
                    !field(p, 1, 2, 0, 23, &h) || !field(p, 4, 2, 0, 59, &mi) || !field(p, 7, 2, 0, 60, &sec))
                        return -EINVAL;
                p += 9;
                if (*p == '.') {
                        uint64_t scale = 100000;
                        size_t n = 0;
                        for (p++; isdigit((unsigned char)*p); p++, n++)
                                if (scale) {
                                        frac_usec += (uint64_t)(*p - '0') * scale;
                                        scale /= 10;
                                }
                        if (n == 0 || n > 9)
                                return -EINVAL;
                }
                unsigned oh, om;
                if ((*p == 'Z' || *p == 'z') && p[1] == '\0')
                        offset_sec = 0;
                else if ((*p == '+' || *p == '-') && strlen(p) == 6 && p[3] == ':' && field(p, 1, 2, 0, 23, &oh) &&
                         field(p, 4, 2, 0, 59, &om))
                        offset_sec = (*p == '-' ? -1 : 1) * (int64_t)(oh * 3600 + om * 60);
                else
                        return -EINVAL;
        }
        int64_t t = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + (sec > 59 ? 59 : sec) - offset_sec;
        if (t < 0)
                return -ERANGE;
        *ret_usec = (uint64_t)t * USEC + frac_usec;
        return 0;
}

int cg_time_parse(const char *s, uint64_t now_usec, uint64_t *ret_usec) {
        uint64_t v;
        if (strcmp(s, "now") == 0) {
                *ret_usec = now_usec;
                return 0;
        }
        if (s[0] == '-') {
                int r = cg_duration_parse(s + 1, &v);
                if (r < 0)
                        return r;
                if (v > now_usec)
                        return -ERANGE;
                *ret_usec = now_usec - v;
                return 0;
        }
        if (strchr(s, '-'))
                return rfc3339(s, ret_usec);
        int r = digits(s, strlen(s), &v);
        if (r < 0)
                return r;
        if (v > UINT64_C(253402300799)) /* 9999-12-31T23:59:59Z */
                return -ERANGE;
        *ret_usec = v * USEC;
        return 0;
}

void cg_time_format(uint64_t usec, char buf[static 21]) {
        time_t t = (time_t)(usec / USEC);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(buf, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}
