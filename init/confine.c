#include "confine.h"

#include <errno.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "caps.h"

int confine_bounding(uint64_t keep) {
        /* PR_CAPBSET_READ fails with EINVAL past the kernel's last capability. */
        for (int cap = 0; cap < 64; cap++) {
                int r = prctl(PR_CAPBSET_READ, cap, 0, 0, 0);
                if (r < 0)
                        return errno == EINVAL ? 0 : -errno;
                if (r == 1 && !(keep >> cap & 1) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0)
                        return -errno;
        }
        return 0;
}

int confine_caps(uint64_t caps) {
        if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) < 0 && errno != EINVAL)
                return -errno;
        struct __user_cap_header_struct hdr = {_LINUX_CAPABILITY_VERSION_3, 0};
        struct __user_cap_data_struct cur[2], set[2] = {{0}};
        if (syscall(SYS_capget, &hdr, cur) < 0)
                return -errno;
        /* Only what is still permitted: after a change to a non-root uid that is nothing. */
        for (int i = 0; i < 2; i++) {
                uint32_t want = (uint32_t)(caps >> (32 * i)) & cur[i].permitted;
                set[i].effective = set[i].permitted = want;
        }
        return syscall(SYS_capset, &hdr, set) < 0 ? -errno : 0;
}

int confine_seccomp(const void *bpf, size_t len) {
        struct sock_fprog prog = {.len = (unsigned short)(len / sizeof(struct sock_filter)),
                                  .filter = (struct sock_filter *)bpf};
        if (len == 0 || len % sizeof(struct sock_filter) || len / sizeof(struct sock_filter) > BPF_MAXINSNS)
                return -EINVAL;
        return syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0 ? -errno : 0;
}
