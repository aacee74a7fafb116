/* GET /metrics: every group's usage in Prometheus's text exposition format (version 0.0.4):
 * one family per value, HELP and TYPE once, a `group` label per sample, counters in base
 * units with a _total suffix. */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api.h"
#include "cg-util.h"

typedef struct Family {
        CgStat stat;
        const char *name, *type, *help;
        double scale; /* raw value × scale = the family's unit */
} Family;

static const Family families[] = {
    {CG_STAT_CPU_USAGE_USEC, "cgwarden_cpu_usage_seconds_total", "counter", "CPU time used by the group's tasks.",
     1e-6},
    {CG_STAT_CPU_USER_USEC, "cgwarden_cpu_user_seconds_total", "counter", "CPU time in user mode.", 1e-6},
    {CG_STAT_CPU_SYSTEM_USEC, "cgwarden_cpu_system_seconds_total", "counter", "CPU time in kernel mode.", 1e-6},
    {CG_STAT_CPU_PERIODS, "cgwarden_cpu_periods_total", "counter", "CFS bandwidth periods that elapsed.", 1},
    {CG_STAT_CPU_THROTTLED_PERIODS, "cgwarden_cpu_throttled_periods_total", "counter",
     "CFS bandwidth periods in which the group was throttled.", 1},
    {CG_STAT_CPU_THROTTLED_USEC, "cgwarden_cpu_throttled_seconds_total", "counter",
     "Time the group's tasks spent throttled.", 1e-6},
    {CG_STAT_MEM_USAGE, "cgwarden_memory_usage_bytes", "gauge", "Memory charged to the group.", 1},
    {CG_STAT_MEM_PEAK, "cgwarden_memory_peak_bytes", "gauge", "Highest memory usage recorded for the group.", 1},
    {CG_STAT_MEM_LIMIT, "cgwarden_memory_limit_bytes", "gauge", "The group's memory limit (+Inf: none).", 1},
    {CG_STAT_MEM_FAILCNT, "cgwarden_memory_limit_hits_total", "counter", "Times usage hit the memory limit.", 1},
    {CG_STAT_MEM_HIGH, "cgwarden_memory_high_hits_total", "counter",
     "Times usage went over memory.high and was throttled (cgroup v2).", 1},
    {CG_STAT_MEM_ANON, "cgwarden_memory_anon_bytes", "gauge", "Anonymous memory (v1 rss).", 1},
    {CG_STAT_MEM_FILE, "cgwarden_memory_file_bytes", "gauge", "Page cache (v1 cache).", 1},
    {CG_STAT_MEM_SWAP, "cgwarden_memory_swap_bytes", "gauge", "Swap used.", 1},
    {CG_STAT_OOM_KILLS, "cgwarden_oom_kills_total", "counter", "Tasks killed by the OOM killer.", 1},
    {CG_STAT_IO_READ_BYTES, "cgwarden_io_read_bytes_total", "counter", "Bytes read from block devices.", 1},
    {CG_STAT_IO_WRITE_BYTES, "cgwarden_io_write_bytes_total", "counter", "Bytes written to block devices.", 1},
    {CG_STAT_IO_READ_IOS, "cgwarden_io_reads_total", "counter", "Read operations on block devices.", 1},
    {CG_STAT_IO_WRITE_IOS, "cgwarden_io_writes_total", "counter", "Write operations on block devices.", 1},
    {CG_STAT_PIDS_CURRENT, "cgwarden_pids", "gauge", "Tasks in the group.", 1},
    {CG_STAT_PSI_CPU_SOME_USEC, "cgwarden_pressure_cpu_some_seconds_total", "counter",
     "Time some of the group's tasks waited for a CPU (PSI).", 1e-6},
    {CG_STAT_PSI_CPU_FULL_USEC, "cgwarden_pressure_cpu_full_seconds_total", "counter",
     "Time all of the group's non-idle tasks waited for a CPU (PSI).", 1e-6},
    {CG_STAT_PSI_MEMORY_SOME_USEC, "cgwarden_pressure_memory_some_seconds_total", "counter",
     "Time some of the group's tasks stalled on memory (PSI).", 1e-6},
    {CG_STAT_PSI_MEMORY_FULL_USEC, "cgwarden_pressure_memory_full_seconds_total", "counter",
     "Time all of the group's non-idle tasks stalled on memory (PSI).", 1e-6},
    {CG_STAT_PSI_IO_SOME_USEC, "cgwarden_pressure_io_some_seconds_total", "counter",
     "Time some of the group's tasks stalled on I/O (PSI).", 1e-6},
    {CG_STAT_PSI_IO_FULL_USEC, "cgwarden_pressure_io_full_seconds_total", "counter",
     "Time all of the group's non-idle tasks stalled on I/O (PSI).", 1e-6},
};

static void value(FILE *f, const Family *fam, uint64_t v) {
        if (v == UINT64_MAX)
                fputs("+Inf", f);
        else if (fam->scale == 1)
                fprintf(f, "%" PRIu64, v);
        else
                fprintf(f, "%.6f", (double)v * fam->scale);
}

void api_metrics(Api *api, const HttpRequest *req, const char *name, const char *id, HttpResponse *resp) {
        GroupStats *all = NULL;
        size_t n = 0;
        CgError err = {0};
        int r = groups_stats_all(api->groups, &all, &n, &err);
        if (r < 0) {
                api_reply_error(resp, r, &err);
                return;
        }
        char *buf = NULL;
        size_t len = 0;
        FILE *f = open_memstream(&buf, &len);
        if (!f) {
                free(all);
                api_reply_error(resp, -ENOMEM, &(CgError){"internal", "out of memory", ""});
                return;
        }
        fputs("# HELP cgwarden_group_frozen 1 if the group is frozen.\n# TYPE cgwarden_group_frozen gauge\n", f);
        for (size_t i = 0; i < n; i++)
                fprintf(f, "cgwarden_group_frozen{group=\"%s\"} %d\n", all[i].name, all[i].frozen);
        for (size_t k = 0; k < ELEMENTSOF(families); k++) {
                const Family *fam = &families[k];
                bool header = false;
                for (size_t i = 0; i < n; i++) {
                        if (!(all[i].stats.have & (1u << fam->stat)))
                                continue;
                        if (!header)
                                fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", fam->name, fam->help, fam->name, fam->type);
                        header = true;
                        /* Group names are [a-z0-9_-]: nothing to escape in the label. */
                        fprintf(f, "%s{group=\"%s\"} ", fam->name, all[i].name);
                        value(f, fam, all[i].stats.v[fam->stat]);
                        fputc('\n', f);
                }
        }
        fclose(f);
        free(all);
        api_reply_text(resp, 200, "text/plain; version=0.0.4; charset=utf-8", buf, len);
}
