#include "groups.h"

#include <stdio.h>
#include <string.h>

#include "accounting.h"
#include "cg-name.h"
#include "sampler.h"

/* The chain of names from the daemon's root down to a group, as the driver wants it. */
typedef struct Chain {
        char names[CG_DEPTH_MAX][CG_NAME_BUF];
        CgGroupPath path;
} Chain;

static void unlockp(pthread_mutex_t **m) {
        if (*m)
                pthread_mutex_unlock(*m);
}
#define LOCKED(gs)                                               \
        _cleanup_(unlockp) pthread_mutex_t *_lock = &(gs)->lock; \
        pthread_mutex_lock(_lock)

void group_view_clear(GroupView *v) {
        free(v->pids);
        v->pids = NULL;
        v->npids = 0;
}

int groups_init(Groups *gs, Store *store, CgDriver *driver) {
        gs->store = store;
        gs->driver = driver;
        return -pthread_mutex_init(&gs->lock, NULL);
}

void groups_done(Groups *gs) {
        pthread_mutex_destroy(&gs->lock);
}

/* The set of groups changed: a new generation, and the sampler takes it in now. */
static void changed(Groups *gs) {
        __atomic_add_fetch(&gs->generation, 1, __ATOMIC_RELEASE);
        acct_groups_changed(gs->acct);
}

static int not_found(CgError *err) {
        return cg_error_set(err, -ENOENT, "not_found", NULL, "no such group");
}

static int store_failed(CgError *err, int r) {
        return cg_error_set(err, r, "store_error", NULL, "the database refused the change: %s", strerror(-r));
}

/* The chain of names from the daemon's root down to leaf, walking its parents upwards. */
static int chain_from(Groups *gs, const StoreGroup *leaf, Chain *c, CgError *err) {
        char cur[CG_NAME_BUF];
        size_t depth = 1;
        snprintf(c->names[0], CG_NAME_BUF, "%s", leaf->name);
        snprintf(cur, sizeof cur, "%s", leaf->parent);
        while (cur[0]) {
                StoreGroup g;
                int r = store_group_get(gs->store, cur, &g);
                if (r < 0) /* a parent row missing under a foreign key is corruption */
                        return store_failed(err, r == -ENOENT ? -EBADMSG : r);
                if (depth == CG_DEPTH_MAX)
                        return cg_error_set(err, -ELOOP, "too_deep", "/parent", "groups nest at most %d deep",
                                            CG_DEPTH_MAX);
                snprintf(c->names[depth++], CG_NAME_BUF, "%s", g.name);
                snprintf(cur, sizeof cur, "%s", g.parent);
        }
        c->path.depth = depth;
        for (size_t i = 0; i < depth; i++) /* reverse: outermost first */
                c->path.names[i] = c->names[depth - 1 - i];
        return 0;
}

/* The stored group and its chain: the first step of every operation on an existing group.
 * One read of the group itself, then one per ancestor. */
static int load(Groups *gs, const char *name, StoreGroup *ret_g, Chain *ret_c, CgError *err) {
        int r = store_group_get(gs->store, name, ret_g);
        if (r == -ENOENT)
                return not_found(err);
        if (r < 0)
                return store_failed(err, r);
        return chain_from(gs, ret_g, ret_c, err);
}

/* The kernel's freeze state of the group's parent; THAWED for a top group (the daemon's
 * root is never frozen). */
static int parent_state_locked(Groups *gs, const Chain *c, CgFreezeState *ret) {
        *ret = CG_THAWED;
        if (c->path.depth < 2)
                return 0;
        CgGroupPath p = c->path;
        p.depth--;
        return gs->driver->ops->freeze_state(gs->driver, &p, ret);
}

static int parent_frozen(CgError *err) {
        return cg_error_set(err, -EBUSY, "parent_frozen", NULL,
                            "a parent group is frozen, which keeps this one frozen; thaw the parent first");
}

static int fill_view(Groups *gs, const StoreGroup *g, const CgGroupPath *p, GroupView *v) {
        *v = (GroupView){.g = *g};
        if (gs->driver->ops->freeze_state(gs->driver, p, &v->state) < 0)
                v->state = g->frozen ? CG_FROZEN : CG_THAWED;
        if (gs->driver->ops->pids(gs->driver, p, &v->pids, &v->npids) < 0) {
                v->pids = NULL;
                v->npids = 0;
        }
        return 0;
}

