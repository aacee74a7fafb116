/* The cgroupfs driver for the unified hierarchy (Documentation/admin-guide/cgroup-v2.rst).
 * One tree: the daemon's root at /sys/fs/cgroup/<root>, controllers enabled top-down in
 * cgroup.subtree_control, processes only in leaves ("no internal process" rule). */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cg-driver.h"
#include "cg-bpf.h"
#include "cg-devices.h"
#include "cg-fs.h"
#include "cg-io.h"
#include "cg-name.h"
#include "cg-util.h"

#define V2_TOP       "/sys/fs/cgroup"
#define V2_PAGE_SIZE 4096u

/* The controllers this driver enables for its subtree, as v2 names them. */
static const struct {
        const char *name;
        uint32_t provides; /* CgController bits */
} v2_controllers[] = {
    {"cpu", 1u << CG_CTRL_CPU},  {"cpuset", 1u << CG_CTRL_CPUSET}, {"memory", 1u << CG_CTRL_MEMORY},
    {"io", 1u << CG_CTRL_BLKIO}, {"pids", 1u << CG_CTRL_PIDS},
};

typedef struct DriverV2 {
        CgDriver base;
        char root[CG_NAME_BUF];
        int root_fd;
        char enable[64]; /* "+cpu +memory ..." for what the host has */
        char disable[64];
} DriverV2;

static DriverV2 *v2(CgDriver *d) {
        return (DriverV2 *)d;
}

static void describe(DriverV2 *d, const CgGroupPath *g, size_t depth, char *buf, size_t size) {
        int n = snprintf(buf, size, "%s", d->root);
        for (size_t i = 0; i < depth && n > 0 && (size_t)n < size; i++)
                n += snprintf(buf + n, size - (size_t)n, "/%s", g->names[i]);
}

static int open_depth(DriverV2 *d, const CgGroupPath *g, size_t depth) {
        return cg_fs_open_path_at(d->root_fd, g->names, depth);
}

static int open_group(DriverV2 *d, const CgGroupPath *g) {
        return open_depth(d, g, g->depth);
}

static int write_attr(DriverV2 *d, const CgGroupPath *g, size_t depth, int dfd, const char *file, const char *value,
                      const char *field, CgError *err) {
        int r = cg_fs_write_at(dfd, file, value);
        if (r < 0) {
                char where[512];
                describe(d, g, depth, where, sizeof where);
                bool refused = r == -EINVAL || r == -EBUSY || r == -ENOSPC || r == -ERANGE || r == -EOPNOTSUPP;
                return cg_error_set(err, refused ? -EINVAL : r, refused ? "kernel_refused" : "cgroupfs_error", field,
                                    "writing \"%s\" to %s/%s: %s", value, where, file, strerror(-r));
        }
        return 0;
}

/* Which of our controllers a cgroup.controllers or subtree_control line lists. */
static uint32_t parse_controllers(const char *line, char *ret_enable, size_t size) {
        uint32_t mask = 0;
        size_t n = 0;
        if (ret_enable)
                ret_enable[0] = '\0';
        for (size_t i = 0; i < ELEMENTSOF(v2_controllers); i++) {
                const char *name = v2_controllers[i].name, *p = line;
                size_t len = strlen(name);
                while ((p = strstr(p, name))) {
                        bool start = p == line || p[-1] == ' ';
                        if (start && (p[len] == ' ' || p[len] == '\0' || p[len] == '\n')) {
                                mask |= v2_controllers[i].provides;
                                if (ret_enable)
                                        n += (size_t)snprintf(ret_enable + n, size - n, "%s+%s", n ? " " : "", name);
                                break;
                        }
                        p += len;
                }
        }
        return mask;
}

/* Makes a group pass our controllers to its children. Each is enabled on its own so an
 * error names the one the kernel refused; what is enabled already is left alone. */
