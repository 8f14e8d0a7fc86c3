// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * tcpscope report: a --timeline file (JSON lines) rendered as one HTML page
 * with its data, styles and drawing code inline, so it opens offline. Two
 * passes over the file: the first finds the time span, per-connection
 * totals and the connections worth drawing; the second buckets the run over
 * time and collects those connections' curves, decimated to a bound.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "correlate/agree.h"
#include "correlate/cong.h"
#include "correlate/conntab.h"
#include "load/stress.h" /* enum close_kind */
#include "tracer/events.h"
#include "lib/hist.h"
#include "lib/jsonr.h"
#include "lib/jsonw.h"
#include "lib/netutil.h"
#include "lib/parse.h"
#include "report/report.h"
#include "lib/util.h"
#include "report_assets.h" /* generated: report_css, report_js */

#define NBUCKETS_MAX 150
#define NBINS	     32
#define MAX_ERRNAMES 8
#define MAX_DRAWN    24
#define MAX_MARKS    4000
#define LINE_MAX_LEN (1 << 20)

enum why { WHY_RETRANS, WHY_SLOW, WHY_RESET, WHY_NAMED, WHY_MAX };
static const char *const why_names[] = { "most retransmits", "slowest to connect", "reset",
					 "named" };

struct pt {
	uint64_t t;
	double v;
};

struct vec {
	void *p;
	size_t n, cap, size;
};

static int vec_push(struct vec *v, const void *item)
{
	if (v->n == v->cap) {
		size_t cap = v->cap ? v->cap * 2 : 64;
		void *p = realloc(v->p, cap * v->size);

		if (!p)
			return -ENOMEM;
		v->p = p;
		v->cap = cap;
	}
	memcpy((char *)v->p + v->n * v->size, item, v->size);
	v->n++;
	return 0;
}

enum { S_SRTT, S_CWND, S_SSTHRESH, S_INFLIGHT, S_MAX };
static const char *const series_names[] = { "srtt_us", "cwnd", "ssthresh", "inflight" };

struct mark {
	uint64_t t;
	uint8_t a, b; /* retransmit: kind, -; state: old, new */
	uint16_t segs;
};

struct drawn {
	uint64_t cookie;
	unsigned int why; /* bits of enum why */
	char label[136];
	char owner[96];	     /* "comm[pid] /cgroup" from its events' owner fields */
	struct vec s[S_MAX]; /* struct pt */
	struct vec rtx;	     /* struct mark */
	struct vec st;	     /* struct mark */
	struct vec drops;    /* struct drop_mark */
	struct vec cong;     /* struct mark: old, new congestion state (changes only) */
	uint64_t probes;
};

struct drop_mark {
	uint64_t t;
	char reason[40];
};

struct report {
	const struct report_opts *o;
	const char *in;
	uint64_t lines, bad_lines;
	uint64_t t0, t1;
	char *summary; /* the stress_summary line as written, or NULL */
	struct conntab conns;
	size_t nconns;
	bool lost_rtx; /* the summary line says retransmit events were lost */
	/* totals */
	uint64_t connects, established, errors, closes;
	uint64_t rtx_events;
	struct rtx_count rtx;
	uint64_t state_events, probes, resets_sent, resets_recv, lost_lines;
	uint64_t ours, clients, servers, foreign_events;
	struct vec connect_lat, handshake; /* uint64_t ns */
	struct hist in_state[TCP_NSTATES];
	uint64_t in_state_total[TCP_NSTATES];
	struct cong_tally cong; /* the congestion states' intervals, as stress --trace */
	/* over time */
	uint64_t bucket_ns;
	int nbuckets;
	uint64_t b_connects[NBUCKETS_MAX], b_established[NBUCKETS_MAX];
	uint64_t b_kinds[RK_MAX][NBUCKETS_MAX], b_resets[NBUCKETS_MAX];
	char errnames[MAX_ERRNAMES][24];
	uint64_t b_errors[MAX_ERRNAMES + 1][NBUCKETS_MAX]; /* the last: other errors */
	int nerrnames;
	/* cross-check from the timeline alone */
	struct agree_tally check;
	struct drawn drawn[MAX_DRAWN];
	int ndrawn;
};

/* ---- names ---- */

static int state_index(const struct jr_obj *o, const char *key)
{
	char buf[24];
	int s;

	if (!jr_str(o, key, buf, sizeof(buf)))
		return -1;
	s = tcp_state_parse(buf);
	return s > 0 ? s : -1;
}

static unsigned int kind_index(const struct jr_obj *o)
{
	char buf[16];
	unsigned int k;

	if (jr_str(o, "kind", buf, sizeof(buf)))
		for (k = 0; k < RK_MAX; k++)
			if (!strcmp(buf, retrans_kind_name(k)))
				return k;
	return RK_OTHER;
}

static uint8_t side_index(const struct jr_obj *o)
{
	if (jr_str_is(o, "side", "client"))
		return SIDE_CLIENT;
	if (jr_str_is(o, "side", "server"))
		return SIDE_SERVER;
	if (jr_str_is(o, "side", "listener"))
		return SIDE_LISTENER;
	return SIDE_UNKNOWN; /* foreign, or a trace --json line */
}

/* ---- reading ---- */

typedef int (*line_fn)(struct report *r, const struct jr_obj *o, const char *line, size_t len);

static int each_line(struct report *r, line_fn fn, bool count)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	struct jr_obj o;
	FILE *f = fopen(r->in, "re");
	int err = 0;

	if (!f) {
		err = -errno;
		fprintf(stderr, "tcpscope report: cannot read %s: %s\n", r->in, strerror(errno));
		return err;
	}
	while ((len = getline(&line, &cap, f)) > 0) {
		if (count)
			r->lines++;
		if (len > LINE_MAX_LEN || jr_parse(&o, line, (size_t)len)) {
			if (count && strspn(line, " \t\r\n") != (size_t)len)
				r->bad_lines++;
			continue;
		}
		err = fn(r, &o, line, (size_t)len);
		if (err)
			break;
	}
	if (!err && ferror(f)) {
		err = -EIO;
		fprintf(stderr, "tcpscope report: reading %s: %s\n", r->in, strerror(EIO));
	}
	free(line);
	fclose(f);
	return err;
}

