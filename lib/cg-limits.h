/* Resource limits as typed values: parsing of human input, validation and canonical rendering.
 * Nothing here knows a kernel file name; the drivers map these values to files or properties. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cg-error.h"

typedef enum CgLimitKey {
        CG_LIMIT_MEMORY_MAX,
        CG_LIMIT_MEMORY_RESERVATION,
        CG_LIMIT_MEMORY_SWAP_MAX,
        CG_LIMIT_CPU_MAX,
        CG_LIMIT_CPU_WEIGHT,
        CG_LIMIT_CPUSET_CPUS,
        CG_LIMIT_CPUSET_MEMS,
        CG_LIMIT_PIDS_MAX,
        CG_LIMIT_IO_WEIGHT,
        CG_LIMIT_IO_MAX,  /* the per-device throttles, as one key */
        CG_LIMIT_DEVICES, /* policy and rules, as one key */
        _CG_LIMIT_COUNT,
} CgLimitKey;

#define CG_LIMIT_BIT(k) (1u << (k))
#define CG_LIMIT_ALL    ((1u << _CG_LIMIT_COUNT) - 1)

#define CG_UNLIMITED          UINT64_MAX
#define CG_SIZE_MAX           ((uint64_t)INT64_MAX) /* what the store and the kernels can hold */
#define CG_MEMORY_MAX_MIN     (1024u * 1024u)       /* below 1 MiB a group cannot even start a shell */
#define CG_CPU_PERIOD_USEC    100000u
#define CG_CPU_QUOTA_MIN_USEC 1000u /* the kernel's minimum quota: 0.01 CPU */
#define CG_CPU_MAX_CPUS       4096u
#define CG_CPU_WEIGHT_MIN     1u
#define CG_CPU_WEIGHT_MAX     10000u
#define CG_CPU_WEIGHT_DEFAULT 100u
#define CG_PIDS_MAX_LIMIT     4194304u /* PID_MAX_LIMIT on 64-bit */
#define CG_CPUSET_BITS        4096u

#define CG_IO_WEIGHT_MIN     1u
#define CG_IO_WEIGHT_MAX     10000u
#define CG_IO_WEIGHT_DEFAULT 100u
#define CG_IO_DEVICES_MAX    16

typedef enum CgIoField {
        CG_IO_RBPS,
        CG_IO_WBPS,
        CG_IO_RIOPS,
        CG_IO_WIOPS,
        _CG_IO_FIELD_COUNT,
} CgIoField;

/* Throttles for one whole disk. `set` has a bit per field with a value (CG_UNLIMITED = "max"),
 * `clear` a bit per field to remove (JSON null in a PATCH). */
typedef struct CgIoMax {
        uint32_t major, minor;
        uint8_t set, clear;
        uint64_t v[_CG_IO_FIELD_COUNT];
} CgIoMax;

#define CG_DEVICE_RULES_MAX 64

typedef enum CgDevicesPolicy {
        CG_DEVICES_ALLOW, /* every device, except what the rules name */
        CG_DEVICES_DENY,  /* no device, except what the rules name */
} CgDevicesPolicy;

typedef struct CgDeviceRule {
        char type;            /* 'a' (all), 'b', 'c' */
        int32_t major, minor; /* -1 = "*" */
        uint8_t access;       /* CG_DEV_ACC_* bits */
} CgDeviceRule;

typedef struct CgCpuSet {
        uint64_t bits[CG_CPUSET_BITS / 64];
} CgCpuSet;

/* A set of limits. `set` has a bit per key that carries a value; `clear` a bit per key that
 * is to be removed (JSON null in a PATCH). A key in neither is absent: left as it is. */
