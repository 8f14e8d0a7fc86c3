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

/* "HOST:PORT" or "[V6]:PORT" with a port in range; a host that looks
 * numeric must be a valid address (getaddrinfo reads "1.2.3" as 1.2.0.3).
 * Host and port copied out unresolved. */
int parse_target(const char *s, bool allow_port_zero, char *host, size_t hostlen, char *port,
		 size_t portlen);

/* Option values, one function per kind of value: each parses VAL or, when it
 * is wrong, prints the one line
 *   tcpscope CMD: bad value 'VAL' for OPT: WHY; expected WHAT
 * and exits 2. WHY is one of "not understood", "must be positive", "must not
 * be negative", "out of range" (or one naming the part: "port out of range",
 * "no such network namespace"); WHAT is fixed by the kind and its bounds, so
 * a mistake reads the same in every command. */
uint64_t opt_count(const char *cmd, const char *opt, const char *val, uint64_t min, uint64_t max);
uint64_t opt_rate(const char *cmd, const char *opt, const char *val, uint64_t max);
uint16_t opt_port(const char *cmd, const char *opt, const char *val);
/* A duration of at least min_ns (and 1us), up to a year. */
uint64_t opt_duration(const char *cmd, const char *opt, const char *val, uint64_t min_ns);
/* A duration as above, or 0 (returned as 0: "none"). */
uint64_t opt_interval(const char *cmd, const char *opt, const char *val, uint64_t min_ns);
uint64_t opt_size(const char *cmd, const char *opt, const char *val, uint64_t min, uint64_t max);
void opt_cidr(const char *cmd, const char *opt, const char *val, struct cidr *c);
/* A numeric ADDR:PORT. */
void opt_sockaddr(const char *cmd, const char *opt, const char *val, bool allow_port_zero,
		  struct sockaddr_storage *ss, socklen_t *len);
/* Why VAL is not a target: HOST:PORT, or with numeric_only a numeric
 * ADDR:PORT. Call after parse_target/parse_sockaddr refused it. */
void cli_bad_target(const char *cmd, const char *opt, const char *val, bool numeric_only,
		    bool allow_port_zero) __attribute__((noreturn));
/* A network namespace: a name under /run/netns or a path (/proc/PID/ns/net),
 * checked to be one (NS_GET_NSTYPE). Returns an O_CLOEXEC fd; a missing or
 * wrong one is a usage error; -errno if it exists but cannot be opened
 * (EACCES: a runtime error for the caller to report). */
int opt_netns(const char *cmd, const char *opt, const char *val);

/* A number refused by parse_u64/parse_size/parse_duration_ns (err), whose
 * least value is min, with its own WHAT: the WHY as above. */
void cli_bad_number(const char *cmd, const char *opt, const char *val, int err, uint64_t min,
		    const char *expected) __attribute__((noreturn));

struct option;
/* getopt_long returned '?' or ':' (the optstring starts with ':', opterr is
 * 0): say which option was unknown, lacked its value, took none or was
 * ambiguous, and exit 2. */
void cli_bad_option(const char *cmd, int c, char *const argv[], const struct option *longopts)
    __attribute__((noreturn));
/* Arguments left after the options (and the positional ones a command
 * takes) are a usage error. */
void cli_no_more_args(const char *cmd, int argc, char *const argv[]);

/* Print "tcpscope CMD: MSG" on stderr and exit 2. */
void cli_fail(const char *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3), noreturn));
/* Explain a parse_* failure for option OPT with value VAL and exit 2; for
 * values chosen from a list (modes, names), with -EINVAL. */
void cli_bad_value(const char *cmd, const char *opt, const char *val, int err, const char *expected)
    __attribute__((noreturn));

#endif
