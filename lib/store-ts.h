/* Accounting in SQLite: usage time series (raw samples, then 1-minute, 1-hour and 1-day
 * rollups), the ledger of ended groups and processes, and events. A Tsdb is one connection
 * with synchronous=NORMAL, to the database store_open() created and migrated: losing the
 * last samples in a crash is acceptable, losing desired state is not, so the two never share
 * a connection. A Tsdb is not thread-safe: one per thread, or a lock around it.
 *
 * Counters are stored as the kernel counts them. Whatever reads them (rollups, usage,
 * reports) derives increases from consecutive samples of one series: a counter below its
 * previous value means the group was recreated behind our back, and counts from zero. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cg-error.h"
#include "cg-name.h"
#include "cg-stats.h"

typedef struct Tsdb Tsdb;

typedef enum TsTier {
        TS_RAW,
        TS_1M,
        TS_1H,
        TS_1D,
        _TS_TIER_COUNT,
} TsTier;

/* "raw", "1m", "1h", "1d"; and each tier's bucket width (raw: 0). */
const char *ts_tier_name(TsTier t);
uint64_t ts_tier_width_usec(TsTier t);

typedef struct TsRetention {
        uint64_t keep_usec[_TS_TIER_COUNT]; /* 0: keep forever */
        uint64_t events_usec, ledger_usec;
} TsRetention;

int tsdb_open(const char *path, Tsdb **ret, CgError *err);
void tsdb_close(Tsdb *t);

/* A sweep is one transaction: begin, the samples, commit. */
int tsdb_begin(Tsdb *t);
int tsdb_commit(Tsdb *t);
void tsdb_rollback(Tsdb *t);

/* The open series of group, or a new one started at now_usec. *ret_created says which;
 * *ret_frozen_usec is the time frozen recorded for it (tsdb_series_frozen). */
int tsdb_series_open(Tsdb *t, const char *group, uint64_t now_usec, int64_t *ret_id, bool *ret_created,
                     uint64_t *ret_frozen_usec);
int tsdb_series_frozen(Tsdb *t, int64_t id, uint64_t frozen_usec);
/* How far back a read of raw samples looks for the sample before its first (two sampling
 * intervals and some): the first increase of a range needs it. Default 10 minutes. */
void tsdb_set_lookback(Tsdb *t, uint64_t usec);
int tsdb_series_end(Tsdb *t, int64_t id, uint64_t ended_usec);
/* 1 if any series (live or ended) has this group name, 0 if none. */
int tsdb_series_known(Tsdb *t, const char *group);

/* One sample. Values the host lacks (not in s->have) are stored as NULL. */
int tsdb_sample_put(Tsdb *t, int64_t series, uint64_t ts, const CgStats *s, uint64_t frozen_usec);
/* A group's birth: zero for each counter in `have` (what the host counts), no gauges, so
 * the first increase after it is counted in full. */
int tsdb_birth_put(Tsdb *t, int64_t series, uint64_t ts, uint32_t have);

/* Rolls up complete buckets, at most a bounded amount per call so that no call holds the
 * database for long: 1m up to before now_usec, 1h from 1m, 1d from 1h. lookback_usec is
 * how far back a bucket's first sample looks for the sample before it (two intervals).
 * Returns the number of buckets written (0 when up to date). */
int tsdb_rollup(Tsdb *t, uint64_t now_usec, uint64_t lookback_usec);
/* Deletes rows past their tier's retention, never raw or 1m rows not yet rolled up; a
 * bounded amount per call. Returns the rows deleted. */
int tsdb_retain(Tsdb *t, uint64_t now_usec, const TsRetention *keep);
/* Where each tier is rolled up to (every bucket before it is complete); 0 if nothing yet. */
int tsdb_rolled_up_to(Tsdb *t, TsTier tier, uint64_t *ret_usec);

/* A bucket of usage: for counters the increase (inc), for gauges min, mean and max over
 * its n samples. have: CgStat bits with a value. frozen_usec is counted like a counter. */
typedef struct TsPoint {
        uint64_t ts;
        uint64_t n;
        uint32_t have;
        uint64_t inc[_CG_STAT_COUNT];
        uint64_t min[_CG_STAT_COUNT], avg[_CG_STAT_COUNT], max[_CG_STAT_COUNT];
        uint64_t frozen_usec;
} TsPoint;

/* group's usage in [from, to) from one tier, in buckets of step (a multiple of the tier's
 * width; raw: any). Caller frees *ret. */
int tsdb_usage(Tsdb *t, const char *group, TsTier tier, uint64_t from_usec, uint64_t to_usec, uint64_t step_usec,
               TsPoint **ret, size_t *ret_n);

typedef enum TsPeriod {
        TS_BY_NONE, /* one row per group for the whole range */
        TS_BY_DAY,
        TS_BY_WEEK, /* ISO weeks, from Monday 00:00 UTC */
        TS_BY_MONTH,
} TsPeriod;

typedef struct TsReportRow {
        char group[CG_NAME_BUF];
        uint64_t period_usec; /* the period's start (by none: from) */
        TsPoint use;
        uint64_t ended_usec; /* the group was deleted then; 0 if it lives */
} TsReportRow;

/* Every group's usage in [from, to), deleted groups included, from the coarsest tiers that
 * cover each part of the range (1d, then 1h, 1m and raw for what is not rolled up yet).
 * group: a name, or names separated by commas; NULL: all. Rows sorted by group, then
 * period. Caller frees *ret. */
int tsdb_report(Tsdb *t, uint64_t from_usec, uint64_t to_usec, const char *group, TsPeriod by, TsReportRow **ret,
                size_t *ret_n);

typedef struct TsLedger {
        const char *kind; /* "group" or "process" */
        const char *group;
        int64_t process_id; /* 0 for a group */
        uint64_t started_usec, ended_usec;
        CgStats total; /* cpu usage, memory peak, io bytes, OOM kills: what is in have */
        uint64_t frozen_usec;
        const char *detail; /* JSON object text, or NULL */
} TsLedger;

int tsdb_ledger_put(Tsdb *t, const TsLedger *l);

typedef struct TsLedgerRow {
        int64_t id, process_id;
        char kind[8];
        char group[CG_NAME_BUF];
        uint64_t started_usec, ended_usec, frozen_usec;
        CgStats total;
        char *detail; /* owned, or NULL */
} TsLedgerRow;

/* Ledger rows whose life overlaps [from, to); group NULL: all. Caller frees each detail, then *ret. */
int tsdb_ledger_list(Tsdb *t, uint64_t from_usec, uint64_t to_usec, const char *group, TsLedgerRow **ret,
                     size_t *ret_n);

typedef struct TsEvent {
        int64_t id;
        uint64_t ts;
        char type[32];
        char group[CG_NAME_BUF]; /* "" for none */
        char *details;           /* owned JSON object text */
} TsEvent;

/* type is [a-z_]; details a JSON object's text. Fills *ret_id. */
int tsdb_event_put(Tsdb *t, uint64_t ts, const char *type, const char *group, const char *details, int64_t *ret_id);
/* Events with id > after_id and ts >= since, oldest first, at most limit; group and type
 * NULL for any. Caller frees with ts_events_free. */
int tsdb_events(Tsdb *t, int64_t after_id, uint64_t since_usec, const char *group, const char *type, size_t limit,
                TsEvent **ret, size_t *ret_n);
void ts_events_free(TsEvent *v, size_t n);
/* The newest event's id, 0 if none. */
int tsdb_events_last_id(Tsdb *t, int64_t *ret);
