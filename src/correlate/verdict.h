/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Why a connection did not end normally: one verdict from the evidence on
 * its timeline. The rules live here and nowhere else (unit-tested in
 * tests/unit/test_verdict.c); the correlator and trace fill the evidence.
 */
#ifndef TCPSCOPE_VERDICT_H
#define TCPSCOPE_VERDICT_H

#include <stdbool.h>
#include <stdint.h>

enum verdict_kind {
	VERDICT_NONE,		 /* ended normally, or not ended */
	VERDICT_REFUSED,	 /* a reset answered its SYN */
	VERDICT_SYN_TIMEOUT,	 /* no SYN-ACK after n SYN retransmits */
	VERDICT_RESET_BY_PEER,	 /* established, then a reset came in */
	VERDICT_RESET_LOCALLY,	 /* established, then this host sent a reset */
	VERDICT_DROPPED_LOCALLY, /* retransmissions ran out while this host
				  * dropped the connection's segments */
	VERDICT_TIMEOUT,	 /* retransmissions ran out */
	VERDICT_ABORTED,	 /* ended otherwise: user timeout, abort, ... */
	VERDICT_MAX,
};

/* What the timeline says about one connection. */
struct verdict_evidence {
	bool established;	/* reached ESTABLISHED */
	bool ended;		/* reached CLOSE, or the load engine gave up */
	bool fin_close;		/* went through FIN_WAIT1/2, CLOSING, LAST_ACK or
				 * CLOSE_WAIT: an orderly close began */
	bool reset_in_syn_sent; /* a reset received in SYN_SENT */
	uint32_t syn_retransmits;
	uint32_t resets_received;
	uint32_t resets_sent;
	bool planned_reset;    /* its owner closed it with a reset on purpose
				* (SO_LINGER 0, stress --close rst): normal */
	uint32_t reset_reason; /* of the last reset sent (0: none given) */
	uint32_t drops;	       /* segments of it this host dropped */
	uint32_t drop_reason;  /* of the last drop */
	int err;	       /* the load engine's errno (0: none or unknown) */
};

struct verdict {
	enum verdict_kind kind;
	uint32_t n;	 /* syn_timeout: SYN retransmits */
	uint32_t reason; /* reset_locally: reset reason; dropped_locally: drop
			  * reason (codes of the running kernel's enums) */
};

struct verdict verdict_of(const struct verdict_evidence *ev);
/* "refused", "syn_timeout", ...; "" for VERDICT_NONE. */
const char *verdict_name(enum verdict_kind kind);

#endif
