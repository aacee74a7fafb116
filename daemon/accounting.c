#include "accounting.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>

#include "groups.h"

static void unlockp(pthread_mutex_t **m) {
        if (*m)
                pthread_mutex_unlock(*m);
}
#define WITH(m)                                           \
        _cleanup_(unlockp) pthread_mutex_t *_lock = &(m); \
        pthread_mutex_lock(_lock)

/* ---- the group service as the sampler's source ---- */

static uint64_t src_generation(void *cls) {
        return groups_generation(cls);
}

static int src_list(void *cls, SamplerGroup **ret, size_t *ret_n) {
        return groups_list_for_sampler(cls, ret, ret_n);
}

static int src_open_dirs(void *cls, const char *name, int ret_dirs[_CG_CTRL_COUNT]) {
        return groups_open_stat_dirs(cls, name, ret_dirs);
}

/* How far back a read of raw samples looks for the sample before its first: two sweeps. */
static uint64_t lookback(const AcctConfig *cfg) {
        return 2 * cfg->interval_usec + 5000000;
}

int acct_open(Acct *a, const char *db_path, const AcctConfig *cfg, struct Groups *groups, bool unified, CgError *err) {
        *a = (Acct){.cfg = *cfg, .groups = groups, .stop_fd = -1, .kick_fd = -1, .epoll_fd = -1};
        pthread_mutex_init(&a->wlock, NULL);
        pthread_mutex_init(&a->rlock, NULL);
        pthread_mutex_init(&a->slock, NULL);
        int r = tsdb_open(db_path, &a->w, err);
        if (r >= 0)
                r = tsdb_open(db_path, &a->r, err);
        if (r >= 0) {
                tsdb_set_lookback(a->w, lookback(cfg));
                tsdb_set_lookback(a->r, lookback(cfg));
                r = tsdb_events_last_id(a->w, &a->last_event_id);
        }
        if (r < 0)
                return r;
        SamplerConfig sc = {
            .unified = unified, .throttle_ratio = cfg->throttle_ratio, .pressure_ratio = cfg->pressure_ratio};
        SamplerSource src = {groups, src_generation, src_list, src_open_dirs};
        r = sampler_new(&sc, &src, &a->sampler);
        if (r < 0)
                return cg_error_set(err, r, "internal", NULL, "cannot start the sampler: %s", strerror(-r));
        a->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        a->kick_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        a->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        if (a->stop_fd < 0 || a->kick_fd < 0 || a->epoll_fd < 0 ||
            epoll_ctl(a->epoll_fd, EPOLL_CTL_ADD, a->kick_fd, &(struct epoll_event){.events = EPOLLIN, .data.u32 = 2}) <
                0 ||
            epoll_ctl(a->epoll_fd, EPOLL_CTL_ADD, a->stop_fd, &(struct epoll_event){.events = EPOLLIN, .data.u32 = 0}) <
                0 ||
            epoll_ctl(a->epoll_fd, EPOLL_CTL_ADD, sampler_fd(a->sampler),
                      &(struct epoll_event){.events = EPOLLIN, .data.u32 = 1}) < 0)
                return cg_error_set(err, -errno, "internal", NULL, "cannot set up the sampler's wakeups: %m");
        return 0;
}

void acct_set_wake(Acct *a, void (*wake)(void *cls), void *cls) {
        WITH(a->slock);
        a->wake = wake;
        a->wake_cls = cls;
}

static void wake(Acct *a) {
        void (*w)(void *);
        void *cls;
        {
                WITH(a->slock);
                w = a->wake;
                cls = a->wake_cls;
        }
        if (w)
                w(cls);
}

static void note_event_id(Acct *a, int64_t id) {
        WITH(a->slock);
        if (id > a->last_event_id)
                a->last_event_id = id;
}

/* ---- the sampler thread ---- */

typedef struct AcctQueued {
        uint64_t ts;
        char type[24];
        char group[CG_NAME_BUF];
        char details[512];
} AcctQueued;

