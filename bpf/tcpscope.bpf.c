// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * tcpscope's kernel side: TCP retransmits, state changes, ACK-driven probes
 * and resets, filtered in the kernel and streamed through one ring buffer.
 *
 * Each tracepoint has two programs: tp_btf (typed arguments, the socket
 * cookie helper) and raw_tp (the fallback for kernels without BTF-typed
 * tracing). User space keeps one of the two per tracepoint and switches the
 * other off with bpf_program__set_autoload(). Both share the handlers below,
 * which read the kernel through CO-RE so they work on either.
 */
#include "vmlinux.h"
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include "tcpscope.h"

#define AF_INET	    2
#define AF_INET6    10
#define IPPROTO_TCP 6

/* Filters and knobs, set by user space between open and load. */
const volatile __u8 targ_family;	 /* 0: both, 4 or 6 */
const volatile __u32 targ_netns;	 /* 0: every namespace */
const volatile bool targ_filter_ports;	 /* match the ports map */
const volatile bool targ_filter_cookies; /* match the cookies map */
const volatile __u32 targ_ncidrs;
const volatile struct cidr_filter targ_cidrs[MAX_CIDRS];
const volatile __u64 targ_probe_interval_ns; /* 0: every probe */
const volatile __u64 wakeup_bytes;	     /* batch size; 0: wake per event */
/* The state program records owners too (owner_on_state()), in place of the
 * owner_state programs: one program run per transition instead of two. */
const volatile bool targ_state_owner;

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* resized by --ringbuf-size */
} events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, CNT_MAX);
	__type(key, __u32);
	__type(value, __u64);
} counters SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, MAX_PORTS);
	__type(key, __u16);
	__type(value, __u8);
} ports SEC(".maps");

/* The stress correlation fills it with its own sockets' cookies. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, 65536); /* resized by user space */
	__type(key, __u64);
	__type(value, __u8);
} cookies SEC(".maps");

/* Ports whose sockets pass the cookie filter too, as either end: the
 * built-in server's, whose accepted sockets exist in the kernel before user
 * space can learn their cookies, and whose clients are all ours, so they
 * need no per-connection map update. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY); /* by port: a lookup is one load */
	__uint(max_entries, 65536);
	__type(key, __u32);
	__type(value, __u8);
} own_ports SEC(".maps");

/* When each socket last emitted a probe event, for in-kernel sampling:
 * raw_tp only (tp_btf keeps it in the socket's owner storage). */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 65536);
	__type(key, __u64);
	__type(value, __u64);
} probe_last SEC(".maps");

/* Kernel >= 6.12 passes `err` to tcp_retransmit_skb and calls it for failed
 * retransmits too (commit "tcp: Add err to tcp_retransmit_skb tracepoint"
 * also renamed the record type to trace_event_raw_tcp_retransmit_skb). */
struct trace_event_raw_tcp_retransmit_skb___new {
	int err;
} __attribute__((preserve_access_index));

static __always_inline void count(__u32 idx)
{
	__u64 *v = bpf_map_lookup_elem(&counters, &idx);

	if (v)
		(*v)++;
}

static __always_inline bool cidr_hit(const __u32 *a, __u8 family)
{
	for (int i = 0; i < MAX_CIDRS; i++) {
		if (i >= targ_ncidrs)
			break;
		if (targ_cidrs[i].family != family)
			continue;
		if ((a[0] & targ_cidrs[i].mask[0]) == targ_cidrs[i].addr[0] &&
		    (a[1] & targ_cidrs[i].mask[1]) == targ_cidrs[i].addr[1] &&
		    (a[2] & targ_cidrs[i].mask[2]) == targ_cidrs[i].addr[2] &&
		    (a[3] & targ_cidrs[i].mask[3]) == targ_cidrs[i].addr[3])
			return true;
	}
	return false;
}

/* Fill the identity part of the event from the socket. False: not IPv4 or
 * IPv6. tp_btf hands us typed pointers the program may read directly (plain
 * loads); raw_tp pointers go through bpf_probe_read_kernel. btf is a
 * constant in each caller, so each program keeps one of the two paths. */
static __always_inline bool fill_sock(struct event *e, const struct sock *sk, __u64 cookie,
				      const bool btf)
{
	__u16 family = btf ? sk->__sk_common.skc_family : BPF_CORE_READ(sk, __sk_common.skc_family);

	if (family == AF_INET) {
		e->family = 4;
		if (btf) {
			*(__u32 *)e->saddr = sk->__sk_common.skc_rcv_saddr;
			*(__u32 *)e->daddr = sk->__sk_common.skc_daddr;
		} else {
			BPF_CORE_READ_INTO((__u32 *)e->saddr, sk, __sk_common.skc_rcv_saddr);
			BPF_CORE_READ_INTO((__u32 *)e->daddr, sk, __sk_common.skc_daddr);
		}
	} else if (family == AF_INET6) {
		e->family = 6;
		BPF_CORE_READ_INTO(&e->saddr, sk, __sk_common.skc_v6_rcv_saddr.in6_u.u6_addr8);
		BPF_CORE_READ_INTO(&e->daddr, sk, __sk_common.skc_v6_daddr.in6_u.u6_addr8);
	} else {
		return false;
	}
	if (btf) {
		e->sport = sk->__sk_common.skc_num;
		e->dport = bpf_ntohs(sk->__sk_common.skc_dport);
		e->netns = sk->__sk_common.skc_net.net->ns.inum;
	} else {
		e->sport = BPF_CORE_READ(sk, __sk_common.skc_num);
		e->dport = bpf_ntohs(BPF_CORE_READ(sk, __sk_common.skc_dport));
		e->netns = BPF_CORE_READ(sk, __sk_common.skc_net.net, ns.inum);
	}
	/* On the way to CLOSE the kernel has already released the local port
	 * (inet_put_port zeroes skc_num); inet_sport still holds it. Request
	 * sockets (cookie 0) have no inet_sock part. */
	if (!e->sport && cookie)
		e->sport = bpf_ntohs(BPF_CORE_READ((const struct inet_sock *)sk, inet_sport));
	e->cookie = cookie;
	return true;
}

