/* Processes started in groups: spawn, track in SQLite, notice their end (also across a
 * daemon restart, through the shim's status file), signal, read their logs. */
#pragma once

#include <pthread.h>
#include <stdbool.h>

#include "groups.h"
#include "spawn.h"

typedef struct Processes {
        Groups *groups; /* its lock also guards our use of the store */
        char state_dir[3072];
        int dir_fd;                          /* <state_dir>/processes: logs and status files, by process id */
        int init_exe_fd;                     /* cgwarden-init (O_PATH), checked once at start */
        uint32_t userns_first, userns_count; /* host ids that user namespaces map to */
        uint64_t log_max_bytes;
        uint64_t caps_held; /* the daemon's own bounding set: no start can give more */
        pthread_t monitor;
        bool monitor_started;
        volatile bool stop;
        /* Ids a failed start named a scope after: systemd may still hold that unit for a
         * moment, so they are not given out again (under the lock). */
        int64_t next_free_id;
        /* Compiled seccomp filters by capability set (compiling one takes 10-15 ms), under
         * the lock; the default set's is made at start. */
        struct {
                uint64_t caps;
                void *bpf;
                size_t len;
        } seccomp[8];
        size_t n_seccomp;
} Processes;

/* What a caller asked to run, already parsed and checked (api-processes.c). */
typedef struct ProcSpec {
        SpawnSpec spawn; /* fds, the status name, caps cut and the filter: filled in by processes_start */
        char *argv_json; /* for the store */
        char *namespaces_json;
        char *mounts_json;   /* the mounts as asked, for PROCESS's "security" */
        uint64_t caps_added; /* asked for by name (cap_add): refused if the daemon lacks one */
} ProcSpec;

typedef struct ProcessesConfig {
        const char *state_dir;
        const char *init_exe;                /* cgwarden-init; NULL: the one beside this executable. It must be a
                                              * root-owned regular file that only root can write. */
        uint32_t userns_first, userns_count; /* --userns-range: count a multiple of 65536 */
        uint64_t log_max_bytes;              /* --log-max: per stream, unless a start says */
} ProcessesConfig;

/* Starts watching; re-attaches to processes that were running before a restart. */
int processes_init(Processes *ps, Groups *groups, const ProcessesConfig *cfg);
void processes_done(Processes *ps);

int processes_start(Processes *ps, const char *group, ProcSpec *spec, StoreProcess *ret, CgError *err);
/* 0 if pid may be attached to a group; -EPERM (403 pid_not_attachable) for the host's init, a
 * kernel thread, the daemon or one of its shims or inits. */
int processes_attachable(Processes *ps, pid_t pid, CgError *err);
int processes_list(Processes *ps, const char *group, StoreProcess **ret, size_t *ret_n, CgError *err);
int processes_get(Processes *ps, const char *group, int64_t id, StoreProcess *ret, CgError *err);
int processes_signal(Processes *ps, const char *group, int64_t id, int sig, StoreProcess *ret, CgError *err);
/* The log's last `tail` lines (0: all, up to 1 MiB), across its rotation; *ret_rotated says
 * whether it was rotated (older output may be gone). *ret is malloc'd. */
int processes_log(Processes *ps, const char *group, int64_t id, bool stderr_, unsigned tail, char **ret,
                  size_t *ret_len, bool *ret_rotated, CgError *err);
/* Checks every running process now (the monitor does it every 100 ms). */
void processes_reap(Processes *ps);
