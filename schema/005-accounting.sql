-- Accounting: usage time series, rollups, the ledger of ended groups and processes, events.
-- Written by the sampler on a connection of its own (synchronous=NORMAL: a crash may lose the
-- last samples, never desired state). Times are microseconds since the epoch, UTC.

-- A series is one life of one group: opened when the sampler first sees the group, ended
-- when it is deleted, so the counters of two lives never mix.
CREATE TABLE series (
    id            INTEGER PRIMARY KEY,
    group_name    TEXT    NOT NULL,
    started_usec  INTEGER NOT NULL,
    ended_usec    INTEGER,
    frozen_usec   INTEGER NOT NULL DEFAULT 0  -- time frozen so far, so a restart goes on from it
) STRICT;
CREATE INDEX series_group ON series(group_name);
CREATE UNIQUE INDEX series_live ON series(group_name) WHERE ended_usec IS NULL;

-- Raw samples: counters as the kernel counts them (rates and deltas are derived when read),
-- gauges as read. NULL: the host does not count it. frozen_usec is the sampler's own counter.
-- Clustered by time: a sweep appends (about 30 pages for 1000 groups, where (series, ts)
-- dirtied a page per group), and the minute rollup reads rows in storage order. A group's
-- raw history is read by scanning its time range, so the API serves raw rows for short
-- ranges only and the minute tier beyond.
CREATE TABLE samples (
    series                     INTEGER NOT NULL,
    ts                         INTEGER NOT NULL,
    cpu_usage_usec             INTEGER,
    cpu_user_usec              INTEGER,
    cpu_system_usec            INTEGER,
    cpu_periods                INTEGER,
    cpu_throttled_periods      INTEGER,
    cpu_throttled_usec         INTEGER,
    memory_limit_hits          INTEGER,
    memory_high_hits           INTEGER,
    memory_oom_kills           INTEGER,
    io_read_bytes              INTEGER,
    io_write_bytes             INTEGER,
    io_read_ios                INTEGER,
    io_write_ios               INTEGER,
    pressure_cpu_some_usec     INTEGER,
    pressure_cpu_full_usec     INTEGER,
    pressure_memory_some_usec  INTEGER,
    pressure_memory_full_usec  INTEGER,
    pressure_io_some_usec      INTEGER,
    pressure_io_full_usec      INTEGER,
    frozen_usec                INTEGER,
    memory_usage               INTEGER,
    memory_peak                INTEGER,
    memory_limit               INTEGER,
    memory_anon                INTEGER,
    memory_file                INTEGER,
    memory_swap                INTEGER,
    pids_current               INTEGER,
    freezer_frozen             INTEGER,
    PRIMARY KEY (ts, series)
) STRICT, WITHOUT ROWID;