static __always_inline bool own_port(__u16 port)
{
	__u32 k = port;
	__u8 *v = bpf_map_lookup_elem(&own_ports, &k);

	return v && *v;
}

/* The filters on the endpoints: family, namespace, ports, CIDRs. */
static __always_inline bool keep_endpoints(const struct event *e)
{
	if (targ_family && e->family != targ_family)
		return false;
	if (targ_netns && e->netns != targ_netns)
		return false;
	if (targ_filter_ports && !bpf_map_lookup_elem(&ports, &e->sport) &&
	    !bpf_map_lookup_elem(&ports, &e->dport))
		return false;
	if (targ_ncidrs && !cidr_hit((const __u32 *)e->saddr, e->family) &&
	    !cidr_hit((const __u32 *)e->daddr, e->family))
		return false;
	return true;
}

static __always_inline bool keep_cookie(const struct event *e)
{
	return !targ_filter_cookies || own_port(e->sport) || own_port(e->dport) ||
	       bpf_map_lookup_elem(&cookies, &e->cookie);
}

static __always_inline bool keep(const struct event *e)
{
	return keep_endpoints(e) && keep_cookie(e);
}

#include "owner.bpf.h"

/*
 * Build the event on the stack, filter it, then copy it into the ring
 * buffer: a filtered-out event costs no reservation, and a failed
 * reservation is counted per type, never silent.
 */
static __always_inline void submit(struct event *e)
{
	__u64 flags = 0; /* the kernel's default: wake a reader that caught up */

	count(CNT_SEEN(e->type));
	if (wakeup_bytes) {
		/* Batch (the default): wake the reader each time another
		 * wakeup_bytes are waiting; its poll timeout (TRACER_FLUSH_MS,
		 * 50 ms) takes what waits below the mark, so nothing waits
		 * long. Waking on every event past the mark instead sent an
		 * irq_work self-IPI per event until the reader caught up. */
		__u64 avail = bpf_ringbuf_query(&events, BPF_RB_AVAIL_DATA);

		flags = BPF_RB_NO_WAKEUP;
		if (avail / wakeup_bytes != (avail + sizeof(*e)) / wakeup_bytes)
			flags = BPF_RB_FORCE_WAKEUP;
	}
	if (bpf_ringbuf_output(&events, e, sizeof(*e), flags))
		count(CNT_LOST(e->type));
}

static __always_inline __u8 ca_state_of(const struct sock *sk)
{
	const struct inet_connection_sock *icsk = (const void *)sk;

	return (__u8)BPF_CORE_READ_BITFIELD_PROBED(icsk, icsk_ca_state);
}

/* include/net/inet_connection_sock.h: the retransmit timer's events. */
#define ICSK_TIME_LOSS_PROBE 5

/* A tail loss probe is sent from the write timer with icsk_pending still
 * ICSK_TIME_LOSS_PROBE (tcp_write_timer_handler clears it only for RTO
 * and zero-window probes), in Open or CWR (tcp_schedule_loss_probe arms
 * it in no other state): the same on 6.1 and 6.18. tp->tlp_high_seq is
 * set only after the probe went out, so it cannot tell. */
static __always_inline __u8 classify(__u8 tcp_state, __u8 ca_state, __u8 pending, int err)
{
	if (err)
		return RK_FAILED;
	if (tcp_state == TCP_SYN_SENT || tcp_state == TCP_SYN_RECV)
		return RK_SYN;
	if (ca_state == TCP_CA_Loss)
		return RK_RTO;
	if (ca_state == TCP_CA_Recovery)
		return RK_FAST;
	if ((ca_state == TCP_CA_Open || ca_state == TCP_CA_CWR) && pending == ICSK_TIME_LOSS_PROBE)
		return RK_TLP;
	return RK_OTHER;
}

