#!/usr/bin/env bash
# A 10k connections/s churn on loopback traced with --events state at the
# default settings: nothing lost, and the state events equal bpftrace's
# count on the same tracepoint and port, and the load's own counts.
. "$(dirname "$0")/../lib.sh"
need bpftrace
PORT=29331
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing

# The server outlives bpftrace's start, which takes an emulated CPU most
# of a minute (seen: every connection refused, server gone, at 40 s).
sdur=40
emulated && { sdur=150; echo "  emulated CPU: the server runs ${sdur}s, not 40s"; }
"$TCPSCOPE" server --listen 127.0.0.1:$PORT --mode echo --duration $sdur > "$TMP/server.out" &
cleanup_add kill $!
wait_for_line "$TMP/server.out" '^listening' || fail setup "server did not start"
bpftrace -e "tracepoint:sock:inet_sock_set_state /args->protocol == 6 && (args->sport == $PORT || args->dport == $PORT)/ { @n = count(); @t[args->oldstate, args->newstate] = count(); }" \
	> "$TMP/bpftrace.out" 2>&1 &
BT=$!
cleanup_add kill $BT
wait_for_line "$TMP/bpftrace.out" 'Attaching' 20 || fail setup "bpftrace did not attach"
"$TCPSCOPE" trace --json --events state --port $PORT --netns /proc/self/ns/net > "$TMP/trace.jsonl" 2> "$TMP/trace.err" &
TR=$!
cleanup_add kill $TR
wait_attached $TR || fail setup "the tracer did not attach"
# An emulated CPU opens about 1700 connections/s untraced; with bpftrace
# and the tracer attached it reached 212/s of 1000 asked on a host with a
# load average of 8: a twentieth of the load.
rate=10000
emulated && { rate=500; echo "  emulated CPU: churn at $rate/s instead of 10000/s"; }
"$TCPSCOPE" stress 127.0.0.1:$PORT --mode churn --rate $rate --duration 3 --json > "$TMP/stress.json"
sleep 1
kill -INT $TR; wait $TR
stop_bpftrace $BT

attempted=$(jq -r .connections.attempted "$TMP/stress.json")
achieved=$(jq -r '.rate.achieved | floor' "$TMP/stress.json")
summary=$(tail -n1 "$TMP/trace.jsonl")
check_cmp load_ran "$attempted" -ge $((rate * 2))
echo "  churn: $attempted connections, $achieved/s"
check_eq lost_zero "$(jq -r .lost <<<"$summary")" 0
# Each connection makes nine or ten transitions: SYN_SENT, ESTABLISHED,
# FIN_WAIT1, (FIN_WAIT2, skipped when the peer's FIN comes with its ACK),
# CLOSE on the client; SYN_RECV, ESTABLISHED, CLOSE_WAIT, LAST_ACK, CLOSE on
# the server. bpftrace counts the same tracepoint, but its program too is
# skipped when a softirq interrupts it (its recursion misses): we may see
# more than it, never fewer.
got=$(jq -r .events.state <<<"$summary")
bt=$(awk '/^@n:/ {print $2}' "$TMP/bpftrace.out")
fw2=$(jq -r 'select(.type=="state" and .new=="FIN_WAIT2") | .cookie' "$TMP/trace.jsonl" | wc -l)
# Some runs lack a few client connections' tail after FIN_WAIT1 (both
# FIN_WAIT2 and CLOSE; 1 to 34 of 30000 seen) while the server side shows
# LAST_ACK -> CLOSE. bpftrace, counting the same tracepoint on its own,
# lacks them too: the kernel did not fire those transitions while we traced.
# So the client tails we lack must be no more than bpftrace lacks; a tail
# the kernel did fire and we dropped would break that.
want=$((9 * attempted + fw2))
short=$(jq -r 'select(.type=="state" and .dport=='$PORT') | "\(.cookie) \(.new)"' "$TMP/trace.jsonl" |
	awk '{ last[$1] = $2 } END { n = 0; for (c in last) if (last[c] == "FIN_WAIT1") n++; print n }')
