// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The load engine. Each worker thread owns an epoll loop, a fixed table of
 * connections and its counters; nothing is shared on the hot path. Counters
 * live in a MAP_SHARED mapping so that worker processes (when one process
 * may not hold enough descriptors) report through the same memory as
 * threads do, and the parent merges them at the end.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/filter.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include "lib/parse.h"
#include "load/server.h"
#include "load/stress.h"
#include "lib/tcpinfo.h"
#include "lib/util.h"

#define IO_BUF		 (64 * 1024)
#define EVENTS		 512
#define LAUNCH_BURST	 8
#define FD_RESERVE	 64 /* descriptors kept aside for epoll, stdio, listeners */
#define MIN_SPLIT_BUDGET 64 /* below this many descriptors, splitting cannot help */
#define MAX_AUTO_PROCS	 64 /* as --procs allows */
/* Past --duration, what is in flight may finish for this long; then it is
 * cut short, so that a run ends within a second of its bound. */
#define DRAIN_NS (500 * NSEC_PER_MSEC)

enum conn_state { C_FREE, C_CONNECTING, C_IDLE, C_SEND, C_RECV };

struct conn {
	int fd;
	uint8_t state;
	uint8_t src;
	uint8_t src_tries;
	uint32_t armed; /* the epoll events registered, 0: not added */
	uint32_t id;
	uint32_t port_idx; /* hold: this connection's port on its source */
	uint64_t seq;
	uint64_t sent, recvd;
	uint64_t t_tx_ns;
	uint64_t deadline_ns;
	struct conn *prev, *next; /* connecting list, or the free list */
	struct conn_record rec;
};

/* Per worker, in shared memory: written by its worker only. */
struct wstats {
	struct stress_counts c;
	struct errcount errors;
	struct hist connect_ns;
	struct hist rr_ns;
	struct tcpinfo_agg ti;
	int hit_addrnotavail;
	uint64_t src_attempts[STRESS_MAX_SOURCES];
};

struct shared {
	volatile int stop;	  /* clients: stop now (signal, or caller) */
	volatile int stop_server; /* built-in server processes: exit */
	int nworkers;
	int nsrv_threads;
	struct wstats *ws;	  /* nworkers */
	struct server_stats *srv; /* nsrv_threads */
};

struct run {
	const struct stress_opts *o;
	const struct stress_hooks *hooks;
	struct sockaddr_storage target;
	socklen_t tlen;
	struct sockaddr_storage sources[STRESS_MAX_SOURCES];
	int nsources, nprimary, source_plan;
	uint64_t t0, t_end;
	struct shared *sh;
	bool sockopt_warned;
	bool want_cookie; /* SO_COOKIE per socket: a hook names connections by it */
	bool want_local;  /* getsockname() per connection: hooks->want_local */
	bool send_first;  /* write the request right after connect() */
	/* The built-in server in the workers' own loops (one process): the
	 * listener of worker i, taken by it (-1 after); server options. */
	int *lfds;
	struct server_opts so;
	int clients_done; /* workers whose connections are all closed */
	int nlocal;	  /* workers in this process */
	bool steer;	  /* listener i serves the sources of worker i (CBPF) */
	/* hold on planned or given sources: each connection binds port
	 * port_lo + its port_idx, which is unique on its source, instead of
	 * leaving the choice to connect() (see conn_bind()). */
	bool own_port_pick;
	int port_lo, port_hi;
};

struct worker {
	struct run *run;
	int index;
	uint64_t share;	      /* hold/rr: connections; churn: attempts if limited */
	bool limited;	      /* churn: -n given */
	uint64_t interval_ns; /* between launches, 0: unpaced */
	uint64_t max_pending; /* hold/rr: connecting; churn: alive */
	uint32_t next_id;
	uint32_t id_stride;
	uint32_t src_shift;
	uint8_t own_src[STRESS_MAX_SOURCES]; /* steered: the sources of this worker */
	int nown;
	uint64_t own_next;
	int epfd;
	struct conn *conns;
	size_t nconns;
	struct conn *free;
	struct resp *resps;	/* --response: one per connection, as conns */
	struct conn connecting; /* list head, ordered by deadline */
	uint64_t launched, live, pending;
	uint64_t reopen; /* rr: connections to open again (the server closed) */
	uint64_t next_launch_ns, next_poll_ns, hold_start_ns;
	bool launching_done, stopping;
	int done;
	struct wstats *ws;
	struct server *srv; /* the built-in server's share in this loop */
	uint8_t buf[IO_BUF];
	pthread_t tid;
};

static const char *const mode_names[] = { "hold", "churn", "rr" };

static const char *const plan_names[] = { "none", "given", "count", "rate", "workers" };

const char *stress_source_plan_name(int plan)
{
	return plan >= 0 && plan < (int)ARRAY_SIZE(plan_names) ? plan_names[plan] : "?";
}

const char *stress_mode_name(int mode)
{
	return mode >= 0 && mode < (int)ARRAY_SIZE(mode_names) ? mode_names[mode] : "?";
}

bool stress_opts__exchanges(const struct stress_opts *o)
{
	return o->mode == STRESS_RR || (o->mode == STRESS_CHURN && (o->size || o->request));
}

uint64_t stress_counts__resp_errors(const struct stress_counts *c)
{
	uint64_t n = 0;
	int i;

	for (i = 0; i < RERR_MAX; i++)
		n += c->resp_errors[i];
	return n;
}

void stress_opts__init(struct stress_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->mode = STRESS_HOLD;
	o->server_mode = SERVER_ECHO;
	o->conns = 100;
	o->duration_ns = 10 * NSEC_PER_SEC;
	o->close_kind = CLOSE_FIN;
	o->poll_interval_ns = NSEC_PER_SEC;
	sockopts__init(&o->so);
}

/* The echo payload: a function of connection, transaction and offset, so
 * that every byte that comes back can be checked without keeping a copy. */
static inline uint8_t pattern(uint32_t id, uint64_t seq, uint64_t off)
{
	uint64_t x = off + seq * 0x9E3779B1ULL + (uint64_t)id * 0x85EBCA77ULL;

	return (uint8_t)(x ^ (x >> 8) ^ (x >> 17));
}

static void to_conn_addr(const struct sockaddr_storage *ss, struct conn_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;

		memcpy(a->addr, &sin->sin_addr, 4);
		a->port = ntohs(sin->sin_port);
		a->family = 4;
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

		memcpy(a->addr, &sin6->sin6_addr, 16);
		a->port = ntohs(sin6->sin6_port);
		a->family = 6;
	}
}

static void list_del(struct conn *c)
{
	if (!c->prev)
		return;
	c->prev->next = c->next;
	c->next->prev = c->prev;
	c->prev = c->next = NULL;
}

static void list_add_tail(struct conn *head, struct conn *c)
{
	c->prev = head->prev;
	c->next = head;
	head->prev->next = c;
	head->prev = c;
}

static void conn_release(struct worker *w, struct conn *c)
{
	const struct stress_hooks *h = w->run->hooks;

	c->rec.t_close_ns = now_mono_ns();
	if (h && h->on_conn_done)
		h->on_conn_done(h->ctx, &c->rec);
	c->state = C_FREE;
	c->fd = -1;
	c->next = w->free;
	w->free = c;
	w->live--;
	CNT_ADD(w->ws->c.in_flight, -1);
}

