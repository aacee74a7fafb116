/* cgwarden-init: the first image of every process cgwarden starts. The daemon's shim execs
 * it with its descriptors at SPAWN_FD_* (spawn.h) and an empty environment, so no byte of
 * the daemon (its memory, token, database, sockets) reaches a container. It runs twice:
 *   shim: stays in the host's namespaces, in the group; clones the init into the new
 *         namespaces, maps its user namespace, waits for it and writes how it ended;
 *   init: pid 1 of the new pid namespace; builds the mounts (mounts.c), forks the command,
 *         then reaps orphans and forwards signals.
 * The command is confined just before its exec: ids, capabilities, no_new_privs, seccomp
 * (confine.h). Shim and init are not dumpable, so nothing inside can ptrace them or open
 * their /proc/PID/{mem,environ,fd}. */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <stdbool.h>
#include <inttypes.h>
#include <linux/openat2.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cg-util.h"
#include "confine.h"
#include "logs.h"
#include "mounts.h"
#include "spawn-wire.h"

static void say(int32_t type, int32_t a, int32_t b) {
        SpawnMsg m = {type, a, b};
        (void)!write(SPAWN_FD_REPORT, &m, sizeof m);
}

static _Noreturn void fail_errno(SpawnStage stage, int e) {
        say(SPAWN_MSG_FAIL, stage, e);
        _exit(127);
}

static _Noreturn void fail(SpawnStage stage) {
        fail_errno(stage, errno);
}

#define TRY(stage, r)                             \
        do {                                      \
                int _r = (r);                     \
                if (_r < 0)                       \
                        fail_errno((stage), -_r); \
        } while (0)

/* ---- the command ---- */

/* cwd resolved inside the root: "..", absolute symlinks and magic links (/proc/self/cwd,
 * /proc/1/root) cannot lead out of it, whatever the image holds. */
static int enter_cwd(const char *cwd) {
        struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                               .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
        _cleanup_close_ int root = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                return -errno;
        _cleanup_close_ int fd = (int)syscall(SYS_openat2, root, cwd ? cwd : "/", &how, sizeof how);
        if (fd < 0)
                return -errno;
        return fchdir(fd) < 0 ? -errno : 0;
}

/* The command's own process (or the init's, without a pid namespace): stdio, ids, then the
 * walls, last the exec. Only the report pipe (close-on-exec) is left open past stdio. */
