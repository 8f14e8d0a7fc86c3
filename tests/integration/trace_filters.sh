#!/usr/bin/env bash
# In-kernel filters against the socket's own view: --netns by name, --addr
# CIDR (v4 and v6), -4/-6, --port lists; batched wakeups (the default)
# and per-event ones (--wakeup 0) give the same events;
# without privileges, one line saying what is missing.
. "$(dirname "$0")/../lib.sh"
LOAD="python3 $TOP/tests/helpers/tcpload.py"
lab_up 13
PORT=29351

# The servers outlive the whole script (seen: 94 s on a loaded machine,
# and the last traced run met refused connections with 60 s servers).
ip netns exec "$NS_B" $LOAD server "$IP_B" $PORT --seconds 240 > "$TMP/s4.out" &
cleanup_add kill $!
ip netns exec "$NS_B" $LOAD server "$IP6_B" $PORT --seconds 240 > "$TMP/s6.out" &
cleanup_add kill $!
wait_for_line "$TMP/s4.out" '^listening' && wait_for_line "$TMP/s6.out" '^listening' ||
	fail setup "servers did not start"
# Loopback noise in the root namespace on the same port number.
python3 -c "
import socket,time
s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(('127.0.0.1',$PORT)); s.listen(); time.sleep(240)" &
cleanup_add kill $!

traced() { # outfile trace-args...
	local out=$1
	shift
	"$TCPSCOPE" trace --json --events state "$@" > "$out" 2>/dev/null &
	local tr=$!
	wait_attached $tr || fail setup "the tracer did not attach"
	ip netns exec "$NS_A" $LOAD client "$IP_B" $PORT --conns 3 > "$out.c4"
	ip netns exec "$NS_A" $LOAD client "$IP6_B" $PORT --conns 3 > "$out.c6"
	for i in 1 2 3; do
		python3 -c "import socket; socket.create_connection(('127.0.0.1',$PORT)).close()"
	done
	sleep 0.3
	kill -INT $tr
	wait $tr
}
events() { jq -r "select(.type==\"state\") | $2" "$1" | sort -u | paste -sd' '; }
netns_a=$(stat -L -c %i "/run/netns/$NS_A")
netns_b=$(stat -L -c %i "/run/netns/$NS_B")

traced "$TMP/ns.jsonl" --netns "$NS_A" --port $PORT
check_eq netns_by_name "$(events "$TMP/ns.jsonl" .netns)" "$netns_a"
check_eq netns_both_families "$(events "$TMP/ns.jsonl" .family)" "4 6"
check_eq netns_client_cookies "$(events "$TMP/ns.jsonl" .cookie | wc -w)" 6

traced "$TMP/v4.jsonl" --addr "10.231.13.0/24"
check_eq cidr_v4_family "$(events "$TMP/v4.jsonl" .family)" "4"
check_eq cidr_v4_netns "$(events "$TMP/v4.jsonl" .netns)" "$(printf '%s\n' "$netns_a" "$netns_b" | sort -u | paste -sd' ')"
check_eq cidr_v4_no_loopback "$(jq -r 'select(.saddr=="127.0.0.1")' "$TMP/v4.jsonl" | wc -l)" 0

traced "$TMP/v6.jsonl" -6 --port $PORT
check_eq family_v6_only "$(events "$TMP/v6.jsonl" .family)" "6"
check_eq v6_addresses "$(events "$TMP/v6.jsonl" '.saddr' | tr ' ' '\n' | grep -c '^fd00:231:13::')" 2
want=$(jq -r .cookie "$TMP/v6.jsonl.c6" | sort -u | paste -sd' ')
got=$(jq -r 'select(.type=="state" and .new=="SYN_SENT") | .cookie' "$TMP/v6.jsonl" | sort -u | paste -sd' ')
check_eq v6_cookies_equal_so_cookie "$got" "$want"

traced "$TMP/v6cidr.jsonl" --addr "fd00:231:13::2/128" -p 1,$PORT,2
check_eq cidr_v6_peer "$(events "$TMP/v6cidr.jsonl" .family)" "6"

traced "$TMP/lo.jsonl" --addr 127.0.0.0/8 --port 1,2,$PORT
check_eq loopback_only "$(events "$TMP/lo.jsonl" .saddr)" "127.0.0.1"

# Per-event wakeups: the same events as the batched default, nothing lost.
traced "$TMP/wk.jsonl" --netns "$NS_A" --port $PORT --wakeup 0
check_eq wakeup_same_events "$(jq -r 'select(.type=="state")' "$TMP/wk.jsonl" | jq -s length)" \
	"$(jq -r 'select(.type=="state")' "$TMP/ns.jsonl" | jq -s length)"
check_eq wakeup_lost "$(tail -n1 "$TMP/wk.jsonl" | jq -r .lost)" 0

# No privileges: one line naming what is missing, exit 1.
if command -v setpriv >/dev/null; then
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$TCPSCOPE" trace > "$TMP/np.out" 2> "$TMP/np.err"
	check_eq unprivileged_exit "$?" 1
	check_eq unprivileged_one_line "$(wc -l < "$TMP/np.err")" 1
	grep -q 'CAP_BPF' "$TMP/np.err" && pass unprivileged_names_caps ||
		fail unprivileged_names_caps "$(cat "$TMP/np.err")"
	setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all \
		"$TCPSCOPE" doctor > "$TMP/npd.out" 2>&1
	check_eq doctor_unprivileged_exit "$?" 1
	grep -q '^privileges .*FAIL' "$TMP/npd.out" && pass doctor_says_privileges ||
		fail doctor_says_privileges "$(head -3 "$TMP/npd.out")"
else
	skip unprivileged "no setpriv"
fi
