#include "trust.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cg-util.h"

static int untrusted(CgError *err, const char *path, const char *why) {
        return cg_error_set(err, -EPERM, "untrusted_path", NULL, "%s %s: only root may own and write it", path, why);
}

/* One existing object: root's, and writable by root alone (a directory: or sticky). */
static int check_stat(const char *path, const struct stat *st, CgError *err) {
        char why[96];
        if (st->st_uid != 0) {
                snprintf(why, sizeof why, "is owned by uid %u", (unsigned)st->st_uid);
                return untrusted(err, path, why);
        }
        bool sticky_dir = S_ISDIR(st->st_mode) && (st->st_mode & S_ISVTX);
        if ((st->st_mode & (S_IWGRP | S_IWOTH)) && !sticky_dir) {
                snprintf(why, sizeof why, "is writable by %s (mode %04o)",
                         st->st_mode & S_IWOTH ? "everyone" : "its group", (unsigned)(st->st_mode & 07777));
                return untrusted(err, path, why);
        }
        return 0;
}

/* Each prefix of path as written: a symlink in it must be root's (someone else's could be
 * pointed elsewhere at any time). Stops at the first missing component. */
static int check_links(const char *path, CgError *err) {
        char p[PATH_MAX];
        if (snprintf(p, sizeof p, "%s", path) >= (int)sizeof p)
                return cg_error_set(err, -ENAMETOOLONG, "untrusted_path", NULL, "%s: path too long", path);
        for (char *s = p + 1;; s++) {
                if (*s != '/' && *s != '\0')
                        continue;
                char c = *s;
                *s = '\0';
                struct stat st;
                if (lstat(p, &st) < 0)
                        return errno == ENOENT ? 0 : cg_error_set(err, -errno, "untrusted_path", NULL, "%s: %m", p);
                if (S_ISLNK(st.st_mode) && st.st_uid != 0)
                        return untrusted(err, p, "is a symlink of another user's");
                if (c == '\0')
                        return 0;
                *s = c;
        }
}

int trust_check(const char *path, CgError *err) {
        char real[PATH_MAX], probe[PATH_MAX];
        if (path[0] != '/')
                return cg_error_set(err, -EINVAL, "untrusted_path", NULL, "%s: the daemon takes absolute paths only",
                                    path);
        int r = check_links(path, err);
        if (r < 0)
                return r;
        /* The longest existing prefix, resolved; then each directory of it from /. */
        snprintf(probe, sizeof probe, "%s", path);
        while (!realpath(probe, real)) {
                if (errno != ENOENT)
                        return cg_error_set(err, -errno, "untrusted_path", NULL, "%s: %m", probe);
                char *slash = strrchr(probe, '/');
                if (!slash || slash == probe) {
                        snprintf(real, sizeof real, "/");
                        break;
                }
                *slash = '\0';
        }
        for (char *s = real;; s++) {
                if (*s != '/' && *s != '\0')
                        continue;
                char c = *s;
                *s = '\0';
                struct stat st;
                const char *p = s == real ? "/" : real;
                if (stat(p, &st) < 0)
                        return cg_error_set(err, -errno, "untrusted_path", NULL, "%s: %m", p);
                r = check_stat(p, &st, err);
                if (r < 0 || c == '\0')
                        return r;
                *s = c;
        }
}

int trust_mkdir(const char *dir, bool shared, CgError *err) {
        char p[PATH_MAX];
        if (snprintf(p, sizeof p, "%s", dir) >= (int)sizeof p)
                return cg_error_set(err, -ENAMETOOLONG, "untrusted_path", NULL, "%s: path too long", dir);
        /* Check first, so that nothing is made below a directory we would not trust. */
        int r = trust_check(p, err);
        for (char *s = p + 1; r >= 0; s++) {
                if (*s != '/' && *s != '\0')
                        continue;
                char c = *s;
                *s = '\0';
                if (mkdir(p, c != '\0' || shared ? 0755 : 0700) < 0 && errno != EEXIST)
                        r = cg_error_set(err, -errno, "untrusted_path", NULL, "mkdir %s: %m", p);
                if (c == '\0')
                        break;
                *s = c;
        }
        return r < 0 ? r : trust_check(dir, err);
}

/* flock on path, made 0600 if missing; the holder's pid is written in it. */
static int lock_file(const char *path, CgError *err) {
        int r = trust_check(path, err);
        if (r < 0)
                return r;
        int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd < 0)
                return cg_error_set(err, -errno, "lock_failed", NULL, "opening %s: %m", path);
        if (flock(fd, LOCK_EX | LOCK_NB) < 0) {
                r = -errno;
                char pid[32] = "";
                ssize_t n = pread(fd, pid, sizeof pid - 1, 0);
                pid[n > 0 ? n : 0] = '\0';
                pid[strcspn(pid, "\n")] = '\0';
                close(fd);
                if (r == -EWOULDBLOCK)
                        return cg_error_set(err, -EBUSY, "already_running", NULL,
                                            "another cgwardend (pid %s) holds %s: one daemon per database and root",
                                            pid[0] ? pid : "?", path);
                return cg_error_set(err, r, "lock_failed", NULL, "locking %s: %s", path, strerror(-r));
        }
        char line[32];
        int len = snprintf(line, sizeof line, "%d\n", (int)getpid());
        if (ftruncate(fd, 0) < 0 || pwrite(fd, line, (size_t)len, 0) != len) {
                r = -errno;
                close(fd);
                return cg_error_set(err, r, "lock_failed", NULL, "writing %s: %s", path, strerror(-r));
        }
        return fd; /* kept open, and so locked, until the daemon exits */
}

int trust_lock_instance(const char *db_path, const char *run_dir, const char *root, CgError *err) {
        char path[PATH_MAX];
        if (snprintf(path, sizeof path, "%s.lock", db_path) >= (int)sizeof path)
                return cg_error_set(err, -ENAMETOOLONG, "lock_failed", NULL, "%s: path too long", db_path);
        int r = lock_file(path, err);
        if (r < 0)
                return r;
        r = trust_mkdir(run_dir, true, err);
        if (r < 0)
                return r;
        snprintf(path, sizeof path, "%s/%s.lock", run_dir, root);
        r = lock_file(path, err);
        return r < 0 ? r : 0;
}
