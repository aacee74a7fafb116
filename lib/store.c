#include "store.h"

#include <fcntl.h>
#include <sqlite3.h>
#include <unistd.h>
#include <stdio.h>
#include <string.h>

#include "cg-devices.h"
#include "cg-io.h"
#include "store-migrate.h"

/* Statements prepared once and kept: preparing costs ~15 µs, more than running them. */
typedef enum StoreStmt {
        ST_INSERT,
        ST_UPDATE,
        ST_DELETE,
        ST_GET,
        ST_LIST,
        ST_PROC_INSERT,
        ST_PROC_NEXT_ID,
        ST_PROC_END,
        ST_PROC_GET,
        ST_PROC_LIST,
        ST_PROC_RUNNING,
        _ST_COUNT,
} StoreStmt;

struct Store {
        sqlite3 *db;
        sqlite3_stmt *st[_ST_COUNT];
};

static void finalizep(sqlite3_stmt **st) {
        sqlite3_finalize(*st);
}
#define _cleanup_stmt_ _cleanup_(finalizep)

/* For cached statements: ready them for the next use (bound text may be on the caller's stack). */
static void resetp(sqlite3_stmt **st) {
        if (*st) {
                sqlite3_reset(*st);
                sqlite3_clear_bindings(*st);
        }
}
#define _cleanup_cached_ _cleanup_(resetp)

/* SQLite result codes → -errno; the message stays in the log. */
static int errno_of(sqlite3 *db, int rc) {
        switch (rc & 0xff) {
        case SQLITE_OK:
        case SQLITE_DONE:
        case SQLITE_ROW: return 0;
        case SQLITE_CONSTRAINT: return sqlite3_extended_errcode(db) == SQLITE_CONSTRAINT_PRIMARYKEY ? -EEXIST : -EINVAL;
        case SQLITE_NOMEM: return -ENOMEM;
        case SQLITE_BUSY:
        case SQLITE_LOCKED: return -EBUSY;
        case SQLITE_READONLY:
        case SQLITE_PERM:
        case SQLITE_AUTH: return -EACCES;
        case SQLITE_FULL: return -ENOSPC;
        case SQLITE_CANTOPEN: return -ENOENT;
        default: fprintf(stderr, "cgwarden: sqlite: %s\n", sqlite3_errmsg(db)); return -EIO;
        }
}

static int exec(Store *s, const char *sql) {
        char *msg = NULL;
        int rc = sqlite3_exec(s->db, sql, NULL, NULL, &msg);
        if (rc != SQLITE_OK) {
                fprintf(stderr, "cgwarden: sqlite: %s\n", msg ? msg : sqlite3_errstr(rc));
                sqlite3_free(msg);
        }
        return errno_of(s->db, rc);
}

int store_step_begin(Store *s) {
        return exec(s, "SAVEPOINT step");
}

int store_step_commit(Store *s) {
        int r = exec(s, "RELEASE step");
        if (r < 0)
                store_step_undo(s);
        return r;
}

void store_step_undo(Store *s) {
        (void)exec(s, "ROLLBACK TO step");
        (void)exec(s, "RELEASE step");
}

int store_schema_version(Store *s) {
        _cleanup_stmt_ sqlite3_stmt *st = NULL;
        int rc = sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL);
        if (rc != SQLITE_OK || sqlite3_step(st) != SQLITE_ROW)
                return errno_of(s->db, rc);
        return sqlite3_column_int(st, 0);
}

static int migrate(Store *s, CgError *err) {
        int v = store_schema_version(s);
        if (v < 0)
                return cg_error_set(err, v, "store_error", NULL, "cannot read the schema version");
        if ((size_t)v > store_migrations_count)
                return cg_error_set(err, -EPROTO, "store_too_new", NULL,
                                    "the database has schema version %d; this cgwardend knows up to %zu", v,
                                    store_migrations_count);
        for (size_t i = (size_t)v; i < store_migrations_count; i++) {
                char bump[64];
                snprintf(bump, sizeof bump, "PRAGMA user_version = %zu;", i + 1);
                int r = exec(s, "BEGIN IMMEDIATE");
                if (r >= 0)
                        r = exec(s, store_migrations[i]);
                if (r >= 0)
                        r = exec(s, bump);
                if (r >= 0)
                        r = exec(s, "COMMIT");
                if (r < 0) {
                        (void)exec(s, "ROLLBACK");
                        return cg_error_set(err, r, "store_error", NULL, "schema migration %zu failed", i + 1);
                }
        }
        return 0;
}

