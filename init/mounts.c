#include "mounts.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cg-util.h"

static const char *const dev_nodes[] = {"null", "zero", "full", "random", "urandom", "tty"};

/* moby oci/defaults.go: paths a container must not read, and paths it must not write. */
static const char *const masked[] = {"/proc/asound",     "/proc/acpi",        "/proc/interrupts",
                                     "/proc/kcore",      "/proc/keys",        "/proc/latency_stats",
                                     "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug",
                                     "/proc/scsi",       "/sys/firmware",     "/sys/devices/virtual/powercap"};
static const char *const readonly[] = {"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"};

#define RO_FLAGS (MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC)

static int setattr(const char *path, unsigned flags, uint64_t set) {
        struct mount_attr a = {.attr_set = set};
        return mount_setattr(AT_FDCWD, path, flags, &a, sizeof a) < 0 ? -errno : 0;
}

static int step(SpawnStage *ret_stage, SpawnStage stage, int r) {
        if (r < 0)
                *ret_stage = stage;
        return r;
}
#define CHECK(stage, expr)                                   \
        do {                                                 \
                int _r = (expr) < 0 ? -errno : 0;            \
                if (_r < 0)                                  \
                        return step(ret_stage, (stage), _r); \
        } while (0)

/* The v1 hierarchies with controllers, from mountinfo's super options ("rw,cpu,cpuacct"). */
static int read_v1(MountsHost *h) {
        FILE *f = fopen("/proc/self/mountinfo", "re");
        if (!f)
                return -errno;
        char line[1024];
        while (h->n_v1 < ELEMENTSOF(h->v1) && fgets(line, sizeof line, f)) {
                char mnt[512], type[32], opts[256];
                const char *sep = strstr(line, " - ");
                if (!sep || sscanf(line, "%*s %*s %*s %*s %511s", mnt) != 1 ||
                    sscanf(sep + 3, "%31s %*s %255s", type, opts) != 2 || strcmp(type, "cgroup") != 0 ||
                    strncmp(mnt, "/sys/fs/cgroup/", 15) != 0 || strchr(mnt + 15, '/') ||
                    strlen(mnt + 15) >= sizeof h->v1_dir[0])
                        continue;
                char out[64] = "";
                for (char *save, *tok = strtok_r(opts, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
                        if (strcmp(tok, "rw") != 0 && strcmp(tok, "ro") != 0 &&
                            strncmp(tok, "release_agent=", 14) != 0 && strncmp(tok, "name=", 5) != 0 &&
                            strlen(out) + strlen(tok) + 2 < sizeof out)
                                snprintf(out + strlen(out), sizeof out - strlen(out), "%s%s", out[0] ? "," : "", tok);
                if (!out[0] || strcmp(out, "xattr") == 0) /* a named hierarchy (name=systemd): no controller */
                        continue;
                bool seen = false; /* a mount point mounted over (as systemd does in a sandbox) */
                for (size_t i = 0; i < h->n_v1; i++)
                        seen = seen || strcmp(h->v1_dir[i], mnt + 15) == 0;
                if (seen)
                        continue;
                snprintf(h->v1[h->n_v1], sizeof h->v1[0], "%s", out);
                memcpy(h->v1_dir[h->n_v1++], mnt + 15, strlen(mnt + 15) + 1);
        }
        fclose(f);
        return 0;
}

/* A new proc or sysfs, made while the host's own are still in this mount namespace: a user
 * namespace may mount them only where the same filesystem is already fully visible
 * (mount_too_revealing()), which after the pivot it no longer is. Moved in place later. */
static int new_mount(const char *fstype, unsigned attrs) {
        _cleanup_close_ int fs = fsopen(fstype, FSOPEN_CLOEXEC);
        if (fs < 0 || fsconfig(fs, FSCONFIG_CMD_CREATE, NULL, NULL, 0) < 0)
                return -errno;
        int m = fsmount(fs, FSMOUNT_CLOEXEC, attrs);
        return m < 0 ? -errno : m;
}

int mounts_host(const SpawnSpec *s, MountsHost *h, SpawnStage *ret_stage) {
        struct statfs fs;
        *h = (MountsHost){.sys = -1, .proc = -1};
        for (size_t i = 0; i < ELEMENTSOF(h->vol); i++)
                h->vol[i] = -1;
        for (size_t i = 0; i < ELEMENTSOF(h->dev); i++)
                h->dev[i] = -1;
        if (s->rootfs && (s->ns & SPAWN_NS_CGROUP)) {
                CHECK(SPAWN_STAGE_SYS, statfs("/sys/fs/cgroup", &fs));
                h->v2 = fs.f_type == CGROUP2_SUPER_MAGIC;
                if (!h->v2)
                        CHECK(SPAWN_STAGE_SYS, read_v1(h));
        }
        for (size_t i = 0; i < ELEMENTSOF(dev_nodes); i++) {
                char path[32];
                snprintf(path, sizeof path, "/dev/%s", dev_nodes[i]);
                h->dev[i] = open_tree(AT_FDCWD, path, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC);
                if (h->dev[i] < 0 && errno != ENOENT && errno != ENXIO)
                        return step(ret_stage, SPAWN_STAGE_DEV, -errno);
        }
        if (s->ns & SPAWN_NS_PID)
                CHECK(SPAWN_STAGE_PROC,
                      h->proc = new_mount("proc", MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC));
        if (!s->rootfs) /* the host's /sys stays, read-only: mounts_protect_host() */
                return 0;
        /* sysfs can be mounted only by the owner of the net namespace: in a user namespace
         * that shares the host's, bind the host's /sys instead (runc does the same). */
        if ((s->ns & SPAWN_NS_USER) && !(s->ns & SPAWN_NS_NET)) {
                h->sys = open_tree(AT_FDCWD, "/sys", OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
                h->sys_is_host = true;
        } else
                h->sys =
                    new_mount("sysfs", MOUNT_ATTR_RDONLY | MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV | MOUNT_ATTR_NOEXEC);
        CHECK(SPAWN_STAGE_SYS, h->sys);
        for (size_t i = 0; i < s->n_mounts; i++) {
                struct mount_attr a = {.attr_set = MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV |
                                                   (s->mounts[i].readonly ? MOUNT_ATTR_RDONLY : 0)};
                h->vol[i] =
                    open_tree(AT_FDCWD, s->mounts[i].source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
                CHECK(SPAWN_STAGE_VOLUMES, h->vol[i]);
                CHECK(SPAWN_STAGE_VOLUMES, mount_setattr(h->vol[i], "", AT_EMPTY_PATH | AT_RECURSIVE, &a, sizeof a));
        }
        return 0;
}

/* Makes `path` (a directory, or with its last component a file) inside the root at dir fd
 * `root`: each component is resolved with RESOLVE_IN_ROOT, so neither "..", a symlink nor a
 * magic link in the image can make us create anything outside it. */
static int make_in_root(int root, const char *path, bool file) {
        char buf[4096];
        struct open_how how = {.flags = O_PATH | O_DIRECTORY | O_CLOEXEC,
                               .resolve = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS};
        if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
                return -ENAMETOOLONG;
        for (char *p = buf + 1;; p++) {
                if (*p != '/' && *p != '\0')
                        continue;
                bool last = *p == '\0';
                *p = '\0';
                _cleanup_close_ int fd = (int)syscall(SYS_openat2, root, buf, &how, sizeof how);
                if (fd < 0 && errno == ENOENT) {
                        char *slash = strrchr(buf, '/');
                        *slash = '\0';
                        _cleanup_close_ int parent =
                            (int)syscall(SYS_openat2, root, buf[0] ? buf : "/", &how, sizeof how);
                        *slash = '/';
                        if (parent < 0)
                                return -errno;
                        if (last && file) {
                                int f = openat(parent, slash + 1, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                                               0644);
                                if (f < 0)
                                        return -errno;
                                close(f);
                                return 0;
                        }
                        if (mkdirat(parent, slash + 1, 0755) < 0 && errno != EEXIST)
                                return -errno;
                } else if (fd < 0 && !(last && file && errno == ENOTDIR))
                        return -errno;
                if (last)
                        return 0;
                *p = '/';
        }
}

static int make_targets(const SpawnSpec *s, const MountsHost *h) {
        _cleanup_close_ int root = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
        if (root < 0)
                return -errno;
        for (size_t i = 0; i < s->n_mounts; i++) {
                struct stat st;
                if (fstat(h->vol[i], &st) < 0)
                        return -errno;
                int r = make_in_root(root, s->mounts[i].target, !S_ISDIR(st.st_mode));
                if (r < 0)
                        return r;
        }
        return 0;
}

/* pivot_root(2) into the rootfs with the old root detached: the usual pivot_root(".", "."). */
static int pivot(const char *rootfs) {
        if (syscall(SYS_pivot_root, ".", ".") == 0)
                return umount2(".", MNT_DETACH) < 0 || chdir("/") < 0 ? -errno : 0;
        /* An initramfs root cannot be pivoted away from (EINVAL): move the new root over it
         * and chroot, as runc does with --no-pivot. */
        if (errno != EINVAL || mount(".", "/", NULL, MS_MOVE, NULL) < 0 || chroot(".") < 0 || chdir("/") < 0)
                return -errno;
        return 0;
}

static int make_dev(const MountsHost *h, SpawnStage *ret_stage) {
        CHECK(SPAWN_STAGE_DEV, mount("tmpfs", "/dev", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_STRICTATIME,
                                     "mode=755,size=65536k"));
        for (size_t i = 0; i < ELEMENTSOF(dev_nodes); i++) {
                char path[32];
                if (h->dev[i] < 0)
                        continue;
                snprintf(path, sizeof path, "/dev/%s", dev_nodes[i]);
                int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
                CHECK(SPAWN_STAGE_DEV, fd);
                close(fd);
                CHECK(SPAWN_STAGE_DEV, move_mount(h->dev[i], "", AT_FDCWD, path, MOVE_MOUNT_F_EMPTY_PATH));
        }
        CHECK(SPAWN_STAGE_DEV, mkdir("/dev/pts", 0755));
        CHECK(SPAWN_STAGE_DEV,
              mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620"));
        CHECK(SPAWN_STAGE_DEV, mkdir("/dev/shm", 01777));
        CHECK(SPAWN_STAGE_DEV,
              mount("shm", "/dev/shm", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=1777,size=65536k"));
        static const char *const links[][2] = {{"pts/ptmx", "/dev/ptmx"},
                                               {"/proc/self/fd", "/dev/fd"},
                                               {"/proc/self/fd/0", "/dev/stdin"},
                                               {"/proc/self/fd/1", "/dev/stdout"},
                                               {"/proc/self/fd/2", "/dev/stderr"}};
        for (size_t i = 0; i < ELEMENTSOF(links); i++)
                CHECK(SPAWN_STAGE_DEV, symlink(links[i][0], links[i][1]));
        return 0;
}

static int make_cgroup(const MountsHost *h, SpawnStage *ret_stage) {
        const unsigned long ro = MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC;
        if (h->v2) {
                CHECK(SPAWN_STAGE_SYS, mount("cgroup2", "/sys/fs/cgroup", "cgroup2", ro, NULL));
                return 0;
        }
        CHECK(SPAWN_STAGE_SYS, mount("tmpfs", "/sys/fs/cgroup", "tmpfs", MS_NOSUID | MS_NODEV | MS_NOEXEC, "mode=755"));
        for (size_t i = 0; i < h->n_v1; i++) {
                char path[128];
                snprintf(path, sizeof path, "/sys/fs/cgroup/%s", h->v1_dir[i]);
                CHECK(SPAWN_STAGE_SYS, mkdir(path, 0555));
                CHECK(SPAWN_STAGE_SYS, mount("cgroup", path, "cgroup", ro, h->v1[i]));
        }
        return step(ret_stage, SPAWN_STAGE_SYS, setattr("/sys/fs/cgroup", 0, RO_FLAGS));
}

static int make_sys(const SpawnSpec *s, const MountsHost *h, SpawnStage *ret_stage) {
        CHECK(SPAWN_STAGE_SYS, move_mount(h->sys, "", AT_FDCWD, "/sys", MOVE_MOUNT_F_EMPTY_PATH));
        if (h->sys_is_host)
                return step(ret_stage, SPAWN_STAGE_SYS, setattr("/sys", AT_RECURSIVE, RO_FLAGS));
        return (s->ns & SPAWN_NS_CGROUP) ? make_cgroup(h, ret_stage) : 0;
}

int mounts_bind_rootfs(const SpawnSpec *s, const MountsHost *h, SpawnStage *ret_stage) {
        CHECK(SPAWN_STAGE_ROOTFS, mount(s->rootfs, s->rootfs, NULL, MS_BIND | MS_REC, NULL));
        CHECK(SPAWN_STAGE_ROOTFS, chdir(s->rootfs));
        int r = setattr(".", AT_RECURSIVE, MOUNT_ATTR_NOSUID | MOUNT_ATTR_NODEV);
        if (r < 0)
                return step(ret_stage, SPAWN_STAGE_ROOTFS, r);
        /* Mount points the image may lack (runc creates them too); made before the rootfs
         * can become read-only. A symlink in their place resolves inside the new root. */
        for (const char *const *d = (const char *const[]){"dev", "proc", "sys", NULL}; *d; d++)
                if (mkdir(*d, 0755) < 0 && errno != EEXIST)
                        return step(ret_stage, SPAWN_STAGE_ROOTFS, -errno);
        return step(ret_stage, SPAWN_STAGE_VOLUMES, make_targets(s, h));
}

int mounts_enter_rootfs(const SpawnSpec *s, const MountsHost *h, SpawnStage *ret_stage) {
        int r = pivot(s->rootfs);
        if (r < 0)
                return step(ret_stage, SPAWN_STAGE_ROOTFS, r);
        /* Inside the new root a target resolves within it: nothing of the host is left. */
        for (size_t i = 0; i < s->n_mounts; i++)
                CHECK(SPAWN_STAGE_VOLUMES,
                      move_mount(h->vol[i], "", AT_FDCWD, s->mounts[i].target, MOVE_MOUNT_F_EMPTY_PATH));
        r = make_dev(h, ret_stage);
        return r < 0 ? r : make_sys(s, h, ret_stage);
}

int mounts_protect_host(const MountsHost *h, SpawnStage *ret_stage) {
        /* Every mount nodev, then a fresh /dev over the host's: a node made with mknod (on /tmp,
         * say) opens nowhere, and only the bound nodes are devices at all. */
        int r = setattr("/", AT_RECURSIVE, MOUNT_ATTR_NODEV);
        if (r < 0)
                return step(ret_stage, SPAWN_STAGE_DEV, r);
        r = make_dev(h, ret_stage);
        if (r < 0)
                return r;
        return step(ret_stage, SPAWN_STAGE_SYS, setattr("/sys", AT_RECURSIVE, MOUNT_ATTR_RDONLY));
}

static int mask(const char *path) {
        struct stat st;
        if (stat(path, &st) < 0)
                return errno == ENOENT ? 0 : -errno;
        if (S_ISDIR(st.st_mode))
                return mount("tmpfs", path, "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0") < 0
                           ? -errno
                           : 0;
        return mount("/dev/null", path, NULL, MS_BIND, NULL) < 0 ? -errno : 0;
}

static int make_readonly(const char *path) {
        if (mount(path, path, NULL, MS_BIND | MS_REC, NULL) < 0)
                return errno == ENOENT ? 0 : -errno;
        return setattr(path, AT_RECURSIVE, RO_FLAGS);
}

int mounts_finish(const SpawnSpec *s, const MountsHost *h, SpawnStage *ret_stage) {
        if (h && h->proc >= 0)
                CHECK(SPAWN_STAGE_PROC, move_mount(h->proc, "", AT_FDCWD, "/proc", MOVE_MOUNT_F_EMPTY_PATH));
        else if (s->ns & SPAWN_NS_PID) {
                (void)mkdir("/proc", 0555);
                CHECK(SPAWN_STAGE_PROC, mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL));
        }
        for (size_t i = 0; i < ELEMENTSOF(masked); i++) {
                int r = mask(masked[i]);
                if (r < 0)
                        return step(ret_stage, SPAWN_STAGE_PROC, r);
        }
        for (size_t i = 0; i < ELEMENTSOF(readonly); i++) {
                int r = make_readonly(readonly[i]);
                if (r < 0)
                        return step(ret_stage, SPAWN_STAGE_PROC, r);
        }
        if (s->rootfs && (s->flags & SPAWN_READONLY_ROOTFS))
                return step(ret_stage, SPAWN_STAGE_ROOTFS, setattr("/", 0, MOUNT_ATTR_RDONLY));
        return 0;
}
