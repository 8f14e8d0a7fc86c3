#!/usr/bin/env bash
# BPF run time of the drop programs (skb:kfree_skb) per hit, by the kind of
# hit: (a) UDP datagrams to a closed port, dropped with no_socket, which the
# programs reject at the protocol check; (b) TCP SYNs to a closed port, each
# a drop event. `tcpscope trace -q --events drop` runs system-wide;
# kernel.bpf_stats_enabled (restored after) gives run_time_ns / run_cnt of
# each program, read from the tracer's own fdinfo. Beside it, in the same
# run, bpftrace counting the same tracepoint (`@n = count()`), the floor
# of any program on it. Not part of `make bench` (bench/run dropcost).
. "$(dirname "$0")/lib.sh"
N=${BENCH_DROP_N:-20000}

old=$(sysctl -n kernel.bpf_stats_enabled)
cleanup_add sysctl -qw kernel.bpf_stats_enabled="$old"
sysctl -qw kernel.bpf_stats_enabled=1

progs_ns() { # PID: "name=ns/run(runs)" for each program the process holds
	local f id t c
	for f in /proc/"$1"/fdinfo/*; do
		read -r id t c < <(awk '/^prog_id:/ {i = $2} /^run_time_ns:/ {t = $2} /^run_cnt:/ {c = $2}
			END {print i + 0, t + 0, c + 0}' "$f" 2>/dev/null) || continue
		[ "$id" -gt 0 ] && [ "$c" -gt 0 ] || continue
		echo "$(bpftool prog show id "$id" --json | jq -r .name)=$((t / c))ns($c)"
	done | sort -u | tr '\n' ' '
}

load() { # udp|tcp: N datagrams or connection attempts to a closed port on lo
	in_ns python3 - "$1" "$N" <<'PY'
import socket, sys
kind, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    if kind == "udp":
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        s.sendto(b"x", ("127.0.0.1", 9))
    else:
        s = socket.socket()
        try:
            s.connect(("127.0.0.1", 9))
        except OSError:
            pass
    s.close()
PY
}

for kind in udp tcp; do
	ns_new
	"$TCPSCOPE" trace -q --events drop ${BENCH_DROP_WAKEUP:+--wakeup $BENCH_DROP_WAKEUP} > "$TMP/trace.out" 2>&1 &
	tp=$!
	bpftrace -e 'tracepoint:skb:kfree_skb { @n = count(); }' > "$TMP/bt.out" 2>&1 &
	bp=$!
	sleep 6 # both attached (bpftrace is slow to start on a busy machine)
	load "$kind"
	say "$kind x$N: tcpscope $(progs_ns "$tp")"
	bid=$(bpftool prog show --json | jq -r '[.[] | select(.type=="tracepoint" and (.name // "" | startswith("kfree_skb")))] | last | .id')
	[ -n "$bid" ] && [ "$bid" != null ] &&
		say "$kind x$N: bpftrace count() $(bpftool prog show id "$bid" --json | jq -r '"\(.run_time_ns / .run_cnt | floor)ns(\(.run_cnt))"')"
	int_stop "$tp" "$bp"
	ns_del "$NS"
done
exit 0
