/* cgwarden: the admin CLI. Every command is one request to cgwardend. */
#include <getopt.h>
#include <stdarg.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cg-json.h"
#include "cg-io.h"
#include "cg-limits.h"
#include "cg-name.h"
#include "cg-util.h"
#include "cli.h"

#define DEFAULT_SOCKET     "/run/cgwarden/cgwarden.sock"
#define DEFAULT_TOKEN_FILE "/var/lib/cgwarden/admin.token"

int die(int code, const char *fmt, ...) {
        va_list ap;
        va_start(ap, fmt);
        fputs("cgwarden: ", stderr);
        vfprintf(stderr, fmt, ap);
        fputc('\n', stderr);
        va_end(ap);
        return code;
}

static void usage(FILE *f) {
        fputs("usage: cgwarden [--socket PATH | --url URL [--token TOKEN]] [--json] COMMAND\n"
              "commands:\n"
              "  list\n"
              "  create NAME [--parent P] [LIMIT FLAGS]\n"
              "  show NAME\n"
              "  stats NAME                       (usage now: cpu, memory, io, pids)\n"
              "  top [--sort cpu|memory|io|tasks] [--interval S] [--count N]   (every group, live)\n"
              "  limit NAME LIMIT FLAGS           (a value of \"none\" removes that limit)\n"
              "  freeze NAME | thaw NAME\n"
              "  attach NAME PID\n"
              "  delete NAME [--force]\n"
              "  run NAME [--ns LIST] [--hostname H] [--rootfs DIR] [--env K=V]... [--cwd DIR] [--user U]\n"
              "      [--volume SRC:DST[:ro]]... [--read-only] [--cap-add CAPS] [--cap-drop CAPS]\n"
              "      [--security-opt seccomp=unconfined|no-new-privileges=false] [--cgroupns private|host]\n"
              "      [--log-max SIZE] [--wait] -- CMD [ARGS...]\n"
              "  ps NAME | kill NAME ID [--signal SIG] | logs NAME ID [--stderr] [--tail N]\n"
              "  usage NAME [--since 1h] [--step 1m]          (history: CPU, memory, I/O per step)\n"
              "  report [--since 30d] [--by day|week|month] [--format table|csv|json] [--group G]\n"
              "  events [--since 1h] [--group G] [--type T] [--follow]\n"
              "limit flags: --memory SIZE --memory-reservation SIZE --memory-swap SIZE --cpus N\n"
              "             --cpu-weight 1-10000 --cpuset-cpus LIST --cpuset-mems LIST --pids N\n"
              "             --io-weight 1-10000 --io-rbps DEV=RATE --io-wbps DEV=RATE --io-riops DEV=N\n"
              "             --io-wiops DEV=N (DEV is MAJ:MIN or /dev/NAME; RATE like 10M; repeatable)\n"
              "sizes: bytes, 512M, 1.5G or max. The token comes from --token, CGWARDEN_TOKEN or\n" DEFAULT_TOKEN_FILE
              ".\n",
              f);
}

/* ---- output ---- */

static void fmt_size(json_t *v, char *buf, size_t size) {
        if (!v) {
                snprintf(buf, size, "-");
                return;
        }
        if (json_is_string(v)) {
                snprintf(buf, size, "%s", json_string_value(v));
                return;
        }
        static const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"};
        double x = (double)json_integer_value(v);
        size_t u = 0;
        while (x >= 1024 && u + 1 < ELEMENTSOF(units)) {
                x /= 1024;
                u++;
        }
        snprintf(buf, size, x == (double)(int64_t)x ? "%.0f%s" : "%.1f%s", x, units[u]);
}

static void fmt_value(json_t *v, char *buf, size_t size) {
        if (!v)
                snprintf(buf, size, "-");
        else if (json_is_string(v))
                snprintf(buf, size, "%s", json_string_value(v));
        else if (json_is_integer(v))
                snprintf(buf, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        else if (json_is_real(v))
                snprintf(buf, size, "%g", json_real_value(v));
        else if (json_is_object(v)) {
                char *t = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS);
                snprintf(buf, size, "%s", t ? t : "?");
                free(t);
        } else
                snprintf(buf, size, "?");
}

