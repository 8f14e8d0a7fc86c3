// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The inet_diag message parser, fed hand-built buffers: values come out,
 * and truncated or lying buffers are errors, never reads past the end. */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include "monitor/sockdiag.h"
#include "test.h"

/* Append one SOCK_DIAG_BY_FAMILY message with an INET_DIAG_INFO of
 * info_len bytes; returns the new length. */
static size_t put_sock(char *buf, size_t off, uint8_t state, uint16_t sport, uint16_t dport,
		       uint32_t rq, uint32_t wq, size_t info_len, uint32_t total_retrans)
{
	struct nlmsghdr *h = (struct nlmsghdr *)(buf + off);
	struct inet_diag_msg *m = NLMSG_DATA(h);
	struct nlattr *a;
	struct tcp_info ti;

	memset(h, 0, NLMSG_SPACE(sizeof(*m)) + NLA_HDRLEN + NLA_ALIGN(sizeof(ti)));
	m->idiag_family = AF_INET;
	m->idiag_state = state;
	m->id.idiag_sport = htons(sport);
	m->id.idiag_dport = htons(dport);
	m->id.idiag_src[0] = htonl(0x7f000001);
	m->idiag_rqueue = rq;
	m->idiag_wqueue = wq;
	h->nlmsg_type = SOCK_DIAG_BY_FAMILY;
	h->nlmsg_len = NLMSG_SPACE(sizeof(*m));
	if (info_len) {
		a = (struct nlattr *)((char *)h + h->nlmsg_len);
		memset(&ti, 0, sizeof(ti));
		ti.tcpi_total_retrans = total_retrans;
		ti.tcpi_rtt = 1234;
		a->nla_type = INET_DIAG_INFO;
		a->nla_len = (uint16_t)(NLA_HDRLEN + info_len);
		memcpy((char *)a + NLA_HDRLEN, &ti, info_len < sizeof(ti) ? info_len : sizeof(ti));
		h->nlmsg_len += NLA_ALIGN(a->nla_len);
	}
	return off + NLMSG_ALIGN(h->nlmsg_len);
}

static size_t put_done(char *buf, size_t off)
{
	struct nlmsghdr *h = (struct nlmsghdr *)(buf + off);

	memset(h, 0, NLMSG_SPACE(sizeof(int)));
	h->nlmsg_type = NLMSG_DONE;
	h->nlmsg_len = NLMSG_LENGTH(sizeof(int));
	return off + NLMSG_ALIGN(h->nlmsg_len);
}

TEST(sockdiag_parse_values)
{
	static char buf[4096] __attribute__((aligned(8)));
	struct sock_table t = { 0 };
	size_t len = 0;

	len = put_sock(buf, len, 10, 8080, 0, 3, 128, 0, 0);
	len = put_sock(buf, len, 1, 40000, 8080, 0, 0, sizeof(struct tcp_info), 7);
	/* An older kernel's shorter tcp_info: the rest reads as 0. */
	len = put_sock(buf, len, 1, 40001, 8080, 0, 0,
		       offsetof(struct tcp_info, tcpi_total_retrans), 9);
	len = put_done(buf, len);
	ASSERT_EQ(sockdiag_parse(buf, len, &t), 1, "done seen");
	ASSERT_EQ(t.n, 3, "sockets");
	ASSERT_EQ(t.v[0].state, 10, "listener state");
	ASSERT_EQ(t.v[0].sport, 8080, "listener port");
	ASSERT_EQ(t.v[0].rqueue, 3, "accept queue");
	ASSERT_EQ(t.v[0].wqueue, 128, "backlog");
	ASSERT_TRUE(!t.v[0].has_info, "no tcp_info on the listener");
	ASSERT_EQ(t.v[1].dport, 8080, "dport");
	ASSERT_EQ(t.v[1].total_retrans, 7, "total_retrans");
	ASSERT_EQ(t.v[1].rtt_us, 1234, "rtt");
	ASSERT_EQ(t.v[2].rtt_us, 1234, "rtt in a short tcp_info");
	ASSERT_EQ(t.v[2].total_retrans, 0, "total_retrans beyond a short tcp_info");
	ASSERT_EQ(t.v[0].saddr[0], 127, "address bytes");
	sock_table_free(&t);
}

