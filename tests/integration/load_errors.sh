#!/usr/bin/env bash
# Failures counted by errno name, each against a kernel-side oracle:
# a closed port (ECONNREFUSED), SYNs dropped in a netns (ETIMEDOUT after the
# connect timeout), a server that resets (ECONNRESET), a port range too small
# (EADDRNOTAVAIL, and extra 127.0.0.x sources that avoid it); usage errors;
# SIGINT mid-run still gives the summary.
source "$(dirname "$0")/../lib.sh"
need jq
need nft

NS="tse$$"
ip netns add "$NS" && cleanup_add ip netns del "$NS"
ip -n "$NS" link set lo up
# Not for background jobs: $! would be the subshell of the function.
nsx() { ip netns exec "$NS" "$@"; }
counter() { nsx nstat -asz "$1" | awk -v k="$1" '$1 == k { print $2 }'; }

# -- closed port: every attempt refused; the kernel answered each with a RST
rst0=$(counter TcpOutRsts)
nsx "$TCPSCOPE" stress 127.0.0.1:1 --mode churn -n 50 --json >"$TMP/refused.json"
j="$TMP/refused.json"
check_eq refused_attempted "$(jq .connections.attempted "$j")" 50
check_eq refused_failed "$(jq .connections.failed "$j")" 50
check_eq refused_count "$(jq .errors.ECONNREFUSED "$j")" 50
check_eq refused_nstat_rsts "$(($(counter TcpOutRsts) - rst0))" 50
check_eq refused_nstat_attempt_fails "$(counter TcpAttemptFails)" 50
# The same with a request to send: written right after connect(), it must
# find the refusal, not count an EPIPE.
rst0=$(counter TcpOutRsts)
nsx "$TCPSCOPE" stress 127.0.0.1:1 --mode churn --size 1 -n 50 --json >"$TMP/refused1.json"
j="$TMP/refused1.json"
check_eq refused_size_failed "$(jq .connections.failed "$j")" 50
check_eq refused_size_count "$(jq -c .errors "$j")" '{"ECONNREFUSED":50}'
check_eq refused_size_nstat_rsts "$(($(counter TcpOutRsts) - rst0))" 50
nsx "$TCPSCOPE" stress 127.0.0.1:1 --mode churn -n 1 --threads 2 --json >"$TMP/one.json"
check_eq refused_count_one "$(jq .connections.attempted "$TMP/one.json")" 1

# -- server in reset mode: every held connection sees ECONNRESET
rst0=$(counter TcpOutRsts)
nsx "$TCPSCOPE" stress --server-mode reset -c 50 --duration 1s --json >"$TMP/reset.json"
j="$TMP/reset.json"
# A reset that lands before epoll reports the connect makes it a failed
# attempt; either way each of the 50 is one ECONNRESET.
check_eq reset_attempted "$(jq .connections.attempted "$j")" 50
check_eq reset_count "$(jq .errors.ECONNRESET "$j")" 50
check_eq reset_accounted "$(jq '.connections.established + .connections.failed' "$j")" 50
check_eq reset_nstat_rsts "$(($(counter TcpOutRsts) - rst0))" 50

# -- port range of 100 ports: one source runs out, several do not. The
# built-in server's listener takes one port of the range, so 99 are left.
nsx sysctl -qw net.ipv4.ip_local_port_range="40000 40099"
nsx "$TCPSCOPE" stress -c 150 --duration 1s --source 127.0.0.1 --json >"$TMP/noport.json" 2>&1
j="$TMP/noport.json"
check_eq noport_established "$(jq .connections.established "$j")" 99
check_eq noport_count "$(jq .errors.EADDRNOTAVAIL "$j")" 51
nsx "$TCPSCOPE" stress -c 150 --duration 1s --source 127.0.0.1 >"$TMP/noport.txt" 2>&1
check_eq noport_hint "$(grep -c '^hint: EADDRNOTAVAIL' "$TMP/noport.txt")" 1
nsx "$TCPSCOPE" stress -c 150 --duration 1s --json >"$TMP/auto.json" 2>&1
j="$TMP/auto.json"
check_eq auto_sources_established "$(jq .connections.established "$j")" 150
check_cmp auto_sources_used "$(jq .sources "$j")" -gt 1
nsx sysctl -qw net.ipv4.ip_local_port_range="32768 60999"

