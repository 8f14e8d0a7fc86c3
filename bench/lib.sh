# Sourced by bench/*.sh. Every load runs on loopback inside a network
# namespace made here for one run and deleted after it: no traffic leaves the
# machine, and the TIME_WAIT sockets of one run (deleted with its namespace)
# do not slow the next one down.
set -euo pipefail
TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TCPSCOPE=${TCPSCOPE:-$TOP/build/tcpscope}
B=$(basename "$0" .sh)
REPS=${BENCH_REPS:-5}
TMP=$(mktemp -d "/tmp/tcpscope-bench-$B.XXXXXX")
_cleanups=()
_nsn=0

cleanup_add() { _cleanups+=("$*"); }
_run_cleanups() {
	local i
	for ((i = ${#_cleanups[@]} - 1; i >= 0; i--)); do eval "${_cleanups[$i]}" >/dev/null 2>&1 || true; done
	rm -rf "$TMP"
}
trap _run_cleanups EXIT
trap 'exit 130' INT TERM

die() { echo "bench/$B: $*" >&2; exit 1; }
[ "$(id -u)" = 0 ] || die "run as root (network namespaces, BPF)"
[ -x "$TCPSCOPE" ] || die "$TCPSCOPE missing: run make first"
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing

# One benchmark at a time on this machine: two loads sharing the CPUs would
# skew each other's ratios. Waits for another bench/ script (or anything else
# holding the lock, such as an investigation's load) to finish.
exec {_lockfd}>/run/tcpscope-bench.lock
flock -n "$_lockfd" || { echo "bench/$B: waiting for another benchmark (/run/tcpscope-bench.lock)" >&2; flock "$_lockfd"; }

# A fresh namespace with only lo up; its name is printed. Deleted on exit
# unless ns_del ran first.
ns_new() {
	local ns="tsb$$-$((++_nsn))"
	ip netns add "$ns"
	ip -n "$ns" link set lo up
	cleanup_add ns_del "$ns"
	# netperf resolves 127.0.0.1 with AI_ADDRCONFIG, which ignores loopback:
	# a veth pair inside the namespace, with an address from the project's
	# lab range, makes IPv4 "configured". Nothing is sent to it.
	ip -n "$ns" link add tsb0 type veth peer name tsb1
	ip -n "$ns" addr add 10.231.251.1/32 dev tsb0
	ip -n "$ns" link set tsb0 up
	ip -n "$ns" link set tsb1 up
	NS=$ns
}
# Whatever still runs in the namespace (netserver's children, say) is ours:
# stopped before the namespace goes.
ns_del() {
	local p
	for p in $(ip netns pids "$1" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
	ip netns del "$1" 2>/dev/null || true
}
in_ns() { ip netns exec "$NS" "$@"; }

# Until something in $NS listens on PORT (5 s at most).
wait_listen() { # PORT WHAT
	local i
	for ((i = 0; i < 100; i++)); do
		in_ns ss -Hltn "sport = :$1" | grep -q . && return 0
		sleep 0.05
	done
	die "$2 did not listen on 127.0.0.1:$1"
}

# netserver on 127.0.0.1:PORT inside $NS, in the foreground (-D) and in the
# background here; stopped by netserver_stop, or with its namespace.
netserver_start() {
	local port=$1
	ip netns exec "$NS" netserver -L 127.0.0.1 -p "$port" -D >"$TMP/netserver.log" 2>&1 &
	NETSERVER_PID=$!
	wait_listen "$port" netserver
}
netserver_stop() {
	local p
	for p in $(ip netns pids "$NS"); do kill "$p" 2>/dev/null || true; done
	wait "$NETSERVER_PID" 2>/dev/null || true
}
# A tracer started in the background: stopped on exit if still running.
# It is signalled only if that PID is still the same process (its start time,
# field 22 of /proc/PID/stat, counted after the command name, which may hold
# spaces, unchanged): a PID reused since must be left be.
_starttime() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk '{print $20}'; }
_kill_if_same() { [ -n "$2" ] && [ "$(_starttime "$1")" = "$2" ] && kill -INT "$1"; }
bg_track() { cleanup_add _kill_if_same "$1" "$(_starttime "$1")"; }

# Statistics over numbers on stdin, one a line.
median() { sort -g | awk '{v[NR] = $1} END { if (!NR) { print "nan"; exit } print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
minmax() { sort -g | awk 'NR == 1 {lo = $1} {hi = $1} END {printf "%s..%s", lo, hi}'; }
# div A B [DIGITS]
div() { awk -v a="$1" -v b="$2" -v d="${3:-3}" 'BEGIN { if (b == 0) print "nan"; else printf "%.*f\n", d, a / b }'; }

# Keep one sample: record NAME VALUE (appended to $TMP/NAME).
record() { echo "$2" >> "$TMP/$1"; }
samples() { cat "$TMP/$1" 2>/dev/null || true; }
med() { samples "$1" | median; }
spread() { samples "$1" | minmax; }

# The last lines: "RATIO name value  (what)". bench/run collects them.
ratio() { printf 'RATIO %-28s %8s   %s\n' "$1" "$2" "$3"; }
say() { printf '%s\n' "$*"; }

# The machine is shared: every figure goes with the load average it was
# measured at (1, 5, 15 minutes).
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# The tracepoints tcpscope attaches by default (trace's default events and
# stress --trace's state, retransmit and reset ones), as bpftrace names them.
TPS_SIX="tracepoint:sock:inet_sock_set_state,tracepoint:tcp:tcp_retransmit_skb,\
tracepoint:tcp:tcp_retransmit_synack,tracepoint:tcp:tcp_probe,\
tracepoint:tcp:tcp_send_reset,tracepoint:tcp:tcp_receive_reset"

# bpftrace's count() on TRACEPOINTS, in the background until bt_stop.
bt_start() { # TRACEPOINTS
	local i
	bpftrace -e "$1 { @n = count(); }" > "$TMP/bt.out" 2>&1 &
	BT_PID=$!
	bg_track "$BT_PID"
	for ((i = 0; i < 200; i++)); do grep -q Attaching "$TMP/bt.out" && break; sleep 0.05; done
	sleep 0.3 # attached only once the line is out and the probes are in
}
bt_stop() { int_stop "$BT_PID"; }

# SIGINT to PIDs, sent again each second for at most 60 s, then waited
# for: bpftrace 0.17 loses a SIGINT that lands between two of its
# epoll_wait calls and runs on (tests/lib.sh's stop_bpftrace).
int_stop() { # PID...
	local i p alive
	for ((i = 0; i < 600; i++)); do
		alive=
		for p; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ -n "$alive" ] || break
		if ((i % 10 == 0)); then
			for p; do kill -INT "$p" 2>/dev/null || :; done
		fi
		sleep 0.1
	done
	for p; do
		kill -KILL "$p" 2>/dev/null || :
		wait "$p" 2>/dev/null || :
	done
}

# CPU-bound RST churn for SECS seconds in $NS, 2 workers, built-in server
# (ARGS: more stress options, e.g. --trace): prints connections/s.
rst_churn() { # [ARGS...]
	in_ns "$TCPSCOPE" stress --mode churn --close rst --threads "$(nproc)" --duration "${SECS}s" \
		--json "$@" > "$TMP/c.json"
	jq '.connections.established / .rate.launch_s | floor' "$TMP/c.json"
}
# `tcpscope trace ARGS` in $NS beside a load, attached: TRACE_PID (int_stop).
trace_beside() { # ARGS...
	# Not through in_ns: a function in the background is a subshell, and
	# $! would name it (SIGINT ignored) rather than the tracer.
	ip netns exec "$NS" "$TCPSCOPE" trace "$@" > "$TMP/t.out" 2>&1 &
	TRACE_PID=$!
	bg_track "$TRACE_PID"
	sleep 1.5 # attached
}

# The floor (bench/floor.bpf.c): programs that only return 0, as tp_btf, on
# every tracepoint tcpscope attaches; built once per run.
floor_build() {
	[ -x "$TMP/floor" ] && return 0
	clang -g -O2 -target bpf -Wall -Werror -I"/usr/include/$(gcc -print-multiarch)" \
		-c "$TOP/bench/floor.bpf.c" -o "$TMP/floor.bpf.o" || die "cannot build bench/floor.bpf.c"
	cc -O2 -Wall -Werror "$TOP/bench/floor.c" -lbpf -o "$TMP/floor" || die "cannot build bench/floor.c"
}
floor_start() { # [--twins] [--no-owner] [--ring | --perf]
	local i
	floor_build
	"$TMP/floor" "$TMP/floor.bpf.o" "$@" > "$TMP/floor.out" 2>&1 &
	FLOOR_PID=$!
	bg_track "$FLOOR_PID"
	for ((i = 0; i < 200; i++)); do grep -q '^attached' "$TMP/floor.out" && return 0; sleep 0.05; done
	die "bench/floor did not attach: $(cat "$TMP/floor.out")"
}
floor_stop() { kill -INT "$FLOOR_PID"; wait "$FLOOR_PID" || true; }
# User + system CPU seconds of process PID so far.
cpu_s() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f\n", ($12 + $13) / hz }'; }

# nginx in the run's namespace, from a config of our own in $TMP/nginx:
# nginx_conf WORKERS LOCATION (a location block), then nginx_start /
# nginx_stop. Listens on 127.0.0.1:$PORT.
nginx_conf() {
	mkdir -p "$TMP/nginx"
	cat >"$TMP/nginx/nginx.conf" <<CONF
worker_processes $1;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
events { worker_connections 4096; }
http {
	access_log off;
	client_body_temp_path $TMP/nginx/body;
	proxy_temp_path $TMP/nginx/proxy;
	fastcgi_temp_path $TMP/nginx/fastcgi;
	uwsgi_temp_path $TMP/nginx/uwsgi;
	scgi_temp_path $TMP/nginx/scgi;
	server {
		listen 127.0.0.1:$PORT;
		$2
	}
}
CONF
}
nginx_start() {
	ip netns exec "$NS" nginx -e "$TMP/nginx/error.log" -p "$TMP/nginx" -c "$TMP/nginx/nginx.conf" \
		-g 'daemon off;' </dev/null >/dev/null 2>&1 &
	NGINX_PID=$!
	wait_listen "$PORT" nginx
}
nginx_stop() { kill "$NGINX_PID" 2>/dev/null || true; wait "$NGINX_PID" 2>/dev/null || true; }
