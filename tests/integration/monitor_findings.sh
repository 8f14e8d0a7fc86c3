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
# The churn runs inside monitor's rate interval (3 s, ample even on a busy
# machine), so both the ports held and the connect rate are seen.
"$TCPSCOPE" monitor --netns "$NS_A" --json --interval 3s >"$TMP/pr.json" &
mon=$!
sleep 0.2
ip netns exec "$NS_A" python3 -c '
import socket, sys, time
for i in range(16):
    s = socket.create_connection((sys.argv[1], 7000)); s.close(); time.sleep(0.03)
print("done", flush=True)' "$IP_B" >"$TMP/churn.log" 2>&1
check_eq churn-done "$(cat "$TMP/churn.log")" done
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

# TIME_WAIT against its limit: 5 buckets, 8 client-closed connections; the
# kernel counts the ones it could not keep in TcpExtTCPTimeWaitOverflow.
ip netns exec "$NS_A" sysctl -qw net.ipv4.tcp_max_tw_buckets=5
ip netns exec "$NS_A" python3 -c '
import socket, sys, time
for i in range(8):
    s = socket.create_connection((sys.argv[1], 7000)); s.close(); time.sleep(0.03)' "$IP_B"
sleep 0.2
"$TCPSCOPE" monitor --netns "$NS_A" --json --interval 0 >"$TMP/tw.json"
check_cmp tw-overflow-counted "$(jq .counters.TcpExtTCPTimeWaitOverflow "$TMP/tw.json")" -gt 0
check_eq tw-finding "$(jq -r '.findings[] | select(.id == "time-wait-buckets") | .knob | test("tcp_max_tw_buckets \\(5\\)")' "$TMP/tw.json")" true

# SYN cookies: tcp_syncookies=2 sends them for every SYN.
ip netns exec "$NS_B" sysctl -qw net.ipv4.tcp_syncookies=2
ip netns exec "$NS_A" python3 -c '
import socket, sys
socket.create_connection((sys.argv[1], 7000)).close()' "$IP_B"
"$TCPSCOPE" monitor --netns "$NS_B" --json --interval 0 >"$TMP/sc.json"
check_eq syn-cookies-finding "$(jq -r '.findings[] | select(.id == "syn-cookies") | .evidence | test("TcpExtSyncookiesSent [1-9]")' "$TMP/sc.json")" true
ip netns exec "$NS_B" sysctl -qw net.ipv4.tcp_syncookies=1

# Retransmits: NS_B's input hook drops 10% of the segments to port 7100
# while a client streams to a sink; the ratio over the interval and the top
# table show it. (Not lab.sh loss: a drop in the sender's own output hook
# is a local xmit error to TCP, which sends the segment again as new data,
# not as a retransmit.)
if command -v nft >/dev/null; then
	ip netns exec "$NS_B" python3 -c '
import socket, time
a = socket.socket(); a.bind(("0.0.0.0", 7100)); a.listen(4); print("ready", flush=True)
c = a.accept()[0]; end = time.time() + 10
while time.time() < end and c.recv(65536): pass' >"$TMP/sink.log" &
	cleanup_add "kill $! 2>/dev/null"
	wait_for_line "$TMP/sink.log" ready
	ip netns exec "$NS_B" nft -f - <<'NFT'
table inet monloss {
	chain in {
		type filter hook input priority 0;
		tcp dport 7100 numgen random mod 100 < 10 drop
	}
}
NFT
	ip netns exec "$NS_A" python3 -c '
import socket, sys, time
s = socket.create_connection((sys.argv[1], 7100)); end = time.time() + 3.5; buf = b"x" * 1400
print("sending", flush=True)
while time.time() < end: s.send(buf); time.sleep(0.0005)
print("done", flush=True)
time.sleep(5)' "$IP_B" >"$TMP/stream.log" &
	cleanup_add "kill $! 2>/dev/null"
	wait_for_line "$TMP/stream.log" sending 10
	sleep 0.5
	"$TCPSCOPE" monitor --netns "$NS_A" --json --interval 2s >"$TMP/rt.json"
	# The stream has ended and its retransmits are acked: tcp_info holds
	# still, and ss's retrans:N/TOTAL is the oracle. (Waited for, not
	# slept: python starts ten times slower on an emulated CPU.)
	wait_for_line "$TMP/stream.log" done 10
	sleep 1.5
	"$TCPSCOPE" monitor --netns "$NS_A" --json --interval 0 --port 7100 >"$TMP/rt7100.json"
	ss_total=$(ip netns exec "$NS_A" ss -tinH dst "$IP_B" dport = :7100 |
		grep -o 'retrans:[0-9]*/[0-9]*' | cut -d/ -f2)
	check_eq retrans-equal-ss "$(jq '.top_retrans[0].total_retrans' "$TMP/rt7100.json")" "$ss_total"
	check_eq retrans-finding "$(jq -r '.findings[] | select(.id == "retransmit-ratio") | .severity' "$TMP/rt.json")" warn
	check_eq retrans-top "$(jq -r '.top_retrans[0] | "\(.peer) \(.total_retrans > 0)"' "$TMP/rt7100.json")" "$IP_B:7100 true"
else
	skip retrans-finding "nft not installed"
fi
