// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* /proc parsers: real samples parse to the right values; every truncation
 * and odd file is an error or a clean parse, never a crash (run these under
 * make SANITIZE=1 to make "never a crash" mean no invalid read either). */
#include <errno.h>
#include <stdlib.h>
#include "monitor/procfs.h"
#include "test.h"

static const char snmp_sample[] = "Ip: Forwarding DefaultTTL InReceives\n"
				  "Ip: 1 64 12345\n"
				  "Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens\n"
				  "Tcp: 1 200 120000 -1 42\n";

static const char netstat_sample[] = "TcpExt: SyncookiesSent ListenOverflows ListenDrops\n"
				     "TcpExt: 3 7 9\n"
				     "IpExt: InNoRoutes InOctets\n"
				     "IpExt: 0 18446744073709551615\n";

static const char snmp6_sample[] = "Ip6InReceives                   \t17\n"
				   "Ip6InHdrErrors                  \t0\n";

static const char sockstat_sample[] = "sockets: used 11\n"
				      "TCP: inuse 1 orphan 0 tw 5 alloc 2 mem 165\n"
				      "UDP: inuse 0 mem 0\n"
				      "FRAG: inuse 0 memory 0\n";

static const char softnet_sample[] =
    "0000000a 00000001 00000002 00000000 00000000 00000000 00000000 00000000\n"
    "000002f4 00000003 00000004 00000000 00000000 00000000 00000000 00000000\n";

TEST(procfs_snmp_values)
{
	struct counters c = { 0 };

	ASSERT_EQ(procfs_parse_snmp(snmp_sample, strlen(snmp_sample), &c), 0, "parse snmp");
	ASSERT_EQ(c.n, 8, "counters");
	ASSERT_EQ(counters_get(&c, "IpInReceives"), 12345, "IpInReceives");
	ASSERT_EQ(counters_get(&c, "TcpActiveOpens"), 42, "TcpActiveOpens");
	ASSERT_EQ((int64_t)counters_get(&c, "TcpMaxConn"), -1, "TcpMaxConn is -1");
	ASSERT_EQ(procfs_parse_snmp(netstat_sample, strlen(netstat_sample), &c), 0, "netstat");
	ASSERT_EQ(counters_get(&c, "TcpExtListenOverflows"), 7, "ListenOverflows");
	ASSERT_TRUE(counters_get(&c, "IpExtInOctets") == UINT64_MAX, "u64 max");
	ASSERT_TRUE(!counters_has(&c, "TcpExtNope"), "absent counter");
	counters_free(&c);
}

TEST(procfs_snmp6_sockstat_softnet_values)
{
	struct counters c = { 0 };
	struct softnet sn;

	ASSERT_EQ(procfs_parse_snmp6(snmp6_sample, strlen(snmp6_sample), &c), 0, "snmp6");
	ASSERT_EQ(counters_get(&c, "Ip6InReceives"), 17, "Ip6InReceives");
	counters_reset(&c);
	ASSERT_EQ(procfs_parse_sockstat(sockstat_sample, strlen(sockstat_sample), &c), 0,
		  "sockstat");
	ASSERT_EQ(counters_get(&c, "sockets_used"), 11, "sockets_used");
	ASSERT_EQ(counters_get(&c, "TCP_tw"), 5, "TCP_tw");
	ASSERT_EQ(counters_get(&c, "TCP_mem"), 165, "TCP_mem");
	ASSERT_EQ(procfs_parse_softnet(softnet_sample, strlen(softnet_sample), &sn), 0, "softnet");
	ASSERT_EQ(sn.cpus, 2, "cpus");
	ASSERT_EQ(sn.processed, 0xa + 0x2f4, "processed");
	ASSERT_EQ(sn.dropped, 4, "dropped");
	ASSERT_EQ(sn.time_squeeze, 6, "time_squeeze");
	counters_free(&c);
}

TEST(procfs_sysctl_values)
{
	uint64_t v[3];
	char w[16];

	ASSERT_EQ(procfs_parse_uints("32768\t60999\n", 12, v, 3), 2, "port range");
	ASSERT_EQ(v[1], 60999, "port range high");
	ASSERT_EQ(procfs_parse_uints("7200\n", 5, v, 3), 1, "keepalive");
	ASSERT_EQ(procfs_parse_uints("1 2 3 4\n", 8, v, 3), -EINVAL, "too many values");
	ASSERT_EQ(procfs_parse_uints("-1\n", 3, v, 3), -EINVAL, "negative");
	ASSERT_EQ(procfs_parse_uints("", 0, v, 3), -EINVAL, "empty");
	ASSERT_EQ(procfs_parse_uints("\n", 1, v, 3), -EINVAL, "blank");
	ASSERT_EQ(procfs_parse_uints("12a\n", 4, v, 3), -EINVAL, "junk");
	ASSERT_EQ(procfs_parse_word("cubic\n", 6, w, sizeof(w)), 0, "cc");
	ASSERT_STREQ(w, "cubic", "cc value");
	ASSERT_EQ(procfs_parse_word("a b\n", 4, w, sizeof(w)), -EINVAL, "two words");
	ASSERT_EQ(procfs_parse_word("averyveryverylongname\n", 22, w, sizeof(w)), -EINVAL,
		  "too long");
}