/* The run's summary line, and whether it says retransmit events were lost
 * (then a connection that BPF saw short of TCP_INFO is unverified). */
static int on_summary(struct report *r, const char *line, size_t len)
{
	struct jr_obj o, trace, lost;
	uint64_t n = 0;

	free(r->summary);
	r->summary = strndup(line, len);
	if (!r->summary)
		return -ENOMEM;
	if (!jr_parse(&o, line, len) && jr_sub(&o, "trace", &trace) &&
	    jr_sub(&trace, "lost_by_type", &lost))
		jr_u64(&lost, "retransmit", &n);
	r->lost_rtx = n > 0;
	return 0;
}

static int ca_index(const struct jr_obj *o, const char *key);

/* A congestion state set: the interval of the state left ends. */
static void on_cong_line(struct report *r, struct conn *c, const struct jr_obj *o, uint64_t ts)
{
	int old = ca_index(o, "old"), new = ca_index(o, "new");

	if (c && old >= 0 && new >= 0)
		cong__set(&r->cong, &c->cong, ts, (unsigned int)old, (unsigned int)new, c->kest_ns);
}

static int on_state_line(struct report *r, struct conn *c, const struct jr_obj *o, uint64_t ts)
{
	int old = state_index(o, "old"), new = state_index(o, "new");
	uint64_t v;

	r->state_events++;
	if (!c || new < 0)
		return 0;
	if (c->state_ns && old > 0 && ts >= c->state_ns) {
		hist__record(&r->in_state[old], ts - c->state_ns);
		r->in_state_total[old] += ts - c->state_ns;
	}
	if (new == TCP_STATE_SYN_SENT)
		c->syn_sent_ns = ts;
	if (new == TCP_STATE_ESTABLISHED)
		c->kest_ns = ts;
	if (new == TCP_STATE_CLOSE)
		cong__close(&r->cong, &c->cong, ts, c->kest_ns);
	c->state_ns = ts;
	c->last_state = (uint8_t) new;
	if (new != TCP_STATE_ESTABLISHED || old != TCP_STATE_SYN_SENT || !c->syn_sent_ns)
		return 0;
	v = ts - c->syn_sent_ns;
	return vec_push(&r->handshake, &v);
}

static void on_retransmit_line(struct report *r, struct conn *c, const struct jr_obj *o,
			       uint64_t ts)
{
	unsigned int kind = kind_index(o);
	uint64_t segs = 0, total = 0;
	int64_t err = 0;

	jr_u64(o, "segs", &segs);
	jr_u64(o, "total_retrans", &total);
	jr_i64(o, "err", &err);
	r->rtx_events++;
	rtx_count__add(&r->rtx, kind, (uint32_t)segs, (int)err);
	if (c)
		conn__retransmit(c, ts, kind, (uint32_t)segs, (int)err, (uint32_t)total);
}

/* The load engine's lines: connect, user_established, tcp_info, close. */
static int on_user_line(struct report *r, struct conn *c, const struct jr_obj *o, uint64_t ts)
{
	uint64_t v;

	if (jr_str_is(o, "type", "connect")) {
		r->connects++;
		if (c)
			c->connect_ns = ts;
	} else if (jr_str_is(o, "type", "user_established")) {
		r->established++;
		if (jr_u64(o, "connect_latency_ns", &v) && vec_push(&r->connect_lat, &v))
			return -ENOMEM;
		if (c)
			c->uest_ns = ts;
	} else if (jr_str_is(o, "type", "tcp_info")) {
		if (c && jr_u64(o, "total_retrans", &v)) {
			c->info_valid = 1;
			c->info_ns = ts;
			c->info_total_retrans = (uint32_t)v;
		}
	} else if (jr_str_is(o, "type", "close")) {
		r->closes++;
		if (!jr_str_is(o, "err", ""))
			r->errors++;
		if (c) {
			c->done = 1;
			c->close_ns = ts;
			if (jr_str_is(o, "how", "rst") || jr_str_is(o, "err", "ECONNRESET"))
				c->close_kind = CLOSE_RST;
		}
	}
	return 0;
}

static int first_pass(struct report *r, const struct jr_obj *o, const char *line, size_t len)
{
	uint64_t ts = 0, cookie = 0;
	struct event id = {};
	struct conn *c;
	uint8_t side = side_index(o);

	if (jr_str_is(o, "type", "stress_summary"))
		return on_summary(r, line, len);
	if (!jr_u64(o, "ts_ns", &ts))
		return 0;
	if (!r->t0 || ts < r->t0)
		r->t0 = ts;
	if (ts > r->t1)
		r->t1 = ts;
	jr_u64(o, "cookie", &cookie);
	id.cookie = cookie;
	id.ts_ns = ts;
	c = conntab__get(&r->conns, &id);
	if (id.cookie && !c)
		return -ENOMEM;
	if (c && side && (!c->side || c->side == SIDE_UNKNOWN))
		c->side = side;
	if (!side && jr_find(o, "side"))
		r->foreign_events++;
	if (jr_str_is(o, "type", "state"))
		return on_state_line(r, c, o, ts);
	if (jr_str_is(o, "type", "retransmit")) {
		on_retransmit_line(r, c, o, ts);
	} else if (jr_str_is(o, "type", "cong")) {
		on_cong_line(r, c, o, ts);
	} else if (jr_str_is(o, "type", "probe")) {
		r->probes++;
	} else if (jr_str_is(o, "type", "send_reset")) {
		r->resets_sent++;
		if (c)
			c->resets_sent++;
	} else if (jr_str_is(o, "type", "receive_reset")) {
		r->resets_recv++;
		if (c)
			c->resets_received++;
	}
	return on_user_line(r, c, o, ts);
}

