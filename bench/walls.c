#include "walls.h"

#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "confine.h"
#include "mounts.h"
#include "caps.h"
#include "cg-util.h"
#include "seccomp-profile.h"

static void write_file(const char *path, const char *value) {
        int fd = open(path, O_WRONLY | O_CLOEXEC);
        if (fd < 0 || write(fd, value, strlen(value)) != (ssize_t)strlen(value))
                _exit(2);
        close(fd);
}

/* Compiled once, as the daemon does (lib/seccomp-profile.c); only the load is per start. */
static void *seccomp_bpf;
static size_t seccomp_len;

static _Noreturn void command(unsigned walls) {
        if (walls & WALL_CAPS) {
                if (confine_bounding(caps_default) < 0 || confine_caps(caps_default) < 0 ||
                    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
                        _exit(3);
        }
        if ((walls & WALL_SECCOMP) && confine_seccomp(seccomp_bpf, seccomp_len) < 0)
                _exit(4);
        execl("/bin/true", "true", (char *)NULL);
        _exit(127);
}

/* pid 1 of the new namespaces: the mounts, then the command as its child. */
static _Noreturn void init(const SpawnSpec *s, unsigned walls, int sync, int ready) {
        SpawnStage stage;
        MountsHost host;
        char c;
        /* In the order cgwarden-init keeps: the host's side with the host's ids, then root
         * in the user namespace. */
        if ((walls & WALL_USERNS) && read(sync, &c, 1) != 1)
                _exit(5);
        if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0)
                _exit(6);
        if ((walls & (WALL_MOUNTS | WALL_ROOTFS)) && mounts_host(s, &host, &stage) < 0)
                _exit(7);
        if (s->rootfs && mounts_bind_rootfs(s, &host, &stage) < 0)
                _exit(7);
        if ((walls & WALL_USERNS) && (setresgid(0, 0, 0) < 0 || setresuid(0, 0, 0) < 0))
                _exit(5);
        if (s->rootfs) {
                if (mounts_enter_rootfs(s, &host, &stage) < 0 || mounts_finish(s, &host, &stage) < 0)
                        _exit(7);
        } else if ((walls & WALL_MOUNTS) &&
                   (mounts_protect_host(&host, &stage) < 0 || mounts_finish(s, &host, &stage) < 0))
                _exit(8);
        pid_t p = fork();
        if (p == 0)
                command(walls);
        close(ready); /* the command's exec closes the last copy: the clock stops there */
        int st;
        waitpid(p, &st, 0);
        _exit(0);
}

uint64_t walls_floor_start(char (*tasks)[4096], size_t ntasks, const char *rootfs, unsigned walls) {
        int ready[2], sync[2];
        SpawnSpec s = {.rootfs = (walls & WALL_ROOTFS) ? rootfs : NULL,
                       .ns = SPAWN_NS_PID | SPAWN_NS_MOUNT | SPAWN_NS_UTS | SPAWN_NS_IPC | SPAWN_NS_NET |
                             ((walls & WALL_CGROUPNS) ? SPAWN_NS_CGROUP : 0) |
                             ((walls & WALL_USERNS) ? SPAWN_NS_USER : 0),
                       .caps = caps_default};
        if (!seccomp_bpf && seccomp_profile_bpf(caps_default, &seccomp_bpf, &seccomp_len) < 0)
                return 0;
        if (pipe2(ready, O_CLOEXEC) < 0 || pipe2(sync, O_CLOEXEC) < 0)
                return 0;
        uint64_t t0 = cg_now_usec(CLOCK_MONOTONIC);
        pid_t shim = fork();
        if (shim == 0) {
                close(ready[0]);
                for (size_t i = 0; i < ntasks; i++)
                        write_file(tasks[i], "0");
                pid_t p = (pid_t)syscall(SYS_clone, spawn_ns_clone_flags(s.ns) | SIGCHLD, NULL, NULL, NULL, NULL);
                if (p == 0)
                        init(&s, walls, sync[0], ready[1]);
                if (walls & WALL_USERNS) {
                        char path[64];
                        snprintf(path, sizeof path, "/proc/%d/uid_map", (int)p);
                        write_file(path, "0 2147483648 65536\n");
                        snprintf(path, sizeof path, "/proc/%d/gid_map", (int)p);
                        write_file(path, "0 2147483648 65536\n");
                        if (write(sync[1], "m", 1) != 1)
                                _exit(9);
                }
                close(ready[1]);
                int st;
                waitpid(p, &st, 0);
                _exit(WIFEXITED(st) ? WEXITSTATUS(st) : 10);
        }
        close(ready[1]);
        close(sync[0]);
        close(sync[1]);
        char c;
        while (read(ready[0], &c, 1) > 0) /* EOF: the exec closed the last copy */
                ;
        uint64_t t = cg_now_usec(CLOCK_MONOTONIC) - t0;
        close(ready[0]);
        int st;
        waitpid(shim, &st, 0);
        return WIFEXITED(st) && WEXITSTATUS(st) == 0 ? t : 0;
}
