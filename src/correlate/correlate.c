// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* stress --trace: kernel events joined to our own connections by cookie. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "correlate/conntab.h"
#include "correlate/correlate.h"
#include "tracer/events.h"
#include "lib/hist.h"
#include "metrics/metrics.h"
#include "lib/privs.h"
#include "lib/util.h"

#define NSTATES 14
#define MAX_PATHS 64
#define MAX_LISTED 10
#define RTX_RING 8 /* ARRAY_SIZE(conn.rtx_ts) */

/*
 * The segments retransmitted up to the connection's last TCP_INFO poll
 * (taken just before close()): what tcpi_total_retrans should say. Later
 * ones (sent between that poll and close(), a FIN the orphaned socket
 * retransmits) are among the last few events. -1 when more than RTX_RING
 * came after the poll and the figure cannot be known.
 */
static int64_t segs_before_poll(const struct conn *c)
{
	int64_t segs = c->segs_ok;
	unsigned int i, n = c->rtx_head < RTX_RING ? c->rtx_head : RTX_RING;

	for (i = 0; i < n; i++) {
		unsigned int idx = (c->rtx_head - 1 - i) % RTX_RING;

		if (c->rtx_ts[idx] <= c->info_ns)
			return segs;
		segs -= c->rtx_segs[idx];
	}
	return n == RTX_RING && c->rtx_head > RTX_RING ? -1 : segs;
}

/* The socket's own total_retrans as the last retransmit before the poll
 * left it (-1: unknown). */
static int64_t total_before_poll(const struct conn *c)
{
	unsigned int i, n = c->rtx_head < RTX_RING ? c->rtx_head : RTX_RING;

	for (i = 0; i < n; i++) {
		unsigned int idx = (c->rtx_head - 1 - i) % RTX_RING;

		if (c->rtx_ts[idx] <= c->info_ns)
			return c->rtx_total[idx];
	}
	return c->rtx_head ? -1 : 0;
}

struct path_count {
	uint8_t side;
	uint8_t n;
	uint8_t st[14];
	uint64_t count;
};

struct correlator {
	struct corr_opts o;
	struct tracer *t;
	pthread_t thread;
	bool running;
	volatile bool stop;
	int poll_err;
	pthread_mutex_t lock; /* conns, the counters below, the timeline */
	struct conntab conns;
	FILE *timeline;
	int timeline_err;
	/* what the kernel told us */
	uint64_t events[EV_TYPE_MAX];
	uint64_t foreign[EV_TYPE_MAX];
	uint64_t by_kind[RK_MAX];
	uint64_t segs;
	uint64_t reasons[64]; /* resets sent, by enum sk_rst_reason */
	uint64_t untraced;    /* cookies the kernel map refused */
	bool by_port;         /* the built-in server's port selects our sockets */
	bool typed;           /* tp_btf: every event has its socket's cookie */
	struct hist handshake_ns;
	struct hist in_state_ns[NSTATES];
	struct tracer_counts tc;
	struct metrics *metrics; /* --metrics: counted by the poll thread */
	/* filled at the end */
	struct path_count paths[MAX_PATHS];
	int npaths;
	uint64_t other_paths;
};

static const char *side_name(const struct conn *c)
{
	static const char *const names[] = { "unknown", "client", "server", "listener" };

	if (!c || !c->ours)
		return "foreign";
	return names[c->side < 4 ? c->side : 0];
}

static void path_add(struct conn *c, uint8_t st)
{
	if (c->npath < sizeof(c->path))
		c->path[c->npath] = st;
	if (c->npath < 255)
		c->npath++;
}

/*
 * Whether the kernel's cookie filter can let this connection go. CLOSE is
 * not the end: the kernel sets CLOSE before it sends the reset of an
 * abortive close (tcp_close, tcp_disconnect, too many orphans), and a
 * reset or CLOSE may come from a timer after close(). Every event that can
 * follow CLOSE on a full socket comes inside the close() that ends it, so
 * the slot is free only once both have happened: the kernel's CLOSE and
 * the load engine's close() (its on_conn_done), whichever is seen last.
 * Only then did every event of the socket pass the filter. Called with the
 * lock held.
 */
static bool cookie_over(const struct correlator *k, const struct conn *c)
{
	return c->ours && c->done && c->last_state == TCP_STATE_CLOSE && !k->o.trace_all &&
	       !k->by_port;
}

static void on_state(struct correlator *k, struct conn *c, const struct event *e)
{
	uint8_t old = e->state.oldstate, new = e->state.newstate;

	if (c->state_ns && old < NSTATES)
		hist__record(&k->in_state_ns[old], e->ts_ns - c->state_ns);
	if (new == TCP_STATE_LISTEN || (old == TCP_STATE_LISTEN && new == TCP_STATE_CLOSE)) {
		c->side = SIDE_LISTENER; /* the built-in server's listeners */
	} else if (new == TCP_STATE_SYN_SENT) {
		c->side = SIDE_CLIENT;
		c->syn_sent_ns = e->ts_ns;
	} else if (new == TCP_STATE_SYN_RECV && !c->side) {
		c->side = SIDE_SERVER;
	}
	if (new == TCP_STATE_ESTABLISHED) {
		c->kest_ns = e->ts_ns;
		if (old == TCP_STATE_SYN_SENT && c->syn_sent_ns)
			hist__record(&k->handshake_ns, e->ts_ns - c->syn_sent_ns);
	}
	path_add(c, new);
	c->state_ns = e->ts_ns;
	c->last_state = new;
	if (cookie_over(k, c))
		tracer__del_cookie(k->t, c->cookie);
}