/* Writes the events requests queued, in one transaction, in the order they came. */
static void flush_queue(Acct *a) {
        AcctQueued *q;
        size_t n;
        {
                WITH(a->slock);
                q = a->queue;
                n = a->nqueue;
                a->queue = NULL;
                a->nqueue = a->cap_queue = 0;
        }
        if (!n)
                return;
        int64_t last = 0;
        {
                WITH(a->wlock);
                int r = tsdb_begin(a->w);
                for (size_t i = 0; i < n && r >= 0; i++)
                        r = tsdb_event_put(a->w, q[i].ts, q[i].type, q[i].group, q[i].details, &last);
                if (r >= 0)
                        r = tsdb_commit(a->w);
                if (r < 0) {
                        tsdb_rollback(a->w);
                        last = 0;
                        fprintf(stderr, "cgwardend: recording %zu events: %s\n", n, strerror(-r));
                }
        }
        free(q);
        note_event_id(a, last);
        wake(a);
}

/* Stores events; *ret_last gets the newest id, to be published only once committed (a
 * stream that saw the id before the row would step over it). */
static int put_events(Acct *a, const SamplerEvent *ev, size_t n, uint64_t now, int64_t *ret_last) {
        for (size_t i = 0; i < n; i++) {
                int r = tsdb_event_put(a->w, now, ev[i].type, ev[i].group, ev[i].details, ret_last);
                if (r < 0)
                        return r;
        }
        return 0;
}

static void publish(Acct *a, uint64_t now) {
        AcctSnapshot *s = malloc(sizeof *s + sampler_groups(a->sampler) * sizeof *s->rows);
        if (!s)
                return;
        *s = (AcctSnapshot){.refs = 1, .ts = now};
        s->n = sampler_rows(a->sampler, s->rows);
        AcctSnapshot *old;
        {
                WITH(a->slock);
                s->seq = ++a->sweeps;
                old = a->snap;
                a->snap = s;
        }
        acct_snapshot_unref(a, old);
}

/* One sweep: read every group (no lock), then one transaction with the samples, the events
 * they showed, and a bounded step of rollup and retention. */
static void sweep(Acct *a) {
        /* Limits first: a drift put back now is recorded in this sweep's transaction. The
         * first sweep after a period does it (the half-second slack keeps a 10 s interval's
         * sweeps from skipping one for a tick's jitter). */
        uint64_t mono = cg_now_usec(CLOCK_MONOTONIC);
        if (mono - a->drift_checked_usec + 500000 >= ACCT_DRIFT_PERIOD_USEC) {
                a->drift_checked_usec = mono;
                groups_correct_drift(a->groups);
        }
        /* What requests recorded comes first: a group's creation before its first sample's events. */
        flush_queue(a);
        uint64_t now = cg_now_usec(CLOCK_REALTIME);
        SamplerEvent *ev = NULL;
        size_t nev = 0;
        int64_t last = 0;
        int r = sampler_read(a->sampler, now);
        if (r < 0)
                fprintf(stderr, "cgwardend: sampler: listing the groups: %s\n", strerror(-r));
        sampler_take_events(a->sampler, &ev, &nev);
        {
                WITH(a->wlock);
                r = tsdb_begin(a->w);
                if (r >= 0)
                        r = sampler_write(a->sampler, a->w);
                if (r >= 0)
                        r = put_events(a, ev, nev, now, &last);
                if (r >= 0)
                        r = tsdb_rollup(a->w, now, lookback(&a->cfg));
                if (r >= 0)
                        r = tsdb_retain(a->w, now, &a->cfg.keep);
                if (r >= 0)
                        r = tsdb_commit(a->w);
                if (r < 0) {
                        tsdb_rollback(a->w);
                        fprintf(stderr, "cgwardend: sampler: storing the sweep: %s\n", strerror(-r));
                        last = 0;
                }
        }
        free(ev);
        note_event_id(a, last);
        publish(a, now);
        wake(a);
}

