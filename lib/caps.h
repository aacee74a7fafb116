/* Linux capabilities by name, as sets of bits: the default set a container process gets,
 * and parsing of the names a caller adds or drops. Pure: applying a set is cgwarden-init's. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

/* Docker's default set (moby oci/caps/defaults.go), the one runc and crun are given by it:
 * CHOWN DAC_OVERRIDE FSETID FOWNER MKNOD NET_RAW SETGID SETUID SETFCAP SETPCAP
 * NET_BIND_SERVICE SYS_CHROOT KILL AUDIT_WRITE. */
extern const uint64_t caps_default;

/* Every capability this build knows (0 … 40). */
extern const uint64_t caps_all;

/* "SYS_ADMIN", "CAP_SYS_ADMIN" or "sys_admin" → its bit number; -EINVAL if unknown. */
int caps_from_name(const char *name);

/* "SYS_ADMIN" for 21, or NULL. */
const char *caps_name(int cap);
