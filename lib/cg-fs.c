#include "cg-fs.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cg-util.h"

int cg_fs_open_dir_at(int dirfd, const char *name) {
        int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
}

int cg_fs_open_path_at(int rootfd, const char *const *names, size_t depth) {
        int fd = fcntl(rootfd, F_DUPFD_CLOEXEC, 3);
        if (fd < 0)
                return -errno;
        for (size_t i = 0; i < depth; i++) {
                int next = cg_fs_open_dir_at(fd, names[i]);
                close(fd);
                if (next < 0)
                        return next;
                fd = next;
        }
        return fd;
}

int cg_fs_read_at(int dirfd, const char *file, char *buf, size_t size) {
        _cleanup_close_ int fd = openat(dirfd, file, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        size_t len = 0;
        for (;;) {
                if (len + 1 >= size)
                        return -EFBIG;
                ssize_t n = read(fd, buf + len, size - 1 - len);
                if (n < 0) {
                        if (errno == EINTR)
                                continue;
                        return -errno;
                }
                if (n == 0)
                        break;
                len += (size_t)n;
        }
        while (len > 0 && buf[len - 1] == '\n')
                len--;
        buf[len] = '\0';
        return (int)len;
}

int cg_fs_read_u64_at(int dirfd, const char *file, uint64_t *ret) {
        char buf[64];
        int r = cg_fs_read_at(dirfd, file, buf, sizeof buf);
        if (r < 0)
                return r;
        if (strcmp(buf, "max") == 0 || strcmp(buf, "-1") == 0) {
                *ret = UINT64_MAX;
                return 0;
        }
        char *end;
        errno = 0;
        uint64_t v = strtoull(buf, &end, 10);
        if (errno || end == buf || *end || buf[0] == '-')
                return -EBADMSG;
        *ret = v;
        return 0;
}

int cg_fs_write_at(int dirfd, const char *file, const char *value) {
        _cleanup_close_ int fd = openat(dirfd, file, O_WRONLY | O_NOFOLLOW | O_CLOEXEC);
        if (fd < 0)
                return -errno;
        size_t len = strlen(value);
        ssize_t n;
        do
                n = write(fd, value, len);
        while (n < 0 && errno == EINTR);
        if (n < 0)
                return -errno;
        return (size_t)n == len ? 0 : -EIO;
}

static int cmp_pid(const void *a, const void *b) {
        pid_t x = *(const pid_t *)a, y = *(const pid_t *)b;
        return (x > y) - (x < y);
}

/* Appends the pids in fd's cgroup.procs to *pids. */
static int append_pids(int fd, pid_t **pids, size_t *n, size_t *cap) {
        _cleanup_close_ int pfd = openat(fd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
        if (pfd < 0)
                return -errno;
        FILE *f = fdopen(pfd, "re");
        if (!f)
                return -errno;
        TAKE_FD(pfd);
        long v;
        while (fscanf(f, "%ld", &v) == 1) {
                if (*n == *cap) {
                        size_t c = *cap ? *cap * 2 : 16;
                        pid_t *np = realloc(*pids, c * sizeof *np);
                        if (!np) {
                                fclose(f);
                                return -ENOMEM;
                        }
                        *pids = np;
                        *cap = c;
                }
                (*pids)[(*n)++] = (pid_t)v;
        }
        fclose(f);
        return 0;
}

/* A DIR of its own on a copy of fd (closedir leaves fd open). */
static int open_dir_stream(int fd, DIR **ret) {
        int dup = fcntl(fd, F_DUPFD_CLOEXEC, 3);
        *ret = dup < 0 ? NULL : fdopendir(dup);
        if (*ret)
                return 0;
        int r = -errno;
        if (dup >= 0)
                close(dup);
        return r;
}

/* Calls fn on each process leaf below fd. kernfs counts 2 + one link per subdirectory, so a
 * group without any costs one fstat. */
static int each_leaf(int fd, int (*fn)(int fd, const char *name, void *data), void *data) {
        struct stat st;
        if (fstat(fd, &st) < 0)
                return -errno;
        if (st.st_nlink <= 2)
                return 0;
        DIR *d;
        int r = open_dir_stream(fd, &d);
        if (r < 0)
                return r;
        for (struct dirent *e; r >= 0 && (e = readdir(d));)
                if (e->d_type == DT_DIR && cg_fs_is_leaf_name(e->d_name))
                        r = fn(dirfd(d), e->d_name, data);
        closedir(d);
        return r;
}

typedef struct PidList {
        pid_t *pids;
        size_t n, cap;
} PidList;

static int append_leaf_pids(int dfd, const char *name, void *data) {
        PidList *l = data;
        _cleanup_close_ int fd = cg_fs_open_dir_at(dfd, name);
        if (fd == -ENOENT) /* removed meanwhile */
                return 0;
        return fd < 0 ? fd : append_pids(fd, &l->pids, &l->n, &l->cap);
}

int cg_fs_read_pids_at(int fd, pid_t **ret, size_t *ret_n) {
        PidList l = {0};
        int r = append_pids(fd, &l.pids, &l.n, &l.cap);
        if (r >= 0)
                r = each_leaf(fd, append_leaf_pids, &l);
        if (r < 0) {
                free(l.pids);
                return r;
        }
        if (l.n > 1)
                qsort(l.pids, l.n, sizeof *l.pids, cmp_pid);
        *ret = l.pids;
        *ret_n = l.n;
        return 0;
}

bool cg_fs_is_leaf_name(const char *name) {
        return strncmp(name, CG_FS_LEAF_PREFIX, strlen(CG_FS_LEAF_PREFIX)) == 0;
}

static int remove_leaf(int dfd, const char *name, void *data) {
        (void)data;
        return unlinkat(dfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT ? -errno : 0;
}

int cg_fs_remove_leaves_at(int fd) {
        return each_leaf(fd, remove_leaf, NULL);
}

int cg_fs_subdirs_at(int fd, char (*ret)[256], size_t max) {
        DIR *d;
        int r = open_dir_stream(fd, &d);
        if (r < 0)
                return r;
        size_t n = 0;
        for (struct dirent *e; n < max && (e = readdir(d));)
                if (e->d_type == DT_DIR && e->d_name[0] != '.')
                        snprintf(ret[n++], 256, "%s", e->d_name);
        closedir(d);
        return (int)n;
}
