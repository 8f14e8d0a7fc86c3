/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Socket options from the command line, shared by client, stress and server. */
#ifndef TCPSCOPE_SOCKOPT_H
#define TCPSCOPE_SOCKOPT_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

struct sockopts {
	int nodelay;	/* -1: leave the kernel default */
	int keepalive;	/* -1, 0 or 1 */
	int keepidle_s; /* -1 or seconds */
	int keepintvl_s;
	int keepcnt;
	int linger_s; /* -1, or SO_LINGER on with this timeout (0: RST) */
	int sndbuf;   /* -1 or bytes */
	int rcvbuf;
	int user_timeout_ms;
	char cc[16]; /* TCP_CONGESTION, "" to leave the default */
	uint64_t connect_timeout_ns;
};

#define SOCKOPT_DEFAULT_CONNECT_TIMEOUT_NS (10ULL * 1000000000ULL)

enum {
	OPT_SO_NODELAY = 1000,
	OPT_SO_KEEPALIVE,
	OPT_SO_KEEPIDLE,
	OPT_SO_KEEPINTVL,
	OPT_SO_KEEPCNT,
	OPT_SO_LINGER,
	OPT_SO_SNDBUF,
	OPT_SO_RCVBUF,
	OPT_SO_CC,
	OPT_SO_USER_TIMEOUT,
	OPT_SO_CONNECT_TIMEOUT,
};

/* getopt_long entries for the options above, to splice into a table. */
#define SOCKOPT_LONGOPTS                                                                           \
	{ "nodelay", no_argument, NULL, OPT_SO_NODELAY },                                          \
	    { "keepalive", no_argument, NULL, OPT_SO_KEEPALIVE },                                  \
	    { "keepidle", required_argument, NULL, OPT_SO_KEEPIDLE },                              \
	    { "keepintvl", required_argument, NULL, OPT_SO_KEEPINTVL },                            \
	    { "keepcnt", required_argument, NULL, OPT_SO_KEEPCNT },                                \
	    { "linger", required_argument, NULL, OPT_SO_LINGER },                                  \
	    { "sndbuf", required_argument, NULL, OPT_SO_SNDBUF },                                  \
	    { "rcvbuf", required_argument, NULL, OPT_SO_RCVBUF },                                  \
	    { "cc", required_argument, NULL, OPT_SO_CC },                                          \
	    { "user-timeout", required_argument, NULL, OPT_SO_USER_TIMEOUT },                      \
	{                                                                                          \
		"connect-timeout", required_argument, NULL, OPT_SO_CONNECT_TIMEOUT                 \
	}

#define SOCKOPT_HELP                                                                               \
	"Socket options:\n"                                                                        \
	"  --nodelay              TCP_NODELAY\n"                                                   \
	"  --keepalive            SO_KEEPALIVE (implied by the next three)\n"                      \
	"  --keepidle SECONDS     TCP_KEEPIDLE\n"                                                  \
	"  --keepintvl SECONDS    TCP_KEEPINTVL\n"                                                 \
	"  --keepcnt N            TCP_KEEPCNT\n"                                                   \
	"  --linger SECONDS       SO_LINGER on with this timeout (0: RST on close)\n"              \
	"  --sndbuf SIZE          SO_SNDBUF (e.g. 64k)\n"                                          \
	"  --rcvbuf SIZE          SO_RCVBUF\n"                                                     \
	"  --cc NAME              TCP_CONGESTION (e.g. cubic, reno, bbr)\n"                        \
	"  --user-timeout DUR     TCP_USER_TIMEOUT (e.g. 5s, 500ms)\n"                             \
	"  --connect-timeout DUR  give up a connect() after DUR (default 10s)\n"

void sockopts__init(struct sockopts *so);
/* Handle getopt result opt with its optarg; true if it was a socket option.
 * A bad value is a usage error (exit 2) naming cmd. */
bool sockopts__parse(struct sockopts *so, const char *cmd, int opt, const char *arg);
/* Apply to a fresh socket (before connect or on an accepted one). On failure
 * returns -errno and sets *what to the option's name. */
int sockopts__apply(const struct sockopts *so, int fd, const char **what);
/* "nodelay keepidle=10 cc=reno" for summaries; "defaults" when none set. */
void sockopts__describe(const struct sockopts *so, char *buf, size_t len);

#endif
