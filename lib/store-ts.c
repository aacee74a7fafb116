/* The accounting tables (schema/005-accounting.sql). The SQL that reads them is generated
 * once per connection from the CgStat table, so a value added to cg-stats.c is stored,
 * rolled up and reported without a second list to keep in step (test-store-ts checks that
 * the schema has every column). */
#include "store-ts.h"

#include <inttypes.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "cg-util.h"

#define MINUTE_USEC (UINT64_C(60) * 1000000)
#define HOUR_USEC   (60 * MINUTE_USEC)
#define DAY_USEC    (24 * HOUR_USEC)

/* How much one tsdb_rollup() call rolls up, per tier, and how much raw data one
 * tsdb_retain() call deletes: small enough that a sweep's transaction stays short. */
static const uint64_t rollup_chunk_usec[_TS_TIER_COUNT] = {0, 60 * MINUTE_USEC, 24 * HOUR_USEC, 7 * DAY_USEC};
#define RETAIN_CHUNK_USEC (10 * MINUTE_USEC)

typedef enum Stmt {
        S_BEGIN,
        S_COMMIT,
        S_ROLLBACK,
        S_SERIES_FIND,
        S_SERIES_NEW,
        S_SERIES_END,
        S_SERIES_KNOWN,
        S_SAMPLE,
        S_STATE_GET,
        S_STATE_SET,
        S_ROLLUP_1M,
        S_ROLLUP_1H,
        S_ROLLUP_1D,
        S_FIRST_RAW,
        S_FIRST_1M,
        S_FIRST_1H,
        S_FIRST_1D,
        S_USAGE_RAW,
        S_USAGE_1M,
        S_USAGE_1H,
        S_USAGE_1D,
        S_REPORT, /* + tier * 8 + TsPeriod * 2 + has_group */
        S_SERIES_ALL = S_REPORT + _TS_TIER_COUNT * 8,
        S_SERIES_FROZEN,
        S_LEDGER_PUT,
        S_LEDGER_LIST,
        S_EVENT_PUT,
        S_EVENTS,
        S_EVENTS_LAST,
        _S_COUNT,
} Stmt;

struct Tsdb {
        sqlite3 *db;
        sqlite3_stmt *st[_S_COUNT];
        uint64_t lookback_usec; /* how far back a raw read looks for the sample before its first */
};

static const char *const tier_names[_TS_TIER_COUNT] = {"raw", "1m", "1h", "1d"};
static const char *const tier_tables[_TS_TIER_COUNT] = {"samples", "usage_1m", "usage_1h", "usage_1d"};
static const uint64_t tier_widths[_TS_TIER_COUNT] = {0, MINUTE_USEC, HOUR_USEC, DAY_USEC};

const char *ts_tier_name(TsTier t) {
        return tier_names[t];
}

uint64_t ts_tier_width_usec(TsTier t) {
        return tier_widths[t];
}

/* ---- errors ---- */

static int errno_of(sqlite3 *db, int rc) {
        switch (rc & 0xff) {
        case SQLITE_OK:
        case SQLITE_DONE:
        case SQLITE_ROW: return 0;
        case SQLITE_CONSTRAINT: return -EINVAL;
        case SQLITE_NOMEM: return -ENOMEM;
        case SQLITE_BUSY:
        case SQLITE_LOCKED: return -EBUSY;
        case SQLITE_READONLY:
        case SQLITE_PERM: return -EACCES;
        case SQLITE_FULL: return -ENOSPC;
        default: fprintf(stderr, "cgwarden: sqlite (accounting): %s\n", sqlite3_errmsg(db)); return -EIO;
        }
}

static void resetp(sqlite3_stmt **st) {
        if (*st) {
                sqlite3_reset(*st);
                sqlite3_clear_bindings(*st);
        }
}
#define _cleanup_reset_ _cleanup_(resetp) _unused_

/* ---- the SQL, generated from the CgStat table ---- */

/* frozen_usec is the sampler's own counter, stored beside the kernel's. */
#define FROZEN_COL "frozen_usec"

static bool is_counter(CgStat s) {
        return cg_stat_is_counter(s);
}

/* Which values a statement carries: all, or the few a report sums (narrow rows sort fast). */
#define ALL_STATS ((UINT32_C(1) << _CG_STAT_COUNT) - 1)
#define REPORT_STATS                                                                                 \
        (1u << CG_STAT_CPU_USAGE_USEC | 1u << CG_STAT_CPU_THROTTLED_USEC | 1u << CG_STAT_MEM_USAGE | \
         1u << CG_STAT_OOM_KILLS | 1u << CG_STAT_IO_READ_BYTES | 1u << CG_STAT_IO_WRITE_BYTES)
#define IN(mask, s) ((mask) & (1u << (s)))

/* "col, col, …, frozen_usec" of the samples table's value columns in mask. */
static void raw_columns(FILE *f, uint32_t mask) {
        for (CgStat s = 0; s < _CG_STAT_COUNT; s++)
                if (IN(mask, s))
                        fprintf(f, "%s, ", cg_stat_column(s));
        fputs(FROZEN_COL, f);
}

/* "counter, …, frozen_usec, g_min, g_avg, g_max, …" of a rollup table's columns in mask. */
static void rollup_columns(FILE *f, uint32_t mask) {
        for (CgStat s = 0; s < _CG_STAT_COUNT; s++)
                if (is_counter(s) && IN(mask, s))
                        fprintf(f, "%s, ", cg_stat_column(s));
        fputs(FROZEN_COL, f);
        for (CgStat s = 0; s < _CG_STAT_COUNT; s++)
                if (!is_counter(s) && IN(mask, s))
                        fprintf(f, ", %s_min, %s_avg, %s_max", cg_stat_column(s), cg_stat_column(s), cg_stat_column(s));
}

