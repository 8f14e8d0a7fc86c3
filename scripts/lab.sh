#!/usr/bin/env bash
# The lossy lab: two network namespaces, NAME-a (client) and NAME-b (server),
# joined by a veth pair with offloads off, so that one dropped packet is one
# segment. Addresses: 10.231.N.1 and fd00:231:N::1 in NAME-a, .2 and ::2 in
# NAME-b (N from 1 to 250, default 1: one subnet per lab).
#
#   lab.sh up NAME [N]          create the lab
#   lab.sh loss NAME PCT [PORT] drop PCT% of TCP packets (both directions,
#                               optionally only those of PORT)
#   lab.sh synloss NAME PCT     drop PCT% of SYNs (client to server)
#   lab.sh blackhole NAME PORT  after the handshake, drop everything the
#                               client sends to PORT
#   lab.sh delay NAME RATE      tbf queueing on the server side (e.g. 10mbit)
#   lab.sh clear NAME           remove loss, blackhole and delay rules
#   lab.sh down NAME            delete both namespaces
set -euo pipefail

die() { echo "lab.sh: $*" >&2; exit 1; }
cmd=${1:-}; name=${2:-}
[ -n "$cmd" ] && [ -n "$name" ] || die "usage: lab.sh up|loss|synloss|blackhole|delay|clear|down NAME ..."
a="$name-a"; b="$name-b"

nft_in() { ip netns exec "$1" nft "${@:2}"; }

ensure_table() {
	local ns=$1
	nft_in "$ns" list table inet lab >/dev/null 2>&1 && return
	nft_in "$ns" add table inet lab
	# Drops happen on the receiving side: a packet dropped in the sender's
	# own output hook fails the send, and TCP retries it as a new
	# transmission, not a retransmit.
	nft_in "$ns" add chain inet lab in '{ type filter hook input priority 0; }'
}

case "$cmd" in
up)
	n=${3:-1}
	ip netns add "$a"
	ip netns add "$b"
	ip link add "$name-va" netns "$a" type veth peer name "$name-vb" netns "$b"
	for ns in "$a" "$b"; do
		ip -n "$ns" link set lo up
		ip netns exec "$ns" sysctl -qw net.ipv6.conf.all.disable_ipv6=0
	done
	ip -n "$a" addr add "10.231.$n.1/24" dev "$name-va"
	ip -n "$b" addr add "10.231.$n.2/24" dev "$name-vb"
	ip -n "$a" addr add "fd00:231:$n::1/64" dev "$name-va" nodad
	ip -n "$b" addr add "fd00:231:$n::2/64" dev "$name-vb" nodad
	ip -n "$a" link set "$name-va" up
	ip -n "$b" link set "$name-vb" up
	ip netns exec "$a" ethtool -K "$name-va" tso off gso off gro off >/dev/null 2>&1 || true
	ip netns exec "$b" ethtool -K "$name-vb" tso off gso off gro off >/dev/null 2>&1 || true
	;;
loss)
	pct=${3:?loss PCT}; port=${4:-}
	match=""
	for ns in "$a" "$b"; do
		ensure_table "$ns"
		if [ -n "$port" ]; then
			[ "$ns" = "$a" ] && match="tcp sport $port" || match="tcp dport $port"
		fi
		nft_in "$ns" add rule inet lab in meta l4proto tcp $match numgen random mod 100 "<" "$pct" drop
	done
	;;
synloss)
	pct=${3:?synloss PCT}
	ensure_table "$b"
	nft_in "$b" add rule inet lab in tcp flags "&" "(syn|ack)" == syn numgen random mod 100 "<" "$pct" drop
	;;
blackhole)
	port=${3:?blackhole PORT}
	ensure_table "$b"
	# Let the SYN through; drop the rest, so the client believes it is
	# established and its data times out.
	nft_in "$b" add rule inet lab in tcp dport "$port" tcp flags "&" syn == 0 drop
	;;
delay)
	rate=${3:?delay RATE}
	ip netns exec "$b" tc qdisc replace dev "$name-vb" root tbf rate "$rate" burst 32kbit latency 400ms
	;;
clear)
	for ns in "$a" "$b"; do
		nft_in "$ns" delete table inet lab 2>/dev/null || true
	done
	ip netns exec "$b" tc qdisc del dev "$name-vb" root 2>/dev/null || true
	;;
down)
	ip netns del "$a" 2>/dev/null || true
	ip netns del "$b" 2>/dev/null || true
	;;
*) die "unknown command $cmd" ;;
esac
