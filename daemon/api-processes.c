/* /api/v1/groups/{name}/processes: parse a spawn request into typed values, start, report. */
#include <ctype.h>
#include <grp.h>
#include <inttypes.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "api.h"
#include "cg-json.h"
#include "caps.h"
#include "cg-name.h"
#include "processes.h"

#define ARGV_MAX     256
#define ENV_MAX      128
#define STRING_MAX   4096
#define DEFAULT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static json_t *process_json(const StoreProcess *p) {
        static const char *const states[] = {"running", "exited", "killed"};
        json_t *argv = json_loads(p->argv_json, 0, NULL), *ns = json_loads(p->namespaces_json, 0, NULL);
        json_t *security = json_loads(p->security_json ? p->security_json : "{}", 0, NULL);
        return json_pack(
            "{s:I,s:i,s:i,s:o,s:o,s:o,s:s,s:o,s:o,s:o,s:o,s:o}", "id", (json_int_t)p->id, "pid", (int)p->pid, "ns_pid",
            (int)p->ns_pid, "argv", argv ? argv : json_array(), "namespaces", ns ? ns : json_array(), "hostname",
            p->hostname[0] ? json_string(p->hostname) : json_null(), "state", states[p->state], "exit_code",
            p->exit_code >= 0 ? json_integer(p->exit_code) : json_null(), "signal",
            p->signal > 0 ? json_integer(p->signal) : json_null(), "started_at", cg_json_time(p->started_usec),
            "ended_at", p->ended_usec ? cg_json_time(p->ended_usec) : json_null(), "security",
            security ? security : json_object());
}

static void reply_process(HttpResponse *resp, unsigned status, int r, StoreProcess *p, const CgError *err) {
        if (r < 0) {
                api_reply_error(resp, r, err);
                return;
        }
        api_reply_json(resp, status, process_json(p));
        store_process_clear(p);
}

/* Spawn requests that cannot be carried out are the caller's mistake: 400, nothing started. */
static int bad(CgError *err, const char *field, const char *msg) {
        return cg_error_set(err, -EBADMSG, "invalid_spawn", field, "%s", msg);
}

static bool plain_path(const char *s) {
        return s && s[0] == '/' && strlen(s) < PATH_MAX;
}

static bool valid_hostname(const char *s) {
        size_t n = strlen(s);
        if (n == 0 || n > 64 || s[0] == '-' || s[0] == '.')
                return false;
        for (size_t i = 0; i < n; i++)
                if (!isalnum((unsigned char)s[i]) && s[i] != '-' && s[i] != '.')
                        return false;
        return true;
}

static bool valid_env_key(const char *s) {
        if (!s[0] || strlen(s) > 255 || (!isalpha((unsigned char)s[0]) && s[0] != '_'))
                return false;
        for (const char *c = s; *c; c++)
                if (!isalnum((unsigned char)*c) && *c != '_')
                        return false;
        return true;
}

/* "root", "nobody", "1000": the host's user database decides. */
static int resolve_user(const char *s, uid_t *uid, gid_t *gid) {
        char buf[4096];
        struct passwd pw, *res = NULL;
        char *end;
        unsigned long n = strtoul(s, &end, 10);
        if (s[0] && *end == '\0' && s[0] != '-' && n < UINT32_MAX) {
                *uid = (uid_t)n;
                if (getpwuid_r(*uid, &pw, buf, sizeof buf, &res) == 0 && res)
                        *gid = pw.pw_gid;
                return 0;
        }
        if (getpwnam_r(s, &pw, buf, sizeof buf, &res) != 0 || !res)
                return -ENOENT;
        *uid = pw.pw_uid;
        *gid = pw.pw_gid;
        return 0;
}

static int resolve_group(const char *s, gid_t *gid) {
        char buf[4096];
        struct group gr, *res = NULL;
        char *end;
        unsigned long n = strtoul(s, &end, 10);
        if (s[0] && *end == '\0' && s[0] != '-' && n < UINT32_MAX) {
                *gid = (gid_t)n;
                return 0;
        }
        if (getgrnam_r(s, &gr, buf, sizeof buf, &res) != 0 || !res)
                return -ENOENT;
        *gid = gr.gr_gid;
        return 0;
}

typedef struct Parsed {
        ProcSpec spec;
        SpawnMount mounts[SPAWN_MOUNTS_MAX];
        char *argv[ARGV_MAX + 1];
        char *env[ENV_MAX + 2];
        json_t *body;
} Parsed;

