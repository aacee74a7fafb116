# Helpers for the integration tests: a real cgwardend on a per-run root, a temporary
# database, curl over the unix socket and TCP, and a cleanup trap that removes every group
# the run made even when a test fails. Sourced by tests/integration/*.sh.
set -u

BIN=${BIN:-build/test}
ROOT=cgwarden-test-$$
TMP=$(mktemp -d /tmp/cgwarden-it.XXXXXX)
SOCK=$TMP/cgwarden.sock
DB=$TMP/cgwarden.db
TOKEN_FILE=$TMP/admin.token
CG=/sys/fs/cgroup
DAEMON_PID=
PORT=
SPAWNED=()
PASS=0
FAIL=0
N=0

ok() {
	N=$((N + 1))
	if [ "$1" = 0 ]; then PASS=$((PASS + 1)); echo "ok $N - $2"; else FAIL=$((FAIL + 1)); echo "not ok $N - $2"; fi
}
# check "name" command...: passes when the command succeeds
check() { local name=$1; shift; if "$@" >/dev/null 2>&1; then ok 0 "$name"; else ok 1 "$name"; fi; }

# Removes everything under this run's root, deepest first: thaw, kill, rmdir.
remove_root() {
	local h d
	for h in "$CG"/*/; do
		[ -d "$h$ROOT" ] || continue
		[ -f "$h$ROOT/freezer.state" ] && find "$h$ROOT" -name freezer.state -exec sh -c 'echo THAWED > "$1"' _ {} \; 2>/dev/null
	done
	for h in "$CG"/*/; do
		[ -d "$h$ROOT" ] || continue
		while read -r d; do
			for p in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
		done < <(find "$h$ROOT" -depth -type d)
	done
	# Killed tasks leave their groups asynchronously: retry for up to 5 s.
	local i
	for i in $(seq 50); do
		for h in "$CG"/*/; do
			[ -d "$h$ROOT" ] || continue
			find "$h$ROOT" -depth -type d -exec rmdir {} \; 2>/dev/null
		done
		ls -d "$CG"/*/"$ROOT" >/dev/null 2>&1 || return 0
		sleep 0.1
	done
}

cleanup() {
	stop_daemon
	if [ "$FAIL" != 0 ] || [ -n "${SHOW_LOG:-}" ]; then
		echo "# daemon log:"; sed 's/^/#   /' "$TMP/daemon.log" | tail -n 60
	fi
	for p in "${SPAWNED[@]}"; do kill -9 "$p" 2>/dev/null; done
	remove_root
	local left
	left=$(ls -d "$CG"/*/"$ROOT" 2>/dev/null)
	[ -n "$left" ] && echo "# cleanup could not remove: $left" >&2
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_daemon() {
	"$BIN/cgwardend" --listen 127.0.0.1:0 --socket "$SOCK" --db "$DB" --root "$ROOT" --token-file "$TOKEN_FILE" \
		"$@" >>"$TMP/daemon.out" 2>>"$TMP/daemon.log" &
	DAEMON_PID=$!
	local i
	for i in $(seq 100); do
		PORT=$(sed -n 's|.*listening on http://127.0.0.1:\([0-9]*\).*|\1|p' "$TMP/daemon.log" | tail -n 1)
		[ -n "$PORT" ] && [ -S "$SOCK" ] && grep -q "^cgwardend: listening on http://127.0.0.1:$PORT" <(tail -n 3 "$TMP/daemon.log") && return 0
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "# daemon did not start:" >&2
	sed 's/^/#   /' "$TMP/daemon.log" >&2
	return 1
}

stop_daemon() {
	[ -n "$DAEMON_PID" ] || return 0
	kill -TERM "$DAEMON_PID" 2>/dev/null
	local i
	for i in $(seq 100); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_STATUS=$?
	DAEMON_PID=
}

# api METHOD PATH [BODY] — over the unix socket; sets STATUS and BODY.
api() {
	local out
	out=$(curl -s --max-time 30 --unix-socket "$SOCK" -X "$1" -w '\n%{http_code}' \
		${3:+-H 'Content-Type: application/json' --data-binary "$3"} "http://localhost$2")
	STATUS=${out##*$'\n'}
	BODY=${out%$'\n'*}
}

# tcp METHOD PATH [curl args...] — over TCP with no token unless given; sets STATUS and BODY.
tcp() {
	local m=$1 p=$2 out
	shift 2
	out=$(curl -s --max-time 30 -X "$m" -w '\n%{http_code}' "$@" "http://127.0.0.1:$PORT$p")
	STATUS=${out##*$'\n'}
	BODY=${out%$'\n'*}
}

cg() { cat "$CG/$1/$ROOT/$2" 2>/dev/null; }          # cg memory web/memory.limit_in_bytes
has() { [[ $BODY == *"$1"* ]]; }                        # has '"state":"FROZEN"'
is() { [ "$STATUS" = "$1" ]; }

spawn() { # a process of ours to put into groups: spawn CMD...
	"$@" </dev/null >/dev/null 2>&1 &
	LAST_PID=$!
	SPAWNED+=("$LAST_PID")
	disown "$LAST_PID" # the tests kill it through the API; spare the job-control noise
}

finish() {
	echo "$PASS passed, $FAIL failed"
	[ "$FAIL" = 0 ]
}