static int bucket_of(const struct report *r, uint64_t ts)
{
	uint64_t b = ts > r->t0 ? (ts - r->t0) / r->bucket_ns : 0;

	return b < (uint64_t)r->nbuckets ? (int)b : r->nbuckets - 1;
}

static int err_slot(struct report *r, const struct jr_obj *o)
{
	char name[24];
	int i;

	if (!jr_str(o, "err", name, sizeof(name)))
		snprintf(name, sizeof(name), "?");
	for (i = 0; i < r->nerrnames; i++)
		if (!strcmp(r->errnames[i], name))
			return i;
	if (r->nerrnames == MAX_ERRNAMES)
		return MAX_ERRNAMES;
	snprintf(r->errnames[r->nerrnames], sizeof(r->errnames[0]), "%s", name);
	return r->nerrnames++;
}

static struct drawn *drawn_of(struct report *r, const struct conn *c)
{
	return c && c->drawn ? &r->drawn[c->drawn - 1] : NULL;
}

static void label_from(struct drawn *d, const struct jr_obj *o)
{
	char s[48], dst[48], side[12], from[56], to[56];
	uint64_t sport = 0, dport = 0;

	if (!jr_str(o, "saddr", s, sizeof(s)) || !jr_str(o, "daddr", dst, sizeof(dst)) ||
	    !jr_u64(o, "sport", &sport) || !jr_u64(o, "dport", &dport) || !sport)
		return;
	if (!jr_str(o, "side", side, sizeof(side)))
		snprintf(side, sizeof(side), "?");
	endpoint_text(from, sizeof(from), s, (unsigned int)sport);
	endpoint_text(to, sizeof(to), dst, (unsigned int)dport);
	snprintf(d->label, sizeof(d->label), "%s > %s (%s)", from, to, side);
}

/* The socket's owner as its events name it: the last process named (pid 0
 * is "not known yet", never an owner), and its cgroup. */
static void owner_from(struct drawn *d, const struct jr_obj *o)
{
	char comm[32], cg[56] = "";
	uint64_t pid = 0;

	if (!jr_u64(o, "pid", &pid) || !pid || !jr_str(o, "comm", comm, sizeof(comm)))
		return;
	jr_str(o, "cgroup", cg, sizeof(cg));
	snprintf(d->owner, sizeof(d->owner), "%s[%" PRIu64 "]%s%s", comm, pid, *cg ? " " : "", cg);
}

/* "Recovery" -> 3; -1 if not a congestion state's name. */
static int ca_index(const struct jr_obj *o, const char *key)
{
	char buf[16];
	int i;

	if (!jr_str(o, key, buf, sizeof(buf)))
		return -1;
	for (i = 0; i < 5; i++)
		if (!strcmp(buf, tcp_ca_state_name((unsigned int)i)))
			return i;
	return -1;
}

/* A drop or a congestion state change of a drawn connection: its marks. */
static int why_marks(struct drawn *d, const struct jr_obj *o, uint64_t ts)
{
	if (jr_str_is(o, "type", "drop") && d->drops.n < MAX_MARKS) {
		struct drop_mark m = { ts, "" };

		jr_str(o, "reason", m.reason, sizeof(m.reason));
		return vec_push(&d->drops, &m);
	}
	if (jr_str_is(o, "type", "cong") && d->cong.n < MAX_MARKS) {
		int old = ca_index(o, "old"), new = ca_index(o, "new");
		struct mark m = { ts, (uint8_t)old, (uint8_t) new, 0 };

		if (old < 0 || new < 0 || old == new)
			return 0; /* Loss again: the same interval */
		return vec_push(&d->cong, &m);
	}
	return 0;
}

static int second_pass(struct report *r, const struct jr_obj *o, const char *line, size_t len)
{
	uint64_t ts, cookie = 0, v;
	struct conn *c;
	struct drawn *d;
	int b;

	(void)line;
	(void)len;
	if (!jr_u64(o, "ts_ns", &ts))
		return 0;
	jr_u64(o, "cookie", &cookie);
	c = conntab__find(&r->conns, cookie);
	d = drawn_of(r, c);
	b = bucket_of(r, ts);
	if (d && !d->label[0])
		label_from(d, o);
	if (d)
		owner_from(d, o);
	if (d && why_marks(d, o, ts))
		return -ENOMEM;
	if (jr_str_is(o, "type", "retransmit")) {
		unsigned int k = kind_index(o);

		r->b_kinds[k][b]++;
		v = 0;
		jr_u64(o, "segs", &v);
		if (d && d->rtx.n < MAX_MARKS) {
			struct mark m = { ts, (uint8_t)k, 0, (uint16_t)(v > 65535 ? 65535 : v) };

			return vec_push(&d->rtx, &m);
		}
	} else if (jr_str_is(o, "type", "state")) {
		int old = state_index(o, "old"), new = state_index(o, "new");

		if (d && d->st.n<MAX_MARKS &&new> 0) {
			struct mark m = { ts, (uint8_t)(old > 0 ? old : 0), (uint8_t) new, 0 };

			return vec_push(&d->st, &m);
		}
	} else if (jr_str_is(o, "type", "probe")) {
		static const char *const keys[S_MAX] = { "srtt_us", "snd_cwnd", "ssthresh",
							 "inflight" };
		int s;

		if (!d)
			return 0;
		d->probes++;
		for (s = 0; s < S_MAX; s++) {
			struct pt p = { ts, 0 };

			/* 2147483647: no slow-start threshold yet; not a point. */
			if (!jr_u64(o, keys[s], &v) || (s == S_SSTHRESH && v >= 0x7fffffff))
				continue;
			p.v = (double)v;
			if (vec_push(&d->s[s], &p))
				return -ENOMEM;
		}
	} else if (jr_str_is(o, "type", "connect")) {
		r->b_connects[b]++;
	} else if (jr_str_is(o, "type", "user_established")) {
		r->b_established[b]++;
	} else if (jr_str_is(o, "type", "close")) {
		if (!jr_str_is(o, "err", ""))
			r->b_errors[err_slot(r, o)][b]++;
	} else if (jr_str_is(o, "type", "send_reset") || jr_str_is(o, "type", "receive_reset")) {
		r->b_resets[b]++;
	}
	return 0;
}

