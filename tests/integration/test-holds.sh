#!/usr/bin/env bash
# The daemon holds: no request can stall it or make it stop itself. Each check is a symptom
# that hung or hurt the daemon before (issue 14), now refused or bounded.
. "$(dirname "$0")/lib.sh"

start_daemon || { echo "0 passed, 1 failed"; exit 1; }
echo "# root $ROOT, cgroup $LAYOUT, driver $DRIVER"
ms() { echo $(($(date +%s%N) / 1000000)); }

api POST /api/v1/groups '{"name":"ice"}'
check "a group to freeze" is 201
api POST /api/v1/groups '{"name":"icechild","parent":"ice"}'
api POST /api/v1/groups/ice/freeze
check "frozen" is 200

# ---- a start in a frozen group: its shim would freeze at once, and the start with it ----
t0=$(ms)
run ice '{"argv":["true"]}'
t1=$(ms)
check "a start in a frozen group is refused: 409 group_frozen" bash -c '[ "$0" = 409 ] && [[ $1 == *"\"code\":\"group_frozen\""* ]]' "$STATUS" "$BODY"
check "... within a second ($((t1 - t0)) ms)" test $((t1 - t0)) -lt 1000
run icechild '{"argv":["true"]}'
check "... in a child of a frozen group too" bash -c '[ "$0" = 409 ] && [[ $1 == *"through a parent"* ]]' "$STATUS" "$BODY"
api GET /api/v1/groups/ice/processes
check "... and nothing was recorded" has '[]'
check "... nor left in the kernel" test -z "$(k_procs ice)"
check "the daemon answers meanwhile (/healthz)" bash -c 'curl -s --max-time 2 --unix-socket "$0" -o /dev/null -w "%{http_code}" http://localhost/healthz | grep -qx 200' "$SOCK"
api POST /api/v1/groups/ice/thaw
run ice '{"argv":["true"]}'
check "thawed, the same start works (201)" is 201
wait_end ice "$ID"

# ---- attach: pids that would stop the daemon, or cannot be confined ----
api POST /api/v1/groups/ice/attach "{\"pid\":$DAEMON_PID}"
check "attaching the daemon's own pid is refused: 403 pid_not_attachable" bash -c '[ "$0" = 403 ] && [[ $1 == *"\"code\":\"pid_not_attachable\""* && $1 == *"cgwardend itself"* ]]' "$STATUS" "$BODY"
tid=$(ls "/proc/$DAEMON_PID/task" | grep -vx "$DAEMON_PID" | head -n 1)
api POST /api/v1/groups/ice/attach "{\"pid\":${tid:-$DAEMON_PID}}"
check "... and one of its threads (tid ${tid:-none})" is 403
run ice '{"argv":["sleep","30"]}'
cmd=$(sed -n 's/.*"pid":\([0-9]*\),.*/\1/p' <<<"$BODY"); SLEEP_ID=$ID
init=$(awk '{print $4}' "/proc/$cmd/stat"); shim=$(awk '{print $4}' "/proc/$init/stat")
api POST /api/v1/groups/ice/attach "{\"pid\":$shim}"
check "... a process's shim (pid $shim)" bash -c '[ "$0" = 403 ] && [[ $1 == *"a shim or init"* ]]' "$STATUS" "$BODY"
api POST /api/v1/groups/ice/attach "{\"pid\":$init}"
check "... and its init (pid $init)" is 403
kt=$(for s in /proc/[0-9]*/stat; do awk '{ if (int($9 / 2097152) % 2 == 1) { print $1; exit } }' "$s" 2>/dev/null; done | head -n 1)
if [ -n "$kt" ]; then
	api POST /api/v1/groups/ice/attach "{\"pid\":$kt}"
	check "... a kernel thread (pid $kt)" bash -c '[ "$0" = 403 ] && [[ $1 == *"a kernel thread"* ]]' "$STATUS" "$BODY"
else
	skip "... a kernel thread" "no kernel thread is visible in this pid namespace"
fi
api POST /api/v1/groups/ice/attach '{"pid":1}'
check "... and pid 1" is 403
api GET /api/v1/groups/ice
check "the daemon is not in the group" bash -c '! grep -qE "[^0-9]($0|$1)[^0-9]" <<<"$2"' "$DAEMON_PID" "${tid:-$DAEMON_PID}" "$BODY"
check "... nor in any other but its own (cgroupfs)" bash -c '! grep -q "/ice" "/proc/$0/cgroup"' "$DAEMON_PID"
api POST "/api/v1/groups/ice/processes/$SLEEP_ID/signal" '{"signal":"KILL"}'
wait_end ice "$SLEEP_ID"

api DELETE "/api/v1/groups/icechild"
api DELETE "/api/v1/groups/ice?force=true"
check "the groups go" is 204
finish
