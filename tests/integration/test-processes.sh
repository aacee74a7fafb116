#!/usr/bin/env bash
# Containers: real processes in real namespaces, each claim proven by the child's own view.
. "$(dirname "$0")/lib.sh"

start_daemon || { echo "0 passed, 1 failed"; exit 1; }
echo "# root $ROOT, cgroup $LAYOUT"
J='Content-Type: application/json'

logof() { curl -s --unix-socket "$SOCK" "http://localhost/api/v1/groups/$1/processes/$2/log${3:+?$3}"; }

api POST /api/v1/groups '{"name":"box","limits":{"memory":{"max":"256M"},"pids":{"max":64}}}'
check "a group for the processes" is 201

# ---- the child's own view ----
# With the host's cgroup namespace the process's own view names the group's path; with its
# own (the default) the group is its root. Either way the kernel holds it in the group (on v2
# in its own leaf below the group, where its device policy is: test-confinement.sh).
run box '{"argv":["cat","/proc/self/cgroup"],"cgroupns":"host"}'
check "start answers 201" is 201
check "PROCESS has every field" bash -c 'for k in id pid ns_pid argv namespaces hostname state exit_code signal started_at ended_at; do grep -q "\"$k\":" <<<"$0" || exit 1; done' "$BODY"
wait_end box "$ID"
# /proc/self/cgroup lines are "ID:CONTROLLERS:PATH"; v2's has no controllers ("0::/path").
if [ "$DRIVER" = systemd ] && [ "$LAYOUT" = v2 ]; then want=":/$(grel box)/$(sd_unit box | sed 's/\.slice$//')-$ID.scope"
elif [ "$LAYOUT" = v2 ]; then want=":/$ROOT/box/.proc-$ID"; elif [ "$DRIVER" = systemd ]; then want="freezer:/$(grel box)"; else want="pids:/$ROOT/box"; fi
check "its first instruction already runs in the group" grep -qxF "$want" <(logof box "$ID" | cut -d: -f2-)
# systemd: and in its transient scope, <root>-<group>-<id>.scope, in the group's slice.
[ "$LAYOUT" = v1 ] && only_driver systemd "... inside its scope $(sd_unit box | sed 's/\.slice$//')-$ID.scope" grep -qxF "pids:/$(grel box)/$(sd_unit box | sed 's/\.slice$//')-$ID.scope" <(logof box "$ID" | cut -d: -f2-)
check "a finished process is exited with code 0" has '"state":"exited","exit_code":0'
run box '{"argv":["cat","/proc/self/cgroup"]}'
wait_end box "$ID"
check "in its own cgroup namespace (the default) the group is its /" bash -c '[ -n "$0" ] && ! grep -qv ":/$" <<<"$0"' "$(logof box "$ID")"
check "... and PROCESS says so" has '"cgroupns":"private"'

# systemd: a start systemd refuses is an error, and the held process never runs. The scope
# the next process would get already exists (someone else's), so StartTransientUnit fails.
# (Done first: only while no start has failed is the next id max + 1.)
if [ "$DRIVER" = systemd ]; then
	api POST /api/v1/groups '{"name":"squat"}'
	next=$((ID + 1))
	systemd-run --quiet --scope --unit="$(sd_unit squat | sed 's/\.slice$//')-$next" sleep 600 </dev/null >/dev/null 2>&1 &
	squatter=$!
	for _ in $(seq 50); do systemctl is-active --quiet "$(sd_unit squat | sed 's/\.slice$//')-$next.scope" && break; sleep 0.1; done
	run squat "{\"argv\":[\"touch\",\"$TMP/ran\"]}"
	check "systemd: a start systemd cannot place is refused (409)" is 409
	check "... naming systemd's reason" has '"code":"unit_exists"'
	sleep 0.2
	check "... and the command never ran" test ! -e "$TMP/ran"
	api GET /api/v1/groups/squat/processes
	check "... nor was it recorded" has '"processes":[]'
	run squat '{"argv":["true"]}'
	check "the next start gets the next id and works" bash -c '[ "$0" = 201 ] && [ "$1" -gt "$2" ]' "$STATUS" "$ID" "$next"
	kill "$squatter" 2>/dev/null; wait "$squatter" 2>/dev/null
	api DELETE '/api/v1/groups/squat?force=true'
fi

run box '{"argv":["sh","-c","for n in pid mnt uts ipc net user cgroup; do echo $n $(readlink /proc/self/ns/$n); done"],"namespaces":["pid","mount","uts","ipc","net"]}'
wait_end box "$ID"
inside=$(logof box "$ID")
for n in pid mnt uts ipc net; do
	check "namespace $n differs from the host's" test "$(sed -n "s/^$n //p" <<<"$inside")" != "$(readlink /proc/self/ns/$n)"
