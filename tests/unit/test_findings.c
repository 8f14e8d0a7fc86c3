// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The monitor's findings from parsed /proc snapshots: the same text the
 * kernel writes in /proc/net/snmp, netstat and softnet_stat, two of them an
 * interval apart, a sysctl or two, a socket table. A finding is about now:
 * a counter that rose in the interval, or the state now; a counter's total
 * alone, however large, is never one.
 */
#include <stdlib.h>
#include <sys/socket.h>
#include <string.h>
#include "monitor/findings.h"
#include "test.h"

struct snap {
	uint64_t out_segs, retrans_segs, active_opens, listen_overflows, softnet_dropped;
	uint64_t tw_overflow;
};

static void parse_snap(struct sample *s, const struct snap *v, uint64_t t_ns)
{
	char snmp[256], netstat[128], softnet[128];

	snprintf(snmp, sizeof(snmp),
		 "Tcp: RtoAlgorithm ActiveOpens OutSegs RetransSegs\n"
		 "Tcp: 1 %llu %llu %llu\n",
		 (unsigned long long)v->active_opens, (unsigned long long)v->out_segs,
		 (unsigned long long)v->retrans_segs);
	snprintf(
	    netstat, sizeof(netstat),
	    "TcpExt: ListenOverflows ListenDrops TCPTimeWaitOverflow\nTcpExt: %llu %llu %llu\n",
	    (unsigned long long)v->listen_overflows, (unsigned long long)v->listen_overflows,
	    (unsigned long long)v->tw_overflow);
	snprintf(softnet, sizeof(softnet), "00000010 %08llx 00000000\n",
		 (unsigned long long)v->softnet_dropped);
	memset(s, 0, sizeof(*s));
	procfs_parse_snmp(snmp, strlen(snmp), &s->ctr);
	procfs_parse_snmp(netstat, strlen(netstat), &s->ctr);
	procfs_parse_softnet(softnet, strlen(softnet), &s->softnet);
	s->t_ns = t_ns;
}

static void sysctl(struct report *r, enum sysctl_id id, uint64_t a, uint64_t b, int n)
{
	r->sys[id].ok = true;
	r->sys[id].n = n;
	r->sys[id].v[0] = a;
	r->sys[id].v[1] = b;
	snprintf(r->sys[id].text, sizeof(r->sys[id].text), n == 2 ? "%llu %llu" : "%llu",
		 (unsigned long long)a, (unsigned long long)b);
}

/* Two snapshots a second apart, tw sockets in TIME-WAIT of max_tw allowed. */
static struct report *report_tw(const struct snap *a, const struct snap *b, uint64_t tw,
				uint64_t max_tw)
{
	struct report *r = calloc(1, sizeof(*r));

	if (!r)
		return NULL;
	parse_snap(&r->a, a, 0);
	parse_snap(&r->b, b, 1000000000);
	r->rates = true;
	r->interval_s = 1.0;
	sysctl(r, SC_PORT_RANGE, 32768, 60999, 2);
	sysctl(r, SC_KA_TIME, 300, 0, 1);
	sysctl(r, SC_MAX_TW, max_tw, 0, 1);
	r->all_states[TCP_STATE_TIME_WAIT] = tw;
	findings__run(r);
	return r;
}

static struct report *report_of(const struct snap *a, const struct snap *b)
{
	return report_tw(a, b, 0, 262144);
}

static void report_free(struct report *r)
{
	counters_free(&r->a.ctr);
	counters_free(&r->b.ctr);
	sock_table_free(&r->socks);
	free(r);
}

static const struct finding *find(const struct report *r, const char *id)
{
	int i;

	for (i = 0; i < r->nfindings; i++)
		if (!strcmp(r->findings[i].id, id))
			return &r->findings[i];
	return NULL;
}

TEST(findings_quiet_snapshot_has_none)
{
	struct snap a = { 10000, 10, 100, 0, 0, 0 }, b = { 11000, 12, 150, 0, 0, 0 };
	struct report *r = report_of(&a, &b);

	if (!ASSERT_TRUE(r != NULL, "report"))
		return;
	ASSERT_EQ(r->nfindings, 0, "findings");
	report_free(r);
}

TEST(findings_retransmit_ratio_now_not_overall)
{
	/* +60 of +1000 segments in the interval: 6% now. */
	struct snap a = { 1000, 0, 0, 0, 0, 0 }, b = { 2000, 60, 0, 0, 0, 0 };
	/* Quiet now (+0), but 5% since the namespace began. */
	struct snap c = { 10000, 500, 0, 0, 0, 0 }, d = { 10000, 500, 0, 0, 0, 0 };
	struct report *r = report_of(&a, &b), *q = report_of(&c, &d);
	const struct finding *f;

	if (!ASSERT_TRUE(r && q, "reports"))
		goto out;
	f = find(r, "retransmit-ratio");
	if (ASSERT_TRUE(f != NULL, "ratio now")) {
		ASSERT_STREQ(f->severity, "warn", "severity now");
		ASSERT_TRUE(strstr(f->evidence, "+60/+1000 = 6.0%") != NULL, "evidence now");
	}
	ASSERT_TRUE(find(q, "retransmit-ratio") == NULL, "5% overall, quiet now: none");
out:
	if (r)
		report_free(r);
	if (q)
		report_free(q);
}