static _Noreturn void run_command(const SpawnSpec *s, int null_fd) {
        extern char **environ;
        if (dup2(null_fd, STDIN_FILENO) < 0 || dup2(SPAWN_FD_STDOUT, STDOUT_FILENO) < 0 ||
            dup2(SPAWN_FD_STDERR, STDERR_FILENO) < 0)
                fail(SPAWN_STAGE_IDS);
        if (close_range(SPAWN_FD_REPORT + 1, ~0U, 0) < 0)
                fail(SPAWN_STAGE_IDS);
        TRY(SPAWN_STAGE_CAPS, confine_bounding(s->caps));
        /* Without no_new_privs, loading the filter takes CAP_SYS_ADMIN: load it while we still
         * hold it, as runc does; the filter allows the set*id, capset and exec that follow. */
        bool nnp = s->flags & SPAWN_NO_NEW_PRIVS;
        if ((s->flags & SPAWN_SECCOMP) && !nnp)
                TRY(SPAWN_STAGE_SECCOMP, confine_seccomp(s->seccomp_bpf, s->seccomp_len));
        if (setgroups(0, NULL) < 0 || setresgid(s->gid, s->gid, s->gid) < 0 || setresuid(s->uid, s->uid, s->uid) < 0)
                fail(SPAWN_STAGE_IDS);
        TRY(SPAWN_STAGE_CAPS, confine_caps(s->caps));
        if (nnp && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                fail(SPAWN_STAGE_CAPS);
        /* Else last before the exec: the filter then only has to allow the exec itself. */
        if ((s->flags & SPAWN_SECCOMP) && nnp)
                TRY(SPAWN_STAGE_SECCOMP, confine_seccomp(s->seccomp_bpf, s->seccomp_len));
        environ = (char **)s->env; /* execvp looks for PATH there */
        execvp(s->argv[0], s->argv);
        fail(SPAWN_STAGE_EXEC);
}

/* ---- the init ---- */

static pid_t init_child;
static void forward(int sig) {
        if (init_child > 0)
                kill(init_child, sig);
}

/* Reaps everything, forwards signals to the command and, when the command ends, hands its
 * wait status to the shim. */
static _Noreturn void run_init(pid_t child, int status_fd) {
        static const int sigs[] = {SIGTERM, SIGINT, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
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

static void become_root_in_userns(void) {
        if (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0)
                fail(SPAWN_STAGE_USERNS);
        prctl(PR_SET_DUMPABLE, 0, 0, 0, 0); /* a change of ids resets it */
}

static _Noreturn void setup_and_run(const SpawnSpec *s, int sync_fd, int status_fd, int null_fd) {
        SpawnStage stage = SPAWN_STAGE_MOUNTS;
        char c;
        MountsHost host;
        if ((s->ns & SPAWN_NS_USER) && read(sync_fd, &c, 1) != 1) /* the shim writes our maps first */
                _exit(126);
        close(sync_fd);
        /* What needs the host's view comes first, with the host's ids: in a user namespace
         * those are still the host's root's until become_root_in_userns(). */
        if (s->ns & SPAWN_NS_MOUNT) {
                if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                        fail(SPAWN_STAGE_MOUNTS);
                TRY(stage, mounts_host(s, &host, &stage));
                if (s->rootfs)
                        TRY(stage, mounts_bind_rootfs(s, &host, &stage));
        }
        if (s->ns & SPAWN_NS_USER)
                become_root_in_userns();
        if (s->ns & SPAWN_NS_MOUNT) {
                if (s->rootfs)
                        TRY(stage, mounts_enter_rootfs(s, &host, &stage));
                else
                        TRY(stage, mounts_protect_host(&host, &stage));
        }
        if (s->hostname && sethostname(s->hostname, strlen(s->hostname)) < 0)
                fail(SPAWN_STAGE_HOSTNAME);
        if (s->ns & SPAWN_NS_MOUNT)
                TRY(stage, mounts_finish(s, &host, &stage));
        /* Nothing but the report and status pipes, stdio and /dev/null stays open: no
         * descriptor of the host (the status directory, the mount clones) reaches inside. */
        int keep[] = {fcntl(null_fd, F_DUPFD_CLOEXEC, 100), fcntl(status_fd, F_DUPFD_CLOEXEC, 100)};
        close(null_fd);
        close(status_fd);
        for (size_t i = 0; i < ELEMENTSOF(keep); i++)
                if (keep[i] < 0 || dup3(keep[i], _SPAWN_FD_END + (int)i, O_CLOEXEC) < 0)
                        fail(SPAWN_STAGE_INIT);
        null_fd = _SPAWN_FD_END;
        status_fd = _SPAWN_FD_END + 1;
        /* Below the first of ours only stdio, the report pipe and the logs are left. */
        if (close_range(SPAWN_FD_SPEC, SPAWN_FD_SPEC, 0) < 0 ||
            close_range(SPAWN_FD_STATUS_DIR, _SPAWN_FD_END - 1, 0) < 0 || close_range(_SPAWN_FD_END + 2, ~0U, 0) < 0)
                fail(SPAWN_STAGE_INIT);
        TRY(SPAWN_STAGE_CWD, enter_cwd(s->cwd));
        if (!(s->ns & SPAWN_NS_PID)) {
                say(SPAWN_MSG_NS_PID, getpid(), 0);
                run_command(s, null_fd);
        }
        pid_t cmd = fork();
        if (cmd < 0)
                fail(SPAWN_STAGE_FORK);
        if (cmd == 0)
                run_command(s, null_fd);
        say(SPAWN_MSG_NS_PID, cmd, 0);
        /* The init keeps no file of the host's: stdio becomes /dev/null, the logs are the
         * command's alone. It keeps root's rights within the command's capability set. */
        if (dup2(null_fd, 0) < 0 || dup2(null_fd, 1) < 0 || dup2(null_fd, 2) < 0)
                _exit(125);
        close(SPAWN_FD_STDOUT);
        close(SPAWN_FD_STDERR);
        close(SPAWN_FD_REPORT);
        close(null_fd);
        if (confine_bounding(s->caps) < 0 || confine_caps(s->caps) < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                _exit(125);
        run_init(cmd, status_fd);
}

/* ---- the shim ---- */

static int write_map(pid_t pid, const char *file, uint32_t base) {
        char path[64], map[64];
        snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, file);
        int n = snprintf(map, sizeof map, "0 %" PRIu32 " %u\n", base, SPAWN_USERNS_SIZE);
        _cleanup_close_ int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        return write(fd, map, (size_t)n) == n ? 0 : -errno;
}

/* "exit N" or "signal N", then what the init and every process it reaped used (for the
 * ledger): CPU µs, the largest resident set in KiB, and blocks read and written. Written
 * under a fresh name (O_EXCL: a planted symlink or FIFO is refused, not followed) and
 * renamed over the final one. */
static void write_status(const char *name, int st, const struct rusage *ru) {
        char tmp[4096], line[128];
        snprintf(tmp, sizeof tmp, "%s.tmp", name);
        uint64_t cpu = (uint64_t)(ru->ru_utime.tv_sec + ru->ru_stime.tv_sec) * 1000000 +
                       (uint64_t)(ru->ru_utime.tv_usec + ru->ru_stime.tv_usec);
        int n = snprintf(line, sizeof line, "%s %d %" PRIu64 " %ld %ld %ld\n", WIFSIGNALED(st) ? "signal" : "exit",
                         WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st), cpu, ru->ru_maxrss, ru->ru_inblock,
                         ru->ru_oublock);
        (void)unlinkat(SPAWN_FD_STATUS_DIR, tmp, 0);
        int fd =
            openat(SPAWN_FD_STATUS_DIR, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
        if (fd < 0)
                return;
        if (write(fd, line, (size_t)n) == n && fsync(fd) == 0)
                (void)renameat(SPAWN_FD_STATUS_DIR, tmp, SPAWN_FD_STATUS_DIR, name);
        close(fd);
}

static _Noreturn void run_shim(const SpawnSpec *s) {
        int sync[2], st_pipe[2], out[2], err[2];
        int null_fd = open("/dev/null", O_RDWR | O_CLOEXEC);
        if (null_fd < 0 || pipe2(st_pipe, O_CLOEXEC) < 0 || pipe2(sync, O_CLOEXEC) < 0 || pipe2(out, O_CLOEXEC) < 0 ||
            pipe2(err, O_CLOEXEC) < 0)
                fail(SPAWN_STAGE_NAMESPACES);
        /* clone(2) like fork, straight into the namespaces: the shim itself stays in the
         * host's, where nothing inside can reach it. */
        pid_t init = (pid_t)syscall(SYS_clone, spawn_ns_clone_flags(s->ns) | SIGCHLD, NULL, NULL, NULL, NULL);
        if (init < 0)
                fail(SPAWN_STAGE_NAMESPACES);
        if (init == 0) {
                /* The command writes into pipes; the shim, not the command, owns the files. */
                if (dup2(out[1], SPAWN_FD_STDOUT) < 0 || dup2(err[1], SPAWN_FD_STDERR) < 0)
                        fail(SPAWN_STAGE_INIT);
                close(out[0]), close(out[1]), close(err[0]), close(err[1]);
                close(sync[1]);
                close(st_pipe[0]);
                setup_and_run(s, sync[0], st_pipe[1], null_fd);
        }
        close(sync[0]);
        close(st_pipe[1]);
        close(out[1]);
        close(err[1]);
        int pidfd = (int)syscall(SYS_pidfd_open, init, 0);
        if (pidfd < 0) {
                kill(init, SIGKILL);
                fail(SPAWN_STAGE_INIT);
        }
        if (s->ns & SPAWN_NS_USER) {
                int r = write_map(init, "uid_map", s->userns_base);
                if (r >= 0)
                        r = write_map(init, "gid_map", s->userns_base);
                if (r < 0) {
                        kill(init, SIGKILL);
                        fail_errno(SPAWN_STAGE_USERNS, -r);
                }
                if (write(sync[1], "m", 1) != 1)
                        fail(SPAWN_STAGE_USERNS);
        }
        close(sync[1]);
        say(SPAWN_MSG_INIT_PID, init, 0);
        close(SPAWN_FD_REPORT);
        setsid();
        signal(SIGTERM, SIG_IGN);
        signal(SIGINT, SIG_IGN);
        signal(SIGHUP, SIG_IGN);
        signal(SIGPIPE, SIG_IGN);
        char names[2][256];
        size_t base = strlen(s->status_name) - (strlen(s->status_name) > 7 ? 7 : 0); /* less ".status" */
        snprintf(names[0], sizeof names[0], "%.*s.stdout", (int)base, s->status_name);
        snprintf(names[1], sizeof names[1], "%.*s.stderr", (int)base, s->status_name);
        LogStream logs[] = {{out[0], SPAWN_FD_STDOUT, 0, names[0]}, {err[0], SPAWN_FD_STDERR, 0, names[1]}};
        (void)logs_relay(logs, ELEMENTSOF(logs), pidfd, s->log_max_bytes, SPAWN_FD_STATUS_DIR);
        int st = 0;
        struct rusage ru = {0};
        while (wait4(init, &st, 0, &ru) < 0 && errno == EINTR)
                ;
        int32_t raw;
        if (read(st_pipe[0], &raw, sizeof raw) == sizeof raw) /* the command's own status */
                st = raw;
        write_status(s->status_name, st, &ru);
        _exit(0);
}

static int read_spec(SpawnWire *ret) {
        struct stat st;
        if (fstat(SPAWN_FD_SPEC, &st) < 0)
                return -errno;
        if (st.st_size <= 0 || st.st_size > 64 * 1024 * 1024)
                return -EBADMSG;
        _cleanup_free_ char *buf = malloc((size_t)st.st_size);
        if (!buf)
                return -ENOMEM;
        if (pread(SPAWN_FD_SPEC, buf, (size_t)st.st_size, 0) != st.st_size)
                return -EIO;
        return spawn_wire_decode(buf, (size_t)st.st_size, ret);
}

int main(int argc, char **argv) {
        SpawnWire w;
        (void)argc;
        (void)argv;
        /* First of all: nothing of ours may be read or traced from inside. */
        if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) < 0)
                fail(SPAWN_STAGE_INIT);
        if (fcntl(SPAWN_FD_REPORT, F_SETFD, FD_CLOEXEC) < 0)
                _exit(127); /* not started by cgwardend: nobody to tell */
        for (int fd = SPAWN_FD_SPEC; fd < _SPAWN_FD_END; fd++)
                if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0)
                        fail(SPAWN_STAGE_INIT);
        TRY(SPAWN_STAGE_INIT, read_spec(&w));
        close(SPAWN_FD_SPEC);
        run_shim(&w.spec);
}
