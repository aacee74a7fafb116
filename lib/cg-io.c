#include "cg-io.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const field_names[_CG_IO_FIELD_COUNT] = {"rbps", "wbps", "riops", "wiops"};

const char *cg_io_field_name(CgIoField f) {
        return f < _CG_IO_FIELD_COUNT ? field_names[f] : "?";
}

int cg_io_field_from_name(const char *name, CgIoField *ret) {
        for (CgIoField f = 0; f < _CG_IO_FIELD_COUNT; f++)
                if (strcmp(name, field_names[f]) == 0) {
                        *ret = f;
                        return 0;
                }
        return -EINVAL;
}

int cg_io_field_check(uint64_t v) {
        return v == 0 ? -ERANGE : v > CG_SIZE_MAX && v != CG_UNLIMITED ? -ERANGE : 0;
}

int cg_io_field_parse(CgIoField f, const char *s, uint64_t *ret) {
        uint64_t v;
        if (strcmp(s, "max") == 0) {
                *ret = CG_UNLIMITED;
                return 0;
        }
        if (f == CG_IO_RBPS || f == CG_IO_WBPS) {
                int r = cg_limits_parse_size(s, &v);
                if (r < 0)
                        return r;
        } else {
                char *end;
                if (!s[0] || strspn(s, "0123456789") != strlen(s))
                        return -EINVAL;
                errno = 0;
                v = strtoull(s, &end, 10);
                if (errno)
                        return -ERANGE;
        }
        int r = cg_io_field_check(v);
        if (r < 0)
                return r;
        *ret = v;
        return 0;
}

int cg_io_device_parse(const char *s, uint32_t *ret_major, uint32_t *ret_minor) {
        unsigned long a, b;
        char *end;
        if (!s[0] || s[0] == '+' || s[0] == '-' || s[0] == ' ')
                return -EINVAL;
        errno = 0;
        a = strtoul(s, &end, 10);
        if (errno || end == s || *end != ':' || a > 4095)
                return -EINVAL;
        const char *m = end + 1;
        if (!m[0] || m[0] == '+' || m[0] == '-' || m[0] == ' ')
                return -EINVAL;
        b = strtoul(m, &end, 10);
        if (errno || end == m || *end || b > 1048575) /* MINORBITS = 20 */
                return -EINVAL;
        *ret_major = (uint32_t)a;
        *ret_minor = (uint32_t)b;
        return 0;
}

static int cmp_dev(const void *a, const void *b) {
        const CgIoMax *x = a, *y = b;
        if (x->major != y->major)
                return x->major < y->major ? -1 : 1;
        return x->minor < y->minor ? -1 : x->minor > y->minor;
}

int cg_io_max_format(const CgIoMax *list, size_t n, char *buf, size_t size) {
        CgIoMax sorted[CG_IO_DEVICES_MAX];
        size_t len = 0;
        if (size == 0 || n > CG_IO_DEVICES_MAX)
                return -ENOBUFS;
        memcpy(sorted, list, n * sizeof *list);
        qsort(sorted, n, sizeof *sorted, cmp_dev);
        buf[0] = '\0';
        for (size_t i = 0; i < n; i++) {
                int w = snprintf(buf + len, size - len, "%s%" PRIu32 ":%" PRIu32, len ? ";" : "", sorted[i].major,
                                 sorted[i].minor);
                if (w < 0 || (size_t)w >= size - len)
                        return -ENOBUFS;
                len += (size_t)w;
                for (CgIoField f = 0; f < _CG_IO_FIELD_COUNT; f++) {
                        if (!(sorted[i].set & (1u << f)))
                                continue;
                        w = sorted[i].v[f] == CG_UNLIMITED
                                ? snprintf(buf + len, size - len, " %s=max", field_names[f])
                                : snprintf(buf + len, size - len, " %s=%" PRIu64, field_names[f], sorted[i].v[f]);
                        if (w < 0 || (size_t)w >= size - len)
                                return -ENOBUFS;
                        len += (size_t)w;
                }
        }
        return (int)len;
}

int cg_io_max_parse(const char *s, CgIoMax *ret, uint32_t *ret_n) {
        uint32_t n = 0;
        char copy[4096];
        if (strlen(s) >= sizeof copy)
                return -E2BIG;
        strcpy(copy, s);
        char *save = NULL;
        for (char *entry = strtok_r(copy, ";\n", &save); entry; entry = strtok_r(NULL, ";\n", &save)) {
                char *save2 = NULL, *tok = strtok_r(entry, " ", &save2);
                CgIoMax e = {0};
                if (!tok)
                        continue;
                if (n == CG_IO_DEVICES_MAX)
                        return -E2BIG;
                if (cg_io_device_parse(tok, &e.major, &e.minor) < 0)
                        return -EBADMSG;
                while ((tok = strtok_r(NULL, " ", &save2))) {
                        char *eq = strchr(tok, '=');
                        CgIoField f;
                        uint64_t v;
                        if (!eq)
                                return -EBADMSG;
                        *eq = '\0';
                        if (cg_io_field_from_name(tok, &f) < 0)
                                continue; /* newer kernels may add fields */
                        if (strcmp(eq + 1, "max") == 0)
                                continue;
                        char *end;
                        errno = 0;
                        v = strtoull(eq + 1, &end, 10);
                        if (errno || *end || end == eq + 1)
                                return -EBADMSG;
                        e.v[f] = v;
                        e.set |= 1u << f;
                }
                if (e.set)
                        ret[n++] = e;
        }
        *ret_n = n;
        return 0;
}

CgIoMax *cg_io_max_find(CgIoMax *list, uint32_t n, uint32_t major, uint32_t minor) {
        for (uint32_t i = 0; i < n; i++)
                if (list[i].major == major && list[i].minor == minor)
                        return &list[i];
        return NULL;
}

void cg_io_max_merge(CgLimits *d, const CgLimits *p) {
        for (uint32_t i = 0; i < p->n_io_max; i++) {
                const CgIoMax *pe = &p->io_max[i];
                CgIoMax *de = cg_io_max_find(d->io_max, d->n_io_max, pe->major, pe->minor);
                if (!de) {
                        if (!pe->set || d->n_io_max == CG_IO_DEVICES_MAX)
                                continue;
                        de = &d->io_max[d->n_io_max++];
                        *de = (CgIoMax){.major = pe->major, .minor = pe->minor};
                }
                de->set &= (uint8_t)~pe->clear;
                for (CgIoField f = 0; f < _CG_IO_FIELD_COUNT; f++)
                        if (pe->set & (1u << f)) {
                                de->v[f] = pe->v[f];
                                de->set |= (uint8_t)(1u << f);
                        }
                de->clear = 0;
                if (!de->set) /* nothing left for this device */
                        *de = d->io_max[--d->n_io_max];
        }
}

uint64_t cg_io_weight_to_blkio(uint32_t weight) {
        uint64_t w = (uint64_t)weight * 500 / CG_IO_WEIGHT_DEFAULT;
        return w < 10 ? 10 : w > 1000 ? 1000 : w;
}

uint64_t cg_io_weight_to_bfq(uint32_t weight) {
        if (weight <= CG_IO_WEIGHT_DEFAULT)
                return weight;
        return CG_IO_WEIGHT_DEFAULT + ((uint64_t)weight - CG_IO_WEIGHT_DEFAULT) * (1000 - CG_IO_WEIGHT_DEFAULT) /
                                          (CG_IO_WEIGHT_MAX - CG_IO_WEIGHT_DEFAULT);
}
