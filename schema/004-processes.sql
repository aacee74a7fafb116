-- Processes the daemon started. Kept after they end (and after their group is gone), so
-- `ps` and later the ledger see them. argv and namespaces are JSON arrays of strings.
CREATE TABLE processes (
    id            INTEGER PRIMARY KEY,
    group_name    TEXT    NOT NULL,
    pid           INTEGER NOT NULL,
    ns_pid        INTEGER NOT NULL,
    shim_pid      INTEGER NOT NULL,
    shim_start    INTEGER NOT NULL,
    argv          TEXT    NOT NULL,
    namespaces    TEXT    NOT NULL,
    hostname      TEXT,
    state         TEXT    NOT NULL CHECK (state IN ('running', 'exited', 'killed')),
    exit_code     INTEGER,
    signal        INTEGER,
    started_usec  INTEGER NOT NULL,
    ended_usec    INTEGER
) STRICT;

CREATE INDEX processes_group ON processes(group_name);
CREATE INDEX processes_running ON processes(state) WHERE state = 'running';
