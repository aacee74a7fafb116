#include "cg-bpf.h"

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "cg-util.h"

static int bpf(enum bpf_cmd cmd, union bpf_attr *attr) {
        long r = syscall(__NR_bpf, cmd, attr, sizeof *attr);
        return r < 0 ? -errno : (int)r;
}

static int load(const struct bpf_insn *insns, size_t n) {
        union bpf_attr a;
        memset(&a, 0, sizeof a);
        a.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
        a.insns = (uint64_t)(uintptr_t)insns;
        a.insn_cnt = (uint32_t)n;
        a.license = (uint64_t)(uintptr_t) "GPL";
        return bpf(BPF_PROG_LOAD, &a);
}

static int tag_of(int prog_fd, uint8_t tag[BPF_TAG_SIZE]) {
        struct bpf_prog_info info;
        union bpf_attr a;
        memset(&info, 0, sizeof info);
        memset(&a, 0, sizeof a);
        a.info.bpf_fd = (uint32_t)prog_fd;
        a.info.info_len = sizeof info;
        a.info.info = (uint64_t)(uintptr_t)&info;
        int r = bpf(BPF_OBJ_GET_INFO_BY_FD, &a);
        if (r < 0)
                return r;
        memcpy(tag, info.tag, BPF_TAG_SIZE);
        return 0;
}

/* The ids of the device programs attached to the cgroup itself. */
static int attached(int cgfd, uint32_t *ids, uint32_t max) {
        union bpf_attr a;
        memset(&a, 0, sizeof a);
        a.query.target_fd = (uint32_t)cgfd;
        a.query.attach_type = BPF_CGROUP_DEVICE;
        a.query.prog_ids = (uint64_t)(uintptr_t)ids;
        a.query.prog_cnt = max;
        int r = bpf(BPF_PROG_QUERY, &a);
        return r < 0 ? r : (int)a.query.prog_cnt;
}

static int fd_of_id(uint32_t id) {
        union bpf_attr a;
        memset(&a, 0, sizeof a);
        a.prog_id = id;
        return bpf(BPF_PROG_GET_FD_BY_ID, &a);
}

static int attach_op(enum bpf_cmd cmd, int cgfd, int prog_fd) {
        union bpf_attr a;
        memset(&a, 0, sizeof a);
        a.target_fd = (uint32_t)cgfd;
        a.attach_bpf_fd = (uint32_t)prog_fd;
        a.attach_type = BPF_CGROUP_DEVICE;
        a.attach_flags = cmd == BPF_PROG_ATTACH ? BPF_F_ALLOW_MULTI : 0;
        return bpf(cmd, &a);
}

static int detach_ids(int cgfd, const uint32_t *ids, int n, CgError *err) {
        for (int i = 0; i < n; i++) {
                _cleanup_close_ int fd = fd_of_id(ids[i]);
                int r = fd < 0 ? fd : attach_op(BPF_PROG_DETACH, cgfd, fd);
                if (r < 0 && r != -ENOENT)
                        return cg_error_set(err, r, "bpf_error", "/devices", "detaching a device program: %s",
                                            strerror(-r));
        }
        return 0;
}

int cg_bpf_devices_set(int cgfd, const struct bpf_insn *insns, size_t n, bool only_drifted, bool *ret_changed,
                       CgError *err) {
        uint32_t ids[64];
        int old = attached(cgfd, ids, ELEMENTSOF(ids));
        if (old < 0)
                return cg_error_set(err, old, "bpf_error", "/devices", "querying device programs: %s", strerror(-old));
        _cleanup_close_ int fd = load(insns, n);
        if (fd < 0)
                return cg_error_set(err, fd, "bpf_error", "/devices", "loading the device program: %s", strerror(-fd));
        if (only_drifted && old == 1) {
                uint8_t want[BPF_TAG_SIZE], have[BPF_TAG_SIZE];
                _cleanup_close_ int cur = fd_of_id(ids[0]);
                if (cur >= 0 && tag_of(fd, want) == 0 && tag_of(cur, have) == 0 && memcmp(want, have, sizeof want) == 0)
                        return 0;
        }
        /* Attach the new one first, so the group is never without a program. */
        int r = attach_op(BPF_PROG_ATTACH, cgfd, fd);
        if (r < 0)
                return cg_error_set(err, r, "bpf_error", "/devices", "attaching the device program: %s", strerror(-r));
        *ret_changed = true;
        return detach_ids(cgfd, ids, old, err);
}

int cg_bpf_devices_clear(int cgfd, bool *ret_changed, CgError *err) {
        uint32_t ids[64];
        int n = attached(cgfd, ids, ELEMENTSOF(ids));
        if (n < 0)
                return cg_error_set(err, n, "bpf_error", "/devices", "querying device programs: %s", strerror(-n));
        if (n > 0)
                *ret_changed = true;
        return detach_ids(cgfd, ids, n, err);
}

int cg_bpf_devices_probe(void) {
        struct bpf_insn allow[] = {
            {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 1},
            {.code = BPF_JMP | BPF_EXIT},
        };
        int fd = load(allow, ELEMENTSOF(allow));
        if (fd < 0)
                return fd;
        close(fd);
        return 0;
}