static void on_retransmit(struct correlator *k, struct conn *c, const struct event *e)
{
	unsigned int kind = e->retrans.kind < RK_MAX ? e->retrans.kind : RK_OTHER;

	k->by_kind[kind]++;
	k->segs += e->retrans.segs;
	if (!c)
		return;
	c->retrans_events++;
	c->retrans_segs += e->retrans.segs;
	c->by_kind[kind]++;
	if (!e->retrans.err) {
		c->segs_ok += e->retrans.segs;
		c->rtx_ts[c->rtx_head % RTX_RING] = e->ts_ns;
		c->rtx_segs[c->rtx_head % RTX_RING] = e->retrans.segs;
		c->rtx_total[c->rtx_head % RTX_RING] = e->retrans.total_retrans;
		c->rtx_head++;
	}
}

static int on_event(void *ctx, const struct event *e)
{
	struct correlator *k = ctx;
	struct conn *c = NULL;
	char extra[96];
	unsigned int type = e->type < EV_TYPE_MAX ? e->type : EV_RETRANSMIT;

	pthread_mutex_lock(&k->lock);
	if (e->cookie) {
		c = conntab__find(&k->conns, e->cookie);
		/* Unknown cookies: the built-in server's sockets before accept()
		 * (they pass the kernel's filter by port), or, with --trace-all,
		 * everyone else's. */
		if (!c && (c = conntab__get(&k->conns, e)))
			c->ours = !k->o.trace_all; /* filtered in the kernel: ours */
	}
	k->events[type]++;
	if (k->metrics)
		metrics__event(k->metrics, e);
	if (!c || !c->ours)
		k->foreign[type]++;
	if (c) {
		if (!c->first_ns)
			c->first_ns = e->ts_ns;
		c->last_ns = e->ts_ns;
		/* Entries made from a cookie alone learn their endpoints here;
		 * the local port arrives after SYN_SENT. */
		if (!c->family && e->family) {
			c->family = e->family;
			memcpy(c->saddr, e->saddr, sizeof(c->saddr));
			memcpy(c->daddr, e->daddr, sizeof(c->daddr));
			c->dport = e->dport;
		}
		if (!c->sport && e->family == c->family)
			c->sport = e->sport;
	}
	switch (type) {
	case EV_STATE:
		if (c)
			on_state(k, c, e);
		break;
	case EV_RETRANSMIT:
		on_retransmit(k, c, e);
		break;
	case EV_PROBE:
		if (c) {
			c->probes++;
			c->last_srtt_us = e->probe.srtt_us;
			if (e->probe.srtt_us > c->max_srtt_us)
				c->max_srtt_us = e->probe.srtt_us;
		}
		break;
	case EV_SEND_RESET:
		k->reasons[e->reset.reason < 64 ? e->reset.reason : 0]++;
		if (c)
			c->resets_sent++;
		break;
	case EV_RECV_RESET:
		if (c)
			c->resets_received++;
		break;
	}
	if (k->timeline) {
		snprintf(extra, sizeof(extra), ",\"side\":\"%s\"", side_name(c));
		event_print_json(k->timeline, e, extra);
	}
	pthread_mutex_unlock(&k->lock);
	return 0;
}

/* ---- hooks, called from the load engine's worker threads ---- */

static void hook_socket(void *ctx, uint64_t cookie)
{
	struct correlator *k = ctx;
	struct event id = { .cookie = cookie };
	struct conn *c;

	/* Against the built-in server its port lets our sockets through the
	 * kernel's filter, and on tp_btf every event carries its socket's
	 * cookie (raw_tp's do only once someone asked for it): the first
	 * event makes the entry, as ours, and hook_conn_done() makes it for
	 * a client whose events were all lost (counted as lost). Nothing to
	 * do here, and no lock to take on the workers' path. */
	if (k->by_port && k->typed)
		return;
	/* Into the kernel's filter before connect(), so SYN_SENT is seen. */
	if (!k->o.trace_all && tracer__add_cookie(k->t, cookie))
		__atomic_fetch_add(&k->untraced, 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&k->lock);
	c = conntab__get(&k->conns, &id);
	if (c)
		c->ours = 1;
	pthread_mutex_unlock(&k->lock);
}

