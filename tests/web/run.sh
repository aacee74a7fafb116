#!/usr/bin/env bash
# The dashboard end to end: the real daemon (sanitizer build) on loopback, on a per-run root
# that the trap removes, driven by Debian's Chromium through playwright-core
# (tests/web/dashboard.mjs). Screenshots go to $SHOTS (default build/test/screenshots).
# Needs `make deps` (chromium, node_modules). Runs on this host's own cgroup layout.
set -u
cd "$(dirname "$0")/../.."
. tests/integration/lib.sh

SHOTS=${SHOTS:-build/test/screenshots}
mkdir -p "$SHOTS"
for need in /usr/bin/chromium node_modules/playwright-core/package.json; do
	if [ ! -e "$need" ]; then
		echo "not ok 1 - $need is missing: run 'make deps'"
		echo "0 passed, 1 failed"
		exit 1
	fi
done
# Sampling every second, so the charts and the live columns have data within the run.
start_daemon --interval 1s || { echo "0 passed, 1 failed"; exit 1; }
# The memory hierarchy's directory of a top-level group, for the kernel checks.
if [ "$LAYOUT" = v2 ]; then MEMDIR=$CG/$ROOT; FREEZERDIR=$CG/$ROOT; else MEMDIR=$CG/memory/$ROOT; FREEZERDIR=$CG/freezer/$ROOT; fi
BASE=http://127.0.0.1:$PORT TOKEN=$(cat "$TOKEN_FILE") LAYOUT=$LAYOUT MEMDIR=$MEMDIR FREEZERDIR=$FREEZERDIR \
	SHOTS=$SHOTS TMPDIR=$TMP timeout 300 node tests/web/dashboard.mjs
rc=$?
stop_daemon
exit $rc
