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
bad trace_wakeup_unit "3x" trace --wakeup 3x
bad trace_top_negative "'-1'" trace --top -1
bad trace_max_conns_zero "'0' for --max-conns: must be positive" trace --max-conns 0
bad trace_max_conns_huge "'100000001' for --max-conns: out of range" trace --max-conns 100000001
bad trace_count_overflow "99999999999999999999" trace --count 99999999999999999999

# stress, server, client, monitor: the rows load_errors.sh and
# monitor_cli.sh do not have.
bad stress_conns_zero "'0' for -c" stress -c 0
bad stress_conns_negative "'-1' for -c" stress -c -1
bad stress_conns_overflow "99999999999999999999" stress -c 99999999999999999999
bad stress_conns_huge "10000001" stress -c 10000001
bad stress_duration_zero "'0' for --duration" stress --duration 0
bad stress_duration_negative "'-1' for --duration" stress --duration -1
bad stress_duration_huge "1e30" stress --duration 1e30
bad stress_rate_zero "'0' for --rate" stress --rate 0
bad stress_rate_huge "10000001" stress --rate 10000001
bad stress_count_zero "'0' for --count" stress --mode churn -n 0
bad stress_concurrency_zero "--concurrency" stress --concurrency 0
bad stress_size_huge "'2G' for --size" stress --size 2G
bad stress_threads_zero "--threads" stress --threads 0
bad stress_threads_huge "'257'" stress --threads 257
bad stress_procs_huge "'65'" stress --procs 65
bad stress_poll_tiny "'1ms'" stress --poll-interval 1ms
bad stress_ringbuf_not_pow2 "'3000'" stress --ringbuf-size 3000
bad stress_probe_negative "'-1'" stress --probe-interval -1
bad stress_attach_bogus "kprobe" stress --attach kprobe
bad stress_port_zero "127.0.0.1:0" stress 127.0.0.1:0
bad stress_port_65536 "127.0.0.1:65536" stress 127.0.0.1:65536
bad stress_port_negative "127.0.0.1:-1" stress 127.0.0.1:-1
bad stress_port_abc "127.0.0.1:abc" stress 127.0.0.1:abc
bad stress_source_malformed "'10.0.0'" stress --source 10.0.0
bad stress_source_empty_item "'127.0.0.1,'" stress --source 127.0.0.1,
bad stress_keepidle_zero "'0' for --keepidle" stress --keepidle 0
bad stress_keepcnt_zero "'0' for --keepcnt" stress --keepcnt 0
bad stress_linger_negative "'-1' for --linger" stress --linger -1
bad stress_sndbuf_zero "'0' for --sndbuf" stress --sndbuf 0
bad stress_user_timeout_zero "--user-timeout" stress --user-timeout 0
bad stress_connect_timeout_zero "--connect-timeout" stress --connect-timeout 0
bad stress_timeline_missing "--timeline" stress --timeline
bad stress_extra_arg "extra" stress 127.0.0.1:80 extra
bad stress_rr_size_zero "--size" stress --mode rr --size 0
bad server_port_65536 "65536" server --listen 127.0.0.1:65536
bad server_listen_name "'abc'" server --listen abc
bad server_listen_no_port "127.0.0.1" server --listen 127.0.0.1
bad server_threads_zero "--threads" server --threads 0
bad server_spread_unknown "'rr' for --spread" server --spread rr
bad server_backlog_negative "'-1'" server --backlog -1
bad server_duration_zero "--duration" server --duration 0
bad server_missing_value "--mode" server --mode
bad server_extra_arg "extra" server extra
bad client_port_zero "127.0.0.1:0" client 127.0.0.1:0
bad client_port_65536 "65536" client 127.0.0.1:65536
bad client_port_negative "127.0.0.1:-1" client 127.0.0.1:-1
bad client_port_abc "abc" client 127.0.0.1:abc
bad client_hold_zero "--hold" client 127.0.0.1:80 --hold 0
bad client_connect_timeout_zero "--connect-timeout" client 127.0.0.1:80 --connect-timeout 0
bad client_user_timeout_negative "'-1'" client 127.0.0.1:80 --user-timeout -1
bad client_both_families "-4 and -6" client 127.0.0.1:80 -4 -6
bad client_extra_arg "unexpected argument 'extra'" client 127.0.0.1:80 extra
bad client_v6_unclosed "[::1:80" client '[::1:80'
bad monitor_top_huge "'1001'" monitor --top 1001
bad monitor_interval_negative "'-1'" monitor --interval -1
bad monitor_watch_huge "1e30" monitor --watch 1e30
bad monitor_count_zero "'0' for --count" monitor --watch 1 --count 0
bad monitor_port_zero "'0' for --port" monitor --port 0
bad monitor_port_abc "'abc' for --port" monitor --port abc
bad monitor_extra_arg "extra" monitor extra

