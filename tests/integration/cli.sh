#!/usr/bin/env bash
# Bad input: exit 2, one line on stderr naming the bad value, nothing on
# stdout, no crash. One row per case: "expected-word<TAB>args...".
. "$(dirname "$0")/../lib.sh"

bad() { # NAME WORD ARGS...: WORD must appear in the one stderr line
	local name=$1 word=$2 rc lines
	shift 2
	"$TCPSCOPE" "$@" > "$TMP/out" 2> "$TMP/err"
	rc=$?
	lines=$(wc -l < "$TMP/err")
	if [ "$rc" -ne 2 ]; then fail "$name" "exit $rc, want 2: $*"
	elif [ "$lines" -ne 1 ]; then fail "$name" "$lines stderr lines, want 1: $(head -c 300 "$TMP/err")"
	elif ! grep -qF -- "$word" "$TMP/err"; then fail "$name" "stderr lacks '$word': $(cat "$TMP/err")"
	elif [ -s "$TMP/out" ]; then fail "$name" "wrote to stdout"
	else pass "$name"; fi
}

bad no_command "no command"
bad unknown_command "frobnicate" frobnicate
bad trace_unknown_option "--bogus" trace --bogus
bad trace_missing_value "--port" trace --port
bad port_zero "'0'" trace --port 0
bad port_65536 "65536" trace --port 65536
bad port_negative "'-1'" trace --port -1
bad port_abc "abc" trace --port abc
bad port_in_list "x" trace --port 80,x
bad port_overflow "99999999999999999999" trace --port 99999999999999999999
bad cidr_malformed "10.0.0/8" trace --addr 10.0.0/8
bad cidr_prefix "/33" trace --addr 10.0.0.0/33
bad cidr_v6_prefix "/129" trace --addr fd00::/129
bad duration_zero "'0'" trace --duration 0
bad duration_negative "-5" trace --duration -5
bad duration_huge "1e30" trace --duration 1e30
bad duration_unit "10x" trace --duration 10x
bad count_zero "--count" trace --count 0
bad count_negative "--count" trace --count -3
bad probe_interval_abc "--probe-interval" trace --probe-interval abc
bad events_bogus "bogus" trace --events state,bogus
bad ringbuf_not_pow2 "--ringbuf-size" trace --ringbuf-size 3000000
bad ringbuf_tiny "--ringbuf-size" trace --ringbuf-size 1
bad attach_bogus "kprobe" trace --attach kprobe
bad netns_missing "no-such-ns" trace --netns no-such-ns
bad family_both "-4" trace -4 -6
bad trace_extra_arg "extra" trace extra
bad doctor_unknown "--nope" doctor --nope

"$TCPSCOPE" --help > "$TMP/out" 2>&1; check_eq help_exit "$?" 0
"$TCPSCOPE" trace --help > "$TMP/out" 2>&1; check_eq trace_help_exit "$?" 0
grep -q -- '--probe-interval' "$TMP/out" && pass trace_help_lists_options || fail trace_help_lists_options
"$TCPSCOPE" --version | grep -qE '^tcpscope [0-9]+\.[0-9]+' && pass version || fail version
