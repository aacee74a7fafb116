/* Device rules and the eBPF program built from them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "cg-devices.h"

static void rules(void **state) {
        static const struct {
                const char *in, *canonical;
        } ok[] = {
            {"c 1:3 rwm", "c 1:3 rwm"},
            {"c 1:3 mwr", "c 1:3 rwm"},
            {"b 8:* r", "b 8:* r"},
            {"c *:* m", "c *:* m"},
            {"a", "a *:* rwm"},
            {"a *:* w", "a *:* w"},
            {"b 259:1048575 w", "b 259:1048575 w"},
        };
        for (size_t i = 0; i < sizeof ok / sizeof *ok; i++) {
                CgDeviceRule r;
                char buf[64];
                if (cg_device_rule_parse(ok[i].in, &r) != 0)
                        fail_msg("refused \"%s\"", ok[i].in);
                assert_true(cg_device_rule_format(&r, buf, sizeof buf) > 0);
                assert_string_equal(buf, ok[i].canonical);
        }
        const char *bad[] = {"",         "c",        "c 1:3",    "c 1:3 ",   "c 1:3 rr", "c 1:3 rwx", "x 1:3 r",
                             "c -1:3 r", "c 1:-3 r", "c 1:3  r", " c 1:3 r", "c 1:3 r ", "c 1 r",     "c 1:1048576 r",
                             "a 1:3 r",  "c 1:3 R",  "A"};
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
                CgDeviceRule r;
                if (cg_device_rule_parse(bad[i], &r) == 0)
                        fail_msg("accepted \"%s\"", bad[i]);
        }
}

static void rule_lists(void **state) {
        CgDeviceRule r[CG_DEVICE_RULES_MAX];
        uint32_t n;
        char buf[256];
        assert_int_equal(cg_device_rules_parse("c 1:3 rwm\nb 8:* r", r, &n), 0);
        assert_int_equal(n, 2);
        assert_true(cg_device_rules_format(r, n, buf, sizeof buf) > 0);
        assert_string_equal(buf, "c 1:3 rwm\nb 8:* r");
        assert_int_equal(cg_device_rules_parse("", r, &n), 0);
        assert_int_equal(n, 0);
        assert_int_equal(cg_device_rules_parse("c 1:3 rwm\nnope", r, &n), -EBADMSG);
}

static void program(void **state) {
        CgLimits l = {.devices_policy = CG_DEVICES_DENY};
        struct bpf_insn p[CG_DEVICES_BPF_MAX];
        /* No rules: 6 loads and the default verdict. */
        int n = cg_devices_bpf(&l, p, CG_DEVICES_BPF_MAX);
        assert_int_equal(n, 8);
        assert_int_equal(p[6].imm, 0); /* deny */
        assert_int_equal(p[7].code, BPF_JMP | BPF_EXIT);
        /* "c 1:3 r": type, access (3 insns), major, minor, verdict, exit = 8 more. */
        assert_int_equal(cg_device_rule_parse("c 1:3 r", &l.device_rules[0]), 0);
        /* "a": no checks at all, just the verdict. */
        assert_int_equal(cg_device_rule_parse("a", &l.device_rules[1]), 0);
        l.n_device_rules = 2;
        n = cg_devices_bpf(&l, p, CG_DEVICES_BPF_MAX);
        assert_int_equal(n, 6 + 8 + 2 + 2);
        /* Every jump of the first block lands just past it. */
        for (int i = 6; i < 14; i++)
                if ((p[i].code & 0x07) == BPF_JMP32)
                        assert_int_equal(i + 1 + p[i].off, 14);
        assert_int_equal(p[12].imm, 1); /* a matching rule allows under deny */
        l.devices_policy = CG_DEVICES_ALLOW;
        n = cg_devices_bpf(&l, p, CG_DEVICES_BPF_MAX);
        assert_int_equal(p[12].imm, 0);    /* and denies under allow */
        assert_int_equal(p[n - 2].imm, 1); /* whose default is allow */
        l.n_device_rules = CG_DEVICE_RULES_MAX;
        for (uint32_t i = 0; i < l.n_device_rules; i++)
                assert_int_equal(cg_device_rule_parse("c 1:3 r", &l.device_rules[i]), 0);
        assert_true(cg_devices_bpf(&l, p, CG_DEVICES_BPF_MAX) > 0); /* the worst case fits */
        assert_int_equal(cg_devices_bpf(&l, p, 20), -E2BIG);
}

/* A process's own policy: runc's default list under deny, unless its group has rules. */
static void process_default(void **state) {
        (void)state;
        CgLimits group = {0}, l;
        char text[1024];
        assert_int_equal(cg_devices_for_process(&group, &l), 1);
        assert_int_equal(l.devices_policy, CG_DEVICES_DENY);
        assert_true(l.set & CG_LIMIT_BIT(CG_LIMIT_DEVICES));
        assert_true(cg_device_rules_format(l.device_rules, l.n_device_rules, text, sizeof text) > 0);
        assert_string_equal(text, "c *:* m\nb *:* m\nc 1:3 rwm\nc 1:5 rwm\nc 1:7 rwm\nc 1:8 rwm\nc 1:9 rwm\n"
                                  "c 5:0 rwm\nc 5:2 rwm\nc 136:* rwm");
        struct bpf_insn p[CG_DEVICES_BPF_MAX];
        assert_true(cg_devices_bpf(&l, p, CG_DEVICES_BPF_MAX) > 0);
        /* Rules of the group's own, even "allow everything", are the whole policy. */
        group.set = CG_LIMIT_BIT(CG_LIMIT_DEVICES);
        group.devices_policy = CG_DEVICES_ALLOW;
        assert_int_equal(cg_devices_for_process(&group, &l), 0);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(rules),
            cmocka_unit_test(rule_lists),
            cmocka_unit_test(program),
            cmocka_unit_test(process_default),
        };
        return cmocka_run_group_tests_name("devices", tests, NULL, NULL);
}
