#include "cg-limits.h"

#include "cg-devices.h"
#include "cg-io.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

static const struct {
        const char *pointer, *section, *leaf;
} keys[_CG_LIMIT_COUNT] = {
    [CG_LIMIT_MEMORY_MAX] = {"/memory/max", "memory", "max"},
    [CG_LIMIT_MEMORY_RESERVATION] = {"/memory/reservation", "memory", "reservation"},
    [CG_LIMIT_MEMORY_SWAP_MAX] = {"/memory/swap_max", "memory", "swap_max"},
    [CG_LIMIT_CPU_MAX] = {"/cpu/max", "cpu", "max"},
    [CG_LIMIT_CPU_WEIGHT] = {"/cpu/weight", "cpu", "weight"},
    [CG_LIMIT_CPUSET_CPUS] = {"/cpuset/cpus", "cpuset", "cpus"},
    [CG_LIMIT_CPUSET_MEMS] = {"/cpuset/mems", "cpuset", "mems"},
    [CG_LIMIT_PIDS_MAX] = {"/pids/max", "pids", "max"},
    [CG_LIMIT_IO_WEIGHT] = {"/io/weight", "io", "weight"},
    [CG_LIMIT_IO_MAX] = {"/io/max", "io", "max"},
    [CG_LIMIT_DEVICES] = {"/devices", "devices", ""},
};

const char *cg_limit_key_pointer(CgLimitKey k) {
        return k < _CG_LIMIT_COUNT ? keys[k].pointer : "";
}
const char *cg_limit_key_section(CgLimitKey k) {
        return k < _CG_LIMIT_COUNT ? keys[k].section : "";
}
const char *cg_limit_key_leaf(CgLimitKey k) {
        return k < _CG_LIMIT_COUNT ? keys[k].leaf : "";
}

static int parse_digits(const char **p, uint64_t *ret, unsigned *ret_ndigits) {
        uint64_t v = 0;
        unsigned n = 0;
        for (; isdigit((unsigned char)**p); (*p)++, n++) {
                if (v > (UINT64_MAX - 9) / 10)
                        return -ERANGE;
                v = v * 10 + (uint64_t)(**p - '0');
        }
        *ret = v;
        *ret_ndigits = n;
        return 0;
}

int cg_limits_parse_size(const char *s, uint64_t *ret_bytes) {
        const char *p = s;
        uint64_t whole, frac = 0;
        unsigned nwhole, nfrac = 0;

        if (parse_digits(&p, &whole, &nwhole) < 0)
                return -ERANGE;
        if (nwhole == 0)
                return -EINVAL;
        if (*p == '.') {
                p++;
                /* 18 digits keep frac * 2^60 / 10^18 inside 128-bit arithmetic below. */
                if (parse_digits(&p, &frac, &nfrac) < 0 || nfrac == 0 || nfrac > 18)
                        return -EINVAL;
        }

        unsigned shift = 0;
        const char *units = "KMGTPE";
        const char *u = *p ? strchr(units, toupper((unsigned char)*p)) : NULL;
        if (u) {
                shift = 10 * (unsigned)(u - units + 1);
                p++;
                if (*p == 'i')
                        p++;
                if (*p == 'B')
                        p++;
        } else if (*p == 'B')
                p++;
        if (*p != '\0')
                return -EINVAL;
        if (nfrac > 0 && shift == 0)
                return -EINVAL; /* "1.5" bytes is not a size */

        unsigned __int128 v = (unsigned __int128)whole << shift;
        if (nfrac > 0) {
                unsigned __int128 pow10 = 1;
                for (unsigned i = 0; i < nfrac; i++)
                        pow10 *= 10;
                v += ((unsigned __int128)frac << shift) / pow10;
        }
        if (nwhole > 20 || v > CG_SIZE_MAX)
                return -ERANGE;
        *ret_bytes = (uint64_t)v;
        return 0;
}

int cg_limits_cpus_to_quota(double cpus, uint64_t *ret_quota_usec) {
        if (!isfinite(cpus) || cpus <= 0 || cpus > CG_CPU_MAX_CPUS)
                return -ERANGE;
        double q = round(cpus * CG_CPU_PERIOD_USEC);
        if (q < CG_CPU_QUOTA_MIN_USEC)
                return -ERANGE;
        *ret_quota_usec = (uint64_t)q;
        return 0;
}

