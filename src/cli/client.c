// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* tcpscope client: one connection, fully described. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <linux/capability.h>
#include "cli/commands.h"
#include "lib/jsonw.h"
#include "lib/netutil.h"
#include "lib/parse.h"
#include "lib/privs.h"
#include "load/sockopt.h"
#include "lib/tcpinfo.h"
#include "lib/util.h"

#define MAX_ADDRS 16

struct client {
	struct sockopts so;
	uint64_t send;
	uint64_t hold_ns;
	bool json;
	int family;
	char host[256], port[32];
	struct sockaddr_storage addrs[MAX_ADDRS];
	int naddrs;
	/* what happened */
	int fd;
	int err;
	const char *failed_step;
	struct sockaddr_storage local, remote;
	uint64_t cookie;
	uint64_t connect_ns, exchange_ns;
	uint64_t sent, received;
	bool verified;
	struct tcpinfo ti;
	bool have_ti;
};

static void client_usage(FILE *f)
{
	fprintf(f, "Usage: tcpscope client HOST:PORT [OPTIONS]\n\n"
		   "One connection, fully described: resolution, connect latency, addresses,\n"
		   "socket cookie and the whole of TCP_INFO with units.\n\n"
		   "  --send BYTES   send BYTES and expect them echoed back, verified\n"
		   "  --hold DUR     keep the connection open DUR before the last TCP_INFO\n"
		   "  -4, -6         resolve to IPv4 or IPv6 only\n"
		   "  --json         one JSON object instead of text\n"
		   "  -h, --help     this help\n\n" SOCKOPT_HELP "\nExamples:\n"
		   "  tcpscope client 127.0.0.1:8080\n"
		   "  tcpscope client localhost:8080 --send 64k --nodelay --json\n"
		   "  tcpscope client [::1]:9000 --hold 5s --cc reno --connect-timeout 2s\n\n"
		   "Exit status: 0 connected (and with --send, the echo verified); 1 a failure,\n"
		   "said in one line on stderr (no address connected: each one tried and its\n"
		   "error, and no description); 2 usage error.\n");
}

static int resolve(struct client *c)
{
	struct addrinfo hints = { .ai_family = c->family, .ai_socktype = SOCK_STREAM };
	struct addrinfo *res, *ai;
	int rc;

	/* parse_target() checked a numeric-looking host is an address. */
	rc = getaddrinfo(c->host, c->port, &hints, &res);
	/* No such name is a bad value; a resolver that did not answer is a
	 * failure of the system. */
	if (rc && rc != EAI_AGAIN && rc != EAI_FAIL && rc != EAI_MEMORY && rc != EAI_SYSTEM)
		cli_fail("client", "cannot resolve '%s': %s", c->host, gai_strerror(rc));
	if (rc) {
		fprintf(stderr, "tcpscope client: cannot resolve '%s': %s\n", c->host,
			gai_strerror(rc));
		return -ENOENT;
	}
	for (ai = res; ai && c->naddrs < MAX_ADDRS; ai = ai->ai_next) {
		if (ai->ai_addrlen > sizeof(c->addrs[0]))
			continue;
		memcpy(&c->addrs[c->naddrs++], ai->ai_addr, ai->ai_addrlen);
	}
	freeaddrinfo(res);
	return c->naddrs ? 0 : -ENOENT;
}

