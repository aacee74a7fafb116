/* The walls cgwarden-init puts around the command just before it execs: the capability
 * sets, no_new_privs and the seccomp filter. Each returns 0 or -errno. */
#pragma once

#include <stddef.h>
#include <stdint.h>

/* Cuts the bounding set to `caps`: what any exec (a setuid binary included) can ever yield.
 * Needs CAP_SETPCAP, so it comes before the change of user. */
int confine_bounding(uint64_t caps);

/* Clears the ambient set and sets effective and permitted to `caps` (inheritable empty:
 * CVE-2022-24769, as runc and moby do since). For a process that is root in its user
 * namespace an exec then keeps exactly `caps`; for any other user an exec yields none,
 * since permitted was cleared with the change of uid. */
int confine_caps(uint64_t caps);

/* Loads a seccomp filter: `len` bytes of struct sock_filter, as the daemon compiled them
 * (lib/seccomp-profile.c). Needs no_new_privs or CAP_SYS_ADMIN. */
int confine_seccomp(const void *bpf, size_t len);