/* ---- choosing the connections to draw ---- */

static uint64_t connect_time(const struct conn *c)
{
	return c->uest_ns && c->connect_ns && c->uest_ns > c->connect_ns
		   ? c->uest_ns - c->connect_ns
		   : 0;
}

static int cmp_slow(const void *a, const void *b)
{
	const struct conn *x = *(const struct conn *const *)a, *y = *(const struct conn *const *)b;
	uint64_t tx = connect_time(x), ty = connect_time(y);

	if (tx != ty)
		return tx < ty ? 1 : -1;
	return x->cookie < y->cookie ? -1 : x->cookie > y->cookie;
}

static void draw(struct report *r, struct conn *c, enum why why)
{
	struct drawn *d;
	int s;

	if (c->drawn) {
		r->drawn[c->drawn - 1].why |= 1u << why;
		return;
	}
	if (r->ndrawn == MAX_DRAWN)
		return;
	d = &r->drawn[r->ndrawn++];
	memset(d, 0, sizeof(*d));
	d->cookie = c->cookie;
	d->why = 1u << why;
	for (s = 0; s < S_MAX; s++)
		d->s[s].size = sizeof(struct pt);
	d->rtx.size = d->st.size = d->cong.size = sizeof(struct mark);
	d->drops.size = sizeof(struct drop_mark);
	c->drawn = (uint8_t)r->ndrawn;
}

static bool was_reset(const struct conn *c)
{
	return c->close_kind == CLOSE_RST;
}

static void count_sides(struct report *r, struct conn **all, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (all[i]->side == SIDE_CLIENT)
			r->clients++;
		else if (all[i]->side == SIDE_SERVER)
			r->servers++;
	}
	r->ours = r->clients + r->servers;
}

static void draw_named(struct report *r)
{
	struct conn *c;
	int j;

	for (j = 0; j < r->o->nnamed; j++) {
		c = conntab__find(&r->conns, r->o->named[j]);
		if (c)
			draw(r, c, WHY_NAMED);
		else
			fprintf(stderr, "tcpscope report: cookie %" PRIu64 " is not in %s\n",
				r->o->named[j], r->in);
	}
}

static int choose(struct report *r)
{
	struct conn **all = conntab__sorted(&r->conns, conn__by_cookie, &r->nconns);
	size_t i, n = 0, k;

	if (!all)
		return -ENOMEM;
	for (i = 0; i < r->nconns; i++)
		if (all[i]->side != SIDE_LISTENER)
			all[n++] = all[i];
	count_sides(r, all, n);
	draw_named(r);
	qsort(all, n, sizeof(*all), conn__by_segs);
	for (i = k = 0; i < n && k < r->o->top && all[i]->retrans_segs; i++, k++)
		draw(r, all[i], WHY_RETRANS);
	qsort(all, n, sizeof(*all), cmp_slow);
	for (i = k = 0; i < n && k < r->o->top && connect_time(all[i]); i++, k++)
		draw(r, all[i], WHY_SLOW);
	for (i = k = 0; i < n && k < r->o->top; i++)
		if (all[i]->resets_sent || all[i]->resets_received || was_reset(all[i])) {
			draw(r, all[i], WHY_RESET);
			k++;
		}
	free(all);
	return 0;
}

/* The same rule as stress --trace's agreement (agree.c), from the timeline. */
static int cross_check(struct report *r)
{
	struct conn **all = conntab__sorted(&r->conns, conn__by_cookie, &r->nconns);
	size_t i;

	if (!all)
		return -ENOMEM;
	for (i = 0; i < r->nconns; i++)
		agree__add(&r->check, all[i], r->lost_rtx);
	free(all);
	return 0;
}

/* ---- writing ---- */

static void html_text(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<':
			fputs("&lt;", f);
			break;
		case '>':
			fputs("&gt;", f);
			break;
		case '&':
			fputs("&amp;", f);
			break;
		case '"':
			fputs("&quot;", f);
			break;
		case '\'':
			fputs("&#39;", f);
			break;
		default:
			fputc(*s, f);
		}
	}
}

/* JSON inside <script>: '<', '>' and '&' only occur in strings there, where
 * \u escapes mean the same, so "</script>" can never close the element. */
static void script_safe(FILE *f, const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (s[i] == '<')
			fputs("\\u003c", f);
		else if (s[i] == '>')
			fputs("\\u003e", f);
		else if (s[i] == '&')
			fputs("\\u0026", f);
		else if (s[i] != '\n' && s[i] != '\r')
			fputc(s[i], f);
	}
}

static uint64_t quantile(const uint64_t *v, size_t n, double q)
{
	size_t i = (size_t)ceil(q * (double)n);

	return n ? v[i ? i - 1 : 0] : 0;
}

