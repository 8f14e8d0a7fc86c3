// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The tracepoint table: see tracepoints.h. */
#include <string.h>
#include "tracer/tracepoints.h"

const struct tracepoint tracepoints[] = {
	/* Owner rows first: a tracepoint runs its programs in the order they
	 * were attached, so the owner connect() or listen() records is there
	 * for that transition's own event. With state events on, the state
	 * row's programs record it themselves first and owner_state stays
	 * off (select_programs()). */
	{ "sock", "inet_sock_set_state", "owner_state", EV_OWNER, NULL, 0,
	  TWIN_OWNER(OWNER_NS_STATE) },
	{ "sock", "sock_send_length", "owner_send", EV_OWNER,
	  "accepted sockets stay unattributed (pid 0) until their owner's close() or "
	  "shutdown(); the cgroup is unaffected",
	  0, TWIN_OWNER(OWNER_NS_SEND) },
	{ "sock", "sock_recv_length", "owner_recv", EV_OWNER,
	  "accepted sockets stay unattributed (pid 0) until their owner's close() or "
	  "shutdown(); the cgroup is unaffected",
	  0, TWIN_OWNER(OWNER_NS_RECV) },
	{ "tcp", "tcp_retransmit_skb", "retransmit", EV_RETRANSMIT, NULL, 0, NS_RETX },
	/* SYN-ACKs go through tcp_retransmit_synack, not _skb, and the
	 * kernel counts them in RetransSegs too. */
	{ "tcp", "tcp_retransmit_synack", "synack", EV_RETRANSMIT, NULL, 0, NS_SYNACK },
	{ "sock", "inet_sock_set_state", "state", EV_STATE, NULL, 0, NS_STATE },
	{ "tcp", "tcp_probe", "probe", EV_PROBE, NULL, 0, NS_PROBE },
	{ "tcp", "tcp_send_reset", "send_reset", EV_SEND_RESET, NULL, 0, NS_SEND_RST },
	{ "tcp", "tcp_receive_reset", "recv_reset", EV_RECV_RESET, NULL, 0, NS_RECV_RST },
	/* Drops: two signatures (bpf/drop.bpf.h). */
	{ "skb", "kfree_skb", "drop", EV_DROP,
	  "no drop events: skb:kfree_skb passes no drop reason (kernels before 5.17)", 3, NS_DROP },
	{ "skb", "kfree_skb", "drop_rx", EV_DROP,
	  "no drop events: skb:kfree_skb passes no drop reason (kernels before 5.17)", 4, NS_DROP },
	/* Congestion states (bpf/cong.bpf.h): in 6.1 and later. */
	{ "tcp", "tcp_cong_state_set", "cong", EV_CONG,
	  "no cong events (no congestion timeline): the kernel has no tcp:tcp_cong_state_set; "
	  "retransmit events still carry the socket's ca_state",
	  0, NS_CONG },
};

const size_t ntracepoints = sizeof(tracepoints) / sizeof(tracepoints[0]);

const struct tracepoint *tracepoint_variant(const char *name, int nargs)
{
	size_t i;

	for (i = 0; i < ntracepoints; i++) {
		const struct tracepoint *tp = &tracepoints[i];

		if (strcmp(tp->name, name))
			continue;
		if (nargs < 0 || !tp->nargs || tp->nargs == (unsigned int)nargs)
			return tp;
	}
	return NULL;
}

_Static_assert(sizeof(tracepoints) / sizeof(tracepoints[0]) <= TP_MAX,
	       "TP_MAX: the loader's arrays need room for every tracepoint");
