#!/usr/bin/env bash
# Softirq-heavy load: a connection churn and a bulk stream through the
# lossy lab (3% of TCP packets dropped: retransmit timers, SYN retransmits,
# resets, all in softirq or timer context). No event names a process that
# does not own its socket: every non-zero pid is one of the processes this
# test started, and the one `ss -tanp` (snapshots every 0.2 s in both
# namespaces) showed owning that connection. Under tp_btf and raw_tp.
. "$(dirname "$0")/../lib.sh"
need jq
LOAD="python3 $TOP/tests/helpers/owner_load.py"
CHURN="python3 $TOP/tests/helpers/tcpload.py"
lab_up 41
"$LAB" loss "$LABNAME" 3
ino_a=$(stat -L -c %i "/run/netns/$NS_A"); ino_b=$(stat -L -c %i "/run/netns/$NS_B")

PORT=29440
for mode in tp_btf raw_tp; do
	PORT=$((PORT + 1))
	out=$TMP/$mode.jsonl
	"$TCPSCOPE" trace --json -e all -i 0 --port $PORT --attach $mode > "$out" 2> "$out.err" &
	tr=$!
	sleep 1.5
	ip netns exec "$NS_B" $LOAD server "$IP_B" $PORT --seconds 60 > "$TMP/server.out" &
	wait_for_line "$TMP/server.out" '^worker' || fail $mode/setup "server did not start"
	srv_pid=$(awk '/^listening/ { print $2 }' "$TMP/server.out")
	cleanup_add kill "$srv_pid"
	ip netns exec "$NS_A" $CHURN churn "$IP_B" $PORT --conns 150 > "$TMP/churn.out" &
	churn_pid=$!
	ip netns exec "$NS_A" $LOAD client "$IP_B" $PORT --conns 2 --bytes 1500000 > "$TMP/stream.out" &
	stream_pid=$!
	: > "$TMP/ss.a"; : > "$TMP/ss.b"
	for ((i = 0; i < 300; i++)); do # 60 s at most
		ip netns exec "$NS_A" ss -tanpH >> "$TMP/ss.a"
		ip netns exec "$NS_B" ss -tanpH >> "$TMP/ss.b"
		kill -0 $churn_pid 2>/dev/null || kill -0 $stream_pid 2>/dev/null || break
		sleep 0.2
	done
	wait $churn_pid $stream_pid
	sleep 0.5
	kill -INT $tr; wait $tr
	kill "$srv_pid"
	check_eq "$mode/stream_done" "$(wc -l < "$TMP/stream.out")" 2
	# "ESTAB 0 0 10.231.41.2:29441 10.231.41.1:45678 users:(("python3",pid=1,fd=5))"
	for ns in a b; do
		sed -nE 's/.* [0-9.]+:([0-9]+) +[0-9.*]+:([0-9*]+) +users:\(\("[^"]*",pid=([0-9]+),.*/\1 \2 \3/p' \
			"$TMP/ss.$ns" | sort -u > "$TMP/owners.$ns"
	done
	ours=$(printf '%s\n' "$srv_pid" $churn_pid $stream_pid | sort -u | paste -sd,)
	check_cmp "$mode/events" "$(jq -c 'select(.type != "summary")' "$out" | wc -l)" -gt 300
	check_cmp "$mode/retransmits" "$(tail -n1 "$out" | jq .events.retransmit)" -gt 0
	# Every named owner is one of ours.
	check_eq "$mode/only_our_processes" \
		"$(jq -r "select(.type != \"summary\" and .pid != 0 and (.pid | IN($ours) | not)) |
			\"\(.pid) \(.comm)\"" "$out" | sort | uniq -c | head -5)" ""
	# And the one ss saw owning that connection, where ss saw it.
	jq -r "select(.type != \"summary\" and .pid != 0) |
		\"\(if .netns == $ino_a then \"a\" else \"b\" end) \(.sport) \(.dport) \(.pid)\"" "$out" |
		sort -u > "$TMP/named"
	checked=0; bad=0
	while read -r ns sp dp pid; do
		want=$(awk -v s=$sp -v d=$dp '$1 == s && $2 == d { print $3 }' "$TMP/owners.$ns" | sort -u)
		[ -n "$want" ] || continue
		checked=$((checked + 1))
		[ "$want" = "$pid" ] || { bad=$((bad + 1)); echo "  $ns $sp > $dp: event $pid, ss $want"; }
	done < "$TMP/named"
	check_cmp "$mode/connections_checked_against_ss" "$checked" -ge 2
	check_eq "$mode/named_as_ss" "$bad" 0
	check_eq "$mode/lost" "$(tail -n1 "$out" | jq .lost)" 0
done
