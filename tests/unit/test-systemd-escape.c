/* Unit names: a group's name escaped as systemd-escape(1) does, so that a dash in a group
 * name never reads as a level of slices. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>
#include <cmocka.h>

#include "cg-systemd.h"

static void escapes_like_systemd_escape(void **state) {
        /* Each expected value is what `systemd-escape INPUT` prints (systemd 252). */
        const char *cases[][2] = {
            {"web", "web"},      {"my-app", "my\\x2dapp"},   {"a_b", "a_b"},
            {"x:y.z", "x:y.z"},  {".hidden", "\\x2ehidden"}, {"a b", "a\\x20b"},
            {"é", "\\xc3\\xa9"}, {"9-", "9\\x2d"},
        };
        for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
                char buf[64];
                assert_int_equal(cg_systemd_escape(cases[i][0], buf, sizeof buf), (int)strlen(cases[i][1]));
                assert_string_equal(buf, cases[i][1]);
        }
}

static void refuses_what_does_not_fit(void **state) {
        char buf[8];
        assert_int_equal(cg_systemd_escape("abcdefg", buf, sizeof buf), 7);
        assert_int_equal(cg_systemd_escape("abcdefgh", buf, sizeof buf), -ENAMETOOLONG);
        assert_int_equal(cg_systemd_escape("ab-cd", buf, sizeof buf), -ENAMETOOLONG); /* 8 escaped */
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(escapes_like_systemd_escape),
            cmocka_unit_test(refuses_what_does_not_fit),
        };
        return cmocka_run_group_tests_name("systemd-escape", tests, NULL, NULL);
}