static void count_error(struct worker *w, int err)
{
	errcount__add(&w->ws->errors, err);
	if (err == EADDRNOTAVAIL)
		w->ws->hit_addrnotavail = 1;
}

/* An attempt that never got established. */
static void conn_fail(struct worker *w, struct conn *c, int err)
{
	if (c->state == C_CONNECTING) {
		list_del(c);
		w->pending--;
	}
	if (c->fd >= 0 && close(c->fd))
		count_error(w, errno);
	c->rec.err = err;
	c->rec.close_kind = CLOSE_NONE;
	CNT_ADD(w->ws->c.failed, 1);
	count_error(w, err);
	conn_release(w, c);
}

static void last_poll(struct worker *w, struct conn *c)
{
	struct tcpinfo_agg *ag = &w->ws->ti;
	struct tcpinfo ti;
	int err = tcpinfo__get(c->fd, &ti);

	if (err) {
		ag->poll_errors++;
		return;
	}
	c->rec.last_info.valid = 1;
	c->rec.last_info.t_ns = now_mono_ns();
	c->rec.last_info.state = ti.i.tcpi_state;
	c->rec.last_info.total_retrans = ti.i.tcpi_total_retrans;
	c->rec.last_info.rtt_us = ti.i.tcpi_rtt;
	c->rec.last_info.rttvar_us = ti.i.tcpi_rttvar;
	c->rec.last_info.snd_cwnd = ti.i.tcpi_snd_cwnd;
	ag->polls++;
	hist__record(&ag->rtt_us, ti.i.tcpi_rtt);
	hist__record(&ag->last_rtt_us, ti.i.tcpi_rtt);
	hist__record(&ag->last_cwnd, ti.i.tcpi_snd_cwnd);
	ag->total_retrans += ti.i.tcpi_total_retrans;
	if (ti.i.tcpi_total_retrans) {
		ag->conns_with_retrans++;
		if (ti.i.tcpi_total_retrans > ag->max_retrans)
			ag->max_retrans = ti.i.tcpi_total_retrans;
	}
}

/* Close an established connection: last TCP_INFO, then close(). */
static void conn_close(struct worker *w, struct conn *c, int kind, int err)
{
	last_poll(w, c);
	if (kind == CLOSE_RST) {
		struct linger l = { .l_onoff = 1, .l_linger = 0 };

		if (setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)))
			count_error(w, errno);
	}
	if (close(c->fd))
		count_error(w, errno);
	c->rec.close_kind = (uint8_t)kind;
	c->rec.err = err;
	if (err)
		count_error(w, err);
	CNT_ADD(w->ws->c.closed, 1);
	conn_release(w, c);
}

/* Register the events c waits for; no system call when they are already
 * the registered ones (rr: every transaction after the first). */
static int conn_want(struct worker *w, struct conn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	if (c->armed == events)
		return 0;
	if (epoll_ctl(w->epfd, c->armed ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, c->fd, &ev))
		return -errno;
	c->armed = events;
	return 0;
}

static void tx_send(struct worker *w, struct conn *c);

static uint64_t request_size(const struct stress_opts *o)
{
	return o->request ? o->request_len : o->size;
}

/* The request's bytes from off, at most max of them: the --request bytes
 * themselves, or the echo pattern of transaction seq written into w->buf. */
static const uint8_t *request_bytes(struct worker *w, const struct conn *c, uint64_t seq,
				    uint64_t off, size_t *len)
{
	const struct stress_opts *o = w->run->o;
	uint64_t left = request_size(o) - off;
	size_t i;

	*len = left < IO_BUF ? (size_t)left : IO_BUF;
	if (o->request)
		return o->request + off;
	for (i = 0; i < *len; i++)
		w->buf[i] = pattern(c->id, seq, off + i);
	return w->buf;
}

static struct resp *resp_of(struct worker *w, const struct conn *c)
{
	return w->resps ? &w->resps[c - w->conns] : NULL;
}

/* The next exchange begins; present: bytes of it already written (the
 * request sent right after connect()). */
static void tx_begin(struct worker *w, struct conn *c, uint64_t now, uint64_t present)
{
	c->seq++;
	c->sent = present;
	c->recvd = 0;
	c->t_tx_ns = now;
	c->state = C_SEND;
	if (w->resps)
		resp__init(resp_of(w, c), &w->run->o->framing);
	if (present)
		CNT_ADD(w->ws->c.bytes_sent, present);
	tx_send(w, c);
}

/* sent: request bytes already written when the handshake was found done. */
static void conn_established(struct worker *w, struct conn *c, uint64_t now, uint64_t sent)
{
	const struct stress_opts *o = w->run->o;
	int err;

	list_del(c);
	w->pending--;
	c->rec.t_established_ns = now;
	hist__record(&w->ws->connect_ns, now - c->rec.t_connect_ns);
	CNT_ADD(w->ws->c.established, 1);
	if (w->run->want_local) {
		struct sockaddr_storage local;
		socklen_t len = sizeof(local);

		local.ss_family = AF_UNSPEC; /* clang-tidy does not know getsockname fills it */
		if (getsockname(c->fd, (struct sockaddr *)&local, &len))
			count_error(w, errno);
		else
			to_conn_addr(&local, &c->rec.local);
	}
	if (o->mode == STRESS_HOLD) {
		c->state = C_IDLE;
		err = conn_want(w, c, EPOLLIN | EPOLLRDHUP);
		if (err)
			conn_close(w, c, CLOSE_RST, -err);
		return;
	}
	if (o->mode == STRESS_CHURN && !o->size && !o->request) {
		conn_close(w, c, o->close_kind, 0);
		return;
	}
	tx_begin(w, c, now, sent);
}

/* Write the first request right after a connect() that said EINPROGRESS:
 * on loopback the handshake is usually done by then, and a write that
 * succeeds saves the EPOLLOUT round (epoll_ctl, epoll_wait, SO_ERROR).
 * EAGAIN means still connecting: false, and the caller waits for EPOLLOUT.
 * True when c was dealt with (established, or failed). */
static bool try_send_first(struct worker *w, struct conn *c)
{
	size_t chunk;
	const uint8_t *p = request_bytes(w, c, c->seq + 1, 0, &chunk);
	ssize_t n;
	int err = 0, soerr = 0;
	socklen_t len = sizeof(soerr);

	do
		n = send(c->fd, p, chunk, MSG_NOSIGNAL);
	while (n < 0 && errno == EINTR);
	if (n > 0) {
		conn_established(w, c, now_mono_ns(), (uint64_t)n);
		return true;
	}
	if (n < 0 && errno == EAGAIN)
		return false;
	/* The connect failed: SO_ERROR names why better than send() does. */
	if (n < 0)
		err = errno;
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) == 0 && soerr)
		err = soerr;
	conn_fail(w, c, err ? err : EPIPE);
	return true;
}

/*
 * Bind a connection to its source. Normally the port is left to connect(),
 * which picks it per destination, so that one source address serves a whole
 * port range per destination (IP_BIND_ADDRESS_NO_PORT). But connect() finds
 * that port by walking the range from a hashed offset, testing each port
 * against the established table, and once the ports of one parity are
 * taken every connect() walks all of them: holding 50000 connections, 87%
 * of the CPU went to __inet_check_established and __inet_hash_connect
 * (perf, bench/hold.sh). In hold mode each connection has a port index
 * unique on its source, so it binds that port outright, which costs one
 * lookup; if the port is taken (another program, a TIME_WAIT of an earlier
 * run), connect() chooses after all. 0, or -1 with errno.
 */
