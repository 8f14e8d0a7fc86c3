#!/usr/bin/env bash
# State sequences, probes and cookies: each connection's events carry the
# cookie that getsockopt(SO_COOKIE) returns, and the full state path, client
# and server side; probe srtt agrees with TCP_INFO's rtt. The raw_tp
# fallback gives the same. A SIGINT leaves valid JSON with the summary last.
. "$(dirname "$0")/../lib.sh"
LOAD="python3 $TOP/tests/helpers/tcpload.py"
PORT=29311
N=10
lab_up 12

# The server outlives every part (an emulated CPU needs minutes: at 60 s
# it was gone before --count, whose connects were refused). The cleanup
# stops it.
ip netns exec "$NS_B" $LOAD server "$IP_B" "$PORT" --mode echo --seconds 300 > "$TMP/server.out" &
cleanup_add kill $!
wait_for_line "$TMP/server.out" '^listening' || fail setup "server did not start"

run_clients() { # attach-mode outfile
	"$TCPSCOPE" trace --json --attach "$1" --events state,probe --probe-interval 0 \
		--port "$PORT" > "$2" 2> "$2.err" &
	local tr=$!
	wait_attached $tr || fail setup "the tracer did not attach"
	ip netns exec "$NS_A" $LOAD client "$IP_B" "$PORT" --conns $N --parallel 5 \
		--bytes 20000 --hold 0.3 > "$2.clients"
	sleep 0.5
	kill -INT $tr
	wait $tr
}

for mode in tp_btf raw_tp; do
	out=$TMP/$mode.jsonl
	run_clients $mode "$out"
	check_eq "$mode/exit" "$?" 0
	check_eq "$mode/attach_reported" "$(tail -n1 "$out" | jq -r .attach)" "$mode"
	check_eq "$mode/every_line_is_json" "$(jq -c . "$out" 2>/dev/null | wc -l)" "$(wc -l < "$out")"
	bad=0
	for ck in $(jq -r 'select(.error==null) | .cookie' "$out.clients"); do
		path=$(jq -r --argjson c "$ck" 'select(.type=="state" and .cookie==$c) | .new' "$out" | paste -sd' ')
		# FIN_WAIT2 is skipped when the server's FIN comes with its ACK.
		[[ "$path" =~ ^"SYN_SENT ESTABLISHED FIN_WAIT1 "("FIN_WAIT2 ")?"CLOSE"$ ]] ||
			{ bad=$((bad + 1)); echo "  client $ck: $path"; }
	done
	check_eq "$mode/client_state_paths" "$bad" 0
	check_eq "$mode/clients" "$(jq -r 'select(.error==null) | .cookie' "$out.clients" | wc -l)" $N
	# Server side: the accepted sockets' cookies come from the server's own
	# getsockopt; their paths start in the listener's LISTEN. (Under raw_tp
	# a socket has a cookie only once someone asked for it, and the server
	# asks at the end: tp_btf only.)
	if [ $mode = tp_btf ]; then
		bad=0; ns=0
		for ck in $(grep '^{' "$TMP/server.out" | jq -r 'select(.side=="server" and .cookie) | .cookie' | tail -n $N); do
			ns=$((ns + 1))
			path=$(jq -r --argjson c "$ck" 'select(.type=="state" and .cookie==$c) | .new' "$out" | paste -sd' ')
			[ "$path" = "SYN_RECV ESTABLISHED CLOSE_WAIT LAST_ACK CLOSE" ] ||
				{ bad=$((bad + 1)); echo "  server $ck: $path"; }
		done
		check_eq "$mode/server_state_paths" "$bad/$ns" "0/$N"
	else
		skip "$mode/server_state_paths" "raw_tp: the server asks its cookie only at the end"
	fi
	# Probes: the client's cookie, and srtt near the socket's own rtt.
	bad=0
	while read -r line; do
		ck=$(jq -r .cookie <<<"$line"); rtt=$(jq -r .rtt_mid_us <<<"$line")
		srtt=$(jq -s --argjson c "$ck" '[.[]|select(.type=="probe" and .cookie==$c)|.srtt_us]|last // -1' "$out")
		awk -v a="$srtt" -v b="$rtt" 'BEGIN { d = a - b; if (d < 0) d = -d;
			exit !(a >= 0 && (d <= 200 || d <= 0.5 * b)) }' ||
			{ bad=$((bad + 1)); echo "  probe $ck: srtt $srtt, TCP_INFO rtt $rtt"; }
	done < <(jq -c 'select(.error==null)' "$out.clients")
	check_eq "$mode/probe_cookie_and_srtt" "$bad" 0
	check_eq "$mode/lost" "$(tail -n1 "$out" | jq -r .lost)" 0
	# The LISTEN -> SYN_RECV hold (doctor's syn_recv_identity): never on a
	# kernel that gives the child its identity first; elsewhere one per
	# accepted socket at least (the count is of every namespace's, before
	# the filters), each released at the child's next transition.
	holds=$(tail -n1 "$out" | jq -c .syn_recv_holds)
	echo "  holds: $holds"
	if kernel_has syn_recv_identity; then
		check_eq "$mode/syn_recv_never_held" "$(jq .held <<<"$holds")" 0
	else
		echo "  $KERNEL_SAYS"
		check_cmp "$mode/syn_recv_held_per_accept" "$(jq .held <<<"$holds")" -ge $N
		check_eq "$mode/syn_recv_holds_released" "$(jq -c '[.released, .half_open, .evicted]' <<<"$holds")" \
			"[$(jq .held <<<"$holds"),0,0]"
	fi
