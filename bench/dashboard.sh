#!/usr/bin/env bash
# The dashboard with 1000 groups: a release cgwardend on a per-run root, 1000 groups made
# through the API, then bench/dashboard.mjs loads the page in Debian's Chromium and prints
# its figures beside the baseline of the same run (the API calls the page needs, from Node).
# Usage: bench/dashboard.sh [BUILD_DIR] [GROUPS]
set -u
B=${1:-build}
GROUPS_N=${2:-1000}
TMP=$(mktemp -d /var/tmp/cgwarden-benchweb.XXXXXX)
ROOT=cgwarden-benchweb-$$
cleanup() {
	[ -n "${PID:-}" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	# The groups are empty (no process was started): remove them deepest first.
	for h in /sys/fs/cgroup/ /sys/fs/cgroup/*/; do
		[ -d "$h$ROOT" ] && find "$h$ROOT" -depth -type d -exec rmdir {} \; 2>/dev/null
	done
	rm -rf "$TMP"
}
trap cleanup EXIT
if [ ! -x /usr/bin/chromium ] || [ ! -f node_modules/playwright-core/package.json ]; then
	echo "(no dashboard rows: needs /usr/bin/chromium and node_modules, from make deps)"
	exit 0
fi
"$B/cgwardend" --listen 127.0.0.1:0 --socket "$TMP/sock" --db "$TMP/db" --root "$ROOT" --token-file "$TMP/token" \
	--state-dir "$TMP/state" --interval 1s 2>"$TMP/log" &
PID=$!
for _ in $(seq 100); do grep -q 'listening on http' "$TMP/log" && break; sleep 0.05; done
PORT=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$TMP/log")
[ -n "$PORT" ] || { cat "$TMP/log"; exit 1; }
BASE=http://127.0.0.1:$PORT TOKEN=$(cat "$TMP/token") GROUPS_N=$GROUPS_N TMPDIR=$TMP timeout 900 node bench/dashboard.mjs