static json_t *limit(json_t *g, const char *section, const char *leaf) {
        return json_object_get(json_object_get(json_object_get(g, "limits"), section), leaf);
}

static void print_group(json_t *g) {
        char buf[1024];
        json_t *parent = json_object_get(g, "parent");
        printf("name:               %s\n", json_string_value(json_object_get(g, "name")));
        printf("parent:             %s\n", json_is_string(parent) ? json_string_value(parent) : "-");
        printf("state:              %s\n", json_string_value(json_object_get(g, "state")));
        printf("created:            %s\n", json_string_value(json_object_get(g, "created_at")));
        printf("pids:              ");
        size_t i;
        json_t *p;
        json_array_foreach (json_object_get(g, "pids"), i, p)
                printf(" %" JSON_INTEGER_FORMAT, json_integer_value(p));
        printf("%s\n", json_array_size(json_object_get(g, "pids")) ? "" : " -");
        for (CgLimitKey k = 0; k < _CG_LIMIT_COUNT; k++) {
                json_t *v = limit(g, cg_limit_key_section(k), cg_limit_key_leaf(k));
                bool size = k <= CG_LIMIT_MEMORY_SWAP_MAX;
                (size ? fmt_size : fmt_value)(v, buf, sizeof buf);
                char key[40];
                snprintf(key, sizeof key, "%s.%s:", cg_limit_key_section(k), cg_limit_key_leaf(k));
                printf("%-19s %s\n", key, buf);
        }
}

static void print_list(json_t *groups) {
        size_t i;
        json_t *g;
        printf("%-24s %-16s %-8s %5s %10s %7s %-20s\n", "NAME", "PARENT", "STATE", "PIDS", "MEMORY", "CPUS", "CREATED");
        json_array_foreach (groups, i, g) {
                char mem[32], cpu[32];
                json_t *parent = json_object_get(g, "parent");
                fmt_size(limit(g, "memory", "max"), mem, sizeof mem);
                fmt_value(limit(g, "cpu", "max"), cpu, sizeof cpu);
                printf("%-24s %-16s %-8s %5zu %10s %7s %-20s\n", json_string_value(json_object_get(g, "name")),
                       json_is_string(parent) ? json_string_value(parent) : "-",
                       json_string_value(json_object_get(g, "state")), json_array_size(json_object_get(g, "pids")), mem,
                       cpu, json_string_value(json_object_get(g, "created_at")));
        }
}

/* ---- requests ---- */

/* One line for an API error: its message, and the field it names or the status. */
static int report_error(json_t *j, long status) {
        json_t *e = json_object_get(j, "error");
        const char *msg = json_string_value(json_object_get(e, "message"));
        const char *field = json_string_value(json_object_get(e, "field"));
        if (field)
                die(1, "%s (%s)", msg ? msg : "request failed", field);
        else
                die(1, "%s (HTTP %ld)", msg ? msg : "request failed", status);
        json_decref(j);
        return 1;
}

int call_json(Cli *cli, const char *method, const char *path, json_t *body, json_t **ret) {
        char errbuf[512];
        long status = 0;
        _cleanup_free_ char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
        _cleanup_free_ char *resp = NULL;
        json_decref(body);
        int r = client_request(&cli->client, method, path, text, &status, &resp, errbuf, sizeof errbuf);
        if (r < 0)
                return die(1, "%s", errbuf);
        json_t *j = resp[0] ? json_loads(resp, 0, NULL) : NULL;
        if (status >= 400)
                return report_error(j, status);
        *ret = j;
        return 0;
}

int call_text(Cli *cli, const char *path, char **ret) {
        char errbuf[512];
        long status = 0;
        char *resp = NULL;
        int r = client_request(&cli->client, "GET", path, NULL, &status, &resp, errbuf, sizeof errbuf);
        if (r < 0)
                return die(1, "%s", errbuf);
        if (status >= 400) {
                json_t *j = json_loads(resp, 0, NULL);
                free(resp);
                return report_error(j, status);
        }
        *ret = resp;
        return 0;
}

