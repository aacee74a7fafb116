#include "sampler.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/resource.h>
#include <unistd.h>

#include "cg-util.h"

/* Files kept back from the budget for everything else the daemon opens: 256 connections per
 * listener, the database, logs and status files of processes, directory fds in requests. */
#define FD_RESERVE 1500

typedef struct Tracked {
        SamplerRow row;
        uint64_t created_usec;
        int64_t series;
        bool born;            /* created after the sampler started watching: its counters began at zero */
        CgStatReader *reader; /* NULL: read cold each sweep */
        int oom_fd;           /* v1 eventfd, or v2 inotify watch descriptor; -1 */
        CgStats prev;
        uint64_t prev_ts;
        bool have_prev, seen, recheck;
        uint64_t oom_base;          /* OOM kills counted when the last notification came (v1) */
        uint64_t saved_frozen_usec; /* what the series row holds */
        /* Episodes already reported, so a group at its limit for an hour is one event. */
        bool in_max, in_high, in_throttle, in_pressure[3];
} Tracked;

struct Sampler {
        SamplerConfig cfg;
        SamplerSource src;
        uint64_t generation;
        bool listed;
        uint64_t started_usec;
        Tracked *g;
        size_t n;
        size_t fds;
        int epoll_fd, inotify_fd;
        SamplerEvent *events;
        size_t nevents, cap_events;
};

static size_t default_budget(void) {
        struct rlimit rl;
        if (getrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur == RLIM_INFINITY)
                return 16384;
        return rl.rlim_cur > FD_RESERVE * 2 ? rl.rlim_cur - FD_RESERVE : rl.rlim_cur / 2;
}

int sampler_new(const SamplerConfig *cfg, const SamplerSource *src, Sampler **ret) {
        Sampler *s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        s->cfg = *cfg;
        s->src = *src;
        if (!s->cfg.fd_budget)
                s->cfg.fd_budget = default_budget();
        s->started_usec = cg_now_usec(CLOCK_REALTIME);
        s->epoll_fd = epoll_create1(EPOLL_CLOEXEC);
        s->inotify_fd = cfg->unified ? inotify_init1(IN_CLOEXEC | IN_NONBLOCK) : -1;
        if (s->epoll_fd < 0 || (cfg->unified && s->inotify_fd < 0)) {
                int r = -errno;
                sampler_free(s);
                return r;
        }
        if (s->inotify_fd >= 0 &&
            epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, s->inotify_fd, &(struct epoll_event){.events = EPOLLIN}) < 0) {
                int r = -errno;
                sampler_free(s);
                return r;
        }
        *ret = s;
        return 0;
}

static void untrack(Sampler *s, Tracked *t) {
        if (t->oom_fd >= 0) {
                if (s->cfg.unified)
                        inotify_rm_watch(s->inotify_fd, t->oom_fd);
                else {
                        close(t->oom_fd);
                        s->fds--;
                }
        }
        if (t->reader) {
                s->fds -= cg_stat_reader_nfds(t->reader);
                cg_stat_reader_free(t->reader);
        }
        t->reader = NULL;
        t->oom_fd = -1;
}

void sampler_free(Sampler *s) {
        if (!s)
                return;
        for (size_t i = 0; i < s->n; i++)
                untrack(s, &s->g[i]);
        free(s->g);
        free(s->events);
        if (s->epoll_fd >= 0)
                close(s->epoll_fd);
        if (s->inotify_fd >= 0)
                close(s->inotify_fd);
        free(s);
}

static void close_dirs(int dirs[_CG_CTRL_COUNT]) {
        for (CgController c = 0; c < _CG_CTRL_COUNT; c++)
                if (dirs[c] >= 0)
                        close(dirs[c]);
}

