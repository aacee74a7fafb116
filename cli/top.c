/* cgwarden top: every group's usage, live, like systemd-cgtop. Two reads of
 * GET /api/v1/stats an interval apart give rates: CPU % of one CPU, I/O bytes per second. */
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

typedef struct Row {
        const char *name, *state;
        double cpu, rbps, wbps;
        uint64_t mem, limit, pids;
} Row;

typedef enum Sort { BY_CPU, BY_MEMORY, BY_IO, BY_PIDS } Sort;
static Sort sort_by;

static uint64_t num(json_t *g, const char *section, const char *key) {
        json_t *v = json_object_get(json_object_get(g, section), key);
        return json_is_integer(v) ? (uint64_t)json_integer_value(v) : json_is_string(v) ? UINT64_MAX : 0;
}

static json_t *find(json_t *groups, const char *name) {
        size_t i;
        json_t *g;
        json_array_foreach (groups, i, g)
                if (strcmp(json_string_value(json_object_get(g, "name")), name) == 0)
                        return g;
        return NULL;
}

static double key(const Row *r) {
        return sort_by == BY_CPU      ? r->cpu
               : sort_by == BY_MEMORY ? (double)r->mem
               : sort_by == BY_IO     ? r->rbps + r->wbps
                                      : (double)r->pids;
}

static int by_key(const void *a, const void *b) {
        double x = key(a), y = key(b);
        return (x < y) - (x > y);
}

static void human(uint64_t v, char *buf, size_t size) {
        const char *units = "BKMGTPE";
        double d = (double)v;
        int u = 0;
        while (d >= 1024 && u < 6)
                d /= 1024, u++;
        snprintf(buf, size, u ? "%.1f%c" : "%.0f%c", d, units[u]);
}

/* One screen: rates between `before` and `after`, taken `usec` apart. */
static void print_rows(json_t *before, json_t *after, uint64_t usec) {
        json_t *groups = json_object_get(after, "groups");
        size_t n = json_array_size(groups), i;
        json_t *g;
        Row *rows = calloc(n ? n : 1, sizeof *rows);
        if (!rows)
                return;
        double secs = (double)usec / 1e6;
        json_array_foreach (groups, i, g) {
                json_t *p = find(json_object_get(before, "groups"), json_string_value(json_object_get(g, "name")));
                Row *r = &rows[i];
                r->name = json_string_value(json_object_get(g, "name"));
                r->state = json_string_value(json_object_get(g, "state"));
                r->mem = num(g, "memory", "usage");
                r->limit = num(g, "memory", "limit");
                r->pids = num(g, "pids", "current");
                if (!p) /* new since the last read: no rate yet */
                        continue;
                /* A counter that went down means the group was recreated: no rate either. */
                uint64_t c0 = num(p, "cpu", "usage_usec"), c1 = num(g, "cpu", "usage_usec");
                uint64_t r0 = num(p, "io", "read_bytes"), r1 = num(g, "io", "read_bytes");
                uint64_t w0 = num(p, "io", "write_bytes"), w1 = num(g, "io", "write_bytes");
                r->cpu = c1 >= c0 ? (double)(c1 - c0) / 1e6 / secs * 100 : 0;
                r->rbps = r1 >= r0 ? (double)(r1 - r0) / secs : 0;
                r->wbps = w1 >= w0 ? (double)(w1 - w0) / secs : 0;
        }
        qsort(rows, n, sizeof *rows, by_key);
        printf("%-24s %-7s %7s %9s %6s %9s %9s %6s\n", "GROUP", "STATE", "CPU%", "MEMORY", "MEM%", "READ/s", "WRITE/s",
               "TASKS");
        for (i = 0; i < n; i++) {
                char mem[16], rd[16], wr[16], pct[16] = "-";
                human(rows[i].mem, mem, sizeof mem);
                human((uint64_t)rows[i].rbps, rd, sizeof rd);
                human((uint64_t)rows[i].wbps, wr, sizeof wr);
                if (rows[i].limit && rows[i].limit != UINT64_MAX)
                        snprintf(pct, sizeof pct, "%.1f", (double)rows[i].mem * 100 / (double)rows[i].limit);
                printf("%-24s %-7s %7.1f %9s %6s %9s %9s %6" PRIu64 "\n", rows[i].name, rows[i].state, rows[i].cpu, mem,
                       pct, rd, wr, rows[i].pids);
        }
        free(rows);
}

static int snapshot(Cli *cli, json_t **ret, uint64_t *ret_usec) {
        int r = call_json(cli, "GET", "/api/v1/stats", NULL, ret);
        *ret_usec = cg_now_usec(CLOCK_MONOTONIC);
        return r;
}

int cli_top(Cli *cli, int argc, char **argv) {
        static const struct option opts[] = {
            {"sort", required_argument, NULL, 's'},
            {"interval", required_argument, NULL, 'i'},
            {"count", required_argument, NULL, 'n'},
            {0},
        };
        double interval = 2;
        long count = 0;
        int c;
        if (argc < 1 || strcmp(argv[0], "top") != 0)
                return -1;
        optind = 0; /* GNU getopt starts afresh (and permutes again) only from 0 */
        while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
                char *end = NULL;
                if (c == 's' && strcmp(optarg, "cpu") == 0)
                        sort_by = BY_CPU;
                else if (c == 's' && strcmp(optarg, "memory") == 0)
                        sort_by = BY_MEMORY;
                else if (c == 's' && strcmp(optarg, "io") == 0)
                        sort_by = BY_IO;
                else if (c == 's' && strcmp(optarg, "tasks") == 0)
                        sort_by = BY_PIDS;
                else if (c == 's')
                        return die(2, "--sort is cpu, memory, io or tasks");
                else if (c == 'i' && ((interval = strtod(optarg, &end)), *end || interval < 0.1 || interval > 3600))
                        return die(2, "--interval is seconds, 0.1 to 3600");
                else if (c == 'n' && ((count = strtol(optarg, &end, 10)), *end || count < 1))
                        return die(2, "--count is a number of screens, at least 1");
                else if (c != 's' && c != 'i' && c != 'n')
                        return die(2, "usage: cgwarden top [--sort cpu|memory|io|tasks] [--interval S] [--count N]");
        }
        if (optind != argc)
                return die(2, "usage: cgwarden top [--sort cpu|memory|io|tasks] [--interval S] [--count N]");
        json_t *before = NULL, *after = NULL;
        uint64_t t0, t1;
        int r = snapshot(cli, &before, &t0);
        for (long i = 0; r == 0 && (count == 0 || i < count); i++) {
                usleep((useconds_t)(interval * 1e6));
                r = snapshot(cli, &after, &t1);
                if (r != 0)
                        break;
                if (isatty(STDOUT_FILENO) && count != 1)
                        fputs("\033[H\033[2J", stdout);
                print_rows(before, after, t1 - t0);
                fflush(stdout);
                json_decref(before);
                before = after, t0 = t1;
                after = NULL;
        }
        json_decref(before);
        return r;
}
