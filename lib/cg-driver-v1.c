/* The cgroupfs driver for cgroup v1 and hybrid hosts
 * (Documentation/admin-guide/cgroup-v1/). libcgroup finds the hierarchies; everything after
 * that is raw directory-fd I/O, which PERFORMANCE.md measured at 1/7 of libcgroup's cost. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libcgroup.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cg-driver.h"
#include "cg-devices.h"
#include "cg-fs.h"
#include "cg-io.h"
#include "cg-name.h"
#include "cg-util.h"

#define V1_PAGE_SIZE 4096u
/* memory.*limit_in_bytes reads back PAGE_COUNTER_MAX pages when unlimited. */
#define V1_MEMORY_UNLIMITED_FLOOR (UINT64_C(0x7FFFFFFFFFFFF000) - 4096 * 1024)

typedef struct Hierarchy {
        char mount[PATH_MAX];
        uint32_t controllers;
        int root_fd; /* the daemon's root group in this hierarchy */
        bool owned;  /* we make and remove its groups and place processes in it */
} Hierarchy;

typedef struct DriverV1 {
        CgDriver base;
        char root[256];
        Hierarchy h[_CG_CTRL_COUNT];
        size_t nh;
        int ctrl_h[_CG_CTRL_COUNT]; /* hierarchy index per controller, -1 if absent */
} DriverV1;

static DriverV1 *v1(CgDriver *d) {
        return (DriverV1 *)d;
}

static Hierarchy *hier_of(DriverV1 *d, CgController c) {
        return d->ctrl_h[c] < 0 ? NULL : &d->h[d->ctrl_h[c]];
}

/* "memory/cgwarden/web/api" for messages: which directory a failure is about. */
static void describe(DriverV1 *d, const Hierarchy *h, const CgGroupPath *g, char *buf, size_t size) {
        const char *base = strrchr(h->mount, '/');
        int n = snprintf(buf, size, "%s/%s", base ? base + 1 : h->mount, d->root);
        for (size_t i = 0; i < g->depth && n > 0 && (size_t)n < size; i++)
                n += snprintf(buf + n, size - (size_t)n, "/%s", g->names[i]);
}

/* Opens the directory of g (or, with up_one, of its parent) in hierarchy h. */
static int open_group(const Hierarchy *h, const CgGroupPath *g, bool up_one) {
        return cg_fs_open_path_at(h->root_fd, g->names, up_one ? g->depth - 1 : g->depth);
}

static int write_attr(DriverV1 *d, const Hierarchy *h, const CgGroupPath *g, int dfd, const char *file,
                      const char *value, const char *field, CgError *err) {
        int r = cg_fs_write_at(dfd, file, value);
        if (r < 0) {
                char where[PATH_MAX];
                describe(d, h, g, where, sizeof where);
                /* EINVAL/EBUSY/ENOSPC: the kernel refused this value for this group. */
                bool refused = r == -EINVAL || r == -EBUSY || r == -ENOSPC || r == -ERANGE;
                return cg_error_set(err, refused ? -EINVAL : r, refused ? "kernel_refused" : "cgroupfs_error", field,
                                    "writing \"%s\" to %s/%s: %s", value, where, file, strerror(-r));
        }
        return 0;
}

static int copy_attr(DriverV1 *d, const Hierarchy *h, const CgGroupPath *g, int from_fd, int to_fd, const char *file,
                     CgError *err) {
        char buf[4096];
        int r = cg_fs_read_at(from_fd, file, buf, sizeof buf);
        if (r < 0)
                return cg_error_set(err, r, "cgroupfs_error", NULL, "reading %s of the parent: %s", file, strerror(-r));
        return write_attr(d, h, g, to_fd, file, buf, NULL, err);
}

/* A new cpuset group starts with empty cpus and mems, and no task can join it
 * (cgroup-v1/cpusets.rst 1.4): give it its parent's. */
static int init_cpuset(DriverV1 *d, const Hierarchy *h, const CgGroupPath *g, int parent_fd, int fd, CgError *err) {
        int r = copy_attr(d, h, g, parent_fd, fd, "cpuset.cpus", err);
        return r < 0 ? r : copy_attr(d, h, g, parent_fd, fd, "cpuset.mems", err);
}

static int v1_create(CgDriver *drv, const CgGroupPath *g, CgError *err) {
        DriverV1 *d = v1(drv);
        bool made[_CG_CTRL_COUNT] = {false};
        int r = 0, created = 0;

        for (size_t i = 0; i < d->nh; i++) {
                Hierarchy *h = &d->h[i];
                if (!h->owned)
                        continue;
                _cleanup_close_ int pfd = open_group(h, g, true);
                if (pfd < 0) {
                        r = cg_error_set(err, pfd, "parent_missing", NULL, "cannot open the parent of %s in %s: %s",
                                         g->names[g->depth - 1], h->mount, strerror(-pfd));
                        goto undo;
                }
                if (mkdirat(pfd, g->names[g->depth - 1], 0755) < 0) {
                        if (errno == EEXIST)
                                continue;
                        r = cg_error_set(err, -errno, "cgroupfs_error", NULL, "mkdir %s in %s: %m",
                                         g->names[g->depth - 1], h->mount);
                        goto undo;
                }
                made[i] = true;
                created = 1;
                if (h->controllers & (1u << CG_CTRL_CPUSET)) {
                        _cleanup_close_ int fd = cg_fs_open_dir_at(pfd, g->names[g->depth - 1]);
                        r = fd < 0 ? cg_error_set(err, fd, "cgroupfs_error", NULL, "open new cpuset group: %s",
                                                  strerror(-fd))
                                   : init_cpuset(d, h, g, pfd, fd, err);
                        if (r < 0)
                                goto undo;
                }
        }
        return created;
undo:
        for (size_t i = 0; i < d->nh; i++) {
                if (!made[i])
                        continue;
                _cleanup_close_ int pfd = open_group(&d->h[i], g, true);
                if (pfd >= 0)
                        (void)unlinkat(pfd, g->names[g->depth - 1], AT_REMOVEDIR);
        }
        return r;
}

