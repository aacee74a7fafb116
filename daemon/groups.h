/* The group service: what the API does to a group, keeping kernel and database in step.
 * Every operation takes one lock: group changes are serialised, reads see a settled state. */
#pragma once

#include <pthread.h>
#include <sys/types.h>

#include "cg-driver.h"
#include "cg-stats.h"
#include "sampler.h"
#include "store.h"

struct Acct;

typedef struct Groups {
        Store *store;
        CgDriver *driver;
        pthread_mutex_t lock;
        struct Acct *acct;   /* events and the ledger; NULL for none */
        uint64_t generation; /* moves on every create and delete (atomic) */
} Groups;

/* A group as the API shows it: desired state plus what the kernel says now. */
typedef struct GroupView {
        StoreGroup g;
        CgFreezeState state;
        pid_t *pids;
        size_t npids;
} GroupView;

void group_view_clear(GroupView *v);

int groups_init(Groups *gs, Store *store, CgDriver *driver);
void groups_done(Groups *gs);

/* Each returns 0 or -errno with *err filled; on error nothing has changed. */
int groups_create(Groups *gs, const char *name, const char *parent, const CgLimits *limits, GroupView *ret,
                  CgError *err);
int groups_get(Groups *gs, const char *name, GroupView *ret, CgError *err);
typedef struct GroupStats {
        char name[CG_NAME_BUF];
        bool frozen;
        CgStats stats;
} GroupStats;

/* Every group's usage now (for /metrics); a group whose files cannot be read has none. */
int groups_stats_all(Groups *gs, GroupStats **ret, size_t *ret_n, CgError *err);
/* The group's usage now, as the kernel counts it (cg-stats.h), and when it was read. */
int groups_stats(Groups *gs, const char *name, CgStats *ret, uint64_t *ret_usec, CgError *err);
int groups_list(Groups *gs, GroupView **ret, size_t *ret_n, CgError *err);
int groups_set_limits(Groups *gs, const char *name, const CgLimits *patch, GroupView *ret, CgError *err);
int groups_freeze(Groups *gs, const char *name, bool freeze, GroupView *ret, CgError *err);
int groups_attach(Groups *gs, const char *name, pid_t pid, GroupView *ret, CgError *err);
int groups_delete(Groups *gs, const char *name, bool force, CgError *err);

/* The group's placement files (see CgDriverOps.placement_fds); for the spawner, which holds
 * gs->lock already. */
/* How a new process gets into group `name` before it runs: the fds it writes "0" to, and
 * *ret_outside if the driver also places it from outside (groups_place_locked, with a tag
 * that names the process). Under the lock, from processes.c. */
int groups_placement_fds_locked(Groups *gs, const char *name, const CgLeaf *leaf, int *ret_fds, size_t max,
                                bool *ret_outside, CgError *err);
int groups_place_locked(Groups *gs, const char *name, pid_t pid, const char *tag, const CgLeaf *leaf, CgError *err);
/* The kernel's freeze state of the group (a frozen parent counts). Under the lock. */
int groups_freeze_state_locked(Groups *gs, const char *name, CgFreezeState *ret);
/* Removes an ended process's leaf; -EBUSY while something it left behind still runs there
 * (the group's delete removes it then). */
int groups_remove_leaf_locked(Groups *gs, const char *name, const char *leaf);
/* For the sampler (sampler.h's SamplerSource): the generation, every group's name and birth,
 * and a group's directories (the caller closes them). */
uint64_t groups_generation(Groups *gs);
int groups_list_for_sampler(Groups *gs, SamplerGroup **ret, size_t *ret_n);
int groups_open_stat_dirs(Groups *gs, const char *name, int ret_dirs[_CG_CTRL_COUNT]);
/* The driver's periodic duty (CgDriverOps.idle), under the lock. */
void groups_idle(Groups *gs);

/* Puts back any limit the kernel no longer holds as stored (a tenant that found a way to
 * write its own, an admin by hand) and records a "drift" event naming the keys. The
 * accounting thread calls it (at most every ACCT_DRIFT_PERIOD_USEC). With the systemd
 * driver the single-value files are compared; lists (devices, io.max) are sent again. */
void groups_correct_drift(Groups *gs);

/* Makes the kernel match the database after a start; never touches processes' membership.
 * Returns the number of groups that needed a change. */
int groups_reconcile(Groups *gs);