/* Sorted values as log-spaced bins: [low_ns, high_ns, count]. */
static void dist_json(struct jw *w, const char *key, struct vec *vals)
{
	uint64_t *v = vals->p, bins[NBINS] = { 0 };
	size_t n = vals->n, i;
	double lo, hi, step;
	int b;

	if (n)
		qsort(v, n, sizeof(*v), u64_cmp);
	jw_obj_open(w, key);
	jw_u64(w, "n", n);
	jw_u64(w, "p50_ns", quantile(v, n, 0.5));
	jw_u64(w, "p90_ns", quantile(v, n, 0.9));
	jw_u64(w, "p99_ns", quantile(v, n, 0.99));
	jw_u64(w, "max_ns", n ? v[n - 1] : 0);
	jw_arr_open(w, "bins");
	if (n) {
		lo = log10((double)(v[0] ? v[0] : 1));
		hi = log10((double)(v[n - 1] ? v[n - 1] : 1)) + 1e-9;
		step = hi > lo ? (hi - lo) / NBINS : 1;
		for (i = 0; i < n; i++) {
			b = (int)((log10((double)(v[i] ? v[i] : 1)) - lo) / step);
			bins[b < 0 ? 0 : b >= NBINS ? NBINS - 1 : b]++;
		}
		for (b = 0; b < NBINS && (b == 0 || hi > lo); b++) {
			jw_arr_open(w, NULL);
			jw_double(w, NULL, pow(10, lo + step * b));
			jw_double(w, NULL, pow(10, lo + step * (b + 1)));
			jw_u64(w, NULL, bins[b]);
			jw_arr_close(w);
		}
	}
	jw_arr_close(w);
	jw_obj_close(w);
}

static void u64_array(struct jw *w, const char *key, const uint64_t *v, int n)
{
	int i;

	jw_arr_open(w, key);
	for (i = 0; i < n; i++)
		jw_u64(w, NULL, v[i]);
	jw_arr_close(w);
}

static uint64_t rel_us(const struct report *r, uint64_t ts)
{
	return ts > r->t0 ? (ts - r->t0) / 1000 : 0;
}

static void pt_json(struct jw *w, const struct report *r, const struct pt *p)
{
	jw_arr_open(w, NULL);
	jw_u64(w, NULL, rel_us(r, p->t));
	jw_double(w, NULL, p->v);
	jw_arr_close(w);
}

/* Min and max of each time bucket, in time order: the shape of a curve
 * (its spikes included) in at most max points. */
static void curve_json(struct jw *w, const struct report *r, const char *key, const struct vec *v,
		       unsigned int max)
{
	const struct pt *p = v->p;
	size_t i = 0, nb = max / 2, b;
	uint64_t t0, span;

	jw_obj_open(w, key);
	jw_u64(w, "samples", v->n);
	jw_bool(w, "decimated", v->n > max);
	jw_arr_open(w, "points");
	if (v->n <= max) {
		for (i = 0; i < v->n; i++)
			pt_json(w, r, &p[i]);
		goto out;
	}
	t0 = p[0].t;
	span = p[v->n - 1].t - t0 + 1;
	for (b = 0; b < nb && i < v->n; b++) {
		uint64_t end = t0 + (uint64_t)((double)span * (double)(b + 1) / (double)nb);
		size_t lo = i, hi = i;

		if (p[i].t >= end)
			continue;
		for (; i < v->n && p[i].t < end; i++) {
			if (p[i].v < p[lo].v)
				lo = i;
			if (p[i].v > p[hi].v)
				hi = i;
		}
		pt_json(w, r, &p[lo < hi ? lo : hi]);
		if (lo != hi)
			pt_json(w, r, &p[lo < hi ? hi : lo]);
	}
	for (; i < v->n; i++) /* rounding left the last few */
		pt_json(w, r, &p[i]);
out:
	jw_arr_close(w);
	jw_obj_close(w);
}

/* "drops": [[us, reason]], "cong": [[us, old, new]]: the report draws each
 * change as the start of an interval in the new state. */
static void why_json(struct jw *w, const struct report *r, const struct drawn *d)
{
	const struct drop_mark *dm = d->drops.p;
	const struct mark *m = d->cong.p;
	size_t i;

	jw_arr_open(w, "drops");
	for (i = 0; i < d->drops.n; i++) {
		jw_arr_open(w, NULL);
		jw_u64(w, NULL, rel_us(r, dm[i].t));
		jw_str(w, NULL, dm[i].reason);
		jw_arr_close(w);
	}
	jw_arr_close(w);
	jw_arr_open(w, "cong");
	for (i = 0; i < d->cong.n; i++) {
		jw_arr_open(w, NULL);
		jw_u64(w, NULL, rel_us(r, m[i].t));
		jw_str(w, NULL, tcp_ca_state_name(m[i].a));
		jw_str(w, NULL, tcp_ca_state_name(m[i].b));
		jw_arr_close(w);
	}
	jw_arr_close(w);
}

static void drawn_json(struct jw *w, const struct report *r, const struct drawn *d)
{
	const struct conn *c = conntab__find(&r->conns, d->cookie);
	const struct mark *m;
	size_t i;
	int s;

	jw_obj_open(w, NULL);
	jw_u64(w, "cookie", d->cookie);
	jw_str(w, "label", d->label[0] ? d->label : "(no address seen)");
	jw_arr_open(w, "why");
	for (s = 0; s < WHY_MAX; s++)
		if (d->why & (1u << s))
			jw_str(w, NULL, why_names[s]);
	jw_arr_close(w);
	jw_str(w, "owner", d->owner);
	jw_u64(w, "retrans_segs", c->retrans_segs);
	jw_u64(w, "retrans_segs_failed", c->retrans_segs_failed);
	jw_obj_open(w, "kinds");
	for (s = 0; s < RK_MAX; s++)
		jw_u64(w, retrans_kind_name((unsigned int)s), c->by_kind[s]);
	jw_obj_close(w);
	jw_u64(w, "connect_ns", connect_time(c));
	jw_u64(w, "resets", c->resets_sent + c->resets_received);
	jw_u64(w, "probes", d->probes);
	jw_u64(w, "start_us", rel_us(r, c->connect_ns ? c->connect_ns : c->syn_sent_ns));
	jw_obj_open(w, "series");
	for (s = 0; s < S_MAX; s++)
		curve_json(w, r, series_names[s], &d->s[s], r->o->max_points);
	jw_obj_close(w);
	jw_arr_open(w, "rtx");
	for (i = 0, m = d->rtx.p; i < d->rtx.n; i++) {
		jw_arr_open(w, NULL);
		jw_u64(w, NULL, rel_us(r, m[i].t));
		jw_str(w, NULL, retrans_kind_name(m[i].a));
		jw_u64(w, NULL, m[i].segs);
		jw_arr_close(w);
	}
	jw_arr_close(w);
	jw_bool(w, "rtx_cut", d->rtx.n >= MAX_MARKS);
	why_json(w, r, d);
	jw_arr_open(w, "states");
	for (i = 0, m = d->st.p; i < d->st.n; i++) {
		jw_arr_open(w, NULL);
		jw_u64(w, NULL, rel_us(r, m[i].t));
		jw_str(w, NULL, m[i].a ? tcp_state_name(m[i].a) : "?");
		jw_str(w, NULL, tcp_state_name(m[i].b));
		jw_arr_close(w);
	}
	jw_arr_close(w);
	jw_obj_close(w);
}