static int conn_bind(const struct run *r, const struct conn *c, int fd,
		     const struct sockaddr_storage *src)
{
	socklen_t len =
	    src->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	int one = 1;

	if (r->own_port_pick && !c->src_tries &&
	    c->port_idx <= (uint32_t)(r->port_hi - r->port_lo)) {
		struct sockaddr_storage a = *src;
		uint16_t port = htons((uint16_t)(r->port_lo + (int)c->port_idx));

		if (a.ss_family == AF_INET6)
			((struct sockaddr_in6 *)&a)->sin6_port = port;
		else
			((struct sockaddr_in *)&a)->sin_port = port;
		if (!bind(fd, (const struct sockaddr *)&a, len))
			return 0;
		if (errno != EADDRINUSE)
			return -1;
	}
	if (setsockopt(fd, IPPROTO_IP, IP_BIND_ADDRESS_NO_PORT, &one, sizeof(one)))
		return -1;
	return bind(fd, (const struct sockaddr *)src, len);
}

static void conn_connect(struct worker *w, struct conn *c)
{
	struct run *r = w->run;
	const struct stress_hooks *h = r->hooks;
	const char *what = NULL;
	int fd, err;

again:
	c->fd = fd = socket(r->target.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		conn_fail(w, c, errno);
		return;
	}
	if (r->want_cookie && socket_cookie(fd, &c->rec.cookie))
		count_error(w, errno);
	err = sockopts__apply(&r->o->so, fd, &what);
	if (err) {
		if (!r->sockopt_warned) {
			r->sockopt_warned = true;
			fprintf(stderr, "tcpscope stress: setsockopt %s: %s\n", what,
				errno_name(err));
		}
		conn_fail(w, c, -err);
		return;
	}
	if (r->nsources) {
		const struct sockaddr_storage *src = &r->sources[c->src];

		if (conn_bind(r, c, fd, src)) {
			conn_fail(w, c, errno);
			return;
		}
		w->ws->src_attempts[c->src]++;
	}
	if (h && h->on_socket)
		h->on_socket(h->ctx, c->rec.cookie);
	c->rec.t_connect_ns = now_mono_ns();
	if (!connect(fd, (const struct sockaddr *)&r->target, r->tlen)) {
		c->state = C_CONNECTING;
		w->pending++;
		list_add_tail(&w->connecting, c);
		conn_established(w, c, now_mono_ns(), 0);
		return;
	}
	err = errno;
	if (err == EINPROGRESS) {
		c->state = C_CONNECTING;
		c->deadline_ns = c->rec.t_connect_ns + r->o->so.connect_timeout_ns;
		w->pending++;
		list_add_tail(&w->connecting, c);
		if (r->send_first && try_send_first(w, c))
			return;
		err = conn_want(w, c, EPOLLOUT);
		if (err)
			conn_fail(w, c, -err);
		return;
	}
	if (err == EADDRNOTAVAIL && r->nsources > 1 && ++c->src_tries < r->nsources) {
		/* This source ran out of ports toward the target: move on. */
		if (close(fd))
			count_error(w, errno);
		c->src = (uint8_t)((c->src + 1) % r->nsources);
		w->src_shift++;
		CNT_ADD(w->ws->c.source_switches, 1);
		goto again;
	}
	conn_fail(w, c, err);
}

static void conn_start(struct worker *w, uint64_t now)
{
	struct run *r = w->run;
	struct conn *c = w->free;

	w->free = c->next;
	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->id = w->next_id;
	w->next_id += w->id_stride;
	if (w->nown) {
		/* This worker's sources are its own: its n-th connection on
		 * one of them is the only one with that port index there. */
		c->port_idx = (uint32_t)(w->own_next / (uint64_t)w->nown);
		c->src = w->own_src[(w->own_next++ + w->src_shift) % (uint64_t)w->nown];
	} else if (r->nsources) {
		/* Connection ids are unique across workers and processes, so
		 * (id mod sources, id / sources) is a unique source and port. */
		c->port_idx = c->id / (uint32_t)r->nprimary;
		c->src = (uint8_t)((c->id + w->src_shift) % (uint32_t)r->nprimary);
	}
	to_conn_addr(&r->target, &c->rec.remote);
	w->launched++;
	w->live++;
	CNT_ADD(w->ws->c.in_flight, 1);
	CNT_ADD(w->ws->c.attempted, 1);
	__atomic_store_n(&w->ws->c.launch_end_ns, now, __ATOMIC_RELAXED);
	conn_connect(w, c);
}

/* Write as much of the request as the socket takes. */
static void tx_send(struct worker *w, struct conn *c)
{
	uint64_t size = request_size(w->run->o);
	int err;

	while (c->sent < size) {
		size_t chunk;
		const uint8_t *p = request_bytes(w, c, c->seq, c->sent, &chunk);
		ssize_t n = send(c->fd, p, chunk, MSG_NOSIGNAL);

		if (n < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			conn_close(w, c, CLOSE_RST, errno);
			return;
		}
		c->sent += (uint64_t)n;
		CNT_ADD(w->ws->c.bytes_sent, (uint64_t)n);
	}
	/* Read the echo all along: a large request would otherwise fill
	 * both directions and stall. */
	err = conn_want(w, c, EPOLLIN | EPOLLRDHUP | (c->sent < size ? EPOLLOUT : 0));
	if (err)
		conn_close(w, c, CLOSE_RST, -err);
}

/* A whole response: counted, then the next request, or the close (the
 * run is over, churn, or the server said it closes: then rr opens a
 * connection in its place). */
static void tx_done(struct worker *w, struct conn *c)
{
	const struct stress_opts *o = w->run->o;
	const struct resp *rp = resp_of(w, c);
	uint64_t now = now_mono_ns();
	bool more = o->mode == STRESS_RR && !w->stopping && now < w->run->t_end;

	hist__record(&w->ws->rr_ns, now - c->t_tx_ns);
	CNT_ADD(w->ws->c.transactions, 1);
	if (rp && resp__status_class(rp))
		CNT_ADD(w->ws->c.http_status[resp__status_class(rp)], 1);
	if (more && !(rp && rp->close)) {
		tx_begin(w, c, now, 0);
		return;
	}
	conn_close(w, c, o->close_kind, 0);
	if (more)
		w->reopen++;
}

/* A response that is not one: counted by reason; the connection ends. */
static void resp_fail(struct worker *w, struct conn *c, int rerr, int kind)
{
	CNT_ADD(w->ws->c.resp_errors[rerr], 1);
	conn_close(w, c, kind, 0);
}

/* The peer closed: the end of an until-close response, or an error. */
static void peer_closed(struct worker *w, struct conn *c)
{
	bool in_tx = c->state == C_SEND || c->state == C_RECV;
	struct resp *rp = resp_of(w, c);
	int ret;

	CNT_ADD(w->ws->c.peer_closed, 1);
	if (!in_tx) {
		conn_close(w, c, CLOSE_PEER, 0);
		return;
	}
	if (!rp) {
		/* In the middle of an exchange the echo is incomplete. */
		CNT_ADD(w->ws->c.verify_errors, 1);
		conn_close(w, c, CLOSE_PEER, 0);
		return;
	}
	ret = resp__eof(rp);
	if (ret < 0) {
		resp_fail(w, c, -ret, CLOSE_PEER);
		return;
	}
	rp->close = 1;
	tx_done(w, c);
}

