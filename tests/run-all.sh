#!/usr/bin/env bash
# Runs every test suite against the binaries in $1 (the sanitizer build) and ends with
# one line "N passed, N failed". A suite that dies without counting counts as one failure.
set -u
BIN=${1:-build/test}
FUZZ=${2:-build/fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
cd "$(dirname "$0")/.."
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
pass=0
fail=0
skip=0
V2VM_DIR=${V2VM_DIR:-build/v2vm}

count() { # count SUITE RC LOGFILE — adds a suite's own tally to the totals
	local suite=$1 rc=$2 log=$3 p f k
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p; s/^\([0-9]*\) passed, [0-9]* failed.*/\1/p' "$log" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p; s/^[0-9]* passed, \([0-9]*\) failed.*/\1/p' "$log" | tail -n 1)
	k=$(sed -n 's/^[0-9]* passed, [0-9]* failed, \([0-9]*\) skipped.*/\1/p' "$log" | tail -n 1)
	p=${p:-0}
	f=${f:-0}
	k=${k:-0}
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "!! $suite exited $rc without reporting a failure: counted as one" >&2
		f=1
	fi
	if [ "$p" = 0 ] && [ "$f" = 0 ]; then
		echo "!! $suite ran nothing: counted as a failure" >&2
		f=1
	fi
	echo "== $suite: $p passed, $f failed, $k skipped"
	pass=$((pass + p))
	fail=$((fail + f))
	skip=$((skip + k))
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "$BIN"/test-*; do
	[ -x "$t" ] || continue
	echo "== unit: ${t##*/}"
	timeout 120 "$t" 2>&1 | tee "$log"
	count "${t##*/}" "${PIPESTATUS[0]}" "$log"
done
# The integration suites run on this host's own layout, and on the other one where it can
# be had: on a v1/hybrid host, cgroup v2 comes from a VM with a cgroup_no_v1=all kernel.
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then native=v2; else native=v1; fi
for t in tests/integration/test-*.sh; do
	echo "== integration: ${t##*/} (cgroup $native, this host)"
	BIN=$BIN timeout 600 "$t" 2>&1 | tee "$log"
	count "${t##*/} on cgroup $native" "${PIPESTATUS[0]}" "$log"
done
# in_vm COMMAND...: runs COMMAND as root in the cgroup v2 VM, with our binaries, the tests,
# and systemd (for the systemd driver's runs) packed in.
# A suite whose VM's kernel locked up (status 126: an emulation hang, not a test result) runs
# once more, and says so; a second lockup fails it.
in_vm() {
	local rc
	vm_run "$@"
	rc=$?
	[ "$rc" = 126 ] || return "$rc"
	echo "!! the VM's kernel locked up (soft lockup under emulation): running the suite once more" >&2
	vm_run "$@"
}
vm_run() {
	local top
	top=$(pwd)
	timeout 1500 tests/v2vm/cgroup-v2-vm.sh run "$V2VM_DIR" -m 2048 -t 1200 \
		-a "$top/$BIN/cgwardend" -a "$top/$BIN/cgwarden-init" -a "$top/$BIN/cgwarden" -a "$top/$BIN/cgwarden-attack" \
		-a "$top/tests" -a curl -a setpriv \
		-a sqlite3 -a /lib/systemd/systemd -a systemctl -a systemd-run -a nsenter -a unshare -a ss -a /usr/lib/os-release \
		-e BIN="$top/$BIN" -- "$@"
}
if [ "$native" = v1 ]; then
	for t in tests/integration/test-*.sh; do
		echo "== integration: ${t##*/} (cgroup v2, in a VM)"
		in_vm "$(pwd)/$t" 2>&1 | tee "$log"
		count "${t##*/} on cgroup v2" "${PIPESTATUS[0]}" "$log"
	done
	# The systemd driver on the unified hierarchy: systemd booted inside the VM.
	for t in tests/integration/test-*.sh tests/systemd/test-systemd.sh; do
		echo "== integration: ${t##*/} (driver systemd, cgroup v2, in a VM)"
		in_vm "$(pwd)/tests/systemd/in-v2vm.sh" "$(pwd)/$t" 2>&1 | tee "$log"
		count "${t##*/} with systemd on cgroup v2" "${PIPESTATUS[0]}" "$log"
	done
else
	# No v1 kernel can be booted from here for a whole-driver run: say so, and fail, since a
	# driver whose whole suite skipped is not tested.
	echo "!! cgroup v1 suite: this host is pure cgroup v2 and no v1 VM exists; the v1 driver is untested" >&2
	fail=$((fail + 1))
fi
# The dashboard: its pure parts in Node, then end to end in Debian's Chromium against the
# real daemon on this host (the VM has no browser; the page is the same on every layout).
echo "== web: unit (node --test)"
timeout 120 node --test tests/web/unit.mjs >"$log" 2>&1
rc=$?
cat "$log"
wp=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$log") wf=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$log")
echo "${wp:-0} passed, ${wf:-0} failed" >>"$log"
count "web unit" "$rc" "$log"
echo "== web: the dashboard in Chromium (cgroup $native, this host)"
BIN=$BIN SHOTS=$BIN/screenshots timeout 420 tests/web/run.sh 2>&1 | tee "$log"
count "dashboard in Chromium" "${PIPESTATUS[0]}" "$log"
# The systemd driver: the same suites again, plus its own, each inside a real systemd booted
# as PID 1 in private namespaces (tests/systemd/sandbox.sh), so the host is left alone.
for t in tests/integration/test-*.sh tests/systemd/test-systemd.sh; do
	echo "== integration: ${t##*/} (driver systemd, in a systemd sandbox)"
	timeout 900 tests/systemd/run.sh "$BIN" "$t" 2>&1 | tee "$log"
	count "${t##*/} with systemd" "${PIPESTATUS[0]}" "$log"
done
# Each fuzzer runs for a bounded time on a copy of its committed corpus; a crash, a
# sanitizer report or a broken property fails it, and the reproducer is kept in $FUZZ.
for f in "$FUZZ"/fuzz-*; do
	[ -x "$f" ] || continue
	name=${f##*/}
	corpus=tests/fuzz/corpus/${name#fuzz-}
	work=$(mktemp -d)
	echo "== fuzz: $name for ${FUZZ_SECONDS}s"
	if timeout $((FUZZ_SECONDS + 60)) "$f" -max_total_time="$FUZZ_SECONDS" -timeout=5 -print_final_stats=1 \
		-artifact_prefix="$FUZZ/$name-" "$work" "$corpus" >"$log" 2>&1; then
		grep -E '^(Done|stat::number_of_executed_units)' "$log"
		echo "1 passed, 0 failed" >"$log"
	else
		tail -n 30 "$log"
		echo "0 passed, 1 failed" >"$log"
	fi
	count "$name" 0 "$log"
	rm -rf "$work"
done
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