static int enable_subtree(DriverV2 *d, const CgGroupPath *g, size_t depth, int fd, CgError *err) {
        char cur[256];
        int r = cg_fs_read_at(fd, "cgroup.subtree_control", cur, sizeof cur);
        if (r < 0)
                return cg_error_set(err, r, "cgroupfs_error", NULL, "reading cgroup.subtree_control: %s", strerror(-r));
        for (size_t i = 0; i < ELEMENTSOF(v2_controllers); i++) {
                char plus[16];
                if (v2_controllers[i].provides == 1u << CG_CTRL_DEVICES)
                        continue;
                if (!(d->base.controllers & v2_controllers[i].provides) ||
                    parse_controllers(cur, NULL, 0) & v2_controllers[i].provides)
                        continue;
                snprintf(plus, sizeof plus, "+%s", v2_controllers[i].name);
                r = cg_fs_write_at(fd, "cgroup.subtree_control", plus);
                /* The "no internal process" rule: 6.1 says EOPNOTSUPP, older kernels EBUSY. */
                if (r == -EBUSY || r == -EOPNOTSUPP)
                        return cg_error_set(err, -EBUSY, "parent_has_processes", "/parent",
                                            "on cgroup v2 a group with processes cannot have child groups");
                if (r < 0)
                        return write_attr(d, g, depth, fd, "cgroup.subtree_control", plus, NULL, err);
        }
        return 0;
}

static int v2_create(CgDriver *drv, const CgGroupPath *g, CgError *err) {
        DriverV2 *d = v2(drv);
        _cleanup_close_ int pfd = open_depth(d, g, g->depth - 1);
        if (pfd < 0)
                return cg_error_set(err, pfd, "parent_missing", NULL, "cannot open the parent group: %s",
                                    strerror(-pfd));
        if (g->depth > 1) {
                int r = enable_subtree(d, g, g->depth - 1, pfd, err);
                if (r < 0)
                        return r;
        }
        if (mkdirat(pfd, g->names[g->depth - 1], 0755) < 0)
                return errno == EEXIST
                           ? 0
                           : cg_error_set(err, -errno, "cgroupfs_error", NULL, "mkdir %s: %m", g->names[g->depth - 1]);
        return 1;
}

static int v2_exists(CgDriver *drv, const CgGroupPath *g) {
        _cleanup_close_ int fd = open_group(v2(drv), g);
        return fd == -ENOENT ? 0 : fd < 0 ? fd : 1;
}

typedef struct V2Write {
        uint32_t ctrl; /* CgController bit */
        const char *file;
        char value[96];
} V2Write;

static void fmt_max(char *buf, size_t size, uint64_t v) {
        if (v == CG_UNLIMITED)
                snprintf(buf, size, "max");
        else
                snprintf(buf, size, "%" PRIu64, v);
}

static int v2_render(DriverV2 *d, const CgGroupPath *g, const CgLimits *want, CgLimitKey k, V2Write *w, CgError *err) {
        bool on = want->set & CG_LIMIT_BIT(k);
        switch (k) {
        case CG_LIMIT_MEMORY_MAX:
                *w = (V2Write){1u << CG_CTRL_MEMORY, "memory.max", ""};
                fmt_max(w->value, sizeof w->value, on ? want->memory_max_bytes : CG_UNLIMITED);
                return 0;
        case CG_LIMIT_MEMORY_RESERVATION:
                /* memory.low: best-effort protection, the v2 counterpart of v1's soft limit. */
                *w = (V2Write){1u << CG_CTRL_MEMORY, "memory.low", ""};
                fmt_max(w->value, sizeof w->value, on ? want->memory_reservation_bytes : 0);
                return 0;
        case CG_LIMIT_MEMORY_SWAP_MAX:
                *w = (V2Write){1u << CG_CTRL_MEMORY, "memory.swap.max", ""};
                fmt_max(w->value, sizeof w->value, on ? want->memory_swap_max_bytes : CG_UNLIMITED);
                return 0;
        case CG_LIMIT_CPU_MAX:
                *w = (V2Write){1u << CG_CTRL_CPU, "cpu.max", ""};
                if (!on || want->cpu_quota_usec == CG_UNLIMITED)
                        snprintf(w->value, sizeof w->value, "max %u", CG_CPU_PERIOD_USEC);
                else
                        snprintf(w->value, sizeof w->value, "%" PRIu64 " %u", want->cpu_quota_usec, CG_CPU_PERIOD_USEC);
                return 0;
        case CG_LIMIT_CPU_WEIGHT:
                *w = (V2Write){1u << CG_CTRL_CPU, "cpu.weight", ""};
                snprintf(w->value, sizeof w->value, "%" PRIu32, on ? want->cpu_weight : CG_CPU_WEIGHT_DEFAULT);
                return 0;
        case CG_LIMIT_CPUSET_CPUS:
        case CG_LIMIT_CPUSET_MEMS: {
                bool cpus = k == CG_LIMIT_CPUSET_CPUS;
                *w = (V2Write){1u << CG_CTRL_CPUSET, cpus ? "cpuset.cpus" : "cpuset.mems", ""};
                if (!on) {
                        /* Empty means the parent's (cgroup-v2.rst "Cpuset Interface Files"); a
                         * zero-length write never reaches the kernel, so send a newline. */
                        snprintf(w->value, sizeof w->value, "\n");
                        return 0;
                }
                char parent[sizeof w->value];
                const CgCpuSet *set = cpus ? &want->cpuset_cpus : &want->cpuset_mems;
                _cleanup_close_ int pfd = open_depth(d, g, g->depth - 1);
                int r = pfd < 0 ? pfd
                                : cg_fs_read_at(pfd, cpus ? "cpuset.cpus.effective" : "cpuset.mems.effective", parent,
                                                sizeof parent);
                if (r < 0)
                        return cg_error_set(err, r, "cgroupfs_error", NULL, "reading the parent's cpuset: %s",
                                            strerror(-r));
                /* v2 accepts any list and quietly narrows it: refuse what the parent does not have. */
                r = cg_cpuset_check_within(set, parent, k, err);
                if (r < 0)
                        return r;
                return cg_cpuset_format(set, w->value, sizeof w->value) < 0 ? -ENOBUFS : 0;
        }
        case CG_LIMIT_IO_WEIGHT:
                /* io.weight (iocost) takes the weight as is; v2_apply_limits falls back to BFQ. */
                *w = (V2Write){1u << CG_CTRL_BLKIO, "io.weight", ""};
                snprintf(w->value, sizeof w->value, "default %" PRIu32, on ? want->io_weight : CG_IO_WEIGHT_DEFAULT);
                return 0;
        case CG_LIMIT_IO_MAX: *w = (V2Write){1u << CG_CTRL_BLKIO, "io.max", ""}; return 0;
        case CG_LIMIT_DEVICES: *w = (V2Write){1u << CG_CTRL_DEVICES, "cgroup.procs", ""}; return 0; /* eBPF */
        case CG_LIMIT_PIDS_MAX:
                *w = (V2Write){1u << CG_CTRL_PIDS, "pids.max", ""};
                fmt_max(w->value, sizeof w->value, on ? want->pids_max : CG_UNLIMITED);
                return 0;
        default: return -EINVAL;
        }
}