static void totals_json(const struct report *r, struct jw *w)
{
	int s;

	jw_obj_open(w, "totals");
	jw_u64(w, "connections", r->ours);
	jw_u64(w, "client", r->clients);
	jw_u64(w, "server", r->servers);
	jw_u64(w, "connects", r->connects);
	jw_u64(w, "established", r->established);
	jw_u64(w, "errors", r->errors);
	jw_u64(w, "retransmits", r->rtx_events);
	jw_u64(w, "retransmit_segs", r->rtx.segs_sent);
	jw_u64(w, "retransmit_segs_failed", r->rtx.segs_failed);
	jw_obj_open(w, "kinds");
	for (s = 0; s < RK_MAX; s++)
		jw_u64(w, retrans_kind_name((unsigned int)s), r->rtx.by_kind[s]);
	jw_obj_close(w);
	jw_u64(w, "state_events", r->state_events);
	jw_u64(w, "probes", r->probes);
	jw_u64(w, "resets_sent", r->resets_sent);
	jw_u64(w, "resets_received", r->resets_recv);
	jw_obj_close(w);
}

static void series_json(const struct report *r, struct jw *w)
{
	int s, e;

	jw_obj_open(w, "series");
	jw_u64(w, "bucket_us", r->bucket_ns / 1000);
	u64_array(w, "connects", r->b_connects, r->nbuckets);
	u64_array(w, "established", r->b_established, r->nbuckets);
	u64_array(w, "resets", r->b_resets, r->nbuckets);
	jw_obj_open(w, "errors");
	for (e = 0; e < r->nerrnames; e++)
		u64_array(w, r->errnames[e], r->b_errors[e], r->nbuckets);
	if (r->nerrnames == MAX_ERRNAMES)
		u64_array(w, "other", r->b_errors[MAX_ERRNAMES], r->nbuckets);
	jw_obj_close(w);
	jw_obj_open(w, "retransmits");
	for (s = 0; s < RK_MAX; s++)
		u64_array(w, retrans_kind_name((unsigned int)s), r->b_kinds[s], r->nbuckets);
	jw_obj_close(w);
	jw_obj_close(w);
}

/* One row of a time-in-state table: its visits (intervals) and their
 * total and distribution. */
static void state_row(struct jw *w, const char *name, const struct hist *h, uint64_t total_ns)
{
	jw_obj_open(w, NULL);
	jw_str(w, "state", name);
	jw_u64(w, "n", h->count);
	jw_u64(w, "total_us", total_ns / 1000);
	jw_double(w, "mean_us", hist__mean(h) / 1e3);
	jw_double(w, "p50_us", (double)hist__quantile(h, 0.5) / 1e3);
	jw_double(w, "p99_us", (double)hist__quantile(h, 0.99) / 1e3);
	jw_double(w, "max_us", (double)h->max / 1e3);
	jw_obj_close(w);
}

/* "states": TCP states; "cong_states": congestion states, from the cong
 * events (empty without them). */
static void states_json(const struct report *r, struct jw *w)
{
	int s;

	jw_arr_open(w, "states");
	for (s = 1; s < TCP_NSTATES; s++)
		if (r->in_state[s].count)
			state_row(w, tcp_state_name((unsigned int)s), &r->in_state[s],
				  r->in_state_total[s]);
	jw_arr_close(w);
	jw_arr_open(w, "cong_states");
	for (s = 0; s < CA_NSTATES; s++)
		if (r->cong.in_state_ns[s].count)
			state_row(w, tcp_ca_state_name((unsigned int)s), &r->cong.in_state_ns[s],
				  r->cong.in_state_ns[s].sum);
	jw_arr_close(w);
}

static void data_json(struct report *r, FILE *f)
{
	struct jw w;
	int s;

	jw_init(&w, f);
	jw_obj_open(&w, NULL);
	jw_str(&w, "source", r->in);
	jw_u64(&w, "lines", r->lines);
	jw_u64(&w, "bad_lines", r->bad_lines);
	jw_u64(&w, "span_us", r->t1 > r->t0 ? (r->t1 - r->t0) / 1000 : 0);
	jw_u64(&w, "max_points", r->o->max_points);
	totals_json(r, &w);
	dist_json(&w, "connect", &r->connect_lat);
	dist_json(&w, "handshake", &r->handshake);
	series_json(r, &w);
	states_json(r, &w);
	jw_obj_open(&w, "check"); /* the keys of stress --json's trace.agreement */
	agree__json_counts(&r->check, &w);
	jw_obj_close(&w);
	jw_arr_open(&w, "conns");
	for (s = 0; s < r->ndrawn; s++)
		drawn_json(&w, r, &r->drawn[s]);
	jw_arr_close(&w);
	jw_obj_close(&w);
}

