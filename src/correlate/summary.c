// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* stress --trace's summary: one pass over the joined connections into a
 * struct corr_summary, and its text and JSON renderers. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "correlate/internal.h"
#include "correlate/summary.h"
#include "lib/util.h"
#include "tracer/events.h"
#include "tracer/holds.h"
#include "tracer/unrun.h"

#define TEXT_TOP 5

/* ---- computing it ---- */

bool path_usual(const struct path_count *p)
{
	enum {
		SENT = TCP_STATE_SYN_SENT,
		RECV = TCP_STATE_SYN_RECV,
		EST = TCP_STATE_ESTABLISHED,
		FW1 = TCP_STATE_FIN_WAIT1,
		FW2 = TCP_STATE_FIN_WAIT2,
		CLOSE = TCP_STATE_CLOSE,
		CW = TCP_STATE_CLOSE_WAIT,
		LA = TCP_STATE_LAST_ACK,
	};
	/* FIN_WAIT2 is skipped when the peer's FIN comes with its ACK. */
	static const uint8_t client_fin[] = { SENT, EST, FW1, FW2, CLOSE },
			     client_fin_ack[] = { SENT, EST, FW1, CLOSE },
			     client_rst[] = { SENT, EST, CLOSE },
			     server_fin[] = { RECV, EST, CW, LA, CLOSE },
			     server_rst[] = { RECV, EST, CLOSE },
			     server_peer_rst[] = { RECV, EST, CW, CLOSE };
	static const struct {
		const uint8_t *st;
		size_t n;
	} known[] = {
		{ client_fin, sizeof(client_fin) }, { client_fin_ack, sizeof(client_fin_ack) },
		{ client_rst, sizeof(client_rst) }, { server_fin, sizeof(server_fin) },
		{ server_rst, sizeof(server_rst) }, { server_peer_rst, sizeof(server_peer_rst) },
	};
	size_t i;

	for (i = 0; i < ARRAY_SIZE(known); i++)
		if (p->n == known[i].n && !memcmp(p->st, known[i].st, known[i].n))
			return true;
	return false;
}

static void count_path(struct corr_summary *s, const struct conn *c)
{
	uint8_t n = c->npath < sizeof(c->path) ? c->npath : sizeof(c->path);
	struct path_count *p;
	size_t i;

	for (i = 0; i < s->npaths; i++) {
		p = &s->paths[i];
		if (p->side == c->side && p->n == n && !memcmp(p->st, c->path, n)) {
			p->count++;
			return;
		}
	}
	if (s->npaths == SUMMARY_PATHS) {
		s->other_paths++;
		return;
	}
	p = &s->paths[s->npaths++];
	p->side = c->side;
	p->n = n;
	memcpy(p->st, c->path, n);
	p->count = 1;
}

/* The user-space side of one of our client connections: how its connect()
 * went, by SYN retransmits. */
static void count_connect(struct corr_summary *s, const struct conn *c)
{
	uint32_t syns = c->by_kind[RK_SYN];

	if (!c->kest_ns)
		s->never_established++;
	if (!c->uest_ns) {
		/* The kernel got there, but a reset came before connect() could
		 * report it. */
		if (c->kest_ns)
			s->reset_before_user++;
		return;
	}
	if (syns)
		s->syn_conns++;
	hist__record(&s->by_syn[syns < 3 ? syns : 3], c->uest_ns - c->connect_ns);
}

static void count_conn(struct corr_summary *s, const struct conn *c, bool lost_rtx)
{
	unsigned int side = c->side < 3 ? c->side : SIDE_UNKNOWN;

	if (!c->ours || c->side == SIDE_LISTENER)
		return;
	s->ours++;
	if (c->side == SIDE_SERVER)
		s->servers++;
	else if (c->side == SIDE_CLIENT || c->done)
		s->clients++;
	if (c->npath || c->done)
		count_path(s, c);
	why__count(&s->why, c);
	s->rst_sent[side] += c->resets_sent;
	s->rst_recv[side] += c->resets_received;
	if (!c->done)
		return;
	count_connect(s, c);
	agree__add(&s->agree, c, lost_rtx);
}

