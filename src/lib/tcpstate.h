/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* TCP states (include/net/tcp_states.h) and their two spellings, the
 * kernel's (tracepoints, TCP_INFO, JSON) and ss's (monitor's text): one
 * table that everything reads. */
#ifndef TCPSCOPE_TCPSTATE_H
#define TCPSCOPE_TCPSTATE_H

enum tcp_state_num {
	TCP_STATE_ESTABLISHED = 1,
	TCP_STATE_SYN_SENT = 2,
	TCP_STATE_SYN_RECV = 3,
	TCP_STATE_FIN_WAIT1 = 4,
	TCP_STATE_FIN_WAIT2 = 5,
	TCP_STATE_TIME_WAIT = 6,
	TCP_STATE_CLOSE = 7,
	TCP_STATE_CLOSE_WAIT = 8,
	TCP_STATE_LAST_ACK = 9,
	TCP_STATE_LISTEN = 10,
	TCP_STATE_CLOSING = 11,
	TCP_STATE_NEW_SYN_RECV = 12,
	TCP_STATE_BOUND_INACTIVE = 13,
	TCP_NSTATES /* arrays indexed by state; 0 is "UNKNOWN" */
};

/* "ESTABLISHED", "TIME_WAIT"; "UNKNOWN" out of range. */
const char *tcp_state_name(unsigned int state);
/* "ESTAB", "TIME-WAIT", as ss prints them; "UNKNOWN" out of range. */
const char *tcp_state_ss_name(unsigned int state);
/* Either spelling, any case ("established", "time-wait", "close"): the
 * state, or -EINVAL. */
int tcp_state_parse(const char *s);

#endif
