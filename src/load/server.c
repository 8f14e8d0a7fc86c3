// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* tcpscope server and the engine of stress's built-in server. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>
#include "lib/parse.h"
#include "lib/privs.h"
#include "load/server.h"
#include "load/stress.h"
#include "lib/util.h"

#define IO_BUF (64 * 1024)
#define EVENTS 256

/* An accepted connection. pend holds echo bytes the peer was too slow for. */
struct sconn {
	int fd;
	uint32_t pend_off, pend_len;
	uint8_t *pend;
	struct sconn *prev, *next;
};

struct sthread {
	struct server *srv;
	int lfd;
	int epfd;
	bool listen_paused;
	uint64_t resume_ns;
	struct server_stats *st;
	struct sconn head; /* list of live connections */
	uint8_t buf[IO_BUF];
	pthread_t tid;
	bool started;
};

struct server {
	struct server_opts o;
	int n;
	volatile int stop;
	struct sthread *t;
};

enum { SPREAD_HASH, SPREAD_CPU };
static const char *const spread_names[] = { "hash", "cpu" };

static const char *const mode_names[] = { "echo", "sink", "source", "close", "reset" };

const char *server_mode_name(int mode)
{
	return mode >= 0 && mode < (int)ARRAY_SIZE(mode_names) ? mode_names[mode] : "?";
}

int server_mode_parse(const char *s)
{
	int i;

	for (i = 0; i < (int)ARRAY_SIZE(mode_names); i++)
		if (!strcmp(s, mode_names[i]))
			return i;
	return -EINVAL;
}

int server__listen(const struct sockaddr_storage *addr, int backlog, int n, int *fds,
		   struct sockaddr_storage *bound)
{
	struct sockaddr_storage a = *addr;
	socklen_t alen =
	    a.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	int i, err = 0, one = 1;

	for (i = 0; i < n; i++)
		fds[i] = -1;
	for (i = 0; i < n; i++) {
		fds[i] = socket(a.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fds[i] < 0 || setsockopt(fds[i], SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
		    setsockopt(fds[i], SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) ||
		    bind(fds[i], (struct sockaddr *)&a, alen) || listen(fds[i], backlog)) {
			err = -errno;
			goto cleanup;
		}
		/* The first listener picked the port; the others join it. */
		if (i == 0) {
			socklen_t blen = sizeof(a);

			if (getsockname(fds[0], (struct sockaddr *)&a, &blen)) {
				err = -errno;
				goto cleanup;
			}
			*bound = a;
		}
	}
	return 0;
cleanup:
	for (i = 0; i < n; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	return err;
}

bool server__cpu_serves(int cpu, int i, int n, int ncpu)
{
	return n <= ncpu ? cpu % n == i : cpu == i % ncpu;
}

int server__steer_by_cpu(int lfd, int n, int ncpu)
{
	/* As many listeners as CPUs or fewer: listener cpu % n. */
	struct sock_filter by_cpu[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_CPU)),
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, (uint32_t)n),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	/* More: CPU c has the k = (n - c + ncpu - 1) / ncpu listeners c,
	 * c + ncpu, ...; one of them at random. */
	struct sock_filter shared[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_CPU)),
		BPF_STMT(BPF_ST, 0),
		BPF_STMT(BPF_ALU | BPF_NEG, 0),
		BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, (uint32_t)(n + ncpu - 1)),
		BPF_STMT(BPF_ALU | BPF_DIV | BPF_K, (uint32_t)ncpu),
		BPF_STMT(BPF_MISC | BPF_TAX, 0),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)(SKF_AD_OFF + SKF_AD_RANDOM)),
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_X, 0),
		BPF_STMT(BPF_ALU | BPF_MUL | BPF_K, (uint32_t)ncpu),
		BPF_STMT(BPF_LDX | BPF_MEM, 0),
		BPF_STMT(BPF_ALU | BPF_ADD | BPF_X, 0),
		BPF_STMT(BPF_RET | BPF_A, 0),
	};
	struct sock_fprog prog = { .len = ARRAY_SIZE(by_cpu), .filter = by_cpu };

	if (n < 1 || ncpu < 1)
		return -EINVAL;
	if (n > ncpu) {
		prog.len = ARRAY_SIZE(shared);
		prog.filter = shared;
	}
	/* CPU ids are below ncpu (the configured count); an index past the
	 * group would make the kernel fall back to its hash. */
	return setsockopt(lfd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog)) ? -errno
											  : 0;
}

