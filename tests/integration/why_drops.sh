#!/usr/bin/env bash
# Drops in the lossy lab, IPv4 and IPv6: the netfilter_drop events tcpscope
# reports for the lab's port equal the nftables rules' own counters (the
# events, and trace's summary by reason in JSON and text), and
# bpftrace, counting skb:kfree_skb with that reason in the lab's two
# namespaces, sees no more (it is a lower bound: it misses nested hits).
# The reason's code is the running kernel's, from its BTF.
. "$(dirname "$0")/../lib.sh"
need bpftrace
need bpftool
LOAD="python3 $TOP/tests/helpers/tcpload.py"
# bpftrace takes over 20 s to start on an emulated CPU.
BT_WAIT=20; emulated && BT_WAIT=90
mountpoint -q /sys/kernel/tracing || mount -t tracefs nodev /sys/kernel/tracing

LABNAME="why$$"
"$LAB" up "$LABNAME" 141
cleanup_add "$LAB" down "$LABNAME"
NS_A="$LABNAME-a"; NS_B="$LABNAME-b"

code=$(bpftool btf dump file /sys/kernel/btf/vmlinux |
	awk '/SKB_DROP_REASON_NETFILTER_DROP/ {sub("val=", "", $2); print $2; exit}')
[ -n "$code" ] || { skip netfilter_drop "this kernel's enum skb_drop_reason has no NETFILTER_DROP"; exit 0; }
ino_a=$(stat -Lc %i "/run/netns/$NS_A"); ino_b=$(stat -Lc %i "/run/netns/$NS_B")

nft_rules() { # PORT: drop 4% each way, counted by the rule itself
	ip netns exec "$NS_A" nft add table inet why
	ip netns exec "$NS_A" nft add chain inet why in '{ type filter hook input priority 0; }'
	ip netns exec "$NS_A" nft add rule inet why in tcp sport "$1" numgen random mod 100 "<" 4 counter drop
	ip netns exec "$NS_B" nft add table inet why
	ip netns exec "$NS_B" nft add chain inet why in '{ type filter hook input priority 0; }'
	ip netns exec "$NS_B" nft add rule inet why in tcp dport "$1" numgen random mod 100 "<" 4 counter drop
}
nft_count() { # [packets|bytes] -> what both rules dropped
	local n=0 ns p
	for ns in "$NS_A" "$NS_B"; do
		p=$(ip netns exec "$ns" nft -j list table inet why |
			jq --arg k "${1:-packets}" '[.nftables[] | .rule? // empty | .expr[] | .counter? // empty | .[$k]] | add // 0')
		n=$((n + p))
	done
	echo "$n"
}
nft_clear() {
	ip netns exec "$NS_A" nft delete table inet why
	ip netns exec "$NS_B" nft delete table inet why
}

