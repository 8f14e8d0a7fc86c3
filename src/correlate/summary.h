/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* stress --trace's summary: computed once from the join, then rendered as
 * text or as the "trace" member of stress --json. */
#ifndef TCPSCOPE_SUMMARY_H
#define TCPSCOPE_SUMMARY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "correlate/agree.h"
#include "correlate/conntab.h"
#include "correlate/why.h"
#include "lib/hist.h"
#include "lib/jsonw.h"
#include "tracer/owner.h"

#define SUMMARY_PATHS 64
#define SUMMARY_TOP   10 /* in JSON; the text shows the first 5 */

struct path_count {
	uint8_t side;
	uint8_t n;
	uint8_t st[14];
	uint64_t count;
};

struct corr_summary {
	const char *attach;
	bool trace_all;
	uint64_t events[EV_TYPE_MAX], foreign[EV_TYPE_MAX];
	struct rtx_count rtx;
	uint64_t reasons[64];
	uint64_t lost, lost_by_type[EV_TYPE_MAX], recursion_misses, recursion_rescued;
	uint64_t untraced;
	uint64_t events_untracked; /* events the join had no room for (conntab limit) */
	/* our connections */
	uint64_t ours, clients, servers;
	uint64_t syn_conns, never_established, reset_before_user;
	uint64_t rst_sent[3], rst_recv[3]; /* by side: unknown, client, server */
	struct agree_tally agree;
	const struct hist *handshake_ns, *in_state_ns; /* the join's, TCP_NSTATES */
	struct hist by_syn[4]; /* connect latency by SYN retransmits: 0, 1, 2, 3+ */
	struct path_count paths[SUMMARY_PATHS];
	size_t npaths;
	uint64_t other_paths;
	const struct conn *top_rtx[SUMMARY_TOP], *top_srtt[SUMMARY_TOP];
	size_t ntop_rtx, ntop_srtt;
	struct why_summary why;		  /* drops by reason, verdicts */
	const struct cong_tally *cong;	  /* the join's congestion intervals */
	const struct owner_tally *owners; /* the correlator's, by process and cgroup */
	struct tracer_counts tc;	  /* for what the owner filters left out */
};

struct correlator;

/* Computed at the first call after correlator__stop(), then kept; NULL
 * when out of memory. */
const struct corr_summary *correlator__summary(struct correlator *k);
void corr_summary__free(struct corr_summary *s);
/* connect_ns: the load engine's connect() latency (text only). */
void corr_summary__print_text(const struct corr_summary *s, const struct hist *connect_ns, FILE *f);
void corr_summary__print_json(const struct corr_summary *s, struct jw *w);
/* "client FIN: SYN_SENT ESTABLISHED ..." paths the test and the text
 * call usual. */
bool path_usual(const struct path_count *p);

#endif
