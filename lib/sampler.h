/* The sampler: reads every managed group's usage each interval into the accounting tables.
 * Readers keep their files open and re-read them with pread; the group list is re-read only
 * when the source's generation changes (a group created or deleted), never by walking the
 * tree. Groups that do not fit the open-file budget are read cold (open, read, close), so
 * thousands of groups work within a fixed RLIMIT_NOFILE. Increases between sweeps become
 * events: OOM kills, memory.max and memory.high hits, throttling and pressure above their
 * thresholds. An OOM kill is also seen when it happens: sampler_fd() becomes readable.
 *
 * Not thread-safe: one thread sweeps. The Tsdb calls go to a connection the caller locks. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cg-name.h"
#include "cg-stats.h"
#include "store-ts.h"

typedef struct SamplerGroup {
        char name[CG_NAME_BUF];
        uint64_t created_usec; /* CLOCK_REALTIME */
} SamplerGroup;

/* Where the groups come from (the daemon's group service; the benchmark's own tree). */
typedef struct SamplerSource {
        void *cls;
        /* Changes whenever the set of groups may have changed. */
        uint64_t (*generation)(void *cls);
        /* Every group now; *ret is malloc'd. */
        int (*list)(void *cls, SamplerGroup **ret, size_t *ret_n);
        /* The group's directory per controller, as CgDriverOps.stat_dirs; the caller closes them. */
        int (*open_dirs)(void *cls, const char *name, int ret_dirs[_CG_CTRL_COUNT]);
} SamplerSource;

typedef struct SamplerConfig {
        bool unified;          /* cgroup v2 file names */
        double throttle_ratio; /* throttled periods / periods over a sweep that starts an episode */
        double pressure_ratio; /* PSI "some" stall time / wall time over a sweep that starts one */
        size_t fd_budget;      /* files the readers may keep open; 0: the limit less a reserve */
} SamplerConfig;

typedef struct SamplerEvent {
        char type[24];
        char group[CG_NAME_BUF];
        char details[192]; /* a JSON object, from typed values only */
} SamplerEvent;

/* A group as the last sweep saw it, with rates over the sweep before (for live views). */
typedef struct SamplerRow {
        char name[CG_NAME_BUF];
        uint64_t ts;
        CgStats stats;
        uint64_t frozen_usec;
        double cpu_cores; /* CPU time per wall time: 1.0 is one CPU busy */
        double io_read_bps, io_write_bps;
        bool has_rates;
} SamplerRow;

typedef struct Sampler Sampler;

int sampler_new(const SamplerConfig *cfg, const SamplerSource *src, Sampler **ret);
void sampler_free(Sampler *s);

/* Re-lists the groups if the generation moved: new groups get their readers and memory
 * watches now rather than at the next read. */
int sampler_sync(Sampler *s);
/* Reads every group (re-listing them first if the generation moved). No Tsdb, no lock. */
int sampler_read(Sampler *s, uint64_t now_usec);
/* Writes what the last read saw into t, inside the caller's transaction: new series (with a
 * birth row for a group born since the last sweep), one sample per group. */
int sampler_write(Sampler *s, Tsdb *t);
/* Events found by the last read or notification since they were last taken; *ret is
 * malloc'd (NULL with 0 when none). */
int sampler_take_events(Sampler *s, SamplerEvent **ret, size_t *ret_n);

/* Readable when the kernel reported a memory event (OOM) since the last sampler_notified(). */
int sampler_fd(const Sampler *s);
/* Reads the groups the kernel reported on and queues their events. Returns how many groups
 * want a second look (v1 signals an OOM before the kill is counted): call sampler_recheck()
 * about SAMPLER_RECHECK_USEC later. */
int sampler_notified(Sampler *s, uint64_t now_usec);
#define SAMPLER_RECHECK_USEC 250000
int sampler_recheck(Sampler *s, uint64_t now_usec);

/* How many groups the sampler tracks; and the last read's rows (at most that many, groups
 * that could not be read left out) copied into out. Returns the rows copied. */
size_t sampler_groups(const Sampler *s);
size_t sampler_rows(const Sampler *s, SamplerRow *out);
/* How the groups were read: kept open (hot) or each sweep (cold), and the files held. */
void sampler_counts(const Sampler *s, size_t *ret_hot, size_t *ret_cold, size_t *ret_fds);
