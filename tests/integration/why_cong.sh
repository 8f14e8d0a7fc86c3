#!/usr/bin/env bash
# The congestion timeline (cong events, tcp:tcp_cong_state_set) against
# oracles that do not come from tcpscope.
# 1. A blackholed peer: after the handshake an nftables rule with its own
#    counters drops everything the client sends. The first retransmit is
#    the tail loss probe (kind tlp, ca_state Open; TcpExtTCPLossProbes says
#    one), then only RTOs; the first RTO sets Loss (Open -> Loss), every
#    later one sets Loss again, so the Loss settings equal the socket's own
#    TCP_INFO tcpi_retransmits and the namespace's TcpExtTCPTimeouts; the
#    socket's tcpi_ca_state is Loss; the Loss interval runs from the first
#    RTO to the close, and stress --trace's summary has it.
# 2. A lossy run (stress --trace, 4% of the client's segments dropped):
#    Recovery is set as often as the client namespace counts
#    TcpExtTCPSackRecovery + TcpExtTCPRenoRecovery (tcp_enter_recovery
#    counts one and sets Recovery), and Loss as TcpExtTCPTimeouts, short
#    only by the holes the run itself shows (see below); the time-in-state
#    distributions have one sample per interval.
# Kernels without the tracepoint (doctor's congestion_timeline) must say
# so in doctor and in the summary, and send no cong events.
. "$(dirname "$0")/../lib.sh"
need nstat
need jq
need python3
export NSTAT_HISTORY=$TMP/nstat.hist
LABNAME="cong$$"
"$LAB" up "$LABNAME" 171
cleanup_add "$LAB" down "$LABNAME"
NS_A="$LABNAME-a"; NS_B="$LABNAME-b"; IP_B=10.231.171.2
# A client namespace counter's delta since the last `nstat -n` (this run's
# history file).
counter() { ip netns exec "$NS_A" nstat -sz "$1" | awk -v k="$1" '$1 == k { print $2 }'; }

if ! kernel_has congestion_timeline; then
	# The expected gap: no cong events at all, and the summary says why.
	check_eq no_tracepoint/doctor_names_it "${KERNEL_SAYS%%:*}" congestion_timeline
	ip netns exec "$NS_A" "$TCPSCOPE" stress 127.0.0.1:1 -c 1 -n 1 --trace --json \
		> "$TMP/none.json" 2>/dev/null
	check_eq no_tracepoint/summary_says_untraced "$(jq .trace.congestion.traced "$TMP/none.json")" false
	check_eq no_tracepoint/no_cong_events "$(jq .trace.events.cong "$TMP/none.json")" 0
	exit 0
fi

# ---- 1. the blackhole ----
PORT=29471
ip netns exec "$NS_B" nft add table inet cong
ip netns exec "$NS_B" nft add chain inet cong in '{ type filter hook input priority 0; }'
# Data segments (longer than any bare header) apart from the rest, so the
# data counter is exact: the first transmission plus each retransmitted
# segment.
ip netns exec "$NS_B" nft add rule inet cong in tcp dport "$PORT" tcp flags "&" syn == 0 \
	meta length gt 200 counter drop
ip netns exec "$NS_B" nft add rule inet cong in tcp dport "$PORT" tcp flags "&" syn == 0 counter drop
ip netns exec "$NS_B" python3 "$TOP/tests/helpers/tcpload.py" server "$IP_B" "$PORT" --seconds 30 \
	> "$TMP/server.out" &
cleanup_add kill $!
wait_for_line "$TMP/server.out" '^listening' || { fail setup "server did not start"; exit 0; }

"$TCPSCOPE" trace --json --events retransmit,state,cong --port "$PORT" > "$TMP/trace.jsonl" \
	2> "$TMP/trace.err" &
TR=$!
cleanup_add kill $TR
wait_attached $TR
ip netns exec "$NS_A" nstat -n
# The client: 1000 bytes (one segment), then through the probe and three
# RTOs (0.2 s minimum RTO, doubling), TCP_INFO with its CLOCK_MONOTONIC
# time, and a reset close (SO_LINGER 0) so that nothing more is sent.
ip netns exec "$NS_A" python3 - "$IP_B" "$PORT" > "$TMP/client.out" <<'PY'
import json, socket, struct, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
ck = struct.unpack("Q", s.getsockopt(socket.SOL_SOCKET, 57, 8))[0]
s.sendall(b"x" * 1000)
time.sleep(3.5)
info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 232)
at = time.clock_gettime_ns(time.CLOCK_MONOTONIC)
ca_state, retransmits = info[1], info[2]
total = struct.unpack_from("24I", info, 8)[23]
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
print(json.dumps({"cookie": ck, "ca_state": ca_state, "retransmits": retransmits,
                  "total_retrans": total, "info_ns": at}))