# -- SYNs dropped: ETIMEDOUT after the connect timeout, SYN_SENT meanwhile
lab_up 7
# lab.sh synloss takes up to 99%; drop every SYN to the port here instead.
ip netns exec "$NS_A" nft add table inet tsload
ip netns exec "$NS_A" nft add chain inet tsload out '{ type filter hook output priority 0; }'
ip netns exec "$NS_A" nft add rule inet tsload out tcp dport 9999 drop
t0=$(date +%s.%N)
ip netns exec "$NS_A" "$TCPSCOPE" stress "$IP_B:9999" -c 5 --connect-timeout 1500ms --duration 1s --json >"$TMP/bh.json" &
pid=$!
cleanup_add kill "$pid"
# The most ss sees at once while the connects wait (polled: an emulated
# CPU takes longer to get there than a fixed sleep allows).
synsent=0
for _ in $(seq 1 40); do
	n=$(ip netns exec "$NS_A" ss -Htn state syn-sent "( dport = :9999 )" | wc -l)
	[ "$n" -gt "$synsent" ] && synsent=$n
	[ "$synsent" -ge 5 ] && break
	kill -0 "$pid" 2>/dev/null || break
	sleep 0.05
done
wait "$pid"
t1=$(date +%s.%N)
j="$TMP/bh.json"
check_eq blackhole_syn_sent "$synsent" 5
check_eq blackhole_failed "$(jq .connections.failed "$j")" 5
check_eq blackhole_etimedout "$(jq .errors.ETIMEDOUT "$j")" 5
check_cmp blackhole_after_timeout "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print int((b - a) * 1000) }')" -ge 1500
check_cmp blackhole_bounded "$(awk -v a="$t0" -v b="$t1" 'BEGIN { print int((b - a) * 1000) }')" -lt 5000
# A churn with a request: the write after connect() finds the handshake
# not done (EAGAIN), and the attempt still times out as a connect.
ip netns exec "$NS_A" "$TCPSCOPE" stress "$IP_B:9999" --mode churn --size 1 -n 3 --concurrency 3 \
	--connect-timeout 1s --duration 1s --json >"$TMP/bh1.json"
check_eq blackhole_churn_size "$(jq -c '[.connections.failed, .errors, .bytes.sent]' "$TMP/bh1.json")" \
	'[3,{"ETIMEDOUT":3},0]'

# -- client: a failure is one line on stderr (exit 1); a connection that
# never existed gets no description, no TCP_INFO.
# one_line NAME FILE WANT: FILE is exactly the line WANT
one_line() { check_eq "$1" "$(wc -l <"$2") $(cat "$2")" "1 $3"; }
rst0=$(counter TcpOutRsts)
nsx "$TCPSCOPE" client 127.0.0.1:1 >"$TMP/c1.out" 2>"$TMP/c1.err"
check_eq client_refused_exit "$?" 1
one_line client_refused_stderr "$TMP/c1.err" "tcpscope client: cannot connect to 127.0.0.1:1: ECONNREFUSED"
check_eq client_refused_no_stdout "$(wc -c <"$TMP/c1.out")" 0
check_eq client_refused_nstat_rst "$(($(counter TcpOutRsts) - rst0))" 1
nsx "$TCPSCOPE" client 127.0.0.1:1 --json >"$TMP/c2.out" 2>"$TMP/c2.err"
check_eq client_refused_json_exit "$?" 1
check_eq client_refused_json_stderr "$(wc -l <"$TMP/c2.err")" 1
check_eq client_refused_json "$(jq -c '[.error, .failed_step, has("tcp_info")]' "$TMP/c2.out")" \
	'["ECONNREFUSED","connect",false]'
