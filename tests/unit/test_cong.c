// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The congestion timeline's intervals (correlate/cong.c) and the cong
 * event's printers. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "correlate/cong.h"
#include "tracer/events.h"
#include "test.h"

enum { OPEN, DISORDER, CWR, RECOVERY, LOSS };

TEST(cong_intervals)
{
	struct cong_tally t;
	struct conn_cong c = {};

	cong_tally__init(&t, true);
	/* Established at 100; Open -> Recovery at 1000: Open lasted 900. */
	ASSERT_EQ(cong__set(&t, &c, 1000, OPEN, RECOVERY, 100), 900, "Open from established");
	ASSERT_EQ(cong__set(&t, &c, 1500, RECOVERY, OPEN, 100), 500, "Recovery");
	ASSERT_EQ(cong__set(&t, &c, 2000, OPEN, LOSS, 100), 500, "second Open");
	/* Another RTO sets Loss again: the same interval. */
	ASSERT_EQ(cong__set(&t, &c, 2600, LOSS, LOSS, 100), 0, "Loss again");
	cong__close(&t, &c, 3000, 100);
	ASSERT_EQ(c.in_ns[LOSS], 1000, "Loss until the close");
	ASSERT_EQ(c.in_ns[OPEN], 1400, "Open summed");
	ASSERT_EQ(c.entered[LOSS], 1, "one Loss interval");
	ASSERT_EQ(t.set_to[LOSS], 2, "two Loss sets");
	ASSERT_EQ(t.in_state_ns[LOSS].count, 1, "one Loss sample");
	ASSERT_EQ(t.in_state_ns[OPEN].count, 2, "two Open samples");
	ASSERT_EQ(t.gaps, 0, "no gap");
	/* After the close (tcp_disconnect sets Open): no interval. */
	ASSERT_EQ(cong__set(&t, &c, 3100, LOSS, OPEN, 100), 0, "after close");
	ASSERT_EQ(t.in_state_ns[LOSS].count, 1, "still one Loss sample");
	ASSERT_TRUE(cong__eventful(&c), "eventful");
}

TEST(cong_gap_cuts_the_interval)
{
	struct cong_tally t;
	struct conn_cong c = {};

	cong_tally__init(&t, true);
	cong__set(&t, &c, 1000, OPEN, DISORDER, 100);
	/* Disorder -> ... -> Open went unreported: this event leaves Open. */
	ASSERT_EQ(cong__set(&t, &c, 5000, OPEN, CWR, 100), 0, "start unknown");
	ASSERT_EQ(t.gaps, 1, "one gap");
	ASSERT_EQ(t.in_state_ns[DISORDER].count, 0, "no Disorder sample");
	ASSERT_EQ(cong__set(&t, &c, 5300, CWR, OPEN, 100), 300, "CWR known again");
	/* A first event that leaves a state never seen is no gap. */
	memset(&c, 0, sizeof(c));
	cong__set(&t, &c, 100, LOSS, OPEN, 0);
	ASSERT_EQ(t.gaps, 1, "first event: no gap");
}

static struct event cong_event(void)
{
	struct event e = { .ts_ns = 123456789,
			   .cookie = 42,
			   .netns = 4026531840u,
			   .sport = 41000,
			   .dport = 80,
			   .family = 4,
			   .type = EV_CONG };

	inet_pton(AF_INET, "10.0.0.1", e.saddr);
	inet_pton(AF_INET, "10.0.0.2", e.daddr);
	e.cong.old_ca = OPEN;
	e.cong.new_ca = LOSS;
	e.cong.tcp_state = 1;
	e.cong.snd_cwnd = 10;
	e.cong.ssthresh = 7;
	e.cong.total_retrans = 3;
	e.cong.icsk_retransmits = 1;
	return e;
}

TEST(cong_event_printers)
{
	struct event e = cong_event();
	char buf[1024];
	unsigned int m;
	FILE *f;

	f = fmemopen(buf, sizeof(buf), "w");
	event_print_json(f, &e, NULL);
	fclose(f);
	ASSERT_STREQ(buf,
		     "{\"type\":\"cong\",\"ts_ns\":123456789,\"cookie\":42,"
		     "\"netns\":4026531840,\"family\":4,\"saddr\":\"10.0.0.1\",\"sport\":41000,"
		     "\"daddr\":\"10.0.0.2\",\"dport\":80,\"pid\":0,\"comm\":\"\",\"cgroup\":\"\","
		     "\"cgroup_id\":0,\"old\":\"Open\",\"new\":\"Loss\",\"state\":\"ESTABLISHED\","
		     "\"snd_cwnd\":10,\"ssthresh\":7,\"total_retrans\":3,\"retransmits\":1}\n",
		     "cong JSON");
	f = fmemopen(buf, sizeof(buf), "w");
	event_print_text(f, &e, 0);
	fclose(f);
	ASSERT_TRUE(strstr(buf, " CONG  10.0.0.1:41000 > 10.0.0.2:80 Open -> Loss ESTABLISHED "
				"cwnd=10 total=3\n") != NULL,
		    "cong text");
	ASSERT_EQ(ev_mask_parse("cong", &m, buf, sizeof(buf)), 0, "--events cong");
	ASSERT_EQ(m, EVMASK(EV_CONG), "cong mask");
	ASSERT_STREQ(ev_type_name(EV_CONG), "cong", "type name");
}
