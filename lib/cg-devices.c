#include "cg-devices.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse_num(const char **p, int32_t *ret) {
        if (**p == '*') {
                (*p)++;
                *ret = CG_DEVICE_ANY;
                return 0;
        }
        int64_t v = 0;
        const char *start = *p;
        for (; **p >= '0' && **p <= '9'; (*p)++) {
                v = v * 10 + (**p - '0');
                if (v > 1048575) /* 20-bit minors; majors are smaller still */
                        return -EINVAL;
        }
        if (*p == start)
                return -EINVAL;
        *ret = (int32_t)v;
        return 0;
}

int cg_device_rule_parse(const char *s, CgDeviceRule *ret) {
        CgDeviceRule r = {0};
        const char *p = s;
        if (strcmp(s, "a") == 0) {
                *ret = (CgDeviceRule){'a', CG_DEVICE_ANY, CG_DEVICE_ANY,
                                      CG_DEV_ACC_MKNOD | CG_DEV_ACC_READ | CG_DEV_ACC_WRITE};
                return 0;
        }
        if (*p != 'a' && *p != 'b' && *p != 'c')
                return -EINVAL;
        r.type = *p++;
        if (*p++ != ' ' || parse_num(&p, &r.major) < 0 || *p++ != ':' || parse_num(&p, &r.minor) < 0 || *p++ != ' ')
                return -EINVAL;
        for (; *p; p++) {
                uint8_t bit = *p == 'r'   ? CG_DEV_ACC_READ
                              : *p == 'w' ? CG_DEV_ACC_WRITE
                              : *p == 'm' ? CG_DEV_ACC_MKNOD
                                          : 0;
                if (!bit || (r.access & bit))
                        return -EINVAL;
                r.access |= bit;
        }
        if (!r.access)
                return -EINVAL;
        /* "a" names every device: numbers would mean nothing, so insist on *:*. */
        if (r.type == 'a' && (r.major != CG_DEVICE_ANY || r.minor != CG_DEVICE_ANY))
                return -EINVAL;
        *ret = r;
        return 0;
}

int cg_device_rule_format(const CgDeviceRule *r, char *buf, size_t size) {
        char maj[16], min[16];
        snprintf(maj, sizeof maj, r->major == CG_DEVICE_ANY ? "*" : "%" PRId32, r->major);
        snprintf(min, sizeof min, r->minor == CG_DEVICE_ANY ? "*" : "%" PRId32, r->minor);
        int n = snprintf(buf, size, "%c %s:%s %s%s%s", r->type, maj, min, r->access & CG_DEV_ACC_READ ? "r" : "",
                         r->access & CG_DEV_ACC_WRITE ? "w" : "", r->access & CG_DEV_ACC_MKNOD ? "m" : "");
        return n < 0 || (size_t)n >= size ? -ENOBUFS : n;
}

int cg_device_rules_format(const CgDeviceRule *rules, size_t n, char *buf, size_t size) {
        size_t len = 0;
        if (size == 0)
                return -ENOBUFS;
        buf[0] = '\0';
        for (size_t i = 0; i < n; i++) {
                if (i > 0) {
                        if (len + 2 > size)
                                return -ENOBUFS;
                        buf[len++] = '\n';
                        buf[len] = '\0';
                }
                int w = cg_device_rule_format(&rules[i], buf + len, size - len);
                if (w < 0)
                        return w;
                len += (size_t)w;
        }
        return (int)len;
}

int cg_device_rules_parse(const char *s, CgDeviceRule *ret, uint32_t *ret_n) {
        uint32_t n = 0;
        while (*s) {
                size_t len = strcspn(s, "\n");
                char line[64];
                if (len >= sizeof line || n == CG_DEVICE_RULES_MAX)
                        return -EBADMSG;
                memcpy(line, s, len);
                line[len] = '\0';
                if (cg_device_rule_parse(line, &ret[n++]) < 0)
                        return -EBADMSG;
                s += len + (s[len] == '\n');
        }
        *ret_n = n;
        return 0;
}

#define RWM (CG_DEV_ACC_READ | CG_DEV_ACC_WRITE | CG_DEV_ACC_MKNOD)
const CgDeviceRule cg_devices_process_default[] = {
    {'c', CG_DEVICE_ANY, CG_DEVICE_ANY, CG_DEV_ACC_MKNOD},
    {'b', CG_DEVICE_ANY, CG_DEVICE_ANY, CG_DEV_ACC_MKNOD},
    {'c', 1, 3, RWM},               /* null */
    {'c', 1, 5, RWM},               /* zero */
    {'c', 1, 7, RWM},               /* full */
    {'c', 1, 8, RWM},               /* random */
    {'c', 1, 9, RWM},               /* urandom */
    {'c', 5, 0, RWM},               /* tty */
    {'c', 5, 2, RWM},               /* ptmx */
    {'c', 136, CG_DEVICE_ANY, RWM}, /* pts */
};
const size_t cg_devices_process_default_n = sizeof cg_devices_process_default / sizeof *cg_devices_process_default;

