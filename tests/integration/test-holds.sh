#!/usr/bin/env bash
# The daemon holds: no request can stall it or make it stop itself. Each check is a symptom
# that hung or hurt the daemon before (issue 14), now refused or bounded.
. "$(dirname "$0")/lib.sh"

start_daemon || { echo "0 passed, 1 failed"; exit 1; }
echo "# root $ROOT, cgroup $LAYOUT, driver $DRIVER"
ms() { local t=${EPOCHREALTIME//[.,]/}; echo $((t / 1000)); }

api POST /api/v1/groups '{"name":"ice"}'
check "a group to freeze" is 201
api POST /api/v1/groups '{"name":"icechild","parent":"ice"}'
api POST /api/v1/groups/ice/freeze
check "frozen" is 200

# ---- a start in a frozen group: its shim would freeze at once, and the start with it ----
t0=$(ms)
run ice '{"argv":["true"]}'
t1=$(ms)
check "a start in a frozen group is refused: 409 group_frozen" bash -c '[ "$0" = 409 ] && [[ $1 == *"\"code\":\"group_frozen\""* ]]' "$STATUS" "$BODY"
check "... within a second ($((t1 - t0)) ms)" test $((t1 - t0)) -lt 1000
run icechild '{"argv":["true"]}'
check "... in a child of a frozen group too" bash -c '[ "$0" = 409 ] && [[ $1 == *"through a parent"* ]]' "$STATUS" "$BODY"
api GET /api/v1/groups/ice/processes
check "... and nothing was recorded" has '[]'
check "... nor left in the kernel" test -z "$(k_procs ice)"
check "the daemon answers meanwhile (/healthz)" bash -c 'curl -s --max-time 2 --unix-socket "$0" -o /dev/null -w "%{http_code}" http://localhost/healthz | grep -qx 200' "$SOCK"
api POST /api/v1/groups/ice/thaw
run ice '{"argv":["true"]}'
check "thawed, the same start works (201)" is 201
wait_end ice "$ID"

# ---- attach: pids that would stop the daemon, or cannot be confined ----
api POST /api/v1/groups/ice/attach "{\"pid\":$DAEMON_PID}"
check "attaching the daemon's own pid is refused: 403 pid_not_attachable" bash -c '[ "$0" = 403 ] && [[ $1 == *"\"code\":\"pid_not_attachable\""* && $1 == *"cgwardend itself"* ]]' "$STATUS" "$BODY"
tid=$(ls "/proc/$DAEMON_PID/task" | grep -vx "$DAEMON_PID" | head -n 1)
api POST /api/v1/groups/ice/attach "{\"pid\":${tid:-$DAEMON_PID}}"
check "... and one of its threads (tid ${tid:-none})" is 403
run ice '{"argv":["sleep","30"]}'
cmd=$(sed -n 's/.*"pid":\([0-9]*\),.*/\1/p' <<<"$BODY"); SLEEP_ID=$ID
init=$(awk '{print $4}' "/proc/$cmd/stat"); shim=$(awk '{print $4}' "/proc/$init/stat")
api POST /api/v1/groups/ice/attach "{\"pid\":$shim}"
check "... a process's shim (pid $shim)" bash -c '[ "$0" = 403 ] && [[ $1 == *"a shim or init"* ]]' "$STATUS" "$BODY"
api POST /api/v1/groups/ice/attach "{\"pid\":$init}"
check "... and its init (pid $init)" is 403
kt=$(for s in /proc/[0-9]*/stat; do awk '{ if (int($9 / 2097152) % 2 == 1) { print $1; exit } }' "$s" 2>/dev/null; done | head -n 1)
if [ -n "$kt" ]; then
	api POST /api/v1/groups/ice/attach "{\"pid\":$kt}"
	check "... a kernel thread (pid $kt)" bash -c '[ "$0" = 403 ] && [[ $1 == *"a kernel thread"* ]]' "$STATUS" "$BODY"
else
	skip "... a kernel thread" "no kernel thread is visible in this pid namespace"
fi
api POST /api/v1/groups/ice/attach '{"pid":1}'
check "... and pid 1" is 403
api GET /api/v1/groups/ice
check "the daemon is not in the group" bash -c '! grep -qE "[^0-9]($0|$1)[^0-9]" <<<"$2"' "$DAEMON_PID" "${tid:-$DAEMON_PID}" "$BODY"
check "... nor in any other but its own (cgroupfs)" bash -c '! grep -q "/ice" "/proc/$0/cgroup"' "$DAEMON_PID"
api POST "/api/v1/groups/ice/processes/$SLEEP_ID/signal" '{"signal":"KILL"}'
wait_end ice "$SLEEP_ID"

api DELETE "/api/v1/groups/icechild"
api DELETE "/api/v1/groups/ice?force=true"
check "the groups go" is 204
# ---- a refused thaw changes nothing in the kernel ----
# own_frozen GROUP: the group's own freeze request, not the one a parent imposes
own_frozen() { if [ "$LAYOUT" = v2 ]; then kf "$1" - cgroup.freeze; else kf "$1" freezer freezer.self_freezing; fi; }
api POST /api/v1/groups '{"name":"top"}'
api POST /api/v1/groups '{"name":"sub","parent":"top"}'
api POST /api/v1/groups/sub/freeze
api POST /api/v1/groups/top/freeze
api POST /api/v1/groups/sub/thaw
check "thawing a child under a frozen parent is 409 parent_frozen" bash -c '[ "$0" = 409 ] && [[ $1 == *parent_frozen* ]]' "$STATUS" "$BODY"
check "... and its own state in the kernel is still frozen" test "$(own_frozen top/sub)" = 1
api POST /api/v1/groups/top/thaw
check "so when the parent thaws, the child stays frozen, as acknowledged ($(k_state top/sub))" test "$(k_state top/sub)" = FROZEN
api GET /api/v1/groups/sub
check "... and the API says so" has '"state":"FROZEN"'
api POST /api/v1/groups/sub/thaw
api POST /api/v1/groups/top/freeze
api DELETE '/api/v1/groups/sub?force=true'
check "a forced delete under a frozen parent is 409 too" is 409
if [ "$DRIVER" = systemd ] && [ "$LAYOUT" = v2 ]; then
	skip "... and wrote nothing (the child's own state is thawed, as it was)" "systemd's FreezeUnit of the parent froze the child's own state itself"
else
	check "... and wrote nothing (the child's own state is thawed, as it was)" test "$(own_frozen top/sub)" = 0
fi
api GET /api/v1/groups/sub
check "... and the group is still there" is 200
api POST /api/v1/groups/top/thaw
api DELETE '/api/v1/groups/top?force=true'
check "thawed, the tree goes" is 204

# ---- a running daemon puts back what was changed behind its back, without a restart ----
api POST /api/v1/groups '{"name":"gone","limits":{"pids":{"max":17}}}'
api POST /api/v1/groups '{"name":"cold"}'
api POST /api/v1/groups/cold/freeze
if [ "$DRIVER" = cgroupfs ]; then
	for d in $(gdirs gone); do rmdir "$d"; done
	check "the test removed the group's directories" bash -c '! ls -d $0 2>/dev/null | grep -q .' "$(gdirs gone)"
else
	skip "the test removed the group's directories" "with systemd the slice is systemd's to remove"
fi
if [ "$LAYOUT" = v2 ]; then echo 0 >"$(gdir cold)/cgroup.freeze"; else echo THAWED >"$(gdir cold freezer)/freezer.state"; fi
check "... and thawed the frozen one" test "$(k_state cold)" = THAWED
back() { test "$(k_pids gone)" = 17 && test "$(k_state cold)" = FROZEN; }
check "within the drift period (10 s at this interval) the group is back with its limit, and the other frozen again" poll 13 back
drift_events() { api GET "/api/v1/events?type=drift"; [[ $BODY == *'"group":"cold","details":{"state":"FROZEN"}'* ]] && { [ "$DRIVER" != cgroupfs ] || [[ $BODY == *'"group":"gone","details":{"recreated":true}'* ]]; }; }
check "... each recorded as a drift event" poll 3 drift_events
api POST /api/v1/groups/cold/thaw
api DELETE /api/v1/groups/cold
api DELETE /api/v1/groups/gone

# ---- the path is split into segments before decoding: %00 and %2F in a name act on nothing ----
api POST /api/v1/groups '{"name":"web"}'
api POST /api/v1/groups '{"name":"webx","parent":"web"}'
api DELETE '/api/v1/groups/web%00x'
check "DELETE of web%00x is 400 invalid_path" bash -c '[ "$0" = 400 ] && [[ $1 == *invalid_path* ]]' "$STATUS" "$BODY"
api POST '/api/v1/groups/web%2Fwebx/freeze'
check "freeze of web%2Fwebx is 400" is 400
api DELETE '/api/v1/groups/web%2'
check "a broken escape is 400" is 400
api GET /api/v1/groups/web
check "... and web is still there, thawed" has '"state":"THAWED"'
api GET /api/v1/groups/webx
check "... and so is webx, thawed" has '"state":"THAWED"'
check "... in the kernel too" test "$(k_state web/webx)" = THAWED
api GET '/api/v1/groups/w%65b'
check "an escape that decodes to a valid name still works (w%65b is web)" bash -c '[ "$0" = 200 ] && [[ $1 == *"\"name\":\"web\""* ]]' "$STATUS" "$BODY"
api DELETE /api/v1/groups/webx
api DELETE /api/v1/groups/web
# RFC 9112 6.3: two Content-Length values that differ are a 400, and the connection closes.
if [ -n "$PORT" ]; then
	resp=$(exec 3<>"/dev/tcp/127.0.0.1/$PORT"; printf 'POST /api/v1/groups HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 13\r\n\r\n{"name":"cl"}' >&3; timeout 5 cat <&3)
	check "conflicting Content-Length headers are 400" grep -q '^HTTP/1.1 400' <<<"$resp"
	api GET /api/v1/groups/cl
	check "... and nothing was created" is 404
fi

# ---- one daemon per root and per database, refused before it touches anything ----
api POST /api/v1/groups '{"name":"mine","limits":{"pids":{"max":42}}}'
# other ROOT DB SOCKET [options]: a second daemon, as an operator might start one by mistake
other() {
	local root=$1 db=$2 sock=$3; shift 3
	timeout 20 "$BIN/cgwardend" --driver "$DRIVER" --listen none --socket "$sock" --db "$db" --root "$root" \
		--token-file "$TMP/t2/token" --state-dir "$TMP/t2/state" "$@" 2>&1
}
mkdir -p -m 0700 "$TMP/t2"
# no_root NAME: the kernel has no top group of that name (a slice with systemd)
no_root() { local d=$1; [ "$DRIVER" = systemd ] && d=$(sd_esc "$1").slice; ! ls -d "$CG"/*/"$d" "$CG/$d" 2>/dev/null | grep -q .; }
out=$(other "$ROOT" "$TMP/t2/other.db" "$TMP/t2/sock"); rc=$?
check "a second daemon on the same root exits non-zero ($rc)" bash -c '[ "$0" != 0 ] && [ "$0" != 124 ]' "$rc"
check "... saying which daemon holds the root" grep -q "another cgwardend (pid $DAEMON_PID) holds /run/cgwarden/$ROOT.lock" <<<"$out"
check "... and the first daemon's group is untouched in the kernel (pids.max 42)" test "$(k_pids mine)" = 42
out=$(other "$ROOT-2" "$DB" "$TMP/t2/sock"); rc=$?
check "a second daemon on the same database exits non-zero too, naming it" bash -c '[ "$0" != 0 ] && grep -q "holds $1.lock" <<<"$2"' "$rc" "$DB" "$out"
check "... before it made its root in the kernel" no_root "$ROOT-2"
if [ -n "$PORT" ]; then
	out=$(other "$ROOT-3" "$TMP/t2/third.db" none --listen "127.0.0.1:$PORT"); rc=$?
	check "a daemon that cannot have its port stops before the kernel ($rc)" bash -c '[ "$0" != 0 ] && grep -q "cannot listen" <<<"$1"' "$rc" "$out"
	check "... (no root made)" no_root "$ROOT-3"
fi
api GET /api/v1/groups/mine
check "the first daemon still answers" is 200

# ---- paths the daemon did not make are trusted only if root alone could have made them ----
# planted WHAT: a second daemon (its own root and database) meets a path of another user's
planted() {
	local what=$1; shift
	out=$(other "$ROOT-p" "$TMP/t2/p.db" "$TMP/t2/p.sock" "$@"); rc=$?
	check "$what is refused at start, naming the path" bash -c '[ "$0" != 0 ] && grep -q "refusing to start: $1 .*only root may own and write it" <<<"$2"' "$rc" "$PLANT" "$out"
}
PLANT=$TMP/t2/token; echo 0000000000000000000000000000000000000000000000000000000000000000 >"$PLANT"; chown 65534 "$PLANT"
planted "a token file of another user's"
rm -f "$PLANT"
PLANT=$TMP/t2/state; mkdir -p "$PLANT"; chown 65534 "$PLANT"
planted "a state directory of another user's"
chown 0 "$PLANT"
PLANT=$TMP/t2/sockdir; mkdir -m 0777 "$PLANT"
out=$(other "$ROOT-p" "$TMP/t2/p.db" "$PLANT/sock"); rc=$?
check "a socket directory anyone may write is refused, naming it" bash -c '[ "$0" != 0 ] && grep -q "$1 is writable by everyone" <<<"$2"' "$rc" "$PLANT" "$out"
PLANT=$TMP/t2/p.db; touch "$PLANT"; chown 65534 "$PLANT"
planted "a database file of another user's"
check "none of them made its root in the kernel" no_root "$ROOT-p"
printf 'not a socket\n' >"$TMP/t2/file.sock"
out=$(other "$ROOT-p" "$TMP/t2/q.db" "$TMP/t2/file.sock")
check "a socket path that is a regular file is named as such" grep -q "file.sock is a file, not a socket" <<<"$out"
rm -f /run/cgwarden/"$ROOT"-[0-9p].lock

# ---- no class of client can starve another (TCP, loopback only) ----
# 300 clients that never finish their headers and 300 that open an event stream and never
# read it, while an authenticated client asks 20 times: each answer within a second.
TOKEN=$(cat "$TOKEN_FILE")
timed() { curl -s -o /dev/null --max-time 5 -w '%{http_code} %{time_total}\n' -H "Authorization: Bearer $TOKEN" "http://127.0.0.1:$PORT$1"; }
answers() { # N PATH: "worst_seconds non200_count"
	local i out worst=0 bad=0
	for i in $(seq "$1"); do
		out=$(timed "$2")
		[ "${out%% *}" = 200 ] || bad=$((bad + 1))
		worst=$(awk -v a="$worst" -v b="${out#* }" 'BEGIN { print (b > a ? b : a) }')
	done
	echo "$worst $bad"
}
if [ -n "$PORT" ]; then
	read -r base _ <<<"$(answers 20 /api/v1/groups)"
	SLOW=() STREAMS=()
	for i in $(seq 300); do
		exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" || break
		printf 'GET /api/v1/groups HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nX-Slow: ' "$PORT" >&"$fd"
		SLOW+=("$fd")
	done
	for i in $(seq 300); do
		exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" || break
		printf 'GET /api/v1/events/stream HTTP/1.1\r\nHost: 127.0.0.1:%s\r\nAuthorization: Bearer %s\r\n\r\n' "$PORT" "$TOKEN" >&"$fd"
		STREAMS+=("$fd")
	done
	sleep 0.5
	read -r worst bad <<<"$(answers 20 /api/v1/groups)"
	echo "# 20 authenticated requests: worst ${base}s alone, ${worst}s beside ${#SLOW[@]} slow-header clients and ${#STREAMS[@]} idle streams; $bad not 200"
	check "beside 300 slow-header clients and 300 idle event streams, 20 authenticated requests all answer 200" test "$bad" = 0
	check "... each within a second (worst ${worst} s)" awk -v w="$worst" 'BEGIN { exit !(w < 1) }'
	ok_streams=0 refused_streams=0
	for fd in "${STREAMS[@]}"; do
		case $(timeout 1 head -c 12 <&"$fd") in
		'HTTP/1.1 200') ok_streams=$((ok_streams + 1)) ;;
		'HTTP/1.1 503') refused_streams=$((refused_streams + 1)) ;;
		esac
	done
	check "64 event streams are served ($ok_streams), the rest refused with 503 ($refused_streams)" test "$ok_streams $refused_streams" = "64 $((${#STREAMS[@]} - 64))"
	sleep 11
	closed=0
	for fd in "${SLOW[@]}"; do timeout 1 cat <&"$fd" >/dev/null && closed=$((closed + 1)); done
	check "the slow-header clients are cut off at the 10 s request deadline ($closed of ${#SLOW[@]})" test "$closed" = "${#SLOW[@]}"
	for fd in "${SLOW[@]}" "${STREAMS[@]}"; do exec {fd}>&-; done
	# A burst of 2000 connections opened and closed at once: none lingers.
	for i in $(seq 2000); do exec {fd}<>"/dev/tcp/127.0.0.1/$PORT" && exec {fd}>&-; done
	read -r worst bad <<<"$(answers 5 /healthz)"
	check "after a burst of 2000 connections, /healthz answers within a second (worst ${worst} s)" bash -c '[ "$1" = 0 ] && awk -v w="$0" "BEGIN { exit !(w < 1) }"' "$worst" "$bad"
	close_wait() { ss -Htn state close-wait "( sport = :$PORT )" | wc -l; }
	no_close_wait() { [ "$(close_wait)" = 0 ]; }
	check "... and within 2 s no connection to the daemon sits in CLOSE-WAIT ($(close_wait) right after)" poll 2 no_close_wait
fi

# ---- a listener beyond loopback needs the host names clients use ----
out=$(timeout 10 "$BIN/cgwardend" --listen 0.0.0.0:0 --socket none --root "$ROOT-w" --db "$TMP/t2/w.db" --token-file "$TMP/t2/w.token" --state-dir "$TMP/t2/w" 2>&1); rc=$?
check "--listen 0.0.0.0 without --allow-host is a usage error (2), saying why" bash -c '[ "$0" = 2 ] && grep -q -- "--allow-host" <<<"$1"' "$rc" "$out"
check "... before its root was made" no_root "$ROOT-w"
"$BIN/cgwardend" --listen 0.0.0.0:0 --allow-host cgw.example --socket none --root "$ROOT-w" --db "$TMP/t2/w.db" \
	--token-file "$TMP/t2/w.token" --state-dir "$TMP/t2/w" 2>"$TMP/t2/w.log" &
WPID=$!
AT_EXIT+=('[ -n "$WPID" ] && kill -9 "$WPID" 2>/dev/null; remove_root "$ROOT-w"')
for i in $(seq 100); do WPORT=$(sed -n 's|.*listening on http://0.0.0.0:\([0-9]*\).*|\1|p' "$TMP/t2/w.log"); [ -n "$WPORT" ] && break; sleep 0.1; done
WTOKEN=$(cat "$TMP/t2/w.token" 2>/dev/null)
host_status() { curl -s -o /dev/null -w '%{http_code}' --max-time 5 -H "Host: $1:$WPORT" -H "Authorization: Bearer $WTOKEN" "http://127.0.0.1:$WPORT/api/v1/groups"; }
check "with --allow-host cgw.example, Host cgw.example is answered (200)" test "$(host_status cgw.example)" = 200
check "... another Host is 403 (DNS rebinding)" test "$(host_status evil.example)" = 403
check "... and the log says what is exposed" grep -q "reachable beyond this machine.*Host must be one of: localhost:$WPORT cgw.example:$WPORT" "$TMP/t2/w.log"
kill -TERM "$WPID"; wait "$WPID" 2>/dev/null
WPID= # reaped: its pid may be another process's now
remove_root "$ROOT-w"; rm -f "/run/cgwarden/$ROOT-w.lock"

# ---- every response carries the security headers; SIGHUP is not fatal ----
hdr=$(curl -s -D - -o /dev/null --unix-socket "$SOCK" http://localhost/api/v1/groups/nope)
check "an error answer carries X-Frame-Options, Referrer-Policy, CORP and a CSP" bash -c 'for h in "X-Frame-Options: DENY" "Referrer-Policy: no-referrer" "Cross-Origin-Resource-Policy: same-origin" "Content-Security-Policy: default-src '"'"'none'"'"'"; do grep -qi "^$h" <<<"$0" || exit 1; done' "$hdr"
kill -HUP "$DAEMON_PID"
sleep 0.3
api GET /healthz
check "SIGHUP: the daemon keeps answering" bash -c '[ "$0" = 200 ] && kill -0 "$1"' "$STATUS" "$DAEMON_PID"
check "... and says there is nothing to reload" grep -q "SIGHUP: nothing to reload" "$TMP/daemon.log"
printf 'not a token\n' >"$TMP/t2/token" && chmod 600 "$TMP/t2/token"
out=$(other "$ROOT-t" "$TMP/t2/t.db" "$TMP/t2/t.sock"); rc=$?
check "a token file holding no token is refused, naming the file" bash -c '[ "$0" != 0 ] && grep -q "$1 holds no token" <<<"$2"' "$rc" "$TMP/t2/token" "$out"
check "... before its root was made" no_root "$ROOT-t"
rm -f "$TMP/t2/token" "/run/cgwarden/$ROOT-t.lock"

# ---- a create killed between the kernel and the database leaves nothing after a restart ----
if [ "$DRIVER" = cgroupfs ]; then
	stop_daemon
	for d in $(gdirs half); do mkdir "$d"; done
	mkdir "$(gdir half pids)/inner" 2>/dev/null || mkdir "$(gdir half)/inner"
	start_daemon || echo "# the daemon did not start again"
	check "a group the kernel holds and the database does not (a half-made create) is gone after a restart" bash -c '! ls -d $0 2>/dev/null | grep -q .' "$(gdirs half)"
	check "... and the log says so" grep -q "group half is in the kernel but not in the database: removed" "$TMP/daemon.log"
else
	skip "a group the kernel holds and the database does not (a half-made create) is gone after a restart" "with systemd the test cannot make a slice behind the daemon's back"
	skip "... and the log says so" "as above"
fi

# ---- a delete the database cannot record changes nothing in the kernel ----
# The database on a small tmpfs of the test's own, filled: SQLite's write fails (SQLITE_FULL)
# as on a full disk.
SMALL=$TMP/small
mkdir -p "$SMALL"
if mount -t tmpfs -o size=8m,mode=0700 tmpfs "$SMALL"; then
	AT_EXIT+=("umount -l '$SMALL'")
	stop_daemon
	start_daemon --db "$SMALL/cgwarden.db" || echo "# the daemon did not start on $SMALL"
	api POST /api/v1/groups '{"name":"keep","limits":{"pids":{"max":33}}}'
	check "a group on a database on a small filesystem" is 201
	dd if=/dev/zero of="$SMALL/fill" bs=64k 2>/dev/null
	api DELETE /api/v1/groups/keep
	check "with the filesystem full, the delete fails (5xx: $STATUS)" bash -c '[ "$0" -ge 500 ]' "$STATUS"
	check "... the group is still in the kernel, with its limit" test "$(k_pids keep)" = 33
	api GET /api/v1/groups/keep
	check "... and in the API" is 200
	rm -f "$SMALL/fill"
	api DELETE /api/v1/groups/keep
	check "with room again, the same delete works" is 204
	check "... and the kernel's group is gone" test ! -d "$(gdir keep pids)"
	stop_daemon
else
	for t in 1 2 3 4 5 6; do skip "a delete the database cannot record (check $t)" "cannot mount a tmpfs here"; done
fi

finish
