// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/parse.h"

int parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	unsigned long long v;
	char *end;

	if (!s || !*s || !isdigit((unsigned char)*s))
		return -EINVAL;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (*end)
		return -EINVAL;
	if (errno == ERANGE || v < min || v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

int parse_port(const char *s, bool allow_zero, uint16_t *out)
{
	uint64_t v;
	int err = parse_u64(s, allow_zero ? 0 : 1, 65535, &v);

	if (!err)
		*out = (uint16_t)v;
	return err;
}

/* Split "123.5ms" into a number and a unit suffix. */
static int split_number(const char *s, double *num, const char **unit)
{
	char *end;

	if (!s || !*s || !(isdigit((unsigned char)*s) || *s == '.'))
		return -EINVAL;
	errno = 0;
	*num = strtod(s, &end);
	if (errno == ERANGE || end == s)
		return -ERANGE;
	*unit = end;
	return 0;
}

int parse_duration_ns(const char *s, uint64_t *ns)
{
	static const struct { const char *unit; double mult; } units[] = {
		{ "", 1e9 }, { "s", 1e9 }, { "ms", 1e6 }, { "us", 1e3 },
		{ "m", 60e9 }, { "h", 3600e9 },
	};
	const char *unit;
	double num;
	size_t i;
	int err = split_number(s, &num, &unit);

	if (err)
		return err;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(unit, units[i].unit))
			continue;
		num *= units[i].mult;
		/* Up to a year; anything shorter than 1us is a typo. */
		if (num < 1e3 || num > 365.0 * 86400e9)
			return -ERANGE;
		*ns = (uint64_t)num;
		return 0;
	}
	return -EINVAL;
}

int parse_size(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
	const char *unit;
	uint64_t mult;
	double num;
	int err = split_number(s, &num, &unit);

	if (err)
		return err;
	switch (toupper((unsigned char)*unit)) {
	case 0: mult = 1; break;
	case 'K': mult = 1ULL << 10; break;
	case 'M': mult = 1ULL << 20; break;
	case 'G': mult = 1ULL << 30; break;
	default: return -EINVAL;
	}
	if (*unit && unit[1] && strcasecmp(unit + 1, "B") && strcasecmp(unit + 1, "iB"))
		return -EINVAL;
	num *= (double)mult;
	/* 2^64 and up do not fit; check before any conversion to uint64_t. */
	if (num < (double)min || num > (double)max || num >= 18446744073709551616.0)
		return -ERANGE;
	if (num != (double)(uint64_t)num && mult == 1)
		return -EINVAL; /* fractional bytes */
	*out = (uint64_t)num;
	return 0;
}

int parse_cidr(const char *s, struct cidr *c)
{
	char buf[INET6_ADDRSTRLEN + 8];
	char *slash;
	uint64_t prefix;
	int maxlen;

	if (!s || strlen(s) >= sizeof(buf))
		return -EINVAL;
	strcpy(buf, s);
	slash = strchr(buf, '/');
	if (slash)
		*slash++ = 0;
	memset(c, 0, sizeof(*c));
	if (inet_pton(AF_INET, buf, c->addr) == 1) {
		c->family = 4;
		maxlen = 32;
	} else if (inet_pton(AF_INET6, buf, c->addr) == 1) {
		c->family = 6;
		maxlen = 128;
	} else {
		return -EINVAL;
	}
	if (!slash) {
		c->prefix = (uint8_t)maxlen;
		return 0;
	}
	if (parse_u64(slash, 0, (uint64_t)maxlen, &prefix))
		return -ERANGE;
	c->prefix = (uint8_t)prefix;
	return 0;
}

bool cidr_match(const struct cidr *c, int family, const uint8_t *addr)
{
	int full = c->prefix / 8, rest = c->prefix % 8;

	if (c->family != family)
		return false;
	if (memcmp(c->addr, addr, (size_t)full))
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xff << (8 - rest));

		if ((c->addr[full] & mask) != (addr[full] & mask))
			return false;
	}
	return true;
}

int parse_hostport(const char *s, char *host, size_t hostlen, char *port, size_t portlen)
{
	const char *colon, *h = s;
	size_t hl;

	if (!s || !*s)
		return -EINVAL;
	if (*s == '[') {
		const char *close = strchr(s, ']');

		if (!close || close[1] != ':')
			return -EINVAL;
		h = s + 1;
		hl = (size_t)(close - h);
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (!colon || strchr(s, ':') != colon)
			return -EINVAL; /* bare IPv6 needs brackets */
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= hostlen || strlen(colon + 1) >= portlen || !colon[1])
		return -EINVAL;
	memcpy(host, h, hl);
	host[hl] = 0;
	strcpy(port, colon + 1);
	return 0;
}

int parse_sockaddr(const char *s, bool allow_port_zero, struct sockaddr_storage *ss,
		   socklen_t *len)
{
	char host[INET6_ADDRSTRLEN], portstr[8];
	uint16_t port;
	int err;

	err = parse_hostport(s, host, sizeof(host), portstr, sizeof(portstr));
	if (err)
		return err;
	err = parse_port(portstr, allow_port_zero, &port);
	if (err)
		return err;
	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &((struct sockaddr_in *)ss)->sin_addr) == 1) {
		struct sockaddr_in *sin = (struct sockaddr_in *)ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(port);
		*len = sizeof(*sin);
	} else if (inet_pton(AF_INET6, host, &((struct sockaddr_in6 *)ss)->sin6_addr) == 1) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(port);
		*len = sizeof(*sin6);
	} else {
		return -EINVAL;
	}
	return 0;
}

void cli_fail(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fflush(stdout);
	fprintf(stderr, "tcpscope%s%s: ", cmd ? " " : "", cmd ? cmd : "");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, " (see 'tcpscope %s%s--help')\n", cmd ? cmd : "", cmd ? " " : "");
	exit(2);
}

void cli_bad_value(const char *cmd, const char *opt, const char *val, int err,
		   const char *expected)
{
	cli_fail(cmd, "bad value '%s' for %s: %s; expected %s", val ? val : "", opt,
		 err == -ERANGE ? "out of range" : "not understood", expected);
}
