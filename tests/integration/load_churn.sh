#!/usr/bin/env bash
# stress churn at a set rate achieves it within 5% (by its own count and by
# the kernel's TcpActiveOpens); a FIN churn on loopback spreads over the
# 127.0.0.x sources it says (checked against ss's TIME_WAIT sockets); rr
# echoes are verified byte for byte and the bytes agree with the server's
# own count.
source "$(dirname "$0")/../lib.sh"
need jq

NS="tsc$$"
ip netns add "$NS" && cleanup_add ip netns del "$NS"
ip -n "$NS" link set lo up
# Not for background jobs: $! would be the subshell of the function.
nsx() { ip netns exec "$NS" "$@"; }
counter() { nsx nstat -asz "$1" | awk -v k="$1" '$1 == k { print $2 }'; }
# within NAME GOT WANT PCT
within() {
	if awk -v g="$2" -v w="$3" -v p="$4" 'BEGIN { d = g - w; if (d < 0) d = -d; exit !(g != "" && d <= w * p / 100) }'; then
		pass "$1"
	else
		fail "$1" "got '$2', want $3 +-$4%"
	fi
}

# -- churn at 800/s for 4 s, with a 100-byte echo each (200/s on an
# emulated CPU, which reaches about 600/s with its echo)
rate=800
emulated && { rate=200; echo "  emulated CPU: churn at $rate/s, not 800/s"; }
before=$(counter TcpActiveOpens)
nsx "$TCPSCOPE" stress --mode churn --rate $rate --duration 4s --size 100 --json >"$TMP/churn.json"
check_eq churn_exit "$?" 0
after=$(counter TcpActiveOpens)
j="$TMP/churn.json"
achieved=$(jq .rate.achieved "$j")
within churn_rate_achieved "$achieved" $rate 5
opens=$((after - before))
within churn_nstat_rate "$(awk -v n="$opens" -v d="$(jq .rate.launch_s "$j")" 'BEGIN { print n / d }')" $rate 5
check_eq churn_attempted_eq_nstat "$(jq .connections.attempted "$j")" "$opens"
check_eq churn_failed "$(jq .connections.failed "$j")" 0
check_eq churn_verify_errors "$(jq .verify_errors "$j")" 0
check_eq churn_transactions "$(jq .transactions "$j")" "$(jq .connections.established "$j")"

# -- churn as fast as possible, RST close: no TIME_WAIT left behind
nsx "$TCPSCOPE" stress --mode churn --duration 2s --close rst --concurrency 32 --json >"$TMP/fast.json"
check_eq churn_fast_exit "$?" 0
check_cmp churn_fast_many "$(jq .connections.closed "$TMP/fast.json")" -gt 1000
check_eq churn_fast_failed "$(jq .connections.failed "$TMP/fast.json")" 0
port=$(jq -r .target "$TMP/fast.json" | sed 's/.*://')
tw=$(nsx ss -Htan state time-wait "( dport = :$port or sport = :$port )" | wc -l)
check_eq churn_rst_no_time_wait "$tw" 0

# -- FIN churn on loopback without --source: 127.0.0.x sources planned for
# the rate (each closed port waits in TIME_WAIT), and the kernel's own
# TIME_WAIT sockets name the sources the run says it used. The rate asked
# for sets the plan, whatever the machine reaches: 20000/s with 2 s a port
# needs 3 sources of this range.
nsx sysctl -qw net.ipv4.tcp_tw_reuse=2
before=$(counter TcpActiveOpens)
nsx "$TCPSCOPE" stress --mode churn --size 1 --rate 20000 -n 6000 --duration 10s --json >"$TMP/fin.json"
check_eq fin_exit "$?" 0
after=$(counter TcpActiveOpens)
j="$TMP/fin.json"
check_eq fin_plan "$(jq -r .source_plan "$j")" rate
check_eq fin_sources "$(jq .sources "$j")" 6
check_eq fin_failed "$(jq .connections.failed "$j")" 0
check_eq fin_verify_errors "$(jq .verify_errors "$j")" 0
check_eq fin_attempted_eq_nstat "$(jq .connections.attempted "$j")" "$((after - before))"
check_eq fin_transactions "$(jq .transactions "$j")" "$(jq .connections.attempted "$j")"
check_eq fin_sockets_per_source_sum "$(jq '[.source_addrs[].sockets] | add' "$j")" \
	"$(jq .connections.attempted "$j")"