int store_open(const char *path, Store **ret, CgError *err) {
        /* Create the file 0600 ourselves: SQLite gives -wal and -shm the database's mode. */
        int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0)
                return cg_error_set(err, -errno, "store_error", NULL, "cannot open the database: %m");
        close(fd);
        Store *s = calloc(1, sizeof *s);
        if (!s)
                return -ENOMEM;
        int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
        if (rc != SQLITE_OK) {
                int r = cg_error_set(err, errno_of(s->db, rc), "store_error", NULL, "cannot open the database: %s",
                                     sqlite3_errmsg(s->db));
                store_close(s);
                return r;
        }
        sqlite3_busy_timeout(s->db, 5000);
        /* WAL so readers never wait for the writer; FULL so a committed group survives a power cut. */
        int r = exec(s, "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;");
        if (r < 0) {
                store_close(s);
                return cg_error_set(err, r, "store_error", NULL, "cannot configure the database");
        }
        r = migrate(s, err);
        if (r < 0) {
                store_close(s);
                return r;
        }
        *ret = s;
        return 0;
}

void store_close(Store *s) {
        if (!s)
                return;
        for (size_t i = 0; i < _ST_COUNT; i++)
                sqlite3_finalize(s->st[i]);
        sqlite3_close(s->db);
        free(s);
}

/* Limit columns in the order the statements below name them. */
#define LIMIT_COLUMNS                                                                   \
        "memory_max, memory_reservation, memory_swap_max, cpu_quota_usec, cpu_weight, " \
        "cpuset_cpus, cpuset_mems, pids_max, io_weight, io_max, devices_policy, devices_rules"

static void bind_u64(sqlite3_stmt *st, int i, bool present, uint64_t v) {
        if (!present)
                sqlite3_bind_null(st, i);
        else
                sqlite3_bind_int64(st, i, v == CG_UNLIMITED ? -1 : (int64_t)v);
}

static int bind_limits(sqlite3_stmt *st, int first, const CgLimits *l) {
        char buf[4096];
#define HAS(k) (l->set & CG_LIMIT_BIT(k))
        bind_u64(st, first + 0, HAS(CG_LIMIT_MEMORY_MAX), l->memory_max_bytes);
        bind_u64(st, first + 1, HAS(CG_LIMIT_MEMORY_RESERVATION), l->memory_reservation_bytes);
        bind_u64(st, first + 2, HAS(CG_LIMIT_MEMORY_SWAP_MAX), l->memory_swap_max_bytes);
        bind_u64(st, first + 3, HAS(CG_LIMIT_CPU_MAX), l->cpu_quota_usec);
        bind_u64(st, first + 4, HAS(CG_LIMIT_CPU_WEIGHT), l->cpu_weight);
        for (int i = 0; i < 2; i++) {
                CgLimitKey k = i == 0 ? CG_LIMIT_CPUSET_CPUS : CG_LIMIT_CPUSET_MEMS;
                if (!HAS(k)) {
                        sqlite3_bind_null(st, first + 5 + i);
                        continue;
                }
                if (cg_limits_format_value(l, k, buf, sizeof buf) < 0)
                        return -ENOBUFS;
                sqlite3_bind_text(st, first + 5 + i, buf, -1, SQLITE_TRANSIENT);
        }
        bind_u64(st, first + 7, HAS(CG_LIMIT_PIDS_MAX), l->pids_max);
        bind_u64(st, first + 8, HAS(CG_LIMIT_IO_WEIGHT), l->io_weight);
        if (!HAS(CG_LIMIT_IO_MAX))
                sqlite3_bind_null(st, first + 9);
        else if (cg_limits_format_value(l, CG_LIMIT_IO_MAX, buf, sizeof buf) < 0)
                return -ENOBUFS;
        else
                sqlite3_bind_text(st, first + 9, buf, -1, SQLITE_TRANSIENT);
        if (!HAS(CG_LIMIT_DEVICES)) {
                sqlite3_bind_null(st, first + 10);
                sqlite3_bind_null(st, first + 11);
        } else {
                sqlite3_bind_text(st, first + 10, l->devices_policy == CG_DEVICES_DENY ? "deny" : "allow", -1,
                                  SQLITE_STATIC);
                if (cg_device_rules_format(l->device_rules, l->n_device_rules, buf, sizeof buf) < 0)
                        return -ENOBUFS;
                sqlite3_bind_text(st, first + 11, buf, -1, SQLITE_TRANSIENT);
        }
#undef HAS
        return 0;
}