/* The increase of counter c at a raw sample: the step from the sample before it, or the
 * value itself after a reset (the kernel counts a recreated group from zero). */
static void increase(FILE *f, const char *c) {
        fprintf(f, "CASE WHEN p_%s IS NULL THEN 0 WHEN %s >= p_%s THEN %s - p_%s ELSE %s END AS %s", c, c, c, c, c, c,
                c);
}

/* SELECT series, ts, n, <increases>, <gauge min/avg/max> over [:loX, :hiX) of a tier, in
 * the shape of a rollup row whatever the tier. For raw rows the increases come from the
 * sample before each (LAG), looked for as far back as :lookback. */
static void tier_select(FILE *f, TsTier t, const char *x, bool by_group, uint32_t mask) {
        /* :g is one group name or several separated by commas (names never hold one). */
        const char *filter =
            by_group
                ? " AND series IN (SELECT id FROM series WHERE instr(',' || :g || ',', ',' || group_name || ',') > 0)"
                : "";
        if (t != TS_RAW) {
                fputs("SELECT series, ts, n, ", f);
                rollup_columns(f, mask);
                fprintf(f, " FROM %s WHERE ts >= :lo%s AND ts < :hi%s%s", tier_tables[t], x, x, filter);
                return;
        }
        fputs("SELECT series, ts, 1 AS n", f);
        for (CgStat s = 0; s < _CG_STAT_COUNT; s++)
                if (is_counter(s) && IN(mask, s)) {
                        fputs(", ", f);
                        increase(f, cg_stat_column(s));
                }
        fputs(", ", f);
        increase(f, FROZEN_COL);
        for (CgStat s = 0; s < _CG_STAT_COUNT; s++)
                if (!is_counter(s) && IN(mask, s))
                        fprintf(f, ", %s AS %s_min, %s AS %s_avg, %s AS %s_max", cg_stat_column(s), cg_stat_column(s),
                                cg_stat_column(s), cg_stat_column(s), cg_stat_column(s), cg_stat_column(s));
        fputs(" FROM (SELECT series, ts, ", f);
        raw_columns(f, mask);
        for (CgStat s = 0; s < _CG_STAT_COUNT; s++)
                if (is_counter(s) && IN(mask, s))
                        fprintf(f, ", LAG(%s) OVER w AS p_%s", cg_stat_column(s), cg_stat_column(s));
        fprintf(f, ", LAG(%s) OVER w AS p_%s", FROZEN_COL, FROZEN_COL);
        fprintf(f,
                " FROM samples WHERE ts >= :lo%s - :lookback AND ts < :hi%s%s"
                " WINDOW w AS (PARTITION BY series ORDER BY ts)) WHERE ts >= :lo%s",
                x, x, filter, x);
}

/* The aggregates over rollup-shaped rows: n, counters summed, gauges min, weighted mean, max.
 * Columns come out in TsPoint order: n, counters, frozen, then gauges (min, avg, max). */
static void aggregates(FILE *f) {
        fputs("SUM(n)", f);
        for (CgStat s = 0; s < _CG_STAT_COUNT; s++)
                if (is_counter(s))
                        fprintf(f, ", SUM(%s)", cg_stat_column(s));
        fprintf(f, ", SUM(%s)", FROZEN_COL);
        for (CgStat s = 0; s < _CG_STAT_COUNT; s++)
                if (!is_counter(s)) {
                        const char *c = cg_stat_column(s);
                        /* The mean of means weighted by their samples; a birth row has no gauges. */
                        fprintf(f,
                                ", MIN(%s_min), CAST(TOTAL(%s_avg * n) / TOTAL(CASE WHEN %s_avg IS NOT NULL THEN n "
                                "END) AS INTEGER), MAX(%s_max)",
                                c, c, c, c);
                }
}

typedef char *(*SqlBuilder)(int arg);

static char *build(void (*fn)(FILE *, int), int arg) {
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f)
                return NULL;
        fn(f, arg);
        if (fclose(f) != 0) {
                free(buf);
                return NULL;
        }
        return buf;
}

static void sql_sample(FILE *f, int unused) {
        fputs("INSERT OR REPLACE INTO samples (series, ts, ", f);
        raw_columns(f, ALL_STATS);
        fputs(") VALUES (?, ?", f);
        for (CgStat s = 0; s <= _CG_STAT_COUNT; s++)
                fputs(", ?", f);
        fputc(')', f);
}

/* INSERT OR REPLACE INTO <tier> the buckets of [:lo, :hi) of the tier below it. */
static void sql_rollup(FILE *f, int tier) {
        fprintf(f, "INSERT OR REPLACE INTO %s (series, ts, n, ", tier_tables[tier]);
        rollup_columns(f, ALL_STATS);
        fputs(") SELECT series, (ts / :w) * :w, ", f);
        aggregates(f);
        fputs(" FROM (", f);
        tier_select(f, (TsTier)(tier - 1), "", false, ALL_STATS);
        fputs(") GROUP BY series, ts / :w", f);
}

static void sql_usage(FILE *f, int tier) {
        fputs("SELECT (ts / :step) * :step AS b, ", f);
        aggregates(f);
        fputs(" FROM (", f);
        tier_select(f, (TsTier)tier, "", true, ALL_STATS);
        fputs(") GROUP BY b ORDER BY b", f);
}

/* The period a row's ts falls in, in UTC. */
static const char *period_expr(TsPeriod by) {
        switch (by) {
        case TS_BY_DAY: return "(u.ts / 86400000000) * 86400000000";
        /* Day 0 (1970-01-01) was a Thursday: Monday-based weeks start 3 days before it. */
        case TS_BY_WEEK: return "(((u.ts / 86400000000) + 3) / 7 * 7 - 3) * 86400000000";
        case TS_BY_MONTH:
                return "CAST(strftime('%s', u.ts / 1000000, 'unixepoch', 'start of month') AS INTEGER) * 1000000";
        default: return ":from";
        }
}

