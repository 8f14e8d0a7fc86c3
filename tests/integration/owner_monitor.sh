#!/usr/bin/env bash
# monitor names each socket's process and cgroup as ss does: the process
# from /proc/PID/fd (ss -p), the cgroup from sock_diag's INET_DIAG_CGROUP_ID
# (ss --cgroup). A server in one cgroup v2 and clients in another, made
# under the v2 root here, hold connections while monitor and ss look;
# --pid and --cgroup keep exactly the sockets ss shows for that process or
# cgroup. (INET_DIAG_CGROUP_ID is 5.7+: the same on 6.1 and 6.18.)
. "$(dirname "$0")/../lib.sh"
need jq
LOAD="python3 $TOP/tests/helpers/owner_load.py"
PORT=29451
N=4
cgroup_lab owner-mon

in_cgroup "$SRV_CG" $LOAD server 127.0.0.1 $PORT --workers $N --seconds 60 > "$TMP/server.out" &
wait_for_line "$TMP/server.out" '^listening' || fail setup "server did not start"
until [ "$(grep -c ^worker "$TMP/server.out")" -ge $N ]; do sleep 0.05; done
cleanup_add kill $(awk '/^worker/ { print $2 }' "$TMP/server.out")
pids=()
for ((i = 0; i < N; i++)); do
	in_cgroup "$CLI_CG" $LOAD client 127.0.0.1 $PORT --hold 30 > "$TMP/client$i.out" &
	pids+=($!)
done
cleanup_add kill "${pids[@]}"
# Until every connection is established and held by a process on both sides.
for ((i = 0; i < 100; i++)); do
	n=$(nsenter --net=/run/netns/$NS ss -tanpH state established | grep -c users:)
	[ "$n" -ge $((2 * N)) ] && break
	sleep 0.1
done
ss_view() { nsenter --net=/run/netns/$NS ss -tanpH --cgroup state established |
	sed -nE 's/.* ([0-9.]+:[0-9]+) +([0-9.]+:[0-9]+) +users:\(\("([^"]*)",pid=([0-9]+),.*cgroup:([^ ]*).*/\1 \2 \3 \4 \5/p' | sort; }
mon_view() { # monitor args...
	"$TCPSCOPE" monitor --netns "$NS" --interval 0 --top 1000 --json "$@" |
		jq -r '.top_rtt[] | select(.state == "ESTABLISHED") | "\(.local) \(.peer) \(.comm) \(.pid) \(.cgroup)"' | sort; }
ss_view > "$TMP/ss"
mon_view > "$TMP/mon"
ss_view > "$TMP/ss2"
check_eq ss_stable "$(diff "$TMP/ss" "$TMP/ss2" | wc -l)" 0
check_eq sockets_seen "$(wc -l < "$TMP/ss")" $((2 * N))
check_eq monitor_equals_ss "$(diff "$TMP/ss" "$TMP/mon")" ""
check_eq server_cgroup "$(awk -v p=127.0.0.1:$PORT '$1 == p { print $5 }' "$TMP/mon" | sort -u)" "$SRV_CG"
check_eq client_cgroup "$(awk -v p=127.0.0.1:$PORT '$2 == p { print $5 }' "$TMP/mon" | sort -u)" "$CLI_CG"
# The cgroup oracle a second way: the owning process's own /proc/PID/cgroup.
bad=0
while read -r l p comm pid cg; do
	[ "$(sed -n 's/^0:://p' /proc/$pid/cgroup)" = "$cg" ] || bad=$((bad + 1))
done < "$TMP/mon"
check_eq cgroup_is_owners "$bad" 0
# Filters: exactly ss's sockets of that cgroup / that process.
mon_view --cgroup "$SRV_CG" > "$TMP/mon.cg"
check_eq cgroup_filter "$(awk -v c="$SRV_CG" '$5 == c' "$TMP/ss" | diff - "$TMP/mon.cg")" ""
w=$(awk -v p=127.0.0.1:$PORT '$1 == p { print $4; exit }' "$TMP/ss")
mon_view --pid "$w" > "$TMP/mon.pid"
check_cmp pid_filter_rows "$(wc -l < "$TMP/mon.pid")" -ge 1
check_eq pid_filter "$(awk -v w="$w" '$4 == w' "$TMP/ss" | diff - "$TMP/mon.pid")" ""
"$TCPSCOPE" monitor --pid 0 > /dev/null 2> "$TMP/err"
check_eq bad_pid "$? $(wc -l < "$TMP/err")" "2 1"
"$TCPSCOPE" monitor --cgroup /owner-none$$ > /dev/null 2> "$TMP/err"
check_eq bad_cgroup "$? $(grep -c "bad value '/owner-none$$' for --cgroup" "$TMP/err")" "2 1"
