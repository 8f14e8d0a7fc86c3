// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
#include "lib/parse.h"
#include "test.h"

TEST(parse_port_bounds)
{
	uint16_t p = 0;

	ASSERT_EQ(parse_port("1", false, &p), 0, "port 1");
	ASSERT_EQ(p, 1, "port 1 value");
	ASSERT_EQ(parse_port("65535", false, &p), 0, "port 65535");
	ASSERT_EQ(p, 65535, "port 65535 value");
	ASSERT_EQ(parse_port("0", false, &p), -ERANGE, "port 0 refused");
	ASSERT_EQ(parse_port("0", true, &p), 0, "port 0 allowed for listen");
	ASSERT_EQ(parse_port("65536", false, &p), -ERANGE, "port 65536");
	ASSERT_EQ(parse_port("-1", false, &p), -EINVAL, "port -1");
	ASSERT_EQ(parse_port("abc", false, &p), -EINVAL, "port abc");
	ASSERT_EQ(parse_port("80x", false, &p), -EINVAL, "port 80x");
	ASSERT_EQ(parse_port("", false, &p), -EINVAL, "empty port");
	ASSERT_EQ(parse_port("99999999999999999999999", false, &p), -ERANGE, "overflow");
}

TEST(parse_u64_errno_reset)
{
	uint64_t v;

	/* A stale ERANGE in errno must not poison a valid parse. */
	errno = ERANGE;
	ASSERT_EQ(parse_u64("42", 0, 100, &v), 0, "valid after stale errno");
	ASSERT_EQ(v, 42, "value");
	ASSERT_EQ(parse_u64("18446744073709551615", 0, UINT64_MAX, &v), 0, "u64 max");
	ASSERT_EQ(parse_u64("18446744073709551616", 0, UINT64_MAX, &v), -ERANGE, "u64 max+1");
	ASSERT_EQ(parse_u64(" 5", 0, 100, &v), -EINVAL, "leading space");
	ASSERT_EQ(parse_u64("+5", 0, 100, &v), -EINVAL, "plus sign");
}

TEST(parse_durations)
{
	uint64_t ns = 0;

	ASSERT_EQ(parse_duration_ns("10", &ns), 0, "bare seconds");
	ASSERT_EQ(ns, 10000000000ULL, "10 s");
	ASSERT_EQ(parse_duration_ns("250ms", &ns), 0, "ms");
	ASSERT_EQ(ns, 250000000ULL, "250 ms");
	ASSERT_EQ(parse_duration_ns("1.5s", &ns), 0, "fraction");
	ASSERT_EQ(ns, 1500000000ULL, "1.5 s");
	ASSERT_EQ(parse_duration_ns("2m", &ns), 0, "minutes");
	ASSERT_EQ(ns, 120000000000ULL, "2 m");
	ASSERT_EQ(parse_duration_ns("0", &ns), -ERANGE, "zero");
	ASSERT_EQ(parse_duration_ns("-1", &ns), -EINVAL, "negative");
	ASSERT_EQ(parse_duration_ns("10x", &ns), -EINVAL, "unit");
	ASSERT_EQ(parse_duration_ns("1e30", &ns), -ERANGE, "huge");
	ASSERT_EQ(parse_duration_ns("", &ns), -EINVAL, "empty");
}

TEST(parse_sizes)
{
	uint64_t v = 0;

	ASSERT_EQ(parse_size("4096", 1, UINT32_MAX, &v), 0, "bytes");
	ASSERT_EQ(v, 4096, "4096");
	ASSERT_EQ(parse_size("64k", 1, UINT32_MAX, &v), 0, "k");
	ASSERT_EQ(v, 65536, "64k");
	ASSERT_EQ(parse_size("16MiB", 1, UINT32_MAX, &v), 0, "MiB");
	ASSERT_EQ(v, 16 << 20, "16MiB");
	ASSERT_EQ(parse_size("8G", 1, UINT32_MAX, &v), -ERANGE, "over max");
	ASSERT_EQ(parse_size("12q", 1, UINT32_MAX, &v), -EINVAL, "bad unit");
	ASSERT_EQ(parse_size("1.5", 1, UINT32_MAX, &v), -EINVAL, "fractional bytes");
	/* Found by fuzz_cli: a value past 2^64 was converted before the range check. */
	ASSERT_EQ(parse_size("674407379550955161k", 0, UINT64_MAX, &v), -ERANGE, "past 2^64");
	ASSERT_EQ(parse_size("18446744073709551616", 0, UINT64_MAX, &v), -ERANGE, "2^64");
}

