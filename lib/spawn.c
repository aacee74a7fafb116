#include "spawn.h"

#include <inttypes.h>
#include <sys/resource.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <grp.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cg-util.h"

static const struct {
        const char *name;
        SpawnNs ns;
        int flag;
} ns_table[] = {
    {"pid", SPAWN_NS_PID, CLONE_NEWPID}, {"mount", SPAWN_NS_MOUNT, CLONE_NEWNS}, {"uts", SPAWN_NS_UTS, CLONE_NEWUTS},
    {"ipc", SPAWN_NS_IPC, CLONE_NEWIPC}, {"net", SPAWN_NS_NET, CLONE_NEWNET},    {"user", SPAWN_NS_USER, CLONE_NEWUSER},
};

int spawn_ns_from_name(const char *name, SpawnNs *ret) {
        for (size_t i = 0; i < ELEMENTSOF(ns_table); i++)
                if (strcmp(name, ns_table[i].name) == 0) {
                        *ret = ns_table[i].ns;
                        return 0;
                }
        return -EINVAL;
}

const char *spawn_ns_name(SpawnNs ns) {
        for (size_t i = 0; i < ELEMENTSOF(ns_table); i++)
                if (ns_table[i].ns == ns)
                        return ns_table[i].name;
        return "?";
}

/* What the shim, the init and the command tell the daemon on the report pipe. */
enum { MSG_INIT_PID, MSG_NS_PID, MSG_NEED_MAPS, MSG_FAIL };
enum {
        STAGE_PLACE,
        STAGE_NAMESPACES,
        STAGE_FORK,
        STAGE_MOUNTS,
        STAGE_HOSTNAME,
        STAGE_ROOTFS,
        STAGE_PROC,
        STAGE_CWD,
        STAGE_IDS,
        STAGE_EXEC
};
static const char *const stage_names[] = {"entering the group",    "creating namespaces",  "forking",
                                          "making mounts private", "setting the hostname", "entering the rootfs",
                                          "mounting /proc",        "changing directory",   "changing user",
                                          "executing the command"};

typedef struct Msg {
        int32_t type, a, b;
} Msg;

static void say(int fd, int32_t type, int32_t a, int32_t b) {
        Msg m = {type, a, b};
        (void)!write(fd, &m, sizeof m);
}

static _Noreturn void fail(int rep, int stage) {
        say(rep, MSG_FAIL, stage, errno);
        _exit(127);
}

/* pivot_root(2) into rootfs with the old root detached: the usual "pivot_root(".", ".")". */
static int enter_rootfs(const char *rootfs) {
        if (mount(rootfs, rootfs, NULL, MS_BIND | MS_REC, NULL) < 0 || chdir(rootfs) < 0)
                return -errno;
        if (syscall(SYS_pivot_root, ".", ".") == 0)
                return umount2(".", MNT_DETACH) < 0 || chdir("/") < 0 ? -errno : 0;
        /* An initramfs root cannot be pivoted away from (EINVAL): move the new root over it
         * and chroot, as runc does with --no-pivot. */
        if (errno != EINVAL || mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 || chdir("/") < 0)
                return -errno;
        return 0;
}

/* The init: pid 1 of the new pid namespace. Reaps everything, forwards signals to the
 * command and, when the command ends, hands its wait status to the shim. */
static pid_t init_child;
static void forward(int sig) {
        if (init_child > 0)
                kill(init_child, sig);
}

/* The init is a fork of the daemon: without this, `ps` inside would show the daemon's
 * command line (its paths and flags) as pid 1. PR_SET_MM would need CAP_SYS_RESOURCE, so
 * overwrite the inherited argv area in place, found through /proc/self/stat (fields 48, 49). */
static void name_init(void) {
        static const char name[] = "cgwarden-init";
        char buf[1024];
        unsigned long start = 0, end = 0;
        prctl(PR_SET_NAME, name);
        int fd = open("/proc/self/stat", O_RDONLY | O_CLOEXEC);
        ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
        if (fd >= 0)
                close(fd);
        if (n <= 0)
                return;
        buf[n] = '\0';
        char *p = strrchr(buf, ')');
        for (int field = 2; p && field < 48; field++) /* p is at the space before field 3 */
                p = strchr(p + 1, ' ');
        if (!p || sscanf(p + 1, "%lu %lu", &start, &end) != 2 || end <= start + sizeof name)
                return;
        memset((void *)start, 0, end - start);
        memcpy((void *)start, name, sizeof name);
}