/* Opens a group's reader and keeps it if it fits the budget; else the group is read cold. */
static void open_hot(Sampler *s, Tracked *t) {
        int dirs[_CG_CTRL_COUNT];
        CgStatReader *r = NULL;
        if (s->src.open_dirs(s->src.cls, t->row.name, dirs) < 0)
                return;
        if (cg_stat_reader_open(dirs, s->cfg.unified, &r) < 0) {
                close_dirs(dirs);
                return;
        }
        size_t need = cg_stat_reader_nfds(r) + (s->cfg.unified ? 0 : 1);
        if (s->fds + need > s->cfg.fd_budget) {
                cg_stat_reader_free(r);
                close_dirs(dirs);
                return;
        }
        t->reader = r;
        s->fds += cg_stat_reader_nfds(r);
        int fd;
        if (cg_stat_watch_oom(r, dirs, s->cfg.unified, s->inotify_fd, &fd) >= 0) {
                t->oom_fd = fd;
                if (!s->cfg.unified) {
                        s->fds++;
                        /* The event carries the eventfd itself, not a pointer: relist moves the array. */
                        (void)epoll_ctl(s->epoll_fd, EPOLL_CTL_ADD, fd,
                                        &(struct epoll_event){.events = EPOLLIN, .data.fd = fd});
                }
        }
        close_dirs(dirs);
}

static bool read_one(Sampler *s, Tracked *t, CgStats *ret);

/* What a new group's first increases are measured from, so that whatever happens before its
 * first sweep (an OOM kill, say) is seen: zero at its birth if it was born while we watched,
 * else a read now. */
static void prime(Sampler *s, Tracked *t, uint64_t now) {
        if (t->born) {
                t->prev = (CgStats){.have = UINT32_MAX};
                t->prev_ts = t->created_usec;
                t->have_prev = true;
        } else if (read_one(s, t, &t->prev)) {
                t->prev_ts = now;
                t->have_prev = true;
        }
}

static int by_name(const void *a, const void *b) {
        return strcmp(((const Tracked *)a)->row.name, ((const Tracked *)b)->row.name);
}

static Tracked *find(const Sampler *s, const char *name) {
        Tracked key;
        if (s->n == 0) /* bsearch must not be given a NULL array */
                return NULL;
        snprintf(key.row.name, sizeof key.row.name, "%s", name);
        return bsearch(&key, s->g, s->n, sizeof *s->g, by_name);
}

/* Re-reads the group list: new groups get readers, groups gone lose theirs. */
static int relist(Sampler *s) {
        _cleanup_free_ SamplerGroup *list = NULL;
        size_t n = 0;
        int r = s->src.list(s->src.cls, &list, &n);
        if (r < 0)
                return r;
        Tracked *g = calloc(n ? n : 1, sizeof *g);
        if (!g)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                Tracked *old = find(s, list[i].name);
                /* The same name created again is a new life: new readers, a new series. */
                if (old && old->created_usec == list[i].created_usec) {
                        g[i] = *old;
                        old->seen = true;
                        continue;
                }
                g[i] = (Tracked){.oom_fd = -1, .created_usec = list[i].created_usec};
                snprintf(g[i].row.name, sizeof g[i].row.name, "%s", list[i].name);
                /* Created since we started (not found with a history): its counters began at zero. */
                g[i].born = list[i].created_usec >= s->started_usec;
        }
        for (size_t i = 0; i < s->n; i++)
                if (!s->g[i].seen)
                        untrack(s, &s->g[i]);
        free(s->g);
        s->g = g;
        s->n = n;
        qsort(s->g, s->n, sizeof *s->g, by_name);
        uint64_t now = cg_now_usec(CLOCK_REALTIME);
        for (size_t i = 0; i < s->n; i++) {
                Tracked *t = &s->g[i];
                t->seen = false;
                if (t->reader || t->series || t->have_prev)
                        continue;
                open_hot(s, t);
                prime(s, t, now);
        }
        s->listed = true;
        return 0;
}

static void add_event(Sampler *s, const char *type, const char *group, const char *fmt, ...) _printf_(4, 5);