/* Run where the connections of this thread's listener arrive. Best effort:
 * outside the process's CPU mask it stays unpinned, and they still come. */
static void sthread_pin(struct sthread *t)
{
	int n = t->srv->n, ncpu = t->srv->o.pin_ncpu, i = (int)(t - t->srv->t), c;
	cpu_set_t set;

	CPU_ZERO(&set);
	for (c = 0; c < ncpu && c < CPU_SETSIZE; c++)
		if (server__cpu_serves(c, i, n, ncpu))
			CPU_SET(c, &set);
	if (CPU_COUNT(&set))
		(void)pthread_setaffinity_np(pthread_self(), sizeof(set), &set);
}

static void sconn_close(struct sthread *t, struct sconn *c, bool rst)
{
	if (rst) {
		struct linger l = { .l_onoff = 1, .l_linger = 0 };

		if (setsockopt(c->fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)))
			errcount__add(&t->st->errors, errno);
	}
	if (close(c->fd))
		errcount__add(&t->st->errors, errno);
	c->prev->next = c->next;
	c->next->prev = c->prev;
	free(c->pend);
	free(c);
	CNT_ADD(t->st->closed, 1);
}

static int sconn_arm(struct sthread *t, struct sconn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events, .data.ptr = c };

	if (epoll_ctl(t->epfd, EPOLL_CTL_MOD, c->fd, &ev)) {
		errcount__add(&t->st->errors, errno);
		return -1;
	}
	return 0;
}

static void accept_one(struct sthread *t, int fd)
{
	int mode = t->srv->o.mode;
	const struct stress_hooks *h = t->srv->o.hooks;
	struct epoll_event ev;
	struct sconn *c;

	CNT_ADD(t->st->accepted, 1);
	if (h && h->on_socket) {
		uint64_t cookie;

		if (!socket_cookie(fd, &cookie))
			h->on_socket(h->ctx, cookie);
	}
	if (mode == SERVER_CLOSE || mode == SERVER_RESET) {
		if (mode == SERVER_RESET) {
			struct linger l = { .l_onoff = 1, .l_linger = 0 };

			if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)))
				errcount__add(&t->st->errors, errno);
		}
		if (close(fd))
			errcount__add(&t->st->errors, errno);
		CNT_ADD(t->st->closed, 1);
		return;
	}
	c = calloc(1, sizeof(*c));
	if (!c) {
		errcount__add(&t->st->errors, ENOMEM);
		close(fd);
		CNT_ADD(t->st->closed, 1);
		return;
	}
	c->fd = fd;
	c->next = t->head.next;
	c->prev = &t->head;
	t->head.next->prev = c;
	t->head.next = c;
	ev.events = EPOLLIN | EPOLLRDHUP | (mode == SERVER_SOURCE ? EPOLLOUT : 0);
	ev.data.ptr = c;
	if (epoll_ctl(t->epfd, EPOLL_CTL_ADD, fd, &ev)) {
		errcount__add(&t->st->errors, errno);
		sconn_close(t, c, false);
	}
}

static void accept_all(struct sthread *t)
{
	int i, fd;

	/* Bounded so that a flood of connections cannot starve the others. */
	for (i = 0; i < 256; i++) {
		fd = accept4(t->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd >= 0) {
			accept_one(t, fd);
			continue;
		}
		if (errno == EAGAIN || errno == EINTR)
			return;
		errcount__add(&t->st->errors, errno);
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			/* Out of descriptors: stop accepting for a while
			 * instead of spinning on a level-triggered listener. */
			if (!epoll_ctl(t->epfd, EPOLL_CTL_DEL, t->lfd, NULL)) {
				t->listen_paused = true;
				t->resume_ns = now_mono_ns() + 50 * NSEC_PER_MSEC;
			}
		}
		return;
	}
}