static uint32_t key_segs(const struct conn *c)
{
	return c->retrans_segs;
}

static uint32_t key_srtt(const struct conn *c)
{
	return c->max_srtt_us;
}

/* Our first SUMMARY_TOP connections in cmp's order with a nonzero key. */
static size_t pick_top(const struct conn **top, struct conn **all, size_t nall,
		       int (*cmp)(const void *, const void *), uint32_t (*key)(const struct conn *))
{
	size_t i, n = 0;

	qsort(all, nall, sizeof(*all), cmp);
	for (i = 0; i < nall && n < SUMMARY_TOP && key(all[i]); i++)
		if (all[i]->ours)
			top[n++] = all[i];
	return n;
}

static void copy_counts(struct corr_summary *s, const struct correlator *k)
{
	s->attach = k->attach;
	s->trace_all = k->o.trace_all;
	memcpy(s->events, k->events, sizeof(s->events));
	memcpy(s->foreign, k->foreign, sizeof(s->foreign));
	s->rtx = k->rtx;
	s->why.drops = k->drops;
	s->why.drops_ours = k->drops_ours;
	memcpy(s->reasons, k->reasons, sizeof(s->reasons));
	memcpy(s->lost_by_type, k->tc.lost, sizeof(s->lost_by_type));
	s->lost = u64_sum(k->tc.lost, EV_TYPE_MAX);
	s->recursion_misses = u64_sum(k->tc.recursion_misses, EV_TYPE_MAX);
	s->recursion_rescued = u64_sum(k->tc.rescued, EV_TYPE_MAX);
	s->untraced = k->untraced;
	s->events_untracked = k->conns.dropped;
	s->handshake_ns = &k->handshake_ns;
	s->in_state_ns = k->in_state_ns;
	s->cong = &k->cong;
}

static struct corr_summary *summary_compute(struct correlator *k)
{
	struct corr_summary *s = calloc(1, sizeof(*s));
	struct conn **all;
	size_t i, n;

	if (!s)
		return NULL;
	all = conntab__sorted(&k->conns, conn__by_cookie, &n);
	if (!all) {
		free(s);
		return NULL;
	}
	copy_counts(s, k);
	s->owners = &k->owners;
	s->tc = k->tc;
	for (i = 0; i < 4; i++)
		hist__init(&s->by_syn[i]);
	for (i = 0; i < n; i++)
		count_conn(s, all[i], k->tc.lost[EV_RETRANSMIT] > 0);
	s->ntop_rtx = pick_top(s->top_rtx, all, n, conn__by_segs, key_segs);
	s->ntop_srtt = pick_top(s->top_srtt, all, n, conn__by_srtt, key_srtt);
	free(all);
	return s;
}

const struct corr_summary *correlator__summary(struct correlator *k)
{
	pthread_mutex_lock(&k->lock);
	if (!k->summary)
		k->summary = summary_compute(k);
	pthread_mutex_unlock(&k->lock);
	return k->summary;
}

void corr_summary__free(struct corr_summary *s)
{
	free(s);
}

/* ---- as text ---- */

static const char *side_text(unsigned int side)
{
	return side == SIDE_SERVER ? "server" : "client";
}

static void path_text(const struct path_count *p, char *buf, size_t len)
{
	size_t off = 0;
	int i;

	buf[0] = 0;
	for (i = 0; i < p->n && off < len; i++)
		off += (size_t)snprintf(buf + off, len - off, "%s%s", i ? " " : "",
					tcp_state_name(p->st[i]));
	if (!p->n)
		snprintf(buf, len, "(no state events)");
}

static const char *kinds_text(const uint64_t *v, char *buf, size_t len)
{
	snprintf(buf, len,
		 "fast %" PRIu64 ", rto %" PRIu64 ", syn %" PRIu64 ", failed %" PRIu64
		 ", tlp %" PRIu64 ", other %" PRIu64,
		 v[RK_FAST], v[RK_RTO], v[RK_SYN], v[RK_FAILED], v[RK_TLP], v[RK_OTHER]);
	return buf;
}