TEST(parse_cidrs)
{
	struct cidr c;
	uint8_t a4[16] = { 10, 1, 2, 3 }, b4[16] = { 10, 2, 0, 1 };
	uint8_t a6[16];

	ASSERT_EQ(parse_cidr("10.1.0.0/16", &c), 0, "v4 cidr");
	ASSERT_EQ(c.family, 4, "family");
	ASSERT_EQ(c.prefix, 16, "prefix");
	ASSERT_TRUE(cidr_match(&c, 4, a4), "10.1.2.3 in 10.1/16");
	ASSERT_TRUE(!cidr_match(&c, 4, b4), "10.2.0.1 not in 10.1/16");
	ASSERT_TRUE(!cidr_match(&c, 6, a4), "family mismatch");
	ASSERT_EQ(parse_cidr("10.1.2.3", &c), 0, "bare v4");
	ASSERT_EQ(c.prefix, 32, "bare v4 prefix");
	ASSERT_EQ(parse_cidr("10.1.0.0/12", &c), 0, "v4 /12");
	ASSERT_TRUE(cidr_match(&c, 4, a4), "partial byte prefix");
	ASSERT_EQ(parse_cidr("fd00::/8", &c), 0, "v6 cidr");
	inet_pton(AF_INET6, "fd12::1", a6);
	ASSERT_TRUE(cidr_match(&c, 6, a6), "fd12::1 in fd00::/8");
	ASSERT_EQ(parse_cidr("10.0.0.0/33", &c), -ERANGE, "v4 prefix 33");
	ASSERT_EQ(parse_cidr("::/129", &c), -ERANGE, "v6 prefix 129");
	ASSERT_EQ(parse_cidr("10.0.0/8", &c), -EINVAL, "short v4");
	ASSERT_EQ(parse_cidr("10.0.0.0/x", &c), -ERANGE, "bad prefix");
	ASSERT_EQ(parse_cidr("", &c), -EINVAL, "empty");
	ASSERT_EQ(parse_cidr("10.0.0.0/8/8", &c), -ERANGE, "double slash");
}

TEST(parse_hostports)
{
	char host[64], port[8];
	struct sockaddr_storage ss;
	socklen_t len;

	ASSERT_EQ(parse_hostport("example.org:80", host, sizeof(host), port, sizeof(port)), 0,
		  "name:port");
	ASSERT_STREQ(host, "example.org", "host");
	ASSERT_STREQ(port, "80", "port");
	ASSERT_EQ(parse_hostport("[::1]:8080", host, sizeof(host), port, sizeof(port)), 0,
		  "[v6]:port");
	ASSERT_STREQ(host, "::1", "v6 host");
	ASSERT_EQ(parse_hostport("::1:80", host, sizeof(host), port, sizeof(port)), -EINVAL,
		  "bare v6 refused");
	ASSERT_EQ(parse_hostport("host", host, sizeof(host), port, sizeof(port)), -EINVAL,
		  "no port");
	ASSERT_EQ(parse_hostport("host:", host, sizeof(host), port, sizeof(port)), -EINVAL,
		  "empty port");
	ASSERT_EQ(parse_hostport(":80", host, sizeof(host), port, sizeof(port)), -EINVAL,
		  "empty host");
	ASSERT_EQ(parse_sockaddr("127.0.0.1:0", true, &ss, &len), 0, "listen :0");
	ASSERT_EQ(ss.ss_family, AF_INET, "v4 family");
	ASSERT_EQ(parse_sockaddr("[::1]:9", false, &ss, &len), 0, "v6 sockaddr");
	ASSERT_EQ(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 9, "v6 port");
	ASSERT_EQ(parse_sockaddr("127.0.0.1:0", false, &ss, &len), -ERANGE, "port 0 refused");
	ASSERT_EQ(parse_sockaddr("localhost:80", false, &ss, &len), -EINVAL, "names refused");
}

TEST(parse_targets)
{
	char host[64], port[8];

	ASSERT_EQ(parse_target("localhost:80", false, host, sizeof(host), port, sizeof(port)), 0,
		  "a name is for the resolver");
	ASSERT_STREQ(host, "localhost", "name kept");
	ASSERT_EQ(parse_target("[::1]:80", false, host, sizeof(host), port, sizeof(port)), 0, "v6");
	ASSERT_EQ(parse_target("1.2.3:80", false, host, sizeof(host), port, sizeof(port)), -EINVAL,
		  "numeric-looking, not an address");
	ASSERT_EQ(parse_target("127.0.0.1:70000", false, host, sizeof(host), port, sizeof(port)),
		  -ERANGE, "port out of range");
	ASSERT_EQ(parse_target("127.0.0.1:0", false, host, sizeof(host), port, sizeof(port)),
		  -ERANGE, "port 0 refused");
	ASSERT_EQ(parse_target("127.0.0.1:0", true, host, sizeof(host), port, sizeof(port)), 0,
		  "port 0 where allowed");
}

/* What a usage error printed: run it in a child, its stderr and status. */
struct usage_case {
	const char *opt, *val;
	int kind;
};