/* --response: n bytes of it. False when c was closed. */
static bool take_response(struct worker *w, struct conn *c, ssize_t n)
{
	struct resp *rp = resp_of(w, c);
	size_t used;
	int ret = resp__feed(rp, w->buf, (size_t)n, &used);

	if (ret == RESP_MORE)
		return true;
	if (ret < 0)
		resp_fail(w, c, -ret, CLOSE_RST);
	else if (used < (size_t)n)
		resp_fail(w, c, RERR_EXTRA, CLOSE_RST);
	else
		tx_done(w, c);
	return false;
}

/* The echo: every byte checked against the pattern. False when c was
 * closed. */
static bool take_echo(struct worker *w, struct conn *c, ssize_t n)
{
	uint64_t size = w->run->o->size;
	ssize_t i;

	for (i = 0; i < n; i++) {
		if (c->recvd + (uint64_t)i >= size ||
		    w->buf[i] != pattern(c->id, c->seq, c->recvd + (uint64_t)i)) {
			CNT_ADD(w->ws->c.verify_errors, 1);
			conn_close(w, c, CLOSE_RST, 0);
			return false;
		}
	}
	c->recvd += (uint64_t)n;
	if (c->recvd == size) {
		tx_done(w, c);
		return false;
	}
	return true;
}

static void on_readable(struct worker *w, struct conn *c)
{
	int round;

	for (round = 0; round < 16; round++) {
		ssize_t n = read(c->fd, w->buf, sizeof(w->buf));

		if (n == 0) {
			peer_closed(w, c);
			return;
		}
		if (n < 0) {
			if (errno == EAGAIN)
				return;
			if (errno == EINTR)
				continue;
			conn_close(w, c, CLOSE_ERROR, errno);
			return;
		}
		CNT_ADD(w->ws->c.bytes_received, (uint64_t)n);
		if (c->state != C_SEND && c->state != C_RECV) {
			/* hold: whatever a source server sends; a short read
			 * emptied the socket (epoll is level-triggered). */
			if ((size_t)n < sizeof(w->buf))
				return;
			continue;
		}
		if (!(w->resps ? take_response(w, c, n) : take_echo(w, c, n)))
			return;
		if ((size_t)n < sizeof(w->buf))
			return;
	}
}

static void on_event(struct worker *w, struct conn *c, uint32_t events)
{
	int err = 0;
	socklen_t len = sizeof(err);

	if (c->state == C_CONNECTING) {
		if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &len))
			err = errno;
		if (err) {
			conn_fail(w, c, err);
			return;
		}
		conn_established(w, c, now_mono_ns(), 0);
		return;
	}
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP)) {
		on_readable(w, c);
		if (c->state == C_FREE)
			return;
	}
	if ((events & EPOLLOUT) && c->state == C_SEND)
		tx_send(w, c);
}

static void expire_connecting(struct worker *w, uint64_t now)
{
	while (w->connecting.next != &w->connecting && w->connecting.next->deadline_ns <= now)
		conn_fail(w, w->connecting.next, ETIMEDOUT);
}

static void poll_all(struct worker *w)
{
	struct tcpinfo_agg *ag = &w->ws->ti;
	size_t i;

	for (i = 0; i < w->nconns; i++) {
		struct conn *c = &w->conns[i];
		struct tcpinfo ti;

		if (c->state < C_IDLE)
			continue;
		if (tcpinfo__get(c->fd, &ti)) {
			ag->poll_errors++;
			continue;
		}
		ag->polls++;
		hist__record(&ag->rtt_us, ti.i.tcpi_rtt);
	}
}

static void close_all(struct worker *w)
{
	size_t i;

	for (i = 0; i < w->nconns; i++) {
		struct conn *c = &w->conns[i];

		if (c->state == C_SEND || c->state == C_RECV)
			CNT_ADD(w->ws->c.cut_short, 1);
		if (c->state == C_CONNECTING) {
			CNT_ADD(w->ws->c.cut_connecting, 1);
			conn_fail(w, c, ECANCELED);
		} else if (c->state != C_FREE)
			conn_close(w, c, w->run->o->close_kind, 0);
	}
}

static bool may_launch(struct worker *w, uint64_t now)
{
	const struct stress_opts *o = w->run->o;

	if (w->launching_done || w->stopping || !w->free)
		return false;
	if (o->mode == STRESS_CHURN) {
		if (w->live >= w->max_pending || (w->limited && w->launched >= w->share))
			return false;
	} else if (w->pending >= w->max_pending || w->launched >= w->share + w->reopen) {
		return false;
	}
	return !w->interval_ns || now >= w->next_launch_ns;
}

static void launch(struct worker *w, uint64_t now)
{
	const struct stress_opts *o = w->run->o;
	int n;

	/* hold, rr: until each connection is open (rr: again, after the
	 * server closed one); churn: until the end or the count. */
	if (o->mode != STRESS_CHURN)
		w->launching_done = w->launched >= w->share + w->reopen;
	else if (now >= w->run->t_end || (w->limited && w->launched >= w->share))
		w->launching_done = true;
	for (n = 0; n < LAUNCH_BURST && may_launch(w, now); n++) {
		if (o->mode != STRESS_CHURN && w->launched >= w->share)
			CNT_ADD(w->ws->c.reopened, 1);
		conn_start(w, now);
		w->next_launch_ns += w->interval_ns;
	}
}

static uint64_t min_u64(uint64_t a, uint64_t b)
{
	return a < b ? a : b;
}

/* How long epoll may sleep: until the next launch, connect deadline, poll
 * or end of a phase, and never more than 50 ms (to see a stop request). */
static uint64_t wait_ns(struct worker *w, uint64_t now)
{
	const struct stress_opts *o = w->run->o;
	uint64_t until = now + 50 * NSEC_PER_MSEC;

	if (!w->launching_done && !w->stopping && w->free) {
		if (!w->interval_ns && may_launch(w, now))
			return 0;
		if (w->interval_ns)
			until = min_u64(until, w->next_launch_ns);
	}
	if (w->connecting.next != &w->connecting)
		until = min_u64(until, w->connecting.next->deadline_ns);
	until = min_u64(until, w->next_poll_ns);
	if (o->mode != STRESS_HOLD)
		until = min_u64(until, w->run->t_end);
	else if (w->hold_start_ns)
		until = min_u64(until, w->hold_start_ns + o->duration_ns);
	return until > now ? until - now : 0;
}

static bool worker_finished(struct worker *w, uint64_t now)
{
	const struct stress_opts *o = w->run->o;

	switch (o->mode) {
	case STRESS_HOLD:
		if (!w->hold_start_ns && w->launched >= w->share && !w->pending)
			w->hold_start_ns = now;
		if (w->hold_start_ns && now - w->hold_start_ns >= o->duration_ns)
			w->stopping = true;
		break;
	case STRESS_CHURN:
		if (w->launching_done && !w->live)
			return true;
		/* Draining, for DRAIN_NS at most: then what is left is cut. */
		if (now >= w->run->t_end + DRAIN_NS)
			w->stopping = true;
		break;
	case STRESS_RR:
		if (now >= w->run->t_end)
			w->stopping = true;
		break;
	}
	return w->stopping;
}

/* Which listener of the built-in server's SO_REUSEPORT group a source
 * address lands on: the group's CBPF program (steer_attach) computes the
 * same from the SYN's IPv4 source address. */
