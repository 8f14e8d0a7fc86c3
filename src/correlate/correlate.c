// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* stress --trace: kernel events joined to our own connections by cookie. */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "correlate/conntab.h"
#include "correlate/correlate.h"
#include "correlate/internal.h"
#include "correlate/summary.h"
#include "tracer/events.h"
#include "lib/hist.h"
#include "lib/util.h"

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

	if (c->state_ns && old < TCP_NSTATES)
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
	if (new == TCP_STATE_CLOSE && k->cong.on)
		cong__close(&k->cong, &c->cong, e->ts_ns, c->kest_ns);
	path_add(c, new);
	c->state_ns = e->ts_ns;
	c->last_state = new;
	if (cookie_over(k, c))
		k->filter.del(k->filter.ctx, c->cookie);
}

static void on_retransmit(struct correlator *k, struct conn *c, const struct event *e)
{
	rtx_count__add(&k->rtx, e->retrans.kind, e->retrans.segs, e->retrans.err);
	if (c)
		conn__retransmit(c, e->ts_ns, e->retrans.kind, e->retrans.segs, e->retrans.err,
				 e->retrans.total_retrans);
}

/* The connection of e's cookie, made on first sight, learning its
 * endpoints from the events (the local port arrives after SYN_SENT). */
static struct conn *conn_of(struct correlator *k, const struct event *e)
{
	struct conn *c;

	if (!e->cookie)
		return NULL;
	c = conntab__find(&k->conns, e->cookie);
	/* Unknown cookies: the built-in server's sockets before accept() (they
	 * pass the kernel's filter by port), or, with --trace-all, everyone
	 * else's. */
	if (!c && (c = conntab__get(&k->conns, e)))
		c->ours = !k->o.trace_all; /* filtered in the kernel: ours */
	if (!c)
		return NULL;
	if (!c->first_ns)
		c->first_ns = e->ts_ns;
	c->last_ns = e->ts_ns;
	if (!c->family && e->family) {
		c->family = e->family;
		memcpy(c->saddr, e->saddr, sizeof(c->saddr));
		memcpy(c->daddr, e->daddr, sizeof(c->daddr));
		c->dport = e->dport;
	}
	if (!c->sport && e->family == c->family)
		c->sport = e->sport;
	return c;
}

#define UNJOINED_MAX 65536 /* drops without a cookie kept for the join */

static void drop_joined(struct correlator *k, struct conn *c, const struct event *e)
{
	c->drops++;
	c->drop_reason = e->drop.reason;
	if (c->ours)
		drop_count__add(&k->drops_ours, &e->drop, true);
}

/* A drop: joined by its cookie now, or (a segment without one) by its
 * 4-tuple at the end, when every connection knows its ports. */
static void on_drop(struct correlator *k, struct conn *c, const struct event *e)
{
	if (c || e->cookie || k->nunjoined == UNJOINED_MAX) {
		drop_count__add(&k->drops, &e->drop, c != NULL);
		if (c)
			drop_joined(k, c, e);
		return;
	}
	if (k->nunjoined == k->unjoined_cap) {
		size_t n = k->unjoined_cap ? 2 * k->unjoined_cap : 256;
		struct event *v = realloc(k->unjoined, n * sizeof(*v));

		if (!v) {
			drop_count__add(&k->drops, &e->drop, false);
			return;
		}
		k->unjoined = v;
		k->unjoined_cap = n;
	}
	k->unjoined[k->nunjoined++] = *e;
}

void correlator__join_drops(struct correlator *k)
{
	size_t i;

	pthread_mutex_lock(&k->lock);
	for (i = 0; i < k->nunjoined; i++) {
		const struct event *e = &k->unjoined[i];
		struct conn *c = conntab__find_tuple(&k->conns, e);

		drop_count__add(&k->drops, &e->drop, c != NULL);
		if (c)
			drop_joined(k, c, e);
	}
	k->nunjoined = 0;
	pthread_mutex_unlock(&k->lock);
}

static void on_reset(struct conn *c, const struct event *e)
{
	if (e->type == EV_SEND_RESET) {
		c->resets_sent++;
		c->reset_reason = e->reset.reason;
	} else {
		c->resets_received++;
		c->reset_rx_state = e->reset.tcp_state;
	}
}

static void on_probe(struct conn *c, const struct event *e)
{
	c->probes++;
	c->last_srtt_us = e->probe.srtt_us;
	if (e->probe.srtt_us > c->max_srtt_us)
		c->max_srtt_us = e->probe.srtt_us;
}

/* A congestion state set: the interval of the state left ends. Its length
 * goes in the timeline. */