static int view_by_name(Groups *gs, const char *name, GroupView *ret, CgError *err) {
        StoreGroup g;
        Chain c;
        int r = load(gs, name, &g, &c, err);
        return r < 0 ? r : fill_view(gs, &g, &c.path, ret);
}

/* cpu.max above the CPUs this host has is a mistake, not a limit (Docker refuses it too). */
static int check_host(const CgLimits *l, const char *field, CgError *err) {
        long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
        if ((l->set & CG_LIMIT_BIT(CG_LIMIT_CPU_MAX)) && l->cpu_quota_usec != CG_UNLIMITED && ncpu > 0 &&
            l->cpu_quota_usec > (uint64_t)ncpu * CG_CPU_PERIOD_USEC)
                return cg_error_set(err, -EINVAL, "out_of_range", field, "cpu.max is above the %ld CPUs of this host",
                                    ncpu);
        return 0;
}

/* A new group holding its limits, in one step where the driver has one; on failure
 * nothing of it is left. */
static int create_with(Groups *gs, const CgGroupPath *p, const CgLimits *limits, CgError *err) {
        if (gs->driver->ops->create_with)
                return gs->driver->ops->create_with(gs->driver, p, limits, err);
        int r = gs->driver->ops->create(gs->driver, p, err);
        if (r < 0)
                return r;
        int a = gs->driver->ops->apply_limits(gs->driver, p, limits, 0, NULL, err);
        if (a < 0) {
                (void)gs->driver->ops->destroy(gs->driver, p, false, NULL);
                return a;
        }
        return r;
}

int groups_create(Groups *gs, const char *name, const char *parent, const CgLimits *limits, GroupView *ret,
                  CgError *err) {
        StoreGroup g = {.created_usec = cg_now_usec(CLOCK_REALTIME)};
        Chain c;
        int r;

        if (!cg_name_is_valid(name))
                return cg_error_set(
                    err, -EINVAL, "invalid_name", "/name",
                    "a group name is 1 to 63 of a-z, 0-9, '-' and '_', starting with a letter or digit");
        if (parent && !cg_name_is_valid(parent))
                return cg_error_set(err, -EINVAL, "invalid_name", "/parent", "the parent is not a valid group name");
        r = check_host(limits, "/limits/cpu/max", err);
        if (r < 0)
                return r;

        LOCKED(gs);
        r = store_group_get(gs->store, name, &g);
        if (r == 0)
                return cg_error_set(err, -EEXIST, "exists", "/name", "a group with this name exists");
        if (r != -ENOENT)
                return store_failed(err, r);
        if (parent) {
                StoreGroup pg;
                r = load(gs, parent, &pg, &c, err);
                if (r == -ENOENT)
                        return cg_error_set(err, -ENXIO, "unknown_parent", "/parent",
                                            "the parent group does not exist");
                if (r < 0)
                        return r;
                if (c.path.depth == CG_DEPTH_MAX)
                        return cg_error_set(err, -ELOOP, "too_deep", "/parent", "groups nest at most %d deep",
                                            CG_DEPTH_MAX);
        } else
                c.path.depth = 0;
        snprintf(c.names[c.path.depth], CG_NAME_BUF, "%s", name);
        c.path.names[c.path.depth] = c.names[c.path.depth];
        c.path.depth++;

        snprintf(g.name, sizeof g.name, "%s", name);
        snprintf(g.parent, sizeof g.parent, "%s", parent ? parent : "");
        g.limits = *limits;
        g.limits.clear = 0;

        /* Row and kernel in one store step: a database that cannot take the row fails before
         * the kernel is touched; a daemon killed before the commit leaves a kernel group the
         * database lacks, which reconcile removes at the next start. */
        r = store_step_begin(gs->store);
        if (r >= 0)
                r = store_group_insert(gs->store, &g);
        if (r < 0) {
                store_step_undo(gs->store);
                return store_failed(err, r);
        }
        r = create_with(gs, &c.path, &g.limits, err);
        if (r < 0) {
                store_step_undo(gs->store);
                return r;
        }
        r = store_step_commit(gs->store);
        if (r < 0) {
                (void)gs->driver->ops->destroy(gs->driver, &c.path, false, NULL);
                return store_failed(err, r);
        }
        changed(gs);
        if (parent)
                acct_event(gs->acct, "group_create", name, "{\"parent\":\"%s\"}", parent);
        else
                acct_event(gs->acct, "group_create", name, "{\"parent\":null}");
        return fill_view(gs, &g, &c.path, ret);
}