static void add_event(Sampler *s, const char *type, const char *group, const char *fmt, ...) {
        if (s->nevents == s->cap_events) {
                size_t cap = s->cap_events ? s->cap_events * 2 : 16;
                SamplerEvent *v = realloc(s->events, cap * sizeof *v);
                if (!v)
                        return; /* an event lost to OOM of the daemon itself: nothing better to do */
                s->events = v;
                s->cap_events = cap;
        }
        SamplerEvent *e = &s->events[s->nevents++];
        va_list ap;
        snprintf(e->type, sizeof e->type, "%s", type);
        snprintf(e->group, sizeof e->group, "%s", group);
        va_start(ap, fmt);
        vsnprintf(e->details, sizeof e->details, fmt, ap);
        va_end(ap);
}

static bool has(const CgStats *st, CgStat k) {
        return st->have & (1u << k);
}

/* The increase of a counter since the previous read (a drop is a reset: from zero). */
static uint64_t inc(const Tracked *t, const CgStats *now, CgStat k) {
        if (!has(now, k) || !has(&t->prev, k))
                return 0;
        return now->v[k] >= t->prev.v[k] ? now->v[k] - t->prev.v[k] : now->v[k];
}

/* An episode starts when `on` turns true; its event is sent once, then not again until it ended. */
static bool episode(bool *flag, bool on) {
        bool start = on && !*flag;
        *flag = on;
        return start;
}

static void detect(Sampler *s, Tracked *t, const CgStats *now, uint64_t ts) {
        const char *g = t->row.name;
        if (!t->have_prev)
                return;
        uint64_t wall = ts > t->prev_ts ? ts - t->prev_ts : 1;
        uint64_t d;
        if ((d = inc(t, now, CG_STAT_OOM_KILLS)))
                add_event(s, "oom", g, "{\"kills\":%" PRIu64 ",\"total\":%" PRIu64 "}", d, now->v[CG_STAT_OOM_KILLS]);
        d = inc(t, now, CG_STAT_MEM_FAILCNT);
        if (episode(&t->in_max, d > 0))
                add_event(s, "memory_max", g, "{\"hits\":%" PRIu64 ",\"usage\":%" PRIu64 "}", d,
                          now->v[CG_STAT_MEM_USAGE]);
        d = inc(t, now, CG_STAT_MEM_HIGH);
        if (episode(&t->in_high, d > 0))
                add_event(s, "memory_high", g, "{\"hits\":%" PRIu64 ",\"usage\":%" PRIu64 "}", d,
                          now->v[CG_STAT_MEM_USAGE]);
        uint64_t periods = inc(t, now, CG_STAT_CPU_PERIODS), thr = inc(t, now, CG_STAT_CPU_THROTTLED_PERIODS);
        double ratio = periods ? (double)thr / (double)periods : 0;
        if (episode(&t->in_throttle, periods && ratio > s->cfg.throttle_ratio))
                add_event(s, "throttled", g,
                          "{\"ratio\":%.3f,\"throttled_periods\":%" PRIu64 ",\"periods\":%" PRIu64
                          ",\"throttled_usec\":%" PRIu64 "}",
                          ratio, thr, periods, inc(t, now, CG_STAT_CPU_THROTTLED_USEC));
        static const struct {
                CgStat stat;
                const char *resource;
        } psi[] = {{CG_STAT_PSI_CPU_SOME_USEC, "cpu"},
                   {CG_STAT_PSI_MEMORY_SOME_USEC, "memory"},
                   {CG_STAT_PSI_IO_SOME_USEC, "io"}};
        for (size_t i = 0; i < ELEMENTSOF(psi); i++) {
                double stall = (double)inc(t, now, psi[i].stat) / (double)wall;
                if (episode(&t->in_pressure[i], has(now, psi[i].stat) && stall > s->cfg.pressure_ratio))
                        add_event(s, "pressure", g, "{\"resource\":\"%s\",\"some_ratio\":%.3f}", psi[i].resource,
                                  stall);
        }
}

