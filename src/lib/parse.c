// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <limits.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <linux/nsfs.h>
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
	static const struct {
		const char *unit;
		double mult;
	} units[] = {
		{ "", 1e9 },   { "s", 1e9 },  { "ms", 1e6 },
		{ "us", 1e3 }, { "m", 60e9 }, { "h", 3600e9 },
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
	case 0:
		mult = 1;
		break;
	case 'K':
		mult = 1ULL << 10;
		break;
	case 'M':
		mult = 1ULL << 20;
		break;
	case 'G':
		mult = 1ULL << 30;
		break;
	default:
		return -EINVAL;
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

int parse_sockaddr(const char *s, bool allow_port_zero, struct sockaddr_storage *ss, socklen_t *len)
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

int parse_target(const char *s, bool allow_port_zero, char *host, size_t hostlen, char *port,
		 size_t portlen)
{
	struct sockaddr_storage ss;
	char buf[INET6_ADDRSTRLEN + 16];
	socklen_t len;
	uint16_t p;
	int err = parse_hostport(s, host, hostlen, port, portlen);

	if (!err)
		err = parse_port(port, allow_port_zero, &p);
	if (err)
		return err;
	if (strspn(host, "0123456789.") != strlen(host) && !strchr(host, ':'))
		return 0; /* a name, for the resolver */
	snprintf(buf, sizeof(buf), strchr(host, ':') ? "[%s]:%s" : "%s:%s", host, port);
	return parse_sockaddr(buf, allow_port_zero, &ss, &len);
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

void cli_bad_value(const char *cmd, const char *opt, const char *val, int err, const char *expected)
{
	cli_fail(cmd, "bad value '%s' for %s: %s; expected %s", val ? val : "", opt,
		 err == -ERANGE ? "out of range" : "not understood", expected);
}

static void bad(const char *cmd, const char *opt, const char *val, const char *why,
		const char *what) __attribute__((noreturn));

static void bad(const char *cmd, const char *opt, const char *val, const char *why,
		const char *what)
{
	cli_fail(cmd, "bad value '%s' for %s: %s; expected %s", val ? val : "", opt, why, what);
}

static bool is_negative(const char *s)
{
	return s[0] == '-' && (isdigit((unsigned char)s[1]) || s[1] == '.');
}

static bool is_zero(const char *s)
{
	char *end;
	double v;

	if (!isdigit((unsigned char)*s) && *s != '.')
		return false;
	v = strtod(s, &end);
	return end != s && v == 0;
}

/* The one reason for each mistake with a number whose least value is min. */
static const char *why_number(const char *val, int err, uint64_t min)
{
	if (is_negative(val))
		return min ? "must be positive" : "must not be negative";
	if (err == -ERANGE && min && is_zero(val))
		return "must be positive";
	return err == -ERANGE ? "out of range" : "not understood";
}

void cli_bad_number(const char *cmd, const char *opt, const char *val, int err, uint64_t min,
		    const char *expected)
{
	bad(cmd, opt, val, why_number(val, err, min), expected);
}

uint64_t opt_count(const char *cmd, const char *opt, const char *val, uint64_t min, uint64_t max)
{
	char what[96];
	uint64_t v;
	int err = parse_u64(val, min, max, &v);

	if (!err)
		return v;
	if (max == UINT64_MAX)
		snprintf(what, sizeof(what), "a whole number of %" PRIu64 " or more", min);
	else
		snprintf(what, sizeof(what), "a whole number from %" PRIu64 " to %" PRIu64, min,
			 max);
	bad(cmd, opt, val, why_number(val, err, min), what);
}

uint64_t opt_rate(const char *cmd, const char *opt, const char *val, uint64_t max)
{
	char what[96];
	uint64_t v;
	int err = parse_u64(val, 1, max, &v);

	if (!err)
		return v;
	snprintf(what, sizeof(what), "a rate per second from 1 to %" PRIu64, max);
	bad(cmd, opt, val, why_number(val, err, 1), what);
}

static const char *why_port(const char *val, int err)
{
	return err == -EINVAL && !is_negative(val) ? "not understood" : "out of range";
}

uint16_t opt_port(const char *cmd, const char *opt, const char *val)
{
	uint16_t port;
	int err = parse_port(val, false, &port);

	if (err)
		bad(cmd, opt, val, why_port(val, err), "a port from 1 to 65535");
	return port;
}

/* "10ms", "1s": the largest unit that divides ns. */
static void fmt_ns(char *buf, size_t len, uint64_t ns)
{
	if (ns % 1000000000ULL == 0)
		snprintf(buf, len, "%" PRIu64 "s", ns / 1000000000U);
	else if (ns % 1000000ULL == 0)
		snprintf(buf, len, "%" PRIu64 "ms", ns / 1000000U);
	else
		snprintf(buf, len, "%" PRIu64 "us", ns / 1000U);
}

static void bad_duration(const char *cmd, const char *opt, const char *val, int err,
			 uint64_t min_ns, bool zero_ok) __attribute__((noreturn));

static void bad_duration(const char *cmd, const char *opt, const char *val, int err,
			 uint64_t min_ns, bool zero_ok)
{
	char what[160], least[48] = "", min[24];

	if (min_ns > 1000) {
		fmt_ns(min, sizeof(min), min_ns);
		snprintf(least, sizeof(least), ", at least %s", min);
	}
	snprintf(what, sizeof(what), "a duration such as 10s, 500ms or 2m%s, up to a year%s", least,
		 zero_ok ? ", or 0 for none" : "");
	bad(cmd, opt, val, why_number(val, err, zero_ok ? 0 : 1), what);
}

uint64_t opt_duration(const char *cmd, const char *opt, const char *val, uint64_t min_ns)
{
	uint64_t ns;
	int err = parse_duration_ns(val, &ns);

	if (!err && ns < min_ns)
		err = -ERANGE;
	if (err)
		bad_duration(cmd, opt, val, err, min_ns, false);
	return ns;
}

uint64_t opt_interval(const char *cmd, const char *opt, const char *val, uint64_t min_ns)
{
	uint64_t ns;
	int err;

	err = parse_duration_ns(val, &ns);
	if (err == -ERANGE && is_zero(val))
		return 0; /* "0", "0s", "0ms": none */
	if (!err && ns < min_ns)
		err = -ERANGE;
	if (err)
		bad_duration(cmd, opt, val, err, min_ns, true);
	return ns;
}

/* "64", "4k", "16M", "1G": the largest unit that divides v. */
static void fmt_size(char *buf, size_t len, uint64_t v)
{
	static const char units[] = "kMGT";
	int i = -1;

	while (v && v % 1024 == 0 && i < 3) {
		v /= 1024;
		i++;
	}
	if (i < 0)
		snprintf(buf, len, "%" PRIu64, v);
	else
		snprintf(buf, len, "%" PRIu64 "%c", v, units[i]);
}

uint64_t opt_size(const char *cmd, const char *opt, const char *val, uint64_t min, uint64_t max)
{
	char what[96], lo[24], hi[24];
	uint64_t v;
	int err = parse_size(val, min, max, &v);

	if (!err)
		return v;
	fmt_size(lo, sizeof(lo), min);
	fmt_size(hi, sizeof(hi), max);
	if (min)
		snprintf(what, sizeof(what), "a size such as 64, 4k or 16M, from %s to %s", lo, hi);
	else
		snprintf(what, sizeof(what), "a size such as 64, 4k or 16M, up to %s", hi);
	bad(cmd, opt, val, why_number(val, err, min), what);
}

void opt_cidr(const char *cmd, const char *opt, const char *val, struct cidr *c)
{
	int err = parse_cidr(val, c);

	if (err)
		bad(cmd, opt, val, err == -ERANGE ? "prefix out of range" : "not understood",
		    "an address or CIDR such as 10.0.0.0/8 or fd00::/64");
}

void opt_sockaddr(const char *cmd, const char *opt, const char *val, bool allow_port_zero,
		  struct sockaddr_storage *ss, socklen_t *len)
{
	if (parse_sockaddr(val, allow_port_zero, ss, len))
		cli_bad_target(cmd, opt, val, true, allow_port_zero);
}

void cli_bad_target(const char *cmd, const char *opt, const char *val, bool numeric_only,
		    bool allow_port_zero)
{
	const char *what = numeric_only ? "a numeric ADDR:PORT such as 127.0.0.1:8080 or [::1]:8080"
					: "HOST:PORT such as 127.0.0.1:8080, [::1]:8080 or "
					  "localhost:8080";
	char host[256], port[32];
	uint16_t p;
	int err;

	if (parse_hostport(val, host, sizeof(host), port, sizeof(port)))
		bad(cmd, opt, val, "not understood", what);
	err = parse_port(port, allow_port_zero, &p);
	if (err)
		bad(cmd, opt, val,
		    err == -EINVAL && !is_negative(port) ? "port not understood"
							 : "port out of range",
		    allow_port_zero ? "a port from 0 to 65535" : "a port from 1 to 65535");
	bad(cmd, opt, val, numeric_only ? "not a numeric address" : "address not understood", what);
}

int opt_netns(const char *cmd, const char *opt, const char *val)
{
	static const char what[] = "a name under /run/netns or a path such as /proc/PID/ns/net";
	char path[300];
	int fd;

	if (!*val || !strcmp(val, ".") || !strcmp(val, "..") || strlen(val) > 255)
		bad(cmd, opt, val, "not understood", what);
	snprintf(path, sizeof(path), strchr(val, '/') ? "%s" : "/run/netns/%s", val);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && (errno == ENOENT || errno == ENOTDIR))
		bad(cmd, opt, val, "no such network namespace", what);
	if (fd < 0)
		return -errno;
	/* Not a namespace file: ENOTTY; another namespace: its type. */
	if (ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNET) {
		close(fd);
		bad(cmd, opt, val, "not a network namespace", what);
	}
	return fd;
}

/* The long option NAME (up to '=' or its end) names, exactly or as the one
 * option it abbreviates; NULL if none, *n > 1 if ambiguous. */
static const struct option *long_lookup(const struct option *longopts, const char *name, size_t len,
					int *n)
{
	const struct option *o, *hit = NULL;

	*n = 0;
	for (o = longopts; o && o->name; o++) {
		if (strncmp(o->name, name, len))
			continue;
		if (strlen(o->name) == len) {
			*n = 1;
			return o;
		}
		hit = o;
		(*n)++;
	}
	return hit;
}

void cli_bad_option(const char *cmd, int c, char *const argv[], const struct option *longopts)
{
	const char *arg = optind > 0 ? argv[optind - 1] : "";
	size_t len = 0;
	bool lng = !strncmp(arg, "--", 2) && arg[2];
	const struct option *o = NULL;
	int n = 0;

	if (lng) {
		len = strcspn(arg + 2, "=");
		o = long_lookup(longopts, arg + 2, len, &n);
		/* '?' with optopt set: a short option in a cluster after a long
		 * one, unless this long one took a value it does not take. */
		if (c == '?' && optopt)
			lng = arg[len + 2] == '=' && o && n == 1 && o->val == optopt;
	}
	if (!lng && c == ':')
		cli_fail(cmd, "option '-%c' needs a value", optopt);
	if (!lng)
		cli_fail(cmd, "unknown option '-%c'", optopt > 32 && optopt < 127 ? optopt : '?');
	if (c == ':')
		cli_fail(cmd, "option '%.*s' needs a value", (int)len + 2, arg);
	if (n > 1)
		cli_fail(cmd, "option '%.*s' is ambiguous", (int)len + 2, arg);
	if (o && n == 1 && o->has_arg == no_argument && arg[len + 2] == '=')
		cli_fail(cmd, "option '--%s' takes no value", o->name);
	cli_fail(cmd, "unknown option '%.*s'", (int)len + 2, arg);
}

void cli_no_more_args(const char *cmd, int argc, char *const argv[])
{
	if (optind < argc)
		cli_fail(cmd, "unexpected argument '%s'", argv[optind]);
}
