/* cgwarden-bench-sampling: what accounting costs, against its floor, in one run.
 *   1. one sweep over N groups (each holding a process) by the real sampler (lib/sampler.c),
 *      read only and with its SQLite transaction, against a minimal C loop that preads the
 *      same files, kept open as far as the same file budget allows (open/read/close past it);
 *   2. the real daemon's CPU per second at --interval 1s with 1000 groups (--socket of a
 *      daemon bench/run.sh started), against the floor's CPU for one sweep a second;
 *   3. samples ingested per second, bytes per group per day at each tier (SQLite's dbstat),
 *      and the latency of a 30-day report over 1000 groups.
 * Usage: cgwarden-bench-sampling --raw-root NAME --db-dir DIR [--daemon-socket PATH]
 *        [--daemon-pid PID] [--rounds N] [--groups 10,100,1000,5000] [--sweeps-only] */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cg-stats.h"
#include "bench-util.h"
#include "cg-util.h"
#include "sampler.h"
#include "store-ts.h"
#include "store.h"

#define SEC    UINT64_C(1000000)
#define MINUTE (60 * SEC)
#define HOUR   (60 * MINUTE)
#define DAY    (24 * HOUR)

static const char *const ctrl_dirs[_CG_CTRL_COUNT] = {
    [CG_CTRL_CPU] = "cpu",         [CG_CTRL_CPUACCT] = "cpuacct", [CG_CTRL_CPUSET] = "cpuset",
    [CG_CTRL_MEMORY] = "memory",   [CG_CTRL_BLKIO] = "blkio",     [CG_CTRL_DEVICES] = "devices",
    [CG_CTRL_FREEZER] = "freezer", [CG_CTRL_PIDS] = "pids",
};
static bool unified;
static const char *raw_root, *db_dir;

static void cleanup(void);

static void die(const char *what) {
        fprintf(stderr, "cgwarden-bench-sampling: %s: %s\n", what, strerror(errno));
        cleanup();
        exit(1);
}

static uint64_t cpu_usec(void) {
        return cg_now_usec(CLOCK_PROCESS_CPUTIME_ID);
}

/* ---- the groups: N directories in every hierarchy, each with a sleeping process ---- */

typedef struct Groups {
        size_t n;
        char (*names)[CG_NAME_BUF];
        pid_t *pids;
} Groups;

static Groups *made; /* what cleanup() removes */

static void group_dir(CgController c, const char *name, char *buf, size_t size) {
        if (unified)
                snprintf(buf, size, "/sys/fs/cgroup/%s%s%s", raw_root, name ? "/" : "", name ? name : "");
        else
                snprintf(buf, size, "/sys/fs/cgroup/%s/%s%s%s", ctrl_dirs[c], raw_root, name ? "/" : "",
                         name ? name : "");
}

static void write_file(const char *path, const char *v) {
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, v, strlen(v)) != (ssize_t)strlen(v))
                die(path);
        close(fd);
}

/* Moves this process into (name) or back to the top (NULL) of every hierarchy. */
static void move_self(const char *name) {
        char p[PATH_MAX], self[32];
        snprintf(self, sizeof self, "%d", (int)getpid());
        for (CgController c = 0; c < _CG_CTRL_COUNT; c++) {
                if (unified && c)
                        break;
                if (name)
                        group_dir(c, name, p, sizeof p - 16);
                else if (unified)
                        snprintf(p, sizeof p, "/sys/fs/cgroup");
                else
                        snprintf(p, sizeof p, "/sys/fs/cgroup/%s", ctrl_dirs[c]);
                strcat(p, "/cgroup.procs");
                write_file(p, self);
        }
}

