/* Starting a process in its own namespaces, inside a group, before it runs a single
 * instruction of its own. The process tree:
 *   daemon ─ shim (host namespaces, in the group) ─ init (pid 1 of a new pid namespace)
 *                                                  └ command (pid 2)
 * The daemon forks the shim, which places itself in the group and at once execs
 * cgwarden-init (init/): from there on nothing of the daemon's memory or descriptors is left
 * in any process of the container. cgwarden-init reads this spec from a memfd (spawn-wire.h),
 * clones the init into the namespaces, and the init builds the container's mounts and
 * confines the command (README.md, "Security model"). Without a pid namespace the init execs the command
 * itself. The shim outlives a daemon restart and writes the command's end to a status file,
 * so an exit is never lost. */
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
        SPAWN_NS_CGROUP = 1 << 6,
} SpawnNs;

#define SPAWN_NS_DEFAULT (SPAWN_NS_PID | SPAWN_NS_MOUNT | SPAWN_NS_UTS | SPAWN_NS_IPC | SPAWN_NS_NET | SPAWN_NS_CGROUP)
#define SPAWN_NS_ALL     (SPAWN_NS_DEFAULT | SPAWN_NS_USER)

/* The walls, each on unless the caller loosens it. */
typedef enum SpawnFlags {
        SPAWN_SECCOMP = 1 << 0,         /* Docker's default seccomp profile (seccomp-profile.h) */
        SPAWN_NO_NEW_PRIVS = 1 << 1,    /* PR_SET_NO_NEW_PRIVS before the exec */
        SPAWN_READONLY_ROOTFS = 1 << 2, /* the rootfs mounted read-only (off by default) */
} SpawnFlags;

#define SPAWN_FLAGS_DEFAULT (SPAWN_SECCOMP | SPAWN_NO_NEW_PRIVS)

/* "pid" → SPAWN_NS_PID; returns 0 or -EINVAL. */
int spawn_ns_from_name(const char *name, SpawnNs *ret);
const char *spawn_ns_name(SpawnNs ns);
/* The CLONE_NEW* flags for a set of SpawnNs bits. */
int spawn_ns_clone_flags(unsigned ns);

/* A host path bound into the rootfs: the source is resolved on the host by the daemon's
 * rules, the target inside the container's root (it cannot lead out of it). nosuid, nodev. */
typedef struct SpawnMount {
        const char *source, *target;
        bool readonly;
} SpawnMount;

#define SPAWN_MOUNTS_MAX 32

