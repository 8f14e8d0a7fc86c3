// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* --metrics: Prometheus text exposition of the tracer's events. */
#include <errno.h>
#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tracer/events.h"
#include "metrics/metrics.h"
#include "lib/parse.h"
#include "lib/tcpstate.h"
#include "lib/util.h"

#define NREASONS  64
#define SYN_SLOTS 65536 /* handshakes in progress, 4-way buckets */
#define SYN_WAYS  4
#define FRESH	  4u /* in metrics.middle: published since the server last took it */

/* Seconds: from a fast loopback handshake to a SYN retransmitted thrice. */
static const double buckets_s[] = { 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
				    0.005,   0.01,   0.025,   0.05,   0.1,   0.25,
				    0.5,     1,	     2.5,     5,      10 };
#define NBUCKETS (sizeof(buckets_s) / sizeof(buckets_s[0]))

struct mhist {
	uint64_t count;
	uint64_t sum_ns;
	uint64_t le[NBUCKETS]; /* non-cumulative; summed when written */
};

struct syn_slot {
	uint64_t cookie, ts;
};

struct counters {
	uint64_t events[EV_TYPE_MAX];
	uint64_t rtx[RK_MAX], rtx_segs[RK_MAX];
	uint64_t transitions[TCP_NSTATES][TCP_NSTATES];
	uint64_t resets_sent[NREASONS], resets_received;
	struct mhist handshake, srtt;
	uint64_t handshake_untracked; /* ESTABLISHED whose SYN_SENT we did not hold */
};

/*
 * live is the event thread's alone, counted as before, with no atomics.
 * At each poll tick it copies live into copies[back] and swaps that slot
 * for the middle one; the server swaps its own (front) for the middle when
 * that is fresh. A triple buffer: neither side ever waits, and a scrape
 * reads one tick's counters whole, never half of one.
 */
struct metrics {
	struct counters live;
	struct counters copies[3];
	unsigned int back;	     /* the event thread's */
	unsigned int front;	     /* the server thread's */
	_Atomic unsigned int middle; /* slot | FRESH */
	struct metrics_source src;   /* counts NULL: none */
	struct httpd *srv;
	struct syn_slot syn[SYN_SLOTS];
};

static void mhist_record(struct mhist *h, uint64_t ns)
{
	size_t i;

	h->count++;
	h->sum_ns += ns;
	for (i = 0; i < NBUCKETS; i++) {
		if ((double)ns <= buckets_s[i] * 1e9) {
			h->le[i]++;
			return;
		}
	}
}

static struct syn_slot *syn_bucket(struct metrics *m, uint64_t cookie)
{
	uint64_t x = cookie * 0x9e3779b97f4a7c15ULL;

	return &m->syn[(x >> 40) % (SYN_SLOTS / SYN_WAYS) * SYN_WAYS];
}

static void syn_start(struct metrics *m, uint64_t cookie, uint64_t ts)
{
	struct syn_slot *b = syn_bucket(m, cookie), *old = b;
	int i;

	for (i = 0; i < SYN_WAYS; i++) {
		if (!b[i].cookie || b[i].cookie == cookie) {
			b[i] = (struct syn_slot){ cookie, ts };
			return;
		}
		if (b[i].ts < old->ts)
			old = &b[i];
	}
	*old = (struct syn_slot){ cookie, ts }; /* a stale entry: its CLOSE was lost */
}

static uint64_t syn_take(struct metrics *m, uint64_t cookie)
{
	struct syn_slot *b = syn_bucket(m, cookie);
	uint64_t ts;
	int i;

	for (i = 0; i < SYN_WAYS; i++) {
		if (b[i].cookie == cookie) {
			ts = b[i].ts;
			b[i] = (struct syn_slot){ 0, 0 };
			return ts;
		}
	}
	return 0;
}

static void count_state(struct metrics *m, struct counters *n, const struct event *e)
{
	uint64_t ts;

	if (e->state.oldstate < TCP_NSTATES && e->state.newstate < TCP_NSTATES)
		n->transitions[e->state.oldstate][e->state.newstate]++;
	if (!e->cookie)
		return;
	if (e->state.newstate == TCP_STATE_SYN_SENT) {
		syn_start(m, e->cookie, e->ts_ns);
	} else if (e->state.newstate == TCP_STATE_ESTABLISHED &&
		   e->state.oldstate == TCP_STATE_SYN_SENT) {
		ts = syn_take(m, e->cookie);
		if (ts && e->ts_ns >= ts)
			mhist_record(&n->handshake, e->ts_ns - ts);
		else
			n->handshake_untracked++;
	} else if (e->state.newstate == TCP_STATE_CLOSE) {
		syn_take(m, e->cookie);
	}
}