static int steer_index(const struct sockaddr_storage *src, int n)
{
	return (int)(ntohl(((const struct sockaddr_in *)src)->sin_addr.s_addr) % (uint32_t)n);
}

static bool is_client(const struct worker *w, const void *p)
{
	return p && (const struct conn *)p >= w->conns &&
	       (const struct conn *)p < w->conns + w->nconns;
}

/* This worker's connections are closed, but the others' may still be
 * served here (SO_REUSEPORT spreads them over every listener): serve
 * until every worker of the process is done. */
static void serve_until_all_done(struct worker *w, struct epoll_event *evs)
{
	struct run *r = w->run;
	int i, n;

	__atomic_add_fetch(&r->clients_done, 1, __ATOMIC_ACQ_REL);
	while (__atomic_load_n(&r->clients_done, __ATOMIC_ACQUIRE) < r->nlocal) {
		n = epoll_wait(w->epfd, evs, EVENTS, 10);
		if (n < 0 && errno != EINTR)
			break;
		for (i = 0; i < n; i++)
			if (!is_client(w, evs[i].data.ptr))
				server__event(w->srv, evs[i].data.ptr, evs[i].events);
		server__tick(w->srv);
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	struct run *r = w->run;
	struct epoll_event evs[EVENTS];
	int i, n;

	for (;;) {
		uint64_t now = now_mono_ns();
		struct timespec ts;
		uint64_t wn;

		if (exiting || r->sh->stop)
			w->stopping = true;
		if (worker_finished(w, now))
			break;
		launch(w, now);
		wn = wait_ns(w, now);
		ts.tv_sec = (time_t)(wn / NSEC_PER_SEC);
		ts.tv_nsec = (long)(wn % NSEC_PER_SEC);
		n = epoll_pwait2(w->epfd, evs, EVENTS, &ts, NULL);
		if (n < 0 && errno == ENOSYS) /* before 5.11, or under valgrind */
			n = epoll_wait(w->epfd, evs, EVENTS,
				       wn >= NSEC_PER_SEC
					   ? 1000
					   : (int)((wn + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC));
		if (n < 0) {
			if (errno == EINTR)
				continue;
			count_error(w, errno);
			break;
		}
		for (i = 0; i < n; i++) {
			struct conn *c = evs[i].data.ptr;

			if (!is_client(w, c)) {
				server__event(w->srv, c, evs[i].events);
				continue;
			}
			/* An earlier event of this batch may have closed it. */
			if (c->state != C_FREE)
				on_event(w, c, evs[i].events);
		}
		if (w->srv)
			server__tick(w->srv);
		now = now_mono_ns();
		expire_connecting(w, now);
		if (now >= w->next_poll_ns) {
			poll_all(w);
			w->next_poll_ns = now + r->o->poll_interval_ns;
		}
	}
	close_all(w);
	if (w->srv)
		serve_until_all_done(w, evs);
	__atomic_store_n(&w->done, 1, __ATOMIC_RELEASE);
	return NULL;
}

static int worker_init(struct worker *w, struct run *r, int index, int nworkers)
{
	const struct stress_opts *o = r->o;
	uint64_t total = o->mode == STRESS_CHURN ? o->count : o->conns;
	uint64_t pend = o->concurrency;
	size_t i;

	w->run = r;
	w->index = index;
	w->ws = &r->sh->ws[index];
	w->share = total / (uint64_t)nworkers + ((uint64_t)index < total % (uint64_t)nworkers);
	w->limited = o->mode != STRESS_CHURN || o->count;
	w->max_pending = pend / (uint64_t)nworkers + ((uint64_t)index < pend % (uint64_t)nworkers);
	if (!w->max_pending)
		w->max_pending = 1;
	w->nconns = o->mode == STRESS_CHURN ? w->max_pending : w->share;
	if (o->rate) {
		w->interval_ns = (uint64_t)((double)nworkers * 1e9 / (double)o->rate);
		if (!w->interval_ns)
			w->interval_ns = 1;
		/* Staggered, so that the workers together launch evenly. */
		w->next_launch_ns = r->t0 + w->interval_ns * (uint64_t)index / (uint64_t)nworkers;
	} else {
		w->next_launch_ns = r->t0;
	}
	w->next_poll_ns = r->t0 + o->poll_interval_ns;
	w->next_id = (uint32_t)index;
	w->id_stride = (uint32_t)nworkers;
	w->connecting.next = w->connecting.prev = &w->connecting;
	w->ws->c.launch_end_ns = r->t0;
	hist__init(&w->ws->connect_ns);
	hist__init(&w->ws->rr_ns);
	hist__init(&w->ws->ti.rtt_us);
	hist__init(&w->ws->ti.last_rtt_us);
	hist__init(&w->ws->ti.last_cwnd);
	w->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (w->epfd < 0)
		return -errno;
	if (r->steer) {
		for (i = 0; i < (size_t)r->nprimary; i++)
			if (steer_index(&r->sources[i], nworkers) == index)
				w->own_src[w->nown++] = (uint8_t)i;
	}
	if (r->lfds) {
		int err =
		    server__embed(&r->so, r->lfds[index], w->epfd, &r->sh->srv[index], &w->srv);

		r->lfds[index] = -1; /* the server's now, even on failure */
		if (err)
			return err;
	}
	w->conns = calloc(w->nconns ? w->nconns : 1, sizeof(*w->conns));
	if (!w->conns)
		return -ENOMEM;
	if (o->framing.kind != RESP_ECHO) {
		w->resps = calloc(w->nconns ? w->nconns : 1, sizeof(*w->resps));
		if (!w->resps)
			return -ENOMEM;
	}
	for (i = w->nconns; i-- > 0;) {
		w->conns[i].fd = -1;
		w->conns[i].next = w->free;
		w->free = &w->conns[i];
	}
	return 0;
}

static void worker_fini(struct worker *w)
{
	server__embed_end(w->srv);
	if (w->epfd >= 0)
		close(w->epfd);
	free(w->conns);
	free(w->resps);
}

static void progress_line(struct run *r, uint64_t *last_att, uint64_t *last_ns);

/* Run workers [first, first + n) as threads of this process; this thread
 * prints the progress line meanwhile if asked. */
static int run_threads(struct run *r, int first, int n, int nworkers, bool progress)
{
	uint64_t last_att = 0, last_ns = r->t0, next_print = r->t0 + NSEC_PER_SEC;
	struct worker **ws = calloc((size_t)n, sizeof(*ws));
	int i, started = 0, err = 0;

	if (!ws)
		return -ENOMEM;
	for (i = 0; i < n; i++) {
		ws[i] = calloc(1, sizeof(**ws));
		if (!ws[i]) {
			err = -ENOMEM;
			goto cleanup;
		}
		ws[i]->epfd = -1;
		err = worker_init(ws[i], r, first + i, nworkers);
		if (err)
			goto cleanup;
	}
	r->nlocal = n;
	for (i = 0; i < n; i++) {
		err = -pthread_create(&ws[i]->tid, NULL, worker_main, ws[i]);
		if (err)
			break;
		started++;
	}
	/* Those that never started will not say they are done. */
	__atomic_add_fetch(&r->clients_done, n - started, __ATOMIC_ACQ_REL);
	if (err)
		r->sh->stop = 1;
	while (progress) {
		int done = 0;

		for (i = 0; i < started; i++)
			done += __atomic_load_n(&ws[i]->done, __ATOMIC_ACQUIRE);
		if (done == started)
			break;
		usleep(50 * 1000);
		if (now_mono_ns() >= next_print) {
			progress_line(r, &last_att, &last_ns);
			next_print += NSEC_PER_SEC;
		}
	}
	for (i = 0; i < started; i++)
		pthread_join(ws[i]->tid, NULL);
cleanup:
	for (i = 0; i < n; i++) {
		if (ws[i])
			worker_fini(ws[i]);
		free(ws[i]);
	}
	free(ws);
	return err;
}

static void merge(const struct shared *sh, struct stress_result *res)
{
	int i, j;

	for (i = 0; i < sh->nworkers; i++) {
		const struct wstats *s = &sh->ws[i];

		res->c.attempted += s->c.attempted;
		res->c.established += s->c.established;
		res->c.failed += s->c.failed;
		res->c.closed += s->c.closed;
		res->c.peer_closed += s->c.peer_closed;
		res->c.bytes_sent += s->c.bytes_sent;
		res->c.bytes_received += s->c.bytes_received;
		res->c.transactions += s->c.transactions;
		res->c.verify_errors += s->c.verify_errors;
		res->c.cut_short += s->c.cut_short;
		res->c.cut_connecting += s->c.cut_connecting;
		res->c.reopened += s->c.reopened;
		for (j = 0; j < (int)ARRAY_SIZE(s->c.http_status); j++)
			res->c.http_status[j] += s->c.http_status[j];
		for (j = 0; j < RERR_MAX; j++)
			res->c.resp_errors[j] += s->c.resp_errors[j];
		res->c.source_switches += s->c.source_switches;
		if (s->c.launch_end_ns > res->c.launch_end_ns)
			res->c.launch_end_ns = s->c.launch_end_ns;
		errcount__merge(&res->errors, &s->errors);
		hist__merge(&res->connect_ns, &s->connect_ns);
		hist__merge(&res->rr_ns, &s->rr_ns);
		res->ti.polls += s->ti.polls;
		res->ti.poll_errors += s->ti.poll_errors;
		hist__merge(&res->ti.rtt_us, &s->ti.rtt_us);
		hist__merge(&res->ti.last_rtt_us, &s->ti.last_rtt_us);
		hist__merge(&res->ti.last_cwnd, &s->ti.last_cwnd);
		res->ti.total_retrans += s->ti.total_retrans;
		res->ti.conns_with_retrans += s->ti.conns_with_retrans;
		if (s->ti.max_retrans > res->ti.max_retrans)
			res->ti.max_retrans = s->ti.max_retrans;
		res->hit_addrnotavail |= s->hit_addrnotavail;
		for (j = 0; j < STRESS_MAX_SOURCES; j++)
			res->source_attempts[j] += s->src_attempts[j];
	}
}

/* The live line: rate over the last second, counts, connect p99. */
static void progress_line(struct run *r, uint64_t *last_att, uint64_t *last_ns)
{
	struct shared *sh = r->sh;
	uint64_t att = 0, est = 0, fail = 0, live = 0, now = now_mono_ns();
	static struct hist h;
	int i;

	hist__init(&h);
	for (i = 0; i < sh->nworkers; i++) {
		att += CNT_READ(sh->ws[i].c.attempted);
		est += CNT_READ(sh->ws[i].c.established);
		fail += CNT_READ(sh->ws[i].c.failed);
		live += CNT_READ(sh->ws[i].c.in_flight);
		/* A racy copy is fine for a progress line. */
		hist__merge(&h, &sh->ws[i].connect_ns);
	}
	fprintf(stderr,
		"\r[%5.1fs] rate %8.0f/s  established %" PRIu64 "  failed %" PRIu64
		"  live %" PRIu64 "  connect p99 %.0fus   ",
		(double)(now - r->t0) / 1e9,
		(double)(att - *last_att) * 1e9 / (double)(now - *last_ns), est, fail, live,
		(double)hist__quantile(&h, 0.99) / 1e3);
	*last_att = att;
	*last_ns = now;
}

static int read_port_range(int *lo, int *hi)
{
	FILE *f = fopen("/proc/sys/net/ipv4/ip_local_port_range", "re");
	int n;

	if (!f)
		return -errno;
	n = fscanf(f, "%d %d", lo, hi);
	fclose(f);
	return n == 2 ? 0 : -EINVAL;
}

static bool is_loopback4(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET &&
	       (ntohl(((const struct sockaddr_in *)ss)->sin_addr.s_addr) >> 24) == 127;
}

static long read_sysctl_long(const char *path, long dflt)
{
	FILE *f = fopen(path, "re");
	long v;

	if (!f)
		return dflt;
	if (fscanf(f, "%ld", &v) != 1)
		v = dflt;
	fclose(f);
	return v;
}

/* How long a FIN-closed client port stays unusable toward the same
 * destination: with tcp_tw_reuse (2, the default, is loopback only) a
 * connect() may take over a TIME_WAIT port once tcp_tw_reuse_delay (6.13+;
 * 1 s before) has passed since its last timestamp, which has a resolution
 * of a second: up to 2 s on average. Without reuse, the whole TIME_WAIT. */
static double port_hold_s(void)
{
	long reuse = read_sysctl_long("/proc/sys/net/ipv4/tcp_tw_reuse", 2);
	long delay_ms = read_sysctl_long("/proc/sys/net/ipv4/tcp_tw_reuse_delay", 1000);

	if (!reuse)
		return 60.0;
	return (double)delay_ms / 1e3 + 1.0;
}

/* The rate to plan ports for: --rate, or for "as fast as possible" more
 * than a loopback churn reaches per worker thread here (about 15k/s). */
#define UNPACED_PLAN_PER_THREAD 40000.0

/* Sources: those given, or on IPv4 loopback as many 127.0.0.x as the port
 * range needs (with three spare to move to on EADDRNOTAVAIL): for -c
 * connections at once, and in a FIN churn for the rate, because every
 * closed port sits in TIME_WAIT for port_hold_s(). */
static void plan_sources(struct run *r, int nworkers)
{
	const struct stress_opts *o = r->o;
	uint64_t need = o->mode == STRESS_CHURN ? o->concurrency : o->conns;
	int lo = 32768, hi = 60999, i, k, kr = 0;
	double usable;

	if (o->nsources) {
		memcpy(r->sources, o->sources, sizeof(r->sources));
		r->nsources = r->nprimary = o->nsources;
		r->source_plan = SOURCES_GIVEN;
		return;
	}
	if (!is_loopback4(&r->target))
		return;
	read_port_range(&lo, &hi);
	r->port_lo = lo;
	r->port_hi = hi;
	r->own_port_pick = o->mode == STRESS_HOLD;
	/* Use at most 70% of the range per source: the kernel's port search
	 * slows down as a range fills. */
	usable = 0.7 * (double)(hi - lo + 1);
	k = (int)ceil((double)need / usable);
	if (o->mode == STRESS_CHURN && o->close_kind == CLOSE_FIN) {
		double rate = o->rate ? (double)o->rate : UNPACED_PLAN_PER_THREAD * nworkers;

		kr = (int)ceil(rate * port_hold_s() / usable);
	}
	if (k <= 1 && kr <= 1 && !(r->lfds && nworkers > 1))
		return;
	r->source_plan = kr > k && kr > 1 ? SOURCES_RATE : k > 1 ? SOURCES_COUNT : SOURCES_WORKERS;
	if (kr > k)
		k = kr;
	/* The built-in server in the workers' loops: at least one source
	 * per worker, for steer_attach(). */
	if (r->lfds && nworkers > 1 && k < nworkers)
		k = nworkers;
	if (k > STRESS_MAX_SOURCES - 3)
		k = STRESS_MAX_SOURCES - 3;
	for (i = 0; i < k + 3; i++) {
		struct sockaddr_in *sin = (struct sockaddr_in *)&r->sources[i];

		sin->sin_family = AF_INET;
		sin->sin_addr.s_addr = htonl(0x7f000001u + (uint32_t)i);
	}
	r->nprimary = k;
	r->nsources = k + 3;
}

/* Connections from the sources of worker i go to listener i, which worker
 * i serves in its own loop: a connection's two ends never wait for another
 * thread. Without it the group hashes, and half of them cross threads. */
static int steer_attach(int lfd, int n)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)SKF_NET_OFF + 12), /* saddr */
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, (uint32_t)n),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_fprog prog = { .len = ARRAY_SIZE(code), .filter = code };

	return setsockopt(lfd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog)) ? -errno
											  : 0;
}

