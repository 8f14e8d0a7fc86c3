#!/usr/bin/env bash
# 4. tracing overhead: churn (no data, as fast as it goes) plain, with
# --trace (all event types, joined per connection), and plain with bpftrace
# counting hits on the same tracepoints (the cheapest tracer there is); FIN
# close (the default), and RST close. FIN churn from one source is capped by
# port space (TIME_WAIT), not CPU, which leaves the tracer idle CPU; RST churn
# is CPU-bound, the harder case. bpftrace's count() under RST churn is the
# floor: what attaching to these tracepoints costs before a tracer records
# anything. Interleaved; medians of per-rep ratios.
# With BENCH_BASELINE=/path/to/older/tcpscope, each repetition also runs RST
# churn --trace with that build: before and after, side by side.
. "$(dirname "$0")/lib.sh"
SECS=${BENCH_SECS:-3}
REPS=${BENCH_OVERHEAD_REPS:-7}
W=$(nproc)
TPS="tracepoint:sock:inet_sock_set_state,tracepoint:tcp:tcp_retransmit_skb,\
tracepoint:tcp:tcp_retransmit_synack,tracepoint:tcp:tcp_probe,\
tracepoint:tcp:tcp_send_reset,tracepoint:tcp:tcp_receive_reset"

churn() { # fin|rst [--trace]; prints established connections per second
	local close=$1 bin=${BIN:-$TCPSCOPE}; shift
	ns_new
	in_ns "$bin" stress --mode churn --close "$close" --threads "$W" --duration "${SECS}s" \
		--json "$@" > "$TMP/c.json"
	ns_del "$NS"
	if [ $# -gt 0 ]; then
		lost=$(jq '.trace.lost' "$TMP/c.json")
		[ "$lost" = 0 ] || say "  (--trace lost $lost events)"
		record lost "$lost"
	fi
	jq '.connections.established / .rate.launch_s | floor' "$TMP/c.json"
}

bt_start() { # bpftrace count() on the tracepoints --trace attaches, in the background
	bpftrace -e "$TPS { @n = count(); }" > "$TMP/bt.out" 2>&1 &
	bt=$!
	bg_track "$bt"
	for ((i = 0; i < 200; i++)); do grep -q Attaching "$TMP/bt.out" && break; sleep 0.05; done
	sleep 0.3 # attached only once the line is out and the probes are in
}
bt_stop() { kill -INT "$bt"; wait "$bt" || true; }

say "overhead: $REPS repetitions of ${SECS}s churn each: FIN plain, --trace, plain + bpftrace count(); RST plain, --trace, plain + bpftrace count()"
say "rep  plain   traced  bpftrace   traced/plain  bpftrace/plain   rst_plain  rst_traced  rst_bpftrace  rst_traced/plain  rst_bpftrace/plain"
for ((rep = 1; rep <= REPS; rep++)); do
	a=$(churn fin)
	b=$(churn fin --trace)
	bt_start
	c=$(churn fin)
	bt_stop
	d=$(churn rst)
	e=$(churn rst --trace)
	bt_start
	f=$(churn rst)
	bt_stop
	record a "$a"; record b "$b"; record c "$c"; record d "$d"; record e "$e"; record f "$f"
	record rb "$(div "$b" "$a")"; record rc "$(div "$c" "$a")"; record re "$(div "$e" "$d")"
	record rf "$(div "$f" "$d")"
	if [ -n "${BENCH_BASELINE:-}" ]; then
		g=$(BIN=$BENCH_BASELINE churn rst --trace)
		record g "$g"; record rg "$(div "$g" "$d")"; record reg "$(div "$e" "$g")"
		say "     RST --trace with the baseline: $g/s, / plain $(div "$g" "$d"), this build / baseline $(div "$e" "$g")"
	fi
	printf '%3d  %6s  %6s  %8s   %12s  %14s   %9s  %10s  %12s  %16s  %18s\n' "$rep" "$a" "$b" "$c" \
		"$(div "$b" "$a")" "$(div "$c" "$a")" "$d" "$e" "$f" "$(div "$e" "$d")" "$(div "$f" "$d")"
done
say "median FIN: plain $(med a)/s ($(spread a)), --trace $(med b)/s ($(spread b)), bpftrace $(med c)/s ($(spread c))"
say "median RST: plain $(med d)/s ($(spread d)), --trace $(med e)/s ($(spread e)), bpftrace $(med f)/s ($(spread f)); --trace lost: $(samples lost | tr '\n' ' ')"
ratio overhead_trace_vs_plain "$(med rb)" "FIN churn --trace / plain ($(spread rb)); target >= 0.95"
ratio overhead_trace_vs_plain_rst "$(med re)" "RST churn (CPU-bound) --trace / plain ($(spread re)); target >= 0.95"
ratio overhead_bpftrace_vs_plain "$(med rc)" "churn under bpftrace count() / plain ($(spread rc))"
ratio overhead_bpftrace_vs_plain_rst "$(med rf)" "RST churn under bpftrace count() / plain ($(spread rf)): the floor for any tracer"
ratio overhead_trace_vs_bpftrace "$(div "$(med rb)" "$(med rc)")" "our traced rate / bpftrace's (> 1: cheaper than counting)"
[ -n "${BENCH_BASELINE:-}" ] &&
	ratio overhead_baseline_trace_vs_plain_rst "$(med rg)" "RST churn --trace / plain with $BENCH_BASELINE ($(spread rg))" &&
	ratio overhead_trace_vs_baseline_rst "$(med reg)" "RST churn --trace, this build / the baseline ($(spread reg))"
exit 0
