/* The systemd driver: where systemd owns the cgroup tree, groups are transient slices and
 * processes go into transient scopes, and limits are unit properties (systemd.resource-
 * control(5)). What systemd does not manage on a layout, cgwarden writes itself in the same
 * directories, through the cgroupfs driver opened on the root slice (cg_driver_v1_open_shared):
 * on cgroup v1 the freezer and cpuset hierarchies (whose groups are ours), memory.soft_limit
 * and memory.memsw (no v1 property) and the IOPS throttles (BlockIO* has rates only). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cg-devices.h"
#include "cg-driver.h"
#include "cg-fs.h"
#include "cg-io.h"
#include "cg-name.h"
#include "cg-systemd.h"
#include "cg-util.h"

#define UNIT_MAX 256
#define CG_MOUNT "/sys/fs/cgroup"

typedef struct DriverSd {
        CgDriver base;
        CgSystemd *bus;
        CgDriver *inner; /* cgroupfs access to the same groups (v1/hybrid); NULL on unified */
        bool unified;
        bool cfq;            /* v1 blkio.weight (CFQ) exists; else BFQ's blkio.bfq.weight */
        bool no_io_weight;   /* v1 with neither (no CFQ, no BFQ): systemd would drop IO weights */
        char root[UNIT_MAX]; /* escaped root name: the prefix of every unit */
        char detail[512];
} DriverSd;

/* A group as systemd names it: each level's slice, outermost first. */
typedef struct Units {
        char slice[CG_DEPTH_MAX][UNIT_MAX];
        CgGroupPath path;    /* the slices as directory names, for the cgroupfs side */
        const char *unit;    /* the group's own slice */
        char base[UNIT_MAX]; /* its name without ".slice": scopes are <base>-<tag>.scope */
} Units;

static DriverSd *sdrv(CgDriver *d) {
        return (DriverSd *)d;
}

/* web/api → cgwarden-web.slice, cgwarden-web-api.slice (systemd.slice(5): dashes nest). */
static int units_of(DriverSd *d, const CgGroupPath *g, Units *u, CgError *err) {
        char prefix[UNIT_MAX], esc[UNIT_MAX];
        snprintf(prefix, sizeof prefix, "%s", d->root);
        u->path.depth = g->depth;
        for (size_t i = 0; i < g->depth; i++) {
                size_t n = strlen(prefix);
                int r = cg_systemd_escape(g->names[i], esc, sizeof esc);
                if (r < 0 || n + 1 + (size_t)r + strlen(".slice") >= UNIT_MAX)
                        return cg_error_set(err, -ERANGE, "name_too_long", "/name",
                                            "the group's systemd unit name would exceed %d characters", UNIT_MAX - 1);
                if (snprintf(prefix + n, sizeof prefix - n, "-%s", esc) >= (int)(sizeof prefix - n) ||
                    snprintf(u->slice[i], UNIT_MAX, "%s.slice", prefix) >= UNIT_MAX)
                        return -ENAMETOOLONG; /* not reached: checked above */
                u->path.names[i] = u->slice[i];
        }
        snprintf(u->base, sizeof u->base, "%s", prefix);
        u->unit = g->depth ? u->slice[g->depth - 1] : NULL;
        return 0;
}

static bool on(const CgLimits *l, CgLimitKey k) {
        return l->set & CG_LIMIT_BIT(k);
}