/* A worker process must not outlive the run's process. */
static void die_with_parent(pid_t parent, int sig)
{
	if (prctl(PR_SET_PDEATHSIG, sig) || getppid() != parent)
		_exit(1);
}

static void wait_children(const pid_t *pids, int n)
{
	int i, status;

	for (i = 0; i < n; i++)
		if (pids[i] > 0)
			while (waitpid(pids[i], &status, 0) < 0 && errno == EINTR)
				;
}

/* How a run is laid out over processes, threads and the built-in server's
 * listeners, and what it holds while it runs: released by layout_end(). */
struct layout {
	bool embedded, split;
	int nprocs, nthreads;
	int nsrv, nlisten; /* built-in server: its processes (split), listeners */
	uint64_t need, budget;
	struct shared *sh;
	size_t shlen;
	int *lfds;	      /* listeners not yet handed to a worker or a process */
	pid_t *cpids, *spids; /* client and server processes (split) */
};

/* Processes: one, unless the descriptor limit needs more. 0 or -errno. */
static int plan_layout(const struct stress_opts *o, const struct stress_hooks *hooks,
		       struct stress_result *res, struct layout *L)
{
	L->embedded = !o->has_target;
	L->nthreads = o->threads > 0 ? o->threads : online_cpus();
	L->need = o->mode == STRESS_CHURN ? o->concurrency : o->conns;
	res->nofile = raise_nofile_limit();
	if (res->nofile < 0) {
		fprintf(stderr, "tcpscope stress: RLIMIT_NOFILE: %s\n",
			errno_name((int)res->nofile));
		return (int)res->nofile;
	}
	L->budget = (uint64_t)res->nofile > FD_RESERVE + 8 * (uint64_t)L->nthreads
			? (uint64_t)res->nofile - FD_RESERVE - 8 * (uint64_t)L->nthreads
			: 1;
	/* One process holds both ends of every built-in connection. A limit
	 * too low to be worth splitting over (ulimit -n 64) leaves one process
	 * that runs with what it has: the rest fail with EMFILE, counted and
	 * explained in the summary. */
	if (o->procs)
		L->nprocs = o->procs;
	else if (L->need * (L->embedded ? 2 : 1) <= L->budget || L->budget < MIN_SPLIT_BUDGET)
		L->nprocs = 1;
	else
		L->nprocs = (int)min_u64((L->need + L->budget * 9 / 10 - 1) / (L->budget * 9 / 10),
					 MAX_AUTO_PROCS);
	/* Past this point the built-in server needs processes of its own,
	 * which only the split mode gives it. */
	if (!o->procs && L->embedded && L->need * 2 > L->budget && L->nprocs < 2 &&
	    L->budget >= MIN_SPLIT_BUDGET)
		L->nprocs = 2;
	L->split = L->nprocs > 1;
	if (L->split && hooks && (hooks->on_socket || hooks->on_conn_done)) {
		fprintf(stderr,
			"tcpscope stress: per-connection hooks (--records, tracing) work in"
			" one process only, and %" PRIu64 " connections need %d here"
			" (RLIMIT_NOFILE %ld); lower -c to %" PRIu64 "\n",
			L->need, L->nprocs, res->nofile, L->budget / (L->embedded ? 2 : 1));
		return -EOPNOTSUPP;
	}
	if (L->embedded) {
		/* Reuseport spreads connections by hash: leave 20% headroom. */
		L->nsrv = L->split ? (int)((L->need * 12 / 10 + L->budget - 1) / L->budget) : 0;
		L->nlisten = L->split ? L->nsrv * L->nthreads : L->nthreads;
	}
	res->procs = L->nprocs;
	res->threads = L->nthreads;
	return 0;
}