static __always_inline int handle_retransmit(const struct sock *sk, const struct sk_buff *skb,
					     int err, __u64 cookie, const bool btf)
{
	const struct tcp_skb_cb *cb;
	struct event e = {};

	if (!fill_sock(&e, sk, cookie, false) || !keep(&e) ||
	    !owner_pass(&e, sk, EV_RETRANSMIT, btf))
		return 0;
	e.ts_ns = bpf_ktime_get_ns();
	e.type = EV_RETRANSMIT;
	e.retrans.err = err;
	e.retrans.tcp_state = BPF_CORE_READ(sk, __sk_common.skc_state);
	e.retrans.ca_state = ca_state_of(sk);
	e.retrans.icsk_pending =
	    BPF_CORE_READ((const struct inet_connection_sock *)sk, icsk_pending);
	e.retrans.kind =
	    classify(e.retrans.tcp_state, e.retrans.ca_state, e.retrans.icsk_pending, err);
	e.retrans.total_retrans = BPF_CORE_READ((const struct tcp_sock *)sk, total_retrans);
	e.retrans.icsk_retransmits =
	    BPF_CORE_READ((const struct inet_connection_sock *)sk, icsk_retransmits);
	/* tcp_skb_pcount(): the segments this skb stands for, from the TCP
	 * control block that lives in skb->cb. */
	cb = (const void *)__builtin_preserve_access_index(&skb->cb);
	e.retrans.segs = BPF_CORE_READ(cb, tcp_gso_segs);
	if (!e.retrans.segs)
		e.retrans.segs = 1;
	submit(&e);
	return 0;
}

/* A SYN-ACK retransmitted for a request socket: there is no full socket
 * yet, so no cookie; the request's sock_common has the endpoints. The
 * kernel counts these in RetransSegs too. */
static __always_inline int handle_synack(const struct request_sock *req)
{
	struct event e = {};

	if (!fill_sock(&e, (const struct sock *)req, 0, false) || !keep(&e) ||
	    !owner_pass_req(&e, req, EV_RETRANSMIT))
		return 0;
	e.ts_ns = bpf_ktime_get_ns();
	e.type = EV_RETRANSMIT;
	e.retrans.tcp_state = TCP_SYN_RECV;
	e.retrans.kind = RK_SYN;
	e.retrans.segs = 1;
	e.retrans.icsk_retransmits = BPF_CORE_READ(req, num_retrans);
	e.retrans.total_retrans = e.retrans.icsk_retransmits;
	submit(&e);
	return 0;
}

/*
 * A child socket's LISTEN -> SYN_RECV, held until the child has its own
 * identity. Before upstream "inet: consolidate inet_csk_clone_lock()"
 * (6.1 among them) the kernel sets the child's state before it copies the
 * child's ports and cookie in: the event would carry the listener's cookie
 * and a 0.0.0.0:0 peer. Such an event waits here, keyed by the child's
 * address (only between two transitions of one socket, so reuse cannot
 * mix two sockets up: a new hold overwrites), and goes out, stamped with
 * its own time, at the child's next transition, which always comes (to
 * ESTABLISHED, or CLOSE when the handshake fails).
 */
struct {
	__uint(type, BPF_MAP_TYPE_LRU_HASH);
	__uint(max_entries, 16384);
	__type(key, __u64);
	__type(value, __u64); /* when the transition happened */
} syn_recv_held SEC(".maps");

/* Set at the first hold: where the kernel never holds, the transitions out
 * of SYN_RECV skip the lookup. Each hold and each release is counted, so
 * that a hold evicted by 16384 others (a burst of half-open handshakes)
 * is not lost silently: user space reports held - released. */
__u32 syn_recv_holding;

static __always_inline void emit_state(struct event *e, __u64 ts_ns, int oldstate, int newstate)
{
	e->ts_ns = ts_ns;
	e->type = EV_STATE;
	e->state.oldstate = oldstate;
	e->state.newstate = newstate;
	submit(e);
}

static __always_inline int handle_state(const struct sock *sk, int oldstate, int newstate,
					__u64 cookie, const bool btf)
{
	__u64 key = (__u64)(unsigned long)sk, now, *held, at = 0;
	struct event e = {};

	if ((btf ? sk->sk_protocol : BPF_CORE_READ(sk, sk_protocol)) != IPPROTO_TCP)
		return 0;
	if (!fill_sock(&e, sk, cookie, btf))
		return 0;
	now = bpf_ktime_get_ns();
	if (oldstate == TCP_LISTEN && newstate == TCP_SYN_RECV && !e.dport) {
		syn_recv_holding = 1;
		bpf_map_update_elem(&syn_recv_held, &key, &now, BPF_ANY);
		count(CNT_SYN_RECV_HELD);
		return 0;
	}
	/* Released before the filters: a child they leave out frees its
	 * hold too, and only an eviction leaves one unreleased. */
	if (oldstate == TCP_SYN_RECV && syn_recv_holding &&
	    (held = bpf_map_lookup_elem(&syn_recv_held, &key))) {
		at = *held;
		bpf_map_delete_elem(&syn_recv_held, &key);
		count(CNT_SYN_RECV_RELEASED);
	}
	if (!keep(&e) || !owner_pass(&e, sk, EV_STATE, btf))
		return 0;
	if (at)
		emit_state(&e, at, TCP_LISTEN, TCP_SYN_RECV);
	emit_state(&e, now, oldstate, newstate);
	return 0;
}