static void parsed_done(Parsed *p) {
        for (size_t i = 0; p->env[i]; i++)
                free(p->env[i]);
        free(p->spec.argv_json);
        free(p->spec.namespaces_json);
        free(p->spec.mounts_json);
        json_decref(p->body);
}

/* cap_add / cap_drop: names, or ["ALL"]. */
static int parse_caps(json_t *list, const char *field, uint64_t *ret, CgError *err) {
        size_t i;
        json_t *v;
        *ret = 0;
        if (!list)
                return 0;
        if (!json_is_array(list) || json_array_size(list) > 64)
                return bad(err, field, "a list of capability names such as NET_ADMIN, or [\"ALL\"]");
        json_array_foreach (list, i, v) {
                const char *name = cg_json_plain_string(v);
                int cap = name ? caps_from_name(name) : -EINVAL;
                if (name && strcasecmp(name, "ALL") == 0)
                        *ret |= caps_all;
                else if (cap < 0)
                        return bad(err, field, "unknown capability (names as in capabilities(7), CAP_ optional)");
                else
                        *ret |= UINT64_C(1) << cap;
        }
        return 0;
}

static int parse_bool(json_t *body, const char *key, const char *field, bool def, bool *ret, CgError *err) {
        json_t *v = json_object_get(body, key);
        if (v && !json_is_boolean(v))
                return bad(err, field, "must be true or false");
        *ret = v ? json_is_true(v) : def;
        return 0;
}

/* A key that is one of two words: *ret_first says which (the first when absent). */
static int parse_choice(json_t *body, const char *key, const char *first, const char *second, bool *ret_first,
                        CgError *err) {
        char field[32], msg[96];
        json_t *v = json_object_get(body, key);
        const char *s = v ? cg_json_plain_string(v) : first;
        if (s && (strcmp(s, first) == 0 || strcmp(s, second) == 0)) {
                *ret_first = strcmp(s, first) == 0;
                return 0;
        }
        snprintf(field, sizeof field, "/%s", key);
        snprintf(msg, sizeof msg, "%s is \"%s\" or \"%s\"", key, first, second);
        return bad(err, field, msg);
}

/* log_max_bytes: a byte count or a size ("16M"), at least 4096; absent leaves *ret as is. */
static int parse_log_max(json_t *v, uint64_t *ret, CgError *err) {
        uint64_t n = 0;
        const char *s = json_is_string(v) ? cg_json_plain_string(v) : NULL;
        if (!v)
                return 0;
        if (json_is_integer(v) && json_integer_value(v) > 0)
                n = (uint64_t)json_integer_value(v);
        else if (!s || cg_limits_parse_size(s, &n) < 0)
                n = 0;
        if (n < 4096 || n > (UINT64_C(1) << 40))
                return bad(err, "/log_max_bytes", "log_max_bytes is a size from 4K to 1T, such as \"16M\"");
        *ret = n;
        return 0;
}

/* The walls, each on by default (spawn.h): what a caller may loosen, and how. */
static int parse_walls(json_t *body, SpawnSpec *s, uint64_t *ret_added, CgError *err) {
        uint64_t add = 0, drop = 0;
        bool nnp = true, ro = false;
        int r = parse_caps(json_object_get(body, "cap_add"), "/cap_add", &add, err);
        if (r >= 0)
                r = parse_caps(json_object_get(body, "cap_drop"), "/cap_drop", &drop, err);
        if (r >= 0)
                r = parse_bool(body, "no_new_privileges", "/no_new_privileges", true, &nnp, err);
        if (r >= 0)
                r = parse_bool(body, "readonly_rootfs", "/readonly_rootfs", false, &ro, err);
        if (r < 0)
                return r;
        /* As Docker: cap_drop ALL starts from nothing, and cap_add adds to what is left. */
        s->caps = (drop == caps_all ? add : (caps_default | add) & ~drop);
        *ret_added = add & s->caps;
        s->flags = (nnp ? SPAWN_NO_NEW_PRIVS : 0) | (ro ? SPAWN_READONLY_ROOTFS : 0);
        bool seccomp = true, private_cgroupns = true;
        r = parse_choice(body, "seccomp", "default", "unconfined", &seccomp, err);
        if (r >= 0)
                r = parse_choice(body, "cgroupns", "private", "host", &private_cgroupns, err);
        if (r >= 0)
                r = parse_log_max(json_object_get(body, "log_max_bytes"), &s->log_max_bytes, err);
        if (r < 0)
                return r;
        s->flags |= seccomp ? SPAWN_SECCOMP : 0;
        s->ns = private_cgroupns ? s->ns | SPAWN_NS_CGROUP : s->ns & ~(unsigned)SPAWN_NS_CGROUP;
        if (ro && !json_is_string(json_object_get(body, "rootfs")))
                return bad(err, "/readonly_rootfs", "a read-only rootfs needs a rootfs");
        return 0;
}

