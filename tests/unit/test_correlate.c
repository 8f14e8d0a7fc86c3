// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The correlator's join, tally and summary without a tracer: synthetic
 * events and load-engine records in, the summary out. The same run's
 * timeline then goes through tcpscope report, whose cross-check must give
 * the same verdicts (one agreement rule, agree.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "correlate/internal.h"
#include "correlate/summary.h"
#include "lib/jsonr.h"
#include "lib/jsonw.h"
#include "lib/util.h"
#include "report/report.h"
#include "tracer/events.h"
#include "test.h"

struct fake_filter {
	uint64_t added[16], deleted[16];
	int nadded, ndeleted;
};

static int fake_add(void *ctx, uint64_t cookie)
{
	struct fake_filter *f = ctx;

	if (f->nadded < 16)
		f->added[f->nadded++] = cookie;
	return 0;
}

static int fake_del(void *ctx, uint64_t cookie)
{
	struct fake_filter *f = ctx;

	if (f->ndeleted < 16)
		f->deleted[f->ndeleted++] = cookie;
	return 0;
}

static int fake_port(void *ctx, uint16_t port)
{
	(void)ctx;
	(void)port;
	return 0;
}

static struct event ev(uint64_t cookie, uint64_t ts, uint8_t type)
{
	struct event e = { .ts_ns = ts, .cookie = cookie, .family = 4, .type = type };

	e.saddr[0] = 10, e.saddr[3] = 1;
	e.daddr[0] = 10, e.daddr[3] = 2;
	e.sport = (uint16_t)(40000 + cookie);
	e.dport = 5001;
	return e;
}

static void state(struct correlator *k, uint64_t cookie, uint64_t ts, uint8_t old, uint8_t new)
{
	struct event e = ev(cookie, ts, EV_STATE);

	e.state.oldstate = old;
	e.state.newstate = new;
	correlator__event(k, &e);
}

static void rtx(struct correlator *k, uint64_t cookie, uint64_t ts, uint16_t segs, int err,
		uint32_t total)
{
	struct event e = ev(cookie, ts, EV_RETRANSMIT);

	e.retrans.segs = segs;
	e.retrans.err = err;
	e.retrans.total_retrans = total;
	e.retrans.tcp_state = TCP_STATE_ESTABLISHED;
	e.retrans.ca_state = 4;
	e.retrans.kind = (uint8_t)retrans_classify(TCP_STATE_ESTABLISHED, 4, 0, err);
	correlator__event(k, &e);
}

/* A client connection as stress runs it: socket, the kernel's handshake
 * at 1000-2000, connect() sees it at 2100, retransmits between, the last
 * TCP_INFO poll at 4000 (info < 0: none), close() at 4100, then the
 * kernel's FIN handshake. */
struct client {
	uint64_t cookie;
	int64_t info; /* total_retrans at the poll, -1: no poll */
};

static void client_open(struct correlator *k, struct stress_hooks *h, uint64_t cookie)
{
	h->on_socket(h->ctx, cookie);
	state(k, cookie, 1000, TCP_STATE_CLOSE, TCP_STATE_SYN_SENT);
	state(k, cookie, 2000, TCP_STATE_SYN_SENT, TCP_STATE_ESTABLISHED);
}

static void client_close(struct correlator *k, struct stress_hooks *h, const struct client *c)
{
	struct conn_record r = {
		.cookie = c->cookie,
		.t_connect_ns = 900,
		.t_established_ns = 2100,
		.t_close_ns = 4100,
		.close_kind = CLOSE_FIN,
		.local = { .family = 4, .port = (uint16_t)(40000 + c->cookie) },
		.remote = { .family = 4, .port = 5001 },
	};

	r.last_info.valid = c->info >= 0;
	r.last_info.t_ns = 4000;
	r.last_info.state = TCP_STATE_ESTABLISHED;
	r.last_info.total_retrans = c->info >= 0 ? (uint32_t)c->info : 0;
	state(k, c->cookie, 4200, TCP_STATE_ESTABLISHED, TCP_STATE_FIN_WAIT1);
	h->on_conn_done(h->ctx, &r);
	state(k, c->cookie, 4300, TCP_STATE_FIN_WAIT1, TCP_STATE_FIN_WAIT2);
	state(k, c->cookie, 4400, TCP_STATE_FIN_WAIT2, TCP_STATE_CLOSE);
}

/*
 * 101 agrees (2 sent; a failed one is not the kernel's); 102 is behind
 * TCP_INFO and its own count too (mismatched, the kernel ahead); 103 saw
 * every retransmit, the kernel counted one more segment (drift); 104 had
 * no TCP_INFO (unverified); 105's retransmit came after the poll (agreed
 * at 0); 106 is one short of TCP_INFO: mismatched, or unverified when
 * retransmit events were lost.
 */
static const struct client clients[] = {
	{ 101, 2 }, { 102, 4 }, { 103, 2 }, { 104, -1 }, { 105, 0 }, { 106, 3 },
};

static void run(struct correlator *k, struct fake_filter *f, bool lost, FILE *timeline)
{
	struct corr_opts o = {};
	struct stress_hooks h;
	size_t i;

	correlator__init(k, &o);
	k->timeline = timeline;
	k->filter = (struct cookie_filter){ f, fake_add, fake_del, fake_port };
	k->attach = "tp_btf";
	k->typed = true;
	correlator__hooks(k, &h);
	for (i = 0; i < ARRAY_SIZE(clients); i++)
		client_open(k, &h, clients[i].cookie);
	rtx(k, 101, 3000, 2, 0, 2);
	rtx(k, 101, 3100, 1, -105, 2); /* ENOBUFS: never sent */
	rtx(k, 102, 3000, 3, 0, 3);
	rtx(k, 103, 3000, 1, 0, 2);
	rtx(k, 104, 3000, 1, 0, 1);
	rtx(k, 105, 5000, 1, 0, 1);
	rtx(k, 106, 3000, 1, 0, 1);
	rtx(k, 106, 3500, 1, 0, 2);
	for (i = 0; i < ARRAY_SIZE(clients); i++)
		client_close(k, &h, &clients[i]);
	if (lost)
		k->tc.lost[EV_RETRANSMIT] = 1;
}

TEST(correlator_summary_counts_and_verdicts)
{
	struct fake_filter f = {};
	struct correlator k;
	const struct corr_summary *s;

	run(&k, &f, false, NULL);
	s = correlator__summary(&k);
	if (!ASSERT_TRUE(s != NULL, "summary"))
		return;
	ASSERT_EQ(f.nadded, 6, "cookies into the filter before connect()");
	ASSERT_EQ(f.ndeleted, 6, "cookies out after both CLOSE and close()");
	ASSERT_EQ(s->ours, 6, "ours");
	ASSERT_EQ(s->clients, 6, "clients");
	ASSERT_EQ(s->events[EV_RETRANSMIT], 8, "retransmit events");
	ASSERT_EQ(s->rtx.segs_sent, 10, "segments sent (the headline)");
	ASSERT_EQ(s->rtx.segs_failed, 1, "segments failed");
	ASSERT_EQ(s->rtx.by_kind[RK_FAILED], 1, "kind failed");
	ASSERT_EQ(s->rtx.by_kind[RK_RTO], 7, "kind rto");
	ASSERT_EQ(s->agree.checked, 5, "checked");
	ASSERT_EQ(s->agree.agreed, 2, "agreed: 101 and 105");
	ASSERT_EQ(s->agree.drift, 1, "drift: 103");
	ASSERT_EQ(s->agree.mismatched, 2, "mismatched: 102 and 106");
	ASSERT_EQ(s->agree.kernel_ahead, 2, "kernel ahead");
	ASSERT_EQ(s->agree.unverified, 1, "unverified: 104");
	ASSERT_EQ(s->agree.unverified_cookies[0], 104, "unverified cookie");
	ASSERT_EQ(s->agree.nmismatch, 2, "mismatches listed");
	ASSERT_EQ(s->npaths, 1, "one path");
	ASSERT_EQ(s->paths[0].count, 6, "every client on it");
	ASSERT_TRUE(path_usual(&s->paths[0]), "SYN_SENT ESTABLISHED FIN_WAIT1 FIN_WAIT2 CLOSE");
	ASSERT_EQ(s->ntop_rtx, 6, "top retransmits");
	ASSERT_EQ(s->top_rtx[0]->cookie, 102, "most segments sent first");
	ASSERT_EQ(s->top_rtx[1]->retrans_segs, 2, "then 2 segments");
	ASSERT_EQ(s->top_rtx[1]->cookie, 101, "ties by cookie");
	ASSERT_EQ(s->top_rtx[1]->retrans_segs_failed, 1, "failed kept apart");
	ASSERT_EQ(s->in_state_ns[TCP_STATE_SYN_SENT].count, 6, "time in SYN_SENT");
	ASSERT_EQ(s->handshake_ns->count, 6, "handshakes");
	ASSERT_TRUE(correlator__summary(&k) == s, "computed once");
	correlator__fini(&k);
}

TEST(correlator_lost_retransmits_make_short_counts_unverified)
{
	struct fake_filter f = {};
	struct correlator k;
	const struct corr_summary *s;

	run(&k, &f, true, NULL);
	s = correlator__summary(&k);
	if (!ASSERT_TRUE(s != NULL, "summary"))
		return;
	ASSERT_EQ(s->agree.unverified, 4, "104, and 102, 103, 106 BPF short of TCP_INFO");
	ASSERT_EQ(s->agree.agreed, 2, "agreed");
	ASSERT_EQ(s->agree.mismatched, 0, "mismatched");
	ASSERT_EQ(s->lost, 1, "lost");
	correlator__fini(&k);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (!f)
		return NULL;
	do {
		if (n + 4096 + 1 > cap) {
			char *p = realloc(buf, cap = cap ? 2 * cap : 65536);

			if (!p)
				break;
			buf = p;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
	} while (got);
	fclose(f);
	if (buf)
		buf[n] = 0;
	return buf;
}

/* The report's data object, from the page it wrote. */
static bool report_data(const char *page, char **json, size_t *len)
{
	static const char tag[] = "id=\"tcpscope-data\">";
	const char *a = strstr(page, tag), *b;

	if (!a)
		return false;
	a += strlen(tag);
	b = strstr(a, "</script>");
	if (!b)
		return false;
	*json = strndup(a, (size_t)(b - a));
	*len = (size_t)(b - a);
	return *json != NULL;
}

/* The correlator writes the timeline as stress --trace --timeline does,
 * with the summary line last; tcpscope report reads it back. */
static void summary_line(void *ctx, FILE *f)
{
	struct jw w;

	jw_init(&w, f);
	jw_obj_open(&w, NULL);
	jw_str(&w, "type", "stress_summary");
	corr_summary__print_json(ctx, &w);
	jw_obj_close(&w);
	fputc('\n', f);
}

static uint64_t u64_of(const struct jr_obj *o, const char *key)
{
	uint64_t v = UINT64_MAX;

	jr_u64(o, key, &v);
	return v;
}

static void same_verdicts(bool lost)
{
	char tl[] = "/tmp/tcpscope-unit-tlXXXXXX", html[64];
	struct report_opts ro;
	struct fake_filter f = {};
	struct correlator k;
	const struct corr_summary *s;
	struct jr_obj data, check, totals;
	char *page = NULL, *json = NULL;
	size_t len;
	int fd = mkstemp(tl);
	FILE *out = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (!ASSERT_TRUE(out != NULL, "temporary timeline"))
		return;
	snprintf(html, sizeof(html), "%s.html", tl);
	run(&k, &f, lost, out);
	s = correlator__summary(&k);
	if (!ASSERT_TRUE(s != NULL, "summary"))
		goto out;
	summary_line((void *)s, k.timeline);
	fflush(k.timeline);
	report_opts__init(&ro);
	if (!ASSERT_EQ(report__render(tl, html, &ro), 0, "report"))
		goto out;
	page = slurp(html);
	if (!ASSERT_TRUE(page && report_data(page, &json, &len), "the page's data"))
		goto out;
	if (!ASSERT_EQ(jr_parse(&data, json, len), 0, "data is JSON") ||
	    !ASSERT_TRUE(jr_sub(&data, "check", &check), "check") ||
	    !ASSERT_TRUE(jr_sub(&data, "totals", &totals), "totals"))
		goto out;
	ASSERT_EQ(u64_of(&check, "connections"), s->agree.checked, "checked");
	ASSERT_EQ(u64_of(&check, "agreed"), s->agree.agreed, "agreed");
	ASSERT_EQ(u64_of(&check, "segment_count_drift"), s->agree.drift, "drift");
	ASSERT_EQ(u64_of(&check, "mismatched"), s->agree.mismatched, "mismatched");
	ASSERT_EQ(u64_of(&check, "unverified"), s->agree.unverified, "unverified");
	ASSERT_EQ(u64_of(&check, "kernel_ahead"), s->agree.kernel_ahead, "kernel_ahead");
	/* The report's first pass counts what the correlator counted. */
	ASSERT_EQ(u64_of(&totals, "retransmits"), s->events[EV_RETRANSMIT], "retransmits");
	ASSERT_EQ(u64_of(&totals, "retransmit_segs"), s->rtx.segs_sent, "segments sent");
	ASSERT_EQ(u64_of(&totals, "retransmit_segs_failed"), s->rtx.segs_failed, "failed");
	ASSERT_EQ(u64_of(&totals, "state_events"), s->events[EV_STATE], "state events");
	ASSERT_EQ(u64_of(&totals, "client"), s->clients, "clients");
	ASSERT_EQ(u64_of(&totals, "connects"), ARRAY_SIZE(clients), "connects");
	ASSERT_EQ(u64_of(&totals, "established"), ARRAY_SIZE(clients), "established");
	/* '>' is \u003e inside the page's <script>. */
	ASSERT_TRUE(strstr(json, "\"conns\":[{\"cookie\":102,\"label\":\"10.0.0.1:40102 \\u003e "
				 "10.0.0.2:5001 (client)\",\"why\":[\"most retransmits\"") != NULL,
		    "the connection with the most segments sent is drawn first");
out:
	correlator__fini(&k);
	free(json);
	free(page);
	unlink(tl);
	unlink(html);
}

TEST(report_and_correlator_same_verdicts)
{
	same_verdicts(false);
}

TEST(report_and_correlator_same_verdicts_with_lost_retransmits)
{
	same_verdicts(true);
}

/* The text and the JSON render the same summary: the headline is the
 * segments sent. */
TEST(correlator_renderers_headline_is_segments_sent)
{
	struct fake_filter f = {};
	struct correlator k;
	const struct corr_summary *s;
	struct jr_obj o, trace;
	struct hist connect;
	char *buf = NULL;
	size_t len = 0;
	FILE *m;
	struct jw w;

	run(&k, &f, false, NULL);
	s = correlator__summary(&k);
	hist__init(&connect);
	m = open_memstream(&buf, &len);
	if (!ASSERT_TRUE(s && m, "summary"))
		goto out;
	corr_summary__print_text(s, &connect, m);
	fflush(m);
	ASSERT_TRUE(strstr(buf, "retransmits: 8 events, 10 segments sent, 1 failed to send") !=
			NULL,
		    "text headline");
	ASSERT_TRUE(strstr(buf, "on 2 of 5 connections; unverified 1") != NULL, "text agreement");
	rewind(m);
	jw_init(&w, m);
	jw_obj_open(&w, NULL);
	corr_summary__print_json(s, &w);
	jw_obj_close(&w);
	fputc(0, m);
	fflush(m);
	if (ASSERT_EQ(jr_parse(&o, buf, strlen(buf)), 0, "JSON") &&
	    ASSERT_TRUE(jr_sub(&o, "trace", &trace), "trace")) {
		ASSERT_EQ(u64_of(&trace, "retransmit_segs"), 10, "retransmit_segs");
		ASSERT_EQ(u64_of(&trace, "retransmit_segs_failed"), 1, "retransmit_segs_failed");
	}
out:
	if (m)
		fclose(m);
	free(buf);
	correlator__fini(&k);
}
