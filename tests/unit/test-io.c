/* io.weight and io.max as typed values: the parsers, the canonical form, merging, weights. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cg-io.h"

static void fields(void **state) {
        uint64_t v;
        assert_int_equal(cg_io_field_parse(CG_IO_RBPS, "10M", &v), 0);
        assert_int_equal(v, 10485760);
        assert_int_equal(cg_io_field_parse(CG_IO_WBPS, "max", &v), 0);
        assert_true(v == CG_UNLIMITED);
        assert_int_equal(cg_io_field_parse(CG_IO_RIOPS, "100", &v), 0);
        assert_int_equal(v, 100);
        assert_int_equal(cg_io_field_parse(CG_IO_RIOPS, "10M", &v), -EINVAL); /* iops take no suffix */
        assert_int_equal(cg_io_field_parse(CG_IO_RBPS, "0", &v), -ERANGE);    /* v1 reads 0 as "no limit" */
        assert_int_equal(cg_io_field_parse(CG_IO_WIOPS, "0", &v), -ERANGE);
        assert_int_equal(cg_io_field_parse(CG_IO_WIOPS, "-1", &v), -EINVAL);
        assert_int_equal(cg_io_field_parse(CG_IO_WIOPS, "", &v), -EINVAL);
        assert_int_equal(cg_io_field_parse(CG_IO_WIOPS, "99999999999999999999", &v), -ERANGE);
        CgIoField f;
        assert_int_equal(cg_io_field_from_name("wiops", &f), 0);
        assert_int_equal(f, CG_IO_WIOPS);
        assert_int_equal(cg_io_field_from_name("bps", &f), -EINVAL);
}

static void devices(void **state) {
        uint32_t a, b;
        assert_int_equal(cg_io_device_parse("8:0", &a, &b), 0);
        assert_int_equal(a, 8);
        assert_int_equal(b, 0);
        assert_int_equal(cg_io_device_parse("259:1048575", &a, &b), 0);
        const char *bad[] = {"",     "8",    "8:",   ":0",  "8:0:1",  "-8:0",      "8:-0",
                             "+8:0", " 8:0", "8:0 ", "a:b", "4096:0", "8:1048576", "8:0x1"};
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
                if (cg_io_device_parse(bad[i], &a, &b) == 0)
                        fail_msg("accepted device \"%s\"", bad[i]);
}

static void canonical(void **state) {
        CgIoMax l[CG_IO_DEVICES_MAX], back[CG_IO_DEVICES_MAX];
        uint32_t n;
        char buf[512], again[512];
        assert_int_equal(cg_io_max_parse("8:16 wiops=100;8:0 rbps=1048576 wbps=max", l, &n), 0);
        assert_int_equal(n, 2);
        assert_true(cg_io_max_format(l, n, buf, sizeof buf) > 0);
        assert_string_equal(buf, "8:0 rbps=1048576;8:16 wiops=100"); /* sorted; "max" is no limit */
        assert_int_equal(cg_io_max_parse(buf, back, &n), 0);
        assert_true(cg_io_max_format(back, n, again, sizeof again) > 0);
        assert_string_equal(buf, again);
        /* The kernel's io.max (cgroup-v2.rst "IO Interface Files"): all fields, max for none. */
        assert_int_equal(
            cg_io_max_parse(
                "8:16 rbps=2097152 wbps=max riops=max wiops=120\n8:0 rbps=max wbps=max riops=max wiops=max\n", l, &n),
            0);
        assert_int_equal(n, 1); /* a device with no limit left is no entry */
        assert_int_equal(l[0].set, (1u << CG_IO_RBPS) | (1u << CG_IO_WIOPS));
        assert_int_equal(cg_io_max_parse("8:0 rbps", l, &n), -EBADMSG);
        assert_int_equal(cg_io_max_parse("x rbps=1", l, &n), -EBADMSG);
}

static void merge(void **state) {
        CgLimits d = {0}, p = {0};
        uint32_t n;
        assert_int_equal(cg_io_max_parse("8:0 rbps=100 wbps=200;8:16 riops=5", d.io_max, &n), 0);
        d.n_io_max = n;
        d.set = CG_LIMIT_BIT(CG_LIMIT_IO_MAX);
        /* 8:0: wbps removed, wiops added; 8:16 removed whole; 7:0 added. */
        p.io_max[0] = (CgIoMax){
            .major = 8, .minor = 0, .set = 1u << CG_IO_WIOPS, .clear = 1u << CG_IO_WBPS, .v = {[CG_IO_WIOPS] = 9}};
        p.io_max[1] = (CgIoMax){.major = 8, .minor = 16, .clear = 0xf};
        p.io_max[2] = (CgIoMax){.major = 7, .minor = 0, .set = 1u << CG_IO_RBPS, .v = {[CG_IO_RBPS] = 1}};
        p.n_io_max = 3;
        p.set = CG_LIMIT_BIT(CG_LIMIT_IO_MAX);
        cg_limits_merge(&d, &p);
        char buf[256];
        assert_true(cg_io_max_format(d.io_max, d.n_io_max, buf, sizeof buf) > 0);
        assert_string_equal(buf, "7:0 rbps=1;8:0 rbps=100 wiops=9");
        assert_true(d.set & CG_LIMIT_BIT(CG_LIMIT_IO_MAX));
        CgLimits none = {.clear = CG_LIMIT_BIT(CG_LIMIT_IO_MAX)};
        cg_limits_merge(&d, &none);
        assert_int_equal(d.n_io_max, 0);
        assert_int_equal(d.clear, CG_LIMIT_BIT(CG_LIMIT_IO_MAX));
        assert_false(d.set & CG_LIMIT_BIT(CG_LIMIT_IO_MAX));
}

static void weights(void **state) {
        /* systemd's mappings: CFQ blkio.weight = 5x clamped to 10..1000; BFQ 1..1000. */
        assert_int_equal(cg_io_weight_to_blkio(100), 500);
        assert_int_equal(cg_io_weight_to_blkio(1), 10);
        assert_int_equal(cg_io_weight_to_blkio(10000), 1000);
        assert_int_equal(cg_io_weight_to_bfq(1), 1);
        assert_int_equal(cg_io_weight_to_bfq(100), 100);
        assert_int_equal(cg_io_weight_to_bfq(10000), 1000);
        assert_int_equal(cg_io_weight_to_bfq(300), 118);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(fields), cmocka_unit_test(devices), cmocka_unit_test(canonical),
            cmocka_unit_test(merge),  cmocka_unit_test(weights),
        };
        return cmocka_run_group_tests_name("io", tests, NULL, NULL);
}