/* Echo: write what is pending; true when all of it went out. */
static bool flush_pending(struct sthread *t, struct sconn *c, bool *dead)
{
	while (c->pend_off < c->pend_len) {
		ssize_t n = write(c->fd, c->pend + c->pend_off, c->pend_len - c->pend_off);

		if (n < 0) {
			if (errno == EAGAIN)
				return false;
			if (errno != EINTR) {
				errcount__add(&t->st->errors, errno);
				*dead = true;
				return false;
			}
			continue;
		}
		c->pend_off += (uint32_t)n;
		CNT_ADD(t->st->bytes_out, (uint64_t)n);
	}
	free(c->pend);
	c->pend = NULL;
	c->pend_off = c->pend_len = 0;
	return true;
}

/* Echo n bytes of t->buf. Whatever the socket does not take now is kept in
 * a buffer of its own (so idle connections cost no buffer), and reading
 * stops until it has gone out. False when reading must stop. */
static bool echo(struct sthread *t, struct sconn *c, size_t n, bool *dead)
{
	size_t off = 0;

	while (off < n) {
		ssize_t w = write(c->fd, t->buf + off, n - off);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0 && errno != EAGAIN) {
			errcount__add(&t->st->errors, errno);
			*dead = true;
			return false;
		}
		if (w < 0)
			break;
		off += (size_t)w;
		CNT_ADD(t->st->bytes_out, (uint64_t)w);
	}
	if (off == n)
		return true;
	c->pend = malloc(n - off);
	if (!c->pend) {
		errcount__add(&t->st->errors, ENOMEM);
		*dead = true;
		return false;
	}
	memcpy(c->pend, t->buf + off, n - off);
	c->pend_off = 0;
	c->pend_len = (uint32_t)(n - off);
	if (sconn_arm(t, c, EPOLLOUT | EPOLLRDHUP))
		*dead = true;
	return false;
}

static void on_readable(struct sthread *t, struct sconn *c, bool *dead)
{
	int mode = t->srv->o.mode;
	int rounds;

	if (c->pend)
		return; /* echo backlog first: on_writable resumes reading */
	for (rounds = 0; rounds < 16; rounds++) {
		ssize_t n = read(c->fd, t->buf, sizeof(t->buf));

		if (n == 0) {
			*dead = true;
			return;
		}
		if (n < 0) {
			if (errno == EAGAIN)
				return;
			if (errno == EINTR)
				continue;
			errcount__add(&t->st->errors, errno);
			*dead = true;
			return;
		}
		CNT_ADD(t->st->bytes_in, (uint64_t)n);
		if (mode == SERVER_ECHO && !echo(t, c, (size_t)n, dead))
			return;
		/* A short read emptied the socket: the level-triggered epoll
		 * reports what comes next, so no read to find EAGAIN. */
		if ((size_t)n < sizeof(t->buf))
			return;
	}
}

static void on_writable(struct sthread *t, struct sconn *c, bool *dead)
{
	if (t->srv->o.mode == SERVER_SOURCE) {
		ssize_t n = write(c->fd, t->buf, sizeof(t->buf));

		if (n > 0)
			CNT_ADD(t->st->bytes_out, (uint64_t)n);
		else if (n < 0 && errno != EAGAIN && errno != EINTR) {
			/* The peer went away: the normal end of source mode. */
			if (errno != EPIPE && errno != ECONNRESET)
				errcount__add(&t->st->errors, errno);
			*dead = true;
		}
		return;
	}
	if (flush_pending(t, c, dead) && !*dead && sconn_arm(t, c, EPOLLIN | EPOLLRDHUP))
		*dead = true;
}

static void sthread_event(struct sthread *t, struct sconn *c, uint32_t events)
{
	bool dead = false;

	if (!c) {
		accept_all(t);
		return;
	}
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP | EPOLLRDHUP))
		on_readable(t, c, &dead);
	if (!dead && (events & EPOLLOUT))
		on_writable(t, c, &dead);
	if (dead)
		sconn_close(t, c, false);
}

static void sthread_tick(struct sthread *t)
{
	if (t->listen_paused && now_mono_ns() >= t->resume_ns) {
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

		if (!epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->lfd, &ev))
			t->listen_paused = false;
	}
}

static void sthread_close_all(struct sthread *t)
{
	/* sconn_close unlinks what it frees; the analyzer does not follow. */
	while (t->head.next != &t->head)
		sconn_close(t, t->head.next, false); // NOLINT(clang-analyzer-unix.Malloc)
}