/* 850ns, 16.5us, 1.84ms, 3.003s */
static const char *dur(char *buf, size_t len, uint64_t ns)
{
	if (ns < 1000)
		snprintf(buf, len, "%" PRIu64 "ns", ns);
	else if (ns < 1000000)
		snprintf(buf, len, "%.1fus", (double)ns / 1e3);
	else if (ns < 1000000000)
		snprintf(buf, len, "%.2fms", (double)ns / 1e6);
	else
		snprintf(buf, len, "%.3fs", (double)ns / 1e9);
	return buf;
}

static void hist_line(FILE *f, const char *label, const struct hist *h)
{
	char a[24], b[24], c[24], d[24];

	if (!h->count) {
		fprintf(f, "  %-26s none\n", label);
		return;
	}
	fprintf(f, "  %-26s n %-7" PRIu64 " p50 %-9s p90 %-9s p99 %-9s max %s\n", label, h->count,
		dur(a, sizeof(a), hist__quantile(h, 0.5)),
		dur(b, sizeof(b), hist__quantile(h, 0.9)),
		dur(c, sizeof(c), hist__quantile(h, 0.99)), dur(d, sizeof(d), h->max));
}

static void conn_line(FILE *f, const struct conn *c, const char *what)
{
	char s[INET6_ADDRSTRLEN + 8], d[INET6_ADDRSTRLEN + 8];

	endpoint_format(s, sizeof(s), c->family ? c->family : 4, c->saddr, c->sport);
	endpoint_format(d, sizeof(d), c->family ? c->family : 4, c->daddr, c->dport);
	fprintf(f, "  %-22s %-22s %-6s %s\n", s, d, side_text(c->side), what);
}

static void text_events(const struct corr_summary *s, FILE *f)
{
	const uint64_t *ev = s->events;
	char buf[200];

	fprintf(f, "\nkernel view (tcpscope trace, %s programs, joined by socket cookie)\n",
		s->attach);
	fprintf(f,
		"  events: state %" PRIu64 ", retransmit %" PRIu64 ", probe %" PRIu64
		", reset sent %" PRIu64 ", received %" PRIu64 "; lost %" PRIu64 "%s\n",
		ev[EV_STATE], ev[EV_RETRANSMIT], ev[EV_PROBE], ev[EV_SEND_RESET], ev[EV_RECV_RESET],
		s->lost, s->lost ? " (ring buffer full: raise --ringbuf-size)" : "");
	if (s->untraced)
		fprintf(f,
			"  untraced: %" PRIu64 " connections did not fit the kernel's cookie "
			"map\n",
			s->untraced);
	if (s->events_untracked)
		fprintf(f,
			"  untracked: %" PRIu64 " events past the join's limit of %u connections: "
			"their connections are missing\n",
			s->events_untracked, CORR_MAX_CONNS);
	fprintf(f,
		"  connections: %" PRIu64 " ours (%" PRIu64 " client, %" PRIu64 " server side)%s\n",
		s->ours, s->clients, s->servers,
		s->trace_all ? ", others' events kept as foreign" : "");
	fprintf(f,
		"  retransmits: %" PRIu64 " events, %" PRIu64 " segments sent, %" PRIu64
		" failed to send (%s)\n",
		ev[EV_RETRANSMIT], s->rtx.segs_sent, s->rtx.segs_failed,
		kinds_text(s->rtx.by_kind, buf, sizeof(buf)));
}

