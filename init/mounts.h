/* The container's filesystem, built by the init in its own mount namespace (the steps and
 * paths are runc's and Docker's defaults: libcontainer/rootfs_linux.go, moby's
 * oci/defaults.go). Each function returns 0 or -errno and says in *ret_stage which step
 * failed. */
#pragma once

#include "spawn.h"

/* Host-side facts the init needs after it has left the host's root: which cgroup hierarchies
 * to mount inside, and clones of the device nodes to put in the new /dev. */
typedef struct MountsHost {
        bool v2;
        char v1[16][64]; /* "cpu", "cpu,cpuacct": each v1 hierarchy's controllers */
        char v1_dir[16][64];
        size_t n_v1;
        int dev[8]; /* open_tree clones of /dev/null, zero, … (-1 where absent) */
        int sys;    /* a new sysfs (detached), or a clone of the host's /sys for a user
                     * namespace without its own net namespace (sys_is_host) */
        bool sys_is_host;
        int proc;                  /* a new proc of the pid namespace (detached), or -1 */
        int vol[SPAWN_MOUNTS_MAX]; /* clones of the volumes' sources, nosuid, nodev (ro) */
} MountsHost;

/* Reads the host's side: clones of the device nodes, a new proc, and with a rootfs a new
 * sysfs, the cgroup hierarchies and the volumes; call first, with or without a rootfs. */
int mounts_host(const SpawnSpec *s, MountsHost *ret, SpawnStage *ret_stage);

/* Binds the rootfs onto itself (nosuid, nodev), makes its missing mount points (the
 * volumes' targets too, resolved inside it) and enters it. Done with the host's ids, before
 * a user namespace's root takes over: the path to the rootfs may be one only the host's
 * root can walk, and its directories only the host's root can write. */
int mounts_bind_rootfs(const SpawnSpec *s, const MountsHost *h, SpawnStage *ret_stage);

/* Pivots into the bound rootfs (the cwd), detaches the host's root, and builds a fresh
 * /dev (tmpfs, nodev: only the bound nodes work), /sys read-only and, with a cgroup
 * namespace, the cgroup hierarchy read-only at /sys/fs/cgroup. */
int mounts_enter_rootfs(const SpawnSpec *s, const MountsHost *h, SpawnStage *ret_stage);

/* Without a rootfs: every mount of the host's tree nodev, a fresh /dev (the same nodes as
 * in a rootfs) over the host's, and the host's /sys read-only (so its cgroupfs too). */
int mounts_protect_host(const MountsHost *h, SpawnStage *ret_stage);

/* Mounts a fresh /proc (with a pid namespace), masks Docker's masked paths and makes its
 * read-only paths read-only; then, if asked, makes the rootfs read-only. */
int mounts_finish(const SpawnSpec *s, const MountsHost *h, SpawnStage *ret_stage);