done
check "namespace user is the host's (not asked)" test "$(sed -n "s/^user //p" <<<"$inside")" = "$(readlink /proc/self/ns/user)"
check "namespace cgroup differs from the host's (by default)" test "$(sed -n "s/^cgroup //p" <<<"$inside")" != "$(readlink /proc/self/ns/cgroup)"
run box '{"argv":["sh","-c","echo ns $(readlink /proc/self/ns/net) $(readlink /proc/self/ns/uts) $(readlink /proc/self/ns/user)"],"namespaces":["user"]}'
wait_end box "$ID"
out=$(logof box "$ID")
check "only the user namespace when only it is asked" bash -c 'set -- $0; [ "$2" = "$(readlink /proc/self/ns/net)" ] && [ "$3" = "$(readlink /proc/self/ns/uts)" ] && [ "$4" != "$(readlink /proc/self/ns/user)" ]' "$out"

run box '{"argv":["sh","-c","echo pid=$$; hostname; cat /proc/1/status | head -1; tr \"\\\\0\" \" \" </proc/1/cmdline; echo; ls /proc | grep -c \"^[0-9]\""],"hostname":"cage"}'
check "ns_pid is 2: the init is pid 1" has '"ns_pid":2'
wait_end box "$ID"
out=$(logof box "$ID")
check "the command sees itself as pid 2 under the init" grep -qx "pid=2" <<<"$out"
check "the hostname inside" grep -qx "cage" <<<"$out"
check "pid 1 is the init, named as such" grep -q "^Name:.cgwarden-init" <<<"$out"
check "... and its command line does not show the daemon's" bash -c '! grep -q -- "--socket" <<<"$0"' "$out"
check "a fresh /proc shows only the namespace's processes" test "$(tail -n1 <<<"$out")" -le 4

# A busybox rootfs, as the README's example builds it.
ROOTFS=$TMP/rootfs
mkdir -p "$ROOTFS/bin" "$ROOTFS/proc" "$ROOTFS/tmp"
cp "$(command -v busybox)" "$ROOTFS/bin/busybox"
for a in sh ls cat echo hostname readlink grep head; do ln -s busybox "$ROOTFS/bin/$a"; done
echo inside >"$ROOTFS/marker"
run box "{\"argv\":[\"/bin/sh\",\"-c\",\"cat /marker; ls /; echo pid=\$\$\"],\"rootfs\":\"$ROOTFS\",\"hostname\":\"bb\"}"
check "a rootfs start answers 201" is 201
wait_end box "$ID"
check "the end of a process in a rootfs is recorded (exit 0)" has '"state":"exited","exit_code":0,' 
out=$(logof box "$ID")
check "the rootfs is /" grep -qx "inside" <<<"$out"
check "nothing of the host's / is visible" bash -c '! grep -qx "usr" <<<"$0"' "$out"
check "pid 2 in the rootfs too" grep -qx "pid=2" <<<"$out"

# ---- exits, signals, logs ----
run box '{"argv":["sh","-c","echo out; echo err >&2; exit 3"]}'
wait_end box "$ID"
check "exit code 3 is recorded" has '"state":"exited","exit_code":3,"signal":null'
check "ended_at is set" bash -c '! grep -q "\"ended_at\":null" <<<"$0"' "$BODY"
check "stdout is captured" test "$(logof box "$ID")" = out
check "stderr is captured" test "$(logof box "$ID" stream=stderr)" = err
run box '{"argv":["sh","-c","for i in 1 2 3 4 5; do echo line$i; done"]}'
wait_end box "$ID"
check "log tail" test "$(logof box "$ID" tail=2 | paste -sd,)" = "line4,line5"
api GET "/api/v1/groups/box/processes/$ID/log?stream=both"
check "a bad stream is 400" is 400
run box '{"argv":["sleep","600"]}'
SLEEP_ID=$ID
check "sleep is running" has '"state":"running"'
api POST "/api/v1/groups/box/processes/$ID/signal" '{"signal":"TERM"}'
check "signal answers 200" is 200
wait_end box "$ID"
check "TERM is recorded as killed by 15" has '"state":"killed","exit_code":null,"signal":15'
api POST "/api/v1/groups/box/processes/$ID/signal" '{"signal":"TERM"}'
check "signalling an ended process is 409" is 409
api POST "/api/v1/groups/box/processes/$ID/signal" '{"signal":"NOPE"}'
check "an unknown signal is 422" is 422
api GET /api/v1/groups/box/processes/999999
check "an unknown process is 404" is 404

