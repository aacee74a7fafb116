#include "spawn.h"

#include <errno.h>
#include <pthread.h>
#include <inttypes.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cg-util.h"
#include "spawn-wire.h"

static const struct {
        const char *name;
        SpawnNs ns;
        int flag;
} ns_table[] = {
    {"pid", SPAWN_NS_PID, CLONE_NEWPID},          {"mount", SPAWN_NS_MOUNT, CLONE_NEWNS},
    {"uts", SPAWN_NS_UTS, CLONE_NEWUTS},          {"ipc", SPAWN_NS_IPC, CLONE_NEWIPC},
    {"net", SPAWN_NS_NET, CLONE_NEWNET},          {"user", SPAWN_NS_USER, CLONE_NEWUSER},
    {"cgroup", SPAWN_NS_CGROUP, CLONE_NEWCGROUP},
};

int spawn_ns_from_name(const char *name, SpawnNs *ret) {
        for (size_t i = 0; i < ELEMENTSOF(ns_table); i++)
                if (strcmp(name, ns_table[i].name) == 0) {
                        *ret = ns_table[i].ns;
                        return 0;
                }
        return -EINVAL;
}

int spawn_ns_clone_flags(unsigned ns) {
        int flags = 0;
        for (size_t i = 0; i < ELEMENTSOF(ns_table); i++)
                if (ns & ns_table[i].ns)
                        flags |= ns_table[i].flag;
        return flags;
}

const char *spawn_ns_name(SpawnNs ns) {
        for (size_t i = 0; i < ELEMENTSOF(ns_table); i++)
                if (ns_table[i].ns == ns)
                        return ns_table[i].name;
        return "?";
}

static const char *const stage_names[_SPAWN_STAGE_COUNT] = {
    [SPAWN_STAGE_PLACE] = "entering the group",
    [SPAWN_STAGE_NAMESPACES] = "creating namespaces",
    [SPAWN_STAGE_FORK] = "forking",
    [SPAWN_STAGE_MOUNTS] = "making mounts private",
    [SPAWN_STAGE_HOSTNAME] = "setting the hostname",
    [SPAWN_STAGE_ROOTFS] = "entering the rootfs",
    [SPAWN_STAGE_PROC] = "mounting /proc",
    [SPAWN_STAGE_CWD] = "changing directory",
    [SPAWN_STAGE_IDS] = "changing user",
    [SPAWN_STAGE_EXEC] = "executing the command",
    [SPAWN_STAGE_INIT] = "starting cgwarden-init",
    [SPAWN_STAGE_USERNS] = "mapping the user namespace",
    [SPAWN_STAGE_DEV] = "making /dev",
    [SPAWN_STAGE_SYS] = "mounting /sys",
    [SPAWN_STAGE_CAPS] = "dropping capabilities",
    [SPAWN_STAGE_SECCOMP] = "loading the seccomp filter",
    [SPAWN_STAGE_VOLUMES] = "mounting the volumes",
};

static _Noreturn void fail(int rep, SpawnStage stage) {
        SpawnMsg m = {SPAWN_MSG_FAIL, stage, errno};
        (void)!write(rep, &m, sizeof m);
        _exit(127);
}

/* The spec as cgwarden-init reads it, in a memfd (no size limit, nothing on disk). Made
 * before the fork: the shim of a threaded daemon should not allocate. */
static int spec_memfd(const SpawnSpec *s) {
        _cleanup_free_ char *buf = NULL;
        size_t len;
        int r = spawn_wire_encode(s, &buf, &len);
        if (r < 0)
                return r;
        _cleanup_close_ int fd = memfd_create("cgwarden-spec", MFD_CLOEXEC);
        if (fd < 0)
                return -errno;
        if (write(fd, buf, len) != (ssize_t)len || lseek(fd, 0, SEEK_SET) != 0)
                return -EIO;
        return TAKE_FD(fd);
}

