/* Which file holds which value, on each layout (admin-guide/cgroup-v1/ and cgroup-v2.rst), and how to
 * read it. One table per layout; a reader opens what the group has and keeps it open. */
#include "cg-stats.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "cg-util.h"

typedef enum Parse {
        ONE,    /* one number ("max" = UINT64_MAX) */
        KEYED,  /* "key value" lines */
        BLKIO,  /* v1 blkio: "MAJ:MIN Read N" lines */
        IOSTAT, /* v2 io.stat: "MAJ:MIN rbytes=N wbytes=N rios=N wios=N ..." lines */
        PSI,    /* v2 *.pressure: "some avg10=… avg60=… avg300=… total=N" (µs), and "full …" */
        STATE,  /* v1 freezer.state: "FROZEN" is 1, THAWED and FREEZING 0 */
} Parse;

/* value = raw * mul / div; div 0 means clock ticks (USER_HZ). */
typedef struct Key {
        const char *key;
        CgStat stat;
        uint64_t mul, div;
} Key;

typedef struct FileSpec {
        CgController ctrl;
        const char *name;
        Parse parse;
        Key one; /* for ONE */
        const Key *keys;
} FileSpec;

#define K(k, s, m, d) \
        { k, s, m, d }
#define END \
        { NULL, 0, 0, 0 }

static const Key v1_cpuacct_stat[] = {K("user", CG_STAT_CPU_USER_USEC, 1000000, 0),
                                      K("system", CG_STAT_CPU_SYSTEM_USEC, 1000000, 0), END};
static const Key v1_cpu_stat[] = {K("nr_periods", CG_STAT_CPU_PERIODS, 1, 1),
                                  K("nr_throttled", CG_STAT_CPU_THROTTLED_PERIODS, 1, 1),
                                  K("throttled_time", CG_STAT_CPU_THROTTLED_USEC, 1, 1000), END};
static const Key v1_memory_stat[] = {K("total_rss", CG_STAT_MEM_ANON, 1, 1), K("total_cache", CG_STAT_MEM_FILE, 1, 1),
                                     K("total_swap", CG_STAT_MEM_SWAP, 1, 1), END};
static const Key v1_oom[] = {K("oom_kill", CG_STAT_OOM_KILLS, 1, 1), END};
static const Key v1_blkio_bytes[] = {K("Read", CG_STAT_IO_READ_BYTES, 1, 1), K("Write", CG_STAT_IO_WRITE_BYTES, 1, 1),
                                     END};
static const Key v1_blkio_ios[] = {K("Read", CG_STAT_IO_READ_IOS, 1, 1), K("Write", CG_STAT_IO_WRITE_IOS, 1, 1), END};

static const FileSpec v1_files[] = {
    {CG_CTRL_CPUACCT, "cpuacct.usage", ONE, K(NULL, CG_STAT_CPU_USAGE_USEC, 1, 1000), NULL},
    {CG_CTRL_CPUACCT, "cpuacct.stat", KEYED, END, v1_cpuacct_stat},
    {CG_CTRL_CPU, "cpu.stat", KEYED, END, v1_cpu_stat},
    {CG_CTRL_MEMORY, "memory.usage_in_bytes", ONE, K(NULL, CG_STAT_MEM_USAGE, 1, 1), NULL},
    {CG_CTRL_MEMORY, "memory.max_usage_in_bytes", ONE, K(NULL, CG_STAT_MEM_PEAK, 1, 1), NULL},
    {CG_CTRL_MEMORY, "memory.limit_in_bytes", ONE, K(NULL, CG_STAT_MEM_LIMIT, 1, 1), NULL},
    {CG_CTRL_MEMORY, "memory.failcnt", ONE, K(NULL, CG_STAT_MEM_FAILCNT, 1, 1), NULL},
    {CG_CTRL_MEMORY, "memory.stat", KEYED, END, v1_memory_stat},
    {CG_CTRL_MEMORY, "memory.oom_control", KEYED, END, v1_oom},
    {CG_CTRL_BLKIO, "blkio.throttle.io_service_bytes_recursive", BLKIO, END, v1_blkio_bytes},
    {CG_CTRL_BLKIO, "blkio.throttle.io_serviced_recursive", BLKIO, END, v1_blkio_ios},
    {CG_CTRL_PIDS, "pids.current", ONE, K(NULL, CG_STAT_PIDS_CURRENT, 1, 1), NULL},
    {CG_CTRL_FREEZER, "freezer.state", STATE, K(NULL, CG_STAT_FROZEN, 1, 1), NULL},
};

