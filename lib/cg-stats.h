/* A group's usage as the kernel counts it, read from its files on either layout (pressure
 * on v2 only, where the kernel keeps it per group): the core
 * of `GET …/stats` and, later, of the sampler. A reader keeps the files open and re-reads
 * them with pread (cgroupfs regenerates a file read from offset 0). Counters (usage, periods,
 * bytes, OOM kills) only grow while the group lives; the rest are gauges. */
#pragma once

#include <stdbool.h>
#include <stdint.h>

#include "cg-driver.h"

typedef enum CgStat {
        CG_STAT_CPU_USAGE_USEC,
        CG_STAT_CPU_USER_USEC,
        CG_STAT_CPU_SYSTEM_USEC,
        CG_STAT_CPU_PERIODS,
        CG_STAT_CPU_THROTTLED_PERIODS,
        CG_STAT_CPU_THROTTLED_USEC,
        CG_STAT_MEM_USAGE,
        CG_STAT_MEM_PEAK,
        CG_STAT_MEM_LIMIT,
        CG_STAT_MEM_FAILCNT, /* v1 memory.failcnt; v2 memory.events "max" */
        CG_STAT_MEM_HIGH,    /* v2 memory.events "high": times over memory.high (v1 has none) */
        CG_STAT_MEM_ANON,    /* v1 total_rss; v2 anon */
        CG_STAT_MEM_FILE,    /* v1 total_cache; v2 file */
        CG_STAT_MEM_SWAP,    /* v1 total_swap; v2 memory.swap.current */
        CG_STAT_OOM_KILLS,
        CG_STAT_IO_READ_BYTES,
        CG_STAT_IO_WRITE_BYTES,
        CG_STAT_IO_READ_IOS,
        CG_STAT_IO_WRITE_IOS,
        CG_STAT_PIDS_CURRENT,
        CG_STAT_FROZEN, /* 1 while the kernel holds the group frozen (v1 FROZEN, v2 cgroup.events) */
        /* Pressure stall time (PSI, cgroup v2 only): some = at least one task stalled,
         * full = all non-idle tasks stalled (accounting/psi.rst). */
        CG_STAT_PSI_CPU_SOME_USEC,
        CG_STAT_PSI_CPU_FULL_USEC,
        CG_STAT_PSI_MEMORY_SOME_USEC,
        CG_STAT_PSI_MEMORY_FULL_USEC,
        CG_STAT_PSI_IO_SOME_USEC,
        CG_STAT_PSI_IO_FULL_USEC,
        _CG_STAT_COUNT,
} CgStat;

typedef struct CgStats {
        uint32_t have; /* 1 << CgStat for each value the host provides */
        uint64_t v[_CG_STAT_COUNT];
} CgStats;

/* "cpu.usage_usec": the JSON section and key of a value. */
const char *cg_stat_section(CgStat s);
const char *cg_stat_key(CgStat s);
/* "cpu_usage_usec": the value's column in the accounting tables. */
const char *cg_stat_column(CgStat s);
/* A counter only grows while its group lives (its increase is what is summed); the rest are
 * gauges (summarised as min, mean and max). */
bool cg_stat_is_counter(CgStat s);

typedef struct CgStatReader CgStatReader;

/* dirs: the group's directory in each controller's hierarchy (driver stat_dirs), borrowed. */
int cg_stat_reader_open(const int dirs[_CG_CTRL_COUNT], bool unified, CgStatReader **ret);
void cg_stat_reader_free(CgStatReader *r);
/* Reads everything the reader has open. A file that fails to read leaves its values out. */
int cg_stat_read(CgStatReader *r, CgStats *ret);
/* How many files the reader keeps open (v1: also the memory directory, see cg-stats.c). */
size_t cg_stat_reader_nfds(const CgStatReader *r);
/* Asks the kernel to say when the group's memory events change, so an OOM kill is seen when
 * it happens, not at the next sweep. v1: an eventfd registered on memory.oom_control through
 * the memory directory's cgroup.event_control; *ret_fd is that eventfd (readable on each OOM,
 * and when the group is removed). v2: an inotify watch on memory.events in inotify_fd
 * (cgroup-v2.rst: a change "generates a file modified event"); *ret_fd is the watch
 * descriptor. -ENOENT where the group has no memory files. */
int cg_stat_watch_oom(CgStatReader *r, const int dirs[_CG_CTRL_COUNT], bool unified, int inotify_fd, int *ret_fd);