static void *server_thread(void *arg)
{
	struct sthread *t = arg;
	struct epoll_event evs[EVENTS];
	int i, n;

	if (t->srv->o.pin_ncpu)
		sthread_pin(t);
	while (!t->srv->stop) {
		n = epoll_wait(t->epfd, evs, EVENTS, 50);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			errcount__add(&t->st->errors, errno);
			break;
		}
		for (i = 0; i < n; i++)
			sthread_event(t, evs[i].data.ptr, evs[i].events);
		sthread_tick(t);
	}
	sthread_close_all(t);
	return NULL;
}

int server__embed(const struct server_opts *o, int lfd, int epfd, struct server_stats *stats,
		  struct server **out)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	struct server *s = calloc(1, sizeof(*s));
	struct sthread *t;

	if (!s) {
		close(lfd);
		return -ENOMEM;
	}
	s->t = t = calloc(1, sizeof(*s->t));
	if (!t) {
		free(s);
		close(lfd);
		return -ENOMEM;
	}
	s->o = *o;
	s->n = 1;
	t->srv = s;
	t->lfd = lfd;
	t->epfd = epfd;
	t->st = stats;
	t->head.next = t->head.prev = &t->head;
	if (epoll_ctl(epfd, EPOLL_CTL_ADD, lfd, &ev)) {
		int err = -errno;

		free(t);
		free(s);
		close(lfd);
		return err;
	}
	*out = s;
	return 0;
}

void server__event(struct server *s, void *ptr, uint32_t events)
{
	sthread_event(&s->t[0], ptr, events);
}

void server__tick(struct server *s)
{
	sthread_tick(&s->t[0]);
}

void server__embed_end(struct server *s)
{
	if (!s)
		return;
	sthread_close_all(&s->t[0]);
	if (s->t[0].lfd >= 0)
		close(s->t[0].lfd);
	free(s->t);
	free(s);
}

int server__start(const struct server_opts *o, int n, const int *fds, struct server_stats *stats,
		  struct server **out)
{
	struct server *s;
	int i, err = 0;

	s = calloc(1, sizeof(*s));
	if (!s)
		return -ENOMEM;
	s->o = *o;
	s->n = n;
	s->t = calloc((size_t)n, sizeof(*s->t));
	if (!s->t) {
		free(s);
		return -ENOMEM;
	}
	for (i = 0; i < n; i++) {
		s->t[i].lfd = fds[i];
		s->t[i].epfd = -1;
	}
	for (i = 0; i < n; i++) {
		struct sthread *t = &s->t[i];
		struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };

		t->srv = s;
		t->st = &stats[i];
		t->head.next = t->head.prev = &t->head;
		t->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (t->epfd < 0 || epoll_ctl(t->epfd, EPOLL_CTL_ADD, t->lfd, &ev)) {
			err = -errno;
			break;
		}
		err = -pthread_create(&t->tid, NULL, server_thread, t);
		if (err)
			break;
		t->started = true;
	}
	if (err) {
		server__stop(s);
		return err;
	}
	*out = s;
	return 0;
}

void server__stop(struct server *s)
{
	int i;

	if (!s)
		return;
	s->stop = 1;
	for (i = 0; i < s->n; i++) {
		struct sthread *t = &s->t[i];

		if (t->started)
			pthread_join(t->tid, NULL);
		if (t->epfd >= 0)
			close(t->epfd);
		if (t->lfd >= 0)
			close(t->lfd);
	}
	free(s->t);
	free(s);
}

void server_stats__sum(const struct server_stats *st, int n, struct server_stats *out)
{
	int i;

	memset(out, 0, sizeof(*out));
	for (i = 0; i < n; i++) {
		out->accepted += CNT_READ(st[i].accepted);
		out->closed += CNT_READ(st[i].closed);
		out->bytes_in += CNT_READ(st[i].bytes_in);
		out->bytes_out += CNT_READ(st[i].bytes_out);
		errcount__merge(&out->errors, &st[i].errors);
	}
}

/* The command. */

