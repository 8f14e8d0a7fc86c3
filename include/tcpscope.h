/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The event record shared by the BPF programs (bpf/tcpscope.bpf.c) and the
 * user-space loader. Fixed-width fields only, largest first, so that the
 * layout is the same for clang -target bpf and for the host compiler.
 */
#ifndef TCPSCOPE_H
#define TCPSCOPE_H

enum ev_type {
	EV_RETRANSMIT = 0,
	EV_STATE = 1,
	EV_PROBE = 2,
	EV_SEND_RESET = 3,
	EV_RECV_RESET = 4,
	EV_DROP = 5, /* skb:kfree_skb of a TCP segment */
	EV_CONG = 6, /* tcp:tcp_cong_state_set: a congestion state set */
	EV_TYPE_MAX,
};

/* The tracepoint table's type for rows that send no events of their own
 * but record each socket's owner for the others (bpf/owner.bpf.h). */
#define EV_OWNER EV_TYPE_MAX

enum retrans_kind {
	RK_FAST = 0,   /* ca_state Recovery: fast retransmit */
	RK_RTO = 1,    /* ca_state Loss: retransmission timeout */
	RK_SYN = 2,    /* SYN or SYN-ACK retransmitted (SYN_SENT / SYN_RECV) */
	RK_FAILED = 3, /* the retransmit itself failed (err != 0) */
	RK_OTHER = 4,  /* anything else: Disorder, CWR without a probe */
	RK_TLP = 5,    /* tail loss probe: the loss-probe timer fired in Open/CWR */
	RK_MAX,
};

/* Bits of the event mask (rodata targ_events). */
#define EVMASK(t) (1u << (t))

struct ev_state {
	__u8 oldstate;
	__u8 newstate;
};

struct ev_retrans {
	__u32 total_retrans; /* tp->total_retrans after this retransmit */
	__s32 err;
	__u16 segs; /* tcp_skb_pcount(skb): segments in this skb */
	__u8 tcp_state;
	__u8 ca_state;
	__u8 kind; /* enum retrans_kind */
	__u8 icsk_retransmits;
	__u8 icsk_pending; /* the retransmit timer's event when it was sent */
	__u8 pad[3];
};

struct ev_probe {
	__u32 snd_cwnd;
	__u32 ssthresh;
	__u32 srtt_us;
	__u32 snd_wnd;
	__u32 rcv_wnd;
	__u32 inflight; /* snd_nxt - snd_una, bytes */
	__u32 data_len; /* payload of the incoming skb */
};

struct ev_reset {
	__u32 reason;	/* enum sk_rst_reason (send side, kernels >= 6.10) */
	__u8 tcp_state; /* state of the socket when the reset was sent/received */
	__u8 has_sock;	/* send side: 0 when the kernel had no socket */
};

struct ev_drop {
	__u32 reason;	/* enum skb_drop_reason, as the kernel passed it */
	__u8 has_sock;	/* 1: the endpoints are a socket's (skb->sk or the
			 * receiving socket); 0: the packet's, reversed when
			 * it was received */
	__u8 tcp_state; /* the socket's state, when has_sock */
	__u8 tcp_flags; /* the segment's flags (FIN 0x01, SYN 0x02, RST 0x04,
			 * PSH 0x08, ACK 0x10) */
	__u8 rx;	/* 1: a segment this host received, 0: one it sent */
	__u32 len;	/* skb->len */
	__u32 ip_len;	/* the IP datagram's length, from its header (IPv4
			 * total length, IPv6 40 + payload length): what an
			 * nft counter adds; 0: the header gives none (GSO) */
	__u32 payload;	/* TCP payload bytes, from the IP and TCP headers;
			 * 0: a control segment (SYN, FIN, RST, bare ACK) */
};

struct ev_cong {
	__u32 snd_cwnd; /* when the state was set, before the new state's
			 * congestion control hook ran */
	__u32 ssthresh;
	__u32 total_retrans;
	__u8 old_ca; /* icsk_ca_state before: the tracepoint fires
		      * before tcp_set_ca_state() assigns it */
	__u8 new_ca; /* the state set (it may equal old_ca: a second
		      * RTO sets Loss again) */
	__u8 tcp_state;
	__u8 icsk_retransmits;
};