/* Reading a group's usage opens a dozen files; only the directories are opened under the
 * lock (the driver knows where they are), the files are read after it, so a scrape of
 * every group does not stall the API. */
static int open_stat_dirs_locked(Groups *gs, const CgGroupPath *p, int dirs[_CG_CTRL_COUNT], CgError *err) {
        int r = gs->driver->ops->stat_dirs(gs->driver, p, dirs);
        return r < 0 ? cg_error_set(err, r, "cgroupfs_error", NULL, "cannot open the group's directories: %s",
                                    strerror(-r))
                     : 0;
}

/* Reads the files below dirs once, then closes dirs. A group gone meanwhile has no values. */
static int read_stat_dirs(Groups *gs, int dirs[_CG_CTRL_COUNT], CgStats *ret) {
        CgStatReader *reader = NULL;
        int r = cg_stat_reader_open(dirs, strcmp(gs->driver->layout, "unified") == 0, &reader);
        for (CgController k = 0; k < _CG_CTRL_COUNT; k++)
                if (dirs[k] >= 0)
                        close(dirs[k]);
        *ret = (CgStats){0};
        if (r >= 0)
                r = cg_stat_read(reader, ret);
        cg_stat_reader_free(reader);
        return r;
}

int groups_stats(Groups *gs, const char *name, CgStats *ret, uint64_t *ret_usec, CgError *err) {
        int dirs[_CG_CTRL_COUNT];
        {
                StoreGroup g;
                Chain c;
                LOCKED(gs);
                int r = load(gs, name, &g, &c, err);
                if (r >= 0)
                        r = open_stat_dirs_locked(gs, &c.path, dirs, err);
                if (r < 0)
                        return r;
        }
        *ret_usec = cg_now_usec(CLOCK_REALTIME);
        int r = read_stat_dirs(gs, dirs, ret);
        return r < 0 ? cg_error_set(err, r, "internal", NULL, "reading the group's usage: %s", strerror(-r)) : 0;
}

int groups_stats_all(Groups *gs, GroupStats **ret, size_t *ret_n, CgError *err) {
        _cleanup_free_ StoreGroup *all = NULL;
        _cleanup_free_ int(*dirs)[_CG_CTRL_COUNT] = NULL;
        GroupStats *out = NULL;
        size_t n = 0;
        {
                LOCKED(gs);
                int r = store_group_list(gs->store, &all, &n);
                if (r < 0)
                        return store_failed(err, r);
                out = calloc(n ? n : 1, sizeof *out);
                dirs = calloc(n ? n : 1, sizeof *dirs);
                if (!out || !dirs) {
                        free(out);
                        return -ENOMEM;
                }
                for (size_t i = 0; i < n; i++) {
                        Chain c;
                        CgFreezeState s = CG_THAWED;
                        snprintf(out[i].name, sizeof out[i].name, "%s", all[i].name);
                        for (CgController k = 0; k < _CG_CTRL_COUNT; k++)
                                dirs[i][k] = -ENOENT;
                        if (chain_from(gs, &all[i], &c, NULL) < 0 ||
                            open_stat_dirs_locked(gs, &c.path, dirs[i], NULL) < 0)
                                continue;
                        out[i].frozen = gs->driver->ops->freeze_state(gs->driver, &c.path, &s) >= 0 && s == CG_FROZEN;
                }
        }
        for (size_t i = 0; i < n; i++)
                (void)read_stat_dirs(gs, dirs[i], &out[i].stats);
        *ret = out;
        *ret_n = n;
        return 0;
}