/* The kernel reported memory events: their OOM kills are recorded now, not at the sweep.
 * recheck: the second look sampler_notified() asked for. Returns whether one is wanted. */
static bool notified(Acct *a, bool recheck) {
        uint64_t now = cg_now_usec(CLOCK_REALTIME);
        SamplerEvent *ev = NULL;
        size_t nev = 0;
        int again = 0;
        if (recheck)
                (void)sampler_recheck(a->sampler, now);
        else
                again = sampler_notified(a->sampler, now);
        sampler_take_events(a->sampler, &ev, &nev);
        int64_t last = 0;
        if (nev) {
                WITH(a->wlock);
                int r = put_events(a, ev, nev, now, &last);
                if (r < 0)
                        fprintf(stderr, "cgwardend: sampler: storing an event: %s\n", strerror(-r));
        }
        free(ev);
        note_event_id(a, last);
        if (nev)
                wake(a);
        return again > 0;
}

static void *run(void *arg) {
        Acct *a = arg;
        uint64_t next = cg_now_usec(CLOCK_MONOTONIC), recheck = 0;
        for (;;) {
                uint64_t now = cg_now_usec(CLOCK_MONOTONIC);
                if (now >= next) {
                        sweep(a);
                        next += a->cfg.interval_usec;
                        now = cg_now_usec(CLOCK_MONOTONIC);
                        if (next <= now) /* a sweep overran: skip the ticks it missed */
                                next = now + a->cfg.interval_usec;
                }
                if (recheck && now >= recheck) {
                        recheck = 0;
                        (void)notified(a, true);
                }
                uint64_t until = recheck && recheck < next ? recheck : next;
                struct epoll_event ev[3];
                int n = epoll_wait(a->epoll_fd, ev, 3, (int)((until > now ? until - now : 0) / 1000 + 1));
                for (int i = 0; i < n; i++) {
                        uint64_t count;
                        switch (ev[i].data.u32) {
                        case 0: return NULL; /* stop */
                        case 1:              /* the kernel reported memory events */
                                if (notified(a, false))
                                        recheck = cg_now_usec(CLOCK_MONOTONIC) + SAMPLER_RECHECK_USEC;
                                break;
                        default: /* events were queued, or the set of groups changed */
                                if (read(a->kick_fd, &count, sizeof count) == sizeof count) {
                                        flush_queue(a);
                                        (void)sampler_sync(a->sampler);
                                }
                        }
                }
        }
}

int acct_start(Acct *a) {
        int r = -pthread_create(&a->thread, NULL, run, a);
        a->started = r == 0;
        return r;
}

void acct_close(Acct *a) {
        if (a->started) {
                uint64_t one = 1;
                (void)!write(a->stop_fd, &one, sizeof one);
                pthread_join(a->thread, NULL);
        }
        flush_queue(a); /* what was recorded after the thread's last look */
        free(a->queue);
        sampler_free(a->sampler);
        acct_snapshot_unref(a, a->snap);
        tsdb_close(a->w);
        tsdb_close(a->r);
        if (a->stop_fd >= 0)
                close(a->stop_fd);
        if (a->kick_fd >= 0)
                close(a->kick_fd);
        if (a->epoll_fd >= 0)
                close(a->epoll_fd);
        pthread_mutex_destroy(&a->wlock);
        pthread_mutex_destroy(&a->rlock);
        pthread_mutex_destroy(&a->slock);
}

void acct_groups_changed(Acct *a) {
        uint64_t one = 1;
        if (a && a->kick_fd >= 0)
                (void)!write(a->kick_fd, &one, sizeof one);
}

/* ---- events and the ledger ---- */

