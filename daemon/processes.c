#include "processes.h"

#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "accounting.h"
#include "caps.h"
#include "seccomp-profile.h"
#include "cg-devices.h"
#include "cg-fs.h"
#include "cg-util.h"

static void unlockp(pthread_mutex_t **m) {
        if (*m)
                pthread_mutex_unlock(*m);
}
#define LOCKED(ps)                                                       \
        _cleanup_(unlockp) pthread_mutex_t *_lock = &(ps)->groups->lock; \
        pthread_mutex_lock(_lock)

static void file_name(char *buf, size_t size, int64_t id, const char *what) {
        snprintf(buf, size, "%" PRId64 ".%s", id, what);
}

/* Whether the shim we started is still the process with that pid (not a reused pid, not a
 * zombie waiting for whoever inherited it). */
static bool shim_alive(pid_t pid, uint64_t start) {
        char buf[512];
        const char *f = cg_proc_stat(pid, buf, sizeof buf);
        if (!f || f[0] == 'Z' || f[0] == 'X')
                return false;
        return spawn_start_time(pid) == start;
}

/* Before the ids were taken ahead of the start, "<id>.status" was a symlink to
 * "<state>/processes/new-<n>.status", which the shim wrote: for a process that outlived the
 * upgrade, its target is read, if it is a plain name in that same directory. */
static int read_old_status(Processes *ps, const char *name, bool *ret_exited, int *ret_code, SpawnUsage *ret_usage) {
        char target[4096], dir[3200];
        ssize_t n = readlinkat(ps->dir_fd, name, target, sizeof target - 1);
        if (n <= 0)
                return -EBADMSG;
        target[n] = '\0';
        int len = snprintf(dir, sizeof dir, "%s/processes/", ps->state_dir);
        const char *base = target + len;
        if (strncmp(target, dir, (size_t)len) != 0 || strncmp(base, "new-", 4) != 0 || strchr(base, '/'))
                return -EBADMSG;
        return spawn_read_status(ps->dir_fd, base, ret_exited, ret_code, ret_usage);
}

static void leaf_name(char *buf, size_t size, int64_t id) {
        snprintf(buf, size, CG_FS_LEAF_PREFIX "%" PRId64, id);
}

/* Records how a process ended, from the shim's status file (a shim killed outright,
 * as by a forced delete, wrote none: the process was killed). */
static void record_end(Processes *ps, const StoreProcess *p) {
        char name[64];
        bool exited;
        int code;
        file_name(name, sizeof name, p->id, "status");
        SpawnUsage usage = {0};
        int r = spawn_read_status(ps->dir_fd, name, &exited, &code, &usage);
        if (r == -EBADMSG)
                r = read_old_status(ps, name, &exited, &code, &usage);
        /* The row as it now ends, for the store and the ledger alike. */
        StoreProcess done = *p;
        done.state = r < 0 || !exited ? STORE_PROC_KILLED : STORE_PROC_EXITED;
        done.exit_code = r >= 0 && exited ? code : -1;
        done.signal = r < 0 ? SIGKILL : exited ? -1 : code;
        done.ended_usec = cg_now_usec(CLOCK_REALTIME);
        r = store_process_end(ps->groups->store, p->id, done.state, done.exit_code, done.signal, done.ended_usec);
        if (r < 0 && r != -ENOENT)
                fprintf(stderr, "cgwardend: recording the end of process %" PRId64 ": %s\n", p->id, strerror(-r));
        if (r >= 0)
                acct_process_ended(ps->groups->acct, &done, &usage);
        /* Its leaf, where it had one (a process started before leaves has none: ENOENT). */
        leaf_name(name, sizeof name, p->id);
        r = groups_remove_leaf_locked(ps->groups, p->group, name);
        if (r < 0 && r != -EBUSY)
                fprintf(stderr, "cgwardend: removing %s of group %s: %s\n", name, p->group, strerror(-r));
}

/* Whether a running process has ended; its end is recorded if so. Our own shims are
 * reaped here; shims from before a restart belong to init. */
