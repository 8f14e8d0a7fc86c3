#!/usr/bin/env bash
# Findings fire when provoked and stay quiet on an idle namespace: a full
# listen backlog (ListenOverflows), a narrow ephemeral port range under
# churn, TIME_WAIT over its limit, SYN cookies, retransmits. Each finding
# must name its counter and its knob. A finding is about now: once the
# provocation stops, the counters' totals (nstat) stay non-zero but the
# counter findings go quiet, while those on the state now (a full accept
# queue, TIME-WAIT near its limit) stay.
. "$(dirname "$0")/../lib.sh"
need python3
need jq
need nstat
lab_up 43

# softnet_stat is system-wide: host drops are not this namespace's doing.
local_findings() { jq -c '[.findings[] | select(.id | startswith("softnet") | not)]' "$1"; }
# ctr NS NAME: the counter's total in NS (the oracle)
ctr() { ip netns exec "$1" env NSTAT_HISTORY="$TMP/h" nstat -a -s -z "$2" | awk -v n="$2" '$1 == n { print $2 }'; }
# has FILE ID: whether monitor's JSON in FILE has the finding ID
has() { jq -r --arg id "$2" '[.findings[].id] | index($id) != null' "$1"; }
# rise FILE ID COUNTER: the "+N" the finding ID gives for COUNTER
rise() { jq -r --arg id "$2" '.findings[] | select(.id == $id) | .evidence' "$1" | grep -o "$3 +[0-9]*" | head -1 | cut -d+ -f2; }

for ns in "$NS_A" "$NS_B"; do
	"$TCPSCOPE" monitor --netns "$ns" --json --interval 300ms >"$TMP/idle.json"
	check_eq "quiet-when-idle-${ns##*-}" "$(local_findings "$TMP/idle.json")" "[]"
done

# A listener with backlog 1 that never accepts; clients open a connection
# every 100 ms for 8 s: the queue holds two, the SYNs of the others are
# dropped. Each provoker says "go" once it runs and "done" when it stops
# (python starts slowly on a busy machine), and monitor's interval lies
# inside its window: two monitors, JSON and text.
ip netns exec "$NS_B" python3 -c '
import socket, time
s = socket.socket(); s.bind(("0.0.0.0", 6000)); s.listen(1); print("ready", flush=True)
time.sleep(60)' >"$TMP/l.log" &
cleanup_add "kill $! 2>/dev/null"
wait_for_line "$TMP/l.log" ready 30
ov0=$(ctr "$NS_B" TcpExtListenOverflows)
sr0=$(ctr "$NS_B" TcpExtTCPSynRetrans)
# Clients on the listener's own host too (loopback), whose SYN retransmits
# (after the 1 s SYN RTO) go with the overflows in the same namespace.
ip netns exec "$NS_B" python3 -c '
import socket, time
held = []; end = time.time() + 8; print("go", flush=True)
while time.time() < end:
    s = socket.socket(); s.setblocking(False); s.connect_ex(("127.0.0.1", 6000)); held.append(s)
    time.sleep(0.2)
print("done", flush=True); time.sleep(60)' >"$TMP/lo.log" &
local_clients=$!
cleanup_add "kill $local_clients 2>/dev/null"
wait_for_line "$TMP/lo.log" go 30
ip netns exec "$NS_A" python3 -c '
import socket, sys, time
held = []; end = time.time() + 8; print("go", flush=True)
while time.time() < end:
    s = socket.socket(); s.setblocking(False); s.connect_ex((sys.argv[1], 6000)); held.append(s)
    time.sleep(0.1)
