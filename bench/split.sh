#!/usr/bin/env bash
# 13. Where stress --trace's cost sits, by process: RST churn plain; with
# the tracer as a process of its own (`trace -q`, 709452a's event set and
# all events) in the load's namespace; and `stress --trace`, tracer and
# join in the load's own process. Interleaved; medians of the per-rep
# ratios to each repetition's plain run. With BENCH_BASELINE=/path/to/older/
# tcpscope, each repetition also runs `trace -q -e all` of that build, and
# the last ratio is this build's over it, repetition by repetition.
. "$(dirname "$0")/lib.sh"
SECS=${BENCH_SECS:-3}
REPS=${BENCH_SPLIT_REPS:-4}
OLDSET=retransmit,state,probe,reset

churn() { # "" | EVENTS (a trace -q beside it) | stress (--trace) | baseline; prints connections/s
	local v
	ns_new
	TRACE_PID=
	case $1 in
	"") v=$(rst_churn) ;;
	stress) v=$(rst_churn --trace) ;;
	baseline) TCPSCOPE=$BENCH_BASELINE trace_beside -e all -q; v=$(rst_churn) ;;
	*) trace_beside -e "$1" -q; v=$(rst_churn) ;;
	esac
	# The tracer's own CPU (schedstat, ns) and peak memory, per connection
	# traced, for the -e all and baseline runs.
	if [ -n "$TRACE_PID" ] && { [ "$1" = all ] || [ "$1" = baseline ]; }; then
		record "cpu_$1" "$(div "$(awk '{print $1}' "/proc/$TRACE_PID/schedstat")" \
			"$(jq .connections.established "$TMP/c.json")" 0)"
		record "hwm_$1" "$(awk '/^VmHWM/ {print $2}' "/proc/$TRACE_PID/status")"
	fi
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
	if [ -n "${BENCH_BASELINE:-}" ]; then
		b=$(churn baseline)
		record base "$(div "$b" "$p")"; record vsbase "$(div "$a" "$b")"
		say "    baseline trace -q -e all: $b/s, $(div "$b" "$p") of plain; this build / baseline $(div "$a" "$b");" \
			"tracer CPU ns a connection $(samples cpu_all | tail -n 1) / $(samples cpu_baseline | tail -n 1)," \
			"VmHWM kB $(samples hwm_all | tail -n 1) / $(samples hwm_baseline | tail -n 1)"
		record cpuratio "$(div "$(samples cpu_all | tail -n 1)" "$(samples cpu_baseline | tail -n 1)")"
		record hwmratio "$(div "$(samples hwm_all | tail -n 1)" "$(samples hwm_baseline | tail -n 1)")"
	fi
done
ratio split_trace_old_vs_plain "$(med old)" "RST churn under trace -q -e $OLDSET (a process of its own) / plain ($(spread old))"
ratio split_trace_all_vs_plain "$(med all)" "the same with -e all ($(spread all))"
ratio split_stress_trace_vs_plain "$(med st)" "stress --trace (tracer and join in the load's process) / plain ($(spread st))"
[ -n "${BENCH_BASELINE:-}" ] &&
	ratio split_trace_all_baseline_vs_plain "$(med base)" "RST churn under $BENCH_BASELINE trace -q -e all / plain ($(spread base))" &&
	ratio split_trace_all_vs_baseline "$(med vsbase)" "trace -q -e all, this build / $BENCH_BASELINE, per repetition ($(spread vsbase))" &&
	ratio split_tracer_cpu_vs_baseline "$(med cpuratio)" "the tracer's CPU a connection, this build / $BENCH_BASELINE ($(spread cpuratio))" &&
	ratio split_tracer_hwm_vs_baseline "$(med hwmratio)" "the tracer's peak memory (VmHWM), this build / $BENCH_BASELINE ($(spread hwmratio))"
true
