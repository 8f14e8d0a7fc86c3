#!/usr/bin/env bash
# --metrics in the lossy lab: scraped during the run (counters move, and
# promtool accepts the page), then once the load is over, where every
# counter equals what the run's own summary says (trace --json's last line;
# stress --json for the handshakes). stress --trace --metrics is scraped
# while it runs: its counters only grow and never pass its final summary.
. "$(dirname "$0")/../lib.sh"
need curl
need jq
PROMTOOL=$(command -v promtool || true)
lab_up 82
PORT=5582
MPORT=19582

scrape() { # OUT [netns]
	if [ -n "${2:-}" ]; then
		ip netns exec "$2" curl -sf --max-time 5 "http://127.0.0.1:$MPORT/metrics" > "$1"
	else
		curl -sf --max-time 5 "http://127.0.0.1:$MPORT/metrics" > "$1"
	fi
}
metric() { # FILE NAME{labels}: the value, 0 when absent
	awk -v k="$2" '$1 == k { v = $2 } END { print v + 0 }' "$1"
}
msum() { # FILE NAME: the sum over all label sets
	awk -v k="$2" 'index($1, k "{") == 1 || $1 == k { s += $2 } END { print s + 0 }' "$1"
}
promcheck() { # NAME FILE
	if [ -z "$PROMTOOL" ]; then
		skip "$1" "promtool not installed (apt-get install prometheus)"
		return
	fi
	"$PROMTOOL" check metrics < "$2" > "$TMP/promtool.out" 2>&1
	check_eq "$1" "$?:$(cat "$TMP/promtool.out")" "0:"
}

# The server serves both parts: on an emulated CPU the trace part alone
# (bpftrace's start, the checks) takes over a minute, so 60 s ended it
# before the stress part's connects. The cleanup stops it.
ip netns exec "$NS_B" "$TCPSCOPE" server --listen "$IP_B:$PORT" --mode echo --duration 300 \
	> "$TMP/server.out" 2>&1 &
cleanup_add kill $!
wait_for_line "$TMP/server.out" '^listening' || fail setup "server did not start"

# trace --metrics: the tracer is in the root namespace, the endpoint on its
# loopback; --port keeps other tests' traffic out. It is stopped with
# SIGINT below; --duration only bounds it, and must outlast bpftrace's
# start (over 20 s on an emulated CPU) plus the load.
T0=$SECONDS
"$TCPSCOPE" trace -e all -q --json --port $PORT --metrics "127.0.0.1:$MPORT" --duration 120 \
	> "$TMP/trace.json" 2> "$TMP/trace.err" &
TR=$!
cleanup_add kill $TR
for i in $(seq 50); do scrape "$TMP/m0.txt" && break; sleep 0.1; done
check_eq trace/endpoint_up "$(metric "$TMP/m0.txt" tcpscope_scrapes_total)" 1
check_eq trace/other_paths_404 "$(curl -s -o /dev/null -w '%{http_code}' --max-time 5 "http://127.0.0.1:$MPORT/")" 404
# An independent count of the clients' SYN_SENT -> ESTABLISHED, for the
# handshake check below.
BT=
if command -v bpftrace >/dev/null; then
	bpftrace -e "tracepoint:sock:inet_sock_set_state /args->protocol == 6 && args->dport == $PORT &&
		args->oldstate == 2 && args->newstate == 1/ { @n = count(); }" > "$TMP/bt.out" 2>&1 &
	BT=$!
	cleanup_add kill $BT
	wait_for_line "$TMP/bt.out" 'Attaching' 20 || fail setup "bpftrace did not attach"
fi
"$LAB" loss "$LABNAME" 3 $PORT
ip netns exec "$NS_A" "$TCPSCOPE" stress "$IP_B:$PORT" --mode churn --size 20000 --rate 100 \
	--duration 3 --json > "$TMP/stress.json" 2> "$TMP/stress.err" &
ST=$!
sleep 2
scrape "$TMP/m1.txt"
rc=$?
check_eq trace/scrape_during_run "$rc" 0
[ "$rc" -ne 0 ] && { kill -0 $TR 2>/dev/null && echo "  the tracer runs" || echo "  the tracer is gone"; echo "  $((SECONDS - T0)) s since it started"; sed 's/^/  trace: /' "$TMP/trace.err" | head -5; }
promcheck trace/promtool_during_run "$TMP/m1.txt"
check_cmp trace/retransmits_move "$(msum "$TMP/m1.txt" tcpscope_retransmits_total)" -gt 0
wait $ST
check_eq trace/stress_exit "$?" 0
"$LAB" clear "$LABNAME"
sleep 2 # the last FINs and their retransmits
scrape "$TMP/m2.txt"
promcheck trace/promtool_after_run "$TMP/m2.txt"
kill -INT $TR; wait $TR
check_eq trace/exit "$?" 0
[ -n "$BT" ] && stop_bpftrace $BT
bt_hs=$(awk '/^@n:/ {print $2}' "$TMP/bt.out" 2>/dev/null)
S=$(tail -1 "$TMP/trace.json")
check_eq trace/summary_last "$(jq -r .type <<< "$S")" summary
M=$TMP/m2.txt
for k in fast rto syn failed other tlp; do
	check_eq "trace/retransmits_$k" "$(metric "$M" "tcpscope_retransmits_total{kind=\"$k\"}")" \
		"$(jq ".retransmits.$k" <<< "$S")"
