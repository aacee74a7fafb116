#include "spawn-wire.h"

#include <errno.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cg-util.h"

#define MAGIC      "CGWS0001"
#define LIMIT_ARGS 4096 /* argv or env entries */

enum { T_ARGV = 1, T_ENV, T_CWD, T_HOSTNAME, T_ROOTFS, T_STATUS, T_NUMBERS, T_MOUNT, T_SECCOMP, T_END };

/* The fixed-size part, as one record. */
typedef struct Numbers {
        uint64_t uid, gid, ns, flags, caps, userns_base, log_max_bytes;
} Numbers;

typedef struct Buf {
        char *p;
        size_t len, cap;
        int r;
} Buf;

static void put(Buf *b, uint32_t tag, const void *data, size_t len) {
        if (b->r < 0)
                return;
        if (len > UINT32_MAX) {
                b->r = -E2BIG;
                return;
        }
        size_t need = b->len + 8 + len;
        if (need > b->cap) {
                size_t cap = need * 2;
                char *p = realloc(b->p, cap);
                if (!p) {
                        b->r = -ENOMEM;
                        return;
                }
                b->p = p;
                b->cap = cap;
        }
        uint32_t hdr[2] = {tag, (uint32_t)len};
        memcpy(b->p + b->len, hdr, 8);
        memcpy(b->p + b->len + 8, data, len);
        b->len = need;
}

static void put_str(Buf *b, uint32_t tag, const char *s) {
        if (s)
                put(b, tag, s, strlen(s) + 1);
}

int spawn_wire_encode(const SpawnSpec *s, char **ret, size_t *ret_len) {
        Buf b = {0};
        Numbers n = {s->uid, s->gid, s->ns, s->flags, s->caps, s->userns_base, s->log_max_bytes};
        put(&b, 0, MAGIC, 8);
        put(&b, T_NUMBERS, &n, sizeof n);
        for (size_t i = 0; s->argv[i]; i++)
                put_str(&b, T_ARGV, s->argv[i]);
        for (size_t i = 0; s->env && s->env[i]; i++)
                put_str(&b, T_ENV, s->env[i]);
        put_str(&b, T_CWD, s->cwd);
        put_str(&b, T_HOSTNAME, s->hostname);
        put_str(&b, T_ROOTFS, s->rootfs);
        put_str(&b, T_STATUS, s->status_name);
        if (s->seccomp_bpf)
                put(&b, T_SECCOMP, s->seccomp_bpf, s->seccomp_len);
        for (size_t i = 0; i < s->n_mounts; i++) { /* "r" or "w", the source, "\n", the target */
                char *m = NULL;
                if (strchr(s->mounts[i].source, '\n') || strchr(s->mounts[i].target, '\n') ||
                    asprintf(&m, "%c%s\n%s", s->mounts[i].readonly ? 'r' : 'w', s->mounts[i].source,
                             s->mounts[i].target) < 0) {
                        free(b.p);
                        return -EINVAL;
                }
                put_str(&b, T_MOUNT, m);
                free(m);
        }
        /* Last, the length of all before it: a spec cut at a record's end is refused too. */
        uint64_t total = b.len;
        put(&b, T_END, &total, sizeof total);
        if (b.r < 0) {
                free(b.p);
                return b.r;
        }
        *ret = b.p;
        *ret_len = b.len;
        return 0;
}

void spawn_wire_done(SpawnWire *w) {
        free(w->buf);
        free(w->argv);
        free(w->env);
        free(w->mounts);
        *w = (SpawnWire){0};
}

static int append(char ***v, size_t *n, char *s) {
        if (*n >= LIMIT_ARGS)
                return -EBADMSG;
        char **p = realloc(*v, (*n + 2) * sizeof **v);
        if (!p)
                return -ENOMEM;
        p[(*n)++] = s;
        p[*n] = NULL;
        *v = p;
        return 0;
}

static int add_mount(SpawnWire *w, char *data) {
        char *nl = strchr(data, '\n');
        if ((data[0] != 'r' && data[0] != 'w') || !nl || data[1] != '/' || nl[1] != '/' || strchr(nl + 1, '\n') ||
            w->spec.n_mounts >= SPAWN_MOUNTS_MAX)
                return -EBADMSG;
        SpawnMount *m = realloc(w->mounts, (w->spec.n_mounts + 1) * sizeof *m);
        if (!m)
                return -ENOMEM;
        *nl = '\0';
        m[w->spec.n_mounts++] = (SpawnMount){.source = data + 1, .target = nl + 1, .readonly = data[0] == 'r'};
        w->mounts = m;
        w->spec.mounts = m;
        return 0;
}