/* Whether the file already holds what `w` would write; sizes read back in whole pages. */
static bool v2_matches(int fd, CgLimitKey k, const V2Write *w) {
        char cur[4096];
        if (cg_fs_read_at(fd, w->file, cur, sizeof cur) < 0)
                return false;
        if (k == CG_LIMIT_CPUSET_CPUS || k == CG_LIMIT_CPUSET_MEMS) {
                CgCpuSet a, b;
                bool want_empty = strcmp(w->value, "\n") == 0;
                if (want_empty || !cur[0])
                        return want_empty && !cur[0];
                return cg_cpuset_parse(cur, &a) == 0 && cg_cpuset_parse(w->value, &b) == 0 &&
                       memcmp(&a, &b, sizeof a) == 0;
        }
        if (k == CG_LIMIT_IO_WEIGHT) /* "default 100" first, then per-device overrides */
                return strncmp(cur, w->value, strlen(w->value)) == 0 &&
                       (cur[strlen(w->value)] == '\n' || cur[strlen(w->value)] == '\0');
        if ((k == CG_LIMIT_MEMORY_MAX || k == CG_LIMIT_MEMORY_RESERVATION || k == CG_LIMIT_MEMORY_SWAP_MAX) &&
            strcmp(w->value, "max") != 0)
                return strtoull(cur, NULL, 10) == strtoull(w->value, NULL, 10) / V2_PAGE_SIZE * V2_PAGE_SIZE &&
                       strcmp(cur, "max") != 0;
        return strcmp(cur, w->value) == 0;
}

/* io.max as the kernel prints it and as we would write it: all four fields, "max" for none. */
static void io_line(const CgIoMax *e, char *buf, size_t size) {
        size_t n = (size_t)snprintf(buf, size, "%" PRIu32 ":%" PRIu32, e->major, e->minor);
        for (CgIoField f = 0; f < _CG_IO_FIELD_COUNT; f++) {
                bool on = e && (e->set & (1u << f)) && e->v[f] != CG_UNLIMITED;
                n += on ? (size_t)snprintf(buf + n, size - n, " %s=%" PRIu64, cg_io_field_name(f), e->v[f])
                        : (size_t)snprintf(buf + n, size - n, " %s=max", cg_io_field_name(f));
        }
}