/* Reads one group now, hot or cold. false if it could not be read at all (gone). */
static bool read_one(Sampler *s, Tracked *t, CgStats *ret) {
        if (t->reader) {
                (void)cg_stat_read(t->reader, ret);
                return ret->have != 0;
        }
        int dirs[_CG_CTRL_COUNT];
        CgStatReader *r = NULL;
        *ret = (CgStats){0};
        if (s->src.open_dirs(s->src.cls, t->row.name, dirs) < 0)
                return false;
        if (cg_stat_reader_open(dirs, s->cfg.unified, &r) >= 0)
                (void)cg_stat_read(r, ret);
        cg_stat_reader_free(r);
        close_dirs(dirs);
        return ret->have != 0;
}

/* Takes in a read: events against the previous one, rates, frozen time. */
static void update(Sampler *s, Tracked *t, const CgStats *now, uint64_t ts) {
        detect(s, t, now, ts);
        SamplerRow *row = &t->row;
        uint64_t wall = t->have_prev && ts > t->prev_ts ? ts - t->prev_ts : 0;
        if (wall) {
                /* Frozen time counts the interval in which both ends saw the group frozen. */
                if (t->prev.v[CG_STAT_FROZEN] && now->v[CG_STAT_FROZEN])
                        row->frozen_usec += wall;
                row->cpu_cores = (double)inc(t, now, CG_STAT_CPU_USAGE_USEC) / (double)wall;
                row->io_read_bps = (double)inc(t, now, CG_STAT_IO_READ_BYTES) * 1e6 / (double)wall;
                row->io_write_bps = (double)inc(t, now, CG_STAT_IO_WRITE_BYTES) * 1e6 / (double)wall;
                row->has_rates = true;
        }
        row->stats = *now;
        row->ts = ts;
        t->prev = *now;
        t->prev_ts = ts;
        t->have_prev = true;
}

int sampler_sync(Sampler *s) {
        uint64_t gen = s->src.generation(s->src.cls);
        if (s->listed && gen == s->generation)
                return 0;
        int r = relist(s);
        if (r >= 0)
                s->generation = gen;
        return r;
}

int sampler_read(Sampler *s, uint64_t now_usec) {
        int r = sampler_sync(s);
        if (r < 0)
                return r;
        for (size_t i = 0; i < s->n; i++) {
                CgStats now;
                Tracked *t = &s->g[i];
                if (read_one(s, t, &now))
                        update(s, t, &now, now_usec);
                else
                        t->row.ts = 0; /* gone since the list: nothing to store */
        }
        return (int)s->n;
}

int sampler_write(Sampler *s, Tsdb *db) {
        for (size_t i = 0; i < s->n; i++) {
                Tracked *t = &s->g[i];
                int r;
                if (!t->row.ts)
                        continue;
                if (!t->series) {
                        bool created;
                        uint64_t frozen;
                        r = tsdb_series_open(db, t->row.name, t->born ? t->created_usec : t->row.ts, &t->series,
                                             &created, &frozen);
                        if (r < 0)
                                return r;
                        /* After a restart, frozen time goes on from where it was. */
                        t->row.frozen_usec += frozen;
                        t->saved_frozen_usec = frozen;
                        if (t->born && t->created_usec < t->row.ts &&
                            (r = tsdb_birth_put(db, t->series, t->created_usec, t->row.stats.have)) < 0)
                                return r;
                }
                r = tsdb_sample_put(db, t->series, t->row.ts, &t->row.stats, t->row.frozen_usec);
                if (r < 0)
                        return r;
                /* Only a frozen group's series row changes, and only while it is frozen. */
                if (t->row.frozen_usec != t->saved_frozen_usec) {
                        r = tsdb_series_frozen(db, t->series, t->row.frozen_usec);
                        if (r < 0)
                                return r;
                        t->saved_frozen_usec = t->row.frozen_usec;
                }
        }
        return 0;
}

int sampler_take_events(Sampler *s, SamplerEvent **ret, size_t *ret_n) {
        *ret = s->nevents ? s->events : NULL;
        *ret_n = s->nevents;
        if (s->nevents) {
                s->events = NULL;
                s->nevents = s->cap_events = 0;
        }
        return 0;
}