TEST(findings_counter_rising_warns_and_old_one_is_none)
{
	struct snap a = { 0, 0, 0, 5, 0, 0 }, b = { 0, 0, 0, 9, 0, 0 }, c = { 0, 0, 0, 9, 0, 0 };
	struct report *r = report_of(&a, &b), *q = report_of(&c, &c);
	const struct finding *f;

	if (!ASSERT_TRUE(r && q, "reports"))
		goto out;
	f = find(r, "listen-overflow");
	if (ASSERT_TRUE(f != NULL, "rising")) {
		ASSERT_STREQ(f->severity, "warn", "rising: warn");
		ASSERT_TRUE(strstr(f->evidence,
				   "TcpExtListenOverflows +4 in 1.0s (4.0/s; 9 in all)") != NULL,
			    "the rise, its rate, the total");
	}
	ASSERT_TRUE(find(q, "listen-overflow") == NULL, "only before: none");
out:
	if (r)
		report_free(r);
	if (q)
		report_free(q);
}

TEST(findings_port_range_from_the_connection_rate)
{
	/* 500 connects/s hold 30000 ports in TIME_WAIT: more than 28232. */
	struct snap a = { 0, 0, 1000, 0, 0, 0 }, b = { 0, 0, 1500, 0, 0, 0 };
	/* 300/s: 18000, over half the range: info. */
	struct snap c = { 0, 0, 1000, 0, 0, 0 }, d = { 0, 0, 1300, 0, 0, 0 };
	struct report *r = report_of(&a, &b), *q = report_of(&c, &d);
	const struct finding *f;

	if (!ASSERT_TRUE(r && q, "reports"))
		goto out;
	f = find(r, "port-range");
	if (ASSERT_TRUE(f != NULL, "port range, 500/s"))
		ASSERT_STREQ(f->severity, "warn", "500/s");
	f = find(q, "port-range");
	if (ASSERT_TRUE(f != NULL, "port range, 300/s")) {
		ASSERT_STREQ(f->severity, "info", "300/s");
		ASSERT_TRUE(strstr(f->evidence, "needs ~18000") != NULL, "evidence");
	}
out:
	if (r)
		report_free(r);
	if (q)
		report_free(q);
}

TEST(findings_softnet_drops)
{
	struct snap a = { 0, 0, 0, 0, 3, 0 }, b = { 0, 0, 0, 0, 7, 0 };
	struct report *r = report_of(&a, &b);
	const struct finding *f;

	if (!ASSERT_TRUE(r != NULL, "report"))
		return;
	f = find(r, "softnet-drops");
	if (ASSERT_TRUE(f != NULL, "drops")) {
		ASSERT_STREQ(f->severity, "warn", "rising");
		ASSERT_TRUE(strstr(f->evidence, "dropped +4 in 1.0s (7 in all)") != NULL,
			    "evidence");
	}
	report_free(r);
}

TEST(findings_softnet_drops_only_before_are_none)
{
	struct snap a = { 0, 0, 0, 0, 7, 0 };
	struct report *r = report_of(&a, &a);

	if (!ASSERT_TRUE(r != NULL, "report"))
		return;
	ASSERT_TRUE(find(r, "softnet-drops") == NULL, "7 dropped, none now: none");
	report_free(r);
}

TEST(findings_time_wait_is_about_now)
{
	/* Issue 17: 14625 of 131072 (11%), the overflow's total 619989 and
	 * +0 in the interval: nothing is happening, no finding. */
	struct snap idle = { .tw_overflow = 619989 };
	struct snap a = { .tw_overflow = 619989 }, b = { .tw_overflow = 620001 };
	struct report *r = report_tw(&idle, &idle, 14625, 131072);
	struct report *near = report_tw(&idle, &idle, 120000, 131072);
	struct report *over = report_tw(&a, &b, 14625, 131072);
	const struct finding *f;

	if (!ASSERT_TRUE(r && near && over, "reports"))
		goto out;
	ASSERT_TRUE(find(r, "time-wait-buckets") == NULL, "11%, not rising: none");
	f = find(near, "time-wait-buckets");
	if (ASSERT_TRUE(f != NULL, "92% now")) {
		ASSERT_STREQ(f->severity, "info", "near: info");
		ASSERT_TRUE(
		    strstr(f->evidence, "120000 TIME-WAIT sockets of 131072 allowed (92%)") != NULL,
		    "near: evidence");
	}
	f = find(over, "time-wait-buckets");
	if (ASSERT_TRUE(f != NULL, "overflow rising")) {
		ASSERT_STREQ(f->severity, "warn", "rising: warn");
		ASSERT_TRUE(strstr(f->evidence, "TcpExtTCPTimeWaitOverflow +12 in 1.0s") != NULL,
			    "rising: evidence");
	}
out:
	if (r)
		report_free(r);
	if (near)
		report_free(near);
	if (over)
		report_free(over);
}