/*
 * --probe-interval: a socket's probe events are at least the interval
 * apart. Each socket's last probe event time is kept where the next hit
 * finds it first, before any other work: tp_btf in the socket's owner
 * storage, which owner.bpf.h has made for nearly every socket by now
 * (connect, listen, the first send or receive), a lookup in the socket
 * where an LRU hash keyed by cookie cost a hash walk and, per new socket,
 * an LRU entry (BENCHMARKS.md 11b); raw_tp, which cannot use socket
 * storage, in the probe_last hash. A socket whose storage cannot be made
 * keeps every probe: more events, never fewer.
 *
 * probe_recent() runs first: most hits of a busy socket are sampled out,
 * and they cost a lookup and a clock read, not the socket reads, filters
 * and owner lookup of an event (BENCHMARKS.md 14). The time is stamped
 * only on an event that passed the filters, so a hit sampled out there
 * belongs to a socket the filters kept: the count stays that of the
 * filtered hits. (A filter whose verdict on a socket changes, an owner
 * filter once the owner changes, counts at most one interval's hits of
 * that socket as sampled out rather than filtered.)
 */
static __always_inline __u64 probe_key(const struct sock *sk, __u64 cookie)
{
	/* A socket whose cookie was never asked for reads 0: keyed by its
	 * address then (kernel addresses never equal a cookie), so that such
	 * sockets are not sampled as one. */
	return cookie ? cookie : (__u64)(unsigned long)sk;
}

/* tp_btf: *o is the socket's storage where it has one, for probe_stamp(). */
static __always_inline bool probe_recent(const struct sock *sk, __u64 cookie, __u64 now,
					 struct owner **o, const bool btf)
{
	__u64 *last, key;

	if (btf) {
		*o = bpf_sk_storage_get(&owners, (void *)sk, 0, 0);
		return *o && (*o)->probe_last_ns &&
		       now - (*o)->probe_last_ns < targ_probe_interval_ns;
	}
	key = probe_key(sk, cookie);
	last = bpf_map_lookup_elem(&probe_last, &key);
	return last && now - *last < targ_probe_interval_ns;
}

static __always_inline void probe_stamp(const struct sock *sk, __u64 cookie, __u64 now,
					struct owner *o, const bool btf)
{
	__u64 key;

	if (btf) {
		if (!o)
			o = bpf_sk_storage_get(&owners, (void *)sk, 0, BPF_SK_STORAGE_GET_F_CREATE);
		if (o)
			o->probe_last_ns = now;
		return;
	}
	key = probe_key(sk, cookie);
	bpf_map_update_elem(&probe_last, &key, &now, BPF_ANY);
}

static __always_inline int handle_probe(const struct sock *sk, const struct sk_buff *skb,
					__u64 cookie, const bool btf)
{
	const struct tcp_sock *tp = (const void *)sk;
	struct owner *o = NULL;
	struct event e = {};
	unsigned char *head;
	__u16 th_off;
	__u8 doff;

	e.ts_ns = bpf_ktime_get_ns();
	if (targ_probe_interval_ns && probe_recent(sk, cookie, e.ts_ns, &o, btf)) {
		count(CNT_SAMPLED(EV_PROBE));
		return 0;
	}
	if (!fill_sock(&e, sk, cookie, btf) || !keep(&e) || !owner_pass(&e, sk, EV_PROBE, btf))
		return 0;
	if (targ_probe_interval_ns)
		probe_stamp(sk, cookie, e.ts_ns, o, btf);
	e.type = EV_PROBE;
	/* tp_btf: the verifier types sk as struct sock, so the tcp_sock
	 * fields need the helper's typed pointer for plain loads. */
	if (btf && (tp = bpf_skc_to_tcp_sock((void *)sk))) {
		e.probe.snd_cwnd = tp->snd_cwnd;
		e.probe.ssthresh = tp->snd_ssthresh;
		e.probe.srtt_us = tp->srtt_us >> 3;
		e.probe.snd_wnd = tp->snd_wnd;
		e.probe.rcv_wnd = tp->rcv_wnd;
		e.probe.inflight = tp->snd_nxt - tp->snd_una;
	} else {
		tp = (const void *)sk;
		e.probe.snd_cwnd = BPF_CORE_READ(tp, snd_cwnd);
		e.probe.ssthresh = BPF_CORE_READ(tp, snd_ssthresh);
		e.probe.srtt_us = BPF_CORE_READ(tp, srtt_us) >> 3;
		e.probe.snd_wnd = BPF_CORE_READ(tp, snd_wnd);
		e.probe.rcv_wnd = BPF_CORE_READ(tp, rcv_wnd);
		e.probe.inflight = BPF_CORE_READ(tp, snd_nxt) - BPF_CORE_READ(tp, snd_una);
	}
	/* Payload: skb->len less the TCP header (doff, the high nibble of
	 * byte 12). The IP header is already pulled at this point. */
	head = btf ? skb->head : BPF_CORE_READ(skb, head);
	th_off = btf ? skb->transport_header : BPF_CORE_READ(skb, transport_header);
	if (!bpf_probe_read_kernel(&doff, 1, head + th_off + 12)) {
		__u32 len = btf ? skb->len : BPF_CORE_READ(skb, len), hl = (doff >> 4) * 4;

		e.probe.data_len = len > hl ? len - hl : 0;
	}
	submit(&e);
	return 0;
}