static void make_groups(Groups *g, size_t n) {
        char p[PATH_MAX];
        made = g;
        g->names = realloc(g->names, n * sizeof *g->names);
        g->pids = realloc(g->pids, n * sizeof *g->pids);
        for (CgController c = 0; c < _CG_CTRL_COUNT && !(unified && c); c++) {
                group_dir(c, NULL, p, sizeof p);
                if (mkdir(p, 0755) < 0 && errno != EEXIST)
                        die(p);
                if (!unified && c == CG_CTRL_CPUSET) {
                        /* cpuset needs cpus and mems before a task can join: the root's from the
                         * top, its children's by clone_children. */
                        static const char *const files[] = {"cpuset.cpus", "cpuset.mems"};
                        char q[PATH_MAX + 32], v[4096];
                        for (size_t k = 0; k < ELEMENTSOF(files); k++) {
                                snprintf(q, sizeof q, "/sys/fs/cgroup/cpuset/%s", files[k]);
                                int fd = open(q, O_RDONLY | O_CLOEXEC);
                                ssize_t len = fd < 0 ? -1 : read(fd, v, sizeof v - 1);
                                if (fd >= 0)
                                        close(fd);
                                if (len <= 0)
                                        die(q);
                                v[len] = '\0';
                                snprintf(q, sizeof q, "%s/%s", p, files[k]);
                                write_file(q, v);
                        }
                        snprintf(q, sizeof q, "%s/cgroup.clone_children", p);
                        write_file(q, "1");
                }
        }
        if (unified) {
                group_dir(0, NULL, p, sizeof p);
                strcat(p, "/cgroup.subtree_control");
                write_file(p, "+cpu +memory +pids +io");
        }
        for (size_t i = g->n; i < n; i++) {
                snprintf(g->names[i], CG_NAME_BUF, "g%05zu", i);
                for (CgController c = 0; c < _CG_CTRL_COUNT && !(unified && c); c++) {
                        group_dir(c, g->names[i], p, sizeof p);
                        if (mkdir(p, 0755) < 0 && errno != EEXIST)
                                die(p);
                }
                move_self(g->names[i]);
                g->pids[i] = fork();
                if (g->pids[i] < 0)
                        die("fork");
                if (g->pids[i] == 0)
                        for (;;)
                                pause();
                move_self(NULL);
        }
        g->n = n;
}

static void remove_groups(Groups *g) {
        char p[PATH_MAX];
        made = NULL;
        for (size_t i = 0; i < g->n; i++)
                kill(g->pids[i], SIGKILL);
        for (size_t i = 0; i < g->n; i++)
                waitpid(g->pids[i], NULL, 0);
        for (size_t i = 0; i < g->n; i++)
                for (CgController c = 0; c < _CG_CTRL_COUNT && !(unified && c); c++) {
                        group_dir(c, g->names[i], p, sizeof p);
                        for (int k = 0; k < 50 && rmdir(p) < 0 && errno == EBUSY; k++)
                                usleep(10000);
                }
        for (CgController c = 0; c < _CG_CTRL_COUNT && !(unified && c); c++) {
                group_dir(c, NULL, p, sizeof p);
                rmdir(p);
        }
}

static void cleanup(void) {
        if (made)
                remove_groups(made);
}

/* ---- the sampler's source: our groups ---- */

typedef struct Source {
        Groups *g;
        size_t n; /* how many of them the sampler sees */
        uint64_t gen;
} Source;

static uint64_t src_generation(void *cls) {
        return ((Source *)cls)->gen;
}

static int src_list(void *cls, SamplerGroup **ret, size_t *ret_n) {
        Source *s = cls;
        SamplerGroup *v = calloc(s->n ? s->n : 1, sizeof *v);
        for (size_t i = 0; i < s->n; i++)
                snprintf(v[i].name, sizeof v[i].name, "%s", s->g->names[i]);
        *ret = v;
        *ret_n = s->n;
        return 0;
}

