/* The accounting tables against a real SQLite file: samples in, rollups, retention, reports,
 * events and the ledger out. Times are synthetic, so every expected value is exact. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "store-ts.h"
#include "store.h"

#define SEC    UINT64_C(1000000)
#define MINUTE (60 * SEC)
#define HOUR   (60 * MINUTE)
#define DAY    (24 * HOUR)
/* 2026-11-30T00:00:00Z, a Monday */
#define T0 (UINT64_C(1795996800) * SEC)

typedef struct Fixture {
        char dir[64];
        char path[96];
        Store *s;
        Tsdb *t;
} Fixture;

static int setup(void **state) {
        Fixture *f = calloc(1, sizeof *f);
        CgError err = {0};
        snprintf(f->dir, sizeof f->dir, "/tmp/cgw-ts-XXXXXX");
        if (!mkdtemp(f->dir))
                return -1;
        snprintf(f->path, sizeof f->path, "%s/db", f->dir);
        if (store_open(f->path, &f->s, &err) < 0 || tsdb_open(f->path, &f->t, &err) < 0)
                return -1;
        *state = f;
        return 0;
}

static int teardown(void **state) {
        Fixture *f = *state;
        char cmd[128];
        tsdb_close(f->t);
        store_close(f->s);
        snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
        int r = system(cmd);
        free(f);
        return r;
}

static CgStats stats(uint64_t cpu, uint64_t mem) {
        CgStats s = {0};
        s.v[CG_STAT_CPU_USAGE_USEC] = cpu;
        s.v[CG_STAT_MEM_USAGE] = mem;
        s.v[CG_STAT_MEM_LIMIT] = UINT64_MAX;
        s.have = 1u << CG_STAT_CPU_USAGE_USEC | 1u << CG_STAT_MEM_USAGE | 1u << CG_STAT_MEM_LIMIT;
        return s;
}

/* A group born at T0 sampled every `every` for `span`: cpu grows by 1000 µs a second,
 * memory cycles through 1, 2, 3 MiB. Returns the sample count. */
static size_t feed(Tsdb *t, const char *group, uint64_t start, uint64_t span, uint64_t every, int64_t *ret_series) {
        bool created;
        uint64_t frozen;
        size_t n = 0;
        assert_int_equal(tsdb_series_open(t, group, start, ret_series, &created, &frozen), 0);
        assert_true(created);
        assert_int_equal(tsdb_begin(t), 0);
        assert_int_equal(tsdb_birth_put(t, *ret_series, start, stats(0, 0).have), 0);
        for (uint64_t ts = start + every; ts < start + span; ts += every, n++) {
                CgStats s = stats((ts - start) / 1000, ((n % 3) + 1) << 20);
                assert_int_equal(tsdb_sample_put(t, *ret_series, ts, &s, 0), 0);
        }
        assert_int_equal(tsdb_commit(t), 0);
        return n;
}

static void rollup_all(Tsdb *t, uint64_t now) {
        int r;
        assert_int_equal(tsdb_begin(t), 0);
        while ((r = tsdb_rollup(t, now, 2 * 10 * SEC)) > 0)
                ;
        assert_int_equal(r, 0);
        assert_int_equal(tsdb_commit(t), 0);
}

static void usage(Tsdb *t, const char *g, TsTier tier, uint64_t from, uint64_t to, uint64_t step, TsPoint **p,
                  size_t *n) {
        assert_int_equal(tsdb_usage(t, g, tier, from, to, step, p, n), 0);
}