/* The endpoints of a reset we send, from the segment it answers: its
 * addresses reversed (saddr is ours). False if it is neither IPv4 nor IPv6. */
static __always_inline bool fill_from_skb(struct event *e, const struct sk_buff *skb)
{
	unsigned char *head = BPF_CORE_READ(skb, head);
	__u16 nh = BPF_CORE_READ(skb, network_header);
	__u16 th = BPF_CORE_READ(skb, transport_header);
	__u8 ver = 0;
	__u16 pp[2] = {};

	bpf_probe_read_kernel(&ver, 1, head + nh);
	if ((ver >> 4) == 4) {
		e->family = 4;
		bpf_probe_read_kernel(e->daddr, 4, head + nh + 12);
		bpf_probe_read_kernel(e->saddr, 4, head + nh + 16);
	} else if ((ver >> 4) == 6) {
		e->family = 6;
		bpf_probe_read_kernel(e->daddr, 16, head + nh + 8);
		bpf_probe_read_kernel(e->saddr, 16, head + nh + 24);
	} else {
		return false;
	}
	bpf_probe_read_kernel(pp, 4, head + th);
	e->dport = bpf_ntohs(pp[0]);
	e->sport = bpf_ntohs(pp[1]);
	return true;
}

/* A reset we send: with a socket, or (sk NULL) for a segment that matched
 * none. A listener's socket has no peer (a non-SYN segment that found no
 * connection lands there): then the endpoints come from the segment too, so
 * the reset names the connection it ends. */
static __always_inline int handle_send_reset(const struct sock *sk, const struct sk_buff *skb,
					     __u32 reason, __u64 cookie, const bool btf)
{
	struct event e = {};

	if (sk) {
		if (!fill_sock(&e, sk, cookie, btf))
			return 0;
		e.reset.tcp_state =
		    btf ? sk->__sk_common.skc_state : BPF_CORE_READ(sk, __sk_common.skc_state);
		e.reset.has_sock = 1;
		if (e.reset.tcp_state == TCP_LISTEN && skb && !fill_from_skb(&e, skb))
			return 0;
	} else if (skb) {
		if (!fill_from_skb(&e, skb))
			return 0;
		e.netns = BPF_CORE_READ(skb, dev, nd_net.net, ns.inum);
	} else {
		return 0;
	}
	if (!keep(&e) || !owner_pass(&e, sk, EV_SEND_RESET, btf))
		return 0;
	e.ts_ns = bpf_ktime_get_ns();
	e.type = EV_SEND_RESET;
	e.reset.reason = reason;
	submit(&e);
	return 0;
}

static __always_inline int handle_recv_reset(const struct sock *sk, __u64 cookie, const bool btf)
{
	struct event e = {};

	if (!fill_sock(&e, sk, cookie, btf) || !keep(&e) || !owner_pass(&e, sk, EV_RECV_RESET, btf))
		return 0;
	e.ts_ns = bpf_ktime_get_ns();
	e.type = EV_RECV_RESET;
	e.reset.tcp_state =
	    btf ? sk->__sk_common.skc_state : BPF_CORE_READ(sk, __sk_common.skc_state);
	e.reset.has_sock = 1;
	submit(&e);
	return 0;
}

static __always_inline bool retransmit_has_err(void)
{
	return bpf_core_field_exists(struct trace_event_raw_tcp_retransmit_skb___new, err);
}

/* Kernel >= 6.10 passes the reset reason (commit "tcp: add reasons to
 * tcp_send_reset tracepoint", which also brought enum sk_rst_reason). Our
 * own flavour of the enum, so that the program also builds against an
 * older kernel's vmlinux.h (vmlinux/arm64 is 6.1's). */
enum sk_rst_reason___new {
	SK_RST_REASON_NOT_SPECIFIED___new,
};

static __always_inline bool send_reset_has_reason(void)
{
	return bpf_core_enum_value_exists(enum sk_rst_reason___new,
					  SK_RST_REASON_NOT_SPECIFIED___new);
}

/* raw_tp has no cookie helper: read the cookie the socket already has (it
 * is assigned on first use, e.g. getsockopt(SO_COOKIE); 0 if never). */
static __always_inline __u64 raw_cookie(const struct sock *sk)
{
	return sk ? BPF_CORE_READ(sk, __sk_common.skc_cookie.counter) : 0;
}