typedef struct CgLimits {
        uint32_t set;
        uint32_t clear;
        uint64_t memory_max_bytes;         /* CG_UNLIMITED = "max" */
        uint64_t memory_reservation_bytes; /* CG_UNLIMITED = "max" */
        uint64_t memory_swap_max_bytes;    /* CG_UNLIMITED = "max" */
        uint64_t cpu_quota_usec;           /* per CG_CPU_PERIOD_USEC; CG_UNLIMITED = "max" */
        uint32_t cpu_weight;
        CgCpuSet cpuset_cpus;
        CgCpuSet cpuset_mems;
        uint64_t pids_max; /* CG_UNLIMITED = "max" */
        uint32_t io_weight;
        uint32_t n_io_max;
        CgIoMax io_max[CG_IO_DEVICES_MAX];
        CgDevicesPolicy devices_policy;
        uint32_t n_device_rules;
        CgDeviceRule device_rules[CG_DEVICE_RULES_MAX];
} CgLimits;

/* The JSON pointer of a key ("/memory/max"), its section ("memory") and leaf ("max"). */
const char *cg_limit_key_pointer(CgLimitKey k);
const char *cg_limit_key_section(CgLimitKey k);
const char *cg_limit_key_leaf(CgLimitKey k);

/* Sizes: a byte count, or a decimal with a binary suffix (K M G T P E, optionally followed
 * by "i", "iB" or "B"), or "max". Fractions are floored to whole bytes.
 * Returns 0, -EINVAL (syntax) or -ERANGE (above CG_SIZE_MAX). */
int cg_limits_parse_size(const char *s, uint64_t *ret_bytes);

/* A CPU count such as 1.5 → quota 150000 µs per 100000 µs period, rounded to the µs.
 * Returns 0 or -ERANGE (not finite, below 0.01 or above CG_CPU_MAX_CPUS). */
int cg_limits_cpus_to_quota(double cpus, uint64_t *ret_quota_usec);
double cg_limits_quota_to_cpus(uint64_t quota_usec);

/* Kernel list format ("0-3,7"). Empty, unordered ranges, spaces or numbers at or above
 * CG_CPUSET_BITS are -EINVAL/-ERANGE. */
int cg_cpuset_parse(const char *s, CgCpuSet *ret);
/* Canonical form, ranges merged. Returns the length, or -ENOBUFS. */
int cg_cpuset_format(const CgCpuSet *set, char *buf, size_t size);
bool cg_cpuset_is_empty(const CgCpuSet *set);
bool cg_cpuset_is_subset(const CgCpuSet *sub, const CgCpuSet *super);

/* Checks that `want` lies within the parent's effective set, given as the kernel prints it
 * (cpuset.effective_cpus on v1, cpuset.cpus.effective on v2). Returns 0 or -EINVAL with
 * *err (code "not_in_parent", field of key k). */
int cg_cpuset_check_within(const CgCpuSet *want, const char *parent_effective, CgLimitKey k, CgError *err);

/* cpu.weight (1–10000) ↔ v1 cpu.shares (2–262144), exactly as systemd maps them. */
uint64_t cg_limits_weight_to_shares(uint32_t weight);
uint32_t cg_limits_shares_to_weight(uint64_t shares);

/* Parses a human string for key k into *l (sets its bit). Used for CLI flags and JSON strings.
 * "max" is accepted where unlimited exists. Returns 0 or -EINVAL with *err filled. */
int cg_limits_set_from_string(CgLimits *l, CgLimitKey k, const char *s, CgError *err);

/* Range checks for values that arrived typed (JSON numbers). Same contract. */
int cg_limits_set_from_int(CgLimits *l, CgLimitKey k, int64_t v, CgError *err);
int cg_limits_set_from_real(CgLimits *l, CgLimitKey k, double v, CgError *err);

/* Applies a patch: keys set in `patch` take its values, keys cleared in it are removed.
 * desired->clear becomes the keys the patch removed, for the driver to reset. */
void cg_limits_merge(CgLimits *desired, const CgLimits *patch);

/* Checks across keys (reservation above max, swap without a memory limit...). */
int cg_limits_validate(const CgLimits *l, CgError *err);

/* Renders the value of key k canonically for people ("536870912", "max", "1.5", "0-3"). */
int cg_limits_format_value(const CgLimits *l, CgLimitKey k, char *buf, size_t size);
