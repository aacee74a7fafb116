/* Limit parsing and rendering: the only guard between user input and kernel files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cg-json.h"
#include "cg-limits.h"

static void sizes(void **state) {
        static const struct {
                const char *in;
                int r;
                uint64_t out;
        } t[] = {
            {"0", 0, 0},
            {"4096", 0, 4096},
            {"1K", 0, 1024},
            {"512M", 0, 536870912},
            {"512MiB", 0, 536870912},
            {"512MB", 0, 536870912},
            {"1.5G", 0, 1610612736},
            {"1.5g", 0, 1610612736},
            {"0.5K", 0, 512},
            {"1.3K", 0, 1331}, /* floored to whole bytes */
            {"7E", 0, UINT64_C(7) << 60},
            {"8E", -ERANGE, 0}, /* 2^63: above what the kernel and the store hold */
            {"9223372036854775807", 0, INT64_MAX},
            {"9223372036854775808", -ERANGE, 0},
            {"18446744073709551616", -ERANGE, 0}, /* 2^64: the v1 kernel would take it */
            {"99999999999999999999999", -ERANGE, 0},
            {"17179869184G", -ERANGE, 0}, /* overflowing suffix: 2^64 */
            {"", -EINVAL, 0},
            {"-1", -EINVAL, 0},
            {"+5", -EINVAL, 0},
            {" 5", -EINVAL, 0},
            {"5 ", -EINVAL, 0},
            {"1.5", -EINVAL, 0}, /* fractional bytes */
            {"1.", -EINVAL, 0},
            {".5G", -EINVAL, 0},
            {"1X", -EINVAL, 0},
            {"1GG", -EINVAL, 0},
            {"0x10", -EINVAL, 0},
            {"1e9", -EINVAL, 0},
            {"max", -EINVAL, 0}, /* "max" is the caller's business, not a size */
        };
        for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
                uint64_t v = 12345;
                int r = cg_limits_parse_size(t[i].in, &v);
                if (r != t[i].r)
                        fail_msg("parse_size(\"%s\") = %d, want %d", t[i].in, r, t[i].r);
                if (r == 0 && v != t[i].out)
                        fail_msg("parse_size(\"%s\") = %llu, want %llu", t[i].in, (unsigned long long)v,
                                 (unsigned long long)t[i].out);
        }
}

static void cpusets(void **state) {
        static const struct {
                const char *in;
                int r;
                const char *canonical;
        } t[] = {
            {"0", 0, "0"},           {"0-1,3", 0, "0-1,3"},
            {"3,0-1", 0, "0-1,3"},   {"0,1,2,3", 0, "0-3"},
            {"0-3,2-5", 0, "0-5"},   {"4095", 0, "4095"},
            {"4096", -ERANGE, NULL}, {"", -EINVAL, NULL},
            {"1-0", -EINVAL, NULL},  {"0,", -EINVAL, NULL},
            {",0", -EINVAL, NULL},   {"0 - 1", -EINVAL, NULL},
            {"-1", -EINVAL, NULL},   {"a", -EINVAL, NULL},
            {"0-", -EINVAL, NULL},   {"99999999999999999999999", -ERANGE, NULL},
        };
        for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
                CgCpuSet set;
                char buf[256];
                int r = cg_cpuset_parse(t[i].in, &set);
                if (r != t[i].r)
                        fail_msg("cpuset_parse(\"%s\") = %d, want %d", t[i].in, r, t[i].r);
                if (r == 0) {
                        assert_true(cg_cpuset_format(&set, buf, sizeof buf) > 0);
                        assert_string_equal(buf, t[i].canonical);
                }
        }
        CgCpuSet a, b;
        assert_int_equal(cg_cpuset_parse("1", &a), 0);
        assert_int_equal(cg_cpuset_parse("0-1", &b), 0);
        assert_true(cg_cpuset_is_subset(&a, &b));
        assert_false(cg_cpuset_is_subset(&b, &a));
        char tiny[3];
        assert_int_equal(cg_cpuset_format(&b, tiny, sizeof tiny), -ENOBUFS);
}

static void cpu_quota(void **state) {
        uint64_t q;
        assert_int_equal(cg_limits_cpus_to_quota(1.5, &q), 0);
        assert_int_equal(q, 150000);
        assert_int_equal(cg_limits_cpus_to_quota(0.01, &q), 0);
        assert_int_equal(q, 1000);
        assert_int_equal(cg_limits_cpus_to_quota(0.009, &q), -ERANGE);
        assert_int_equal(cg_limits_cpus_to_quota(0, &q), -ERANGE);
        assert_int_equal(cg_limits_cpus_to_quota(-1, &q), -ERANGE);
        assert_int_equal(cg_limits_cpus_to_quota(4097, &q), -ERANGE);
        assert_int_equal(cg_limits_cpus_to_quota(1.0 / 0.0, &q), -ERANGE);
        assert_int_equal(cg_limits_cpus_to_quota(0.0 / 0.0, &q), -ERANGE);
}

