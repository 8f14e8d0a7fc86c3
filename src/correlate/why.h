/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Why, in stress --trace's summary: the drops this host saw, by reason,
 * and a verdict for each of our client connections that did not end
 * normally (rules in verdict.c), with an example connection each.
 */
#ifndef TCPSCOPE_WHY_H
#define TCPSCOPE_WHY_H

#include <stdio.h>
#include "correlate/conntab.h"
#include "correlate/verdict.h"
#include "lib/jsonw.h"

struct why_summary {
	struct drop_count drops;
	struct drop_count drops_ours; /* those on our connections */
	uint64_t verdicts[VERDICT_MAX];
	const struct conn *example[VERDICT_MAX]; /* the first of each */
	uint64_t drops_on_conns;		 /* drops joined to our connections */
};

/* The evidence on c's timeline, and its verdict. */
struct verdict conn__verdict(const struct conn *c);
/* One connection into the tally (our client connections only). */
void why__count(struct why_summary *w, const struct conn *c);
void why__print_text(const struct why_summary *w, FILE *f);
/* "drops" and "verdicts" members of the trace object. */
void why__print_json(const struct why_summary *w, struct jw *j);
/* c's "drops" and "verdict" members, for its JSON object. */
void why__conn_json(struct jw *j, const struct conn *c);
/* One {"type":"why",...} line per connection of ours: its verdict ("" if
 * none), the drops joined to it beside the segments it retransmitted. */
void why__timeline(FILE *f, const struct conntab *t);

#endif

/* trace's verdicts, from the kernel's events alone (no load engine): a
 * connection is judged at its transition to CLOSE, from what its resets,
 * retransmits and drops said before. Entries are made only for sockets
 * with a reset or a drop (and, by trace --top, a retransmit), and only
 * while they can still reach CLOSE (not after it, nor for TIME_WAIT or
 * request sockets); at CLOSE the entry goes, unless it retransmitted and
 * keep_retransmitting (--top lists it). Memory grows with the connections
 * open at once and with the retransmitting ones, not with all of them. */
struct why_trace {
	bool keep_retransmitting;
	struct drop_count drops; /* every drop event, by reason, as stress's */
	uint64_t verdicts[VERDICT_MAX];
	struct conn example[VERDICT_MAX]; /* the identity of the first of each */
	struct verdict example_v[VERDICT_MAX];
};

/* One event; t is trace's table of connections. */
void why_trace__event(struct why_trace *w, struct conntab *t, const struct event *e);
/* The drops: line (when there were drops) and one line per verdict. */
void why_trace__print_text(const struct why_trace *w, FILE *f);
/* The "drops" and "verdicts" members. */
void why_trace__print_json(const struct why_trace *w, struct jw *j);