static void text_agreement(const struct corr_summary *s, FILE *f)
{
	const struct agree_tally *a = &s->agree;
	char buf[200];
	size_t i;

	fprintf(f,
		"  agreement: BPF retransmitted segments == TCP_INFO total_retrans on %" PRIu64
		" of %" PRIu64 " connections; unverified %" PRIu64 "\n",
		a->agreed, a->checked, a->unverified);
	if (a->drift)
		fprintf(f,
			"  %" PRIu64 " more: every retransmit seen, but the kernel counted more "
			"segments than the skbs carried (events' total_retrans == TCP_INFO)\n",
			a->drift);
	if (a->mismatched)
		fprintf(f,
			"  mismatched %" PRIu64 " (of which %" PRIu64 " with TCP_INFO ahead of the "
			"socket's own count at its last traced retransmit: retransmits the kernel "
			"counted without firing tcp_retransmit_skb)\n",
			a->mismatched, a->kernel_ahead);
	if (a->nunverified_listed) {
		fprintf(f, "  unverified (no TCP_INFO, or retransmit events lost), cookies:");
		for (i = 0; i < a->nunverified_listed; i++)
			fprintf(f, " %" PRIu64, a->unverified_cookies[i]);
		fprintf(f, "%s\n", a->unverified > a->nunverified_listed ? " ..." : "");
	}
	for (i = 0; i < a->nmismatch; i++) {
		snprintf(buf, sizeof(buf), "mismatch: BPF %" PRId64 ", TCP_INFO %u",
			 agree__bpf_segs(a->mismatches[i]), a->mismatches[i]->info_total_retrans);
		conn_line(f, a->mismatches[i], buf);
	}
}

static void text_latency(const struct corr_summary *s, const struct hist *connect_ns, FILE *f)
{
	static const char *const labels[] = { "connect, 0 SYN retransmits",
					      "connect, 1 SYN retransmit",
					      "connect, 2 SYN retransmits",
					      "connect, 3+ SYN retransmits" };
	int i;

	fprintf(f, "latency (kernel: SYN_SENT -> ESTABLISHED; user: connect() to writable)\n");
	hist_line(f, "handshake (kernel)", s->handshake_ns);
	hist_line(f, "connect (user)", connect_ns);
	if (!s->syn_conns)
		return;
	fprintf(f, "  (each lost SYN costs the SYN RTO, doubling from 1 s: 1 s, 3 s, 7 s)\n");
	for (i = 0; i < 4; i++)
		if (s->by_syn[i].count)
			hist_line(f, labels[i], &s->by_syn[i]);
}

static void text_states(const struct corr_summary *s, FILE *f)
{
	unsigned int st;

	fprintf(f, "time in state\n");
	for (st = 1; st < TCP_NSTATES; st++)
		if (s->in_state_ns[st].count)
			hist_line(f, tcp_state_name(st), &s->in_state_ns[st]);
}

static void text_cong(const struct corr_summary *s, FILE *f)
{
	const struct cong_tally *t = s->cong;
	unsigned int ca;

	if (!t->on) {
		fprintf(f, "congestion states: not traced (the kernel has no "
			   "tcp:tcp_cong_state_set; retransmits carry ca_state)\n");
		return;
	}
	fprintf(f, "congestion states: %" PRIu64 " set; entered", t->sets);
	for (ca = 1; ca < CA_NSTATES; ca++)
		fprintf(f, " %s %" PRIu64, tcp_ca_state_name(ca), t->entered[ca]);
	if (t->gaps)
		fprintf(f, "; %" PRIu64 " changes the kernel did not report", t->gaps);
	fprintf(f, "\n  time in each, per interval\n");
	for (ca = 0; ca < CA_NSTATES; ca++)
		if (t->in_state_ns[ca].count)
			hist_line(f, tcp_ca_state_name(ca), &t->in_state_ns[ca]);
}

static void text_resets(const struct corr_summary *s, FILE *f)
{
	uint32_t r;

	if (!s->events[EV_SEND_RESET] && !s->events[EV_RECV_RESET])
		return;
	fprintf(f,
		"resets: client sent %" PRIu64 ", received %" PRIu64 "; server sent %" PRIu64
		", received %" PRIu64 "; without a socket %" PRIu64 "\n",
		s->rst_sent[SIDE_CLIENT], s->rst_recv[SIDE_CLIENT], s->rst_sent[SIDE_SERVER],
		s->rst_recv[SIDE_SERVER], s->events[EV_SEND_RESET] - u64_sum(s->rst_sent, 3));
	fprintf(f, "  sent by reason:");
	for (r = 0; r < ARRAY_SIZE(s->reasons); r++)
		if (s->reasons[r] && *reset_reason_name(r))
			fprintf(f, "; %s %" PRIu64, reset_reason_name(r), s->reasons[r]);
	fputc('\n', f);
}