static bool printable_path(const char *s) {
        if (!plain_path(s))
                return false;
        for (const char *c = s; *c; c++) {
                if ((unsigned char)*c < 0x20 || *c == 0x7f)
                        return false;
                if (c[0] == '/' && c[1] == '.' && c[2] == '.' && (c[3] == '/' || c[3] == '\0'))
                        return false; /* no ".." component */
        }
        return true;
}

/* "mounts": [{"source": host path, "target": path inside, "readonly": bool}]. */
static int parse_mounts(json_t *body, Parsed *p, CgError *err) {
        json_t *list = json_object_get(body, "mounts"), *m;
        size_t i;
        if (!list)
                return (p->spec.mounts_json = strdup("[]")) ? 0 : -ENOMEM;
        if (!json_is_array(list) || json_array_size(list) > SPAWN_MOUNTS_MAX)
                return bad(err, "/mounts", "mounts is a list of at most 32 {source, target, readonly}");
        if (json_array_size(list) && !p->spec.spawn.rootfs)
                return bad(err, "/mounts", "mounts need a rootfs");
        json_array_foreach (list, i, m) {
                const char *key;
                json_t *v;
                struct stat st;
                json_object_foreach (m, key, v)
                        if (strcmp(key, "source") != 0 && strcmp(key, "target") != 0 && strcmp(key, "readonly") != 0)
                                return bad(err, "/mounts", "a mount has source, target and readonly only");
                const char *src = cg_json_plain_string(json_object_get(m, "source"));
                const char *dst = cg_json_plain_string(json_object_get(m, "target"));
                json_t *ro = json_object_get(m, "readonly");
                if (!json_is_object(m) || !src || !printable_path(src) || stat(src, &st) < 0)
                        return bad(err, "/mounts", "a mount's source is an absolute path that exists on this host");
                if (!dst || !printable_path(dst) || strcmp(dst, "/") == 0)
                        return bad(err, "/mounts", "a mount's target is an absolute path other than /, without ..");
                if (ro && !json_is_boolean(ro))
                        return bad(err, "/mounts", "a mount's readonly is true or false");
                p->mounts[i] = (SpawnMount){.source = src, .target = dst, .readonly = json_is_true(ro)};
        }
        p->spec.spawn.mounts = p->mounts;
        p->spec.spawn.n_mounts = json_array_size(list);
        json_t *out = json_array(); /* as applied, for PROCESS */
        for (size_t k = 0; k < p->spec.spawn.n_mounts; k++)
                json_array_append_new(out, json_pack("{s:s,s:s,s:b}", "source", p->mounts[k].source, "target",
                                                     p->mounts[k].target, "readonly", p->mounts[k].readonly));
        p->spec.mounts_json = json_dumps(out, JSON_COMPACT);
        json_decref(out);
        return p->spec.mounts_json ? 0 : -ENOMEM;
}