int cg_devices_for_process(const CgLimits *group, CgLimits *ret) {
        if (group && (group->set & CG_LIMIT_BIT(CG_LIMIT_DEVICES)))
                return 0;
        *ret = (CgLimits){.set = CG_LIMIT_BIT(CG_LIMIT_DEVICES), .devices_policy = CG_DEVICES_DENY};
        memcpy(ret->device_rules, cg_devices_process_default, sizeof cg_devices_process_default);
        ret->n_device_rules = (uint32_t)cg_devices_process_default_n;
        return 1;
}

static struct bpf_insn insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
        return (struct bpf_insn){.code = code, .dst_reg = dst, .src_reg = src, .off = off, .imm = imm};
}

#define LDX_W(dst, src, off)     insn(BPF_LDX | BPF_MEM | BPF_W, dst, src, off, 0)
#define MOV32_REG(dst, src)      insn(BPF_ALU | BPF_MOV | BPF_X, dst, src, 0, 0)
#define ALU32_IMM(op, dst, imm)  insn(BPF_ALU | (op) | BPF_K, dst, 0, 0, imm)
#define JNE32_IMM(dst, imm, off) insn(BPF_JMP32 | BPF_JNE | BPF_K, dst, 0, off, imm)
#define MOV64_IMM(dst, imm)      insn(BPF_ALU64 | BPF_MOV | BPF_K, dst, 0, 0, imm)
#define EXIT()                   insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0)

/* Registers: r2 device type, r3 requested access, r4 major, r5 minor (struct
 * bpf_cgroup_dev_ctx, include/uapi/linux/bpf.h); each rule is a block of checks that jump
 * past it on a mismatch and return the rule's verdict otherwise, as crun and runc build it. */
int cg_devices_bpf(const CgLimits *l, struct bpf_insn *out, size_t max) {
        bool deny = l->devices_policy == CG_DEVICES_DENY;
        size_t n = 0;
        if (max < 8)
                return -E2BIG;
        out[n++] = LDX_W(BPF_REG_2, BPF_REG_1, 0);
        out[n++] = MOV32_REG(BPF_REG_3, BPF_REG_2);
        out[n++] = ALU32_IMM(BPF_AND, BPF_REG_2, 0xFFFF);
        out[n++] = ALU32_IMM(BPF_RSH, BPF_REG_3, 16);
        out[n++] = LDX_W(BPF_REG_4, BPF_REG_1, 4);
        out[n++] = LDX_W(BPF_REG_5, BPF_REG_1, 8);
        for (uint32_t i = 0; i < l->n_device_rules; i++) {
                const CgDeviceRule *r = &l->device_rules[i];
                struct bpf_insn block[8];
                size_t b = 0, jumps[4], nj = 0;
                if (r->type != 'a') {
                        jumps[nj++] = b;
                        block[b++] = JNE32_IMM(BPF_REG_2, r->type == 'b' ? BPF_DEVCG_DEV_BLOCK : BPF_DEVCG_DEV_CHAR, 0);
                }
                if (r->access != (CG_DEV_ACC_MKNOD | CG_DEV_ACC_READ | CG_DEV_ACC_WRITE)) {
                        /* Matches only if everything asked for is in the rule. */
                        block[b++] = MOV32_REG(BPF_REG_1, BPF_REG_3);
                        block[b++] = ALU32_IMM(BPF_AND, BPF_REG_1, ~(int32_t)r->access & 7);
                        jumps[nj++] = b;
                        block[b++] = JNE32_IMM(BPF_REG_1, 0, 0);
                }
                if (r->major != CG_DEVICE_ANY) {
                        jumps[nj++] = b;
                        block[b++] = JNE32_IMM(BPF_REG_4, r->major, 0);
                }
                if (r->minor != CG_DEVICE_ANY) {
                        jumps[nj++] = b;
                        block[b++] = JNE32_IMM(BPF_REG_5, r->minor, 0);
                }
                block[b++] = MOV64_IMM(BPF_REG_0, deny ? 1 : 0);
                block[b++] = EXIT();
                for (size_t j = 0; j < nj; j++)
                        block[jumps[j]].off = (int16_t)(b - jumps[j] - 1);
                if (n + b + 2 > max)
                        return -E2BIG;
                memcpy(out + n, block, b * sizeof *block);
                n += b;
        }
        out[n++] = MOV64_IMM(BPF_REG_0, deny ? 0 : 1);
        out[n++] = EXIT();
        return (int)n;
}