int groups_get(Groups *gs, const char *name, GroupView *ret, CgError *err) {
        LOCKED(gs);
        return view_by_name(gs, name, ret, err);
}

int groups_list(Groups *gs, GroupView **ret, size_t *ret_n, CgError *err) {
        _cleanup_free_ StoreGroup *all = NULL;
        size_t n = 0;
        LOCKED(gs);
        int r = store_group_list(gs->store, &all, &n);
        if (r < 0)
                return store_failed(err, r);
        GroupView *v = calloc(n ? n : 1, sizeof *v);
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                Chain c;
                r = chain_from(gs, &all[i], &c, err);
                if (r < 0) {
                        for (size_t j = 0; j < i; j++)
                                group_view_clear(&v[j]);
                        free(v);
                        return r;
                }
                fill_view(gs, &all[i], &c.path, &v[i]);
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

/* limits {"set":["memory.max",…],"removed":[…]}: which keys a change set and removed. */
static void limits_event(Groups *gs, const char *name, const CgLimits *patch) {
        char set[512] = "", removed[512] = "";
        for (CgLimitKey k = 0; k < _CG_LIMIT_COUNT; k++) {
                char *buf = patch->set & CG_LIMIT_BIT(k) ? set : patch->clear & CG_LIMIT_BIT(k) ? removed : NULL;
                if (!buf)
                        continue;
                size_t n = strlen(buf);
                snprintf(buf + n, sizeof set - n, "%s\"%s.%s\"", n ? "," : "", cg_limit_key_section(k),
                         cg_limit_key_leaf(k));
        }
        acct_event(gs->acct, "limits", name, "{\"set\":[%s],\"removed\":[%s]}", set, removed);
}

int groups_set_limits(Groups *gs, const char *name, const CgLimits *patch, GroupView *ret, CgError *err) {
        StoreGroup g;
        Chain c;
        int r = check_host(patch, "/cpu/max", err);
        if (r < 0)
                return r;

        LOCKED(gs);
        r = load(gs, name, &g, &c, err);
        if (r < 0)
                return r;
        CgLimits old = g.limits;
        cg_limits_merge(&g.limits, patch);
        r = cg_limits_validate(&g.limits, err); /* the body is LIMITS: pointers need no prefix */
        if (r < 0)
                return r;
        /* The kernel must now hold the merged set, and defaults for what the merge removed. */
        r = gs->driver->ops->apply_limits(gs->driver, &c.path, &g.limits, CG_APPLY_ONLY_DRIFTED, NULL, err);
        if (r >= 0) {
                r = store_group_update(gs->store, &g);
                if (r < 0)
                        r = store_failed(err, r);
        }
        if (r < 0) {
                /* Put back what was there, so a refused change changes nothing. */
                old.clear = (patch->set | patch->clear) & ~old.set;
                (void)gs->driver->ops->apply_limits(gs->driver, &c.path, &old, CG_APPLY_ONLY_DRIFTED, NULL, NULL);
                return r;
        }
        limits_event(gs, name, patch);
        return fill_view(gs, &g, &c.path, ret);
}

/* Whether group `name` lies below `top` in the list. */
static bool below(const StoreGroup *all, size_t n, const char *name, const char *top) {
        for (size_t depth = 0; depth < CG_DEPTH_MAX && name[0]; depth++) {
                const char *parent = "";
                for (size_t i = 0; i < n; i++)
                        if (strcmp(all[i].name, name) == 0)
                                parent = all[i].parent;
                if (strcmp(parent, top) == 0)
                        return true;
                name = parent;
        }
        return false;
}

/* systemd's ThawUnit thaws a slice's children with it: the groups below whose own state is
 * frozen are frozen again, so that each keeps the state acknowledged for it. Where the
 * manager left them frozen (cgroupfs) this costs a write and a read each. */
static void refreeze_below_locked(Groups *gs, const char *top) {
        _cleanup_free_ StoreGroup *all = NULL;
        size_t n = 0;
        if (store_group_list(gs->store, &all, &n) < 0)
                return;
        for (size_t i = 0; i < n; i++) {
                StoreGroup g;
                Chain c;
                if (!all[i].frozen || !below(all, n, all[i].name, top) || load(gs, all[i].name, &g, &c, NULL) < 0)
                        continue;
                CgError e = {0};
                if (gs->driver->ops->freeze(gs->driver, &c.path, &e) < 0)
                        fprintf(stderr, "cgwardend: freezing %s again after its parent's thaw: %s\n", g.name,
                                e.message);
        }
}

int groups_freeze(Groups *gs, const char *name, bool freeze, GroupView *ret, CgError *err) {
        StoreGroup g;
        Chain c;
        LOCKED(gs);
        int r = load(gs, name, &g, &c, err);
        if (r < 0)
                return r;
        /* A thaw under a frozen parent would change the group's own state and still leave it
         * frozen: refused before anything is written (its desired state stays frozen). */
        CgFreezeState ps;
        if (!freeze && parent_state_locked(gs, &c, &ps) == 0 && ps != CG_THAWED)
                return parent_frozen(err);
        r = freeze ? gs->driver->ops->freeze(gs->driver, &c.path, err)
                   : gs->driver->ops->thaw(gs->driver, &c.path, err);
        if (r < 0)
                return r;
        if (g.frozen != freeze) {
                g.frozen = freeze;
                r = store_group_update(gs->store, &g);
                if (r < 0) {
                        (void)(freeze ? gs->driver->ops->thaw(gs->driver, &c.path, NULL)
                                      : gs->driver->ops->freeze(gs->driver, &c.path, NULL));
                        return store_failed(err, r);
                }
                acct_event(gs->acct, freeze ? "freeze" : "thaw", name, "{}");
        }
        if (!freeze)
                refreeze_below_locked(gs, name);
        return fill_view(gs, &g, &c.path, ret);
}

int groups_attach(Groups *gs, const char *name, pid_t pid, GroupView *ret, CgError *err) {
        StoreGroup g;
        Chain c;
        LOCKED(gs);
        int r = load(gs, name, &g, &c, err);
        if (r < 0)
                return r;
        r = gs->driver->ops->attach(gs->driver, &c.path, pid, err);
        return r < 0 ? r : fill_view(gs, &g, &c.path, ret);
}

int groups_placement_fds_locked(Groups *gs, const char *name, const CgLeaf *leaf, int *ret_fds, size_t max,
                                bool *ret_outside, CgError *err) {
        StoreGroup g;
        Chain c;
        int r = load(gs, name, &g, &c, err);
        *ret_outside = gs->driver->ops->place != NULL;
        return r < 0 ? r : gs->driver->ops->placement_fds(gs->driver, &c.path, leaf, ret_fds, max, err);
}

int groups_freeze_state_locked(Groups *gs, const char *name, CgFreezeState *ret) {
        StoreGroup g;
        Chain c;
        int r = load(gs, name, &g, &c, NULL);
        return r < 0 ? r : gs->driver->ops->freeze_state(gs->driver, &c.path, ret);
}

int groups_remove_leaf_locked(Groups *gs, const char *name, const char *leaf) {
        StoreGroup g;
        Chain c;
        int r = load(gs, name, &g, &c, NULL);
        if (r < 0 || !gs->driver->ops->remove_leaf)
                return r == -ENOENT ? 0 : r;
        return gs->driver->ops->remove_leaf(gs->driver, &c.path, leaf);
}

uint64_t groups_generation(Groups *gs) {
        return __atomic_load_n(&gs->generation, __ATOMIC_ACQUIRE);
}

int groups_list_for_sampler(Groups *gs, SamplerGroup **ret, size_t *ret_n) {
        _cleanup_free_ StoreGroup *all = NULL;
        size_t n = 0;
        LOCKED(gs);
        int r = store_group_list(gs->store, &all, &n);
        if (r < 0)
                return r;
        SamplerGroup *v = calloc(n ? n : 1, sizeof *v);
        if (!v)
                return -ENOMEM;
        for (size_t i = 0; i < n; i++) {
                snprintf(v[i].name, sizeof v[i].name, "%s", all[i].name);
                v[i].created_usec = all[i].created_usec;
        }
        *ret = v;
        *ret_n = n;
        return 0;
}

int groups_open_stat_dirs(Groups *gs, const char *name, int ret_dirs[_CG_CTRL_COUNT]) {
        StoreGroup g;
        Chain c;
        LOCKED(gs);
        int r = load(gs, name, &g, &c, NULL);
        return r < 0 ? r : gs->driver->ops->stat_dirs(gs->driver, &c.path, ret_dirs);
}

void groups_idle(Groups *gs) {
        if (!gs->driver->ops->idle)
                return;
        LOCKED(gs);
        gs->driver->ops->idle(gs->driver);
}

int groups_place_locked(Groups *gs, const char *name, pid_t pid, const char *tag, const CgLeaf *leaf, CgError *err) {
        StoreGroup g;
        Chain c;
        int r = load(gs, name, &g, &c, err);
        return r < 0 ? r : gs->driver->ops->place(gs->driver, &c.path, pid, tag, leaf, err);
}

/* One group, its row and its directories together: the row goes first inside a store step,
 * so a database that cannot take it (full, read-only) fails before the kernel is touched; a
 * kernel that refuses takes the row back. A commit that fails after the kernel went puts the
 * group back in the kernel, empty, so that both still agree. */
static int delete_one_locked(Groups *gs, const StoreGroup *g, const CgGroupPath *p, bool force, CgError *err) {
        int r = store_step_begin(gs->store);
        if (r < 0)
                return store_failed(err, r);
        r = store_group_delete(gs->store, g->name);
        if (r < 0) {
                store_step_undo(gs->store);
                return r == -ENOTEMPTY ? cg_error_set(err, r, "has_children", NULL, "the group has child groups")
                                       : store_failed(err, r);
        }
        /* Its usage to the end, for the ledger: read while the files are still there. */
        CgStats final = {0};
        int dirs[_CG_CTRL_COUNT];
        if (gs->acct && open_stat_dirs_locked(gs, p, dirs, NULL) >= 0)
                (void)read_stat_dirs(gs, dirs, &final);
        r = gs->driver->ops->destroy(gs->driver, p, force, err);
        if (r < 0) {
                store_step_undo(gs->store);
                return r;
        }
        r = store_step_commit(gs->store);
        if (r < 0) {
                if (create_with(gs, p, &g->limits, NULL) >= 0 && g->frozen)
                        (void)gs->driver->ops->freeze(gs->driver, p, NULL);
                return store_failed(err, r);
        }
        changed(gs);
        acct_group_ended(gs->acct, g, &final);
        return 0;
}

static int delete_locked(Groups *gs, const char *name, bool force, CgError *err) {
        _cleanup_free_ StoreGroup *all = NULL;
        size_t n = 0;
        StoreGroup g;
        Chain c;
        int r = load(gs, name, &g, &c, err);
        if (r < 0)
                return r;
        r = store_group_list(gs->store, &all, &n);
        if (r < 0)
                return store_failed(err, r);
        bool children = false;
        for (size_t i = 0; i < n; i++)
                children = children || strcmp(all[i].parent, name) == 0;
        if (children && !force)
                return cg_error_set(err, -ENOTEMPTY, "has_children", NULL,
                                    "the group has child groups; delete them first or use force=true");
        /* A frozen parent keeps it frozen, and on v1 a frozen task cannot die: refused before
         * anything is written. */
        if (force) {
                CgFreezeState ps;
                if (parent_state_locked(gs, &c, &ps) == 0 && ps != CG_THAWED)
                        return parent_frozen(err);
                /* Thaw the top of the tree first: thawing a child under a frozen parent does nothing. */
                (void)gs->driver->ops->thaw(gs->driver, &c.path, NULL);
        }
        /* Children first. */
        for (size_t i = n; i-- > 0;) {
                if (strcmp(all[i].parent, name) != 0)
                        continue;
                r = delete_locked(gs, all[i].name, force, err);
                if (r < 0)
                        return r;
        }
        return delete_one_locked(gs, &g, &c.path, force, err);
}

int groups_delete(Groups *gs, const char *name, bool force, CgError *err) {
        LOCKED(gs);
        return delete_locked(gs, name, force, err);
}

/* Puts the kernel's freeze state back to the stored one; 1 if it had to. Under a frozen
 * parent the kernel shows the group frozen whatever its own state: one desired frozen is
 * frozen again (its own state, at once, so that it stays frozen when the parent thaws); one
 * desired thawed waits for its parent, unasked (no wait here). */
static int settle_freeze_locked(Groups *gs, const StoreGroup *g, const Chain *c, const char *who, CgError *err) {
        CgFreezeState s, ps;
        if (parent_state_locked(gs, c, &ps) == 0 && ps != CG_THAWED)
                return g->frozen ? gs->driver->ops->freeze(gs->driver, &c->path, err) : 0;
        int r = gs->driver->ops->freeze_state(gs->driver, &c->path, &s);
        if (r < 0 || g->frozen == (s == CG_FROZEN))
                return 0;
        r = g->frozen ? gs->driver->ops->freeze(gs->driver, &c->path, err)
                      : gs->driver->ops->thaw(gs->driver, &c->path, err);
        if (r < 0)
                return strcmp(err->code, "parent_frozen") == 0 ? 0 : r;
        fprintf(stderr, "cgwardend: %s: group %s %s again\n", who, g->name, g->frozen ? "frozen" : "thawed");
        return 1;
}

static int reconcile_one(Groups *gs, const StoreGroup *g) {
        Chain c;
        CgError err = {0};
        uint32_t written = 0;
        int changed = 0;
        bool created = false;
        int r = chain_from(gs, g, &c, &err);
        if (r < 0)
                goto fail;
        r = gs->driver->ops->exists(gs->driver, &c.path);
        if (r == 0) {
                r = create_with(gs, &c.path, &g->limits, &err);
                if (r < 0)
                        goto fail;
                fprintf(stderr, "cgwardend: reconcile: group %s was missing from the kernel; recreated\n", g->name);
                changed = 1;
                created = true;
        }
        if (!created) {
                r = gs->driver->ops->apply_limits(gs->driver, &c.path, &g->limits, CG_APPLY_ONLY_DRIFTED, &written,
                                                  &err);
                if (r < 0)
                        goto fail;
        }
        for (CgLimitKey k = 0; !created && k < _CG_LIMIT_COUNT; k++)
                if (written & CG_LIMIT_BIT(k)) {
                        fprintf(stderr, "cgwardend: reconcile: group %s: %s.%s had drifted; re-applied\n", g->name,
                                cg_limit_key_section(k), cg_limit_key_leaf(k));
                        changed = 1;
                }
        r = settle_freeze_locked(gs, g, &c, "reconcile", &err);
        if (r < 0)
                goto fail;
        changed |= r;
        return changed;
fail:
        fprintf(stderr, "cgwardend: reconcile: group %s: %s\n", g->name, err.message[0] ? err.message : strerror(-r));
        return r;
}

void groups_correct_drift(Groups *gs) {
        _cleanup_free_ StoreGroup *all = NULL;
        size_t n = 0;
        {
                LOCKED(gs);
                if (store_group_list(gs->store, &all, &n) < 0)
                        return;
        }
        /* One group at a time under the lock: requests wait for one group's reads at most. */
        for (size_t i = 0; i < n; i++) {
                LOCKED(gs);
                StoreGroup g;
                Chain c;
                CgError err = {0};
                uint32_t written = 0;
                char keys[512] = "";
                if (store_group_get(gs->store, all[i].name, &g) < 0 || chain_from(gs, &g, &c, &err) < 0)
                        continue; /* deleted meanwhile */
                if (gs->driver->ops->exists(gs->driver, &c.path) == 0) {
                        /* Gone from the kernel behind our back (its processes with it): made
                         * again as stored, limits and freeze state, and said. */
                        if (reconcile_one(gs, &g) > 0)
                                acct_event(gs->acct, "drift", g.name, "{\"recreated\":true}");
                        continue;
                }
                if (settle_freeze_locked(gs, &g, &c, "drift", &err) > 0)
                        acct_event(gs->acct, "drift", g.name, "{\"state\":\"%s\"}", g.frozen ? "FROZEN" : "THAWED");
                /* Only what can be compared: the systemd driver would otherwise send its lists
                 * (devices, io.max, cpuset) again at every check; reconcile at start does. */
                int r = gs->driver->ops->apply_limits(gs->driver, &c.path, &g.limits,
                                                      CG_APPLY_ONLY_DRIFTED | CG_APPLY_COMPARED_ONLY, &written, &err);
                if (r < 0)
                        fprintf(stderr, "cgwardend: drift: group %s: %s\n", g.name,
                                err.message[0] ? err.message : strerror(-r));
                for (CgLimitKey k = 0; k < _CG_LIMIT_COUNT; k++) {
                        size_t len = strlen(keys);
                        if (written & CG_LIMIT_BIT(k))
                                snprintf(keys + len, sizeof keys - len, "%s\"%s.%s\"", len ? "," : "",
                                         cg_limit_key_section(k), cg_limit_key_leaf(k));
                }
                if (!keys[0])
                        continue;
                fprintf(stderr, "cgwardend: drift: group %s: %s differed from the stored limits; re-applied\n", g.name,
                        keys);
                acct_event(gs->acct, "drift", g.name, "{\"keys\":[%s]}", keys);
        }
}

/* Removes the group at p, which the database does not know, and those below it: a create
 * killed between its kernel step and its commit. Never one holding processes (that is
 * someone else's doing: said, and left). */
static int remove_unknown_locked(Groups *gs, CgGroupPath *p, char names[CG_DEPTH_MAX][CG_NAME_BUF]) {
        char kids[64][CG_NAME_BUF];
        int n = p->depth < CG_DEPTH_MAX ? gs->driver->ops->children(gs->driver, p, kids, ELEMENTSOF(kids)) : 0;
        for (int i = 0; i < n; i++) {
                memcpy(names[p->depth], kids[i], CG_NAME_BUF);
                p->names[p->depth] = names[p->depth];
                p->depth++;
                (void)remove_unknown_locked(gs, p, names);
                p->depth--;
        }
        CgError err = {0};
        int r = gs->driver->ops->destroy(gs->driver, p, false, &err);
        fprintf(stderr, "cgwardend: reconcile: group %s is in the kernel but not in the database: %s\n",
                p->names[p->depth - 1], r < 0 ? err.message : "removed");
        return r;
}

/* The groups the kernel holds that the database does not, below the root and below each
 * known group. Returns how many were found. */
static int remove_unknown_below_locked(Groups *gs, const StoreGroup *all, size_t n) {
        int found = 0;
        if (!gs->driver->ops->children)
                return 0;
        for (size_t i = 0; i <= n; i++) { /* i == n: the root */
                Chain c = {.path.depth = 0};
                StoreGroup g;
                if (i < n && load(gs, all[i].name, &g, &c, NULL) < 0)
                        continue;
                const char *parent = i < n ? all[i].name : "";
                char kids[64][CG_NAME_BUF];
                int k = gs->driver->ops->children(gs->driver, &c.path, kids, ELEMENTSOF(kids));
                for (int j = 0; j < k; j++) {
                        bool known = false;
                        for (size_t m = 0; m < n && !known; m++)
                                known = strcmp(all[m].name, kids[j]) == 0 && strcmp(all[m].parent, parent) == 0;
                        if (known || c.path.depth == CG_DEPTH_MAX)
                                continue;
                        memcpy(c.names[c.path.depth], kids[j], CG_NAME_BUF);
                        c.path.names[c.path.depth] = c.names[c.path.depth];
                        c.path.depth++;
                        (void)remove_unknown_locked(gs, &c.path, c.names);
                        c.path.depth--;
                        found++;
                }
        }
        return found;
}

int groups_reconcile(Groups *gs) {
        _cleanup_free_ StoreGroup *all = NULL;
        size_t n = 0;
        int changed = 0;
        LOCKED(gs);
        int r = store_group_list(gs->store, &all, &n);
        if (r < 0)
                return r;
        for (size_t i = 0; i < n; i++)
                if (reconcile_one(gs, &all[i]) > 0)
                        changed++;
        changed += remove_unknown_below_locked(gs, all, n);
        fprintf(stderr, "cgwardend: reconcile: %zu groups, %d changed\n", n, changed);
        return changed;
}