print("done", flush=True); time.sleep(60)' "$IP_B" >"$TMP/ov.log" &
clients=$!
cleanup_add "kill $clients 2>/dev/null"
wait_for_line "$TMP/ov.log" go 30
sleep 1.2 # the local clients' first SYN retransmits
"$TCPSCOPE" monitor --netns "$NS_B" --json --interval 1s >"$TMP/ov.json" &
m1=$!
"$TCPSCOPE" monitor --netns "$NS_B" --interval 1s >"$TMP/ov.txt"
wait $m1
ov1=$(ctr "$NS_B" TcpExtListenOverflows)
sr1=$(ctr "$NS_B" TcpExtTCPSynRetrans)
check_cmp overflows-counted "$((ov1 - ov0))" -gt 0
# The counters that go with it: the local clients' SYN retransmits, their
# rise inside nstat's wider window; the drop reason and the verdict named.
sr=$(jq -r '.findings[] | select(.id == "listen-overflow") | .related.TcpExtTCPSynRetrans' "$TMP/ov.json")
check_cmp overflow-related-syn-retrans "$sr" -gt 0
check_cmp overflow-related-within-nstat "$sr" -le "$((sr1 - sr0))"
check_eq overflow-see "$(jq -r '.findings[] | select(.id == "listen-overflow") | .see |
	test("tcp_listen_overflow") and test("syn_timeout")' "$TMP/ov.json")" true
# (listen-overflow and accept-queue-full both say it)
check_cmp overflow-with-in-text "$(grep -c '^      with: TcpExtTCPSynRetrans +[0-9]' "$TMP/ov.txt")" -ge 1
check_eq overflow-finding "$(has "$TMP/ov.json" listen-overflow)" true
# The rise it reports happened inside nstat's wider window.
check_cmp overflow-rise-positive "$(rise "$TMP/ov.json" listen-overflow TcpExtListenOverflows)" -gt 0
check_cmp overflow-rise-within-nstat "$(rise "$TMP/ov.json" listen-overflow TcpExtListenOverflows)" -le "$((ov1 - ov0))"
check_eq overflow-names-knob \
	"$(jq -r '.findings[] | select(.id == "listen-overflow") | .knob | test("net.core.somaxconn")' "$TMP/ov.json")" true
check_eq queue-full-finding "$(jq -r '.findings[] | select(.id == "accept-queue-full") | .evidence | test(":6000 \\(2/1\\)")' "$TMP/ov.json")" true
check_eq overflow-in-text "$(grep -c '\[.*\] listen-overflow:' "$TMP/ov.txt")" 1
# Idle: no more SYNs (the clients are gone); the total stays, the finding
# goes; the queue is still full, so that finding stays.
wait_for_line "$TMP/ov.log" done 30
kill $clients 2>/dev/null; wait $clients 2>/dev/null
wait_for_line "$TMP/lo.log" done 30
kill $local_clients 2>/dev/null; wait $local_clients 2>/dev/null
sleep 0.3
ov2=$(ctr "$NS_B" TcpExtListenOverflows)
"$TCPSCOPE" monitor --netns "$NS_B" --json --interval 500ms >"$TMP/ov-idle.json"
check_eq overflow-idle-not-rising "$(( $(ctr "$NS_B" TcpExtListenOverflows) - ov2 ))" 0
check_cmp overflow-idle-total "$ov2" -gt 0
check_eq overflow-idle-quiet "$(has "$TMP/ov-idle.json" listen-overflow)" false
check_eq queue-full-still-now "$(has "$TMP/ov-idle.json" accept-queue-full)" true
"$TCPSCOPE" monitor --netns "$NS_B" --json --interval 0 >"$TMP/ov-norate.json"
check_eq overflow-no-interval-quiet "$(has "$TMP/ov-norate.json" listen-overflow)" false

# A 20-port ephemeral range in NS_A and 16 short connections, the client
# closing first: their ports sit in TIME_WAIT.
ip netns exec "$NS_A" sysctl -qw net.ipv4.ip_local_port_range="40000 40019"
ip netns exec "$NS_B" python3 -c '
import socket, select, time
a = socket.socket(); a.bind(("0.0.0.0", 7000)); a.listen(64); held = []
print("ready", flush=True); end = time.time() + 90
while time.time() < end:
    r, _, _ = select.select([a] + held, [], [], 0.2)
    for s in r:
        if s is a: held.append(a.accept()[0])
        elif not s.recv(100): held.remove(s); s.close()' >"$TMP/c.log" &