void metrics__event(struct metrics *m, const struct event *e)
{
	struct counters *n = &m->live;
	unsigned int k;

	if (e->type >= EV_TYPE_MAX)
		return;
	n->events[e->type]++;
	switch (e->type) {
	case EV_RETRANSMIT:
		k = e->retrans.kind < RK_MAX ? e->retrans.kind : RK_OTHER;
		n->rtx[k]++;
		n->rtx_segs[k] += e->retrans.segs;
		break;
	case EV_STATE:
		count_state(m, n, e);
		break;
	case EV_PROBE:
		mhist_record(&n->srtt, (uint64_t)e->probe.srtt_us * 1000);
		break;
	case EV_SEND_RESET:
		n->resets_sent[e->reset.reason < NREASONS ? e->reset.reason : 0]++;
		break;
	case EV_RECV_RESET:
		n->resets_received++;
		break;
	}
}

void metrics__publish(struct metrics *m)
{
	m->copies[m->back] = m->live;
	m->back =
	    atomic_exchange_explicit(&m->middle, m->back | FRESH, memory_order_acq_rel) & ~FRESH;
}

/* The server's side: the copy published last. */
static const struct counters *latest(struct metrics *m)
{
	if (atomic_load_explicit(&m->middle, memory_order_relaxed) & FRESH)
		m->front =
		    atomic_exchange_explicit(&m->middle, m->front, memory_order_acq_rel) & ~FRESH;
	return &m->copies[m->front];
}

static void header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample per event type; v NULL: all 0 (the counts were unreadable). */
static void by_type(FILE *f, const char *name, const uint64_t *v)
{
	unsigned int i;

	for (i = 0; i < EV_TYPE_MAX; i++)
		fprintf(f, "%s{type=\"%s\"} %" PRIu64 "\n", name, ev_type_name(i), v ? v[i] : 0);
}

static void hist_write(FILE *f, const char *name, const char *help, const struct mhist *h)
{
	uint64_t cum = 0;
	size_t i;

	header(f, name, "histogram", help);
	for (i = 0; i < NBUCKETS; i++) {
		cum += h->le[i];
		fprintf(f, "%s_bucket{le=\"%g\"} %" PRIu64 "\n", name, buckets_s[i], cum);
	}
	fprintf(f, "%s_bucket{le=\"+Inf\"} %" PRIu64 "\n", name, h->count);
	fprintf(f, "%s_sum %.9f\n", name, (double)h->sum_ns / 1e9);
	fprintf(f, "%s_count %" PRIu64 "\n", name, h->count);
}

