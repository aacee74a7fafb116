#!/usr/bin/env bash
# Containers that contain: every check is an attack a tenant would try from inside a
# process started through the API (tests/attack/cgwarden-attack.c), and each must be
# refused; then the positive side, each wall as /proc/self/status and the mounts show it.
# Attacks target only this run's own things: a marker file in $TMP, the run's own group, a
# sysctl written back with the value it holds.
. "$(dirname "$0")/lib.sh"

ATTACK=$(realpath "${ATTACK:-$BIN/cgwarden-attack}")
[ -x "$ATTACK" ] || { echo "# no $ATTACK (make test-build builds it)"; echo "0 passed, 1 failed"; exit 1; }
start_daemon || { echo "0 passed, 1 failed"; exit 1; }
echo "# root $ROOT, cgroup $LAYOUT, driver $DRIVER"
TOKEN=$(cat "$TOKEN_FILE")

logof() { curl -s --unix-socket "$SOCK" "http://localhost/api/v1/groups/$1/processes/$2/log${3:+?$3}"; }
# attack NAME JSON: runs a process, waits for its end; OUT is its stdout and stderr.
attack() {
	run box "$2"
	if [ "$STATUS" != 201 ]; then OUT="start refused: $STATUS $BODY"; return; fi
	wait_end box "$ID"
	OUT=$(logof box "$ID"; logof box "$ID" stream=stderr)
}
# st FIELD: a field of /proc/self/status as the last attack printed it (CapEff, Seccomp, …)
st() { awk -v k="$1:" '$1 == k { print $2 }' <<<"$OUT"; }
# refused NAME: the last attack ran, exited 0 (everything refused) and said nothing escaped.
refused() {
	if [[ $BODY == *'"exit_code":0,'* ]] && ! grep -q ESCAPED <<<"$OUT" && grep -q '^refused' <<<"$OUT"; then
		ok 0 "$1"
	else
		ok 1 "$1"; sed 's/^/#   /' <<<"$OUT $BODY" | head -n 20
	fi
}

api POST /api/v1/groups '{"name":"box","limits":{"memory":{"max":"256M"},"pids":{"max":64}}}'
check "a group for the attacks" is 201

# A busybox rootfs with the attacker, and a setuid-root copy of it.
R=$TMP/rootfs
mkdir -p "$R/bin" "$R/tmp" "$R/etc"
cp "$(command -v busybox)" "$R/bin/busybox"
for a in sh ls cat echo grep head wc touch find mkdir id pwd readlink stat; do ln -s busybox "$R/bin/$a"; done
cp "$ATTACK" "$R/bin/attack"
cp "$ATTACK" "$R/bin/suid-attack" && chmod 4755 "$R/bin/suid-attack"
ln -s ../../../../../../../../ "$R/up"
echo inside >"$R/marker"
SECRET=host-secret-$$-$RANDOM
echo "$SECRET" >"$TMP/host-secret"
J_R="\"rootfs\":\"$R\""

# ---- descriptors: nothing inherited leads out of the rootfs (CVE-2024-21626) ----
attack fds "{\"argv\":[\"/bin/attack\",\"fds\",\"$TMP/host-secret\",\"$SECRET\"],$J_R}"
refused "no descriptor of pid 1 or of the command walks out of the rootfs"
check "... pid 1's descriptors cannot even be opened" grep -q '^refused: opening /proc/1/fd/' <<<"$OUT"
attack fds "{\"argv\":[\"/bin/sh\",\"-c\",\"ls /proc/1/fd; echo ---; ls /proc/self/fd\"],$J_R}"
check "... pid 1 holds stdio (/dev/null) and its status pipe, no more" test "$(sed -n '1,/^---$/p' <<<"$OUT" | grep -c '^[0-9]')" -le 4
check "... the command holds stdin, stdout, stderr and no more" test "$(sed -n '/^---$/,$p' <<<"$OUT" | grep -c '^[0-9]')" -le 4