static void column_u64(sqlite3_stmt *st, int i, CgLimits *l, CgLimitKey k, uint64_t *slot) {
        if (sqlite3_column_type(st, i) == SQLITE_NULL)
                return;
        int64_t v = sqlite3_column_int64(st, i);
        *slot = v < 0 ? CG_UNLIMITED : (uint64_t)v;
        l->set |= CG_LIMIT_BIT(k);
}

static int column_limits(sqlite3_stmt *st, int first, CgLimits *l) {
        uint64_t weight = 0;
        *l = (CgLimits){0};
        column_u64(st, first + 0, l, CG_LIMIT_MEMORY_MAX, &l->memory_max_bytes);
        column_u64(st, first + 1, l, CG_LIMIT_MEMORY_RESERVATION, &l->memory_reservation_bytes);
        column_u64(st, first + 2, l, CG_LIMIT_MEMORY_SWAP_MAX, &l->memory_swap_max_bytes);
        column_u64(st, first + 3, l, CG_LIMIT_CPU_MAX, &l->cpu_quota_usec);
        column_u64(st, first + 4, l, CG_LIMIT_CPU_WEIGHT, &weight);
        l->cpu_weight = (uint32_t)weight;
        for (int i = 0; i < 2; i++) {
                CgLimitKey k = i == 0 ? CG_LIMIT_CPUSET_CPUS : CG_LIMIT_CPUSET_MEMS;
                const unsigned char *t = sqlite3_column_text(st, first + 5 + i);
                if (!t)
                        continue;
                if (cg_cpuset_parse((const char *)t, i == 0 ? &l->cpuset_cpus : &l->cpuset_mems) < 0)
                        return -EBADMSG;
                l->set |= CG_LIMIT_BIT(k);
        }
        column_u64(st, first + 7, l, CG_LIMIT_PIDS_MAX, &l->pids_max);
        uint64_t io_weight = 0;
        column_u64(st, first + 8, l, CG_LIMIT_IO_WEIGHT, &io_weight);
        l->io_weight = (uint32_t)io_weight;
        const unsigned char *io = sqlite3_column_text(st, first + 9);
        if (io) {
                if (cg_io_max_parse((const char *)io, l->io_max, &l->n_io_max) < 0)
                        return -EBADMSG;
                l->set |= CG_LIMIT_BIT(CG_LIMIT_IO_MAX);
        }
        const unsigned char *policy = sqlite3_column_text(st, first + 10);
        if (policy) {
                const unsigned char *rules = sqlite3_column_text(st, first + 11);
                l->devices_policy = strcmp((const char *)policy, "deny") == 0 ? CG_DEVICES_DENY : CG_DEVICES_ALLOW;
                if (cg_device_rules_parse(rules ? (const char *)rules : "", l->device_rules, &l->n_device_rules) < 0)
                        return -EBADMSG;
                l->set |= CG_LIMIT_BIT(CG_LIMIT_DEVICES);
        }
        return 0;
}

static int cached(Store *s, StoreStmt which, const char *sql, sqlite3_stmt **ret) {
        if (!s->st[which]) {
                int rc = sqlite3_prepare_v3(s->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &s->st[which], NULL);
                if (rc != SQLITE_OK)
                        return errno_of(s->db, rc);
        }
        *ret = s->st[which];
        return 0;
}

static int step_done(Store *s, sqlite3_stmt *st) {
        int rc = sqlite3_step(st);
        return rc == SQLITE_DONE ? 0 : errno_of(s->db, rc);
}