static int decode(SpawnWire *w, size_t len) {
        size_t off = 16, nargv = 0, nenv = 0; /* past the magic */
        bool numbers = false, end = false;
        while (off < len) {
                uint32_t hdr[2];
                if (len - off < 8)
                        return -EBADMSG;
                memcpy(hdr, w->buf + off, 8);
                off += 8;
                if (hdr[1] > len - off)
                        return -EBADMSG;
                char *data = w->buf + off;
                if (end) /* nothing after the end */
                        return -EBADMSG;
                off += hdr[1];
                if (hdr[0] == T_END) {
                        uint64_t total;
                        if (hdr[1] != sizeof total)
                                return -EBADMSG;
                        memcpy(&total, data, sizeof total);
                        if (total != off - 8 - sizeof total)
                                return -EBADMSG;
                        end = true;
                        continue;
                }
                if (hdr[0] == T_NUMBERS) {
                        Numbers n;
                        if (hdr[1] != sizeof n)
                                return -EBADMSG;
                        memcpy(&n, data, sizeof n);
                        if (n.uid > UINT32_MAX || n.gid > UINT32_MAX || n.ns & ~(uint64_t)SPAWN_NS_ALL ||
                            n.userns_base > UINT32_MAX - SPAWN_USERNS_SIZE)
                                return -EBADMSG;
                        w->spec.uid = (uid_t)n.uid;
                        w->spec.gid = (gid_t)n.gid;
                        w->spec.ns = (unsigned)n.ns;
                        w->spec.flags = (unsigned)n.flags;
                        w->spec.caps = n.caps;
                        w->spec.userns_base = (uint32_t)n.userns_base;
                        w->spec.log_max_bytes = n.log_max_bytes;
                        numbers = true;
                        continue;
                }
                if (hdr[0] == T_SECCOMP) { /* struct sock_filter[], 8 bytes each */
                        if (hdr[1] == 0 || hdr[1] % 8 || hdr[1] > 4096 * 8)
                                return -EBADMSG;
                        w->spec.seccomp_bpf = data;
                        w->spec.seccomp_len = hdr[1];
                        continue;
                }
                /* Every other record is one string: non-empty, NUL at its end and nowhere else. */
                if (hdr[1] == 0 || data[hdr[1] - 1] != '\0' || strlen(data) != hdr[1] - 1)
                        return -EBADMSG;
                int r = 0;
                switch (hdr[0]) {
                case T_ARGV: r = append(&w->argv, &nargv, data); break;
                case T_ENV: r = append(&w->env, &nenv, data); break;
                case T_CWD: w->spec.cwd = data; break;
                case T_HOSTNAME: w->spec.hostname = data; break;
                case T_ROOTFS: w->spec.rootfs = data; break;
                case T_STATUS: w->spec.status_name = data; break;
                case T_MOUNT: r = add_mount(w, data); break;
                default: return -EBADMSG;
                }
                if (r < 0)
                        return r;
        }
        if (!numbers || !end || nargv == 0 || !w->spec.status_name || strchr(w->spec.status_name, '/') ||
            (w->spec.flags & SPAWN_SECCOMP) != (w->spec.seccomp_bpf ? SPAWN_SECCOMP : 0))
                return -EBADMSG;
        if (!w->env && append(&w->env, &nenv, NULL) < 0) /* an empty environment */
                return -ENOMEM;
        w->spec.argv = w->argv;
        w->spec.env = w->env;
        return 0;
}

int spawn_wire_decode(const void *buf, size_t len, SpawnWire *ret) {
        SpawnWire w = {0};
        const uint32_t magic_hdr[2] = {0, 8};
        if (len < 16 || memcmp(buf, magic_hdr, 8) != 0 || memcmp((const char *)buf + 8, MAGIC, 8) != 0)
                return -EBADMSG;
        w.buf = malloc(len + 1);
        if (!w.buf)
                return -ENOMEM;
        memcpy(w.buf, buf, len);
        w.buf[len] = '\0';
        int r = decode(&w, len);
        if (r < 0) {
                spawn_wire_done(&w);
                return r;
        }
        *ret = w;
        return 0;
}