static void server_usage(FILE *f)
{
	fprintf(f,
		"Usage: tcpscope server [OPTIONS]\n\n"
		"Accept TCP connections on an epoll loop per thread (SO_REUSEPORT).\n\n"
		"  --listen ADDR:PORT  where to listen (default 127.0.0.1:0, port 0: any;\n"
		"                      the bound address is printed on stdout)\n"
		"  --mode MODE         echo (default): send back what is read; sink: read\n"
		"                      and discard; source: send until the peer closes;\n"
		"                      close: accept and close (FIN); reset: accept and\n"
		"                      close with RST (SO_LINGER 0)\n"
		"  --threads N         listeners and epoll loops (default: one per core)\n"
		"  --spread HOW        cpu (default): each connection to the thread of the\n"
		"                      CPU its SYN arrived on (threads pinned near their\n"
		"                      CPUs; more threads than CPUs share them at random);\n"
		"                      hash: the kernel's 4-tuple hash, uneven when the\n"
		"                      connections are few\n"
		"  --backlog N         listen() backlog (default 4096, capped by somaxconn)\n"
		"  --duration DUR      stop by itself after DUR (default: until SIGINT/SIGTERM)\n"
		"  -h, --help          this help\n\n"
		"Examples:\n"
		"  tcpscope server --listen 127.0.0.1:0\n"
		"  tcpscope server --listen [::1]:9000 --mode sink --threads 2\n"
		"  tcpscope server --listen 10.0.0.2:80 --mode reset --duration 30s\n");
}

/* What the command runs with, and what it holds: freed on one path. */
struct server_cmd {
	struct server_opts so;
	struct sockaddr_storage addr, bound;
	socklen_t alen;
	int threads, spread;
	uint64_t duration_ns;
	long nofile;
	int *fds;
	struct server_stats *stats;
	struct server *srv;
};

/* The options into c; a usage error exits 2. Returns 1 for --help. */
static int server_parse(struct server_cmd *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "listen", required_argument, NULL, 'l' },
		{ "mode", required_argument, NULL, 'm' },
		{ "threads", required_argument, NULL, 't' },
		{ "spread", required_argument, NULL, 's' },
		{ "backlog", required_argument, NULL, 'b' },
		{ "duration", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int opt;

	*c = (struct server_cmd){ .so = { .mode = SERVER_ECHO, .backlog = 4096 },
				  .threads = online_cpus(),
				  .spread = SPREAD_CPU };
	opt_sockaddr("server", "--listen", "127.0.0.1:0", true, &c->addr, &c->alen);
	optind = 1;
	opterr = 0; /* one line of our own instead of getopt's */
	while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (opt) {
		case 'l':
			opt_sockaddr("server", "--listen", optarg, true, &c->addr, &c->alen);
			break;
		case 'm':
			c->so.mode = server_mode_parse(optarg);
			if (c->so.mode < 0)
				cli_bad_value("server", "--mode", optarg, -EINVAL,
					      "echo, sink, source, close or reset");
			break;
		case 't':
			c->threads = (int)opt_count("server", "--threads", optarg, 1, 256);
			break;
		case 's':
			for (c->spread = 0; c->spread < (int)ARRAY_SIZE(spread_names); c->spread++)
				if (!strcmp(optarg, spread_names[c->spread]))
					break;
			if (c->spread == (int)ARRAY_SIZE(spread_names))
				cli_bad_value("server", "--spread", optarg, -EINVAL, "cpu or hash");
			break;
		case 'b':
			c->so.backlog = (int)opt_count("server", "--backlog", optarg, 1, 1 << 20);
			break;
		case 'd':
			c->duration_ns = opt_duration("server", "--duration", optarg, 0);
			break;
		case 'h':
			server_usage(stdout);
			return 1;
		default:
			cli_bad_option("server", opt, argv, longopts);
		}
	}
	cli_no_more_args("server", argc, argv);
	return 0;
}

/* Listen, and steer connections by CPU when asked (falling back to the
 * kernel's hash with a warning). 0 or -errno, said on stderr. */