static uint64_t on_cong(struct correlator *k, struct conn *c, const struct event *e)
{
	return cong__set(&k->cong, &c->cong, e->ts_ns, e->cong.old_ca, e->cong.new_ca, c->kest_ns);
}

int correlator__event(void *ctx, const struct event *e)
{
	struct correlator *k = ctx;
	struct conn *c;
	char extra[96];
	uint64_t cong_ns = 0;
	unsigned int type = e->type < EV_TYPE_MAX ? e->type : EV_RETRANSMIT;

	pthread_mutex_lock(&k->lock);
	c = conn_of(k, e);
	k->events[type]++;
	if (!c || !c->ours)
		k->foreign[type]++;
	owner_tally__event(&k->owners, e);
	if (type == EV_RETRANSMIT)
		on_retransmit(k, c, e);
	else if (type == EV_SEND_RESET)
		k->reasons[e->reset.reason < 64 ? e->reset.reason : 0]++;
	else if (type == EV_DROP)
		on_drop(k, c, e);
	if (c && type == EV_STATE)
		on_state(k, c, e);
	else if (c && type == EV_PROBE)
		on_probe(c, e);
	else if (c && (type == EV_SEND_RESET || type == EV_RECV_RESET))
		on_reset(c, e);
	else if (c && type == EV_CONG)
		cong_ns = on_cong(k, c, e);
	if (k->timeline) {
		snprintf(extra, sizeof(extra), ",\"side\":\"%s\"", side_name(c));
		if (type == EV_CONG && cong_ns)
			snprintf(extra + strlen(extra), sizeof(extra) - strlen(extra),
				 ",\"interval_ns\":%" PRIu64, cong_ns);
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
	if (!k->o.trace_all && k->filter.add(k->filter.ctx, cookie))
		__atomic_fetch_add(&k->untraced, 1, __ATOMIC_RELAXED);
	pthread_mutex_lock(&k->lock);
	c = conntab__get(&k->conns, &id);
	if (c)
		c->ours = 1;
	pthread_mutex_unlock(&k->lock);
}

static void timeline_user(struct correlator *k, const struct conn *c, const char *type, uint64_t ts,
			  const char *fmt, ...) __attribute__((format(printf, 5, 6)));

static void timeline_user(struct correlator *k, const struct conn *c, const char *type, uint64_t ts,
			  const char *fmt, ...)
{
	va_list ap;

	fprintf(k->timeline,
		"{\"type\":\"%s\",\"ts_ns\":%" PRIu64 ",\"cookie\":%" PRIu64 ",\"side\":\"client\"",
		type, ts, c->cookie);
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
	/* No event of it read yet (perhaps none will come): the load
	 * engine's view of both ends, where a hook asked for its own
	 * (want_local: --records). Half of one would keep the events from
	 * filling in the rest (conn_of()). */
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
				      tcp_state_name(r->last_info.state),
				      r->last_info.total_retrans, r->last_info.rtt_us,
				      r->last_info.rttvar_us, r->last_info.snd_cwnd);
		timeline_user(k, c, "close", r->t_close_ns, ",\"how\":\"%s\",\"err\":\"%s\"",
			      close_names[r->close_kind < 5 ? r->close_kind : 0],
			      r->err ? errno_name(r->err) : "");
	}
out:
	pthread_mutex_unlock(&k->lock);
	if (over)
		k->filter.del(k->filter.ctx, r->cookie);
}

static void hook_listen(void *ctx, const struct sockaddr_storage *addr)
{
	struct correlator *k = ctx;
	uint16_t port =
	    ntohs(addr->ss_family == AF_INET6 ? ((const struct sockaddr_in6 *)addr)->sin6_port
					      : ((const struct sockaddr_in *)addr)->sin_port);

	if (k->o.trace_all)
		return;
	if (k->filter.add_port(k->filter.ctx, port))
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

int correlator__init(struct correlator *k, const struct corr_opts *o)
{
	int i;

	memset(k, 0, sizeof(*k));
	k->o = *o;
	k->attach = "none";
	pthread_mutex_init(&k->lock, NULL);
	hist__init(&k->handshake_ns);
	for (i = 0; i < TCP_NSTATES; i++)
		hist__init(&k->in_state_ns[i]);
	cong_tally__init(&k->cong, false); /* on once attached */
	return conntab__init(&k->conns, CORR_MAX_CONNS);
}

void correlator__fini(struct correlator *k)
{
	if (k->timeline)
		fclose(k->timeline);
	corr_summary__free(k->summary);
	conntab__free(&k->conns);
	free(k->unjoined);
	owner_tally__free(&k->owners);
	pthread_mutex_destroy(&k->lock);
}
