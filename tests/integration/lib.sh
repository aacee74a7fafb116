# Helpers for the integration tests: a real cgwardend on a per-run root, a temporary
# database, curl over the unix socket and TCP, and a cleanup trap that removes every group
# the run made even when a test fails. The k_* helpers read the kernel the same way on
# cgroup v1/hybrid and on cgroup v2, so one suite checks both drivers.
# Sourced by tests/integration/*.sh.
set -u

BIN=${BIN:-build/test}
ROOT=cgwarden-test-$$
TMP=$(mktemp -d /tmp/cgwarden-it.XXXXXX)
# Every curl of a suite is bounded, so a daemon that stops answering fails the run instead
# of stalling it (curl reads $CURL_HOME/.curlrc).
echo 'max-time = 60' >"$TMP/.curlrc"
export CURL_HOME=$TMP
SOCK=$TMP/cgwarden.sock
DB=$TMP/cgwarden.db
TOKEN_FILE=$TMP/admin.token
CG=/sys/fs/cgroup
DAEMON_PID=
PORT=
SPAWNED=()
PASS=0
FAIL=0
SKIP=0
N=0
# A unified mount has cgroup.controllers at its top; a v1/hybrid tmpfs does not.
if [ -f "$CG/cgroup.controllers" ]; then LAYOUT=v2; else LAYOUT=v1; fi
# cgroupfs, or systemd (inside tests/systemd/sandbox.sh): groups are then slices, and a
# group's directory is <root>.slice/<root>-web.slice/<root>-web-api.slice, names escaped.
DRIVER=${DRIVER:-cgroupfs}
sd_esc() { printf '%s' "$1" | sed 's/-/\\x2d/g'; }
ROOT_UNIT=$(sd_esc "$ROOT")
if [ "$DRIVER" = systemd ]; then ROOTDIR=$ROOT_UNIT.slice; else ROOTDIR=$ROOT; fi
# The unit of a group ("web/api" → cgwarden\x2dtest\x2d1-web-api.slice).
sd_unit() { local p=$ROOT_UNIT c; local IFS=/; for c in $1; do p=$p-$(sd_esc "$c"); done; echo "$p.slice"; }
# The group's path below the hierarchy root.
grel() {
	[ "$DRIVER" = systemd ] || { echo "$ROOT/$1"; return; }
	local p=$ROOTDIR pre=$ROOT_UNIT c; local IFS=/
	for c in $1; do pre=$pre-$(sd_esc "$c"); p=$p/$pre.slice; done
	echo "$p"
}
# systemd only makes a devices group for a unit with device rules.
V1_CTRLS="cpu cpuacct cpuset memory blkio devices freezer pids"
[ "$DRIVER" = systemd ] && V1_CTRLS="cpu cpuacct cpuset memory blkio freezer pids"
# only_driver DRIVER "name" command...: a check that means something with one driver only
only_driver() { local drv=$1 name=$2; shift 2; if [ "$DRIVER" = "$drv" ]; then check "$name" "$@"; else skip "$name" "not with the $DRIVER driver"; fi; }
V1_UNLIMITED=9223372036854771712

ok() {
	N=$((N + 1))
	if [ "$1" = 0 ]; then PASS=$((PASS + 1)); echo "ok $N - $2"; else FAIL=$((FAIL + 1)); echo "not ok $N - $2"; fi
}
# check "name" command...: passes when the command succeeds
check() {
	local name=$1; shift
	if "$@" >/dev/null 2>&1; then ok 0 "$name"; return; fi
	ok 1 "$name"
	# what the last request got, when that is what was checked
	case $1 in is | has) echo "#   got $STATUS: ${BODY:0:300} $(cat "$TMP/curl.err" 2>/dev/null)" ;; esac
}
skip() { N=$((N + 1)); SKIP=$((SKIP + 1)); echo "ok $N - $1 # SKIP $2"; }
# poll SECONDS CMD...: until CMD succeeds
poll() { local t=$1 i; shift; for i in $(seq $((t * 10))); do "$@" && return 0; sleep 0.1; done; return 1; }
# only LAYOUT "name" command...: a check that means something on one layout only
only() { local layout=$1 name=$2; shift 2; if [ "$LAYOUT" = "$layout" ]; then check "$name" "$@"; else skip "$name" "not on cgroup $LAYOUT"; fi; }

