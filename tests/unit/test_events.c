// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include "correlate/conntab.h"
#include "tracer/events.h"
#include "tracer/reasons.h"
#include "test.h"

TEST(state_names_match_kernel)
{
	/* include/net/tcp_states.h numbering */
	ASSERT_STREQ(tcp_state_name(1), "ESTABLISHED", "1");
	ASSERT_STREQ(tcp_state_name(2), "SYN_SENT", "2");
	ASSERT_STREQ(tcp_state_name(3), "SYN_RECV", "3");
	ASSERT_STREQ(tcp_state_name(6), "TIME_WAIT", "6");
	ASSERT_STREQ(tcp_state_name(7), "CLOSE", "7");
	ASSERT_STREQ(tcp_state_name(10), "LISTEN", "10");
	ASSERT_STREQ(tcp_state_name(12), "NEW_SYN_RECV", "12");
	ASSERT_STREQ(tcp_state_name(0), "UNKNOWN", "0");
	ASSERT_STREQ(tcp_state_name(200), "UNKNOWN", "200");
	ASSERT_STREQ(tcp_ca_state_name(3), "Recovery", "ca 3");
	ASSERT_STREQ(tcp_ca_state_name(4), "Loss", "ca 4");
	ASSERT_STREQ(tcp_ca_state_name(9), "unknown", "ca 9");
}

TEST(retransmit_classification)
{
	ASSERT_STREQ(retrans_kind_name(retrans_classify(1, 3, 0, 0)), "fast", "Recovery");
	ASSERT_STREQ(retrans_kind_name(retrans_classify(1, 4, 0, 0)), "rto", "Loss");
	ASSERT_STREQ(retrans_kind_name(retrans_classify(2, 4, 0, 0)), "syn", "SYN_SENT in Loss");
	ASSERT_STREQ(retrans_kind_name(retrans_classify(3, 0, 0, 0)), "syn", "SYN_RECV");
	ASSERT_STREQ(retrans_kind_name(retrans_classify(1, 4, 0, -113)), "failed", "err first");
	ASSERT_STREQ(retrans_kind_name(retrans_classify(1, 0, 5, 0)), "tlp", "Open, loss probe");
	ASSERT_STREQ(retrans_kind_name(retrans_classify(1, 2, 5, 0)), "tlp", "CWR, loss probe");
	ASSERT_STREQ(retrans_kind_name(retrans_classify(1, 4, 5, 0)), "rto", "Loss beats pending");
	ASSERT_STREQ(retrans_kind_name(retrans_classify(1, 3, 5, 0)), "fast", "Recovery too");
	ASSERT_STREQ(retrans_kind_name(retrans_classify(1, 1, 5, 0)), "other", "Disorder: no TLP");
	ASSERT_STREQ(retrans_kind_name(retrans_classify(1, 0, 1, 0)), "other", "Open, RTO timer");
	ASSERT_STREQ(retrans_kind_name(retrans_classify(4, 1, 0, 0)), "other", "Disorder");
}

TEST(drop_names)
{
	char buf[32];
	unsigned int m;

	reason_name_format(buf, sizeof(buf), "SKB_DROP_REASON_NETFILTER_DROP", "SKB_DROP_REASON_");
	ASSERT_STREQ(buf, "netfilter_drop", "prefix off, lower case");
	reason_name_format(buf, sizeof(buf), "SKB_CONSUMED", "SKB_DROP_REASON_");
	ASSERT_STREQ(buf, "skb_consumed", "no prefix: whole name");
	reason_name_format(buf, 5, "SKB_DROP_REASON_TCP_CSUM", "SKB_DROP_REASON_");
	ASSERT_STREQ(buf, "tcp_", "truncated");
	tcp_flags_format(buf, sizeof(buf), 0x12);
	ASSERT_STREQ(buf, "SA", "SYN-ACK");
	tcp_flags_format(buf, sizeof(buf), 0x19);
	ASSERT_STREQ(buf, "FPA", "FIN PSH ACK");
	tcp_flags_format(buf, sizeof(buf), 0);
	ASSERT_STREQ(buf, "", "none");
	ASSERT_EQ(ev_mask_parse("drop", &m, buf, sizeof(buf)), 0, "drop");
	ASSERT_EQ(m, EVMASK(EV_DROP), "drop mask");
	ASSERT_STREQ(ev_type_name(EV_DROP), "drop", "type name");
}

