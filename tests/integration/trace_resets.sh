#!/usr/bin/env bash
# Resets the kernel sends with no connection behind them, each provoked by a
# hand-made segment whose ports the test chose (the oracle), in a namespace
# of its own: a bare ACK to a listener (the listener answers it) and a bare
# ACK to a closed port (no socket at all). Either way the reset event must
# name the peer the reset goes to, not the listener's empty peer, and the
# count must equal the namespace's own TcpOutRsts delta.
. "$(dirname "$0")/../lib.sh"
need python3
need nstat
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing
NS="tsr$$"
ip netns add "$NS" || { fail setup "ip netns add"; exit 0; }
cleanup_add ip netns del "$NS"
ip -n "$NS" link set lo up
LPORT=29401   # the listener
CPORT=29402   # nobody listens here
SPORTS="41001 41002 41003"

ip netns exec "$NS" "$TCPSCOPE" server --listen 127.0.0.1:$LPORT --duration 30 > "$TMP/server.out" &
cleanup_add kill $!
wait_for_line "$TMP/server.out" '^listening' || { fail setup "server did not start"; exit 0; }
"$TCPSCOPE" trace --json --events reset --netns "/run/netns/$NS" > "$TMP/trace.jsonl" 2> "$TMP/trace.err" &
TR=$!
cleanup_add kill $TR
wait_attached $TR || fail setup "the tracer did not attach"
kill -0 $TR 2>/dev/null || { fail setup "trace exited: $(head -c 300 "$TMP/trace.err")"; exit 0; }

# A bare ACK (no SYN) from 127.0.0.1:SPORT to DPORT, checksummed, through a
# raw socket: the kernel's answer is a reset.
cat > "$TMP/ack.py" <<'EOF'
import socket, struct, sys

def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF

src = dst = socket.inet_aton("127.0.0.1")
dport = int(sys.argv[1])
raw = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
for sport in map(int, sys.argv[2:]):
    hdr = struct.pack("!HHIIBBHHH", sport, dport, 1000, 2000, 5 << 4, 0x10, 1024, 0, 0)
    pseudo = src + dst + struct.pack("!BBH", 0, socket.IPPROTO_TCP, len(hdr))
    hdr = hdr[:16] + struct.pack("!H", csum(pseudo + hdr)) + hdr[18:]
    raw.sendto(hdr, ("127.0.0.1", 0))
EOF
ip netns exec "$NS" nstat -n
ip netns exec "$NS" python3 "$TMP/ack.py" $LPORT $SPORTS
ip netns exec "$NS" python3 "$TMP/ack.py" $CPORT $SPORTS
sleep 0.5
rsts=$(ip netns exec "$NS" nstat -a TcpOutRsts | awk '/TcpOutRsts/ {print $2}')
kill -INT $TR; wait $TR

check_eq out_rsts_oracle "${rsts:-0}" 6
# Where tcp_send_reset fires only for a full socket, the three resets
# answering the closed port are sent but not traced.
want_events=${rsts:-0}
want_nosock="127.0.0.1 false"
if ! kernel_has reset_without_socket; then
	echo "  the 3 resets from no socket are not traced here ($KERNEL_SAYS)"
	want_events=$((want_events - 3))
	want_nosock=""
fi
check_eq events_equal_out_rsts "$(jq -s '[.[] | select(.type == "send_reset")] | length' "$TMP/trace.jsonl")" "$want_events"
for p in $SPORTS; do
	check_eq "listener_reset_names_peer/$p" \
		"$(jq -r "select(.type == \"send_reset\" and .sport == $LPORT and .dport == $p) | \"\(.state) \(.daddr) \(.has_sock)\"" "$TMP/trace.jsonl")" \
		"LISTEN 127.0.0.1 true"
	check_eq "no_socket_reset_names_peer/$p" \
		"$(jq -r "select(.type == \"send_reset\" and .sport == $CPORT and .dport == $p) | \"\(.daddr) \(.has_sock)\"" "$TMP/trace.jsonl")" \
		"$want_nosock"
done
check_eq lost_zero "$(tail -n1 "$TMP/trace.jsonl" | jq .lost)" 0
