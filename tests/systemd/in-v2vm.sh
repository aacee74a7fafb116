#!/bin/bash
# Inside the cgroup v2 test VM (tests/v2vm): boots systemd as PID 1 of new pid, mount and
# cgroup namespaces, rooted at a cgroup of its own, and runs a suite inside with
# DRIVER=systemd. The VM is thrown away afterwards, but systemd still gets a private /run
# and only the few units below, as in sandbox.sh.
# Usage (as the VM's command): tests/systemd/in-v2vm.sh SUITE
set -u
CG=/sys/fs/cgroup
SELF=$(readlink -f "$0")
UNIT_PATH=/run/systemd/system.control:/run/systemd/transient:/run/systemd/system

# PID 1 of the new namespaces: into our own cgroup, then a cgroup namespace rooted there.
if [ "${1:-}" = __init ]; then
	echo 0 >"$CG/sd/cgroup.procs" || exit 1
	exec unshare --cgroup -- "$SELF" __setup
fi
if [ "${1:-}" = __setup ]; then
	mount -t proc proc /proc
	mount --bind "$CG/sd" "$CG" # our cgroup as the root, as the cgroup namespace says
	mount -t tmpfs -o mode=755 sd-run /run
	# /tmp stays the VM's: the suite and its binaries may have been packed there (a checkout
	# under /tmp), and nothing in this systemd cleans it.
	u=/run/systemd/system
	mkdir -p $u /run/systemd/system.conf.d /run/sd-no-generators
	for n in sandbox sysinit basic; do
		printf '[Unit]\nDescription=Sandbox %s (empty)\nDefaultDependencies=no\n' "$n" >"$u/$n.target"
	done
	printf '[Unit]\nDescription=Shutdown\nDefaultDependencies=no\nRefuseManualStart=yes\n' >$u/shutdown.target
	printf '[Manager]\nDefaultTimeoutStopSec=5s\nLogColor=no\n' >/run/systemd/system.conf.d/50-sandbox.conf
	[ -s /etc/machine-id ] || echo 0123456789abcdef0123456789abcdef >/etc/machine-id
	g=/run/sd-no-generators
	exec env -i container=other PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
		SYSTEMD_UNIT_PATH=$UNIT_PATH SYSTEMD_GENERATOR_PATH=$g SYSTEMD_ENVIRONMENT_GENERATOR_PATH=$g \
		/lib/systemd/systemd --system --unit=sandbox.target --log-target=console --log-color=no
fi

SUITE=$1
mkdir -p "$CG/sd" "$CG/sd/cgwarden-tests" /var/log
unshare --mount --pid --fork --propagation private -- "$SELF" __init >/tmp/systemd-console.log 2>&1 &
launcher=$!
pid="" state=""
for _ in $(seq 300); do
	# systemd is the launcher's child: PID 1 inside, this pid outside.
	[ -n "$pid" ] || pid=$(cut -d' ' -f1 "/proc/$launcher/task/$launcher/children" 2>/dev/null)
	[ -n "$pid" ] && state=$(nsenter -t "$pid" -m -p -C -- systemctl is-system-running 2>/dev/null)
	case $state in running | degraded) break ;; esac
	sleep 0.1
done
if [ -z "$pid" ] || ! nsenter -t "$pid" -m -p -C -- systemctl is-system-running >/dev/null 2>&1; then
	echo "# systemd did not boot in the VM:"; sed 's/^/#   /' /tmp/systemd-console.log | tail -n 30
	echo "0 passed, 1 failed"; exit 1
fi
# The suite starts in a leaf of its own beside systemd's tree (nsdelegate lets systemd move
# it from there into scopes, within its namespace); the VM's /tmp is the suite's.
echo 0 >"$CG/sd/cgwarden-tests/cgroup.procs"
nsenter -t "$pid" -m -p -C -- env DRIVER=systemd "$SUITE"
rc=$?
[ "$rc" = 0 ] || { echo "# systemd's console:"; tail -n 30 /tmp/systemd-console.log | sed 's/^/#   /'; }
exit "$rc"