done

# SIGINT mid-stream: the output stays valid JSON with the summary last.
"$TCPSCOPE" trace --json --events all --probe-interval 0 > "$TMP/int.jsonl" 2>/dev/null &
TR=$!
wait_attached $TR || fail setup "the tracer did not attach"
ip netns exec "$NS_A" $LOAD client "$IP_B" "$PORT" --conns 20 --parallel 10 --bytes 50000 >/dev/null &
CL=$!
sleep 0.3
kill -INT $TR; wait $TR
check_eq sigint_exit "$?" 0
check_eq sigint_valid_json "$(jq -c . "$TMP/int.jsonl" 2>/dev/null | wc -l)" "$(wc -l < "$TMP/int.jsonl")"
check_eq sigint_summary_last "$(tail -n1 "$TMP/int.jsonl" | jq -r .type)" summary
wait $CL
# SIGTERM, text mode, into a file through timeout(1): the summary is there.
# The outer timeout makes a trace that does not end on SIGTERM a failure
# here, not a guest cut off at the VM's limit (a CI run on 6.1 stopped
# here once; twelve reruns of this step in the VM did not).
timeout -k 5 60 timeout --preserve-status -s TERM 1.5 "$TCPSCOPE" trace > "$TMP/term.txt" 2>/dev/null
check_eq sigterm_exit "$?" 0
grep -q '^lost events: 0' "$TMP/term.txt" && pass sigterm_summary || fail sigterm_summary "no summary"
# --count stops by itself after N events.
"$TCPSCOPE" trace --json --events probe --probe-interval 0 --port "$PORT" --count 5 > "$TMP/count.jsonl" 2>/dev/null &
TR=$!
wait_attached $TR || fail setup "the tracer did not attach"
ip netns exec "$NS_A" $LOAD client "$IP_B" "$PORT" --conns 2 --bytes 200000 >/dev/null
for i in $(seq 50); do kill -0 $TR 2>/dev/null || break; sleep 0.1; done
kill -0 $TR 2>/dev/null && { fail count_stops "still running"; kill -INT $TR; } || pass count_stops
wait $TR
check_eq count_events "$(jq -r 'select(.type=="probe")' "$TMP/count.jsonl" | jq -s length)" 5