/* Each 1m bucket is the sum (counters) and min/mean/max (gauges) of its raw samples. */
static void rollups_equal_raw(void **state) {
        Fixture *f = *state;
        int64_t id;
        feed(f->t, "web", T0, 3 * HOUR, 10 * SEC, &id);
        rollup_all(f->t, T0 + 3 * HOUR);

        TsPoint *raw = NULL, *m = NULL, *h = NULL;
        size_t nraw, nm, nh;
        usage(f->t, "web", TS_RAW, T0, T0 + 3 * HOUR, MINUTE, &raw, &nraw);
        usage(f->t, "web", TS_1M, T0, T0 + 3 * HOUR, MINUTE, &m, &nm);
        assert_int_equal(nraw, 180);
        assert_int_equal(nm, 180);
        for (size_t i = 0; i < nm; i++) {
                assert_int_equal(m[i].ts, raw[i].ts);
                assert_int_equal(m[i].n, raw[i].n);
                assert_int_equal(m[i].inc[CG_STAT_CPU_USAGE_USEC], raw[i].inc[CG_STAT_CPU_USAGE_USEC]);
                /* 1000 µs a second; the first minute counts from the birth row to 00:50. */
                assert_int_equal(m[i].inc[CG_STAT_CPU_USAGE_USEC], i ? 60 * 1000 : 50 * 1000);
                assert_int_equal(m[i].min[CG_STAT_MEM_USAGE], raw[i].min[CG_STAT_MEM_USAGE]);
                assert_int_equal(m[i].avg[CG_STAT_MEM_USAGE], raw[i].avg[CG_STAT_MEM_USAGE]);
                assert_int_equal(m[i].max[CG_STAT_MEM_USAGE], 3 << 20);
                assert_int_equal(m[i].max[CG_STAT_MEM_LIMIT], UINT64_MAX);
        }
        /* Mean of 1, 2, 3 MiB over whole cycles; the birth minute has 5 samples. */
        assert_int_equal(m[1].avg[CG_STAT_MEM_USAGE], 2 << 20);
        /* The hour tier equals the sum of its minutes. */
        usage(f->t, "web", TS_1H, T0, T0 + 3 * HOUR, HOUR, &h, &nh);
        assert_int_equal(nh, 3);
        uint64_t sum = 0, n = 0;
        for (size_t i = 0; i < 60; i++)
                sum += m[i].inc[CG_STAT_CPU_USAGE_USEC], n += m[i].n;
        assert_int_equal(h[0].inc[CG_STAT_CPU_USAGE_USEC], sum);
        assert_int_equal(h[0].n, n);
        assert_int_equal(h[1].inc[CG_STAT_CPU_USAGE_USEC], 3600 * 1000);
        assert_int_equal(h[1].avg[CG_STAT_MEM_USAGE], 2 << 20);
        free(raw), free(m), free(h);
}

/* A counter that goes down (the group recreated behind our back) counts from zero. */
static void counter_reset_counts_from_zero(void **state) {
        Fixture *f = *state;
        int64_t id;
        bool created;
        uint64_t frozen;
        assert_int_equal(tsdb_series_open(f->t, "db", T0, &id, &created, &frozen), 0);
        uint64_t cpu[] = {0, 500, 900, 100, 400};
        for (size_t i = 0; i < ELEMENTSOF(cpu); i++) {
                CgStats s = stats(cpu[i], 1);
                assert_int_equal(tsdb_sample_put(f->t, id, T0 + i * SEC, &s, 0), 0);
        }
        TsPoint *p = NULL;
        size_t n;
        usage(f->t, "db", TS_RAW, T0, T0 + MINUTE, MINUTE, &p, &n);
        assert_int_equal(n, 1);
        assert_int_equal(p[0].inc[CG_STAT_CPU_USAGE_USEC], 500 + 400 + 100 + 300);
        free(p);
}