# ---- limits and freezing act on the process ----
api POST /api/v1/groups '{"name":"tight","limits":{"memory":{"max":"32M","swap_max":0}}}'
[ "$STATUS" = 201 ] || api POST /api/v1/groups '{"name":"tight","limits":{"memory":{"max":"32M"}}}'
run tight '{"argv":["dd","if=/dev/zero","of=/dev/null","bs=128M","count=1"]}'
wait_end tight "$ID"
check "allocating past memory.max is OOM-killed, and recorded" has '"state":"killed","exit_code":null,"signal":9'
run box '{"argv":["sh","-c","while :; do :; done"]}'
BUSY_ID=$ID
BUSY=$(sed -n 's/.*"pid":\([0-9]*\),.*/\1/p' <<<"$BODY")
cputime() { awk '{print $14 + $15}' "/proc/$1/stat"; }
sleep 0.3
api POST /api/v1/groups/box/freeze
t0=$(cputime "$BUSY"); sleep 0.5; t1=$(cputime "$BUSY")
check "freeze stops the busy process" test "$t0" = "$t1"
api POST /api/v1/groups/box/thaw
t0=$(cputime "$BUSY"); sleep 0.3; t1=$(cputime "$BUSY")
check "thaw resumes it" test "$t1" -gt "$t0"

# ---- bad input: 400, and nothing started ----
api GET /api/v1/groups/box/processes
before=$(grep -o '"id":' <<<"$BODY" | wc -l)
pids_before=$(k_procs box | wc -l)
bad_spawn() {
	api POST /api/v1/groups/box/processes "$2"
	if [ "$STATUS" = 400 ] && has '"error"'; then ok 0 "bad spawn → 400: $1"; else ok 1 "bad spawn → 400: $1 (got $STATUS $BODY)"; fi
}
bad_spawn "relative rootfs" '{"argv":["true"],"rootfs":"rootfs"}'
bad_spawn "missing rootfs" '{"argv":["true"],"rootfs":"/nonexistent/rootfs"}'
bad_spawn "rootfs without mount namespace" "{\"argv\":[\"true\"],\"rootfs\":\"$ROOTFS\",\"namespaces\":[\"pid\"]}"
bad_spawn "unknown namespace" '{"argv":["true"],"namespaces":["pid","time-travel"]}'
bad_spawn "empty argv" '{"argv":[]}'
bad_spawn "empty argv[0]" '{"argv":[""]}'
bad_spawn "argv not strings" '{"argv":[1,2]}'
bad_spawn "hostname without uts" '{"argv":["true"],"hostname":"x","namespaces":["pid"]}'
bad_spawn "bad hostname" '{"argv":["true"],"hostname":"a b"}'
bad_spawn "unknown user" '{"argv":["true"],"user":"no-such-user-here"}'
bad_spawn "bad env key" '{"argv":["true"],"env":{"A B":"x"}}'
bad_spawn "relative cwd" '{"argv":["true"],"cwd":"tmp"}'
bad_spawn "unknown field" '{"argv":["true"],"priviledged":true}'
bad_spawn "no such program" '{"argv":["/no/such/program"]}'
bad_spawn "cwd that does not exist" '{"argv":["true"],"cwd":"/no/such/dir"}'
api GET /api/v1/groups/box/processes
check "no bad request left a process behind" test "$(grep -o '"id":' <<<"$BODY" | wc -l)" = "$before"
check "... nor a pid in the group" test "$(k_procs box | wc -l)" = "$pids_before"
api POST /api/v1/groups/nogroup/processes '{"argv":["true"]}'
check "an unknown group is 404" is 404

# ---- a group with children holds processes (systemd: in scopes; v2: in their own leaves) ----
api POST /api/v1/groups '{"name":"outer"}'
api POST /api/v1/groups '{"name":"inner","parent":"outer"}'
run outer '{"argv":["true"]}'
check "a group with children holds processes too" is 201
wait_end outer "$ID"

# ---- a placement the kernel refuses: an error, and the command never runs ----
# v1's cpuset takes no task while it has no cpus (cgroup-v1/cpusets.rst); v2 has no such state.
T_PL=("a start the kernel cannot place (v1 cpuset without cpus) is refused (409)" "... naming the stage" "... and the command never ran" "... nor was it recorded")
api POST /api/v1/groups '{"name":"nocpu"}'
cpus=$(gdir nocpu cpuset)/cpuset.cpus
if [ "$LAYOUT" = v1 ] && [ -f "$cpus" ] && echo "" >"$cpus" 2>/dev/null && [ -z "$(cat "$cpus")" ]; then
	run nocpu "{\"argv\":[\"touch\",\"$TMP/ran\"]}"
	check "${T_PL[0]}" is 409
	check "${T_PL[1]}" has 'entering the group'
	sleep 0.2
	check "${T_PL[2]}" test ! -e "$TMP/ran"
	api GET /api/v1/groups/nocpu/processes
	check "${T_PL[3]}" has '"processes":[]'
else
	for t in "${T_PL[@]}"; do skip "$t" "no v1 cpuset group here whose cpus can be emptied"; done
