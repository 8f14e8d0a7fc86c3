/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Drops: skb:kfree_skb for TCP segments, with the kernel's drop reason.
 * Included by tcpscope.bpf.c after its helpers (fill_sock, keep_endpoints,
 * keep_cookie, submit, the twin protocol).
 *
 * kfree_skb runs for every skb the kernel drops, TCP or not, so the
 * handler checks what costs least first: the reason (an argument), then
 * skb->protocol, then one read of the IP header.
 *
 * Two signatures, one program pair each; user space keeps the one the
 * running kernel's btf_trace_kfree_skb has (a tp_btf program may not read
 * past the tracepoint's arguments, a raw_tp one fails to attach):
 * - drop: (skb, location, reason), since "net: skb: introduce
 *   kfree_skb_reason()" (5.17; Debian 12's 6.1).
 * - drop_rx: (skb, location, reason, rx_sk), since "net: add rx_sk to
 *   trace_kfree_skb" (6.13): the socket a received segment was for.
 */
#ifndef TCPSCOPE_DROP_BPF_H
#define TCPSCOPE_DROP_BPF_H

#define ETH_P_IP   0x0800
#define ETH_P_IPV6 0x86DD

/* Not drops: SKB_NOT_DROPPED_YET (0), and SKB_CONSUMED where the enum has
 * it ("net: skb: introduce SKB_CONSUMED", 6.2 and later kernels route
 * consumed skbs through kfree_skb's callers with that value). */
enum skb_drop_reason___consumed {
	SKB_CONSUMED___consumed, /* a local flavour: 6.1's BTF has no such value */
};

static __always_inline bool drop_reason_is_drop(__u32 reason)
{
	if (reason == 0)
		return false;
	if (bpf_core_enum_value_exists(enum skb_drop_reason___consumed, SKB_CONSUMED___consumed) &&
	    reason == bpf_core_enum_value(enum skb_drop_reason___consumed, SKB_CONSUMED___consumed))
		return false;
	return true;
}

/* The segment's endpoints and flags from its IP and TCP headers; ours
 * first when it was received. False: not a TCP segment of IPv4 or IPv6
 * (IPv6 extension headers included: rare for TCP, and skipped). */
static __always_inline bool drop_parse(struct event *e, const struct sk_buff *skb, __u16 proto,
				       const bool btf)
{
	unsigned char *head = btf ? skb->head : BPF_CORE_READ(skb, head);
	__u16 nh = btf ? skb->network_header : BPF_CORE_READ(skb, network_header);
	__u8 ip[40], th[14];
	__u32 off, hdrs;

	if (proto == bpf_htons(ETH_P_IP)) {
		if (bpf_probe_read_kernel(ip, 20, head + nh) || (ip[0] >> 4) != 4 ||
		    ip[9] != IPPROTO_TCP)
			return false;
		e->family = 4;
		__builtin_memcpy(e->drop.rx ? e->daddr : e->saddr, ip + 12, 4);
		__builtin_memcpy(e->drop.rx ? e->saddr : e->daddr, ip + 16, 4);
		off = (ip[0] & 0xf) * 4;
	} else {
		if (bpf_probe_read_kernel(ip, 40, head + nh) || (ip[0] >> 4) != 6 ||
		    ip[6] != IPPROTO_TCP)
			return false;
		e->family = 6;
		__builtin_memcpy(e->drop.rx ? e->daddr : e->saddr, ip + 8, 16);
		__builtin_memcpy(e->drop.rx ? e->saddr : e->daddr, ip + 24, 16);
		off = 40;
	}
	if (bpf_probe_read_kernel(th, sizeof(th), head + nh + off))
		return false;
	e->sport = (__u16)(th[e->drop.rx ? 2 : 0] << 8 | th[e->drop.rx ? 3 : 1]);
	e->dport = (__u16)(th[e->drop.rx ? 0 : 2] << 8 | th[e->drop.rx ? 1 : 3]);
	e->drop.tcp_flags = th[13];
	/* IPv4 big TCP and GSO skbs may carry total length 0: unknown, and
	 * then counted as data, never as a control segment. */
	if (e->family == 4)
		e->drop.ip_len = (__u32)ip[2] << 8 | ip[3];
	else
		e->drop.ip_len = 40 + ((__u32)ip[4] << 8 | ip[5]);
	hdrs = off + (th[12] >> 4) * 4;
	e->drop.payload = e->drop.ip_len > hdrs ? e->drop.ip_len - hdrs : 0;
	if (!e->drop.ip_len)
		e->drop.payload = e->drop.len;
	return true;
}

static __always_inline bool sk_is_full(const struct sock *sk)
{
	__u8 st = BPF_CORE_READ(sk, __sk_common.skc_state);

	return st != TCP_TIME_WAIT && st != TCP_NEW_SYN_RECV;
}

/* The connection of the drop: the socket's identity when it has a peer
 * (not a listener, nor the per-netns control socket that sends resets),
 * else the packet's endpoints, with the device's namespace. */
static __always_inline bool drop_identify(struct event *e, const struct sk_buff *skb,
					  const struct sock *sk, const struct sock *rx_sk,
					  const bool btf)
{
	struct event pkt = *e;
	__u64 cookie;

	bool from_rx = false;

	if (!sk) {
		sk = rx_sk;
		from_rx = btf;
	}
	if (sk && BPF_CORE_READ(sk, __sk_common.skc_dport)) {
		/* The receiving socket is a trusted argument, which the cookie
		 * helper takes. skb->sk is an RCU pointer on recent kernels,
		 * which it refuses: read the cookie the socket has (0 if none
		 * was ever asked for; then the drop joins by its 4-tuple).
		 * Request and TIME_WAIT sockets have only their sock_common,
		 * which still names both ends. */
		if (from_rx && rx_sk && sk_is_full(rx_sk))
			cookie = bpf_get_socket_cookie((void *)rx_sk);
		else
			cookie = BPF_CORE_READ(sk, __sk_common.skc_cookie.counter);
		if (fill_sock(&pkt, sk, cookie, false)) {
			pkt.drop.has_sock = 1;
			pkt.drop.tcp_state = BPF_CORE_READ(sk, __sk_common.skc_state);
			*e = pkt;
			return true;
		}
	}
	e->netns = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
	return true;
}