static int v1_exists(CgDriver *drv, const CgGroupPath *g) {
        DriverV1 *d = v1(drv);
        for (size_t i = 0; i < d->nh; i++) {
                if (!d->h[i].owned)
                        continue;
                _cleanup_close_ int fd = open_group(&d->h[i], g, false);
                if (fd == -ENOENT)
                        return 0;
                if (fd < 0)
                        return fd;
        }
        return 1;
}

/* One limit as this driver realises it: which controller and file, and how the kernel shows it. */
typedef struct V1Write {
        CgController ctrl;
        const char *file;
        char value[96];
} V1Write;

static void fmt_bytes(char *buf, size_t size, uint64_t v) {
        if (v == CG_UNLIMITED)
                snprintf(buf, size, "-1");
        else
                snprintf(buf, size, "%" PRIu64, v);
}

/* Whether the kernel already holds what `w` would write (reads back as canonical). */
static bool v1_matches(int fd, CgLimitKey k, const V1Write *w) {
        char cur[4096];
        uint64_t v;
        if (k == CG_LIMIT_CPUSET_CPUS || k == CG_LIMIT_CPUSET_MEMS) {
                CgCpuSet a, b;
                return cg_fs_read_at(fd, w->file, cur, sizeof cur) >= 0 && cg_cpuset_parse(cur, &a) == 0 &&
                       cg_cpuset_parse(w->value, &b) == 0 && memcmp(&a, &b, sizeof a) == 0;
        }
        if (cg_fs_read_u64_at(fd, w->file, &v) < 0)
                return false;
        if (k == CG_LIMIT_MEMORY_MAX || k == CG_LIMIT_MEMORY_RESERVATION || k == CG_LIMIT_MEMORY_SWAP_MAX) {
                if (strcmp(w->value, "-1") == 0)
                        return v >= V1_MEMORY_UNLIMITED_FLOOR;
                /* The kernel keeps whole pages (page_counter_memparse rounds down). */
                return v == (strtoull(w->value, NULL, 10) / V1_PAGE_SIZE) * V1_PAGE_SIZE;
        }
        if (strcmp(w->value, "-1") == 0 || strcmp(w->value, "max") == 0)
                return v == UINT64_MAX;
        return v == strtoull(w->value, NULL, 10);
}

/* Translates key k of `want` (or its default, if cleared) into a file and canonical value. */
static int v1_render(DriverV1 *d, const CgGroupPath *g, const CgLimits *want, CgLimitKey k, V1Write *w, CgError *err) {
        bool on = want->set & CG_LIMIT_BIT(k);
        switch (k) {
        case CG_LIMIT_MEMORY_MAX:
                *w = (V1Write){CG_CTRL_MEMORY, "memory.limit_in_bytes", ""};
                fmt_bytes(w->value, sizeof w->value, on ? want->memory_max_bytes : CG_UNLIMITED);
                return 0;
        case CG_LIMIT_MEMORY_RESERVATION:
                *w = (V1Write){CG_CTRL_MEMORY, "memory.soft_limit_in_bytes", ""};
                fmt_bytes(w->value, sizeof w->value, on ? want->memory_reservation_bytes : CG_UNLIMITED);
                return 0;
        case CG_LIMIT_MEMORY_SWAP_MAX: {
                /* v1 limits memory+swap together: memsw = max + swap (cgroup-v1/memory.rst 2.4). */
                bool mem = want->set & CG_LIMIT_BIT(CG_LIMIT_MEMORY_MAX);
                *w = (V1Write){CG_CTRL_MEMORY, "memory.memsw.limit_in_bytes", ""};
                if (on && (!mem || want->memory_max_bytes == CG_UNLIMITED) &&
                    want->memory_swap_max_bytes != CG_UNLIMITED)
                        return cg_error_set(err, -EINVAL, "needs_memory_max", "/memory/swap_max",
                                            "memory.swap_max needs a finite memory.max on cgroup v1");
                uint64_t sum = !on || want->memory_swap_max_bytes == CG_UNLIMITED
                                   ? CG_UNLIMITED
                                   : want->memory_max_bytes + want->memory_swap_max_bytes;
                fmt_bytes(w->value, sizeof w->value, sum > CG_SIZE_MAX ? CG_UNLIMITED : sum);
                return 0;
        }
        case CG_LIMIT_CPU_MAX:
                *w = (V1Write){CG_CTRL_CPU, "cpu.cfs_quota_us", ""};
                fmt_bytes(w->value, sizeof w->value, on ? want->cpu_quota_usec : CG_UNLIMITED);
                return 0;
        case CG_LIMIT_CPU_WEIGHT:
                *w = (V1Write){CG_CTRL_CPU, "cpu.shares", ""};
                snprintf(w->value, sizeof w->value, "%" PRIu64,
                         cg_limits_weight_to_shares(on ? want->cpu_weight : CG_CPU_WEIGHT_DEFAULT));
                return 0;
        case CG_LIMIT_CPUSET_CPUS:
        case CG_LIMIT_CPUSET_MEMS: {
                bool cpus = k == CG_LIMIT_CPUSET_CPUS;
                *w = (V1Write){CG_CTRL_CPUSET, cpus ? "cpuset.cpus" : "cpuset.mems", ""};
                const CgCpuSet *set = cpus ? &want->cpuset_cpus : &want->cpuset_mems;
                const char *effective = cpus ? "cpuset.effective_cpus" : "cpuset.effective_mems";
                char parent[sizeof w->value];
                _cleanup_close_ int pfd = open_group(hier_of(d, CG_CTRL_CPUSET), g, true);
                /* Removing a cpuset restriction means: whatever the parent has. */
                int r = pfd < 0 ? pfd : cg_fs_read_at(pfd, on ? effective : w->file, parent, sizeof parent);
                if (r < 0)
                        return cg_error_set(err, r, "cgroupfs_error", NULL, "reading the parent's cpuset: %s",
                                            strerror(-r));
                if (!on) {
                        memcpy(w->value, parent, sizeof parent);
                        return 0;
                }
                r = cg_cpuset_check_within(set, parent, k, err);
                if (r < 0)
                        return r;
                return cg_cpuset_format(set, w->value, sizeof w->value) < 0 ? -ENOBUFS : 0;
        }
        case CG_LIMIT_IO_WEIGHT:
                /* The file is picked in v1_apply_limits: blkio.weight (CFQ) or blkio.bfq.weight. */
                *w = (V1Write){CG_CTRL_BLKIO, "blkio.weight", ""};
                snprintf(w->value, sizeof w->value, "%" PRIu64,
                         cg_io_weight_to_blkio(on ? want->io_weight : CG_IO_WEIGHT_DEFAULT));
                return 0;
        case CG_LIMIT_IO_MAX: *w = (V1Write){CG_CTRL_BLKIO, "blkio.throttle.read_bps_device", ""}; return 0;
        case CG_LIMIT_DEVICES: *w = (V1Write){CG_CTRL_DEVICES, "devices.list", ""}; return 0;
        case CG_LIMIT_PIDS_MAX:
                *w = (V1Write){CG_CTRL_PIDS, "pids.max", ""};
                if (!on || want->pids_max == CG_UNLIMITED)
                        snprintf(w->value, sizeof w->value, "max");
                else
                        snprintf(w->value, sizeof w->value, "%" PRIu64, want->pids_max);
                return 0;
        default: return -EINVAL;
        }
}

