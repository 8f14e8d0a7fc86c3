#!/usr/bin/env bash
# 5. event pipeline.
# a) State events under the fastest churn (RST close, no data): tcpscope
#    trace -e state, libbpf-tools' tcpstates and tcplife, each alone on the
#    same load in turn, all system-wide, output to tmpfs. Their lost events
#    (perf buffer, "lost N events" on stderr) and ours (summary "lost").
# b) Probe events at --probe-interval 0 under an iperf3 stream on loopback;
#    bpftrace counts the tcp_probe hits of the same port as the oracle:
#    events + lost must equal them.
. "$(dirname "$0")/lib.sh"
SECS=${BENCH_SECS:-3}
PREPS=${BENCH_PIPELINE_REPS:-3}
W=$(nproc)
OUT=$(mktemp -d /dev/shm/tcpscope-bench.XXXXXX)
cleanup_add rm -rf "$OUT"

# Start a tracer (its command line in "$@"), wait until it is attached
# (READY regex on its stderr/stdout file), run the churn, stop it.
# Sets CONNS (connections/s of the churn).
traced_churn() {
	local ready=$1; shift
	"$@" > "$OUT/out" 2> "$OUT/err" &
	local pid=$! i
	bg_track "$pid"
	for ((i = 0; i < 200; i++)); do grep -qE "$ready" "$OUT/out" "$OUT/err" 2>/dev/null && break; sleep 0.05; done
	sleep 0.5
	ns_new
	in_ns "$TCPSCOPE" stress --mode churn --close rst --threads "$W" --duration "${SECS}s" \
		--json > "$OUT/churn.json"
	ns_del "$NS"
	sleep 0.5 # let the tracer catch up before the stop
	kill -INT "$pid"; wait "$pid" || true
	CONNS=$(jq '.connections.established / .rate.launch_s | floor' "$OUT/churn.json")
	CSECS=$(jq '.rate.launch_s' "$OUT/churn.json")
}
perf_lost() { { grep -oE 'lost [0-9]+ events' "$OUT/err" || true; } | awk '{s += $2} END {print s + 0}'; }

say "pipeline a: $PREPS repetitions of a ${SECS}s RST churn under each tracer in turn"
say "rep  tracer      churn/s   events/s   events      lost"
for ((rep = 1; rep <= PREPS; rep++)); do
	traced_churn '' "$TCPSCOPE" trace -e state --json
	ev=$(tail -n 1 "$OUT/out" | jq '.events.state'); lost=$(tail -n 1 "$OUT/out" | jq '.lost')
	eps=$(div "$ev" "$CSECS" 0)
	record ts_eps "$eps"; record ts_lost "$lost"; record ts_churn "$CONNS"
	printf '%3d  %-10s %8s %10s %8s %9s\n' "$rep" tcpscope "$CONNS" "$eps" "$ev" "$lost"

	traced_churn 'SKADDR|C-PID' tcpstates
	ev=$(($(wc -l < "$OUT/out") - 1)); lost=$(perf_lost)
	eps=$(div "$ev" "$CSECS" 0)
	record st_eps "$eps"; record st_lost "$lost"; record st_churn "$CONNS"
	printf '%3d  %-10s %8s %10s %8s %9s\n' "$rep" tcpstates "$CONNS" "$eps" "$ev" "$lost"

	traced_churn 'PID|COMM' tcplife
	ev=$(($(wc -l < "$OUT/out") - 1)); lost=$(perf_lost)
	eps=$(div "$ev" "$CSECS" 0)
	record tl_eps "$eps"; record tl_lost "$lost"; record tl_churn "$CONNS"
	printf '%3d  %-10s %8s %10s %8s %9s   (one line per connection)\n' "$rep" tcplife "$CONNS" "$eps" "$ev" "$lost"
done