/* cgwarden-init finds its descriptors at SPAWN_FD_* and the binary itself just past them;
 * everything else of the daemon's (sockets, the database, the token file) is closed. */
static int arrange_fds(const int *fds, size_t n, int exe) {
        int tmp[_SPAWN_FD_END];
        for (size_t i = 0; i < n; i++)
                if ((tmp[i] = fcntl(fds[i], F_DUPFD_CLOEXEC, 100)) < 0)
                        return -errno;
        int hi = fcntl(exe, F_DUPFD_CLOEXEC, 100);
        if (hi < 0)
                return -errno;
        for (size_t i = 0; i < n; i++)
                if (dup2(tmp[i], SPAWN_FD_REPORT + (int)i) < 0) /* dup2: kept across the exec */
                        return -errno;
        if (dup3(hi, _SPAWN_FD_END, O_CLOEXEC) < 0)
                return -errno;
        return close_range(_SPAWN_FD_END + 1, ~0U, 0) < 0 ? -errno : _SPAWN_FD_END;
}

/* The shim, as forked from the daemon: it puts itself into the group (single-threaded, one
 * write of "0" per file, so nothing ever runs outside it), then execs cgwarden-init with
 * an empty environment, so no byte of the daemon's memory survives into it. */
static _Noreturn void run_shim(const SpawnSpec *s, int go, int rep, int spec) {
        char c;
        /* The daemon blocks SIGTERM/SIGINT (for sigwait) and ignores SIGPIPE; exec keeps both
         * the mask and ignored signals. */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        signal(sig, SIG_DFL);
        /* Held until the daemon has placed us from outside, if it does. */
        if (s->place && read(go, &c, 1) != 1)
                _exit(126);
        close(go);
        for (size_t i = 0; i < s->n_place_fds; i++)
                if (write(s->place_fds[i], "0", 1) != 1)
                        fail(rep, SPAWN_STAGE_PLACE);
        int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(null_fd, 1) < 0 || dup2(null_fd, 2) < 0)
                fail(rep, SPAWN_STAGE_INIT);
        int fds[] = {rep, spec, s->stdout_fd, s->stderr_fd, s->status_dir_fd};
        int exe = arrange_fds(fds, ELEMENTSOF(fds), s->init_exe_fd);
        if (exe < 0) {
                errno = -exe;
                fail(SPAWN_FD_REPORT, SPAWN_STAGE_INIT);
        }
        char *const argv[] = {(char *)"cgwarden-init", NULL}, *const envp[] = {NULL};
        syscall(SYS_execveat, exe, "", argv, envp, AT_EMPTY_PATH);
        fail(SPAWN_FD_REPORT, SPAWN_STAGE_INIT);
}

