/* How groups are realised. One interface, one implementation per way of doing it:
 * cgroupfs on v1/hybrid hosts (cg-driver-v1.c) today, cgroup v2 and systemd later.
 * Callers above this line see names and CgLimits, never kernel files or unit properties. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cg-error.h"
#include "cg-limits.h"
#include "cg-name.h"

typedef enum CgController {
        CG_CTRL_CPU,
        CG_CTRL_CPUACCT,
        CG_CTRL_CPUSET,
        CG_CTRL_MEMORY,
        CG_CTRL_BLKIO,
        CG_CTRL_DEVICES,
        CG_CTRL_FREEZER,
        CG_CTRL_PIDS,
        _CG_CTRL_COUNT,
} CgController;

const char *cg_controller_name(CgController c);

typedef enum CgFreezeState {
        CG_THAWED,
        CG_FREEZING,
        CG_FROZEN,
} CgFreezeState;

const char *cg_freeze_state_name(CgFreezeState s);

#define CG_DEPTH_MAX 16

/* A group as the chain of validated names below the daemon's root, outermost first. */
typedef struct CgGroupPath {
        const char *names[CG_DEPTH_MAX];
        size_t depth;
} CgGroupPath;

/* apply_limits flags */
#define CG_APPLY_ONLY_DRIFTED 1u /* read each value first and write only what differs */
#define CG_APPLY_DRY_RUN      2u /* write nothing: *ret_written gets the keys whose files differ */
#define CG_APPLY_IO_IOPS_ONLY 4u /* io.max: the IOPS fields only (systemd writes the rates) */
/* With ONLY_DRIFTED: send nothing that cannot be compared first (systemd's lists: devices,
 * io.max, cpuset), for a periodic check that must not rewrite them every time. */
#define CG_APPLY_COMPARED_ONLY 8u

#define CG_FREEZE_TIMEOUT_USEC (5 * 1000000u)
#define CG_KILL_TIMEOUT_USEC   (5 * 1000000u)

/* A new process's own leaf below its group (cg-fs.h): its name, and the device policy
 * (cg_devices_for_process) the driver enforces there. */
typedef struct CgLeaf {
        char name[32];
        const CgLimits *devices;
} CgLeaf;

typedef struct CgDriver CgDriver;

typedef struct CgDriverOps {
        const char *name;
        void (*free)(CgDriver *d);
        /* Creates the group in every hierarchy; a part that exists already is kept.
         * Returns 1 if anything was created, 0 if it all existed. Undoes its own mkdirs on error. */
        int (*create)(CgDriver *d, const CgGroupPath *g, CgError *err);
        /* create + apply_limits(limits, 0) in one step, where the driver can do it in one
         * (systemd: a unit started with its properties). NULL where it cannot. */
        int (*create_with)(CgDriver *d, const CgGroupPath *g, const CgLimits *limits, CgError *err);
        /* 1 if the group exists completely, 0 if any part is missing. */
        int (*exists)(CgDriver *d, const CgGroupPath *g);
        /* Makes the kernel hold `want`: keys in want->set get their values, keys in
         * want->clear get the kernel default. With CG_APPLY_ONLY_DRIFTED, reads first and
         * writes only what differs; *ret_written (optional) gets a CG_LIMIT_BIT mask. */
        int (*apply_limits)(CgDriver *d, const CgGroupPath *g, const CgLimits *want, unsigned flags,
                            uint32_t *ret_written, CgError *err);
        /* Opens, for writing, the files through which a new single-threaded process puts
         * itself into the group by writing "0" (v1: tasks of each hierarchy; v2: cgroup.procs).
         * A process placing itself avoids the RCU grace period an attach from outside can
         * wait for (PERFORMANCE.md). With a leaf, first makes it and its device policy (v1:
         * in the devices hierarchy; v2: an eBPF program) and opens its file there instead.
         * Returns the number of fds (O_CLOEXEC) or -errno; on error no leaf is left. */
        int (*placement_fds)(CgDriver *d, const CgGroupPath *g, const CgLeaf *leaf, int *ret_fds, size_t max,
                             CgError *err);
        /* Puts a new process, held before its first instruction, into the group from outside
         * (systemd: a transient scope named after tag, which with a leaf gets its device policy).
         * NULL where placement_fds do it all. */
        int (*place)(CgDriver *d, const CgGroupPath *g, pid_t pid, const char *tag, const CgLeaf *leaf, CgError *err);
        /* Removes an ended process's leaf (gone already is fine). NULL where there is nothing
         * to remove (a systemd scope goes by itself). */
        int (*remove_leaf)(CgDriver *d, const CgGroupPath *g, const char *name);
        /* Moves a process with all its threads. -ESRCH if it does not exist. */
        int (*attach)(CgDriver *d, const CgGroupPath *g, pid_t pid, CgError *err);
        /* Return only once the kernel reports FROZEN / THAWED; -EBUSY if it does not in time. */
        int (*freeze)(CgDriver *d, const CgGroupPath *g, CgError *err);
        int (*thaw)(CgDriver *d, const CgGroupPath *g, CgError *err);
        int (*freeze_state)(CgDriver *d, const CgGroupPath *g, CgFreezeState *ret);
        /* The processes in the group (not its children), sorted. Caller frees *ret_pids. */
        int (*pids)(CgDriver *d, const CgGroupPath *g, pid_t **ret_pids, size_t *ret_n);
        /* The groups the kernel holds directly below g (depth 0: the daemon's root), by name,
         * whatever the database says: reconcile removes those it does not know (a create
         * killed half way). At most max; returns the count or -errno. */
        int (*children)(CgDriver *d, const CgGroupPath *g, char (*ret)[CG_NAME_BUF], size_t max);
        /* Opens the group's directory in each controller's hierarchy, to read its usage
         * (cg-stats.c); -ENOENT in the slots of controllers it has no directory for.
         * Returns 0, or -ENOENT if the group has no directory at all. */
        int (*stat_dirs)(CgDriver *d, const CgGroupPath *g, int ret_fds[_CG_CTRL_COUNT]);
        /* Called about every 100 ms under the service lock, to read what the driver was sent
         * meanwhile (systemd's signals). NULL if there is nothing to do. */
        void (*idle)(CgDriver *d);
        /* Removes the group. -EBUSY if it holds processes and !force; force thaws, kills,
         * waits and removes. -ENOTEMPTY if it still has child groups. */
        int (*destroy)(CgDriver *d, const CgGroupPath *g, bool force, CgError *err);
} CgDriverOps;

