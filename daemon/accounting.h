/* Accounting in the daemon: the sampler thread, events, the ledger, and reads for the API.
 * Two connections to the database, each behind its own lock: writes (sweeps, events, ledger
 * rows) on one, API reads on the other, so a report never waits for a sweep's transaction
 * and a sweep never waits for a report (SQLite's WAL lets both run at once). */
#pragma once

#include <pthread.h>
#include <stdbool.h>

#include "sampler.h"
#include "spawn.h"
#include "store-ts.h"
#include "store.h"

struct Groups;

typedef struct AcctConfig {
        uint64_t interval_usec;
        TsRetention keep;
        double throttle_ratio, pressure_ratio;
} AcctConfig;

/* Limits are compared with the kernel at most this often: every sweep at the default 10 s
 * interval; at 1 s a check every sweep cost 1000 groups' daemon 3× its CPU (bench). */
#define ACCT_DRIFT_PERIOD_USEC (10 * UINT64_C(1000000))

/* What the last sweep saw, shared with readers (SSE streams) by reference count. */
typedef struct AcctSnapshot {
        unsigned refs;
        uint64_t seq, ts;
        size_t n;
        SamplerRow rows[];
} AcctSnapshot;

typedef struct Acct {
        AcctConfig cfg;
        struct Groups *groups;
        pthread_mutex_t wlock, rlock, slock;
        Tsdb *w, *r;
        Sampler *sampler;
        /* under slock: events recorded by requests, for the thread to write (acct_event) */
        struct AcctQueued *queue;
        size_t nqueue, cap_queue;
        /* under slock */
        AcctSnapshot *snap;
        int64_t last_event_id;
        void (*wake)(void *cls);
        void *wake_cls;
        /* the thread */
        pthread_t thread;
        bool started;
        int stop_fd, kick_fd, epoll_fd;
        uint64_t sweeps;
        uint64_t drift_checked_usec; /* CLOCK_MONOTONIC of the last drift check */
} Acct;

int acct_open(Acct *a, const char *db_path, const AcctConfig *cfg, struct Groups *groups, bool unified, CgError *err);
/* Starts the sampler thread: a sweep now, then one every interval. */
int acct_start(Acct *a);
void acct_close(Acct *a);

/* Who to tell when there is something new for streams (an event, a sweep). */
void acct_set_wake(Acct *a, void (*wake)(void *cls), void *cls);

/* The set of groups changed: the sampler takes the change in now, not at its next sweep. */
void acct_groups_changed(Acct *a);
/* Records an event: details is a printf format that must produce a JSON object from typed
 * values (numbers, validated names) only. a may be NULL (nothing is recorded). The event is
 * queued with its time and written by the accounting thread within milliseconds, so a
 * request never waits for SQLite (a sweep's transaction or a checkpoint). */
void acct_event(Acct *a, const char *type, const char *group, const char *details_fmt, ...) _printf_(4, 5);
/* A group is gone: its last sample (final: read just before it went; have 0 if unreadable),
 * its series closed, its ledger row and a group_delete event, in one transaction. */
void acct_group_ended(Acct *a, const StoreGroup *g, const CgStats *final);
/* A process ended: its ledger row and a process_exit event. */
void acct_process_ended(Acct *a, const StoreProcess *p, const SpawnUsage *u);

/* The last sweep, referenced (NULL before the first); give it back with acct_snapshot_unref. */
AcctSnapshot *acct_snapshot(Acct *a);
void acct_snapshot_unref(Acct *a, AcctSnapshot *s);
int64_t acct_last_event_id(Acct *a);

/* Reads for the API, on the reader connection. Results as in store-ts.h. */
int acct_usage(Acct *a, const char *group, uint64_t from, uint64_t to, uint64_t step, TsTier *ret_tier,
               uint64_t *ret_step, TsPoint **ret, size_t *ret_n);
int acct_report(Acct *a, uint64_t from, uint64_t to, const char *group, TsPeriod by, TsReportRow **ret, size_t *ret_n);
int acct_ledger(Acct *a, uint64_t from, uint64_t to, const char *group, TsLedgerRow **ret, size_t *ret_n);
int acct_events(Acct *a, int64_t after_id, uint64_t since, const char *group, const char *type, size_t limit,
                TsEvent **ret, size_t *ret_n);
/* Whether the accounting tables know a group, alive or deleted (so /usage of a deleted
 * group is its history, not a 404). */
int acct_knows_group(Acct *a, const char *group);