static const Key v2_cpu_stat[] = {K("usage_usec", CG_STAT_CPU_USAGE_USEC, 1, 1),
                                  K("user_usec", CG_STAT_CPU_USER_USEC, 1, 1),
                                  K("system_usec", CG_STAT_CPU_SYSTEM_USEC, 1, 1),
                                  K("nr_periods", CG_STAT_CPU_PERIODS, 1, 1),
                                  K("nr_throttled", CG_STAT_CPU_THROTTLED_PERIODS, 1, 1),
                                  K("throttled_usec", CG_STAT_CPU_THROTTLED_USEC, 1, 1),
                                  END};
static const Key v2_memory_events[] = {K("max", CG_STAT_MEM_FAILCNT, 1, 1), K("high", CG_STAT_MEM_HIGH, 1, 1),
                                       K("oom_kill", CG_STAT_OOM_KILLS, 1, 1), END};
static const Key v2_memory_stat[] = {K("anon", CG_STAT_MEM_ANON, 1, 1), K("file", CG_STAT_MEM_FILE, 1, 1), END};
static const Key v2_io_stat[] = {K("rbytes", CG_STAT_IO_READ_BYTES, 1, 1), K("wbytes", CG_STAT_IO_WRITE_BYTES, 1, 1),
                                 K("rios", CG_STAT_IO_READ_IOS, 1, 1), K("wios", CG_STAT_IO_WRITE_IOS, 1, 1), END};

static const Key v2_cgroup_events[] = {K("frozen", CG_STAT_FROZEN, 1, 1), END};
static const Key v2_psi_cpu[] = {K("some", CG_STAT_PSI_CPU_SOME_USEC, 1, 1), K("full", CG_STAT_PSI_CPU_FULL_USEC, 1, 1),
                                 END};
static const Key v2_psi_memory[] = {K("some", CG_STAT_PSI_MEMORY_SOME_USEC, 1, 1),
                                    K("full", CG_STAT_PSI_MEMORY_FULL_USEC, 1, 1), END};
static const Key v2_psi_io[] = {K("some", CG_STAT_PSI_IO_SOME_USEC, 1, 1), K("full", CG_STAT_PSI_IO_FULL_USEC, 1, 1),
                                END};

/* On v2 every file is in the one directory; the controller says which must be enabled. */
static const FileSpec v2_files[] = {
    {CG_CTRL_CPUACCT, "cpu.stat", KEYED, END, v2_cpu_stat},
    {CG_CTRL_MEMORY, "memory.current", ONE, K(NULL, CG_STAT_MEM_USAGE, 1, 1), NULL},
    {CG_CTRL_MEMORY, "memory.peak", ONE, K(NULL, CG_STAT_MEM_PEAK, 1, 1), NULL},
    {CG_CTRL_MEMORY, "memory.max", ONE, K(NULL, CG_STAT_MEM_LIMIT, 1, 1), NULL},
    {CG_CTRL_MEMORY, "memory.events", KEYED, END, v2_memory_events},
    {CG_CTRL_MEMORY, "memory.stat", KEYED, END, v2_memory_stat},
    {CG_CTRL_MEMORY, "memory.swap.current", ONE, K(NULL, CG_STAT_MEM_SWAP, 1, 1), NULL},
    {CG_CTRL_BLKIO, "io.stat", IOSTAT, END, v2_io_stat},
    {CG_CTRL_PIDS, "pids.current", ONE, K(NULL, CG_STAT_PIDS_CURRENT, 1, 1), NULL},
    {CG_CTRL_FREEZER, "cgroup.events", KEYED, END, v2_cgroup_events},
    /* Present where the kernel has PSI (CONFIG_PSI, not disabled with psi=0). */
    {CG_CTRL_CPUACCT, "cpu.pressure", PSI, END, v2_psi_cpu},
    {CG_CTRL_CPUACCT, "memory.pressure", PSI, END, v2_psi_memory},
    {CG_CTRL_CPUACCT, "io.pressure", PSI, END, v2_psi_io},
};