static void text_paths(const struct corr_summary *s, FILE *f)
{
	char buf[200];
	size_t i;

	if (s->never_established)
		fprintf(f, "never established: %" PRIu64 " connections (paths below)\n",
			s->never_established);
	if (s->reset_before_user)
		fprintf(f,
			"established in the kernel, failed in user space (reset before connect() "
			"returned): %" PRIu64 "\n",
			s->reset_before_user);
	fprintf(f, "state paths (side: states entered, connections)\n");
	for (i = 0; i < s->npaths; i++) {
		path_text(&s->paths[i], buf, sizeof(buf));
		fprintf(f, "  %-6s %s: %" PRIu64 "%s\n", side_text(s->paths[i].side), buf,
			s->paths[i].count, path_usual(&s->paths[i]) ? "" : "  (unusual)");
	}
}

static void text_top(const struct corr_summary *s, FILE *f)
{
	char buf[200], kt[120];
	uint64_t kinds[RK_MAX];
	size_t i;
	int kd;

	for (i = 0; i < s->ntop_rtx && i < TEXT_TOP; i++) {
		const struct conn *c = s->top_rtx[i];

		if (!i)
			fprintf(f, "top connections by retransmitted segments\n");
		for (kd = 0; kd < RK_MAX; kd++)
			kinds[kd] = c->by_kind[kd];
		snprintf(buf, sizeof(buf), "%u segs, %u failed (%s); %u drops", c->retrans_segs,
			 c->retrans_segs_failed, kinds_text(kinds, kt, sizeof(kt)), c->drops);
		conn_line(f, c, buf);
	}
	for (i = 0; i < s->ntop_srtt && i < TEXT_TOP; i++) {
		const struct conn *c = s->top_srtt[i];

		if (!i)
			fprintf(f, "top connections by srtt (probes)\n");
		snprintf(buf, sizeof(buf), "max srtt %u us, last %u us", c->max_srtt_us,
			 c->last_srtt_us);
		conn_line(f, c, buf);
	}
}

void corr_summary__print_text(const struct corr_summary *s, const struct hist *connect_ns, FILE *f)
{
	text_events(s, f);
	text_agreement(s, f);
	text_latency(s, connect_ns, f);
	text_states(s, f);
	text_cong(s, f);
	text_resets(s, f);
	why__print_text(&s->why, f);
	text_paths(s, f);
	text_top(s, f);
	unrun_text(f, "  ", &s->tc);
	syn_recv_holds_text(f, "  ", &s->tc);
	owner_counts_text(f, &s->tc);
	owner_tally__text(s->owners, f, TEXT_TOP);
}

/* ---- as JSON ---- */

static void hist_json(struct jw *w, const char *key, const struct hist *h)
{
	jw_obj_open(w, key);
	jw_u64(w, "n", h->count);
	jw_double(w, "p50", hist__quantile(h, 0.5) / 1e3);
	jw_double(w, "p90", hist__quantile(h, 0.9) / 1e3);
	jw_double(w, "p99", hist__quantile(h, 0.99) / 1e3);
	jw_double(w, "p999", hist__quantile(h, 0.999) / 1e3);
	jw_double(w, "max", (double)h->max / 1e3);
	jw_double(w, "mean", hist__mean(h) / 1e3);
	jw_obj_close(w);
}

static void conn_json(struct jw *w, const struct conn *c)
{
	char a[INET6_ADDRSTRLEN];
	unsigned int family = c->family ? c->family : 4;
	int kd;

	jw_obj_open(w, NULL);
	jw_u64(w, "cookie", c->cookie);
	jw_str(w, "side", side_text(c->side));
	addr_format(a, sizeof(a), family, c->saddr);
	jw_str(w, "saddr", a);
	jw_u64(w, "sport", c->sport);
	addr_format(a, sizeof(a), family, c->daddr);
	jw_str(w, "daddr", a);
	jw_u64(w, "dport", c->dport);
	jw_u64(w, "retrans_segs", c->retrans_segs);
	jw_u64(w, "retrans_segs_failed", c->retrans_segs_failed);
	jw_obj_open(w, "kinds");
	for (kd = 0; kd < RK_MAX; kd++)
		jw_u64(w, retrans_kind_name((unsigned)kd), c->by_kind[kd]);
	jw_obj_close(w);
	jw_u64(w, "max_srtt_us", c->max_srtt_us);
	cong__conn_json(&c->cong, w);
	why__conn_json(w, c);
	if (c->done) {
		jw_i64(w, "bpf_segs_before_poll", agree__bpf_segs(c));
		jw_i64(w, "bpf_total_retrans_before_poll", agree__bpf_total(c));
		if (c->info_valid)
			jw_u64(w, "tcpi_total_retrans", c->info_total_retrans);
	}
	jw_obj_close(w);
}