# ---- the kernel's view of a group, layout-independent ----
# The group's directory ("web/api"); on v1 in the hierarchy of controller $2.
gdir() { if [ "$LAYOUT" = v2 ]; then echo "$CG/$(grel "$1")"; else echo "$CG/${2:-memory}/$(grel "$1")"; fi; }
# Every directory that makes up the group (one on v2, one per hierarchy on v1).
gdirs() {
	if [ "$LAYOUT" = v2 ]; then gdir "$1"; return; fi
	local c
	for c in $V1_CTRLS; do gdir "$1" "$c"; done
}
kf() { cat "$(gdir "$1" "$2")/$3" 2>/dev/null; } # kf GROUP V1CTRL FILE
v1size() { local v; v=$(kf "$1" memory "$2"); if [ "${v:-0}" -ge $V1_UNLIMITED ] 2>/dev/null; then echo max; else echo "$v"; fi; }
k_mem_max() { if [ "$LAYOUT" = v2 ]; then kf "$1" - memory.max; else v1size "$1" memory.limit_in_bytes; fi; }
# The reservation, or "none" where the kernel holds its default.
k_reservation() {
	local v
	if [ "$LAYOUT" = v2 ]; then v=$(kf "$1" - memory.low); [ "$v" = 0 ] && v=none
	else v=$(v1size "$1" memory.soft_limit_in_bytes); [ "$v" = max ] && v=none; fi
	echo "$v"
}
# Swap on top of memory.max (v1 keeps memory+swap in one number).
k_swap() {
	if [ "$LAYOUT" = v2 ]; then kf "$1" - memory.swap.max; return; fi
	local sw mem
	sw=$(v1size "$1" memory.memsw.limit_in_bytes); mem=$(v1size "$1" memory.limit_in_bytes)
	if [ "$sw" = max ]; then echo max; else echo $((sw - mem)); fi
}
k_cpu_max() { # quota in µs, or max
	if [ "$LAYOUT" = v2 ]; then kf "$1" - cpu.max | cut -d' ' -f1; return; fi
	local q; q=$(kf "$1" cpu cpu.cfs_quota_us); [ "$q" = -1 ] && q=max; echo "$q"
}
k_cpu_period() { if [ "$LAYOUT" = v2 ]; then kf "$1" - cpu.max | cut -d' ' -f2; else kf "$1" cpu cpu.cfs_period_us; fi; }
k_cpu_weight() { if [ "$LAYOUT" = v2 ]; then kf "$1" - cpu.weight; else echo $(($(kf "$1" cpu cpu.shares) * 100 / 1024)); fi; }
k_cpus() {
	[ "$LAYOUT" = v1 ] && { kf "$1" cpuset cpuset.effective_cpus; return; }
	# systemd enables cpuset only where AllowedCPUs= is set: elsewhere the nearest ancestor's.
	local d; d=$(gdir "$1")
	while [ ! -f "$d/cpuset.cpus.effective" ] && [ "$d" != "$CG" ]; do d=${d%/*}; done
	cat "$d/cpuset.cpus.effective"
}
k_root_cpus() { if [ "$LAYOUT" = v2 ]; then cat "$CG/$ROOTDIR/cpuset.cpus.effective"; else cat "$CG/cpuset/$ROOTDIR/cpuset.effective_cpus"; fi; }
k_pids() { kf "$1" pids pids.max; }
k_state() {
	if [ "$LAYOUT" = v1 ]; then kf "$1" freezer freezer.state; return; fi
	local frozen want
	frozen=$(kf "$1" - cgroup.events | sed -n 's/^frozen //p'); want=$(kf "$1" - cgroup.freeze)
	if [ "$frozen" = 1 ]; then echo FROZEN; elif [ "$want" = 1 ]; then echo FREEZING; else echo THAWED; fi
}
# io.weight as the kernel holds it: v2 "default N"; v1 BFQ's or CFQ's own scale.
k_io_weight() {
	if [ "$LAYOUT" = v2 ]; then kf "$1" - io.weight | sed -n 's/^default //p'; return; fi
	if [ -f "$(gdir "$1" blkio)/blkio.weight" ]; then kf "$1" blkio blkio.weight; else kf "$1" blkio blkio.bfq.weight; fi
}
# io.max in our canonical form: "7:0 rbps=10485760;7:1 wiops=100" (limited fields only).
k_io_max() {
	if [ "$LAYOUT" = v2 ]; then
		kf "$1" - io.max | sed 's/ [a-z]*=max//g' | grep ' ' | sort -t: -k1,1n -k2,2n | paste -sd';'
		return
	fi
	local f
	for f in rbps:read_bps wbps:write_bps riops:read_iops wiops:write_iops; do
		kf "$1" blkio "blkio.throttle.${f#*:}_device" | sed "s/ / ${f%%:*}=/"
	done | sort -t: -k1,1n -k2,2n -s | awk '{k=$1; $1=""; a[k]=a[k] $0; if (!(k in o)) {o[k]=++n; ks[n]=k}}
		END {for (i=1;i<=n;i++) printf "%s%s%s", (i>1?";":""), ks[i], a[ks[i]]; print ""}'
}
# The group's own processes: with systemd they sit in scopes below the slice, except in
# the freezer hierarchy, which is cgwarden's.
k_procs() {
	if [ "$DRIVER" = systemd ] && [ "$LAYOUT" = v2 ]; then cat "$(gdir "$1")"/*.scope/cgroup.procs 2>/dev/null
	elif [ "$DRIVER" = systemd ]; then kf "$1" freezer cgroup.procs
	else kf "$1" pids cgroup.procs; fi
}
k_in() { k_procs "$1" | grep -qx "$2"; } # k_in GROUP PID
# k_dir_holds DIR PID: the pid is in DIR, or (systemd) in a scope directly below it.
k_dir_holds() { cat "$1/cgroup.procs" $([ "$DRIVER" = systemd ] && ls -d "$1"/*.scope 2>/dev/null | sed 's|$|/cgroup.procs|') 2>/dev/null | grep -qx "$2"; }
k_exists() { local d; for d in $(gdirs "$1"); do [ -d "$d" ] || return 1; done; }
k_gone() { local d; for d in $(gdirs "$1"); do [ ! -d "$d" ] || return 1; done; }
k_set_mem_max() { if [ "$LAYOUT" = v2 ]; then echo "$2" >"$(gdir "$1")/memory.max"; else echo "$2" >"$(gdir "$1")/memory.limit_in_bytes"; fi; }
# A proportional I/O weight needs a weight file: v2 io.weight, or on v1 CFQ's blkio.weight or
# BFQ's blkio.bfq.weight (not on a hierarchy's root). A kernel without CFQ and BFQ
# (mq-deadline, none) has none on v1. Prints the first one found, or nothing.
io_weight_file() {
	local f
	if [ "$LAYOUT" = v2 ]; then
		for f in "$CG"/*/io.weight "$CG"/*/io.bfq.weight; do [ -f "$f" ] && { echo "$f"; return; }; done
	else
		for f in "$CG"/blkio/blkio.weight "$CG"/blkio/blkio.bfq.weight "$CG"/blkio/*/blkio.weight "$CG"/blkio/*/blkio.bfq.weight; do
			[ -f "$f" ] && { echo "$f"; return; }
		done
	fi
}
NO_IO_WEIGHT="no proportional I/O weight on this host (no CFQ or BFQ: $(cat /sys/block/*/queue/scheduler 2>/dev/null | sort -u | paste -sd' '))"
k_rmdir() { local d; for d in $(gdirs "$1"); do rmdir "$d"; done; }

