#!/usr/bin/env bash
# A multi-process server: three worker processes forked after listen()
# share one listener and each accepts connections in turn. Each
# connection's events name the worker that `ss -tanp` shows owning it
# while the connection is held (pid 0 only before the worker first touched
# it), and each client connection names its own client process.
#
# Per kernel (from doctor, not the version): with sock_send_length and
# sock_recv_length (owner_accepted ok, 6.3 on) the worker is named from its
# first receive, so the client's FIN (CLOSE_WAIT, in softirq) already
# names it; without them (6.1) from the worker's close(): LAST_ACK, CLOSE.
. "$(dirname "$0")/../lib.sh"
need jq
LOAD="python3 $TOP/tests/helpers/owner_load.py"
N=6
NS=owner-wk$$
ip netns add "$NS" && ip -n "$NS" link set lo up
cleanup_add ip netns del "$NS"
accepted=$("$TCPSCOPE" doctor --json | jq -r .checks.owner_accepted.ok)

PORT=29420
for mode in tp_btf raw_tp; do
	PORT=$((PORT + 1))
	out=$TMP/$mode.jsonl
	"$TCPSCOPE" trace --json -e all -i 0 -n "$NS" --attach $mode > "$out" 2> "$out.err" &
	tr=$!
	wait_attached $tr || fail $mode/setup "the tracer did not attach"
	ip netns exec "$NS" $LOAD server 127.0.0.1 $PORT --workers 3 --seconds 90 > "$TMP/server.out" &
	srv=$!
	wait_for_line "$TMP/server.out" '^listening' || fail $mode/setup "server did not start"
	until [ "$(grep -c ^worker "$TMP/server.out")" -ge 3 ]; do sleep 0.05; done
	cleanup_add kill $(awk '/^worker/ { print $2 }' "$TMP/server.out")
	pids=()
	for ((i = 0; i < N; i++)); do
		ip netns exec "$NS" $LOAD client 127.0.0.1 $PORT --hold 6 > "$TMP/client$i.out" &
		pids+=($!)
	done
	# While the connections are held: who owns each, by ss.
	: > "$TMP/ss"
	for ((i = 0; i < 200; i++)); do # until the clients are done (60 s at most)
		ip netns exec "$NS" ss -tanpH state established >> "$TMP/ss"
		alive=0
		for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
		[ $alive = 1 ] || break
		sleep 0.3
	done
	wait "${pids[@]}"
	sleep 0.5
	kill -INT $tr; wait $tr
	kill $(awk '/^worker/ { print $2 }' "$TMP/server.out") 2>/dev/null
	wait $srv 2>/dev/null
	# "0 0 127.0.0.1:29421 127.0.0.1:45678 users:(("python3",pid=123,fd=5))"
	sed -nE 's/.* [0-9.]+:([0-9]+) +[0-9.]+:([0-9]+) +users:\(\("[^"]*",pid=([0-9]+),.*/\1 \2 \3/p' \
		"$TMP/ss" | sort -u > "$TMP/owners"
	srv_conns=$(awk -v p=$PORT '$1 == p' "$TMP/owners" | wc -l)
	check_eq "$mode/ss_saw_server_conns" "$srv_conns" $N
	check_cmp "$mode/distinct_workers" "$(awk -v p=$PORT '$1 == p { print $3 }' "$TMP/owners" | sort -u | wc -l)" -ge 2
	if [ "$accepted" = true ]; then
		named='.new == "CLOSE_WAIT" or .new == "LAST_ACK" or .old == "LAST_ACK"'; nexp=$((3 * N))
	else
		named='.new == "LAST_ACK" or .old == "LAST_ACK"'; nexp=$((2 * N))
	fi
	bad=0; named_n=0
	while read -r lport rport pid; do
		if [ "$lport" = $PORT ]; then # a worker's socket
			# Not a reset the listener sent for this connection (a
			# segment that found it gone, e.g. the ACK of a FIN the
			# worker's socket retransmitted: an emulated CPU's late
			# ACKs made one): that names the listener's owner, below.
			sel="select(.type != \"summary\" and .sport == $PORT and .dport == $rport and
				(.type != \"send_reset\" or .state != \"LISTEN\"))"
			b=$(jq -c "$sel | select(.pid != 0 and .pid != $pid)" "$out" | wc -l)
			[ "$b" = 0 ] || jq -c "$sel | select(.pid != 0 and .pid != $pid) | {type,old,new,state,cookie,pid,comm}" "$out" | head -3
			nn=$(jq -c "$sel | select(.type == \"state\" and ($named))" "$out" | wc -l)
			b2=$(jq -c "$sel | select(.type == \"state\" and ($named) and .pid != $pid)" "$out" | wc -l)
			named_n=$((named_n + nn))
		else # a client's
			sel="select(.type != \"summary\" and .sport == $lport and .dport == $PORT)"
			# A drop through skb->sk under tp_btf has no readable
			# owner: pid 0, unknown, never wrong (docs/json.md).
			b=$(jq -c "$sel | select(.pid != $pid and
				(.type != \"drop\" or .pid != 0))" "$out" | wc -l)
			b2=0
		fi
		[ $((b + b2)) = 0 ] || { bad=$((bad + 1)); echo "  $lport $rport owner $pid: $b wrong, $b2 not named"; }
	done < "$TMP/owners"
	check_eq "$mode/events_name_ss_owner" "$bad" 0
	# The listener's own resets name the process that called listen().
	lsn=$(awk '/^listening/ { print $2 }' "$TMP/server.out")
	check_eq "$mode/listener_resets_name_listener" "$(jq -c "select(.type == \"send_reset\" and
		.state == \"LISTEN\" and .sport == $PORT and .pid != 0 and .pid != $lsn)" "$out" | wc -l)" 0
	check_eq "$mode/named_transitions" "$named_n" $nexp
done
