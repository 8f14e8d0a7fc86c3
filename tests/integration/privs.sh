#!/usr/bin/env bash
# Least privilege (docs/security.md): once attached (trace, stress --trace)
# or inside the namespace (monitor), the process holds no capability and
# has no_new_privs; started through sudo (SUDO_UID/SUDO_GID, simulated
# here with nobody's ids) it runs as that user, and its output files are
# theirs. The tracing still works after the drop: events arrive, loss
# counters are read, and every stress connection is matched by cookie
# (cookie-map updates on a held fd). Output files refuse planted symlinks.
. "$(dirname "$0")/../lib.sh"
need jq
NOBODY_UID=$(id -u nobody 2>/dev/null || echo 65534)
NOBODY_GID=$(id -g nobody 2>/dev/null || echo 65534)
NS="tsp$$"
ip netns add "$NS" && cleanup_add ip netns del "$NS"
ip -n "$NS" link set lo up
chmod 1777 "$TMP"
# Not functions: $! of a backgrounded function is its subshell.
AS_SUDO=(env SUDO_UID="$NOBODY_UID" SUDO_GID="$NOBODY_GID")
AS_ROOT=(env -u SUDO_UID -u SUDO_GID)

# Polls /proc/PID/status until CapEff is WANT (the drop happened), up to
# 10 s; prints "uid gid capeff capprm capbnd no_new_privs".
status_after_drop() { # pid want-capeff
	local pid=$1 want=$2 i line
	for ((i = 0; i < 200; i++)); do
		line=$(awk '/^Uid:/ {u=$2} /^Gid:/ {g=$2} /^CapEff:/ {e=$2} /^CapPrm:/ {p=$2}
			/^CapBnd:/ {b=$2} /^NoNewPrivs:/ {n=$2} END {print u, g, e, p, b, n}' \
			"/proc/$pid/status" 2>/dev/null)
		[ "$(echo "$line" | cut -d' ' -f3)" = "$want" ] && break
		sleep 0.05
	done
	echo "$line"
}
ZERO=0000000000000000
# What the drop is tested against (docs/security.md: 2 on Debian 12's 6.1).
echo "  kernel.unprivileged_bpf_disabled=$(cat /proc/sys/kernel/unprivileged_bpf_disabled 2>/dev/null)"
NETADMIN=0000000000001000
# How long the traced and served parts last: an emulated CPU spends seconds
# on loading, the status polls and each process start, so the 4 s trace
# and 3-4 s servers could end before the load they are meant to see.
tdur=4 sdur=3 s80dur=4
if emulated; then
	tdur=12 sdur=10 s80dur=12
	echo "  emulated CPU: trace for ${tdur}s, servers for ${sdur}s and ${s80dur}s"
fi

# -- trace under sudo: nobody, no capabilities, and still tracing
"${AS_SUDO[@]}" "$TCPSCOPE" trace --json --events state --port 7301 --duration $tdur \
	>"$TMP/trace.json" 2>"$TMP/trace.err" &
pid=$!
cleanup_add kill $pid
st=$(status_after_drop $pid $ZERO)
check_eq trace_sudo_uid_gid "$(echo "$st" | cut -d' ' -f1,2)" "$NOBODY_UID $NOBODY_GID"
check_eq trace_sudo_caps "$(echo "$st" | cut -d' ' -f3-6)" "$ZERO $ZERO $ZERO 1"
ip netns exec "$NS" "$TCPSCOPE" server --listen 127.0.0.1:7301 --duration $sdur >"$TMP/srv1" &
wait_for_line "$TMP/srv1" '^listening'
ip netns exec "$NS" "$TCPSCOPE" stress 127.0.0.1:7301 --mode churn -n 10 >/dev/null
wait $pid
check_eq trace_sudo_exit "$?" 0
check_eq trace_sudo_no_errors "$(cat "$TMP/trace.err")" ""
summary=$(tail -n 1 "$TMP/trace.json")
check_eq trace_sudo_summary "$(jq -r .type <<<"$summary")" summary
# 10 client connections and 10 server ones, 5 and 5 transitions each (see
# docs/json.md), plus the listener's own LISTEN and CLOSE.
check_cmp trace_sudo_events_after_drop "$(jq .events.state <<<"$summary")" -ge 100
check_eq trace_sudo_lost_read "$(jq .lost <<<"$summary")" 0

# -- trace as root without sudo: uid 0 stays, capabilities go
"${AS_ROOT[@]}" "$TCPSCOPE" trace --json --duration 2 >/dev/null 2>"$TMP/trace-root.err" &
pid=$!
st=$(status_after_drop $pid $ZERO)
check_eq trace_root_uid "$(echo "$st" | cut -d' ' -f1)" 0
check_eq trace_root_caps "$(echo "$st" | cut -d' ' -f3-6)" "$ZERO $ZERO $ZERO 1"
wait $pid
check_eq trace_root_exit "$?" 0

# -- stress --trace under sudo: all connections matched by cookie after the
# drop; the output files belong to the invoking user
ip netns exec "$NS" env SUDO_UID="$NOBODY_UID" SUDO_GID="$NOBODY_GID" \
	"$TCPSCOPE" stress --mode churn -n 300 --rate 150 --trace --json \
	--timeline "$TMP/tl.jsonl" --records "$TMP/rec.jsonl" >"$TMP/st.json" 2>"$TMP/st.err" &
pid=$!
cleanup_add kill $pid
st=$(status_after_drop $pid $ZERO)
check_eq stress_trace_sudo "$(echo "$st" | cut -d' ' -f1,3,6)" "$NOBODY_UID $ZERO 1"
wait $pid
check_eq stress_trace_exit "$?" 0
check_eq stress_trace_agreed "$(jq .trace.agreement.agreed "$TMP/st.json")" 300
check_eq stress_trace_unverified "$(jq .trace.agreement.unverified "$TMP/st.json")" 0
check_eq stress_files_owner "$(stat -c %u "$TMP/tl.jsonl") $(stat -c %u "$TMP/rec.jsonl")" \
	"$NOBODY_UID $NOBODY_UID"
check_eq stress_records_complete "$(wc -l <"$TMP/rec.jsonl")" 300

# -- stress --cc keeps CAP_NET_ADMIN and nothing else; plain stress keeps none
ip netns exec "$NS" "$TCPSCOPE" stress -c 5 --duration 3s --cc reno >/dev/null 2>&1 &
pid=$!
st=$(status_after_drop $pid $NETADMIN)
check_eq stress_cc_keeps_net_admin "$(echo "$st" | cut -d' ' -f3,4,5)" "$NETADMIN $NETADMIN $NETADMIN"
wait $pid
check_eq stress_cc_exit "$?" 0
ip netns exec "$NS" "$TCPSCOPE" stress -c 5 --duration 2s >/dev/null 2>&1 &
pid=$!
st=$(status_after_drop $pid $ZERO)
check_eq stress_plain_caps "$(echo "$st" | cut -d' ' -f3,6)" "$ZERO 1"
wait $pid

# -- server: binds a privileged port, then holds nothing; client: nothing,
# or CAP_NET_ADMIN with --cc
ip netns exec "$NS" "$TCPSCOPE" server --listen 127.0.0.1:80 --duration $s80dur >"$TMP/srv80" 2>&1 &
spid=$!
wait_for_line "$TMP/srv80" '^listening'
check_eq server_bound_port_80 "$(grep -c '^listening on 127.0.0.1:80 ' "$TMP/srv80")" 1
st=$(status_after_drop $spid $ZERO)
check_eq server_caps "$(echo "$st" | cut -d' ' -f3,5,6)" "$ZERO $ZERO 1"
ip netns exec "$NS" "$TCPSCOPE" client 127.0.0.1:80 --send 4k --hold 1500ms >"$TMP/cl.out" 2>&1 &
pid=$!
st=$(status_after_drop $pid $ZERO)
check_eq client_caps "$(echo "$st" | cut -d' ' -f3,6)" "$ZERO 1"
wait $pid
check_eq client_exit "$?" 0
ip netns exec "$NS" "$TCPSCOPE" client 127.0.0.1:80 --cc reno --hold 1500ms >/dev/null 2>&1 &
pid=$!
st=$(status_after_drop $pid $NETADMIN)
check_eq client_cc_keeps_net_admin "$(echo "$st" | cut -d' ' -f3)" "$NETADMIN"
wait $pid
check_eq client_cc_exit "$?" 0
wait $spid
check_eq server_exit "$?" 0

# -- monitor --netns under sudo: enters, drops, still reads everything
"${AS_SUDO[@]}" "$TCPSCOPE" monitor --netns "$NS" --interval 2s --json >"$TMP/mon.json" 2>"$TMP/mon.err" &
pid=$!
# It keeps CAP_DAC_READ_SEARCH (2) and CAP_SYS_PTRACE (19), read-only, for
# the processes holding each socket (/proc/PID/fd, as ss -p).
PROCFD=0000000000080004
st=$(status_after_drop $pid $PROCFD)
check_eq monitor_sudo "$(echo "$st" | cut -d' ' -f1,3,6)" "$NOBODY_UID $PROCFD 1"
wait $pid
check_eq monitor_sudo_exit "$?" 0
check_eq monitor_sudo_complete "$(jq -r '[has("states"), (.counters | length > 100), has("sysctl")] | all' "$TMP/mon.json")" true

# -- planted symlinks: refused, the target untouched
echo precious >"$TMP/target"
ln -s "$TMP/target" "$TMP/link-tl"
ln -s "$TMP/target" "$TMP/link-rec"
ip netns exec "$NS" "$TCPSCOPE" stress -c 2 --duration 1s --trace --timeline "$TMP/link-tl" \
	>/dev/null 2>"$TMP/sym1.err"
check_eq symlink_timeline_refused "$? $(grep -c 'link-tl' "$TMP/sym1.err")" "1 1"
ip netns exec "$NS" "$TCPSCOPE" stress -c 2 --duration 1s --records "$TMP/link-rec" \
	>/dev/null 2>"$TMP/sym2.err"
check_eq symlink_records_refused "$? $(grep -c 'link-rec' "$TMP/sym2.err")" "1 1"
check_eq symlink_target_untouched "$(cat "$TMP/target")" precious

# -- no shell-outs in the code
check_eq no_system_popen "$(grep -nE '\b(system|popen|execl|execv|execvp|execve)\s*\(' "$TOP"/src/*/*.c | wc -l)" 0
