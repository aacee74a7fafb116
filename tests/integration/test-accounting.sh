#!/usr/bin/env bash
# Accounting with real load: usage history against the kernel's own counters, memory held
# by a process, throttling, an OOM kill seen as it happens, a deleted group in the report
# and the ledger, the SSE stream in order and resumed, the CLI, and bad queries refused.
# The same checks run on both layouts and with both drivers (tests/run-all.sh).
. "$(dirname "$0")/lib.sh"
CLI=("$BIN/cgwarden" --socket "$SOCK")

# sum KEY: the sum of every "KEY":N in the body (a counter's increases over the points).
sum() { grep -o "\"$1\":[0-9]*" <<<"$BODY" | cut -d: -f2 | awk '{s += $1} END {print s + 0}'; }
# gmax SECTION KEY: the largest max of a gauge over the points.
gmax() { grep -o "\"$1\":{[^}]*\"$2\":{\"min\":[0-9]*,\"avg\":[0-9]*,\"max\":[0-9]*" <<<"$BODY" | sed 's/.*"max"://' | sort -n | tail -n 1; }
gmax1() { grep -o "\"$1\":{\"min\":[0-9]*,\"avg\":[0-9]*,\"max\":[0-9]*" <<<"$BODY" | sed 's/.*"max"://' | sort -n | tail -n 1; }
# within PCT A B: A is within PCT % of B
within() { awk -v p="$1" -v a="$2" -v b="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(b > 0 && d * 100 <= p * b) }'; }
k_cpu_usec() { if [ "$LAYOUT" = v2 ]; then kf "$1" - cpu.stat | sed -n 's/^usage_usec //p'; else echo $(($(kf "$1" cpuacct cpuacct.usage) / 1000)); fi; }
BURN='end=$(($(date +%s) + 2)); while [ $(date +%s) -lt $end ]; do :; done'

start_daemon --interval 1s || exit 1

# ---- a CPU burner: its CPU seconds as the kernel counts them ----
api POST /api/v1/groups '{"name":"burn"}'
check "a group to burn CPU in" is 201
run burn "{\"argv\":[\"sh\",\"-c\",\"$BURN\"],\"namespaces\":[\"mount\"]}"
wait_end burn "$ID"
# The kernel's counter once it stops moving: the shim and init still run a moment after the
# command's end, and a removed scope's time reaches the slice with the next flush.
settled() { local a b i; a=$("$@"); for i in $(seq 10); do sleep 0.5; b=$("$@"); [ "$a" = "$b" ] && break; a=$b; done; echo "$b"; }
kcpu=$(settled k_cpu_usec burn)
sleep 2.5 # two sweeps after the end
api GET "/api/v1/groups/burn/usage?from=-10m&step=1s"
check "usage answers 200" is 200
check "... from the raw tier for a short range, with the step asked for" has '"step_seconds":1,"tier":"raw"'
ucpu=$(sum usage_usec)
check "CPU time of the burner shows in the history (${ucpu} µs)" test "${ucpu:-0}" -gt 1000000
check "... within 5 % of the kernel's own counter (${kcpu:-none} µs)" within 5 "${ucpu:-0}" "${kcpu:-0}"
check "... and as cores per step" has '"cores":'
api GET "/api/v1/groups/burn/usage?from=-10m&step=1m"
check "a coarser step sums the same increases" within 1 "$(sum usage_usec)" "${ucpu:-0}"

# ---- drift: a limit written behind the daemon's back is put back within a sweep ----
api POST /api/v1/groups '{"name":"drift","limits":{"memory":{"max":"64M"},"pids":{"max":20}}}'
check "a group whose limits a tenant will lift" is 201
# Whether the kernel took both writes is their exit status: reading the files back would race
# the daemon's own check, which may put them back at any moment (seen in the VM). That the
# daemon saw both lifted is shown by the drift event naming both keys below.
lift() {
	if [ "$LAYOUT" = v2 ]; then k_set_mem_max drift max; else k_set_mem_max drift -1; fi &&
		echo max >"$(gdir drift pids)/pids.max"
}
mem_back() { test "$(k_mem_max drift)" = 67108864; }
pids_back() { test "$(k_pids drift)" = 20; }
check "the kernel took both lifts (memory and pids unlimited)" lift
# (at --interval 1s limits are compared every 10 s: ACCT_DRIFT_PERIOD_USEC)
check "a lifted memory limit is back within the drift period (10 s)" poll 12 mem_back
check "... pids.max too" poll 2 pids_back
drift_event() { api GET "/api/v1/events?group=drift&type=drift"; has '"type":"drift","group":"drift","details":{"keys":["memory.max","pids.max"]}'; }
check "... recorded as a drift event naming both" poll 4 drift_event
api DELETE /api/v1/groups/drift

# ---- memory: a process holds 64 MiB for three seconds (dd blocked on a full pipe) ----
api POST /api/v1/groups '{"name":"mem"}'
run mem '{"argv":["sh","-c","dd if=/dev/zero bs=64M count=1 2>/dev/null | sleep 3"],"namespaces":["mount"]}'
wait_end mem "$ID"
sleep 1.5
api GET "/api/v1/groups/mem/usage?from=-5m&step=1s"
mmax=$(gmax1 usage)
check "memory usage shows the 64 MiB held (${mmax:-none} bytes)" test "${mmax:-0}" -ge 67108864
check "... and so does the peak ($(gmax1 peak) bytes)" test "$(gmax1 peak)" -ge 67108864
check "... and the tasks that held it" test "$(gmax pids current)" -ge 2

# ---- throttling: a busy loop limited to a fifth of a CPU ----
api POST /api/v1/groups '{"name":"thr","limits":{"cpu":{"max":0.2}}}'
run thr "{\"argv\":[\"sh\",\"-c\",\"$BURN\"],\"namespaces\":[\"mount\"]}"
wait_end thr "$ID"
sleep 1.5
api GET "/api/v1/groups/thr/usage?from=-5m"
check "throttled time is recorded ($(sum throttled_usec) µs)" test "$(sum throttled_usec)" -gt 100000
api GET "/api/v1/events?group=thr&type=throttled"
check "... and a throttled event with its ratio" has '"type":"throttled","group":"thr","details":{"ratio":'
api GET "/api/v1/events?group=thr"
# Oldest first: the create before anything, the start before the exit (a sweep may record
# a throttled event between the exec and the start's own record).
check "the events of a group, oldest first: create first, the start before the exit" bash -c 't=$(grep -o "\"type\":\"[a-z_]*\"" <<<"$1" | cut -d\" -f4 | paste -sd,); [[ $t == group_create,* && $t == *process_start*process_exit* ]]' _ "$BODY"
check "... the exit with the CPU the process tree used" has '"type":"process_exit","group":"thr","details":{"id":'

# ---- the event stream: in order, with ids, resumable; usage every sweep ----
curl -s -N --max-time 5 --unix-socket "$SOCK" http://localhost/api/v1/events/stream >"$TMP/sse" 2>/dev/null &
sse=$!
sleep 1
api POST /api/v1/groups/thr/freeze
api POST /api/v1/groups/thr/thaw
api PATCH /api/v1/groups/thr/limits '{"cpu":{"max":null}}'
wait "$sse"
types=$(sed -n 's/^event: \(freeze\|thaw\|limits\)$/\1/p' "$TMP/sse" | paste -sd,)
check "the stream delivers freeze, thaw and limits in order ($types)" test "$types" = "freeze,thaw,limits"
check "... each with an increasing id" bash -c 'grep "^id: " "$1" | cut -d" " -f2 | sort -nc' _ "$TMP/sse"
check "... and the events' JSON" grep -q '^data: {"id":[0-9]*,"time":"[-0-9T:]*Z","type":"freeze","group":"thr","details":{}}$' "$TMP/sse"
check "... and each sweep's usage" grep -q '^data: {"time":.*"groups":\[.*{"name":"burn",' "$TMP/sse"
fid=$(grep -B1 '^event: freeze$' "$TMP/sse" | sed -n 's/^id: //p')
curl -s -N --max-time 2 --unix-socket "$SOCK" -H "Last-Event-ID: ${fid:-0}" "http://localhost/api/v1/events/stream?group=thr" >"$TMP/sse2" 2>/dev/null
check "resumed after the freeze (id ${fid:-none}), the stream goes on with the thaw" test "$(sed -n 's/^event: \(freeze\|thaw\|limits\)$/\1/p' "$TMP/sse2" | paste -sd,)" = "thaw,limits"
# Freeze events exist by now: a stream that replayed from the start would send them.
curl -s -N --max-time 2 --unix-socket "$SOCK" "http://localhost/api/v1/events/stream?type=freeze" >"$TMP/sse3" 2>/dev/null
check "a new stream without Last-Event-ID starts with what comes next" bash -c 'grep -q "^: cgwarden events" "$1" && ! grep -q "^id: " "$1"' _ "$TMP/sse3"
curl -s -N --max-time 2 --unix-socket "$SOCK" "http://localhost/api/v1/events/stream?type=freeze&last_event_id=0" >"$TMP/sse4" 2>/dev/null
check "... and one from last_event_id=0 replays the freeze" grep -q "^event: freeze$" "$TMP/sse4"

# ---- the CLI ----
check "cgwarden usage prints the history, the burner's CPU in it" bash -c '"$@" usage burn --since 10m --step 1m | awk "NR == 1 && /^TIME *CPU%/ {h = 1} NR > 1 && \$2 > 0 {busy = 1} END {exit !(h && busy)}"' _ "${CLI[@]}"
check "cgwarden events lists a group's events" bash -c '"$@" events --group thr --type freeze | grep -q " freeze  *thr "' _ "${CLI[@]}"
timeout 5 "${CLI[@]}" events --follow --group thr >"$TMP/follow" 2>&1 &
follow=$!
sleep 1
api POST /api/v1/groups/thr/freeze
api POST /api/v1/groups/thr/thaw
sleep 1
kill "$follow" 2>/dev/null
wait "$follow" 2>/dev/null
check "cgwarden events --follow prints events as they come" bash -c 'grep -c " \(freeze\|thaw\)  *thr " "$1" | grep -qx 2' _ "$TMP/follow"

# ---- a restart with a long interval: an OOM kill is seen when it happens ----
stop_daemon
start_daemon --interval 60s || exit 1
api GET "/api/v1/groups/burn/usage?from=-10m"
check "the history survives a restart" within 1 "$(sum usage_usec)" "${ucpu:-0}"
api POST /api/v1/groups '{"name":"oom","limits":{"memory":{"max":"32M","swap_max":0}}}'
[ "$STATUS" = 201 ] || api POST /api/v1/groups '{"name":"oom","limits":{"memory":{"max":"32M"}}}'
sleep 0.5 # the sampler takes the new group in at once, not at its next sweep
run oom '{"argv":["dd","if=/dev/zero","of=/dev/null","bs=128M","count=1"],"namespaces":["mount"]}'
wait_end oom "$ID"
oom_event() { api GET "/api/v1/events?group=oom&type=oom"; has '"type":"oom","group":"oom","details":{"kills":'; }
check "an OOM kill is an event within 5 s, though the next sweep is a minute away" poll 5 oom_event
api GET "/api/v1/ledger?group=oom"
check "... the killed process has its ledger row" has '"kind":"process","group":"oom"'
check "... which says how it ended" has '"detail":{"state":"killed","exit_code":-1,"signal":9}'

# ---- deleted groups stay in the report and the ledger ----
api DELETE "/api/v1/groups/burn"
check "the burner's group is deleted" is 204
api DELETE "/api/v1/groups/oom?force=true"
api GET "/api/v1/ledger?group=burn"
check "the deleted group has its ledger row" has '"kind":"group","group":"burn"'
lcpu=$(sed -n 's/.*"kind":"group","group":"burn".*"cpu_usec":\([0-9]*\).*/\1/p' <<<"$BODY")
check "... with its CPU time (${lcpu:-none} µs)" within 5 "${lcpu:-0}" "${kcpu:-0}"
api GET "/api/v1/ledger?group=oom"
# v1 counts a kill in the victim's own memcg only; under systemd that is the process's scope,
# which systemd removes when the process ends, count and all.
if [ "$DRIVER" = systemd ] && [ "$LAYOUT" = v1 ]; then
	skip "... and the OOM kill is in the group's totals" "v1 counts it in the process's scope, gone with it"
else
	check "... and the OOM kill is in the group's totals" grep -q '"kind":"group","group":"oom".*"oom_kills":[1-9]' <<<"$BODY"
fi
api GET "/api/v1/reports/usage?from=-1h"
check "the report has the deleted group, marked deleted" has '"group":"burn","period":null,"deleted_at":"2'
rcpu=$(sed -n 's/.*"group":"burn"[^}]*"cpu_seconds":\([0-9.]*\).*/\1/p' <<<"$BODY")
check "... with its CPU seconds (${rcpu:-none} s)" within 5 "$(awk -v s="${rcpu:-0}" 'BEGIN {printf "%d", s * 1e6}')" "${kcpu:-0}"
check "... and the live groups" has '"group":"thr","period":null,"deleted_at":null'
api GET "/api/v1/reports/usage?from=-1h&by=day&group=burn"
check "a report by day for one group" has '"by":"day","rows":[{"group":"burn","period":"'
api GET "/api/v1/reports/usage?from=-1h&group=thr,burn,ghost"
check "a report for a list of groups has those groups, the deleted one too" \
	bash -c 'grep -q "\"rows\":\[{\"group\":\"burn\",[^]]*},{\"group\":\"thr\",[^]]*}\]}$" <<<"$1"' _ "$BODY"
api GET "/api/v1/reports/usage?from=-1h&group=thr,burn&format=csv"
check "... and as CSV: the header and two rows" bash -c '[ "$(grep -c . <<<"$1")" = 3 ] && grep -q "^burn," <<<"$1" && grep -q "^thr," <<<"$1"' _ "$BODY"
csv=$("${CLI[@]}" report --since 1h --format csv)
check "cgwarden report --format csv has a header and the deleted group" bash -c 'head -n 1 <<<"$1" | grep -q "^group,period,deleted_at,cpu_seconds," && grep -q "^burn,,20" <<<"$1"' _ "$csv"
check "cgwarden report prints a table" bash -c '"$@" report --since 1h | grep -q "^burn .* 20[0-9-]*T"' _ "${CLI[@]}"
curl -s --max-time 60 --unix-socket "$SOCK" -D "$TMP/csv.h" -o /dev/null "http://localhost/api/v1/reports/usage?format=csv"
check "... served as text/csv, as a download" grep -qi '^content-disposition: attachment' "$TMP/csv.h"
api GET "/api/v1/groups/burn/usage?from=-10m"
check "a deleted group's history is still there" within 5 "$(sum usage_usec)" "${kcpu:-0}"

# ---- bad queries change nothing and say which field ----
bad() { # bad "name" STATUS FIELD PATH
	api GET "$4"
	check "$1 is $2 (field $3)" bash -c '[ "$1" = "$2" ] && grep -q "^{\"error\":{\"code\":\"[a-z_]*\",\"message\":\"[^\"]*\",\"field\":$3}}$" <<<"$4"' _ "$STATUS" "$2" "$3" "$BODY"
}
bad "from=yesterday" 400 '"from"' "/api/v1/groups/thr/usage?from=yesterday"
bad "from after to" 400 '"from"' "/api/v1/groups/thr/usage?from=now&to=-1h"
bad "step=0s" 400 '"step"' "/api/v1/groups/thr/usage?step=0s"
bad "a step of a year" 400 '"step"' "/api/v1/groups/thr/usage?step=1y"
bad "usage of a group never seen" 404 null "/api/v1/groups/ghost/usage"
bad "by=year" 400 '"by"' "/api/v1/reports/usage?by=year"
bad "format=xml" 400 '"format"' "/api/v1/reports/usage?format=xml"
bad "group=../x" 400 '"group"' "/api/v1/reports/usage?group=..%2Fx"
bad "a list with a bad name" 400 '"group"' "/api/v1/reports/usage?group=thr,..%2Fx"
bad "a list with an empty name" 400 '"group"' "/api/v1/reports/usage?group=thr,,burn"
api GET "/api/v1/reports/usage?group=$(for i in $(seq 256); do printf 'g%d,' "$i"; done)"
check "a list of 256 groups is taken" is 200
bad "a list of 257 groups" 400 '"group"' "/api/v1/reports/usage?group=$(for i in $(seq 257); do printf 'g%d,' "$i"; done)"
bad "type=nope" 400 '"type"' "/api/v1/events?type=nope"
bad "limit=99999" 400 '"limit"' "/api/v1/events?limit=99999"
bad "since=-1x" 400 '"since"' "/api/v1/events?since=-1x"
out=$(curl -s --max-time 5 --unix-socket "$SOCK" -w '\n%{http_code}' -H 'Last-Event-ID: 1; DROP' http://localhost/api/v1/events/stream)
check "a Last-Event-ID that is not an id is 400" test "${out##*$'\n'}" = 400
check "cgwarden report --by year is a usage error" bash -c '"$@" report --by year; [ $? = 2 ]' _ "${CLI[@]}"
check "cgwarden usage of a bad name is a usage error" bash -c '"$@" usage "Bad/Name"; [ $? = 2 ]' _ "${CLI[@]}"
check "cgwarden events --since nonsense is a usage error" bash -c '"$@" events --since soon; [ $? = 2 ]' _ "${CLI[@]}"
tcp GET /api/v1/events
check "events over TCP need the token" is 401

echo "$PASS passed, $FAIL failed, $SKIP skipped"
[ "$FAIL" = 0 ]