/* A figure the test reads back: id, and the number in data-value. */
static void stat_cell(FILE *f, const char *id, const char *label, uint64_t v)
{
	fprintf(f,
		"<div class=\"stat\"><span class=\"v\" id=\"%s\" data-value=\"%" PRIu64
		"\">%" PRIu64 "</span><span class=\"l\">",
		id, v, v);
	html_text(f, label);
	fputs("</span></div>\n", f);
}

static void write_page(struct report *r, FILE *f, const char *json, size_t jlen)
{
	int s;

	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
	      "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
	      "<title>tcpscope report: ",
	      f);
	html_text(f, r->in);
	fputs("</title>\n<style>\n", f);
	fputs(report_css, f);
	fputs("</style></head><body>\n<header><h1>tcpscope report</h1><p class=\"src\">", f);
	html_text(f, r->in);
	fprintf(f, " &middot; %" PRIu64 " lines", r->lines);
	if (r->bad_lines)
		fprintf(f,
			" &middot; <b id=\"bad-lines\" data-value=\"%" PRIu64 "\">%" PRIu64
			" lines not understood</b>",
			r->bad_lines, r->bad_lines);
	fputs(" &middot; tcpscope " TCPSCOPE_VERSION "</p></header>\n", f);
	fputs("<section id=\"run\"><h2>Run</h2><div id=\"params\"></div>\n<div class=\"stats\">\n",
	      f);
	stat_cell(f, "s-connections", "connections (ours)", r->ours);
	stat_cell(f, "s-connects", "connect() calls", r->connects);
	stat_cell(f, "s-established", "established (user)", r->established);
	stat_cell(f, "s-errors", "closed with an error", r->errors);
	stat_cell(f, "s-retrans", "retransmit events", r->rtx_events);
	stat_cell(f, "s-retrans-segs", "retransmitted segments sent", r->rtx.segs_sent);
	stat_cell(f, "s-retrans-segs-failed", "retransmits failed to send (segments)",
		  r->rtx.segs_failed);
	for (s = 0; s < RK_MAX; s++) {
		char id[32], label[32];

		snprintf(id, sizeof(id), "s-kind-%s", retrans_kind_name((unsigned int)s));
		snprintf(label, sizeof(label), "retransmits: %s",
			 retrans_kind_name((unsigned int)s));
		stat_cell(f, id, label, r->rtx.by_kind[s]);
	}
	stat_cell(f, "s-resets-sent", "resets sent", r->resets_sent);
	stat_cell(f, "s-resets-received", "resets received", r->resets_recv);
	stat_cell(f, "s-state-events", "state changes", r->state_events);
	stat_cell(f, "s-probes", "probe samples", r->probes);
	fputs("</div></section>\n"
	      "<section><h2>Latency</h2><p class=\"note\">connect: from connect() to the socket "
	      "being writable (user side); handshake: SYN_SENT to ESTABLISHED (kernel side). "
	      "Log scale.</p>\n"
	      "<div class=\"chart\" id=\"chart-connect\"></div>\n"
	      "<div class=\"chart\" id=\"chart-handshake\"></div></section>\n"
	      "<section><h2>Over time</h2>\n"
	      "<div class=\"chart\" id=\"chart-rate\"></div>\n"
	      "<div class=\"chart\" id=\"chart-retrans\"></div></section>\n"
	      "<section><h2>Time in each state</h2><div class=\"chart\" id=\"chart-states\">"
	      "</div></section>\n"
	      "<section><h2>Cross-check</h2><div id=\"check\"></div></section>\n"
	      "<section><h2>Connections worth a look</h2><p class=\"note\">srtt, cwnd, ssthresh "
	      "and bytes in flight from the kernel's probe samples; every retransmit marked by "
	      "kind, every state change by a dashed line, every drop by a red cross, congestion "
	      "states other than Open as bands.</p>\n"
	      "<div id=\"conns\"></div></section>\n"
	      "<script type=\"application/json\" id=\"tcpscope-data\">",
	      f);
	script_safe(f, json, jlen);
	fputs("</script>\n<script type=\"application/json\" id=\"tcpscope-summary\">", f);
	if (r->summary)
		script_safe(f, r->summary, strlen(r->summary));
	else
		fputs("null", f);
	fputs("</script>\n<script>\n", f);
	fputs(report_js, f);
	fputs("</script>\n</body></html>\n", f);
}

static void report_free(struct report *r)
{
	int i, s;

	for (i = 0; i < r->ndrawn; i++) {
		for (s = 0; s < S_MAX; s++)
			free(r->drawn[i].s[s].p);
		free(r->drawn[i].rtx.p);
		free(r->drawn[i].st.p);
		free(r->drawn[i].drops.p);
		free(r->drawn[i].cong.p);
	}
	conntab__free(&r->conns);
	free(r->connect_lat.p);
	free(r->handshake.p);
	free(r->summary);
	free(r);
}

/* 1, 2 or 5 times a power of ten, in ms: about NBUCKETS_MAX/1.5 buckets. */
static void choose_buckets(struct report *r)
{
	uint64_t span = r->t1 > r->t0 ? r->t1 - r->t0 : 1, w = NSEC_PER_MSEC;
	static const int steps[] = { 1, 2, 5 };
	int i = 0;

	while (span / w >= NBUCKETS_MAX * 2 / 3) {
		w = w / (uint64_t)steps[i] * (uint64_t)steps[(i + 1) % 3] * (i == 2 ? 10 : 1);
		i = (i + 1) % 3;
	}
	r->bucket_ns = w;
	r->nbuckets = (int)(span / w) + 1;
}

void report_opts__init(struct report_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->top = 4;
	o->max_points = 1500;
}

