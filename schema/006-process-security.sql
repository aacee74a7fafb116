-- The walls a process was started with, as the API reports them: capabilities, seccomp,
-- no_new_privileges, cgroup namespace, read-only rootfs, user namespace base (a JSON object).
-- Processes from before this version ran without them: '{}'.
ALTER TABLE processes ADD COLUMN security TEXT NOT NULL DEFAULT '{}';