# ---- cwd: resolved inside the root ----
run box "{\"argv\":[\"/bin/pwd\"],\"cwd\":\"/proc/self/root\",$J_R}"
check "cwd through a magic link (/proc/self/root) is refused (400)" is 400
check "... naming /cwd" has '"field":"/cwd"'
run box "{\"argv\":[\"/bin/pwd\"],\"cwd\":\"/up$TMP\",$J_R}"
check "cwd through a symlink to ../../.. stays inside the rootfs (no such dir: 400)" is 400
attack cwd "{\"argv\":[\"/bin/sh\",\"-c\",\"pwd; cat marker\"],\"cwd\":\"/../../../../..\",$J_R}"
check "cwd /../../../.. is the rootfs's /" bash -c 'grep -qx / <<<"$0" && grep -qx inside <<<"$0"' "$OUT"

# ---- the init's memory and environment: no token, nothing to read ----
attack mem "{\"argv\":[\"/bin/attack\",\"mem\",\"1\",\"$TOKEN\"],$J_R}"
refused "pid 1's mem, environ, cmdline and maps: unreadable, no token"
attack ptrace "{\"argv\":[\"/bin/attack\",\"ptrace\",\"1\"],$J_R}"
refused "ptrace of the init (pid 1)"
# Without a pid namespace the shim is the command's parent, in sight.
attack shim "{\"argv\":[\"/bin/sh\",\"-c\",\"$ATTACK mem \$PPID $TOKEN && $ATTACK ptrace \$PPID\"],\"namespaces\":[\"mount\",\"uts\",\"ipc\",\"net\"]}"
refused "without a pid namespace: the shim's memory, environment and ptrace are out of reach"

# ---- the host's disk ----
disk=$(awk 'NR > 2 && $4 !~ /[0-9]$/ { print $1, $2; exit }' /proc/partitions)
if [ -n "$disk" ]; then
	attack disk "{\"argv\":[\"/bin/attack\",\"disk\",\"${disk% *}\",\"${disk#* }\"],$J_R}"
	refused "the host disk ($disk): no node made in the container opens, no mount"
	attack disk-host "{\"argv\":[\"$ATTACK\",\"disk\",\"${disk% *}\",\"${disk#* }\"]}"
	refused "... the same without a rootfs: every mount is nodev inside"
else
	skip "the host disk: no node made in the container opens, no mount" "this machine has no block device"
	skip "... the same without a rootfs: every mount is nodev inside" "this machine has no block device"
fi
attack devs '{"argv":["sh","-c","ls /dev; echo blocks=$(find /dev -type b | wc -l)"]}'
check "without a rootfs too, /dev holds only the allowed nodes, no block device" bash -c 'grep -qx "blocks=0" <<<"$0" && grep -qx null <<<"$0" && ! grep -qx "$1" <<<"$0"' "$OUT" "$(ls /dev | grep -m1 -E '^(vd|sd|nvme|loop)')"

# ---- devices: a process's own policy (runc's default list), unless its group has rules ----
# With CAP_SYS_ADMIN the attacker mounts a tmpfs without nodev, so that only the device
# policy stands between a node it makes and the device (a /dev/null node must open there).
held=$(awk '/^CapBnd:/ { print $2 }' "/proc/$DAEMON_PID/status")
devnode() { # NAME DIR TYPE MAJ MIN [JSON fields]
	local argv="\"$ATTACK\""
	[ "$2" = /tmp ] && argv='"/bin/attack"'
	attack "$1" "{\"argv\":[$argv,\"devnode\",\"$2\",\"$3\",\"$4\",\"$5\"],\"cap_add\":[\"SYS_ADMIN\"]${6:-}}"
}
# The device: a misc device not in the list whose open checks nothing but the device policy
# (loop-control, fuse or tun; opened read-only, nothing done with it). Some machines refuse
# them to everyone (a device cgroup above ours): the test's own shell tries each first.
misc=
for m in "10 237" "10 229" "10 200"; do
	unshare -m "$ATTACK" devnode "$TMP" c $m >/dev/null 2>&1
	[ $? = 1 ] && { misc=$m; break; }
done
T_DEV=("a node of c ${misc:-10:*} (a misc device, not in the list) does not open: the device policy refuses it (EPERM), where a /dev/null node opens"
	"... the same without a rootfs"
	"in a group with its own device policy (allow), that policy is the process's: the node opens")
if ! (((0x$held >> 21) & 1)); then
	for t in "${T_DEV[@]}"; do skip "$t" "cgwardend does not hold CAP_SYS_ADMIN here (bounding set $held)"; done
elif [ -z "$misc" ]; then
	for t in "${T_DEV[@]}"; do skip "$t" "no node of loop-control, fuse or tun opens on this host, even outside"; done