port=$(jq -r .target "$j" | sed 's/.*://')
ss_srcs=$(nsx ss -Htan state time-wait "( dport = :$port )" | awk '{ sub(/:[0-9]+$/, "", $3); print $3 }' | sort -u | tr '\n' ' ')
json_srcs=$(jq -r '.source_addrs[] | select(.sockets > 0) | .addr' "$j" | sort -u | tr '\n' ' ')
check_eq fin_sources_in_time_wait "$ss_srcs" "$json_srcs"
check_cmp fin_several_sources_used "$(wc -w <<<"$ss_srcs")" -ge 3
nsx "$TCPSCOPE" stress --mode churn --size 1 --rate 20000 -n 100 >"$TMP/fin.txt"
check_eq fin_text_names_sources "$(grep -c '^sources .*FIN churn, for the rate' "$TMP/fin.txt")" 1
# RST close leaves no TIME_WAIT: no sources for the rate; one worker needs
# none, two workers with the built-in server one each (steered to their own
# listeners), used in equal shares; --source keeps the one given.
nsx "$TCPSCOPE" stress --mode churn --size 1 --rate 20000 -n 500 --close rst --threads 1 --json >"$TMP/rst1.json"
check_eq rst_no_sources "$(jq -r '"\(.source_plan) \(.sources)"' "$TMP/rst1.json")" "none 0"
nsx "$TCPSCOPE" stress --mode churn --size 1 --rate 20000 -n 500 --close rst --threads 2 --json >"$TMP/rst2.json"
check_eq rst_worker_sources "$(jq -r '"\(.source_plan) \(.connections.established) \([.source_addrs[] | select(.sockets > 0) | "\(.addr)=\(.sockets)"] | join(","))"' "$TMP/rst2.json")" \
	"workers 500 127.0.0.1=250,127.0.0.2=250"
nsx "$TCPSCOPE" stress --mode churn --size 1 --rate 20000 -n 500 --source 127.0.0.1 --json >"$TMP/given.json"
check_eq given_source_kept "$(jq -r '"\(.source_plan) \(.source_addrs[0].addr) \(.source_addrs[0].sockets)"' "$TMP/given.json")" "given 127.0.0.1 500"

# -- rr against an external server: echo verified, bytes agree with it
ip netns exec "$NS" "$TCPSCOPE" server --listen 127.0.0.1:0 --duration 30s >"$TMP/srv" 2>&1 &
spid=$!
cleanup_add kill "$spid"
wait_for_line "$TMP/srv" '^listening on' 5 || fail server_up "$(cat "$TMP/srv")"
target=$(awk '/^listening on/ { print $3 }' "$TMP/srv")
ip netns exec "$NS" "$TCPSCOPE" stress "$target" --mode rr -c 8 --size 3000 --duration 2s --nodelay --json >"$TMP/rr.json"
check_eq rr_exit "$?" 0
kill -TERM "$spid"
wait "$spid"
j="$TMP/rr.json"
check_eq rr_established "$(jq .connections.established "$j")" 8
check_eq rr_verify_errors "$(jq .verify_errors "$j")" 0
check_cmp rr_transactions "$(jq .transactions "$j")" -gt 100
check_cmp rr_latency_p99 "$(jq '.transaction_latency_us.p99 | floor' "$j")" -gt 0
recv=$(jq .bytes.received "$j")
check_cmp rr_bytes_whole_transactions "$recv" -ge "$(( $(jq .transactions "$j") * 3000 ))"
srv_in=$(awk '/^accepted/ { for (i = 1; i < NF; i++) if ($i == "bytes_in") print $(i + 1) }' "$TMP/srv")
check_eq rr_server_bytes_in "$srv_in" "$(jq .bytes.sent "$j")"