/* Sends a request; prints the result (or the error) and returns the exit status. */
int call(Cli *cli, const char *method, const char *path, json_t *body, void (*print)(json_t *)) {
        json_t *j = NULL;
        int r = call_json(cli, method, path, body, &j);
        if (r)
                return r;
        if (cli->json && j) {
                json_dumpf(j, stdout, JSON_INDENT(2));
                putchar('\n');
        } else if (print && j)
                print(j);
        json_decref(j);
        return 0;
}

static void print_groups(json_t *j) {
        print_list(json_object_get(j, "groups"));
}
/* "cpu.usage_usec: 1446370", one line per value the host counts, sections in API order. */
static void print_stats(json_t *s) {
        const char *section;
        json_t *values;
        printf("%-24s %s\n", "time:", json_string_value(json_object_get(s, "time")));
        json_object_foreach (s, section, values) {
                const char *key;
                json_t *v;
                if (!json_is_object(values))
                        continue;
                json_object_foreach (values, key, v) {
                        char name[64];
                        snprintf(name, sizeof name, "%s.%s:", section, key);
                        if (json_is_integer(v))
                                printf("%-24s %" JSON_INTEGER_FORMAT "\n", name, json_integer_value(v));
                        else
                                printf("%-24s %s\n", name, json_string_value(v));
                }
        }
}

static void print_state(json_t *g) {
        printf("%s: %s\n", json_string_value(json_object_get(g, "name")),
               json_string_value(json_object_get(g, "state")));
}

static const struct option limit_options[] = {
    {"memory", required_argument, NULL, CG_LIMIT_MEMORY_MAX},
    {"memory-reservation", required_argument, NULL, CG_LIMIT_MEMORY_RESERVATION},
    {"memory-swap", required_argument, NULL, CG_LIMIT_MEMORY_SWAP_MAX},
    {"cpus", required_argument, NULL, CG_LIMIT_CPU_MAX},
    {"cpu-weight", required_argument, NULL, CG_LIMIT_CPU_WEIGHT},
    {"cpuset-cpus", required_argument, NULL, CG_LIMIT_CPUSET_CPUS},
    {"cpuset-mems", required_argument, NULL, CG_LIMIT_CPUSET_MEMS},
    {"pids", required_argument, NULL, CG_LIMIT_PIDS_MAX},
    {"io-weight", required_argument, NULL, CG_LIMIT_IO_WEIGHT},
    {"io-rbps", required_argument, NULL, 'R'},
    {"io-wbps", required_argument, NULL, 'W'},
    {"io-riops", required_argument, NULL, 'r'},
    {"io-wiops", required_argument, NULL, 'w'},
    {"parent", required_argument, NULL, 'p'},
    {"force", no_argument, NULL, 'f'},
    {0},
};

typedef struct Args {
        CgLimits limits;
        json_t *io_max; /* {"DEV":{"rbps":"10M"}}: devices are resolved by the daemon, on its host */
        const char *parent;
        bool force;
        const char *pos[2];
        size_t npos;
} Args;

/* --io-rbps DEV=RATE and friends: the rate is checked here, the device syntax too. */
static int io_flag(Args *a, int c, const char *arg, bool allow_none) {
        CgIoField f = c == 'R' ? CG_IO_RBPS : c == 'W' ? CG_IO_WBPS : c == 'r' ? CG_IO_RIOPS : CG_IO_WIOPS;
        const char *eq = strrchr(arg, '=');
        uint32_t maj, min;
        uint64_t v;
        char dev[256];
        if (!eq || eq == arg || (size_t)(eq - arg) >= sizeof dev)
                return die(2, "--io-%s takes DEV=VALUE", cg_io_field_name(f));
        snprintf(dev, sizeof dev, "%.*s", (int)(eq - arg), arg);
        if (dev[0] != '/' && cg_io_device_parse(dev, &maj, &min) < 0)
                return die(2, "--io-%s: a device is MAJ:MIN or a /dev path", cg_io_field_name(f));
        bool none = allow_none && strcmp(eq + 1, "none") == 0;
        if (!none && cg_io_field_parse(f, eq + 1, &v) < 0)
                return die(2, "--io-%s: expected %s from 1, or max", cg_io_field_name(f),
                           f <= CG_IO_WBPS ? "bytes per second such as 10M" : "operations per second");
        if (!a->io_max)
                a->io_max = json_object();
        json_t *d = json_object_get(a->io_max, dev);
        if (!d) {
                d = json_object();
                json_object_set_new(a->io_max, dev, d);
        }
        json_object_set_new(d, cg_io_field_name(f), none ? json_null() : json_string(eq + 1));
        return 0;
}