static int parse_spec(json_t *body, Parsed *p, CgError *err) {
        static const char *const keys[] = {"argv",
                                           "env",
                                           "cwd",
                                           "user",
                                           "group",
                                           "namespaces",
                                           "hostname",
                                           "rootfs",
                                           "cap_add",
                                           "cap_drop",
                                           "seccomp",
                                           "no_new_privileges",
                                           "readonly_rootfs",
                                           "cgroupns",
                                           "mounts",
                                           "log_max_bytes",
                                           NULL};
        const char *key;
        json_t *v;
        SpawnSpec *s = &p->spec.spawn;
        json_object_foreach (body, key, v) {
                bool known = false;
                for (size_t i = 0; keys[i]; i++)
                        known = known || strcmp(key, keys[i]) == 0;
                if (!known)
                        return bad(err, NULL, "unknown field in the request body");
        }
        json_t *argv = json_object_get(body, "argv");
        if (!json_is_array(argv) || json_array_size(argv) == 0 || json_array_size(argv) > ARGV_MAX)
                return bad(err, "/argv", "argv must be a non-empty array of at most 256 strings");
        size_t i;
        json_array_foreach (argv, i, v) {
                const char *a = cg_json_plain_string(v);
                if (!a || strlen(a) > STRING_MAX || (i == 0 && !a[0]))
                        return bad(err, "/argv", "argv holds strings without NUL, at most 4096 bytes each");
                p->argv[i] = (char *)a;
        }
        s->argv = p->argv;

        json_t *env = json_object_get(body, "env");
        size_t ne = 0;
        bool has_path = false;
        if (env && !json_is_object(env))
                return bad(err, "/env", "env must be an object of strings");
        if (json_object_size(env) > ENV_MAX)
                return bad(err, "/env", "at most 128 environment variables");
        json_object_foreach (env, key, v) {
                const char *val = cg_json_plain_string(v);
                if (!valid_env_key(key) || !val || strlen(val) > STRING_MAX)
                        return bad(err, "/env", "env keys are [A-Za-z_][A-Za-z0-9_]*, values strings without NUL");
                if (asprintf(&p->env[ne++], "%s=%s", key, val) < 0)
                        return -ENOMEM;
                has_path = has_path || strcmp(key, "PATH") == 0;
        }
        if (!has_path && !(p->env[ne++] = strdup(DEFAULT_PATH)))
                return -ENOMEM;
        s->env = p->env;

        s->ns = SPAWN_NS_DEFAULT;
        json_t *ns = json_object_get(body, "namespaces");
        if (ns) {
                if (!json_is_array(ns))
                        return bad(err, "/namespaces", "namespaces must be an array");
                s->ns = 0;
                json_array_foreach (ns, i, v) {
                        SpawnNs one;
                        const char *name = cg_json_plain_string(v);
                        if (!name || spawn_ns_from_name(name, &one) < 0)
                                return bad(err, "/namespaces",
                                           "namespaces are pid, mount, uts, ipc, net, user and cgroup");
                        s->ns |= one;
                }
        }
        int r = parse_walls(body, s, &p->spec.caps_added, err);
        if (r < 0)
                return r;
        json_t *names = json_array();
        for (unsigned bit = 1; bit <= SPAWN_NS_CGROUP; bit <<= 1)
                if (s->ns & bit)
                        json_array_append_new(names, json_string(spawn_ns_name((SpawnNs)bit)));
        p->spec.namespaces_json = json_dumps(names, JSON_COMPACT);
        json_decref(names);
        p->spec.argv_json = json_dumps(argv, JSON_COMPACT);

        json_t *h = json_object_get(body, "hostname");
        if (h && !json_is_null(h)) {
                s->hostname = cg_json_plain_string(h);
                if (!s->hostname || !valid_hostname(s->hostname))
                        return bad(err, "/hostname", "a hostname is 1 to 64 letters, digits, '-' and '.'");
                if (!(s->ns & SPAWN_NS_UTS))
                        return bad(err, "/hostname", "a hostname needs the uts namespace");
        }
        json_t *cwd = json_object_get(body, "cwd");
        if (cwd && !json_is_null(cwd) && !plain_path(s->cwd = cg_json_plain_string(cwd)))
                return bad(err, "/cwd", "cwd must be an absolute path");
        json_t *root = json_object_get(body, "rootfs");
        if (root && !json_is_null(root)) {
                struct stat st;
                s->rootfs = cg_json_plain_string(root);
                if (!plain_path(s->rootfs))
                        return bad(err, "/rootfs", "rootfs must be an absolute path");
                if (stat(s->rootfs, &st) < 0 || !S_ISDIR(st.st_mode))
                        return bad(err, "/rootfs", "rootfs is not a directory on this host");
                if (!(s->ns & SPAWN_NS_MOUNT))
                        return bad(err, "/rootfs", "a rootfs needs the mount namespace");
        }
        int r2 = parse_mounts(body, p, err);
        if (r2 < 0)
                return r2;
        const char *user = cg_json_plain_string(json_object_get(body, "user"));
        if (json_object_get(body, "user") && (!user || resolve_user(user, &s->uid, &s->gid) < 0))
                return bad(err, "/user", "no such user on this host");
        const char *group = cg_json_plain_string(json_object_get(body, "group"));
        if (json_object_get(body, "group") && (!group || resolve_group(group, &s->gid) < 0))
                return bad(err, "/group", "no such group on this host");
        return p->spec.argv_json && p->spec.namespaces_json ? 0 : -ENOMEM;
}

static bool known(const char *name, HttpResponse *resp) {
        if (cg_name_is_valid(name))
                return true;
        api_reply_error(resp, -ENOENT, &(CgError){"not_found", "no such group", ""});
        return false;
}

static bool parse_id(const char *s, int64_t *ret, HttpResponse *resp) {
        char *end;
        long long v = strtoll(s, &end, 10);
        if (s[0] >= '1' && s[0] <= '9' && *end == '\0' && v > 0) {
                *ret = v;
                return true;
        }
        api_reply_error(resp, -ENOENT, &(CgError){"not_found", "no such process", ""});
        return false;
}

