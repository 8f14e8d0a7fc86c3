#!/usr/bin/env bash
# Verdicts of stress --trace against three servers that fail in known
# ways, each in its own namespace on loopback:
# - a closed port: every connection refused (the load engine's own
#   errno count, ECONNREFUSED, is the oracle);
# - a listener with backlog 1 that never accepts: the connections that
#   time out get syn_timeout, and their SYN retransmit counts add up to the
#   namespace's TcpExtTCPSynRetrans (nstat);
# - tcpscope server --mode reset: every connection the load engine saw
#   end in ECONNRESET is reset_by_peer.
# trace, watching the three ports, gives the same counts from the kernel's
# events alone, in JSON and in its text summary's verdict lines.
. "$(dirname "$0")/../lib.sh"
need nstat
need jq
NS="why$$-v"
ip netns add "$NS"
cleanup_add ip netns del "$NS"
ip -n "$NS" link set lo up
in_ns() { ip netns exec "$NS" "$@"; }
export NSTAT_HISTORY=$TMP/nstat.hist

# trace, system-wide on the three ports, judges from the kernel's events
# alone what it saw fail: once in JSON, once in text (its summary's
# verdict lines, each with an example connection).
PORTS="--port 29441 --port 29442 --port 29443"
"$TCPSCOPE" trace $PORTS --json -q > "$TMP/trace.jsonl" 2> "$TMP/trace.err" &
TR=$!
cleanup_add kill $TR
"$TCPSCOPE" trace $PORTS -q > "$TMP/trace.txt" 2> "$TMP/tracet.err" &
TRT=$!
cleanup_add kill $TRT
wait_attached $TR && wait_attached $TRT || { fail setup "the tracers did not attach"; exit 0; }

# Closed port.
in_ns "$TCPSCOPE" stress 127.0.0.1:29441 --mode churn -n 20 --concurrency 5 --trace --json \
	--timeline "$TMP/refused.jsonl" --records "$TMP/refused.rec" > "$TMP/refused.json" 2> "$TMP/refused.err"
check_eq refused/econnrefused "$(jq '.errors.ECONNREFUSED // 0' "$TMP/refused.json")" 20
check_eq refused/verdicts "$(jq -c '.trace.verdicts | with_entries(select(.value > 0))' "$TMP/refused.json")" \
	'{"refused":20}'
check_eq refused/timeline_lines "$(jq -s '[.[] | select(.type=="why" and .verdict=="refused")] | length' \
	"$TMP/refused.jsonl")" 20
# --records: one line per attempt, each with the load engine's own errno
# and the verdict beside it.
check_eq refused/records_refused "$(jq -s '[.[] | select(.error=="ECONNREFUSED" and .verdict=="refused")] | length' \
	"$TMP/refused.rec")" 20
check_eq refused/records_lines "$(wc -l < "$TMP/refused.rec")" 20
check_cmp refused/text_example "$(in_ns "$TCPSCOPE" stress 127.0.0.1:29441 --mode churn -n 3 --trace 2>&1 |
	grep -c '^verdict refused: 3 connections, e.g. 127\.0\.0\.[0-9]*:[0-9]* > 127\.0\.0\.1:29441$')" -eq 1

# Backlog 1, never accepting: two connections fit (the accept queue holds
# backlog + 1); the others' SYNs are dropped until connect() gives up.
in_ns python3 -c '
import socket, sys, time
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 29442)); s.listen(1); print("listening", flush=True); time.sleep(30)' \
	> "$TMP/bl.out" &
cleanup_add kill $!
wait_for_line "$TMP/bl.out" '^listening' || { fail backlog/setup "listener did not start"; exit 0; }
in_ns nstat -n
in_ns "$TCPSCOPE" stress 127.0.0.1:29442 --mode hold -c 6 --duration 1s --connect-timeout 4s \
	--source 127.0.0.1 --trace --json --timeline "$TMP/bl.jsonl" --records "$TMP/bl.rec" \
	> "$TMP/bl.json" 2> "$TMP/bl.err"
synretrans=$(in_ns nstat -az TcpExtTCPSynRetrans | awk '/TcpExtTCPSynRetrans/ {print $2}')
nto=$(jq -s '[.[] | select(.type=="why" and .verdict=="syn_timeout")] | length' "$TMP/bl.jsonl")
check_cmp backlog/some_syn_timeouts "$nto" -ge 3
check_eq backlog/failed_are_syn_timeouts "$nto" "$(jq .connections.failed "$TMP/bl.json")"
check_eq backlog/json_count "$(jq .trace.verdicts.syn_timeout "$TMP/bl.json")" "$nto"
check_eq backlog/each_states_its_syn_retransmits \
	"$(jq -s '[.[] | select(.type=="why" and .verdict=="syn_timeout" and .syn_retransmits < 1)] | length' "$TMP/bl.jsonl")" 0