/* Two snapshots a second apart of the TcpExt counters in names (one
 * line, space-separated), with values a and b. */
static struct report *report_ext(const char *names, const char *a, const char *b)
{
	struct report *r = calloc(1, sizeof(*r));
	char text[512];

	if (!r)
		return NULL;
	snprintf(text, sizeof(text), "TcpExt: %s\nTcpExt: %s\n", names, a);
	procfs_parse_snmp(text, strlen(text), &r->a.ctr);
	snprintf(text, sizeof(text), "TcpExt: %s\nTcpExt: %s\n", names, b);
	procfs_parse_snmp(text, strlen(text), &r->b.ctr);
	r->b.t_ns = 1000000000;
	r->rates = true;
	r->interval_s = 1.0;
	findings__run(r);
	return r;
}

static int64_t related_rise(const struct finding *f, const char *name)
{
	int i;

	for (i = 0; i < f->nrelated; i++)
		if (!strcmp(f->related[i], name))
			return f->related_rise[i];
	return -2;
}

TEST(findings_listen_overflow_names_the_syn_retransmits)
{
	/* Loopback clients of a full listener: 9 SYNs refused, 6 of them
	 * retransmits (the first SYNs of 3 connections, 2 retries each). */
	struct report *r = report_ext("ListenOverflows ListenDrops TCPSynRetrans TCPReqQFullDrop",
				      "1 1 4 7", "10 10 10 7");
	const struct finding *f;

	if (!ASSERT_TRUE(r != NULL, "report"))
		return;
	f = find(r, "listen-overflow");
	if (ASSERT_TRUE(f != NULL, "listen-overflow")) {
		ASSERT_EQ(related_rise(f, "TcpExtTCPSynRetrans"), 6, "SYN retransmits beside it");
		ASSERT_EQ(related_rise(f, "TcpExtTCPReqQFullDrop"), 0, "not rising: 0");
		ASSERT_EQ(related_rise(f, "TcpExtTCPReqQFullDoCookies"), 0, "absent: 0");
		ASSERT_TRUE(strstr(f->together, "TcpExtTCPSynRetrans +6, TcpExtTCPReqQFullDrop "
						"not rising") != NULL,
			    "together, as text");
		ASSERT_TRUE(f->see && strstr(f->see, "tcp_listen_overflow") &&
				strstr(f->see, "syn_timeout"),
			    "the drop reason, the verdict");
	}
	report_free(r);
}

TEST(findings_no_interval_no_related_rise)
{
	struct report *r = calloc(1, sizeof(*r));
	struct tcp_sock_info s = {
		.family = AF_INET, .state = TCP_STATE_LISTEN, .sport = 80, .rqueue = 2, .wqueue = 1
	};
	const struct finding *f;

	if (!ASSERT_TRUE(r != NULL, "report")) {
		free(r);
		return;
	}
	r->socks.v = &s;
	r->socks.n = 1;
	findings__run(r);
	f = find(r, "accept-queue-full");
	if (ASSERT_TRUE(f != NULL, "a full queue now, without an interval")) {
		ASSERT_EQ(related_rise(f, "TcpExtTCPSynRetrans"), -1, "no interval: unknown");
		ASSERT_TRUE(strstr(f->together, "TcpExtTCPSynRetrans (no interval)") != NULL,
			    "said so");
	}
	r->socks.v = NULL;
	free(r);
}

TEST(findings_receive_drops_by_cause)
{
	struct report *r = report_ext("TCPRcvQDrop TCPOFODrop TCPZeroWindowDrop PruneCalled",
				      "0 5 0 1", "3 5 2 4");
	struct report *q = report_ext("TCPRcvQDrop TCPOFODrop TCPZeroWindowDrop PruneCalled",
				      "3 5 2 4", "3 5 2 4");
	const struct finding *f;

	if (!ASSERT_TRUE(r && q, "reports"))
		goto out;
	f = find(r, "receive-drops");
	if (ASSERT_TRUE(f != NULL, "receive-drops")) {
		ASSERT_TRUE(strstr(f->evidence, "TcpExtTCPRcvQDrop +3") &&
				strstr(f->evidence, "TcpExtTCPZeroWindowDrop +2") &&
				!strstr(f->evidence, "TcpExtTCPOFODrop"),
			    "the rising ones only");
		ASSERT_EQ(related_rise(f, "TcpExtPruneCalled"), 3, "pruning beside it");
		ASSERT_TRUE(strstr(f->see, "proto_mem (TcpExtTCPRcvQDrop") &&
				strstr(f->see, "tcp_zerowindow (TcpExtTCPZeroWindowDrop)"),
			    "each counter with its drop reason");
	}
	ASSERT_TRUE(find(q, "receive-drops") == NULL, "totals only: none");
out:
	if (r)
		report_free(r);
	if (q)
		report_free(q);
}
