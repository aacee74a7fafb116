/* Docker's default seccomp profile (moby profiles, default.json) as a BPF program. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Compiles the profile for a process holding the capabilities in `caps` (some syscalls are
 * allowed only with the capability that makes them safe, as in Docker). *ret_bpf (malloc'd)
 * is an array of struct sock_filter, *ret_len its size in bytes. 0 or -errno. */
int seccomp_profile_bpf(uint64_t caps, void **ret_bpf, size_t *ret_len);
