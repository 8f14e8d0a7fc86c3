// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* --metrics: the bounded HTTP/1.0 responder on its own thread. */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>
#include "metrics/httpd.h"
#include "lib/util.h"

#define REQ_MAX		4096 /* of a request, read; its first line decides */
#define BACKLOG		64
#define ACCEPT_BATCH	64  /* connections taken per wakeup */
#define ACCEPT_PAUSE_MS 100 /* after accept() failed (out of fds) */
#define EP_LISTEN	0
#define EP_STOP		1

struct client {
	int fd;		      /* -1: a free slot */
	uint64_t seq;	      /* accept order: the lowest is the oldest */
	uint64_t deadline_ms; /* closed then, whatever its state */
	size_t got;
	char req[REQ_MAX + 1];
	char *out; /* the answer, once the request is in; at most PAGE_MAX + head */
	size_t outlen, sent;
};

struct httpd {
	int lfd, efd, ep;
	struct httpd_limits lim;
	struct client *clients;
	unsigned int nclients;
	uint64_t seq;
	uint64_t accept_paused_until; /* ms; 0: accepting */
	httpd_page_fn page;
	void *ctx;
	pthread_t thread;
	bool running;
	/* the thread's own counters, read only on it */
	uint64_t scrapes, not_found, timed_out, evicted, accept_errors;
	char page_buf[HTTPD_PAGE_MAX];
};

static uint64_t now_ms(void)
{
	return now_mono_ns() / 1000000;
}

static void client_close(struct httpd *s, struct client *c)
{
	close(c->fd); /* which also takes it out of the epoll set */
	free(c->out);
	c->fd = -1;
	c->out = NULL;
	s->nclients--;
}

static struct client *client_slot(struct httpd *s)
{
	struct client *oldest = &s->clients[0]; /* max_clients >= 1 */
	unsigned int i;

	for (i = 0; i < s->lim.max_clients; i++) {
		if (s->clients[i].fd < 0)
			return &s->clients[i];
		if (s->clients[i].seq < oldest->seq)
			oldest = &s->clients[i];
	}
	/* Full: the newest client gets its turn, the one that had the
	 * longest closes. A scraper needs its slot for milliseconds. */
	s->evicted++;
	client_close(s, oldest);
	return oldest;
}

static int client_watch(struct httpd *s, struct client *c, int op, uint32_t events)
{
	struct epoll_event ev = {
		.events = events,
		.data.u64 = c->seq << 8 | (uint64_t)(c - s->clients),
	};

	return epoll_ctl(s->ep, op, c->fd, &ev);
}

static void accept_pause(struct httpd *s, bool pause)
{
	struct epoll_event ev = { .events = pause ? 0 : EPOLLIN, .data.u64 = EP_LISTEN };

	epoll_ctl(s->ep, EPOLL_CTL_MOD, s->lfd, &ev);
	s->accept_paused_until = pause ? now_ms() + ACCEPT_PAUSE_MS : 0;
}

static void accept_clients(struct httpd *s)
{
	struct client *c;
	int i, fd;

	for (i = 0; i < ACCEPT_BATCH; i++) {
		fd = accept4(s->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd < 0 && (errno == EINTR || errno == ECONNABORTED))
			continue;
		if (fd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK) {
				s->accept_errors++;
				accept_pause(s, true); /* no spinning on EMFILE */
			}
			return;
		}
		c = client_slot(s);
		c->fd = fd;
		c->seq = s->seq++;
		c->deadline_ms = now_ms() + s->lim.deadline_ms;
		c->got = c->outlen = c->sent = 0;
		c->out = NULL;
		s->nclients++;
		if (client_watch(s, c, EPOLL_CTL_ADD, EPOLLIN)) {
			s->accept_errors++;
			client_close(s, c);
		}
	}
}

static bool wants_metrics(const char *req)
{
	return !strncmp(req, "GET /metrics ", 13) || !strncmp(req, "GET /metrics?", 13) ||
	       !strncmp(req, "GET /metrics\r", 13) || !strncmp(req, "GET /metrics\n", 13);
}

/* The page into page_buf: its length, or -1 when it did not fit. */
static ssize_t render(struct httpd *s)
{
	FILE *f = fmemopen(s->page_buf, sizeof(s->page_buf), "w");
	long len;

	if (!f)
		return -1;
	s->page(s->ctx, f);
	len = fflush(f) || ferror(f) ? -1 : ftell(f);
	fclose(f);
	return len;
}