# One wording per mistake: the same wrong value, or the same wrong option,
# gives the same line in every command that takes it; exit 2, one line on
# stderr, nothing on stdout. Each row: the line (@ for the command; the
# "(see ...)" tail is added), then one invocation per command.
same() { # NAME WANT INVOCATION...
	local name=$1 want=$2 inv cmd rc exp got
	local -a args
	shift 2
	for inv in "$@"; do
		read -ra args <<<"$inv"
		cmd=${args[0]}
		exp="tcpscope $cmd: ${want//@/$cmd} (see 'tcpscope $cmd --help')"
		"$TCPSCOPE" "${args[@]}" >"$TMP/out" 2>"$TMP/err"
		rc=$?
		got=$(cat "$TMP/err")
		if [ "$rc" -ne 2 ]; then fail "${name}_$cmd" "exit $rc, want 2: $inv"
		elif [ "$(wc -l <"$TMP/err")" -ne 1 ]; then fail "${name}_$cmd" "$(wc -l <"$TMP/err") stderr lines: $got"
		elif [ "$got" != "$exp" ]; then fail "${name}_$cmd" "got '$got', want '$exp'"
		elif [ -s "$TMP/out" ]; then fail "${name}_$cmd" "wrote to stdout"
		else pass "${name}_$cmd"; fi
	done
}
TGT=127.0.0.1:80
same unknown_option "unknown option '--bogus'" \
	"trace --bogus" "stress --bogus" "server --bogus" "client --bogus" "monitor --bogus" \
	"report --bogus" "doctor --bogus"
same unknown_short "unknown option '-z'" \
	"trace -z" "stress -z" "server -z" "client -z" "monitor -z" "report -z" "doctor -z"
same takes_no_value "option '--json' takes no value" \
	"trace --json=1" "stress --json=1" "client $TGT --json=1" "monitor --json=1" "doctor --json=1"
same help_takes_no_value "option '--help' takes no value" \
	"trace --help=1" "stress --help=1" "server --help=1" "client --help=1" "monitor --help=1" \
	"report --help=1" "doctor --help=1"
same needs_value_duration "option '--duration' needs a value" \
	"trace --duration" "stress --duration" "server --duration"
same needs_value_count "option '--count' needs a value" \
	"trace --count" "stress --count" "monitor --count"
same needs_value_port "option '--port' needs a value" "trace --port" "monitor --port"
same needs_value_sockopt "option '--keepidle' needs a value" "stress --keepidle" "client $TGT --keepidle"
same needs_value_short "option '-o' needs a value" "report tl.jsonl -o"
same needs_value_c "option '-c' needs a value" "trace -c" "stress -c"
same unexpected_arg "unexpected argument 'extra'" \
	"trace extra" "stress $TGT extra" "server extra" "client $TGT extra" "monitor extra" \
	"report tl.jsonl extra -o x.html" "doctor extra"
same port_range "bad value '70000' for --port: out of range; expected a port from 1 to 65535" \
	"trace --port 70000" "monitor --port 70000"
same port_zero "bad value '0' for --port: out of range; expected a port from 1 to 65535" \
	"trace --port 0" "monitor --port 0"