/* Unified: the directory of the first `depth` slices of u (0: the root slice's). */
static int open_unit_dir(DriverSd *d, const Units *u, size_t depth) {
        char rootdir[UNIT_MAX + 8];
        snprintf(rootdir, sizeof rootdir, "%s.slice", d->root);
        _cleanup_close_ int top = open(CG_MOUNT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int root = top < 0 ? -errno : cg_fs_open_dir_at(top, rootdir);
        return root < 0 ? root : cg_fs_open_path_at(root, u->path.names, depth);
}

/* systemd accepts BlockIOWeight= where the kernel has no weight file and only logs that it
 * could not write it: refuse it here, as the cgroupfs driver does, so the API never reports
 * a weight the kernel does not apply. */
static int check_io_weight(const DriverSd *d, const CgLimits *want, CgError *err) {
        if (d->no_io_weight && on(want, CG_LIMIT_IO_WEIGHT))
                return cg_error_set(err, -EOPNOTSUPP, "controller_unavailable", "/io/weight",
                                    "no proportional I/O weight (blkio.weight or blkio.bfq.weight) on this host");
        return 0;
}

/* Unified: systemd writes AllowedCPUs= as given and the kernel quietly narrows it to the
 * parent's; refuse what the parent does not have, as the cgroupfs driver does. A slice
 * without the cpuset controller has the nearest ancestor's. */
static int check_cpuset(DriverSd *d, const Units *u, const CgLimits *want, CgError *err) {
        for (CgLimitKey k = CG_LIMIT_CPUSET_CPUS; k <= CG_LIMIT_CPUSET_MEMS; k++) {
                const char *file = k == CG_LIMIT_CPUSET_CPUS ? "cpuset.cpus.effective" : "cpuset.mems.effective";
                char parent[4096];
                int r = -ENOENT;
                if (!on(want, k))
                        continue;
                for (size_t depth = u->path.depth; r == -ENOENT && depth-- > 0;) {
                        _cleanup_close_ int fd = open_unit_dir(d, u, depth);
                        r = fd < 0 ? fd : cg_fs_read_at(fd, file, parent, sizeof parent);
                }
                if (r == -ENOENT) {
                        _cleanup_close_ int top = open(CG_MOUNT, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
                        r = top < 0 ? -errno : cg_fs_read_at(top, file, parent, sizeof parent);
                }
                if (r < 0)
                        return cg_error_set(err, r, "cgroupfs_error", NULL, "reading the parent's %s: %s", file,
                                            strerror(-r));
                r = cg_cpuset_check_within(k == CG_LIMIT_CPUSET_CPUS ? &want->cpuset_cpus : &want->cpuset_mems, parent,
                                           k, err);
                if (r < 0)
                        return r;
        }
        return 0;
}

/* Unified: the kernel's word on a slice (its cgroup.events counts a frozen parent, which
 * systemd's FreezerState of the unit alone does not). */
static int kernel_state_at(DriverSd *d, const Units *u, size_t depth, CgFreezeState *ret) {
        _cleanup_close_ int fd = open_unit_dir(d, u, depth);
        return fd < 0 ? fd : cg_driver_v2_freeze_state_at(fd, ret);
}

/* Keys systemd writes on this layout; the rest are the cgroupfs side's. IO_MAX is split:
 * on v1 systemd has read/write rates but no IOPS. */
static uint32_t systemd_keys(const DriverSd *d) {
        uint32_t k = CG_LIMIT_BIT(CG_LIMIT_MEMORY_MAX) | CG_LIMIT_BIT(CG_LIMIT_CPU_MAX) |
                     CG_LIMIT_BIT(CG_LIMIT_CPU_WEIGHT) | CG_LIMIT_BIT(CG_LIMIT_PIDS_MAX) |
                     CG_LIMIT_BIT(CG_LIMIT_IO_WEIGHT) | CG_LIMIT_BIT(CG_LIMIT_IO_MAX) | CG_LIMIT_BIT(CG_LIMIT_DEVICES);
        if (d->unified)
                k |= CG_LIMIT_BIT(CG_LIMIT_MEMORY_RESERVATION) | CG_LIMIT_BIT(CG_LIMIT_MEMORY_SWAP_MAX) |
                     CG_LIMIT_BIT(CG_LIMIT_CPUSET_CPUS) | CG_LIMIT_BIT(CG_LIMIT_CPUSET_MEMS);
        return k;
}

/* Keys whose kernel file is read back after systemd wrote it: single values on v1, where
 * the file holds exactly what we asked for (BFQ weights use systemd's own scale). */
#define VERIFIED_KEYS                                                                                             \
        (CG_LIMIT_BIT(CG_LIMIT_MEMORY_MAX) | CG_LIMIT_BIT(CG_LIMIT_CPU_MAX) | CG_LIMIT_BIT(CG_LIMIT_CPU_WEIGHT) | \
         CG_LIMIT_BIT(CG_LIMIT_PIDS_MAX))

/* Accounting on for every group, so that systemd keeps each group's directory in every
 * hierarchy it manages (on v1 it removes the ones no property needs). */
static int add_accounting(DriverSd *d, CgUnitCall *c) {
        cg_unit_add_bool(c, "MemoryAccounting", true);
        cg_unit_add_bool(c, "CPUAccounting", true);
        cg_unit_add_bool(c, "TasksAccounting", true);
        cg_unit_add_bool(c, d->unified ? "IOAccounting" : "BlockIOAccounting", true);
        /* v1 has a cpu directory only where a cpu property is set: the default weight. */
        return d->unified ? 0 : cg_unit_add_u64(c, "CPUShares", cg_limits_weight_to_shares(CG_CPU_WEIGHT_DEFAULT));
}

static uint64_t or_infinity(const CgLimits *l, CgLimitKey k, uint64_t v) {
        return on(l, k) && v != CG_UNLIMITED ? v : UINT64_MAX;
}

/* "c 1:3" → /dev/char/1:3; "c 136:*" → char-pts (by /proc/devices); "c *:*" → char-*. */
static int device_spec(const CgDeviceRule *rule, char type, char *buf, size_t size) {
        const char *kind = type == 'b' ? "block" : "char";
        if (rule->major == CG_DEVICE_ANY) {
                snprintf(buf, size, "%s-*", kind);
                return 0;
        }
        if (rule->minor != CG_DEVICE_ANY) {
                snprintf(buf, size, "/dev/%s/%" PRId32 ":%" PRId32, kind, rule->major, rule->minor);
                return 0;
        }
        /* systemd names a whole major by its driver's name. */
        FILE *f = fopen("/proc/devices", "re");
        char line[128];
        bool in_section = false;
        int r = -ENOENT;
        while (f && fgets(line, sizeof line, f)) {
                int major;
                char name[64];
                if (strncmp(line, "Character", 9) == 0 || strncmp(line, "Block", 5) == 0)
                        in_section = (line[0] == 'B') == (type == 'b');
                else if (in_section && sscanf(line, "%d %63s", &major, name) == 2 && major == rule->major) {
                        r = snprintf(buf, size, "%s-%s", kind, name) < (int)size ? 0 : -ENAMETOOLONG;
                        break;
                }
        }
        if (f)
                fclose(f);
        return r;
}

/* DevicePolicy=strict (auto under an allow policy) and one DeviceAllow per rule. */
static int add_device_allow(CgUnitCall *c, const CgLimits *l, CgError *err) {
        char specs[CG_DEVICE_RULES_MAX * 2][64], access[CG_DEVICE_RULES_MAX * 2][4];
        const char *pairs[CG_DEVICE_RULES_MAX * 2][2];
        size_t n = 0;
        for (uint32_t i = 0; i < l->n_device_rules; i++) {
                const CgDeviceRule *rule = &l->device_rules[i];
                for (int t = 0; t < 2; t++) {
                        char type = rule->type == 'a' ? (t ? 'b' : 'c') : rule->type;
                        if (t && rule->type != 'a')
                                break;
                        if (device_spec(rule, type, specs[n], sizeof specs[n]) < 0)
                                return cg_error_set(err, -EOPNOTSUPP, "not_supported", "/devices/rules",
                                                    "major %" PRId32 " has no driver name in /proc/devices, which "
                                                    "systemd needs for a rule on every minor",
                                                    rule->major);
                        int k = 0;
                        if (rule->access & CG_DEV_ACC_READ)
                                access[n][k++] = 'r';
                        if (rule->access & CG_DEV_ACC_WRITE)
                                access[n][k++] = 'w';
                        if (rule->access & CG_DEV_ACC_MKNOD)
                                access[n][k++] = 'm';
                        access[n][k] = '\0';
                        pairs[n][0] = specs[n];
                        pairs[n][1] = access[n];
                        n++;
                }
        }
        cg_unit_add_str(c, "DevicePolicy", l->devices_policy == CG_DEVICES_DENY ? "strict" : "auto");
        cg_unit_add_str_pairs(c, "DeviceAllow", NULL, 0); /* an empty list resets, then the rules */
        return cg_unit_add_str_pairs(c, "DeviceAllow", (const char *const(*)[2])pairs, n);
}

static int add_devices(CgUnitCall *c, const CgLimits *l, bool unified, CgError *err) {
        if (!on(l, CG_LIMIT_DEVICES)) {
                /* On unified, a unit left with no device settings keeps its last BPF program
                 * (systemd stops managing it): allow everything explicitly instead. */
                static const char *const all[2][2] = {{"char-*", "rwm"}, {"block-*", "rwm"}};
                cg_unit_add_str(c, "DevicePolicy", "auto");
                cg_unit_add_str_pairs(c, "DeviceAllow", NULL, 0);
                return unified ? cg_unit_add_str_pairs(c, "DeviceAllow", all, 2) : 0;
        }
        if (l->devices_policy == CG_DEVICES_ALLOW && l->n_device_rules > 0)
                return cg_error_set(err, -EOPNOTSUPP, "not_supported", "/devices/rules",
                                    "systemd cannot deny single devices (DeviceDeny= does not exist); use policy "
                                    "deny with the devices to allow");
        return add_device_allow(c, l, err);
}
/* Rates (and on unified IOPS) per device; an empty list first removes what was there. */
static int add_io_max(DriverSd *d, CgUnitCall *c, const CgLimits *l) {
        static const char *const v1_props[_CG_IO_FIELD_COUNT] = {
            [CG_IO_RBPS] = "BlockIOReadBandwidth", [CG_IO_WBPS] = "BlockIOWriteBandwidth"};
        static const char *const v2_props[_CG_IO_FIELD_COUNT] = {[CG_IO_RBPS] = "IOReadBandwidthMax",
                                                                 [CG_IO_WBPS] = "IOWriteBandwidthMax",
                                                                 [CG_IO_RIOPS] = "IOReadIOPSMax",
                                                                 [CG_IO_WIOPS] = "IOWriteIOPSMax"};
        char paths[CG_IO_DEVICES_MAX][48];
        const char *p[CG_IO_DEVICES_MAX];
        uint64_t v[CG_IO_DEVICES_MAX];
        int r = 0;
        for (CgIoField f = 0; f < _CG_IO_FIELD_COUNT && r >= 0; f++) {
                const char *prop = d->unified ? v2_props[f] : v1_props[f];
                size_t n = 0;
                if (!prop)
                        continue;
                for (uint32_t i = 0; on(l, CG_LIMIT_IO_MAX) && i < l->n_io_max; i++) {
                        const CgIoMax *e = &l->io_max[i];
                        if (!(e->set & (1u << f)) || e->v[f] == CG_UNLIMITED)
                                continue;
                        snprintf(paths[n], sizeof paths[n], "/dev/block/%" PRIu32 ":%" PRIu32, e->major, e->minor);
                        p[n] = paths[n];
                        v[n++] = e->v[f];
                }
                cg_unit_add_str_u64(c, prop, NULL, NULL, 0);
                r = cg_unit_add_str_u64(c, prop, p, v, n);
        }
        return r;
}

static int cpus_bytes(const CgCpuSet *s, uint8_t *buf, size_t size) {
        size_t n = 0;
        for (size_t i = 0; i < size; i++) {
                buf[i] = (uint8_t)(s->bits[i / 8] >> (8 * (i % 8)));
                if (buf[i])
                        n = i + 1;
        }
        return (int)n;
}

/* One property (or a few) per key; a cleared key gets systemd's "unset" value. */
static int add_key(DriverSd *d, CgUnitCall *c, const CgLimits *l, CgLimitKey k, CgError *err) {
        switch (k) {
        case CG_LIMIT_MEMORY_MAX:
                return cg_unit_add_u64(c, d->unified ? "MemoryMax" : "MemoryLimit",
                                       or_infinity(l, k, l->memory_max_bytes));
        case CG_LIMIT_MEMORY_RESERVATION:
                return cg_unit_add_u64(c, "MemoryLow", on(l, k) ? l->memory_reservation_bytes : 0);
        case CG_LIMIT_MEMORY_SWAP_MAX:
                return cg_unit_add_u64(c, "MemorySwapMax", or_infinity(l, k, l->memory_swap_max_bytes));
        case CG_LIMIT_CPU_MAX: {
                uint64_t q = or_infinity(l, k, l->cpu_quota_usec);
                cg_unit_add_u64(c, "CPUQuotaPeriodUSec", q == UINT64_MAX ? UINT64_MAX : CG_CPU_PERIOD_USEC);
                return cg_unit_add_u64(c, "CPUQuotaPerSecUSec",
                                       q == UINT64_MAX ? UINT64_MAX : q * 1000000u / CG_CPU_PERIOD_USEC);
        }
        case CG_LIMIT_CPU_WEIGHT: {
                uint32_t w = on(l, k) ? l->cpu_weight : CG_CPU_WEIGHT_DEFAULT;
                return d->unified ? cg_unit_add_u64(c, "CPUWeight", w)
                                  : cg_unit_add_u64(c, "CPUShares", cg_limits_weight_to_shares(w));
        }
        case CG_LIMIT_CPUSET_CPUS:
        case CG_LIMIT_CPUSET_MEMS: {
                uint8_t bytes[CG_CPUSET_BITS / 8];
                int n = on(l, k) ? cpus_bytes(k == CG_LIMIT_CPUSET_CPUS ? &l->cpuset_cpus : &l->cpuset_mems, bytes,
                                              sizeof bytes)
                                 : 0;
                return cg_unit_add_bytes(c, k == CG_LIMIT_CPUSET_CPUS ? "AllowedCPUs" : "AllowedMemoryNodes", bytes,
                                         (size_t)n);
        }
        case CG_LIMIT_PIDS_MAX: return cg_unit_add_u64(c, "TasksMax", or_infinity(l, k, l->pids_max));
        case CG_LIMIT_IO_WEIGHT: {
                uint32_t w = on(l, k) ? l->io_weight : CG_IO_WEIGHT_DEFAULT;
                if (d->unified)
                        return cg_unit_add_u64(c, "IOWeight", w);
                /* systemd writes BlockIOWeight to blkio.weight as is, and maps it onto BFQ's
                 * scale the way cg_io_weight_to_bfq() maps io.weight: feed each its own. */
                uint64_t b = d->cfq ? cg_io_weight_to_blkio(w) : w < 10u ? 10u : w > 1000u ? 1000u : w;
                return cg_unit_add_u64(c, "BlockIOWeight", b);
        }
        case CG_LIMIT_IO_MAX: return add_io_max(d, c, l);
        case CG_LIMIT_DEVICES: return add_devices(c, l, d->unified, err);
        default: return -EINVAL;
        }
}

static CgLimits only(const CgLimits *l, uint32_t keys) {
        CgLimits o = *l;
        o.set &= keys;
        o.clear &= keys;
        return o;
}

/* Adds the properties of `keys` of l to c and runs it; c is freed either way. */
static int run_with_keys(DriverSd *d, CgUnitCall *c, const CgLimits *l, uint32_t keys, CgError *err) {
        int r = 0;
        for (CgLimitKey k = 0; r >= 0 && k < _CG_LIMIT_COUNT; k++)
                if (keys & CG_LIMIT_BIT(k))
                        r = add_key(d, c, l, k, err);
        if (r < 0) {
                cg_unit_call_free(c);
                return r;
        }
        return cg_unit_call_run(c, err);
}

static int set_properties(DriverSd *d, const Units *u, const CgLimits *want, uint32_t keys, CgError *err) {
        CgUnitCall *c = NULL;
        int r = cg_unit_call_new(d->bus, false, u->unit, &c, err);
        return r < 0 ? r : run_with_keys(d, c, want, keys, err);
}

/* v1, after systemd took `keys` of want: read those back (systemd reports success even where
 * the kernel refused a write; it only logs it), then write what is ours: cpuset, the soft
 * limit, memsw and the IOPS throttles. memsw is computed from memory.max, which rides along
 * and, verified equal, is not written again. */
static int finish_v1(DriverSd *d, const Units *u, const CgLimits *want, uint32_t keys, uint32_t *ret_written,
                     CgError *err) {
        CgLimits check = only(want, keys & VERIFIED_KEYS);
        uint32_t differ = 0;
        int r = d->inner->ops->apply_limits(d->inner, &u->path, &check, CG_APPLY_DRY_RUN, &differ, err);
        if (r < 0)
                return r;
        for (CgLimitKey k = 0; differ && k < _CG_LIMIT_COUNT; k++)
                if (differ & CG_LIMIT_BIT(k))
                        return cg_error_set(err, -EINVAL, "kernel_refused", cg_limit_key_pointer(k),
                                            "systemd set %s on %s, but the kernel did not take it (systemd logs why)",
                                            cg_limit_key_pointer(k), u->unit);
        CgLimits self =
            only(want, ~systemd_keys(d) | CG_LIMIT_BIT(CG_LIMIT_IO_MAX) | CG_LIMIT_BIT(CG_LIMIT_MEMORY_MAX));
        return d->inner->ops->apply_limits(d->inner, &u->path, &self, CG_APPLY_ONLY_DRIFTED | CG_APPLY_IO_IOPS_ONLY,
                                           ret_written, err);
}

static int sd_apply_limits(CgDriver *drv, const CgGroupPath *g, const CgLimits *want, unsigned flags,
                           uint32_t *ret_written, CgError *err) {
        DriverSd *d = sdrv(drv);
        Units u;
        uint32_t mine = systemd_keys(d), keys = (want->set | want->clear) & mine, written = 0, inner_written = 0;
        int r = units_of(d, g, &u, err);
        if (r >= 0)
                r = check_io_weight(d, want, err);
        if (r < 0)
                return r;
        if (!d->inner) {
                r = check_cpuset(d, &u, want, err);
                if (r < 0)
                        return r;
        }
        if (d->inner && (flags & CG_APPLY_ONLY_DRIFTED)) {
                /* Only what the kernel does not hold; lists are always sent (systemd dedups). */
                CgLimits check = only(want, keys & VERIFIED_KEYS);
                uint32_t differ = 0;
                r = d->inner->ops->apply_limits(d->inner, &u.path, &check, CG_APPLY_DRY_RUN, &differ, err);
                if (r < 0)
                        return r;
                keys = (flags & CG_APPLY_COMPARED_ONLY ? 0 : keys & ~VERIFIED_KEYS) | differ;
                written |= differ;
        } else if (flags & CG_APPLY_ONLY_DRIFTED) {
                /* Unified: the single-value files compared as the cgroupfs driver would write
                 * them; the rest (lists, io, cpuset) sent again, as on v1. A unit whose
                 * directory is gone gets everything: systemd makes the directory again. */
                _cleanup_close_ int fd = open_unit_dir(d, &u, u.path.depth);
                uint32_t differ = fd < 0 ? keys & CG_V2_SINGLE_VALUE_KEYS
                                         : cg_driver_v2_differing_at(fd, want, keys & CG_V2_SINGLE_VALUE_KEYS);
                keys = (flags & CG_APPLY_COMPARED_ONLY ? 0 : keys & ~CG_V2_SINGLE_VALUE_KEYS) | differ;
                written |= differ;
        } else
                written |= keys;
        /* v1 refuses memory.limit above memory.memsw.limit: lift memsw before systemd writes
         * memory; the cgroupfs step below gives it its final value. */
        if (d->inner && (keys & CG_LIMIT_BIT(CG_LIMIT_MEMORY_MAX)) &&
            ((want->set | want->clear) & CG_LIMIT_BIT(CG_LIMIT_MEMORY_SWAP_MAX))) {
                CgLimits lift = {.clear = CG_LIMIT_BIT(CG_LIMIT_MEMORY_SWAP_MAX)};
                r = d->inner->ops->apply_limits(d->inner, &u.path, &lift, 0, NULL, err);
                if (r < 0)
                        return r;
        }
        if (keys) {
                r = set_properties(d, &u, want, keys, err);
                if (r < 0)
                        return r;
        }
        if (d->inner) {
                r = finish_v1(d, &u, want, keys, &inner_written, err);
                if (r < 0)
                        return r;
        }
        if (ret_written)
                *ret_written = written | inner_written;
        return 0;
}

/* A transient scope around pid, in `slice`, started before pid runs anything. */
/* A scope around pid; with a leaf, the scope is the leaf and systemd enforces its device
 * policy (on v1 in the devices hierarchy, which is systemd's; on v2 with its own program). */
static int start_scope(DriverSd *d, const char *unit, const char *slice, pid_t pid, const CgLeaf *leaf, CgError *err) {
        CgUnitCall *c = NULL;
        int r = cg_unit_call_new(d->bus, true, unit, &c, err);
        if (r < 0)
                return r;
        cg_unit_add_str(c, "Description", "cgwarden process");
        cg_unit_add_str(c, "Slice", slice);
        cg_unit_add_pid(c, pid);
        /* An ended or failed scope goes away instead of waiting for reset-failed. */
        cg_unit_add_str(c, "CollectMode", "inactive-or-failed");
        r = leaf ? add_device_allow(c, leaf->devices, err) : 0;
        if (r < 0) {
                cg_unit_call_free(c);
                return r;
        }
        return cg_unit_call_run(c, err);
}

/* A slice, started with accounting and, where given, the limits systemd takes: the unit
 * never exists without them. */
static int start_slice(DriverSd *d, const char *unit, const CgLimits *limits, CgError *err) {
        CgUnitCall *c = NULL;
        uint32_t keys = limits ? limits->set & systemd_keys(d) : 0;
        int r = cg_unit_call_new(d->bus, true, unit, &c, err);
        if (r < 0)
                return r;
        cg_unit_add_str(c, "Description", "cgwarden group");
        add_accounting(d, c);
        return run_with_keys(d, c, limits, keys, err);
}

static int sd_create(CgDriver *drv, const CgGroupPath *g, CgError *err) {
        DriverSd *d = sdrv(drv);
        Units u;
        int r = units_of(d, g, &u, err);
        if (r < 0)
                return r;
        r = start_slice(d, u.unit, NULL, err);
        bool made = r >= 0;
        if (r == -EEXIST) {
                /* A slice of ours from before a restart: adopt it. Setting its accounting again
                 * makes systemd re-create directories someone removed behind its back. */
                CgUnitCall *c = NULL;
                r = cg_unit_call_new(d->bus, false, u.unit, &c, err);
                if (r >= 0) {
                        add_accounting(d, c);
                        r = cg_unit_call_run(c, err);
                }
        }
        if (r < 0)
                return r;
        int made_dirs = d->inner ? d->inner->ops->create(d->inner, &u.path, err) : 0;
        if (made_dirs < 0) {
                if (made)
                        (void)cg_systemd_stop(d->bus, u.unit, NULL);
                return made_dirs;
        }
        return made || made_dirs > 0;
}

/* One StartTransientUnit with the properties, then the cgroupfs side (v1). A slice that
 * exists already (ours, from before a restart) is adopted and given the limits. */
static int sd_create_with(CgDriver *drv, const CgGroupPath *g, const CgLimits *limits, CgError *err) {
        DriverSd *d = sdrv(drv);
        Units u;
        int r = units_of(d, g, &u, err);
        if (r >= 0)
                r = check_io_weight(d, limits, err);
        if (r >= 0 && !d->inner)
                r = check_cpuset(d, &u, limits, err);
        if (r < 0)
                return r;
        r = start_slice(d, u.unit, limits, err);
        if (r == -EEXIST) {
                if (err)
                        *err = (CgError){0};
                r = sd_create(drv, g, err);
                int a = r < 0 ? r : sd_apply_limits(drv, g, limits, 0, NULL, err);
                return a < 0 ? a : r;
        }
        if (r < 0 || !d->inner)
                return r < 0 ? r : 1;
        r = d->inner->ops->create(d->inner, &u.path, err);
        if (r >= 0)
                r = finish_v1(d, &u, limits, limits->set & systemd_keys(d), NULL, err);
        if (r < 0) {
                (void)d->inner->ops->destroy(d->inner, &u.path, false, NULL);
                (void)cg_systemd_stop(d->bus, u.unit, NULL);
                return r;
        }
        return 1;
}

static int sd_exists(CgDriver *drv, const CgGroupPath *g) {
        DriverSd *d = sdrv(drv);
        Units u;
        char state[32];
        int r = units_of(d, g, &u, NULL);
        if (r >= 0)
                r = cg_systemd_active_state(d->bus, u.unit, state, sizeof state);
        if (r == -ENOENT)
                return 0;
        if (r < 0)
                return r;
        if (strcmp(state, "active") != 0)
                return 0;
        return d->inner ? d->inner->ops->exists(d->inner, &u.path) : 1;
}

/* A new scope around pid in the group's slice, started before pid runs anything. */
static int sd_place(CgDriver *drv, const CgGroupPath *g, pid_t pid, const char *tag, const CgLeaf *leaf, CgError *err) {
        DriverSd *d = sdrv(drv);
        Units u;
        char scope[UNIT_MAX + 64];
        int r = units_of(d, g, &u, err);
        if (r < 0)
                return r;
        snprintf(scope, sizeof scope, "%s-%s.scope", u.base, tag);
        return start_scope(d, scope, u.unit, pid, leaf, err);
}

/* The inner driver places in the hierarchies systemd leaves to us; the device policy is the
 * scope's (sd_place). */
static int sd_placement_fds(CgDriver *drv, const CgGroupPath *g, const CgLeaf *leaf, int *ret_fds, size_t max,
                            CgError *err) {
        (void)leaf;
        DriverSd *d = sdrv(drv);
        Units u;
        int r = units_of(d, g, &u, err);
        if (r < 0 || !d->inner)
                return r;
        return d->inner->ops->placement_fds(d->inner, &u.path, NULL, ret_fds, max, err);
}

static int sd_attach(CgDriver *drv, const CgGroupPath *g, pid_t pid, CgError *err) {
        DriverSd *d = sdrv(drv);
        Units u;
        char tag[64];
        if (pid <= 0 || kill(pid, 0) < 0)
                return cg_error_set(err, -ESRCH, "no_such_process", "/pid", "no process with that pid exists");
        int r = units_of(d, g, &u, err);
        if (r < 0)
                return r;
        /* The time tells two attaches of one pid apart (a scope lingers until it is empty). */
        snprintf(tag, sizeof tag, "pid%d-%" PRIu64, (int)pid, cg_now_usec(CLOCK_MONOTONIC));
        r = sd_place(drv, g, pid, tag, NULL, err);
        if (r == -EINVAL && kill(pid, 0) < 0)
                return cg_error_set(err, -ESRCH, "no_such_process", "/pid", "the process exited while moving it");
        if (r < 0 || !d->inner)
                return r;
        return d->inner->ops->attach(d->inner, &u.path, pid, err);
}

/* FreezeUnit/ThawUnit answer once systemd saw the kernel confirm; a thaw under a frozen
 * parent still leaves the slice frozen. */
static int check_frozen(DriverSd *d, const Units *u, bool want, CgError *err) {
        CgFreezeState s;
        int r = kernel_state_at(d, u, u->path.depth, &s);
        if (r < 0)
                return cg_error_set(err, r, "cgroupfs_error", NULL, "reading cgroup.events of %s: %s", u->unit,
                                    strerror(-r));
        if ((s == CG_FROZEN) == want)
                return 0;
        if (want)
                return cg_error_set(err, -EBUSY, "still_freezing", NULL, "%s did not reach frozen", u->unit);
        return cg_error_set(err, -EBUSY, "parent_frozen", NULL,
                            "the group stays frozen because a parent group is frozen");
}

static int freeze_or_thaw(CgDriver *drv, const CgGroupPath *g, bool freeze, CgError *err) {
        DriverSd *d = sdrv(drv);
        Units u;
        int r = units_of(d, g, &u, err);
        if (r < 0)
                return r;
        /* systemd freezes through cgroup.freeze only: on v1 the freezer hierarchy is ours. */
        if (d->inner)
                return freeze ? d->inner->ops->freeze(d->inner, &u.path, err)
                              : d->inner->ops->thaw(d->inner, &u.path, err);
        /* ThawUnit thaws the parent slices too; the API's thaw leaves a frozen parent be. */
        CgFreezeState parent;
        if (!freeze && kernel_state_at(d, &u, u.path.depth - 1, &parent) >= 0 && parent == CG_FROZEN)
                return cg_error_set(err, -EBUSY, "parent_frozen", NULL,
                                    "the group stays frozen because a parent group is frozen");
        r = cg_systemd_freeze(d->bus, u.unit, freeze, err);
        return r < 0 ? r : check_frozen(d, &u, freeze, err);
}

static int sd_freeze(CgDriver *drv, const CgGroupPath *g, CgError *err) {
        return freeze_or_thaw(drv, g, true, err);
}

static int sd_thaw(CgDriver *drv, const CgGroupPath *g, CgError *err) {
        return freeze_or_thaw(drv, g, false, err);
}

static int sd_freeze_state(CgDriver *drv, const CgGroupPath *g, CgFreezeState *ret) {
        DriverSd *d = sdrv(drv);
        Units u;
        int r = units_of(d, g, &u, NULL);
        if (r < 0)
                return r;
        /* From the files alone: a group list or /metrics asks for every group's state. */
        return d->inner ? d->inner->ops->freeze_state(d->inner, &u.path, ret)
                        : kernel_state_at(d, &u, u.path.depth, ret);
}

/* "web\x2dapi" back to "web-api" (systemd-escape's \xNN; group names need no other). */
static int unescape(const char *s, size_t len, char *out, size_t size) {
        size_t n = 0;
        for (size_t i = 0; i < len; i++) {
                unsigned v;
                char c = s[i];
                if (c == '\\' && i + 3 < len && s[i + 1] == 'x' && sscanf(s + i + 2, "%2x", &v) == 1) {
                        c = (char)v;
                        i += 3;
                }
                if (n + 1 >= size)
                        return -ENAMETOOLONG;
                out[n++] = c;
        }
        out[n] = '\0';
        return 0;
}

/* The group slices in the directory at path (below the root slice), as names, added to
 * ret[0..*n) without repeats. */
static void add_slices(DriverSd *d, const char *mount, const Units *u, char (*ret)[CG_NAME_BUF], size_t max,
                       size_t *n) {
        char rootdir[UNIT_MAX + 8];
        snprintf(rootdir, sizeof rootdir, "%s.slice", d->root);
        _cleanup_close_ int top = open(mount, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        _cleanup_close_ int root = top < 0 ? -errno : cg_fs_open_dir_at(top, rootdir);
        _cleanup_close_ int fd = root < 0 ? root : cg_fs_open_path_at(root, u->path.names, u->path.depth);
        char(*raw)[256] = fd < 0 ? NULL : calloc(max ? max : 1, 256);
        if (!raw)
                return;
        size_t blen = strlen(u->base);
        int k = cg_fs_subdirs_at(fd, raw, max);
        for (int i = 0; i < k; i++) {
                size_t len = strlen(raw[i]);
                char name[CG_NAME_BUF];
                bool seen = false;
                if (len <= blen + 7 || strncmp(raw[i], u->base, blen) != 0 || raw[i][blen] != '-' ||
                    strcmp(raw[i] + len - 6, ".slice") != 0 ||
                    unescape(raw[i] + blen + 1, len - blen - 7, name, sizeof name) < 0 || !cg_name_is_valid(name))
                        continue;
                for (size_t m = 0; m < *n && !seen; m++)
                        seen = strcmp(ret[m], name) == 0;
                if (!seen && *n < max)
                        memcpy(ret[(*n)++], name, CG_NAME_BUF);
        }
        free(raw);
}

/* The group slices directly in g's slice, "<base>-<escaped name>.slice", as names. On v1,
 * the union over systemd's own trees and the hierarchies that hold slices: a create cut
 * short may have reached some of them only. */
static int sd_children(CgDriver *drv, const CgGroupPath *g, char (*ret)[CG_NAME_BUF], size_t max) {
        static const char *const v1_mounts[] = {CG_MOUNT "/systemd", CG_MOUNT "/unified", CG_MOUNT "/freezer",
                                                CG_MOUNT "/pids", CG_MOUNT "/memory"};
        DriverSd *d = sdrv(drv);
        Units u;
        size_t n = 0;
        int r = units_of(d, g, &u, NULL);
        if (r < 0)
                return r;
        if (d->unified)
                add_slices(d, CG_MOUNT, &u, ret, max, &n);
        else
                for (size_t i = 0; i < ELEMENTSOF(v1_mounts); i++)
                        add_slices(d, v1_mounts[i], &u, ret, max, &n);
        return (int)n;
}

/* Unified: the group's processes are those of the scopes directly in its slice. */
static int scope_pids(DriverSd *d, const Units *u, pid_t **ret_pids, size_t *ret_n) {
        int fd = open_unit_dir(d, u, u->path.depth);
        if (fd < 0)
                return fd;
        DIR *dir = fdopendir(fd);
        if (!dir) {
                close(fd);
                return -errno;
        }
        pid_t *all = NULL;
        size_t n = 0;
        int r = 0;
        for (struct dirent *e; r >= 0 && (e = readdir(dir));) {
                size_t len = strlen(e->d_name);
                if (e->d_type != DT_DIR || len < 7 || strcmp(e->d_name + len - 6, ".scope") != 0)
                        continue;
                _cleanup_close_ int sfd = cg_fs_open_dir_at(dirfd(dir), e->d_name);
                _cleanup_free_ pid_t *p = NULL;
                size_t k = 0;
                if (sfd < 0 || cg_fs_read_pids_at(sfd, &p, &k) < 0 || k == 0)
                        continue;
                pid_t *m = realloc(all, (n + k) * sizeof *all);
                if (!m) {
                        r = -ENOMEM;
                        break;
                }
                all = m;
                memcpy(all + n, p, k * sizeof *p);
                n += k;
        }
        closedir(dir);
        if (r < 0) {
                free(all);
                return r;
        }
        *ret_pids = all;
        *ret_n = n;
        return 0;
}

static int sd_pids(CgDriver *drv, const CgGroupPath *g, pid_t **ret_pids, size_t *ret_n) {
        DriverSd *d = sdrv(drv);
        Units u;
        int r = units_of(d, g, &u, NULL);
        if (r < 0)
                return r;
        return d->inner ? d->inner->ops->pids(d->inner, &u.path, ret_pids, ret_n) : scope_pids(d, &u, ret_pids, ret_n);
}

static int sd_destroy(CgDriver *drv, const CgGroupPath *g, bool force, CgError *err) {
        DriverSd *d = sdrv(drv);
        Units u;
        int r = units_of(d, g, &u, err);
        if (r < 0)
                return r;
        if (d->inner) {
                /* Processes, frozen or not, and our directories first: the cgroupfs driver
                 * refuses or kills exactly as it does alone. */
                r = d->inner->ops->destroy(d->inner, &u.path, force, err);
                if (r < 0)
                        return r;
        } else {
                _cleanup_free_ pid_t *pids = NULL;
                size_t n = 0;
                if (!force && scope_pids(d, &u, &pids, &n) >= 0 && n > 0)
                        return cg_error_set(err, -EBUSY, "not_empty", NULL,
                                            "the group still has %zu processes; delete with force=true to kill them",
                                            n);
                if (force)
                        (void)cg_systemd_freeze(d->bus, u.unit, false, NULL);
        }
        /* Stopping the slice stops (and on unified kills) every scope in it. */
        return cg_systemd_stop(d->bus, u.unit, err);
}

static int sd_stat_dirs(CgDriver *drv, const CgGroupPath *g, int ret_fds[_CG_CTRL_COUNT]) {
        DriverSd *d = sdrv(drv);
        Units u;
        int r = units_of(d, g, &u, NULL);
        if (r < 0)
                return r;
        if (d->inner) /* v1: the slice's directories, systemd's and ours */
                return d->inner->ops->stat_dirs(d->inner, &u.path, ret_fds);
        int fd = open_unit_dir(d, &u, u.path.depth);
        for (CgController c = 0; c < _CG_CTRL_COUNT; c++)
                ret_fds[c] = fd < 0 ? fd : c == 0 ? fd : fcntl(fd, F_DUPFD_CLOEXEC, 3);
        return fd < 0 ? fd : 0;
}

static void sd_idle(CgDriver *drv) {
        (void)cg_systemd_drain(sdrv(drv)->bus);
}

static void sd_free(CgDriver *drv) {
        DriverSd *d = sdrv(drv);
        cg_driver_free(d->inner);
        cg_systemd_free(d->bus);
        free(d);
}

static const CgDriverOps sd_ops = {
    .name = "systemd",
    .free = sd_free,
    .create = sd_create,
    .create_with = sd_create_with,
    .exists = sd_exists,
    .apply_limits = sd_apply_limits,
    .placement_fds = sd_placement_fds,
    .children = sd_children,
    .place = sd_place,
    .attach = sd_attach,
    .freeze = sd_freeze,
    .thaw = sd_thaw,
    .freeze_state = sd_freeze_state,
    .pids = sd_pids,
    .destroy = sd_destroy,
    .idle = sd_idle,
    .stat_dirs = sd_stat_dirs,
};

/* The root slice, then the cgroupfs side on its directories (v1), then what a previous run
 * left: slices and scopes keep running while the daemon is away. */
static int sd_setup(DriverSd *d, const char *root, CgError *err) {
        char slice[UNIT_MAX + 8], blkio[PATH_MAX];
        int r = cg_systemd_escape(root, d->root, sizeof d->root - 16);
        if (r < 0)
                return cg_error_set(err, r, "invalid_name", NULL, "the root group name is too long");
        snprintf(slice, sizeof slice, "%s.slice", d->root);
        r = start_slice(d, slice, NULL, err);
        if (r == -EEXIST) {
                r = 0;
                if (err)
                        *err = (CgError){0};
        }
        if (r < 0)
                return r;
        if (!d->unified) {
                r = cg_driver_v1_open_shared(slice, d->base.layout, (1u << CG_CTRL_FREEZER) | (1u << CG_CTRL_CPUSET),
                                             1u << CG_CTRL_DEVICES, &d->inner, err);
                if (r < 0)
                        return r;
                d->base.controllers = d->inner->controllers | (1u << CG_CTRL_DEVICES);
                snprintf(blkio, sizeof blkio, CG_MOUNT "/blkio/%s/blkio.weight", slice);
                d->cfq = access(blkio, F_OK) == 0;
                snprintf(blkio, sizeof blkio, CG_MOUNT "/blkio/%s/blkio.bfq.weight", slice);
                d->no_io_weight = !d->cfq && access(blkio, F_OK) < 0;
        } else
                d->base.controllers = (1u << _CG_CTRL_COUNT) - 1;
        char pat_slices[UNIT_MAX + 16], pat_scopes[UNIT_MAX + 16];
        snprintf(pat_slices, sizeof pat_slices, "%s-*.slice", d->root);
        snprintf(pat_scopes, sizeof pat_scopes, "%s-*.scope", d->root);
        int slices = cg_systemd_count_units(d->bus, (const char *const[]){pat_slices, NULL}, err);
        int scopes = slices < 0 ? slices : cg_systemd_count_units(d->bus, (const char *const[]){pat_scopes, NULL}, err);
        if (scopes < 0)
                return scopes;
        snprintf(d->detail, sizeof d->detail, "systemd over its %s; %s with %d group slices and %d scopes",
                 cg_systemd_transport(d->bus), slice, slices, scopes);
        d->base.detail = d->detail;
        return 0;
}

int cg_driver_systemd_open(const char *root, const char *layout, CgDriver **ret, CgError *err) {
        if (!cg_name_is_valid(root))
                return cg_error_set(err, -EINVAL, "invalid_name", NULL, "the root group name is not valid");
        DriverSd *d = calloc(1, sizeof *d);
        if (!d)
                return -ENOMEM;
        d->base.ops = &sd_ops;
        d->base.layout = layout;
        d->unified = strcmp(layout, "unified") == 0;
        int r = cg_systemd_open(&d->bus, err);
        if (r >= 0)
                r = sd_setup(d, root, err);
        if (r < 0) {
                sd_free(&d->base);
                return r;
        }
        *ret = &d->base;
        return 0;
}