double cg_limits_quota_to_cpus(uint64_t quota_usec) {
        return (double)quota_usec / CG_CPU_PERIOD_USEC;
}

static void cpuset_add(CgCpuSet *set, unsigned i) {
        set->bits[i / 64] |= UINT64_C(1) << (i % 64);
}
static bool cpuset_has(const CgCpuSet *set, unsigned i) {
        return set->bits[i / 64] & (UINT64_C(1) << (i % 64));
}

static int parse_cpu_number(const char **p, unsigned *ret) {
        uint64_t v;
        unsigned n;
        if (parse_digits(p, &v, &n) < 0)
                return -ERANGE;
        if (n == 0)
                return -EINVAL;
        if (v >= CG_CPUSET_BITS)
                return -ERANGE;
        *ret = (unsigned)v;
        return 0;
}

int cg_cpuset_parse(const char *s, CgCpuSet *ret) {
        CgCpuSet set = {0};
        const char *p = s;
        int r;

        if (*p == '\0')
                return -EINVAL;
        for (;;) {
                unsigned a, b;
                r = parse_cpu_number(&p, &a);
                if (r < 0)
                        return r;
                b = a;
                if (*p == '-') {
                        p++;
                        r = parse_cpu_number(&p, &b);
                        if (r < 0)
                                return r;
                        if (b < a)
                                return -EINVAL;
                }
                for (unsigned i = a; i <= b; i++)
                        cpuset_add(&set, i);
                if (*p == '\0')
                        break;
                if (*p != ',')
                        return -EINVAL;
                p++;
        }
        *ret = set;
        return 0;
}

int cg_cpuset_format(const CgCpuSet *set, char *buf, size_t size) {
        size_t len = 0;
        if (size == 0)
                return -ENOBUFS;
        buf[0] = '\0';
        for (unsigned i = 0; i < CG_CPUSET_BITS; i++) {
                if (!cpuset_has(set, i))
                        continue;
                unsigned j = i;
                while (j + 1 < CG_CPUSET_BITS && cpuset_has(set, j + 1))
                        j++;
                int n = j == i ? snprintf(buf + len, size - len, "%s%u", len ? "," : "", i)
                               : snprintf(buf + len, size - len, "%s%u-%u", len ? "," : "", i, j);
                if (n < 0 || (size_t)n >= size - len)
                        return -ENOBUFS;
                len += (size_t)n;
                i = j;
        }
        return (int)len;
}

bool cg_cpuset_is_empty(const CgCpuSet *set) {
        for (size_t i = 0; i < ELEMENTSOF(set->bits); i++)
                if (set->bits[i])
                        return false;
        return true;
}

bool cg_cpuset_is_subset(const CgCpuSet *sub, const CgCpuSet *super) {
        for (size_t i = 0; i < ELEMENTSOF(sub->bits); i++)
                if (sub->bits[i] & ~super->bits[i])
                        return false;
        return true;
}

int cg_cpuset_check_within(const CgCpuSet *want, const char *parent_effective, CgLimitKey k, CgError *err) {
        CgCpuSet parent;
        bool cpus = k == CG_LIMIT_CPUSET_CPUS;
        if (cg_cpuset_parse(parent_effective, &parent) < 0 || !cg_cpuset_is_subset(want, &parent)) {
                char have[256];
                if (cg_cpuset_parse(parent_effective, &parent) < 0 || cg_cpuset_format(&parent, have, sizeof have) < 0)
                        snprintf(have, sizeof have, "none");
                return cg_error_set(err, -EINVAL, "not_in_parent", cg_limit_key_pointer(k),
                                    "cpuset.%s must be within the parent's %s (%s)", cpus ? "cpus" : "mems",
                                    cpus ? "CPUs" : "memory nodes", have);
        }
        return 0;
}

/* systemd's cgroup_cpu_weight_to_shares()/cgroup_cpu_shares_to_weight(): 100 ↔ 1024. */
uint64_t cg_limits_weight_to_shares(uint32_t weight) {
        uint64_t shares = (uint64_t)weight * 1024 / CG_CPU_WEIGHT_DEFAULT;
        return shares < 2 ? 2 : shares > 262144 ? 262144 : shares;
}

