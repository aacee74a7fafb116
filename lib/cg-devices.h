/* Device access rules ("c 1:3 rwm"), and the eBPF program that enforces them on cgroup v2. */
#pragma once

#include <linux/bpf.h>
#include <stddef.h>
#include <stdint.h>

#include "cg-error.h"
#include "cg-limits.h"

#define CG_DEVICE_ANY    (-1) /* "*" in a rule */
#define CG_DEV_ACC_MKNOD BPF_DEVCG_ACC_MKNOD
#define CG_DEV_ACC_READ  BPF_DEVCG_ACC_READ
#define CG_DEV_ACC_WRITE BPF_DEVCG_ACC_WRITE

/* Parses one rule: "TYPE MAJOR:MINOR ACCESS" with TYPE a, b or c, MAJOR and MINOR a number
 * or "*", ACCESS a non-empty set of r, w, m; or "a" alone (every device, every access).
 * Returns 0 or -EINVAL. */
int cg_device_rule_parse(const char *s, CgDeviceRule *ret);
/* Canonical text: "c 1:3 rwm", "b 8:* r", "a *:* rwm". Returns the length or -ENOBUFS. */
int cg_device_rule_format(const CgDeviceRule *r, char *buf, size_t size);

/* All rules, one per line, for the store. */
int cg_device_rules_format(const CgDeviceRule *rules, size_t n, char *buf, size_t size);
int cg_device_rules_parse(const char *s, CgDeviceRule *ret, uint32_t *ret_n);

/* The devices a process cgwarden starts may use when its group has no device rules of its
 * own: runc's and Docker's default list (oci/defaults.go) — mknod of any node (CAP_MKNOD is
 * in the default set; this policy is what makes it harmless), the pseudo devices its /dev
 * holds (null zero full random urandom tty), ptmx and its own devpts. */
extern const CgDeviceRule cg_devices_process_default[];
extern const size_t cg_devices_process_default_n;
/* The device policy of a new process in a group whose limits are `group`: 1 with *ret set to
 * the default list as a deny policy, or 0 where the group has rules of its own, which are
 * then the process's whole policy (the kernel enforces them on the group). */
int cg_devices_for_process(const CgLimits *group, CgLimits *ret);

/* Builds a BPF_PROG_TYPE_CGROUP_DEVICE program with the semantics of the v1 devices
 * controller: with policy deny, an access is allowed only if a rule matches it; with policy
 * allow, it is refused if a rule matches. Returns the number of instructions written
 * (at most `max`), or -E2BIG. */
int cg_devices_bpf(const CgLimits *l, struct bpf_insn *insns, size_t max);
#define CG_DEVICES_BPF_MAX (8 + 8 * CG_DEVICE_RULES_MAX) /* loads + exit; per rule 6 checks + exit */
