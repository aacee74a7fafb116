#!/usr/bin/env bash
# A crash loop: a client creates, limits, freezes, thaws and deletes groups while the daemon
# is killed with SIGKILL at a random moment, again and again. After each restart the
# database passes PRAGMA integrity_check, every acknowledged change is in the database and
# in the kernel, the one change in flight landed wholly or not at all, and the kernel holds
# no group the database does not. Bounded: 30 crashes or 120 s, whichever comes first (the
# v2 VM is 5-10x slower), and at least 8.
. "$(dirname "$0")/lib.sh"

command -v sqlite3 >/dev/null || { echo "# no sqlite3 (make deps installs it)"; echo "0 passed, 1 failed"; exit 1; }
start_daemon || { echo "0 passed, 1 failed"; exit 1; }
echo "# root $ROOT, cgroup $LAYOUT, driver $DRIVER"

LOG=$TMP/client.log
: >"$LOG"
# req METHOD PATH [BODY]: one request; 0 if it was answered 2xx
req() {
	local code
	code=$(curl -s -o /dev/null --max-time 10 --unix-socket "$SOCK" -X "$1" -w '%{http_code}' \
		${3:+-H 'Content-Type: application/json' --data-binary "$3"} "http://localhost$2")
	[ "${code:0:1}" = 2 ]
}
# op WHAT GROUP ARG METHOD PATH [BODY]: "try" before, "ack" once answered 2xx
op() {
	local what=$1 g=$2 arg=$3; shift 3
	echo "try $what $g $arg" >>"$LOG"
	req "$@" || return 1
	echo "ack $what $g $arg" >>"$LOG"
}
# The client: groups c<round>-<k>, each created with a limit, limited again, frozen, thawed
# and, every other one, deleted; until a request fails (the daemon is gone).
client() {
	local k=0 p
	while :; do
		local g=c$1-$k
		p=$((RANDOM % 900 + 10))
		op create "$g" "$p" POST /api/v1/groups "{\"name\":\"$g\",\"limits\":{\"pids\":{\"max\":$p}}}" || return
		p=$((RANDOM % 900 + 10))
		op limit "$g" "$p" PATCH "/api/v1/groups/$g/limits" "{\"pids\":{\"max\":$p}}" || return
		op freeze "$g" - POST "/api/v1/groups/$g/freeze" || return
		if ((k % 3)); then op thaw "$g" - POST "/api/v1/groups/$g/thaw" || return; fi
		if ((k % 2)); then op delete "$g" - DELETE "/api/v1/groups/$g?force=true" || return; fi
		k=$((k + 1))
	done
}

# What the acknowledged operations leave, per group whose name starts with $1: "GROUP exists
# pids state", and for the group whose last try was not acknowledged, the state it would
# have after it too.
expected() {
	awk -v prefix="$1" '
	index($3, prefix) != 1 { next }
	function show(g, e, p, s) { return g " " e " " p " " s }
	$1 == "try" { pending[$3] = $2 " " $4; last = $3; next }
	$1 == "ack" {
		delete pending[$3]
		if ($2 == "create") { ex[$3] = 1; pids[$3] = $4; st[$3] = "THAWED" }
		if ($2 == "limit") pids[$3] = $4
		if ($2 == "freeze") st[$3] = "FROZEN"
		if ($2 == "thaw") st[$3] = "THAWED"
		if ($2 == "delete") ex[$3] = 0
		seen[$3] = 1
	}
	END {
		for (g in pending) seen[g] = 1
		for (g in seen) {
			e = (g in ex) ? ex[g] : 0
			now = show(g, e, e ? pids[g] : "-", e ? st[g] : "-")
			alt = now
			if (g in pending) {
				split(pending[g], t, " ")
				if (t[1] == "create") alt = show(g, 1, t[2], "THAWED")
				if (t[1] == "limit") alt = show(g, 1, t[2], st[g])
				if (t[1] == "freeze") alt = show(g, 1, pids[g], "FROZEN")
				if (t[1] == "thaw") alt = show(g, 1, pids[g], "THAWED")
				if (t[1] == "delete") alt = show(g, 0, "-", "-")
			}
			print now "|" alt
		}
	}' "$LOG"
}