cleanup_add "kill $! 2>/dev/null"
wait_for_line "$TMP/c.log" ready 30
# The ports the churn left in TIME-WAIT are held now, whatever the rate.
ip netns exec "$NS_A" python3 -c '
import socket, sys, time
for i in range(16):
    s = socket.create_connection((sys.argv[1], 7000)); s.close(); time.sleep(0.03)
print("done", flush=True)' "$IP_B" >"$TMP/churn.log" 2>&1
check_eq churn-done "$(cat "$TMP/churn.log")" done
"$TCPSCOPE" monitor --netns "$NS_A" --json --interval 300ms >"$TMP/pr.json"
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

# TIME_WAIT against its limit: 5 buckets, more than 5 already in TIME-WAIT,
# a client-closed connection every 50 ms for 4 s; the kernel counts the
# ones it could not keep in TcpExtTCPTimeWaitOverflow. Each provoker says
# "go" once it runs and "done" when it stops (python starts slowly on a
# busy machine), and monitor's interval lies inside its window.
ip netns exec "$NS_A" sysctl -qw net.ipv4.tcp_max_tw_buckets=5
tw0=$(ctr "$NS_A" TcpExtTCPTimeWaitOverflow)
ip netns exec "$NS_A" python3 -c '
import socket, sys, time
print("go", flush=True); end = time.time() + 4
while time.time() < end:
    s = socket.create_connection((sys.argv[1], 7000)); s.close(); time.sleep(0.05)
print("done", flush=True)' "$IP_B" >"$TMP/tw.log" &
wait_for_line "$TMP/tw.log" go 30
"$TCPSCOPE" monitor --netns "$NS_A" --json --interval 1s >"$TMP/tw.json"
wait_for_line "$TMP/tw.log" done 30
tw1=$(ctr "$NS_A" TcpExtTCPTimeWaitOverflow)
check_cmp tw-overflow-counted "$((tw1 - tw0))" -gt 0
check_eq tw-finding "$(jq -r '.findings[] | select(.id == "time-wait-buckets") | "\(.severity) \(.knob | test("tcp_max_tw_buckets \\(5\\)"))"' "$TMP/tw.json")" "warn true"
check_cmp tw-rise-within-nstat "$(rise "$TMP/tw.json" time-wait-buckets TcpExtTCPTimeWaitOverflow)" -le "$((tw1 - tw0))"
check_cmp tw-rise-positive "$(rise "$TMP/tw.json" time-wait-buckets TcpExtTCPTimeWaitOverflow)" -gt 0
# The case of issue 17: a limit far away and the overflow total non-zero
# but not rising: no finding.
ip netns exec "$NS_A" sysctl -qw net.ipv4.tcp_max_tw_buckets=131072
tw2=$(ctr "$NS_A" TcpExtTCPTimeWaitOverflow)
"$TCPSCOPE" monitor --netns "$NS_A" --json --interval 500ms >"$TMP/tw-idle.json"
check_eq tw-idle-not-rising "$(( $(ctr "$NS_A" TcpExtTCPTimeWaitOverflow) - tw2 ))" 0
check_cmp tw-idle-total "$tw2" -gt 0
check_eq tw-idle-quiet "$(has "$TMP/tw-idle.json" time-wait-buckets)" false
# Near the limit now, not overflowing: an info naming ss's TIME-WAIT count.
ntw=$(ip netns exec "$NS_A" ss -tanH state time-wait | wc -l)
ip netns exec "$NS_A" sysctl -qw net.ipv4.tcp_max_tw_buckets="$ntw"
"$TCPSCOPE" monitor --netns "$NS_A" --json --interval 300ms >"$TMP/tw-near.json"
ntw2=$(ip netns exec "$NS_A" ss -tanH state time-wait | wc -l)
check_cmp tw-near-enough-sockets "$ntw" -ge 4
check_eq tw-near-info "$(jq -r '.findings[] | select(.id == "time-wait-buckets") | "\(.severity) \(.evidence)"' "$TMP/tw-near.json" | grep -o "^info $ntw2 TIME-WAIT sockets of $ntw allowed")" "info $ntw TIME-WAIT sockets of $ntw allowed"
ip netns exec "$NS_A" sysctl -qw net.ipv4.tcp_max_tw_buckets=131072