/* The counters every worker and server thread writes, shared with the
 * worker processes. */
static int map_shared(struct layout *L)
{
	struct shared *sh;
	int nworkers = L->nprocs * L->nthreads;

	L->shlen = sizeof(*sh) + (size_t)nworkers * sizeof(struct wstats) +
		   (size_t)(L->nlisten ? L->nlisten : 1) * sizeof(struct server_stats);
	sh = mmap(NULL, L->shlen, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED) {
		fprintf(stderr, "tcpscope stress: mmap: %s\n", errno_name(-errno));
		return -errno;
	}
	sh->nworkers = nworkers;
	sh->nsrv_threads = L->nlisten;
	sh->ws = (struct wstats *)(sh + 1);
	sh->srv = (struct server_stats *)(sh->ws + sh->nworkers);
	L->sh = sh;
	return 0;
}

static void close_fds(int *fds, int n)
{
	int i;

	for (i = 0; fds && i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	free(fds);
}

/* Server process i: serves its share of the listeners until told to stop
 * (or its parent dies). Never returns. */
static void server_proc(struct layout *L, const struct server_opts *so, int i, pid_t parent)
{
	struct server *srv = NULL;
	int j;

	die_with_parent(parent, SIGKILL);
	for (j = 0; j < L->nlisten; j++)
		if (j / L->nthreads != i)
			close(L->lfds[j]);
	if (server__start(so, L->nthreads, L->lfds + i * L->nthreads, L->sh->srv + i * L->nthreads,
			  &srv))
		_exit(1);
	while (!L->sh->stop_server)
		usleep(20 * 1000);
	server__stop(srv);
	_exit(0);
}

static int fork_servers(struct layout *L, const struct server_opts *so)
{
	pid_t parent = getpid();
	int i;

	L->spids = calloc((size_t)L->nsrv, sizeof(*L->spids));
	if (!L->spids)
		return -ENOMEM;
	for (i = 0; i < L->nsrv; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			fprintf(stderr, "tcpscope stress: fork: %s\n", errno_name(-errno));
			return -errno;
		}
		if (pid == 0)
			server_proc(L, so, i, parent);
		L->spids[i] = pid;
	}
	return 0;
}

/* The built-in server on 127.0.0.1, an ephemeral port: in the workers'
 * own loops (one process), or in processes of its own (split). */