PY
sleep 0.3
probes=$(counter TcpExtTCPLossProbes); timeouts=$(counter TcpExtTCPTimeouts)
kill -INT $TR; wait $TR
check_eq blackhole/exit_status "$?" 0
ck=$(jq -r .cookie "$TMP/client.out")
jq -c --argjson c "$ck" 'select(.cookie==$c)' "$TMP/trace.jsonl" > "$TMP/mine.jsonl"
rtx() { jq -c 'select(.type=="retransmit")' "$TMP/mine.jsonl"; }
cong() { jq -c 'select(.type=="cong")' "$TMP/mine.jsonl"; }
check_eq blackhole/first_retransmit_tlp "$(rtx | head -n 1 | jq -r '.kind + "/" + .ca_state')" tlp/Open
check_eq blackhole/tlp_is_TCPLossProbes "$(rtx | jq -s '[.[] | select(.kind=="tlp")] | length')" "$probes"
check_eq blackhole/TCPLossProbes_one "$probes" 1
nrto=$(rtx | jq -s '[.[] | select(.kind=="rto")] | length')
check_cmp blackhole/then_rtos "$nrto" -ge 3
check_eq blackhole/nothing_else "$(rtx | tail -n +2 | jq -s '[.[] | select(.kind!="rto")] | length')" 0
# The timeline: Open -> Loss after the probe and before the first RTO's
# retransmit, then Loss again per RTO, until the close.
tlp_ts=$(rtx | head -n 1 | jq .ts_ns); rto_ts=$(rtx | jq -s '[.[] | select(.kind=="rto")][0].ts_ns')
first=$(cong | head -n 1)
check_eq blackhole/enters_loss_from_open "$(jq -r '.old + "->" + .new' <<<"$first")" Open-\>Loss
check_cmp blackhole/loss_after_probe "$(jq .ts_ns <<<"$first")" -gt "$tlp_ts"
check_cmp blackhole/loss_before_rto "$(jq .ts_ns <<<"$first")" -le "$rto_ts"
info_ns=$(jq .info_ns "$TMP/client.out")
loss_sets=$(cong | jq -s --argjson t "$info_ns" '[.[] | select(.new=="Loss" and .ts_ns < $t)] | length')
check_eq blackhole/loss_sets_are_rtos "$loss_sets" "$nrto"
check_eq blackhole/loss_sets_are_tcpi_retransmits "$loss_sets" "$(jq .retransmits "$TMP/client.out")"
check_eq blackhole/loss_sets_are_TCPTimeouts "$loss_sets" "$timeouts"
check_eq blackhole/tcpi_ca_state_loss "$(jq .ca_state "$TMP/client.out")" 4
check_eq blackhole/last_before_info_is_loss \
	"$(cong | jq -rs --argjson t "$info_ns" '[.[] | select(.ts_ns < $t)] | last | .new')" Loss
data=$(ip netns exec "$NS_B" nft -j list table inet cong |
	jq '[.nftables[] | .rule? // empty | .expr[] | .counter? // empty | .packets][0]')
check_eq blackhole/nft_data_is_first_plus_retransmits "$data" \
	"$((1 + $(jq .total_retrans "$TMP/client.out")))"
check_eq blackhole/summary_cong_events "$(tail -n 1 "$TMP/trace.jsonl" | jq .events.cong)" \
	"$(jq -s '[.[] | select(.type=="cong")] | length' "$TMP/trace.jsonl")"

# The same blackhole under stress --trace: one Loss interval, from the
# first RTO's Loss to the reset close, in the summary and on the
# connection; its Loss settings are the namespace's TcpExtTCPTimeouts.
ip netns exec "$NS_A" nstat -n
ip netns exec "$NS_A" "$TCPSCOPE" stress "$IP_B:$PORT" --mode rr -c 1 --size 1000 --duration 2s \
	--close rst --trace --json --timeline "$TMP/bh.jsonl" --records "$TMP/bh.rec" > "$TMP/bh.json" 2> "$TMP/bh.err"
timeouts=$(counter TcpExtTCPTimeouts)
check_eq bh_stress/Loss_entered_once "$(jq .trace.congestion.entered.Loss "$TMP/bh.json")" 1
check_eq bh_stress/Loss_sets_are_TCPTimeouts "$(jq .trace.congestion.set.Loss "$TMP/bh.json")" "$timeouts"
check_cmp bh_stress/some_timeouts "$timeouts" -ge 2
check_eq bh_stress/one_Loss_interval "$(jq .trace.congestion.time_in_state_us.Loss.n "$TMP/bh.json")" 1
# The interval, from the timeline's own events: first Loss to CLOSE.
loss_at=$(jq -s '[.[] | select(.type=="cong" and .new=="Loss")][0].ts_ns' "$TMP/bh.jsonl")
close_at=$(jq -s '[.[] | select(.type=="state" and .new=="CLOSE")][0].ts_ns' "$TMP/bh.jsonl")
last_rto=$(jq -s '[.[] | select(.type=="retransmit" and .kind=="rto")] | last | .ts_ns' "$TMP/bh.jsonl")
want_us=$(( (close_at - loss_at) / 1000 ))
got_us=$(jq '.trace.top_retransmits[0].congestion.Loss.us | floor' "$TMP/bh.json")
check_eq bh_stress/connection_Loss_interval_first_loss_to_close "$got_us" "$want_us"
# --records carries the same interval on the connection's line.
check_eq bh_stress/records_Loss_interval "$(jq -s '[.[] | .congestion.Loss.us // empty | floor] | .[0]' \
	"$TMP/bh.rec")" "$want_us"