static int src_open_dirs(void *cls, const char *name, int dirs[_CG_CTRL_COUNT]) {
        char p[PATH_MAX];
        for (CgController c = 0; c < _CG_CTRL_COUNT; c++) {
                group_dir(unified ? 0 : c, name, p, sizeof p);
                dirs[c] = open(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        }
        return 0;
}

/* ---- the floor: the same files, a minimal loop ---- */

typedef struct Floor {
        size_t n;
        char (*paths)[PATH_MAX];
        int *fds; /* -1: opened and closed each sweep */
} Floor;

/* The files a reader of group opens (the sampler's own reader tells which). */
static void floor_add(Floor *f, const char *name, size_t *budget) {
        static const char *const v1[][2] = {
            {"cpuacct", "cpuacct.usage"},
            {"cpuacct", "cpuacct.stat"},
            {"cpu", "cpu.stat"},
            {"memory", "memory.usage_in_bytes"},
            {"memory", "memory.max_usage_in_bytes"},
            {"memory", "memory.limit_in_bytes"},
            {"memory", "memory.failcnt"},
            {"memory", "memory.stat"},
            {"memory", "memory.oom_control"},
            {"blkio", "blkio.throttle.io_service_bytes_recursive"},
            {"blkio", "blkio.throttle.io_serviced_recursive"},
            {"pids", "pids.current"},
            {"freezer", "freezer.state"},
        };
        static const char *const v2[] = {"cpu.stat",      "memory.current", "memory.peak",         "memory.max",
                                         "memory.events", "memory.stat",    "memory.swap.current", "io.stat",
                                         "pids.current",  "cgroup.events",  "cpu.pressure",        "memory.pressure",
                                         "io.pressure"};
        size_t k = unified ? ELEMENTSOF(v2) : ELEMENTSOF(v1);
        for (size_t i = 0; i < k; i++) {
                char *p = f->paths[f->n];
                if (unified)
                        snprintf(p, PATH_MAX, "/sys/fs/cgroup/%s/%s/%s", raw_root, name, v2[i]);
                else
                        snprintf(p, PATH_MAX, "/sys/fs/cgroup/%s/%s/%s/%s", v1[i][0], raw_root, name, v1[i][1]);
                int fd = -1;
                if (*budget > 0 && (fd = open(p, O_RDONLY | O_CLOEXEC)) >= 0)
                        (*budget)--;
                if (access(p, R_OK) < 0) {
                        if (fd >= 0)
                                close(fd);
                        continue;
                }
                f->fds[f->n++] = fd;
        }
}

/* Every read must succeed: a floor whose reads fail (EMFILE) would look free. */
static void floor_sweep(const Floor *f) {
        char buf[16384];
        for (size_t i = 0; i < f->n; i++) {
                if (f->fds[i] >= 0) {
                        if (pread(f->fds[i], buf, sizeof buf, 0) < 0)
                                die(f->paths[i]);
                        continue;
                }
                int fd = open(f->paths[i], O_RDONLY | O_CLOEXEC);
                if (fd < 0 || read(fd, buf, sizeof buf) < 0)
                        die(f->paths[i]);
                close(fd);
        }
}

static void floor_free(Floor *f) {
        for (size_t i = 0; i < f->n; i++)
                if (f->fds[i] >= 0)
                        close(f->fds[i]);
        free(f->paths);
        free(f->fds);
}

/* ---- 1. sweeps ---- */

static Tsdb *open_db(const char *name, Store **ret_store) {
        char path[PATH_MAX];
        CgError err = {0};
        Tsdb *t;
        snprintf(path, sizeof path, "%s/%s", db_dir, name);
        unlink(path);
        if (store_open(path, ret_store, &err) < 0 || tsdb_open(path, &t, &err) < 0) {
                fprintf(stderr, "cgwarden-bench-sampling: %s: %s\n", path, err.message);
                exit(1);
        }
        return t;
}

typedef struct SweepRow {
        size_t n, files, hot, cold;
        double floor_ms, read_ms, sweep_ms, floor_cpu_ms, sweep_cpu_ms;
} SweepRow;

/* The sampler's rounds first, then the floor's: both keep files open, and together they
 * would pass the open-file limit (the floor's reads would fail with EMFILE and look free).
 * The floor keeps open as many files as the sampler did. */
static SweepRow bench_sweep(Groups *g, size_t n, unsigned rounds) {
        SweepRow row = {.n = n};
        Source src = {g, n, 1};
        SamplerConfig sc = {.unified = unified, .throttle_ratio = 0.25, .pressure_ratio = 0.1};
        SamplerSource ss = {&src, src_generation, src_list, src_open_dirs};
        Sampler *s;
        Store *store;
        Tsdb *t = open_db("sweep.db", &store);
        if (sampler_new(&sc, &ss, &s) < 0)
                die("sampler_new");
        uint64_t *rd = calloc(rounds, sizeof *rd), *sw = calloc(rounds, sizeof *sw), *fl = calloc(rounds, sizeof *fl);
        uint64_t *swc = calloc(rounds, sizeof *swc), *flc = calloc(rounds, sizeof *flc);
        uint64_t ts = cg_now_usec(CLOCK_REALTIME);
        (void)sampler_read(s, ts); /* lists, opens, primes */
        size_t hot, cold, fds;
        sampler_counts(s, &hot, &cold, &fds);
        row.hot = hot, row.cold = cold;
        for (unsigned r = 0; r < rounds; r++) {
                uint64_t c0 = cpu_usec(), t0 = cg_now_usec(CLOCK_MONOTONIC);
                ts += SEC;
                (void)sampler_read(s, ts);
                uint64_t t1 = cg_now_usec(CLOCK_MONOTONIC);
                tsdb_begin(t);
                (void)sampler_write(s, t);
                (void)tsdb_rollup(t, ts, 3 * SEC);
                tsdb_commit(t);
                SamplerEvent *ev;
                size_t nev;
                sampler_take_events(s, &ev, &nev);
                free(ev);
                rd[r] = t1 - t0;
                sw[r] = cg_now_usec(CLOCK_MONOTONIC) - t0;
                swc[r] = cpu_usec() - c0;
        }
        sampler_free(s);
        tsdb_close(t);
        store_close(store);

        Floor f = {0};
        f.paths = calloc(n * 13 + 1, sizeof *f.paths);
        f.fds = calloc(n * 13 + 1, sizeof *f.fds);
        size_t budget = fds;
        for (size_t i = 0; i < n; i++)
                floor_add(&f, g->names[i], &budget);
        row.files = f.n;
        for (unsigned r = 0; r < rounds; r++) {
                uint64_t c0 = cpu_usec(), t0 = cg_now_usec(CLOCK_MONOTONIC);
                floor_sweep(&f);
                fl[r] = cg_now_usec(CLOCK_MONOTONIC) - t0;
                flc[r] = cpu_usec() - c0;
        }
        floor_free(&f);
        row.floor_ms = median_ms(fl, rounds);
        row.read_ms = median_ms(rd, rounds);
        row.sweep_ms = median_ms(sw, rounds);
        row.floor_cpu_ms = median_ms(flc, rounds);
        row.sweep_cpu_ms = median_ms(swc, rounds);
        free(rd), free(sw), free(fl), free(swc), free(flc);
        return row;
}

/* ---- 2. the daemon at 1 s with 1000 groups ---- */

static long api(const char *sock, const char *method, const char *path, const char *body) {
        static CURL *curl;
        if (!curl && !(curl = bench_client(sock)))
                die("curl");
        long status = bench_request(curl, method, path, body);
        if (status < 0)
                die("request to the daemon");
        return status;
}

/* utime + stime of a process, in µs. */
static uint64_t proc_cpu_usec(pid_t pid) {
        char path[64], buf[1024];
        unsigned long ut = 0, st = 0;
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        FILE *f = fopen(path, "re");
        if (!f || !fgets(buf, sizeof buf, f))
                die(path);
        fclose(f);
        char *p = strrchr(buf, ')');
        if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &st) != 2)
                die("parsing /proc/PID/stat");
        return (uint64_t)(ut + st) * SEC / (uint64_t)sysconf(_SC_CLK_TCK);
}

