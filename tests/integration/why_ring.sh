#!/usr/bin/env bash
# The loss accounting covers the drop programs. A fast churn of connects to
# a closed port in a namespace of its own: each SYN is a no_socket drop,
# and bpftrace counts skb:kfree_skb with that reason in that namespace.
# With the default ring: nothing lost, delivered == bpftrace's count (it
# is a lower bound where it can miss nested hits, doctor's
# classic_tp_misses). With a 4k ring: something lost, and delivered + lost
# is every hit.
. "$(dirname "$0")/../lib.sh"
need bpftrace
need bpftool
NS="why$$-r"
ip netns add "$NS"
cleanup_add ip netns del "$NS"
ip -n "$NS" link set lo up
ino=$(stat -Lc %i "/run/netns/$NS")
code=$(bpftool btf dump file /sys/kernel/btf/vmlinux |
	awk '/SKB_DROP_REASON_NO_SOCKET/ {sub("val=", "", $2); print $2; exit}')
# Before 6.7 (doctor's classic_tp_misses) the kernel does not count the
# hits it skips for bpftrace: its count is then a lower bound only.
kernel_has classic_tp_misses && classic=true || { classic=false; echo "  $KERNEL_SAYS: bpftrace a lower bound"; }
# bpftrace takes over 20 s to start on an emulated CPU.
BT_WAIT=20; emulated && BT_WAIT=90

run() { # NAME RINGBUF N
	local name=$1 rb=$2 n=$3 bt tr s delivered lost bt_n
	bpftrace -e "tracepoint:skb:kfree_skb /args->reason == $code &&
		((struct sk_buff *)args->skbaddr)->dev->nd_net.net->ns.inum == $ino/ { @n = count(); }" \
		> "$TMP/bt-$name.out" 2>&1 &
	bt=$!
	cleanup_add kill $bt
	wait_for_line "$TMP/bt-$name.out" 'Attaching' "$BT_WAIT" || { fail "$name/setup" "bpftrace did not attach"; return; }
	"$TCPSCOPE" trace --json --events drop --port 29471 --ringbuf-size "$rb" \
		> "$TMP/tr-$name.jsonl" 2> "$TMP/tr-$name.err" &
	tr=$!
	cleanup_add kill $tr
	wait_attached $tr || { fail "$name/setup" "the tracer did not attach"; return; }
	ip netns exec "$NS" "$TCPSCOPE" stress 127.0.0.1:29471 --mode churn -n "$n" --concurrency 64 \
		> /dev/null 2>&1
	sleep 0.5
	kill -INT $tr; wait $tr
	stop_bpftrace $bt
	s=$(tail -n 1 "$TMP/tr-$name.jsonl")
	delivered=$(jq .events.drop <<<"$s"); lost=$(jq .lost_by_type.drop <<<"$s")
	bt_n=$(awk '/^@n:/ {print $2}' "$TMP/bt-$name.out"); bt_n=${bt_n:-0}
	echo "  $name: delivered $delivered lost $lost; bpftrace $bt_n"
	check_eq "$name/delivered_counted" "$(grep -c '"type":"drop"' "$TMP/tr-$name.jsonl")" "$delivered"
	check_cmp "$name/every_syn_dropped" "$((delivered + lost))" -ge "$n"
	if [ "$classic" = true ]; then
		check_eq "$name/delivered_plus_lost_is_every_hit" "$((delivered + lost))" "$bt_n"
	else
		check_cmp "$name/delivered_plus_lost_ge_bpftrace" "$((delivered + lost))" -ge "$bt_n"
	fi
	eval "${name}_lost=$lost"
}

run big 16M 5000
check_eq big/lost_zero "$big_lost" 0
run tiny 4k 5000
check_cmp tiny/lost_some "$tiny_lost" -gt 0