same port_word "bad value 'http' for --port: not understood; expected a port from 1 to 65535" \
	"trace --port http" "monitor --port http"
same target_port "bad value '127.0.0.1:70000' for target: port out of range; expected a port from 1 to 65535" \
	"client 127.0.0.1:70000" "stress 127.0.0.1:70000"
same target_port_word "bad value '127.0.0.1:http' for target: port not understood; expected a port from 1 to 65535" \
	"client 127.0.0.1:http" "stress 127.0.0.1:http"
same target_short_addr "bad value '1.2.3:80' for target: address not understood; expected HOST:PORT such as 127.0.0.1:8080, [::1]:8080 or localhost:8080" \
	"client 1.2.3:80" "stress 1.2.3:80"
same target_no_port "bad value '127.0.0.1' for target: not understood; expected HOST:PORT such as 127.0.0.1:8080, [::1]:8080 or localhost:8080" \
	"client 127.0.0.1" "stress 127.0.0.1"
same listen_port "bad value '127.0.0.1:70000' for --listen: port out of range; expected a port from 0 to 65535" \
	"server --listen 127.0.0.1:70000"
D="a duration such as 10s, 500ms or 2m, up to a year"
same duration_negative "bad value '-5' for --duration: must be positive; expected $D" \
	"trace --duration -5" "stress --duration -5" "server --duration -5"
same duration_zero "bad value '0' for --duration: must be positive; expected $D" \
	"trace --duration 0" "stress --duration 0" "server --duration 0"
same duration_word "bad value '10x' for --duration: not understood; expected $D" \
	"trace --duration 10x" "stress --duration 10x" "server --duration 10x"
same duration_huge "bad value '1e30' for --duration: out of range; expected $D" \
	"trace --duration 1e30" "stress --duration 1e30" "server --duration 1e30"
same hold_negative "bad value '-5' for --hold: must be positive; expected $D" "client $TGT --hold -5"
same interval_negative "bad value '-1' for --interval: must not be negative; expected $D, or 0 for none" \
	"monitor --interval -1"
same at_least_10ms "bad value '5ms' for --watch: out of range; expected a duration such as 10s, 500ms or 2m, at least 10ms, up to a year" \
	"monitor --watch 5ms"
same poll_at_least_10ms "bad value '5ms' for --poll-interval: out of range; expected a duration such as 10s, 500ms or 2m, at least 10ms, up to a year" \
	"stress --poll-interval 5ms"
N1="a whole number of 1 or more"
same count_zero "bad value '0' for --count: must be positive; expected $N1" \
	"trace --count 0" "stress --count 0" "monitor --watch 1 --count 0"
same count_negative "bad value '-3' for --count: must be positive; expected $N1" \
	"trace --count -3" "stress --count -3" "monitor --watch 1 --count -3"
same count_word "bad value 'many' for --count: not understood; expected $N1" \
	"trace --count many" "stress --count many" "monitor --watch 1 --count many"
same top_negative "bad value '-1' for --top: must not be negative; expected a whole number from 0 to 1000" \
	"trace --top -1" "monitor --top -1"
same top_huge "bad value '1001' for --top: out of range; expected a whole number from 0 to 1000" \
	"trace --top 1001" "monitor --top 1001"
same threads_zero "bad value '0' for --threads: must be positive; expected a whole number from 1 to 256" \
	"stress --threads 0" "server --threads 0"
NS_WHAT="a name under /run/netns or a path such as /proc/PID/ns/net"
same netns_missing "bad value 'tscli-no-such-ns' for --netns: no such network namespace; expected $NS_WHAT" \
	"trace --netns tscli-no-such-ns" "monitor --netns tscli-no-such-ns"
same netns_not_one "bad value '/dev/null' for --netns: not a network namespace; expected $NS_WHAT" \
	"trace --netns /dev/null" "monitor --netns /dev/null"
same keepidle_zero "bad value '0' for --keepidle: must be positive; expected a whole number from 1 to 32767" \
	"stress --keepidle 0" "client $TGT --keepidle 0"