void api_processes_start(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp) {
        Parsed p = {0};
        CgError err = {0};
        StoreProcess proc;
        if (!known(name, resp) || !(p.body = api_body_object(req, resp)))
                return;
        int r = parse_spec(p.body, &p, &err);
        if (r >= 0)
                r = processes_start(api->processes, name, &p.spec, &proc, &err);
        parsed_done(&p);
        reply_process(resp, 201, r, &proc, &err);
}

void api_processes_list(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp) {
        CgError err = {0};
        StoreProcess *v = NULL;
        size_t n = 0;
        if (!known(name, resp))
                return;
        int r = processes_list(api->processes, name, &v, &n, &err);
        if (r < 0) {
                api_reply_error(resp, r, &err);
                return;
        }
        json_t *arr = json_array();
        for (size_t i = 0; i < n; i++) {
                json_array_append_new(arr, process_json(&v[i]));
                store_process_clear(&v[i]);
        }
        free(v);
        api_reply_json(resp, 200, json_pack("{s:o}", "processes", arr));
}

void api_processes_get(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp) {
        CgError err = {0};
        StoreProcess p;
        int64_t pid;
        if (!known(name, resp) || !parse_id(id, &pid, resp))
                return;
        int r = processes_get(api->processes, name, pid, &p, &err);
        reply_process(resp, 200, r, &p, &err);
}

/* "TERM", "SIGTERM" or a number from 1 to 64. */
static int parse_signal(const char *s) {
        static const struct {
                const char *name;
                int sig;
        } table[] = {{"HUP", SIGHUP},   {"INT", SIGINT},     {"QUIT", SIGQUIT}, {"KILL", SIGKILL},
                     {"USR1", SIGUSR1}, {"USR2", SIGUSR2},   {"TERM", SIGTERM}, {"CONT", SIGCONT},
                     {"STOP", SIGSTOP}, {"WINCH", SIGWINCH}, {"ALRM", SIGALRM}};
        if (strncmp(s, "SIG", 3) == 0)
                s += 3;
        for (size_t i = 0; i < sizeof table / sizeof *table; i++)
                if (strcmp(s, table[i].name) == 0)
                        return table[i].sig;
        char *end;
        long n = strtol(s, &end, 10);
        return s[0] >= '1' && s[0] <= '9' && *end == '\0' && n >= 1 && n <= 64 ? (int)n : -EINVAL;
}

void api_processes_signal(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp) {
        CgError err = {0};
        StoreProcess p;
        int64_t pid;
        if (!known(name, resp) || !parse_id(id, &pid, resp))
                return;
        json_t *body = api_body_object(req, resp);
        if (!body)
                return;
        const char *sig = cg_json_plain_string(json_object_get(body, "signal"));
        int s = sig && json_object_size(body) == 1 ? parse_signal(sig) : -EINVAL;
        json_decref(body);
        int r =
            s < 0 ? cg_error_set(&err, -EINVAL, "invalid_value", "/signal", "signal is a name such as TERM or a number")
                  : processes_signal(api->processes, name, pid, s, &p, &err);
        reply_process(resp, 200, r, &p, &err);
}

void api_processes_log(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp) {
        CgError err = {0};
        int64_t pid;
        char *text = NULL;
        size_t len = 0;
        if (!known(name, resp) || !parse_id(id, &pid, resp))
                return;
        const char *stream = http_query(req, "stream"), *tail = http_query(req, "tail");
        if (stream && strcmp(stream, "stdout") != 0 && strcmp(stream, "stderr") != 0) {
                api_reply_error(resp, -EBADMSG, &(CgError){"invalid_query", "stream is stdout or stderr", "stream"});
                return;
        }
        char *end = NULL;
        long n = tail ? strtol(tail, &end, 10) : 0;
        if (tail && (!tail[0] || *end || n < 0 || n > 100000)) {
                api_reply_error(resp, -EBADMSG,
                                &(CgError){"invalid_query", "tail is a line count up to 100000", "tail"});
                return;
        }
        bool rotated = false;
        int r = processes_log(api->processes, name, pid, stream && strcmp(stream, "stderr") == 0, (unsigned)n, &text,
                              &len, &rotated, &err);
        if (r < 0) {
                api_reply_error(resp, r, &err);
                return;
        }
        resp->status = 200;
        resp->content_type = "text/plain; charset=utf-8";
        resp->body = text;
        resp->len = len;
        http_response_header(resp, "Cache-Control", "no-store");
        /* The log passed log_max_bytes and was rotated: what came before the rotated file is gone. */
        if (rotated)
                http_response_header(resp, "X-Log-Rotated", "true");
}