# Every address a name resolves to is tried, each named with its error.
naddr=$(nsx getent ahosts localhost | awk '$2 == "STREAM"' | wc -l)
nsx "$TCPSCOPE" client localhost:1 >"$TMP/c3.out" 2>"$TMP/c3.err"
check_eq client_refused_all_exit "$?" 1
check_eq client_refused_all_stderr "$(wc -l <"$TMP/c3.err") $(grep -o ECONNREFUSED "$TMP/c3.err" | wc -l)" "1 $naddr"
# SYNs dropped: the connect timeout, one line.
ip netns exec "$NS_A" "$TCPSCOPE" client "$IP_B:9999" --connect-timeout 300ms >"$TMP/c4.out" 2>"$TMP/c4.err"
check_eq client_timeout_exit "$?" 1
one_line client_timeout_stderr "$TMP/c4.err" "tcpscope client: cannot connect to $IP_B:9999: ETIMEDOUT"
check_eq client_timeout_no_stdout "$(wc -c <"$TMP/c4.out")" 0
# Connected, then the exchange fails: the connection is described (its
# TCP_INFO is real), and the failure is one line on stderr.
ip netns exec "$NS" "$TCPSCOPE" server --listen 127.0.0.1:0 --mode close --threads 1 --duration 5s >"$TMP/srv.out" &
cleanup_add kill "$!"
wait_for_line "$TMP/srv.out" '^listening on'
sport=$(awk '/^listening on/ { sub(/.*:/, "", $3); print $3 }' "$TMP/srv.out")
nsx "$TCPSCOPE" client "127.0.0.1:$sport" --send 1M --json >"$TMP/c5.out" 2>"$TMP/c5.err"
check_eq client_exchange_exit "$?" 1
check_eq client_exchange_stderr "$(wc -l <"$TMP/c5.err") $(grep -c "^tcpscope client: exchange with 127.0.0.1:$sport: " "$TMP/c5.err")" "1 1"
check_eq client_exchange_described "$(jq -c '[.exchange.verified, (.tcp_info.state | length > 0)]' "$TMP/c5.out")" '[false,true]'
ip netns exec "$NS" "$TCPSCOPE" server --listen 127.0.0.1:0 --mode source --threads 1 --duration 5s >"$TMP/src.out" &
cleanup_add kill "$!"
wait_for_line "$TMP/src.out" '^listening on'
sport=$(awk '/^listening on/ { sub(/.*:/, "", $3); print $3 }' "$TMP/src.out")
nsx "$TCPSCOPE" client "127.0.0.1:$sport" --send 100 >"$TMP/c6.out" 2>"$TMP/c6.err"
check_eq client_echo_differs_exit "$?" 1
check_eq client_echo_differs_stderr "$(wc -l <"$TMP/c6.err") $(grep -c "^tcpscope client: the echo from 127.0.0.1:$sport differs" "$TMP/c6.err")" "1 1"
check_eq client_echo_differs_stdout "$(grep -c 'NOT verified' "$TMP/c6.out") $(grep -c '^tcp_info' "$TMP/c6.out")" "1 1"

# -- SIGINT mid-run: stop, close, summary as valid JSON
ip netns exec "$NS" "$TCPSCOPE" stress -c 200 --duration 30s --json >"$TMP/int.json" 2>&1 &
pid=$!
cleanup_add kill "$pid"
sleep 1.5
kill -INT "$pid"
wait "$pid"
check_eq sigint_exit "$?" 0
j="$TMP/int.json"
check_eq sigint_json_valid "$(jq -e . "$j" >/dev/null 2>&1 && echo yes)" yes
check_eq sigint_interrupted "$(jq .interrupted "$j")" true
check_eq sigint_established "$(jq .connections.established "$j")" 200
check_eq sigint_closed "$(jq .connections.closed "$j")" 200
check_cmp sigint_prompt "$(jq '.duration_s | floor' "$j")" -lt 5

# -- usage errors: exit 2, one line naming the bad value
usage() { # name expected-substring command...
	local name=$1 want=$2 out rc
	shift 2
	out=$("$TCPSCOPE" "$@" 2>&1 >/dev/null)
	rc=$?
	if [ "$rc" -eq 2 ] && [ "$(printf '%s\n' "$out" | wc -l)" -eq 1 ] && [[ "$out" == *"$want"* ]]; then
		pass "usage_$name"
	else
		fail "usage_$name" "rc $rc, stderr '$out'"
	fi
}
usage rate abc stress --rate abc
usage mode bogus stress --mode bogus
usage target 1.2.3:80 stress 1.2.3:80
usage close maybe stress --close maybe
usage size 12q stress --size 12q
usage server_mode x stress --server-mode x
usage client_missing HOST:PORT client
usage client_send "'0' for --send" client 127.0.0.1:1 --send 0
usage server_mode2 boom server --mode boom
usage server_listen 1.2.3.4.5 server --listen 1.2.3.4.5:0
usage keepidle -3 client 127.0.0.1:1 --keepidle -3
usage client_short_addr 1.2.3:80 client 1.2.3:80
usage unknown_option --bogus stress --bogus
usage missing_value --rate stress --rate
for cmd in stress server client; do
	"$TCPSCOPE" $cmd --help >"$TMP/help" 2>&1
	check_eq "help_${cmd}_exit" "$?" 0
	check_cmp "help_${cmd}_examples" "$(grep -c 'tcpscope '"$cmd" "$TMP/help")" -ge 3
done
