#include "cg-json.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int find_key(const char *section, const char *leaf, CgLimitKey *ret) {
        for (CgLimitKey k = 0; k < _CG_LIMIT_COUNT; k++)
                if (strcmp(cg_limit_key_section(k), section) == 0 && strcmp(cg_limit_key_leaf(k), leaf) == 0) {
                        *ret = k;
                        return 0;
                }
        return -ENOENT;
}

static bool section_known(const char *section) {
        for (CgLimitKey k = 0; k < _CG_LIMIT_COUNT; k++)
                if (strcmp(cg_limit_key_section(k), section) == 0)
                        return true;
        return false;
}

static int one_value(const json_t *v, CgLimitKey k, bool allow_null, const char *ptr, CgLimits *l, CgError *err) {
        int r;
        switch (json_typeof(v)) {
        case JSON_NULL:
                if (!allow_null)
                        return cg_error_set(err, -EINVAL, "invalid_value", ptr,
                                            "null is only allowed when changing limits");
                l->clear |= CG_LIMIT_BIT(k);
                l->set &= ~CG_LIMIT_BIT(k);
                return 0;
        case JSON_STRING:
                /* "\u0000" inside a JSON string would cut the C string short. */
                if (strlen(json_string_value(v)) != json_string_length(v))
                        return cg_error_set(err, -EINVAL, "invalid_value", ptr, "NUL is not allowed in a value");
                r = cg_limits_set_from_string(l, k, json_string_value(v), err);
                break;
        case JSON_INTEGER: r = cg_limits_set_from_int(l, k, json_integer_value(v), err); break;
        case JSON_REAL: r = cg_limits_set_from_real(l, k, json_real_value(v), err); break;
        default: return cg_error_set(err, -EINVAL, "invalid_type", ptr, "expected a number or a string");
        }
        if (r < 0 && err)
                snprintf(err->field, sizeof err->field, "%s", ptr); /* with the caller's base */
        return r;
}

int cg_json_to_limits(const json_t *j, bool allow_null, const char *base, CgLimits *ret, CgError *err) {
        CgLimits l = {0};
        const char *section, *leaf;
        json_t *obj, *v;
        char ptr[96];

        if (!json_is_object(j))
                return cg_error_set(err, -EINVAL, "invalid_type", base[0] ? base : "", "limits must be an object");
        json_object_foreach ((json_t *)j, section, obj) {
                snprintf(ptr, sizeof ptr, "%s/%s", base, section);
                if (!section_known(section))
                        return cg_error_set(err, -EINVAL, "unknown_field", ptr, "unknown limit section");
                if (json_is_null(obj) && allow_null) {
                        /* "memory": null removes every memory limit. */
                        for (CgLimitKey k = 0; k < _CG_LIMIT_COUNT; k++)
                                if (strcmp(cg_limit_key_section(k), section) == 0)
                                        l.clear |= CG_LIMIT_BIT(k);
                        continue;
                }
                if (!json_is_object(obj))
                        return cg_error_set(err, -EINVAL, "invalid_type", ptr, "expected an object");
                json_object_foreach (obj, leaf, v) {
                        CgLimitKey k;
                        snprintf(ptr, sizeof ptr, "%s/%s/%s", base, section, leaf);
                        if (find_key(section, leaf, &k) < 0)
                                return cg_error_set(err, -EINVAL, "unknown_field", ptr, "unknown limit");
                        int r = one_value(v, k, allow_null, ptr, &l, err);
                        if (r < 0)
                                return r;
                }
        }
        int r = cg_limits_validate(&l, err);
        if (r < 0)
                return r;
        *ret = l;
        return 0;
}

static json_t *value_json(const CgLimits *l, CgLimitKey k) {
        char buf[1024];
        uint64_t v;
        switch (k) {
        case CG_LIMIT_CPU_WEIGHT: return json_integer(l->cpu_weight);
        case CG_LIMIT_CPUSET_CPUS:
        case CG_LIMIT_CPUSET_MEMS: return cg_limits_format_value(l, k, buf, sizeof buf) < 0 ? NULL : json_string(buf);
        case CG_LIMIT_CPU_MAX:
                return l->cpu_quota_usec == CG_UNLIMITED ? json_string("max")
                                                         : json_real(cg_limits_quota_to_cpus(l->cpu_quota_usec));
        case CG_LIMIT_MEMORY_MAX: v = l->memory_max_bytes; break;
        case CG_LIMIT_MEMORY_RESERVATION: v = l->memory_reservation_bytes; break;
        case CG_LIMIT_MEMORY_SWAP_MAX: v = l->memory_swap_max_bytes; break;
        case CG_LIMIT_PIDS_MAX: v = l->pids_max; break;
        default: return NULL;
        }
        return v == CG_UNLIMITED ? json_string("max") : json_integer((json_int_t)v);
}

json_t *cg_json_from_limits(const CgLimits *l) {
        json_t *o = json_object();
        for (CgLimitKey k = 0; o && k < _CG_LIMIT_COUNT; k++) {
                if (!(l->set & CG_LIMIT_BIT(k)))
                        continue;
                const char *section = cg_limit_key_section(k);
                json_t *s = json_object_get(o, section);
                if (!s) {
                        s = json_object();
                        json_object_set_new(o, section, s);
                }
                json_object_set_new(s, cg_limit_key_leaf(k), value_json(l, k));
        }
        return o;
}

const char *cg_json_plain_string(const json_t *j) {
        const char *s = json_string_value(j);
        return s && strlen(s) == json_string_length(j) ? s : NULL;
}

json_t *cg_json_time(uint64_t usec) {
        char buf[32];
        time_t t = (time_t)(usec / 1000000u);
        struct tm tm;
        gmtime_r(&t, &tm);
        strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%SZ", &tm);
        return json_string(buf);
}