/* Parses a command's flags; limit values are checked here, so a typo never leaves the machine. */
static int parse_args(int argc, char **argv, bool allow_none, Args *a) {
        CgError err = {0};
        int c;
        *a = (Args){0};
        optind = 0; /* 0, not 1: glibc re-initialises its scanner (main's "+" scan ran before) */
        while ((c = getopt_long(argc, argv, "", limit_options, NULL)) != -1) {
                if (c >= 0 && c < _CG_LIMIT_COUNT) {
                        if (allow_none && strcmp(optarg, "none") == 0) {
                                a->limits.clear |= CG_LIMIT_BIT(c);
                                a->limits.set &= ~CG_LIMIT_BIT(c);
                        } else if (cg_limits_set_from_string(&a->limits, (CgLimitKey)c, optarg, &err) < 0)
                                return die(2, "--%s: %s", limit_options[c].name, err.message);
                } else if (c == 'R' || c == 'W' || c == 'r' || c == 'w') {
                        int r = io_flag(a, c, optarg, allow_none);
                        if (r)
                                return r;
                } else if (c == 'p')
                        a->parent = optarg;
                else if (c == 'f')
                        a->force = true;
                else
                        return 2;
        }
        for (; optind < argc; optind++) {
                if (a->npos == ELEMENTSOF(a->pos))
                        return die(2, "too many arguments");
                a->pos[a->npos++] = argv[optind];
        }
        if (cg_limits_validate(&a->limits, &err) < 0)
                return die(2, "%s", err.message);
        return 0;
}

static json_t *limits_json(const CgLimits *l, json_t *io_max) {
        json_t *o = cg_json_from_limits(l);
        if (io_max) {
                if (!json_object_get(o, "io"))
                        json_object_set_new(o, "io", json_object());
                json_object_set_new(json_object_get(o, "io"), "max", io_max); /* steals it */
        }
        for (CgLimitKey k = 0; k < _CG_LIMIT_COUNT; k++) {
                if (!(l->clear & CG_LIMIT_BIT(k)))
                        continue;
                const char *section = cg_limit_key_section(k);
                if (!json_object_get(o, section))
                        json_object_set_new(o, section, json_object());
                json_object_set_new(json_object_get(o, section), cg_limit_key_leaf(k), json_null());
        }
        return o;
}

static int need_name(const Args *a, size_t want, const char *what) {
        if (a->npos != want)
                return die(2, "usage: cgwarden %s", what);
        if (!cg_name_is_valid(a->pos[0]))
                return die(2, "'%s' is not a valid group name (a-z, 0-9, '-', '_'; at most 63)", a->pos[0]);
        return 0;
}