bt_fw2=$(awk '/^@t\[4, 5\]:/ {print $3}' "$TMP/bpftrace.out")
bt_tail_missing=$((attempted - ${bt_fw2:-0}))
[ "$short" -gt 0 ] && echo "  $short client connection(s) end at FIN_WAIT1 in the trace; bpftrace saw $bt_tail_missing fewer FIN_WAIT1 -> FIN_WAIT2 than connections"
check_cmp client_tails_missing_only_where_the_kernel_fired_none "$short" -le "$bt_tail_missing"
jq -r 'select(.type=="state") | "\(.old) \(.new)"' "$TMP/trace.jsonl" | sort | uniq -c > "$TMP/pairs"
for pair in "CLOSE SYN_SENT 7 2" "SYN_SENT ESTABLISHED 2 1" "ESTABLISHED FIN_WAIT1 1 4" "FIN_WAIT1 FIN_WAIT2 4 5" "FIN_WAIT2 CLOSE 5 7" \
	"LISTEN SYN_RECV 10 3" "SYN_RECV ESTABLISHED 3 1" "ESTABLISHED CLOSE_WAIT 1 8" "CLOSE_WAIT LAST_ACK 8 9" "LAST_ACK CLOSE 9 7"; do
	set -- $pair
	ours=$(awk -v o="$1" -v n="$2" '$2 == o && $3 == n {print $1}' "$TMP/pairs")
	theirs=$(awk -v k="@t[$3, $4]:" '$1 " " $2 == k {print $3}' "$TMP/bpftrace.out")
	check_cmp "not_fewer_than_bpftrace/$1-$2" "${ours:-0}" -ge "${theirs:-0}"
done
# Each transition once: a twin that took a hit its primary had already sent
# would show up as the same transition twice in a row for one socket. (A
# socket may repeat a transition for real, CLOSE -> SYN_SENT after a failed
# connect, but then with the way back in between.)
dups=$(jq -r 'select(.type=="state") | "\(.cookie) \(.old) \(.new)"' "$TMP/trace.jsonl" |
	awk '{ if (prev[$1] == $2 " " $3) n++; prev[$1] = $2 " " $3 } END { print n + 0 }')
check_eq no_transition_twice "$dups" 0
# Connect attempts the kernel made again on the same socket (SYN_SENT, back
# to CLOSE, SYN_SENT again): rare, real (bpftrace counts them too), and two
# more transitions each.
repeats=$(jq -r 'select(.type=="state" and .dport=='$PORT') | "\(.cookie) \(.old) \(.new)"' "$TMP/trace.jsonl" |
	awk '$3 == "SYN_SENT" { if (seen[$1] && last[$1] == "CLOSE") n++; seen[$1] = 1 } { last[$1] = $3 } END { print n + 0 }')
[ "$repeats" -gt 0 ] && echo "  $repeats connect attempt(s) repeated on the same socket"
check_cmp transitions_per_connection "$got" -ge $((want - short))
check_cmp transitions_not_more "$got" -le $((want + 2 * repeats))
check_cmp at_least_bpftrace "$got" -ge "${bt:-0}"
[ "$got" -ne "${bt:-0}" ] && echo "  bpftrace counted $bt (its program missed $((got - bt)) nested hits)"
check_eq "per_state/SYN_SENT" "$(jq -r 'select(.type=="state" and .new=="SYN_SENT") | .cookie' "$TMP/trace.jsonl" | wc -l)" $((attempted + repeats))
for st in FIN_WAIT1 SYN_RECV CLOSE_WAIT LAST_ACK; do
	check_eq "per_state/$st" "$(jq -r "select(.type==\"state\" and .new==\"$st\") | .cookie" "$TMP/trace.jsonl" | wc -l)" "$attempted"
done
check_eq "per_state/ESTABLISHED" "$(jq -r 'select(.type=="state" and .new=="ESTABLISHED") | .cookie' "$TMP/trace.jsonl" | wc -l)" $((2 * attempted))
closes=$(jq -r 'select(.type=="state" and .new=="CLOSE") | .cookie' "$TMP/trace.jsonl" | wc -l)
check_cmp "per_state/CLOSE" "$closes" -ge $((2 * attempted - short))
check_cmp "per_state/CLOSE_not_more" "$closes" -le $((2 * attempted + repeats))
check_eq server_syn_recv_per_attempt \
	"$(jq -r 'select(.type=="state" and .sport=='$PORT' and .new=="SYN_RECV")' "$TMP/trace.jsonl" | jq -s length)" "$attempted"
check_eq server_close_per_attempt \
	"$(jq -r 'select(.type=="state" and .sport=='$PORT' and .new=="CLOSE")' "$TMP/trace.jsonl" | jq -s length)" "$attempted"
# Cookies, not addresses: the same local ports come back across thousands of
# connections, yet each cookie has one SYN_SENT (or one per attempt, with
# the way back to CLOSE in between).
dup=$(jq -r 'select(.type=="state" and .new=="SYN_SENT") | .cookie' "$TMP/trace.jsonl" | sort | uniq -d | wc -l)
check_cmp one_syn_sent_per_cookie "$dup" -le "$repeats"