static int start_builtin_server(struct run *r, struct layout *L, const struct stress_hooks *hooks)
{
	struct server_opts so = { .mode = r->o->server_mode, .backlog = 4096, .hooks = hooks };
	struct sockaddr_storage any;
	socklen_t alen;
	int err;

	/* At least one listener (threads >= 1); said so for clang-tidy,
	 * which cannot see online_cpus() from here. */
	L->lfds = L->nlisten > 0 ? calloc((size_t)L->nlisten, sizeof(*L->lfds)) : NULL;
	if (!L->lfds)
		return -ENOMEM;
	memset(L->lfds, 0xff, (size_t)L->nlisten * sizeof(*L->lfds)); /* -1: none yet */
	parse_sockaddr("127.0.0.1:0", true, &any, &alen);
	err = server__listen(&any, so.backlog, L->nlisten, L->lfds, &r->target);
	if (err) {
		/* It closed them. */
		memset(L->lfds, 0xff, (size_t)L->nlisten * sizeof(*L->lfds));
		fprintf(stderr, "tcpscope stress: built-in server: %s\n", errno_name(err));
		return err;
	}
	if (hooks && hooks->on_listen)
		hooks->on_listen(hooks->ctx, &r->target);
	if (!L->split) {
		/* Worker i serves listener i in its own loop: no server
		 * threads to share the CPUs with. */
		r->so = so;
		r->lfds = L->lfds;
		L->lfds = NULL;
		return 0;
	}
	/* The server processes have the listeners now. */
	err = fork_servers(L, &so);
	close_fds(L->lfds, L->nlisten);
	L->lfds = NULL;
	return err;
}

/* Where the connections go, from where. */
static int set_target(struct run *r, struct layout *L, const struct stress_hooks *hooks,
		      struct stress_result *res)
{
	int err = 0;

	if (L->embedded)
		err = start_builtin_server(r, L, hooks);
	else
		r->target = r->o->target;
	if (err)
		return err;
	r->tlen = r->target.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6)
						  : sizeof(struct sockaddr_in);
	fmt_sockaddr(&r->target, res->target, sizeof(res->target));
	plan_sources(r, L->nprocs * L->nthreads);
	if (r->lfds && L->nlisten > 1 && r->source_plan != SOURCES_GIVEN && r->nsources &&
	    !steer_attach(r->lfds[0], L->nlisten))
		r->steer = true;
	res->nsources = r->nsources;
	res->source_plan = r->source_plan;
	memcpy(res->sources, r->sources, sizeof(res->sources));
	return 0;
}

/* Worker processes, each with its threads; this one waits for them,
 * passes a signal on and prints the progress line. */
static int run_procs(struct run *r, struct layout *L)
{
	uint64_t last_att = 0, last_ns = r->t0, next_print = r->t0 + NSEC_PER_SEC;
	pid_t parent = getpid();
	int i, alive, status, err = 0;

	for (i = 0; i < L->nprocs; i++) {
		pid_t pid = fork();

		if (pid < 0) {
			err = -errno;
			fprintf(stderr, "tcpscope stress: fork: %s\n", errno_name(err));
			r->sh->stop = 1;
			break;
		}
		if (pid == 0) {
			/* SIGTERM: the workers close what they hold and exit. */
			die_with_parent(parent, SIGTERM);
			_exit(run_threads(r, i * L->nthreads, L->nthreads, L->nprocs * L->nthreads,
					  false)
				  ? 1
				  : 0);
		}
		L->cpids[i] = pid;
	}
	do {
		alive = 0;
		for (i = 0; i < L->nprocs; i++) {
			if (L->cpids[i] <= 0)
				continue;
			if (waitpid(L->cpids[i], &status, WNOHANG) == L->cpids[i])
				L->cpids[i] = 0;
			else
				alive++;
		}
		if (exiting)
			r->sh->stop = 1;
		if (!alive)
			break;
		usleep(50 * 1000);
		if (r->o->progress && now_mono_ns() >= next_print) {
			progress_line(r, &last_att, &last_ns);
			next_print += NSEC_PER_SEC;
		}
	} while (alive);
	return err;
}

/* The load itself, from the first connect to the last close. */
static int run_load(struct run *r, struct layout *L, struct stress_result *res)
{
	int err;

	if (L->split) {
		L->cpids = calloc((size_t)L->nprocs, sizeof(*L->cpids));
		if (!L->cpids)
			return -ENOMEM;
	}
	r->t0 = now_mono_ns();
	r->t_end = r->t0 + r->o->duration_ns;
	if (L->split) {
		err = run_procs(r, L);
	} else {
		err = run_threads(r, 0, L->nthreads, L->nthreads, r->o->progress);
		if (err)
			fprintf(stderr, "tcpscope stress: workers: %s\n", errno_name(err));
	}
	res->duration_ns = now_mono_ns() - r->t0;
	if (r->o->progress)
		fprintf(stderr, "\n");
	return err;
}

/* Every process stopped, the counters merged, everything released. */
static void layout_end(struct layout *L, struct run *r, struct stress_result *res)
{
	if (L->spids) {
		L->sh->stop_server = 1;
		wait_children(L->spids, L->nsrv);
	}
	if (L->cpids) {
		L->sh->stop = 1;
		wait_children(L->cpids, L->nprocs);
	}
	close_fds(L->lfds, L->nlisten);
	close_fds(r->lfds, L->nlisten);
	if (L->sh) {
		struct server_stats sum;

		merge(L->sh, res);
		if (L->nlisten) {
			server_stats__sum(L->sh->srv, L->nlisten, &sum);
			res->server_accepted = sum.accepted;
		}
		munmap(L->sh, L->shlen);
	}
	free(L->cpids);
	free(L->spids);
}

static void result_init(struct stress_result *res)
{
	memset(res, 0, sizeof(*res));
	hist__init(&res->connect_ns);
	hist__init(&res->rr_ns);
	hist__init(&res->ti.rtt_us);
	hist__init(&res->ti.last_rtt_us);
	hist__init(&res->ti.last_cwnd);
}

/* What the counters say about the run as a whole. */
static void result_finish(const struct stress_opts *o, const struct run *r,
			  struct stress_result *res)
{
	res->interrupted = exiting;
	res->hit_duration =
	    !exiting && o->mode != STRESS_HOLD && res->duration_ns >= o->duration_ns;
	res->launch_ns = res->c.launch_end_ns > r->t0 ? res->c.launch_end_ns - r->t0 : 0;
	if (res->launch_ns)
		res->rate_achieved = (double)res->c.attempted * 1e9 / (double)res->launch_ns;
}

int stress_run(const struct stress_opts *o, const struct stress_hooks *hooks,
	       struct stress_result *res)
{
	struct run r = { .o = o, .hooks = hooks };
	struct layout L = {};
	int err;

	/* API callers too: no connections is no run. */
	if (!(o->mode == STRESS_CHURN ? o->concurrency : o->conns))
		return -EINVAL;
	result_init(res);
	r.want_cookie = hooks && (hooks->on_socket || hooks->on_conn_done);
	r.want_local = hooks && hooks->on_conn_done && hooks->want_local;
	r.send_first = o->mode != STRESS_HOLD && request_size(o);
	err = plan_layout(o, hooks, res, &L);
	if (err)
		return err;
	err = map_shared(&L);
	if (!err) {
		r.sh = L.sh;
		err = set_target(&r, &L, hooks, res);
	}
	if (!err)
		err = run_load(&r, &L, res);
	layout_end(&L, &r, res);
	result_finish(o, &r, res);
	return err;
}