/* Retention drops old rows, but never raw rows the minute tier has not taken in. */
static void retention_keeps_what_is_not_rolled_up(void **state) {
        Fixture *f = *state;
        int64_t id;
        TsRetention keep = {.keep_usec = {HOUR, DAY, 0, 0}};
        feed(f->t, "web", T0, 3 * HOUR, 10 * SEC, &id);
        /* Nothing rolled up yet: nothing may go. */
        assert_int_equal(tsdb_retain(f->t, T0 + 3 * HOUR, &keep), 0);
        rollup_all(f->t, T0 + 3 * HOUR);
        int total = 0, r;
        while ((r = tsdb_retain(f->t, T0 + 3 * HOUR, &keep)) > 0)
                total += r;
        assert_int_equal(r, 0);
        /* Two hours of 10 s samples (and the birth row) are older than an hour. */
        assert_int_equal(total, 2 * 360);
        TsPoint *p = NULL;
        size_t n;
        usage(f->t, "web", TS_RAW, T0, T0 + 3 * HOUR, HOUR, &p, &n);
        assert_int_equal(n, 1);
        assert_int_equal(p[0].ts, T0 + 2 * HOUR);
        free(p);
        /* The minutes are still there for the whole range. */
        usage(f->t, "web", TS_1M, T0, T0 + 3 * HOUR, HOUR, &p, &n);
        assert_int_equal(n, 3);
        free(p);
}

/* A report tiles its range over the tiers: the total is the same whatever is rolled up. */
static void report_covers_every_tier_and_deleted_groups(void **state) {
        Fixture *f = *state;
        int64_t web, gone;
        uint64_t now = T0 + 2 * DAY + 90 * MINUTE + 30 * SEC;
        feed(f->t, "web", T0, now - T0, 10 * SEC, &web);
        feed(f->t, "gone", T0 + HOUR, 5 * MINUTE, 10 * SEC, &gone);
        assert_int_equal(tsdb_series_end(f->t, gone, T0 + HOUR + 5 * MINUTE), 0);

        TsReportRow *before = NULL, *after = NULL;
        size_t nb, na;
        assert_int_equal(tsdb_report(f->t, T0, now + SEC, NULL, TS_BY_NONE, &before, &nb), 0);
        rollup_all(f->t, now);
        uint64_t d;
        assert_int_equal(tsdb_rolled_up_to(f->t, TS_1D, &d), 0);
        assert_int_equal(d, T0 + 2 * DAY);
        assert_int_equal(tsdb_report(f->t, T0, now + SEC, NULL, TS_BY_NONE, &after, &na), 0);
        assert_int_equal(nb, 2);
        assert_int_equal(na, 2);
        for (size_t i = 0; i < 2; i++) {
                assert_string_equal(before[i].group, after[i].group);
                assert_int_equal(before[i].use.inc[CG_STAT_CPU_USAGE_USEC], after[i].use.inc[CG_STAT_CPU_USAGE_USEC]);
                assert_int_equal(before[i].use.max[CG_STAT_MEM_USAGE], after[i].use.max[CG_STAT_MEM_USAGE]);
        }
        /* Sorted by name: "gone" first, deleted, with its five minutes of CPU. */
        assert_string_equal(after[0].group, "gone");
        assert_int_equal(after[0].ended_usec, T0 + HOUR + 5 * MINUTE);
        assert_int_equal(after[0].use.inc[CG_STAT_CPU_USAGE_USEC], (5 * 60 - 10) * 1000);
        assert_string_equal(after[1].group, "web");
        assert_int_equal(after[1].ended_usec, 0);
        assert_int_equal(after[1].use.inc[CG_STAT_CPU_USAGE_USEC], (now - T0 - 10 * SEC) / 1000);
        free(before), free(after);

        /* A list of groups: those, and no other (a name that is a prefix of another is not it). */
        TsReportRow *some = NULL;
        size_t ns;
        assert_int_equal(tsdb_report(f->t, T0, now + SEC, "we,gone,nosuch", TS_BY_NONE, &some, &ns), 0);
        assert_int_equal(ns, 1);
        assert_string_equal(some[0].group, "gone");
        free(some);
        assert_int_equal(tsdb_report(f->t, T0, now + SEC, "web,gone", TS_BY_NONE, &some, &ns), 0);
        assert_int_equal(ns, 2);
        free(some);

        /* By day: three days, summing to the same. */
        TsReportRow *days = NULL;
        size_t nd;
        assert_int_equal(tsdb_report(f->t, T0, now + SEC, "web", TS_BY_DAY, &days, &nd), 0);
        assert_int_equal(nd, 3);
        assert_int_equal(days[0].period_usec, T0);
        assert_int_equal(days[1].use.inc[CG_STAT_CPU_USAGE_USEC], 86400 * 1000);
        free(days);
        /* By week and month: T0 is a Monday, on the last day of November. */
        assert_int_equal(tsdb_report(f->t, T0, now + SEC, "web", TS_BY_WEEK, &days, &nd), 0);
        assert_int_equal(nd, 1);
        assert_int_equal(days[0].period_usec, T0);
        free(days);
        assert_int_equal(tsdb_report(f->t, T0, now + SEC, "web", TS_BY_MONTH, &days, &nd), 0);
        assert_int_equal(nd, 2);
        assert_int_equal(days[1].period_usec, T0 + DAY); /* 2026-12-01 */
        free(days);
}