/* Makes io.max hold exactly want's throttles (cgroup-v2.rst "IO Interface Files"). */
static int v2_sync_io_max(DriverV2 *d, const CgGroupPath *g, int fd, const CgLimits *want, bool *ret_changed,
                          CgError *err) {
        char cur[4096], line[160], have_line[160];
        CgIoMax have[CG_IO_DEVICES_MAX];
        uint32_t n = 0;
        int r = cg_fs_read_at(fd, "io.max", cur, sizeof cur);
        if (r >= 0)
                r = cg_io_max_parse(cur, have, &n);
        if (r < 0)
                return cg_error_set(err, r, "cgroupfs_error", NULL, "reading io.max: %s", strerror(-r));
        for (uint32_t i = 0; i < want->n_io_max; i++) {
                const CgIoMax *e = &want->io_max[i], *k = cg_io_max_find(have, n, e->major, e->minor);
                io_line(e, line, sizeof line);
                if (k) {
                        io_line(k, have_line, sizeof have_line);
                        if (strcmp(line, have_line) == 0)
                                continue;
                }
                r = write_attr(d, g, g->depth, fd, "io.max", line, "/io/max", err);
                if (r < 0)
                        return r;
                *ret_changed = true;
        }
        for (uint32_t i = 0; i < n; i++) {
                if (cg_io_max_find((CgIoMax *)want->io_max, want->n_io_max, have[i].major, have[i].minor))
                        continue;
                CgIoMax none = {.major = have[i].major, .minor = have[i].minor};
                io_line(&none, line, sizeof line);
                r = write_attr(d, g, g->depth, fd, "io.max", line, "/io/max", err);
                if (r < 0)
                        return r;
                *ret_changed = true;
        }
        return 0;
}

static const char *controller_of(uint32_t bit) {
        for (size_t i = 0; i < ELEMENTSOF(v2_controllers); i++)
                if (v2_controllers[i].provides == bit)
                        return v2_controllers[i].name;
        return "?";
}

static int v2_apply_limits(CgDriver *drv, const CgGroupPath *g, const CgLimits *want, unsigned flags,
                           uint32_t *ret_written, CgError *err) {
        DriverV2 *d = v2(drv);
        uint32_t written = 0;
        _cleanup_close_ int fd = open_group(d, g);
        if (fd < 0)
                return cg_error_set(err, fd, "cgroupfs_error", NULL, "cannot open group %s: %s", g->names[g->depth - 1],
                                    strerror(-fd));
        for (CgLimitKey k = 0; k < _CG_LIMIT_COUNT; k++) {
                if (!((want->set | want->clear) & CG_LIMIT_BIT(k)))
                        continue;
                V2Write w;
                int r = v2_render(d, g, want, k, &w, err);
                if (r < 0)
                        return r;
                if (!(d->base.controllers & w.ctrl))
                        return cg_error_set(err, -EOPNOTSUPP, "controller_unavailable", cg_limit_key_pointer(k),
                                            "the %s controller is not available on this host", controller_of(w.ctrl));
                if (k == CG_LIMIT_IO_WEIGHT && faccessat(fd, w.file, F_OK, 0) < 0) {
                        /* No iocost: BFQ's weight, on its own scale, where the kernel has it. */
                        w.file = "io.bfq.weight";
                        snprintf(
                            w.value, sizeof w.value, "default %" PRIu64,
                            cg_io_weight_to_bfq(want->set & CG_LIMIT_BIT(k) ? want->io_weight : CG_IO_WEIGHT_DEFAULT));
                }
                if (faccessat(fd, w.file, F_OK, 0) < 0)
                        return cg_error_set(err, -EOPNOTSUPP, "controller_unavailable", cg_limit_key_pointer(k),
                                            "%s does not exist on this host (kernel or swap accounting)", w.file);
                if (k == CG_LIMIT_DEVICES) {
                        /* No devices controller on v2: an eBPF program per group (cgroup-v2.rst
                         * "Device controller"), generated from the rules as crun does it. */
                        bool changed = false;
                        if (want->set & CG_LIMIT_BIT(k)) {
                                struct bpf_insn prog[CG_DEVICES_BPF_MAX];
                                int n = cg_devices_bpf(want, prog, ELEMENTSOF(prog));
                                r = n < 0 ? n
                                          : cg_bpf_devices_set(fd, prog, (size_t)n, flags & CG_APPLY_ONLY_DRIFTED,
                                                               &changed, err);
                        } else
                                r = cg_bpf_devices_clear(fd, &changed, err);
                        if (r < 0)
                                return r;
                        written |= changed ? CG_LIMIT_BIT(k) : 0;
                        continue;
                }
                if (k == CG_LIMIT_IO_MAX) {
                        bool changed = false;
                        r = v2_sync_io_max(d, g, fd, want, &changed, err);
                        if (r < 0)
                                return r;
                        written |= changed ? CG_LIMIT_BIT(k) : 0;
                        continue;
                }
                if ((flags & CG_APPLY_ONLY_DRIFTED) && v2_matches(fd, k, &w))
                        continue;
                r = write_attr(d, g, g->depth, fd, w.file, w.value, cg_limit_key_pointer(k), err);
                if (r < 0)
                        return r;
                written |= CG_LIMIT_BIT(k);
        }
        if (ret_written)
                *ret_written = written;
        return 0;
}