enum {
	K_PORT,
	K_DURATION,
	K_COUNT,
	K_TOP,
	K_SIZE,
	K_INTERVAL,
	K_CIDR,
	K_LISTEN,
	K_NETNS,
	K_RATE,
	K_WATCH
};

static void run_case(const struct usage_case *c)
{
	struct sockaddr_storage ss;
	struct cidr cidr;
	socklen_t len;

	switch (c->kind) {
	case K_PORT:
		opt_port("cmd", c->opt, c->val);
		break;
	case K_DURATION:
		opt_duration("cmd", c->opt, c->val, 0);
		break;
	case K_WATCH:
		opt_duration("cmd", c->opt, c->val, 10000000);
		break;
	case K_COUNT:
		opt_count("cmd", c->opt, c->val, 1, UINT64_MAX);
		break;
	case K_TOP:
		opt_count("cmd", c->opt, c->val, 0, 1000);
		break;
	case K_SIZE:
		opt_size("cmd", c->opt, c->val, 1, 1ULL << 30);
		break;
	case K_INTERVAL:
		opt_interval("cmd", c->opt, c->val, 0);
		break;
	case K_CIDR:
		opt_cidr("cmd", c->opt, c->val, &cidr);
		break;
	case K_LISTEN:
		opt_sockaddr("cmd", c->opt, c->val, true, &ss, &len);
		break;
	case K_NETNS:
		opt_netns("cmd", c->opt, c->val);
		break;
	case K_RATE:
		opt_rate("cmd", c->opt, c->val, 1000);
		break;
	}
}

/* Fork, run, read the child's stderr; its exit status or -1. */
static int in_child(void (*fn)(const void *), const void *arg, char *buf, size_t len)
{
	int fds[2], status;
	ssize_t n, got = 0;
	pid_t pid;

	if (pipe(fds))
		return -1;
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		dup2(fds[1], STDERR_FILENO);
		close(fds[0]);
		fn(arg);
		_exit(0);
	}
	close(fds[1]);
	while ((n = read(fds[0], buf + got, len - 1 - (size_t)got)) > 0)
		got += n;
	buf[got] = 0;
	close(fds[0]);
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		return -1;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void case_fn(const void *arg)
{
	run_case(arg);
}

TEST(opt_one_wording_per_mistake)
{
	static const struct {
		struct usage_case c;
		const char *why_what;
	} cases[] = {
		{ { "--port", "70000", K_PORT }, "out of range; expected a port from 1 to 65535" },
		{ { "--port", "0", K_PORT }, "out of range; expected a port from 1 to 65535" },
		{ { "--port", "-1", K_PORT }, "out of range; expected a port from 1 to 65535" },
		{ { "--port", "http", K_PORT }, "not understood; expected a port from 1 to 65535" },
		{ { "--duration", "-5", K_DURATION },
		  "must be positive; expected a duration such "
		  "as 10s, 500ms or 2m, up to a year" },
		{ { "--duration", "0", K_DURATION },
		  "must be positive; expected a duration such "
		  "as 10s, 500ms or 2m, up to a year" },
		{ { "--duration", "10x", K_DURATION },
		  "not understood; expected a duration such "
		  "as 10s, 500ms or 2m, up to a year" },
		{ { "--duration", "1e30", K_DURATION },
		  "out of range; expected a duration such "
		  "as 10s, 500ms or 2m, up to a year" },
		{ { "--watch", "5ms", K_WATCH },
		  "out of range; expected a duration such as 10s, "
		  "500ms or 2m, at least 10ms, up to a year" },
		{ { "--interval", "-1", K_INTERVAL },
		  "must not be negative; expected a duration "
		  "such as 10s, 500ms or 2m, up to a year, or 0 for none" },
		{ { "--count", "0", K_COUNT },
		  "must be positive; expected a whole number of 1 or more" },
		{ { "--count", "-3", K_COUNT },
		  "must be positive; expected a whole number of 1 or more" },
		{ { "--count", "many", K_COUNT },
		  "not understood; expected a whole number of 1 or "
		  "more" },
		{ { "--top", "-1", K_TOP },
		  "must not be negative; expected a whole number from 0 "
		  "to 1000" },
		{ { "--top", "1001", K_TOP },
		  "out of range; expected a whole number from 0 to 1000" },
		{ { "--rate", "0", K_RATE },
		  "must be positive; expected a rate per second from 1 "
		  "to 1000" },
		{ { "--sndbuf", "0", K_SIZE },
		  "must be positive; expected a size such as 64, 4k or "
		  "16M, from 1 to 1G" },
		{ { "--sndbuf", "2G", K_SIZE },
		  "out of range; expected a size such as 64, 4k or "
		  "16M, from 1 to 1G" },
		{ { "--sndbuf", "-4k", K_SIZE },
		  "must be positive; expected a size such as 64, 4k "
		  "or 16M, from 1 to 1G" },
		{ { "--addr", "10.0.0.0/33", K_CIDR },
		  "prefix out of range; expected an address "
		  "or CIDR such as 10.0.0.0/8 or fd00::/64" },
		{ { "--addr", "10.0.0/8", K_CIDR },
		  "not understood; expected an address or CIDR "
		  "such as 10.0.0.0/8 or fd00::/64" },
		{ { "--listen", "127.0.0.1:70000", K_LISTEN },
		  "port out of range; expected a port "
		  "from 0 to 65535" },
		{ { "--listen", "localhost:80", K_LISTEN },
		  "not a numeric address; expected a "
		  "numeric ADDR:PORT such as 127.0.0.1:8080 or [::1]:8080" },
		{ { "--listen", "127.0.0.1", K_LISTEN },
		  "not understood; expected a numeric "
		  "ADDR:PORT such as 127.0.0.1:8080 or [::1]:8080" },
		{ { "--netns", "tcpscope-unit-no-such-ns", K_NETNS },
		  "no such network namespace; "
		  "expected a name under /run/netns or a path such as /proc/PID/ns/net" },
		{ { "--netns", "/dev/null", K_NETNS },
		  "not a network namespace; expected a name "
		  "under /run/netns or a path such as /proc/PID/ns/net" },
	};
	char got[512], want[512];
	size_t i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct usage_case *c = &cases[i].c;

		snprintf(want, sizeof(want),
			 "tcpscope cmd: bad value '%s' for %s: %s (see "
			 "'tcpscope cmd --help')\n",
			 c->val, c->opt, cases[i].why_what);
		ASSERT_EQ(in_child(case_fn, c, got, sizeof(got)), 2, c->val);
		ASSERT_STREQ(got, want, c->val);
	}
}