static _Noreturn void run_init(pid_t child, int status_fd) {
        static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
        name_init();
        init_child = child;
        for (size_t i = 0; i < ELEMENTSOF(sigs); i++)
                signal(sigs[i], forward);
        for (;;) {
                int st;
                pid_t p = waitpid(-1, &st, 0);
                if (p < 0 && errno == EINTR)
                        continue;
                if (p == child || p < 0) {
                        int32_t raw = p == child ? st : 0;
                        (void)!write(status_fd, &raw, sizeof raw);
                        _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
                }
        }
}

static _Noreturn void exec_command(const SpawnSpec *s, int rep) {
        extern char **environ;
        environ = (char **)s->env; /* execvp looks for PATH there */
        execvp(s->argv[0], s->argv);
        fail(rep, STAGE_EXEC);
}

/* Runs in the init (or in the command itself without a pid namespace). */
static _Noreturn void setup_and_run(const SpawnSpec *s, int rep, int status_fd, int null_fd) {
        if ((s->ns & SPAWN_NS_MOUNT) && mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                fail(rep, STAGE_MOUNTS);
        if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
                fail(rep, STAGE_HOSTNAME);
        if (s->rootfs && enter_rootfs(s->rootfs) < 0)
                fail(rep, STAGE_ROOTFS);
        if ((s->ns & SPAWN_NS_PID) && (s->ns & SPAWN_NS_MOUNT)) {
                (void)mkdir("/proc", 0555);
                if (mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
                        fail(rep, STAGE_PROC);
        }
        if (chdir(s->cwd ? s->cwd : "/") < 0)
                fail(rep, STAGE_CWD);
        if (setgroups(0, NULL) < 0 || setresgid(s->gid, s->gid, s->gid) < 0 || setresuid(s->uid, s->uid, s->uid) < 0)
                fail(rep, STAGE_IDS);
        if (dup2(null_fd, STDIN_FILENO) < 0 || dup2(s->stdout_fd, STDOUT_FILENO) < 0 ||
            dup2(s->stderr_fd, STDERR_FILENO) < 0)
                fail(rep, STAGE_IDS);
        if (!(s->ns & SPAWN_NS_PID)) {
                say(rep, MSG_NS_PID, getpid(), 0);
                exec_command(s, rep);
        }
        pid_t c = fork();
        if (c < 0)
                fail(rep, STAGE_FORK);
        if (c == 0) {
                close(status_fd);
                exec_command(s, rep);
        }
        say(rep, MSG_NS_PID, c, 0);
        close(rep);
        run_init(c, status_fd);
}

static int status_dir = -1;
static const char *status_name;

/* "exit N" or "signal N", then what the init and every process it reaped used (for the
 * ledger): CPU µs, the largest resident set in KiB, and blocks read and written. */
static void write_status(int st, const struct rusage *ru) {
        char tmp[4096], line[128];
        snprintf(tmp, sizeof tmp, "%s.tmp", status_name);
        uint64_t cpu = (uint64_t)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000000 +
                       (uint64_t)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec);
        int n = snprintf(line, sizeof line, "%s %d %" PRIu64 " %ld %ld %ld\n", WIFSIGNALED(st) ? "signal" : "exit",
                         WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), cpu, ru->ru_maxrss, ru->ru_inblock,
                         ru->ru_oublock);
        int fd = openat(status_dir, tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
                return;
        if (write(fd, line, (size_t)n) == n && fsync(fd) == 0)
                (void)renameat(status_dir, tmp, status_dir, status_name);
        close(fd);
}

/* The daemon's other fds (its listening sockets, the database) must not live on in a shim
 * that outlasts it: keep ours at 3.. and close the rest. */
static void keep_fds(int **fds, size_t n) {
        int tmp[8];
        for (size_t i = 0; i < n; i++)
                tmp[i] = fcntl(*fds[i], F_DUPFD_CLOEXEC, 1000);
        for (size_t i = 0; i < n; i++) {
                dup3(tmp[i], 3 + (int)i, O_CLOEXEC);
                *fds[i] = 3 + (int)i;
        }
        close_range(3 + (unsigned)n, ~0U, 0);
}

/* The shim: puts itself into the group, makes the namespaces, starts the init and waits
 * to record how the command ended. It stays in the host's pid namespace, so the daemon can
 * watch it, but shares the command's other namespaces. */
static _Noreturn void run_shim(const SpawnSpec *spec, int go, int rep) {
        char c;
        SpawnSpec copy = *spec, *s = &copy;
        /* The daemon blocks SIGTERM/SIGINT (for sigwait) and ignores SIGPIPE; a command must
         * start with neither, since exec keeps both the mask and ignored signals. */
        sigset_t none;
        sigemptyset(&none);
        sigprocmask(SIG_SETMASK, &none, NULL);
        for (int sig = 1; sig < NSIG; sig++)
                if (sig != SIGKILL && sig != SIGSTOP)
                        signal(sig, SIG_DFL);
        /* Held until the daemon has placed us from outside, if it does. */
        if (s->place && read(go, &c, 1) != 1)
                _exit(126);
        /* Into the group before anything else: one write of "0" per file, single-threaded. */
        for (size_t i = 0; i < s->n_place_fds; i++)
                if (write(s->place_fds[i], "0", 1) != 1)
                        fail(rep, STAGE_PLACE);
        s->n_place_fds = 0;
        /* The status goes through a directory fd: once the init pivots into a rootfs, every
         * process of the mount namespace, this shim included, has that root. */
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", s->status_path);
        char *slash = strrchr(dir, '/');
        if (!slash)
                fail(rep, STAGE_NAMESPACES);
        *slash = '\0';
        status_name = slash + 1 - dir + s->status_path;
        status_dir = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (status_dir < 0)
                fail(rep, STAGE_NAMESPACES);
        keep_fds((int *[]){&go, &rep, &s->stdout_fd, &s->stderr_fd, &status_dir}, 5);
        int flags = 0, st_pipe[2], null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        for (size_t i = 0; i < ELEMENTSOF(ns_table); i++)
                if (s->ns & ns_table[i].ns)
                        flags |= ns_table[i].flag;
        if (null_fd < 0 || pipe2(st_pipe, O_CLOEXEC) < 0 || unshare(flags) < 0)
                fail(rep, STAGE_NAMESPACES);
        if (s->ns & SPAWN_NS_USER) { /* the daemon writes our uid/gid maps, then lets us on */
                say(rep, MSG_NEED_MAPS, 0, 0);
                if (read(go, &c, 1) != 1)
                        _exit(126);
        }
        close(go);
        pid_t init = fork();
        if (init < 0)
                fail(rep, STAGE_FORK);
        if (init == 0) {
                close(st_pipe[0]);
                setup_and_run(s, rep, st_pipe[1], null_fd);
        }
        close(st_pipe[1]);
        say(rep, MSG_INIT_PID, init, 0);
        close(rep);
        setsid();
        signal(SIGTERM, SIG_IGN);
        signal(SIGINT, SIG_IGN);
        signal(SIGHUP, SIG_IGN);
        int st = 0;
        struct rusage ru = {0};
        while (wait4(init, &st, 0, &ru) < 0 && errno == EINTR)
                ;
        int32_t raw;
        if (read(st_pipe[0], &raw, sizeof raw) == sizeof raw) /* the command's own status */
                st = raw;
        write_status(st, &ru);
        _exit(0);
}

static int write_file(const char *path, const char *value) {
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return write(fd, value, strlen(value)) == (ssize_t)strlen(value) ? 0 : -errno;
}

static int user_maps(pid_t pid) {
        char path[64];
        /* Root inside is root outside: the namespace isolates, the group limits. */
        snprintf(path, sizeof path, "/proc/%d/uid_map", (int)pid);
        int r = write_file(path, "0 0 4294967295");
        snprintf(path, sizeof path, "/proc/%d/gid_map", (int)pid);
        return r < 0 ? r : write_file(path, "0 0 4294967295");
}

uint64_t spawn_start_time(pid_t pid) {
        char path[64], buf[1024];
        snprintf(path, sizeof path, "/proc/%d/stat", (int)pid);
        _cleanup_close_ int fd = open(path, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof buf - 1);
        if (n <= 0)
                return 0;
        buf[n] = '\0';
        char *p = strrchr(buf, ')'); /* comm may hold spaces and parentheses */
        unsigned long long v = 0;
        if (!p ||
            sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d %*d %*d %*d %*d %llu", &v) != 1)
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

static int abort_start(pid_t shim, int r) {
        kill(shim, SIGKILL);
        while (waitpid(shim, NULL, 0) < 0 && errno == EINTR)
                ;
        return r;
}

int spawn_start(const SpawnSpec *spec, SpawnResult *ret, CgError *err) {
        int go[2], rep[2];
        if (spec->n_place_fds == 0 && !spec->place) /* nothing may run outside its group */
                return cg_error_set(err, -EINVAL, "spawn_failed", NULL, "no placement for the process");
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
                run_shim(spec, go[0], rep[1]);
        }
        close(go[0]);
        close(rep[1]);
        _cleanup_close_ int gofd = go[1], repfd = rep[0];

        int r;
        SpawnResult res = {.shim_pid = shim};
        if (spec->place) {
                r = spec->place(spec->place_data, shim, err);
                if (r < 0)
                        return abort_start(shim, r);
                if (write(gofd, "p", 1) != 1)
                        return abort_start(shim,
                                           cg_error_set(err, -EIO, "spawn_failed", NULL, "releasing the shim: %m"));
        }
        pid_t init = 0;
        uint64_t deadline = cg_now_usec(CLOCK_MONOTONIC) + 10 * 1000000u;
        for (;;) { /* until EOF: the command's exec closed the last copy of the pipe */
                Msg m;
                struct pollfd p = {.fd = repfd, .events = POLLIN};
                uint64_t now = cg_now_usec(CLOCK_MONOTONIC);
                if (now >= deadline || poll(&p, 1, (int)((deadline - now) / 1000) + 1) == 0)
                        return abort_start(shim, cg_error_set(err, -ETIMEDOUT, "spawn_failed", NULL,
                                                              "the process did not start within 10 s"));
                ssize_t n = read(repfd, &m, sizeof m);
                if (n == 0)
                        break;
                if (n != sizeof m)
                        continue;
                if (m.type == MSG_FAIL) {
                        int e = m.b > 0 ? m.b : EIO;
                        const char *stage = m.a >= 0 && (size_t)m.a < ELEMENTSOF(stage_names) ? stage_names[m.a] : "?";
                        /* What the caller asked for could not be done (no such program, rootfs,
                         * directory or user): their mistake, so -EBADMSG; the errno stays in the text. */
                        bool callers = m.a == STAGE_EXEC || m.a == STAGE_ROOTFS || m.a == STAGE_CWD ||
                                       m.a == STAGE_IDS || m.a == STAGE_HOSTNAME;
                        return abort_start(shim, cg_error_set(err, callers ? -EBADMSG : -e,
                                                              m.a == STAGE_EXEC ? "exec_failed" : "spawn_failed",
                                                              m.a == STAGE_EXEC ? "/argv/0" : NULL, "%s: %s", stage,
                                                              strerror(e)));
                }
                if (m.type == MSG_NEED_MAPS) {
                        r = user_maps(shim);
                        if (r < 0 || write(gofd, "g", 1) != 1)
                                return abort_start(shim, cg_error_set(err, r < 0 ? r : -EIO, "spawn_failed", NULL,
                                                                      "writing the user namespace maps: %s",
                                                                      strerror(r < 0 ? -r : EIO)));
                } else if (m.type == MSG_INIT_PID)
                        init = m.a;
                else if (m.type == MSG_NS_PID)
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

int spawn_read_status(const char *path, bool *ret_exited, int *ret_code, SpawnUsage *ret_usage) {
        char buf[128], word[16];
        int code;
        SpawnUsage u = {0};
        long maxrss = 0, in = 0, out = 0;
        FILE *f = fopen(path, "re");
        if (!f)
                return -errno;
        bool ok = fgets(buf, sizeof buf, f) != NULL;
        fclose(f);
        int n = ok ? sscanf(buf, "%15s %d %" SCNu64 " %ld %ld %ld", word, &code, &u.cpu_usec, &maxrss, &in, &out) : 0;
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