static void weight_shares(void **state) {
        /* systemd's mapping: 100 ↔ 1024, clamped to [2, 262144]. */
        assert_int_equal(cg_limits_weight_to_shares(100), 1024);
        assert_int_equal(cg_limits_weight_to_shares(1), 10);
        assert_int_equal(cg_limits_weight_to_shares(10000), 102400);
        assert_int_equal(cg_limits_shares_to_weight(1024), 100);
        assert_int_equal(cg_limits_shares_to_weight(2), 1);
        assert_int_equal(cg_limits_shares_to_weight(262144), 10000);
}

static void from_strings(void **state) {
        static const struct {
                CgLimitKey k;
                const char *in;
                int r;
                const char *canonical;
        } t[] = {
            {CG_LIMIT_MEMORY_MAX, "512M", 0, "536870912"}, {CG_LIMIT_MEMORY_MAX, "max", 0, "max"},
            {CG_LIMIT_MEMORY_MAX, "1K", -EINVAL, NULL}, /* below 1 MiB */
            {CG_LIMIT_MEMORY_RESERVATION, "0", 0, "0"},    {CG_LIMIT_MEMORY_SWAP_MAX, "max", 0, "max"},
            {CG_LIMIT_CPU_MAX, "1.5", 0, "1.5"},           {CG_LIMIT_CPU_MAX, "2", 0, "2"},
            {CG_LIMIT_CPU_MAX, "0.01", 0, "0.01"},         {CG_LIMIT_CPU_MAX, "max", 0, "max"},
            {CG_LIMIT_CPU_MAX, "inf", -EINVAL, NULL},      {CG_LIMIT_CPU_MAX, "nan", -EINVAL, NULL},
            {CG_LIMIT_CPU_MAX, "1e3", -EINVAL, NULL},      {CG_LIMIT_CPU_MAX, "0x2", -EINVAL, NULL},
            {CG_LIMIT_CPU_MAX, "1.2.3", -EINVAL, NULL},    {CG_LIMIT_CPU_MAX, "0.001", -ERANGE, NULL},
            {CG_LIMIT_CPU_WEIGHT, "100", 0, "100"},        {CG_LIMIT_CPU_WEIGHT, "0", -ERANGE, NULL},
            {CG_LIMIT_CPU_WEIGHT, "10001", -ERANGE, NULL}, {CG_LIMIT_CPU_WEIGHT, "max", -EINVAL, NULL},
            {CG_LIMIT_CPU_WEIGHT, "-5", -EINVAL, NULL},    {CG_LIMIT_PIDS_MAX, "0", 0, "0"},
            {CG_LIMIT_PIDS_MAX, "4194304", 0, "4194304"},  {CG_LIMIT_PIDS_MAX, "4194305", -ERANGE, NULL},
            {CG_LIMIT_PIDS_MAX, "max", 0, "max"},          {CG_LIMIT_PIDS_MAX, "18446744073709551615", -ERANGE, NULL},
            {CG_LIMIT_CPUSET_CPUS, "1,0", 0, "0-1"},       {CG_LIMIT_CPUSET_MEMS, "", -EINVAL, NULL},
        };
        for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
                CgLimits l = {0};
                CgError err = {0};
                char buf[64];
                int r = cg_limits_set_from_string(&l, t[i].k, t[i].in, &err);
                if ((r == 0) != (t[i].r == 0))
                        fail_msg("set_from_string(%s, \"%s\") = %d, want %d", cg_limit_key_pointer(t[i].k), t[i].in, r,
                                 t[i].r);
                if (r < 0) {
                        assert_string_equal(err.field, cg_limit_key_pointer(t[i].k));
                        if (strlen(t[i].in) >= 3) /* never echoes input */
                                assert_null(strstr(err.message, t[i].in));
                        assert_int_equal(l.set, 0);
                        continue;
                }
                assert_int_equal(l.set, CG_LIMIT_BIT(t[i].k));
                assert_true(cg_limits_format_value(&l, t[i].k, buf, sizeof buf) > 0);
                assert_string_equal(buf, t[i].canonical);
        }
}