int sampler_fd(const Sampler *s) {
        return s->epoll_fd;
}

static Tracked *by_oom_fd(Sampler *s, int fd) {
        for (size_t i = 0; i < s->n; i++)
                if (s->g[i].oom_fd == fd)
                        return &s->g[i];
        return NULL;
}

/* Only the memory counters move on a notification: the rest waits for the sweep, so rates
 * keep their interval. */
static void notified_one(Sampler *s, Tracked *t, uint64_t now_usec) {
        CgStats now;
        if (!t || !read_one(s, t, &now) || !t->have_prev)
                return;
        CgStats merged = t->prev;
        static const CgStat mem[] = {CG_STAT_OOM_KILLS, CG_STAT_MEM_FAILCNT, CG_STAT_MEM_HIGH};
        for (size_t i = 0; i < ELEMENTSOF(mem); i++)
                if (has(&now, mem[i]))
                        merged.v[mem[i]] = now.v[mem[i]];
        uint64_t prev_ts = t->prev_ts;
        detect(s, t, &merged, now_usec);
        t->prev = merged;
        t->prev_ts = prev_ts;
}

int sampler_notified(Sampler *s, uint64_t now_usec) {
        struct epoll_event ev[16];
        int rechecks = 0;
        int n = epoll_wait(s->epoll_fd, ev, ELEMENTSOF(ev), 0);
        for (int i = 0; i < n; i++) {
                if (s->cfg.unified) {
                        char buf[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
                        ssize_t len;
                        while ((len = read(s->inotify_fd, buf, sizeof buf)) > 0)
                                for (char *p = buf; p < buf + len;) {
                                        const struct inotify_event *e = (const struct inotify_event *)p;
                                        notified_one(s, by_oom_fd(s, e->wd), now_usec);
                                        p += sizeof *e + e->len;
                                }
                        continue;
                }
                uint64_t count;
                Tracked *t = by_oom_fd(s, ev[i].data.fd);
                if (read(ev[i].data.fd, &count, sizeof count) == sizeof count && t) {
                        t->oom_base = t->prev.v[CG_STAT_OOM_KILLS];
                        notified_one(s, t, now_usec);
                        /* memory.rst: the eventfd fires when the group goes under OOM, before the
                         * killer has chosen (and counted) its victim. */
                        t->recheck = true;
                        rechecks++;
                }
        }
        return n < 0 ? -errno : rechecks;
}

int sampler_recheck(Sampler *s, uint64_t now_usec) {
        int n = 0;
        for (size_t i = 0; i < s->n; i++) {
                Tracked *t = &s->g[i];
                CgStats now;
                if (!t->recheck)
                        continue;
                t->recheck = false;
                notified_one(s, t, now_usec);
                /* Still no kill counted, though the kernel said the group went under OOM: v1
                 * counts a kill in the victim's own memcg, and under systemd that scope may be
                 * gone already. The OOM happened; how many it killed is not known. */
                if (t->prev.v[CG_STAT_OOM_KILLS] == t->oom_base && read_one(s, t, &now))
                        add_event(s, "oom", t->row.name, "{\"kills\":null,\"total\":%" PRIu64 "}",
                                  now.v[CG_STAT_OOM_KILLS]);
                n++;
        }
        return n;
}

size_t sampler_groups(const Sampler *s) {
        return s->n;
}

size_t sampler_rows(const Sampler *s, SamplerRow *out) {
        size_t n = 0;
        for (size_t i = 0; i < s->n; i++)
                if (s->g[i].row.ts)
                        out[n++] = s->g[i].row;
        return n;
}

void sampler_counts(const Sampler *s, size_t *ret_hot, size_t *ret_cold, size_t *ret_fds) {
        size_t hot = 0;
        for (size_t i = 0; i < s->n; i++)
                hot += s->g[i].reader != NULL;
        *ret_hot = hot;
        *ret_cold = s->n - hot;
        *ret_fds = s->fds;
}