say ""
say "pipeline b: iperf3 loopback stream, ${SECS}s, plain then under trace -e probe --probe-interval 0"
say "rep  plain_Gbps  traced_Gbps  probe_events  lost  bpftrace_hits  events+lost-hits"
PORT=5201
stream() { # iperf3 on 127.0.0.1:$PORT in a fresh namespace; Gbit/s received
	ns_new
	in_ns iperf3 -s -1 -B 127.0.0.1 -p $PORT > /dev/null 2>&1 &
	local s=$! i
	for ((i = 0; i < 100; i++)); do in_ns ss -Hltn "sport = :$PORT" | grep -q . && break; sleep 0.05; done
	in_ns iperf3 -c 127.0.0.1 -p $PORT -t "$SECS" -J > "$OUT/iperf.json" || true
	wait "$s" || true
	ns_del "$NS"
	jq '.end.sum_received.bits_per_second / 1e9 * 100 | floor / 100' "$OUT/iperf.json"
}
for ((rep = 1; rep <= PREPS; rep++)); do
	plain=$(stream)
	bpftrace -e "tracepoint:tcp:tcp_probe /args->sport == $PORT || args->dport == $PORT/ { @n = count(); }" \
		> "$OUT/bt" 2>&1 &
	bt=$!
	bg_track "$bt"
	for ((i = 0; i < 200; i++)); do grep -q Attaching "$OUT/bt" && break; sleep 0.05; done
	"$TCPSCOPE" trace -e probe --probe-interval 0 --port $PORT --json > "$OUT/probe" 2> "$OUT/perr" &
	tp=$!
	bg_track "$tp"
	sleep 1.5 # the tracer attached (bpftrace counts from before it to after it)
	traced=$(stream)
	sleep 0.5
	kill -INT "$tp"; wait "$tp" || true
	sleep 0.2
	int_stop "$bt"
	ev=$(tail -n 1 "$OUT/probe" | jq '.events.probe'); lost=$(tail -n 1 "$OUT/probe" | jq '.lost')
	hits=$(grep -oE '@n: [0-9]+' "$OUT/bt" | awk '{print $2}')
	record p_ev "$(div "$ev" "$SECS" 0)"; record p_lost "$lost"
	record p_r "$(div "$traced" "$plain")"; record p_diff "$((ev + lost - ${hits:-0}))"
	printf '%3d  %10s  %11s  %12s  %4s  %13s  %16s\n' "$rep" "$plain" "$traced" "$ev" "$lost" "${hits:-?}" "$((ev + lost - ${hits:-0}))"
done
say "median: tcpscope $(med ts_eps) state events/s, lost $(samples ts_lost | tr '\n' ' '); tcpstates $(med st_eps)/s, lost $(samples st_lost | tr '\n' ' '); tcplife $(med tl_eps) lines/s, lost $(samples tl_lost | tr '\n' ' ')"
say "median: probe events $(med p_ev)/s, lost $(samples p_lost | tr '\n' ' '); events + lost - bpftrace hits: $(samples p_diff | tr '\n' ' ')"
ratio pipeline_state_eps_vs_tcpstates "$(div "$(med ts_eps)" "$(med st_eps)")" "state events/s taken, ours / tcpstates' (lost: ours $(samples ts_lost | awk '{s+=$1} END {print s+0}'), theirs $(samples st_lost | awk '{s+=$1} END {print s+0}'))"
ratio pipeline_churn_under_ts_vs_tcpstates "$(div "$(med ts_churn)" "$(med st_churn)")" "churn rate while traced, under ours / under tcpstates"
ratio pipeline_churn_under_ts_vs_tcplife "$(div "$(med ts_churn)" "$(med tl_churn)")" "churn rate while traced, under ours / under tcplife (lost: $(samples tl_lost | awk '{s+=$1} END {print s+0}'))"
ratio pipeline_stream_probe0_vs_plain "$(med p_r)" "iperf3 Gbit/s under trace -e probe -i 0 / plain ($(spread p_r))"
