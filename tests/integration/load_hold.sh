#!/usr/bin/env bash
# stress hold: 1000 connections to the built-in server, all established and
# held (ss in the namespace counts them), none failed; nstat agrees on the
# number of active opens. Also the server and client commands, IPv4 and IPv6.
source "$(dirname "$0")/../lib.sh"
need jq

NS="tsl$$"
ip netns add "$NS" && cleanup_add ip netns del "$NS"
ip -n "$NS" link set lo up
# Not for background jobs: $! would be the subshell of the function.
nsx() { ip netns exec "$NS" "$@"; }
counter() { nsx nstat -asz "$1" | awk -v k="$1" '$1 == k { print $2 }'; }

# -- hold 1000, counted by ss while held
# The hold must outlast opening all 1000 and ss's counting them: 3 s here,
# longer on an emulated CPU, where both are ten times slower.
hold=3
emulated && { hold=10; echo "  emulated CPU: held for ${hold}s, not 3s"; }
ip netns exec "$NS" "$TCPSCOPE" stress -c 1000 --duration ${hold}s --json >"$TMP/hold.json" 2>"$TMP/hold.err" &
pid=$!
cleanup_add kill "$pid"
held=0
for _ in $(seq 1 200); do
	sleep 0.1
	kill -0 "$pid" 2>/dev/null || break
	port=$(nsx ss -Htln src 127.0.0.1 | awk '{ print $4 }' | sed 's/.*://' | head -1)
	[ -n "$port" ] || continue
	# The clients' sockets: those whose peer is the listener. Matching the
	# port alone also counted a server-side socket whose client (on
	# 127.0.0.2..) happened to bind the listener's port number: 1001.
	n=$(nsx ss -Htn state established dst "127.0.0.1:$port" | wc -l)
	[ "$n" -gt "$held" ] && held=$n
	[ "$held" -ge 1000 ] && break
done
wait "$pid"
rc=$?
check_eq hold_exit "$rc" 0
check_eq hold_ss_established "$held" 1000
j="$TMP/hold.json"
check_eq hold_attempted "$(jq .connections.attempted "$j")" 1000
check_eq hold_established "$(jq .connections.established "$j")" 1000
check_eq hold_failed "$(jq .connections.failed "$j")" 0
check_eq hold_closed "$(jq .connections.closed "$j")" 1000
check_eq hold_errors_none "$(jq '.errors | length' "$j")" 0
check_eq hold_server_accepted "$(jq .server.accepted "$j")" 1000
check_eq hold_nstat_active_opens "$(counter TcpActiveOpens)" 1000
check_eq hold_tcp_info_last_polls "$(jq .tcp_info.last_rtt_us.count "$j")" 1000
check_cmp hold_connect_p50_positive "$(jq '.connect_latency_us.p50 > 0' "$j" | sed 's/true/1/;s/false/0/')" -eq 1
check_cmp hold_duration "$(jq ".duration_s >= $hold" "$j" | sed 's/true/1/;s/false/0/')" -eq 1
for k in p50 p90 p99 p999 max mean; do
	[ "$(jq ".connect_latency_us | has(\"$k\")" "$j")" = true ] || fail "hold_json_$k" missing
done
for k in target achieved; do
	[ "$(jq ".rate | has(\"$k\")" "$j")" = true ] || fail "hold_json_rate_$k" missing
done

# -- server + client, IPv4 and IPv6, echo verified
for addr in 127.0.0.1 "[::1]"; do
	name=$([ "$addr" = 127.0.0.1 ] && echo v4 || echo v6)
	ip netns exec "$NS" "$TCPSCOPE" server --listen "$addr:0" --duration 20s >"$TMP/srv.$name" 2>&1 &
	spid=$!
	cleanup_add kill "$spid"
	if ! wait_for_line "$TMP/srv.$name" '^listening on' 5; then
		fail "server_$name" "no 'listening on' line: $(cat "$TMP/srv.$name")"
		continue
	fi
	target=$(awk '/^listening on/ { print $3 }' "$TMP/srv.$name")
	nsx "$TCPSCOPE" client "$target" --send 100k --json >"$TMP/cli.$name"
	check_eq "client_${name}_exit" "$?" 0
	check_eq "client_${name}_verified" "$(jq .exchange.verified "$TMP/cli.$name")" true
	check_eq "client_${name}_state" "$(jq -r .tcp_info.state "$TMP/cli.$name")" ESTABLISHED
	check_eq "client_${name}_bytes_acked" "$(jq .tcp_info.bytes_acked "$TMP/cli.$name")" 102401
	cookie=$(jq .cookie "$TMP/cli.$name")
	check_cmp "client_${name}_cookie" "$cookie" -gt 0
	kill -TERM "$spid"
	wait "$spid"
	check_eq "server_${name}_clean_exit" "$?" 0
	check_eq "server_${name}_summary" "$(grep -c '^accepted 1 active 0 closed 1' "$TMP/srv.$name")" 1
done

# -- --records (the hook API): one line per connection, and each cookie is
# the one the kernel reports for that socket (ss -e "sk:", inet_diag's cookie)
ip netns exec "$NS" "$TCPSCOPE" stress -c 20 --duration $((hold - 1))s --records "$TMP/rec.jsonl" >/dev/null 2>&1 &
pid=$!
cleanup_add kill "$pid"
: >"$TMP/ss_cookies" >"$TMP/ss_e"
for _ in $(seq 1 150); do
	sleep 0.1
	kill -0 "$pid" 2>/dev/null || break
	port=$(nsx ss -Htln src 127.0.0.1 | awk '{ print $4 }' | sed 's/.*://' | head -1)
	[ -n "$port" ] || continue
	nsx ss -Htne state established "( dport = :$port )" 2>/dev/null >"$TMP/ss_e"
	[ "$(wc -l <"$TMP/ss_e")" -ge 20 ] && break
done
# "local:port sk:hex" per client socket, as decimal cookie and local address
grep -oE '^ *[0-9]+ +[0-9]+ +[^ ]+ .* sk:[0-9a-f]+' "$TMP/ss_e" |
	awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^sk:/) print $3, substr($i, 4) }' |
	while read -r laddr hex; do echo "$laddr $((16#$hex))"; done | sort >"$TMP/ss_cookies"
wait "$pid"
check_eq records_lines "$(wc -l <"$TMP/rec.jsonl")" 20
jq -r '"\(.local) \(.cookie)"' "$TMP/rec.jsonl" | sort >"$TMP/rec_cookies"
check_eq records_cookies_match_kernel "$(diff "$TMP/ss_cookies" "$TMP/rec_cookies" >/dev/null && echo same)" same
check_eq records_all_fin "$(jq -r .close "$TMP/rec.jsonl" | sort -u)" fin
check_eq records_tcp_info "$(jq -r .tcp_info.state "$TMP/rec.jsonl" | sort -u)" ESTABLISHED