int store_group_insert(Store *s, const StoreGroup *g) {
        _cleanup_cached_ sqlite3_stmt *st = NULL;
        int rc = cached(s, ST_INSERT,
                        "INSERT INTO groups (name, parent, frozen, created_usec, " LIMIT_COLUMNS
                        ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        &st);
        if (rc < 0)
                return rc;
        sqlite3_bind_text(st, 1, g->name, -1, SQLITE_STATIC);
        if (g->parent[0])
                sqlite3_bind_text(st, 2, g->parent, -1, SQLITE_STATIC);
        else
                sqlite3_bind_null(st, 2);
        sqlite3_bind_int(st, 3, g->frozen);
        sqlite3_bind_int64(st, 4, (int64_t)g->created_usec);
        int r = bind_limits(st, 5, &g->limits);
        if (r < 0)
                return r;
        r = step_done(s, st);
        /* A foreign key failure is an unknown parent. */
        if (r == -EINVAL && sqlite3_extended_errcode(s->db) == SQLITE_CONSTRAINT_FOREIGNKEY)
                return -ENOENT;
        return r;
}

int store_group_update(Store *s, const StoreGroup *g) {
        _cleanup_cached_ sqlite3_stmt *st = NULL;
        int rc =
            cached(s, ST_UPDATE,
                   "UPDATE groups SET frozen = ?, memory_max = ?, memory_reservation = ?, "
                   "memory_swap_max = ?, cpu_quota_usec = ?, cpu_weight = ?, cpuset_cpus = ?, "
                   "cpuset_mems = ?, pids_max = ?, io_weight = ?, io_max = ?, devices_policy = ?, devices_rules = ? "
                   "WHERE name = ?",
                   &st);
        if (rc < 0)
                return rc;
        sqlite3_bind_int(st, 1, g->frozen);
        int r = bind_limits(st, 2, &g->limits);
        if (r < 0)
                return r;
        sqlite3_bind_text(st, 14, g->name, -1, SQLITE_STATIC);
        r = step_done(s, st);
        if (r < 0)
                return r;
        return sqlite3_changes(s->db) == 1 ? 0 : -ENOENT;
}

int store_group_delete(Store *s, const char *name) {
        _cleanup_cached_ sqlite3_stmt *st = NULL;
        int rc = cached(s, ST_DELETE, "DELETE FROM groups WHERE name = ?", &st);
        if (rc < 0)
                return rc;
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        int r = step_done(s, st);
        if (r == -EINVAL) /* the only constraint a delete can break: children point at it */
                return -ENOTEMPTY;
        if (r < 0)
                return r;
        return sqlite3_changes(s->db) == 1 ? 0 : -ENOENT;
}

#define SELECT_GROUP "SELECT name, parent, frozen, created_usec, " LIMIT_COLUMNS " FROM groups"

static int row_to_group(sqlite3_stmt *st, StoreGroup *g) {
        *g = (StoreGroup){0};
        snprintf(g->name, sizeof g->name, "%s", (const char *)sqlite3_column_text(st, 0));
        const unsigned char *parent = sqlite3_column_text(st, 1);
        snprintf(g->parent, sizeof g->parent, "%s", parent ? (const char *)parent : "");
        g->frozen = sqlite3_column_int(st, 2) != 0;
        g->created_usec = (uint64_t)sqlite3_column_int64(st, 3);
        return column_limits(st, 4, &g->limits);
}

int store_group_get(Store *s, const char *name, StoreGroup *ret) {
        _cleanup_cached_ sqlite3_stmt *st = NULL;
        int rc = cached(s, ST_GET, SELECT_GROUP " WHERE name = ?", &st);
        if (rc < 0)
                return rc;
        sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
                return -ENOENT;
        if (rc != SQLITE_ROW)
                return errno_of(s->db, rc);
        return row_to_group(st, ret);
}