# What the API says of every group, one request: "GROUP 1 pids state" per line.
api_views() {
	api GET /api/v1/groups
	sed 's/},{"name"/}\n{"name"/g' <<<"$BODY" |
		sed -n 's/.*"name":"\([^"]*\)","parent":[^,]*,"state":"\([A-Z]*\)","limits":{\("pids":{"max":\([0-9]*\)}\)\{0,1\}.*/\1 1 \4 \2/p' |
		awk '{ if (NF == 3) print $1, $2, "-", $3; else print }'
}
kernel_view() {
	if [ ! -d "$(gdir "$1" pids)" ]; then echo "$1 0 - -"; return; fi
	echo "$1 1 $(k_pids "$1") $(k_state "$1")"
}
# The groups the kernel holds under the root (directories that are group names: not the
# processes' .proc-* leaves, nor systemd's scopes).
kernel_groups() {
	local d=$CG/$ROOTDIR
	[ "$LAYOUT" = v1 ] && d=$CG/pids/$ROOTDIR
	if [ "$DRIVER" = systemd ]; then
		find "$d" -mindepth 1 -maxdepth 1 -type d -name '*.slice' -printf '%f\n' |
			sed -e "s/^$(sd_esc "$ROOT" | sed 's/\\/\\\\/g')-//" -e 's/\.slice$//' -e 's/\\x2d/-/g'
	else
		find "$d" -mindepth 1 -maxdepth 1 -type d -name 'c*' -printf '%f\n'
	fi
}

# verify PREFIX: the groups whose names start with PREFIX, against the acknowledgements;
# and no group in the kernel that the database lacks.
verify() {
	local views want alt g a k
	views=$(api_views)
	while IFS='|' read -r want alt; do
		g=${want%% *}
		a=$(grep -m1 "^$g " <<<"$views" || echo "$g 0 - -") k=$(kernel_view "$g")
		if [ "$a" != "$want" ] && [ "$a" != "$alt" ]; then
			bad_ack=$((bad_ack + 1)); echo "# round $rounds: $g: API says '$a', acknowledged '$want' (or '$alt')"
		fi
		if [ "$a" != "$k" ]; then
			bad_agree=$((bad_agree + 1)); echo "# round $rounds: $g: API '$a', kernel '$k'"
		fi
	done < <(expected "$1")
	for g in $(kernel_groups); do
		grep -q "^$g " <<<"$views" || { orphans=$((orphans + 1)); echo "# round $rounds: the kernel holds $g, the database does not"; }
	done
}

t0=$SECONDS rounds=0 bad_integrity=0 bad_ack=0 bad_agree=0 orphans=0 acked=0
while [ "$rounds" -lt 30 ] && [ $((SECONDS - t0)) -lt 120 ]; do
	client "$rounds" &
	CLIENT=$!
	sleep "0.$((RANDOM % 9 + 1))$((RANDOM % 10))"
	kill -9 "$DAEMON_PID"
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
	wait "$CLIENT" 2>/dev/null
	rounds=$((rounds + 1))
	[ "$(sqlite3 "$DB" 'PRAGMA integrity_check' 2>&1)" = ok ] || bad_integrity=$((bad_integrity + 1))
	start_daemon || break
	# A round's client touches its own groups only: those are checked now, all at the end.
	verify "c$((rounds - 1))-"
done
verify ""
acked=$(grep -c '^ack' "$LOG")
echo "# $rounds crashes in $((SECONDS - t0)) s; $acked operations acknowledged, $(grep -c '^try' "$LOG") tried"
check "at least 8 crashes and restarts ($rounds)" test "$rounds" -ge 8
check "after every crash the database passes PRAGMA integrity_check" test "$bad_integrity" = 0
check "every acknowledged change is in the database, the one in flight wholly or not at all ($bad_ack off)" test "$bad_ack" = 0
check "... and the kernel agrees with the database on every group ($bad_agree off)" test "$bad_agree" = 0
check "... and holds no group the database does not ($orphans)" test "$orphans" = 0
check "the client did work in between ($acked acknowledged)" test "$acked" -gt "$rounds"
finish
