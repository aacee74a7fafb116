#!/usr/bin/env bash
# Runs one integration suite with the systemd driver: boots a real systemd as PID 1 in a
# private sandbox (sandbox.sh), runs the suite inside it with DRIVER=systemd, and stops the
# sandbox even when the suite fails. The sandbox's state lives in build/ (never /tmp, which
# is private inside). Usage: tests/systemd/run.sh BIN SUITE
set -u
cd "$(dirname "$0")/../.."
BIN=$1 SUITE=$2
# The sandbox's state directory is the one host path it sees read-write at the same place,
# and /tmp, /var/tmp and /run are private inside: a checkout there would be invisible.
case $PWD/ in
/tmp/* | /var/tmp/* | /run/* | /var/run/* | /dev/*) SB=/var/lib/cgwarden-tests/sandbox-$$ ;;
*) SB=$PWD/build/systemd-sandbox-$$ ;;
esac
SANDBOX=tests/systemd/sandbox.sh
if ! command -v systemctl >/dev/null || [ ! -x /lib/systemd/systemd ]; then
	echo "# systemd is not installed: the systemd driver cannot be tested here"; echo "0 passed, 1 failed"; exit 1
fi
if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
	# The sandbox binds the host's v1 hierarchies; a pure v2 host has none.
	echo "# pure cgroup v2 host: the systemd sandbox needs v1 hierarchies"; echo "0 passed, 1 failed"; exit 1
fi
stop() {
	SANDBOX_STOP_TIMEOUT=20 "$SANDBOX" stop "$SB" >/dev/null || echo "# sandbox stop failed; see $SB/console.log" >&2
	rm -rf "$SB"
	rmdir /var/lib/cgwarden-tests 2>/dev/null || true
}
trap stop EXIT
trap 'exit 130' INT TERM
# A D-Bus system bus inside too, for the driver's fallback from the private socket.
export SANDBOX_DBUS=1
if ! timeout 60 "$SANDBOX" start "$SB" >/dev/null; then
	echo "# the systemd sandbox did not boot"; echo "0 passed, 1 failed"; exit 1
fi
# The sanitizers' environment passes through exec; the suite's files go to the private /tmp.
# The binaries and the tests run from a copy in the state directory, so that they are
# visible inside wherever the checkout is.
mkdir -p "$SB/stage/bin"
cp "$BIN/cgwardend" "$BIN/cgwarden-init" "$BIN/cgwarden" "$BIN/cgwarden-attack" "$SB/stage/bin/" && cp -r tests "$SB/stage/" ||
	{ echo "# cannot stage the binaries in $SB"; echo "0 passed, 1 failed"; exit 1; }
DRIVER=systemd BIN=$SB/stage/bin "$SANDBOX" exec "$SB" "$SB/stage/$SUITE"
rc=$?
[ "$rc" = 0 ] || { echo "# systemd's console:"; tail -n 40 "$SB/console.log" | tr -d '\r' | sed 's/^/#   /'; }
exit "$rc"
