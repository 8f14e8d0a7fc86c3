#!/usr/bin/env bash
# 30000 held connections on loopback: more than one process may hold
# (RLIMIT_NOFILE 20000 here, both ends count) and more than one source
# address has ports for. Counted by ss in a namespace of its own while held;
# everything closed afterwards.
source "$(dirname "$0")/../lib.sh"
need jq

N=30000
NS="ts30k$$"
ip netns add "$NS" && cleanup_add ip netns del "$NS"
ip -n "$NS" link set lo up
# Not for background jobs: $! would be the subshell of the function.
nsx() { ip netns exec "$NS" "$@"; }

# The hold must outlast opening all N; an emulated CPU needs about 6 s for that.
hold=6s
emulated && { hold=20s; echo "  emulated CPU: held for $hold, not 6s, to outlast the ramp-up"; }
ip netns exec "$NS" timeout -k 5 50 "$TCPSCOPE" stress -c "$N" --duration $hold --json \
	>"$TMP/30k.json" 2>"$TMP/30k.err" &
pid=$!
cleanup_add kill "$pid"
held=0
for _ in $(seq 1 90); do
	sleep 0.5
	port=$(nsx ss -Htln src 127.0.0.1 | awk '{ print $4 }' | sed 's/.*://' | head -1)
	[ -n "$port" ] || continue
	# Client ends only: a client may hold the listener's port number on
	# another 127.0.0.x source, and then its server end matches too.
	n=$(nsx ss -Htn state established "( dport = :$port ) and not src 127.0.0.1:$port" | wc -l)
	[ "$n" -gt "$held" ] && held=$n
	[ "$held" -ge "$N" ] && break
	kill -0 "$pid" 2>/dev/null || break
done
wait "$pid"
check_eq exit "$?" 0
check_eq ss_established "$held" "$N"
j="$TMP/30k.json"
check_eq attempted "$(jq .connections.attempted "$j")" "$N"
check_eq established "$(jq .connections.established "$j")" "$N"
check_eq failed "$(jq .connections.failed "$j")" 0
check_eq closed "$(jq .connections.closed "$j")" "$N"
check_eq errors_none "$(jq -c .errors "$j")" "{}"
check_eq server_accepted "$(jq .server.accepted "$j")" "$N"
# Where the limits are those of the issue (20000 descriptors, 28232 ports),
# one process and one source cannot do it.
if [ "$(ulimit -Hn)" -lt $((2 * N)) ]; then
	check_cmp processes "$(jq .procs "$j")" -ge 2
else
	skip processes "RLIMIT_NOFILE $(ulimit -Hn) holds both ends in one process"
fi
read -r lo hi </proc/sys/net/ipv4/ip_local_port_range
if [ $((hi - lo + 1)) -lt "$N" ]; then
	check_cmp sources "$(jq .sources "$j")" -ge 2
else
	skip sources "the port range holds $N connections from one address"
fi
check_eq nofile "$(jq .nofile "$j")" "$(ulimit -Hn)"
check_eq none_left "$(nsx ss -Htn state established | wc -l)" 0
check_eq no_stray_processes "$(pgrep -f "stress -c $N --duration $hold --json" | wc -l)" 0

# -- between one limit and two: 12000 fit one process only without the
# built-in server's ends, so it must get processes of its own
if [ "$(ulimit -Hn)" -lt 24000 ] && [ "$(ulimit -Hn)" -gt 12100 ]; then
	nsx timeout -k 5 30 "$TCPSCOPE" stress -c 12000 --duration 500ms --json >"$TMP/12k.json" 2>&1
	check_eq 12k_established "$(jq .connections.established "$TMP/12k.json")" 12000
	check_eq 12k_errors_none "$(jq -c .errors "$TMP/12k.json")" "{}"
	check_cmp 12k_processes "$(jq .procs "$TMP/12k.json")" -ge 2
fi