TEST(event_mask_parsing)
{
	unsigned int m;
	char bad[32];

	ASSERT_EQ(ev_mask_parse("retransmit,state", &m, bad, sizeof(bad)), 0, "two types");
	ASSERT_EQ(m, EVMASK(EV_RETRANSMIT) | EVMASK(EV_STATE), "mask");
	ASSERT_EQ(ev_mask_parse("reset", &m, bad, sizeof(bad)), 0, "reset");
	ASSERT_EQ(m, EVMASK(EV_SEND_RESET) | EVMASK(EV_RECV_RESET), "reset mask");
	ASSERT_EQ(ev_mask_parse("all", &m, bad, sizeof(bad)), 0, "all");
	ASSERT_EQ(m, (1u << EV_TYPE_MAX) - 1, "all mask");
	ASSERT_EQ(ev_mask_parse("state,bogus", &m, bad, sizeof(bad)), -EINVAL, "bogus");
	ASSERT_STREQ(bad, "bogus", "names the bad word");
	ASSERT_EQ(ev_mask_parse(",", &m, bad, sizeof(bad)), -EINVAL, "empty list");
	ASSERT_EQ(ev_mask_parse("", &m, bad, sizeof(bad)), -EINVAL, "empty");
}

static struct event sample_event(int type)
{
	struct event e = { .ts_ns = 123456789,
			   .cookie = 42,
			   .netns = 4026531840u,
			   .sport = 41000,
			   .dport = 80,
			   .family = 4 };

	e.type = (__u8)type;
	inet_pton(AF_INET, "10.0.0.1", e.saddr);
	inet_pton(AF_INET, "10.0.0.2", e.daddr);
	return e;
}

static char *render(const struct event *e, int json)
{
	static char buf[1024];
	FILE *f = fmemopen(buf, sizeof(buf), "w");

	if (json)
		event_print_json(f, e, NULL);
	else
		event_print_text(f, e, 0);
	fclose(f);
	return buf;
}

TEST(json_retransmit_contract)
{
	struct event e = sample_event(EV_RETRANSMIT);

	e.retrans.tcp_state = 1;
	e.retrans.ca_state = 4;
	e.retrans.kind = RK_RTO;
	e.retrans.segs = 3;
	e.retrans.total_retrans = 7;
	e.retrans.icsk_retransmits = 2;
	ASSERT_STREQ(render(&e, 1),
		     "{\"type\":\"retransmit\",\"ts_ns\":123456789,\"cookie\":42,"
		     "\"netns\":4026531840,\"family\":4,\"saddr\":\"10.0.0.1\",\"sport\":41000,"
		     "\"daddr\":\"10.0.0.2\",\"dport\":80,\"pid\":0,\"comm\":\"\",\"cgroup\":\"\","
		     "\"cgroup_id\":0,\"state\":\"ESTABLISHED\","
		     "\"ca_state\":\"Loss\",\"kind\":\"rto\",\"err\":0,\"segs\":3,"
		     "\"total_retrans\":7,\"retransmits\":2}\n",
		     "retransmit JSON");
}

TEST(json_state_and_v6)
{
	struct event e = sample_event(EV_STATE);

	e.family = 6;
	inet_pton(AF_INET6, "fd00::1", e.saddr);
	inet_pton(AF_INET6, "::1", e.daddr);
	e.state.oldstate = 2;
	e.state.newstate = 1;
	ASSERT_STREQ(render(&e, 1),
		     "{\"type\":\"state\",\"ts_ns\":123456789,\"cookie\":42,"
		     "\"netns\":4026531840,\"family\":6,\"saddr\":\"fd00::1\",\"sport\":41000,"
		     "\"daddr\":\"::1\",\"dport\":80,\"pid\":0,\"comm\":\"\",\"cgroup\":\"\","
		     "\"cgroup_id\":0,\"old\":\"SYN_SENT\",\"new\":\"ESTABLISHED\"}\n",
		     "state JSON");
}

