/* Starting a process in its own namespaces, inside a group, before it runs a single
 * instruction of its own. The process tree:
 *   daemon ─ shim (host pid namespace, in the group) ─ init (pid 1 of a new pid namespace)
 *                                                    └ command (pid 2)
 * Without a pid namespace the init execs the command itself. The shim outlives a daemon
 * restart and writes the command's end to a status file, so an exit is never lost. */
#pragma once

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "cg-error.h"

typedef enum SpawnNs {
        SPAWN_NS_PID = 1 << 0,
        SPAWN_NS_MOUNT = 1 << 1,
        SPAWN_NS_UTS = 1 << 2,
        SPAWN_NS_IPC = 1 << 3,
        SPAWN_NS_NET = 1 << 4,
        SPAWN_NS_USER = 1 << 5,
} SpawnNs;

#define SPAWN_NS_DEFAULT (SPAWN_NS_PID | SPAWN_NS_MOUNT | SPAWN_NS_UTS | SPAWN_NS_IPC | SPAWN_NS_NET)

/* "pid" → SPAWN_NS_PID; returns 0 or -EINVAL. */
int spawn_ns_from_name(const char *name, SpawnNs *ret);
const char *spawn_ns_name(SpawnNs ns);

typedef struct SpawnSpec {
        char *const *argv; /* argv[0] is looked up in PATH of env, else /usr/bin:/bin */
        char *const *env;  /* "K=V", NULL-terminated: the whole environment */
        const char *cwd;   /* absolute, inside the rootfs if any */
        uid_t uid;
        gid_t gid;
        unsigned ns;          /* SpawnNs bits */
        const char *hostname; /* or NULL; needs SPAWN_NS_UTS */
        const char *rootfs;   /* absolute directory or NULL; needs SPAWN_NS_MOUNT */
        int stdout_fd, stderr_fd;
        const char *status_path; /* the shim writes "exit N" or "signal N" here */
        const int *place_fds;    /* the shim writes "0" to each before anything else (placement_fds) */
        size_t n_place_fds;
        /* Placement from outside (a systemd scope): called with the shim's pid while the shim
         * waits, before it writes to place_fds; the shim goes on only once this returns 0. */
        int (*place)(void *data, pid_t shim, CgError *err);
        void *place_data;
} SpawnSpec;

typedef struct SpawnResult {
        pid_t shim_pid;      /* our child; its end means the command's end */
        pid_t pid;           /* the command, as the host sees it */
        pid_t ns_pid;        /* the command, as its pid namespace sees it */
        uint64_t shim_start; /* /proc/PID/stat starttime, to recognise the shim after a restart */
} SpawnResult;

/* Starts spec. Returns 0 once the command has exec'd, or -errno with *err (code
 * "spawn_failed", the stage and the errno; the command never ran). */
int spawn_start(const SpawnSpec *spec, SpawnResult *ret, CgError *err);

/* The start time of pid (field 22 of /proc/PID/stat), or 0. */
uint64_t spawn_start_time(pid_t pid);

/* What a finished command's process tree used, from the init's rusage (wait4): the
 * command and every orphan the init reaped. known is false for a status file without it. */
typedef struct SpawnUsage {
        bool known;
        uint64_t cpu_usec, maxrss_bytes, read_bytes, write_bytes;
} SpawnUsage;

/* Reads a status file: 0 with *ret_exited and *ret_code (exit code or signal number),
 * and *ret_usage if not NULL,
 * -ENOENT if the shim has not written it. */
int spawn_read_status(const char *path, bool *ret_exited, int *ret_code, SpawnUsage *ret_usage);
