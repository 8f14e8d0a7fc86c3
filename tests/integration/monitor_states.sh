#!/usr/bin/env bash
# monitor's socket table against ss: in a quiet lab with known sockets
# (listeners, one with an unaccepted queue, established pairs, TIME_WAIT,
# IPv4 and IPv6) the state counts equal ss -tan's and the listeners' queues
# equal ss -ltn's, exactly.
. "$(dirname "$0")/../lib.sh"
need python3
need ss
need jq
lab_up 41

# Server side (NS_B): an accepting listener on 5000 (v4) and 5001 (v6) that
# holds its connections, and a listener on 5002 that never accepts.
ip netns exec "$NS_B" python3 - "$IP_B" "$IP6_B" >"$TMP/server.log" 2>&1 <<'PY' &
import socket, sys, time, select
a = socket.socket(); a.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
a.bind((sys.argv[1], 5000)); a.listen(64)
b = socket.socket(socket.AF_INET6); b.bind((sys.argv[2], 5001)); b.listen(32)
c = socket.socket(); c.bind(("0.0.0.0", 5002)); c.listen(8)
held = []
print("ready", flush=True)
end = time.time() + 60
while time.time() < end:
    r, _, _ = select.select([a, b] + held, [], [], 0.2)
    for s in r:
        if s in (a, b):
            held.append(s.accept()[0])
        elif not s.recv(100):  # the client closed first: close too
            held.remove(s); s.close()
PY
cleanup_add "kill $! 2>/dev/null"
wait_for_line "$TMP/server.log" ready || { fail setup "server did not start: $(cat "$TMP/server.log")"; exit 0; }

# Client side (NS_A): 5 established v4, 2 established v6, 3 queued on 5002,
# and 4 connections the client closes first (TIME_WAIT in NS_A).
ip netns exec "$NS_A" python3 - "$IP_B" "$IP6_B" >"$TMP/client.log" 2>&1 <<'PY' &
import socket, sys, time
held = []
for i in range(5):
    held.append(socket.create_connection((sys.argv[1], 5000)))
for i in range(2):
    held.append(socket.create_connection((sys.argv[2], 5001)))
for i in range(3):
    held.append(socket.create_connection((sys.argv[1], 5002)))
for i in range(4):
    s = socket.create_connection((sys.argv[1], 5000)); time.sleep(0.05); s.close()
time.sleep(0.5)
print("ready", flush=True)
time.sleep(60)
PY
cleanup_add "kill $! 2>/dev/null"
wait_for_line "$TMP/client.log" ready || { fail setup "client did not start: $(cat "$TMP/client.log")"; exit 0; }

# ss -tan's state column, as the kernel names them, counted.
ss_states() { # ns
	ip netns exec "$1" ss -tan | awk 'NR > 1 { print $1 }' | sort | uniq -c |
		awk '{ print $2 "=" $1 }' | sort
}
# The same from monitor's JSON, ss's spelling of the states, non-zero only.
mon_states() { # json file
	jq -r '.states | to_entries[] | select(.value > 0) | "\(.key)=\(.value)"' "$1" |
		sed -e 's/^ESTABLISHED=/ESTAB=/' -e 's/^TIME_WAIT=/TIME-WAIT=/' \
		    -e 's/^SYN_SENT=/SYN-SENT=/' -e 's/^SYN_RECV=/SYN-RECV=/' \
		    -e 's/^FIN_WAIT1=/FIN-WAIT-1=/' -e 's/^FIN_WAIT2=/FIN-WAIT-2=/' \
		    -e 's/^CLOSE_WAIT=/CLOSE-WAIT=/' -e 's/^LAST_ACK=/LAST-ACK=/' \
		    -e 's/^CLOSE=/UNCONN=/' | sort
}

for ns in "$NS_A" "$NS_B"; do
	side=${ns##*-}
	"$TCPSCOPE" monitor --netns "$ns" --json --interval 0 >"$TMP/mon-$side.json" 2>"$TMP/err"
	rc=$?
	ss_out=$(ss_states "$ns")
	check_eq "exit-$side" "$rc" 0
	check_eq "states-equal-ss-tan-$side" "$(mon_states "$TMP/mon-$side.json" | tr '\n' ' ')" \
		"$(echo "$ss_out" | tr '\n' ' ')"
done

# The lab is known: check the counts themselves too, not only ss's word.
check_eq "client-estab" "$(jq .states.ESTABLISHED "$TMP/mon-a.json")" 10
check_eq "client-time-wait" "$(jq .states.TIME_WAIT "$TMP/mon-a.json")" 4
check_eq "server-listen" "$(jq .states.LISTEN "$TMP/mon-b.json")" 3

# Listeners: local address, accept queue and backlog, as ss -ltn shows
# them (Recv-Q, Send-Q).
ss_l=$(ip netns exec "$NS_B" ss -ltnH | awk '{ print $4, $2, $3 }' | sort)
mon_l=$(jq -r '.listeners[] | "\(.local) \(.accept_queue) \(.backlog)"' "$TMP/mon-b.json" |
	sed -e 's/^0\.0\.0\.0:/0.0.0.0:/' | sort)
check_eq listeners-equal-ss-ltn "$(echo "$mon_l" | tr '\n' ';')" "$(echo "$ss_l" | tr '\n' ';')"
check_eq unaccepted-queue "$(jq '.listeners[] | select(.port == 5002) | .accept_queue' "$TMP/mon-b.json")" 3
check_eq backlog-5002 "$(jq '.listeners[] | select(.port == 5002) | .backlog' "$TMP/mon-b.json")" 8

# Filters: --port and --state narrow the socket table.
"$TCPSCOPE" monitor --netns "$NS_A" --json --interval 0 --port 5001 >"$TMP/p.json"
check_eq port-filter "$(jq '[.states[]] | add' "$TMP/p.json")" 2
"$TCPSCOPE" monitor --netns "$NS_A" --json --interval 0 --state time-wait >"$TMP/s.json"
check_eq state-filter "$(jq '[.states[]] | add' "$TMP/s.json"),$(jq .states.TIME_WAIT "$TMP/s.json")" "4,4"

# The text snapshot: every line under 100 columns, and the same counts.
"$TCPSCOPE" monitor --netns "$NS_B" --interval 200ms >"$TMP/text" 2>&1
check_eq text-width "$(awk 'length > 99' "$TMP/text" | head -3)" ""
check_eq text-has-queue "$(grep -cE '^ +0\.0\.0\.0:5002 +3 +8' "$TMP/text")" 1
