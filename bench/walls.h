/* The floor of a confined start for cgwarden-bench: the same kernel work cgwarden-init does
 * (namespaces, mounts, capabilities, seccomp), done in-process by the bench itself with
 * cgwarden-init's own functions, without the daemon, HTTP, SQLite or the shim's exec. */
#pragma once

#include <stddef.h>
#include <stdint.h>

enum {
        WALL_CAPS = 1 << 0,     /* Docker's default capability set, no_new_privs */
        WALL_SECCOMP = 1 << 1,  /* Docker's default seccomp profile */
        WALL_CGROUPNS = 1 << 2, /* a cgroup namespace */
        WALL_MOUNTS = 1 << 3,   /* every mount nodev, a fresh /dev, /sys read-only, a masked /proc */
        WALL_ROOTFS = 1 << 4,   /* pivot into rootfs, a fresh /dev and /sys, the cgroup hierarchy */
        WALL_USERNS = 1 << 5,   /* a user namespace mapping 65536 ids */
        WALL_DEVICES = 1 << 6,  /* a device cgroup leaf with runc's list (bench.c makes it) */
};
#define WALLS_DEFAULT (WALL_CAPS | WALL_SECCOMP | WALL_CGROUPNS | WALL_MOUNTS | WALL_DEVICES)

/* Puts a new process into the group through `tasks` (a "0" written to each), gives it pid,
 * mount, uts, ipc and net namespaces and the walls, and execs /bin/true in it (in rootfs with
 * WALL_ROOTFS). Returns the µs until the exec, or 0 if the start failed. */
uint64_t walls_floor_start(char (*tasks)[4096], size_t ntasks, const char *rootfs, unsigned walls);