else
	devnode misc /tmp c $misc ",$J_R"
	refused "${T_DEV[0]}"
	devnode misc-host "$TMP" c $misc
	refused "${T_DEV[1]}"
	api POST /api/v1/groups '{"name":"devopen","limits":{"devices":{"policy":"allow","rules":[]}}}'
	run devopen "{\"argv\":[\"/bin/attack\",\"devnode\",\"/tmp\",\"c\",\"${misc% *}\",\"${misc#* }\"],\"cap_add\":[\"SYS_ADMIN\"],$J_R}"
	wait_end devopen "$ID"
	check "${T_DEV[2]}" bash -c '[[ $0 == *"\"devices\":\"group\""* && $0 == *"\"exit_code\":1,"* ]]' "$BODY"
	api DELETE /api/v1/groups/devopen
fi
if [ -n "$disk" ] && (((0x$held >> 21) & 1)); then
	devnode devdisk /tmp b ${disk% *} ${disk#* } ",$J_R"
	refused "a node of the host disk ($disk) does not open either"
else
	skip "a node of the host disk does not open either" "no block device, or no CAP_SYS_ADMIN to give"
fi
# From outside: the process sits in a leaf of its own below the group (cgroupfs) or in its
# scope (systemd), which holds the policy; the leaf goes when the process ends.
run box '{"argv":["sleep","60"]}'
check "PROCESS reports the default device policy" has '"devices":"default"'
spid=$(sed -n 's/.*"pid":\([0-9]*\),.*/\1/p' <<<"$BODY")
if [ "$LAYOUT" = v2 ]; then cgline=$(grep '^0::' "/proc/$spid/cgroup"); else cgline=$(grep ':devices:' "/proc/$spid/cgroup"); fi
if [ "$DRIVER" = systemd ]; then
	scope=$(basename "${cgline##*:}")
	check "its own scope ($scope) has DevicePolicy=strict" bash -c '[[ $0 == *.scope ]] && [ "$(systemctl show -p DevicePolicy --value "$0")" = strict ]' "$scope"
	check "... and DeviceAllow runc's default list" bash -c 'a=$(systemctl show -p DeviceAllow --value "$0"); [[ $a == *"/dev/char/1:3 rwm"* && $a == *"char-pts rwm"* && $a == *"block-* m"* ]]' "$scope"
	leafdir=
else
	leafdir=$(gdir box devices)/.proc-$ID
	check "it sits in its own leaf, $(grel box)/.proc-$ID" test "${cgline#*:*:}" = "/$(grel box)/.proc-$ID"
	only v1 "... whose devices.list is the default list" test "$(cat "$leafdir/devices.list" 2>&1 | tr '\n' ,)" = "c *:* m,b *:* m,c 1:3 rwm,c 1:5 rwm,c 1:7 rwm,c 1:8 rwm,c 1:9 rwm,c 5:0 rwm,c 5:2 rwm,c 136:* rwm,"
	if [ "$LAYOUT" = v2 ] && command -v bpftool >/dev/null; then
		check "... with a device program of its own" bash -c 'bpftool cgroup show "$0" | grep -q cgroup_device' "$leafdir"
	else
		skip "... with a device program of its own" "not on cgroup $LAYOUT, or no bpftool to list it (the refused node above shows it works)"
	fi
fi
api GET /api/v1/groups/box
check "the group lists the process as its own (pids)" has "$spid"
api POST "/api/v1/groups/box/processes/$ID/signal" '{"signal":"KILL"}'
wait_end box "$ID"
leaf_gone() { [ -z "$leafdir" ] || [ ! -e "$leafdir" ]; }
check "when it ends, its leaf is removed" poll 5 leaf_gone

# ---- sysfs, proc, sysctls ----
attack sysfs "{\"argv\":[\"/bin/attack\",\"sysfs\",\"/proc/sys/vm/overcommit_ratio\"],$J_R}"
refused "mounting sysfs or proc, writing a sysctl (the value it holds)"
attack sysfs-host '{"argv":["'"$ATTACK"'","sysfs","/proc/sys/vm/overcommit_ratio"]}'
refused "... the same without a rootfs"

# ---- cgroupfs: the group's own limits ----
before=$(k_mem_max box)
if [ "$LAYOUT" = v2 ]; then inside=/sys/fs/cgroup/memory.max; else inside=/sys/fs/cgroup/memory/memory.limit_in_bytes; fi
attack cgroup "{\"argv\":[\"/bin/attack\",\"cgroup\",\"$inside\",\"max\"],$J_R}"
refused "mounting cgroupfs, writing the group's memory limit from inside"
# (systemd's unit directories have backslashes in their names: escaped for JSON)
hostfile=$(printf '%s' "$(gdir box memory)/$(basename "$inside")" | sed 's/\\/\\\\/g')
attack cgroup-host "{\"argv\":[\"$ATTACK\",\"cgroup\",\"$hostfile\",\"max\"]}"
refused "... the same without a rootfs, through the host's /sys/fs/cgroup"
if [ "$LAYOUT" = v2 ]; then top=/sys/fs/cgroup/cgroup.procs; else top=/sys/fs/cgroup/memory/tasks; fi
attack cgroup-top "{\"argv\":[\"$ATTACK\",\"cgroup\",\"$CG/$([ "$LAYOUT" = v1 ] && echo memory/)cgroup.procs\",\"0\"]}"
refused "moving itself to the root cgroup"
check "the kernel's limit is unchanged ($before)" test "$(k_mem_max box)" = "$before"
attack cgview "{\"argv\":[\"/bin/sh\",\"-c\",\"cat /proc/self/cgroup; ls /sys/fs/cgroup\"],$J_R}"
check "inside, /proc/self/cgroup shows the group as /" bash -c '[ -n "$(grep : <<<"$0")" ] && ! grep ":" <<<"$0" | grep -qv ":/$"' "$OUT"
check "... and /sys/fs/cgroup holds the hierarchy, read-only" grep -q "$([ "$LAYOUT" = v2 ] && echo cgroup.procs || echo memory)" <<<"$OUT"

# ---- namespaces: no way to new privileges ----
attack ns "{\"argv\":[\"/bin/attack\",\"ns\"],$J_R}"
refused "unshare of user, mount, net, cgroup namespaces; clone3; AF_ALG and AF_VSOCK sockets (EPERM); setns into pid 1's"

# ---- a setuid binary ----
attack suid "{\"argv\":[\"/bin/suid-attack\",\"whoami\"],\"user\":\"65534\",$J_R}"
check "a setuid-root binary run by uid 65534 stays 65534 (nosuid, no_new_privs)" grep -qx 'euid 65534' <<<"$OUT"
check "... with no capability" test "$(st CapEff)" = 0000000000000000

# ---- the walls as the process sees them ----
attack whoami "{\"argv\":[\"/bin/attack\",\"whoami\"],$J_R}"
# Docker's default set, within what the daemon itself holds (the systemd sandbox starts it
# with a smaller bounding set).
held=$(awk '/^CapBnd:/ { print $2 }' "/proc/$DAEMON_PID/status")
want=$(printf '%016x' $((0xa80425fb & 0x$held)))
ncaps=0; for ((b = 0; b < 64; b++)); do (((0x$want >> b) & 1)) && ncaps=$((ncaps + 1)); done
[ "$want" = 00000000a80425fb ] || echo "# the daemon's bounding set is $held: the default set here is $want"
check "root's capabilities are Docker's default set (CapEff $want)" test "$(st CapEff)" = "$want"
check "... the bounding set too" test "$(st CapBnd)" = "$want"
check "... inheritable and ambient empty" test "$(st CapInh) $(st CapAmb)" = "0000000000000000 0000000000000000"
check "NoNewPrivs: 1" test "$(st NoNewPrivs)" = 1
check "Seccomp: 2 (a filter)" test "$(st Seccomp)" = 2
check "PROCESS reports the walls" has '"seccomp":"default","no_new_privileges":true,"cgroupns":"private","readonly_rootfs":false'
check "... and the $ncaps capabilities it holds" test "$(sed 's/.*"capabilities":\[\([^]]*\)\].*/\1/' <<<"$BODY" | tr ',' '\n' | grep -c .)" = "$ncaps"
attack loose "{\"argv\":[\"/bin/attack\",\"whoami\"],\"cap_drop\":[\"ALL\"],\"cap_add\":[\"NET_ADMIN\"],\"seccomp\":\"unconfined\",$J_R}"
check "cap_drop ALL + cap_add NET_ADMIN: CapEff is NET_ADMIN alone (1000)" test "$(st CapEff)" = 0000000000001000
check "seccomp unconfined: Seccomp 0" test "$(st Seccomp)" = 0
check "... and PROCESS says so" has '"capabilities":["NET_ADMIN"],"seccomp":"unconfined"'
attack nonnp "{\"argv\":[\"/bin/attack\",\"whoami\"],\"no_new_privileges\":false,\"user\":\"65534\",$J_R}"
check "no_new_privileges false: NoNewPrivs 0, the filter still loaded (before the change of user)" test "$(st NoNewPrivs) $(st Seccomp)" = "0 2"
attack admin "{\"argv\":[\"/bin/sh\",\"-c\",\"/bin/attack whoami; mkdir -p /tmp/m && /bin/attack sysfs /dev/null\"],\"cap_add\":[\"SYS_ADMIN\"],$J_R}"
check "cap_add SYS_ADMIN is honoured, and the filter then allows mount" bash -c '[ "$1" = "$2" ] && grep -q "ESCAPED: mounting sysfs" <<<"$0"' "$OUT" "$(st CapEff)" "$(printf '%016x' $((0x$want | 0x200000)))"
# A capability the daemon itself lacks (the systemd sandbox cuts its bounding set) cannot be
# given: asked for by name, the start is refused rather than given less.
lacked=
for c in 29:AUDIT_WRITE 25:SYS_TIME 16:SYS_MODULE; do (((0x$held >> ${c%%:*}) & 1)) || { lacked=${c#*:}; break; }; done
if [ -n "$lacked" ]; then
	run box "{\"argv\":[\"true\"],\"cap_add\":[\"$lacked\"]}"
	check "cap_add $lacked, which the daemon itself lacks, is refused (422 capability_unavailable)" bash -c '[ "$0" = 422 ] && grep -q capability_unavailable <<<"$1"' "$STATUS" "$BODY"
else
	skip "cap_add of a capability the daemon itself lacks is refused (422)" "this daemon holds every capability"
fi
run box '{"argv":["true"],"cap_add":["SYS_WIZARD"]}'
check "an unknown capability is refused (400, /cap_add)" bash -c '[ "$0" = 400 ] && grep -q "/cap_add" <<<"$1"' "$STATUS" "$BODY"
run box '{"argv":["true"],"seccomp":"lenient"}'
check "an unknown seccomp mode is refused (400)" is 400

# ---- mounts: /dev, /proc, /sys, the rootfs ----
attack mounts "{\"argv\":[\"/bin/sh\",\"-c\",\"ls /dev; echo devblocks=\$(find /dev -type b | wc -l); echo keys=\$(wc -c </proc/keys); echo timers=\$(wc -c </proc/timer_list); touch /sys/x 2>&1; v=\$(cat /proc/sys/vm/overcommit_ratio); echo \$v 2>&1 >/proc/sys/vm/overcommit_ratio; touch /newfile && echo rootfs-writable\"],$J_R}"
check "/dev holds null, zero, full, random, urandom, tty, pts, shm" bash -c 'for d in null zero full random urandom tty pts shm ptmx; do grep -qx $d <<<"$0" || exit 1; done' "$OUT"
check "... and no block device" grep -qx 'devblocks=0' <<<"$OUT"
# (/proc/kcore and /proc/sysrq-trigger are masked too where the kernel has them; this one may not.)
check "masked: /proc/keys and /proc/timer_list read empty" bash -c 'grep -qx "keys=0" <<<"$0" && grep -qx "timers=0" <<<"$0"' "$OUT"
check "/sys is read-only" grep -q "Read-only file system" <<<"$OUT"
check "/proc/sys is read-only (a sysctl written with the value it holds)" grep -q "overcommit_ratio.*Read-only file system" <<<"$OUT"
check "the rootfs is writable by default" grep -qx rootfs-writable <<<"$OUT"
attack ro "{\"argv\":[\"/bin/sh\",\"-c\",\"touch /newfile2 || echo refused; touch /tmp/x2 || echo refused-tmp\"],\"readonly_rootfs\":true,$J_R}"
check "readonly_rootfs: the rootfs refuses a write" grep -qx refused <<<"$OUT"
check "... and PROCESS says so" has '"readonly_rootfs":true'
check "... nothing was written to the image" test ! -e "$R/newfile2"
run box '{"argv":["true"],"readonly_rootfs":true}'
check "readonly_rootfs without a rootfs is refused (400)" is 400

# ---- volumes ----
mkdir -p "$TMP/vol" && echo volume-data >"$TMP/vol/f"
attack vol "{\"argv\":[\"/bin/sh\",\"-c\",\"cat /data/f /etc/vfile; echo w >/data/new || echo refused-ro; echo w >/rw/new && echo wrote; ls /deep/down\"],$J_R,\"mounts\":[{\"source\":\"$TMP/vol\",\"target\":\"/data\",\"readonly\":true},{\"source\":\"$TMP/vol/f\",\"target\":\"/etc/vfile\"},{\"source\":\"$TMP/vol\",\"target\":\"/rw\"},{\"source\":\"$TMP/vol\",\"target\":\"/up/deep/down\"}]}"
check "a volume (a directory, a file) is visible inside" test "$(grep -c '^volume-data$' <<<"$OUT")" = 2
check "... read-only when asked" grep -qx refused-ro <<<"$OUT"
check "... writable otherwise, onto the host's directory" bash -c 'grep -qx wrote <<<"$0" && [ -f "$1/vol/new" ]' "$OUT" "$TMP"
check "a target through a ../ symlink lands inside the rootfs, not on the host" bash -c '[ -d "$0/deep/down" ] && [ ! -e /deep ]' "$R"
check "PROCESS lists the mounts" has '"mounts":[{"source":"'"$TMP"'/vol","target":"/data","readonly":true}'
run box '{"argv":["true"],"mounts":[{"source":"/etc","target":"/x"}]}'
check "mounts without a rootfs are refused (400)" is 400
run box "{\"argv\":[\"true\"],$J_R,\"mounts\":[{\"source\":\"/no/such/dir\",\"target\":\"/x\"}]}"
check "a missing source is refused (400)" is 400
run box "{\"argv\":[\"true\"],$J_R,\"mounts\":[{\"source\":\"$TMP/vol\",\"target\":\"/a/../../b\"}]}"
check "a target with .. is refused (400)" is 400

# ---- logs are bounded: past log_max_bytes a stream is rotated once ----
attack chatty "{\"argv\":[\"/bin/sh\",\"-c\",\"i=0; while [ \$i -lt 4000 ]; do echo line-\$i-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx; i=\$((i+1)); done; echo done\"],\"log_max_bytes\":\"16K\",$J_R}"
sizes=0
for f in "$TMP/state/processes/$ID.stdout" "$TMP/state/processes/$ID.stdout.1"; do [ -f "$f" ] && sizes=$((sizes + $(wc -c <"$f"))); done
check "a 220 KB output with a 16K cap was rotated" test -f "$TMP/state/processes/$ID.stdout.1"
check "a 220 KB output with a 16K cap keeps at most 2 x (16K + 64K) on disk ($sizes bytes)" test "${sizes:-999999}" -le $((2 * (16384 + 65536)))
check "... the log still ends with the last line" bash -c 'tail -n 1 <<<"$0" | grep -qx done' "$(logof box "$ID")"
hdr=$(curl -s -D - -o /dev/null --unix-socket "$SOCK" "http://localhost/api/v1/groups/box/processes/$ID/log")
check "... and the API says it was rotated (X-Log-Rotated)" grep -qi '^X-Log-Rotated: true' <<<"$hdr"
check "... PROCESS shows the cap" has '"log_max_bytes":16384'
run box '{"argv":["true"],"log_max_bytes":100}'
check "a log cap below 4096 is refused (400)" is 400

# ---- a user namespace: root inside is an unprivileged uid outside ----
# The kernel lets a user namespace mount proc only where the mounter's /proc is fully
# visible (mount_too_revealing): not inside a sandbox or container whose /proc has read-only
# overmounts, as the systemd sandbox's has.
# Probed with util-linux's unshare, which does the same.
over=
if ! unshare --user --map-root-user --pid --fork --mount-proc true 2>/dev/null; then
	over=$(awk '$5 ~ "^/proc/." { print $5 }' /proc/self/mountinfo | head -n 3 | paste -sd' ')
	over=${over:-unknown}
fi
if [ -n "$over" ]; then
	for t in "user + rootfs + pid + mount start together (201)" "PROCESS names the range" "the host sees root inside as an unprivileged uid" \
		"inside: uid_map and gid_map" "inside: uid 0, and the rootfs as /" "in a user namespace: no descriptor walks out of the rootfs" \
		"in a user namespace: no cgroupfs mount, no write to the group's limit" "in a user namespace: no new namespaces" \
		"the kernel's limit is still unchanged"; do
		skip "$t" "this /proc has overmounts ($over): a user namespace cannot mount a fresh proc here"
	done
else
	U='"namespaces":["user","pid","mount","uts","ipc","net"]'
	run box "{\"argv\":[\"/bin/sh\",\"-c\",\"cat /proc/self/uid_map /proc/self/gid_map; id -u; ls /; exec sleep 30\"],$J_R,$U}"
	check "user + rootfs + pid + mount start together (201)" is 201
	base=$(sed -n 's/.*"userns":{"uid_base":\([0-9]*\),.*/\1/p' <<<"$BODY")
	upid=$(sed -n 's/.*"pid":\([0-9]*\),.*/\1/p' <<<"$BODY")
	UID_ID=$ID
	check "PROCESS names the range: a base above the host's ids ($base)" test "${base:-0}" -ge 65536
	sleep 0.5
	check "the host sees root inside as uid $base" bash -c '[ "$(awk "/^Uid:/ {print \$2}" /proc/$0/status)" = "$1" ]' "$upid" "$base"
	api POST "/api/v1/groups/box/processes/$UID_ID/signal" '{"signal":"KILL"}'
	wait_end box "$UID_ID"
	OUT=$(logof box "$UID_ID")
	check "inside: uid_map and gid_map are 0 $base 65536" test "$(grep -c "^ *0 *$base *65536$" <<<"$OUT")" = 2
	check "inside: uid 0, and the rootfs as /" bash -c 'grep -qx 0 <<<"$0" && grep -qx marker <<<"$0"' "$OUT"
	attack ufds "{\"argv\":[\"/bin/attack\",\"fds\",\"$TMP/host-secret\",\"$SECRET\"],$J_R,$U}"
	refused "in a user namespace: no descriptor walks out of the rootfs"
	attack ucg "{\"argv\":[\"/bin/attack\",\"cgroup\",\"$inside\",\"max\"],$J_R,$U}"
	refused "in a user namespace: no cgroupfs mount, no write to the group's limit"
	attack uns "{\"argv\":[\"/bin/attack\",\"ns\"],$J_R,$U}"
	refused "in a user namespace: no new namespaces"
	check "the kernel's limit is still unchanged ($before)" test "$(k_mem_max box)" = "$before"

fi

# ---- the CLI's flags, as Docker spells them ----
CLI=("$BIN/cgwarden" --socket "$SOCK")
out=$("${CLI[@]}" run box --rootfs "$R" --volume "$TMP/vol:/v:ro" --read-only --cap-drop ALL --cap-add NET_ADMIN \
	--security-opt seccomp=unconfined --security-opt no-new-privileges=false --log-max 64K --wait -- \
	/bin/sh -c '/bin/attack whoami; cat /v/f; touch /x || echo ro-rootfs')
check "cli run with the walls' flags exits 0" test $? = 0
api GET /api/v1/groups/box/processes
id=$(grep -o '"id":[0-9]*' <<<"$BODY" | tail -n 1 | cut -d: -f2)
api GET "/api/v1/groups/box/processes/${id:-0}"
check "... --cap-drop ALL --cap-add NET_ADMIN, seccomp and no_new_privileges off, read-only, a volume, a log cap" \
	has '"capabilities":["NET_ADMIN"],"seccomp":"unconfined","no_new_privileges":false,"cgroupns":"private","readonly_rootfs":true'
OUT=$(logof box "${id:-0}")
check "... and the process saw them" bash -c '[ "$1 $2" = "0000000000001000 0" ] && grep -qx volume-data <<<"$0" && grep -qx ro-rootfs <<<"$0"' "$OUT" "$(st CapEff)" "$(st NoNewPrivs)"
"${CLI[@]}" run box --volume relative:/x -- true >/dev/null 2>&1
check "cli: a bad --volume is a usage error (2)" test $? = 2
"${CLI[@]}" run box --security-opt apparmor=x -- true >/dev/null 2>&1
check "cli: an unknown --security-opt is a usage error (2)" test $? = 2

stop_daemon
check "the daemon stops cleanly (no sanitizer report)" test "$DAEMON_STATUS" = 0
finish