# SYN cookies: tcp_syncookies=2 sends them for every SYN; a connection
# every 100 ms for 3 s, then none.
ip netns exec "$NS_B" sysctl -qw net.ipv4.tcp_syncookies=2
sc0=$(ctr "$NS_B" TcpExtSyncookiesSent)
ip netns exec "$NS_A" python3 -c '
import socket, sys, time
print("go", flush=True); end = time.time() + 3
while time.time() < end:
    socket.create_connection((sys.argv[1], 7000)).close(); time.sleep(0.1)
print("done", flush=True)' "$IP_B" >"$TMP/sc.log" &
wait_for_line "$TMP/sc.log" go 30
"$TCPSCOPE" monitor --netns "$NS_B" --json --interval 1s >"$TMP/sc.json"
wait_for_line "$TMP/sc.log" done 30
sc1=$(ctr "$NS_B" TcpExtSyncookiesSent)
check_cmp syn-cookies-rise-positive "$(rise "$TMP/sc.json" syn-cookies TcpExtSyncookiesSent)" -gt 0
check_cmp syn-cookies-rise-within-nstat "$(rise "$TMP/sc.json" syn-cookies TcpExtSyncookiesSent)" -le "$((sc1 - sc0))"
"$TCPSCOPE" monitor --netns "$NS_B" --json --interval 300ms >"$TMP/sc-idle.json"
check_cmp syn-cookies-idle-total "$(ctr "$NS_B" TcpExtSyncookiesSent)" -gt 0
check_eq syn-cookies-idle-quiet "$(has "$TMP/sc-idle.json" syn-cookies)" false
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
c = a.accept()[0]; end = time.time() + 30
while time.time() < end and c.recv(65536): pass' >"$TMP/sink.log" &
	cleanup_add "kill $! 2>/dev/null"
	wait_for_line "$TMP/sink.log" ready 30
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
s = socket.create_connection((sys.argv[1], 7100)); t0 = time.time(); buf = b"x" * 1400
go = False
while time.time() < t0 + 4:
    s.send(buf); time.sleep(0.0005)
    if not go and time.time() > t0 + 0.3: print("go", flush=True); go = True
print("done", flush=True)
time.sleep(8)' "$IP_B" >"$TMP/stream.log" &
	cleanup_add "kill $! 2>/dev/null"
	wait_for_line "$TMP/stream.log" go 30
	"$TCPSCOPE" monitor --netns "$NS_A" --json --interval 1s >"$TMP/rt.json"
	# The stream has ended and its retransmits are acked: tcp_info holds
	# still, and ss's retrans:N/TOTAL is the oracle.
	wait_for_line "$TMP/stream.log" done 30
	sleep 1.5
	"$TCPSCOPE" monitor --netns "$NS_A" --json --interval 0 --port 7100 >"$TMP/rt7100.json"
	ss_total=$(ip netns exec "$NS_A" ss -tinH dst "$IP_B" dport = :7100 |
		grep -o 'retrans:[0-9]*/[0-9]*' | cut -d/ -f2)
	check_eq retrans-equal-ss "$(jq '.top_retrans[0].total_retrans' "$TMP/rt7100.json")" "$ss_total"
	check_eq retrans-finding "$(jq -r '.findings[] | select(.id == "retransmit-ratio") | .severity' "$TMP/rt.json")" warn
	check_eq retrans-top "$(jq -r '.top_retrans[0] | "\(.peer) \(.total_retrans > 0)"' "$TMP/rt7100.json")" "$IP_B:7100 true"
	# Idle: the stream is over; the namespace's lifetime ratio is still
	# above 2% (nstat), but nothing is being retransmitted now.
	re=$(ctr "$NS_A" TcpRetransSegs); out=$(ctr "$NS_A" TcpOutSegs)
	check_cmp retrans-lifetime-high "$((re * 50))" -gt "$out"
	"$TCPSCOPE" monitor --netns "$NS_A" --json --interval 500ms >"$TMP/rt-idle.json"
	check_eq retrans-idle-quiet "$(has "$TMP/rt-idle.json" retransmit-ratio)" false
else
	skip retrans-finding "nft not installed"
fi