typedef struct SpawnSpec {
        char *const *argv; /* argv[0] is looked up in PATH of env, else /usr/bin:/bin */
        char *const *env;  /* "K=V", NULL-terminated: the whole environment */
        const char *cwd;   /* absolute, resolved inside the root: "..", symlinks stay in it */
        uid_t uid;         /* as the command's user namespace sees it */
        gid_t gid;
        unsigned ns;              /* SpawnNs bits */
        unsigned flags;           /* SpawnFlags bits */
        uint64_t caps;            /* bounding set, and uid 0's effective and permitted (caps.h) */
        const char *hostname;     /* or NULL; needs SPAWN_NS_UTS */
        const char *rootfs;       /* absolute directory or NULL; needs SPAWN_NS_MOUNT */
        uint32_t userns_base;     /* SPAWN_NS_USER: ids 0…65535 inside are base… outside */
        const SpawnMount *mounts; /* needs a rootfs */
        size_t n_mounts;
        uint64_t log_max_bytes;  /* per stream; past it the log is rotated once (.1) */
        const void *seccomp_bpf; /* SPAWN_SECCOMP: the compiled filter (seccomp-profile.h) */
        size_t seccomp_len;
        int stdout_fd, stderr_fd;
        int status_dir_fd;       /* the shim writes "exit N …" to status_name in this directory */
        const char *status_name; /* a plain file name */
        int init_exe_fd;         /* cgwarden-init, opened by the daemon (O_PATH) */
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

#define SPAWN_USERNS_SIZE 65536u

#define SPAWN_START_TIMEOUT_USEC (10 * 1000000u) /* from the fork to the command's exec */
#define SPAWN_REAP_USEC          (1000000u)      /* a failed start's SIGKILLed shim, before it is left */

/* Starts spec. Returns 0 once the command has exec'd, or -errno with *err (code
 * "spawn_failed", the stage and the errno; the command never ran). */
int spawn_start(const SpawnSpec *spec, SpawnResult *ret, CgError *err);

/* spawn_start in two halves, so that the caller can hold its lock for the first only: begin
 * forks the shim and places it (spec->place runs here); wait reads the shim's report until the
 * exec, at most SPAWN_START_TIMEOUT_USEC, and needs no lock. After a successful begin, wait
 * must be called (it kills the shim on failure). */
typedef struct SpawnPending {
        pid_t shim;
        int report_fd;
} SpawnPending;
int spawn_begin(const SpawnSpec *spec, SpawnPending *ret, CgError *err);
int spawn_wait(SpawnPending *pending, const SpawnSpec *spec, SpawnResult *ret, CgError *err);

/* SIGKILLs a started shim and reaps it, at most SPAWN_REAP_USEC, then leaves it to
 * spawn_reap_orphans(). */
void spawn_kill(pid_t shim);
/* Reaps the shims of failed starts that did not die at once (frozen): the monitor calls it. */
void spawn_reap_orphans(void);

/* The start time of pid (field 22 of /proc/PID/stat), or 0. */
uint64_t spawn_start_time(pid_t pid);

/* What a finished command's process tree used, from the init's rusage (wait4): the
 * command and every orphan the init reaped. known is false for a status file without it. */
typedef struct SpawnUsage {
        bool known;
        uint64_t cpu_usec, maxrss_bytes, read_bytes, write_bytes;
} SpawnUsage;

/* Reads the status file `name` in directory `dir_fd`: 0 with *ret_exited and *ret_code (exit
 * code or signal number), and *ret_usage if not NULL; -ENOENT if the shim has not written it,
 * -EBADMSG if it is not a regular file of the expected form (a FIFO planted there does not
 * block the reader). */
int spawn_read_status(int dir_fd, const char *name, bool *ret_exited, int *ret_code, SpawnUsage *ret_usage);

/* What the shim, the init and the command tell the daemon on the report pipe, and the stages
 * a start goes through (shared with init/). */
enum { SPAWN_MSG_INIT_PID, SPAWN_MSG_NS_PID, SPAWN_MSG_FAIL };
typedef enum SpawnStage {
        SPAWN_STAGE_PLACE,
        SPAWN_STAGE_NAMESPACES,
        SPAWN_STAGE_FORK,
        SPAWN_STAGE_MOUNTS,
        SPAWN_STAGE_HOSTNAME,
        SPAWN_STAGE_ROOTFS,
        SPAWN_STAGE_PROC,
        SPAWN_STAGE_CWD,
        SPAWN_STAGE_IDS,
        SPAWN_STAGE_EXEC,
        SPAWN_STAGE_INIT,
        SPAWN_STAGE_USERNS,
        SPAWN_STAGE_DEV,
        SPAWN_STAGE_SYS,
        SPAWN_STAGE_CAPS,
        SPAWN_STAGE_SECCOMP,
        SPAWN_STAGE_VOLUMES,
        _SPAWN_STAGE_COUNT
} SpawnStage;

typedef struct SpawnMsg {
        int32_t type, a, b;
} SpawnMsg;

/* The descriptors cgwarden-init finds at its start. */
enum { SPAWN_FD_REPORT = 3, SPAWN_FD_SPEC, SPAWN_FD_STDOUT, SPAWN_FD_STDERR, SPAWN_FD_STATUS_DIR, _SPAWN_FD_END };
