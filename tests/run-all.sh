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

count() { # count SUITE RC LOGFILE — adds a suite's own tally to the totals
	local suite=$1 rc=$2 log=$3 p f
	p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p; s/^\([0-9]*\) passed, [0-9]* failed.*/\1/p' "$log" | tail -n 1)
	f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p; s/^[0-9]* passed, \([0-9]*\) failed.*/\1/p' "$log" | tail -n 1)
	p=${p:-0}
	f=${f:-0}
	if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
		echo "!! $suite exited $rc without reporting a failure: counted as one" >&2
		f=1
	fi
	echo "== $suite: $p passed, $f failed"
	pass=$((pass + p))
	fail=$((fail + f))
}

log=$(mktemp)
trap 'rm -f "$log"' EXIT
for t in "$BIN"/test-*; do
	[ -x "$t" ] || continue
	echo "== unit: ${t##*/}"
	timeout 120 "$t" 2>&1 | tee "$log"
	count "${t##*/}" "${PIPESTATUS[0]}" "$log"
done
for t in tests/integration/test-*.sh; do
	echo "== integration: ${t##*/}"
	BIN=$BIN timeout 600 "$t" 2>&1 | tee "$log"
	count "${t##*/}" "${PIPESTATUS[0]}" "$log"
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
echo "$pass passed, $fail failed"
[ "$fail" = 0 ] && [ "$pass" -gt 0 ]
