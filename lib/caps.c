#include "caps.h"

#include <errno.h>
#include <strings.h>

#include "cg-util.h"

/* Numbered as in <linux/capability.h>. */
static const char *const names[] = {
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
};

#define BIT(n) (UINT64_C(1) << (n))
const uint64_t caps_default = BIT(0) | BIT(1) | BIT(4) | BIT(3) | BIT(27) | BIT(13) | BIT(6) | BIT(7) | BIT(31) |
                              BIT(8) | BIT(10) | BIT(18) | BIT(5) | BIT(29);
const uint64_t caps_all = BIT(ELEMENTSOF(names)) - 1;

int caps_from_name(const char *name) {
        if (strncasecmp(name, "CAP_", 4) == 0)
                name += 4;
        for (size_t i = 0; i < ELEMENTSOF(names); i++)
                if (strcasecmp(name, names[i]) == 0)
                        return (int)i;
        return -EINVAL;
}

const char *caps_name(int cap) {
        return cap >= 0 && (size_t)cap < ELEMENTSOF(names) ? names[cap] : NULL;
}
