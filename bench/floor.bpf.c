// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The floor: programs that do nothing but return 0, on the tracepoints
 * tcpscope attaches, as tp_btf like tcpscope's own. What a tracer of these
 * tracepoints costs before it reads or records anything: the dispatch.
 * Two per tracepoint (<name> and <name>_2) stand for tcpscope's primary
 * and rescue twin; bench/floor.c attaches one or both.
 */
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

#define FLOOR(tp, name)                                                                            \
	SEC("tp_btf/" #tp) int name(void *ctx)                                                     \
	{                                                                                          \
		return 0;                                                                          \
	}                                                                                          \
	SEC("tp_btf/" #tp) int name##_2(void *ctx)                                                 \
	{                                                                                          \
		return 0;                                                                          \
	}

FLOOR(inet_sock_set_state, f_state)
FLOOR(tcp_retransmit_skb, f_retransmit)
FLOOR(tcp_retransmit_synack, f_synack)
FLOOR(tcp_probe, f_probe)
FLOOR(tcp_send_reset, f_send_reset)
FLOOR(tcp_receive_reset, f_recv_reset)
FLOOR(kfree_skb, f_drop)
FLOOR(sock_send_length, f_owner_send)
FLOOR(sock_recv_length, f_owner_recv)

char LICENSE[] SEC("license") = "Dual BSD/GPL";