static double bench_daemon(const char *sock, pid_t daemon, size_t n, unsigned seconds) {
        char body[128], path[128];
        pid_t *kids = calloc(n, sizeof *kids);
        for (size_t i = 0; i < n; i++) {
                snprintf(body, sizeof body, "{\"name\":\"d%05zu\"}", i);
                if (api(sock, "POST", "/api/v1/groups", body) != 201)
                        die("creating a daemon group");
                kids[i] = fork();
                if (kids[i] == 0)
                        for (;;)
                                pause();
                snprintf(body, sizeof body, "{\"pid\":%d}", (int)kids[i]);
                snprintf(path, sizeof path, "/api/v1/groups/d%05zu/attach", i);
                if (api(sock, "POST", path, body) != 200)
                        die("attaching to a daemon group");
        }
        sleep(3); /* the sampler has listed them and settled */
        uint64_t c0 = proc_cpu_usec(daemon), t0 = cg_now_usec(CLOCK_MONOTONIC);
        sleep(seconds);
        uint64_t c1 = proc_cpu_usec(daemon), t1 = cg_now_usec(CLOCK_MONOTONIC);
        for (size_t i = 0; i < n; i++)
                kill(kids[i], SIGKILL);
        for (size_t i = 0; i < n; i++)
                waitpid(kids[i], NULL, 0);
        for (size_t i = 0; i < n; i++) {
                snprintf(path, sizeof path, "/api/v1/groups/d%05zu?force=true", i);
                (void)api(sock, "DELETE", path, NULL);
        }
        free(kids);
        return (double)(c1 - c0) / ((double)(t1 - t0) / 1e6) / 1000.0; /* ms of CPU per second */
}

