// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/socket.h>
#include "lib/parse.h"
#include "load/sockopt.h"
#include "lib/util.h"

void sockopts__init(struct sockopts *so)
{
	memset(so, 0, sizeof(*so));
	so->nodelay = so->keepalive = so->keepidle_s = so->keepintvl_s = so->keepcnt = -1;
	so->linger_s = so->sndbuf = so->rcvbuf = so->user_timeout_ms = -1;
	so->connect_timeout_ns = SOCKOPT_DEFAULT_CONNECT_TIMEOUT_NS;
}

/* The kernel refuses 0 for the keepalive knobs: say so now, not as an
 * EINVAL from every setsockopt of the run. */
static int parse_int_opt(const char *cmd, const char *opt, const char *arg, uint64_t min,
			 uint64_t max)
{
	return (int)opt_count(cmd, opt, arg, min, max);
}

bool sockopts__parse(struct sockopts *so, const char *cmd, int opt, const char *arg)
{
	uint64_t v;

	switch (opt) {
	case OPT_SO_NODELAY:
		so->nodelay = 1;
		break;
	case OPT_SO_KEEPALIVE:
		so->keepalive = 1;
		break;
	case OPT_SO_KEEPIDLE:
		so->keepidle_s = parse_int_opt(cmd, "--keepidle", arg, 1, 32767);
		so->keepalive = 1;
		break;
	case OPT_SO_KEEPINTVL:
		so->keepintvl_s = parse_int_opt(cmd, "--keepintvl", arg, 1, 32767);
		so->keepalive = 1;
		break;
	case OPT_SO_KEEPCNT:
		so->keepcnt = parse_int_opt(cmd, "--keepcnt", arg, 1, 127);
		so->keepalive = 1;
		break;
	case OPT_SO_LINGER:
		so->linger_s = parse_int_opt(cmd, "--linger", arg, 0, 65535);
		break;
	case OPT_SO_SNDBUF:
	case OPT_SO_RCVBUF:
		v = opt_size(cmd, opt == OPT_SO_SNDBUF ? "--sndbuf" : "--rcvbuf", arg, 1,
			     1ULL << 30);
		*(opt == OPT_SO_SNDBUF ? &so->sndbuf : &so->rcvbuf) = (int)v;
		break;
	case OPT_SO_CC:
		if (!arg[0] || strlen(arg) >= sizeof(so->cc))
			cli_bad_value(cmd, "--cc", arg, -EINVAL, "a congestion control name");
		strcpy(so->cc, arg);
		break;
	case OPT_SO_USER_TIMEOUT:
		v = opt_duration(cmd, "--user-timeout", arg, NSEC_PER_MSEC);
		if (v / NSEC_PER_MSEC > INT32_MAX) /* TCP_USER_TIMEOUT is an int of ms */
			cli_bad_number(
			    cmd, "--user-timeout", arg, -ERANGE, 1,
			    "a duration such as 10s, 500ms or 2m, at least 1ms, up to 24 days");
		so->user_timeout_ms = (int)(v / NSEC_PER_MSEC);
		break;
	case OPT_SO_CONNECT_TIMEOUT:
		so->connect_timeout_ns = opt_duration(cmd, "--connect-timeout", arg, NSEC_PER_MSEC);
		break;
	default:
		return false;
	}
	return true;
}

static int set_int(int fd, int level, int name, int val)
{
	return setsockopt(fd, level, name, &val, sizeof(val)) ? -errno : 0;
}

int sockopts__apply(const struct sockopts *so, int fd, const char **what)
{
	int err = 0;

	if (so->nodelay >= 0 && (err = set_int(fd, IPPROTO_TCP, TCP_NODELAY, so->nodelay))) {
		*what = "TCP_NODELAY";
		return err;
	}
	if (so->keepalive >= 0 && (err = set_int(fd, SOL_SOCKET, SO_KEEPALIVE, so->keepalive))) {
		*what = "SO_KEEPALIVE";
		return err;
	}
	if (so->keepidle_s >= 0 && (err = set_int(fd, IPPROTO_TCP, TCP_KEEPIDLE, so->keepidle_s))) {
		*what = "TCP_KEEPIDLE";
		return err;
	}
	if (so->keepintvl_s >= 0 &&
	    (err = set_int(fd, IPPROTO_TCP, TCP_KEEPINTVL, so->keepintvl_s))) {
		*what = "TCP_KEEPINTVL";
		return err;
	}
	if (so->keepcnt >= 0 && (err = set_int(fd, IPPROTO_TCP, TCP_KEEPCNT, so->keepcnt))) {
		*what = "TCP_KEEPCNT";
		return err;
	}
	if (so->linger_s >= 0) {
		struct linger l = { .l_onoff = 1, .l_linger = so->linger_s };

		if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l))) {
			*what = "SO_LINGER";
			return -errno;
		}
	}
	if (so->sndbuf >= 0 && (err = set_int(fd, SOL_SOCKET, SO_SNDBUF, so->sndbuf))) {
		*what = "SO_SNDBUF";
		return err;
	}
	if (so->rcvbuf >= 0 && (err = set_int(fd, SOL_SOCKET, SO_RCVBUF, so->rcvbuf))) {
		*what = "SO_RCVBUF";
		return err;
	}
	if (so->cc[0] && setsockopt(fd, IPPROTO_TCP, TCP_CONGESTION, so->cc, strlen(so->cc))) {
		*what = "TCP_CONGESTION";
		return -errno;
	}
	if (so->user_timeout_ms >= 0 &&
	    (err = set_int(fd, IPPROTO_TCP, TCP_USER_TIMEOUT, so->user_timeout_ms))) {
		*what = "TCP_USER_TIMEOUT";
		return err;
	}
	return 0;
}

void sockopts__describe(const struct sockopts *so, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = 0;
#define ADD(...)                                                                                   \
	do {                                                                                       \
		if (n < len)                                                                       \
			n += (size_t)snprintf(buf + n, len - n, "%s", n ? " " : "");               \
		if (n < len)                                                                       \
			n += (size_t)snprintf(buf + n, len - n, __VA_ARGS__);                      \
	} while (0)
	if (so->nodelay > 0)
		ADD("nodelay");
	if (so->keepalive > 0)
		ADD("keepalive");
	if (so->keepidle_s >= 0)
		ADD("keepidle=%ds", so->keepidle_s);
	if (so->keepintvl_s >= 0)
		ADD("keepintvl=%ds", so->keepintvl_s);
	if (so->keepcnt >= 0)
		ADD("keepcnt=%d", so->keepcnt);
	if (so->linger_s >= 0)
		ADD("linger=%ds", so->linger_s);
	if (so->sndbuf >= 0)
		ADD("sndbuf=%d", so->sndbuf);
	if (so->rcvbuf >= 0)
		ADD("rcvbuf=%d", so->rcvbuf);
	if (so->cc[0])
		ADD("cc=%s", so->cc);
	if (so->user_timeout_ms >= 0)
		ADD("user_timeout=%dms", so->user_timeout_ms);
#undef ADD
	if (!buf[0])
		snprintf(buf, len, "defaults");
}
