#include "cg-driver.h"
#include "cg-fs.h"
#include "cg-systemd.h"

#include <linux/magic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statfs.h>

static const char *const controller_names[_CG_CTRL_COUNT] = {
    [CG_CTRL_CPU] = "cpu",         [CG_CTRL_CPUACCT] = "cpuacct", [CG_CTRL_CPUSET] = "cpuset",
    [CG_CTRL_MEMORY] = "memory",   [CG_CTRL_BLKIO] = "blkio",     [CG_CTRL_DEVICES] = "devices",
    [CG_CTRL_FREEZER] = "freezer", [CG_CTRL_PIDS] = "pids",
};

const char *cg_controller_name(CgController c) {
        return controller_names[c];
}

const char *cg_freeze_state_name(CgFreezeState s) {
        return s == CG_FROZEN ? "FROZEN" : s == CG_FREEZING ? "FREEZING" : "THAWED";
}

/* Documentation/admin-guide/cgroup-v2.rst "Mounting": a cgroup2 filesystem at /sys/fs/cgroup is
 * the unified layout; a tmpfs there holds v1 hierarchies, plus /unified on hybrid hosts. */
static int detect_layout(const char **ret) {
        struct statfs fs;
        if (statfs("/sys/fs/cgroup", &fs) < 0)
                return -errno;
        if (fs.f_type == CGROUP2_SUPER_MAGIC) {
                *ret = "unified";
                return 0;
        }
        if (statfs("/sys/fs/cgroup/unified", &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC)
                *ret = "hybrid";
        else
                *ret = "v1";
        return 0;
}

int cg_driver_open(const char *kind, const char *root, CgDriver **ret, CgError *err) {
        const char *layout = NULL;
        int r;

        bool systemd = strcmp(kind, "systemd") == 0;
        if (strcmp(kind, "auto") != 0 && strcmp(kind, "cgroupfs") != 0 && !systemd)
                return cg_error_set(err, -EINVAL, "invalid_driver", NULL,
                                    "unknown driver, expected auto, cgroupfs or systemd");
        r = detect_layout(&layout);
        if (r < 0)
                return cg_error_set(err, r, "no_cgroupfs", NULL, "cannot stat /sys/fs/cgroup: %s", strerror(-r));
        /* Where systemd owns the tree, a second writer would fight it: ask it instead. */
        if (systemd || (strcmp(kind, "auto") == 0 && cg_systemd_available()))
                return cg_driver_systemd_open(root, layout, ret, err);
        /* On hybrid hosts the v2 mount holds no controllers we manage: use v1 there. */
        if (strcmp(layout, "unified") == 0)
                return cg_driver_v2_open(root, ret, err);
        return cg_driver_v1_open(root, layout, ret, err);
}

void cg_driver_free(CgDriver *d) {
        if (d)
                d->ops->free(d);
}

int cg_driver_group_subdirs(int dirfd, char (*ret)[CG_NAME_BUF], size_t max) {
        char(*raw)[256] = calloc(max ? max : 1, 256);
        if (!raw)
                return -ENOMEM;
        int r = cg_fs_subdirs_at(dirfd, raw, max), n = 0;
        for (int i = 0; i < r; i++)
                if (cg_name_is_valid(raw[i]))
                        snprintf(ret[n++], CG_NAME_BUF, "%s", raw[i]);
        free(raw);
        return r < 0 ? r : n;
}