static void merge_and_validate(void **state) {
        CgLimits d = {0}, p = {0};
        CgError err = {0};
        assert_int_equal(cg_limits_set_from_string(&d, CG_LIMIT_MEMORY_MAX, "1G", &err), 0);
        assert_int_equal(cg_limits_set_from_string(&d, CG_LIMIT_PIDS_MAX, "10", &err), 0);
        assert_int_equal(cg_limits_set_from_string(&p, CG_LIMIT_MEMORY_MAX, "2G", &err), 0);
        p.clear = CG_LIMIT_BIT(CG_LIMIT_PIDS_MAX);
        cg_limits_merge(&d, &p);
        assert_int_equal(d.set, CG_LIMIT_BIT(CG_LIMIT_MEMORY_MAX));
        assert_int_equal(d.memory_max_bytes, UINT64_C(2) << 30);
        assert_int_equal(d.clear, CG_LIMIT_BIT(CG_LIMIT_PIDS_MAX)); /* for the driver to reset */

        assert_int_equal(cg_limits_set_from_string(&d, CG_LIMIT_MEMORY_RESERVATION, "3G", &err), 0);
        assert_int_equal(cg_limits_validate(&d, &err), -EINVAL);
        assert_string_equal(err.field, "/memory/reservation");
}

static void json_round_trip(void **state) {
        CgLimits l;
        CgError err = {0};
        json_error_t jerr;
        json_t *in = json_loads("{\"memory\":{\"max\":\"512M\",\"swap_max\":0},\"cpu\":{\"max\":1.5,\"weight\":200},"
                                "\"cpuset\":{\"cpus\":\"1,0\"},\"pids\":{\"max\":\"max\"}}",
                                0, &jerr);
        assert_non_null(in);
        assert_int_equal(cg_json_to_limits(in, false, "/limits", &l, &err), 0);
        json_t *out = cg_json_from_limits(&l);
        char *s = json_dumps(out, JSON_SORT_KEYS | JSON_COMPACT);
        assert_string_equal(s,
                            "{\"cpu\":{\"max\":1.5,\"weight\":200},\"cpuset\":{\"cpus\":\"0-1\"},\"memory\":{\"max\":"
                            "536870912,\"swap_max\":0},\"pids\":{\"max\":\"max\"}}");
        free(s);
        json_decref(in);
        json_decref(out);
}

static void json_refusals(void **state) {
        static const struct {
                const char *json;
                bool allow_null;
                const char *field;
        } t[] = {
            {"{\"memory\":{\"max\":-1}}", false, "/limits/memory/max"},
            {"{\"memory\":{\"max\":1.5}}", false, "/limits/memory/max"},
            {"{\"memory\":{\"max\":true}}", false, "/limits/memory/max"},
            {"{\"memory\":{\"max\":null}}", false, "/limits/memory/max"},
            {"{\"memory\":{\"maxx\":1}}", false, "/limits/memory/maxx"},
            {"{\"disk\":{}}", false, "/limits/disk"},
            {"{\"memory\":5}", false, "/limits/memory"},
            {"{\"cpu\":{\"max\":0}}", false, "/limits/cpu/max"},
            {"{\"cpu\":{\"weight\":1.5}}", false, "/limits/cpu/weight"},
            {"{\"cpu\":{\"weight\":\"100\"}}", false, NULL}, /* digits in a string are fine */
            {"{\"pids\":{\"max\":-1}}", false, "/limits/pids/max"},
            {"{\"pids\":{\"max\":\"a\\u0000b\"}}", false, "/limits/pids/max"},
            {"{\"cpuset\":{\"cpus\":\"\"}}", false, "/limits/cpuset/cpus"},
            {"{\"memory\":{\"max\":\"1G\",\"reservation\":\"2G\"}}", false, "/memory/reservation"},
            {"{\"memory\":{\"max\":null}}", true, NULL},
        };
        for (size_t i = 0; i < sizeof t / sizeof *t; i++) {
                CgLimits l;
                CgError err = {0};
                json_t *in = json_loads(t[i].json, JSON_ALLOW_NUL, NULL);
                assert_non_null(in);
                int r = cg_json_to_limits(in, t[i].allow_null, "/limits", &l, &err);
                json_decref(in);
                if (!t[i].field) {
                        if (r != 0)
                                fail_msg("%s: refused: %s", t[i].json, err.message);
                        continue;
                }
                if (r >= 0)
                        fail_msg("%s: accepted", t[i].json);
                assert_string_equal(err.field, t[i].field);
        }
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(sizes),           cmocka_unit_test(cpusets),       cmocka_unit_test(cpu_quota),
            cmocka_unit_test(weight_shares),   cmocka_unit_test(from_strings),  cmocka_unit_test(merge_and_validate),
            cmocka_unit_test(json_round_trip), cmocka_unit_test(json_refusals),
        };
        return cmocka_run_group_tests_name("limits", tests, NULL, NULL);
}