static bool ended(Processes *ps, const StoreProcess *p) {
        if (p->state != STORE_PROC_RUNNING)
                return false;
        pid_t w = waitpid(p->shim_pid, NULL, WNOHANG);
        if (w != p->shim_pid && shim_alive(p->shim_pid, p->shim_start))
                return false;
        record_end(ps, p);
        return true;
}

/* Brings one process's row up to date (a request must not wait for the monitor's tick). */
static int refresh(Processes *ps, StoreProcess *p) {
        StoreProcess now;
        if (!ended(ps, p))
                return 0;
        int r = store_process_get(ps->groups->store, p->id, &now);
        if (r < 0)
                return r; /* p stays as it was */
        store_process_clear(p);
        *p = now;
        return 0;
}

static void reap_locked(Processes *ps) {
        StoreProcess *v = NULL;
        size_t n = 0;
        if (store_process_list(ps->groups->store, NULL, &v, &n) < 0)
                return;
        for (size_t i = 0; i < n; i++) {
                (void)ended(ps, &v[i]);
                store_process_clear(&v[i]);
        }
        free(v);
}

void processes_reap(Processes *ps) {
        LOCKED(ps);
        reap_locked(ps);
}

static void *monitor(void *arg) {
        Processes *ps = arg;
        while (!ps->stop) {
                processes_reap(ps);
                spawn_reap_orphans();
                groups_idle(ps->groups);
                usleep(100000);
        }
        return NULL;
}

/* The filter for a capability set, compiled once (the oldest of 8 makes room). */
static int seccomp_for(Processes *ps, uint64_t caps, const void **ret_bpf, size_t *ret_len) {
        size_t i = 0;
        while (i < ps->n_seccomp && ps->seccomp[i].caps != caps)
                i++;
        if (i == ps->n_seccomp) {
                void *bpf;
                size_t len;
                int r = seccomp_profile_bpf(caps, &bpf, &len);
                if (r < 0)
                        return r;
                if (ps->n_seccomp == ELEMENTSOF(ps->seccomp)) {
                        free(ps->seccomp[0].bpf);
                        memmove(&ps->seccomp[0], &ps->seccomp[1],
                                sizeof ps->seccomp[0] * (ELEMENTSOF(ps->seccomp) - 1));
                        ps->n_seccomp--;
                }
                i = ps->n_seccomp++;
                ps->seccomp[i].caps = caps;
                ps->seccomp[i].bpf = bpf;
                ps->seccomp[i].len = len;
        }
        *ret_bpf = ps->seccomp[i].bpf;
        *ret_len = ps->seccomp[i].len;
        return 0;
}

/* cgwarden-init runs as root before anything is confined: only a binary that only root
 * can change is trusted with that. */
static int open_init_exe(const char *path) {
        char self[4096];
        struct stat st;
        if (!path) {
                ssize_t n = readlink("/proc/self/exe", self, sizeof self - 32);
                if (n <= 0)
                        return -errno;
                self[n] = '\0';
                char *slash = strrchr(self, '/');
                snprintf(slash ? slash + 1 : self, 32, "cgwarden-init");
                path = self;
        }
        _cleanup_close_ int fd = open(path, O_PATH | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode) || st.st_uid != 0 || (st.st_mode & 0022) || !(st.st_mode & S_IXUSR))
                return -EPERM;
        return TAKE_FD(fd);
}