static void events_and_ledger_round_trip(void **state) {
        Fixture *f = *state;
        int64_t a, b, last;
        assert_int_equal(tsdb_event_put(f->t, T0, "oom", "web", "{\"kills\":1}", &a), 0);
        assert_int_equal(tsdb_event_put(f->t, T0 + SEC, "freeze", "db", "{}", &b), 0);
        assert_true(b > a);
        assert_int_equal(tsdb_events_last_id(f->t, &last), 0);
        assert_int_equal(last, b);
        TsEvent *e = NULL;
        size_t n;
        assert_int_equal(tsdb_events(f->t, 0, 0, NULL, NULL, 10, &e, &n), 0);
        assert_int_equal(n, 2);
        assert_string_equal(e[0].type, "oom");
        assert_string_equal(e[0].details, "{\"kills\":1}");
        ts_events_free(e, n);
        assert_int_equal(tsdb_events(f->t, a, 0, NULL, NULL, 10, &e, &n), 0);
        assert_int_equal(n, 1);
        assert_string_equal(e[0].group, "db");
        ts_events_free(e, n);
        assert_int_equal(tsdb_events(f->t, 0, 0, "web", "freeze", 10, &e, &n), 0);
        assert_int_equal(n, 0);
        ts_events_free(e, n);

        TsLedger l = {.kind = "group", .group = "web", .started_usec = T0, .ended_usec = T0 + HOUR, .frozen_usec = 7};
        l.total = stats(123456, 0);
        assert_int_equal(tsdb_ledger_put(f->t, &l), 0);
        TsLedgerRow *rows = NULL;
        assert_int_equal(tsdb_ledger_list(f->t, T0, T0 + DAY, NULL, &rows, &n), 0);
        assert_int_equal(n, 1);
        assert_int_equal(rows[0].total.v[CG_STAT_CPU_USAGE_USEC], 123456);
        assert_false(rows[0].total.have & (1u << CG_STAT_MEM_PEAK));
        assert_int_equal(rows[0].frozen_usec, 7);
        free(rows[0].detail);
        free(rows);
}

int main(void) {
        const struct CMUnitTest tests[] = {
            cmocka_unit_test_setup_teardown(rollups_equal_raw, setup, teardown),
            cmocka_unit_test_setup_teardown(counter_reset_counts_from_zero, setup, teardown),
            cmocka_unit_test_setup_teardown(retention_keeps_what_is_not_rolled_up, setup, teardown),
            cmocka_unit_test_setup_teardown(report_covers_every_tier_and_deleted_groups, setup, teardown),
            cmocka_unit_test_setup_teardown(events_and_ledger_round_trip, setup, teardown),
        };
        return cmocka_run_group_tests(tests, NULL, NULL);
}
