// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/time.h>
#include "tracer/events.h"
#include "metrics/metrics.h"
#include "test.h"

static struct event state_ev(uint64_t cookie, uint64_t ts, uint8_t old, uint8_t new)
{
	struct event e = { .ts_ns = ts, .cookie = cookie, .family = 4, .type = EV_STATE };

	e.state.oldstate = old;
	e.state.newstate = new;
	return e;
}

/* The value of the line starting with name (labels included), or -1. */
static long long value(const char *page, const char *name)
{
	const char *p = page;
	size_t n = strlen(name);

	while ((p = strstr(p, name))) {
		if ((p == page || p[-1] == '\n') && p[n] == ' ')
			return atoll(p + n + 1);
		p += n;
	}
	return -1;
}

static char *render(struct metrics *m)
{
	static char buf[16384];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	metrics__publish(m);
	metrics__write(m, NULL, f);
	fclose(f);
	return buf;
}

TEST(metrics_counts_and_histograms)
{
	struct metrics *m = NULL;
	struct event e;
	char *page;
	int i;

	if (!ASSERT_EQ(metrics__open(&m, "127.0.0.1:19601", "test"), 0, "open"))
		return;
	/* 100 handshakes of 300 us on distinct cookies, interleaved so that
	 * many are in progress at once. */
	for (i = 0; i < 100; i++) {
		e = state_ev(1000 + i, 1000000 + i, TCP_STATE_CLOSE, TCP_STATE_SYN_SENT);
		metrics__event(m, &e);
	}
	for (i = 0; i < 100; i++) {
		e = state_ev(1000 + i, 1300000 + i, TCP_STATE_SYN_SENT, TCP_STATE_ESTABLISHED);
		metrics__event(m, &e);
	}
	/* an ESTABLISHED whose SYN_SENT we never saw */
	e = state_ev(5, 10, TCP_STATE_SYN_SENT, TCP_STATE_ESTABLISHED);
	metrics__event(m, &e);
	e = (struct event){ .cookie = 1, .type = EV_RETRANSMIT };
	e.retrans.kind = RK_RTO;
	e.retrans.segs = 3;
	metrics__event(m, &e);
	e = (struct event){ .cookie = 1, .type = EV_PROBE };
	e.probe.srtt_us = 2000;
	metrics__event(m, &e);
	e = (struct event){ .type = EV_RECV_RESET };
	metrics__event(m, &e);
	page = render(m);
	ASSERT_EQ(value(page, "tcpscope_handshake_seconds_count"), 100, "handshakes");
	ASSERT_EQ(value(page, "tcpscope_handshake_seconds_bucket{le=\"0.00025\"}"), 0,
		  "none under 250us");
	ASSERT_EQ(value(page, "tcpscope_handshake_seconds_bucket{le=\"0.0005\"}"), 100,
		  "all under 500us");
	ASSERT_EQ(value(page, "tcpscope_handshake_seconds_bucket{le=\"+Inf\"}"), 100, "+Inf");
	ASSERT_EQ(value(page, "tcpscope_handshakes_untracked_total"), 1, "untracked");
	ASSERT_EQ(
	    value(page, "tcpscope_state_transitions_total{old=\"SYN_SENT\",new=\"ESTABLISHED\"}"),
	    101, "transitions");
	ASSERT_EQ(value(page, "tcpscope_state_transitions_total{old=\"CLOSE\",new=\"SYN_SENT\"}"),
		  100, "transitions to SYN_SENT");
	ASSERT_EQ(value(page, "tcpscope_retransmits_total{kind=\"rto\"}"), 1, "rto events");
	ASSERT_EQ(value(page, "tcpscope_retransmit_segments_total{kind=\"rto\"}"), 3, "rto segs");
	ASSERT_EQ(value(page, "tcpscope_retransmits_total{kind=\"fast\"}"), 0, "fast");
	ASSERT_EQ(value(page, "tcpscope_srtt_seconds_bucket{le=\"0.001\"}"), 0, "srtt > 1ms");
	ASSERT_EQ(value(page, "tcpscope_srtt_seconds_bucket{le=\"0.0025\"}"), 1, "srtt <= 2.5ms");
	ASSERT_EQ(value(page, "tcpscope_resets_received_total"), 1, "resets received");
	ASSERT_EQ(value(page, "tcpscope_events_total{type=\"state\"}"), 201, "state events");
	ASSERT_TRUE(!strstr(page, "cookie") && !strstr(page, "port"), "no per-connection labels");
	metrics__destroy(m);
}

