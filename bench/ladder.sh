#!/usr/bin/env bash
# 14. The cost of tracing, rung by rung (issue 16: what stands between
# `stress --trace` and a bare counter). RST churn, CPU-bound, 2 workers,
# in a namespace of its own; per repetition, alternating, each as a ratio
# to that repetition's plain run:
#   bpftrace   bpftrace count() on every tracepoint tcpscope attaches
#   floor2     bench/floor: return-0 programs, two per tracepoint (primary
#              and twin), the dispatch alone
#   ring       floor2, but where tcpscope emits an event per hit the
#              primary writes one event-sized record to a ring buffer (the
#              query and wakeup rule of tcpscope's submit()), read and
#              counted by a reader process: one record per event, no work
#   perf       the same record through a perf buffer (per CPU, no lock)
#   filtered   `trace -e all -q --port 9`: all of tcpscope's programs and
#              their work up to the filters, which keep nothing: no records
#   trace      `trace -e all -q`: the same, every event recorded and read
#              by the tracer, a process of its own
#   stress     `stress --trace`: tracer and join in the load's process
. "$(dirname "$0")/lib.sh"
SECS=${BENCH_SECS:-3}
REPS=${BENCH_LADDER_REPS:-5}
TPS_ALL="$TPS_SIX,tracepoint:skb:kfree_skb,tracepoint:tcp:tcp_cong_state_set,\
tracepoint:sock:sock_send_length,tracepoint:sock:sock_recv_length"
RUNGS="plain bpftrace floor2 ring perf filtered trace stress"

churn() { # RUNG: prints connections/s
	local v
	ns_new
	TRACE_PID=
	case $1 in
	bpftrace) bt_start "$TPS_ALL" ;;
	floor2) floor_start --twins ;;
	ring) floor_start --twins --ring ;;
	perf) floor_start --twins --perf ;;
	filtered) trace_beside -e all -q --port 9 ;;
	trace) trace_beside -e all -q ;;
	esac
	if [ "$1" = stress ]; then v=$(rst_churn --trace); else v=$(rst_churn); fi
	case $1 in
	bpftrace) bt_stop ;;
	floor2 | ring | perf) floor_stop ;;
	filtered | trace) int_stop "$TRACE_PID" ;;
	esac
	ns_del "$NS"
	echo "$v"
}

floor_build
say "ladder: load average $(loadavg) at start; $REPS repetitions of ${SECS}s RST churn per rung"
printf '%3s' rep; for r in $RUNGS; do printf ' %9s' "$r"; done; printf '   load\n'
for ((rep = 1; rep <= REPS; rep++)); do
	printf '%3d' "$rep"
	for r in $RUNGS; do
		v=$(churn "$r")
		printf ' %9d' "$v"
		if [ "$r" = plain ]; then p=$v; else record "$r" "$(div "$v" "$p")"; fi
	done
	printf '   %s\n' "$(loadavg)"
done
ratio ladder_bpftrace "$(med bpftrace)" "RST churn under bpftrace count() on all of tcpscope's tracepoints / plain ($(spread bpftrace))"
ratio ladder_floor2 "$(med floor2)" "under return-0 programs, two a tracepoint / plain ($(spread floor2))"
ratio ladder_ring "$(med ring)" "the same, one ring record per event-making hit, read by a process / plain ($(spread ring))"
ratio ladder_perf "$(med perf)" "the same through a perf buffer / plain ($(spread perf))"
ratio ladder_filtered "$(med filtered)" "under trace -e all -q --port 9 (all programs, no records) / plain ($(spread filtered))"
ratio ladder_trace "$(med trace)" "under trace -e all -q / plain ($(spread trace))"
ratio ladder_stress "$(med stress)" "stress --trace / plain ($(spread stress))"
