#!/usr/bin/env bash
# The real cgwardend against the real cgroupfs, through real HTTP and the real CLI.
. "$(dirname "$0")/lib.sh"

start_daemon || { echo "0 passed, 1 failed"; exit 1; }
TOKEN=$(cat "$TOKEN_FILE")
AUTH=(-H "Authorization: Bearer $TOKEN")
echo "# root $ROOT, port $PORT, cgroup $LAYOUT"

# ---- access ----
tcp GET /healthz
check "healthz answers without a token" is 200
check "healthz names the driver and version" has "\"driver\":\"$DRIVER\",\"version\":\""
tcp GET /api/v1/groups
check "TCP without a token is 401" is 401
check "401 has a JSON error body" has '"code":"unauthorized"'
tcp GET /api/v1/groups -H "Authorization: Bearer $(printf '0%.0s' $(seq 64))"
check "a wrong token is 401" is 401
tcp GET /api/v1/groups -H "Authorization: Bearer short"
check "a short token is 401" is 401
tcp GET /api/v1/groups "${AUTH[@]}"
check "the admin token is accepted" is 200
tcp GET /api/v1/groups "${AUTH[@]}" -H "Host: evil.example:$PORT"
check "a foreign Host is 403" is 403
tcp GET /api/v1/groups "${AUTH[@]}" -H "Origin: http://evil.example"
check "a foreign Origin is 403" is 403
tcp GET /api/v1/groups "${AUTH[@]}" -H "Origin: http://127.0.0.1:$PORT"
check "our own Origin is accepted" is 200
check "the token file is 0600" test "$(stat -c %a "$TOKEN_FILE")" = 600
check "the token is 256 bits of hex" grep -qE '^[0-9a-f]{64}$' "$TOKEN_FILE"
check "the socket is 0660" test "$(stat -c %a "$SOCK")" = 660
chmod 0711 "$TMP"; chmod 0666 "$SOCK" # let nobody connect, to prove SO_PEERCRED decides and not the mode alone
out=$(setpriv --reuid=65534 --regid=65534 --clear-groups curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" http://localhost/api/v1/groups)
chmod 0660 "$SOCK"; chmod 0700 "$TMP"
check "a non-root peer on the socket is 403" test "$out" = 403

# ---- create ----
api POST /api/v1/groups '{"name":"web","limits":{"memory":{"max":"512M","reservation":"256M","swap_max":"64M"},"cpu":{"max":1.5,"weight":200},"cpuset":{"cpus":"0","mems":"0"},"pids":{"max":100}}}'
check "create answers 201" is 201
check "create returns canonical limits" has '"limits":{"memory":{"max":536870912,"reservation":268435456,"swap_max":67108864},"cpu":{"max":1.5,"weight":200},"cpuset":{"cpus":"0","mems":"0"},"pids":{"max":100}}'
check "create returns state and created_at" has '"state":"THAWED","limits"'
check "kernel: memory max" test "$(k_mem_max web)" = 536870912
check "kernel: reservation (v1 soft limit, v2 memory.low)" test "$(k_reservation web)" = 268435456
check "kernel: swap on top of max (v1 memsw = max + swap)" test "$(k_swap web)" = 67108864
only v1 "kernel: memory.memsw.limit_in_bytes is the sum" test "$(kf web memory memory.memsw.limit_in_bytes)" = $((536870912 + 67108864))
check "kernel: cpu quota" test "$(k_cpu_max web)" = 150000
check "kernel: cpu period" test "$(k_cpu_period web)" = 100000
check "kernel: cpu weight 200 (v1: 2048 shares)" test "$(k_cpu_weight web)" = 200
only v1 "kernel: cpu.shares" test "$(kf web cpu cpu.shares)" = 2048
check "kernel: cpuset" test "$(k_cpus web)" = 0
check "kernel: pids.max" test "$(k_pids web)" = 100
for d in $(gdirs web); do check "group directory ${d#$CG/}" test -d "$d"; done
api POST /api/v1/groups '{"name":"api","parent":"web","limits":{"memory":{"max":1073741824}}}'
check "nested create answers 201" is 201
check "nested group lives under its parent" k_exists web/api
check "nested limit is in the kernel" test "$(k_mem_max web/api)" = 1073741824
check "nested cpuset inherited the parent's cpus" test "$(k_cpus web/api)" = 0
api POST /api/v1/groups '{"name":"web"}'
check "a duplicate name is 409" is 409
api POST /api/v1/groups '{"name":"api"}'
check "names are unique across the tree" is 409
api POST /api/v1/groups '{"name":"orphan","parent":"nope"}'
check "an unknown parent is 422" is 422
check "the unknown parent error names /parent" has '"field":"/parent"'
api POST /api/v1/groups '{"name":"idle"}'
check "a group without limits" is 201
check "no limits is an empty object" has '"limits":{}'

# ---- block I/O: the same limits on both layouts, against loop devices ----
IO_WEIGHT=$(io_weight_file)
no_weight=$NO_IO_WEIGHT
IO='"max":{"/dev/loop0":{"rbps":"10M","riops":50},"7:1":{"wiops":100}}'
if [ -n "$IO_WEIGHT" ]; then
	api POST /api/v1/groups "{\"name\":\"disk\",\"limits\":{\"io\":{\"weight\":300,$IO}}}"
	skip "an io weight without a weight file is refused, and nothing is made" "this host has $IO_WEIGHT"
else
	api POST /api/v1/groups "{\"name\":\"disk\",\"limits\":{\"io\":{\"weight\":300,$IO}}}"
	check "an io weight without a weight file is refused, and nothing is made" bash -c '[ "$0" -ge 400 ] && [ "$0" -lt 500 ] && grep -q "/io/weight" <<<"$1"' "$STATUS" "$BODY"
	check "... nothing is made in the kernel" k_gone disk
	api POST /api/v1/groups "{\"name\":\"disk\",\"limits\":{\"io\":{$IO}}}"
fi
check "io create answers 201" is 201
check "io.max comes back keyed by MAJ:MIN" has '"max":{"7:0":{"rbps":10485760,"riops":50},"7:1":{"wiops":100}}}'
check "kernel: io.max" test "$(k_io_max disk)" = "7:0 rbps=10485760 riops=50;7:1 wiops=100"
if [ "$LAYOUT" = v2 ]; then want=300; elif [ -f "$(gdir disk blkio)/blkio.weight" ]; then want=1000; else want=118; fi
if [ -n "$IO_WEIGHT" ]; then
	check "kernel: io weight 300 (v2 io.weight; v1 BFQ 118 or CFQ 1000)" test "$(k_io_weight disk)" = $want
else
	skip "kernel: io weight 300 (v2 io.weight; v1 BFQ 118 or CFQ 1000)" "$no_weight"
fi
api PATCH /api/v1/groups/disk/limits '{"io":{"max":{"7:0":{"rbps":null,"wbps":"1M"},"7:1":null}}}'
check "io patch answers 200" is 200
check "io patch changes only what it names" has '"max":{"7:0":{"wbps":1048576,"riops":50}}'
check "kernel: io.max after the patch" test "$(k_io_max disk)" = "7:0 wbps=1048576 riops=50"
api PATCH /api/v1/groups/disk/limits '{"io":{"max":{"7:1":{"riops":"10M"}}}}'
check "iops take no size suffix (422)" is 422
api PATCH /api/v1/groups/disk/limits '{"io":{"max":{"7:99":{"rbps":1}}}}'
check "an unknown device is 422" has '"code":"unknown_device"'
api PATCH /api/v1/groups/disk/limits '{"io":{"max":{"/dev/null":{"rbps":1}}}}'
check "a character device is refused" has '"code":"unknown_device"'
api PATCH /api/v1/groups/disk/limits '{"io":{"max":{"7:0":{"rbps":0}}}}'
check "a zero rate is refused" has '"code":"out_of_range"'
check "kernel: refused io changes changed nothing" test "$(k_io_max disk)" = "7:0 wbps=1048576 riops=50"
api PATCH /api/v1/groups/disk/limits '{"io":{"max":null,"weight":null}}'
check "io null removes every throttle" test -z "$(k_io_max disk)"
if [ -n "$IO_WEIGHT" ]; then
	check "io weight back to the default" test "$(k_io_weight disk)" = "$(if [ "$LAYOUT" = v2 ]; then echo 100; elif [ -f "$(gdir disk blkio)/blkio.weight" ]; then echo 500; else echo 100; fi)"
else
	skip "io weight back to the default" "$no_weight"
fi
out=$("$BIN/cgwarden" --socket "$SOCK" limit disk --io-rbps /dev/loop1=2M --io-wiops 7:0=7 2>&1)
check "cli io flags" test "$(k_io_max disk)" = "7:0 wiops=7;7:1 rbps=2097152"
err=$("$BIN/cgwarden" --socket "$SOCK" limit disk --io-rbps /dev/loop1=2M --io-wiops 7:1=7 2>&1)
check "the same disk named twice is refused" grep -q "same disk" <<<"$err"
err=$("$BIN/cgwarden" --socket "$SOCK" limit disk --io-riops 7:1=1K 2>&1); rc=$?
check "cli refuses a suffixed iops locally" test $rc = 2
api DELETE /api/v1/groups/disk
check "io group deleted" is 204

# ---- devices: v1 devices.allow/deny, v2 an eBPF program; the same behaviour is checked ----
api POST /api/v1/groups '{"name":"box","limits":{"devices":{"policy":"deny","rules":["c 1:3 rwm","c 1:5 r","b 7:* r"]}}}'
check "devices create answers 201" is 201
check "devices come back canonical" has '"devices":{"policy":"deny","rules":["c 1:3 rwm","c 1:5 r","b 7:* r"]}'
# systemd writes DevicePolicy=strict's rules in its own order.
only v1 "kernel: devices.list holds the allowed rules" test "$(kf box devices devices.list | sort | paste -sd,)" = "b 7:* r,c 1:3 rwm,c 1:5 r"
# A process held on a fifo until it is in the group, then trying each device.
probe_devices() {
	rm -f "$TMP/dev.fifo" "$TMP/dev.out"
	mkfifo "$TMP/dev.fifo"
	sh -c "read x <'$TMP/dev.fifo'
		(echo hi >/dev/null) 2>/dev/null && echo null-write
		(head -c1 /dev/zero >/dev/null) 2>/dev/null && echo zero-read
		(echo x >/dev/zero) 2>/dev/null && echo zero-write
		(head -c1 /dev/urandom >/dev/null) 2>/dev/null && echo urandom-read
		true" >"$TMP/dev.out" 2>&1 &
	local p=$!
	api POST "/api/v1/groups/$1/attach" "{\"pid\":$p}"
	echo go >"$TMP/dev.fifo"
	wait "$p"
	paste -sd, "$TMP/dev.out"
}
check "deny policy: only what the rules allow" test "$(probe_devices box)" = "null-write,zero-read"
api PATCH /api/v1/groups/box/limits '{"devices":{"policy":"allow","rules":["c 1:9 rwm"]}}'
if [ "$DRIVER" = systemd ]; then
	# systemd has DeviceAllow= only: a deny rule under an allow policy cannot be expressed.
	check "systemd: allow policy with deny rules is refused, naming the rules" bash -c '[ "$0" = 422 ] && grep -q "\"field\":\"/devices/rules\"" <<<"$1"' "$STATUS" "$BODY"
	check "... and changes nothing" test "$(probe_devices box)" = "null-write,zero-read"
else
	check "allow policy answers 200" is 200
	check "allow policy: all but what the rules deny" test "$(probe_devices box)" = "null-write,zero-read,zero-write"
fi
api PATCH /api/v1/groups/box/limits '{"devices":null}'
check "devices null: everything again" test "$(probe_devices box)" = "null-write,zero-read,zero-write,urandom-read"
for rule in '"x 1:3 r"' '"c 1:3"' '"c 1:3 rr"' '"c 1:3 rwx"' '"c -1:3 r"' '"c 1:3 r "' '"a 1:3 r"' '"c 1:99999999 r"' '5'; do
	api PATCH /api/v1/groups/box/limits "{\"devices\":{\"policy\":\"deny\",\"rules\":[\"c 1:3 rwm\",$rule]}}"
	check "device rule $rule is refused at /devices/rules/1" has '"field":"/devices/rules/1"'
done
api PATCH /api/v1/groups/box/limits '{"devices":{"policy":"maybe","rules":[]}}'
check "an unknown policy is 422" has '"field":"/devices/policy"'
api DELETE '/api/v1/groups/box?force=true'
check "devices group deleted" is 204

# ---- read ----
api GET /api/v1/groups/web
check "get answers 200" is 200
check "get shows the parent as null" has '"name":"web","parent":null'
api GET /api/v1/groups/api
check "get shows a nested group's parent" has '"parent":"web"'
api GET /api/v1/groups/nope
check "an unknown group is 404" is 404
check "404 has a JSON body" has '"code":"not_found"'
api GET /api/v1/groups
check "list has all three" has '"name":"web"'
check "list has the nested one" has '"name":"api"'
api GET '/api/v1/groups/..%2F..%2Fetc'
check "a path-like name (an encoded slash) is 400 invalid_path" bash -c '[ "$0" = 400 ] && [[ $1 == *invalid_path* ]]' "$STATUS" "$BODY"

# ---- limits ----
api PATCH /api/v1/groups/web/limits '{"memory":{"max":"256M"},"pids":{"max":"max"}}'
check "patch answers 200" is 200
check "patch lowers the memory max" test "$(k_mem_max web)" = 268435456
check "patch keeps swap on top of the new max" test "$(k_swap web)" = 67108864
check "patch sets pids.max to max" test "$(k_pids web)" = max
check "patch leaves keys it did not name" test "$(k_cpu_max web)" = 150000
api PATCH /api/v1/groups/web/limits '{"memory":{"max":"2G","reservation":null}}'
check "raising memory above memsw works" is 200
check "memory max raised" test "$(k_mem_max web)" = 2147483648
check "swap follows" test "$(k_swap web)" = 67108864
check "null removes the reservation" test "$(k_reservation web)" = none
check "a removed key leaves the response" bash -c '! grep -q reservation <<<"$0"' "$BODY"
api PATCH /api/v1/groups/web/limits '{"cpu":{"max":"max","weight":null}}'
check "cpu max lifted" test "$(k_cpu_max web)" = max
check "cpu weight back to the default" test "$(k_cpu_weight web)" = 100
api PATCH /api/v1/groups/web/limits '{"cpuset":{"cpus":null}}'
check "cpuset null restores the parent's cpus" test "$(k_cpus web)" = "$(k_root_cpus)"
api PATCH /api/v1/groups/nope/limits '{"pids":{"max":5}}'
check "patch on an unknown group is 404" is 404

# ---- bad inputs: right status, and nothing changes in the kernel or the database ----
snapshot() {
	local f
	for f in k_mem_max k_swap k_reservation k_cpu_max k_cpu_period k_cpu_weight k_cpus k_pids k_state; do
		printf '%s=%s\n' "$f" "$($f web)"
	done
	ls "$(gdir "")"
	curl -s --max-time 60 --unix-socket "$SOCK" http://localhost/api/v1/groups
}
api PATCH /api/v1/groups/web/limits '{"memory":{"max":"1G"},"pids":{"max":50},"cpu":{"max":1}}'
before=$(snapshot)
bad() { # bad STATUS CODE METHOD PATH BODY [content-type]
	local want=$1 code=$2 m=$3 p=$4 b=$5 ct=${6:-application/json} out
	out=$(curl -s --max-time 30 --unix-socket "$SOCK" -X "$m" -w '\n%{http_code}' -H "Content-Type: $ct" --data-binary "$b" "http://localhost$p")
	STATUS=${out##*$'\n'}
	BODY=${out%$'\n'*}
	local after
	after=$(snapshot)
	if [ "$STATUS" = "$want" ] && has "\"code\":\"$code\"" && [ "$after" = "$before" ]; then
		ok 0 "bad input → $want $code: $m $p ${b:0:60}"
	else
		ok 1 "bad input → $want $code: $m $p ${b:0:60} (got $STATUS $BODY)"
		[ "$after" = "$before" ] || diff <(echo "$before") <(echo "$after") | sed 's/^/#   /'
	fi
}
bad 400 invalid_json POST /api/v1/groups '{"name":'
bad 400 invalid_json POST /api/v1/groups '[1,2]'
bad 400 invalid_json POST /api/v1/groups '{"name":"x","name":"y"}'
bad 400 body_required PATCH /api/v1/groups/web/limits ''
bad 415 unsupported_media_type POST /api/v1/groups '{"name":"x"}' text/plain
bad 415 unsupported_media_type PATCH /api/v1/groups/web/limits 'name=x' application/x-www-form-urlencoded
bad 422 invalid_name POST /api/v1/groups '{"name":"../etc"}'
bad 422 invalid_name POST /api/v1/groups '{"name":"a/b"}'
bad 422 invalid_name POST /api/v1/groups '{"name":"Web"}'
bad 422 invalid_name POST /api/v1/groups '{"name":".."}'
bad 422 invalid_name POST /api/v1/groups '{"name":""}'
bad 422 invalid_name POST /api/v1/groups "{\"name\":\"$(printf 'a%.0s' $(seq 64))\"}"
bad 422 invalid_name POST /api/v1/groups '{"name":42}'
bad 422 invalid_name POST /api/v1/groups '{"name":"x","parent":"../web"}'
bad 422 unknown_field POST /api/v1/groups '{"name":"x","limitz":{}}'
bad 422 unknown_field PATCH /api/v1/groups/web/limits '{"memory":{"maximum":1}}'
bad 422 unknown_field PATCH /api/v1/groups/web/limits '{"disk":{"max":1}}'
bad 422 out_of_range PATCH /api/v1/groups/web/limits '{"memory":{"max":-1}}'
bad 422 invalid_value PATCH /api/v1/groups/web/limits '{"memory":{"max":"-1"}}'
bad 422 out_of_range PATCH /api/v1/groups/web/limits '{"memory":{"max":"18446744073709551616"}}'
bad 422 out_of_range PATCH /api/v1/groups/web/limits '{"memory":{"max":"17179869184G"}}'
bad 422 invalid_value PATCH /api/v1/groups/web/limits '{"memory":{"max":"1.5"}}'
bad 422 invalid_value PATCH /api/v1/groups/web/limits '{"memory":{"max":"12 G"}}'
bad 422 out_of_range PATCH /api/v1/groups/web/limits '{"memory":{"max":1000}}'
bad 422 invalid_type PATCH /api/v1/groups/web/limits '{"memory":{"max":true}}'
bad 422 conflict_value PATCH /api/v1/groups/web/limits '{"memory":{"reservation":"2G"}}'
bad 422 out_of_range PATCH /api/v1/groups/web/limits '{"cpu":{"max":0}}'
bad 422 out_of_range PATCH /api/v1/groups/web/limits '{"cpu":{"max":0.001}}'
bad 422 out_of_range PATCH /api/v1/groups/web/limits '{"cpu":{"max":64}}'
bad 422 invalid_value PATCH /api/v1/groups/web/limits '{"cpu":{"max":"1e3"}}'
bad 422 out_of_range PATCH /api/v1/groups/web/limits '{"cpu":{"weight":0}}'
bad 422 out_of_range PATCH /api/v1/groups/web/limits '{"cpu":{"weight":10001}}'
bad 422 out_of_range PATCH /api/v1/groups/web/limits '{"pids":{"max":-1}}'
bad 422 out_of_range PATCH /api/v1/groups/web/limits '{"pids":{"max":99999999}}'
bad 422 invalid_value PATCH /api/v1/groups/web/limits '{"cpuset":{"cpus":""}}'
bad 422 invalid_value PATCH /api/v1/groups/web/limits '{"cpuset":{"cpus":"1-0"}}'
bad 422 out_of_range PATCH /api/v1/groups/web/limits '{"cpuset":{"cpus":"0-99999"}}'
# CPUs the parent does not have are refused on both layouts (v2 would quietly narrow them),
# and the memory change in the same request does not happen either.
bad 422 not_in_parent PATCH /api/v1/groups/web/limits '{"memory":{"max":"300M"},"cpuset":{"cpus":"4000"}}'
check "the refusal names the field" has '"field":"/cpuset/cpus"'
bad 422 not_in_parent PATCH /api/v1/groups/web/limits '{"cpuset":{"mems":"0-63"}}'
bad 422 invalid_value POST /api/v1/groups '{"name":"x","limits":{"memory":{"max":null}}}'
bad 422 invalid_value POST /api/v1/groups/web/attach '{"pid":0}'
bad 422 invalid_value POST /api/v1/groups/web/attach '{"pid":"1"}'
bad 422 no_such_process POST /api/v1/groups/web/attach '{"pid":2147483647}'
bad 404 not_found PATCH /api/v1/groups/ghost/limits '{"pids":{"max":5}}'
bad 404 not_found POST /api/v1/groups/ghost/freeze ''
bad 405 method_not_allowed PUT /api/v1/groups '{}'
check "405 names the allowed methods" bash -c "curl -s -D - -o /dev/null --unix-socket $SOCK -X PUT http://localhost/api/v1/groups | grep -qi '^Allow: GET, POST'"
bad 413 body_too_large POST /api/v1/groups "{\"name\":\"x\",\"pad\":\"$(head -c 70000 /dev/zero | tr '\0' a)\"}"
bad 422 out_of_range PATCH /api/v1/groups/web/limits '{"memory":{"max":"99999999999999999999"}}'
check "an error message does not echo the input" bash -c '! grep -q 99999999999999999999 <<<"$0"' "$BODY"

out=$(head -c 70000 /dev/zero | tr '\0' a | curl -s -o /dev/null -w '%{http_code}' --unix-socket "$SOCK" -X POST \
	-H 'Content-Type: application/json' -H 'Transfer-Encoding: chunked' --data-binary @- http://localhost/api/v1/groups)
check "a chunked body over the limit is 413 too" test "$out" = 413

# ---- concurrency: the thread pool serves parallel changes; the lock keeps them consistent ----
jobs_=()
for i in $(seq 12); do
	curl -s -o /dev/null --unix-socket "$SOCK" -X POST -H 'Content-Type: application/json' \
		--data-binary "{\"name\":\"par$i\",\"limits\":{\"pids\":{\"max\":$i}}}" http://localhost/api/v1/groups &
	jobs_+=($!)
done
wait "${jobs_[@]}" # not a bare wait: the daemon is a child of this shell too
jobs_=()
api GET /api/v1/groups
check "12 parallel creates all landed" test "$(grep -o '"name":"par[0-9]*"' <<<"$BODY" | wc -l)" = 12
check "... each with its own limit" test "$(k_pids par7)" = 7
for i in $(seq 12); do
	curl -s -o /dev/null --unix-socket "$SOCK" -X DELETE "http://localhost/api/v1/groups/par$i" &
	jobs_+=($!)
done
wait "${jobs_[@]}"
api GET /api/v1/groups
check "12 parallel deletes all landed" bash -c '! grep -q "\"name\":\"par" <<<"$0"' "$BODY"
check "... in the kernel too" bash -c '! ls -d "$0"/par* 2>/dev/null | grep -q .' "$(gdir "")"

# ---- the daemon refuses bad starts ----
out=$("$BIN/cgwardend" --root ../x --socket "$TMP/x.sock" --listen none --db "$TMP/x.db" 2>&1); rc=$?
check "cgwardend refuses an invalid --root" bash -c '[ $0 = 2 ] && grep -q -- --root <<<"$1"' $rc "$out"
# (its own root and database: the same ones are refused earlier, test-holds.sh)
out=$(timeout 10 "$BIN/cgwardend" --root "$ROOT-s" --socket "$SOCK" --listen none --db "$TMP/x.db" --token-file "$TMP/x.token" --state-dir "$TMP/x.state" 2>&1); rc=$?
rm -f "/run/cgwarden/$ROOT-s.lock"
check "a second daemon on the same socket refuses to start" bash -c '[ $0 = 1 ] && grep -q "another daemon answers" <<<"$1"' $rc "$out"
check "... and the first still answers" curl -sf --unix-socket "$SOCK" http://localhost/healthz

# ---- attach, freeze, thaw ----
# Processes go into the leaf "api"; "web" above it is frozen and thawed. On cgroup v2 a
# group with children cannot hold processes, so this shape works on both layouts.
spawn sh -c 'while :; do :; done'
BUSY=$LAST_PID
spawn sleep 600
SLEEPER=$LAST_PID
api POST /api/v1/groups/api/attach "{\"pid\":$BUSY}"
check "attach answers 200" is 200
api POST /api/v1/groups/api/attach "{\"pid\":$SLEEPER}"
check "attach lists the pid" has "$SLEEPER"
for d in $(gdirs web/api); do check "attached pid is in ${d#$CG/}" k_dir_holds "$d" "$BUSY"; done
spawn sleep 600
api POST /api/v1/groups/web/attach "{\"pid\":$LAST_PID}"
if [ "$LAYOUT" = v2 ] && [ "$DRIVER" = systemd ]; then
	# systemd keeps processes in scopes, leaves of their own below the group's slice.
	check "systemd on v2: a group with children holds processes (in a scope)" is 200
	skip "v2: a group with children cannot hold processes" "processes sit in scopes with systemd"
	skip "v2: a group with processes cannot get children" "processes sit in scopes with systemd"
elif [ "$LAYOUT" = v2 ]; then
	check "v2: a group with children cannot hold processes (409)" is 409
	check "... has_children" has '"code":"has_children"'
	api POST /api/v1/groups '{"name":"leafy"}'
	api POST /api/v1/groups/leafy/attach "{\"pid\":$LAST_PID}"
	api POST /api/v1/groups '{"name":"sprout","parent":"leafy"}'
	check "v2: a group with processes cannot get children (409)" is 409
	check "... parent_has_processes" has '"code":"parent_has_processes"'
	api DELETE '/api/v1/groups/leafy?force=true'
else
	check "v1: a group with children may hold processes too" is 200
	skip "v2: a group with children cannot hold processes" "not on cgroup v1"
	skip "v2: a group with processes cannot get children" "not on cgroup v1"
fi
kill -9 "$LAST_PID" 2>/dev/null
cputime() { awk '{print $14 + $15}' "/proc/$1/stat"; }
api POST /api/v1/groups/web/freeze
check "freeze answers 200" is 200
check "freeze answers FROZEN" has '"state":"FROZEN"'
check "kernel: web is FROZEN" test "$(k_state web)" = FROZEN
t0=$(cputime $BUSY); sleep 0.5; t1=$(cputime $BUSY)
check "a busy loop in a child of a frozen group burns no CPU" test "$t0" = "$t1"
api GET /api/v1/groups/api
check "a child of a frozen group reports FROZEN" has '"state":"FROZEN"'
api POST /api/v1/groups/api/thaw
check "thawing a child of a frozen parent is 409" is 409
check "... with parent_frozen" has '"code":"parent_frozen"'
api POST /api/v1/groups/web/freeze
check "freezing twice is fine" is 200
api POST /api/v1/groups/web/thaw
check "thaw answers THAWED" has '"state":"THAWED"'
check "kernel: web is THAWED" test "$(k_state web)" = THAWED
check "kernel: api is THAWED" test "$(k_state web/api)" = THAWED
t0=$(cputime $BUSY); sleep 0.3; t1=$(cputime $BUSY)
check "the thawed loop runs again" test "$t1" -gt "$t0"
api DELETE /api/v1/groups/web
check "deleting a group with children is 409" is 409
check "... has_children" has '"code":"has_children"'
api DELETE /api/v1/groups/api?force=maybe
check "a bad force value is 400" is 400

# ---- CLI ----
CLI=("$BIN/cgwarden" --socket "$SOCK")
out=$("${CLI[@]}" create cli1 --memory 128M --cpus 0.5 --cpu-weight 50 --pids 20 --cpuset-cpus 0 2>&1)
check "cli create exits 0" test $? = 0
check "cli create prints the group" grep -q 'memory.max: *128MiB' <<<"$out"
check "cli create set memory" test "$(k_mem_max cli1)" = 134217728
check "cli create set cpu quota" test "$(k_cpu_max cli1)" = 50000
check "cli create set the weight" test "$(k_cpu_weight cli1)" = 50
"${CLI[@]}" create cli2 --parent cli1 --memory-reservation 64M >/dev/null
check "cli create --parent" k_exists cli1/cli2
check "cli list" bash -c '"$@" list | grep -qE "^cli2 +cli1 +THAWED"' _ "${CLI[@]}"
check "cli list --json" bash -c '"$@" --json list | grep -q "\"name\": \"cli1\""' _ "${CLI[@]}"
check "cli show" bash -c '"$@" show cli1 | grep -qE "^cpu.max: +0.5$"' _ "${CLI[@]}"
"${CLI[@]}" limit cli1 --memory 256M --pids none >/dev/null
check "cli limit" test "$(k_mem_max cli1)" = 268435456
check "cli limit none removes" test "$(k_pids cli1)" = max
spawn sleep 600
"${CLI[@]}" attach cli2 "$LAST_PID" >/dev/null
check "cli attach" k_in cli1/cli2 "$LAST_PID"
check "cli freeze" bash -c '"$@" freeze cli1 | grep -qx "cli1: FROZEN"' _ "${CLI[@]}"
check "cli thaw" bash -c '"$@" thaw cli1 | grep -qx "cli1: THAWED"' _ "${CLI[@]}"
err=$("${CLI[@]}" create 'Bad/Name' 2>&1); rc=$?
check "cli refuses a bad name locally (exit 2)" test $rc = 2
check "cli errors are one line" test "$(wc -l <<<"$err")" = 1
err=$("${CLI[@]}" create cli3 --memory 12Q 2>&1); rc=$?
check "cli refuses a bad size locally" test $rc = 2
check "cli's message names the flag" grep -q -- '--memory' <<<"$err"
err=$("${CLI[@]}" create cli1 2>&1); rc=$?
check "cli reports a server error (exit 1)" test $rc = 1
check "cli's server error is one line" test "$(wc -l <<<"$err")" = 1
err=$("${CLI[@]}" delete cli1 2>&1); rc=$?
check "cli delete of a parent without force fails" test $rc = 1
err=$("$BIN/cgwarden" --socket "$TMP/none.sock" list 2>&1); rc=$?
check "cli without a daemon fails clearly" bash -c '[ $0 = 1 ] && grep -q "cannot reach cgwardend" <<<"$1"' $rc "$err"
check "cli over TCP with --token" "$BIN/cgwarden" --url "http://127.0.0.1:$PORT" --token "$TOKEN" show cli1
check "cli over TCP with CGWARDEN_TOKEN" env CGWARDEN_TOKEN="$TOKEN" "$BIN/cgwarden" --url "http://127.0.0.1:$PORT" list
"$BIN/cgwarden" --url "http://127.0.0.1:$PORT" --token nope list >/dev/null 2>&1
check "cli over TCP with a bad token fails" test $? = 1
VICTIM=$LAST_PID
"${CLI[@]}" delete cli1 --force
check "cli delete --force" k_gone cli1
sleep 0.2
check "forced delete killed the group's process" bash -c '! kill -0 $0 2>/dev/null || grep -q "^State:.*Z" /proc/$0/status' "$VICTIM"

# ---- restart: reconcile drift, keep processes ----
api POST /api/v1/groups/web/freeze
check "web frozen before the restart" is 200
api PATCH /api/v1/groups/idle/limits '{"memory":{"max":"64M"},"pids":{"max":7}}'
api PATCH /api/v1/groups/web/limits '{"io":{"max":{"7:0":{"rbps":"5M"}}}}'
check "web gets an io throttle before the restart" test "$(k_io_max web)" = "7:0 rbps=5242880"
stop_daemon
check "SIGTERM stops the daemon cleanly" test "$DAEMON_STATUS" = 0
check "groups stay after the daemon stops" k_exists web/api
check "processes stay after the daemon stops" kill -0 "$SLEEPER"
k_set_mem_max web 999999488                                        # drift
echo 4 >"$(gdir web pids)/pids.max"                                # drift
k_rmdir idle                                                       # a lost group
if [ "$LAYOUT" = v2 ]; then echo "7:0 rbps=max" >"$(gdir web)/io.max"; else echo "7:0 0" >"$(gdir web blkio)/blkio.throttle.read_bps_device"; fi
start_daemon || { finish; exit 1; }
check "restart re-applies a drifted memory limit" test "$(k_mem_max web)" = 1073741824
check "restart re-applies a drifted pids.max" test "$(k_pids web)" = 50
check "restart re-applies a removed io throttle" test "$(k_io_max web)" = "7:0 rbps=5242880"
check "restart recreates a lost group" k_exists idle
check "... with its limits" test "$(k_mem_max idle)" = 67108864
check "... all of them" test "$(k_pids idle)" = 7
check "reconcile logged the drift" grep -q "memory.max had drifted" "$TMP/daemon.log"
check "a frozen group stays frozen" test "$(k_state web)" = FROZEN
check "processes survive the restart" kill -0 "$SLEEPER"
check "... still in their group" k_in web/api "$SLEEPER"
check "the token survives the restart" test "$(cat "$TOKEN_FILE")" = "$TOKEN"
api GET /api/v1/groups/web
check "state after restart" has '"state":"FROZEN"'

# ---- usage now: GET .../stats reads what the kernel counts ----
api POST /api/v1/groups '{"name":"meter","limits":{"memory":{"max":"256M"}}}'
# A held process, attached, then let go: it burns about a second of CPU and touches a
# 64 MiB buffer (dd's block), then ends.
rm -f "$TMP/meter.fifo"; mkfifo "$TMP/meter.fifo"
sh -c "read x <'$TMP/meter.fifo'; dd if=/dev/zero of=/dev/null bs=64M count=1 2>/dev/null
	end=\$((\$(date +%s) + 2)); while [ \$(date +%s) -lt \$end ]; do :; done" &
meter=$!
api POST /api/v1/groups/meter/attach "{\"pid\":$meter}"
echo go >"$TMP/meter.fifo"
wait "$meter"
api GET /api/v1/groups/meter/stats
check "stats answer 200" is 200
json_num() { sed -n "s/.*\"$1\":{[^}]*\"$2\":\([0-9]*\).*/\1/p" <<<"$BODY"; } # json_num SECTION KEY
if [ "$LAYOUT" = v2 ]; then kusage=$(kf meter - cpu.stat | sed -n 's/^usage_usec //p')
else kusage=$(($(kf meter cpuacct cpuacct.usage) / 1000)); fi
usage=$(json_num cpu usage_usec)
check "cpu usage: the burner's second shows (${usage:-none} µs)" test "${usage:-0}" -gt 500000
check "... within 5 % of the kernel's own counter (${kusage:-none} µs)" test "$(( (${usage:-0} - ${kusage:-0}) * 100 / (${kusage:-1} + 1) ))" -le 5 -a "$(( (${kusage:-0} - ${usage:-0}) * 100 / (${kusage:-1} + 1) ))" -le 5
check "user + system add up to about the usage" test "$(( ($(json_num cpu user_usec) + $(json_num cpu system_usec)) * 10 / (${usage:-0} + 1) ))" -ge 8
check "memory peak holds the 64 MiB buffer ($(json_num memory peak) bytes)" test "$(json_num memory peak)" -ge 67108864
check "memory limit is the group's" has '"limit":268435456'
check "io counters are there" has '"io":{"read_bytes":'
only v2 "pressure stall times are there (PSI, per group on v2)" has '"pressure":{"cpu_some_usec":'
check "pids.current: nothing runs now" has '"pids":{"current":0}'
spawn sleep 600
api POST /api/v1/groups/meter/attach "{\"pid\":$LAST_PID}"
api GET /api/v1/groups/meter/stats
check "pids.current counts an attached process" has '"pids":{"current":1}'
check "cli stats prints the same, a value a line" bash -c '"$@" stats meter | grep -qx "pids.current: *1"' _ "$BIN/cgwarden" --socket "$SOCK"
api GET /api/v1/groups/ghost/stats
check "stats of an unknown group are 404" is 404
# /metrics: Prometheus's text format, checked strictly (tests/integration/promcheck.awk).
metrics=$(curl -s --max-time 60 --unix-socket "$SOCK" -D "$TMP/metrics.h" http://localhost/metrics)
check "/metrics answers 200 in the text exposition format 0.0.4" grep -qi '^content-type: text/plain; version=0.0.4' "$TMP/metrics.h"
check "... which passes a strict format check" awk -f "$(dirname "$0")/promcheck.awk" <<<"$metrics"
check "... with the group's CPU seconds as a counter" grep -q '^cgwarden_cpu_usage_seconds_total{group="meter"} [0-9.]*$' <<<"$metrics"
msec=$(sed -n 's/^cgwarden_cpu_usage_seconds_total{group="meter"} \([0-9]*\)\.\([0-9]\{3\}\).*/\1\2/p' <<<"$metrics")
check "... which matches the stats (${msec:-none} ms)" test "$(( ${msec:-0} - ${usage:-0} / 1000 ))" -le 50 -a "$(( ${usage:-0} / 1000 - ${msec:-0} ))" -le 50
check "... the attached task as a gauge" grep -qx 'cgwarden_pids{group="meter"} 1' <<<"$metrics"
check "... the memory limit in bytes" grep -qx 'cgwarden_memory_limit_bytes{group="meter"} 268435456' <<<"$metrics"
check "... and whether each group is frozen" grep -qx 'cgwarden_group_frozen{group="meter"} 0' <<<"$metrics"
only v2 "... and its pressure stall time" grep -q '^cgwarden_pressure_memory_some_seconds_total{group="meter"} ' <<<"$metrics"
api GET /api/v1/stats
check "GET /api/v1/stats has every group, with its usage and state" has '"name":"meter","state":"THAWED"'
# cgwarden top: rates between two reads; a busy loop must lead by CPU.
api POST /api/v1/groups '{"name":"spin"}'
spawn sh -c 'while :; do :; done'
api POST /api/v1/groups/spin/attach "{\"pid\":$LAST_PID}"
top_out=$("$BIN/cgwarden" --socket "$SOCK" top --count 1 --interval 1 --sort cpu)
spin_cpu=$(awk 'NR == 2 && $1 == "spin" {print int($3)}' <<<"$top_out")
check "cgwarden top: the busy group leads, near one CPU (${spin_cpu:-not first} %)" test "${spin_cpu:-0}" -ge 40
check "... and the idle meter group shows 0.0 %" grep -qE '^meter +THAWED +0\.0 ' <<<"$top_out"
"$BIN/cgwarden" --socket "$SOCK" top --sort nothing >/dev/null 2>&1
check "cgwarden top refuses an unknown sort (exit 2)" test $? = 2
api DELETE '/api/v1/groups/spin?force=true'
tcp GET /metrics
check "/metrics over TCP without a token is 401" is 401
tcp GET /metrics "${AUTH[@]}"
check "... and 200 with it" is 200
api DELETE '/api/v1/groups/meter?force=true'

# ---- delete ----
api DELETE /api/v1/groups/idle
check "deleting an empty group is 204" is 204
check "... and removes it from the kernel" k_gone idle
api GET /api/v1/groups/idle
check "... and from the database" is 404
api DELETE /api/v1/groups/api
check "deleting a non-empty group without force is 409" is 409
api DELETE '/api/v1/groups/web?force=true'
check "forced delete of a frozen tree is 204" is 204
check "... removes the children too" k_gone web
sleep 0.2
for p in $BUSY $SLEEPER; do
	check "forced delete ended pid $p" bash -c '! kill -0 $0 2>/dev/null || grep -q "^State:.*Z" /proc/$0/status' "$p"
done
api GET /api/v1/groups
check "nothing is left" has '"groups":[]'
stop_daemon
check "the daemon stops cleanly (no sanitizer report)" test "$DAEMON_STATUS" = 0

finish
