/* The store against a real SQLite file in a temporary directory. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "store-migrate.h"
#include "store.h"

typedef struct Fixture {
        char dir[64];
        char path[96];
        Store *s;
} Fixture;

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof *f);
        snprintf(f->dir, sizeof f->dir, "/tmp/cgw-store-XXXXXX");
        if (!mkdtemp(f->dir))
                return -1;
        snprintf(f->path, sizeof f->path, "%s/db", f->dir);
        CgError err = {0};
        if (store_open(f->path, &f->s, &err) < 0)
                return -1;
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;
        char cmd[128];
        store_close(f->s);
        snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
        int r = system(cmd);
        free(f);
        return r;
}

static StoreGroup group(const char *name, const char *parent) {
        StoreGroup g = {.created_usec = 1700000000000000};
        snprintf(g.name, sizeof g.name, "%s", name);
        snprintf(g.parent, sizeof g.parent, "%s", parent);
        return g;
}

static void migrates_to_latest(void **state) {
        Fixture *f = *state;
        assert_int_equal(store_schema_version(f->s), (int)store_migrations_count);
}

static void round_trips_limits(void **state) {
        Fixture *f = *state;
        CgError err = {0};
        StoreGroup g = group("web", ""), got;
        assert_int_equal(cg_limits_set_from_string(&g.limits, CG_LIMIT_MEMORY_MAX, "max", &err), 0);
        assert_int_equal(cg_limits_set_from_string(&g.limits, CG_LIMIT_CPU_MAX, "1.5", &err), 0);
        assert_int_equal(cg_limits_set_from_string(&g.limits, CG_LIMIT_CPU_WEIGHT, "300", &err), 0);
        assert_int_equal(cg_limits_set_from_string(&g.limits, CG_LIMIT_CPUSET_CPUS, "0-1", &err), 0);
        assert_int_equal(cg_limits_set_from_string(&g.limits, CG_LIMIT_PIDS_MAX, "0", &err), 0);
        assert_int_equal(store_group_insert(f->s, &g), 0);
        assert_int_equal(store_group_get(f->s, "web", &got), 0);
        assert_string_equal(got.name, "web");
        assert_string_equal(got.parent, "");
        assert_int_equal(got.created_usec, g.created_usec);
        assert_int_equal(got.limits.set, g.limits.set);
        assert_true(got.limits.memory_max_bytes == CG_UNLIMITED);
        assert_int_equal(got.limits.cpu_quota_usec, 150000);
        assert_int_equal(got.limits.cpu_weight, 300);
        assert_int_equal(got.limits.pids_max, 0);
        assert_memory_equal(&got.limits.cpuset_cpus, &g.limits.cpuset_cpus, sizeof got.limits.cpuset_cpus);

        got.frozen = true;
        got.limits.set &= ~CG_LIMIT_BIT(CG_LIMIT_PIDS_MAX);
        assert_int_equal(store_group_update(f->s, &got), 0);
        StoreGroup again;
        assert_int_equal(store_group_get(f->s, "web", &again), 0);
        assert_true(again.frozen);
        assert_false(again.limits.set & CG_LIMIT_BIT(CG_LIMIT_PIDS_MAX));
}

static void enforces_names_and_parents(void **state) {
        Fixture *f = *state;
        StoreGroup a = group("a", ""), b = group("b", "a"), orphan = group("c", "nope");
        assert_int_equal(store_group_insert(f->s, &a), 0);
        assert_int_equal(store_group_insert(f->s, &a), -EEXIST);
        assert_int_equal(store_group_insert(f->s, &orphan), -ENOENT);
        assert_int_equal(store_group_insert(f->s, &b), 0);
        assert_int_equal(store_group_delete(f->s, "a"), -ENOTEMPTY);
        assert_int_equal(store_group_delete(f->s, "zzz"), -ENOENT);
        StoreGroup *all;
        size_t n;
        assert_int_equal(store_group_list(f->s, &all, &n), 0);
        assert_int_equal(n, 2);
        assert_string_equal(all[0].name, "a"); /* parents first */
        free(all);
        assert_int_equal(store_group_delete(f->s, "b"), 0);
        assert_int_equal(store_group_delete(f->s, "a"), 0);
        StoreGroup x;
        assert_int_equal(store_group_get(f->s, "a", &x), -ENOENT);
        assert_int_equal(store_group_update(f->s, &a), -ENOENT);
}

static void survives_reopen(void **state) {
        Fixture *f = *state;
        CgError err = {0};
        StoreGroup g = group("kept", ""), got;
        assert_int_equal(store_group_insert(f->s, &g), 0);
        store_close(f->s);
        assert_int_equal(store_open(f->path, &f->s, &err), 0);
        assert_int_equal(store_group_get(f->s, "kept", &got), 0);
}

static void refuses_newer_schema(void **state) {
        Fixture *f = *state;
        CgError err = {0};
        Store *s2 = NULL;
        sqlite3 *db;
        store_close(f->s);
        f->s = NULL;
        /* A database written by a newer cgwardend, made with SQLite directly. */
        assert_int_equal(sqlite3_open(f->path, &db), SQLITE_OK);
        assert_int_equal(sqlite3_exec(db, "PRAGMA user_version = 999", NULL, NULL, NULL), SQLITE_OK);
        sqlite3_close(db);
        assert_int_equal(store_open(f->path, &s2, &err), -EPROTO);
        assert_string_equal(err.code, "store_too_new");
        assert_int_equal(store_open("/nonexistent-dir/x/db", &s2, &err) < 0, 1);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(migrates_to_latest, setup, teardown),
            cmocka_unit_test_setup_teardown(round_trips_limits, setup, teardown),
            cmocka_unit_test_setup_teardown(enforces_names_and_parents, setup, teardown),
            cmocka_unit_test_setup_teardown(survives_reopen, setup, teardown),
            cmocka_unit_test_setup_teardown(refuses_newer_schema, setup, teardown),
        };
        return cmocka_run_group_tests_name("store", tests, NULL, NULL);
}