# At most the namespace's count: it also has the SYN-ACKs the listener
# retransmits for handshakes its full accept queue turned back, and the
# SYN retransmits of connects that got in after all (a CI run: 9 against
# 11). trace's total, below, is the exact check.
check_cmp backlog/syn_retransmits_within_nstat \
	"$(jq -s '[.[] | select(.type=="why" and .verdict=="syn_timeout") | .syn_retransmits] | add // 0' "$TMP/bl.jsonl")" \
	-le "$synretrans"

# The records say the same per cookie as the timeline's why lines, and
# each timed-out connect() (ETIMEDOUT, the load engine's own account) is a
# syn_timeout.
check_eq backlog/records_match_timeline \
	"$(jq -c 'select(.verdict=="syn_timeout") | [.cookie, .syn_retransmits]' "$TMP/bl.rec" | sort)" \
	"$(jq -c 'select(.type=="why" and .verdict=="syn_timeout") | [.cookie, .syn_retransmits]' "$TMP/bl.jsonl" | sort)"
check_eq backlog/records_etimedout_syn_timeout \
	"$(jq -s '[.[] | select(.error=="ETIMEDOUT" and .verdict!="syn_timeout")] | length' "$TMP/bl.rec")" 0
check_eq backlog/records_others_normal \
	"$(jq -s '[.[] | select(.error==null and .verdict!="")] | length' "$TMP/bl.rec")" 0

# The reset server.
in_ns "$TCPSCOPE" server --listen 127.0.0.1:29443 --mode reset --threads 1 --duration 20s \
	> "$TMP/rs.out" 2>&1 &
cleanup_add kill $!
wait_for_line "$TMP/rs.out" '29443' || { fail reset/setup "server did not start"; exit 0; }
in_ns "$TCPSCOPE" stress 127.0.0.1:29443 --mode churn -n 20 --concurrency 4 --size 16 --trace --json \
	--timeline "$TMP/rs.jsonl" --records "$TMP/rs.rec" > "$TMP/rs.json" 2> "$TMP/rs.err"
nrst=$(jq -s '[.[] | select(.type=="why" and .verdict=="reset_by_peer")] | length' "$TMP/rs.jsonl")
check_cmp reset/some "$nrst" -ge 1
# The load engine's own account: each connection ended in ECONNRESET.
check_eq reset/every_econnreset_reset_by_peer "$nrst" "$(jq '.errors.ECONNRESET // 0' "$TMP/rs.json")"
check_eq reset/no_other_verdict \
	"$(jq -c '.trace.verdicts | with_entries(select(.value > 0 and .key != "reset_by_peer"))' "$TMP/rs.json")" '{}'
check_eq reset/records_econnreset "$(jq -s '[.[] | select(.error=="ECONNRESET" and .verdict=="reset_by_peer")] | length' \
	"$TMP/rs.rec")" "$(jq '.errors.ECONNRESET // 0' "$TMP/rs.json")"
check_eq reset/lost_zero "$(jq .trace.lost "$TMP/rs.json")" 0

kill -INT $TR; wait $TR
check_eq trace/exit_status "$?" 0
kill -INT $TRT; wait $TRT
check_eq trace/text_exit_status "$?" 0
ts=$(tail -n 1 "$TMP/trace.jsonl")
tv=$(jq -c .verdicts <<<"$ts")
# 20 + 3 refused connects to the closed port; the backlog's timed-out
# connects syn_timeout; the reset server's clients reset_by_peer, its own
# sockets closed with SO_LINGER 0 aborted.
check_eq trace/refused "$(jq .refused <<<"$tv")" 23
check_eq trace/syn_timeout "$(jq .syn_timeout <<<"$tv")" "$(jq '.errors.ETIMEDOUT // 0' "$TMP/bl.json")"
# At least the clients' ECONNRESETs: trace sees both ends of port 29443,
# and a server socket may take a reset too (a CI rerun: 21 against 20,
# with retransmits in that case), which stress --trace, following its own
# clients, checks exactly above.
check_cmp trace/reset_by_peer "$(jq .reset_by_peer <<<"$tv")" -ge "$(jq '.errors.ECONNRESET // 0' "$TMP/rs.json")"
# Only the backlog case retransmitted SYNs (loopback loses nothing else):
# the namespace's TcpExtTCPSynRetrans over it.
# Equal in every run but one of a CI run (10 against 12). The kernel can
# run no program for a hit (docs/kernels.md, unrun_counted): at most the
# namespace's count, and short of it by no more than the retransmit hits
# tcpscope reports unrun.
echo "  trace: retransmits $(jq -c .retransmits <<<"$ts"); TcpExtTCPSynRetrans $synretrans;" \
	"unrun $(jq -c .unrun_by_type <<<"$ts")"