TEST(sockdiag_parse_error_and_partial)
{
	static char buf[1024] __attribute__((aligned(8)));
	struct nlmsghdr *h = (struct nlmsghdr *)buf;
	struct nlmsgerr *e = NLMSG_DATA(h);
	struct sock_table t = { 0 };
	size_t len;

	memset(buf, 0, sizeof(buf));
	h->nlmsg_type = NLMSG_ERROR;
	h->nlmsg_len = NLMSG_LENGTH(sizeof(*e));
	e->error = -EPERM;
	ASSERT_EQ(sockdiag_parse(buf, h->nlmsg_len, &t), -EPERM, "kernel error");
	len = put_sock(buf, 0, 1, 1, 2, 0, 0, 0, 0);
	ASSERT_EQ(sockdiag_parse(buf, len, &t), 0, "more to come");
	ASSERT_EQ(t.n, 1, "one socket");
	ASSERT_EQ(sockdiag_parse(buf, 0, &t), 0, "empty buffer");
	h->nlmsg_len = 8; /* shorter than its own header */
	ASSERT_EQ(sockdiag_parse(buf, 16, &t), -EINVAL, "short nlmsg_len");
	sock_table_free(&t);
}

TEST(sockdiag_parse_truncated_and_corrupt)
{
	static char good[4096] __attribute__((aligned(8)));
	struct sock_table t = { 0 };
	size_t len = 0, cut, i;
	char *copy;
	int err;

	len = put_sock(good, len, 10, 8080, 0, 3, 128, 0, 0);
	len = put_sock(good, len, 1, 40000, 8080, 0, 0, sizeof(struct tcp_info), 7);
	len = put_done(good, len);
	for (cut = 0; cut <= len; cut++) {
		copy = malloc(cut + 1);
		memcpy(copy, good, cut);
		err = sockdiag_parse(copy, cut, &t);
		if (err < 0 && err != -EINVAL)
			TEST_FAIL_AT("cut at %zu: unexpected %d", cut, err);
		free(copy);
	}
	copy = malloc(len);
	for (i = 0; i < len; i++) {
		static const unsigned char odd[] = { 0, 1, 0x7f, 0xff };
		size_t k;

		for (k = 0; k < sizeof(odd); k++) {
			memcpy(copy, good, len);
			copy[i] = (char)odd[k];
			err = sockdiag_parse(copy, len, &t);
			/* A flipped nlmsg_type may turn into NLMSG_ERROR: any -errno is fine. */
			if (err > 1)
				TEST_FAIL_AT("byte %zu: unexpected %d", i, err);
		}
	}
	free(copy);
	sock_table_free(&t);
}

TEST(tcp_state_names)
{
	ASSERT_EQ(tcp_state_parse("established"), 1, "established");
	ASSERT_EQ(tcp_state_parse("ESTAB"), 1, "ESTAB");
	ASSERT_EQ(tcp_state_parse("time-wait"), 6, "time-wait");
	ASSERT_EQ(tcp_state_parse("TIME_WAIT"), 6, "TIME_WAIT");
	ASSERT_EQ(tcp_state_parse("listen"), 10, "listen");
	ASSERT_EQ(tcp_state_parse("bogus"), -EINVAL, "bogus");
	ASSERT_EQ(tcp_state_parse(""), -EINVAL, "empty");
	ASSERT_STREQ(tcp_state_name(8), "CLOSE_WAIT", "kernel name");
	ASSERT_STREQ(tcp_state_ss_name(200), "UNKNOWN", "out of range");
}
TEST(state_table_both_spellings)
{
	ASSERT_STREQ(tcp_state_ss_name(TCP_STATE_ESTABLISHED), "ESTAB", "ss ESTABLISHED");
	ASSERT_STREQ(tcp_state_ss_name(TCP_STATE_CLOSE), "UNCONN", "ss CLOSE");
	ASSERT_STREQ(tcp_state_name(TCP_STATE_BOUND_INACTIVE), "BOUND_INACTIVE", "13");
	ASSERT_EQ(tcp_state_parse("close"), TCP_STATE_CLOSE, "close");
	ASSERT_EQ(tcp_state_parse("new-syn-recv"), TCP_STATE_NEW_SYN_RECV, "new-syn-recv");
	ASSERT_EQ(TCP_NSTATES, 14, "states 0..13");
}
