-- Device access: the policy, and the rules in canonical form, one per line ("c 1:3 rwm").
ALTER TABLE groups ADD COLUMN devices_policy TEXT CHECK (devices_policy IN ('allow', 'deny'));
ALTER TABLE groups ADD COLUMN devices_rules TEXT;