/* Memory before swap when lowering, swap before memory when raising: the kernel insists
 * that memsw >= limit at every step. */
static const CgLimitKey apply_order_lowering[] = {
    CG_LIMIT_CPUSET_CPUS,        CG_LIMIT_CPUSET_MEMS, CG_LIMIT_MEMORY_MAX, CG_LIMIT_MEMORY_SWAP_MAX,
    CG_LIMIT_MEMORY_RESERVATION, CG_LIMIT_CPU_MAX,     CG_LIMIT_CPU_WEIGHT, CG_LIMIT_PIDS_MAX,
    CG_LIMIT_IO_WEIGHT,          CG_LIMIT_IO_MAX,      CG_LIMIT_DEVICES,
};

/* devices.list shows the allowed exceptions under a deny-all policy, and only "a *:* rwm"
 * under allow-all (cgroup-v1/devices.rst), so drift is visible for deny policies only. */
static bool v1_devices_match(int fd, const CgLimits *want) {
        char cur[8192], exp[8192];
        bool deny = (want->set & CG_LIMIT_BIT(CG_LIMIT_DEVICES)) && want->devices_policy == CG_DEVICES_DENY;
        if (cg_fs_read_at(fd, "devices.list", cur, sizeof cur) < 0)
                return false;
        if (!deny)
                return false; /* cannot tell: rewrite */
        return cg_device_rules_format(want->device_rules, want->n_device_rules, exp, sizeof exp) >= 0 &&
               strcmp(cur, exp) == 0;
}

/* Writing "a" sets the default (and empties the exceptions); the rules then go into the other
 * file. The kernel refuses a policy change on a group with children. */
static int v1_apply_devices(DriverV1 *d, Hierarchy *h, const CgGroupPath *g, int fd, const CgLimits *want,
                            unsigned flags, bool *ret_changed, CgError *err) {
        bool on = want->set & CG_LIMIT_BIT(CG_LIMIT_DEVICES);
        bool deny = on && want->devices_policy == CG_DEVICES_DENY;
        if ((flags & CG_APPLY_ONLY_DRIFTED) && v1_devices_match(fd, want))
                return 0;
        int r = write_attr(d, h, g, fd, deny ? "devices.deny" : "devices.allow", "a", "/devices", err);
        for (uint32_t i = 0; r >= 0 && on && i < want->n_device_rules; i++) {
                char rule[64];
                if (cg_device_rule_format(&want->device_rules[i], rule, sizeof rule) < 0)
                        return -ENOBUFS;
                r = write_attr(d, h, g, fd, deny ? "devices.allow" : "devices.deny", rule, "/devices/rules", err);
        }
        /* Under allow-all the exceptions are invisible: a rewrite there is not a drift. */
        if (r >= 0 && (deny || !(flags & CG_APPLY_ONLY_DRIFTED)))
                *ret_changed = true;
        return r;
}

/* blk-throttle keeps one file per direction and unit, "MAJ:MIN VALUE" per line; writing
 * "MAJ:MIN 0" removes a rule (cgroup-v1/blkio-controller.rst "Throttling"). */
static const char *const throttle_files[_CG_IO_FIELD_COUNT] = {
    [CG_IO_RBPS] = "blkio.throttle.read_bps_device",
    [CG_IO_WBPS] = "blkio.throttle.write_bps_device",
    [CG_IO_RIOPS] = "blkio.throttle.read_iops_device",
    [CG_IO_WIOPS] = "blkio.throttle.write_iops_device",
};

