#!/usr/bin/env bash
# monitor's counters against nstat's, in the same netns at about the same
# moment: every counter nstat reports that did not move between an nstat
# read before and one after monitor's must have monitor's exact value.
. "$(dirname "$0")/../lib.sh"
need nstat
need jq
lab_up 42
export NSTAT_HISTORY=$TMP/nstat.history

# Some traffic first, so the counters are not all zero.
ip netns exec "$NS_A" ping -c 2 -i 0.2 -q "$IP_B" >/dev/null 2>&1
ip netns exec "$NS_B" python3 -c '
import socket, time
s = socket.socket(); s.bind(("0.0.0.0", 5000)); s.listen(8); time.sleep(3)' &
cleanup_add "kill $! 2>/dev/null"
sleep 0.3
ip netns exec "$NS_A" python3 -c '
import socket, sys
for i in range(3):
    socket.create_connection((sys.argv[1], 5000)).close()' "$IP_B"
sleep 0.2

nstat_abs() { ip netns exec "$NS_A" nstat -a -s -z | awk '!/^#/ { print $1, $2 }' | sort; }
nstat_abs >"$TMP/before"
"$TCPSCOPE" monitor --netns "$NS_A" --json --interval 0 >"$TMP/mon.json"
rc=$?
nstat_abs >"$TMP/after"
check_eq exit "$rc" 0
jq -r '.counters | to_entries[] | "\(.key) \(.value)"' "$TMP/mon.json" | sort >"$TMP/mon"

# Counters that stood still in nstat, with their value.
join "$TMP/before" "$TMP/after" | awk '$2 == $3 { print $1, $2 }' >"$TMP/still"
compared=$(join "$TMP/still" "$TMP/mon" | wc -l)
mismatch=$(join "$TMP/still" "$TMP/mon" | awk '$2 != $3' | head -5 | tr '\n' ';')
missing=$(join -v 1 "$TMP/still" "$TMP/mon" | head -5 | tr '\n' ';')
check_cmp counters-compared "$compared" -ge 200
check_eq counters-equal-nstat "$mismatch" ""
check_eq no-counter-missing "$missing" ""
# The traffic above is in there: 3 active opens, seen by both.
check_eq active-opens "$(jq .counters.TcpActiveOpens "$TMP/mon.json")" \
	"$(awk '$1 == "TcpActiveOpens" { print $2 }' "$TMP/after")"
check_cmp active-opens-3 "$(jq .counters.TcpActiveOpens "$TMP/mon.json")" -eq 3

# Sockstat against /proc read by another program, and the sysctls: the
# netns's own, not the host's (so /proc/sys followed setns).
ip netns exec "$NS_A" sysctl -qw net.ipv4.tcp_fin_timeout=17
"$TCPSCOPE" monitor --netns "$NS_A" --json --interval 0 >"$TMP/mon2.json"
check_eq sysctl-from-netns "$(jq '.sysctl["net.ipv4.tcp_fin_timeout"]' "$TMP/mon2.json")" 17
check_eq sysctl-host-untouched "$(cat /proc/sys/net/ipv4/tcp_fin_timeout)" \
	"$(jq '.sysctl["net.ipv4.tcp_fin_timeout"]' <("$TCPSCOPE" monitor --json --interval 0))"
check_eq sockstat-tw "$(jq .sockstat.TCP_tw "$TMP/mon2.json")" \
	"$(ip netns exec "$NS_A" awk '/^TCP:/ { print $7 }' /proc/net/sockstat)"

# Rates: a one-shot snapshot says what interval they cover.
"$TCPSCOPE" monitor --netns "$NS_A" --json --interval 300ms >"$TMP/mon3.json"
check_cmp interval-reported "$(jq '.interval_s * 1000 | floor' "$TMP/mon3.json")" -ge 300
check_eq rates-present "$(jq '.rates | has("TcpActiveOpens")' "$TMP/mon3.json")" true

# --watch: deltas like nstat's, one JSON object per interval line.
# Both pythons say when they run (they start slowly on a busy machine);
# the connections come 1 s after "go", inside the 4 s of --watch.
ip netns exec "$NS_B" python3 -c '
import socket, time
s = socket.socket(); s.bind(("0.0.0.0", 5001)); s.listen(8); print("ready", flush=True)
time.sleep(30)' >"$TMP/w-srv.log" &
wsrv=$!
cleanup_add "kill $wsrv 2>/dev/null"
wait_for_line "$TMP/w-srv.log" ready 30
ip netns exec "$NS_A" python3 -c '
import socket, sys, time
print("go", flush=True); time.sleep(1)
for i in range(5):
    socket.create_connection((sys.argv[1], 5001)).close()' "$IP_B" >"$TMP/w-cli.log" &
wait_for_line "$TMP/w-cli.log" go 30
"$TCPSCOPE" monitor --netns "$NS_A" --watch 500ms --count 8 --json >"$TMP/watch.json"
check_eq watch-exit "$?" 0
check_eq watch-lines "$(wc -l <"$TMP/watch.json")" 8
check_eq watch-valid-json "$(jq -s length "$TMP/watch.json" 2>&1)" 8
check_eq watch-deltas-sum "$(jq -s '[.[].deltas.TcpActiveOpens // 0] | add' "$TMP/watch.json")" 5
kill $wsrv 2>/dev/null
wait
