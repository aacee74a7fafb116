-- Desired state of every group the daemon manages. NULL in a limit column means "not set";
-- -1 means "max" (unlimited). Times are microseconds since the epoch, UTC.
CREATE TABLE groups (
    name                TEXT    PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 63),
    parent              TEXT    REFERENCES groups(name) ON DELETE RESTRICT,
    frozen              INTEGER NOT NULL DEFAULT 0 CHECK (frozen IN (0, 1)),
    created_usec        INTEGER NOT NULL,
    memory_max          INTEGER CHECK (memory_max >= -1),
    memory_reservation  INTEGER CHECK (memory_reservation >= -1),
    memory_swap_max     INTEGER CHECK (memory_swap_max >= -1),
    cpu_quota_usec      INTEGER CHECK (cpu_quota_usec >= -1),
    cpu_weight          INTEGER CHECK (cpu_weight BETWEEN 1 AND 10000),
    cpuset_cpus         TEXT,
    cpuset_mems         TEXT,
    pids_max            INTEGER CHECK (pids_max >= -1)
) STRICT;

CREATE INDEX groups_parent ON groups(parent);
