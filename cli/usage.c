/* cgwarden usage, report and events: history from the accounting tables. Every flag is
 * parsed here (cg-time.c) before it goes into a query string, so a value the daemon
 * would refuse is a usage error (exit 2) and nothing is sent. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cg-name.h"
#include "cg-time.h"
#include "cli.h"

static uint64_t num(json_t *o, const char *section, const char *key, const char *leaf) {
        json_t *v = json_object_get(json_object_get(o, section), key);
        if (leaf)
                v = json_object_get(v, leaf);
        return json_is_integer(v) ? (uint64_t)json_integer_value(v) : json_is_string(v) ? UINT64_MAX : 0;
}

static void human(uint64_t v, char *buf, size_t size) {
        const char *units = "BKMGTPE";
        double d = (double)v;
        int u = 0;
        if (v == UINT64_MAX) {
                snprintf(buf, size, "max");
                return;
        }
        while (d >= 1024 && u < 6)
                d /= 1024, u++;
        snprintf(buf, size, u ? "%.1f%c" : "%.0f%c", d, units[u]);
}

static void print_usage(json_t *j) {
        size_t i;
        json_t *p;
        printf("%-20s %7s %9s %9s %9s %9s %6s %10s\n", "TIME", "CPU%", "MEM-AVG", "MEM-MAX", "READ", "WRITE", "TASKS",
               "THROTTLED");
        json_array_foreach (json_object_get(j, "points"), i, p) {
                char avg[16], max[16], rd[16], wr[16];
                json_t *cores = json_object_get(json_object_get(p, "cpu"), "cores");
                human(num(p, "memory", "usage", "avg"), avg, sizeof avg);
                human(num(p, "memory", "usage", "max"), max, sizeof max);
                human(num(p, "io", "read_bytes", NULL), rd, sizeof rd);
                human(num(p, "io", "write_bytes", NULL), wr, sizeof wr);
                printf("%-20s %7.1f %9s %9s %9s %9s %6" PRIu64 " %9.3fs\n",
                       json_string_value(json_object_get(p, "time")), json_number_value(cores) * 100, avg, max, rd, wr,
                       num(p, "pids", "current", "max"), (double)num(p, "cpu", "throttled_usec", NULL) / 1e6);
        }
}

static void print_report(json_t *j) {
        size_t i;
        json_t *r;
        printf("%-24s %-11s %10s %9s %9s %9s %9s %10s %4s %9s %s\n", "GROUP", "PERIOD", "CPU-S", "MEM-AVG", "MEM-PEAK",
               "READ", "WRITE", "THROTTLED", "OOM", "FROZEN", "DELETED");
        json_array_foreach (json_object_get(j, "rows"), i, r) {
                char avg[16], peak[16], rd[16], wr[16];
                const char *period = json_string_value(json_object_get(r, "period"));
                const char *deleted = json_string_value(json_object_get(r, "deleted_at"));
#define U(k) ((uint64_t)json_number_value(json_object_get(r, k)))
#define D(k) json_number_value(json_object_get(r, k))
                human(U("memory_avg_bytes"), avg, sizeof avg);
                human(U("memory_peak_bytes"), peak, sizeof peak);
                human(U("io_read_bytes"), rd, sizeof rd);
                human(U("io_write_bytes"), wr, sizeof wr);
                printf("%-24s %-11.10s %10.2f %9s %9s %9s %9s %9.2fs %4" PRIu64 " %8.1fs %s\n",
                       json_string_value(json_object_get(r, "group")), period ? period : "all", D("cpu_seconds"), avg,
                       peak, rd, wr, D("throttled_seconds"), U("oom_kills"), D("frozen_seconds"),
                       deleted ? deleted : "-");
#undef U
#undef D
        }
}

static void print_event(json_t *e) {
        char *details = json_dumps(json_object_get(e, "details"), JSON_COMPACT);
        const char *group = json_string_value(json_object_get(e, "group"));
        printf("%-20s %-14s %-24s %s\n", json_string_value(json_object_get(e, "time")),
               json_string_value(json_object_get(e, "type")), group ? group : "-", details ? details : "{}");
        free(details);
        fflush(stdout);
}

static void print_events(json_t *j) {
        size_t i;
        json_t *e;
        json_array_foreach (json_object_get(j, "events"), i, e)
                print_event(e);
}

/* --since 1h → "-1h", after checking it is a duration. */
static int since_arg(const char *v, char *buf, size_t size) {
        uint64_t usec;
        if (cg_duration_parse(v, &usec) < 0)
                return die(2, "--since takes a duration such as 15m, 1h or 30d");
        snprintf(buf, size, "-%s", v);
        return 0;
}

typedef struct Sse {
        Cli *cli;
        char line[65536];
        size_t len;
        bool is_usage;
} Sse;

/* Server-Sent Events, line by line: each `data:` of an event other than usage is printed. */
static bool on_sse(void *cls, const char *data, size_t n) {
        Sse *s = cls;
        for (size_t i = 0; i < n; i++) {
                if (data[i] != '\n') {
                        if (s->len + 1 < sizeof s->line)
                                s->line[s->len++] = data[i];
                        continue;
                }
                s->line[s->len] = '\0';
                if (strncmp(s->line, "event: ", 7) == 0)
                        s->is_usage = strcmp(s->line + 7, "usage") == 0;
                else if (strncmp(s->line, "data: ", 6) == 0 && !s->is_usage) {
                        json_t *e = json_loads(s->line + 6, 0, NULL);
                        if (s->cli->json && e) {
                                json_dumpf(e, stdout, JSON_COMPACT);
                                putchar('\n');
                                fflush(stdout);
                        } else if (e)
                                print_event(e);
                        json_decref(e);
                } else if (s->line[0] == '\0')
                        s->is_usage = false;
                s->len = 0;
        }
        return true;
}

