// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <strings.h>
#include "lib/tcpstate.h"

static const struct {
	const char *kernel, *ss;
} names[TCP_NSTATES] = {
	[0] = { "UNKNOWN", "UNKNOWN" },
	[TCP_STATE_ESTABLISHED] = { "ESTABLISHED", "ESTAB" },
	[TCP_STATE_SYN_SENT] = { "SYN_SENT", "SYN-SENT" },
	[TCP_STATE_SYN_RECV] = { "SYN_RECV", "SYN-RECV" },
	[TCP_STATE_FIN_WAIT1] = { "FIN_WAIT1", "FIN-WAIT-1" },
	[TCP_STATE_FIN_WAIT2] = { "FIN_WAIT2", "FIN-WAIT-2" },
	[TCP_STATE_TIME_WAIT] = { "TIME_WAIT", "TIME-WAIT" },
	[TCP_STATE_CLOSE] = { "CLOSE", "UNCONN" },
	[TCP_STATE_CLOSE_WAIT] = { "CLOSE_WAIT", "CLOSE-WAIT" },
	[TCP_STATE_LAST_ACK] = { "LAST_ACK", "LAST-ACK" },
	[TCP_STATE_LISTEN] = { "LISTEN", "LISTEN" },
	[TCP_STATE_CLOSING] = { "CLOSING", "CLOSING" },
	[TCP_STATE_NEW_SYN_RECV] = { "NEW_SYN_RECV", "NEW-SYN-RECV" },
	[TCP_STATE_BOUND_INACTIVE] = { "BOUND_INACTIVE", "BOUND-INACTIVE" },
};

const char *tcp_state_name(unsigned int state)
{
	return state < TCP_NSTATES ? names[state].kernel : names[0].kernel;
}

const char *tcp_state_ss_name(unsigned int state)
{
	return state < TCP_NSTATES ? names[state].ss : names[0].ss;
}

int tcp_state_parse(const char *s)
{
	int i;

	for (i = 1; i < TCP_NSTATES; i++)
		if (!strcasecmp(s, names[i].ss) || !strcasecmp(s, names[i].kernel))
			return i;
	return -EINVAL;
}
