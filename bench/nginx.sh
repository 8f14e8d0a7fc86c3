#!/usr/bin/env bash
# 11. Tracing a web server as a user would (issue 16's targets): wrk
# -t2 -c64 against nginx (2 workers, `return 200 "ok"`) on loopback in the
# run's namespace, with `Connection: close` (a connection per request) and
# with keep-alive. Per repetition, alternating: untraced; `tcpscope trace`
# (default events, text to /dev/null); `trace --events all -q`; bpftrace
# count() on the six tracepoints; the floor (bench/floor.bpf.c: programs
# that only return 0 on every tracepoint tcpscope attaches). Tracers run in
# the root namespace, system-wide. Ratios are medians of per-repetition
# ratios of wrk's Requests/sec; the tracer's own CPU seconds during each
# wrk run too (its start, BTF and loading, left out).
# A last close run per repetition: `--events all -q --wakeup 0` (per-event
# wakeups, the default before), for the batching's share.
. "$(dirname "$0")/lib.sh"
SECS=${BENCH_SECS:-5}
REPS=${BENCH_NGINX_REPS:-3}
PORT=18088
command -v nginx >/dev/null || die "nginx missing: bench/install-peers.sh"
command -v wrk >/dev/null || die "wrk missing: bench/install-peers.sh"
command -v bpftrace >/dev/null || die "bpftrace missing: bench/install-peers.sh"

nginx_conf 2 'location / { default_type text/plain; return 200 "ok"; }'

# wrk against a fresh nginx in a fresh namespace: prints Requests/sec.
wrk_run() { # close|keepalive
	local hdr=()
	[ "$1" = close ] && hdr=(-H "Connection: close")
	ns_new
	nginx_start
	in_ns wrk -t2 -c64 -d"${SECS}s" "${hdr[@]}" "http://127.0.0.1:$PORT/" > "$TMP/wrk.out" 2>&1
	nginx_stop
	ns_del "$NS"
	awk '$1 == "Requests/sec:" { printf "%d\n", $2 }' "$TMP/wrk.out" | grep . ||
		die "wrk gave no result: $(cat "$TMP/wrk.out")"
}
attached() { # PID: wait until it holds its BPF links
	local i
	for ((i = 0; i < 600; i++)); do
		ls -l "/proc/$1/fd" 2>/dev/null | grep -q bpf_link && { sleep 0.2; return 0; }
		sleep 0.05
	done
	die "the tracer did not attach: $(cat "$TMP/tr.err")"
}
# wrk under `tcpscope trace ARGS...`: prints "req/s tracer_cpu_s lost".
traced() { # close|keepalive OUT ARGS...
	local mode=$1 out=$2 tp rps cpu lost
	shift 2
	"$TCPSCOPE" trace "$@" > "$out" 2> "$TMP/tr.err" &
	tp=$!
	bg_track "$tp"
	attached "$tp"
	cpu=$(cpu_s "$tp")
	rps=$(wrk_run "$mode")
	cpu=$(awk -v a="$cpu" -v b="$(cpu_s "$tp")" 'BEGIN {printf "%.2f\n", b - a}')
	kill -INT "$tp"
	wait "$tp" || die "tcpscope trace failed: $(cat "$TMP/tr.err")"
	if [ "$out" = /dev/null ]; then # the summary went there: the loss warnings say it
		lost=$(sed -n 's/.*WARNING: \([0-9]*\) events lost.*/\1/p' "$TMP/tr.err" | tail -n1)
	else
		lost=$(tail -n1 "$out" | jq .lost)
	fi
	echo "$rps $cpu ${lost:-0}"
}
under_bt() { bt_start "$TPS_SIX"; wrk_run "$1"; bt_stop; }
under_floor() { floor_start; wrk_run "$1"; floor_stop; }