TEST(metrics_handshake_table_bounded)
{
	struct metrics *m = NULL;
	struct event e;
	uint64_t c;

	if (!ASSERT_EQ(metrics__open(&m, "[::1]:19602", "test"), 0, "open v6"))
		return;
	/* 200k SYN_SENTs whose ends were lost: the table evicts the oldest
	 * and the latest are still timed. */
	for (c = 1; c <= 200000; c++) {
		e = state_ev(c, c * 10, TCP_STATE_CLOSE, TCP_STATE_SYN_SENT);
		metrics__event(m, &e);
	}
	for (c = 199901; c <= 200000; c++) {
		e = state_ev(c, c * 10 + 1000, TCP_STATE_SYN_SENT, TCP_STATE_ESTABLISHED);
		metrics__event(m, &e);
	}
	ASSERT_EQ(value(render(m), "tcpscope_handshake_seconds_count"), 100, "latest timed");
	metrics__destroy(m);
}

TEST(metrics_bad_address)
{
	struct metrics *m = (struct metrics *)1;
	FILE *saved = stderr;

	stderr = fopen("/dev/null", "w");
	ASSERT_EQ(metrics__open(&m, "localhost:9464", "test"), -EINVAL, "names are refused");
	ASSERT_TRUE(m == NULL, "no handle");
	ASSERT_TRUE(metrics__open(&m, "127.0.0.1", "test") < 0, "no port");
	fclose(stderr);
	stderr = saved;
}

TEST(metrics_scrape_sees_the_last_publish)
{
	struct metrics *m = NULL;
	struct event e = { .type = EV_RECV_RESET };
	char page[16384];
	FILE *f;

	if (!ASSERT_EQ(metrics__open(&m, "127.0.0.1:19603", "test"), 0, "open"))
		return;
	metrics__event(m, &e);
	metrics__publish(m);
	metrics__event(m, &e); /* after the tick: not in the copy yet */
	f = fmemopen(page, sizeof(page), "w");
	metrics__write(m, NULL, f);
	fclose(f);
	ASSERT_EQ(value(page, "tcpscope_resets_received_total"), 1, "the published count");
	ASSERT_EQ(value(render(m), "tcpscope_resets_received_total"), 2, "the next tick's");
	metrics__destroy(m);
}

/* Every label set there can be, each with a 20-digit count, still fits
 * the server's page buffer. */
TEST(metrics_page_fits_its_buffer)
{
	static char big[4 * HTTPD_PAGE_MAX];
	struct metrics *m = NULL;
	struct event e;
	size_t len, lines = 0, i;
	int o, n;
	FILE *f;

	if (!ASSERT_EQ(metrics__open(&m, "127.0.0.1:19604", "test"), 0, "open"))
		return;
	for (o = 0; o < 14; o++)
		for (n = 0; n < 14; n++) {
			e = state_ev(0, 0, (uint8_t)o, (uint8_t)n);
			metrics__event(m, &e);
		}
	for (o = 0; o < 64; o++) {
		e = (struct event){ .type = EV_SEND_RESET };
		e.reset.reason = (uint16_t)o;
		metrics__event(m, &e);
	}
	metrics__publish(m);
	f = fmemopen(big, sizeof(big), "w");
	metrics__write(m, NULL, f);
	len = (size_t)ftell(f);
	fclose(f);
	for (i = 0; i < len; i++)
		lines += big[i] == '\n';
	ASSERT_TRUE(len + lines * 20 < HTTPD_PAGE_MAX, "worst page under HTTPD_PAGE_MAX");
	ASSERT_TRUE(
	    strstr(big, "tcpscope_state_transitions_total{old=\"CLOSING\",new=\"CLOSING\"}"),
	    "all pairs written");
	metrics__destroy(m);
}