one_family() { # FAMILY SERVER_IP PORT
	local fam=$1 ip=$2 port=$3 tr bt got want want_bytes bpf nconn
	nft_rules "$port"
	# It outlives bpftrace's start (90 s on an emulated CPU: a 40 s server
	# had gone before 6.1's clients connected); the cleanup stops it.
	ip netns exec "$NS_B" $LOAD server "$ip" "$port" --seconds 300 > "$TMP/server$fam.out" &
	cleanup_add kill $!
	wait_for_line "$TMP/server$fam.out" '^listening' || { fail "v$fam/setup" "server did not start"; return; }
	bpftrace -e "tracepoint:skb:kfree_skb /args->reason == $code &&
		(((struct sk_buff *)args->skbaddr)->dev->nd_net.net->ns.inum == $ino_a ||
		 ((struct sk_buff *)args->skbaddr)->dev->nd_net.net->ns.inum == $ino_b)/ { @n = count(); }" \
		> "$TMP/bt$fam.out" 2>&1 &
	bt=$!
	cleanup_add kill $bt
	wait_for_line "$TMP/bt$fam.out" 'Attaching' "$BT_WAIT" || { fail "v$fam/setup" "bpftrace did not attach"; return; }
	"$TCPSCOPE" trace --json --events drop,retransmit --port "$port" > "$TMP/trace$fam.jsonl" 2> "$TMP/trace$fam.err" &
	tr=$!
	cleanup_add kill $tr
	# The same in text, for its summary's drops: line.
	"$TCPSCOPE" trace -q --events drop,retransmit --port "$port" > "$TMP/trace$fam.txt" 2> "$TMP/tracet$fam.err" &
	trt=$!
	cleanup_add kill $trt
	wait_attached $tr && wait_attached $trt || { fail "v$fam/setup" "the tracers did not attach"; return; }
	ip netns exec "$NS_A" $LOAD client "$ip" "$port" --conns 8 --parallel 4 --bytes 200000 \
		> "$TMP/client$fam.out"
	# Until no socket of the port can still send (and so be dropped).
	for _ in $(seq 1 100); do
		nconn=$( (ip netns exec "$NS_A" ss -Htan "( sport = :$port or dport = :$port )"
			ip netns exec "$NS_B" ss -Htan "( sport = :$port or dport = :$port )") |
			grep -cvE '^(LISTEN|TIME-WAIT)')
		[ "$nconn" -eq 0 ] && break
		sleep 0.2
	done
	sleep 0.3
	want=$(nft_count)
	want_bytes=$(nft_count bytes)
	kill -INT $tr; wait $tr
	check_eq "v$fam/exit_status" "$?" 0
	kill -INT $trt; wait $trt
	check_eq "v$fam/text_exit_status" "$?" 0
	stop_bpftrace $bt
	bpf=$(awk '/^@n:/ {print $2}' "$TMP/bt$fam.out"); bpf=${bpf:-0}
	got=$(jq -s '[.[] | select(.type=="drop" and .reason=="netfilter_drop")] | length' "$TMP/trace$fam.jsonl")
	check_eq "v$fam/clients_completed" "$(jq -s '[.[] | select(.side=="client" and .error==null)] | length' \
		"$TMP/client$fam.out")" 8
	check_cmp "v$fam/some_drops" "$want" -gt 10
	check_eq "v$fam/netfilter_drops_equal_nft_counters" "$got" "$want"
	# nft counts each dropped datagram's length, as its IP header gives it.
	check_eq "v$fam/drop_ip_len_sum_equals_nft_bytes" \
		"$(jq -s '[.[] | select(.type=="drop" and .reason=="netfilter_drop") | .ip_len] | add // 0' \
			"$TMP/trace$fam.jsonl")" "$want_bytes"
	# The client sent data: some drops carried it; no payload is longer
	# than its datagram less the smallest IP and TCP headers.
	check_cmp "v$fam/some_drops_carried_data" \
		"$(jq -s '[.[] | select(.type=="drop" and .payload > 0)] | length' "$TMP/trace$fam.jsonl")" -gt 0
	check_eq "v$fam/payload_within_datagram" \
		"$(jq -s --argjson h $((fam == 4 ? 40 : 60)) \
			'[.[] | select(.type=="drop" and .ip_len > 0 and .payload > .ip_len - $h)] | length' \
			"$TMP/trace$fam.jsonl")" 0
	check_cmp "v$fam/bpftrace_lower_bound" "$bpf" -le "$got"
	check_cmp "v$fam/bpftrace_saw_drops" "$bpf" -gt 0
	check_eq "v$fam/reason_code_from_btf" \
		"$(jq -s "[.[] | select(.type==\"drop\" and .reason==\"netfilter_drop\" and .reason_code!=$code)] | length" "$TMP/trace$fam.jsonl")" 0
	check_eq "v$fam/family" \
		"$(jq -s "[.[] | select(.type==\"drop\" and .family!=$fam)] | length" "$TMP/trace$fam.jsonl")" 0
	# Each drop names the lab's connection: the port at one end, the
	# namespace it was dropped in, and (received) our address first.
	check_eq "v$fam/drops_name_their_connection" \
		"$(jq -s --argjson p "$port" --argjson a "$ino_a" --argjson b "$ino_b" \
			'[.[] | select(.type=="drop" and .reason=="netfilter_drop") |
			  select(((.netns==$b and .sport==$p) or (.netns==$a and .dport==$p)) and .direction=="rx" | not)] | length' \
			"$TMP/trace$fam.jsonl")" 0
	check_eq "v$fam/summary_counts_drops" "$(tail -n 1 "$TMP/trace$fam.jsonl" | jq -r .events.drop)" \
		"$(jq -s '[.[] | select(.type=="drop")] | length' "$TMP/trace$fam.jsonl")"
	check_eq "v$fam/lost_zero" "$(tail -n 1 "$TMP/trace$fam.jsonl" | jq -r .lost)" 0
	# The summary's drops by reason: netfilter_drop the rules' counters
	# exactly, as the events are; every reason as the events say, and what
	# they carried.
	s=$(tail -n 1 "$TMP/trace$fam.jsonl")
	check_eq "v$fam/summary_netfilter_drops_equal_nft_counters" "$(jq .drops.by_reason.netfilter_drop <<<"$s")" "$want"
	check_eq "v$fam/summary_drops_total" "$(jq .drops.total <<<"$s")" "$(jq .events.drop <<<"$s")"
	check_eq "v$fam/summary_by_reason_as_events" "$(jq -S -c .drops.by_reason <<<"$s")" \
		"$(jq -s -S -c '[.[] | select(.type=="drop")] | group_by(.reason) | map({(.[0].reason): length}) | add // {}' \
			"$TMP/trace$fam.jsonl")"
	check_eq "v$fam/summary_carried_as_events" "$(jq -c '.drops.carried | [.with_data, .data_bytes]' <<<"$s")" \
		"$(jq -s -c '[.[] | select(.type=="drop" and .payload > 0)] | [length, (map(.payload) | add // 0)]' \
			"$TMP/trace$fam.jsonl")"
	line=$(grep '^drops: ' "$TMP/trace$fam.txt")
	echo "  text: $line"
	check_eq "v$fam/text_netfilter_drops_equal_nft_counters" \
		"$(grep -oE ' netfilter_drop [0-9]+' <<<"$line" | awk '{print $2}')" "$want"
	nft_clear
}

# Which signature this kernel's skb:kfree_skb has (bpftool's dump of its
# BTF: the typedef's prototype has void *__data first), and that doctor
# names the same variant: drop_rx with the receiving socket (6.13+), drop
# before.
nparams=$(bpftool btf dump file /sys/kernel/btf/vmlinux format raw |
	awk '/TYPEDEF .btf_trace_kfree_skb./ {t = 1; next} t && /FUNC_PROTO/ {sub(".*vlen=", ""); print $1 - 1; exit}')
[ "$nparams" = 4 ] && want_variant=drop_rx || want_variant=drop
"$TCPSCOPE" doctor --json > "$TMP/doctor.json"
check_eq doctor_variant_fits_btf "$(jq -r '.checks.kfree_skb.detail' "$TMP/doctor.json" | grep -o 'variant [a-z_]*')" \
	"variant $want_variant"
check_eq doctor_receiving_socket_gap "$(jq -r '.checks.drop_receiving_socket.ok' "$TMP/doctor.json")" \
	"$([ "$nparams" = 4 ] && echo true || echo false)"

one_family 4 10.231.141.2 29411
one_family 6 fd00:231:141::2 29412
