#!/usr/bin/env bash
# What only the systemd driver does, checked through systemd's own view (systemctl show)
# and the kernel's: units and their names, properties, scopes, restarts, re-executions.
# Runs inside tests/systemd/sandbox.sh (tests/systemd/run.sh), with DRIVER=systemd.
. "$(dirname "$0")/../integration/lib.sh"

[ "$DRIVER" = systemd ] || { echo "# run me through tests/systemd/run.sh"; echo "0 passed, 1 failed"; exit 1; }
prop() { systemctl show -P "$2" "$1" 2>/dev/null; } # prop UNIT PROPERTY
# The kernel's cgroup of a pid, as "CONTROLLER:PATH" (v1) or ":PATH" (v2) lines.
cgroups_of() { cut -d: -f2- "/proc/$1/cgroup"; }
# Where systemd's own placement shows: the pids hierarchy (v1) or the one hierarchy (v2).
if [ "$LAYOUT" = v2 ]; then SD_CTRL=; else SD_CTRL=pids; fi
scope_of() { echo "$(sd_unit "$1" | sed 's/\.slice$//')-$2.scope"; } # scope_of GROUP ID

# ---- selection ----
start_daemon --driver auto || { echo "0 passed, 1 failed"; exit 1; }
api GET /healthz
check "auto picks systemd where systemd is PID 1" has '"driver":"systemd"'
check "the log says how systemd was reached" grep -q "systemd over its private socket" "$TMP/daemon.log"
# Without /run/systemd/private nor a system bus, --driver systemd must say so and stop.
out=$(unshare -m sh -c "mount -t tmpfs none /run && timeout 20 '$BIN/cgwardend' --driver systemd --root $ROOT-x --socket '$TMP/x.sock' --listen none --db '$TMP/x.db' --token-file '$TMP/x.tok'" 2>&1)
rc=$?
check "--driver systemd without systemd fails" test "$rc" != 0
check "... naming the problem" grep -q "cannot reach systemd" <<<"$out"

