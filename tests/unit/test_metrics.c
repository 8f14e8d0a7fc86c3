// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include "tracer/events.h"
#include "metrics/metrics.h"
#include "test.h"

static struct event state_ev(uint64_t cookie, uint64_t ts, uint8_t old, uint8_t new)
{
	struct event e = {.ts_ns = ts, .cookie = cookie, .family = 4, .type = EV_STATE};

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
	e = (struct event){.cookie = 1, .type = EV_RETRANSMIT};
	e.retrans.kind = RK_RTO;
	e.retrans.segs = 3;
	metrics__event(m, &e);
	e = (struct event){.cookie = 1, .type = EV_PROBE};
	e.probe.srtt_us = 2000;
	metrics__event(m, &e);
	e = (struct event){.type = EV_RECV_RESET};
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