TEST(text_lines_fit_100_columns)
{
	struct event e = sample_event(EV_PROBE);
	char *line;

	/* A busy flow with five-digit ports: still one line under 100. */
	e.probe.srtt_us = 250000;
	e.probe.snd_cwnd = 9999;
	e.probe.ssthresh = 0x7fffffff;
	e.probe.inflight = 999999;
	e.probe.data_len = 65535;
	inet_pton(AF_INET, "10.231.100.1", e.saddr);
	inet_pton(AF_INET, "10.231.100.2", e.daddr);
	e.sport = 41234;
	e.dport = 5301;
	line = render(&e, 0);
	ASSERT_TRUE(strlen(line) <= 101, "probe line under 100 columns");
	ASSERT_TRUE(strstr(line, "PROBE 10.231.100.1:41234 > 10.231.100.2:5301 rtt=250ms "
				 "cwnd=9999 ssth=inf infl=976K\n") != NULL,
		    "probe fields, humanised");
	ASSERT_TRUE(strstr(line, "ssth=inf") != NULL, "infinite ssthresh named");
	e = sample_event(EV_STATE);
	e.family = 6;
	inet_pton(AF_INET6, "fd00::1", e.saddr);
	inet_pton(AF_INET6, "fd00::2", e.daddr);
	e.state.oldstate = 1;
	e.state.newstate = 4;
	line = render(&e, 0);
	ASSERT_TRUE(strstr(line, "[fd00::1]:41000 > [fd00::2]:80 ESTABLISHED -> FIN_WAIT1") != NULL,
		    "v6 endpoints in brackets");
}

TEST(conntab_keys_by_cookie_and_grows)
{
	struct conntab t;
	struct event e = sample_event(EV_RETRANSMIT);
	struct conn *c;
	uint64_t i;

	ASSERT_EQ(conntab__init(&t, 0), 0, "init");
	for (i = 1; i <= 5000; i++) {
		e.cookie = i;
		c = conntab__get(&t, &e);
		if (!ASSERT_TRUE(c != NULL, "insert"))
			break;
		c->retrans_segs = (uint32_t)i;
	}
	ASSERT_EQ(t.used, 5000, "entries");
	/* Same 4-tuple, different cookies: distinct connections. */
	c = conntab__find(&t, 4321);
	ASSERT_TRUE(c && c->retrans_segs == 4321, "found by cookie after growth");
	e.cookie = 0;
	ASSERT_TRUE(conntab__get(&t, &e) == NULL, "cookie 0 refused");
	conntab__free(&t);
	ASSERT_EQ(conntab__init(&t, 2), 0, "init limited");
	for (i = 1; i <= 3; i++) {
		e.cookie = i;
		conntab__get(&t, &e);
	}
	ASSERT_EQ(t.used, 2, "limit holds");
	ASSERT_EQ(t.dropped, 1, "refusal counted");
	conntab__free(&t);
}

/* Removal keeps every other connection findable (the entries after a hole
 * move back into it), reuses the removed places, and the limit counts the
 * connections held, not those ever seen. */
TEST(conntab_removes_and_reuses)
{
	struct conntab t;
	struct event e = sample_event(EV_RETRANSMIT);
	struct conn *c;
	uint64_t i, bad = 0;

	ASSERT_EQ(conntab__init(&t, 3000), 0, "init");
	for (i = 1; i <= 3000; i++) {
		e.cookie = i * 7919; /* spread over the index, and colliding */
		c = conntab__get(&t, &e);
		if (!ASSERT_TRUE(c != NULL, "insert"))
			break;
		c->retrans_segs = (uint32_t)i;
	}
	for (i = 1; i <= 3000; i += 3) /* a third, scattered */
		conntab__remove(&t, conntab__find(&t, i * 7919));
	ASSERT_EQ(t.used, 2000, "held after removal");
	for (i = 1; i <= 3000; i++) {
		c = conntab__find(&t, i * 7919);
		if (i % 3 == 1 ? c != NULL : !c || c->retrans_segs != i)
			bad++;
	}
	ASSERT_EQ(bad, 0, "the removed gone, every other found with its data");
	for (i = 1; i <= 1000; i++) { /* room again for as many */
		e.cookie = 100000000 + i;
		if (!conntab__get(&t, &e))
			bad++;
	}
	ASSERT_EQ(bad, 0, "the limit counts what is held");
	ASSERT_EQ(t.dropped, 0, "nothing refused");
	ASSERT_EQ(t.placed, 3000, "removed places reused, no new ones");
	e.cookie = 200000000;
	ASSERT_TRUE(conntab__get(&t, &e) == NULL, "full again");
	ASSERT_EQ(t.dropped, 1, "refusal counted");
	{
		size_t n = 0;
		struct conn **v = conntab__sorted(&t, conn__by_cookie, &n);

		ASSERT_EQ(n, 3000, "sorted lists the held only");
		free(v);
	}
	conntab__free(&t);
}

