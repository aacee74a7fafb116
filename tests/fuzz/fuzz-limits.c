/* libFuzzer target for everything that parses user input before it can reach the kernel:
 * LIMITS JSON bodies, sizes, cpu lists, group names, and the times and durations of query
 * strings and CLI flags. Besides crashes and sanitizer
 * reports it checks two properties: what is accepted renders canonically and parses back
 * to the same value, and nothing accepted is out of range. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cg-json.h"
#include "cg-limits.h"
#include "cg-name.h"
#include "cg-time.h"

static void check(int cond) {
        if (!cond)
                abort();
}

static void fuzz_json(const char *s, size_t n) {
        for (int allow_null = 0; allow_null < 2; allow_null++) {
                CgLimits l, again;
                CgError err = {0};
                json_t *j = json_loadb(s, n, JSON_REJECT_DUPLICATES, NULL);
                if (!j)
                        return;
                if (cg_json_to_limits(j, allow_null, "/limits", &l, &err) == 0) {
                        check((l.set & ~CG_LIMIT_ALL) == 0 && (l.set & l.clear) == 0);
                        check(!(l.set & CG_LIMIT_BIT(CG_LIMIT_MEMORY_MAX)) || l.memory_max_bytes == CG_UNLIMITED ||
                              (l.memory_max_bytes >= CG_MEMORY_MAX_MIN && l.memory_max_bytes <= CG_SIZE_MAX));
                        check(!(l.set & CG_LIMIT_BIT(CG_LIMIT_CPU_WEIGHT)) ||
                              (l.cpu_weight >= CG_CPU_WEIGHT_MIN && l.cpu_weight <= CG_CPU_WEIGHT_MAX));
                        check(!(l.set & CG_LIMIT_BIT(CG_LIMIT_PIDS_MAX)) || l.pids_max == CG_UNLIMITED ||
                              l.pids_max <= CG_PIDS_MAX_LIMIT);
                        json_t *out = cg_json_from_limits(&l);
                        check(out && cg_json_to_limits(out, false, "", &again, &err) == 0);
                        check(again.set == l.set);
                        for (CgLimitKey k = 0; k < _CG_LIMIT_COUNT; k++) {
                                char a[1024], b[1024];
                                if (!(l.set & CG_LIMIT_BIT(k)))
                                        continue;
                                check(cg_limits_format_value(&l, k, a, sizeof a) >= 0);
                                check(cg_limits_format_value(&again, k, b, sizeof b) >= 0);
                                check(strcmp(a, b) == 0);
                        }
                        json_decref(out);
                } else
                        check(err.code[0] != '\0');
                json_decref(j);
        }
}

static void fuzz_strings(const char *s) {
        uint64_t v;
        if (cg_limits_parse_size(s, &v) == 0)
                check(v <= CG_SIZE_MAX);
        CgCpuSet set, again;
        if (cg_cpuset_parse(s, &set) == 0) {
                char buf[32768];
                check(cg_cpuset_format(&set, buf, sizeof buf) > 0);
                check(cg_cpuset_parse(buf, &again) == 0 && memcmp(&set, &again, sizeof set) == 0);
        }
        if (cg_name_is_valid(s))
                check(!strchr(s, '/') && strcmp(s, "..") != 0 && strcmp(s, ".") != 0 && strlen(s) <= CG_NAME_MAX);
        if (cg_duration_parse(s, &v) == 0)
                check(v >= 1000000 && v <= CG_DURATION_MAX_USEC);
        /* An accepted time is within 1970…9999 and, written back, parses to the same second. */
        const uint64_t now = UINT64_C(1796083200) * 1000000;
        if (cg_time_parse(s, now, &v) == 0) {
                char buf[21];
                uint64_t back = 0;
                check(v <= UINT64_C(253402300800) * 1000000);
                if (v < UINT64_C(253402300800) * 1000000) {
                        cg_time_format(v, buf);
                        check(cg_time_parse(buf, now, &back) == 0 && back == v / 1000000 * 1000000);
                }
        }
        for (CgLimitKey k = 0; k < _CG_LIMIT_COUNT; k++) {
                CgLimits l = {0};
                CgError err = {0};
                check(cg_limits_set_from_string(&l, k, s, &err) == 0 ? l.set == CG_LIMIT_BIT(k) : l.set == 0);
        }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char *s = malloc(size + 1);
        if (!s)
                return 0;
        memcpy(s, data, size);
        s[size] = '\0';
        fuzz_json(s, size);
        fuzz_strings(s);
        free(s);
        return 0;
}