void metrics__write(struct metrics *m, const struct metrics_source *src, FILE *f)
{
	const struct counters *n = latest(m);
	struct tracer_counts tc = {};
	bool have_counts = src && src->counts && !src->counts(src->ctx, &tc);
	unsigned int i, j;
	const char *r;

	header(f, "tcpscope_build_info", "gauge", "tcpscope version and attach mode");
	fprintf(f, "tcpscope_build_info{version=\"%s\",attach=\"%s\"} 1\n", TCPSCOPE_VERSION,
		src && src->attach ? src->attach : "none");
	header(f, "tcpscope_events_total", "counter", "Events delivered to user space, by type");
	by_type(f, "tcpscope_events_total", n->events);
	header(f, "tcpscope_lost_events_total", "counter",
	       "Events that matched the filters and never reached user space (ring buffer full, "
	       "or nested hits not rescued), by type");
	by_type(f, "tcpscope_lost_events_total", have_counts ? tc.lost : NULL);
	header(f, "tcpscope_unrun_hits_total", "counter",
	       "Tracepoint hits the kernel ran no tcpscope program for (tracefs counted them; "
	       "any socket's, so at most this many events asked for are lost), by type");
	by_type(f, "tcpscope_unrun_hits_total", have_counts ? tc.unrun : NULL);
	header(f, "tcpscope_syn_recv_holds_total", "counter",
	       "Accepted sockets' LISTEN -> SYN_RECV held for the child's identity (kernels "
	       "before ~6.15), by what became of them: released, or evicted (the event lost)");
	fprintf(f, "tcpscope_syn_recv_holds_total{outcome=\"released\"} %" PRIu64 "\n",
		have_counts ? tc.syn_recv_released : 0);
	fprintf(f, "tcpscope_syn_recv_holds_total{outcome=\"evicted\"} %" PRIu64 "\n",
		have_counts ? tc.syn_recv_evicted : 0);
	header(f, "tcpscope_retransmits_total", "counter", "Retransmit events, by kind");
	for (i = 0; i < RK_MAX; i++)
		fprintf(f, "tcpscope_retransmits_total{kind=\"%s\"} %" PRIu64 "\n",
			retrans_kind_name(i), n->rtx[i]);
	header(f, "tcpscope_retransmit_segments_total", "counter",
	       "Segments carried by retransmit events (compare with RetransSegs), by kind");
	for (i = 0; i < RK_MAX; i++)
		fprintf(f, "tcpscope_retransmit_segments_total{kind=\"%s\"} %" PRIu64 "\n",
			retrans_kind_name(i), n->rtx_segs[i]);
	header(f, "tcpscope_state_transitions_total", "counter",
	       "TCP state changes, by old and new state (pairs seen so far)");
	for (i = 0; i < TCP_NSTATES; i++)
		for (j = 0; j < TCP_NSTATES; j++)
			if (n->transitions[i][j])
				fprintf(f,
					"tcpscope_state_transitions_total{old=\"%s\",new=\"%s\"} "
					"%" PRIu64 "\n",
					tcp_state_name(i), tcp_state_name(j), n->transitions[i][j]);
	header(f, "tcpscope_resets_sent_total", "counter",
	       "Resets sent, by the kernel's reason (kernels >= 6.10; else unknown)");
	for (i = 0; i < NREASONS; i++) {
		if (!n->resets_sent[i])
			continue;
		r = reset_reason_name(i);
		fprintf(f, "tcpscope_resets_sent_total{reason=\"%s\"} %" PRIu64 "\n",
			*r ? r : "unknown", n->resets_sent[i]);
	}
	header(f, "tcpscope_resets_received_total", "counter", "Resets received");
	fprintf(f, "tcpscope_resets_received_total %" PRIu64 "\n", n->resets_received);
	hist_write(f, "tcpscope_handshake_seconds",
		   "Kernel handshake latency, SYN_SENT to ESTABLISHED, of connections we open",
		   &n->handshake);
	header(f, "tcpscope_handshakes_untracked_total", "counter",
	       "Handshakes completed whose SYN_SENT was not seen (not in the histogram)");
	fprintf(f, "tcpscope_handshakes_untracked_total %" PRIu64 "\n", n->handshake_untracked);
	hist_write(f, "tcpscope_srtt_seconds",
		   "Smoothed RTT of probe samples (one per socket per --probe-interval)", &n->srtt);
	if (m->srv)
		httpd__write(m->srv, f);
}

static void page(void *ctx, FILE *f)
{
	struct metrics *m = ctx;

	metrics__write(m, &m->src, f);
}

int metrics__open(struct metrics **mp, const char *addr, const char *cmd)
{
	struct sockaddr_storage ss;
	struct metrics *m;
	socklen_t len;
	int err;

	*mp = NULL;
	err = parse_sockaddr(addr, false, &ss, &len);
	if (err) {
		fprintf(stderr,
			"tcpscope %s: bad value '%s' for --metrics: expected a numeric "
			"ADDR:PORT such as 127.0.0.1:9464 or [::1]:9464\n",
			cmd, addr);
		return err;
	}
	m = calloc(1, sizeof(*m));
	if (!m)
		return -ENOMEM;
	m->back = 0;
	m->front = 1;
	atomic_init(&m->middle, 2);
	err = httpd__open(&m->srv, &ss, len);
	if (err) {
		fprintf(stderr, "tcpscope %s: --metrics %s: %s\n", cmd, addr, errno_name(-err));
		metrics__destroy(m);
		return err;
	}
	*mp = m;
	return 0;
}

int metrics__start(struct metrics *m, const struct metrics_source *src,
		   const struct httpd_limits *lim, const char *cmd)
{
	int err;

	if (src)
		m->src = *src;
	err = httpd__start(m->srv, lim, page, m);
	if (err)
		fprintf(stderr, "tcpscope %s: --metrics: starting its thread: %s\n", cmd,
			errno_name(-err));
	return err;
}

void metrics__destroy(struct metrics *m)
{
	if (!m)
		return;
	httpd__destroy(m->srv);
	free(m);
}