struct event {
	__u64 ts_ns;	 /* bpf_ktime_get_ns(): CLOCK_MONOTONIC */
	__u64 cookie;	 /* bpf_get_socket_cookie() == getsockopt(SO_COOKIE) */
	__u64 cgroup_id; /* the socket's cgroup v2 id (its kernfs inode); 0: unknown */
	__u32 netns;	 /* network namespace inode */
	__u32 pid;	 /* the socket's owner (tgid); 0: not known yet */
	__u16 sport;	 /* host byte order */
	__u16 dport;
	__u8 saddr[16]; /* v4 in the first 4 bytes */
	__u8 daddr[16];
	char comm[16]; /* the owner's comm; "" while pid is 0 */
	__u8 family;   /* 4 or 6 */
	__u8 type;     /* enum ev_type */
	__u8 pad[2];
	union {
		struct ev_state state;
		struct ev_retrans retrans;
		struct ev_probe probe;
		struct ev_reset reset;
		struct ev_drop drop;
		struct ev_cong cong;
	};
};

/* Filters, set in rodata between open and load. */
#define MAX_CIDRS 8
#define MAX_PORTS 64

struct cidr {
	__u8 addr[16];
	__u8 family; /* 4 or 6 */
	__u8 prefix;
};

/* The BPF side's form of a CIDR: network-order words, pre-masked. */
struct cidr_filter {
	__u32 addr[4];
	__u32 mask[4];
	__u8 family;
	__u8 pad[3];
};

/* Owner filters (--pid, --cgroup): a cgroup and everything below it is
 * the one whose ancestor at level is id. */
#define MAX_PIDS    16
#define MAX_CGROUPS 8

struct cgroup_filter {
	__u64 id;
	__u32 level; /* 0: the v2 root */
	__u32 pad;
};

/* Keys of the per-CPU counters map, per event type: seen (passed the
 * filters), lost (ring buffer full), sampled out (probe interval), rescued
 * (a hit the primary program missed by recursion, taken by its twin). */
#define CNT_SEEN(t)    (t)
#define CNT_LOST(t)    (EV_TYPE_MAX + (t))
#define CNT_SAMPLED(t) (2 * EV_TYPE_MAX + (t))
#define CNT_RESCUED(t) (3 * EV_TYPE_MAX + (t)) /* t up to EV_OWNER */
/* Left out by --pid, --comm or --cgroup because the socket's owner (or
 * cgroup) was not known yet: the filter could not decide. */
#define CNT_UNOWNED(t) (4 * EV_TYPE_MAX + 1 + (t))
/* A child's LISTEN -> SYN_RECV held until the child has its identity
 * (kernels before upstream "inet: consolidate inet_csk_clone_lock()"), and
 * those released at the child's next transition: held - released were
 * evicted from the hold (their events lost) or are half-open still. */
#define CNT_SYN_RECV_HELD     (5 * EV_TYPE_MAX + 1)
#define CNT_SYN_RECV_RELEASED (5 * EV_TYPE_MAX + 2)
#define CNT_MAX		      (5 * EV_TYPE_MAX + 3)

/*
 * The twin programs' per-CPU state, one per tracepoint (bpf/tcpscope.bpf.c
 * explains the protocol). User space reads dispatched: the hits the
 * kernel ran the twin for, which with the twin's recursion misses is every
 * hit the kernel gave our programs at all, checked against tracefs's own
 * count of the tracepoint's hits (src/tracer/crosscheck.c).
 */
#define HIT_SLOTS 16

struct twin_state {
	__u64 dispatched;
	__u32 primary_on;
	__u32 twin_on;
	__u64 seq;
	__u64 id[HIT_SLOTS];
	__u64 at[HIT_SLOTS];
};

/* Keys of the twins map, and of the owner_twins map (bpf/owner.bpf.h). */
enum { NS_RETX, NS_SYNACK, NS_STATE, NS_PROBE, NS_SEND_RST, NS_RECV_RST, NS_DROP, NS_CONG, NS_MAX };
enum { OWNER_NS_STATE, OWNER_NS_SEND, OWNER_NS_RECV, OWNER_NS_MAX };

#endif /* TCPSCOPE_H */