static void set_answer(struct client *c, const char *status, const char *type, const char *body,
		       size_t blen)
{
	char head[256];
	int hlen = snprintf(head, sizeof(head),
			    "HTTP/1.0 %s\r\nContent-Type: %s\r\nContent-Length: %zu\r\n"
			    "Connection: close\r\n\r\n",
			    status, type, blen);

	c->out = malloc((size_t)hlen + blen);
	if (!c->out)
		return;
	memcpy(c->out, head, (size_t)hlen);
	memcpy(c->out + hlen, body, blen);
	c->outlen = (size_t)hlen + blen;
}

static void answer(struct httpd *s, struct client *c)
{
	static const char not_found[] = "tcpscope: try /metrics\n";
	static const char too_big[] = "tcpscope: the page outgrew its buffer\n";
	ssize_t len;

	if (!wants_metrics(c->req)) {
		s->not_found++;
		set_answer(c, "404 Not Found", "text/plain", not_found, sizeof(not_found) - 1);
		return;
	}
	s->scrapes++;
	len = render(s);
	if (len < 0)
		set_answer(c, "500 Internal Server Error", "text/plain", too_big,
			   sizeof(too_big) - 1);
	else
		set_answer(c, "200 OK", "text/plain; version=0.0.4; charset=utf-8", s->page_buf,
			   (size_t)len);
}

/* As much of the answer as the socket takes; closed once all is sent. */
static void client_write(struct httpd *s, struct client *c)
{
	ssize_t n;

	while (c->sent < c->outlen) {
		n = send(c->fd, c->out + c->sent, c->outlen - c->sent, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (n <= 0)
			break;
		c->sent += (size_t)n;
	}
	client_close(s, c);
}

static bool request_complete(const struct client *c, size_t from)
{
	from = from > 3 ? from - 3 : 0;
	return c->got == REQ_MAX || strstr(c->req + from, "\r\n\r\n") ||
	       strstr(c->req + from, "\n\n");
}

static void client_read(struct httpd *s, struct client *c)
{
	size_t before = c->got;
	ssize_t n = recv(c->fd, c->req + c->got, REQ_MAX - c->got, 0);

	if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
		return;
	if (n < 0 || (n == 0 && !c->got)) {
		client_close(s, c); /* gone before it asked anything */
		return;
	}
	c->got += (size_t)n;
	c->req[c->got] = 0;
	/* A client that half-closed after its request line is answered. */
	if (n > 0 && !request_complete(c, before))
		return;
	answer(s, c);
	if (!c->out || client_watch(s, c, EPOLL_CTL_MOD, EPOLLOUT)) {
		client_close(s, c);
		return;
	}
	client_write(s, c);
}

static void client_ready(struct httpd *s, uint64_t data, uint32_t events)
{
	struct client *c = &s->clients[data & 0xff];

	if (c->fd < 0 || c->seq != data >> 8)
		return; /* closed earlier in this batch, or its slot reused */
	if (events & EPOLLERR)
		client_close(s, c);
	else if (c->out)
		client_write(s, c);
	else
		client_read(s, c);
}

/* Close the clients past their deadline; the wait until the next one. */
static int expire(struct httpd *s)
{
	uint64_t now = now_ms(), next = UINT64_MAX;
	unsigned int i;

	for (i = 0; i < s->lim.max_clients; i++) {
		struct client *c = &s->clients[i];

		if (c->fd < 0)
			continue;
		if (c->deadline_ms <= now) {
			s->timed_out++;
			client_close(s, c);
		} else if (c->deadline_ms < next) {
			next = c->deadline_ms;
		}
	}
	if (s->accept_paused_until && s->accept_paused_until <= now)
		accept_pause(s, false);
	if (s->accept_paused_until && s->accept_paused_until < next)
		next = s->accept_paused_until;
	return next == UINT64_MAX ? -1 : (int)(next - now);
}

static void *serve(void *arg)
{
	struct httpd *s = arg;
	struct epoll_event evs[16];
	int i, n, wait_ms = -1;

	for (;;) {
		n = epoll_wait(s->ep, evs, 16, wait_ms);
		for (i = 0; i < n; i++) {
			if (evs[i].data.u64 == EP_STOP)
				return NULL;
			if (evs[i].data.u64 == EP_LISTEN)
				accept_clients(s);
			else
				client_ready(s, evs[i].data.u64, evs[i].events);
		}
		wait_ms = expire(s);
	}
}

void httpd__write(const struct httpd *s, FILE *f)
{
	fprintf(f,
		"# HELP tcpscope_scrapes_total Scrapes of /metrics answered\n"
		"# TYPE tcpscope_scrapes_total counter\n"
		"tcpscope_scrapes_total %" PRIu64 "\n",
		s->scrapes);
	fprintf(f,
		"# HELP tcpscope_metrics_clients Connections to the metrics endpoint open now "
		"(this scrape's included; at most %u)\n"
		"# TYPE tcpscope_metrics_clients gauge\n"
		"tcpscope_metrics_clients %u\n",
		s->lim.max_clients, s->nclients);
	fprintf(f,
		"# HELP tcpscope_metrics_clients_dropped_total Connections to the metrics "
		"endpoint closed unanswered: past their %u ms deadline, evicted by a newer one "
		"when %u were open, or not accepted (out of file descriptors)\n"
		"# TYPE tcpscope_metrics_clients_dropped_total counter\n",
		s->lim.deadline_ms, s->lim.max_clients);
	fprintf(f,
		"tcpscope_metrics_clients_dropped_total{reason=\"timeout\"} %" PRIu64 "\n"
		"tcpscope_metrics_clients_dropped_total{reason=\"evicted\"} %" PRIu64 "\n"
		"tcpscope_metrics_clients_dropped_total{reason=\"accept_error\"} %" PRIu64 "\n",
		s->timed_out, s->evicted, s->accept_errors);
	fprintf(f,
		"# HELP tcpscope_metrics_not_found_total Requests for a path other than "
		"/metrics (answered 404)\n"
		"# TYPE tcpscope_metrics_not_found_total counter\n"
		"tcpscope_metrics_not_found_total %" PRIu64 "\n",
		s->not_found);
}

static int listen_on(struct httpd *s, const struct sockaddr_storage *ss, socklen_t len)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = EP_LISTEN };
	int one = 1;

	s->lfd = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (s->lfd < 0 || setsockopt(s->lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(s->lfd, (const struct sockaddr *)ss, len) || listen(s->lfd, BACKLOG))
		return -errno;
	s->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	s->ep = epoll_create1(EPOLL_CLOEXEC);
	if (s->efd < 0 || s->ep < 0 || epoll_ctl(s->ep, EPOLL_CTL_ADD, s->lfd, &ev))
		return -errno;
	ev.data.u64 = EP_STOP;
	return epoll_ctl(s->ep, EPOLL_CTL_ADD, s->efd, &ev) ? -errno : 0;
}

