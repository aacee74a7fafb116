#include "cg-json.h"

#include "cg-blkdev.h"
#include "cg-devices.h"
#include "cg-io.h"

#include <inttypes.h>
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

/* "/io/max/8:0" for a device key; a path becomes "~1dev~1sda" (RFC 6901), and a key that is
 * not plainly a device is not repeated at all. */
static void device_pointer(char *buf, size_t size, const char *base, const char *dev) {
        size_t n = (size_t)snprintf(buf, size, "%s/io/max", base);
        if (strlen(dev) > 64 ||
            strspn(dev, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789/_:.-") != strlen(dev))
                return;
        n += (size_t)snprintf(buf + n, size - n, "/");
        for (const char *c = dev; *c && n + 3 < size; c++)
                n += (size_t)(*c == '/' ? snprintf(buf + n, size - n, "~1") : snprintf(buf + n, size - n, "%c", *c));
}

static int io_device(const char *key, json_t *fields, bool allow_null, const char *ptr, CgLimits *l, CgError *err) {
        CgIoMax e = {0};
        int r = cg_blkdev_resolve(key, ptr, &e.major, &e.minor, err);
        if (r < 0)
                return r;
        if (cg_io_max_find(l->io_max, l->n_io_max, e.major, e.minor))
                return cg_error_set(err, -EINVAL, "duplicate_device", ptr, "the same disk is named twice");
        if (l->n_io_max == CG_IO_DEVICES_MAX)
                return cg_error_set(err, -EINVAL, "too_many_devices", ptr, "at most %d devices", CG_IO_DEVICES_MAX);
        if (json_is_null(fields) && allow_null)
                e.clear = (1u << _CG_IO_FIELD_COUNT) - 1;
        else if (!json_is_object(fields))
                return cg_error_set(err, -EINVAL, "invalid_type", ptr,
                                    "expected an object of rbps, wbps, riops, wiops");
        const char *name;
        json_t *v;
        json_object_foreach (fields, name, v) {
                CgIoField f;
                char fptr[176];
                snprintf(fptr, sizeof fptr, "%s/%s", ptr, strlen(name) < 8 ? name : "");
                if (cg_io_field_from_name(name, &f) < 0)
                        return cg_error_set(err, -EINVAL, "unknown_field", fptr, "expected rbps, wbps, riops or wiops");
                if (json_is_null(v) && allow_null) {
                        e.clear |= (uint8_t)(1u << f);
                        continue;
                }
                const char *str = cg_json_plain_string(v);
                if (json_is_integer(v))
                        r = json_integer_value(v) < 0 ? -ERANGE : cg_io_field_check((uint64_t)json_integer_value(v));
                else
                        r = str ? cg_io_field_parse(f, str, &e.v[f]) : -EINVAL;
                if (r < 0)
                        return cg_error_set(err, -EINVAL, r == -ERANGE ? "out_of_range" : "invalid_value", fptr,
                                            "%s: expected %s from 1, or \"max\"", cg_io_field_name(f),
                                            f <= CG_IO_WBPS ? "bytes per second (\"10M\")" : "operations per second");
                if (json_is_integer(v))
                        e.v[f] = (uint64_t)json_integer_value(v);
                e.set |= (uint8_t)(1u << f);
        }
        l->io_max[l->n_io_max++] = e;
        return 0;
}

static int io_max(json_t *v, bool allow_null, const char *base, CgLimits *l, CgError *err) {
        char ptr[160];
        const char *dev;
        json_t *fields;
        device_pointer(ptr, sizeof ptr, base, "");
        if (json_is_null(v) && allow_null) {
                l->clear |= CG_LIMIT_BIT(CG_LIMIT_IO_MAX);
                return 0;
        }
        if (!json_is_object(v))
                return cg_error_set(err, -EINVAL, "invalid_type", ptr, "io.max must be an object of devices");
        json_object_foreach (v, dev, fields) {
                device_pointer(ptr, sizeof ptr, base, dev);
                int r = io_device(dev, fields, allow_null, ptr, l, err);
                if (r < 0)
                        return r;
        }
        if (l->n_io_max)
                l->set |= CG_LIMIT_BIT(CG_LIMIT_IO_MAX);
        return 0;
}

/* "devices":{"policy":"allow"|"deny","rules":["c 1:3 rwm",...]}: policy and rules together. */
static int devices(json_t *v, bool allow_null, const char *base, CgLimits *l, CgError *err) {
        char ptr[128];
        snprintf(ptr, sizeof ptr, "%s/devices", base);
        if (json_is_null(v) && allow_null) {
                l->clear |= CG_LIMIT_BIT(CG_LIMIT_DEVICES);
                return 0;
        }
        if (!json_is_object(v))
                return cg_error_set(err, -EINVAL, "invalid_type", ptr, "devices must be an object");
        const char *key;
        json_t *x;
        json_object_foreach (v, key, x) {
                if (strcmp(key, "policy") != 0 && strcmp(key, "rules") != 0)
                        return cg_error_set(err, -EINVAL, "unknown_field", ptr, "devices takes policy and rules");
        }
        const char *policy = cg_json_plain_string(json_object_get(v, "policy"));
        snprintf(ptr, sizeof ptr, "%s/devices/policy", base);
        if (!policy || (strcmp(policy, "allow") != 0 && strcmp(policy, "deny") != 0))
                return cg_error_set(err, -EINVAL, "invalid_value", ptr, "policy is \"allow\" or \"deny\"");
        l->devices_policy = strcmp(policy, "deny") == 0 ? CG_DEVICES_DENY : CG_DEVICES_ALLOW;
        json_t *rules = json_object_get(v, "rules");
        snprintf(ptr, sizeof ptr, "%s/devices/rules", base);
        if (rules && !json_is_array(rules))
                return cg_error_set(err, -EINVAL, "invalid_type", ptr, "rules must be an array of strings");
        if (json_array_size(rules) > CG_DEVICE_RULES_MAX)
                return cg_error_set(err, -EINVAL, "out_of_range", ptr, "at most %d rules", CG_DEVICE_RULES_MAX);
        size_t i;
        json_array_foreach (rules, i, x) {
                const char *rule = cg_json_plain_string(x);
                snprintf(ptr, sizeof ptr, "%s/devices/rules/%zu", base, i);
                if (!rule || cg_device_rule_parse(rule, &l->device_rules[i]) < 0)
                        return cg_error_set(
                            err, -EINVAL, "invalid_value", ptr,
                            "a rule is \"TYPE MAJOR:MINOR ACCESS\": a, b or c; numbers or *; some of rwm");
        }
        l->n_device_rules = (uint32_t)json_array_size(rules);
        l->set |= CG_LIMIT_BIT(CG_LIMIT_DEVICES);
        return 0;
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
                if (strcmp(section, "devices") == 0) {
                        int r = devices(obj, allow_null, base, &l, err);
                        if (r < 0)
                                return r;
                        continue;
                }
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
                        int r = k == CG_LIMIT_IO_MAX ? io_max(v, allow_null, base, &l, err)
                                                     : one_value(v, k, allow_null, ptr, &l, err);
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
        case CG_LIMIT_IO_WEIGHT: return json_integer(l->io_weight);
        case CG_LIMIT_IO_MAX: {
                json_t *o = json_object();
                for (uint32_t i = 0; i < l->n_io_max; i++) {
                        const CgIoMax *e = &l->io_max[i];
                        json_t *fields = json_object();
                        char dev[32];
                        for (CgIoField f = 0; f < _CG_IO_FIELD_COUNT; f++)
                                if (e->set & (1u << f))
                                        json_object_set_new(fields, cg_io_field_name(f),
                                                            e->v[f] == CG_UNLIMITED
                                                                ? json_string("max")
                                                                : json_integer((json_int_t)e->v[f]));
                        snprintf(dev, sizeof dev, "%" PRIu32 ":%" PRIu32, e->major, e->minor);
                        json_object_set_new(o, dev, fields);
                }
                return o;
        }
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

static json_t *devices_json(const CgLimits *l) {
        json_t *rules = json_array();
        for (uint32_t i = 0; i < l->n_device_rules; i++) {
                char buf[64];
                if (cg_device_rule_format(&l->device_rules[i], buf, sizeof buf) >= 0)
                        json_array_append_new(rules, json_string(buf));
        }
        return json_pack("{s:s,s:o}", "policy", l->devices_policy == CG_DEVICES_DENY ? "deny" : "allow", "rules",
                         rules);
}

json_t *cg_json_from_limits(const CgLimits *l) {
        json_t *o = json_object();
        for (CgLimitKey k = 0; o && k < _CG_LIMIT_COUNT; k++) {
                if (!(l->set & CG_LIMIT_BIT(k)))
                        continue;
                if (k == CG_LIMIT_DEVICES) {
                        json_object_set_new(o, "devices", devices_json(l));
                        continue;
                }
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