/* Non-blocking connect bounded by the connect timeout; 0 or -errno. */
static int connect_one(struct client *c, const struct sockaddr_storage *to)
{
	socklen_t len =
	    to->ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
	const char *what = NULL;
	uint64_t t0, deadline;
	int err = 0;
	socklen_t elen = sizeof(err);

	c->fd = socket(to->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->fd < 0) {
		c->failed_step = "socket";
		return -errno;
	}
	if (socket_cookie(c->fd, &c->cookie)) {
		c->failed_step = "SO_COOKIE";
		return -errno;
	}
	err = sockopts__apply(&c->so, c->fd, &what);
	if (err) {
		c->failed_step = what;
		return err;
	}
	t0 = now_mono_ns();
	deadline = t0 + c->so.connect_timeout_ns;
	if (connect(c->fd, (const struct sockaddr *)to, len) && errno != EINPROGRESS) {
		c->failed_step = "connect";
		return -errno;
	}
	for (;;) {
		struct pollfd p = { .fd = c->fd, .events = POLLOUT };
		uint64_t now = now_mono_ns();
		int n;

		if (now >= deadline || exiting) {
			c->failed_step = "connect";
			return exiting ? -EINTR : -ETIMEDOUT;
		}
		n = poll(&p, 1, (int)((deadline - now + NSEC_PER_MSEC - 1) / NSEC_PER_MSEC));
		if (n < 0 && errno != EINTR) {
			c->failed_step = "poll";
			return -errno;
		}
		if (n > 0)
			break;
	}
	c->connect_ns = now_mono_ns() - t0;
	if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &err, &elen))
		err = errno;
	if (err) {
		c->failed_step = "connect";
		return -err;
	}
	return 0;
}

static uint8_t byte_at(uint64_t off)
{
	return (uint8_t)(off * 7 + (off >> 8) + 0x5a);
}

/* Send c->send bytes and read them back, checking each. */
static int exchange(struct client *c)
{
	uint8_t buf[16384];
	uint64_t t0 = now_mono_ns(), deadline = t0 + c->so.connect_timeout_ns + 10 * NSEC_PER_SEC;

	c->verified = true;
	while (c->received < c->send) {
		struct pollfd p = { .fd = c->fd, .events = POLLIN };
		ssize_t n;
		size_t i;

		if (c->sent < c->send)
			p.events |= POLLOUT;
		if (exiting || now_mono_ns() >= deadline) {
			c->failed_step = "exchange";
			return exiting ? -EINTR : -ETIMEDOUT;
		}
		if (poll(&p, 1, 100) < 0 && errno != EINTR) {
			c->failed_step = "poll";
			return -errno;
		}
		if (p.revents & POLLOUT) {
			size_t chunk = c->send - c->sent < sizeof(buf) ? (size_t)(c->send - c->sent)
								       : sizeof(buf);

			for (i = 0; i < chunk; i++)
				buf[i] = byte_at(c->sent + i);
			n = write(c->fd, buf, chunk);
			if (n < 0 && errno != EAGAIN && errno != EINTR) {
				c->failed_step = "write";
				return -errno;
			}
			if (n > 0)
				c->sent += (uint64_t)n;
		}
		if (!(p.revents & (POLLIN | POLLERR | POLLHUP)))
			continue;
		n = read(c->fd, buf, sizeof(buf));
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n < 0) {
			c->failed_step = "read";
			return -errno;
		}
		if (n == 0) {
			c->failed_step = "read (peer closed before echoing everything)";
			c->verified = false;
			return -EPIPE;
		}
		for (i = 0; i < (size_t)n; i++)
			if (c->received + i >= c->send || buf[i] != byte_at(c->received + i))
				c->verified = false;
		c->received += (uint64_t)n;
	}
	c->exchange_ns = now_mono_ns() - t0;
	return 0;
}

static void hold(struct client *c)
{
	uint64_t end = now_mono_ns() + c->hold_ns;

	while (!exiting && now_mono_ns() < end)
		usleep(20 * 1000);
}

/* Every address tried and why each failed: one line on stderr. */
static void say_connect_failed(const struct client *c, int tried, const int *errs,
			       const char *const *steps)
{
	char buf[FMT_ADDR_LEN], line[1024];
	size_t len = 0;
	int i;

	for (i = 0; i < tried && len < sizeof(line); i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s: %s%s%s",
					i ? "; " : "", fmt_sockaddr(&c->addrs[i], buf, sizeof(buf)),
					strcmp(steps[i], "connect") ? steps[i] : "",
					strcmp(steps[i], "connect") ? ": " : "",
					errs[i] == EINTR ? "interrupted" : errno_name(errs[i]));
	fprintf(stderr, "tcpscope client: cannot connect to %s\n", line);
}