int httpd__open(struct httpd **sp, const struct sockaddr_storage *ss, socklen_t len)
{
	struct httpd *s;
	int err;

	*sp = NULL;
	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->lfd = s->efd = s->ep = -1;
	s->lim = (struct httpd_limits){ HTTPD_MAX_CLIENTS, HTTPD_DEADLINE_MS };
	s->seq = 1;
	err = listen_on(s, ss, len);
	if (err) {
		httpd__destroy(s);
		return err;
	}
	*sp = s;
	return 0;
}

int httpd__start(struct httpd *s, const struct httpd_limits *lim, httpd_page_fn page, void *ctx)
{
	sigset_t all, old;
	unsigned int i;
	int err;

	if (lim && (!lim->max_clients || lim->max_clients > 255 || !lim->deadline_ms))
		return -EINVAL;
	if (lim)
		s->lim = *lim;
	s->clients = calloc(s->lim.max_clients, sizeof(*s->clients));
	if (!s->clients)
		return -ENOMEM;
	for (i = 0; i < s->lim.max_clients; i++)
		s->clients[i].fd = -1;
	s->page = page;
	s->ctx = ctx;
	/* Signals stay with the threads that wait for them. */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	err = pthread_create(&s->thread, NULL, serve, s);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (err)
		return -err;
	s->running = true;
	return 0;
}

void httpd__destroy(struct httpd *s)
{
	uint64_t one = 1;
	unsigned int i;
	ssize_t n;

	if (!s)
		return;
	if (s->running) {
		n = write(s->efd, &one, sizeof(one)); /* cannot fail: the count is 0 or 1 */
		(void)n;
		pthread_join(s->thread, NULL);
	}
	for (i = 0; s->clients && i < s->lim.max_clients; i++)
		if (s->clients[i].fd >= 0)
			client_close(s, &s->clients[i]);
	if (s->ep >= 0)
		close(s->ep);
	if (s->efd >= 0)
		close(s->efd);
	if (s->lfd >= 0)
		close(s->lfd);
	free(s->clients);
	free(s);
}