fi
api DELETE '/api/v1/groups/nocpu?force=true'
api DELETE '/api/v1/groups/outer?force=true'

# ---- env, cwd, user ----
run box '{"argv":["sh","-c","echo $GREETING; pwd; id -u"],"env":{"GREETING":"hi there"},"cwd":"/tmp","user":"nobody"}'
wait_end box "$ID"
out=$(logof box "$ID")
check "env reaches the process (and only what is given)" grep -qx "hi there" <<<"$out"
check "cwd" grep -qx "/tmp" <<<"$out"
check "user" grep -qx "65534" <<<"$out"

# ---- CLI ----
CLI=("$BIN/cgwarden" --socket "$SOCK")
out=$("${CLI[@]}" run box --hostname clihost -- sh -c 'hostname; exit 7')
check "cli run prints id and pid" grep -qE '^[0-9]+ [0-9]+$' <<<"$out"
"${CLI[@]}" run box --wait -- sh -c 'exit 5' >/dev/null
check "cli run --wait exits with the process's code" test $? = 5
"${CLI[@]}" run box --wait --ns pid,mount -- sh -c 'kill -9 $$' >/dev/null
check "cli run --wait reports a signal as 128+N" test $? = 137
check "cli ps" bash -c '"$@" ps box | grep -qE "^[0-9]+ +[0-9]+ +2 +exited +7 "' _ "${CLI[@]}"
id=$(awk '{print $1}' <<<"$out")
check "cli logs" test "$("${CLI[@]}" logs box "$id")" = clihost
out=$("${CLI[@]}" run box -- sleep 600)
id=$(awk '{print $1}' <<<"$out")
check "cli kill" bash -c '"$@" | grep -q killed' _ "${CLI[@]}" kill box "$id" --signal KILL
"${CLI[@]}" run box --ns bogus -- true >/dev/null 2>&1
check "cli run with a bad namespace fails" test $? = 1

# ---- parallel starts: the thread pool spawns while other requests run ----
jobs_=()
for i in $(seq 8); do
	curl -s -o "$TMP/par$i.json" --unix-socket "$SOCK" -H "$J" -d "{\"argv\":[\"sh\",\"-c\",\"exit $i\"]}" \
		http://localhost/api/v1/groups/box/processes &
	jobs_+=($!)
done
wait "${jobs_[@]}" # not a bare wait: the daemon is a child of this shell too
for i in $(seq 8); do
	pid_id=$(sed -n 's/^{"id":\([0-9]*\),.*/\1/p' "$TMP/par$i.json")
	wait_end box "$pid_id"
	check "parallel start $i ran and its exit $i is recorded" has "\"exit_code\":$i,"
done

# ---- a restart keeps processes and still sees their end ----
run box '{"argv":["sleep","600"]}'
KEEP_ID=$ID
KEEP=$(sed -n 's/.*"pid":\([0-9]*\),.*/\1/p' <<<"$BODY")
run box '{"argv":["sh","-c","sleep 1; exit 7"]}'
OLD_ID=$ID
stop_daemon
check "the process survives the daemon's stop" kill -0 "$KEEP"
# The status file as a daemon before the walls left it: "<id>.status" a symlink to the full
# path of "new-<n>.status", which the shim wrote.
P=$TMP/state/processes
for _ in $(seq 50); do [ -f "$P/$OLD_ID.status" ] && break; sleep 0.1; done
mv "$P/$OLD_ID.status" "$P/new-12345.status" && ln -s "$P/new-12345.status" "$P/$OLD_ID.status"
start_daemon || { finish; exit 1; }
api GET "/api/v1/groups/box/processes/$OLD_ID"
check "an end recorded under the old layout (a symlink to new-N.status) is still read: exit 7" has '"state":"exited","exit_code":7,'
api GET "/api/v1/groups/box/processes/$KEEP_ID"
check "after a restart it is still running" has '"state":"running"'
api POST "/api/v1/groups/box/processes/$KEEP_ID/signal" '{"signal":"USR1"}'
wait_end box "$KEEP_ID"
check "its end after the restart is recorded" has '"state":"killed","exit_code":null,"signal":10'
api GET "/api/v1/groups/box/processes/$BUSY_ID"
check "the busy loop still runs after the restart" has '"state":"running"'

# ---- a forced delete ends the processes and records that ----
api DELETE '/api/v1/groups/box?force=true'
check "forced delete of a group with processes is 204" is 204
check "the busy loop is gone" bash -c '! kill -0 $0 2>/dev/null || grep -q "^State:.*Z" /proc/$0/status' "$BUSY"
api DELETE '/api/v1/groups/tight?force=true'
stop_daemon
check "the daemon stops cleanly (no sanitizer report)" test "$DAEMON_STATUS" = 0
finish