void acct_event(Acct *a, const char *type, const char *group, const char *fmt, ...) {
        if (!a)
                return;
        AcctQueued e = {.ts = cg_now_usec(CLOCK_REALTIME)};
        snprintf(e.type, sizeof e.type, "%s", type);
        snprintf(e.group, sizeof e.group, "%s", group ? group : "");
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(e.details, sizeof e.details, fmt, ap);
        va_end(ap);
        {
                WITH(a->slock);
                if (a->nqueue == a->cap_queue) {
                        size_t cap = a->cap_queue ? a->cap_queue * 2 : 16;
                        AcctQueued *v = realloc(a->queue, cap * sizeof *v);
                        if (!v) {
                                fprintf(stderr, "cgwardend: out of memory: a %s event is lost\n", type);
                                return;
                        }
                        a->queue = v;
                        a->cap_queue = cap;
                }
                a->queue[a->nqueue++] = e;
        }
        acct_groups_changed(a); /* the thread's one wakeup: it writes the queue, then re-lists if need be */
}

static int group_ended_locked(Acct *a, const StoreGroup *g, const CgStats *final, uint64_t now, int64_t *ret_id) {
        int64_t series;
        bool created;
        uint64_t frozen = 0; /* as of the last sweep */
        int r = tsdb_series_open(a->w, g->name, now, &series, &created, &frozen);
        if (r < 0)
                return r;
        /* A group deleted before any sweep saw it still has its life on record. */
        if (created && g->created_usec < now && (r = tsdb_birth_put(a->w, series, g->created_usec, final->have)) < 0)
                return r;
        if (final->have && (r = tsdb_sample_put(a->w, series, now, final, frozen)) < 0)
                return r;
        r = tsdb_series_end(a->w, series, now);
        if (r < 0)
                return r;
        TsLedger l = {.kind = "group",
                      .group = g->name,
                      .started_usec = g->created_usec,
                      .ended_usec = now,
                      .total = *final,
                      .frozen_usec = frozen};
        r = tsdb_ledger_put(a->w, &l);
        if (r < 0)
                return r;
        char details[160];
        snprintf(details, sizeof details,
                 "{\"cpu_usec\":%" PRIu64 ",\"memory_peak\":%" PRIu64 ",\"lifetime_usec\":%" PRIu64 "}",
                 final->v[CG_STAT_CPU_USAGE_USEC], final->v[CG_STAT_MEM_PEAK], now - g->created_usec);
        return tsdb_event_put(a->w, now, "group_delete", g->name, details, ret_id);
}

void acct_group_ended(Acct *a, const StoreGroup *g, const CgStats *final) {
        int64_t id = 0;
        if (!a)
                return;
        flush_queue(a); /* its earlier events before its deletion, in id order too */
        {
                WITH(a->wlock);
                int r = tsdb_begin(a->w);
                if (r >= 0)
                        r = group_ended_locked(a, g, final, cg_now_usec(CLOCK_REALTIME), &id);
                if (r >= 0)
                        r = tsdb_commit(a->w);
                if (r < 0) {
                        tsdb_rollback(a->w);
                        fprintf(stderr, "cgwardend: recording the end of group %s: %s\n", g->name, strerror(-r));
                }
        }
        note_event_id(a, id);
        wake(a);
}

void acct_process_ended(Acct *a, const StoreProcess *p, const SpawnUsage *u) {
        if (!a)
                return;
        TsLedger l = {.kind = "process",
                      .group = p->group,
                      .process_id = p->id,
                      .started_usec = p->started_usec,
                      .ended_usec = p->ended_usec};
        if (u->known) {
                l.total.v[CG_STAT_CPU_USAGE_USEC] = u->cpu_usec;
                l.total.v[CG_STAT_MEM_PEAK] = u->maxrss_bytes;
                l.total.v[CG_STAT_IO_READ_BYTES] = u->read_bytes;
                l.total.v[CG_STAT_IO_WRITE_BYTES] = u->write_bytes;
                l.total.have = 1u << CG_STAT_CPU_USAGE_USEC | 1u << CG_STAT_MEM_PEAK | 1u << CG_STAT_IO_READ_BYTES |
                               1u << CG_STAT_IO_WRITE_BYTES;
        }
        const char *state = p->state == STORE_PROC_EXITED ? "exited" : "killed";
        char detail[128];
        snprintf(detail, sizeof detail, "{\"state\":\"%s\",\"exit_code\":%d,\"signal\":%d}", state, p->exit_code,
                 p->signal);
        l.detail = detail;
        {
                WITH(a->wlock);
                int r = tsdb_ledger_put(a->w, &l);
                if (r < 0)
                        fprintf(stderr, "cgwardend: recording process %" PRId64 " in the ledger: %s\n", p->id,
                                strerror(-r));
        }
        acct_event(a, "process_exit", p->group,
                   "{\"id\":%" PRId64 ",\"state\":\"%s\",\"exit_code\":%d,\"signal\":%d,\"cpu_usec\":%" PRIu64 "}",
                   p->id, state, p->exit_code, p->signal, u->known ? u->cpu_usec : 0);
}