static void timeline_user(struct correlator *k, const struct conn *c, const char *type,
			  uint64_t ts, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void timeline_user(struct correlator *k, const struct conn *c, const char *type,
			  uint64_t ts, const char *fmt, ...)
{
	va_list ap;

	fprintf(k->timeline, "{\"type\":\"%s\",\"ts_ns\":%" PRIu64 ",\"cookie\":%" PRIu64
			     ",\"side\":\"client\"", type, ts, c->cookie);
	va_start(ap, fmt);
	vfprintf(k->timeline, fmt, ap);
	va_end(ap);
	fputs("}\n", k->timeline);
}

static void hook_conn_done(void *ctx, const struct conn_record *r)
{
	static const char *const close_names[] = { "none", "fin", "rst", "peer", "error" };
	struct correlator *k = ctx;
	struct event id = { .cookie = r->cookie };
	bool over = false;
	struct conn *c;

	pthread_mutex_lock(&k->lock);
	c = conntab__get(&k->conns, &id);
	if (!c)
		goto out;
	c->ours = 1;
	c->side = SIDE_CLIENT;
	c->done = 1;
	c->connect_ns = r->t_connect_ns;
	c->uest_ns = r->t_established_ns;
	c->close_ns = r->t_close_ns;
	c->err = r->err;
	c->close_kind = r->close_kind;
	c->info_valid = r->last_info.valid;
	c->info_ns = r->last_info.valid ? r->last_info.t_ns : r->t_close_ns;
	c->info_total_retrans = r->last_info.total_retrans;
	c->info_rtt_us = r->last_info.rtt_us;
	c->info_cwnd = r->last_info.snd_cwnd;
	if (!c->family && r->local.family) {
		c->family = r->local.family;
		memcpy(c->saddr, r->local.addr, sizeof(c->saddr));
		memcpy(c->daddr, r->remote.addr, sizeof(c->daddr));
		c->sport = r->local.port;
		c->dport = r->remote.port;
	}
	over = cookie_over(k, c);
	if (k->timeline) {
		timeline_user(k, c, "connect", r->t_connect_ns, "%s", "");
		if (r->t_established_ns)
			timeline_user(k, c, "user_established", r->t_established_ns,
				      ",\"connect_latency_ns\":%" PRIu64,
				      r->t_established_ns - r->t_connect_ns);
		if (r->last_info.valid)
			timeline_user(k, c, "tcp_info", r->last_info.t_ns,
				      ",\"state\":\"%s\",\"total_retrans\":%u,\"rtt_us\":%u,"
				      "\"rttvar_us\":%u,\"snd_cwnd\":%u",
				      tcp_state_name(r->last_info.state), r->last_info.total_retrans,
				      r->last_info.rtt_us, r->last_info.rttvar_us,
				      r->last_info.snd_cwnd);
		timeline_user(k, c, "close", r->t_close_ns, ",\"how\":\"%s\",\"err\":\"%s\"",
			      close_names[r->close_kind < 5 ? r->close_kind : 0],
			      r->err ? errno_name(r->err) : "");
	}
out:
	pthread_mutex_unlock(&k->lock);
	if (over)
		tracer__del_cookie(k->t, r->cookie);
}

static void hook_listen(void *ctx, const struct sockaddr_storage *addr)
{
	struct correlator *k = ctx;
	uint16_t port = ntohs(addr->ss_family == AF_INET6 ?
				      ((const struct sockaddr_in6 *)addr)->sin6_port :
				      ((const struct sockaddr_in *)addr)->sin_port);

	if (k->o.trace_all)
		return;
	if (tracer__add_own_port(k->t, port))
		fprintf(stderr, "tcpscope stress: cannot trace the built-in server's port %u\n",
			port);
	else
		k->by_port = true; /* before the first connect: see stress.h */
}

void correlator__hooks(struct correlator *c, struct stress_hooks *h)
{
	memset(h, 0, sizeof(*h));
	h->ctx = c;
	h->on_socket = hook_socket;
	h->on_conn_done = hook_conn_done;
	h->on_listen = hook_listen;
}

/* ---- the poll thread ---- */

static void *poll_thread(void *arg)
{
	struct correlator *k = arg;
	int err;

	while (!k->stop) {
		err = tracer__poll(k->t, 50);
		if (err < 0 && err != -EINTR) {
			k->poll_err = err;
			break;
		}
		if (k->metrics)
			metrics__publish(k->metrics);
	}
	return NULL;
}

int correlator__open(struct correlator **cp, const struct corr_opts *o)
{
	struct tracer_opts to = {
		.events = (1u << EV_TYPE_MAX) - 1,
		.filter_cookies = !o->trace_all,
		.max_cookies = o->max_conns,
		.probe_interval_ns = o->probe_interval_ns,
		.ringbuf_size = o->ringbuf_size,
		/* Wake the poll thread per 256 KiB rather than per event: it
		 * polls every 50 ms anyway, and the join is made at the end. */
		.wakeup_bytes = o->ringbuf_size && o->ringbuf_size / 4 < (256 << 10) ?
					o->ringbuf_size / 4 : 256 << 10,
		.attach = o->attach,
		.verbose = o->verbose,
	};
	struct correlator *k;
	const char *msg = "";
	int err, i, fd;

	*cp = NULL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	k->o = *o;
	pthread_mutex_init(&k->lock, NULL);
	hist__init(&k->handshake_ns);
	for (i = 0; i < NSTATES; i++)
		hist__init(&k->in_state_ns[i]);
	err = conntab__init(&k->conns, 4000000);
	if (err)
		goto fail;
	if (o->timeline) {
		/* A new file, not through a symlink someone planted. */
		fd = open(o->timeline, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0 || !(k->timeline = fdopen(fd, "w"))) {
			err = -errno;
			if (fd >= 0)
				close(fd);
			fprintf(stderr, "tcpscope stress: --timeline %s: %s\n", o->timeline,
				strerror(-err));
			goto fail;
		}
		setvbuf(k->timeline, NULL, _IOFBF, 1 << 20);
		privs_give_file(fd);
	}
	if (o->metrics_addr) {
		err = metrics__open(&k->metrics, o->metrics_addr, "stress");
		if (err)
			goto fail;
	}
	err = tracer__open(&k->t, &to, on_event, k, &msg);
	if (err) {
		fprintf(stderr, "tcpscope stress: --trace: %s: %s\n", msg, strerror(-err));
		goto fail;
	}
	k->typed = tracer__typed(k->t);
	*cp = k;
	return 0;
fail:
	correlator__destroy(k);
	return err;
}

int correlator__start(struct correlator *c)
{
	int err = c->metrics ? metrics__start(c->metrics, c->t, NULL, "stress") : 0;

	if (err)
		return err;
	err = pthread_create(&c->thread, NULL, poll_thread, c);
	if (err)
		return -err;
	c->running = true;
	return 0;
}

void correlator__stop(struct correlator *c)
{
	if (c->running) {
		c->stop = true;
		pthread_join(c->thread, NULL);
		c->running = false;
	}
	/* Late state changes (FIN_WAIT2 -> CLOSE) follow close() closely. */
	usleep(100 * 1000);
	tracer__drain(c->t);
	if (c->metrics)
		metrics__publish(c->metrics);
	if (tracer__counts(c->t, &c->tc))
		fprintf(stderr, "tcpscope stress: cannot read the tracer's loss counters\n");
	if (c->poll_err)
		fprintf(stderr, "tcpscope stress: reading the ring buffer: %s\n",
			strerror(-c->poll_err));
	if (c->timeline && (fflush(c->timeline) || ferror(c->timeline))) {
		c->timeline_err = errno ? errno : EIO;
		fprintf(stderr, "tcpscope stress: --timeline %s: %s\n", c->o.timeline,
			strerror(c->timeline_err));
	}
}

int correlator__timeline_append(struct correlator *c, void (*fn)(void *ctx, FILE *f),
				void *ctx)
{
	if (!c->timeline || c->timeline_err)
		return c->timeline_err ? -c->timeline_err : 0;
	fn(ctx, c->timeline);
	if (fflush(c->timeline) || ferror(c->timeline)) {
		c->timeline_err = errno ? errno : EIO;
		fprintf(stderr, "tcpscope stress: --timeline %s: %s\n", c->o.timeline,
			strerror(c->timeline_err));
		return -c->timeline_err;
	}
	return 0;
}

uint64_t correlator__caps_needed(struct correlator *c)
{
	return tracer__caps_needed(c->t);
}

bool correlator__failed(const struct correlator *c)
{
	return c->timeline_err != 0 || c->poll_err != 0;
}

void correlator__destroy(struct correlator *c)
{
	if (!c)
		return;
	metrics__destroy(c->metrics); /* its thread reads the tracer's counters */
	tracer__destroy(c->t);
	if (c->timeline)
		fclose(c->timeline);
	conntab__free(&c->conns);
	pthread_mutex_destroy(&c->lock);
	free(c);
}

/* ---- the summary ---- */

static uint64_t sum(const uint64_t *v, int n)
{
	uint64_t s = 0;

	while (n--)
		s += v[n];
	return s;
}

static bool path_usual(const struct path_count *p)
{
	/* FIN_WAIT2 is skipped when the peer's FIN comes with its ACK. */
	static const uint8_t client_fin[] = { 2, 1, 4, 5, 7 }, client_fin_ack[] = { 2, 1, 4, 7 },
			     client_rst[] = { 2, 1, 7 }, server_fin[] = { 3, 1, 8, 9, 7 },
			     server_rst[] = { 3, 1, 7 }, server_peer_rst[] = { 3, 1, 8, 7 };
	const uint8_t *known[] = { client_fin, client_fin_ack, client_rst, server_fin,
				   server_rst, server_peer_rst };
	const uint8_t lens[] = { 5, 4, 3, 5, 3, 4 };
	size_t i;

	for (i = 0; i < sizeof(lens); i++)
		if (p->n == lens[i] && !memcmp(p->st, known[i], lens[i]))
			return true;
	return false;
}

static void count_paths(struct correlator *k, const struct conn *c)
{
	int i, n = c->npath < 14 ? c->npath : 14;

	for (i = 0; i < k->npaths; i++) {
		if (k->paths[i].side == c->side && k->paths[i].n == n &&
		    !memcmp(k->paths[i].st, c->path, (size_t)n)) {
			k->paths[i].count++;
			return;
		}
	}
	if (k->npaths == MAX_PATHS) {
		k->other_paths++;
		return;
	}
	k->paths[k->npaths].side = c->side;
	k->paths[k->npaths].n = (uint8_t)n;
	memcpy(k->paths[k->npaths].st, c->path, (size_t)n);
	k->paths[k->npaths].count = 1;
	k->npaths++;
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

struct tally {
	uint64_t ours, clients, servers;
	uint64_t checked, agreed, mismatched, unverified, drift, kernel_ahead;
	struct conn **drifts;
	size_t ndrift;
	uint64_t syn_conns, never_established, reset_before_user;
	struct hist by_syn[4]; /* connect latency by SYN retransmits: 0, 1, 2, 3+ */
	uint64_t rst_sent[3], rst_recv[3]; /* by side: unknown, client, server */
	struct conn **mismatches;
	size_t nmismatch;
	uint64_t unverified_cookies[MAX_LISTED]; /* the first ones, to name them */
	size_t nunverified_listed;
	struct conn **all;
	size_t nall;
};

static void tally_unverified(struct tally *t, const struct conn *c)
{
	if (t->nunverified_listed < MAX_LISTED)
		t->unverified_cookies[t->nunverified_listed++] = c->cookie;
	t->unverified++;
}

static int by_segs(const void *a, const void *b)
{
	const struct conn *x = *(const struct conn *const *)a, *y = *(const struct conn *const *)b;

	if (x->retrans_segs != y->retrans_segs)
		return x->retrans_segs < y->retrans_segs ? 1 : -1;
	return x->cookie < y->cookie ? -1 : x->cookie > y->cookie;
}

static int by_srtt(const void *a, const void *b)
{
	const struct conn *x = *(const struct conn *const *)a, *y = *(const struct conn *const *)b;

	if (x->max_srtt_us != y->max_srtt_us)
		return x->max_srtt_us < y->max_srtt_us ? 1 : -1;
	return x->cookie < y->cookie ? -1 : x->cookie > y->cookie;
}

static int by_cookie(const void *a, const void *b)
{
	const struct conn *x = *(const struct conn *const *)a, *y = *(const struct conn *const *)b;

	return x->cookie < y->cookie ? -1 : x->cookie > y->cookie;
}

/* One pass over every connection, once the run is over. */
static void tally(struct correlator *k, struct tally *t)
{
	bool lost_rtx = k->tc.lost[EV_RETRANSMIT] > 0;
	size_t i;

	memset(t, 0, sizeof(*t));
	for (i = 0; i < 4; i++)
		hist__init(&t->by_syn[i]);
	k->npaths = 0;
	k->other_paths = 0;
	t->all = conntab__sorted(&k->conns, by_cookie, &t->nall);
	t->mismatches = calloc(MAX_LISTED, sizeof(*t->mismatches));
	t->drifts = calloc(MAX_LISTED, sizeof(*t->drifts));
	if (!t->all || !t->mismatches || !t->drifts) {
		t->nall = 0;
		return;
	}
	for (i = 0; i < t->nall; i++) {
		struct conn *c = t->all[i];
		int64_t bpf;

		if (!c->ours || c->side == SIDE_LISTENER)
			continue;
		t->ours++;
		if (c->side == SIDE_SERVER)
			t->servers++;
		else if (c->side == SIDE_CLIENT || c->done)
			t->clients++;
		if (c->npath || c->done)
			count_paths(k, c);
		t->rst_sent[c->side < 3 ? c->side : 0] += c->resets_sent;
		t->rst_recv[c->side < 3 ? c->side : 0] += c->resets_received;
		if (!c->done)
			continue;
		if (!c->kest_ns)
			t->never_established++;
		if (!c->uest_ns) {
			/* The kernel got there, but a reset came before
			 * connect() could report it. */
			if (c->kest_ns)
				t->reset_before_user++;
			continue;
		}
		if (c->by_kind[RK_SYN])
			t->syn_conns++;
		hist__record(&t->by_syn[c->by_kind[RK_SYN] < 3 ? c->by_kind[RK_SYN] : 3],
			     c->uest_ns - c->connect_ns);
		if (!c->info_valid) {
			tally_unverified(t, c);
			continue;
		}
		bpf = segs_before_poll(c);
		if (bpf < 0) {
			tally_unverified(t, c);
			continue;
		}
		t->checked++;
		if (bpf == c->info_total_retrans) {
			t->agreed++;
		} else if (lost_rtx && bpf < c->info_total_retrans) {
			tally_unverified(t, c); /* some of its events may be among the lost */
			t->checked--;
		} else if (total_before_poll(c) == c->info_total_retrans) {
			/* Every retransmit was seen, but the kernel added more to
			 * total_retrans than the skb's segment count at the
			 * tracepoint (the events' own total_retrans shows it). */
			if (t->ndrift < MAX_LISTED)
				t->drifts[t->ndrift++] = c;
			t->drift++;
		} else {
			/* TCP_INFO ahead of every event's own total_retrans: the
			 * kernel counted a retransmit without firing the
			 * tracepoint (seen on 6.18, and bpftrace sees no hit
			 * either). */
			if (total_before_poll(c) >= 0 &&
			    total_before_poll(c) < c->info_total_retrans)
				t->kernel_ahead++;
			if (t->nmismatch < MAX_LISTED)
				t->mismatches[t->nmismatch++] = c;
			t->mismatched++;
		}
	}
}

static void tally_free(struct tally *t)
{
	free(t->all);
	free(t->mismatches);
	free(t->drifts);
}

static const char *kinds_text(const uint64_t *v, char *buf, size_t len)
{
	snprintf(buf, len, "fast %" PRIu64 ", rto %" PRIu64 ", syn %" PRIu64 ", failed %" PRIu64
			   ", other %" PRIu64, v[RK_FAST], v[RK_RTO], v[RK_SYN], v[RK_FAILED],
		 v[RK_OTHER]);
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
	fprintf(f, "  %-26s n %-7" PRIu64 " p50 %-9s p90 %-9s p99 %-9s max %s\n", label,
		h->count, dur(a, sizeof(a), hist__quantile(h, 0.5)),
		dur(b, sizeof(b), hist__quantile(h, 0.9)), dur(c, sizeof(c), hist__quantile(h, 0.99)),
		dur(d, sizeof(d), h->max));
}

static void conn_line(FILE *f, const struct conn *c, const char *what)
{
	char s[INET6_ADDRSTRLEN + 8], d[INET6_ADDRSTRLEN + 8];

	endpoint_format(s, sizeof(s), c->family ? c->family : 4, c->saddr, c->sport);
	endpoint_format(d, sizeof(d), c->family ? c->family : 4, c->daddr, c->dport);
	fprintf(f, "  %-22s %-22s %-6s %s\n", s, d, c->side == SIDE_SERVER ? "server" : "client",
		what);
}

void correlator__print_text(struct correlator *k, const struct stress_result *r, FILE *f)
{
	uint64_t lost = sum(k->tc.lost, EV_TYPE_MAX);
	struct tally t;
	char buf[200];
	size_t i, n;
	int s;

	(void)r;
	pthread_mutex_lock(&k->lock);
	tally(k, &t);
	fprintf(f, "\nkernel view (tcpscope trace, %s programs, joined by socket cookie)\n",
		tracer__attach_name(k->t));
	fprintf(f, "  events: state %" PRIu64 ", retransmit %" PRIu64 ", probe %" PRIu64
		   ", reset sent %" PRIu64 ", received %" PRIu64 "; lost %" PRIu64 "%s\n",
		k->events[EV_STATE], k->events[EV_RETRANSMIT], k->events[EV_PROBE],
		k->events[EV_SEND_RESET], k->events[EV_RECV_RESET], lost,
		lost ? " (ring buffer full: raise --ringbuf-size)" : "");
	if (k->untraced)
		fprintf(f, "  untraced: %" PRIu64 " connections did not fit the kernel's cookie "
			   "map\n", k->untraced);
	fprintf(f, "  connections: %" PRIu64 " ours (%" PRIu64 " client, %" PRIu64
		   " server side)%s\n", t.ours, t.clients, t.servers,
		k->o.trace_all ? ", others' events kept as foreign" : "");
	fprintf(f, "  retransmits: %" PRIu64 " events, %" PRIu64 " segments (%s)\n",
		k->events[EV_RETRANSMIT], k->segs, kinds_text(k->by_kind, buf, sizeof(buf)));
	fprintf(f, "  agreement: BPF retransmitted segments == TCP_INFO total_retrans on %" PRIu64
		   " of %" PRIu64 " connections; unverified %" PRIu64 "\n",
		t.agreed, t.checked, t.unverified);
	if (t.drift)
		fprintf(f, "  %" PRIu64 " more: every retransmit seen, but the kernel counted more "
			   "segments than the skbs carried (events' total_retrans == TCP_INFO)\n",
			t.drift);
	if (t.mismatched)
		fprintf(f, "  mismatched %" PRIu64 " (of which %" PRIu64 " with TCP_INFO ahead of the "
			   "socket's own count at its last traced retransmit: retransmits the kernel "
			   "counted without firing tcp_retransmit_skb)\n",
			t.mismatched, t.kernel_ahead);
	if (t.nunverified_listed) {
		fprintf(f, "  unverified (no TCP_INFO, or retransmit events lost), cookies:");
		for (i = 0; i < t.nunverified_listed; i++)
			fprintf(f, " %" PRIu64, t.unverified_cookies[i]);
		fprintf(f, "%s\n", t.unverified > t.nunverified_listed ? " ..." : "");
	}
	for (i = 0; i < t.nmismatch; i++) {
		const struct conn *m = t.mismatches[i];

		if (!m) /* never: clang-tidy cannot pair the count with the array */
			continue;
		snprintf(buf, sizeof(buf), "mismatch: BPF %" PRId64 ", TCP_INFO %u",
			 segs_before_poll(m), m->info_total_retrans);
		conn_line(f, m, buf);
	}
	fprintf(f, "latency (kernel: SYN_SENT -> ESTABLISHED; user: connect() to writable)\n");
	hist_line(f, "handshake (kernel)", &k->handshake_ns);
	hist_line(f, "connect (user)", &r->connect_ns);
	if (t.syn_conns) {
		static const char *const labels[] = { "connect, 0 SYN retransmits",
						      "connect, 1 SYN retransmit",
						      "connect, 2 SYN retransmits",
						      "connect, 3+ SYN retransmits" };

		fprintf(f, "  (each lost SYN costs the SYN RTO, doubling from 1 s: 1 s, 3 s, 7 s)\n");
		for (s = 0; s < 4; s++)
			if (t.by_syn[s].count)
				hist_line(f, labels[s], &t.by_syn[s]);
	}
	fprintf(f, "time in state\n");
	for (s = 1; s < NSTATES; s++)
		if (k->in_state_ns[s].count)
			hist_line(f, tcp_state_name((unsigned)s), &k->in_state_ns[s]);
	if (k->events[EV_SEND_RESET] || k->events[EV_RECV_RESET]) {
		fprintf(f, "resets: client sent %" PRIu64 ", received %" PRIu64 "; server sent %" PRIu64
			   ", received %" PRIu64 "; without a socket %" PRIu64 "\n",
			t.rst_sent[SIDE_CLIENT], t.rst_recv[SIDE_CLIENT], t.rst_sent[SIDE_SERVER],
			t.rst_recv[SIDE_SERVER],
			k->events[EV_SEND_RESET] - t.rst_sent[SIDE_CLIENT] - t.rst_sent[SIDE_SERVER] -
				t.rst_sent[SIDE_UNKNOWN]);
		fprintf(f, "  sent by reason:");
		for (s = 0; s < 64; s++)
			if (k->reasons[s] && *reset_reason_name((uint32_t)s))
				fprintf(f, "; %s %" PRIu64, reset_reason_name((uint32_t)s),
					k->reasons[s]);
		fputc('\n', f);
	}
	if (t.never_established)
		fprintf(f, "never established: %" PRIu64 " connections (paths below)\n",
			t.never_established);
	if (t.reset_before_user)
		fprintf(f, "established in the kernel, failed in user space (reset before connect() "
			   "returned): %" PRIu64 "\n", t.reset_before_user);
	fprintf(f, "state paths (side: states entered, connections)\n");
	for (i = 0; i < (size_t)k->npaths; i++) {
		path_text(&k->paths[i], buf, sizeof(buf));
		fprintf(f, "  %-6s %s: %" PRIu64 "%s\n",
			k->paths[i].side == SIDE_SERVER ? "server" : "client", buf,
			k->paths[i].count, path_usual(&k->paths[i]) ? "" : "  (unusual)");
	}
	if (t.nall) {
		qsort(t.all, t.nall, sizeof(*t.all), by_segs);
		for (i = n = 0; i < t.nall && n < 5 && t.all[i]->retrans_segs; i++) {
			if (!t.all[i]->ours)
				continue;
			if (!n++)
				fprintf(f, "top connections by retransmitted segments\n");
			uint64_t kinds[RK_MAX];
			char kt[120];
			int kd;

			for (kd = 0; kd < RK_MAX; kd++)
				kinds[kd] = t.all[i]->by_kind[kd];
			snprintf(buf, sizeof(buf), "%u segs (%s)", t.all[i]->retrans_segs,
				 kinds_text(kinds, kt, sizeof(kt)));
			conn_line(f, t.all[i], buf);
		}
		qsort(t.all, t.nall, sizeof(*t.all), by_srtt);
		for (i = n = 0; i < t.nall && n < 5 && t.all[i]->max_srtt_us; i++) {
			if (!t.all[i]->ours)
				continue;
			if (!n++)
				fprintf(f, "top connections by srtt (probes)\n");
			snprintf(buf, sizeof(buf), "max srtt %u us, last %u us", t.all[i]->max_srtt_us,
				 t.all[i]->last_srtt_us);
			conn_line(f, t.all[i], buf);
		}
	}
	tally_free(&t);
	pthread_mutex_unlock(&k->lock);
}

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
	int kd;

	jw_obj_open(w, NULL);
	jw_u64(w, "cookie", c->cookie);
	jw_str(w, "side", c->side == SIDE_SERVER ? "server" : "client");
	addr_format(a, sizeof(a), c->family ? c->family : 4, c->saddr);
	jw_str(w, "saddr", a);
	jw_u64(w, "sport", c->sport);
	addr_format(a, sizeof(a), c->family ? c->family : 4, c->daddr);
	jw_str(w, "daddr", a);
	jw_u64(w, "dport", c->dport);
	jw_u64(w, "retrans_segs", c->retrans_segs);
	jw_obj_open(w, "kinds");
	for (kd = 0; kd < RK_MAX; kd++)
		jw_u64(w, retrans_kind_name((unsigned)kd), c->by_kind[kd]);
	jw_obj_close(w);
	jw_u64(w, "max_srtt_us", c->max_srtt_us);
	if (c->done) {
		jw_i64(w, "bpf_segs_before_poll", segs_before_poll(c));
		jw_i64(w, "bpf_total_retrans_before_poll", total_before_poll(c));
		if (c->info_valid)
			jw_u64(w, "tcpi_total_retrans", c->info_total_retrans);
	}
	jw_obj_close(w);
}

void correlator__print_json(struct correlator *k, struct jw *w)
{
	struct tally t;
	char buf[200];
	size_t i, n;
	int s;

	pthread_mutex_lock(&k->lock);
	tally(k, &t);
	jw_obj_open(w, "trace");
	jw_str(w, "attach", tracer__attach_name(k->t));
	jw_obj_open(w, "events");
	for (s = 0; s < EV_TYPE_MAX; s++)
		jw_u64(w, ev_type_name((unsigned)s), k->events[s]);
	jw_obj_close(w);
	jw_obj_open(w, "foreign_events");
	for (s = 0; s < EV_TYPE_MAX; s++)
		jw_u64(w, ev_type_name((unsigned)s), k->foreign[s]);
	jw_obj_close(w);
	jw_obj_open(w, "retransmits");
	for (s = 0; s < RK_MAX; s++)
		jw_u64(w, retrans_kind_name((unsigned)s), k->by_kind[s]);
	jw_obj_close(w);
	jw_u64(w, "retransmit_segs", k->segs);
	jw_obj_open(w, "resets");
	jw_u64(w, "sent", k->events[EV_SEND_RESET]);
	jw_u64(w, "received", k->events[EV_RECV_RESET]);
	jw_u64(w, "client_sent", t.rst_sent[SIDE_CLIENT]);
	jw_u64(w, "client_received", t.rst_recv[SIDE_CLIENT]);
	jw_u64(w, "server_sent", t.rst_sent[SIDE_SERVER]);
	jw_u64(w, "server_received", t.rst_recv[SIDE_SERVER]);
	jw_obj_open(w, "sent_by_reason");
	for (s = 0; s < 64; s++)
		if (k->reasons[s])
			jw_u64(w, *reset_reason_name((uint32_t)s) ? reset_reason_name((uint32_t)s) :
								     "unknown",
			       k->reasons[s]);
	jw_obj_close(w);
	jw_obj_close(w);
	jw_u64(w, "lost", sum(k->tc.lost, EV_TYPE_MAX));
	jw_u64(w, "recursion_misses", sum(k->tc.recursion_misses, EV_TYPE_MAX));
	jw_u64(w, "recursion_rescued", sum(k->tc.rescued, EV_TYPE_MAX));
	jw_u64(w, "untraced", k->untraced);
	jw_obj_open(w, "connections");
	jw_u64(w, "ours", t.ours);
	jw_u64(w, "client", t.clients);
	jw_u64(w, "server", t.servers);
	jw_u64(w, "never_established", t.never_established);
	jw_u64(w, "kernel_established_user_failed", t.reset_before_user);
	jw_u64(w, "with_syn_retransmits", t.syn_conns);
	jw_obj_close(w);
	jw_obj_open(w, "agreement");
	jw_u64(w, "connections", t.checked);
	jw_u64(w, "agreed", t.agreed);
	jw_u64(w, "mismatched", t.mismatched);
	jw_u64(w, "unverified", t.unverified);
	jw_u64(w, "segment_count_drift", t.drift);
	jw_u64(w, "kernel_ahead", t.kernel_ahead);
	jw_arr_open(w, "unverified_cookies");
	for (i = 0; i < t.nunverified_listed; i++)
		jw_u64(w, NULL, t.unverified_cookies[i]);
	jw_arr_close(w);
	jw_arr_open(w, "mismatches");
	for (i = 0; i < t.nmismatch; i++)
		conn_json(w, t.mismatches[i]);
	jw_arr_close(w);
	jw_arr_open(w, "drifts");
	for (i = 0; i < t.ndrift; i++)
		conn_json(w, t.drifts[i]);
	jw_arr_close(w);
	jw_obj_close(w);
	hist_json(w, "handshake_us", &k->handshake_ns);
	jw_obj_open(w, "connect_us_by_syn_retransmits");
	for (s = 0; s < 4; s++) {
		static const char *const keys[] = { "0", "1", "2", "3+" };

		hist_json(w, keys[s], &t.by_syn[s]);
	}
	jw_obj_close(w);
	jw_obj_open(w, "time_in_state_us");
	for (s = 1; s < NSTATES; s++)
		if (k->in_state_ns[s].count)
			hist_json(w, tcp_state_name((unsigned)s), &k->in_state_ns[s]);
	jw_obj_close(w);
	jw_arr_open(w, "paths");
	for (i = 0; i < (size_t)k->npaths; i++) {
		path_text(&k->paths[i], buf, sizeof(buf));
		jw_obj_open(w, NULL);
		jw_str(w, "side", k->paths[i].side == SIDE_SERVER ? "server" : "client");
		jw_str(w, "states", buf);
		jw_u64(w, "count", k->paths[i].count);
		jw_bool(w, "usual", path_usual(&k->paths[i]));
		jw_obj_close(w);
	}
	jw_arr_close(w);
	jw_arr_open(w, "top_retransmits");
	if (t.nall) {
		qsort(t.all, t.nall, sizeof(*t.all), by_segs);
		for (i = n = 0; i < t.nall && n < MAX_LISTED && t.all[i]->retrans_segs; i++)
			if (t.all[i]->ours && ++n)
				conn_json(w, t.all[i]);
	}
	jw_arr_close(w);
	jw_arr_open(w, "top_srtt");
	if (t.nall) {
		qsort(t.all, t.nall, sizeof(*t.all), by_srtt);
		for (i = n = 0; i < t.nall && n < MAX_LISTED && t.all[i]->max_srtt_us; i++)
			if (t.all[i]->ours && ++n)
				conn_json(w, t.all[i]);
	}
	jw_arr_close(w);
	jw_obj_close(w);
	tally_free(&t);
	pthread_mutex_unlock(&k->lock);
}
