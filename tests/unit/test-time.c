/* Times and durations as users write them: table-driven, every refusal with its errno. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <cmocka.h>

#include "cg-time.h"

#define SEC UINT64_C(1000000)
#define NOW (UINT64_C(1796083200) * SEC) /* 2026-12-01T00:00:00Z */

static void durations(void **state) {
        static const struct {
                const char *in;
                int r;
                uint64_t usec;
        } cases[] = {
            {"90", 0, 90 * SEC},       {"90s", 0, 90 * SEC},     {"15m", 0, 900 * SEC}, {"1h", 0, 3600 * SEC},
            {"30d", 0, 2592000 * SEC}, {"2w", 0, 1209600 * SEC}, {"0s", -ERANGE, 0},    {"11000d", -ERANGE, 0},
            {"", -EINVAL, 0},          {"h", -EINVAL, 0},        {"1.5h", -EINVAL, 0},  {"-1h", -EINVAL, 0},
            {"1y", -EINVAL, 0},        {" 1h", -EINVAL, 0},      {"1hh", -EINVAL, 0},   {"9999999999999s", -EINVAL, 0},
        };
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
                uint64_t v = 0;
                assert_int_equal(cg_duration_parse(cases[i].in, &v), cases[i].r);
                if (cases[i].r == 0)
                        assert_int_equal(v, cases[i].usec);
        }
}

static void times(void **state) {
        static const struct {
                const char *in;
                int r;
                uint64_t usec;
        } cases[] = {
            {"now", 0, NOW},
            {"-1h", 0, NOW - 3600 * SEC},
            {"1796083200", 0, NOW},
            {"2026-12-01", 0, NOW},
            {"2026-12-01T00:00:00Z", 0, NOW},
            {"2026-12-01T01:30:00+01:30", 0, NOW},
            {"2026-11-30T23:00:00-01:00", 0, NOW},
            {"2026-12-01T00:00:00.25Z", 0, NOW + SEC / 4},
            {"2024-02-29T00:00:00Z", 0, UINT64_C(1709164800) * SEC},
            {"2025-02-29", -EINVAL, 0},
            {"2026-13-01", -EINVAL, 0},
            {"2026-12-01T24:00:00Z", -EINVAL, 0},
            {"2026-12-01T00:00:00", -EINVAL, 0},
            {"2026-12-01T00:00Z", -EINVAL, 0},
            {"1969-12-31", -EINVAL, 0},
            {"yesterday", -EINVAL, 0},
            {"-100000d", -ERANGE, 0},
            {"999999999999", -ERANGE, 0},
        };
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
                uint64_t v = 0;
                int r = cg_time_parse(cases[i].in, NOW, &v);
                if (r != cases[i].r)
                        fail_msg("%s: %d, want %d", cases[i].in, r, cases[i].r);
                if (r == 0 && v != cases[i].usec)
                        fail_msg("%s: %llu, want %llu", cases[i].in, (unsigned long long)v,
                                 (unsigned long long)cases[i].usec);
        }
        char buf[21];
        cg_time_format(NOW, buf);
        assert_string_equal(buf, "2026-12-01T00:00:00Z");
}

int main(void) {
        const struct CMUnitTest tests[] = {cmocka_unit_test(durations), cmocka_unit_test(times)};
        return cmocka_run_group_tests(tests, NULL, NULL);
}
