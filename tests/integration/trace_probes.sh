#!/usr/bin/env bash
# --probe-interval keeps its meaning under both attach flavours (tp_btf
# keeps each socket's last probe time in its socket storage, raw_tp in a
# hash by cookie): a socket's probe events are never closer than the
# interval, a busy socket still gets one about every interval, and every
# tcp_probe hit of the port is either an event or counted as sampled out
# (bpftrace counts the hits: a lower bound where it may miss nested hits).
. "$(dirname "$0")/../lib.sh"
need bpftrace
lab_up 15
PORT=29371
IVL=50 # ms
SECS=2
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing

ip netns exec "$NS_B" "$TCPSCOPE" server --listen "$IP_B:$PORT" --mode echo --duration 120 \
	> "$TMP/server.out" 2>&1 &
cleanup_add kill $!
wait_for_line "$TMP/server.out" '^listening' || fail setup "server did not start"

for mode in tp_btf raw_tp; do
	bpftrace -e "tracepoint:tcp:tcp_probe /args->sport == $PORT || args->dport == $PORT/ { @n = count(); }" \
		> "$TMP/bt.$mode" 2>&1 &
	bt=$!
	cleanup_add kill $bt
	wait_for_line "$TMP/bt.$mode" 'Attaching' 20 || fail setup "bpftrace did not attach"
	"$TCPSCOPE" trace --json --events probe --probe-interval $IVL --port $PORT --attach $mode \
		> "$TMP/$mode.jsonl" 2> "$TMP/$mode.err" &
	tr=$!
	cleanup_add kill $tr
	wait_attached $tr || fail setup "the tracer did not attach ($mode)"
	# --records: the client asks each socket's SO_COOKIE, so raw_tp's
	# events (which read the cookie the socket has) carry one too.
	ip netns exec "$NS_A" "$TCPSCOPE" stress "$IP_B:$PORT" --mode rr -c 4 --size 100 \
		--duration ${SECS}s --records "$TMP/rec.$mode" --json > "$TMP/stress.$mode" 2>&1
	sleep 0.3
	kill -INT $tr; wait $tr
	check_eq "$mode/exit_status" "$?" 0
	stop_bpftrace $bt

	s=$(tail -n1 "$TMP/$mode.jsonl")
	events=$(jq -r .events.probe <<<"$s")
	sampled=$(jq -r .probes_sampled_out <<<"$s")
	hits=$(awk '/^@n:/ {print $2}' "$TMP/bt.$mode")
	echo "  $mode: $events events, $sampled sampled out, bpftrace $hits hits"
	check_eq "$mode/attach" "$(jq -r .attach <<<"$s")" "$mode"
	check_eq "$mode/lost_zero" "$(jq -r .lost <<<"$s")" 0
	check_cmp "$mode/sampled_some" "$sampled" -gt "$events"
	if kernel_has classic_tp_misses; then
		check_eq "$mode/events_plus_sampled_are_hits" "$((events + sampled))" "$hits"
	else
		echo "  bpftrace is a lower bound here ($KERNEL_SAYS)"
		check_cmp "$mode/events_plus_sampled_ge_hits" "$((events + sampled))" -ge "$hits"
	fi
	# Per socket (cookie), the gaps between consecutive events, in ms.
	jq -s -r 'map(select(.type=="probe" and .cookie != 0)) | group_by(.cookie)[] |
		sort_by(.ts_ns) | [range(1; length) as $i | (.[$i].ts_ns - .[$i-1].ts_ns) / 1e6] | @tsv' \
		"$TMP/$mode.jsonl" > "$TMP/gaps.$mode"
	nsock=$(grep -c . "$TMP/gaps.$mode")
	min=$(tr '\t' '\n' < "$TMP/gaps.$mode" | grep . | sort -g | head -n1)
	med=$(tr '\t' '\n' < "$TMP/gaps.$mode" | grep . | sort -g | awk '{v[NR]=$1} END {print v[int((NR+1)/2)]}')
	echo "  $mode: $nsock sockets with cookies; gaps between a socket's events: min $min ms, median $med ms"
	check_cmp "$mode/sockets_seen" "$nsock" -ge 4
	check_eq "$mode/never_closer_than_interval" "$(awk -v m="${min:-0}" -v i=$IVL 'BEGIN {print (m >= i) ? "yes" : "no"}')" yes
	check_eq "$mode/busy_socket_about_every_interval" \
		"$(awk -v m="${med:-0}" -v i=$IVL 'BEGIN {print (m >= i && m < 2 * i) ? "yes" : "no"}')" yes
done
