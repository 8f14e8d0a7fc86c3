// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The tracepoint table: see tracepoints.h. */
#include "tracer/tracepoints.h"

const struct tracepoint tracepoints[] = {
	/* Owner rows first: a tracepoint runs its programs in the order they
	 * were attached, so the owner connect() or listen() records is there
	 * for that transition's own event. */
	{ "sock", "inet_sock_set_state", "owner_state", EV_OWNER, NULL },
	{ "sock", "sock_send_length", "owner_send", EV_OWNER,
	  "accepted sockets stay unattributed (pid 0) until their owner's close() or "
	  "shutdown(); the cgroup is unaffected" },
	{ "sock", "sock_recv_length", "owner_recv", EV_OWNER,
	  "accepted sockets stay unattributed (pid 0) until their owner's close() or "
	  "shutdown(); the cgroup is unaffected" },
	{ "tcp", "tcp_retransmit_skb", "retransmit", EV_RETRANSMIT, NULL },
	/* SYN-ACKs go through tcp_retransmit_synack, not _skb, and the
	 * kernel counts them in RetransSegs too. */
	{ "tcp", "tcp_retransmit_synack", "synack", EV_RETRANSMIT, NULL },
	{ "sock", "inet_sock_set_state", "state", EV_STATE, NULL },
	{ "tcp", "tcp_probe", "probe", EV_PROBE, NULL },
	{ "tcp", "tcp_send_reset", "send_reset", EV_SEND_RESET, NULL },
	{ "tcp", "tcp_receive_reset", "recv_reset", EV_RECV_RESET, NULL },
};

const size_t ntracepoints = sizeof(tracepoints) / sizeof(tracepoints[0]);

_Static_assert(sizeof(tracepoints) / sizeof(tracepoints[0]) <= TP_MAX,
	       "TP_MAX: the loader's arrays need room for every tracepoint");
