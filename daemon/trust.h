/* What the daemon trusts on disk, and the one-daemon rule.
 *
 * The daemon runs as root and acts on what it finds at its paths: a token file decides who
 * is admin, the database what the kernel gets, the socket's directory who answers root's
 * CLI. So each path, and every directory above it, must be root's and writable by root alone
 * (a world-writable directory only with the sticky bit, as /tmp: nobody else can then replace
 * root's entries in it). Anything else is refused at start, naming the path and why. */
#pragma once

#include <stdbool.h>

#include "cg-error.h"

/* Checks path (which may be missing: then only its directories) and each directory above
 * it. -EPERM with *err ("untrusted_path") naming the path and what is wrong. */
int trust_check(const char *path, CgError *err);

/* mkdir -p of dir's missing levels: dir itself 0700 (0755 with shared: one others reach, as
 * the socket's), the levels above 0755; then trust_check of the whole path. */
int trust_mkdir(const char *dir, bool shared, CgError *err);

/* Where the per-root locks are (the default socket's directory too). */
#define CGWARDEN_RUN_DIR "/run/cgwarden"

/* One daemon per database and per root: an exclusive flock on "<db>.lock" and on
 * "<run_dir>/<root>.lock", held until exit, taken before anything touches the kernel.
 * -EBUSY with *err naming the lock and the pid holding it. */
int trust_lock_instance(const char *db_path, const char *run_dir, const char *root, CgError *err);