static void conns_json(struct jw *w, const char *key, const struct conn *const *v, size_t n)
{
	size_t i;

	jw_arr_open(w, key);
	for (i = 0; i < n; i++)
		conn_json(w, v[i]);
	jw_arr_close(w);
}

static void json_resets(const struct corr_summary *s, struct jw *w)
{
	uint32_t r;

	jw_obj_open(w, "resets");
	jw_u64(w, "sent", s->events[EV_SEND_RESET]);
	jw_u64(w, "received", s->events[EV_RECV_RESET]);
	jw_u64(w, "client_sent", s->rst_sent[SIDE_CLIENT]);
	jw_u64(w, "client_received", s->rst_recv[SIDE_CLIENT]);
	jw_u64(w, "server_sent", s->rst_sent[SIDE_SERVER]);
	jw_u64(w, "server_received", s->rst_recv[SIDE_SERVER]);
	jw_obj_open(w, "sent_by_reason");
	for (r = 0; r < ARRAY_SIZE(s->reasons); r++)
		if (s->reasons[r])
			jw_u64(w, *reset_reason_name(r) ? reset_reason_name(r) : "unknown",
			       s->reasons[r]);
	jw_obj_close(w);
	jw_obj_close(w);
}

static void json_connections(const struct corr_summary *s, struct jw *w)
{
	jw_obj_open(w, "connections");
	jw_u64(w, "ours", s->ours);
	jw_u64(w, "client", s->clients);
	jw_u64(w, "server", s->servers);
	jw_u64(w, "never_established", s->never_established);
	jw_u64(w, "kernel_established_user_failed", s->reset_before_user);
	jw_u64(w, "with_syn_retransmits", s->syn_conns);
	jw_obj_close(w);
}

static void json_agreement(const struct corr_summary *s, struct jw *w)
{
	const struct agree_tally *a = &s->agree;
	size_t i;

	jw_obj_open(w, "agreement");
	agree__json_counts(a, w);
	jw_arr_open(w, "unverified_cookies");
	for (i = 0; i < a->nunverified_listed; i++)
		jw_u64(w, NULL, a->unverified_cookies[i]);
	jw_arr_close(w);
	conns_json(w, "mismatches", a->mismatches, a->nmismatch);
	conns_json(w, "drifts", a->drifts, a->ndrift);
	jw_obj_close(w);
}

static void json_latency(const struct corr_summary *s, struct jw *w)
{
	static const char *const keys[] = { "0", "1", "2", "3+" };
	unsigned int i;

	hist_json(w, "handshake_us", s->handshake_ns);
	jw_obj_open(w, "connect_us_by_syn_retransmits");
	for (i = 0; i < 4; i++)
		hist_json(w, keys[i], &s->by_syn[i]);
	jw_obj_close(w);
	jw_obj_open(w, "time_in_state_us");
	for (i = 1; i < TCP_NSTATES; i++)
		if (s->in_state_ns[i].count)
			hist_json(w, tcp_state_name(i), &s->in_state_ns[i]);
	jw_obj_close(w);
}

