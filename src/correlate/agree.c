// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include "correlate/agree.h"

static unsigned int ring_len(const struct conn *c)
{
	return c->rtx_head < CONN_RTX_RING ? c->rtx_head : CONN_RTX_RING;
}

static unsigned int ring_slot(const struct conn *c, unsigned int back)
{
	return (c->rtx_head - 1 - back) % CONN_RTX_RING;
}

/*
 * Retransmits after the last poll (taken just before close()): those sent
 * between that poll and close(), a FIN the orphaned socket retransmits,
 * are among the last few, which the ring keeps. Unknown when all of the
 * ring came after the poll and there were more.
 */
int64_t agree__bpf_segs(const struct conn *c)
{
	int64_t segs = c->retrans_segs;
	unsigned int i, n = ring_len(c);

	for (i = 0; i < n; i++) {
		unsigned int s = ring_slot(c, i);

		if (c->rtx_ts[s] <= c->info_ns)
			return segs;
		segs -= c->rtx_segs[s];
	}
	return c->rtx_head > CONN_RTX_RING ? -1 : segs;
}

int64_t agree__bpf_total(const struct conn *c)
{
	unsigned int i, n = ring_len(c);

	for (i = 0; i < n; i++) {
		unsigned int s = ring_slot(c, i);

		if (c->rtx_ts[s] <= c->info_ns)
			return c->rtx_total[s];
	}
	return c->rtx_head ? -1 : 0;
}

enum agree_verdict agree__verdict(const struct conn *c, bool lost_rtx)
{
	int64_t bpf;

	if (!c->done || !c->uest_ns)
		return AGREE_NONE;
	bpf = agree__bpf_segs(c);
	if (!c->info_valid || bpf < 0)
		return AGREE_UNVERIFIED;
	if (bpf == c->info_total_retrans)
		return AGREE_AGREED;
	if (lost_rtx && bpf < c->info_total_retrans)
		return AGREE_UNVERIFIED; /* some of its events may be among the lost */
	/* Every retransmit was seen, but the kernel added more to
	 * total_retrans than the skb's segment count at the tracepoint (the
	 * events' own total_retrans shows it). */
	if (agree__bpf_total(c) == c->info_total_retrans)
		return AGREE_DRIFT;
	return AGREE_MISMATCHED;
}

void agree__json_counts(const struct agree_tally *t, struct jw *w)
{
	jw_u64(w, "connections", t->checked);
	jw_u64(w, "agreed", t->agreed);
	jw_u64(w, "mismatched", t->mismatched);
	jw_u64(w, "unverified", t->unverified);
	jw_u64(w, "segment_count_drift", t->drift);
	jw_u64(w, "kernel_ahead", t->kernel_ahead);
}

static void list(const struct conn **v, size_t *n, const struct conn *c)
{
	if (*n < AGREE_LISTED)
		v[(*n)++] = c;
}

void agree__add(struct agree_tally *t, const struct conn *c, bool lost_rtx)
{
	int64_t total;

	switch (agree__verdict(c, lost_rtx)) {
	case AGREE_NONE:
		return;
	case AGREE_UNVERIFIED:
		if (t->nunverified_listed < AGREE_LISTED)
			t->unverified_cookies[t->nunverified_listed++] = c->cookie;
		t->unverified++;
		return;
	case AGREE_AGREED:
		t->agreed++;
		break;
	case AGREE_DRIFT:
		list(t->drifts, &t->ndrift, c);
		t->drift++;
		break;
	case AGREE_MISMATCHED:
		/* TCP_INFO ahead of every event's own total_retrans: the kernel
		 * counted a retransmit without firing the tracepoint (seen on
		 * 6.18, and bpftrace sees no hit either). */
		total = agree__bpf_total(c);
		if (total >= 0 && total < c->info_total_retrans)
			t->kernel_ahead++;
		list(t->mismatches, &t->nmismatch, c);
		t->mismatched++;
		break;
	}
	t->checked++;
}