static const char *const names[_CG_STAT_COUNT][3] = {
    [CG_STAT_CPU_USAGE_USEC] = {"cpu", "usage_usec", "cpu_usage_usec"},
    [CG_STAT_CPU_USER_USEC] = {"cpu", "user_usec", "cpu_user_usec"},
    [CG_STAT_CPU_SYSTEM_USEC] = {"cpu", "system_usec", "cpu_system_usec"},
    [CG_STAT_CPU_PERIODS] = {"cpu", "periods", "cpu_periods"},
    [CG_STAT_CPU_THROTTLED_PERIODS] = {"cpu", "throttled_periods", "cpu_throttled_periods"},
    [CG_STAT_CPU_THROTTLED_USEC] = {"cpu", "throttled_usec", "cpu_throttled_usec"},
    [CG_STAT_MEM_USAGE] = {"memory", "usage", "memory_usage"},
    [CG_STAT_MEM_PEAK] = {"memory", "peak", "memory_peak"},
    [CG_STAT_MEM_LIMIT] = {"memory", "limit", "memory_limit"},
    [CG_STAT_MEM_FAILCNT] = {"memory", "limit_hits", "memory_limit_hits"},
    [CG_STAT_MEM_HIGH] = {"memory", "high_hits", "memory_high_hits"},
    [CG_STAT_MEM_ANON] = {"memory", "anon", "memory_anon"},
    [CG_STAT_MEM_FILE] = {"memory", "file", "memory_file"},
    [CG_STAT_MEM_SWAP] = {"memory", "swap", "memory_swap"},
    [CG_STAT_OOM_KILLS] = {"memory", "oom_kills", "memory_oom_kills"},
    [CG_STAT_IO_READ_BYTES] = {"io", "read_bytes", "io_read_bytes"},
    [CG_STAT_IO_WRITE_BYTES] = {"io", "write_bytes", "io_write_bytes"},
    [CG_STAT_IO_READ_IOS] = {"io", "read_ios", "io_read_ios"},
    [CG_STAT_IO_WRITE_IOS] = {"io", "write_ios", "io_write_ios"},
    [CG_STAT_PIDS_CURRENT] = {"pids", "current", "pids_current"},
    [CG_STAT_FROZEN] = {"freezer", "frozen", "freezer_frozen"},
    [CG_STAT_PSI_CPU_SOME_USEC] = {"pressure", "cpu_some_usec", "pressure_cpu_some_usec"},
    [CG_STAT_PSI_CPU_FULL_USEC] = {"pressure", "cpu_full_usec", "pressure_cpu_full_usec"},
    [CG_STAT_PSI_MEMORY_SOME_USEC] = {"pressure", "memory_some_usec", "pressure_memory_some_usec"},
    [CG_STAT_PSI_MEMORY_FULL_USEC] = {"pressure", "memory_full_usec", "pressure_memory_full_usec"},
    [CG_STAT_PSI_IO_SOME_USEC] = {"pressure", "io_some_usec", "pressure_io_some_usec"},
    [CG_STAT_PSI_IO_FULL_USEC] = {"pressure", "io_full_usec", "pressure_io_full_usec"},
};

const char *cg_stat_section(CgStat s) {
        return names[s][0];
}

const char *cg_stat_key(CgStat s) {
        return names[s][1];
}

const char *cg_stat_column(CgStat s) {
        return names[s][2];
}

bool cg_stat_is_counter(CgStat s) {
        switch (s) {
        case CG_STAT_MEM_USAGE:
        case CG_STAT_MEM_PEAK:
        case CG_STAT_MEM_LIMIT:
        case CG_STAT_MEM_ANON:
        case CG_STAT_MEM_FILE:
        case CG_STAT_MEM_SWAP:
        case CG_STAT_PIDS_CURRENT:
        case CG_STAT_FROZEN: return false;
        default: return true;
        }
}

typedef struct Open {
        int fd;
        const FileSpec *spec;
} Open;

struct CgStatReader {
        int mem_dir; /* v1: the memory directory, for its descendants' OOM kills; -1 */
        size_t n;
        Open files[ELEMENTSOF(v1_files) > ELEMENTSOF(v2_files) ? ELEMENTSOF(v1_files) : ELEMENTSOF(v2_files)];
};

