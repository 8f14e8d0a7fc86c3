// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* --metrics: Prometheus text exposition of the tracer's events. */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>
#include "tracer/events.h"
#include "metrics/metrics.h"
#include "lib/parse.h"
#include "lib/util.h"

#define NSTATES	    14
#define NREASONS    64
#define SYN_SLOTS   65536 /* handshakes in progress, 4-way buckets */
#define SYN_WAYS    4
#define MAX_SCRAPES 8 /* per metrics__serve() call */
#define REQ_MAX	    4096

/* Seconds: from a fast loopback handshake to a SYN retransmitted thrice. */
static const double buckets_s[] = {0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025,
				   0.005,   0.01,   0.025,   0.05,   0.1,   0.25,
				   0.5,	    1,	    2.5,     5,	     10};
#define NBUCKETS (sizeof(buckets_s) / sizeof(buckets_s[0]))

struct mhist {
	uint64_t count;
	uint64_t sum_ns;
	uint64_t le[NBUCKETS]; /* non-cumulative; summed when written */
};

struct syn_slot {
	uint64_t cookie, ts;
};

struct metrics {
	int fd;
	uint64_t events[EV_TYPE_MAX];
	uint64_t rtx[RK_MAX], rtx_segs[RK_MAX];
	uint64_t transitions[NSTATES][NSTATES];
	uint64_t resets_sent[NREASONS], resets_received;
	struct mhist handshake, srtt;
	uint64_t handshake_untracked; /* ESTABLISHED whose SYN_SENT we did not hold */
	uint64_t scrapes;
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
			b[i] = (struct syn_slot){cookie, ts};
			return;
		}
		if (b[i].ts < old->ts)
			old = &b[i];
	}
	*old = (struct syn_slot){cookie, ts}; /* a stale entry: its CLOSE was lost */
}

static uint64_t syn_take(struct metrics *m, uint64_t cookie)
{
	struct syn_slot *b = syn_bucket(m, cookie);
	uint64_t ts;
	int i;

	for (i = 0; i < SYN_WAYS; i++) {
		if (b[i].cookie == cookie) {
			ts = b[i].ts;
			b[i] = (struct syn_slot){0, 0};
			return ts;
		}
	}
	return 0;
}

void metrics__event(struct metrics *m, const struct event *e)
{
	unsigned int k;
	uint64_t ts;

	if (e->type >= EV_TYPE_MAX)
		return;
	m->events[e->type]++;
	switch (e->type) {
	case EV_RETRANSMIT:
		k = e->retrans.kind < RK_MAX ? e->retrans.kind : RK_OTHER;
		m->rtx[k]++;
		m->rtx_segs[k] += e->retrans.segs;
		break;
	case EV_STATE:
		if (e->state.oldstate < NSTATES && e->state.newstate < NSTATES)
			m->transitions[e->state.oldstate][e->state.newstate]++;
		if (!e->cookie)
			break;
		if (e->state.newstate == TCP_STATE_SYN_SENT) {
			syn_start(m, e->cookie, e->ts_ns);
		} else if (e->state.newstate == TCP_STATE_ESTABLISHED &&
			   e->state.oldstate == TCP_STATE_SYN_SENT) {
			ts = syn_take(m, e->cookie);
			if (ts && e->ts_ns >= ts)
				mhist_record(&m->handshake, e->ts_ns - ts);
			else
				m->handshake_untracked++;
		} else if (e->state.newstate == TCP_STATE_CLOSE) {
			syn_take(m, e->cookie);
		}
		break;
	case EV_PROBE:
		mhist_record(&m->srtt, (uint64_t)e->probe.srtt_us * 1000);
		break;
	case EV_SEND_RESET:
		m->resets_sent[e->reset.reason < NREASONS ? e->reset.reason : 0]++;
		break;
	case EV_RECV_RESET:
		m->resets_received++;
		break;
	}
}