TEST(opt_good_values)
{
	struct cidr c;

	ASSERT_EQ(opt_port("cmd", "--port", "443"), 443, "port");
	ASSERT_EQ(opt_duration("cmd", "--duration", "250ms", 0), 250000000ULL, "duration");
	ASSERT_EQ(opt_interval("cmd", "--interval", "0", 0), 0, "interval 0: none");
	ASSERT_EQ(opt_interval("cmd", "--interval", "0ms", 0), 0, "interval 0ms: none");
	ASSERT_EQ(opt_interval("cmd", "--interval", "2s", 0), 2000000000ULL, "interval 2s");
	ASSERT_EQ(opt_count("cmd", "--top", "0", 0, 1000), 0, "top 0");
	ASSERT_EQ(opt_size("cmd", "--size", "4k", 0, 1ULL << 30), 4096, "size 4k");
	opt_cidr("cmd", "--addr", "fd00::/64", &c);
	ASSERT_EQ(c.prefix, 64, "cidr prefix");
}

static const struct option test_longopts[] = {
	{ "port", required_argument, NULL, 'p' },
	{ "json", no_argument, NULL, 'j' },
	{ "count", required_argument, NULL, 'c' },
	{ "concurrency", required_argument, NULL, 'C' },
	{ 0 },
};

/* getopt_long over argv as a command would, then cli_bad_option(). */
static void option_fn(const void *arg)
{
	char *const *argv = arg;
	int argc = 0, c;

	while (argv[argc])
		argc++;
	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jp:", test_longopts, NULL)) != -1)
		if (c == '?' || c == ':')
			cli_bad_option("cmd", c, argv, test_longopts);
	cli_no_more_args("cmd", argc, argv);
}

TEST(opt_bad_options)
{
	static char *const cases[][4] = {
		{ "cmd", "--bogus", NULL },
		{ "cmd", "--port", NULL },
		{ "cmd", "--json=1", NULL },
		{ "cmd", "-z", NULL },
		{ "cmd", "-jz", NULL },
		{ "cmd", "--co", "5", NULL },
		{ "cmd", "-p", NULL },
		{ "cmd", "--json", "-zj", NULL },
		{ "cmd", "--port=80", "-zj", NULL },
		{ "cmd", "extra", NULL },
	};
	static const char *const want[] = {
		"unknown option '--bogus'",
		"option '--port' needs a value",
		"option '--json' takes no value",
		"unknown option '-z'",
		"unknown option '-z'",
		"option '--co' is ambiguous",
		"option '-p' needs a value",
		"unknown option '-z'",
		"unknown option '-z'",
		"unexpected argument 'extra'",
	};
	char got[512], line[512];
	size_t i;

	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		snprintf(line, sizeof(line), "tcpscope cmd: %s (see 'tcpscope cmd --help')\n",
			 want[i]);
		ASSERT_EQ(in_child(option_fn, cases[i], got, sizeof(got)), 2, want[i]);
		ASSERT_STREQ(got, line, want[i]);
	}
}
