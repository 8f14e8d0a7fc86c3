#!/usr/bin/env bash
# 16. What tracefs's count of the hits costs (unrun, docs/kernels.md): a
# keep-alive rr (16 connections, 64-byte exchanges) and a CPU-bound RST
# churn, 3 s each, plain and under `trace -q -e all` in the load's
# namespace, of this build and, with BENCH_BASELINE=/path/to/older/tcpscope
# (one that counted every tracepoint), of that one. Interleaved; medians of
# the per-repetition ratios.
. "$(dirname "$0")/lib.sh"
SECS=${BENCH_SECS:-3}
REPS=${BENCH_HITCOUNT_REPS:-5}
[ -n "${BENCH_BASELINE:-}" ] || say "hitcount: no BENCH_BASELINE: this build against plain only"

load() { # rr|churn: transactions or connections a second
	case $1 in
	rr) in_ns "$TCPSCOPE" stress --mode rr -c 16 --size 64 --threads "$(nproc)" --duration "${SECS}s" \
		--json > "$TMP/l.json"
	    jq '.transactions / .duration_s | floor' "$TMP/l.json" ;;
	churn) rst_churn ;;
	esac
}
one() { # LOAD [BINARY]: the load's rate, under that build's trace -q -e all
	local v
	ns_new
	TRACE_PID=
	[ -n "${2:-}" ] && TCPSCOPE=$2 trace_beside -e all -q
	v=$(load "$1")
	[ -n "$TRACE_PID" ] && int_stop "$TRACE_PID"
	ns_del "$NS"
	echo "$v"
}

say "hitcount: load average $(loadavg) at start; $REPS repetitions of ${SECS}s each"
for l in rr churn; do
	say "$l: rep  plain  this  baseline   this/plain  baseline/plain  this/baseline"
	for ((rep = 1; rep <= REPS; rep++)); do
		p=$(one "$l"); t=$(one "$l" "$TCPSCOPE"); b=
		[ -n "${BENCH_BASELINE:-}" ] && b=$(one "$l" "$BENCH_BASELINE")
		record "${l}_this" "$(div "$t" "$p")"
		[ -n "$b" ] && { record "${l}_base" "$(div "$b" "$p")"; record "${l}_vs" "$(div "$t" "$b")"; }
		say "$(printf '%8d %6d %5d %9s %12s %15s %14s' "$rep" "$p" "$t" "${b:--}" "$(div "$t" "$p")" \
			"$([ -n "$b" ] && div "$b" "$p" || echo -)" "$([ -n "$b" ] && div "$t" "$b" || echo -)")"
	done
done
for l in rr churn; do
	ratio "hitcount_${l}_this_vs_plain" "$(med "${l}_this")" "$l under trace -q -e all / plain ($(spread "${l}_this"))"
	[ -n "${BENCH_BASELINE:-}" ] || continue
	ratio "hitcount_${l}_baseline_vs_plain" "$(med "${l}_base")" "$l under $BENCH_BASELINE's / plain ($(spread "${l}_base"))"
	ratio "hitcount_${l}_this_vs_baseline" "$(med "${l}_vs")" "$l, this build's trace / $BENCH_BASELINE's, per repetition ($(spread "${l}_vs"))"
done
