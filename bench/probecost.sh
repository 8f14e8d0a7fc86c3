#!/usr/bin/env bash
# BPF run time of the probe program per hit (bpf_stats: run_time_ns /
# run_cnt of btf_probe, read from the tracer's own program fds at its end),
# `tcpscope trace -e probe -q` at the default --probe-interval, on two
# loads: rr on 64 keep-alive connections (many hits per socket: nearly all
# sampled out) and FIN churn with 1-byte exchanges (new sockets: each one's
# first probe). With BENCH_BASELINE=/path/to/older/tcpscope each repetition
# runs that build too, interleaved; ratios are this build's / the baseline's.
# Also the floor's return-0 program on tcp_probe in the same loads.
. "$(dirname "$0")/lib.sh"
SECS=${BENCH_SECS:-3}
REPS=${BENCH_PROBECOST_REPS:-3}
W=$(nproc)

old=$(sysctl -n kernel.bpf_stats_enabled)
cleanup_add sysctl -qw kernel.bpf_stats_enabled="$old"
sysctl -qw kernel.bpf_stats_enabled=1

load() { # rr|churn
	ns_new
	if [ "$1" = rr ]; then
		in_ns "$TCPSCOPE" stress --mode rr -c 64 --size 100 --threads "$W" --duration "${SECS}s" \
			--json > "$TMP/load.json"
	else
		in_ns "$TCPSCOPE" stress --mode churn --size 1 --threads "$W" --duration "${SECS}s" \
			--json > "$TMP/load.json"
	fi
	ns_del "$NS"
}
prog_ns() { # PID NAME: ns per run of the program NAME among PID's fds
	local id
	for id in $(for f in /proc/"$1"/fdinfo/*; do awk '/^prog_id:/ {print $2}' "$f" 2>/dev/null; done | sort -un); do
		bpftool prog show id "$id" --json 2>/dev/null |
			jq -r --arg n "$2" 'select(.name == $n and (.run_cnt // 0) > 0) | .run_time_ns / .run_cnt | floor'
	done | head -n1
}
one() { # BIN rr|churn: ns per run of btf_probe
	local tp v
	"$1" trace -e probe -q --json > "$TMP/tr.json" 2> "$TMP/tr.err" &
	tp=$!
	bg_track "$tp"
	for ((i = 0; i < 600; i++)); do ls -l "/proc/$tp/fd" 2>/dev/null | grep -q bpf_link && break; sleep 0.05; done
	sleep 0.2
	load "$2"
	v=$(prog_ns "$tp" btf_probe)
	kill -INT "$tp"; wait "$tp" || true
	echo "${v:-nan}"
}
one_floor() { # rr|churn: ns per run of the floor's f_probe
	local v
	floor_start --no-owner
	load "$1"
	v=$(prog_ns "$FLOOR_PID" f_probe)
	floor_stop
	echo "${v:-nan}"
}

say "probecost: $REPS repetitions of ${SECS}s rr (64 connections) and FIN churn under trace -e probe -q; load average $(loadavg)"
for ((rep = 1; rep <= REPS; rep++)); do
	for l in rr churn; do
		a=$(one "$TCPSCOPE" $l); record "this_$l" "$a"
		line="$rep $l: this build $a ns"
		if [ -n "${BENCH_BASELINE:-}" ]; then
			b=$(one "$BENCH_BASELINE" $l); record "base_$l" "$b"; record "r_$l" "$(div "$a" "$b")"
			line="$line, baseline $b ns"
		fi
		f=$(one_floor $l); record "floor_$l" "$f"
		say "$line, floor $f ns; load $(loadavg)"
	done
done
for l in rr churn; do
	say "median btf_probe ns/run, $l: this build $(med "this_$l") ($(spread "this_$l"))${BENCH_BASELINE:+, baseline $(med "base_$l") ($(spread "base_$l"))}, floor $(med "floor_$l")"
	[ -n "${BENCH_BASELINE:-}" ] &&
		ratio "probecost_${l}_vs_baseline" "$(med "r_$l")" "btf_probe ns per run, $l, this build / $BENCH_BASELINE ($(spread "r_$l"))"
	ratio "probecost_${l}_vs_floor" "$(div "$(med "this_$l")" "$(med "floor_$l")" 1)" "btf_probe ns per run / the floor's return-0 program, $l"
done
exit 0