-- Rollups: per bucket (ts = its start), the counters' increase and each gauge's min, mean and
-- max over the n samples in it. usage_1m from samples, usage_1h from usage_1m, usage_1d from
-- usage_1h (the daily tier keeps a month's report over a thousand groups to ~30k rows).
-- Clustered by time like the samples: a report reads every group's rows of a range in
-- storage order, and a rollup appends; one group's chart goes through (series, ts).
CREATE TABLE usage_1m (
    series                     INTEGER NOT NULL,
    ts                         INTEGER NOT NULL,
    n                          INTEGER NOT NULL,
    cpu_usage_usec             INTEGER,
    cpu_user_usec              INTEGER,
    cpu_system_usec            INTEGER,
    cpu_periods                INTEGER,
    cpu_throttled_periods      INTEGER,
    cpu_throttled_usec         INTEGER,
    memory_limit_hits          INTEGER,
    memory_high_hits           INTEGER,
    memory_oom_kills           INTEGER,
    io_read_bytes              INTEGER,
    io_write_bytes             INTEGER,
    io_read_ios                INTEGER,
    io_write_ios               INTEGER,
    pressure_cpu_some_usec     INTEGER,
    pressure_cpu_full_usec     INTEGER,
    pressure_memory_some_usec  INTEGER,
    pressure_memory_full_usec  INTEGER,
    pressure_io_some_usec      INTEGER,
    pressure_io_full_usec      INTEGER,
    frozen_usec                INTEGER,
    memory_usage_min           INTEGER,
    memory_usage_avg           INTEGER,
    memory_usage_max           INTEGER,
    memory_peak_min            INTEGER,
    memory_peak_avg            INTEGER,
    memory_peak_max            INTEGER,
    memory_limit_min           INTEGER,
    memory_limit_avg           INTEGER,
    memory_limit_max           INTEGER,
    memory_anon_min            INTEGER,
    memory_anon_avg            INTEGER,
    memory_anon_max            INTEGER,
    memory_file_min            INTEGER,
    memory_file_avg            INTEGER,
    memory_file_max            INTEGER,
    memory_swap_min            INTEGER,
    memory_swap_avg            INTEGER,
    memory_swap_max            INTEGER,
    pids_current_min           INTEGER,
    pids_current_avg           INTEGER,
    pids_current_max           INTEGER,
    freezer_frozen_min         INTEGER,
    freezer_frozen_avg         INTEGER,
    freezer_frozen_max         INTEGER,
    PRIMARY KEY (ts, series)
) STRICT, WITHOUT ROWID;
CREATE INDEX usage_1m_series ON usage_1m(series, ts);

CREATE TABLE usage_1h (
    series                     INTEGER NOT NULL,
    ts                         INTEGER NOT NULL,
    n                          INTEGER NOT NULL,
    cpu_usage_usec             INTEGER,
    cpu_user_usec              INTEGER,
    cpu_system_usec            INTEGER,
    cpu_periods                INTEGER,
    cpu_throttled_periods      INTEGER,
    cpu_throttled_usec         INTEGER,
    memory_limit_hits          INTEGER,
    memory_high_hits           INTEGER,
    memory_oom_kills           INTEGER,
    io_read_bytes              INTEGER,
    io_write_bytes             INTEGER,
    io_read_ios                INTEGER,
    io_write_ios               INTEGER,
    pressure_cpu_some_usec     INTEGER,
    pressure_cpu_full_usec     INTEGER,
    pressure_memory_some_usec  INTEGER,
    pressure_memory_full_usec  INTEGER,
    pressure_io_some_usec      INTEGER,
    pressure_io_full_usec      INTEGER,
    frozen_usec                INTEGER,
    memory_usage_min           INTEGER,
    memory_usage_avg           INTEGER,
    memory_usage_max           INTEGER,
    memory_peak_min            INTEGER,
    memory_peak_avg            INTEGER,
    memory_peak_max            INTEGER,
    memory_limit_min           INTEGER,
    memory_limit_avg           INTEGER,
    memory_limit_max           INTEGER,
    memory_anon_min            INTEGER,
    memory_anon_avg            INTEGER,
    memory_anon_max            INTEGER,
    memory_file_min            INTEGER,
    memory_file_avg            INTEGER,
    memory_file_max            INTEGER,
    memory_swap_min            INTEGER,
    memory_swap_avg            INTEGER,
    memory_swap_max            INTEGER,
    pids_current_min           INTEGER,
    pids_current_avg           INTEGER,
    pids_current_max           INTEGER,
    freezer_frozen_min         INTEGER,
    freezer_frozen_avg         INTEGER,
    freezer_frozen_max         INTEGER,
    PRIMARY KEY (ts, series)
) STRICT, WITHOUT ROWID;
CREATE INDEX usage_1h_series ON usage_1h(series, ts);

CREATE TABLE usage_1d (
    series                     INTEGER NOT NULL,
    ts                         INTEGER NOT NULL,
    n                          INTEGER NOT NULL,
    cpu_usage_usec             INTEGER,
    cpu_user_usec              INTEGER,
    cpu_system_usec            INTEGER,
    cpu_periods                INTEGER,
    cpu_throttled_periods      INTEGER,
    cpu_throttled_usec         INTEGER,
    memory_limit_hits          INTEGER,
    memory_high_hits           INTEGER,
    memory_oom_kills           INTEGER,
    io_read_bytes              INTEGER,
    io_write_bytes             INTEGER,
    io_read_ios                INTEGER,
    io_write_ios               INTEGER,
    pressure_cpu_some_usec     INTEGER,
    pressure_cpu_full_usec     INTEGER,
    pressure_memory_some_usec  INTEGER,
    pressure_memory_full_usec  INTEGER,
    pressure_io_some_usec      INTEGER,
    pressure_io_full_usec      INTEGER,
    frozen_usec                INTEGER,
    memory_usage_min           INTEGER,
    memory_usage_avg           INTEGER,
    memory_usage_max           INTEGER,
    memory_peak_min            INTEGER,
    memory_peak_avg            INTEGER,
    memory_peak_max            INTEGER,
    memory_limit_min           INTEGER,
    memory_limit_avg           INTEGER,
    memory_limit_max           INTEGER,
    memory_anon_min            INTEGER,
    memory_anon_avg            INTEGER,
    memory_anon_max            INTEGER,
    memory_file_min            INTEGER,
    memory_file_avg            INTEGER,
    memory_file_max            INTEGER,
    memory_swap_min            INTEGER,
    memory_swap_avg            INTEGER,
    memory_swap_max            INTEGER,
    pids_current_min           INTEGER,
    pids_current_avg           INTEGER,
    pids_current_max           INTEGER,
    freezer_frozen_min         INTEGER,
    freezer_frozen_avg         INTEGER,
    freezer_frozen_max         INTEGER,
    PRIMARY KEY (ts, series)
) STRICT, WITHOUT ROWID;
CREATE INDEX usage_1d_series ON usage_1d(series, ts);

-- How far each tier is rolled up: every bucket before done_usec is complete.
CREATE TABLE rollup_state (
    tier       TEXT    PRIMARY KEY CHECK (tier IN ('1m', '1h', '1d')),
    done_usec  INTEGER NOT NULL
) STRICT;

-- What a group or a process used in its whole life, written when it ends and kept after it
-- (and its samples) are gone, so reports cover short-lived and deleted groups.
CREATE TABLE ledger (
    id              INTEGER PRIMARY KEY,
    kind            TEXT    NOT NULL CHECK (kind IN ('group', 'process')),
    group_name      TEXT    NOT NULL,
    process_id      INTEGER,
    started_usec    INTEGER NOT NULL,
    ended_usec      INTEGER NOT NULL,
    cpu_usec        INTEGER,
    memory_peak     INTEGER,
    io_read_bytes   INTEGER,
    io_write_bytes  INTEGER,
    oom_kills       INTEGER,
    frozen_usec     INTEGER,
    detail          TEXT
) STRICT;
CREATE INDEX ledger_ended ON ledger(ended_usec);

-- Events: type and details (a JSON object) as the API shows them; id is the SSE event id.
CREATE TABLE events (
    id          INTEGER PRIMARY KEY,
    ts          INTEGER NOT NULL,
    type        TEXT    NOT NULL,
    group_name  TEXT,
    details     TEXT    NOT NULL
) STRICT;
CREATE INDEX events_ts ON events(ts);