int store_group_list(Store *s, StoreGroup **ret, size_t *ret_n) {
        _cleanup_cached_ sqlite3_stmt *st = NULL;
        /* A parent always exists before its children, so creation order is a topological order. */
        int rc = cached(s, ST_LIST, SELECT_GROUP " ORDER BY created_usec, rowid", &st);
        if (rc < 0)
                return rc;
        StoreGroup *v = NULL;
        size_t n = 0, cap = 0;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (n == cap) {
                        cap = cap ? cap * 2 : 16;
                        StoreGroup *nv = realloc(v, cap * sizeof *v);
                        if (!nv) {
                                free(v);
                                return -ENOMEM;
                        }
                        v = nv;
                }
                int r = row_to_group(st, &v[n++]);
                if (r < 0) {
                        free(v);
                        return r;
                }
        }
        if (rc != SQLITE_DONE) {
                free(v);
                return errno_of(s->db, rc);
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

static const char *const proc_states[] = {"running", "exited", "killed"};

void store_process_clear(StoreProcess *p) {
        free(p->argv_json);
        free(p->namespaces_json);
        free(p->security_json);
        p->argv_json = p->namespaces_json = p->security_json = NULL;
}

int store_process_insert(Store *s, StoreProcess *p) {
        _cleanup_cached_ sqlite3_stmt *st = NULL;
        int rc =
            cached(s, ST_PROC_INSERT,
                   "INSERT INTO processes (group_name, pid, ns_pid, shim_pid, shim_start, argv, namespaces, hostname, "
                   "state, started_usec, id, security) VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?)",
                   &st);
        if (rc < 0)
                return rc;
        if (p->id > 0)
                sqlite3_bind_int64(st, 10, p->id);
        else
                sqlite3_bind_null(st, 10); /* the next rowid */
        sqlite3_bind_text(st, 1, p->group, -1, SQLITE_STATIC);
        sqlite3_bind_int(st, 2, p->pid);
        sqlite3_bind_int(st, 3, p->ns_pid);
        sqlite3_bind_int(st, 4, p->shim_pid);
        sqlite3_bind_int64(st, 5, (int64_t)p->shim_start);
        sqlite3_bind_text(st, 6, p->argv_json, -1, SQLITE_STATIC);
        sqlite3_bind_text(st, 7, p->namespaces_json, -1, SQLITE_STATIC);
        if (p->hostname[0])
                sqlite3_bind_text(st, 8, p->hostname, -1, SQLITE_STATIC);
        else
                sqlite3_bind_null(st, 8);
        sqlite3_bind_int64(st, 9, (int64_t)p->started_usec);
        sqlite3_bind_text(st, 11, p->security_json ? p->security_json : "{}", -1, SQLITE_STATIC);
        int r = step_done(s, st);
        if (r < 0)
                return r;
        p->id = sqlite3_last_insert_rowid(s->db);
        p->state = STORE_PROC_RUNNING;
        return 0;
}

int store_process_next_id(Store *s, int64_t *ret) {
        _cleanup_cached_ sqlite3_stmt *st = NULL;
        /* What a NULL id becomes on insert: one above the largest (no AUTOINCREMENT). */
        int rc = cached(s, ST_PROC_NEXT_ID, "SELECT COALESCE(MAX(id), 0) + 1 FROM processes", &st);
        if (rc < 0)
                return rc;
        rc = sqlite3_step(st);
        if (rc != SQLITE_ROW)
                return errno_of(s->db, rc);
        *ret = sqlite3_column_int64(st, 0);
        return 0;
}

int store_process_end(Store *s, int64_t id, StoreProcState state, int exit_code, int signal, uint64_t ended_usec) {
        _cleanup_cached_ sqlite3_stmt *st = NULL;
        int rc = cached(s, ST_PROC_END,
                        "UPDATE processes SET state = ?, exit_code = ?, signal = ?, ended_usec = ? "
                        "WHERE id = ? AND state = 'running'",
                        &st);
        if (rc < 0)
                return rc;
        sqlite3_bind_text(st, 1, proc_states[state], -1, SQLITE_STATIC);
        if (exit_code >= 0)
                sqlite3_bind_int(st, 2, exit_code);
        else
                sqlite3_bind_null(st, 2);
        if (signal > 0)
                sqlite3_bind_int(st, 3, signal);
        else
                sqlite3_bind_null(st, 3);
        sqlite3_bind_int64(st, 4, (int64_t)ended_usec);
        sqlite3_bind_int64(st, 5, id);
        int r = step_done(s, st);
        if (r < 0)
                return r;
        return sqlite3_changes(s->db) == 1 ? 0 : -ENOENT;
}

#define SELECT_PROCESS                                                                                             \
        "SELECT id, group_name, pid, ns_pid, shim_pid, shim_start, argv, namespaces, hostname, state, exit_code, " \
        "signal, started_usec, ended_usec, security FROM processes"

static int row_to_process(sqlite3_stmt *st, StoreProcess *p) {
        *p = (StoreProcess){.id = sqlite3_column_int64(st, 0)};
        snprintf(p->group, sizeof p->group, "%s", (const char *)sqlite3_column_text(st, 1));
        p->pid = sqlite3_column_int(st, 2);
        p->ns_pid = sqlite3_column_int(st, 3);
        p->shim_pid = sqlite3_column_int(st, 4);
        p->shim_start = (uint64_t)sqlite3_column_int64(st, 5);
        p->argv_json = strdup((const char *)sqlite3_column_text(st, 6));
        p->namespaces_json = strdup((const char *)sqlite3_column_text(st, 7));
        const unsigned char *h = sqlite3_column_text(st, 8);
        snprintf(p->hostname, sizeof p->hostname, "%s", h ? (const char *)h : "");
        const char *state = (const char *)sqlite3_column_text(st, 9);
        p->state = strcmp(state, "running") == 0  ? STORE_PROC_RUNNING
                   : strcmp(state, "killed") == 0 ? STORE_PROC_KILLED
                                                  : STORE_PROC_EXITED;
        p->exit_code = sqlite3_column_type(st, 10) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 10);
        p->signal = sqlite3_column_type(st, 11) == SQLITE_NULL ? -1 : sqlite3_column_int(st, 11);
        p->started_usec = (uint64_t)sqlite3_column_int64(st, 12);
        p->ended_usec = (uint64_t)sqlite3_column_int64(st, 13);
        p->security_json = strdup((const char *)sqlite3_column_text(st, 14));
        if (!p->argv_json || !p->namespaces_json || !p->security_json) {
                store_process_clear(p);
                return -ENOMEM;
        }
        return 0;
}

