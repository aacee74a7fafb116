/* The only raw cgroupfs I/O: directory fds, one-shot reads and single-write attributes. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Opens the directory `name` beneath dirfd without following symlinks. Returns an fd or -errno. */
int cg_fs_open_dir_at(int dirfd, const char *name);

/* Opens names[0]/names[1]/.../names[depth-1] beneath rootfd, one validated component at a
 * time with cg_fs_open_dir_at(); depth 0 gives a new fd of rootfd. Returns an fd or -errno. */
int cg_fs_open_path_at(int rootfd, const char *const *names, size_t depth);

/* Reads a whole attribute into buf (NUL-terminated, trailing newline removed).
 * Returns the length, -errno, or -EFBIG if it does not fit. */
int cg_fs_read_at(int dirfd, const char *file, char *buf, size_t size);

/* Reads an attribute holding one unsigned integer; "max" and "-1" read as UINT64_MAX. */
int cg_fs_read_u64_at(int dirfd, const char *file, uint64_t *ret);

/* Writes value with one write() (kernfs parses each write as a whole value).
 * Returns 0, -errno, or -EIO on a short write. */
int cg_fs_write_at(int dirfd, const char *file, const char *value);

/* A process's leaf: a directory of its own below its group, where its device policy is
 * enforced (runc and crun give each container a cgroup of its own for the same reason). Its
 * name, ".proc-ID", starts with '.', which no group name can (cg-name.h). */
#define CG_FS_LEAF_PREFIX ".proc-"
bool cg_fs_is_leaf_name(const char *name);

/* The pids in dirfd's cgroup.procs and in its leaves', sorted. Caller frees *ret (NULL when
 * empty). */
int cg_fs_read_pids_at(int dirfd, pid_t **ret, size_t *ret_n);

/* Removes the (empty) leaves below dirfd: 0 or the first -errno (-EBUSY: one holds a process). */
int cg_fs_remove_leaves_at(int dirfd);

/* The names of the subdirectories of dirfd, but those starting with '.' (leaves), each at
 * most 255 bytes; at most max. Returns the count or -errno. */
int cg_fs_subdirs_at(int dirfd, char (*ret)[256], size_t max);