/*
 * The drop's owner (bpf/owner.bpf.h) and the owner filters. The cgroup
 * comes from whichever socket the segment had. The process: under tp_btf
 * the socket storage is readable only through the receiving socket the
 * kernel passes (a trusted argument, 6.13+), not through skb->sk; raw_tp
 * reads its table by address. Otherwise pid 0: unknown, never wrong.
 */
static __always_inline bool drop_owner(struct event *e, const struct sock *sk,
				       const struct sock *rx_sk, const bool btf)
{
	const struct cgroup *cg;

	if (!e->drop.has_sock)
		return owner_pass(e, NULL, EV_DROP, btf);
	if (!btf)
		return owner_pass(e, sk, EV_DROP, false);
	if (rx_sk && sk == rx_sk && sk_is_full(rx_sk))
		return owner_pass(e, rx_sk, EV_DROP, true);
	cg = full_sock(sk, false) ? sock_cgroup(sk, false) : NULL; /* skb->sk: read */
	if (cg)
		e->cgroup_id = cgroup_id_of(cg, false);
	return owner_filter(e, cg, EV_DROP);
}

static __always_inline int handle_drop(const struct sk_buff *skb, __u32 reason,
				       const struct sock *rx_sk, const bool btf)
{
	struct event e = {};
	const struct sock *sk;
	__u16 proto;

	if (!drop_reason_is_drop(reason))
		return 0;
	proto = btf ? skb->protocol : BPF_CORE_READ(skb, protocol);
	if (proto != bpf_htons(ETH_P_IP) && proto != bpf_htons(ETH_P_IPV6))
		return 0;
	/* Received: the device's receive path stamped its interface. */
	e.drop.rx = (btf ? skb->skb_iif : BPF_CORE_READ(skb, skb_iif)) != 0;
	if (!drop_parse(&e, skb, proto, btf))
		return 0;
	sk = btf ? skb->sk : BPF_CORE_READ(skb, sk);
	if (!drop_identify(&e, skb, sk, rx_sk, btf))
		return 0;
	/* A segment without a socket has no cookie to match the cookie filter:
	 * it passes on the other filters, and stress --trace joins it to its
	 * connection by the 4-tuple. */
	if (!keep_endpoints(&e) || (e.cookie && !keep_cookie(&e)))
		return 0;
	if (!drop_owner(&e, sk ? sk : rx_sk, rx_sk, btf))
		return 0;
	e.ts_ns = bpf_ktime_get_ns();
	e.type = EV_DROP;
	e.drop.reason = reason;
	e.drop.len = btf ? skb->len : BPF_CORE_READ(skb, len);
	submit(&e);
	return 0;
}

static __always_inline int drop_hit(unsigned long long *ctx, const struct sk_buff *skb,
				    __u32 reason, const struct sock *rx_sk, const bool btf,
				    const bool rescue)
{
	/* (skb, location, reason) and the skb's length: the kernel reuses
	 * skb addresses, and a leftover id must not pass for a new hit. */
	__u64 id = hit_id(ctx, 3, btf ? skb->len : BPF_CORE_READ(skb, len));
	struct twin_state *t = twin_state_of(NS_DROP);

	if (!t)
		return 0;
	if (twin_enter(t, id, EV_DROP, rescue))
		handle_drop(skb, reason, rx_sk, btf);
	twin_leave(t, rescue);
	return 0;
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(btf_drop, const struct sk_buff *skb, void *location, enum skb_drop_reason reason)
{
	return drop_hit(ctx, skb, reason, NULL, true, false);
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(btf_drop_rescue, const struct sk_buff *skb, void *location,
	     enum skb_drop_reason reason)
{
	return drop_hit(ctx, skb, reason, NULL, true, true);
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(btf_drop_rx, const struct sk_buff *skb, void *location, enum skb_drop_reason reason,
	     const struct sock *rx_sk)
{
	return drop_hit(ctx, skb, reason, rx_sk, true, false);
}

SEC("tp_btf/kfree_skb")
int BPF_PROG(btf_drop_rx_rescue, const struct sk_buff *skb, void *location,
	     enum skb_drop_reason reason, const struct sock *rx_sk)
{
	return drop_hit(ctx, skb, reason, rx_sk, true, true);
}

SEC("raw_tp/kfree_skb")
int BPF_PROG(raw_drop, const struct sk_buff *skb, void *location, int reason)
{
	return drop_hit(ctx, skb, reason, NULL, false, false);
}

SEC("raw_tp/kfree_skb")
int BPF_PROG(raw_drop_rescue, const struct sk_buff *skb, void *location, int reason)
{
	return drop_hit(ctx, skb, reason, NULL, false, true);
}

SEC("raw_tp/kfree_skb")
int BPF_PROG(raw_drop_rx, const struct sk_buff *skb, void *location, int reason,
	     const struct sock *rx_sk)
{
	return drop_hit(ctx, skb, reason, rx_sk, false, false);
}

SEC("raw_tp/kfree_skb")
int BPF_PROG(raw_drop_rx_rescue, const struct sk_buff *skb, void *location, int reason,
	     const struct sock *rx_sk)
{
	return drop_hit(ctx, skb, reason, rx_sk, false, true);
}

#endif /* TCPSCOPE_DROP_BPF_H */
