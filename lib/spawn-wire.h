/* How the daemon hands a SpawnSpec to cgwarden-init across its exec: a memfd of records
 * {u32 tag, u32 length, bytes}, strings NUL-terminated. The encoder and the decoder live
 * together so that both ends always agree; the decoder checks every length, since a
 * truncated or garbled spec must stop the start, not start something else. */
#pragma once

#include <stddef.h>

#include "spawn.h"

typedef struct SpawnWire {
        SpawnSpec spec; /* its strings point into buf, argv and env into the arrays below */
        char *buf;
        char **argv, **env;
        SpawnMount *mounts;
} SpawnWire;

/* Encodes the parts of s that cross the exec (argv, env, cwd, ids, namespaces, flags,
 * caps, hostname, rootfs, userns base, mounts, log cap, status name; no fds). *ret is
 * malloc'd. Returns 0 or -ENOMEM, -E2BIG, -EINVAL (a mount path with a newline). */
int spawn_wire_encode(const SpawnSpec *s, char **ret, size_t *ret_len);

/* Decodes buf (copied) into *ret: 0, or -EBADMSG for anything malformed, -ENOMEM. */
int spawn_wire_decode(const void *buf, size_t len, SpawnWire *ret);
void spawn_wire_done(SpawnWire *w);