# Removes everything under this run's root, deepest first: thaw, kill, rmdir.
# remove_root [NAME]: another root this run made (a second daemon's), by its --root name.
remove_root() {
	local tops d p i rootdir=$ROOTDIR
	if [ -n "${1:-}" ]; then rootdir=$1; [ "$DRIVER" = systemd ] && rootdir=$(sd_esc "$1").slice; fi
	# systemd removes its own directories once the root slice is stopped.
	[ "$DRIVER" = systemd ] && timeout 30 systemctl stop "$rootdir" >/dev/null 2>&1
	if [ "$LAYOUT" = v2 ]; then tops=$CG/$rootdir; else tops=$(ls -d "$CG"/*/"$rootdir" 2>/dev/null); fi
	# Nothing to remove: an empty list would make find walk the current directory, and
	# kill every process of every cgroup below it.
	tops=$(for d in $tops; do [ -d "$d" ] && echo "$d"; done)
	[ -n "$tops" ] || return 0
	for d in $(find $tops -depth -type d 2>/dev/null); do
		[ -f "$d/freezer.state" ] && echo THAWED >"$d/freezer.state" 2>/dev/null
		[ -f "$d/cgroup.freeze" ] && echo 0 >"$d/cgroup.freeze" 2>/dev/null
	done
	for d in $(find $tops -depth -type d 2>/dev/null); do
		for p in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
	done
	# Killed tasks leave their groups asynchronously: retry for up to 5 s.
	for i in $(seq 50); do
		for d in $tops; do [ -d "$d" ] && find "$d" -depth -type d -exec rmdir {} \; 2>/dev/null; done
		for d in $tops; do [ -d "$d" ] && continue 2; done
		return 0
	done
}

# Commands a suite adds for cleanup (unmounting what it mounted), run after the daemon stops.
AT_EXIT=()
cleanup() {
	stop_daemon
	local c
	for c in "${AT_EXIT[@]}"; do eval "$c"; done
	if [ "$FAIL" != 0 ] || [ -n "${SHOW_LOG:-}" ]; then
		echo "# daemon log:"; sed 's/^/#   /' "$TMP/daemon.log" | tail -n 60
	fi
	for p in "${SPAWNED[@]}"; do kill -9 "$p" 2>/dev/null; done
	remove_root
	local left
	left=$(ls -d "$CG/$ROOTDIR" "$CG"/*/"$ROOTDIR" 2>/dev/null)
	[ -n "$left" ] && echo "# cleanup could not remove: $left" >&2
	rm -f "/run/cgwarden/$ROOT.lock" # the daemon's per-root lock (daemon/trust.h)
	rmdir /run/cgwarden 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start_daemon() {
	# Only this start's lines count: the log is kept across restarts, and the socket is bound
	# before the daemon is ready (it answers once it says it listens).
	local i from
	from=1
	[ -f "$TMP/daemon.log" ] && from=$(($(wc -l <"$TMP/daemon.log") + 1))
	"$BIN/cgwardend" --driver "$DRIVER" --listen 127.0.0.1:0 --socket "$SOCK" --db "$DB" --root "$ROOT" --token-file "$TOKEN_FILE" --state-dir "$TMP/state" \
		"$@" >>"$TMP/daemon.out" 2>>"$TMP/daemon.log" &
	DAEMON_PID=$!
	for i in $(seq 300); do
		PORT=$(tail -n "+$from" "$TMP/daemon.log" | sed -n 's|^cgwardend: listening on http://127.0.0.1:\([0-9]*\).*|\1|p' | tail -n 1)
		[ -n "$PORT" ] && [ -S "$SOCK" ] && return 0
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
	out=$(curl -sS --max-time 60 --unix-socket "$SOCK" -X "$1" -w '\n%{http_code}' 2>"$TMP/curl.err" \
		${3:+-H 'Content-Type: application/json' --data-binary "$3"} "http://localhost$2")
	STATUS=${out##*$'\n'}
	BODY=${out%$'\n'*}
}

# tcp METHOD PATH [curl args...] — over TCP with no token unless given; sets STATUS and BODY.
tcp() {
	local m=$1 p=$2 out
	shift 2
	out=$(curl -s --max-time 60 -X "$m" -w '\n%{http_code}' "$@" "http://127.0.0.1:$PORT$p")
	STATUS=${out##*$'\n'}
	BODY=${out%$'\n'*}
}

has() { [[ $BODY == *"$1"* ]]; } # has '"state":"FROZEN"'
is() { [ "$STATUS" = "$1" ]; }

# run GROUP SPAWN_JSON: starts a process through the API; $ID is its id.
run() { api POST "/api/v1/groups/$1/processes" "$2"; ID=$(sed -n 's/^{"id":\([0-9]*\),.*/\1/p' <<<"$BODY"); }
# wait_end GROUP ID: until the process is no longer running (30 s at most)
wait_end() {
	local i
	for i in $(seq 300); do
		api GET "/api/v1/groups/$1/processes/$2"
		has '"state":"running"' || return 0
		sleep 0.1
	done
	return 1
}

spawn() { # a process of ours to put into groups: spawn CMD...
	"$@" </dev/null >/dev/null 2>&1 &
	LAST_PID=$!
	SPAWNED+=("$LAST_PID")
	disown "$LAST_PID" # the tests kill it through the API; spare the job-control noise
}

finish() {
	echo "# cgroup $LAYOUT, driver $DRIVER"
	echo "$PASS passed, $FAIL failed, $SKIP skipped"
	[ "$FAIL" = 0 ]
}