static int run(Cli *cli, int argc, char **argv) {
        const char *cmd = argv[0];
        char path[256];
        Args a;
        int r = parse_args(argc, argv, strcmp(cmd, "limit") == 0, &a);
        if (r)
                return r;
        bool has_limits = a.limits.set | a.limits.clear || a.io_max;
        if ((has_limits && strcmp(cmd, "create") && strcmp(cmd, "limit")) || (a.parent && strcmp(cmd, "create")) ||
            (a.force && strcmp(cmd, "delete")))
                return die(2, "that flag does not apply to '%s'", cmd);

        if (strcmp(cmd, "list") == 0)
                return a.npos ? die(2, "usage: cgwarden list") : call(cli, "GET", "/api/v1/groups", NULL, print_groups);
        if (strcmp(cmd, "create") == 0) {
                if ((r = need_name(&a, 1, "create NAME [--parent P] [LIMIT FLAGS]")))
                        return r;
                if (a.parent && !cg_name_is_valid(a.parent))
                        return die(2, "--parent: not a valid group name");
                json_t *body = json_pack("{s:s,s:o,s:o}", "name", a.pos[0], "parent",
                                         a.parent ? json_string(a.parent) : json_null(), "limits",
                                         limits_json(&a.limits, a.io_max));
                return call(cli, "POST", "/api/v1/groups", body, print_group);
        }
        if (strcmp(cmd, "attach") == 0) {
                if ((r = need_name(&a, 2, "attach NAME PID")))
                        return r;
                char *end;
                errno = 0;
                long pid = strtol(a.pos[1], &end, 10);
                if (errno || *end || end == a.pos[1] || pid <= 0 || pid > INT_MAX)
                        return die(2, "PID must be a positive integer");
                snprintf(path, sizeof path, "/api/v1/groups/%s/attach", a.pos[0]);
                return call(cli, "POST", path, json_pack("{s:I}", "pid", (json_int_t)pid), print_group);
        }
        static const struct {
                const char *cmd, *method, *suffix, *usage;
                void (*print)(json_t *);
        } simple[] = {
            {"show", "GET", "", "show NAME", print_group},
            {"stats", "GET", "/stats", "stats NAME", print_stats},
            {"freeze", "POST", "/freeze", "freeze NAME", print_state},
            {"thaw", "POST", "/thaw", "thaw NAME", print_state},
            {"limit", "PATCH", "/limits", "limit NAME LIMIT FLAGS", print_group},
            {"delete", "DELETE", "", "delete NAME [--force]", NULL},
        };
        for (size_t i = 0; i < ELEMENTSOF(simple); i++) {
                if (strcmp(cmd, simple[i].cmd) != 0)
                        continue;
                if ((r = need_name(&a, 1, simple[i].usage)))
                        return r;
                if (strcmp(cmd, "limit") == 0 && !has_limits)
                        return die(2, "limit: give at least one limit flag");
                snprintf(path, sizeof path, "/api/v1/groups/%s%s%s", a.pos[0], simple[i].suffix,
                         a.force ? "?force=true" : "");
                return call(cli, simple[i].method, path,
                            strcmp(cmd, "limit") == 0 ? limits_json(&a.limits, a.io_max) : NULL, simple[i].print);
        }
        return die(2, "unknown command '%s' (see cgwarden --help)", cmd);
}

static int dispatch(Cli *cli, int argc, char **argv) {
        int r = cli_top(cli, argc, argv);
        if (r < 0)
                r = cli_processes(cli, argc, argv);
        if (r < 0)
                r = cli_usage(cli, argc, argv);
        return r >= 0 ? r : run(cli, argc, argv);
}

static int read_token_file(const char *path, char *buf, size_t size) {
        FILE *f = fopen(path, "re");
        if (!f)
                return -errno;
        bool ok = fgets(buf, (int)size, f) != NULL;
        fclose(f);
        buf[strcspn(buf, "\r\n")] = '\0';
        return ok ? 0 : -EBADMSG;
}

int main(int argc, char **argv) {
        static const struct option opts[] = {
            {"socket", required_argument, NULL, 's'}, {"url", required_argument, NULL, 'u'},
            {"token", required_argument, NULL, 't'},  {"json", no_argument, NULL, 'j'},
            {"help", no_argument, NULL, 'h'},         {0},
        };
        Cli cli = {.client.socket_path = DEFAULT_SOCKET};
        const char *token = getenv("CGWARDEN_TOKEN");
        int c;
        while ((c = getopt_long(argc, argv, "+", opts, NULL)) != -1) {
                switch (c) {
                case 's': cli.client.socket_path = optarg; break;
                case 'u': cli.client.url = optarg; break;
                case 't': token = optarg; break;
                case 'j': cli.json = true; break;
                case 'h': usage(stdout); return 0;
                default: usage(stderr); return 2;
                }
        }
        if (optind >= argc) {
                usage(stderr);
                return 2;
        }
        if (cli.client.url) {
                if (strncmp(cli.client.url, "http://", 7) != 0 && strncmp(cli.client.url, "https://", 8) != 0)
                        return die(2, "--url must start with http:// or https://");
                if (!token && read_token_file(DEFAULT_TOKEN_FILE, cli.token, sizeof cli.token) == 0)
                        token = cli.token;
                cli.client.token = token;
        }
        return dispatch(&cli, argc - optind, argv + optind);
}