struct CgDriver {
        const CgDriverOps *ops;
        const char *layout;   /* "v1", "hybrid", "unified" */
        uint32_t controllers; /* 1 << CgController for each usable controller */
        const char *detail;   /* for the startup log, or NULL */
};

/* Picks and opens a driver: kind is "auto", "cgroupfs" or "systemd"; auto means systemd
 * where it manages the machine (cg_systemd_available()), cgroupfs elsewhere. root is the daemon's top group,
 * created (or adopted) in every managed controller. */
int cg_driver_open(const char *kind, const char *root, CgDriver **ret, CgError *err);
void cg_driver_free(CgDriver *d);

int cg_driver_v1_open(const char *root, const char *layout, CgDriver **ret, CgError *err);
/* For the systemd driver: root_dir is the root slice's directory. Hierarchies of the
 * controllers in `own`, and those systemd does not manage (no init.scope at their top, and
 * none of `theirs`, which systemd takes on only when a property needs it), get groups
 * created, removed and processes placed by this driver; the others are systemd's, used for
 * the limit files systemd does not write, and left out where it made no directory. */
int cg_driver_v1_open_shared(const char *root_dir, const char *layout, uint32_t own, uint32_t theirs, CgDriver **ret,
                             CgError *err);
int cg_driver_systemd_open(const char *root, const char *layout, CgDriver **ret, CgError *err);
int cg_driver_v2_open(const char *root, CgDriver **ret, CgError *err);
/* The state of the v2 group whose directory is fd: cgroup.events "frozen" (which counts a
 * frozen ancestor), and FREEZING where cgroup.freeze asks for it but it is not there yet. */
int cg_driver_v2_freeze_state_at(int fd, CgFreezeState *ret);

/* The v2 keys held in one file as one value, which another manager (systemd) writes as the
 * cgroupfs driver would: memory.max, memory.low, memory.swap.max, cpu.max, cpu.weight, pids.max. */
#define CG_V2_SINGLE_VALUE_KEYS                                                                                        \
        (CG_LIMIT_BIT(CG_LIMIT_MEMORY_MAX) | CG_LIMIT_BIT(CG_LIMIT_MEMORY_RESERVATION) |                               \
         CG_LIMIT_BIT(CG_LIMIT_MEMORY_SWAP_MAX) | CG_LIMIT_BIT(CG_LIMIT_CPU_MAX) | CG_LIMIT_BIT(CG_LIMIT_CPU_WEIGHT) | \
         CG_LIMIT_BIT(CG_LIMIT_PIDS_MAX))

/* Of those keys in `keys`, the ones whose file in the group directory at fd differs from
 * what `want` would write there (a file that cannot be read differs). Reads only. */
uint32_t cg_driver_v2_differing_at(int fd, const CgLimits *want, uint32_t keys);

/* The group names among dirfd's subdirectories (leaves and anything else skipped): the
 * cgroupfs drivers' children(). */
int cg_driver_group_subdirs(int dirfd, char (*ret)[CG_NAME_BUF], size_t max);
