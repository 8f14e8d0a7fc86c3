#!/usr/bin/env bash
# The VM smoke set, for guests with a minimal userland (no bpftrace, no
# python): doctor; trace in the lossy lab against the kernel's RetransSegs;
# stress --trace's TCP_INFO agreement in the lossy lab and both sides of its
# built-in server's connections joined. Runs on the host too (as root).
. "$(dirname "$0")/../lib.sh"
need jq
need nstat
need nft
PORT=29501
SPORT=29502

# doctor: every tracepoint found, both attach modes load.
"$TCPSCOPE" doctor > "$TMP/doctor.out" 2>&1
check_eq doctor/exit "$?" 0
sed 's/^/  /' "$TMP/doctor.out"
for row in btf tracefs ringbuf tp_btf raw_tp load tcp_retransmit_skb inet_sock_set_state; do
	grep -qE "^$row +ok" "$TMP/doctor.out" && pass "doctor/$row" ||
		fail "doctor/$row" "$(grep -E "^$row " "$TMP/doctor.out" || echo 'no row')"
done

lab_up 41
nstat_retrans() { # NS -> TcpRetransSegs
	ip netns exec "$1" nstat -az TcpRetransSegs 2>/dev/null | awk '/TcpRetransSegs/ {print $2}'
}
export NSTAT_HISTORY=$TMP/nstat.hist
# No socket of PORT left in a state that can still retransmit.
settle() {
	local i n
	for i in $(seq 1 150); do
		n=$( (ip netns exec "$NS_A" ss -Htan "( sport = :$1 or dport = :$1 )";
		      ip netns exec "$NS_B" ss -Htan "( sport = :$1 or dport = :$1 )") |
		     grep -cvE '^(LISTEN|TIME-WAIT)')
		[ "$n" -eq 0 ] && return 0
		sleep 0.2
	done
	return 1
}

# trace: 5% loss both ways on PORT; every retransmitted segment of either
# namespace is in tcpscope's events.
"$LAB" loss "$LABNAME" 5 "$PORT"
ip netns exec "$NS_B" "$TCPSCOPE" server --listen "$IP_B:$PORT" --duration 120 \
	> "$TMP/server.out" 2>&1 &
cleanup_add kill $!
wait_for_line "$TMP/server.out" '^listening' || fail setup "server did not start"
"$TCPSCOPE" trace --json --events retransmit --port "$PORT" > "$TMP/trace.jsonl" 2> "$TMP/trace.err" &
TR=$!
cleanup_add kill $TR
sleep "${TRACE_SETTLE:-1.5}" # trace prints nothing once attached
a0=$(nstat_retrans "$NS_A"); b0=$(nstat_retrans "$NS_B")
ip netns exec "$NS_A" "$TCPSCOPE" stress "$IP_B:$PORT" --mode rr -c 8 --size 50000 \
	--duration 4 --json > "$TMP/load.json" 2> "$TMP/load.err"
check_eq trace/load_exit "$?" 0
settle "$PORT" || fail trace/settle "sockets of $PORT still busy"
sleep 0.3
a1=$(nstat_retrans "$NS_A"); b1=$(nstat_retrans "$NS_B")
kill -INT $TR; wait $TR
check_eq trace/exit "$?" 0
summary=$(tail -n 1 "$TMP/trace.jsonl")
events=$(jq -s '[.[] | select(.type=="retransmit")] | length' "$TMP/trace.jsonl")
segs=$(jq -s '[.[] | select(.type=="retransmit" and (.err // 0)==0) | .segs] | add // 0' "$TMP/trace.jsonl")
check_cmp trace/some_retransmits "$events" -gt 10
check_eq trace/lost_zero "$(jq -r .lost <<<"$summary")" 0
check_eq trace/summary_counts_events "$(jq -r .events.retransmit <<<"$summary")" "$events"
check_eq trace/segs_equal_nstat_RetransSegs "$segs" $(( (a1 - a0) + (b1 - b0) ))

# stress --trace: per connection, the segments BPF saw equal TCP_INFO's
# total_retrans (a mismatch only where the kernel counted ahead).
"$LAB" clear "$LABNAME"
"$LAB" loss "$LABNAME" 3 "$PORT"
# Polled every 250 ms, so that every connection has a last TCP_INFO poll
# even where an emulated CPU on a busy host runs the loop late.
ip netns exec "$NS_A" "$TCPSCOPE" stress "$IP_B:$PORT" --mode rr -c 8 --size 4000 --duration 5 \
	--poll-interval 250ms --trace --json > "$TMP/rr.json" 2> "$TMP/rr.err"
check_eq stress/exit "$?" 0
j=$TMP/rr.json
jq -c '.trace.agreement.mismatches[]?' "$j" | sed 's/^/  /'
jq -c '{connections, trace: (.trace | {connections, retransmit_segs, agreement: (.agreement | del(.mismatches, .drifts))})}' \
	"$j" | sed 's/^/  /'
check_eq stress/lost "$(jq -r .trace.lost "$j")" 0
check_cmp stress/retransmits_happened "$(jq -r .trace.retransmit_segs "$j")" -gt 0
check_cmp stress/agreement_covers_connections "$(jq -r .trace.agreement.connections "$j")" -ge 8
mism=$(jq -r .trace.agreement.mismatched "$j")
check_eq stress/mismatches_are_kernel_ahead "$(jq -r .trace.agreement.kernel_ahead "$j")" "$mism"
check_cmp stress/mismatches_rare "$mism" -le 1

# Both ends of the built-in server's connections are ours: each side's
# sockets joined by cookie, every one on a whole path.
"$TCPSCOPE" stress --mode churn -n 100 --size 100 --trace --json > "$TMP/churn.json" 2> "$TMP/churn.err"
check_eq churn/exit "$?" 0
j=$TMP/churn.json
check_eq churn/client_side "$(jq -r .trace.connections.client "$j")" 100
check_eq churn/server_side "$(jq -r .trace.connections.server "$j")" 100
check_eq churn/agreement "$(jq -r .trace.agreement.agreed "$j")" 100
check_eq churn/lost "$(jq -r .trace.lost "$j")" 0