static const struct {
	const char *what, *text;
} bad_snmp[] = {
	{ "header without values", "Tcp: A B\n" },
	{ "fewer values", "Tcp: A B\nTcp: 1\n" },
	{ "more values", "Tcp: A\nTcp: 1 2\n" },
	{ "prefix mismatch", "Tcp: A\nUdp: 1\n" },
	{ "no colon", "Tcp A\nTcp 1\n" },
	{ "not a number", "Tcp: A\nTcp: x1\n" },
	{ "lone minus", "Tcp: A\nTcp: -\n" },
	{ "overflow", "Tcp: A\nTcp: 18446744073709551616\n" },
	{ "name too long",
	  "Tcp: AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\nTcp: 1\n" },
	{ "empty prefix", ": A\n: 1\n" },
	{ "NUL in a name", "Tcp: A\0B\nTcp: 1\n" },
};

TEST(procfs_snmp_odd_files)
{
	struct counters c = { 0 };
	size_t i;

	for (i = 0; i < sizeof(bad_snmp) / sizeof(bad_snmp[0]); i++) {
		size_t len = strlen(bad_snmp[i].text);

		/* the NUL case: count the bytes after the NUL too */
		if (!strcmp(bad_snmp[i].what, "NUL in a name"))
			len = sizeof("Tcp: A\0B\nTcp: 1\n") - 1;
		counters_reset(&c);
		if (procfs_parse_snmp(bad_snmp[i].text, len, &c) == 0)
			TEST_FAIL_AT("%s: parsed, want an error", bad_snmp[i].what);
	}
	counters_reset(&c);
	ASSERT_EQ(procfs_parse_snmp("", 0, &c), 0, "empty file: no counters");
	ASSERT_EQ(procfs_parse_snmp6("Ip6InReceives\n", 14, &c), -EINVAL, "snmp6 no value");
	ASSERT_EQ(procfs_parse_snmp6("A 1 2\n", 6, &c), -EINVAL, "snmp6 extra");
	ASSERT_EQ(procfs_parse_sockstat("TCP: inuse\n", 11, &c), -EINVAL, "sockstat odd");
	ASSERT_EQ(procfs_parse_sockstat("TCP inuse 1\n", 12, &c), -EINVAL, "sockstat no colon");
	counters_free(&c);
}

TEST(procfs_softnet_odd_files)
{
	struct softnet sn;

	ASSERT_EQ(procfs_parse_softnet("", 0, &sn), -EINVAL, "empty");
	ASSERT_EQ(procfs_parse_softnet("0000000a 00000001\n", 18, &sn), -EINVAL, "2 columns");
	ASSERT_EQ(procfs_parse_softnet("zz 1 2\n", 7, &sn), -EINVAL, "not hex");
	ASSERT_EQ(procfs_parse_softnet("1 2 3 4g\n", 9, &sn), -EINVAL, "bad later column");
	ASSERT_EQ(procfs_parse_softnet("11111111111111111 2 3\n", 22, &sn), -ERANGE, "too wide");
}

/* Every prefix of a real file (a read cut short) and every one-byte
 * corruption: an error or a clean parse, nothing else. */
static void torture(const char *sample, int (*parse)(const char *, size_t, struct counters *))
{
	size_t len = strlen(sample), cut, i;
	struct counters c = { 0 };
	char *copy;
	int err;

	for (cut = 0; cut <= len; cut++) {
		/* An exact-size heap copy, so ASan sees any read past the end. */
		copy = malloc(cut + 1);
		memcpy(copy, sample, cut);
		counters_reset(&c);
		err = parse(copy, cut, &c);
		if (err != 0 && err != -EINVAL && err != -ERANGE)
			TEST_FAIL_AT("cut at %zu: unexpected %d", cut, err);
		free(copy);
	}
	copy = malloc(len + 1);
	for (i = 0; i < len; i++) {
		static const char odd[] = { 0, '\n', ' ', ':', '-', 'x', '\xff' };
		size_t k;

		for (k = 0; k < sizeof(odd); k++) {
			memcpy(copy, sample, len);
			copy[i] = odd[k];
			counters_reset(&c);
			err = parse(copy, len, &c);
			if (err != 0 && err != -EINVAL && err != -ERANGE)
				TEST_FAIL_AT("byte %zu: unexpected %d", i, err);
		}
	}
	free(copy);
	counters_free(&c);
}

static int softnet_adapter(const char *buf, size_t len, struct counters *c)
{
	struct softnet sn;

	(void)c;
	return procfs_parse_softnet(buf, len, &sn);
}

TEST(procfs_truncated_and_corrupt)
{
	struct counters c = { 0 };

	torture(snmp_sample, procfs_parse_snmp);
	torture(netstat_sample, procfs_parse_snmp);
	torture(snmp6_sample, procfs_parse_snmp6);
	torture(sockstat_sample, procfs_parse_sockstat);
	torture(softnet_sample, softnet_adapter);
	/* A header cut mid-line pairs with nothing: that is an error. */
	ASSERT_EQ(procfs_parse_snmp(snmp_sample, 20, &c), -EINVAL, "cut in the first header");
	counters_free(&c);
}
