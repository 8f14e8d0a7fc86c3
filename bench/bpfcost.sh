#!/usr/bin/env bash
# BPF run time per program under stress --trace (RST churn, CPU-bound):
# kernel.bpf_stats_enabled (restored after), bpftool's run_time_ns /
# run_cnt for each program the run holds, read near the end of the churn.
# With BENCH_BASELINE=/path/to/older/tcpscope, each repetition runs that
# build too, interleaved, and the ratios are this build's / the baseline's.
# Not part of `make bench` (bench/run bpfcost runs it).
. "$(dirname "$0")/lib.sh"
SECS=${BENCH_SECS:-3}
REPS=${BENCH_BPFCOST_REPS:-3}
W=$(nproc)

old=$(sysctl -n kernel.bpf_stats_enabled)
cleanup_add sysctl -qw kernel.bpf_stats_enabled="$old"
sysctl -qw kernel.bpf_stats_enabled=1

one() { # WHO BIN: prints "rate lost name=ns ..."
	local who=$1 bin=$2 pid sp f id out=""
	ns_new
	in_ns "$bin" stress --mode churn --close rst --threads "$W" --duration "${SECS}s" --json \
		--trace > "$TMP/s.json" 2> "$TMP/s.err" &
	sp=$!
	sleep "$(awk -v s="$SECS" 'BEGIN {print s - 0.5}')"
	pid=$(ip netns pids "$NS" | head -n 1)
	for id in $(for f in /proc/"$pid"/fdinfo/*; do awk '/^prog_id:/ {print $2}' "$f" 2>/dev/null; done | sort -un); do
		out="$out $(bpftool prog show id "$id" --json | jq -r 'select(.run_cnt != null and .run_cnt > 0) |
			"\(.name)=\(.run_time_ns / .run_cnt | floor)"')"
	done
	wait "$sp" || { say "  ($who: stress failed: $(head -c 300 "$TMP/s.err"))" >&2; }
	ns_del "$NS"
	echo "$(jq '.connections.established / .rate.launch_s | floor' "$TMP/s.json") $(jq .trace.lost "$TMP/s.json")$out"
}
ns_of() { tr ' ' '\n' <<< "$1" | awk -F= -v n="$2" '$1 == n {print $2}'; }

say "bpfcost: $REPS repetitions of ${SECS}s RST churn --trace; ns per program run (bpf_stats)"
for ((rep = 1; rep <= REPS; rep++)); do
	for who in this ${BENCH_BASELINE:+baseline}; do
		bin=$TCPSCOPE; [ "$who" = baseline ] && bin=$BENCH_BASELINE
		r=$(one "$who" "$bin")
		say "$rep $who: $r"
		for p in btf_state btf_state_rescue btf_probe btf_send_reset btf_recv_reset; do
			v=$(ns_of "$r" "$p")
			[ -n "$v" ] && record "${who}_$p" "$v"
		done
	done
done
for p in btf_state btf_state_rescue btf_probe btf_send_reset btf_recv_reset; do
	say "median ns/run $p: this build $(med "this_$p") ($(spread "this_$p"))${BENCH_BASELINE:+, baseline $(med "baseline_$p") ($(spread "baseline_$p"))}"
	[ -n "${BENCH_BASELINE:-}" ] &&
		ratio "bpfcost_${p}_vs_baseline" "$(div "$(med "this_$p")" "$(med "baseline_$p")" 2)" \
			"ns per run of $p, this build / $BENCH_BASELINE"
done
exit 0