/* A new process's leaf: made, its device program attached (with BPF_F_ALLOW_MULTI, so the
 * group's own program, if any, still applies) and its cgroup.procs opened. The leaf has no
 * controllers of its own unless the group enables them for child groups: its usage is
 * counted in the group either way (v2 files are hierarchical). */
static int v2_open_leaf(int gfd, const CgLeaf *leaf, CgError *err) {
        if (mkdirat(gfd, leaf->name, 0755) < 0 && errno != EEXIST)
                return cg_error_set(err, -errno, "cgroupfs_error", NULL, "mkdir %s in the group: %m", leaf->name);
        _cleanup_close_ int fd = cg_fs_open_dir_at(gfd, leaf->name);
        struct bpf_insn prog[CG_DEVICES_BPF_MAX];
        int n = cg_devices_bpf(leaf->devices, prog, ELEMENTSOF(prog));
        bool changed;
        int r = fd < 0  ? cg_error_set(err, fd, "cgroupfs_error", NULL, "opening %s: %s", leaf->name, strerror(-fd))
                : n < 0 ? cg_error_set(err, n, "internal_error", NULL, "the device program does not fit")
                        : cg_bpf_devices_set(fd, prog, (size_t)n, false, &changed, err);
        if (r >= 0) {
                r = openat(fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
                if (r < 0)
                        r = cg_error_set(err, -errno, "cgroupfs_error", NULL, "opening %s/cgroup.procs: %m",
                                         leaf->name);
        }
        if (r < 0)
                (void)unlinkat(gfd, leaf->name, AT_REMOVEDIR);
        return r;
}

static int v2_placement_fds(CgDriver *drv, const CgGroupPath *g, const CgLeaf *leaf, int *ret_fds, size_t max,
                            CgError *err) {
        _cleanup_close_ int fd = open_group(v2(drv), g);
        if (fd < 0 || max == 0)
                return cg_error_set(err, fd < 0 ? fd : -ENOBUFS, "cgroupfs_error", NULL, "opening the group: %s",
                                    strerror(fd < 0 ? -fd : ENOBUFS));
        int p = leaf ? v2_open_leaf(fd, leaf, err) : openat(fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
        if (p == -1)
                return cg_error_set(err, -errno, "cgroupfs_error", NULL, "opening cgroup.procs: %m");
        if (p < 0)
                return p;
        ret_fds[0] = p;
        return 1;
}

static int v2_children(CgDriver *drv, const CgGroupPath *g, char (*ret)[CG_NAME_BUF], size_t max) {
        _cleanup_close_ int fd = open_group(v2(drv), g);
        return fd < 0 ? fd : cg_driver_group_subdirs(fd, ret, max);
}

static int v2_remove_leaf(CgDriver *drv, const CgGroupPath *g, const char *name) {
        _cleanup_close_ int fd = open_group(v2(drv), g);
        if (fd < 0)
                return fd == -ENOENT ? 0 : fd;
        return unlinkat(fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -errno : 0;
}

static int v2_attach(CgDriver *drv, const CgGroupPath *g, pid_t pid, CgError *err) {
        DriverV2 *d = v2(drv);
        char value[32];
        if (pid <= 0 || kill(pid, 0) < 0)
                return cg_error_set(err, -ESRCH, "no_such_process", "/pid", "no process with that pid exists");
        _cleanup_close_ int fd = open_group(d, g);
        if (fd < 0)
                return cg_error_set(err, fd, "cgroupfs_error", NULL, "cannot open the group: %s", strerror(-fd));
        snprintf(value, sizeof value, "%d", (int)pid);
        int r = cg_fs_write_at(fd, "cgroup.procs", value);
        if (r == -EBUSY || r == -EOPNOTSUPP)
                return cg_error_set(err, -EBUSY, "has_children", "/pid",
                                    "on cgroup v2 a group with child groups cannot hold processes");
        if (r == -ESRCH)
                return cg_error_set(err, -ESRCH, "no_such_process", "/pid", "the process exited while moving it");
        return r < 0 ? write_attr(d, g, g->depth, fd, "cgroup.procs", value, "/pid", err) : 0;
}

/* Reads "key value" from a flat-keyed file such as cgroup.events. */
static int read_key(int fd, const char *key, long *ret) {
        char buf[512];
        ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
        if (n < 0)
                return -errno;
        buf[n] = '\0';
        size_t klen = strlen(key);
        for (char *line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
                if (strncmp(line, key, klen) == 0 && line[klen] == ' ') {
                        *ret = strtol(line + klen + 1, NULL, 10);
                        return 0;
                }
        return -ENOENT;
}

/* cgroup.events is pollable: the kernel raises POLLPRI when a value changes
 * (cgroup-v2.rst "Core Interface Files"). Waits until key == want or the deadline. */
static int wait_event(int dirfd, const char *key, long want, uint64_t timeout_usec) {
        _cleanup_close_ int fd = openat(dirfd, "cgroup.events", O_RDONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        uint64_t deadline = cg_now_usec(CLOCK_MONOTONIC) + timeout_usec;
        for (;;) {
                long v;
                int r = read_key(fd, key, &v);
                if (r < 0)
                        return r;
                if (v == want)
                        return 0;
                uint64_t now = cg_now_usec(CLOCK_MONOTONIC);
                if (now >= deadline)
                        return -ETIMEDOUT;
                struct pollfd p = {.fd = fd, .events = POLLPRI};
                int ms = (int)((deadline - now + 999) / 1000);
                if (poll(&p, 1, ms > 100 ? 100 : ms) < 0 && errno != EINTR)
                        return -errno;
        }
}

static int v2_freeze(CgDriver *drv, const CgGroupPath *g, CgError *err) {
        DriverV2 *d = v2(drv);
        _cleanup_close_ int fd = open_group(d, g);
        if (fd < 0)
                return cg_error_set(err, fd, "cgroupfs_error", NULL, "cannot open the group: %s", strerror(-fd));
        int r = write_attr(d, g, g->depth, fd, "cgroup.freeze", "1", NULL, err);
        if (r < 0)
                return r;
        r = wait_event(fd, "frozen", 1, CG_FREEZE_TIMEOUT_USEC);
        if (r == -ETIMEDOUT) {
                (void)cg_fs_write_at(fd, "cgroup.freeze", "0");
                return cg_error_set(err, -EBUSY, "still_freezing", NULL,
                                    "the group did not report frozen within %u s; it was thawed again",
                                    CG_FREEZE_TIMEOUT_USEC / 1000000u);
        }
        return r < 0 ? cg_error_set(err, r, "cgroupfs_error", NULL, "reading cgroup.events: %s", strerror(-r)) : 0;
}

static int v2_thaw(CgDriver *drv, const CgGroupPath *g, CgError *err) {
        DriverV2 *d = v2(drv);
        _cleanup_close_ int fd = open_group(d, g);
        if (fd < 0)
                return cg_error_set(err, fd, "cgroupfs_error", NULL, "cannot open the group: %s", strerror(-fd));
        int r = write_attr(d, g, g->depth, fd, "cgroup.freeze", "0", NULL, err);
        if (r < 0)
                return r;
        /* A group whose ancestor is frozen stays frozen whatever it is told. */
        r = wait_event(fd, "frozen", 0, 200000);
        if (r == -ETIMEDOUT)
                return cg_error_set(err, -EBUSY, "parent_frozen", NULL,
                                    "the group stays frozen because a parent group is frozen");
        return r < 0 ? cg_error_set(err, r, "cgroupfs_error", NULL, "reading cgroup.events: %s", strerror(-r)) : 0;
}

uint32_t cg_driver_v2_differing_at(int fd, const CgLimits *want, uint32_t keys) {
        uint32_t differ = 0;
        for (CgLimitKey k = 0; k < _CG_LIMIT_COUNT; k++) {
                V2Write w;
                if (!(keys & CG_V2_SINGLE_VALUE_KEYS & CG_LIMIT_BIT(k)))
                        continue;
                /* These keys' renderings need neither the driver nor the path (only cpuset's do). */
                if (v2_render(NULL, NULL, want, k, &w, NULL) < 0 || !v2_matches(fd, k, &w))
                        differ |= CG_LIMIT_BIT(k);
        }
        return differ;
}

int cg_driver_v2_freeze_state_at(int fd, CgFreezeState *ret) {
        _cleanup_close_ int ev = openat(fd, "cgroup.events", O_RDONLY | O_CLOEXEC);
        uint64_t want;
        long frozen;
        if (ev < 0)
                return -errno;
        int r = read_key(ev, "frozen", &frozen);
        if (r < 0)
                return r;
        r = cg_fs_read_u64_at(fd, "cgroup.freeze", &want);
        if (r < 0)
                return r;
        *ret = frozen ? CG_FROZEN : want ? CG_FREEZING : CG_THAWED;
        return 0;
}

static int v2_freeze_state(CgDriver *drv, const CgGroupPath *g, CgFreezeState *ret) {
        _cleanup_close_ int fd = open_group(v2(drv), g);
        return fd < 0 ? fd : cg_driver_v2_freeze_state_at(fd, ret);
}

static int v2_pids(CgDriver *drv, const CgGroupPath *g, pid_t **ret_pids, size_t *ret_n) {
        _cleanup_close_ int fd = open_group(v2(drv), g);
        return fd < 0 ? fd : cg_fs_read_pids_at(fd, ret_pids, ret_n);
}

/* A parent left without children may hold processes again: take its controllers back. */
static void release_subtree(DriverV2 *d, const CgGroupPath *g, int pfd) {
        if (g->depth < 2)
                return;
        _cleanup_close_ int dup = fcntl(pfd, F_DUPFD_CLOEXEC, 3);
        DIR *dir = dup >= 0 ? fdopendir(dup) : NULL;
        if (!dir)
                return;
        TAKE_FD(dup);
        bool children = false;
        struct dirent *de;
        while ((de = readdir(dir)))
                if (de->d_type == DT_DIR && de->d_name[0] != '.')
                        children = true;
        closedir(dir);
        if (!children)
                (void)cg_fs_write_at(pfd, "cgroup.subtree_control", d->disable);
}

static int kill_each(int fd) {
        _cleanup_free_ pid_t *pids = NULL;
        size_t n = 0;
        int r = cg_fs_read_pids_at(fd, &pids, &n);
        for (size_t i = 0; r >= 0 && i < n; i++)
                (void)kill(pids[i], SIGKILL);
        return r;
}

static int v2_destroy(CgDriver *drv, const CgGroupPath *g, bool force, CgError *err) {
        DriverV2 *d = v2(drv);
        _cleanup_close_ int fd = open_group(d, g);
        if (fd == -ENOENT)
                return 0;
        if (fd < 0)
                return cg_error_set(err, fd, "cgroupfs_error", NULL, "cannot open the group: %s", strerror(-fd));
        long populated = 0;
        _cleanup_close_ int ev = openat(fd, "cgroup.events", O_RDONLY | O_CLOEXEC);
        if (ev < 0 || read_key(ev, "populated", &populated) < 0)
                return cg_error_set(err, -EIO, "cgroupfs_error", NULL, "cannot read cgroup.events");
        if (populated && !force) {
                _cleanup_free_ pid_t *pids = NULL;
                size_t n = 0;
                (void)cg_fs_read_pids_at(fd, &pids, &n);
                return cg_error_set(err, -EBUSY, "not_empty", NULL,
                                    "the group still has %zu processes; delete with force=true to kill them", n);
        }
        if (populated) {
                /* cgroup.kill SIGKILLs the whole subtree, frozen tasks included (Linux 5.14);
                 * before it, SIGKILL each process, which a v2 freezer lets through as well. */
                int r = faccessat(fd, "cgroup.kill", F_OK, 0) == 0
                            ? write_attr(d, g, g->depth, fd, "cgroup.kill", "1", NULL, err)
                            : kill_each(fd);
                if (r < 0)
                        return r;
                r = wait_event(fd, "populated", 0, CG_KILL_TIMEOUT_USEC);
                if (r < 0)
                        return cg_error_set(err, r == -ETIMEDOUT ? -EBUSY : r, "kill_timeout", NULL,
                                            "processes were still in the group %u s after cgroup.kill",
                                            CG_KILL_TIMEOUT_USEC / 1000000u);
        }
        (void)cg_fs_remove_leaves_at(fd); /* its processes' leaves, empty now */
        _cleanup_close_ int pfd = open_depth(d, g, g->depth - 1);
        if (pfd < 0)
                return cg_error_set(err, pfd, "cgroupfs_error", NULL, "cannot open the parent: %s", strerror(-pfd));
        if (unlinkat(pfd, g->names[g->depth - 1], AT_REMOVEDIR) < 0 && errno != ENOENT)
                return errno == EBUSY
                           ? cg_error_set(err, -ENOTEMPTY, "has_children", NULL, "the group still has child groups")
                           : cg_error_set(err, -errno, "cgroupfs_error", NULL, "rmdir: %m");
        release_subtree(d, g, pfd);
        return 0;
}

static void v2_free(CgDriver *drv) {
        DriverV2 *d = v2(drv);
        if (d->root_fd >= 0)
                close(d->root_fd);
        free(d);
}

/* One directory holds every file: the same fd (dup'd) in every slot. */
static int v2_stat_dirs(CgDriver *drv, const CgGroupPath *g, int ret_fds[_CG_CTRL_COUNT]) {
        int fd = open_group(v2(drv), g);
        for (CgController c = 0; c < _CG_CTRL_COUNT; c++)
                ret_fds[c] = fd < 0 ? fd : c == 0 ? fd : fcntl(fd, F_DUPFD_CLOEXEC, 3);
        return fd < 0 ? fd : 0;
}

static const CgDriverOps v2_ops = {
    .name = "cgroupfs",
    .free = v2_free,
    .create = v2_create,
    .exists = v2_exists,
    .apply_limits = v2_apply_limits,
    .placement_fds = v2_placement_fds,
    .remove_leaf = v2_remove_leaf,
    .children = v2_children,
    .attach = v2_attach,
    .freeze = v2_freeze,
    .thaw = v2_thaw,
    .freeze_state = v2_freeze_state,
    .pids = v2_pids,
    .destroy = v2_destroy,
    .stat_dirs = v2_stat_dirs,
};

/* Controllers the host offers, enabled for the top cgroup's children and for our root's. */
static int open_root(DriverV2 *d, CgError *err) {
        char avail[256];
        _cleanup_close_ int top = open(V2_TOP, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (top < 0)
                return cg_error_set(err, -errno, "no_cgroupfs", NULL, "open " V2_TOP ": %m");
        int r = cg_fs_read_at(top, "cgroup.controllers", avail, sizeof avail);
        if (r < 0)
                return cg_error_set(err, r, "no_cgroupfs", NULL, "reading cgroup.controllers: %s", strerror(-r));
        d->base.controllers = parse_controllers(avail, d->enable, sizeof d->enable);
        snprintf(d->disable, sizeof d->disable, "%s", d->enable);
        for (char *p = d->disable; (p = strchr(p, '+')); p++)
                *p = '-';
        /* cpu.stat (usage) and cgroup.freeze are core files, there without a controller;
         * device access is an eBPF program, there where bpf(2) lets us load one. */
        d->base.controllers |= (1u << CG_CTRL_CPUACCT) | (1u << CG_CTRL_FREEZER);
        if (cg_bpf_devices_probe() == 0)
                d->base.controllers |= 1u << CG_CTRL_DEVICES;

        CgGroupPath none = {.depth = 0};
        r = enable_subtree(d, &none, 0, top, err);
        if (r < 0)
                return r;
        if (mkdirat(top, d->root, 0755) < 0 && errno != EEXIST)
                return cg_error_set(err, -errno, "cgroupfs_error", NULL, "mkdir " V2_TOP "/%s: %m", d->root);
        d->root_fd = cg_fs_open_dir_at(top, d->root);
        if (d->root_fd < 0)
                return cg_error_set(err, d->root_fd, "cgroupfs_error", NULL, "open " V2_TOP "/%s: %s", d->root,
                                    strerror(-d->root_fd));
        return enable_subtree(d, &none, 0, d->root_fd, err);
}

int cg_driver_v2_open(const char *root, CgDriver **ret, CgError *err) {
        if (!cg_name_is_valid(root))
                return cg_error_set(err, -EINVAL, "invalid_name", NULL, "the root group name is not valid");
        DriverV2 *d = calloc(1, sizeof *d);
        if (!d)
                return -ENOMEM;
        d->base.ops = &v2_ops;
        d->base.layout = "unified";
        d->root_fd = -EBADF;
        snprintf(d->root, sizeof d->root, "%s", root);
        int r = open_root(d, err);
        if (r < 0) {
                v2_free(&d->base);
                return r;
        }
        *ret = &d->base;
        return 0;
}