/* Makes the throttle files hold exactly want's io.max; *ret_changed if anything was written. */
static int v1_sync_io_max(DriverV1 *d, Hierarchy *h, const CgGroupPath *g, int fd, const CgLimits *want, unsigned flags,
                          bool *ret_changed, CgError *err) {
        for (CgIoField f = 0; f < _CG_IO_FIELD_COUNT; f++) {
                if ((flags & CG_APPLY_IO_IOPS_ONLY) && f != CG_IO_RIOPS && f != CG_IO_WIOPS)
                        continue;
                char cur[4096], line[64];
                CgIoMax have[CG_IO_DEVICES_MAX];
                uint32_t n = 0;
                int r = cg_fs_read_at(fd, throttle_files[f], cur, sizeof cur);
                if (r < 0)
                        return cg_error_set(err, r, "cgroupfs_error", NULL, "reading %s: %s", throttle_files[f],
                                            strerror(-r));
                /* Same "MAJ:MIN VALUE" lines as our canonical form once the field is named. */
                char *save = NULL;
                for (char *p = strtok_r(cur, "\n", &save); p && n < CG_IO_DEVICES_MAX;
                     p = strtok_r(NULL, "\n", &save)) {
                        CgIoMax e = {0};
                        char *sp = strchr(p, ' ');
                        if (!sp)
                                continue;
                        *sp = '\0';
                        if (cg_io_device_parse(p, &e.major, &e.minor) == 0) {
                                e.v[f] = strtoull(sp + 1, NULL, 10);
                                e.set = (uint8_t)(1u << f);
                                have[n++] = e;
                        }
                }
                for (uint32_t i = 0; i < want->n_io_max; i++) {
                        const CgIoMax *e = &want->io_max[i];
                        bool on = (e->set & (1u << f)) && e->v[f] != CG_UNLIMITED;
                        CgIoMax *k = cg_io_max_find(have, n, e->major, e->minor);
                        if (!on || (k && k->v[f] == e->v[f]))
                                continue;
                        snprintf(line, sizeof line, "%" PRIu32 ":%" PRIu32 " %" PRIu64, e->major, e->minor, e->v[f]);
                        r = write_attr(d, h, g, fd, throttle_files[f], line, "/io/max", err);
                        if (r < 0)
                                return r;
                        *ret_changed = true;
                }
                for (uint32_t i = 0; i < n; i++) {
                        const CgIoMax *e =
                            cg_io_max_find((CgIoMax *)want->io_max, want->n_io_max, have[i].major, have[i].minor);
                        if (e && (e->set & (1u << f)) && e->v[f] != CG_UNLIMITED)
                                continue;
                        snprintf(line, sizeof line, "%" PRIu32 ":%" PRIu32 " 0", have[i].major, have[i].minor);
                        r = write_attr(d, h, g, fd, throttle_files[f], line, "/io/max", err);
                        if (r < 0)
                                return r;
                        *ret_changed = true;
                }
        }
        return 0;
}

static int v1_apply_limits(CgDriver *drv, const CgGroupPath *g, const CgLimits *want, unsigned flags,
                           uint32_t *ret_written, CgError *err) {
        DriverV1 *d = v1(drv);
        uint32_t written = 0;
        int fds[_CG_CTRL_COUNT];
        int r = 0;

        for (size_t c = 0; c < _CG_CTRL_COUNT; c++)
                fds[c] = -EBADF;

        for (size_t i = 0; i < ELEMENTSOF(apply_order_lowering); i++) {
                CgLimitKey k = apply_order_lowering[i];
                if (!((want->set | want->clear) & CG_LIMIT_BIT(k)))
                        continue;
                V1Write w;
                r = v1_render(d, g, want, k, &w, err);
                if (r < 0)
                        goto out;
                Hierarchy *h = hier_of(d, w.ctrl);
                if (!h) {
                        r = cg_error_set(err, -EOPNOTSUPP, "controller_unavailable", cg_limit_key_pointer(k),
                                         "the %s controller is not available on this host", cg_controller_name(w.ctrl));
                        goto out;
                }
                if (fds[w.ctrl] < 0) {
                        fds[w.ctrl] = open_group(h, g, false);
                        if (fds[w.ctrl] < 0) {
                                r = cg_error_set(err, fds[w.ctrl], "cgroupfs_error", NULL, "cannot open group %s: %s",
                                                 g->names[g->depth - 1], strerror(-fds[w.ctrl]));
                                goto out;
                        }
                }
                int fd = fds[w.ctrl];
                if ((flags & CG_APPLY_DRY_RUN) && (k == CG_LIMIT_DEVICES || k == CG_LIMIT_IO_MAX))
                        continue; /* lists: compared by their writers, never dry */
                if (k == CG_LIMIT_DEVICES) {
                        bool changed = false;
                        r = v1_apply_devices(d, h, g, fd, want, flags, &changed, err);
                        if (r < 0)
                                goto out;
                        written |= changed ? CG_LIMIT_BIT(k) : 0;
                        continue;
                }
                if (k == CG_LIMIT_IO_MAX) {
                        bool changed = false;
                        r = v1_sync_io_max(d, h, g, fd, want, flags, &changed, err);
                        if (r < 0)
                                goto out;
                        written |= changed ? CG_LIMIT_BIT(k) : 0;
                        continue;
                }
                if (k == CG_LIMIT_IO_WEIGHT && faccessat(fd, w.file, F_OK, 0) < 0) {
                        /* No CFQ: BFQ's weight, on its own scale, where the kernel has it. */
                        w.file = "blkio.bfq.weight";
                        snprintf(
                            w.value, sizeof w.value, "%" PRIu64,
                            cg_io_weight_to_bfq(want->set & CG_LIMIT_BIT(k) ? want->io_weight : CG_IO_WEIGHT_DEFAULT));
                        if (faccessat(fd, w.file, F_OK, 0) < 0) {
                                /* Removing a weight where none can exist leaves the default. */
                                if (!(want->set & CG_LIMIT_BIT(k)))
                                        continue;
                                r = cg_error_set(
                                    err, -EOPNOTSUPP, "controller_unavailable", "/io/weight",
                                    "no proportional I/O weight (blkio.weight or blkio.bfq.weight) on this host");
                                goto out;
                        }
                }
                if (k == CG_LIMIT_MEMORY_SWAP_MAX && faccessat(fd, w.file, F_OK, 0) < 0) {
                        r = cg_error_set(err, -EOPNOTSUPP, "controller_unavailable", "/memory/swap_max",
                                         "swap accounting (memory.memsw.*) is not enabled on this host");
                        goto out;
                }
                if ((flags & (CG_APPLY_ONLY_DRIFTED | CG_APPLY_DRY_RUN)) && v1_matches(fd, k, &w))
                        continue;
                if (flags & CG_APPLY_DRY_RUN) {
                        written |= CG_LIMIT_BIT(k);
                        continue;
                }
                if (k == CG_LIMIT_MEMORY_MAX && faccessat(fd, "memory.memsw.limit_in_bytes", F_OK, 0) == 0) {
                        /* Raising memory above the current memory+swap limit: lift memsw first;
                         * the swap step below sets it to its final value. */
                        uint64_t memsw;
                        if (cg_fs_read_u64_at(fd, "memory.memsw.limit_in_bytes", &memsw) == 0 &&
                            memsw < V1_MEMORY_UNLIMITED_FLOOR &&
                            (strcmp(w.value, "-1") == 0 || strtoull(w.value, NULL, 10) > memsw)) {
                                r = write_attr(d, h, g, fd, "memory.memsw.limit_in_bytes", "-1", "/memory/swap_max",
                                               err);
                                if (r < 0)
                                        goto out;
                        }
                }
                if (k == CG_LIMIT_CPU_MAX && w.value[0] != '-') {
                        r = write_attr(d, h, g, fd, "cpu.cfs_period_us", "100000", cg_limit_key_pointer(k), err);
                        if (r < 0)
                                goto out;
                }
                r = write_attr(d, h, g, fd, w.file, w.value, cg_limit_key_pointer(k), err);
                if (r < 0)
                        goto out;
                written |= CG_LIMIT_BIT(k);
        }
        if (ret_written)
                *ret_written = written;
out:
        for (size_t c = 0; c < _CG_CTRL_COUNT; c++)
                if (fds[c] >= 0)
                        close(fds[c]);
        return r;
}