int processes_init(Processes *ps, Groups *groups, const ProcessesConfig *cfg) {
        char dir[4096];
        const char *state_dir = cfg->state_dir, *init_exe = cfg->init_exe;
        *ps = (Processes){.groups = groups,
                          .dir_fd = -EBADF,
                          .init_exe_fd = -EBADF,
                          .userns_first = cfg->userns_first,
                          .userns_count = cfg->userns_count,
                          .log_max_bytes = cfg->log_max_bytes};
        if (ps->userns_count < SPAWN_USERNS_SIZE)
                return -EINVAL;
        snprintf(ps->state_dir, sizeof ps->state_dir, "%s", state_dir);
        snprintf(dir, sizeof dir, "%s/processes", state_dir);
        /* mkdir -p: every missing level, 0700 (logs may hold secrets). */
        for (char *p = dir + 1; *p; p++) {
                if (*p != '/')
                        continue;
                *p = '\0';
                if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                        return -errno;
                *p = '/';
        }
        if (mkdir(dir, 0700) < 0 && errno != EEXIST)
                return -errno;
        ps->dir_fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        if (ps->dir_fd < 0)
                return -errno;
        ps->init_exe_fd = open_init_exe(init_exe);
        if (ps->init_exe_fd < 0) {
                fprintf(stderr, "cgwardend: cgwarden-init (%s): %s\n", init_exe ? init_exe : "beside cgwardend",
                        ps->init_exe_fd == -EPERM ? "must be a root-owned executable only root can write"
                                                  : strerror(-ps->init_exe_fd));
                return ps->init_exe_fd;
        }
        for (int cap = 0; cap < 64; cap++)
                if (prctl(PR_CAPBSET_READ, cap, 0, 0, 0) == 1)
                        ps->caps_held |= UINT64_C(1) << cap;
        const void *bpf;
        size_t len;
        int rs = seccomp_for(ps, caps_default & ps->caps_held, &bpf, &len); /* the common case, ready */
        if (rs < 0) {
                fprintf(stderr, "cgwardend: compiling the default seccomp filter: %s\n", strerror(-rs));
                return rs;
        }
        processes_reap(ps); /* what ended while we were away */
        int r = -pthread_create(&ps->monitor, NULL, monitor, ps);
        ps->monitor_started = r == 0;
        return r;
}

void processes_done(Processes *ps) {
        ps->stop = true;
        if (ps->monitor_started)
                pthread_join(ps->monitor, NULL);
        cg_closep(&ps->dir_fd);
        cg_closep(&ps->init_exe_fd);
        for (size_t i = 0; i < ps->n_seccomp; i++)
                free(ps->seccomp[i].bpf);
        ps->n_seccomp = 0;
}

