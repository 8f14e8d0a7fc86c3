#!/usr/bin/env bash
# 13. Where stress --trace's cost sits, by process: RST churn plain; with
# the tracer as a process of its own (`trace -q`, 709452a's event set and
# all events) in the load's namespace; and `stress --trace`, tracer and
# join in the load's own process. Interleaved; medians of the per-rep
# ratios to each repetition's plain run.
. "$(dirname "$0")/lib.sh"
SECS=${BENCH_SECS:-3}
REPS=${BENCH_SPLIT_REPS:-4}
OLDSET=retransmit,state,probe,reset

churn() { # "" | EVENTS (a trace -q beside it) | stress (--trace); prints connections/s
	local v
	ns_new
	TRACE_PID=
	case $1 in
	"") v=$(rst_churn) ;;
	stress) v=$(rst_churn --trace) ;;
	*) trace_beside -e "$1" -q; v=$(rst_churn) ;;
	esac
	[ -n "$TRACE_PID" ] && int_stop "$TRACE_PID"
	ns_del "$NS"
	echo "$v"
}

say "split: load average $(loadavg) at start; $REPS repetitions of ${SECS}s RST churn each"
say "rep  plain   trace_old  trace_all  stress_trace   old/plain  all/plain  stress/plain"
for ((rep = 1; rep <= REPS; rep++)); do
	p=$(churn ""); o=$(churn $OLDSET); a=$(churn all); s=$(churn stress)
	record old "$(div "$o" "$p")"; record all "$(div "$a" "$p")"; record st "$(div "$s" "$p")"
	printf '%3d %7d %10d %10d %12d %11s %10s %13s\n' "$rep" "$p" "$o" "$a" "$s" \
		"$(div "$o" "$p")" "$(div "$a" "$p")" "$(div "$s" "$p")"
done
ratio split_trace_old_vs_plain "$(med old)" "RST churn under trace -q -e $OLDSET (a process of its own) / plain ($(spread old))"
ratio split_trace_all_vs_plain "$(med all)" "the same with -e all ($(spread all))"
ratio split_stress_trace_vs_plain "$(med st)" "stress --trace (tracer and join in the load's process) / plain ($(spread st))"