static int v1_attach(CgDriver *drv, const CgGroupPath *g, pid_t pid, CgError *err) {
        DriverV1 *d = v1(drv);
        char value[32];

        if (pid <= 0 || kill(pid, 0) < 0)
                return cg_error_set(err, -ESRCH, "no_such_process", "/pid", "no process with that pid exists");
        snprintf(value, sizeof value, "%d", (int)pid);
        /* cpuset first: it is the one that refuses (empty cpus/mems), before anything moved. */
        for (size_t pass = 0; pass < 2; pass++)
                for (size_t i = 0; i < d->nh; i++) {
                        Hierarchy *h = &d->h[i];
                        bool is_cpuset = h->controllers & (1u << CG_CTRL_CPUSET);
                        if (is_cpuset != (pass == 0) || !h->owned)
                                continue;
                        _cleanup_close_ int fd = open_group(h, g, false);
                        if (fd < 0)
                                return cg_error_set(err, fd, "cgroupfs_error", NULL, "cannot open group in %s: %s",
                                                    h->mount, strerror(-fd));
                        /* cgroup.procs moves the whole thread group. */
                        int r = write_attr(d, h, g, fd, "cgroup.procs", value, "/pid", err);
                        if (r < 0)
                                return kill(pid, 0) < 0 ? cg_error_set(err, -ESRCH, "no_such_process", "/pid",
                                                                       "the process exited while moving it")
                                                        : r;
                }
        return 0;
}

/* The union over the hierarchies: a create cut short may have made only some of them. */
static int v1_children(CgDriver *drv, const CgGroupPath *g, char (*ret)[CG_NAME_BUF], size_t max) {
        DriverV1 *d = v1(drv);
        char(*one)[CG_NAME_BUF] = calloc(max ? max : 1, CG_NAME_BUF);
        size_t n = 0;
        if (!one)
                return -ENOMEM;
        for (size_t i = 0; i < d->nh; i++) {
                _cleanup_close_ int fd = d->h[i].owned ? open_group(&d->h[i], g, false) : -EBADF;
                int k = fd < 0 ? 0 : cg_driver_group_subdirs(fd, one, max);
                for (int j = 0; j < k; j++) {
                        bool seen = false;
                        for (size_t m = 0; m < n && !seen; m++)
                                seen = strcmp(ret[m], one[j]) == 0;
                        if (!seen && n < max)
                                memcpy(ret[n++], one[j], CG_NAME_BUF);
                }
        }
        free(one);
        return (int)n;
}

/* rmdir of a process's leaf, in every hierarchy it could be in; gone already is fine. */
static int v1_remove_leaf(CgDriver *drv, const CgGroupPath *g, const char *name) {
        DriverV1 *d = v1(drv);
        int ret = 0;
        for (size_t i = 0; i < d->nh; i++) {
                if (!d->h[i].owned)
                        continue;
                _cleanup_close_ int fd = open_group(&d->h[i], g, false);
                if (fd >= 0 && unlinkat(fd, name, AT_REMOVEDIR) < 0 && errno != ENOENT && ret == 0)
                        ret = -errno;
        }
        return ret;
}

/* The leaf of a new process in the devices hierarchy: made, given its deny-all policy and
 * allowed devices, and its tasks file opened. A rule that an ancestor's policy forbids is
 * refused by the kernel (EPERM) and left out: the ancestor's stricter policy holds anyway. */