/*
 * Twin programs. The kernel skips a BPF program that is hit again on a CPU
 * where it is already running (a softirq interrupting it in process
 * context) and only counts that in the program's recursion_misses. So each
 * tracepoint gets a primary program and a rescue twin attached after it,
 * and the twin must tell, for its hit, whether the primary ran.
 *
 * Per CPU and tracepoint, both keep a flag up while they run, and the
 * primary logs an id of each hit in a small table that the twin clears.
 * - Primary flag up: this hit came in on top of a running primary, which
 *   the kernel skipped for it. The twin handles it.
 * - Otherwise the twin looks for its hit's id: found, the primary handled
 *   it; not found, the kernel skipped the primary in the few instructions
 *   of its run before or after the flag (its own prologue and epilogue),
 *   and the twin handles it.
 * - A primary that finds the twin's flag up logs nothing: it came in on top
 *   of a running twin, so the kernel will skip that twin for this hit, and
 *   the id would only stay behind. It stays behind when the hit lands in
 *   the twin's own prologue, before the flag: the twin clears such
 *   leftovers (every id logged after its own) once it finds its id, and a
 *   full table gives up its newest id, never the older one that twin is
 *   there for (hit_log).
 * Each rescue is counted; user space reports recursion_misses - rescues as
 * lost, so nothing is missed silently.
 *
 * (The first design kept the ids on a stack and nothing else. A softirq
 * that interrupted a twin left its own hits' ids behind; enough of them
 * pushed out the id of the interrupted twin's hit, and that twin sent its
 * hit a second time. The flag alone, the second design, rescued nothing
 * that landed in the primary's prologue or epilogue: about 3% of misses.
 * The third let a full table give up its oldest id: a burst of 16 hits in
 * a softirq on top of a twin's prologue pushed out that twin's id, and it
 * sent its hit twice, about one FIN churn of 5000 in eight.)
 */
/* struct twin_state, HIT_SLOTS and the NS_ keys: include/tcpscope.h. */
struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, NS_MAX);
	__type(key, __u32);
	__type(value, struct twin_state);
} twins SEC(".maps");

/* An id of this hit: the raw argument values (tp_btf types them as pointers
 * the verifier will not do arithmetic on, so copy them out as numbers),
 * salted with something that changes from one hit to the next on the same
 * socket and skb (the socket cookie, its total_retrans, the skb's sequence
 * numbers): the kernel reuses sk and skb addresses, and an old id left in
 * the table must not pass for a new hit. Never 0, which marks a free slot. */
static __always_inline __u64 id_mix(__u64 a0, __u64 a1, __u64 a2, __u64 salt)
{
	return ((a0 * 0x9E3779B97F4A7C15ULL) ^ (a1 * 0xC2B2AE3D27D4EB4FULL) ^
		(a2 + 0x165667B19E3779F9ULL) ^ (salt * 0x27D4EB2F165667C5ULL)) |
	       1;
}

static __always_inline __u64 hit_id(unsigned long long *ctx, int nargs, __u64 salt)
{
	__u64 a[3] = {};

	bpf_probe_read_kernel(a, nargs * sizeof(a[0]), ctx);
	return id_mix(a[0], a[1], a[2], salt);
}

/* Where the socket's cookie stands for its address: the cookie is never
 * reused, so (cookie, scalar arguments) tells hits apart at least as well
 * as (sk, scalar arguments, cookie) did, and the scalars and the cookie
 * need no copy out of ctx. Request sockets (cookie 0) do not come here. */
#define COOKIE_ID(cookie, a1, a2) id_mix((cookie), (a1), (a2), (cookie))

static __always_inline __u64 skb_seq_salt(const struct sk_buff *skb)
{
	const struct tcp_skb_cb *cb = (const void *)__builtin_preserve_access_index(&skb->cb);

	return ((__u64)BPF_CORE_READ(cb, seq) << 32) | BPF_CORE_READ(cb, end_seq);
}

/* Logs this many hits after it, an id no twin came for is a leftover for
 * sure: a live one waits at most for the interrupts nested in one hit. */
#define HIT_STALE (1ULL << 20)

/* A free slot; when the table is full, a stale one, else the newest: the
 * newest ids of a full table are those of a burst of hits nested in a
 * twin's prologue, which no twin will clear, while the id that twin is
 * there for is older than all of them and must stay. */
static __always_inline void hit_log(struct twin_state *t, __u64 id)
{
	__u64 newest = 0;
	__u32 pick = 0;

	for (int i = 0; i < HIT_SLOTS; i++) {
		if (!t->id[i] || t->at[i] + HIT_STALE < t->seq) {
			pick = i;
			break;
		}
		if (t->at[i] > newest) {
			newest = t->at[i];
			pick = i;
		}
	}
	pick &= HIT_SLOTS - 1;
	t->id[pick] = id;
	t->at[pick] = ++t->seq;
}

static __always_inline struct twin_state *twin_state_of(__u32 slot)
{
	return bpf_map_lookup_elem(&twins, &slot);
}

/* True when the primary logged this hit's id, which is then cleared, and
 * with it every id logged after it: hits nested in this hit's run have
 * had their twins by now, so what they left is leftovers. */
static __always_inline bool hit_clear(struct twin_state *t, __u64 id)
{
	__u64 at = 0;

	for (int i = 0; i < HIT_SLOTS; i++) {
		if (t->id[i] == id) {
			t->id[i] = 0;
			at = t->at[i];
			break;
		}
	}
	if (!at)
		return false;
	if (at != t->seq) /* something was logged after it */
		for (int i = 0; i < HIT_SLOTS; i++)
			if (t->at[i] > at)
				t->id[i] = 0;
	return true;
}

/*
 * The twin protocol for one hit, the same for every tracepoint. The primary
 * (rescue false) always handles its hit and logs its id unless it came in
 * on top of a running twin; the twin (rescue true) handles the hit only
 * when the kernel skipped the primary for it. True: this program handles
 * the hit. twin_leave() ends either side's run.
 */
