#!/usr/bin/env bash
# Retransmits explained, in the lossy lab, IPv4 and IPv6: stress --trace
# from the client namespace against tcpscope server in the other, with 3%
# of the segments each way dropped by nftables rules that count them (on
# each side's input). Oracles: the rules' counters bound the netfilter_drop
# drops on our connections (within 1%: what was in flight as tracing
# stopped); the retransmitted segments stress --trace shows are
# within the client namespace's RetransSegs (nstat). Each connection's "why"
# line in the timeline has its drops beside its retransmitted segments,
# and they add up to the summary's.
. "$(dirname "$0")/../lib.sh"
need nstat
need jq
LABNAME="why$$"
"$LAB" up "$LABNAME" 143
cleanup_add "$LAB" down "$LABNAME"
NS_A="$LABNAME-a"; NS_B="$LABNAME-b"
export NSTAT_HISTORY=$TMP/nstat.hist

# 3% of the segments each way, counted by the rules. The client's
# retransmits come mostly from its own requests dropped on the way in to the
# server; an echo dropped on its way back is mostly resent by the server.
nft_rules() { # PORT
	local ns dir
	for ns in "$NS_A" "$NS_B"; do
		dir=sport; [ "$ns" = "$NS_B" ] && dir=dport
		ip netns exec "$ns" nft add table inet why
		ip netns exec "$ns" nft add chain inet why in '{ type filter hook input priority 0; }'
		ip netns exec "$ns" nft add rule inet why in tcp "$dir" "$1" numgen random mod 100 "<" 3 counter drop
	done
}
nft_count() { # NAMESPACE -> the packets its rule dropped
	ip netns exec "$1" nft -j list table inet why |
		jq '[.nftables[] | .rule? // empty | .expr[] | .counter? // empty | .packets] | add // 0'
}
nft_clear() {
	ip netns exec "$NS_A" nft delete table inet why
	ip netns exec "$NS_B" nft delete table inet why
}

one_family() { # FAMILY SERVER_IP PORT
	local fam=$1 ip=$2 port=$3 want peer rs ep
	ep=$ip:$port; [ "$fam" = 6 ] && ep="[$ip]:$port"
	nft_rules "$port"
	ip netns exec "$NS_B" "$TCPSCOPE" server --listen "$ep" --mode echo --threads 1 --duration 40s \
		> "$TMP/server$fam.out" 2>&1 &
	cleanup_add kill $!
	wait_for_line "$TMP/server$fam.out" "$port" || { fail "v$fam/setup" "server did not start"; return; }
	ip netns exec "$NS_A" nstat -n
	ip netns exec "$NS_A" "$TCPSCOPE" stress "$ep" --mode rr -c 8 --size 2000 --duration 3s \
		--trace --json --timeline "$TMP/tl$fam.jsonl" > "$TMP/s$fam.json" 2> "$TMP/s$fam.err"
	check_eq "v$fam/exit_status" "$?" 0
	rs=$(ip netns exec "$NS_A" nstat -z TcpRetransSegs | awk '/TcpRetransSegs/ {print $2}')
	want=$(nft_count "$NS_A"); peer=$(nft_count "$NS_B")
	echo "  v$fam: rules dropped $want in, $peer out; RetransSegs $rs;" \
		"ours $(jq -c '.trace | {retransmit_segs, retransmits, drops: .drops.on_our_connections}' "$TMP/s$fam.json")"
	check_cmp "v$fam/some_drops" "$want" -gt 5
	# stress stops tracing 0.1 s after its last close(): the segments still
	# in flight then are dropped uncounted by us (tests/integration/
	# why_drops.sh waits them out and checks equality). At most 1% here.
	# Ours: the tracer also passes drops of segments without a socket from
	# elsewhere on the host (other namespaces' rules), counted in by_reason.
	# The server's rule drops segments that its own socket had already
	# claimed (early demux): the peer's socket, not ours, so filtered out
	# in the kernel; only those without one (a SYN) join ours by 4-tuple.
	got=$(jq '.trace.drops.ours_by_reason.netfilter_drop // 0' "$TMP/s$fam.json")
	check_cmp "v$fam/summary_netfilter_drops_within_nft" "$got" -le "$((want + peer))"
	check_cmp "v$fam/summary_netfilter_drops_near_nft" "$((got * 100))" -ge "$((want * 99))"
	# The drops on our connections, by reason, add up to their count, and
	# the "why" lines carry them all (netfilter's and the kernel's own:
	# data arriving after close, old data, ...).
	total=$(jq '.trace.drops.on_our_connections' "$TMP/s$fam.json")
	check_eq "v$fam/ours_by_reason_add_up" "$(jq '[.trace.drops.ours_by_reason[]] | add // 0' "$TMP/s$fam.json")" "$total"
	check_cmp "v$fam/ours_within_all" "$total" -le "$(jq '.trace.drops.total' "$TMP/s$fam.json")"
	# What they carried adds up too, and 2000-byte echoes lost to the
	# rule carried data.
	check_eq "v$fam/carried_adds_up" "$(jq '.trace.drops.ours_carried | .with_data + .syn + .rst + .fin + .ack' \
		"$TMP/s$fam.json")" "$total"
	check_cmp "v$fam/some_drops_carried_data" "$(jq .trace.drops.ours_carried.with_data "$TMP/s$fam.json")" -gt 0
	check_eq "v$fam/per_connection_drops_add_up" \
		"$(jq -s '[.[] | select(.type=="why") | .drops] | add // 0' "$TMP/tl$fam.jsonl")" "$total"
	check_eq "v$fam/per_connection_retrans_segs_add_up" \
		"$(jq -s '[.[] | select(.type=="why") | .retrans_segs] | add // 0' "$TMP/tl$fam.jsonl")" \
		"$(jq .trace.retransmit_segs "$TMP/s$fam.json")"
	# A FIN retransmitted after stress exits is the namespace's, not ours.
	check_cmp "v$fam/retrans_segs_within_RetransSegs" "$(jq .trace.retransmit_segs "$TMP/s$fam.json")" -le "$rs"
	check_cmp "v$fam/some_retransmits" "$(jq .trace.retransmit_segs "$TMP/s$fam.json")" -gt 0
	# The run's end closes connections with echoes still coming: the kernel
	# resets those (tcp_abort_on_data), and a late segment of the peer's may
	# draw its reset too; 3% loss makes nothing else fail.
	check_eq "v$fam/only_resets_at_close" "$(jq -c '.trace.verdicts | with_entries(select(.value > 0 and
		.key != "reset_locally" and .key != "reset_by_peer"))' "$TMP/s$fam.json")" '{}'
	check_eq "v$fam/reset_reasons" "$(jq -s --arg re "$RESET_RE" '[.[] | select(.type=="why" and
		.verdict=="reset_locally" and (.reason | test($re) | not))] | length' "$TMP/tl$fam.jsonl")" 0
	check_eq "v$fam/lost_zero" "$(jq .trace.lost "$TMP/s$fam.json")" 0
	nft_clear
}

# Reset reasons where the kernel gives them (doctor's reset_reasons: enum
# sk_rst_reason, 6.10+): data after close, close with unread data, or the
# time-wait socket answering; before, every reason is "".
if kernel_has reset_reasons; then
	RESET_RE='^tcp_(abort_on_(data|close)|timewait_socket)$'
else
	RESET_RE='^$'
	echo "  $KERNEL_SAYS: reset_locally verdicts carry no reason"
fi

one_family 4 10.231.143.2 29451
one_family 6 fd00:231:143::2 29452
