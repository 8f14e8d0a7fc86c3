/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Congestion states: tcp:tcp_cong_state_set, one event each time the kernel
 * sets a socket's icsk_ca_state (Open, Disorder, CWR, Recovery, Loss).
 * Included by tcpscope.bpf.c after its helpers (fill_sock, keep, submit,
 * ca_state_of, the twin protocol).
 *
 * The tracepoint is the first line of tcp_set_ca_state()
 * (net/ipv4/tcp_cong.c, "tcp: Add tracepoint for tcp_set_ca_state"), before
 * the congestion control's set_state hook and before icsk_ca_state is
 * assigned: the socket still holds the state being left, so each event
 * carries both ends of the transition. It passes (sk, ca_state) on 6.1
 * and 6.18 alike; a kernel without it keeps the ca_state that every
 * retransmit event carries (the row is optional).
 */
#ifndef TCPSCOPE_CONG_BPF_H
#define TCPSCOPE_CONG_BPF_H

static __always_inline int handle_cong(const struct sock *sk, __u8 new_ca, __u64 cookie,
				       const bool btf)
{
	const struct tcp_sock *tp = (const void *)sk;
	struct event e = {};

	if (!fill_sock(&e, sk, cookie, btf) || !keep(&e) || !owner_pass(&e, sk, EV_CONG, btf))
		return 0;
	e.ts_ns = bpf_ktime_get_ns();
	e.type = EV_CONG;
	e.cong.old_ca = ca_state_of(sk);
	e.cong.new_ca = new_ca;
	e.cong.tcp_state =
	    btf ? sk->__sk_common.skc_state : BPF_CORE_READ(sk, __sk_common.skc_state);
	e.cong.snd_cwnd = BPF_CORE_READ(tp, snd_cwnd);
	e.cong.ssthresh = BPF_CORE_READ(tp, snd_ssthresh);
	e.cong.total_retrans = BPF_CORE_READ(tp, total_retrans);
	e.cong.icsk_retransmits =
	    BPF_CORE_READ((const struct inet_connection_sock *)sk, icsk_retransmits);
	submit(&e);
	return 0;
}

static __always_inline int cong_hit(unsigned long long *ctx, struct sock *sk, __u8 new_ca,
				    const bool btf, const bool rescue)
{
	__u64 cookie = btf ? bpf_get_socket_cookie(sk) : raw_cookie(sk);
	/* The state left and the socket's retransmit count tell one setting
	 * from the next (Loss is set again on every RTO, after a retransmit);
	 * raw_tp's cookie may still be 0, so its id has the address too. */
	__u64 salt = ((__u64)ca_state_of(sk) << 32) |
		     BPF_CORE_READ((const struct tcp_sock *)sk, total_retrans);
	__u64 id = btf ? COOKIE_ID(cookie, new_ca, salt) : hit_id(ctx, 2, cookie ^ salt);
	struct twin_state *t = twin_state_of(NS_CONG);

	if (!t)
		return 0;
	if (twin_enter(t, id, EV_CONG, rescue))
		handle_cong(sk, new_ca, cookie, btf);
	twin_leave(t, rescue);
	return 0;
}

SEC("tp_btf/tcp_cong_state_set")
int BPF_PROG(btf_cong, struct sock *sk, __u8 ca_state)
{
	return cong_hit(ctx, sk, ca_state, true, false);
}

SEC("tp_btf/tcp_cong_state_set")
int BPF_PROG(btf_cong_rescue, struct sock *sk, __u8 ca_state)
{
	return cong_hit(ctx, sk, ca_state, true, true);
}

SEC("raw_tp/tcp_cong_state_set")
int BPF_PROG(raw_cong, struct sock *sk, __u8 ca_state)
{
	return cong_hit(ctx, sk, ca_state, false, false);
}

SEC("raw_tp/tcp_cong_state_set")
int BPF_PROG(raw_cong_rescue, struct sock *sk, __u8 ca_state)
{
	return cong_hit(ctx, sk, ca_state, false, true);
}

#endif /* TCPSCOPE_CONG_BPF_H */