# Where the private socket does not answer, the system bus does (through dbus-daemon):
# a second daemon, on a root of its own, with the socket hidden in its mount namespace.
if systemctl is-active --quiet dbus.service; then
	printf '%s\n' 'mount --bind /dev/null /run/systemd/private || exit 1' \
		"exec '$BIN/cgwardend' --driver systemd --root $ROOT-bus --socket '$TMP/bus.sock' --listen none --db '$TMP/bus.db' --token-file '$TMP/bus.tok' --state-dir '$TMP/bus'" \
		>"$TMP/viabus.sh"
	unshare -m sh "$TMP/viabus.sh" 2>"$TMP/bus.log" &
	BUSD=$!
	for _ in $(seq 100); do [ -S "$TMP/bus.sock" ] && break; sleep 0.1; done
	out=$(curl -s --max-time 60 --unix-socket "$TMP/bus.sock" -H 'Content-Type: application/json' -w ' %{http_code}' \
		--data-binary '{"name":"viabus","limits":{"pids":{"max":33}}}' http://localhost/api/v1/groups)
	check "without the private socket the daemon uses the system bus" grep -q "systemd over its system bus" "$TMP/bus.log"
	check "... where a create works (its job seen done)" grep -q ' 201$' <<<"$out"
	check "... and systemd holds the limit" test "$(prop "$(sd_esc "$ROOT-bus")-viabus.slice" TasksMax)" = 33
	out=$(curl -s --max-time 60 --unix-socket "$TMP/bus.sock" -X DELETE -w '%{http_code}' http://localhost/api/v1/groups/viabus)
	check "... and so does a delete" test "$out" = 204
	kill -TERM "$BUSD"
	wait "$BUSD"
	systemctl stop "$(sd_esc "$ROOT-bus").slice"
else
	skip "without the private socket the daemon uses the system bus" "no dbus.service in this systemd"
fi

# ---- groups are slices, named as systemd-escape does ----
IO_WEIGHT=$(io_weight_file)
if [ -n "$IO_WEIGHT" ]; then io=',"io":{"weight":300}'; else io=; fi
api POST /api/v1/groups '{"name":"web","limits":{"memory":{"max":"512M"},"cpu":{"max":1.5,"weight":200},"pids":{"max":100}'"$io"'}}'
check "create answers 201" is 201
api POST /api/v1/groups '{"name":"my-app","parent":"web"}'
api POST /api/v1/groups '{"name":"my","parent":"web"}'
WEB=$(sd_unit web) APP=$(sd_unit web/my-app) MY=$(sd_unit web/my)
check "the root is a slice, $ROOT_UNIT.slice" test "$(prop "$ROOT_UNIT.slice" ActiveState)" = active
check "a group is a slice under it, $WEB" test "$(prop "$WEB" Slice)" = "$ROOT_UNIT.slice"
check "a dash is escaped: $APP" test "$(prop "$APP" ActiveState)" = active
check "... so my-app is web's child, not my's" test "$(prop "$APP" Slice)" = "$WEB"
check "... and my is its sibling" test "$(prop "$MY" Slice)" = "$WEB"
check "the slice's control group is the directory the kernel files are in" test "$(gdir web memory)" = "$CG$([ "$LAYOUT" = v1 ] && echo /memory)$(prop "$WEB" ControlGroup)"
check "the units are transient" test "$(prop "$WEB" Transient)" = yes

# A unit name has at most 255 characters: a deep path of long names that cgroupfs would
# take is refused here, and nothing is left behind.
long=$(printf 'n%.0s' $(seq 60))
api POST /api/v1/groups "{\"name\":\"${long}1\"}"
api POST /api/v1/groups "{\"name\":\"${long}2\",\"parent\":\"${long}1\"}"
api POST /api/v1/groups "{\"name\":\"${long}3\",\"parent\":\"${long}2\"}"
api POST /api/v1/groups "{\"name\":\"${long}4\",\"parent\":\"${long}3\"}"
check "a group whose unit name would pass 255 characters is 422 name_too_long" bash -c '[ "$0" = 422 ] && grep -q name_too_long <<<"$1"' "$STATUS" "$BODY"
api GET "/api/v1/groups/${long}4"
check "... and was not recorded" is 404
api DELETE "/api/v1/groups/${long}1?force=true"
check "... while its parents delete cleanly" is 204

# ---- limits are unit properties (v1 names on v1/hybrid, v2 names on unified) ----
if [ "$LAYOUT" = v2 ]; then MEM=MemoryMax; else MEM=MemoryLimit; fi
check "$MEM" test "$(prop "$WEB" $MEM)" = 536870912
check "CPUQuotaPerSecUSec" test "$(prop "$WEB" CPUQuotaPerSecUSec)" = 1.500000s
if [ "$LAYOUT" = v2 ]; then
	check "CPUWeight" test "$(prop "$WEB" CPUWeight)" = 200
	if [ -n "$IO_WEIGHT" ]; then check "IOWeight" test "$(prop "$WEB" IOWeight)" = 300; else skip "IOWeight" "$NO_IO_WEIGHT"; fi
else
	check "CPUShares" test "$(prop "$WEB" CPUShares)" = 2048
	if [ -n "$IO_WEIGHT" ]; then
		check "BlockIOWeight" test -n "$(prop "$WEB" BlockIOWeight | grep -v '^\[not set\]$')"
	else
		skip "BlockIOWeight" "$NO_IO_WEIGHT"
	fi
fi
check "TasksMax" test "$(prop "$WEB" TasksMax)" = 100
api PATCH /api/v1/groups/web/limits '{"memory":{"max":"256M"},"cpu":{"max":null},"pids":{"max":null}}'
check "patch answers 200" is 200
check "$MEM follows a patch" test "$(prop "$WEB" $MEM)" = 268435456
check "... and so does the kernel" test "$(k_mem_max web)" = 268435456
check "a removed quota is infinity again" test "$(prop "$WEB" CPUQuotaPerSecUSec)" = infinity
check "a removed TasksMax is infinity again" test "$(prop "$WEB" TasksMax)" = infinity
api PATCH /api/v1/groups/web/limits '{"devices":{"policy":"deny","rules":["c 1:3 rwm","c 136:* rw","a *:* m"]}}'
check "devices answer 200" is 200
check "DevicePolicy=strict" test "$(prop "$WEB" DevicePolicy)" = strict
check "DeviceAllow by number, by driver name and by type" test "$(prop "$WEB" DeviceAllow | sort | paste -sd,)" = "/dev/char/1:3 rwm,block-* m,char-* m,char-pts rw"
api PATCH /api/v1/groups/web/limits '{"devices":null}'
if [ "$LAYOUT" = v2 ]; then
	# systemd stops managing a unit left without device settings, program and all.
	check "devices null: DevicePolicy=auto, everything allowed" test "$(prop "$WEB" DevicePolicy)/$(prop "$WEB" DeviceAllow | sort | paste -sd,)" = "auto/block-* rwm,char-* rwm"
else
	check "devices null: DevicePolicy=auto, no DeviceAllow" test "$(prop "$WEB" DevicePolicy)/$(prop "$WEB" DeviceAllow)" = "auto/"
fi
# A character major no driver registered (/proc/devices) has no name systemd could use.
free=$(awk '/^Character/ {c=1; next} /^Block/ {c=0} c {print $1}' /proc/devices | sort -n | awk 'BEGIN {m=4000} $1 == m {m++} END {print m}')
api PATCH /api/v1/groups/web/limits "{\"devices\":{\"policy\":\"deny\",\"rules\":[\"c $free:* r\"]}}"
check "a major without a driver name is refused, 422" is 422
check "... naming /devices/rules" has '"field":"/devices/rules"'

# ---- processes go into transient scopes ----
api POST /api/v1/groups/web/processes '{"argv":["sleep","600"]}'
check "start answers 201" is 201
ID=$(sed -n 's/^{"id":\([0-9]*\),.*/\1/p' <<<"$BODY")
PID=$(sed -n 's/.*"pid":\([0-9]*\),.*/\1/p' <<<"$BODY")
SCOPE=$(scope_of web "$ID")
check "the process runs in $SCOPE" test "$(prop "$SCOPE" ActiveState)" = active
check "... which sits in the group's slice" test "$(prop "$SCOPE" Slice)" = "$WEB"
# The shim (the command's init's parent) went in first: it is in the scope's own group.
ppid() { sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f2; }
shim=$(ppid "$(ppid "$PID")")
check "... and holds the process's shim ($shim)" grep -qx "$shim" "$CG${SD_CTRL:+/$SD_CTRL}$(prop "$SCOPE" ControlGroup)/cgroup.procs"
check "the kernel agrees" grep -qxF "$SD_CTRL:$(prop "$SCOPE" ControlGroup)" <(cgroups_of "$PID")
[ "$LAYOUT" = v1 ] && check "and the freezer hierarchy is cgwarden's own group" grep -qxF "freezer:/$(grel web)" <(cgroups_of "$PID")
# attach: an existing process gets a scope of its own, <root>-<group>-pid<PID>-<time>.scope
spawn sleep 600
api POST /api/v1/groups/web/attach "{\"pid\":$LAST_PID}"
check "attach answers 200" is 200
ASCOPE=$(systemctl list-units --plain --no-legend "$(sd_unit web | sed 's/\.slice$//')-pid$LAST_PID-*.scope" | awk '{print $1}')
check "the attached process is in a scope named after its pid" test -n "$ASCOPE"
check "... in the group's slice" test "$(prop "$ASCOPE" Slice)" = "$WEB"
check "... which the kernel shows" grep -qxF "$SD_CTRL:$(prop "$ASCOPE" ControlGroup)" <(cgroups_of "$LAST_PID")
[ "$LAYOUT" = v1 ] && check "... and the freezer group is the group itself" grep -qxF "freezer:/$(grel web)" <(cgroups_of "$LAST_PID")
api POST /api/v1/groups/web/attach '{"pid":2147483647}'
check "attaching a pid that does not exist is 422 no_such_process" bash -c '[ "$0" = 422 ] && grep -q no_such_process <<<"$1"' "$STATUS" "$BODY"
api POST /api/v1/groups/web/freeze
if [ "$LAYOUT" = v2 ]; then
	check "freeze on unified is systemd's FreezeUnit" test "$(prop "$WEB" FreezerState)" = frozen
	check "... and the kernel's" test "$(k_state web)" = FROZEN
	api POST /api/v1/groups/my/thaw
	check "ThawUnit would thaw the parent too: a child's thaw is refused instead" bash -c '[ "$0" = 409 ] && [ "$1" = FROZEN ]' "$STATUS" "$(k_state web)"
else
	check "freeze on v1 goes through the freezer hierarchy" test "$(k_state web)" = FROZEN
fi
api POST /api/v1/groups/web/thaw
check "thaw" test "$(k_state web)" = THAWED

# ---- a restart finds the units again; processes keep running ----
stop_daemon
check "the slice stays while the daemon is away" test "$(prop "$WEB" ActiveState)" = active
check "so does the scope" test "$(prop "$SCOPE" ActiveState)" = active
systemctl stop "$MY" # someone stops one of our slices meanwhile
start_daemon || { finish; exit 1; }
check "the restarted daemon found its slices and scopes" grep -q "with 2 group slices and 2 scopes" "$TMP/daemon.log"
check "... and started the stopped slice again" test "$(prop "$MY" ActiveState)" = active
check "... saying so" grep -q "reconcile: group my was missing" "$TMP/daemon.log"
check "... and left its own processes running" kill -0 "$LAST_PID"
api GET "/api/v1/groups/web/processes/$ID"
check "the process is still running" has '"state":"running"'
check "... in its scope" test "$(prop "$SCOPE" ActiveState)" = active

# ---- an idle daemon keeps reading: systemd sends every signal to its private-socket
# clients, and what a client leaves unread piles up in PID 1 ----
for _ in $(seq 60); do systemd-run --quiet --scope true; done
sleep 0.5
queued=$(ss -xpn 2>/dev/null | awk -v p="pid=$DAEMON_PID," 'index($0, p) {q += $3} END {print q + 0}')
if command -v ss >/dev/null; then
	check "60 units later, the daemon's bus connection holds under 64 KiB unread ($queued bytes)" test "$queued" -lt 65536
else
	skip "the daemon's bus connection is read while idle" "no ss(8) here"
fi

# ---- systemd re-executes: the bus drops and comes back ----
systemctl daemon-reexec
api POST /api/v1/groups '{"name":"after","limits":{"memory":{"max":"64M"}}}'
check "the first call after daemon-reexec works (reconnected)" is 201
check "... and its limit is in systemd" test "$(prop "$(sd_unit after)" $MEM)" = 67108864

# ---- a process ends: its scope goes ----
api POST "/api/v1/groups/web/processes/$ID/signal" '{"signal":"KILL"}'
for i in $(seq 50); do [ "$(prop "$SCOPE" ActiveState)" = active ] || break; sleep 0.1; done
check "the scope of an ended process is gone" test "$(prop "$SCOPE" ActiveState)" != active
api DELETE '/api/v1/groups/web?force=true'
check "delete answers 204" is 204
check "the slices are stopped" test "$(prop "$WEB" ActiveState)/$(prop "$APP" ActiveState)" = inactive/inactive
check "... and the kernel directories gone" k_gone web
finish