static __always_inline bool twin_enter(struct twin_state *t, __u64 id, __u32 type,
				       const bool rescue)
{
	if (!rescue) {
		t->primary_on = 1;
		if (!t->twin_on)
			hit_log(t, id);
		return true;
	}
	/* Atomic: a nested twin's hit lands between a load and a store. */
	__sync_fetch_and_add(&t->dispatched, 1);
	t->twin_on = 1;
	if (t->primary_on || !hit_clear(t, id)) {
		count(CNT_RESCUED(type));
		return true;
	}
	return false;
}

static __always_inline void twin_leave(struct twin_state *t, const bool rescue)
{
	if (rescue)
		t->twin_on = 0;
	else
		t->primary_on = 0;
}

/*
 * One function per tracepoint: its hit's id, then its handler under the
 * twin protocol. btf and rescue are constants in each caller, so every
 * program keeps only its own flavour's path (raw_tp has no cookie helper:
 * it reads the cookie the socket already has). ctx is the tracepoint's
 * raw arguments, for the hit id and for arguments that only some kernels
 * pass.
 */
static __always_inline int retransmit_hit(unsigned long long *ctx, const struct sock *sk,
					  const struct sk_buff *skb, const bool btf,
					  const bool rescue)
{
	__u64 cookie = btf ? bpf_get_socket_cookie((void *)sk) : 0;
	__u64 id = hit_id(ctx, 2, BPF_CORE_READ((const struct tcp_sock *)sk, total_retrans));
	struct twin_state *t = twin_state_of(NS_RETX);

	if (!t)
		return 0;
	if (twin_enter(t, id, EV_RETRANSMIT, rescue))
		handle_retransmit(sk, skb, retransmit_has_err() ? (int)ctx[2] : 0,
				  btf ? cookie : raw_cookie(sk), btf);
	twin_leave(t, rescue);
	return 0;
}

static __always_inline int synack_hit(unsigned long long *ctx, const struct request_sock *req,
				      const bool rescue)
{
	__u64 id = hit_id(ctx, 2, BPF_CORE_READ(req, num_retrans));
	struct twin_state *t = twin_state_of(NS_SYNACK);

	if (!t)
		return 0;
	if (twin_enter(t, id, EV_RETRANSMIT, rescue))
		handle_synack(req);
	twin_leave(t, rescue);
	return 0;
}

static __always_inline int state_hit(unsigned long long *ctx, const struct sock *sk, int oldstate,
				     int newstate, const bool btf, const bool rescue)
{
	__u64 cookie = btf ? bpf_get_socket_cookie((void *)sk) : raw_cookie(sk);
	/* raw_tp's cookie may still be 0: its id needs the socket's address. */
	__u64 id = btf ? COOKIE_ID(cookie, oldstate, newstate) : hit_id(ctx, 3, cookie);
	struct twin_state *t = twin_state_of(NS_STATE);

	if (!t)
		return 0;
	if (twin_enter(t, id, EV_STATE, rescue)) {
		/* First, as the owner_state programs attached first would:
		 * this transition's own event carries the owner it records. */
		if (targ_state_owner)
			owner_on_state(sk, oldstate, newstate, btf);
		handle_state(sk, oldstate, newstate, cookie, btf);
	}
	twin_leave(t, rescue);
	return 0;
}

static __always_inline int probe_hit(unsigned long long *ctx, struct sock *sk,
				     const struct sk_buff *skb, const bool btf, const bool rescue)
{
	__u64 id = hit_id(ctx, 2, skb_seq_salt(skb));
	struct twin_state *t = twin_state_of(NS_PROBE);

	if (!t)
		return 0;
	if (twin_enter(t, id, EV_PROBE, rescue))
		handle_probe(sk, skb, btf ? bpf_get_socket_cookie(sk) : raw_cookie(sk), btf);
	twin_leave(t, rescue);
	return 0;
}

static __always_inline int send_reset_hit(unsigned long long *ctx, const struct sock *sk,
					  const struct sk_buff *skb, const bool btf,
					  const bool rescue)
{
	__u64 id = hit_id(ctx, 2, 0);
	struct twin_state *t = twin_state_of(NS_SEND_RST);
	__u64 cookie;

	if (!t)
		return 0;
	if (twin_enter(t, id, EV_SEND_RESET, rescue)) {
		if (btf)
			cookie = sk ? bpf_get_socket_cookie((void *)sk) : 0;
		else
			cookie = raw_cookie(sk);
		handle_send_reset(sk, skb, send_reset_has_reason() ? (__u32)ctx[2] : 0, cookie,
				  btf);
	}
	twin_leave(t, rescue);
	return 0;
}

static __always_inline int recv_reset_hit(unsigned long long *ctx, struct sock *sk, const bool btf,
					  const bool rescue)
{
	__u64 cookie = btf ? bpf_get_socket_cookie(sk) : raw_cookie(sk);
	__u64 id = btf ? COOKIE_ID(cookie, 0, 0) : hit_id(ctx, 1, cookie);
	struct twin_state *t = twin_state_of(NS_RECV_RST);

	if (!t)
		return 0;
	if (twin_enter(t, id, EV_RECV_RESET, rescue))
		handle_recv_reset(sk, cookie, btf);
	twin_leave(t, rescue);
	return 0;
}