# BENCH_NGINX_COST=1: instead of the rates, where the time goes, per
# request of the Connection: close load: each tracer's BPF programs (runs
# and ns, bpf_stats) and its own CPU. Less bent by the machine's other
# load than rates are.
prog_snap() { # PID: "name runs ns" for each BPF program PID holds
	local id
	for id in $(for f in /proc/"$1"/fdinfo/*; do awk '/^prog_id:/ {print $2}' "$f" 2>/dev/null; done | sort -un); do
		bpftool prog show id "$id" --json 2>/dev/null |
			jq -r '"\(.name // "?")#\(.id) \(.run_cnt // 0) \(.run_time_ns // 0)"'
	done | sort
}
cost_one() { # NAME COMMAND...: one wrk run under the command, per request
	local name=$1 pid rps cpu i req
	shift
	"$@" > "$TMP/cost.out" 2>&1 &
	pid=$!
	bg_track "$pid"
	for ((i = 0; i < 600; i++)); do
		{ ls -l "/proc/$pid/fd" 2>/dev/null | grep -q bpf_link || grep -q Attaching "$TMP/cost.out"; } && break
		sleep 0.05
	done
	sleep 0.5
	prog_snap "$pid" > "$TMP/snap0"
	cpu=$(cpu_s "$pid")
	rps=$(wrk_run close)
	prog_snap "$pid" > "$TMP/snap1"
	cpu=$(awk -v a="$cpu" -v b="$(cpu_s "$pid")" 'BEGIN {print b - a}')
	kill -INT "$pid"; wait "$pid" || true
	req=$((rps * SECS))
	# Per program (those that ran), then the sum.
	join "$TMP/snap0" "$TMP/snap1" | awk -v req="$req" -v name="$name" -v rps="$rps" -v cpu="$cpu" '
		{ r = $4 - $2; t = $5 - $3; R += r; T += t; sub(/#.*/, "", $1)
		  if (r > 0 && r / req >= 0.01) line[++n] = sprintf("    %-26s %6.2f runs/request %6d ns/run %6.2f us/request", $1, r / req, t / r, t / req / 1000) }
		END { printf "%-28s %7s req/s  %6.1f program runs/request  %6.0f ns/run  %6.2f us BPF/request  %5.2f us tracer CPU/request\n",
			name, rps, R / req, R ? T / R : 0, T / req / 1000, cpu * 1e6 / req
		      for (i = 1; i <= n; i++) print line[i] }'
}
if [ -n "${BENCH_NGINX_COST:-}" ]; then
	floor_build
	old=$(sysctl -n kernel.bpf_stats_enabled)
	cleanup_add sysctl -qw kernel.bpf_stats_enabled="$old"
	sysctl -qw kernel.bpf_stats_enabled=1
	say "nginx cost: per request of ${SECS}s wrk -t2 -c64 -H 'Connection: close'; load average $(loadavg)"
	for ((rep = 1; rep <= REPS; rep++)); do
		cost_one "trace > /dev/null" sh -c 'exec "$0" trace > /dev/null' "$TCPSCOPE"
		cost_one "trace --events all -q" "$TCPSCOPE" trace --events all -q
		cost_one "bpftrace count(), six" bpftrace -e "$TPS_SIX { @n = count(); }"
		cost_one "floor, one per tracepoint" "$TMP/floor" "$TMP/floor.bpf.o"
		cost_one "floor, two (twins)" "$TMP/floor" "$TMP/floor.bpf.o" --twins
		cost_one "floor, two, no owner hooks" "$TMP/floor" "$TMP/floor.bpf.o" --twins --no-owner
		say "load average $(loadavg)"
	done
	exit 0
fi

