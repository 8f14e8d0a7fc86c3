#!/usr/bin/env bash
# BPF run time per hit of the programs on the state and owner tracepoints
# (bpf_stats: run_time_ns / run_cnt, read from the tracer's own program
# fds at its end) under `tcpscope trace` with its default events to
# /dev/null, on FIN churn with 1-byte exchanges (every connection: its
# whole state path, a send and a receive per side). With
# BENCH_BASELINE=/path/to/older/tcpscope each repetition runs that build
# too, interleaved, in the same load; ratios are this build's / the
# baseline's. Programs a build does not attach show as "-".
# BENCH_STATECOST_PERF=1: also a system-wide perf profile (cpu-clock, call
# graphs) of this build's first run, and for btf_state and btf_owner_recv
# the share of their samples by the first frames under the program (which
# helper, and what inside it).
. "$(dirname "$0")/lib.sh"
SECS=${BENCH_SECS:-3}
REPS=${BENCH_STATECOST_REPS:-3}
W=$(nproc)
PROGS=(btf_state btf_owner_state btf_owner_send btf_owner_recv btf_state_rescue btf_owner_state_rescue
	btf_owner_send_rescue btf_owner_recv_rescue)
# What one inet_sock_set_state hit costs: every program there, twins included.
ON_STATE='^btf_(owner_)?state(_rescue)?$'

old=$(sysctl -n kernel.bpf_stats_enabled)
cleanup_add sysctl -qw kernel.bpf_stats_enabled="$old"
sysctl -qw kernel.bpf_stats_enabled=1

progs_ns() { # PID: "name ns_per_run runs" for each of PID's BPF programs that ran
	local id
	for id in $(for f in /proc/"$1"/fdinfo/*; do awk '/^prog_id:/ {print $2}' "$f" 2>/dev/null; done | sort -un); do
		bpftool prog show id "$id" --json 2>/dev/null |
			jq -r 'select((.run_cnt // 0) > 0) | "\(.name) \(.run_time_ns / .run_cnt | floor) \(.run_cnt)"'
	done
}
one() { # BIN TAG: one run; records TAG_<prog> ns per run
	local tp name ns runs perf_pid=""
	"$1" trace > /dev/null 2> "$TMP/tr.err" &
	tp=$!
	bg_track "$tp"
	for ((i = 0; i < 600; i++)); do ls -l "/proc/$tp/fd" 2>/dev/null | grep -q bpf_link && break; sleep 0.05; done
	sleep 0.2
	ns_new
	if [ -n "${BENCH_STATECOST_PERF:-}" ] && [ "$2" = this ] && [ ! -e "$TMP/perf.data" ]; then
		perf record -q -a -g -o "$TMP/perf.data" -- sleep "$SECS" > /dev/null 2>&1 &
		perf_pid=$!
	fi
	in_ns "$TCPSCOPE" stress --mode churn --size 1 --threads "$W" --duration "${SECS}s" --json > "$TMP/load.json"
	[ -n "$perf_pid" ] && { wait "$perf_pid" || true; }
	ns_del "$NS"
	progs_ns "$tp" > "$TMP/progs"
	kill -INT "$tp"; wait "$tp" || true
	while read -r name ns runs; do record "$2_$name" "$ns"; done < "$TMP/progs"
	record "$2_transition" "$(awk -v re="$ON_STATE" '$1 ~ re {t += $2} END {print t + 0}' "$TMP/progs")"
	awk '{printf "%s %s ns x %s; ", $1, $2, $3}' "$TMP/progs"
}

# PROG: its samples' share by the frames from the leaf up to the program
perf_split() {
	perf script -i "$TMP/perf.data" 2> /dev/null | awk -v P="_$1\$" 'BEGIN { RS = "" }
	{
		n = split($0, l, "\n"); c = ""; hit = 0
		for (i = 2; i <= n && i <= 8; i++) {
			s = l[i]; sub(/^[ \t]*[0-9a-f]+ /, "", s); sub(/ \(.*$/, "", s); sub(/\+0x[0-9a-f]+$/, "", s)
			if (s ~ P) { hit = 1; break }
			c = c (c == "" ? "" : " < ") s
		}
		if (!hit) next
		C[c == "" ? "(the program itself)" : c]++; T++
	}
	END { for (k in C) printf "%5.1f%%  %s\n", 100 * C[k] / T, k; printf "%5d samples\n", T }' | sort -nr | head -12
}

say "statecost: $REPS repetitions of ${SECS}s FIN churn under trace (default events) > /dev/null; load average $(loadavg)"
for ((rep = 1; rep <= REPS; rep++)); do
	say "$rep this build: $(one "$TCPSCOPE" this) load $(loadavg)"
	if [ -n "${BENCH_BASELINE:-}" ]; then
		say "$rep baseline: $(one "$BENCH_BASELINE" base) load $(loadavg)"
		record r_transition "$(div "$(samples this_transition | tail -n1)" "$(samples base_transition | tail -n1)")"
	fi
done
for p in "${PROGS[@]}"; do
	a=$(med "this_$p"); b=$(med "base_$p")
	line="median $p ns/run: this build ${a/nan/-} ($(spread "this_$p"))"
	[ -n "${BENCH_BASELINE:-}" ] && line="$line, baseline ${b/nan/-} ($(spread "base_$p"))"
	say "$line"
done
say "median per inet_sock_set_state hit, all its programs: this build $(med this_transition) ns ($(spread this_transition))${BENCH_BASELINE:+, baseline $(med base_transition) ns ($(spread base_transition))}"
[ -n "${BENCH_BASELINE:-}" ] &&
	ratio statecost_transition "$(med r_transition)" "ns per inet_sock_set_state hit, this build / $BENCH_BASELINE, per repetition ($(spread r_transition))"
if [ -e "$TMP/perf.data" ]; then
	for p in btf_state btf_owner_recv; do say "perf, $p:"; perf_split "$p"; done
fi
exit 0