check_cmp trace/syn_retransmits_within_nstat "$(jq .retransmits.syn <<<"$ts")" -le "$synretrans"
check_cmp trace/syn_retransmits_some "$(jq .retransmits.syn <<<"$ts")" -gt 0
check_cmp trace/syn_retransmits_short_only_by_unrun \
	"$(jq '.retransmits.syn + .unrun_by_type.retransmit' <<<"$ts")" -ge "$synretrans"
check_eq trace/lost_zero "$(jq .lost <<<"$ts")" 0

# The text summary: a line per verdict, its count the load engine's errno
# count, its example one of the connections the load engine saw fail so:
# the stress run's --timeline has the kernel's ports (the load engine
# knows no local port of a connect that failed) and the load engine's
# errno per cookie. A syn_timeout's SYN retransmits are that connection's.
# The example connection's cookies in TIMELINE: its -> CLOSE from its
# local port (a port may come back in a run), earliest first.
example_cookies() { # LINE TIMELINE
	local port
	port=$(sed -E 's/.*e\.g\. [0-9.]+:([0-9]+) > .*/\1/' <<<"$1")
	jq -s -r --argjson p "${port:-0}" '[.[] | select(.type=="state" and .new=="CLOSE" and .sport==$p)] |
		sort_by(.ts_ns) | .[].cookie' "$2"
}
text_verdict() { # VERDICT PORT COUNT TIMELINE ERRNO
	local line cookies
	line=$(grep "^verdict $1: " "$TMP/trace.txt")
	echo "  $line"
	check_eq "trace_text/$1_line" \
		"$(grep -cE "^verdict $1: $3 connections, e\.g\. 127\.0\.0\.[0-9]+:[0-9]+ > 127\.0\.0\.1:$2( |\$)" <<<"$line")" 1
	[ -n "$5" ] || return 0
	cookies=$(example_cookies "$line" "$4" | jq -s -c .)
	check_eq "trace_text/$1_example_failed_so" \
		"$(jq -s -r --argjson c "$cookies" '[.[] | select(.type=="close" and (.cookie | IN($c[]))) | .err] |
			unique | join(",")' "$4")" "$5"
}
text_verdict refused 29441 23 "$TMP/refused.jsonl" ECONNREFUSED
text_verdict syn_timeout 29442 "$(jq '.errors.ETIMEDOUT // 0' "$TMP/bl.json")" "$TMP/bl.jsonl" ETIMEDOUT
# reset_by_peer: the line's count is trace's own (checked against the
# load engine above); its example may be either end, so no errno check.
rbp_line=$(grep '^verdict reset_by_peer: ' "$TMP/trace.txt")
echo "  $rbp_line"
check_eq trace_text/reset_by_peer_line "$(grep -cE "^verdict reset_by_peer: $(jq .reset_by_peer <<<"$tv") connections, e\.g\. 127\.0\.0\.[0-9]+:[0-9]+ > 127\.0\.0\.[0-9]+:[0-9]+( |\$)" <<<"$rbp_line")" 1
check_eq trace_text/reset_by_peer_example_port "$(grep -cE ":29443( |\$)" <<<"${rbp_line//> /
}")" 1
line=$(grep '^verdict syn_timeout: ' "$TMP/trace.txt")
first=$(example_cookies "$line" "$TMP/bl.jsonl" | head -n 1)
check_eq trace_text/syn_timeout_example_retransmits "$(grep -oE 'after [0-9]+ SYN retransmits$' <<<"$line")" \
	"after $(jq -r --argjson c "${first:-0}" 'select(.type=="why" and .cookie==$c) | .syn_retransmits' \
		"$TMP/bl.jsonl") SYN retransmits"

# A clean run without data (the built-in server, FIN close): the kernel
# still frees segments as drops at teardown (a FIN left in a closed
# socket's queue, a FIN|ACK a TIME_WAIT socket answers). The load engine
# sent no byte, so none of them carried data: control only, and said so;
# no connection gets a failure verdict for them.
in_ns "$TCPSCOPE" stress --mode churn -n 100 --trace --json > "$TMP/clean.json" 2> "$TMP/clean.err"
check_eq clean/no_bytes_sent "$(jq .bytes.sent "$TMP/clean.json")" 0
check_eq clean/drops_without_data "$(jq .trace.drops.carried.with_data "$TMP/clean.json")" 0
check_eq clean/drops_all_control "$(jq '.trace.drops.carried | .syn + .rst + .fin + .ack' "$TMP/clean.json")" \
	"$(jq .trace.drops.total "$TMP/clean.json")"
check_eq clean/no_failure_verdict "$(jq -c '.trace.verdicts | with_entries(select(.value > 0))' "$TMP/clean.json")" \
	'{}'
check_eq clean/established "$(jq .connections.established "$TMP/clean.json")" 100
