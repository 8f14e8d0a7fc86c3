#!/usr/bin/env bash
# 6. CPU cost per event.
# a) BPF run time per program (kernel.bpf_stats_enabled, restored after):
#    tcpscope trace -e all -i 0, bpftrace count() on the same tracepoints and
#    libbpf-tools' tcpstates, all attached at once to one churn.
# b) User-space CPU per event: tcpscope trace -e state --json and tcpstates,
#    each alone on the same RST churn in turn; CPU time (schedstat) per
#    event, and in cycles at the nominal clock (no hardware counters here).
# c) Instructions per event of the decode and output path (bench/decode.c
#    under callgrind: differences of 1000 and 2000 events, repeatable).
. "$(dirname "$0")/lib.sh"
SECS=${BENCH_SECS:-3}
CREPS=${BENCH_COST_REPS:-3}
W=$(nproc)
OUT=$(mktemp -d /dev/shm/tcpscope-bench.XXXXXX)
cleanup_add rm -rf "$OUT"
TPS="tracepoint:sock:inet_sock_set_state,tracepoint:tcp:tcp_retransmit_skb,\
tracepoint:tcp:tcp_retransmit_synack,tracepoint:tcp:tcp_probe,\
tracepoint:tcp:tcp_send_reset,tracepoint:tcp:tcp_receive_reset"
HZ_CPU=$(awk -F: '/^cpu MHz/ {print $2 * 1e6; exit}' /proc/cpuinfo)

churn() { # --close fin|rst ...
	ns_new
	in_ns "$TCPSCOPE" stress --mode churn --threads "$W" --duration "${SECS}s" --json "$@" \
		> "$OUT/churn.json"
	ns_del "$NS"
}
prog_ids() { # PID: ids of the BPF programs it holds
	local f
	for f in /proc/"$1"/fdinfo/*; do awk '/^prog_id:/ {print $2}' "$f" 2>/dev/null; done | sort -un
}
# "name runs ns_per_run" per program of PID that ran
prog_stats() {
	local id
	for id in $(prog_ids "$1"); do
		bpftool prog show id "$id" --json |
			jq -r 'select(.run_cnt != null and .run_cnt > 0) |
				"\(.name) \(.run_cnt) \(.run_time_ns / .run_cnt | . * 10 | floor / 10)"'
	done
}
cpu_ns() { awk '{print $1}' "/proc/$1/schedstat"; } # both tracers are one thread
wait_ready() { # FILE REGEX
	local i
	for ((i = 0; i < 200; i++)); do grep -qE "$2" "$1" 2>/dev/null && return 0; sleep 0.05; done
}

# ---- a) BPF run time ----
old=$(sysctl -n kernel.bpf_stats_enabled)
cleanup_add sysctl -qw kernel.bpf_stats_enabled="$old"
sysctl -qw kernel.bpf_stats_enabled=1
"$TCPSCOPE" trace -e all --probe-interval 0 --json > "$OUT/ts" 2> "$OUT/ts.err" & ts=$!
bpftrace -e "$TPS { @n = count(); }" > "$OUT/bt" 2>&1 & bt=$!
tcpstates > "$OUT/st" 2> "$OUT/st.err" & st=$!
bg_track "$ts"; bg_track "$bt"; bg_track "$st"
wait_ready "$OUT/bt" Attaching; wait_ready "$OUT/st" SKADDR; sleep 1
churn --close fin --size 1
prog_stats "$ts" > "$OUT/p.ts"; prog_stats "$bt" > "$OUT/p.bt"; prog_stats "$st" > "$OUT/p.st"
int_stop "$ts" "$bt" "$st"
sysctl -qw kernel.bpf_stats_enabled="$old"
say "cost a: BPF run time per program run, one ${SECS}s FIN churn with 1-byte exchanges, all three attached"
say "  tracer     program              runs   ns/run"
for who in ts:tcpscope bt:bpftrace st:tcpstates; do
	while read -r name runs ns; do
		printf '  %-10s %-18s %8s %8s\n' "${who#*:}" "$name" "$runs" "$ns"
	done < "$OUT/p.${who%%:*}"
done
ns_of() { awk -v n="$2" '$1 == n {print $3}' "$OUT/p.$1"; }
ts_state=$(ns_of ts btf_state); ts_probe=$(ns_of ts btf_probe)
bt_state=$(awk '$1 ~ /^inet_sock/ {print $3}' "$OUT/p.bt"); bt_probe=$(ns_of bt tcp_probe)
st_state=$(awk 'NR == 1 {print $3}' "$OUT/p.st")

# ---- b) user-space CPU per event ----
say ""
say "cost b: user-space CPU per state event, $CREPS repetitions of a ${SECS}s RST churn, each tracer alone"
say "rep  tracer     events    cpu_ms  ns/event  cycles/event"
for ((rep = 1; rep <= CREPS; rep++)); do
	for who in tcpscope tcpstates; do
		if [ $who = tcpscope ]; then
			"$TCPSCOPE" trace -e state --json > "$OUT/u" 2> "$OUT/u.err" & pid=$!
			bg_track "$pid"
			sleep 1
		else
			tcpstates > "$OUT/u" 2> "$OUT/u.err" & pid=$!
			bg_track "$pid"
			wait_ready "$OUT/u" SKADDR; sleep 0.5
		fi
		t0=$(cpu_ns "$pid")
		churn --close rst
		sleep 0.5
		t1=$(cpu_ns "$pid")
		kill -INT "$pid"; wait "$pid" || true
		if [ $who = tcpscope ]; then
			ev=$(tail -n 1 "$OUT/u" | jq '.events.state')
		else
			ev=$(($(wc -l < "$OUT/u") - 1))
		fi
		nsev=$(div "$((t1 - t0))" "$ev" 0)
		cyc=$(awk -v n="$nsev" -v hz="$HZ_CPU" 'BEGIN {printf "%d", n * hz / 1e9}')
		record "u_$who" "$nsev"
		printf '%3d  %-9s %8s %8s %9s %13s\n' "$rep" $who "$ev" "$(((t1 - t0) / 1000000))" "$nsev" "$cyc"
	done
done

# ---- c) callgrind ----
say ""
say "cost c: instructions per event, decode + output (callgrind, bench/decode.c)"
DEC=$TMP/decode
cc -std=gnu11 -O2 -g -D_GNU_SOURCE -I"$TOP/include" -I"$TOP/src" -I"$TOP/build" "$TOP/bench/decode.c" \
	$(ls "$TOP"/build/obj/*/*.o | grep -v '/main\.o$') -lbpf -lelf -lz -lpthread -lm -o "$DEC"