uint64_t spawn_start_time(pid_t pid) {
        char buf[1024];
        const char *f = cg_proc_stat(pid, buf, sizeof buf);
        unsigned long long v = 0;
        if (!f ||
            sscanf(f, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu", &v) != 1)
                return 0;
        return v;
}

/* The first child of pid: the command under its init. */
static pid_t first_child(pid_t pid) {
        char path[96], buf[64];
        snprintf(path, sizeof path, "/proc/%d/task/%d/children", (int)pid, (int)pid);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
        if (n <= 0)
                return 0;
        buf[n] = '\0';
        return (pid_t)atoi(buf);
}

/* Shims killed while frozen (a v1 freezer holds even SIGKILL until the group thaws): reaped
 * later by spawn_reap_orphans(), so that no start waits on a tenant's freeze. */
static pthread_mutex_t orphans_lock = PTHREAD_MUTEX_INITIALIZER;
static pid_t orphans[256];
static size_t n_orphans;

void spawn_reap_orphans(void) {
        pthread_mutex_lock(&orphans_lock);
        for (size_t i = 0; i < n_orphans;)
                if (waitpid(orphans[i], NULL, WNOHANG) != 0)
                        orphans[i] = orphans[--n_orphans];
                else
                        i++;
        pthread_mutex_unlock(&orphans_lock);
}

/* SIGKILL and reap, waiting at most SPAWN_REAP_USEC; a shim that does not go by then is left
 * to spawn_reap_orphans(). */
static int abort_start(pid_t shim, int r) {
        kill(shim, SIGKILL);
        uint64_t deadline = cg_now_usec(CLOCK_MONOTONIC) + SPAWN_REAP_USEC;
        useconds_t pause = 100;
        for (;;) {
                pid_t w = waitpid(shim, NULL, WNOHANG);
                if (w == shim || (w < 0 && errno != EINTR))
                        return r;
                if (cg_now_usec(CLOCK_MONOTONIC) >= deadline)
                        break;
                usleep(pause);
                pause = pause * 2 > 20000 ? 20000 : pause * 2;
        }
        pthread_mutex_lock(&orphans_lock);
        if (n_orphans < ELEMENTSOF(orphans))
                orphans[n_orphans++] = shim;
        pthread_mutex_unlock(&orphans_lock);
        return r;
}

void spawn_kill(pid_t shim) {
        (void)abort_start(shim, 0);
}

int spawn_begin(const SpawnSpec *spec, SpawnPending *ret, CgError *err) {
        int go[2], rep[2];
        if (spec->n_place_fds == 0 && !spec->place) /* nothing may run outside its group */
                return cg_error_set(err, -EINVAL, "spawn_failed", NULL, "no placement for the process");
        _cleanup_close_ int specfd = spec_memfd(spec);
        if (specfd < 0)
                return cg_error_set(err, specfd, "spawn_failed", NULL, "passing the spec: %s", strerror(-specfd));
        if (pipe2(go, O_CLOEXEC) < 0)
                return cg_error_set(err, -errno, "spawn_failed", NULL, "pipe: %m");
        if (pipe2(rep, O_CLOEXEC) < 0) {
                int r = -errno;
                close(go[0]);
                close(go[1]);
                return cg_error_set(err, r, "spawn_failed", NULL, "pipe: %s", strerror(-r));
        }
        pid_t shim = fork();
        if (shim < 0) {
                int r = -errno;
                close(go[0]), close(go[1]), close(rep[0]), close(rep[1]);
                return cg_error_set(err, r, "spawn_failed", NULL, "fork: %s", strerror(-r));
        }
        if (shim == 0) {
                close(go[1]);
                close(rep[0]);
                run_shim(spec, go[0], rep[1], specfd);
        }
        close(go[0]);
        close(rep[1]);
        _cleanup_close_ int gofd = go[1], repfd = rep[0];
        if (spec->place) {
                int r = spec->place(spec->place_data, shim, err);
                if (r < 0)
                        return abort_start(shim, r);
                if (write(gofd, "p", 1) != 1)
                        return abort_start(shim,
                                           cg_error_set(err, -EIO, "spawn_failed", NULL, "releasing the shim: %m"));
        }
        *ret = (SpawnPending){.shim = shim, .report_fd = TAKE_FD(repfd)};
        return 0;
}

int spawn_wait(SpawnPending *pending, const SpawnSpec *spec, SpawnResult *ret, CgError *err) {
        _cleanup_close_ int repfd = TAKE_FD(pending->report_fd);
        pid_t shim = pending->shim;
        SpawnResult res = {.shim_pid = shim};
        pid_t init = 0;
        uint64_t deadline = cg_now_usec(CLOCK_MONOTONIC) + SPAWN_START_TIMEOUT_USEC;
        for (;;) { /* until EOF: the command's exec closed the last copy of the pipe */
                SpawnMsg m;
                struct pollfd p = {.fd = repfd, .events = POLLIN};
                uint64_t now = cg_now_usec(CLOCK_MONOTONIC);
                if (now >= deadline || poll(&p, 1, (int)((deadline - now) / 1000) + 1) == 0)
                        return abort_start(shim, cg_error_set(err, -ETIMEDOUT, "spawn_failed", NULL,
                                                              "the process did not start within %u s",
                                                              SPAWN_START_TIMEOUT_USEC / 1000000u));
                ssize_t n = read(repfd, &m, sizeof m);
                if (n == 0)
                        break;
                if (n != sizeof m)
                        continue;
                if (m.type == SPAWN_MSG_FAIL) {
                        int e = m.b > 0 ? m.b : EIO;
                        const char *stage = m.a >= 0 && m.a < _SPAWN_STAGE_COUNT ? stage_names[m.a] : "?";
                        /* What the caller asked for could not be done (no such program, rootfs,
                         * directory or user): their mistake, so -EBADMSG; the errno stays in the text. */
                        bool callers = m.a == SPAWN_STAGE_EXEC || m.a == SPAWN_STAGE_ROOTFS || m.a == SPAWN_STAGE_CWD ||
                                       m.a == SPAWN_STAGE_IDS || m.a == SPAWN_STAGE_HOSTNAME;
                        /* The kernel refusing the group (v1: a cpuset without cpus) is a conflict
                         * with the group's state, not our failure. */
                        bool place = m.a == SPAWN_STAGE_PLACE && (e == ENOSPC || e == EBUSY || e == EOPNOTSUPP);
                        return abort_start(shim, cg_error_set(err,
                                                              callers ? -EBADMSG
                                                              : place ? -EBUSY
                                                                      : -e,
                                                              m.a == SPAWN_STAGE_EXEC ? "exec_failed" : "spawn_failed",
                                                              m.a == SPAWN_STAGE_EXEC  ? "/argv/0"
                                                              : m.a == SPAWN_STAGE_CWD ? "/cwd"
                                                                                       : NULL,
                                                              "%s: %s", stage, strerror(e)));
                }
                if (m.type == SPAWN_MSG_INIT_PID)
                        init = m.a;
                else if (m.type == SPAWN_MSG_NS_PID)
                        res.ns_pid = m.a;
        }
        if (init <= 0)
                return abort_start(shim, cg_error_set(err, -EIO, "spawn_failed", NULL, "the shim ended early"));
        res.pid = (spec->ns & SPAWN_NS_PID) ? first_child(init) : init;
        if (res.pid <= 0)
                res.pid = init; /* already gone: its end is in the status file */
        res.shim_start = spawn_start_time(shim);
        *ret = res;
        return 0;
}

int spawn_start(const SpawnSpec *spec, SpawnResult *ret, CgError *err) {
        SpawnPending p;
        int r = spawn_begin(spec, &p, err);
        return r < 0 ? r : spawn_wait(&p, spec, ret, err);
}

int spawn_read_status(int dir_fd, const char *name, bool *ret_exited, int *ret_code, SpawnUsage *ret_usage) {
        char buf[128], word[16];
        int code;
        SpawnUsage u = {0};
        long maxrss = 0, in = 0, out = 0;
        struct stat st;
        _cleanup_close_ int fd = openat(dir_fd, name, O_RDONLY | O_NONBLOCK | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return errno == ELOOP ? -EBADMSG : -errno;
        if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode))
                return -EBADMSG;
        ssize_t len = read(fd, buf, sizeof buf - 1);
        if (len <= 0)
                return -EBADMSG;
        buf[len] = '\0';
        int n = sscanf(buf, "%15s %d %" SCNu64 " %ld %ld %ld", word, &code, &u.cpu_usec, &maxrss, &in, &out);
        if (n < 2)
                return -EBADMSG;
        u.known = n == 6;
        u.maxrss_bytes = (uint64_t)(maxrss > 0 ? maxrss : 0) * 1024;
        u.read_bytes = (uint64_t)(in > 0 ? in : 0) * 512; /* ru_inblock counts 512-byte blocks */
        u.write_bytes = (uint64_t)(out > 0 ? out : 0) * 512;
        *ret_exited = strcmp(word, "exit") == 0;
        *ret_code = code;
        if (ret_usage)
                *ret_usage = u;
        return 0;
}
