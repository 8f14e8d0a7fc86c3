/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Command-line value parsers. Each returns 0 or -EINVAL/-ERANGE and never
 * prints; cli_fail() turns a failure into the one-line usage error. */
#ifndef TCPSCOPE_PARSE_H
#define TCPSCOPE_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <linux/types.h>
#include "tcpscope.h"

int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out);
int parse_port(const char *s, bool allow_zero, uint16_t *out);
/* "10", "10s", "250ms", "2m", "1h"; result in nanoseconds, > 0. */
int parse_duration_ns(const char *s, uint64_t *ns);
/* "4096", "64k", "16M", "1G" (powers of 1024). */
int parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out);
/* "10.0.0.0/8", "fd00::/64", or a bare address (/32, /128). */
int parse_cidr(const char *s, struct cidr *c);
bool cidr_match(const struct cidr *c, int family, const uint8_t *addr);
/* "HOST:PORT", "[V6]:PORT"; host and port are copied out unresolved. */
int parse_hostport(const char *s, char *host, size_t hostlen, char *port, size_t portlen);
/* A numeric IPv4/IPv6 address with port into a sockaddr. */
int parse_sockaddr(const char *s, bool allow_port_zero, struct sockaddr_storage *ss,
		   socklen_t *len);

/* Print "tcpscope CMD: MSG" on stderr and exit 2. */
void cli_fail(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3), noreturn));
/* Explain a parse_* failure for option OPT with value VAL and exit 2. */
void cli_bad_value(const char *cmd, const char *opt, const char *val, int err,
		   const char *expected) __attribute__((noreturn));

#endif
