// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
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