/* Both passes over the timeline, and the cross-check. 0 or -errno. */
static int read_timeline(struct report *r)
{
	int err = each_line(r, first_pass, true);

	if (err)
		return err;
	if (!r->t0) {
		fprintf(stderr,
			"tcpscope report: %s has no timeline events (%" PRIu64 " lines, %" PRIu64
			" not JSON)\n",
			r->in, r->lines, r->bad_lines);
		return -EINVAL;
	}
	choose_buckets(r);
	err = choose(r);
	if (!err)
		err = each_line(r, second_pass, false);
	if (!err)
		err = cross_check(r);
	return err;
}

/* The page's data object, in memory. */
static int data_text(struct report *r, char **json, size_t *jlen)
{
	FILE *mem = open_memstream(json, jlen);

	if (!mem)
		return -ENOMEM;
	data_json(r, mem);
	return fclose(mem) ? -ENOMEM : 0;
}

static int write_file(struct report *r, const char *out, const char *json, size_t jlen)
{
	int err = 0, fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;

	if (!f) {
		err = -errno;
		if (fd >= 0)
			close(fd);
		fprintf(stderr, "tcpscope report: cannot write %s: %s\n", out, strerror(-err));
		return err;
	}
	write_page(r, f, json, jlen);
	if (fflush(f) || ferror(f)) {
		err = -(errno ? errno : EIO);
		fprintf(stderr, "tcpscope report: writing %s: %s\n", out, strerror(-err));
	}
	if (fclose(f) && !err) {
		err = -errno;
		fprintf(stderr, "tcpscope report: writing %s: %s\n", out, strerror(-err));
	}
	return err;
}

int report__render(const char *in, const char *out, const struct report_opts *o)
{
	struct report *r = calloc(1, sizeof(*r));
	char *json = NULL;
	size_t jlen = 0;
	int err, s;

	if (!r)
		return -ENOMEM;
	r->o = o;
	r->in = in;
	r->connect_lat.size = r->handshake.size = sizeof(uint64_t);
	for (s = 0; s < TCP_NSTATES; s++)
		hist__init(&r->in_state[s]);
	cong_tally__init(&r->cong, true);
	err = conntab__init(&r->conns, 0);
	if (!err)
		err = read_timeline(r);
	if (!err)
		err = data_text(r, &json, &jlen);
	if (!err)
		err = write_file(r, out, json, jlen);
	if (err == -ENOMEM)
		fprintf(stderr, "tcpscope report: out of memory\n");
	free(json);
	report_free(r);
	return err;
}

static const char report_usage[] =
    "Usage: tcpscope report TIMELINE.jsonl -o FILE.html [OPTIONS]\n"
    "\n"
    "Render a stress --timeline file as one self-contained HTML page (no network\n"
    "needed to open it): the run's parameters and summary, connect and handshake\n"
    "latency distributions, connection rate, errors and retransmits by kind over\n"
    "time, time spent in each state, the cross-check of retransmitted segments\n"
    "against TCP_INFO, and for the connections worth a look (most retransmits,\n"
    "slowest to connect, reset, and any named with --conn) their srtt, cwnd,\n"
    "ssthresh and bytes-in-flight curves with every retransmit, drop and state change\n"
    "marked and their congestion intervals shaded. Long curves are decimated (min and max per time "
    "bucket), and each\n"
    "chart says so. `stress --trace --report FILE.html` does the same at the end\n"
    "of a run.\n"
    "\n"
    "Options:\n"
    "  -o, --output FILE      the HTML file to write (required)\n"
    "      --conn COOKIE      draw this connection too (repeatable, up to 16)\n"
    "      --top N            connections drawn per reason (default 4, up to 8)\n"
    "      --max-points N     points per curve before decimating (default 1500)\n"
    "  -h, --help             this text\n"
    "\n"
    "Exit status: 0 written, 1 the timeline could not be read or the page\n"
    "written, 2 usage error.\n"
    "\n"
    "Examples:\n"
    "  tcpscope stress --mode churn -n 500 --trace --timeline run.jsonl\n"
    "  tcpscope report run.jsonl -o run.html\n"
    "  tcpscope report run.jsonl -o run.html --conn 40961 --max-points 5000\n";

int cmd_report(int argc, char **argv)
{
	enum { OPT_CONN = 256, OPT_TOP, OPT_MAXPTS };
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "conn", required_argument, NULL, OPT_CONN },
		{ "top", required_argument, NULL, OPT_TOP },
		{ "max-points", required_argument, NULL, OPT_MAXPTS },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	struct report_opts o;
	const char *out = NULL;
	uint64_t v;
	int c, err;

	report_opts__init(&o);
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:h", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			out = optarg;
			break;
		case OPT_CONN:
			if (o.nnamed == REPORT_MAX_NAMED)
				cli_fail("report", "at most %d --conn", REPORT_MAX_NAMED);
			err = parse_u64(optarg, 1, UINT64_MAX, &o.named[o.nnamed]);
			if (err)
				cli_bad_number("report", "--conn", optarg, err, 1,
					       "a socket cookie");
			o.nnamed++;
			break;
		case OPT_TOP:
			err = parse_u64(optarg, 0, 8, &v);
			if (err)
				cli_bad_number("report", "--top", optarg, err, 0,
					       "a whole number from 0 to 8");
			o.top = (unsigned int)v;
			break;
		case OPT_MAXPTS:
			err = parse_u64(optarg, 100, 1000000, &v);
			if (err)
				cli_bad_number("report", "--max-points", optarg, err, 100,
					       "a whole number from 100 to 1000000");
			o.max_points = (unsigned int)v;
			break;
		case 'h':
			fputs(report_usage, stdout);
			return 0;
		default:
			cli_bad_option("report", c, argv, opts);
		}
	}
	if (optind >= argc)
		cli_fail("report", "no timeline given; usage: tcpscope report TIMELINE.jsonl -o "
				   "FILE.html");
	if (optind + 1 < argc)
		cli_fail("report", "unexpected argument '%s'", argv[optind + 1]);
	if (!out)
		cli_fail("report", "no output given; add -o FILE.html");
	return report__render(argv[optind], out, &o) ? 1 : 0;
}