/*
 * The programs: per tracepoint and attach flavour a primary and its rescue
 * twin, named <flavour>_<short name>[_rescue]; src/tracer/tracepoints.c
 * finds them by those names.
 */

/* ---- tp_btf ---- */

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(btf_retransmit, const struct sock *sk, const struct sk_buff *skb)
{
	return retransmit_hit(ctx, sk, skb, true, false);
}

SEC("tp_btf/tcp_retransmit_skb")
int BPF_PROG(btf_retransmit_rescue, const struct sock *sk, const struct sk_buff *skb)
{
	return retransmit_hit(ctx, sk, skb, true, true);
}

SEC("tp_btf/tcp_retransmit_synack")
int BPF_PROG(btf_synack, const struct sock *sk, const struct request_sock *req)
{
	return synack_hit(ctx, req, false);
}

SEC("tp_btf/tcp_retransmit_synack")
int BPF_PROG(btf_synack_rescue, const struct sock *sk, const struct request_sock *req)
{
	return synack_hit(ctx, req, true);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(btf_state, const struct sock *sk, int oldstate, int newstate)
{
	return state_hit(ctx, sk, oldstate, newstate, true, false);
}

SEC("tp_btf/inet_sock_set_state")
int BPF_PROG(btf_state_rescue, const struct sock *sk, int oldstate, int newstate)
{
	return state_hit(ctx, sk, oldstate, newstate, true, true);
}

SEC("tp_btf/tcp_probe")
int BPF_PROG(btf_probe, struct sock *sk, const struct sk_buff *skb)
{
	return probe_hit(ctx, sk, skb, true, false);
}

SEC("tp_btf/tcp_probe")
int BPF_PROG(btf_probe_rescue, struct sock *sk, const struct sk_buff *skb)
{
	return probe_hit(ctx, sk, skb, true, true);
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(btf_send_reset, const struct sock *sk, const struct sk_buff *skb)
{
	return send_reset_hit(ctx, sk, skb, true, false);
}

SEC("tp_btf/tcp_send_reset")
int BPF_PROG(btf_send_reset_rescue, const struct sock *sk, const struct sk_buff *skb)
{
	return send_reset_hit(ctx, sk, skb, true, true);
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(btf_recv_reset, struct sock *sk)
{
	return recv_reset_hit(ctx, sk, true, false);
}

SEC("tp_btf/tcp_receive_reset")
int BPF_PROG(btf_recv_reset_rescue, struct sock *sk)
{
	return recv_reset_hit(ctx, sk, true, true);
}

/* ---- raw_tp: the fallback for kernels without typed tracepoints ---- */

SEC("raw_tp/tcp_retransmit_skb")
int BPF_PROG(raw_retransmit, const struct sock *sk, const struct sk_buff *skb)
{
	return retransmit_hit(ctx, sk, skb, false, false);
}

SEC("raw_tp/tcp_retransmit_skb")
int BPF_PROG(raw_retransmit_rescue, const struct sock *sk, const struct sk_buff *skb)
{
	return retransmit_hit(ctx, sk, skb, false, true);
}

SEC("raw_tp/tcp_retransmit_synack")
int BPF_PROG(raw_synack, const struct sock *sk, const struct request_sock *req)
{
	return synack_hit(ctx, req, false);
}

SEC("raw_tp/tcp_retransmit_synack")
int BPF_PROG(raw_synack_rescue, const struct sock *sk, const struct request_sock *req)
{
	return synack_hit(ctx, req, true);
}

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(raw_state, const struct sock *sk, int oldstate, int newstate)
{
	return state_hit(ctx, sk, oldstate, newstate, false, false);
}

SEC("raw_tp/inet_sock_set_state")
int BPF_PROG(raw_state_rescue, const struct sock *sk, int oldstate, int newstate)
{
	return state_hit(ctx, sk, oldstate, newstate, false, true);
}

SEC("raw_tp/tcp_probe")
int BPF_PROG(raw_probe, struct sock *sk, const struct sk_buff *skb)
{
	return probe_hit(ctx, sk, skb, false, false);
}

SEC("raw_tp/tcp_probe")
int BPF_PROG(raw_probe_rescue, struct sock *sk, const struct sk_buff *skb)
{
	return probe_hit(ctx, sk, skb, false, true);
}

SEC("raw_tp/tcp_send_reset")
int BPF_PROG(raw_send_reset, const struct sock *sk, const struct sk_buff *skb)
{
	return send_reset_hit(ctx, sk, skb, false, false);
}

SEC("raw_tp/tcp_send_reset")
int BPF_PROG(raw_send_reset_rescue, const struct sock *sk, const struct sk_buff *skb)
{
	return send_reset_hit(ctx, sk, skb, false, true);
}

SEC("raw_tp/tcp_receive_reset")
int BPF_PROG(raw_recv_reset, struct sock *sk)
{
	return recv_reset_hit(ctx, sk, false, false);
}

SEC("raw_tp/tcp_receive_reset")
int BPF_PROG(raw_recv_reset_rescue, struct sock *sk)
{
	return recv_reset_hit(ctx, sk, false, true);
}

#include "drop.bpf.h"
#include "cong.bpf.h"

char LICENSE[] SEC("license") = "Dual BSD/GPL";