static int v1_open_leaf(DriverV1 *d, Hierarchy *h, const CgGroupPath *g, int gfd, const CgLeaf *leaf, CgError *err) {
        char where[PATH_MAX];
        describe(d, h, g, where, sizeof where);
        if (mkdirat(gfd, leaf->name, 0755) < 0 && errno != EEXIST)
                return cg_error_set(err, -errno, "cgroupfs_error", NULL, "mkdir %s/%s: %m", where, leaf->name);
        _cleanup_close_ int fd = cg_fs_open_dir_at(gfd, leaf->name);
        int r = fd < 0 ? fd : cg_fs_write_at(fd, "devices.deny", "a");
        const char *file = "devices.deny", *value = "a";
        char rule[64];
        for (uint32_t i = 0; r >= 0 && i < leaf->devices->n_device_rules; i++) {
                (void)cg_device_rule_format(&leaf->devices->device_rules[i], rule, sizeof rule);
                file = "devices.allow";
                value = rule;
                r = cg_fs_write_at(fd, file, rule);
                if (r == -EPERM)
                        r = 0;
        }
        int t = r < 0 ? r : openat(fd, "tasks", O_WRONLY | O_CLOEXEC);
        if (t < 0) {
                r = r < 0 ? r : -errno;
                (void)unlinkat(gfd, leaf->name, AT_REMOVEDIR);
                return cg_error_set(err, r, "cgroupfs_error", NULL, "writing \"%s\" to %s/%s/%s: %s", value, where,
                                    leaf->name, file, strerror(-r));
        }
        return t;
}

static int v1_placement_fds(CgDriver *drv, const CgGroupPath *g, const CgLeaf *leaf, int *ret_fds, size_t max,
                            CgError *err) {
        DriverV1 *d = v1(drv);
        size_t n = 0;
        int r = 0;
        for (size_t i = 0; i < d->nh && n < max && r >= 0; i++) {
                Hierarchy *h = &d->h[i];
                if (!h->owned)
                        continue;
                _cleanup_close_ int fd = open_group(h, g, false);
                if (fd < 0) {
                        r = cg_error_set(err, fd, "cgroupfs_error", NULL, "opening the group in %s: %s", h->mount,
                                         strerror(-fd));
                } else if (leaf && (h->controllers & (1u << CG_CTRL_DEVICES))) {
                        r = v1_open_leaf(d, h, g, fd, leaf, err);
                } else {
                        r = openat(fd, "tasks", O_WRONLY | O_CLOEXEC);
                        if (r < 0)
                                r = cg_error_set(err, -errno, "cgroupfs_error", NULL, "opening tasks in %s: %m",
                                                 h->mount);
                }
                if (r >= 0)
                        ret_fds[n++] = r;
        }
        if (r >= 0)
                return (int)n;
        while (n > 0)
                close(ret_fds[--n]);
        if (leaf)
                (void)v1_remove_leaf(drv, g, leaf->name);
        return r;
}

static int read_freezer(int fd, CgFreezeState *ret) {
        char buf[32];
        int r = cg_fs_read_at(fd, "freezer.state", buf, sizeof buf);
        if (r < 0)
                return r;
        *ret = strcmp(buf, "FROZEN") == 0 ? CG_FROZEN : strcmp(buf, "FREEZING") == 0 ? CG_FREEZING : CG_THAWED;
        return 0;
}

/* Reading freezer.state is what advances FREEZING to FROZEN (cgroup-v1/freezer-subsystem.rst),
 * so poll it, backing off from 50 µs to 10 ms, until `want` or the deadline. */
static int wait_freezer(int fd, CgFreezeState want, uint64_t timeout_usec) {
        uint64_t deadline = cg_now_usec(CLOCK_MONOTONIC) + timeout_usec;
        useconds_t pause = 50;
        for (;;) {
                CgFreezeState s;
                int r = read_freezer(fd, &s);
                if (r < 0)
                        return r;
                if (s == want)
                        return 0;
                if (cg_now_usec(CLOCK_MONOTONIC) >= deadline)
                        return -ETIMEDOUT;
                usleep(pause);
                pause = pause * 2 > 10000 ? 10000 : pause * 2;
        }
}

static int open_freezer(DriverV1 *d, const CgGroupPath *g, Hierarchy **ret_h, CgError *err) {
        Hierarchy *h = hier_of(d, CG_CTRL_FREEZER);
        if (!h)
                return cg_error_set(err, -EOPNOTSUPP, "controller_unavailable", NULL,
                                    "the freezer controller is not available on this host");
        int fd = open_group(h, g, false);
        if (fd < 0)
                return cg_error_set(err, fd, "cgroupfs_error", NULL, "cannot open the freezer group: %s",
                                    strerror(-fd));
        *ret_h = h;
        return fd;
}

static int v1_freeze(CgDriver *drv, const CgGroupPath *g, CgError *err) {
        DriverV1 *d = v1(drv);
        Hierarchy *h;
        _cleanup_close_ int fd = open_freezer(d, g, &h, err);
        if (fd < 0)
                return fd;
        int r = write_attr(d, h, g, fd, "freezer.state", "FROZEN", NULL, err);
        if (r < 0)
                return r;
        r = wait_freezer(fd, CG_FROZEN, CG_FREEZE_TIMEOUT_USEC);
        if (r == -ETIMEDOUT) {
                /* Do not leave it half frozen: a task stuck in an uninterruptible sleep
                 * keeps the group FREEZING forever. */
                (void)cg_fs_write_at(fd, "freezer.state", "THAWED");
                return cg_error_set(err, -EBUSY, "still_freezing", NULL,
                                    "the group did not reach FROZEN within %u s; it was thawed again",
                                    CG_FREEZE_TIMEOUT_USEC / 1000000u);
        }
        return r < 0 ? cg_error_set(err, r, "cgroupfs_error", NULL, "reading freezer.state: %s", strerror(-r)) : 0;
}

static int v1_thaw(CgDriver *drv, const CgGroupPath *g, CgError *err) {
        DriverV1 *d = v1(drv);
        Hierarchy *h;
        _cleanup_close_ int fd = open_freezer(d, g, &h, err);
        if (fd < 0)
                return fd;
        int r = write_attr(d, h, g, fd, "freezer.state", "THAWED", NULL, err);
        if (r < 0)
                return r;
        /* A group whose ancestor is frozen stays FROZEN whatever it is told. */
        r = wait_freezer(fd, CG_THAWED, 200000);
        if (r == -ETIMEDOUT)
                return cg_error_set(err, -EBUSY, "parent_frozen", NULL,
                                    "the group stays frozen because a parent group is frozen");
        return r < 0 ? cg_error_set(err, r, "cgroupfs_error", NULL, "reading freezer.state: %s", strerror(-r)) : 0;
}

