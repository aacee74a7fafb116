/* The daemon's SQLite database: desired state of groups. Only the daemon opens it.
 * Every write is committed with synchronous=FULL before the function returns. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "cg-error.h"
#include "cg-limits.h"
#include "cg-name.h"

typedef struct Store Store;

typedef struct StoreGroup {
        char name[CG_NAME_BUF];
        char parent[CG_NAME_BUF]; /* "" for a group directly under the daemon's root */
        CgLimits limits;          /* only `set` is meaningful */
        bool frozen;
        uint64_t created_usec; /* CLOCK_REALTIME */
} StoreGroup;

/* Opens (creating if needed) and migrates the database. Returns 0 or -errno with *err. */
int store_open(const char *path, Store **ret, CgError *err);
void store_close(Store *s);

/* Schema version after migration (PRAGMA user_version). */
int store_schema_version(Store *s);

/* -EEXIST if the name is taken, -ENOENT if the parent is unknown. */
int store_group_insert(Store *s, const StoreGroup *g);
/* Rewrites limits and frozen of an existing group; -ENOENT if it is unknown. */
int store_group_update(Store *s, const StoreGroup *g);
/* -ENOENT if unknown, -ENOTEMPTY if it still has children. */
int store_group_delete(Store *s, const char *name);

/* A step that must change the database and the kernel together: the row changes inside
 * store_step_begin(), the kernel next, and store_step_commit() makes it durable, or
 * store_step_undo() takes it back when the kernel refused. A database that cannot take the
 * change (full, read-only) fails at the row, before the kernel was touched. Steps nest. */
int store_step_begin(Store *s);
int store_step_commit(Store *s);
void store_step_undo(Store *s);
int store_group_get(Store *s, const char *name, StoreGroup *ret);
/* All groups, parents before children. Caller frees *ret. */
int store_group_list(Store *s, StoreGroup **ret, size_t *ret_n);

typedef enum StoreProcState {
        STORE_PROC_RUNNING,
        STORE_PROC_EXITED,
        STORE_PROC_KILLED,
} StoreProcState;

typedef struct StoreProcess {
        int64_t id;
        char group[CG_NAME_BUF];
        pid_t pid, ns_pid, shim_pid;
        uint64_t shim_start;
        char *argv_json;       /* owned: ["sh","-c","..."] */
        char *namespaces_json; /* owned: ["pid","mount"] */
        char *security_json;   /* owned: {"capabilities":[…],"seccomp":"default",…} */
        char hostname[65];
        StoreProcState state;
        int exit_code, signal;             /* -1 when not applicable */
        uint64_t started_usec, ended_usec; /* ended 0 while running */
} StoreProcess;

void store_process_clear(StoreProcess *p);
/* Inserts p (its id is assigned and written back). */
/* p->id 0: the next free id; else that id. Fills p->id. */
int store_process_insert(Store *s, StoreProcess *p);
/* The id the next insert with p->id 0 would get (callers hold the service lock). */
int store_process_next_id(Store *s, int64_t *ret);
/* Records the end of a running process; -ENOENT if it is not running. */
int store_process_end(Store *s, int64_t id, StoreProcState state, int exit_code, int signal, uint64_t ended_usec);
int store_process_get(Store *s, int64_t id, StoreProcess *ret);
/* group NULL: every running process. Caller frees with store_process_clear each, then free. */
int store_process_list(Store *s, const char *group, StoreProcess **ret, size_t *ret_n);