static int follow(Cli *cli, const char *query) {
        char path[640], errbuf[512];
        long status = 0;
        char *body = NULL;
        static Sse sse;
        sse.cli = cli;
        snprintf(path, sizeof path, "/api/v1/events/stream%s", query);
        int r = client_stream(&cli->client, path, on_sse, &sse, &status, &body, errbuf, sizeof errbuf);
        if (r < 0)
                return die(1, "%s", errbuf);
        if (status >= 400) {
                json_t *e = json_object_get(json_loads(body, 0, NULL), "error");
                r = die(1, "%s", json_string_value(json_object_get(e, "message")) ?: "request failed");
        }
        free(body);
        return r;
}

/* Appends "?k=v" or "&k=v" when v is set; the bytes written. */
static size_t query_arg(char *buf, size_t size, bool first, const char *k, const char *v) {
        if (!v || !v[0])
                return 0;
        int n = snprintf(buf, size, "%s%s=%s", first ? "?" : "&", k, v);
        return n > 0 && (size_t)n < size ? (size_t)n : 0;
}

int cli_usage(Cli *cli, int argc, char **argv) {
        static const struct option opts[] = {
            {"since", required_argument, NULL, 's'}, {"step", required_argument, NULL, 'S'},
            {"by", required_argument, NULL, 'b'},    {"format", required_argument, NULL, 'f'},
            {"group", required_argument, NULL, 'g'}, {"type", required_argument, NULL, 't'},
            {"follow", no_argument, NULL, 'F'},      {0},
        };
        const char *cmd = argc > 0 ? argv[0] : "";
        bool is_usage = strcmp(cmd, "usage") == 0, is_report = strcmp(cmd, "report") == 0,
             is_events = strcmp(cmd, "events") == 0;
        if (!is_usage && !is_report && !is_events)
                return -1;
        char since[32] = "", step[32] = "", query[512] = "", path[640];
        const char *by = NULL, *format = "table", *group = NULL, *type = NULL;
        bool follow_ = false;
        uint64_t usec;
        int c, r;
        optind = 0; /* GNU getopt starts afresh (and permutes again) only from 0 */
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                if (c == 's' && (r = since_arg(optarg, since, sizeof since)))
                        return r;
                if (c == 'S' && (!is_usage || cg_duration_parse(optarg, &usec) < 0))
                        return die(2, "--step takes a duration such as 10s, 1m or 1h (usage only)");
                if (c == 'S')
                        snprintf(step, sizeof step, "%s", optarg);
                if (c == 'b' && (!is_report || (strcmp(optarg, "day") && strcmp(optarg, "week") &&
                                                strcmp(optarg, "month") && strcmp(optarg, "none"))))
                        return die(2, "--by is day, week, month or none (report only)");
                if (c == 'b')
                        by = optarg;
                if (c == 'f' &&
                    (!is_report || (strcmp(optarg, "table") && strcmp(optarg, "csv") && strcmp(optarg, "json"))))
                        return die(2, "--format is table, csv or json (report only)");
                if (c == 'f')
                        format = optarg;
                if (c == 'g' && (is_usage || !cg_name_is_valid(optarg)))
                        return die(2, "--group takes a group name (report and events)");
                if (c == 'g')
                        group = optarg;
                if (c == 't' && (!is_events || strspn(optarg, "abcdefghijklmnopqrstuvwxyz_") != strlen(optarg) ||
                                 strlen(optarg) > 23))
                        return die(2, "--type takes an event type such as oom or freeze (events only)");
                if (c == 't')
                        type = optarg;
                if (c == 'F' && !is_events)
                        return die(2, "--follow is for events");
                if (c == 'F')
                        follow_ = true;
                if (c == '?')
                        return 2;
        }
        int npos = argc - optind;
        if (is_usage && (npos != 1 || !cg_name_is_valid(argv[optind])))
                return die(2, "usage: cgwarden usage NAME [--since 1h] [--step 1m]");
        if (!is_usage && npos != 0)
                return die(2, "usage: cgwarden %s",
                           is_report
                               ? "report [--since 30d] [--by day|week|month] [--format table|csv|json] [--group G]"
                               : "events [--since 1h] [--group G] [--type T] [--follow]");
        size_t n = 0;
#define ARG(k, v) n += query_arg(query + n, sizeof query - n, n == 0, k, v)
        if (is_events) {
                ARG("since", since);
        } else
                ARG("from", since);
        ARG("step", step);
        ARG("by", by);
        ARG("group", group);
        ARG("type", type);
        if (is_report && strcmp(format, "csv") == 0)
                ARG("format", "csv");
#undef ARG
        if (is_usage) {
                snprintf(path, sizeof path, "/api/v1/groups/%s/usage%s", argv[optind], query);
                return call(cli, "GET", path, NULL, print_usage);
        }
        if (is_events && follow_)
                return follow(cli, query);
        if (is_events) {
                snprintf(path, sizeof path, "/api/v1/events%s", query);
                return call(cli, "GET", path, NULL, print_events);
        }
        snprintf(path, sizeof path, "/api/v1/reports/usage%s", query);
        if (strcmp(format, "csv") == 0) {
                char *text = NULL;
                if ((r = call_text(cli, path, &text)))
                        return r;
                fputs(text, stdout);
                free(text);
                return 0;
        }
        if (strcmp(format, "json") == 0)
                cli->json = true;
        return call(cli, "GET", path, NULL, print_report);
}
