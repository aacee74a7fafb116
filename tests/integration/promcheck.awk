# A strict check of Prometheus's text exposition format (0.0.4), as /metrics must produce it:
# HELP and TYPE at most once per family and before its samples, every sample typed, a
# family's samples together, names and labels well formed, values numbers or ±Inf/NaN,
# counters named *_total. Prints each violation; exits 1 if there was one.
function bad(msg) { printf "line %d: %s: %s\n", NR, msg, $0; errors++ }
BEGIN { name_re = "^[a-zA-Z_:][a-zA-Z0-9_:]*$"; errors = 0; last = "" }
/^# HELP / {
	if ($3 !~ name_re) bad("bad metric name in HELP")
	if (($3) in help) bad("second HELP for " $3)
	if (($3) in seen) bad("HELP after samples of " $3)
	help[$3] = 1; next
}
/^# TYPE / {
	if (NF != 4) bad("TYPE takes a name and a type")
	if ($4 !~ /^(counter|gauge|histogram|summary|untyped)$/) bad("unknown type " $4)
	if (($3) in type) bad("second TYPE for " $3)
	if (($3) in seen) bad("TYPE after samples of " $3)
	if ($4 == "counter" && $3 !~ /_total$/) bad("a counter's name must end in _total")
	type[$3] = $4; next
}
/^#/ { next }
/^$/ { bad("empty line"); next }
{
	line = $0
	if (!match(line, /^[a-zA-Z_:][a-zA-Z0-9_:]*/)) { bad("no metric name"); next }
	name = substr(line, 1, RLENGTH); rest = substr(line, RLENGTH + 1)
	if (substr(rest, 1, 1) == "{") {
		if (!match(rest, /^\{([a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\[\\"n])*")*)?\}/)) {
			bad("malformed labels"); next
		}
		rest = substr(rest, RLENGTH + 1)
	}
	if (rest !~ /^ ([-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?|[-+]Inf|NaN)( -?[0-9]+)?$/) { bad("malformed value"); next }
	if (!((name) in type)) bad("sample of " name " without a TYPE")
	if (name != last && (name in seen)) bad("samples of " name " are not together")
	seen[name] = 1; last = name; samples++
}
END { if (samples == 0) { print "no samples"; errors++ } exit errors ? 1 : 0 }