static int v1_freeze_state(CgDriver *drv, const CgGroupPath *g, CgFreezeState *ret) {
        DriverV1 *d = v1(drv);
        Hierarchy *h = hier_of(d, CG_CTRL_FREEZER);
        if (!h) {
                *ret = CG_THAWED;
                return 0;
        }
        _cleanup_close_ int fd = open_group(h, g, false);
        return fd < 0 ? fd : read_freezer(fd, ret);
}

/* The processes of a group: the freezer's view, since freeze/kill act through it. */
static Hierarchy *procs_hierarchy(DriverV1 *d) {
        Hierarchy *h = hier_of(d, CG_CTRL_FREEZER);
        return h ? h : &d->h[0];
}

static int v1_pids(CgDriver *drv, const CgGroupPath *g, pid_t **ret_pids, size_t *ret_n) {
        DriverV1 *d = v1(drv);
        _cleanup_close_ int fd = open_group(procs_hierarchy(d), g, false);
        return fd < 0 ? fd : cg_fs_read_pids_at(fd, ret_pids, ret_n);
}

/* SIGKILL everything in the group, in every hierarchy, until all are gone. */
static int kill_all(DriverV1 *d, const CgGroupPath *g, CgError *err) {
        uint64_t deadline = cg_now_usec(CLOCK_MONOTONIC) + CG_KILL_TIMEOUT_USEC;
        for (;;) {
                size_t total = 0;
                for (size_t i = 0; i < d->nh; i++) {
                        _cleanup_close_ int fd = open_group(&d->h[i], g, false);
                        _cleanup_free_ pid_t *pids = NULL;
                        size_t n = 0;
                        if (fd == -ENOENT)
                                continue;
                        if (fd < 0 || cg_fs_read_pids_at(fd, &pids, &n) < 0)
                                continue;
                        for (size_t j = 0; j < n; j++)
                                (void)kill(pids[j], SIGKILL);
                        total += n;
                }
                if (total == 0)
                        return 0;
                if (cg_now_usec(CLOCK_MONOTONIC) >= deadline)
                        return cg_error_set(err, -EBUSY, "kill_timeout", NULL,
                                            "%zu processes were still in the group %u s after SIGKILL", total,
                                            CG_KILL_TIMEOUT_USEC / 1000000u);
                usleep(2000);
        }
}

static int v1_destroy(CgDriver *drv, const CgGroupPath *g, bool force, CgError *err) {
        DriverV1 *d = v1(drv);
        int r;

        if (!force) {
                _cleanup_free_ pid_t *pids = NULL;
                size_t n = 0;
                r = v1_pids(drv, g, &pids, &n);
                if (r < 0 && r != -ENOENT)
                        return cg_error_set(err, r, "cgroupfs_error", NULL, "reading cgroup.procs: %s", strerror(-r));
                if (n > 0)
                        return cg_error_set(err, -EBUSY, "not_empty", NULL,
                                            "the group still has %zu processes; delete with force=true to kill them",
                                            n);
        } else {
                /* Frozen tasks cannot die: thaw first (PERFORMANCE.md pitfalls). */
                Hierarchy *h = hier_of(d, CG_CTRL_FREEZER);
                _cleanup_close_ int fd = h ? open_group(h, g, false) : -EBADF;
                CgFreezeState st = CG_THAWED;
                if (fd >= 0 && cg_fs_write_at(fd, "freezer.state", "THAWED") == 0 && read_freezer(fd, &st) == 0 &&
                    st != CG_THAWED)
                        return cg_error_set(
                            err, -EBUSY, "parent_frozen", NULL,
                            "a parent group is frozen, so the processes cannot be killed; thaw it first");
                r = kill_all(d, g, err);
                if (r < 0)
                        return r;
        }
        for (size_t i = 0; i < d->nh; i++) {
                if (!d->h[i].owned)
                        continue;
                _cleanup_close_ int pfd = open_group(&d->h[i], g, true);
                if (pfd < 0)
                        return cg_error_set(err, pfd, "cgroupfs_error", NULL, "open parent in %s: %s", d->h[i].mount,
                                            strerror(-pfd));
                /* The leaves of its processes, empty now, go first. */
                _cleanup_close_ int fd = cg_fs_open_dir_at(pfd, g->names[g->depth - 1]);
                if (fd >= 0)
                        (void)cg_fs_remove_leaves_at(fd);
                if (unlinkat(pfd, g->names[g->depth - 1], AT_REMOVEDIR) < 0 && errno != ENOENT) {
                        r = -errno;
                        if (r == -EBUSY)
                                return cg_error_set(err, -ENOTEMPTY, "has_children", NULL,
                                                    "the group still has child groups or processes in %s",
                                                    d->h[i].mount);
                        return cg_error_set(err, r, "cgroupfs_error", NULL, "rmdir in %s: %s", d->h[i].mount,
                                            strerror(-r));
                }
        }
        return 0;
}

static int v1_stat_dirs(CgDriver *drv, const CgGroupPath *g, int ret_fds[_CG_CTRL_COUNT]) {
        DriverV1 *d = v1(drv);
        int opened = 0;
        for (CgController c = 0; c < _CG_CTRL_COUNT; c++) {
                Hierarchy *h = hier_of(d, c);
                ret_fds[c] = h ? open_group(h, g, false) : -ENOENT;
                opened += ret_fds[c] >= 0;
        }
        return opened ? 0 : -ENOENT;
}

static void v1_free(CgDriver *drv) {
        DriverV1 *d = v1(drv);
        for (size_t i = 0; i < d->nh; i++)
                if (d->h[i].root_fd >= 0)
                        close(d->h[i].root_fd);
        free(d);
}

