/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Does what BPF saw agree with what the socket said? Per connection, the
 * segments of its sent retransmits up to its last TCP_INFO poll against
 * that poll's tcpi_total_retrans. One rule for stress --trace (from the
 * events) and tcpscope report (from the timeline they left).
 */
#ifndef TCPSCOPE_AGREE_H
#define TCPSCOPE_AGREE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "correlate/conntab.h"
#include "lib/jsonw.h"

#define AGREE_LISTED 10 /* connections named per verdict */

enum agree_verdict {
	AGREE_NONE,	  /* not ours to check: no close() record, or never established */
	AGREE_UNVERIFIED, /* no TCP_INFO, or its retransmits cannot be known */
	AGREE_AGREED,
	AGREE_DRIFT, /* every retransmit seen; the kernel counted more segments */
	AGREE_MISMATCHED,
};

struct agree_tally {
	uint64_t checked; /* agreed + drift + mismatched */
	uint64_t agreed, drift, mismatched, unverified;
	uint64_t kernel_ahead; /* mismatched with TCP_INFO ahead of every event */
	const struct conn *drifts[AGREE_LISTED], *mismatches[AGREE_LISTED];
	size_t ndrift, nmismatch;
	uint64_t unverified_cookies[AGREE_LISTED];
	size_t nunverified_listed;
};

/* The segments BPF saw sent up to the last TCP_INFO poll (-1: unknown). */
int64_t agree__bpf_segs(const struct conn *c);
/* The socket's own total_retrans at its last retransmit before the poll
 * (-1: unknown). */
int64_t agree__bpf_total(const struct conn *c);
/* lost_rtx: retransmit events were lost in the run. */
enum agree_verdict agree__verdict(const struct conn *c, bool lost_rtx);
/* Count c's verdict into t. */
void agree__add(struct agree_tally *t, const struct conn *c, bool lost_rtx);
/* The counts as members of the JSON object open in w: "connections"
 * (checked), "agreed", "mismatched", "unverified", "segment_count_drift",
 * "kernel_ahead". */
void agree__json_counts(const struct agree_tally *t, struct jw *w);

#endif