/* After a connection: the exchange failed or the echo differed. */
static void say_exchange_failed(const struct client *c)
{
	char buf[FMT_ADDR_LEN];

	fmt_sockaddr(&c->remote, buf, sizeof(buf));
	if (c->err)
		fprintf(stderr, "tcpscope client: exchange with %s: %s: %s\n", buf,
			c->failed_step ? c->failed_step : "?",
			c->err == EINTR ? "interrupted" : errno_name(c->err));
	else
		fprintf(stderr,
			"tcpscope client: the echo from %s differs from what was sent "
			"(%" PRIu64 " of %" PRIu64 " bytes back)\n",
			buf, c->received, c->send);
}

static void print_text(const struct client *c)
{
	char buf[FMT_ADDR_LEN];
	int i;

	printf(strchr(c->host, ':') ? "target      [%s]:%s\n" : "target      %s:%s\n", c->host,
	       c->port);
	for (i = 0; i < c->naddrs; i++)
		printf("resolved    %s\n", fmt_sockaddr(&c->addrs[i], buf, sizeof(buf)));
	if (c->remote.ss_family)
		printf("remote      %s\n", fmt_sockaddr(&c->remote, buf, sizeof(buf)));
	if (c->local.ss_family)
		printf("local       %s\n", fmt_sockaddr(&c->local, buf, sizeof(buf)));
	printf("cookie      %" PRIu64 "\n", c->cookie);
	if (c->connect_ns)
		printf("connect     %.1f us\n", (double)c->connect_ns / 1e3);
	if (c->send)
		printf("exchange    sent %" PRIu64 " B  received %" PRIu64 " B  %s  %.1f us\n",
		       c->sent, c->received,
		       c->verified && c->received == c->send ? "verified" : "NOT verified",
		       (double)c->exchange_ns / 1e3);
	if (c->have_ti) {
		printf("tcp_info\n");
		tcpinfo__print_text(stdout, &c->ti, "  ");
	}
}

static void print_json(const struct client *c)
{
	char buf[FMT_ADDR_LEN], target[sizeof(c->host) + sizeof(c->port) + 2];
	struct jw w;
	int i;

	jw_init(&w, stdout);
	jw_obj_open(&w, NULL);
	snprintf(target, sizeof(target), strchr(c->host, ':') ? "[%s]:%s" : "%s:%s", c->host,
		 c->port);
	jw_str(&w, "target", target);
	jw_arr_open(&w, "resolved");
	for (i = 0; i < c->naddrs; i++)
		jw_str(&w, NULL, fmt_sockaddr(&c->addrs[i], buf, sizeof(buf)));
	jw_arr_close(&w);
	if (c->err) {
		jw_str(&w, "error", errno_name(c->err));
		jw_str(&w, "failed_step", c->failed_step ? c->failed_step : "?");
	} else {
		jw_null(&w, "error");
	}
	if (c->remote.ss_family)
		jw_str(&w, "remote", fmt_sockaddr(&c->remote, buf, sizeof(buf)));
	if (c->local.ss_family)
		jw_str(&w, "local", fmt_sockaddr(&c->local, buf, sizeof(buf)));
	jw_u64(&w, "cookie", c->cookie);
	jw_double(&w, "connect_latency_us", (double)c->connect_ns / 1e3);
	if (c->send) {
		jw_obj_open(&w, "exchange");
		jw_u64(&w, "sent", c->sent);
		jw_u64(&w, "received", c->received);
		jw_bool(&w, "verified", c->verified && c->received == c->send);
		jw_double(&w, "duration_us", (double)c->exchange_ns / 1e3);
		jw_obj_close(&w);
	}
	if (c->have_ti)
		tcpinfo__print_json(&w, "tcp_info", &c->ti);
	jw_obj_close(&w);
	fputc('\n', stdout);
}

/* The options and the target into c; a usage error exits 2. Returns 1
 * for --help. */
