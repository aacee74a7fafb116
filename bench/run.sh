#!/usr/bin/env bash
# Starts a release cgwardend on a per-run root and a database on disk, runs cgwarden-bench
# against it, and removes everything afterwards. Usage: bench/run.sh [BUILD_DIR] [ROUNDS]
# (BENCH_ONLY=api: the API's rows only, without sampling, systemd and the dashboard).
set -u
B=${1:-build}
ROUNDS=${2:-50}
TMP=$(mktemp -d /var/tmp/cgwarden-bench.XXXXXX)
ROOT=cgwarden-bench-$$
RAW=cgwarden-benchraw-$$
PEER=cgwarden-benchpeer-$$
SROOT=cgwarden-benchsd1s-$$
SRAW=cgwarden-benchsample-$$
cleanup() {
	[ -n "${PID:-}" ] && kill -TERM "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	[ -n "${SPID:-}" ] && kill -TERM "$SPID" 2>/dev/null && wait "$SPID" 2>/dev/null
	for h in /sys/fs/cgroup/ /sys/fs/cgroup/*/; do
		for r in "$ROOT" "$RAW" "$PEER" "$SROOT" "$SRAW"; do
			[ -d "$h$r" ] || continue
			find "$h$r" -name freezer.state -exec sh -c 'echo THAWED > "$1"' _ {} \; 2>/dev/null
			for d in $(find "$h$r" -depth -type d); do
				for p in $(cat "$d/cgroup.procs" 2>/dev/null); do kill -9 "$p" 2>/dev/null; done
			done
		done
	done
	sleep 0.2
	for h in /sys/fs/cgroup/ /sys/fs/cgroup/*/; do
		for r in "$ROOT" "$RAW" "$PEER" "$SROOT" "$SRAW"; do [ -d "$h$r" ] && find "$h$r" -depth -type d -exec rmdir {} \; 2>/dev/null; done
	done
	rm -f "/run/cgwarden/$ROOT.lock" "/run/cgwarden/$SROOT.lock" # the daemons' per-root locks
	rmdir /run/cgwarden 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
"$B/cgwardend" --listen none --socket "$TMP/sock" --db "$TMP/db" --root "$ROOT" --token-file "$TMP/token" \
	--state-dir "$TMP/state" 2>"$TMP/log" &
PID=$!
for _ in $(seq 100); do [ -S "$TMP/sock" ] && break; sleep 0.05; done
[ -S "$TMP/sock" ] || { cat "$TMP/log"; exit 1; }
# A busybox rootfs for the starts in a rootfs (ours, the floor's and crun's).
if [ -x /bin/busybox ]; then
	mkdir -p "$TMP/bundle/rootfs/bin"
	cp /bin/busybox "$TMP/bundle/rootfs/bin/" && ln -s busybox "$TMP/bundle/rootfs/bin/true"
	export BENCH_ROOTFS=$TMP/bundle/rootfs
fi
# The peer (make bench installs Debian's crun): the same rootfs, five namespaces and limits,
# and the same walls as our default: crun spec's config already drops capabilities, sets
# no_new_privs and masks paths; to it come a cgroup namespace and Docker's seccomp allowlist
# (the unconditional names of lib/seccomp-profile.c, default EPERM), its cgroup under our parent.
if command -v crun >/dev/null && [ -n "${BENCH_ROOTFS:-}" ]; then
	(cd "$TMP/bundle" && crun spec)
	names=$(sed -n '/^static const char \*const allowed\[\]/,/^};/p' lib/seccomp-profile.c | grep -o '"[a-z0-9_]*"' | paste -sd,)
	seccomp="\"seccomp\": {\"defaultAction\": \"SCMP_ACT_ERRNO\", \"defaultErrnoRet\": 1, \"architectures\": [\"SCMP_ARCH_X86_64\", \"SCMP_ARCH_X86\", \"SCMP_ARCH_X32\"], \"syscalls\": [{\"names\": [$names, \"clone\", \"socket\", \"personality\", \"arch_prctl\", \"ptrace\"], \"action\": \"SCMP_ACT_ALLOW\"}]},"
	sed -i -e 's/"terminal": true/"terminal": false/' -e 's/^\(\t*\)"sh"$/\1"\/bin\/true"/' \
		-e "s|\"resources\": {|\"resources\": {\"memory\": {\"limit\": 268435456}, \"cpu\": {\"quota\": 50000, \"period\": 100000},|" \
		-e "s|\"linux\": {|\"linux\": {$seccomp \"cgroupsPath\": \"/$PEER/c\",|" \
		-e 's|{\s*"type": "mount"\s*}|{"type": "mount"}, {"type": "cgroup"}|' "$TMP/bundle/config.json"
	grep -q '"type": "cgroup"' "$TMP/bundle/config.json" || sed -i 's|"type": "mount"|"type": "mount"}, {"type": "cgroup"|' "$TMP/bundle/config.json"
	export CRUN_BUNDLE=$TMP/bundle
fi
# crun 1.8 refuses a hybrid host whose cgroup2 mount offers a controller (PERFORMANCE.md):
# give the bench a private mount namespace with an empty tmpfs there.
if [ -d /sys/fs/cgroup/unified ]; then
	unshare -m sh -c 'mount -t tmpfs tmpfs /sys/fs/cgroup/unified && exec "$@"' _ \
		"$B/cgwarden-bench" --socket "$TMP/sock" --raw-root "$RAW" --api-root "$ROOT" --db-dir "$TMP" --rounds "$ROUNDS"
else
	"$B/cgwarden-bench" --socket "$TMP/sock" --raw-root "$RAW" --api-root "$ROOT" --db-dir "$TMP" --rounds "$ROUNDS"
fi

# BENCH_ONLY=api stops here: the API's rows and the starts' floors alone, for repeated runs.
[ "${BENCH_ONLY:-}" = api ] && exit 0

# Sampling: the sampler's sweeps against a pread floor, and a second daemon at --interval 1s
# whose CPU is measured while it samples 1000 groups (bench/sampling.c).
"$B/cgwardend" --listen none --socket "$TMP/sock1s" --db "$TMP/db1s" --root "$SROOT" --token-file "$TMP/token" \
	--state-dir "$TMP/state1s" --interval 1s 2>"$TMP/log1s" &
SPID=$!
for _ in $(seq 100); do [ -S "$TMP/sock1s" ] && break; sleep 0.05; done
"$B/cgwarden-bench-sampling" --raw-root "$SRAW" --db-dir "$TMP" --daemon-socket "$TMP/sock1s" --daemon-pid "$SPID" \
	--rounds "${SAMPLING_ROUNDS:-20}" --groups "${SAMPLING_GROUPS:-10,100,1000,5000}"

# The systemd driver, against systemd-run in the same manager: a real systemd as PID 1 in a
# private sandbox (tests/systemd/sandbox.sh), the daemon and the bench inside it.
if [ -x /lib/systemd/systemd ] && command -v systemd-run >/dev/null && [ ! -f /sys/fs/cgroup/cgroup.controllers ]; then
	# The sandbox sees its state directory only; /tmp and /run are private inside.
	case $PWD/ in
	/tmp/* | /var/tmp/* | /run/* | /var/run/* | /dev/*) SB=/var/lib/cgwarden-tests/bench-$$ ;;
	*) SB=$PWD/build/bench-sandbox-$$ ;;
	esac
	SANDBOX=tests/systemd/sandbox.sh
	stop_sandbox() {
		"$SANDBOX" stop "$SB" >/dev/null
		rm -rf "$SB"
		rmdir /var/lib/cgwarden-tests 2>/dev/null
		cleanup
	}
	trap stop_sandbox EXIT
	if timeout 60 "$SANDBOX" start "$SB" >/dev/null; then
		# The database on disk, as on a real host (the sandbox's /tmp is a tmpfs); the
		# binaries copied in, so they are visible inside wherever the checkout is.
		mkdir -p "$SB/bench" "$SB/bin"
		cp "$B/cgwardend" "$B/cgwarden-init" "$B/cgwarden-bench" "$SB/bin/"
		"$SANDBOX" exec "$SB" sh -c '"$1/cgwardend" --driver systemd --listen none --socket "$2/sock" --db "$2/db" \
			--root cgwarden-bench --token-file "$2/token" --state-dir "$2/state" 2>"$2/daemon.log" &
			for _ in $(seq 100); do [ -S "$2/sock" ] && break; sleep 0.05; done
			"$1/cgwarden-bench" --systemd --socket "$2/sock" --raw-root cgwarden-benchsd --rounds "$3"
			rc=$?; [ $rc = 0 ] || cat "$2/daemon.log" >&2; kill -TERM $!; wait; exit $rc' _ "$SB/bin" "$SB/bench" "$ROUNDS"
	else
		echo "bench: the systemd sandbox did not boot; no systemd rows" >&2
	fi
else
	echo "(no systemd rows: needs systemd installed and a v1/hybrid host for the sandbox)"
fi

# The dashboard with 1000 groups in Chromium, beside the API call it waits for (bench/dashboard.sh).
bench/dashboard.sh "$B" "${DASHBOARD_GROUPS:-1000}"
