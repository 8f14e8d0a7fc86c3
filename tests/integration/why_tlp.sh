#!/usr/bin/env bash
# Tail loss probes: a peer that stops answering after the handshake. The
# first retransmit the client sends is the loss probe (kind tlp, in Open),
# every later one an RTO (Loss), and the segments of the events add up to
# the socket's own TCP_INFO tcpi_total_retrans.
. "$(dirname "$0")/../lib.sh"
PORT=29421
LABNAME="why$$"
"$LAB" up "$LABNAME" 142
cleanup_add "$LAB" down "$LABNAME"
NS_A="$LABNAME-a"; NS_B="$LABNAME-b"; IP_B=10.231.142.2
"$LAB" blackhole "$LABNAME" "$PORT"
ip netns exec "$NS_B" python3 "$TOP/tests/helpers/tcpload.py" server "$IP_B" "$PORT" --seconds 30 \
	> "$TMP/server.out" &
cleanup_add kill $!
wait_for_line "$TMP/server.out" '^listening' || { fail setup "server did not start"; exit 0; }

"$TCPSCOPE" trace --json --events retransmit --port "$PORT" > "$TMP/trace.jsonl" 2> "$TMP/trace.err" &
TR=$!
cleanup_add kill $TR
wait_attached $TR || { fail setup "the tracer did not attach"; exit 0; }
# The client: send, wait through the probe and two RTOs (0.2 s min RTO
# doubling: about 0.2+0.4+0.8 s after the probe), then TCP_INFO, then a
# reset close so that nothing more is sent.
ip netns exec "$NS_A" python3 - "$IP_B" "$PORT" > "$TMP/client.out" <<'PY'
import json, socket, struct, sys, time
s = socket.create_connection((sys.argv[1], int(sys.argv[2])))
ck = struct.unpack("Q", s.getsockopt(socket.SOL_SOCKET, 57, 8))[0]
s.sendall(b"x" * 2000)
time.sleep(3.5)
info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 232)
total = struct.unpack_from("24I", info, 8)[23]
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
s.close()
print(json.dumps({"cookie": ck, "total_retrans": total}))
PY
sleep 0.5
kill -INT $TR; wait $TR
check_eq exit_status "$?" 0
ck=$(jq -r .cookie "$TMP/client.out"); want=$(jq -r .total_retrans "$TMP/client.out")
jq -c --argjson c "$ck" 'select(.type=="retransmit" and .cookie==$c)' "$TMP/trace.jsonl" > "$TMP/mine.jsonl"
check_eq first_is_tlp "$(head -n 1 "$TMP/mine.jsonl" | jq -r '.kind + "/" + .ca_state')" "tlp/Open"
check_cmp then_rto "$(tail -n +2 "$TMP/mine.jsonl" | jq -s '[.[] | select(.kind=="rto")] | length')" -ge 2
check_eq nothing_else "$(tail -n +2 "$TMP/mine.jsonl" | jq -s '[.[] | select(.kind!="rto")] | length')" 0
check_cmp tcp_info_counted "$want" -ge 3
check_eq segs_equal_tcpi_total_retrans "$(jq -s '[.[] | select(.err==0) | .segs] | add // 0' "$TMP/mine.jsonl")" "$want"
check_eq summary_tlp "$(tail -n 1 "$TMP/trace.jsonl" | jq -r .retransmits.tlp)" 1