static int client_parse(struct client *c, int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "send", required_argument, NULL, 's' },
		{ "hold", required_argument, NULL, 'H' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		SOCKOPT_LONGOPTS,
		{ 0 },
	};
	int opt;

	optind = 1;
	opterr = 0; /* one line of our own instead of getopt's */
	while ((opt = getopt_long(argc, argv, ":46h", longopts, NULL)) != -1) {
		if (sockopts__parse(&c->so, "client", opt, optarg))
			continue;
		switch (opt) {
		case 's':
			c->send = opt_size("client", "--send", optarg, 1, 1ULL << 32);
			break;
		case 'H':
			c->hold_ns = opt_duration("client", "--hold", optarg, 0);
			break;
		case 'j':
			c->json = true;
			break;
		case '4':
		case '6':
			if (c->family && c->family != (opt == '4' ? AF_INET : AF_INET6))
				cli_fail("client", "-4 and -6 exclude each other");
			c->family = opt == '4' ? AF_INET : AF_INET6;
			break;
		case 'h':
			client_usage(stdout);
			return 1;
		default:
			cli_bad_option("client", opt, argv, longopts);
		}
	}
	if (optind == argc)
		cli_fail("client", "HOST:PORT is missing");
	if (parse_target(argv[optind], false, c->host, sizeof(c->host), c->port, sizeof(c->port)))
		cli_bad_target("client", "target", argv[optind], false, false);
	optind++;
	cli_no_more_args("client", argc, argv);
	return 0;
}

/* Each resolved address in turn, as a careful client would; the failures
 * said on one line when none connects. 0 or -errno of the last. */
static int connect_any(struct client *c)
{
	const char *steps[MAX_ADDRS];
	int errs[MAX_ADDRS], i, err = -ENOENT;

	for (i = 0; i < c->naddrs; i++) {
		if (c->fd >= 0)
			close(c->fd);
		c->fd = -1;
		c->cookie = 0;
		c->failed_step = NULL;
		c->remote = c->addrs[i];
		err = connect_one(c, &c->addrs[i]);
		if (!err)
			return 0;
		errs[i] = -err;
		steps[i] = c->failed_step ? c->failed_step : "connect";
		if (exiting) {
			i++;
			break;
		}
	}
	say_connect_failed(c, i, errs, steps);
	return err;
}

int cmd_client(int argc, char **argv)
{
	struct client *c;
	const char *msg = "";
	socklen_t len;
	int err, rc = 1;

	c = calloc(1, sizeof(*c));
	if (!c) {
		fprintf(stderr, "tcpscope client: out of memory\n");
		return 1;
	}
	c->fd = -1;
	sockopts__init(&c->so);
	if (client_parse(c, argc, argv)) {
		rc = 0;
		goto cleanup;
	}
	err = install_signal_handlers();
	if (err)
		fprintf(stderr, "tcpscope client: sigaction: %s\n", errno_name(err));
	/* Before the resolver runs: only --cc may need CAP_NET_ADMIN. */
	if (!err) {
		err = privs_drop(c->so.cc[0] ? PRIVS_CAP(CAP_NET_ADMIN) : 0, &msg);
		if (err)
			fprintf(stderr, "tcpscope client: dropping privileges: %s: %s\n", msg,
				errno_name(-err));
	}
	if (!err)
		err = resolve(c);
	/* No connection, nothing to describe: the line on stderr says why. */
	if (!err)
		err = connect_any(c);
	if (err) {
		c->err = -err;
		if (c->json && c->naddrs)
			print_json(c);
		goto cleanup;
	}
	len = sizeof(c->local);
	if (getsockname(c->fd, (struct sockaddr *)&c->local, &len))
		memset(&c->local, 0, sizeof(c->local));
	if (c->send)
		err = exchange(c);
	if (!err && c->hold_ns)
		hold(c);
	c->err = -err;
	if (!tcpinfo__get(c->fd, &c->ti))
		c->have_ti = true;
	if (c->json)
		print_json(c);
	else
		print_text(c);
	if (err || (c->send && !c->verified))
		say_exchange_failed(c);
	else
		rc = 0;
cleanup:
	if (c->fd >= 0)
		close(c->fd);
	free(c);
	return rc;
}
