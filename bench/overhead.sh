#!/usr/bin/env bash
# 4. tracing overhead: churn (no data, as fast as it goes) plain, with
# --trace (all event types, joined per connection), and plain with bpftrace
# counting hits on the same tracepoints (the cheapest tracer there is); FIN
# close (the default), and RST close. FIN churn from one source is capped by
# port space (TIME_WAIT), not CPU, which leaves the tracer idle CPU; RST churn
# is CPU-bound, the harder case. bpftrace's count() under RST churn is the
# floor: what attaching to these tracepoints costs before a tracer records
# anything. The floor (bench/floor.bpf.c): return-0 programs, one and two
# per tracepoint, under RST churn. Interleaved; medians of per-rep ratios.
# With BENCH_BASELINE=/path/to/older/tcpscope, each repetition also runs RST
# churn --trace with that build: before and after, side by side.
. "$(dirname "$0")/lib.sh"
SECS=${BENCH_SECS:-3}
REPS=${BENCH_OVERHEAD_REPS:-7}
W=$(nproc)

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


floor_build
say "overhead: load average $(loadavg) at start"
say "overhead: $REPS repetitions of ${SECS}s churn each: FIN plain, --trace, plain + bpftrace count(); RST plain, --trace, plain + bpftrace count()"
say "rep  plain   traced  bpftrace   traced/plain  bpftrace/plain   rst_plain  rst_traced  rst_bpftrace  rst_traced/plain  rst_bpftrace/plain"
for ((rep = 1; rep <= REPS; rep++)); do
	a=$(churn fin)
	b=$(churn fin --trace)
	bt_start "$TPS_SIX"
	c=$(churn fin)
	bt_stop
	d=$(churn rst)
	e=$(churn rst --trace)
	bt_start "$TPS_SIX"
	f=$(churn rst)
	bt_stop
	floor_start
	fl=$(churn rst)
	floor_stop
	floor_start --twins
	fl2=$(churn rst)
	floor_stop
	record fl "$fl"; record fl2 "$fl2"; record rfl "$(div "$fl" "$d")"; record rfl2 "$(div "$fl2" "$d")"
	record ref "$(div "$e" "$f")"
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
	say "     RST under the floor: $fl/s ($(div "$fl" "$d") of plain), with twins $fl2/s ($(div "$fl2" "$d")); --trace / bpftrace $(div "$e" "$f"); load $(loadavg)"
done
say "median FIN: plain $(med a)/s ($(spread a)), --trace $(med b)/s ($(spread b)), bpftrace $(med c)/s ($(spread c))"
say "median RST: plain $(med d)/s ($(spread d)), --trace $(med e)/s ($(spread e)), bpftrace $(med f)/s ($(spread f)); --trace lost: $(samples lost | tr '\n' ' ')"
ratio overhead_trace_vs_plain "$(med rb)" "FIN churn --trace / plain ($(spread rb)); target >= 0.95"
ratio overhead_trace_vs_plain_rst "$(med re)" "RST churn (CPU-bound) --trace / plain ($(spread re)); target >= 0.95"
ratio overhead_bpftrace_vs_plain "$(med rc)" "churn under bpftrace count() / plain ($(spread rc))"
ratio overhead_bpftrace_vs_plain_rst "$(med rf)" "RST churn under bpftrace count() / plain ($(spread rf))"
ratio overhead_floor_vs_plain_rst "$(med rfl)" "RST churn under the floor (bench/floor.bpf.c, return 0 on every tracepoint tcpscope attaches) / plain ($(spread rfl))"
ratio overhead_floor2_vs_plain_rst "$(med rfl2)" "the same with two programs per tracepoint, as tcpscope's primary and twin ($(spread rfl2))"
ratio overhead_trace_vs_bpftrace_rst "$(med ref)" "RST churn --trace / under bpftrace count() ($(spread ref)); target >= 0.97"
ratio overhead_trace_vs_bpftrace "$(div "$(med rb)" "$(med rc)")" "our traced rate / bpftrace's (> 1: cheaper than counting)"
[ -n "${BENCH_BASELINE:-}" ] &&
	ratio overhead_baseline_trace_vs_plain_rst "$(med rg)" "RST churn --trace / plain with $BENCH_BASELINE ($(spread rg))" &&
	ratio overhead_trace_vs_baseline_rst "$(med reg)" "RST churn --trace, this build / the baseline ($(spread reg))"
exit 0
