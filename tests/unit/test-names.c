/* Group names: the gate in front of every cgroupfs path. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include "cg-name.h"

static void accepts_valid_names(void **state) {
        const char *ok[] = {
            "a", "0", "web", "web-1", "a_b", "x9-_", "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz0"};
        for (size_t i = 0; i < sizeof ok / sizeof *ok; i++)
                assert_true(cg_name_is_valid(ok[i]));
}

static void refuses_everything_else(void **state) {
        const char *bad[] = {
            "",         ".",    "..",  "../x",
            "a/b",      "/a",   "-a",  "_a",
            "Web",      "a b",  "a.b", "a\n",
            " a",       "a\\b", "é",   "abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz01", /* 64 */
            "tasks%00",
        };
        for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
                assert_false(cg_name_is_valid(bad[i]));
        assert_false(cg_name_is_valid(NULL));
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test(accepts_valid_names),
            cmocka_unit_test(refuses_everything_else),
        };
        return cmocka_run_group_tests_name("names", tests, NULL, NULL);
}