int store_process_get(Store *s, int64_t id, StoreProcess *ret) {
        _cleanup_cached_ sqlite3_stmt *st = NULL;
        int rc = cached(s, ST_PROC_GET, SELECT_PROCESS " WHERE id = ?", &st);
        if (rc < 0)
                return rc;
        sqlite3_bind_int64(st, 1, id);
        rc = sqlite3_step(st);
        if (rc == SQLITE_DONE)
                return -ENOENT;
        if (rc != SQLITE_ROW)
                return errno_of(s->db, rc);
        return row_to_process(st, ret);
}

int store_process_list(Store *s, const char *group, StoreProcess **ret, size_t *ret_n) {
        _cleanup_cached_ sqlite3_stmt *st = NULL;
        int rc = group ? cached(s, ST_PROC_LIST, SELECT_PROCESS " WHERE group_name = ? ORDER BY id", &st)
                       : cached(s, ST_PROC_RUNNING, SELECT_PROCESS " WHERE state = 'running' ORDER BY id", &st);
        if (rc < 0)
                return rc;
        if (group)
                sqlite3_bind_text(st, 1, group, -1, SQLITE_STATIC);
        StoreProcess *v = NULL;
        size_t n = 0, cap = 0;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
                if (n == cap) {
                        cap = cap ? cap * 2 : 16;
                        StoreProcess *nv = realloc(v, cap * sizeof *v);
                        if (!nv)
                                break;
                        v = nv;
                }
                if (row_to_process(st, &v[n]) < 0)
                        break;
                n++;
        }
        if (rc != SQLITE_DONE) {
                for (size_t i = 0; i < n; i++)
                        store_process_clear(&v[i]);
                free(v);
                return rc == SQLITE_ROW ? -ENOMEM : errno_of(s->db, rc);
        }
        *ret = v;
        *ret_n = n;
        return 0;
}
