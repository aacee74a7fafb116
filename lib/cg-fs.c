#include "cg-fs.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
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

int cg_fs_read_pids_at(int fd, pid_t **ret, size_t *ret_n) {
        _cleanup_close_ int pfd = openat(fd, "cgroup.procs", O_RDONLY | O_CLOEXEC);
        if (pfd < 0)
                return -errno;
        FILE *f = fdopen(pfd, "re");
        if (!f)
                return -errno;
        TAKE_FD(pfd);
        pid_t *pids = NULL;
        size_t n = 0, cap = 0;
        long v;
        while (fscanf(f, "%ld", &v) == 1) {
                if (n == cap) {
                        cap = cap ? cap * 2 : 16;
                        pid_t *np = realloc(pids, cap * sizeof *pids);
                        if (!np) {
                                free(pids);
                                fclose(f);
                                return -ENOMEM;
                        }
                        pids = np;
                }
                pids[n++] = (pid_t)v;
        }
        fclose(f);
        if (n > 1)
                qsort(pids, n, sizeof *pids, cmp_pid);
        *ret = pids;
        *ret_n = n;
        return 0;
}