/* ---- snapshots ---- */

AcctSnapshot *acct_snapshot(Acct *a) {
        WITH(a->slock);
        if (a->snap)
                a->snap->refs++;
        return a->snap;
}

void acct_snapshot_unref(Acct *a, AcctSnapshot *s) {
        if (!s)
                return;
        bool last;
        {
                WITH(a->slock);
                last = --s->refs == 0;
        }
        if (last)
                free(s);
}

int64_t acct_last_event_id(Acct *a) {
        WITH(a->slock);
        return a->last_event_id;
}

/* ---- reads ---- */

/* Raw samples are stored in time order: reading one group's means scanning every group's
 * rows in the range, so ranges longer than this come from the minute tier. */
#define RAW_RANGE_MAX_USEC (2 * 3600 * UINT64_C(1000000))

/* The finest tier that still holds `from` (raw only for short ranges), and a step that is a
 * multiple of its width and gives at most about 500 points. */
static void choose_tier(const Acct *a, uint64_t from, uint64_t to, uint64_t step, TsTier *ret_tier,
                        uint64_t *ret_step) {
        uint64_t now = cg_now_usec(CLOCK_REALTIME);
        TsTier t = to - from > RAW_RANGE_MAX_USEC ? TS_1M : TS_RAW;
        while (t + 1 < _TS_TIER_COUNT && a->cfg.keep.keep_usec[t] && from + a->cfg.keep.keep_usec[t] < now)
                t++;
        uint64_t w = ts_tier_width_usec(t) ? ts_tier_width_usec(t) : a->cfg.interval_usec;
        if (!step)
                step = (to - from) / 500 > w ? (to - from) / 500 : w;
        if (step < w)
                step = w;
        *ret_step = (step + w - 1) / w * w;
        *ret_tier = t;
}

int acct_usage(Acct *a, const char *group, uint64_t from, uint64_t to, uint64_t step, TsTier *ret_tier,
               uint64_t *ret_step, TsPoint **ret, size_t *ret_n) {
        choose_tier(a, from, to, step, ret_tier, ret_step);
        WITH(a->rlock);
        return tsdb_usage(a->r, group, *ret_tier, from, to, *ret_step, ret, ret_n);
}

int acct_report(Acct *a, uint64_t from, uint64_t to, const char *group, TsPeriod by, TsReportRow **ret, size_t *ret_n) {
        WITH(a->rlock);
        return tsdb_report(a->r, from, to, group, by, ret, ret_n);
}

int acct_ledger(Acct *a, uint64_t from, uint64_t to, const char *group, TsLedgerRow **ret, size_t *ret_n) {
        WITH(a->rlock);
        return tsdb_ledger_list(a->r, from, to, group, ret, ret_n);
}

int acct_events(Acct *a, int64_t after_id, uint64_t since, const char *group, const char *type, size_t limit,
                TsEvent **ret, size_t *ret_n) {
        WITH(a->rlock);
        return tsdb_events(a->r, after_id, since, group, type, limit, ret, ret_n);
}

int acct_knows_group(Acct *a, const char *group) {
        WITH(a->rlock);
        return tsdb_series_known(a->r, group);
}