static void json_cong(const struct corr_summary *s, struct jw *w)
{
	const struct cong_tally *t = s->cong;
	unsigned int ca;

	jw_obj_open(w, "congestion");
	jw_bool(w, "traced", t->on);
	jw_u64(w, "sets", t->sets);
	jw_u64(w, "gaps", t->gaps);
	jw_obj_open(w, "set");
	for (ca = 0; ca < CA_NSTATES; ca++)
		jw_u64(w, tcp_ca_state_name(ca), t->set_to[ca]);
	jw_obj_close(w);
	jw_obj_open(w, "entered");
	for (ca = 0; ca < CA_NSTATES; ca++)
		jw_u64(w, tcp_ca_state_name(ca), t->entered[ca]);
	jw_obj_close(w);
	jw_obj_open(w, "time_in_state_us");
	for (ca = 0; ca < CA_NSTATES; ca++)
		if (t->in_state_ns[ca].count)
			hist_json(w, tcp_ca_state_name(ca), &t->in_state_ns[ca]);
	jw_obj_close(w);
	jw_obj_close(w);
}

static void json_paths(const struct corr_summary *s, struct jw *w)
{
	char buf[200];
	size_t i;

	jw_arr_open(w, "paths");
	for (i = 0; i < s->npaths; i++) {
		path_text(&s->paths[i], buf, sizeof(buf));
		jw_obj_open(w, NULL);
		jw_str(w, "side", side_text(s->paths[i].side));
		jw_str(w, "states", buf);
		jw_u64(w, "count", s->paths[i].count);
		jw_bool(w, "usual", path_usual(&s->paths[i]));
		jw_obj_close(w);
	}
	jw_arr_close(w);
}

void corr_summary__print_json(const struct corr_summary *s, struct jw *w)
{
	jw_obj_open(w, "trace");
	jw_str(w, "attach", s->attach);
	jw_u64_members(w, "events", s->events, EV_TYPE_MAX, ev_type_name);
	jw_u64_members(w, "foreign_events", s->foreign, EV_TYPE_MAX, ev_type_name);
	jw_u64_members(w, "retransmits", s->rtx.by_kind, RK_MAX, retrans_kind_name);
	jw_u64(w, "retransmit_segs", s->rtx.segs_sent);
	jw_u64(w, "retransmit_segs_failed", s->rtx.segs_failed);
	json_resets(s, w);
	why__print_json(&s->why, w);
	jw_u64(w, "lost", s->lost);
	jw_u64_members(w, "lost_by_type", s->lost_by_type, EV_TYPE_MAX, ev_type_name);
	jw_u64(w, "recursion_misses", s->recursion_misses);
	jw_u64(w, "recursion_rescued", s->recursion_rescued);
	unrun_json(w, &s->tc);
	jw_u64(w, "untraced", s->untraced);
	jw_u64(w, "events_untracked", s->events_untracked);
	json_connections(s, w);
	json_agreement(s, w);
	json_latency(s, w);
	json_cong(s, w);
	json_paths(s, w);
	conns_json(w, "top_retransmits", s->top_rtx, s->ntop_rtx);
	conns_json(w, "top_srtt", s->top_srtt, s->ntop_srtt);
	owner_counts_json(w, &s->tc);
	syn_recv_holds_json(w, &s->tc);
	owner_tally__json(s->owners, w, SUMMARY_TOP);
	jw_obj_close(w);
}

/* ---- the correlator's entry points ---- */

void correlator__print_text(struct correlator *k, const struct stress_result *r, FILE *f)
{
	const struct corr_summary *s = correlator__summary(k);

	if (s)
		corr_summary__print_text(s, &r->connect_ns, f);
	else
		fprintf(stderr, "tcpscope stress: out of memory for the kernel view\n");
}

void correlator__record_json(struct correlator *k, uint64_t cookie, struct jw *w)
{
	const struct conn *c;

	pthread_mutex_lock(&k->lock);
	c = cookie ? conntab__find(&k->conns, cookie) : NULL;
	if (c && c->done) {
		why__conn_json(w, c);
		jw_u64(w, "retrans_segs", c->retrans_segs);
		jw_u64(w, "retrans_segs_failed", c->retrans_segs_failed);
		cong__conn_json(&c->cong, w);
	} else {
		jw_null(w, "verdict");
	}
	pthread_mutex_unlock(&k->lock);
}

void correlator__print_json(struct correlator *k, struct jw *w)
{
	const struct corr_summary *s = correlator__summary(k);

	if (s)
		corr_summary__print_json(s, w);
	else
		fprintf(stderr, "tcpscope stress: out of memory for the kernel view\n");
}