check_cmp bh_stress/Loss_covers_the_rtos "$close_at" -gt "$last_rto"
check_eq bh_stress/lost_zero "$(jq .trace.lost "$TMP/bh.json")" 0
ip netns exec "$NS_B" nft delete table inet cong

# ---- 2. a lossy run ----
# 4% of the client's segments to the server dropped on the server's input:
# the server's SACKs put the client in Recovery, its probes and RTOs do
# the rest. A reset close ends every socket inside the traced run, so the
# namespace's counters are our connections' alone.
PORT=29472
ip netns exec "$NS_B" nft add table inet cong
ip netns exec "$NS_B" nft add chain inet cong in '{ type filter hook input priority 0; }'
ip netns exec "$NS_B" nft add rule inet cong in tcp dport "$PORT" numgen random mod 100 "<" 4 counter drop
ip netns exec "$NS_B" "$TCPSCOPE" server --listen "$IP_B:$PORT" --mode echo --threads 1 --duration 30s \
	> "$TMP/server2.out" 2>&1 &
cleanup_add kill $!
wait_for_line "$TMP/server2.out" "$PORT" || { fail lossy/setup "server did not start"; exit 0; }
ip netns exec "$NS_A" nstat -n
ip netns exec "$NS_A" "$TCPSCOPE" stress "$IP_B:$PORT" --mode rr -c 8 --size 30000 --duration 3s \
	--close rst --trace --json --timeline "$TMP/lossy.jsonl" > "$TMP/lossy.json" 2> "$TMP/lossy.err"
check_eq lossy/exit_status "$?" 0
J=$TMP/lossy.json
sack=$(counter TcpExtTCPSackRecovery); reno=$(counter TcpExtTCPRenoRecovery)
timeouts=$(counter TcpExtTCPTimeouts); probes=$(counter TcpExtTCPLossProbes)
set_rec=$(jq .trace.congestion.set.Recovery "$J"); set_loss=$(jq .trace.congestion.set.Loss "$J")
# A change the kernel made without firing the tracepoint shows as an event
# whose state left is not the one the connection's last event set (gaps),
# unless the unseen changes came back to where they started; the same
# moments leave retransmits out of tcp_retransmit_skb, which the agreement
# with TCP_INFO counts (segment_count_drift, kernel_ahead). Each such hole
# hides at most one Recovery and one Loss setting here (seen in about one
# run in four on this shared 6.18, nothing lost). Without one, exact.
gaps=$(jq .trace.congestion.gaps "$J")
holes=$(jq '.trace.congestion.gaps + .trace.agreement.segment_count_drift +
	.trace.agreement.kernel_ahead' "$J")
echo "# lossy: $set_rec Recovery, $set_loss Loss sets, $gaps gaps, $holes holes; nstat: SackRecovery $sack" \
	"RenoRecovery $reno Timeouts $timeouts LossProbes $probes"
check_cmp lossy/some_recoveries "$(jq .trace.congestion.entered.Recovery "$J")" -gt 0
check_cmp lossy/Recovery_sets_within_Sack_Reno_Recovery "$set_rec" -le "$((sack + reno))"
check_cmp lossy/Recovery_sets_short_by_holes_at_most "$((set_rec + holes))" -ge "$((sack + reno))"
check_eq lossy/Recovery_entered_each_set "$(jq .trace.congestion.entered.Recovery "$J")" "$set_rec"
check_cmp lossy/Loss_sets_within_TCPTimeouts "$set_loss" -le "$timeouts"
check_cmp lossy/Loss_sets_short_by_holes_at_most "$((set_loss + holes))" -ge "$timeouts"
check_cmp lossy/holes_rare "$((holes * 100))" -le "$set_rec"
# A loss probe sends new data instead when there is some (tcp_send_loss_probe):
# counted in TCPLossProbes, not a retransmit.
check_cmp lossy/tlp_within_TCPLossProbes "$(jq .trace.retransmits.tlp "$J")" -le "$probes"
# One sample per interval: every Recovery entered ended by the next set or
# the close (an interval cut by a gap has no known end).
n_rec=$(jq '.trace.congestion.time_in_state_us.Recovery.n' "$J")
check_cmp lossy/one_sample_per_Recovery_interval "$n_rec" -le "$set_rec"
check_cmp lossy/Recovery_intervals_short_by_holes_at_most "$((n_rec + holes))" -ge "$set_rec"
# The timeline's cong events are the summary's, each of a connection of ours.
check_eq lossy/timeline_cong_events "$(jq -s '[.[] | select(.type=="cong")] | length' \
	"$TMP/lossy.jsonl")" "$(jq .trace.congestion.sets "$J")"
check_eq lossy/all_ours "$(jq .trace.foreign_events.cong "$J")" 0
check_eq lossy/lost_zero "$(jq .trace.lost "$J")" 0