same linger_negative "bad value '-1' for --linger: must not be negative; expected a whole number from 0 to 65535" \
	"stress --linger -1" "client $TGT --linger -1"
same sndbuf_zero "bad value '0' for --sndbuf: must be positive; expected a size such as 64, 4k or 16M, from 1 to 1G" \
	"stress --sndbuf 0" "client $TGT --sndbuf 0"
same user_timeout_negative "bad value '-1' for --user-timeout: must be positive; expected a duration such as 10s, 500ms or 2m, at least 1ms, up to a year" \
	"stress --user-timeout -1" "client $TGT --user-timeout -1"
same connect_timeout_zero "bad value '0' for --connect-timeout: must be positive; expected a duration such as 10s, 500ms or 2m, at least 1ms, up to a year" \
	"stress --connect-timeout 0" "client $TGT --connect-timeout 0"
same probe_interval_negative "bad value '-1' for --probe-interval: must not be negative; expected milliseconds from 0 to 3600000" \
	"trace --probe-interval -1" "stress --probe-interval -1"
same ringbuf_tiny "bad value '1k' for --ringbuf-size: out of range; expected a power of two from 4k to 1G, such as 16M" \
	"trace --ringbuf-size 1k" "stress --ringbuf-size 1k"
same metrics_port "bad value '127.0.0.1:70000' for --metrics: port out of range; expected a port from 1 to 65535" \
	"trace --metrics 127.0.0.1:70000" "stress --metrics 127.0.0.1:70000"
same metrics_name "bad value 'localhost:9464' for --metrics: not a numeric address; expected a numeric ADDR:PORT such as 127.0.0.1:8080 or [::1]:8080" \
	"trace --metrics localhost:9464" "stress --metrics localhost:9464"
same attach_bogus "bad value 'kprobe' for --attach: not understood; expected auto, tp_btf or raw_tp" \
	"trace --attach kprobe" "stress --attach kprobe"

# Nothing half-written: a bad value anywhere on the line, and no output
# file is created.
bad records_not_created "'0' for --rate" stress --records "$TMP/rec.jsonl" --rate 0
bad timeline_not_created "'0' for -c" stress --timeline "$TMP/tl.jsonl" -c 0
check_eq nothing_half_written "$(ls "$TMP"/rec.jsonl "$TMP"/tl.jsonl 2>/dev/null | wc -l)" 0

# An unresolvable host: no such name is a usage error. In a namespace of
# our own whose name service is /etc/hosts only (ip netns exec mounts
# /etc/netns/NS/ over /etc), so that no lookup leaves the machine.
NS="tscli$$"
ip netns add "$NS" && cleanup_add ip netns del "$NS"
mkdir -p "/etc/netns/$NS" && cleanup_add rm -rf "/etc/netns/$NS"
echo 'hosts: files' >"/etc/netns/$NS/nsswitch.conf"
TCPSCOPE_REAL=$TCPSCOPE
TCPSCOPE="$TMP/in-ns"
printf '#!/bin/sh\nexec ip netns exec %s %s "$@"\n' "$NS" "$TCPSCOPE_REAL" >"$TCPSCOPE"
chmod +x "$TCPSCOPE"
bad stress_unresolvable "cannot resolve 'no-such-host.invalid'" stress no-such-host.invalid:80
bad client_unresolvable "cannot resolve 'no-such-host.invalid'" client no-such-host.invalid:80
TCPSCOPE=$TCPSCOPE_REAL

"$TCPSCOPE" --help > "$TMP/out" 2>&1; check_eq help_exit "$?" 0
"$TCPSCOPE" trace --help > "$TMP/out" 2>&1; check_eq trace_help_exit "$?" 0
grep -q -- '--probe-interval' "$TMP/out" && pass trace_help_lists_options || fail trace_help_lists_options
"$TCPSCOPE" --version | grep -qE '^tcpscope [0-9]+\.[0-9]+' && pass version || fail version
