#!/usr/bin/env bash
# 7. The hottest path. No hardware counters on this machine, so perf samples
# on the cpu-clock timer (user and kernel), and callgrind counts user-space
# instructions (bench/cost.sh c).
# a) perf of tcpscope trace -e state --json and of the churn it traces
#    (RST close, the fastest): top symbols, and the shares of write(), of the
#    BPF programs and of the ring-buffer wakeups.
# b) The fix the profile suggests and that is not done by default: batched
#    ring-buffer wakeups (trace --wakeup 256k) against per-event ones,
#    interleaved: BPF ns per run of the state program, traced churn rate, lost.
# c) With BENCH_BASELINE=/path/to/older/tcpscope: the tracer's CPU per event,
#    baseline against this build, interleaved (before/after of the fixes), on
#    a churn at a fixed rate (the same event rate for both: CPU per event
#    falls as the rate rises, more events per wakeup). CPU time from
#    /proc/PID/schedstat (nanoseconds; the tracer is one thread).
. "$(dirname "$0")/lib.sh"
SECS=${BENCH_SECS:-3}
PREPS=${BENCH_PROFILE_REPS:-3}
W=$(nproc)
OUT=$(mktemp -d /dev/shm/tcpscope-bench.XXXXXX)
cleanup_add rm -rf "$OUT"

churn_bg() { # [ARGS]: starts a RST churn in a fresh namespace; CHURN_PID
	ns_new
	in_ns "$TCPSCOPE" stress --mode churn --close rst --threads "$W" --duration "${SECS}s" \
		--json "$@" > "$OUT/churn.json" &
	CHURN_PID=$!
}
churn_rate() { jq '.connections.established / .rate.launch_s | floor' "$OUT/churn.json"; }
prog_stat() { # PID NAME: "runs ns_per_run"
	local f id
	for f in /proc/"$1"/fdinfo/*; do awk '/^prog_id:/ {print $2}' "$f" 2>/dev/null; done |
		sort -un | while read -r id; do
			bpftool prog show id "$id" --json |
				jq -r --arg n "$2" 'select(.name == $n and .run_cnt > 0) |
					"\(.run_cnt) \(.run_time_ns / .run_cnt | floor)"'
		done
}

# ---- a) ----
"$TCPSCOPE" trace -e state --json > "$OUT/ev" 2>/dev/null & tp=$!
bg_track "$tp"
sleep 1
churn_bg
sleep 0.3
sp="" i=0
while [ -z "$sp" ] && [ $((i++)) -lt 40 ]; do # the subshell's child: ip, exec'd into tcpscope
	sp=$(pgrep -P "$CHURN_PID" | head -n 1) || sleep 0.05
done
perf record -q -e cpu-clock -F 2000 -g -p "$tp,$sp" -o "$OUT/perf.data" -- sleep $((SECS - 1)) \
	> /dev/null 2>&1 || true
wait "$CHURN_PID"; ns_del "$NS"
kill -INT "$tp"; wait "$tp" || true
rep() { perf report -i "$OUT/perf.data" --stdio -g none "$@" 2>/dev/null | grep -v -e '^#' -e '^$' || true; }
say "profile a: perf cpu-clock, tracer (pid $tp) and churn (pid $sp), ${SECS}s RST churn, $(tail -n 1 "$OUT/ev" | jq .events.state) state events"
say "  samples by process:"
rep --no-children --sort pid | head -6 | sed 's/^/    /'
say "  top symbols of the tracer (self):"
rep --no-children --pid "$tp" --sort sym | head -10 | sed 's/^/    /'
say "  tracer, inclusive: write() and epoll_wait():"
rep --children --pid "$tp" --sort sym | { grep -E '\] (__GI___libc_write|epoll_wait|ring_buffer__poll|event_print_json)$' || true; } | sed 's/^/    /'
say "  churn process, inclusive: BPF programs and ring-buffer work inside the load:"
rep --children --pid "$sp" --sort sym | { grep -E 'bpf_prog_|bpf_ringbuf|irq_work|bpf_trace_run' || true; } | head -8 | sed 's/^/    /'

# ---- b) ----
old=$(sysctl -n kernel.bpf_stats_enabled)
cleanup_add sysctl -qw kernel.bpf_stats_enabled="$old"
sysctl -qw kernel.bpf_stats_enabled=1
say ""
say "profile b: per-event wakeups (default) against --wakeup 256k, $PREPS interleaved repetitions"
say "rep  wakeup  state_runs  ns/run  churn/s  lost"
for ((rep = 1; rep <= PREPS; rep++)); do
	for wk in 0 256k; do
		"$TCPSCOPE" trace -e state --json --wakeup $wk > "$OUT/ev" 2>/dev/null & tp=$!
		bg_track "$tp"
		sleep 1
		churn_bg; wait "$CHURN_PID"; ns_del "$NS"
		read -r runs nsr < <(prog_stat "$tp" btf_state)
		kill -INT "$tp"; wait "$tp" || true
		lost=$(tail -n 1 "$OUT/ev" | jq .lost); c=$(churn_rate)
		record "ns_$wk" "$nsr"; record "c_$wk" "$c"; record "lost_$wk" "$lost"
		printf '%3d  %6s  %10s  %6s  %7s  %4s\n' "$rep" $wk "$runs" "$nsr" "$c" "$lost"
	done
	record r_ns "$(div "$(samples ns_256k | tail -n 1)" "$(samples ns_0 | tail -n 1)")"
	record r_c "$(div "$(samples c_256k | tail -n 1)" "$(samples c_0 | tail -n 1)")"
done
sysctl -qw kernel.bpf_stats_enabled="$old"

# ---- c) ----
if [ -n "${BENCH_BASELINE:-}" ]; then
	say ""
	say "profile c: tracer CPU per state event, baseline $BENCH_BASELINE against this build, churn at ${CRATE:=12000}/s"
	say "rep  build     events   cpu_ms  ns/event"
	for ((rep = 1; rep <= PREPS; rep++)); do
		for who in baseline current; do
			bin=$TCPSCOPE; [ $who = baseline ] && bin=$BENCH_BASELINE
			"$bin" trace -e state --json > "$OUT/ev" 2>/dev/null & tp=$!
			bg_track "$tp"
			sleep 1
			t0=$(awk '{print $1}' "/proc/$tp/schedstat")
			churn_bg --rate "$CRATE"; wait "$CHURN_PID"; ns_del "$NS"
			sleep 0.3
			t1=$(awk '{print $1}' "/proc/$tp/schedstat")
			kill -INT "$tp"; wait "$tp" || true
			ev=$(tail -n 1 "$OUT/ev" | jq .events.state)
			nse=$(div "$((t1 - t0))" "$ev" 0)
			record "b_$who" "$nse"
			printf '%3d  %-8s %8s %8s %9s\n' "$rep" $who "$ev" "$(((t1 - t0) / 1000000))" "$nse"
		done
		record r_b "$(div "$(samples b_current | tail -n 1)" "$(samples b_baseline | tail -n 1)")"
	done
fi
say ""
ratio profile_wakeup256k_bpf_ns "$(med r_ns)" "BPF ns per state event, --wakeup 256k / per-event wakeups ($(spread r_ns))"
ratio profile_wakeup256k_churn "$(med r_c)" "traced churn rate, --wakeup 256k / per-event wakeups ($(spread r_c)); lost: $(samples lost_256k | tr '\n' ' ')"
[ -n "${BENCH_BASELINE:-}" ] &&
	ratio profile_cpu_per_event_vs_baseline "$(med r_b)" "tracer CPU per event, this build / baseline ($(spread r_b))"
exit 0