uint32_t cg_limits_shares_to_weight(uint64_t shares) {
        uint64_t w = shares * CG_CPU_WEIGHT_DEFAULT / 1024;
        return w < CG_CPU_WEIGHT_MIN ? CG_CPU_WEIGHT_MIN : w > CG_CPU_WEIGHT_MAX ? CG_CPU_WEIGHT_MAX : (uint32_t)w;
}

static bool key_is_size(CgLimitKey k) {
        return k == CG_LIMIT_MEMORY_MAX || k == CG_LIMIT_MEMORY_RESERVATION || k == CG_LIMIT_MEMORY_SWAP_MAX;
}

static uint64_t *u64_slot(CgLimits *l, CgLimitKey k) {
        switch (k) {
        case CG_LIMIT_MEMORY_MAX: return &l->memory_max_bytes;
        case CG_LIMIT_MEMORY_RESERVATION: return &l->memory_reservation_bytes;
        case CG_LIMIT_MEMORY_SWAP_MAX: return &l->memory_swap_max_bytes;
        case CG_LIMIT_CPU_MAX: return &l->cpu_quota_usec;
        case CG_LIMIT_PIDS_MAX: return &l->pids_max;
        default: return NULL;
        }
}

static void mark_set(CgLimits *l, CgLimitKey k) {
        l->set |= CG_LIMIT_BIT(k);
        l->clear &= ~CG_LIMIT_BIT(k);
}

static int set_size(CgLimits *l, CgLimitKey k, uint64_t v, CgError *err) {
        if (k == CG_LIMIT_MEMORY_MAX && v < CG_MEMORY_MAX_MIN)
                return cg_error_set(err, -EINVAL, "out_of_range", cg_limit_key_pointer(k),
                                    "memory.max must be at least 1 MiB (1048576 bytes)");
        *u64_slot(l, k) = v;
        mark_set(l, k);
        return 0;
}

static int bad(CgError *err, int r, CgLimitKey k, const char *expect) {
        return cg_error_set(err, r, r == -ERANGE ? "out_of_range" : "invalid_value", cg_limit_key_pointer(k),
                            "%s.%s: %s %s", cg_limit_key_section(k), cg_limit_key_leaf(k),
                            r == -ERANGE ? "out of range, expected" : "expected", expect);
}

static const char *expectation(CgLimitKey k) {
        switch (k) {
        case CG_LIMIT_MEMORY_MAX:
        case CG_LIMIT_MEMORY_RESERVATION:
        case CG_LIMIT_MEMORY_SWAP_MAX:
                return "a byte count, a size such as \"512M\" or \"1.5G\" (up to 8 EiB), or \"max\"";
        case CG_LIMIT_CPU_MAX: return "a number of CPUs from 0.01 to 4096, or \"max\"";
        case CG_LIMIT_CPU_WEIGHT:
        case CG_LIMIT_IO_WEIGHT: return "an integer from 1 to 10000";
        case CG_LIMIT_IO_MAX: return "an object of devices (\"8:0\" or \"/dev/sda\") with rbps, wbps, riops, wiops";
        case CG_LIMIT_CPUSET_CPUS:
        case CG_LIMIT_CPUSET_MEMS: return "a non-empty kernel list such as \"0-1,3\" (numbers below 4096)";
        case CG_LIMIT_PIDS_MAX: return "an integer from 0 to 4194304, or \"max\"";
        default: return "a valid value";
        }
}

int cg_limits_set_from_int(CgLimits *l, CgLimitKey k, int64_t v, CgError *err) {
        if (key_is_size(k)) {
                if (v < 0)
                        return bad(err, -ERANGE, k, expectation(k));
                return set_size(l, k, (uint64_t)v, err);
        }
        switch (k) {
        case CG_LIMIT_CPU_MAX:
                if (v < 0 || v > CG_CPU_MAX_CPUS)
                        return bad(err, -ERANGE, k, expectation(k));
                return cg_limits_set_from_real(l, k, (double)v, err);
        case CG_LIMIT_CPU_WEIGHT:
                if (v < CG_CPU_WEIGHT_MIN || v > CG_CPU_WEIGHT_MAX)
                        return bad(err, -ERANGE, k, expectation(k));
                l->cpu_weight = (uint32_t)v;
                break;
        case CG_LIMIT_IO_WEIGHT:
                if (v < CG_IO_WEIGHT_MIN || v > CG_IO_WEIGHT_MAX)
                        return bad(err, -ERANGE, k, expectation(k));
                l->io_weight = (uint32_t)v;
                break;
        case CG_LIMIT_PIDS_MAX:
                if (v < 0 || v > CG_PIDS_MAX_LIMIT)
                        return bad(err, -ERANGE, k, expectation(k));
                l->pids_max = (uint64_t)v;
                break;
        default: return bad(err, -EINVAL, k, expectation(k));
        }
        mark_set(l, k);
        return 0;
}

