// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* TCP_INFO decoding and socket options on a real loopback connection (no
 * root needed): the kernel is the oracle. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
#include "load/sockopt.h"
#include "lib/tcpinfo.h"
#include "test.h"

/* A connected pair over 127.0.0.1; 0 or -1. */
static int tcp_pair(int *cli, int *srv)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int l = socket(AF_INET, SOCK_STREAM, 0);

	*cli = *srv = -1;
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &len))
		goto fail;
	*cli = socket(AF_INET, SOCK_STREAM, 0);
	if (*cli < 0 || connect(*cli, (struct sockaddr *)&a, sizeof(a)))
		goto fail;
	*srv = accept(l, NULL, NULL);
	close(l);
	return *srv < 0 ? -1 : 0;
fail:
	if (l >= 0)
		close(l);
	return -1;
}

TEST(tcpinfo_established_pair)
{
	struct tcpinfo ti;
	char *text = NULL;
	size_t len = 0;
	FILE *f;
	struct jw w;
	int cli, srv;

	if (!ASSERT_EQ(tcp_pair(&cli, &srv), 0, "loopback pair"))
		return;
	ASSERT_EQ(write(cli, "hello", 5), 5, "write");
	ASSERT_EQ(tcpinfo__get(cli, &ti), 0, "getsockopt TCP_INFO");
	ASSERT_TRUE(ti.len >= sizeof(struct tcp_info), "at least what libc knows");
	ASSERT_STREQ(tcp_state_name(ti.i.tcpi_state), "ESTABLISHED", "state");
	ASSERT_TRUE(TCPINFO_HAS(&ti, tcpi_bytes_sent), "bytes_sent present");
	ASSERT_EQ(ti.i.tcpi_bytes_sent, 5, "bytes_sent");
	ASSERT_TRUE(ti.i.tcpi_snd_cwnd > 0, "cwnd");
	f = open_memstream(&text, &len);
	jw_init(&w, f);
	tcpinfo__print_json(&w, NULL, &ti);
	fclose(f);
	ASSERT_TRUE(strstr(text, "\"state\":\"ESTABLISHED\"") != NULL, "json state");
	ASSERT_TRUE(strstr(text, "\"bytes_sent\":5") != NULL, "json bytes_sent");
	ASSERT_TRUE(strstr(text, "\"rtt_us\":") != NULL, "json rtt with unit");
	free(text);
	close(cli);
	close(srv);
}

TEST(tcpinfo_short_length_hides_new_fields)
{
	struct tcpinfo ti = { .len = (socklen_t)offsetof(struct ts_tcp_info, tcpi_rcv_wnd) };
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	tcpinfo__print_text(f, &ti, "");
	fclose(f);
	ASSERT_TRUE(strstr(text, "snd_wnd") != NULL, "older field printed");
	ASSERT_TRUE(strstr(text, "rcv_wnd") == NULL, "newer field hidden");
	ASSERT_TRUE(!TCPINFO_HAS(&ti, tcpi_rcv_wnd), "TCPINFO_HAS");
	free(text);
}

TEST(sockopts_applied)
{
	struct sockopts so;
	const char *what = NULL;
	struct linger l;
	socklen_t len;
	int fd = socket(AF_INET, SOCK_STREAM, 0), v = 0;

	sockopts__init(&so);
	ASSERT_TRUE(sockopts__parse(&so, "test", OPT_SO_NODELAY, NULL), "nodelay parsed");
	ASSERT_TRUE(sockopts__parse(&so, "test", OPT_SO_LINGER, "0"), "linger parsed");
	ASSERT_TRUE(sockopts__parse(&so, "test", OPT_SO_KEEPIDLE, "7"), "keepidle parsed");
	ASSERT_TRUE(!sockopts__parse(&so, "test", 'x', NULL), "not a socket option");
	ASSERT_EQ(sockopts__apply(&so, fd, &what), 0, "apply");
	len = sizeof(v);
	getsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &v, &len);
	ASSERT_EQ(v, 1, "TCP_NODELAY");
	len = sizeof(v);
	getsockopt(fd, IPPROTO_TCP, TCP_KEEPIDLE, &v, &len);
	ASSERT_EQ(v, 7, "TCP_KEEPIDLE");
	len = sizeof(v);
	getsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &v, &len);
	ASSERT_EQ(v, 1, "SO_KEEPALIVE implied");
	len = sizeof(l);
	getsockopt(fd, SOL_SOCKET, SO_LINGER, &l, &len);
	ASSERT_EQ(l.l_onoff, 1, "linger on");
	ASSERT_EQ(l.l_linger, 0, "linger 0");
	strcpy(so.cc, "no-such-cc");
	ASSERT_EQ(sockopts__apply(&so, fd, &what), -ENOENT, "unknown congestion control");
	ASSERT_STREQ(what, "TCP_CONGESTION", "failing option named");
	close(fd);
}