/* addr_format's own IPv4 digits against glibc's inet_ntop(), every octet
 * value in every position, and a buffer too small for the text. */
TEST(ipv4_text_matches_inet_ntop)
{
	uint8_t a[16] = { 0 };
	char got[INET6_ADDRSTRLEN], want[INET6_ADDRSTRLEN];
	int pos, v;

	for (pos = 0; pos < 4; pos++) {
		for (v = 0; v < 256; v++) {
			a[0] = 10;
			a[1] = 231;
			a[2] = 7;
			a[3] = 255;
			a[pos] = (uint8_t)v;
			addr_format(got, sizeof(got), 4, a);
			inet_ntop(AF_INET, a, want, sizeof(want));
			ASSERT_STREQ(got, want, "ipv4 text");
			if (test_failed)
				return;
		}
	}
	a[0] = 192;
	a[1] = 168;
	a[2] = 100;
	a[3] = 200;
	addr_format(got, 8, 4, a);
	ASSERT_STREQ(got, "?", "ipv4 text in a short buffer");
}

/* The printers' reset reason names come from what the tracer set, not
 * from libbpf: lower case, prefix already cut, out of range ignored. */
TEST(reset_reason_names_set_by_tracer)
{
	reset_reason_set(2, "NO_SOCKET");
	reset_reason_set(500, "TOO_BIG");
	ASSERT_STREQ(reset_reason_name(2), "no_socket", "set");
	ASSERT_STREQ(reset_reason_name(500), "", "past the table");
	ASSERT_STREQ(reset_reason_name(127), "", "never set");
}

TEST(text_owner_fits)
{
	struct event e = sample_event(EV_STATE);
	char *line, buf[40];

	e.state.oldstate = 2;
	e.state.newstate = 1;
	e.pid = 4242;
	memcpy(e.comm, "nginx", 6);
	line = render(&e, 0);
	ASSERT_TRUE(strstr(line, "SYN_SENT -> ESTABLISHED nginx[4242]\n") != NULL,
		    "comm[pid] ends the line");
	/* A comm the process set to anything: printable, shortened to fit,
	 * the pid never cut. */
	memcpy(e.comm, "a\nverylongname!", 16);
	event_owner_text(buf, sizeof(buf), &e, 12);
	ASSERT_STREQ(buf, "a?very[4242]", "shortened comm, whole pid");
	event_owner_text(buf, sizeof(buf), &e, 3);
	ASSERT_STREQ(buf, "[4242]", "no room: the pid alone");
	e.pid = 0;
	event_owner_text(buf, sizeof(buf), &e, 0);
	ASSERT_STREQ(buf, "-", "unknown owner");
	line = render(&e, 0);
	ASSERT_TRUE(strstr(line, "SYN_SENT -> ESTABLISHED\n") != NULL, "no owner shown at pid 0");
}

TEST(json_owner_fields)
{
	struct event e = sample_event(EV_STATE);

	e.pid = 7;
	memcpy(e.comm, "we\"ird\\\xff", 9);
	e.cgroup_id = 0; /* never a cgroup: the path is "" */
	ASSERT_TRUE(strstr(render(&e, 1), ",\"pid\":7,\"comm\":\"we\\\"ird\\\\?\",\"cgroup\":\"\","
					  "\"cgroup_id\":0,") != NULL,
		    "owner members, escaped, ASCII only");
}
