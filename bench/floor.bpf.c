// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The floor: programs that do nothing but return 0, on the tracepoints
 * tcpscope attaches, as tp_btf like tcpscope's own. What a tracer of these
 * tracepoints costs before it reads or records anything: the dispatch.
 * Two per tracepoint (<name> and <name>_2) stand for tcpscope's primary
 * and rescue twin; bench/floor.c attaches one or both.
 *
 * <name>_r is the ring floor: it writes one record of tcpscope's event size
 * (120 bytes) to a ring buffer per hit, with the query and wakeup rule of
 * tcpscope's submit() and nothing else: what one ring record per event costs
 * before a tracer reads the kernel or its maps. <name>_p writes the same
 * record to a perf buffer instead (per CPU, no ring lock): the transport
 * tcpscope does not use, for comparison.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define EVENT_SIZE  120		/* sizeof(struct event), include/tcpscope.h */
#define WAKEUP_EACH (256 << 10) /* tcpscope's DEFAULT_WAKEUP */

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 16 << 20); /* tcpscope's default */
} ring SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERF_EVENT_ARRAY);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, sizeof(__u32));
} perf SEC(".maps");

static __always_inline int perf_record(void *ctx)
{
	__u8 rec[EVENT_SIZE] = {};

	bpf_perf_event_output(ctx, &perf, BPF_F_CURRENT_CPU, rec, sizeof(rec));
	return 0;
}

static __always_inline int ring_record(void)
{
	__u8 rec[EVENT_SIZE] = {};
	__u64 avail = bpf_ringbuf_query(&ring, BPF_RB_AVAIL_DATA), flags = BPF_RB_NO_WAKEUP;

	if (avail / WAKEUP_EACH != (avail + sizeof(rec)) / WAKEUP_EACH)
		flags = BPF_RB_FORCE_WAKEUP;
	bpf_ringbuf_output(&ring, rec, sizeof(rec), flags);
	return 0;
}

#define FLOOR(tp, name)                                                                            \
	SEC("tp_btf/" #tp) int name(void *ctx)                                                     \
	{                                                                                          \
		return 0;                                                                          \
	}                                                                                          \
	SEC("tp_btf/" #tp) int name##_2(void *ctx)                                                 \
	{                                                                                          \
		return 0;                                                                          \
	}

/* With a ring variant: the tracepoints where tcpscope emits an event per
 * hit (drops only for TCP segments, owners never: those keep return 0). */
#define FLOOR_RING(tp, name)                                                                       \
	FLOOR(tp, name)                                                                            \
	SEC("tp_btf/" #tp) int name##_r(void *ctx)                                                 \
	{                                                                                          \
		return ring_record();                                                              \
	}                                                                                          \
	SEC("tp_btf/" #tp) int name##_p(void *ctx)                                                 \
	{                                                                                          \
		return perf_record(ctx);                                                           \
	}

FLOOR_RING(inet_sock_set_state, f_state)
FLOOR_RING(tcp_retransmit_skb, f_retransmit)
FLOOR_RING(tcp_retransmit_synack, f_synack)
FLOOR_RING(tcp_probe, f_probe)
FLOOR_RING(tcp_send_reset, f_send_reset)
FLOOR_RING(tcp_receive_reset, f_recv_reset)
FLOOR_RING(tcp_cong_state_set, f_cong)
FLOOR(kfree_skb, f_drop)
FLOOR(sock_send_length, f_owner_send)
FLOOR(sock_recv_length, f_owner_recv)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