static int server_bind(struct server_cmd *c)
{
	long ncpu = sysconf(_SC_NPROCESSORS_CONF);
	char abuf[FMT_ADDR_LEN];
	int err;

	c->nofile = raise_nofile_limit();
	c->fds = calloc((size_t)c->threads, sizeof(*c->fds));
	c->stats = calloc((size_t)c->threads, sizeof(*c->stats));
	if (!c->fds || !c->stats) {
		fprintf(stderr, "tcpscope server: out of memory\n");
		return -ENOMEM;
	}
	err = server__listen(&c->addr, c->so.backlog, c->threads, c->fds, &c->bound);
	if (err) {
		fprintf(stderr, "tcpscope server: cannot listen on %s: %s\n",
			fmt_sockaddr(&c->addr, abuf, sizeof(abuf)), errno_name(err));
		return err;
	}
	if (ncpu < 1)
		ncpu = online_cpus();
	if (c->spread != SPREAD_CPU || c->threads == 1)
		return 0;
	err = server__steer_by_cpu(c->fds[0], c->threads, (int)ncpu);
	if (err) {
		fprintf(stderr,
			"tcpscope server: cannot steer connections by CPU "
			"(SO_ATTACH_REUSEPORT_CBPF: %s): the kernel's 4-tuple hash spreads "
			"them, unevenly when they are few\n",
			errno_name(err));
		c->spread = SPREAD_HASH;
	} else {
		c->so.pin_ncpu = (int)ncpu;
	}
	return 0;
}

/* Drop what binding needed, then start the threads. 0 or -errno, said. */
static int server_run(struct server_cmd *c)
{
	char abuf[FMT_ADDR_LEN];
	const char *msg = "";
	int err;

	/* Bound (a port below 1024 needed CAP_NET_BIND_SERVICE): nothing more
	 * is needed, and the threads must start without it. */
	err = privs_drop(0, &msg);
	if (err) {
		fprintf(stderr, "tcpscope server: dropping privileges: %s: %s\n", msg,
			errno_name(-err));
		return err;
	}
	err = server__start(&c->so, c->threads, c->fds, c->stats, &c->srv);
	if (err) {
		fprintf(stderr, "tcpscope server: cannot start threads: %s\n", errno_name(err));
		return err;
	}
	printf("listening on %s mode %s threads %d nofile %ld spread %s\n",
	       fmt_sockaddr(&c->bound, abuf, sizeof(abuf)), server_mode_name(c->so.mode),
	       c->threads, c->nofile, c->threads > 1 ? spread_names[c->spread] : "none");
	return 0;
}

/* Until SIGINT/SIGTERM or --duration; progress on a terminal. */
static void server_wait(const struct server_cmd *c)
{
	uint64_t t0 = now_mono_ns(), last_print = 0;
	struct server_stats sum;

	while (!exiting && (!c->duration_ns || now_mono_ns() - t0 < c->duration_ns)) {
		usleep(100 * 1000);
		if (isatty(STDERR_FILENO) && now_mono_ns() - last_print >= NSEC_PER_SEC) {
			last_print = now_mono_ns();
			server_stats__sum(c->stats, c->threads, &sum);
			fprintf(stderr, "\raccepted %" PRIu64 "  active %" PRIu64 "   ",
				sum.accepted, sum.accepted - sum.closed);
		}
	}
	if (isatty(STDERR_FILENO))
		fprintf(stderr, "\n");
}

/* The totals as the threads left them, then stop them. */
static void server_summary(struct server_cmd *c)
{
	struct server_stats sum;
	int i;

	server_stats__sum(c->stats, c->threads, &sum);
	server__stop(c->srv);
	c->srv = NULL;
	printf("accepted %" PRIu64 " active %" PRIu64 " closed %" PRIu64 " bytes_in %" PRIu64
	       " bytes_out %" PRIu64 " errors ",
	       sum.accepted, sum.accepted - sum.closed, sum.closed, sum.bytes_in, sum.bytes_out);
	errcount__text(&sum.errors, stdout);
	printf("\naccepted per thread");
	for (i = 0; i < c->threads; i++)
		printf(" %" PRIu64, CNT_READ(c->stats[i].accepted));
	printf("\n");
}

int cmd_server(int argc, char **argv)
{
	struct server_cmd c;
	int err;

	if (server_parse(&c, argc, argv))
		return 0;
	err = install_signal_handlers();
	if (err)
		fprintf(stderr, "tcpscope server: sigaction: %s\n", errno_name(err));
	if (!err)
		err = server_bind(&c);
	if (!err)
		err = server_run(&c);
	if (!err) {
		server_wait(&c);
		server_summary(&c);
	}
	server__stop(c.srv);
	free(c.stats);
	free(c.fds);
	return err ? 1 : 0;
}