/* A log of our own: a symlink or FIFO found under its name is refused, not followed. */
static int open_log(Processes *ps, int64_t id, const char *what) {
        char name[64];
        struct stat st;
        file_name(name, sizeof name, id, what);
        _cleanup_close_ int fd = openat(
            ps->dir_fd, name, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
        if (fd < 0)
                return -errno;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return -EEXIST;
        return TAKE_FD(fd);
}

typedef struct Placement {
        Processes *ps;
        const char *group;
        int64_t id;
        const CgLeaf *leaf; /* or NULL: the group's own device rules apply */
} Placement;

static int place_outside(void *data, pid_t shim, CgError *err) {
        Placement *pl = data;
        char tag[32];
        snprintf(tag, sizeof tag, "%" PRId64, pl->id);
        return groups_place_locked(pl->ps->groups, pl->group, shim, tag, pl->leaf, err);
}

/* The walls as PROCESS reports them (the security column): what was applied, not what was
 * asked. Every string in it is one of ours (no escaping needed), but the mounts, which
 * come as JSON that jansson wrote. */
static char *render_security(const SpawnSpec *s, const char *mounts_json, bool devices_default) {
        char caps[1024] = "", userns[96] = "null", *out = NULL;
        size_t len = 0;
        for (int c = 0; c < 64; c++)
                if ((s->caps >> c & 1) && caps_name(c) && len + 32 < sizeof caps)
                        len +=
                            (size_t)snprintf(caps + len, sizeof caps - len, "%s\"%s\"", len ? "," : "", caps_name(c));
        if (s->ns & SPAWN_NS_USER)
                snprintf(userns, sizeof userns, "{\"uid_base\":%" PRIu32 ",\"gid_base\":%" PRIu32 ",\"size\":%u}",
                         s->userns_base, s->userns_base, SPAWN_USERNS_SIZE);
        bool mnt = s->ns & SPAWN_NS_MOUNT;
        if (asprintf(&out,
                     "{\"capabilities\":[%s],\"seccomp\":\"%s\",\"no_new_privileges\":%s,\"cgroupns\":\"%s\","
                     "\"readonly_rootfs\":%s,\"masked_paths\":%s,\"userns\":%s,\"mounts\":%s,"
                     "\"log_max_bytes\":%" PRIu64 ",\"devices\":\"%s\"}",
                     caps, s->flags & SPAWN_SECCOMP ? "default" : "unconfined",
                     s->flags & SPAWN_NO_NEW_PRIVS ? "true" : "false", s->ns & SPAWN_NS_CGROUP ? "private" : "host",
                     s->rootfs && (s->flags & SPAWN_READONLY_ROOTFS) ? "true" : "false", mnt ? "true" : "false", userns,
                     mounts_json ? mounts_json : "[]", s->log_max_bytes, devices_default ? "default" : "group") < 0)
                return NULL;
        return out;
}

/* Whether /proc/PID/exe is the file at fd. */
static bool runs_file(pid_t pid, int fd) {
        char path[64];
        struct stat a, b;
        snprintf(path, sizeof path, "/proc/%d/exe", (int)pid);
        return fd >= 0 && stat(path, &a) == 0 && fstat(fd, &b) == 0 && a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/* PF_KTHREAD in the flags of /proc/PID/stat (field 9). */
static bool kernel_thread(pid_t pid) {
        char buf[1024];
        const char *f = cg_proc_stat(pid, buf, sizeof buf);
        unsigned long flags = 0;
        return f && sscanf(f, "%*c %*d %*d %*d %*d %*d %lu", &flags) == 1 && (flags & 0x00200000UL);
}

int processes_attachable(Processes *ps, pid_t pid, CgError *err) {
        _cleanup_close_ int self = open("/proc/self/exe", O_PATH | O_CLOEXEC);
        const char *what = pid == 1                          ? "the host's init"
                           : kernel_thread(pid)              ? "a kernel thread"
                           : runs_file(pid, self)            ? "cgwardend itself"
                           : runs_file(pid, ps->init_exe_fd) ? "a shim or init of cgwardend's"
                                                             : NULL;
        if (!what)
                return 0;
        /* Frozen with a group, the daemon (or a start) would stop; a kernel thread or init
         * cannot be confined anyway. */
        return cg_error_set(err, -EPERM, "pid_not_attachable", "/pid", "pid %d is %s: no group may take it", (int)pid,
                            what);
}

/* A start between its two halves: what the second needs of the first. */
typedef struct Starting {
        Placement pl;
        CgLimits devices;
        CgLeaf leaf;
        char status[64];
        char *security;
        SpawnPending pending;
} Starting;

/* The first half, under the lock: checks, names, the placement and the fork. */
static int start_begin_locked(Processes *ps, const char *group, ProcSpec *spec, Starting *st, CgError *err) {
        StoreGroup g;
        CgFreezeState state = CG_THAWED;
        int r = store_group_get(ps->groups->store, group, &g);
        if (r == -ENOENT)
                return cg_error_set(err, -ENOENT, "not_found", NULL, "no such group");
        if (r < 0)
                return cg_error_set(err, r, "store_error", NULL, "reading the group failed");
        /* Its shim would be frozen the moment it placed itself, and the start would hang. */
        if (g.frozen || (groups_freeze_state_locked(ps->groups, group, &state) == 0 && state != CG_THAWED))
                return cg_error_set(err, -EBUSY, "group_frozen", NULL,
                                    "the group%s is frozen, so nothing could start in it; thaw it first",
                                    g.frozen ? "" : " (through a parent)");
        /* A capability asked for by name that the daemon itself lacks cannot be given: refused,
         * not a process with less than was asked. Defaults it lacks are left out (below). */
        uint64_t missing = spec->caps_added & ~ps->caps_held;
        if (missing)
                return cg_error_set(err, -EOPNOTSUPP, "capability_unavailable", "/cap_add",
                                    "%s is not in cgwardend's own bounding set, so no process of its can have it",
                                    caps_name(__builtin_ctzll(missing)));
        /* The id is taken now and reserved (next_free_id), so the logs and the status file have
         * their final names from the start, and a start running meanwhile takes the next. */
        Placement *pl = &st->pl;
        *pl = (Placement){.ps = ps, .group = group};
        r = store_process_next_id(ps->groups->store, &pl->id);
        if (r < 0)
                return cg_error_set(err, r, "store_error", NULL, "the database cannot name the process");
        if (pl->id < ps->next_free_id)
                pl->id = ps->next_free_id;
        ps->next_free_id = pl->id + 1;
        _cleanup_close_ int ofd = open_log(ps, pl->id, "stdout"), efd = open_log(ps, pl->id, "stderr");
        if (ofd < 0 || efd < 0)
                return cg_error_set(err, ofd < 0 ? ofd : efd, "spawn_failed", NULL, "cannot create the log files");
        file_name(st->status, sizeof st->status, pl->id, "status");
        (void)unlinkat(ps->dir_fd, st->status, 0);
        spec->spawn.stdout_fd = ofd;
        spec->spawn.stderr_fd = efd;
        spec->spawn.status_dir_fd = ps->dir_fd;
        spec->spawn.status_name = st->status;
        spec->spawn.init_exe_fd = ps->init_exe_fd;
        if (!spec->spawn.log_max_bytes)
                spec->spawn.log_max_bytes = ps->log_max_bytes;
        /* What the daemon does not hold (a bounding set cut by whoever started it) no
         * process of its can get: PROCESS reports the set as it will be. */
        spec->spawn.caps &= ps->caps_held;
        if (spec->spawn.flags & SPAWN_SECCOMP) {
                r = seccomp_for(ps, spec->spawn.caps, &spec->spawn.seccomp_bpf, &spec->spawn.seccomp_len);
                if (r < 0)
                        return cg_error_set(err, r, "spawn_failed", NULL, "compiling the seccomp filter: %s",
                                            strerror(-r));
        }
        /* One subordinate range per process id, round the configured range. */
        spec->spawn.userns_base =
            ps->userns_first +
            (uint32_t)((uint64_t)pl->id % (ps->userns_count / SPAWN_USERNS_SIZE)) * SPAWN_USERNS_SIZE;
        /* A leaf of its own where its device policy holds, unless the group has device rules. */
        st->leaf = (CgLeaf){.devices = &st->devices};
        leaf_name(st->leaf.name, sizeof st->leaf.name, pl->id);
        if (cg_devices_for_process(&g.limits, &st->devices) > 0)
                pl->leaf = &st->leaf;
        st->security = render_security(&spec->spawn, spec->mounts_json, pl->leaf != NULL);
        if (!st->security)
                return -ENOMEM;

        int place_fds[_CG_CTRL_COUNT];
        bool outside = false;
        r = groups_placement_fds_locked(ps->groups, group, pl->leaf, place_fds, ELEMENTSOF(place_fds), &outside, err);
        if (r < 0)
                return r;
        spec->spawn.place_fds = place_fds;
        spec->spawn.n_place_fds = (size_t)r;
        if (outside) { /* placed from outside: the scope is named by the process's id */
                spec->spawn.place = place_outside;
                spec->spawn.place_data = pl;
        }
        r = spawn_begin(&spec->spawn, &st->pending, err);
        for (size_t i = 0; i < spec->spawn.n_place_fds; i++)
                close(place_fds[i]);
        spec->spawn.n_place_fds = 0;
        return r;
}

/* What a start that failed at any step leaves: nothing (the id stays reserved, since systemd
 * may still hold a failed start's scope for a moment). */
static void start_undo_locked(Processes *ps, const char *group, const Starting *st) {
        char name[64];
        if (st->pl.id <= 0) /* refused before it was named */
                return;
        file_name(name, sizeof name, st->pl.id, "stdout");
        (void)unlinkat(ps->dir_fd, name, 0);
        file_name(name, sizeof name, st->pl.id, "stderr");
        (void)unlinkat(ps->dir_fd, name, 0);
        if (st->pl.leaf)
                (void)groups_remove_leaf_locked(ps->groups, group, st->leaf.name);
}

/* The second half, under the lock again: the row, or the undo. */
static int start_end_locked(Processes *ps, const char *group, const ProcSpec *spec, const Starting *st,
                            const SpawnResult *res, StoreProcess *ret, CgError *err) {
        StoreProcess p = {
            .id = st->pl.id,
            .pid = res->pid,
            .ns_pid = res->ns_pid,
            .shim_pid = res->shim_pid,
            .shim_start = res->shim_start,
            .argv_json = spec->argv_json,
            .namespaces_json = spec->namespaces_json,
            .security_json = st->security,
            .started_usec = cg_now_usec(CLOCK_REALTIME),
            .exit_code = -1,
            .signal = -1,
        };
        snprintf(p.group, sizeof p.group, "%s", group);
        snprintf(p.hostname, sizeof p.hostname, "%s", spec->spawn.hostname ? spec->spawn.hostname : "");
        int r = store_process_insert(ps->groups->store, &p);
        if (r < 0) { /* the group went meanwhile, or the database failed */
                spawn_kill(res->shim_pid);
                start_undo_locked(ps, group, st);
                return cg_error_set(err, r, r == -ENOENT ? "not_found" : "store_error", NULL,
                                    r == -ENOENT ? "the group was deleted during the start"
                                                 : "the database refused the process");
        }
        acct_event(ps->groups->acct, "process_start", group, "{\"id\":%" PRId64 ",\"pid\":%d}", p.id, (int)p.pid);
        return store_process_get(ps->groups->store, p.id, ret);
}

/* The lock is held for the quick first half and the row only: the wait for the command's exec
 * (a rootfs on a slow filesystem, a group frozen meanwhile) stalls this start alone. */
int processes_start(Processes *ps, const char *group, ProcSpec *spec, StoreProcess *ret, CgError *err) {
        Starting st = {.pending = {.report_fd = -EBADF}};
        pthread_mutex_lock(&ps->groups->lock);
        int r = start_begin_locked(ps, group, spec, &st, err);
        if (r < 0)
                start_undo_locked(ps, group, &st);
        pthread_mutex_unlock(&ps->groups->lock);
        SpawnResult res;
        if (r >= 0)
                r = spawn_wait(&st.pending, &spec->spawn, &res, err);
        if (r >= 0 || st.pending.shim > 0) {
                LOCKED(ps);
                if (r < 0)
                        start_undo_locked(ps, group, &st);
                else
                        r = start_end_locked(ps, group, spec, &st, &res, ret, err);
        }
        free(st.security);
        return r;
}

static int get_locked(Processes *ps, const char *group, int64_t id, StoreProcess *ret, CgError *err) {
        int r = store_process_get(ps->groups->store, id, ret);
        if (r == 0)
                r = refresh(ps, ret);
        if (r == 0 && strcmp(ret->group, group) != 0) {
                store_process_clear(ret);
                r = -ENOENT;
        }
        if (r == -ENOENT)
                return cg_error_set(err, -ENOENT, "not_found", NULL, "no such process in this group");
        return r < 0 ? cg_error_set(err, r, "store_error", NULL, "reading the process failed") : 0;
}

int processes_list(Processes *ps, const char *group, StoreProcess **ret, size_t *ret_n, CgError *err) {
        StoreGroup g;
        LOCKED(ps);
        int r = store_group_get(ps->groups->store, group, &g);
        if (r == -ENOENT)
                return cg_error_set(err, -ENOENT, "not_found", NULL, "no such group");
        r = store_process_list(ps->groups->store, group, ret, ret_n);
        for (size_t i = 0; r >= 0 && i < *ret_n; i++)
                (void)refresh(ps, &(*ret)[i]);
        return r < 0 ? cg_error_set(err, r, "store_error", NULL, "listing processes failed") : 0;
}

int processes_get(Processes *ps, const char *group, int64_t id, StoreProcess *ret, CgError *err) {
        LOCKED(ps);
        return get_locked(ps, group, id, ret, err);
}

int processes_signal(Processes *ps, const char *group, int64_t id, int sig, StoreProcess *ret, CgError *err) {
        LOCKED(ps);
        int r = get_locked(ps, group, id, ret, err);
        if (r < 0)
                return r;
        if (ret->state != STORE_PROC_RUNNING || !shim_alive(ret->shim_pid, ret->shim_start)) {
                store_process_clear(ret);
                return cg_error_set(err, -EBUSY, "not_running", NULL, "the process has ended");
        }
        if (kill(ret->pid, sig) < 0) {
                r = -errno;
                store_process_clear(ret);
                return cg_error_set(err, r, "signal_failed", NULL, "kill: %s", strerror(-r));
        }
        if (sig == SIGKILL || sig == SIGTERM) { /* let a quick end show in the answer */
                for (int i = 0; i < 20 && shim_alive(ret->shim_pid, ret->shim_start); i++)
                        usleep(5000);
                store_process_clear(ret);
                return get_locked(ps, group, id, ret, err); /* refreshes it */
        }
        return 0;
}

/* Reads the last `cap` bytes of the regular file `name` into buf (which has room); returns
 * the count, 0 if there is no such file, or -errno. */
static ssize_t read_tail(Processes *ps, const char *name, char *buf, size_t cap) {
        struct stat st;
        _cleanup_close_ int fd = openat(ps->dir_fd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK);
        if (fd < 0)
                return errno == ENOENT ? 0 : -errno;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (!S_ISREG(st.st_mode))
                return -EBADMSG;
        size_t len = (size_t)st.st_size < cap ? (size_t)st.st_size : cap;
        ssize_t n = pread(fd, buf, len, st.st_size - (off_t)len);
        return n < 0 ? -errno : n;
}

int processes_log(Processes *ps, const char *group, int64_t id, bool stderr_, unsigned tail, char **ret,
                  size_t *ret_len, bool *ret_rotated, CgError *err) {
        StoreProcess p;
        char name[64], older[80];
        const size_t cap = 1024 * 1024;
        {
                LOCKED(ps);
                int r = get_locked(ps, group, id, &p, err);
                if (r < 0)
                        return r;
                store_process_clear(&p);
        }
        file_name(name, sizeof name, id, stderr_ ? "stderr" : "stdout");
        snprintf(older, sizeof older, "%s.1", name);
        char *buf = malloc(2 * cap + 1);
        if (!buf)
                return -ENOMEM;
        /* The rotated file (if any) first, then the current one: the newest 1 MiB of both. */
        ssize_t a = read_tail(ps, older, buf, cap), b = a < 0 ? a : read_tail(ps, name, buf + a, cap);
        if (a < 0 || b < 0) {
                free(buf);
                return cg_error_set(err, a < 0 ? (int)a : (int)b, "log_unreadable", NULL, "the log cannot be read");
        }
        size_t len = (size_t)(a + b);
        if (len > cap) {
                memmove(buf, buf + len - cap, cap);
                len = cap;
        }
        *ret_rotated = a > 0;
        size_t start = 0;
        if (tail > 0) { /* the last `tail` lines; a final newline ends a line, not starts one */
                unsigned lines = 0;
                for (size_t i = len; i > 0; i--)
                        if (buf[i - 1] == '\n' && i != len && ++lines == tail) {
                                start = i;
                                break;
                        }
        }
        memmove(buf, buf + start, len - start);
        *ret_len = len - start;
        buf[*ret_len] = '\0';
        *ret = buf;
        return 0;
}