/* ---- 3. ingest, bytes per group per day, the report ---- */

static CgStats synthetic(uint64_t i) {
        CgStats s = {.have = UINT32_MAX & ~(1u << CG_STAT_MEM_HIGH)};
        if (!unified)
                s.have &= ~(1u << CG_STAT_PSI_CPU_SOME_USEC | 1u << CG_STAT_PSI_CPU_FULL_USEC |
                            1u << CG_STAT_PSI_MEMORY_SOME_USEC | 1u << CG_STAT_PSI_MEMORY_FULL_USEC |
                            1u << CG_STAT_PSI_IO_SOME_USEC | 1u << CG_STAT_PSI_IO_FULL_USEC);
        s.have &= (1u << _CG_STAT_COUNT) - 1;
        /* A group that is a little busy: about 5 % of a CPU, 200 MiB that moves, some I/O. */
        s.v[CG_STAT_CPU_USAGE_USEC] = i * 500000 + i % 7 * 1234;
        s.v[CG_STAT_CPU_USER_USEC] = i * 400000;
        s.v[CG_STAT_CPU_SYSTEM_USEC] = i * 100000;
        s.v[CG_STAT_CPU_PERIODS] = i * 100;
        s.v[CG_STAT_MEM_USAGE] = (200u << 20) + (i % 97) * 4096;
        s.v[CG_STAT_MEM_PEAK] = 300u << 20;
        s.v[CG_STAT_MEM_LIMIT] = UINT64_MAX;
        s.v[CG_STAT_MEM_ANON] = (150u << 20) + (i % 13) * 4096;
        s.v[CG_STAT_MEM_FILE] = 50u << 20;
        s.v[CG_STAT_IO_READ_BYTES] = i * 40960;
        s.v[CG_STAT_IO_WRITE_BYTES] = i * 8192;
        s.v[CG_STAT_IO_READ_IOS] = i * 10;
        s.v[CG_STAT_IO_WRITE_IOS] = i * 2;
        s.v[CG_STAT_PIDS_CURRENT] = 12;
        return s;
}

/* Samples of `groups` series from `from` to `to`, every `every`, in transactions of one sweep. */
static double feed(Tsdb *t, int64_t *series, size_t groups, uint64_t from, uint64_t to, uint64_t every,
                   uint64_t *rows) {
        uint64_t t0 = cg_now_usec(CLOCK_MONOTONIC);
        for (uint64_t ts = from; ts < to; ts += every) {
                tsdb_begin(t);
                for (size_t g = 0; g < groups; g++) {
                        CgStats s = synthetic((ts - from) / every + g);
                        tsdb_sample_put(t, series[g], ts, &s, 0);
                }
                tsdb_commit(t);
                *rows += groups;
        }
        return (double)(cg_now_usec(CLOCK_MONOTONIC) - t0) / 1e6;
}

static void rollup_all(Tsdb *t, uint64_t now) {
        tsdb_begin(t);
        while (tsdb_rollup(t, now, 20 * SEC) > 0)
                ;
        tsdb_commit(t);
}

static int64_t *make_series(Tsdb *t, size_t n, uint64_t start) {
        int64_t *v = calloc(n, sizeof *v);
        bool created;
        uint64_t frozen;
        for (size_t i = 0; i < n; i++) {
                char name[16];
                snprintf(name, sizeof name, "s%05zu", i);
                tsdb_series_open(t, name, start, &v[i], &created, &frozen);
        }
        return v;
}