/* One part of a report: per series and period, the report's sums over [:lo, :hi) of one
 * tier. key = tier * 8 + period * 2 + by_group. Columns: series, period, n, cpu, throttled,
 * oom kills, io read, io write, frozen, TOTAL(memory mean × n), its n, memory max. */
static void sql_report(FILE *f, int key) {
        TsTier tier = (TsTier)(key / 8);
        TsPeriod by = (TsPeriod)(key / 2 % 4);
        fprintf(f,
                "SELECT series, %s AS period, SUM(n), SUM(cpu_usage_usec), SUM(cpu_throttled_usec), "
                "SUM(memory_oom_kills), SUM(io_read_bytes), SUM(io_write_bytes), SUM(frozen_usec), "
                "TOTAL(memory_usage_avg * n), TOTAL(CASE WHEN memory_usage_avg IS NOT NULL THEN n END), "
                "MAX(memory_usage_max) FROM (",
                period_expr(by));
        tier_select(f, tier, "", key % 2, REPORT_STATS);
        fputs(") u GROUP BY series, period", f);
}

static void sql_first(FILE *f, int tier) {
        fprintf(f, "SELECT MIN(ts) FROM %s WHERE ts >= ?1", tier_tables[tier]);
}

static const char *const fixed_sql[_S_COUNT] = {
    [S_BEGIN] = "BEGIN IMMEDIATE",
    [S_COMMIT] = "COMMIT",
    [S_ROLLBACK] = "ROLLBACK",
    [S_SERIES_FIND] = "SELECT id, frozen_usec FROM series WHERE group_name = ?1 AND ended_usec IS NULL",
    [S_SERIES_NEW] = "INSERT INTO series (group_name, started_usec) VALUES (?1, ?2)",
    [S_SERIES_END] = "UPDATE series SET ended_usec = ?2 WHERE id = ?1 AND ended_usec IS NULL",
    [S_SERIES_ALL] = "SELECT id, group_name, COALESCE(ended_usec, 0) FROM series ORDER BY id",
    [S_SERIES_FROZEN] = "UPDATE series SET frozen_usec = ?2 WHERE id = ?1",
    [S_SERIES_KNOWN] = "SELECT 1 FROM series WHERE group_name = ?1 LIMIT 1",
    [S_STATE_GET] = "SELECT done_usec FROM rollup_state WHERE tier = ?1",
    [S_STATE_SET] = "INSERT OR REPLACE INTO rollup_state (tier, done_usec) VALUES (?1, ?2)",
    [S_LEDGER_PUT] = "INSERT INTO ledger (kind, group_name, process_id, started_usec, ended_usec, cpu_usec, "
                     "memory_peak, io_read_bytes, io_write_bytes, oom_kills, frozen_usec, detail) "
                     "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    [S_LEDGER_LIST] = "SELECT id, kind, group_name, process_id, started_usec, ended_usec, cpu_usec, memory_peak, "
                      "io_read_bytes, io_write_bytes, oom_kills, frozen_usec, detail FROM ledger "
                      "WHERE ended_usec >= ?1 AND started_usec < ?2 AND (?3 IS NULL OR group_name = ?3) ORDER BY id",
    [S_EVENT_PUT] = "INSERT INTO events (ts, type, group_name, details) VALUES (?1, ?2, ?3, ?4)",
    [S_EVENTS] = "SELECT id, ts, type, group_name, details FROM events WHERE id > ?1 AND ts >= ?2 "
                 "AND (?3 IS NULL OR group_name = ?3) AND (?4 IS NULL OR type = ?4) ORDER BY id LIMIT ?5",
    [S_EVENTS_LAST] = "SELECT COALESCE(MAX(id), 0) FROM events",
};

static char *sql_of(Stmt which) {
        if (fixed_sql[which])
                return strdup(fixed_sql[which]);
        if (which == S_SAMPLE)
                return build(sql_sample, 0);
        if (which >= S_ROLLUP_1M && which <= S_ROLLUP_1D)
                return build(sql_rollup, TS_1M + (int)(which - S_ROLLUP_1M));
        if (which >= S_FIRST_RAW && which <= S_FIRST_1D)
                return build(sql_first, (int)(which - S_FIRST_RAW));
        if (which >= S_USAGE_RAW && which <= S_USAGE_1D)
                return build(sql_usage, (int)(which - S_USAGE_RAW));
        if (which >= S_REPORT && which < S_REPORT + _TS_TIER_COUNT * 8)
                return build(sql_report, (int)(which - S_REPORT));
        return NULL;
}

/* A statement, prepared on first use and kept. */
static int stmt(Tsdb *t, Stmt which, sqlite3_stmt **ret) {
        if (!t->st[which]) {
                _cleanup_free_ char *sql = sql_of(which);
                if (!sql)
                        return -ENOMEM;
                int rc = sqlite3_prepare_v3(t->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &t->st[which], NULL);
                if (rc != SQLITE_OK)
                        return errno_of(t->db, rc);
        }
        *ret = t->st[which];
        return 0;
}

/* Runs a statement that returns no rows. */
static int run(Tsdb *t, sqlite3_stmt *st) {
        int rc = sqlite3_step(st);
        int r = rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : errno_of(t->db, rc);
        sqlite3_reset(st);
        sqlite3_clear_bindings(st);
        return r;
}

static void bind_named(sqlite3_stmt *st, const char *name, int64_t v) {
        int i = sqlite3_bind_parameter_index(st, name);
        if (i > 0)
                sqlite3_bind_int64(st, i, v);
}

/* Values above INT64_MAX ("max") are stored as INT64_MAX, which orders and averages sanely. */
static int64_t i64(uint64_t v) {
        return v > INT64_MAX ? INT64_MAX : (int64_t)v;
}