int cg_limits_set_from_real(CgLimits *l, CgLimitKey k, double v, CgError *err) {
        if (k != CG_LIMIT_CPU_MAX)
                return bad(err, -EINVAL, k, expectation(k));
        if (cg_limits_cpus_to_quota(v, &l->cpu_quota_usec) < 0)
                return bad(err, -ERANGE, k, expectation(k));
        mark_set(l, k);
        return 0;
}

static int parse_cpus_string(const char *s, double *ret) {
        /* Only plain decimals: strtod would also take "inf", "0x1p3" and leading spaces. */
        size_t n = strspn(s, "0123456789.");
        if (n == 0 || s[n] != '\0' || strchr(s, '.') != strrchr(s, '.') || s[0] == '.')
                return -EINVAL;
        char *end;
        errno = 0;
        *ret = strtod(s, &end);
        return errno || *end ? -EINVAL : 0;
}

int cg_limits_set_from_string(CgLimits *l, CgLimitKey k, const char *s, CgError *err) {
        int r;
        bool unlimited = strcmp(s, "max") == 0;

        if (key_is_size(k)) {
                uint64_t v = CG_UNLIMITED;
                if (!unlimited && (r = cg_limits_parse_size(s, &v)) < 0)
                        return bad(err, r, k, expectation(k));
                return set_size(l, k, v, err);
        }
        switch (k) {
        case CG_LIMIT_CPU_MAX: {
                double cpus;
                if (unlimited) {
                        l->cpu_quota_usec = CG_UNLIMITED;
                        break;
                }
                if (parse_cpus_string(s, &cpus) < 0)
                        return bad(err, -EINVAL, k, expectation(k));
                return cg_limits_set_from_real(l, k, cpus, err);
        }
        case CG_LIMIT_CPU_WEIGHT:
        case CG_LIMIT_IO_WEIGHT:
        case CG_LIMIT_PIDS_MAX: {
                uint64_t v;
                unsigned n;
                const char *p = s;
                if (k == CG_LIMIT_PIDS_MAX && unlimited) {
                        l->pids_max = CG_UNLIMITED;
                        break;
                }
                r = parse_digits(&p, &v, &n);
                if (r < 0 || v > INT64_MAX)
                        return bad(err, -ERANGE, k, expectation(k));
                if (n == 0 || *p)
                        return bad(err, -EINVAL, k, expectation(k));
                return cg_limits_set_from_int(l, k, (int64_t)v, err);
        }
        case CG_LIMIT_CPUSET_CPUS:
        case CG_LIMIT_CPUSET_MEMS:
                r = cg_cpuset_parse(s, k == CG_LIMIT_CPUSET_CPUS ? &l->cpuset_cpus : &l->cpuset_mems);
                if (r < 0)
                        return bad(err, r, k, expectation(k));
                break;
        default: return bad(err, -EINVAL, k, expectation(k));
        }
        mark_set(l, k);
        return 0;
}