/* Bytes of each table with its indexes (dbstat). */
static void table_bytes(const char *db, uint64_t ret[4]) {
        static const char *const tables[4] = {"samples", "usage_1m", "usage_1h", "usage_1d"};
        sqlite3 *h;
        sqlite3_stmt *st;
        if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
                die(db);
        for (int i = 0; i < 4; i++) {
                char sql[256];
                snprintf(sql, sizeof sql,
                         "SELECT SUM(pgsize) FROM dbstat WHERE name = '%s' OR name IN "
                         "(SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = '%s')",
                         tables[i], tables[i]);
                ret[i] = 0;
                if (sqlite3_prepare_v2(h, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
                        ret[i] = (uint64_t)sqlite3_column_int64(st, 0);
                sqlite3_finalize(st);
        }
        sqlite3_close(h);
}

static void bench_storage(void) {
        const size_t groups = 100;
        Store *store;
        Tsdb *t = open_db("day.db", &store);
        uint64_t start = cg_now_usec(CLOCK_REALTIME) / DAY * DAY - 2 * DAY, rows = 0;
        int64_t *series = make_series(t, groups, start);
        double secs = feed(t, series, groups, start, start + DAY, 10 * SEC, &rows);
        printf("samples ingested: %" PRIu64 " rows in %.2f s = %.0f rows/s (one transaction per sweep of %zu)\n", rows,
               secs, (double)rows / secs, groups);
        rollup_all(t, start + DAY + HOUR);
        uint64_t b[4];
        char path[PATH_MAX];
        snprintf(path, sizeof path, "%s/day.db", db_dir);
        tsdb_close(t);
        store_close(store);
        table_bytes(path, b);
        printf("\n| tier | rows per group per day | bytes per group per day | 1000 groups, whole retention |\n"
               "|---|---|---|---|\n");
        printf("| raw, 10 s (default) | 8640 | %.0f | %.1f GB (24 h) |\n", (double)b[0] / groups,
               (double)b[0] / groups * 1000 / 1e9);
        printf("| raw, 1 s | 86400 | %.0f | %.1f GB (24 h) |\n", (double)b[0] / groups * 10,
               (double)b[0] / groups * 10 * 1000 / 1e9);
        printf("| 1 minute | 1440 | %.0f | %.1f GB (30 days) |\n", (double)b[1] / groups,
               (double)b[1] / groups * 1000 * 30 / 1e9);
        printf("| 1 hour | 24 | %.0f | %.2f GB (400 days) |\n", (double)b[2] / groups,
               (double)b[2] / groups * 1000 * 400 / 1e9);
        printf("| 1 day | 1 | %.0f | %.2f GB (1830 days) |\n\n", (double)b[3] / groups,
               (double)b[3] / groups * 1000 * 1830 / 1e9);
        free(series);
}

static void bench_report(unsigned rounds) {
        const size_t groups = 1000;
        Store *store;
        Tsdb *t = open_db("report.db", &store);
        uint64_t now = cg_now_usec(CLOCK_REALTIME), rows = 0;
        uint64_t from = now - 30 * DAY, dense = now - 2 * HOUR;
        int64_t *series = make_series(t, groups, from);
        /* 30 days of history as the tiers hold it: hourly samples, then the last two hours
         * at the default 10 s, all rolled up as the daemon would. */
        double secs = feed(t, series, groups, from, dense, HOUR, &rows);
        secs += feed(t, series, groups, dense / (10 * SEC) * (10 * SEC), now, 10 * SEC, &rows);
        rollup_all(t, now);
        uint64_t *lat = calloc(rounds, sizeof *lat), *lat_day = calloc(rounds, sizeof *lat_day);
        size_t n = 0;
        for (unsigned r = 0; r < rounds; r++) {
                TsReportRow *v = NULL;
                uint64_t t0 = cg_now_usec(CLOCK_MONOTONIC);
                if (tsdb_report(t, from, now, NULL, TS_BY_NONE, &v, &n) < 0)
                        die("report");
                uint64_t t1 = cg_now_usec(CLOCK_MONOTONIC);
                free(v);
                if (tsdb_report(t, from, now, NULL, TS_BY_DAY, &v, &n) < 0)
                        die("report by day");
                lat_day[r] = cg_now_usec(CLOCK_MONOTONIC) - t1;
                lat[r] = t1 - t0;
                free(v);
        }
        printf("30-day report over %zu groups (%" PRIu64 " samples fed in %.1f s, rolled up): %.1f ms totals, %.1f "
               "ms by day (%zu rows); target < 200 ms\n",
               groups, rows, secs, median_ms(lat, rounds), median_ms(lat_day, rounds), n);
        free(lat), free(lat_day), free(series);
        tsdb_close(t);
        store_close(store);
}

int main(int argc, char **argv) {
        static const struct option opts[] = {
            {"raw-root", required_argument, NULL, 'r'},      {"db-dir", required_argument, NULL, 'd'},
            {"daemon-socket", required_argument, NULL, 's'}, {"daemon-pid", required_argument, NULL, 'p'},
            {"rounds", required_argument, NULL, 'n'},        {"groups", required_argument, NULL, 'g'},
            {"sweeps-only", no_argument, NULL, 'o'},         {0},
        };
        const char *sock = NULL, *sizes = "10,100,1000,5000";
        pid_t daemon = 0;
        unsigned rounds = 20;
        bool sweeps_only = false;
        int c;
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                switch (c) {
                case 'r': raw_root = optarg; break;
                case 'd': db_dir = optarg; break;
                case 's': sock = optarg; break;
                case 'p': daemon = (pid_t)atoi(optarg); break;
                case 'n': rounds = (unsigned)atoi(optarg); break;
                case 'g': sizes = optarg; break;
                case 'o': sweeps_only = true; break;
                default: return 2;
                }
        }
        if (!raw_root || !db_dir || rounds < 1)
                return fprintf(stderr, "usage: see bench/sampling.c\n"), 2;
        struct stat st;
        unified = stat("/sys/fs/cgroup/cgroup.controllers", &st) == 0;
        struct rlimit rl;
        getrlimit(RLIMIT_NOFILE, &rl);
        printf("\n## Sampling (%s, open-file limit %llu; %u rounds, medians)\n\n", unified ? "cgroup v2" : "cgroup v1",
               (unsigned long long)rl.rlim_cur, rounds);
        printf("| groups | files | kept open / read cold | floor: pread loop | sampler read | ratio | sweep with "
               "its SQLite transaction | ratio | CPU: floor / sweep |\n|---|---|---|---|---|---|---|---|---|\n");
        Groups g = {0};
        SweepRow r1000 = {0};
        for (const char *p = sizes; *p;) {
                size_t n = strtoul(p, (char **)&p, 10);
                if (*p == ',')
                        p++;
                make_groups(&g, n);
                SweepRow r = bench_sweep(&g, n, rounds);
                if (n == 1000)
                        r1000 = r;
                printf("| %zu | %zu | %zu / %zu | %.3f ms | %.3f ms | %.2f× | %.3f ms | %.2f× | %.2f / %.2f ms |\n",
                       r.n, r.files, r.hot, r.cold, r.floor_ms, r.read_ms, r.read_ms / r.floor_ms, r.sweep_ms,
                       r.sweep_ms / r.floor_ms, r.floor_cpu_ms, r.sweep_cpu_ms);
                fflush(stdout);
        }
        remove_groups(&g);
        if (sweeps_only)
                return 0;
        if (sock && daemon && r1000.n) {
                double ms = bench_daemon(sock, daemon, 1000, 20);
                printf("\ncgwardend at --interval 1s with 1000 groups: %.1f ms of CPU per second (%.2f %% of a core); "
                       "the floor's sweep once a second: %.1f ms; ratio %.2f× (target ≤ 1.5×; Netdata ≈ 5×)\n",
                       ms, ms / 10, r1000.floor_cpu_ms, ms / r1000.floor_cpu_ms);
        }
        printf("(Netdata: %s)\n\n", access("/usr/sbin/netdata", X_OK) == 0
                                        ? "installed, but its collector is not driven by this benchmark yet"
                                        : "not installed here; PERFORMANCE.md has its figure from the same machine");
        bench_storage();
        bench_report(rounds < 5 ? rounds : 5);
        return 0;
}