static const CgDriverOps v1_ops = {
    .name = "cgroupfs",
    .free = v1_free,
    .create = v1_create,
    .exists = v1_exists,
    .apply_limits = v1_apply_limits,
    .placement_fds = v1_placement_fds,
    .remove_leaf = v1_remove_leaf,
    .children = v1_children,
    .attach = v1_attach,
    .freeze = v1_freeze,
    .thaw = v1_thaw,
    .freeze_state = v1_freeze_state,
    .pids = v1_pids,
    .destroy = v1_destroy,
    .stat_dirs = v1_stat_dirs,
};

/* Finds each controller's hierarchy through libcgroup; co-mounted controllers
 * ("cpu,cpuacct") share one. */
static int discover(DriverV1 *d, CgError *err) {
        int r = cgroup_init();
        if (r != 0)
                return cg_error_set(err, -ENOENT, "no_cgroupfs", NULL, "libcgroup: %s", cgroup_strerror(r));
        for (CgController c = 0; c < _CG_CTRL_COUNT; c++) {
                char *mnt = NULL;
                d->ctrl_h[c] = -1;
                if (cgroup_get_subsys_mount_point(cg_controller_name(c), &mnt) != 0 || !mnt)
                        continue;
                size_t i;
                for (i = 0; i < d->nh; i++)
                        if (strcmp(d->h[i].mount, mnt) == 0)
                                break;
                if (i == d->nh) {
                        snprintf(d->h[i].mount, sizeof d->h[i].mount, "%s", mnt);
                        d->h[i].root_fd = -EBADF;
                        d->nh++;
                }
                free(mnt);
                d->h[i].controllers |= 1u << c;
                d->ctrl_h[c] = (int)i;
                d->base.controllers |= 1u << c;
        }
        if (d->nh == 0)
                return cg_error_set(err, -ENOENT, "no_cgroupfs", NULL, "no cgroup v1 hierarchy is mounted");
        return 0;
}

/* Creates (or adopts) the daemon's root group in every hierarchy and keeps its fd. */
static int open_root(DriverV1 *d, Hierarchy *h, CgError *err) {
        _cleanup_close_ int top = open(h->mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (top < 0)
                return cg_error_set(err, -errno, "no_cgroupfs", NULL, "open %s: %m", h->mount);
        if (!h->owned) { /* systemd's: its directories, made when a property needs them */
                h->root_fd = cg_fs_open_dir_at(top, d->root);
                if (h->root_fd == -ENOENT)
                        return 0; /* left out (drop_missing) */
                return h->root_fd >= 0 ? 0
                                       : cg_error_set(err, h->root_fd, "cgroupfs_error", NULL, "open %s/%s: %s",
                                                      h->mount, d->root, strerror(-h->root_fd));
        }
        bool made = mkdirat(top, d->root, 0755) == 0;
        if (!made && errno != EEXIST)
                return cg_error_set(err, -errno, "cgroupfs_error", NULL, "mkdir %s/%s: %m", h->mount, d->root);
        h->root_fd = cg_fs_open_dir_at(top, d->root);
        if (h->root_fd < 0)
                return cg_error_set(err, h->root_fd, "cgroupfs_error", NULL, "open %s/%s: %s", h->mount, d->root,
                                    strerror(-h->root_fd));
        if (h->controllers & (1u << CG_CTRL_CPUSET)) {
                char cpus[8];
                /* An adopted root may have been left with no cpus; only fill what is empty. */
                if (made || cg_fs_read_at(h->root_fd, "cpuset.cpus", cpus, sizeof cpus) == 0) {
                        CgGroupPath none = {.depth = 0};
                        return init_cpuset(d, h, &none, top, h->root_fd, err);
                }
        }
        return 0;
}

int cg_driver_v1_open(const char *root, const char *layout, CgDriver **ret, CgError *err) {
        if (!cg_name_is_valid(root))
                return cg_error_set(err, -EINVAL, "invalid_name", NULL, "the root group name is not valid");
        return cg_driver_v1_open_shared(root, layout, UINT32_MAX, 0, ret, err);
}

/* systemd puts itself into init.scope in every hierarchy it manages (systemd.special(7)). */
static bool has_init_scope(const Hierarchy *h) {
        char path[PATH_MAX + 16];
        snprintf(path, sizeof path, "%s/init.scope", h->mount);
        return access(path, F_OK) == 0;
}

/* A hierarchy another writer owns and whose root directory is missing is left out. */
static void drop_missing(DriverV1 *d) {
        for (CgController c = 0; c < _CG_CTRL_COUNT; c++) {
                Hierarchy *h = hier_of(d, c);
                if (h && h->root_fd < 0) {
                        d->ctrl_h[c] = -1;
                        d->base.controllers &= ~(1u << c);
                }
        }
}

int cg_driver_v1_open_shared(const char *root_dir, const char *layout, uint32_t own, uint32_t theirs, CgDriver **ret,
                             CgError *err) {
        if (strchr(root_dir, '/') || strlen(root_dir) >= sizeof(((DriverV1 *)0)->root))
                return cg_error_set(err, -EINVAL, "invalid_name", NULL, "the root directory is not one path component");
        DriverV1 *d = calloc(1, sizeof *d);
        if (!d)
                return -ENOMEM;
        d->base.ops = &v1_ops;
        d->base.layout = layout;
        snprintf(d->root, sizeof d->root, "%s", root_dir);
        int r = discover(d, err);
        for (size_t i = 0; r >= 0 && i < d->nh; i++) {
                uint32_t c = d->h[i].controllers;
                d->h[i].owned = (c & own) || (!(c & theirs) && !has_init_scope(&d->h[i]));
                r = open_root(d, &d->h[i], err);
        }
        if (r >= 0)
                drop_missing(d);
        if (r < 0) {
                v1_free(&d->base);
                return r;
        }
        *ret = &d->base;
        return 0;
}