ir() { # text|json TYPE N
	valgrind --tool=callgrind --callgrind-out-file=/dev/null --toggle-collect='event_print_*' \
		"$DEC" "$@" 2>&1 | awk '/Collected/ {print $4}'
}
say "  output  type         Ir/event"
for m in text json; do
	for t in state probe retransmit; do
		a=$(ir $m $t 1000); b=$(ir $m $t 2000)
		printf '  %-6s  %-10s  %10s\n' $m $t $(((b - a) / 1000))
		record "ir_${m}_$t" $(((b - a) / 1000))
	done
done
say ""
say "BPF ns/run: tcpscope state $ts_state, probe $ts_probe; bpftrace count() state $bt_state, probe $bt_probe; tcpstates $st_state"
ratio cost_bpf_state_vs_bpftrace_count "$(div "$ts_state" "$bt_state" 2)" "ns per run of our state program / bpftrace count()'s"
ratio cost_bpf_state_vs_tcpstates "$(div "$ts_state" "$st_state" 2)" "ns per run / tcpstates' program"
ratio cost_bpf_probe_vs_bpftrace_count "$(div "$ts_probe" "$bt_probe" 2)" "ns per run of our probe program / bpftrace count()'s"
ratio cost_user_ns_per_event_vs_tcpstates "$(div "$(med u_tcpscope)" "$(med u_tcpstates)" 2)" "user-space CPU per state event, ours ($(med u_tcpscope) ns) / tcpstates' ($(med u_tcpstates) ns)"
ratio cost_ir_text_state "$(med ir_text_state)" "instructions per state event, text output (repeatable)"
ratio cost_ir_json_state "$(med ir_json_state)" "instructions per state event, JSON output (repeatable)"