done
# The metric counts every retransmit's segments by kind; the summary tells
# the sent ones (retransmit_segs) from the failed (kind failed).
check_eq trace/retransmit_segments "$(msum "$M" tcpscope_retransmit_segments_total)" \
	"$(jq '.retransmit_segs + .retransmit_segs_failed' <<< "$S")"
check_eq trace/retransmit_segments_failed \
	"$(metric "$M" 'tcpscope_retransmit_segments_total{kind="failed"}')" \
	"$(jq .retransmit_segs_failed <<< "$S")"
for t in retransmit state probe send_reset receive_reset; do
	check_eq "trace/events_$t" "$(metric "$M" "tcpscope_events_total{type=\"$t\"}")" \
		"$(jq ".events.$t" <<< "$S")"
done
check_eq trace/state_transitions "$(msum "$M" tcpscope_state_transitions_total)" \
	"$(jq .events.state <<< "$S")"
check_eq trace/resets_received "$(metric "$M" tcpscope_resets_received_total)" \
	"$(jq .events.receive_reset <<< "$S")"
check_eq trace/resets_sent "$(msum "$M" tcpscope_resets_sent_total)" \
	"$(jq .events.send_reset <<< "$S")"
check_eq trace/lost "$(msum "$M" tcpscope_lost_events_total)" "$(jq .lost <<< "$S")"
check_cmp trace/unrun "$(msum "$M" tcpscope_unrun_hits_total)" -le "$(jq .unrun <<< "$S")"
for o in released evicted; do
	check_eq "trace/syn_recv_holds_$o" "$(metric "$M" "tcpscope_syn_recv_holds_total{outcome=\"$o\"}")" \
		"$(jq ".syn_recv_holds.$o" <<< "$S")"
done
check_eq trace/srtt_count "$(metric "$M" tcpscope_srtt_seconds_count)" "$(jq .events.probe <<< "$S")"
# Every connection the load engine established had its handshake timed:
# as many as it established, unless the kernel itself did not report some
# (docs/json.md): then exactly as many as bpftrace saw on the tracepoint.
est=$(jq .connections.established "$TMP/stress.json")
hs=$(metric "$M" tcpscope_handshake_seconds_count)
want_hs=$est
if [ -n "${bt_hs:-}" ] && [ "$hs" -ne "$est" ] && [ "$bt_hs" -lt "$est" ]; then
	echo "  the kernel reported $bt_hs of $est SYN_SENT -> ESTABLISHED (bpftrace)"
	want_hs=$bt_hs
fi
check_eq trace/handshakes "$hs" "$want_hs"
check_eq trace/handshakes_syn_sent_established \
	"$(metric "$M" 'tcpscope_state_transitions_total{old="SYN_SENT",new="ESTABLISHED"}')" "$want_hs"
[ -n "${bt_hs:-}" ] && check_cmp trace/handshakes_not_fewer_than_bpftrace "$hs" -ge "$bt_hs"
check_cmp trace/retransmits_happened "$(jq .retransmit_segs <<< "$S")" -gt 0
# Labels come from fixed sets only: no cookie, address or port.
check_eq trace/no_per_connection_labels "$(grep -cE 'cookie|addr|port=|sport|dport' "$M")" 0

# stress --trace --metrics: served from the correlator's poll thread.
# Scraped about once a second from when its endpoint first answers until
# the run ends: an emulated CPU spends seconds loading the tracer and
# seconds on each curl, so fixed moments came too early or too late there
# (it runs 12 s). Every scrape that answered counts; a scrape racing the
# run's end may find the endpoint gone.
sdur=4
emulated && { sdur=12; echo "  emulated CPU: stress --metrics runs ${sdur}s, not 4s"; }
"$LAB" loss "$LABNAME" 3 $PORT
ip netns exec "$NS_A" "$TCPSCOPE" stress "$IP_B:$PORT" --mode churn --size 20000 --rate 100 \
	--duration $sdur --json --metrics "127.0.0.1:$MPORT" > "$TMP/st2.json" 2> "$TMP/st2.err" &
ST=$!
for i in $(seq 100); do scrape "$TMP/s0.txt" "$NS_A" && break; sleep 0.1; done
prev=0 ok=1 n=0 last=
while kill -0 $ST 2>/dev/null; do
	sleep 1
	scrape "$TMP/sx.txt" "$NS_A" || continue
	n=$((n + 1)); mv "$TMP/sx.txt" "$TMP/s$n.txt"; last=$TMP/s$n.txt
	v=$(msum "$last" tcpscope_retransmits_total)
	[ "$v" -ge "$prev" ] || ok=0
	prev=$v
done
wait $ST
rc=$?
check_eq stress/exit "$rc" 0
[ "$rc" -ne 0 ] && sed 's/^/  stress: /' "$TMP/st2.err" | head -5
"$LAB" clear "$LABNAME"
echo "  stress: $n scrapes answered during the run"
check_cmp stress/scrapes_during_run "$n" -ge 2
last=${last:-$TMP/s0.txt}
check_eq stress/scrapes_monotonic "$ok" 1
promcheck stress/promtool "$last"
check_cmp stress/retransmits_seen "$prev" -gt 0
check_cmp stress/not_past_summary "$prev" -le "$(jq .trace.events.retransmit "$TMP/st2.json")"
check_cmp stress/handshakes_not_past_summary "$(metric "$last" tcpscope_handshake_seconds_count)" \
	-le "$(jq .trace.handshake_us.n "$TMP/st2.json")"
check_cmp stress/handshakes_seen "$(metric "$last" tcpscope_handshake_seconds_count)" -gt 0