floor_build
say "nginx: $REPS repetitions of ${SECS}s wrk -t2 -c64, Connection: close then keep-alive; load average at start $(loadavg)"
say "rep  mode       plain  trace(cpu,lost)      all-q(cpu,lost)      bpftrace  floor   load"
for ((rep = 1; rep <= REPS; rep++)); do
	a=$(wrk_run close)
	read -r b bcpu blost <<<"$(traced close /dev/null)"
	read -r c ccpu clost <<<"$(traced close "$TMP/all.json" --events all -q --json)"
	d=$(under_bt close)
	e=$(under_floor close)
	read -r w wcpu wlost <<<"$(traced close "$TMP/all.json" --events all -q --json --wakeup 0)"
	record c_w0 "$w"; record c_w0_cpu "$wcpu"; record lost "$wlost"
	record r_c_w0 "$(div "$w" "$a")"; record r_c_all_w0 "$(div "$c" "$w")"
	record c_plain "$a"; record c_trace "$b"; record c_all "$c"; record c_bt "$d"; record c_floor "$e"
	record c_trace_cpu "$bcpu"; record c_all_cpu "$ccpu"; record lost "$blost"; record lost "$clost"
	record r_c_trace "$(div "$b" "$a")"; record r_c_all "$(div "$c" "$a")"
	record r_c_bt "$(div "$d" "$a")"; record r_c_floor "$(div "$e" "$a")"
	record r_c_trace_bt "$(div "$b" "$d")"; record r_c_all_bt "$(div "$c" "$d")"
	printf '%3d  %-9s  %6s  %6s (%s s, %s)  %6s (%s s, %s)  %8s  %6s  %s   all-q --wakeup 0: %s (%s s, %s)\n' \
		"$rep" close "$a" "$b" "$bcpu" "$blost" "$c" "$ccpu" "$clost" "$d" "$e" "$(loadavg)" \
		"$w" "$wcpu" "$wlost"

	f=$(wrk_run keepalive)
	read -r g gcpu glost <<<"$(traced keepalive "$TMP/all.json" --events all -q --json)"
	h=$(under_floor keepalive)
	record k_plain "$f"; record k_all "$g"; record k_floor "$h"; record k_all_cpu "$gcpu"
	record lost "$glost"
	record r_k_all "$(div "$g" "$f")"; record r_k_floor "$(div "$h" "$f")"
	printf '%3d  %-9s  %6s  %6s                 %6s (%s s, %s)  %8s  %6s  %s\n' "$rep" keepalive \
		"$f" "" "$g" "$gcpu" "$glost" "" "$h" "$(loadavg)"
done
say "median close: plain $(med c_plain) ($(spread c_plain)), trace $(med c_trace), all -q $(med c_all), bpftrace $(med c_bt), floor $(med c_floor) req/s; tracer CPU s per run: trace $(med c_trace_cpu), all -q $(med c_all_cpu); all -q --wakeup 0 $(med c_w0) req/s, $(med c_w0_cpu) s"
say "median keep-alive: plain $(med k_plain) ($(spread k_plain)), all -q $(med k_all), floor $(med k_floor) req/s; tracer CPU s per run $(med k_all_cpu)"
say "lost, every traced run: $(samples lost | tr '\n' ' '); load average at end $(loadavg)"
ratio nginx_close_trace_vs_plain "$(med r_c_trace)" "Connection: close, trace (default events) / untraced ($(spread r_c_trace)); target >= 0.95"
ratio nginx_close_trace_vs_bpftrace "$(med r_c_trace_bt)" "... / under bpftrace count() ($(spread r_c_trace_bt)); target >= 0.97"
ratio nginx_close_all_vs_plain "$(med r_c_all)" "Connection: close, trace --events all -q / untraced ($(spread r_c_all)); target >= 0.95"
ratio nginx_close_all_vs_bpftrace "$(med r_c_all_bt)" "... / under bpftrace count() ($(spread r_c_all_bt)); target >= 0.97"
ratio nginx_close_bpftrace_vs_plain "$(med r_c_bt)" "Connection: close under bpftrace count() / untraced ($(spread r_c_bt))"
ratio nginx_close_floor_vs_plain "$(med r_c_floor)" "Connection: close under the floor (return 0) / untraced ($(spread r_c_floor))"
ratio nginx_close_wakeup0_vs_plain "$(med r_c_w0)" "Connection: close, all -q with per-event wakeups (--wakeup 0) / untraced ($(spread r_c_w0))"
ratio nginx_close_batched_vs_wakeup0 "$(med r_c_all_w0)" "all -q, batched (the default) / --wakeup 0 ($(spread r_c_all_w0))"
ratio nginx_keepalive_all_vs_plain "$(med r_k_all)" "keep-alive, trace --events all -q / untraced ($(spread r_k_all)); target >= 0.97"
ratio nginx_keepalive_floor_vs_plain "$(med r_k_floor)" "keep-alive under the floor / untraced ($(spread r_k_floor))"
exit 0
