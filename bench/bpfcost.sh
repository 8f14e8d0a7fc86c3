#!/usr/bin/env bash
# BPF run time per program under stress --trace (RST churn, CPU-bound):
# kernel.bpf_stats_enabled (restored after), bpftool's run_time_ns /
# run_cnt for each program the run holds, read as late as it holds them;
# beside it bpftrace count() on tcp:tcp_cong_state_set, the floor there.
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

# The stress process holds its programs once it has its links: libbpf's
# feature probes before that load programs and free them again, whose ids
# bpftool then cannot find (what "finds no programs" was, on a busy machine
# where loading outlasts the old fixed sleep).
attached() { [ "$(ls -l "/proc/$1/fd" 2>/dev/null | grep -c bpf_link)" -gt 0 ]; }

# "id run_time_ns run_cnt" of each program PID holds, from the fdinfo of
# its program fds only (a churn holds thousands of sockets).
prog_stats() {
	local f
	for f in $(ls -l "/proc/$1/fd" 2>/dev/null | awk '/bpf-prog/ {print $9}'); do
		awk '/^prog_id:/ {i = $2} /^run_time_ns:/ {t = $2} /^run_cnt:/ {c = $2}
			END {if (i) print i, t + 0, c + 0}' "/proc/$1/fdinfo/$f" 2>/dev/null || true
	done | sort -u
}

# name=ns/run of each program that ran in the stats file, names from
# bpftool's listing (which gives names past the kernel's 15 characters).
prog_names() { # STATS: "id name" lines, from one listing of every program
	bpftool prog show --json | jq -r --arg ids "$(awk '{print $1}' "$1" | tr '\n' ' ')" \
		'($ids | split(" ") | map(select(. != "") | tonumber)) as $w |
		 .[] | select(.id as $i | $w | any(. == $i)) | "\(.id) \(.name)"'
}
progs_ns() { # STATS NAMES
	local id t c
	while read -r id t c; do
		[ "$c" -gt 0 ] || continue
		echo "$(awk -v i="$id" '$1 == i {print $2}' "$2")=$((t / c))"
	done < "$1" | tr '\n' ' '
}

# The floor beside ours: bpftrace counting tcp:tcp_cong_state_set (@n =
# count()), the least any program on that tracepoint can cost, in the same
# churn; its program's name starts with the tracepoint's.
peer_start() {
	bpftrace -e 'tracepoint:tcp:tcp_cong_state_set { @n = count(); }' > "$TMP/bt.out" 2>&1 &
	BT=$!
	sleep 6 # bpftrace is slow to start on a busy machine
}
peer_ns() {
	local id
	id=$(bpftool prog show --json | jq -r '[.[] | select(.type == "tracepoint" and
		(.name // "" | startswith("tcp_cong"))) | .id] | last')
	[ -n "$id" ] && [ "$id" != null ] &&
		bpftool prog show id "$id" --json | jq -r 'select(.run_cnt > 0) |
			"bpftrace_cong=\(.run_time_ns / .run_cnt | floor)"'
	int_stop "$BT"
}

one() { # WHO BIN: prints "rate lost name=ns ..."
	local who=$1 bin=$2 pid="" sp i out=""
	ns_new
	[ "$who" = this ] && peer_start
	in_ns "$bin" stress --mode churn --close rst --threads "$W" --duration "${SECS}s" --json \
		--trace > "$TMP/s.json" 2> "$TMP/s.err" &
	sp=$!
	for ((i = 0; i < 600; i++)); do
		pid=$(ip netns pids "$NS" | head -n 1)
		[ -n "$pid" ] && attached "$pid" && break
		sleep 0.05
	done
	# The counts as late as the process still holds its programs (the
	# duration runs from before the tracer's load, which is slow on a busy
	# machine); the names while they still exist.
	: > "$TMP/stats"; : > "$TMP/names"
	while [ -n "$pid" ] && attached "$pid"; do
		prog_stats "$pid" > "$TMP/stats.new"
		# A snapshot taken as it let go of its programs is not kept.
		if [ -s "$TMP/stats.new" ] && attached "$pid"; then
			mv "$TMP/stats.new" "$TMP/stats"
			[ -s "$TMP/names" ] || prog_names "$TMP/stats" > "$TMP/names"
		fi
		sleep 0.1
	done
	out=$(progs_ns "$TMP/stats" "$TMP/names")
	[ "$who" = this ] && out="$out $(peer_ns)"
	wait "$sp" || { say "  ($who: stress failed: $(head -c 300 "$TMP/s.err"))" >&2; }
	ns_del "$NS"
	echo "$(jq '.connections.established / .rate.launch_s | floor' "$TMP/s.json") $(jq .trace.lost "$TMP/s.json") $out"
}
ns_of() { tr ' ' '\n' <<< "$1" | awk -F= -v n="$2" '$1 == n {print $2}'; }

# The programs of the churn's events, and the drop and cong programs (one
# variant of kfree_skb attaches: drop_rx from 6.13 on, drop before).
PROGS="btf_state btf_state_rescue btf_probe btf_send_reset btf_recv_reset btf_drop btf_drop_rx
	btf_cong btf_cong_rescue btf_owner_state bpftrace_cong"
say "bpfcost: $REPS repetitions of ${SECS}s RST churn --trace; ns per program run (bpf_stats);" \
	"load average $(cut -d' ' -f1-3 /proc/loadavg)"
for ((rep = 1; rep <= REPS; rep++)); do
	for who in this ${BENCH_BASELINE:+baseline}; do
		bin=$TCPSCOPE; [ "$who" = baseline ] && bin=$BENCH_BASELINE
		r=$(one "$who" "$bin")
		say "$rep $who: $r"
		for p in $PROGS; do
			v=$(ns_of "$r" "$p")
			[ -n "$v" ] && record "${who}_$p" "$v"
		done
	done
done
say "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
[ -s "$TMP/this_btf_cong" ] && [ -s "$TMP/this_bpftrace_cong" ] &&
	ratio bpfcost_cong_vs_bpftrace_count "$(div "$(med this_btf_cong)" "$(med this_bpftrace_cong)" 1)" \
		"ns per run of btf_cong / bpftrace count() on tcp_cong_state_set, same churn"
for p in $PROGS; do
	[ -s "$TMP/this_$p" ] || { say "$p: did not run"; continue; }
	say "median ns/run $p: this build $(med "this_$p") ($(spread "this_$p"))${BENCH_BASELINE:+, baseline $(med "baseline_$p") ($(spread "baseline_$p"))}"
	[ -n "${BENCH_BASELINE:-}" ] &&
		ratio "bpfcost_${p}_vs_baseline" "$(div "$(med "this_$p")" "$(med "baseline_$p")" 2)" \
			"ns per run of $p, this build / $BENCH_BASELINE"
done
exit 0
