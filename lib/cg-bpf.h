/* eBPF device programs on cgroup v2 groups: load, attach, replace, detach (bpf(2)). */
#pragma once

#include <linux/bpf.h>
#include <stdbool.h>
#include <stddef.h>

#include "cg-error.h"

/* Makes `insns` the only device program attached to the cgroup at cgfd (with
 * BPF_F_ALLOW_MULTI, so an ancestor's program still applies). With only_drifted, an
 * attached program with the same tag is kept. *ret_changed if anything changed. */
int cg_bpf_devices_set(int cgfd, const struct bpf_insn *insns, size_t n, bool only_drifted, bool *ret_changed,
                       CgError *err);
/* Detaches every device program from the cgroup at cgfd. */
int cg_bpf_devices_clear(int cgfd, bool *ret_changed, CgError *err);
/* 0 if this kernel and process can load a device program, -errno otherwise. */
int cg_bpf_devices_probe(void);
