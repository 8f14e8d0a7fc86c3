#!/usr/bin/env bash
# Findings fire when provoked and stay quiet on an idle namespace: a full
# listen backlog (ListenOverflows), a narrow ephemeral port range under
# churn. Each finding must name its counter and its knob.
. "$(dirname "$0")/../lib.sh"
need python3
need jq
need nstat
lab_up 43

# softnet_stat is system-wide: host drops are not this namespace's doing.
local_findings() { jq -c '[.findings[] | select(.id | startswith("softnet") | not)]' "$1"; }

for ns in "$NS_A" "$NS_B"; do
	"$TCPSCOPE" monitor --netns "$ns" --json --interval 300ms >"$TMP/idle.json"
	check_eq "quiet-when-idle-${ns##*-}" "$(local_findings "$TMP/idle.json")" "[]"
done

# A listener with backlog 1 that never accepts; 10 clients: the queue holds
# two, the SYNs of the others are dropped and retransmitted.
ip netns exec "$NS_B" python3 -c '
import socket, time
s = socket.socket(); s.bind(("0.0.0.0", 6000)); s.listen(1); print("ready", flush=True)
time.sleep(20)' >"$TMP/l.log" &
cleanup_add "kill $! 2>/dev/null"
wait_for_line "$TMP/l.log" ready
ip netns exec "$NS_A" python3 -c '
import socket, sys, time
held = []
for i in range(10):
    s = socket.socket(); s.setblocking(False); s.connect_ex((sys.argv[1], 6000)); held.append(s)
time.sleep(20)' "$IP_B" &
cleanup_add "kill $! 2>/dev/null"
sleep 1.5
"$TCPSCOPE" monitor --netns "$NS_B" --json --interval 1s >"$TMP/ov.json"
ov=$(ip netns exec "$NS_B" env NSTAT_HISTORY="$TMP/h" nstat -a -s -z TcpExtListenOverflows |
	awk '/ListenOverflows/ { print $2 }')
check_cmp overflows-counted "$ov" -gt 0
check_eq overflow-finding "$(jq -r '[.findings[].id] | index("listen-overflow") != null' "$TMP/ov.json")" true
check_eq overflow-names-counter \
	"$(jq -r '.findings[] | select(.id == "listen-overflow") | .evidence | test("TcpExtListenOverflows")' "$TMP/ov.json")" true
check_eq overflow-names-knob \
	"$(jq -r '.findings[] | select(.id == "listen-overflow") | .knob | test("net.core.somaxconn")' "$TMP/ov.json")" true
check_eq queue-full-finding "$(jq -r '.findings[] | select(.id == "accept-queue-full") | .evidence | test(":6000 \\(2/1\\)")' "$TMP/ov.json")" true
"$TCPSCOPE" monitor --netns "$NS_B" --interval 0 >"$TMP/ov.txt"
check_eq overflow-in-text "$(grep -c '\[.*\] listen-overflow:' "$TMP/ov.txt")" 1

# A 20-port ephemeral range in NS_A and 16 short connections, the client
# closing first: their ports sit in TIME_WAIT.
ip netns exec "$NS_A" sysctl -qw net.ipv4.ip_local_port_range="40000 40019"
ip netns exec "$NS_B" python3 -c '
import socket, select, time
a = socket.socket(); a.bind(("0.0.0.0", 7000)); a.listen(64); held = []
print("ready", flush=True); end = time.time() + 20
while time.time() < end:
    r, _, _ = select.select([a] + held, [], [], 0.2)
    for s in r:
        if s is a: held.append(a.accept()[0])
        elif not s.recv(100): held.remove(s); s.close()' >"$TMP/c.log" &
cleanup_add "kill $! 2>/dev/null"
wait_for_line "$TMP/c.log" ready
"$TCPSCOPE" monitor --netns "$NS_A" --json --interval 1500ms >"$TMP/pr.json" &
mon=$!
sleep 0.2
ip netns exec "$NS_A" python3 -c '
import socket, sys, time
for i in range(16):
    s = socket.create_connection((sys.argv[1], 7000)); s.close(); time.sleep(0.03)' "$IP_B"
wait $mon
check_eq port-range-finding "$(jq -r '[.findings[].id] | index("port-range") != null' "$TMP/pr.json")" true
check_eq port-range-names-knob \
	"$(jq -r '.findings[] | select(.id == "port-range") | .knob | test("ip_local_port_range \\(40000 40019\\)")' "$TMP/pr.json")" true
check_eq port-range-names-counter \
	"$(jq -r '.findings[] | select(.id == "port-range") | .evidence | test("TcpActiveOpens")' "$TMP/pr.json")" true
# The same namespace with its default range is quiet about ports.
ip netns exec "$NS_A" sysctl -qw net.ipv4.ip_local_port_range="32768 60999"
"$TCPSCOPE" monitor --netns "$NS_A" --json --interval 0 >"$TMP/pr2.json"
check_eq port-range-quiet-when-wide "$(jq -r '[.findings[].id] | index("port-range")' "$TMP/pr2.json")" null
check_eq text-width "$(awk 'length > 99' "$TMP/ov.txt" | head -3)" ""