int cg_stat_reader_open(const int dirs[_CG_CTRL_COUNT], bool unified, CgStatReader **ret) {
        const FileSpec *specs = unified ? v2_files : v1_files;
        size_t n = unified ? ELEMENTSOF(v2_files) : ELEMENTSOF(v1_files);
        CgStatReader *r = calloc(1, sizeof *r);
        if (!r)
                return -ENOMEM;
        r->mem_dir = !unified && dirs[CG_CTRL_MEMORY] >= 0 ? fcntl(dirs[CG_CTRL_MEMORY], F_DUPFD_CLOEXEC, 3) : -1;
        for (size_t i = 0; i < n; i++) {
                int dir = dirs[specs[i].ctrl];
                int fd = dir < 0 ? -1 : openat(dir, specs[i].name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
                if (fd >= 0) /* a file the kernel or layout lacks is a value left out */
                        r->files[r->n++] = (Open){fd, &specs[i]};
        }
        *ret = r;
        return 0;
}

void cg_stat_reader_free(CgStatReader *r) {
        if (!r)
                return;
        for (size_t i = 0; i < r->n; i++)
                close(r->files[i].fd);
        if (r->mem_dir >= 0)
                close(r->mem_dir);
        free(r);
}

static void put(CgStats *s, const Key *k, uint64_t raw, bool add) {
        static uint64_t ticks;
        if (!ticks) {
                long t = sysconf(_SC_CLK_TCK);
                ticks = t > 0 ? (uint64_t)t : 100;
        }
        uint64_t v = raw == UINT64_MAX ? raw : raw * k->mul / (k->div ? k->div : ticks);
        /* v1 reads "unlimited" back as PAGE_COUNTER_MAX pages. */
        if (k->stat == CG_STAT_MEM_LIMIT && v >= (UINT64_C(1) << 62))
                v = UINT64_MAX;
        s->v[k->stat] = add && (s->have & (1u << k->stat)) ? s->v[k->stat] + v : v;
        s->have |= 1u << k->stat;
}

/* The key naming the word at w of length n, or NULL. */
static const Key *find(const Key *keys, const char *w, size_t n) {
        for (const Key *k = keys; k->key; k++)
                if (k->key[0] == w[0] && strlen(k->key) == n && memcmp(k->key, w, n) == 0)
                        return k;
        return NULL;
}

static uint64_t number(const char *s) {
        return strncmp(s, "max", 3) == 0 ? UINT64_MAX : strtoull(s, NULL, 10);
}

static size_t nkeys(const Key *keys) {
        size_t n = 0;
        while (keys[n].key)
                n++;
        return n;
}

/* One line (NUL-terminated, no newline) of a KEYED, BLKIO, PSI or IOSTAT file. Returns 1 if
 * it gave a KEYED value (so the caller can stop once it has them all). */
static int parse_line(const FileSpec *f, char *line, CgStats *s) {
        char *sp = strchr(line, ' ');
        const Key *k;
        if (!sp)
                return 0;
        switch (f->parse) {
        case KEYED:
                if ((k = find(f->keys, line, (size_t)(sp - line)))) {
                        put(s, k, number(sp + 1), false);
                        return 1;
                }
                return 0;
        case BLKIO: { /* "MAJ:MIN Op N", summed over disks; "Total N" has no operation */
                char *op = sp + 1, *sp2 = strchr(op, ' ');
                if (sp2 && (k = find(f->keys, op, (size_t)(sp2 - op))))
                        put(s, k, number(sp2 + 1), true);
                return 0;
        }
        case PSI: { /* "some avg10=… total=N" */
                char *total = strstr(sp, " total=");
                if (total && (k = find(f->keys, line, (size_t)(sp - line))))
                        put(s, k, number(total + 7), false);
                return 0;
        }
        case IOSTAT: /* "MAJ:MIN rbytes=N wbytes=N …", summed over disks */
                for (char *w = sp + 1; w && *w; w = strchr(w, ' '), w = w ? w + 1 : NULL) {
                        char *eq = strchr(w, '=');
                        char *end = strchr(w, ' ');
                        if (!eq || (end && eq > end))
                                continue;
                        if ((k = find(f->keys, w, (size_t)(eq - w))))
                                put(s, k, number(eq + 1), true);
                }
                return 0;
        default: return 0;
        }
}

/* One pass over the file's lines, with no tokenizer: a memory.stat has some fifty lines of
 * which three are wanted, so the comparisons are what a sweep's CPU goes to. */
static void parse(const FileSpec *f, char *buf, size_t len, CgStats *s) {
        if (f->parse == ONE || f->parse == STATE) {
                put(s, &f->one, f->parse == ONE ? number(buf) : strncmp(buf, "FROZEN", 6) == 0, false);
                return;
        }
        /* Per-disk files list only disks that saw I/O: none means zero. */
        if (f->parse == BLKIO || f->parse == IOSTAT)
                for (const Key *k = f->keys; k->key; k++)
                        put(s, k, 0, false);
        size_t want = f->parse == KEYED ? nkeys(f->keys) : SIZE_MAX, got = 0;
        for (char *line = buf, *end = buf + len; line < end && got < want;) {
                char *nl = memchr(line, '\n', (size_t)(end - line));
                if (nl)
                        *nl = '\0';
                got += (size_t)parse_line(f, line, s);
                line = nl ? nl + 1 : end;
        }
}

/* The OOM kills counted below dir. cgroup v1 counts a kill only in the killed task's own
 * memcg, not in the ancestor whose limit was hit (memcontrol does not propagate events on
 * the legacy hierarchy): under systemd that is the process's scope below the group's slice.
 * kernfs gives a directory 2 + one link per subdirectory, so a group without children costs
 * one fstat. */
static uint64_t v1_descendant_oom_kills(int dir, unsigned depth) {
        struct stat st;
        uint64_t sum = 0;
        if (depth > 16 || fstat(dir, &st) < 0 || st.st_nlink <= 2)
                return 0;
        int fd = fcntl(dir, F_DUPFD_CLOEXEC, 3);
        DIR *d = fd < 0 ? NULL : fdopendir(fd);
        if (!d) {
                if (fd >= 0)
                        close(fd);
                return 0;
        }
        for (struct dirent *e; (e = readdir(d));) {
                if (e->d_type != DT_DIR || e->d_name[0] == '.')
                        continue;
                int sub = openat(dir, e->d_name, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW);
                if (sub < 0)
                        continue;
                char buf[256];
                int f = openat(sub, "memory.oom_control", O_RDONLY | O_CLOEXEC);
                ssize_t n = f < 0 ? -1 : pread(f, buf, sizeof buf - 1, 0);
                if (f >= 0)
                        close(f);
                if (n > 0) {
                        buf[n] = '\0';
                        const char *k = strstr(buf, "oom_kill ");
                        if (k)
                                sum += strtoull(k + 9, NULL, 10);
                }
                sum += v1_descendant_oom_kills(sub, depth + 1);
                close(sub);
        }
        closedir(d);
        return sum;
}

int cg_stat_read(CgStatReader *r, CgStats *ret) {
        char buf[16384];
        *ret = (CgStats){0};
        for (size_t i = 0; i < r->n; i++) {
                ssize_t n = pread(r->files[i].fd, buf, sizeof buf - 1, 0);
                if (n < 0)
                        continue; /* the group went away meanwhile: values left out */
                buf[n] = '\0';
                parse(r->files[i].spec, buf, (size_t)n, ret);
        }
        if (r->mem_dir >= 0 && (ret->have & (1u << CG_STAT_OOM_KILLS)))
                ret->v[CG_STAT_OOM_KILLS] += v1_descendant_oom_kills(r->mem_dir, 0);
        return 0;
}

size_t cg_stat_reader_nfds(const CgStatReader *r) {
        return r->n + (r->mem_dir >= 0);
}

static int reader_fd(const CgStatReader *r, const char *name) {
        for (size_t i = 0; i < r->n; i++)
                if (strcmp(r->files[i].spec->name, name) == 0)
                        return r->files[i].fd;
        return -ENOENT;
}

int cg_stat_watch_oom(CgStatReader *r, const int dirs[_CG_CTRL_COUNT], bool unified, int inotify_fd, int *ret_fd) {
        char buf[64];
        int fd = reader_fd(r, unified ? "memory.events" : "memory.oom_control");
        if (fd < 0)
                return fd;
        if (unified) {
                snprintf(buf, sizeof buf, "/proc/self/fd/%d", fd);
                int wd = inotify_add_watch(inotify_fd, buf, IN_MODIFY);
                if (wd < 0)
                        return -errno;
                *ret_fd = wd;
                return 0;
        }
        if (dirs[CG_CTRL_MEMORY] < 0)
                return -ENOENT;
        int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
        if (efd < 0)
                return -errno;
        /* admin-guide/cgroup-v1/memory.rst, 9 "OOM Control": "<event_fd> <fd of memory.oom_control>". */
        int n = snprintf(buf, sizeof buf, "%d %d", efd, fd);
        int ctl = openat(dirs[CG_CTRL_MEMORY], "cgroup.event_control", O_WRONLY | O_CLOEXEC | O_NOFOLLOW);
        int r2 = ctl < 0 ? -errno : write(ctl, buf, (size_t)n) == n ? 0 : -errno;
        if (ctl >= 0)
                close(ctl);
        if (r2 < 0) {
                close(efd);
                return r2;
        }
        *ret_fd = efd;
        return 0;
}