static void header(FILE *f, const char *name, const char *type, const char *help)
{
	fprintf(f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
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

void metrics__write(struct metrics *m, struct tracer *t, FILE *f)
{
	struct tracer_counts tc = {};
	bool have_counts = t && !tracer__counts(t, &tc);
	unsigned int i, j;
	const char *r;

	header(f, "tcpscope_build_info", "gauge", "tcpscope version and attach mode");
	fprintf(f, "tcpscope_build_info{version=\"%s\",attach=\"%s\"} 1\n", TCPSCOPE_VERSION,
		t ? tracer__attach_name(t) : "none");
	header(f, "tcpscope_events_total", "counter", "Events delivered to user space, by type");
	for (i = 0; i < EV_TYPE_MAX; i++)
		fprintf(f, "tcpscope_events_total{type=\"%s\"} %" PRIu64 "\n", ev_type_name(i),
			m->events[i]);
	header(f, "tcpscope_lost_events_total", "counter",
	       "Events that matched the filters and never reached user space (ring buffer full, "
	       "or nested hits not rescued), by type");
	for (i = 0; i < EV_TYPE_MAX; i++)
		fprintf(f, "tcpscope_lost_events_total{type=\"%s\"} %" PRIu64 "\n", ev_type_name(i),
			have_counts ? tc.lost[i] : 0);
	header(f, "tcpscope_retransmits_total", "counter", "Retransmit events, by kind");
	for (i = 0; i < RK_MAX; i++)
		fprintf(f, "tcpscope_retransmits_total{kind=\"%s\"} %" PRIu64 "\n",
			retrans_kind_name(i), m->rtx[i]);
	header(f, "tcpscope_retransmit_segments_total", "counter",
	       "Segments carried by retransmit events (compare with RetransSegs), by kind");
	for (i = 0; i < RK_MAX; i++)
		fprintf(f, "tcpscope_retransmit_segments_total{kind=\"%s\"} %" PRIu64 "\n",
			retrans_kind_name(i), m->rtx_segs[i]);
	header(f, "tcpscope_state_transitions_total", "counter",
	       "TCP state changes, by old and new state (pairs seen so far)");
	for (i = 0; i < NSTATES; i++)
		for (j = 0; j < NSTATES; j++)
			if (m->transitions[i][j])
				fprintf(f,
					"tcpscope_state_transitions_total{old=\"%s\",new=\"%s\"} "
					"%" PRIu64 "\n",
					tcp_state_name(i), tcp_state_name(j), m->transitions[i][j]);
	header(f, "tcpscope_resets_sent_total", "counter",
	       "Resets sent, by the kernel's reason (kernels >= 6.10; else unknown)");
	for (i = 0; i < NREASONS; i++) {
		if (!m->resets_sent[i])
			continue;
		r = reset_reason_name(i);
		fprintf(f, "tcpscope_resets_sent_total{reason=\"%s\"} %" PRIu64 "\n",
			*r ? r : "unknown", m->resets_sent[i]);
	}
	header(f, "tcpscope_resets_received_total", "counter", "Resets received");
	fprintf(f, "tcpscope_resets_received_total %" PRIu64 "\n", m->resets_received);
	hist_write(f, "tcpscope_handshake_seconds",
		   "Kernel handshake latency, SYN_SENT to ESTABLISHED, of connections we open",
		   &m->handshake);
	header(f, "tcpscope_handshakes_untracked_total", "counter",
	       "Handshakes completed whose SYN_SENT was not seen (not in the histogram)");
	fprintf(f, "tcpscope_handshakes_untracked_total %" PRIu64 "\n", m->handshake_untracked);
	hist_write(f, "tcpscope_srtt_seconds",
		   "Smoothed RTT of probe samples (one per socket per --probe-interval)", &m->srtt);
	header(f, "tcpscope_scrapes_total", "counter", "Scrapes of /metrics answered");
	fprintf(f, "tcpscope_scrapes_total %" PRIu64 "\n", m->scrapes);
}

/* One request, one answer, then close: HTTP/1.0. A client has half a
 * second to send its request. */
static void answer(struct metrics *m, struct tracer *t, int c)
{
	static const char not_found[] = "HTTP/1.0 404 Not Found\r\nContent-Type: text/plain\r\n"
					"Content-Length: 24\r\nConnection: close\r\n\r\n"
					"tcpscope: try /metrics\n";
	struct timeval tv = {0, 500000};
	char req[REQ_MAX + 1], *body = NULL, head[200];
	size_t blen = 0, got = 0;
	ssize_t n;
	FILE *f;

	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	while (got < REQ_MAX) {
		n = recv(c, req + got, REQ_MAX - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
		req[got] = 0;
		if (strstr(req, "\r\n\r\n") || strstr(req, "\n\n"))
			break;
	}
	req[got] = 0;
	if (strncmp(req, "GET /metrics ", 13) && strncmp(req, "GET /metrics?", 13) &&
	    strncmp(req, "GET /metrics\r", 13)) {
		if (got)
			send(c, not_found, sizeof(not_found) - 1, MSG_NOSIGNAL);
		return;
	}
	m->scrapes++;
	f = open_memstream(&body, &blen);
	if (!f)
		return;
	metrics__write(m, t, f);
	if (fclose(f))
		return;
	n = snprintf(head, sizeof(head),
		     "HTTP/1.0 200 OK\r\nContent-Type: text/plain; "
		     "version=0.0.4; charset=utf-8\r\nContent-Length: %zu\r\nConnection: close"
		     "\r\n\r\n",
		     blen);
	if (send(c, head, (size_t)n, MSG_NOSIGNAL | MSG_MORE) == n)
		for (got = 0; got < blen; got += (size_t)n)
			if ((n = send(c, body + got, blen - got, MSG_NOSIGNAL)) <= 0)
				break;
	free(body);
}

void metrics__serve(struct metrics *m, struct tracer *t)
{
	int i, c;

	for (i = 0; i < MAX_SCRAPES; i++) {
		c = accept4(m->fd, NULL, NULL, SOCK_CLOEXEC);
		if (c < 0)
			return; /* EAGAIN: nobody waiting */
		answer(m, t, c);
		close(c);
	}
}

int metrics__open(struct metrics **mp, const char *addr, const char *cmd)
{
	struct sockaddr_storage ss;
	struct metrics *m;
	socklen_t len;
	int one = 1, err;

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
	m->fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (m->fd < 0 || setsockopt(m->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(m->fd, (struct sockaddr *)&ss, len) || listen(m->fd, 16)) {
		err = -errno;
		fprintf(stderr, "tcpscope %s: --metrics %s: %s\n", cmd, addr, errno_name(-err));
		metrics__destroy(m);
		return err;
	}
	*mp = m;
	return 0;
}

void metrics__destroy(struct metrics *m)
{
	if (!m)
		return;
	if (m->fd >= 0)
		close(m->fd);
	free(m);
}