static int connect_port(int port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct timeval tv = { 3, 0 };
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a))) {
		close(fd);
		return -1;
	}
	return fd;
}

/* The server closed fd within ms: EOF or a reset. */
static bool closed_within(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	char c;

	return poll(&p, 1, ms) == 1 && recv(fd, &c, 1, 0) <= 0;
}

/* GET path; the whole answer into buf (NUL-terminated); its length or -1. */
static ssize_t get(int port, const char *path, char *buf, size_t size)
{
	int fd = connect_port(port);
	size_t got = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	dprintf(fd, "GET %s HTTP/1.0\r\nHost: test\r\n\r\n", path);
	while (got < size - 1 && (n = recv(fd, buf + got, size - 1 - got, 0)) > 0)
		got += (size_t)n;
	buf[got] = 0;
	close(fd);
	return (ssize_t)got;
}

/* Its own thread, bounded: a newer client closes the oldest, a client is
 * closed at its deadline, and the page counts both. */
TEST(metrics_server_bounds_clients)
{
	const struct httpd_limits lim = { .max_clients = 4, .deadline_ms = 1000 };
	struct metrics *m = NULL;
	static char page[HTTPD_PAGE_MAX];
	int idle[4], half, i;

	if (!ASSERT_EQ(metrics__open(&m, "127.0.0.1:19605", "test"), 0, "open"))
		return;
	if (!ASSERT_EQ(metrics__start(m, NULL, &lim, "test"), 0, "start")) {
		metrics__destroy(m);
		return;
	}
	for (i = 0; i < 4; i++)
		idle[i] = connect_port(19605);
	half = connect_port(19605);
	ASSERT_TRUE(half >= 0 && send(half, "GET /metr", 9, 0) == 9, "half a request sent");
	ASSERT_TRUE(closed_within(idle[0], 500), "the oldest evicted by the fifth");
	ASSERT_TRUE(get(19605, "/metrics", page, sizeof(page)) > 0, "scraped with 4 open");
	ASSERT_TRUE(strstr(page, "HTTP/1.0 200 OK\r\n") == page, "200");
	ASSERT_TRUE(closed_within(idle[1], 500), "the next oldest evicted by the scrape");
	ASSERT_EQ(value(page, "tcpscope_metrics_clients_dropped_total{reason=\"evicted\"}"), 2,
		  "evicted");
	ASSERT_EQ(value(page, "tcpscope_metrics_clients_dropped_total{reason=\"timeout\"}"), 0,
		  "none timed out yet");
	ASSERT_EQ(value(page, "tcpscope_metrics_clients"), 4, "open, the scrape's own included");
	ASSERT_TRUE(closed_within(idle[2], 1500) && closed_within(idle[3], 500) &&
			closed_within(half, 500),
		    "idle and half-request clients closed at their deadline");
	ASSERT_TRUE(get(19605, "/", page, sizeof(page)) > 0 &&
			strstr(page, "HTTP/1.0 404 Not Found\r\n") == page,
		    "404 elsewhere");
	get(19605, "/metrics", page, sizeof(page));
	ASSERT_EQ(value(page, "tcpscope_metrics_clients_dropped_total{reason=\"timeout\"}"), 3,
		  "timed out");
	ASSERT_EQ(value(page, "tcpscope_metrics_not_found_total"), 1, "404s");
	ASSERT_EQ(value(page, "tcpscope_scrapes_total"), 2, "scrapes");
	ASSERT_EQ(value(page, "tcpscope_metrics_clients"), 1, "open now: this scrape");
	for (i = 0; i < 4; i++)
		close(idle[i]);
	close(half);
	metrics__destroy(m); /* joins the thread: no leak under ASan or memcheck */
}
