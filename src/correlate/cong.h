/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The congestion timeline of stress --trace: from the cong events
 * (tcp:tcp_cong_state_set), each connection's intervals in Open, Disorder,
 * CWR, Recovery and Loss, and the run's time-in-state distributions.
 */
#ifndef TCPSCOPE_CONG_H
#define TCPSCOPE_CONG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "lib/hist.h"
#include "lib/jsonw.h"

#define CA_NSTATES 5 /* TCP_CA_Open .. TCP_CA_Loss */

/* One connection's: the state it is in, since when, and its totals. */
struct conn_cong {
	uint64_t since_ns;	      /* entered the current state; 0: not known */
	uint64_t in_ns[CA_NSTATES];   /* closed intervals, summed */
	uint16_t entered[CA_NSTATES]; /* intervals begun (Open's first not counted) */
	uint8_t ca;		      /* the current state */
	uint8_t closed;		      /* the socket closed: no interval is open */
};

/* The run's. on: the tracepoint is attached (else nothing is counted, and
 * the summary says why). */
struct cong_tally {
	bool on;
	uint64_t sets;		      /* cong events of our connections */
	uint64_t set_to[CA_NSTATES];  /* by the state set, changed or not */
	uint64_t entered[CA_NSTATES]; /* changes into each state */
	/* Events whose state left is not the one the connection's last event
	 * set: a change the tracepoint never reported (seen on 6.18 beside
	 * retransmits missing from tcp_retransmit_skb, no event lost). */
	uint64_t gaps;
	struct hist in_state_ns[CA_NSTATES]; /* one sample per closed interval */
};

void cong_tally__init(struct cong_tally *t, bool on);
/* A cong event of the connection: closes the interval of the state left
 * (when its start is known: since the last change, or for Open since
 * established_ns) and opens the new one. Returns the closed interval's
 * length, 0 if none. */
uint64_t cong__set(struct cong_tally *t, struct conn_cong *c, uint64_t ts, unsigned int old,
		   unsigned int new, uint64_t established_ns);
/* The socket reached CLOSE at ts: its current interval ends. */
void cong__close(struct cong_tally *t, struct conn_cong *c, uint64_t ts, uint64_t established_ns);
/* Does the connection have anything but Open? */
bool cong__eventful(const struct conn_cong *c);

/* A connection's "congestion": {"Loss": {"intervals": 1, "us": 812.3}, ...}. */
void cong__conn_json(const struct conn_cong *c, struct jw *w);

#endif