static uint64_t u64_of(sqlite3_stmt *st, int col) {
        int64_t v = sqlite3_column_int64(st, col);
        return v < 0 ? 0 : v == INT64_MAX ? UINT64_MAX : (uint64_t)v;
}

/* ---- open, transactions ---- */

int tsdb_open(const char *path, Tsdb **ret, CgError *err) {
        Tsdb *t = calloc(1, sizeof *t);
        if (!t)
                return -ENOMEM;
        int rc = sqlite3_open_v2(path, &t->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
        char *msg = NULL;
        if (rc == SQLITE_OK) {
                sqlite3_busy_timeout(t->db, 5000);
                t->lookback_usec = 10 * MINUTE_USEC;
                /* NORMAL: in WAL mode a crash can lose the last transactions, not corrupt. */
                rc = sqlite3_exec(t->db, "PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;", NULL, NULL, &msg);
        }
        if (rc != SQLITE_OK) {
                int r = cg_error_set(err, errno_of(t->db, rc), "store_error", NULL,
                                     "cannot open the accounting database: %s", msg ? msg : sqlite3_errmsg(t->db));
                sqlite3_free(msg);
                tsdb_close(t);
                return r;
        }
        *ret = t;
        return 0;
}

void tsdb_close(Tsdb *t) {
        if (!t)
                return;
        for (size_t i = 0; i < _S_COUNT; i++)
                sqlite3_finalize(t->st[i]);
        sqlite3_close(t->db);
        free(t);
}

static int simple(Tsdb *t, Stmt which) {
        sqlite3_stmt *st = NULL;
        int r = stmt(t, which, &st);
        return r < 0 ? r : run(t, st);
}

int tsdb_begin(Tsdb *t) {
        return simple(t, S_BEGIN);
}

int tsdb_commit(Tsdb *t) {
        return simple(t, S_COMMIT);
}

void tsdb_rollback(Tsdb *t) {
        if (!sqlite3_get_autocommit(t->db))
                (void)simple(t, S_ROLLBACK);
}

/* ---- series and samples ---- */

int tsdb_series_open(Tsdb *t, const char *group, uint64_t now_usec, int64_t *ret_id, bool *ret_created,
                     uint64_t *ret_frozen_usec) {
        sqlite3_stmt *st = NULL;
        int r = stmt(t, S_SERIES_FIND, &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, group, -1, SQLITE_STATIC);
        *ret_frozen_usec = 0;
        if (sqlite3_step(st) == SQLITE_ROW) {
                *ret_id = sqlite3_column_int64(st, 0);
                *ret_frozen_usec = u64_of(st, 1);
                *ret_created = false;
                return run(t, st);
        }
        r = run(t, st);
        if (r < 0)
                return r;
        r = stmt(t, S_SERIES_NEW, &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, group, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, i64(now_usec));
        r = run(t, st);
        if (r < 0)
                return r;
        *ret_id = sqlite3_last_insert_rowid(t->db);
        *ret_created = true;
        return 0;
}

int tsdb_series_end(Tsdb *t, int64_t id, uint64_t ended_usec) {
        sqlite3_stmt *st = NULL;
        int r = stmt(t, S_SERIES_END, &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, i64(ended_usec));
        return run(t, st);
}

int tsdb_series_known(Tsdb *t, const char *group) {
        sqlite3_stmt *st = NULL;
        int r = stmt(t, S_SERIES_KNOWN, &st);
        if (r < 0)
                return r;
        _cleanup_reset_ sqlite3_stmt *guard = st;
        sqlite3_bind_text(st, 1, group, -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : errno_of(t->db, rc);
}

int tsdb_series_frozen(Tsdb *t, int64_t id, uint64_t frozen_usec) {
        sqlite3_stmt *st = NULL;
        int r = stmt(t, S_SERIES_FROZEN, &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, id);
        sqlite3_bind_int64(st, 2, i64(frozen_usec));
        return run(t, st);
}

void tsdb_set_lookback(Tsdb *t, uint64_t usec) {
        t->lookback_usec = usec;
}

int tsdb_sample_put(Tsdb *t, int64_t series, uint64_t ts, const CgStats *s, uint64_t frozen_usec) {
        sqlite3_stmt *st = NULL;
        int r = stmt(t, S_SAMPLE, &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, series);
        sqlite3_bind_int64(st, 2, i64(ts));
        for (CgStat k = 0; k < _CG_STAT_COUNT; k++)
                if (s->have & (1u << k))
                        sqlite3_bind_int64(st, 3 + (int)k, i64(s->v[k]));
        sqlite3_bind_int64(st, 3 + _CG_STAT_COUNT, i64(frozen_usec));
        return run(t, st);
}

int tsdb_birth_put(Tsdb *t, int64_t series, uint64_t ts, uint32_t have) {
        CgStats zero = {0};
        for (CgStat k = 0; k < _CG_STAT_COUNT; k++)
                if (cg_stat_is_counter(k) && (have & (1u << k)))
                        zero.have |= 1u << k;
        return tsdb_sample_put(t, series, ts, &zero, 0);
}

/* ---- rollups and retention ---- */

static int state_get(Tsdb *t, TsTier tier, uint64_t *ret) {
        sqlite3_stmt *st = NULL;
        int r = stmt(t, S_STATE_GET, &st);
        if (r < 0)
                return r;
        _cleanup_reset_ sqlite3_stmt *guard = st;
        sqlite3_bind_text(st, 1, tier_names[tier], -1, SQLITE_STATIC);
        int rc = sqlite3_step(st);
        *ret = rc == SQLITE_ROW ? u64_of(st, 0) : 0;
        return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : errno_of(t->db, rc);
}

static int state_set(Tsdb *t, TsTier tier, uint64_t done) {
        sqlite3_stmt *st = NULL;
        int r = stmt(t, S_STATE_SET, &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, tier_names[tier], -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 2, i64(done));
        return run(t, st);
}

int tsdb_rolled_up_to(Tsdb *t, TsTier tier, uint64_t *ret_usec) {
        if (tier == TS_RAW) {
                *ret_usec = UINT64_MAX;
                return 0;
        }
        return state_get(t, tier, ret_usec);
}

/* The first row of tier at or after from, or -ENOENT. */
static int first_row(Tsdb *t, TsTier tier, uint64_t from, uint64_t *ret) {
        sqlite3_stmt *st = NULL;
        int r = stmt(t, (Stmt)(S_FIRST_RAW + tier), &st);
        if (r < 0)
                return r;
        _cleanup_reset_ sqlite3_stmt *guard = st;
        sqlite3_bind_int64(st, 1, i64(from));
        int rc = sqlite3_step(st);
        if (rc != SQLITE_ROW)
                return errno_of(t->db, rc);
        if (sqlite3_column_type(st, 0) == SQLITE_NULL)
                return -ENOENT;
        *ret = u64_of(st, 0);
        return 0;
}

static uint64_t floor_to(uint64_t v, uint64_t w) {
        return v / w * w;
}

/* Rolls tier up from the tier below, as far as `limit` (exclusive, bucket-aligned). */
static int rollup_tier(Tsdb *t, TsTier tier, uint64_t limit, uint64_t lookback) {
        uint64_t w = tier_widths[tier], done, first;
        int r = state_get(t, tier, &done);
        if (r < 0)
                return r;
        /* Skip what has no rows at all (a fresh database, or the daemon was down). */
        r = first_row(t, (TsTier)(tier - 1), done, &first);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        uint64_t lo = floor_to(first, w) > done ? floor_to(first, w) : done;
        uint64_t hi = lo + rollup_chunk_usec[tier] < limit ? lo + rollup_chunk_usec[tier] : limit;
        if (hi <= lo)
                return 0;
        sqlite3_stmt *st = NULL;
        r = stmt(t, (Stmt)(S_ROLLUP_1M + tier - TS_1M), &st);
        if (r < 0)
                return r;
        bind_named(st, ":lo", i64(lo));
        bind_named(st, ":hi", i64(hi));
        bind_named(st, ":w", i64(w));
        bind_named(st, ":lookback", i64(lookback));
        r = run(t, st);
        if (r < 0)
                return r;
        r = state_set(t, tier, hi);
        return r < 0 ? r : (int)((hi - lo) / w);
}

int tsdb_rollup(Tsdb *t, uint64_t now_usec, uint64_t lookback_usec) {
        int total = 0;
        uint64_t limit = floor_to(now_usec, MINUTE_USEC);
        for (TsTier tier = TS_1M; tier < _TS_TIER_COUNT; tier++) {
                int r = rollup_tier(t, tier, limit, lookback_usec);
                if (r < 0)
                        return r;
                total += r;
                /* The next tier may go only as far as this one is complete. */
                r = state_get(t, tier, &limit);
                if (r < 0)
                        return r;
                limit = floor_to(limit, tier + 1 < _TS_TIER_COUNT ? tier_widths[tier + 1] : 1);
        }
        return total;
}

int tsdb_retain(Tsdb *t, uint64_t now_usec, const TsRetention *keep) {
        int total = 0;
        for (TsTier tier = TS_RAW; tier < _TS_TIER_COUNT; tier++) {
                uint64_t cut, oldest, done = UINT64_MAX;
                if (!keep->keep_usec[tier] || keep->keep_usec[tier] >= now_usec)
                        continue;
                cut = now_usec - keep->keep_usec[tier];
                /* Never drop what the next tier has not taken in. */
                if (tier + 1 < _TS_TIER_COUNT) {
                        int r = state_get(t, (TsTier)(tier + 1), &done);
                        if (r < 0)
                                return r;
                }
                if (first_row(t, tier, 0, &oldest) < 0)
                        continue;
                if (cut > done)
                        cut = done;
                if (cut > oldest + RETAIN_CHUNK_USEC * (tier == TS_RAW ? 1 : 60))
                        cut = oldest + RETAIN_CHUNK_USEC * (tier == TS_RAW ? 1 : 60);
                if (cut <= oldest)
                        continue;
                char sql[96];
                snprintf(sql, sizeof sql, "DELETE FROM %s WHERE ts < %" PRId64, tier_tables[tier], i64(cut));
                char *msg = NULL;
                int rc = sqlite3_exec(t->db, sql, NULL, NULL, &msg);
                sqlite3_free(msg);
                if (rc != SQLITE_OK)
                        return errno_of(t->db, rc);
                total += sqlite3_changes(t->db);
        }
        static const struct { const char *table, *column; } others[] = {{"events", "ts"}, {"ledger", "ended_usec"}};
        for (size_t i = 0; i < ELEMENTSOF(others); i++) {
                uint64_t k = i == 0 ? keep->events_usec : keep->ledger_usec;
                if (!k || k >= now_usec)
                        continue;
                char sql[128];
                snprintf(sql, sizeof sql, "DELETE FROM %s WHERE %s < %" PRId64, others[i].table, others[i].column,
                         i64(now_usec - k));
                if (sqlite3_exec(t->db, sql, NULL, NULL, NULL) != SQLITE_OK)
                        return errno_of(t->db, sqlite3_errcode(t->db));
                total += sqlite3_changes(t->db);
        }
        return total;
}

/* ---- reading usage ---- */

/* Fills p from columns first.. in aggregates() order. */
static void point_of(sqlite3_stmt *st, int first, TsPoint *p) {
        int c = first;
        p->n = u64_of(st, c++);
        for (CgStat s = 0; s < _CG_STAT_COUNT; s++) {
                if (!is_counter(s))
                        continue;
                if (sqlite3_column_type(st, c) != SQLITE_NULL) {
                        p->inc[s] = u64_of(st, c);
                        p->have |= 1u << s;
                }
                c++;
        }
        p->frozen_usec = u64_of(st, c++);
        for (CgStat s = 0; s < _CG_STAT_COUNT; s++) {
                if (is_counter(s))
                        continue;
                if (sqlite3_column_type(st, c + 1) != SQLITE_NULL) {
                        p->min[s] = u64_of(st, c);
                        p->avg[s] = u64_of(st, c + 1);
                        p->max[s] = u64_of(st, c + 2);
                        p->have |= 1u << s;
                }
                c += 3;
        }
}

/* Steps st to the end, appending one element of `size` per row through fill. */
static int collect(Tsdb *t, sqlite3_stmt *st, size_t size, void (*fill)(sqlite3_stmt *, void *), void **ret,
                   size_t *ret_n) {
        _cleanup_reset_ sqlite3_stmt *guard = st;
        char *v = NULL;
        size_t n = 0, cap = 0;
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (n == cap) {
                        cap = cap ? cap * 2 : 16;
                        char *nv = realloc(v, cap * size);
                        if (!nv) {
                                free(v);
                                return -ENOMEM;
                        }
                        v = nv;
                }
                memset(v + n * size, 0, size);
                fill(st, v + n * size);
                n++;
        }
        if (rc != SQLITE_DONE) {
                free(v);
                return errno_of(t->db, rc);
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

static void fill_point(sqlite3_stmt *st, void *out) {
        TsPoint *p = out;
        p->ts = u64_of(st, 0);
        point_of(st, 1, p);
}

int tsdb_usage(Tsdb *t, const char *group, TsTier tier, uint64_t from_usec, uint64_t to_usec, uint64_t step_usec,
               TsPoint **ret, size_t *ret_n) {
        sqlite3_stmt *st = NULL;
        if (step_usec == 0)
                return -EINVAL;
        int r = stmt(t, (Stmt)(S_USAGE_RAW + tier), &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":g"), group, -1, SQLITE_STATIC);
        bind_named(st, ":lo", i64(from_usec));
        bind_named(st, ":hi", i64(to_usec));
        bind_named(st, ":step", i64(step_usec));
        bind_named(st, ":lookback", i64(t->lookback_usec));
        return collect(t, st, sizeof **ret, fill_point, (void **)ret, ret_n);
}

static uint64_t ceil_to(uint64_t v, uint64_t w) {
        return (v + w - 1) / w * w;
}

static uint64_t clamp(uint64_t v, uint64_t lo, uint64_t hi) {
        return v < lo ? lo : v > hi ? hi : v;
}

/* A report part's row, before series become group names and parts are merged. */
typedef struct Part {
        int64_t series;
        TsReportRow row;
        double mem_sum, mem_n; /* the weighted mean, kept as its two sums until merged */
} Part;

static void fill_part(sqlite3_stmt *st, void *out) {
        static const CgStat sums[] = {CG_STAT_CPU_USAGE_USEC, CG_STAT_CPU_THROTTLED_USEC, CG_STAT_OOM_KILLS,
                                      CG_STAT_IO_READ_BYTES, CG_STAT_IO_WRITE_BYTES};
        Part *p = out;
        TsPoint *u = &p->row.use;
        p->series = sqlite3_column_int64(st, 0);
        p->row.period_usec = u->ts = u64_of(st, 1);
        u->n = u64_of(st, 2);
        for (size_t i = 0; i < ELEMENTSOF(sums); i++)
                if (sqlite3_column_type(st, 3 + (int)i) != SQLITE_NULL) {
                        u->inc[sums[i]] = u64_of(st, 3 + (int)i);
                        u->have |= 1u << sums[i];
                }
        u->frozen_usec = u64_of(st, 8);
        p->mem_sum = sqlite3_column_double(st, 9);
        p->mem_n = sqlite3_column_double(st, 10);
        if (sqlite3_column_type(st, 11) != SQLITE_NULL) {
                u->max[CG_STAT_MEM_USAGE] = u64_of(st, 11);
                u->have |= 1u << CG_STAT_MEM_USAGE;
        }
}

typedef struct SeriesName {
        int64_t id;
        char group[CG_NAME_BUF];
        uint64_t ended_usec;
} SeriesName;

static void fill_series(sqlite3_stmt *st, void *out) {
        SeriesName *s = out;
        s->id = sqlite3_column_int64(st, 0);
        snprintf(s->group, sizeof s->group, "%s", (const char *)sqlite3_column_text(st, 1));
        s->ended_usec = u64_of(st, 2);
}

static int by_id(const void *a, const void *b) {
        int64_t x = ((const SeriesName *)a)->id, y = ((const SeriesName *)b)->id;
        return (x > y) - (x < y);
}

static int by_group_period(const void *a, const void *b) {
        const Part *x = a, *y = b;
        int c = strcmp(x->row.group, y->row.group);
        return c ? c : (x->row.period_usec > y->row.period_usec) - (x->row.period_usec < y->row.period_usec);
}

/* Adds part q into p (same group and period): sums, maxima, and the group's end, which is
 * none while any of its series lives. */
static void merge(Part *p, const Part *q) {
        TsPoint *u = &p->row.use;
        const TsPoint *v = &q->row.use;
        u->n += v->n;
        for (CgStat k = 0; k < _CG_STAT_COUNT; k++)
                u->inc[k] += v->inc[k];
        if (v->max[CG_STAT_MEM_USAGE] > u->max[CG_STAT_MEM_USAGE])
                u->max[CG_STAT_MEM_USAGE] = v->max[CG_STAT_MEM_USAGE];
        u->frozen_usec += v->frozen_usec;
        u->have |= v->have;
        p->mem_sum += q->mem_sum;
        p->mem_n += q->mem_n;
        if (!q->row.ended_usec || !p->row.ended_usec)
                p->row.ended_usec = 0;
        else if (q->row.ended_usec > p->row.ended_usec)
                p->row.ended_usec = q->row.ended_usec;
}

/* Runs one part and appends its rows to *parts. */
static int report_part(Tsdb *t, TsTier tier, TsPeriod by, const char *group, uint64_t from, uint64_t lo, uint64_t hi,
                       Part **parts, size_t *n) {
        sqlite3_stmt *st = NULL;
        Part *v = NULL;
        size_t k = 0;
        if (hi <= lo)
                return 0;
        int r = stmt(t, (Stmt)(S_REPORT + (int)tier * 8 + (int)by * 2 + (group != NULL)), &st);
        if (r < 0)
                return r;
        bind_named(st, ":lo", i64(lo));
        bind_named(st, ":hi", i64(hi));
        bind_named(st, ":from", i64(from));
        bind_named(st, ":lookback", i64(t->lookback_usec));
        if (group)
                sqlite3_bind_text(st, sqlite3_bind_parameter_index(st, ":g"), group, -1, SQLITE_STATIC);
        r = collect(t, st, sizeof *v, fill_part, (void **)&v, &k);
        if (r < 0)
                return r;
        Part *all = realloc(*parts, (*n + k + 1) * sizeof *all);
        if (!all) {
                free(v);
                return -ENOMEM;
        }
        if (k)
                memcpy(all + *n, v, k * sizeof *v);
        free(v);
        *parts = all;
        *n += k;
        return 0;
}

int tsdb_report(Tsdb *t, uint64_t from_usec, uint64_t to_usec, const char *group, TsPeriod by, TsReportRow **ret,
                size_t *ret_n) {
        uint64_t done[_TS_TIER_COUNT];
        for (TsTier tier = TS_1M; tier < _TS_TIER_COUNT; tier++) {
                int r = state_get(t, tier, &done[tier]);
                if (r < 0)
                        return r;
        }
        /* The range, from its start rounded down to the hour, in five pieces that tile it:
         *   1h [f, a) · 1d [a, b) · 1h [b, c) · 1m [c, e) · raw [e, to)
         * each as far as its tier is rolled up; a piece a tier cannot fill is empty and the
         * finer tiers after it take over from where the last one stopped. Each piece is one
         * narrow query grouped by series; they are merged here. */
        uint64_t f = floor_to(from_usec, HOUR_USEC), to = to_usec > f ? to_usec : f;
        uint64_t a = clamp(ceil_to(f, DAY_USEC), f, to);
        uint64_t b = clamp(floor_to(done[TS_1D] < to ? done[TS_1D] : to, DAY_USEC), a, to);
        if (b == a) /* no whole day rolled up: the hours run from f */
                a = b = f;
        uint64_t c = clamp(floor_to(done[TS_1H] < to ? done[TS_1H] : to, HOUR_USEC), b, to);
        uint64_t e = clamp(floor_to(done[TS_1M] < to ? done[TS_1M] : to, MINUTE_USEC), c, to);
        const struct {
                TsTier tier;
                uint64_t lo, hi;
        } pieces[] = {{TS_1H, f, a}, {TS_1D, a, b}, {TS_1H, b, c}, {TS_1M, c, e}, {TS_RAW, e, to}};
        Part *parts = NULL;
        size_t n = 0;
        int r = 0;
        for (size_t i = 0; i < ELEMENTSOF(pieces) && r >= 0; i++)
                r = report_part(t, pieces[i].tier, by, group, from_usec, pieces[i].lo, pieces[i].hi, &parts, &n);
        SeriesName *names = NULL;
        size_t nnames = 0;
        sqlite3_stmt *st = NULL;
        if (r >= 0 && (r = stmt(t, S_SERIES_ALL, &st)) >= 0)
                r = collect(t, st, sizeof *names, fill_series, (void **)&names, &nnames);
        if (r < 0) {
                free(parts);
                return r;
        }
        for (size_t i = 0; i < n; i++) {
                SeriesName key = {.id = parts[i].series};
                const SeriesName *s = nnames ? bsearch(&key, names, nnames, sizeof *names, by_id) : NULL;
                snprintf(parts[i].row.group, sizeof parts[i].row.group, "%s", s ? s->group : "");
                parts[i].row.ended_usec = s ? s->ended_usec : 0;
        }
        free(names);
        if (n)
                qsort(parts, n, sizeof *parts, by_group_period);
        TsReportRow *rows = calloc(n ? n : 1, sizeof *rows);
        size_t m = 0;
        if (!rows) {
                free(parts);
                return -ENOMEM;
        }
        for (size_t i = 0; i < n; i++) {
                if (!parts[i].row.group[0]) /* a series row gone meanwhile */
                        continue;
                size_t j = i;
                while (j + 1 < n && by_group_period(&parts[i], &parts[j + 1]) == 0)
                        merge(&parts[i], &parts[++j]);
                TsPoint *u = &parts[i].row.use;
                u->avg[CG_STAT_MEM_USAGE] = parts[i].mem_n > 0 ? (uint64_t)(parts[i].mem_sum / parts[i].mem_n) : 0;
                rows[m++] = parts[i].row;
                i = j;
        }
        free(parts);
        *ret = rows;
        *ret_n = m;
        return 0;
}

/* ---- the ledger ---- */

static void bind_stat(sqlite3_stmt *st, int i, const CgStats *s, CgStat k) {
        if (s->have & (1u << k))
                sqlite3_bind_int64(st, i, i64(s->v[k]));
}

int tsdb_ledger_put(Tsdb *t, const TsLedger *l) {
        sqlite3_stmt *st = NULL;
        int r = stmt(t, S_LEDGER_PUT, &st);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 1, l->kind, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 2, l->group, -1, SQLITE_STATIC);
        if (l->process_id)
                sqlite3_bind_int64(st, 3, l->process_id);
        sqlite3_bind_int64(st, 4, i64(l->started_usec));
        sqlite3_bind_int64(st, 5, i64(l->ended_usec));
        bind_stat(st, 6, &l->total, CG_STAT_CPU_USAGE_USEC);
        bind_stat(st, 7, &l->total, CG_STAT_MEM_PEAK);
        bind_stat(st, 8, &l->total, CG_STAT_IO_READ_BYTES);
        bind_stat(st, 9, &l->total, CG_STAT_IO_WRITE_BYTES);
        bind_stat(st, 10, &l->total, CG_STAT_OOM_KILLS);
        sqlite3_bind_int64(st, 11, i64(l->frozen_usec));
        if (l->detail)
                sqlite3_bind_text(st, 12, l->detail, -1, SQLITE_STATIC);
        return run(t, st);
}

static void column_stat(sqlite3_stmt *st, int col, CgStats *s, CgStat k) {
        if (sqlite3_column_type(st, col) == SQLITE_NULL)
                return;
        s->v[k] = u64_of(st, col);
        s->have |= 1u << k;
}

static void fill_ledger(sqlite3_stmt *st, void *out) {
        TsLedgerRow *l = out;
        const unsigned char *d = sqlite3_column_text(st, 12);
        l->id = sqlite3_column_int64(st, 0);
        snprintf(l->kind, sizeof l->kind, "%s", (const char *)sqlite3_column_text(st, 1));
        snprintf(l->group, sizeof l->group, "%s", (const char *)sqlite3_column_text(st, 2));
        l->process_id = sqlite3_column_int64(st, 3);
        l->started_usec = u64_of(st, 4);
        l->ended_usec = u64_of(st, 5);
        column_stat(st, 6, &l->total, CG_STAT_CPU_USAGE_USEC);
        column_stat(st, 7, &l->total, CG_STAT_MEM_PEAK);
        column_stat(st, 8, &l->total, CG_STAT_IO_READ_BYTES);
        column_stat(st, 9, &l->total, CG_STAT_IO_WRITE_BYTES);
        column_stat(st, 10, &l->total, CG_STAT_OOM_KILLS);
        l->frozen_usec = u64_of(st, 11);
        l->detail = d ? strdup((const char *)d) : NULL;
}

int tsdb_ledger_list(Tsdb *t, uint64_t from_usec, uint64_t to_usec, const char *group, TsLedgerRow **ret,
                     size_t *ret_n) {
        sqlite3_stmt *st = NULL;
        int r = stmt(t, S_LEDGER_LIST, &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, i64(from_usec));
        sqlite3_bind_int64(st, 2, i64(to_usec));
        if (group)
                sqlite3_bind_text(st, 3, group, -1, SQLITE_STATIC);
        return collect(t, st, sizeof **ret, fill_ledger, (void **)ret, ret_n);
}

/* ---- events ---- */

int tsdb_event_put(Tsdb *t, uint64_t ts, const char *type, const char *group, const char *details, int64_t *ret_id) {
        sqlite3_stmt *st = NULL;
        int r = stmt(t, S_EVENT_PUT, &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, i64(ts));
        sqlite3_bind_text(st, 2, type, -1, SQLITE_STATIC);
        if (group && group[0])
                sqlite3_bind_text(st, 3, group, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 4, details ? details : "{}", -1, SQLITE_STATIC);
        r = run(t, st);
        if (r >= 0 && ret_id)
                *ret_id = sqlite3_last_insert_rowid(t->db);
        return r;
}

static void fill_event(sqlite3_stmt *st, void *out) {
        TsEvent *e = out;
        const unsigned char *g = sqlite3_column_text(st, 3);
        e->id = sqlite3_column_int64(st, 0);
        e->ts = u64_of(st, 1);
        snprintf(e->type, sizeof e->type, "%s", (const char *)sqlite3_column_text(st, 2));
        snprintf(e->group, sizeof e->group, "%s", g ? (const char *)g : "");
        e->details = strdup((const char *)sqlite3_column_text(st, 4));
}

int tsdb_events(Tsdb *t, int64_t after_id, uint64_t since_usec, const char *group, const char *type, size_t limit,
                TsEvent **ret, size_t *ret_n) {
        sqlite3_stmt *st = NULL;
        int r = stmt(t, S_EVENTS, &st);
        if (r < 0)
                return r;
        sqlite3_bind_int64(st, 1, after_id);
        sqlite3_bind_int64(st, 2, i64(since_usec));
        if (group)
                sqlite3_bind_text(st, 3, group, -1, SQLITE_STATIC);
        if (type)
                sqlite3_bind_text(st, 4, type, -1, SQLITE_STATIC);
        sqlite3_bind_int64(st, 5, (int64_t)limit);
        r = collect(t, st, sizeof **ret, fill_event, (void **)ret, ret_n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < *ret_n; i++)
                if (!(*ret)[i].details) {
                        ts_events_free(*ret, *ret_n);
                        return -ENOMEM;
                }
        return 0;
}

void ts_events_free(TsEvent *v, size_t n) {
        for (size_t i = 0; v && i < n; i++)
                free(v[i].details);
        free(v);
}

int tsdb_events_last_id(Tsdb *t, int64_t *ret) {
        sqlite3_stmt *st = NULL;
        int r = stmt(t, S_EVENTS_LAST, &st);
        if (r < 0)
                return r;
        _cleanup_reset_ sqlite3_stmt *guard = st;
        int rc = sqlite3_step(st);
        if (rc != SQLITE_ROW)
                return errno_of(t->db, rc);
        *ret = sqlite3_column_int64(st, 0);
        return 0;
}