void cg_limits_merge(CgLimits *d, const CgLimits *p) {
        for (CgLimitKey k = 0; k < _CG_LIMIT_COUNT; k++) {
                uint32_t bit = CG_LIMIT_BIT(k);
                if (p->clear & bit)
                        d->set &= ~bit;
                if (!(p->set & bit))
                        continue;
                d->set |= bit;
                if (u64_slot(d, k))
                        *u64_slot(d, k) = *u64_slot((CgLimits *)p, k);
                else if (k == CG_LIMIT_CPU_WEIGHT)
                        d->cpu_weight = p->cpu_weight;
                else if (k == CG_LIMIT_CPUSET_CPUS)
                        d->cpuset_cpus = p->cpuset_cpus;
                else if (k == CG_LIMIT_CPUSET_MEMS)
                        d->cpuset_mems = p->cpuset_mems;
                else if (k == CG_LIMIT_IO_WEIGHT)
                        d->io_weight = p->io_weight;
                else if (k == CG_LIMIT_DEVICES) { /* policy and rules change together */
                        d->devices_policy = p->devices_policy;
                        d->n_device_rules = p->n_device_rules;
                        memcpy(d->device_rules, p->device_rules, sizeof d->device_rules);
                }
        }
        /* io.max merges per device and field: a PATCH names only what changes. */
        if (p->clear & CG_LIMIT_BIT(CG_LIMIT_IO_MAX))
                d->n_io_max = 0;
        cg_io_max_merge(d, p);
        d->set = d->n_io_max ? d->set | CG_LIMIT_BIT(CG_LIMIT_IO_MAX) : d->set & ~CG_LIMIT_BIT(CG_LIMIT_IO_MAX);
        /* What the patch took away is what the kernel must reset; io.max counts as touched
         * whenever the patch names a device, since its last throttle may have gone. */
        uint32_t touched = p->clear | (p->n_io_max ? CG_LIMIT_BIT(CG_LIMIT_IO_MAX) : 0);
        d->clear = touched & ~d->set;
}

int cg_limits_validate(const CgLimits *l, CgError *err) {
        bool has_max = l->set & CG_LIMIT_BIT(CG_LIMIT_MEMORY_MAX);
        if (has_max && (l->set & CG_LIMIT_BIT(CG_LIMIT_MEMORY_RESERVATION)) &&
            l->memory_reservation_bytes != CG_UNLIMITED && l->memory_reservation_bytes > l->memory_max_bytes)
                return cg_error_set(err, -EINVAL, "conflict_value", "/memory/reservation",
                                    "memory.reservation must not exceed memory.max");
        return 0;
}

int cg_limits_format_value(const CgLimits *l, CgLimitKey k, char *buf, size_t size) {
        int n;
        switch (k) {
        case CG_LIMIT_CPU_WEIGHT: n = snprintf(buf, size, "%" PRIu32, l->cpu_weight); break;
        case CG_LIMIT_IO_WEIGHT: n = snprintf(buf, size, "%" PRIu32, l->io_weight); break;
        case CG_LIMIT_IO_MAX: return cg_io_max_format(l->io_max, l->n_io_max, buf, size);
        case CG_LIMIT_DEVICES: {
                n = snprintf(buf, size, "%s;", l->devices_policy == CG_DEVICES_DENY ? "deny" : "allow");
                if (n < 0 || (size_t)n >= size)
                        return -ENOBUFS;
                int m = cg_device_rules_format(l->device_rules, l->n_device_rules, buf + n, size - (size_t)n);
                return m < 0 ? m : n + m;
        }
        case CG_LIMIT_CPUSET_CPUS: return cg_cpuset_format(&l->cpuset_cpus, buf, size);
        case CG_LIMIT_CPUSET_MEMS: return cg_cpuset_format(&l->cpuset_mems, buf, size);
        case CG_LIMIT_CPU_MAX:
                if (l->cpu_quota_usec == CG_UNLIMITED) {
                        n = snprintf(buf, size, "max");
                        break;
                }
                /* Exact decimal of quota/period: %g would round 4095.99999 to 4096. */
                n = snprintf(buf, size, "%" PRIu64 ".%05" PRIu64, l->cpu_quota_usec / CG_CPU_PERIOD_USEC,
                             l->cpu_quota_usec % CG_CPU_PERIOD_USEC);
                if (n < 0 || (size_t)n >= size)
                        return -ENOBUFS;
                while (buf[n - 1] == '0')
                        buf[--n] = '\0';
                if (buf[n - 1] == '.')
                        buf[--n] = '\0';
                break;
        default: {
                uint64_t v = *u64_slot((CgLimits *)l, k);
                n = v == CG_UNLIMITED ? snprintf(buf, size, "max") : snprintf(buf, size, "%" PRIu64, v);
        }
        }
        return n < 0 || (size_t)n >= size ? -ENOBUFS : n;
}
