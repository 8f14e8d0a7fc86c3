// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "lib/netutil.h"
#include "lib/util.h"
#include "monitor/findings.h"

#define TIME_WAIT_SECS 60 /* TCP_TIMEWAIT_LEN: fixed in the kernel */

const char *sysctl_text(const struct report *r, enum sysctl_id id)
{
	return r->sys[id].ok ? r->sys[id].text : "?";
}

int64_t sample_delta(const struct report *r, const char *name)
{
	return (int64_t)(counters_get(&r->b.ctr, name) - counters_get(&r->a.ctr, name));
}

static struct finding *add_finding(struct report *r, const char *id, const char *severity,
				   const char *what, const char *knob, const char *evfmt, ...)
    __attribute__((format(printf, 6, 7)));

static struct finding *add_finding(struct report *r, const char *id, const char *severity,
				   const char *what, const char *knob, const char *evfmt, ...)
{
	struct finding *f;
	va_list ap;

	if (r->nfindings == MAX_FINDINGS)
		return NULL;
	f = &r->findings[r->nfindings++];
	memset(f, 0, sizeof(*f));
	f->id = id;
	f->severity = severity;
	snprintf(f->what, sizeof(f->what), "%s", what);
	snprintf(f->knob, sizeof(f->knob), "%s", knob);
	va_start(ap, evfmt);
	vsnprintf(f->evidence, sizeof(f->evidence), evfmt, ap);
	va_end(ap);
	return f;
}

/* f's company: the counters names[] (NULL-terminated) with their rise in
 * the interval, and see. */
static void together(const struct report *r, struct finding *f, const char *const *names,
		     const char *see)
{
	size_t len;
	int i;

	if (!f)
		return;
	f->see = see;
	for (i = 0; i < MAX_RELATED && names[i]; i++) {
		int64_t d = r->rates && r->interval_s > 0 ? sample_delta(r, names[i]) : -1;

		f->related[i] = names[i];
		f->related_rise[i] = d;
		len = strlen(f->together);
		if (d > 0)
			snprintf(f->together + len, sizeof(f->together) - len, "%s%s +%" PRId64,
				 len ? ", " : "", names[i], d);
		else
			snprintf(f->together + len, sizeof(f->together) - len, "%s%s %s",
				 len ? ", " : "", names[i], d < 0 ? "(no interval)" : "not rising");
	}
	f->nrelated = i;
}

/* Where the kernel's drop reasons for each cause show. A SYN turned away
 * by a full accept or SYN queue is no drop event: tcp_conn_request()
 * frees it as consumed (measured on 6.18: TcpExtListenOverflows +9, no
 * kfree_skb); only the handshake's last ACK finding the accept queue full
 * is a drop, tcp_listen_overflow on kernels whose enum has it. */
static const char SEE_LISTEN[] =
    "drop reasons: none for SYNs refused by a full queue (the kernel frees them as "
    "consumed); tcp_listen_overflow for a handshake's last ACK (kernels that name it); "
    "the clients retransmit their SYNs (TcpExtTCPSynRetrans on their host) and time out: "
    "per connection, tcpscope stress --trace (verdict syn_timeout, its SYN retransmits) "
    "or tcpscope trace --events retransmit,state --port PORT";
static const char SEE_RETRANS[] =
    "drop reasons of this host's own drops: proto_mem (TcpExtTCPOFODrop, "
    "TcpExtTCPRcvQDrop), tcp_zerowindow (TcpExtTCPZeroWindowDrop), socket_backlog "
    "(TcpExtTCPBacklogDrop), tcp_csum (TcpInCsumErrors), netfilter_drop (no TCP counter: "
    "the rule's own); per reason, tcpscope trace --events drop; per connection, beside "
    "its retransmitted segments, tcpscope stress --trace";
static const char SEE_SOFTNET[] =
    "drop reason cpu_backlog (kernels that name it); per reason, tcpscope trace --events "
    "drop (TCP segments only)";
static const char SEE_RCV[] =
    "drop reasons: proto_mem (TcpExtTCPRcvQDrop, TcpExtTCPOFODrop: no receive memory), "
    "tcp_zerowindow (TcpExtTCPZeroWindowDrop), socket_backlog (TcpExtTCPBacklogDrop); the "
    "peer retransmits each (its TcpRetransSegs); per reason and connection, tcpscope trace "
    "--events drop, or stress --trace beside each connection's retransmitted segments";

/* A finding is about now: a counter fires only when it rose during the rate
 * interval, never on its total since the namespace was created (no interval,
 * no counter findings). The evidence gives the rise, its rate and the total. */
static struct finding *counter_finding(struct report *r, const char *id, const char *what,
				       const char *knob, const char *const *names, size_t n)
{
	char ev[256] = "";
	bool rising = false;
	size_t i;

	if (!r->rates || r->interval_s <= 0)
		return NULL;
	for (i = 0; i < n; i++) {
		int64_t d = sample_delta(r, names[i]);
		size_t len = strlen(ev);

		if (d <= 0)
			continue;
		rising = true;
		snprintf(ev + len, sizeof(ev) - len,
			 "%s%s +%" PRId64 " in %.1fs (%.1f/s; %" PRIu64 " in all)", len ? ", " : "",
			 names[i], d, r->interval_s, (double)d / r->interval_s,
			 counters_get(&r->b.ctr, names[i]));
	}
	return rising ? add_finding(r, id, "warn", what, knob, "%s", ev) : NULL;
}

static void find_listen_overflow(struct report *r)
{
	static const char *const names[] = { "TcpExtListenOverflows", "TcpExtListenDrops" };
	static const char *const with[] = { "TcpExtTCPSynRetrans", "TcpExtTCPReqQFullDrop",
					    "TcpExtTCPReqQFullDoCookies", NULL };
	char knob[512], full[160] = "", ep[64];
	size_t i, nfull = 0;

	snprintf(knob, sizeof(knob),
		 "the listen() backlog, capped by net.core.somaxconn (%s); "
		 "net.ipv4.tcp_max_syn_backlog (%s); or accept() faster",
		 sysctl_text(r, SC_SOMAXCONN), sysctl_text(r, SC_SYN_BACKLOG));
	together(r,
		 counter_finding(r, "listen-overflow",
				 "accept queues overflowed: SYNs or ACKs dropped", knob, names,
				 ARRAY_SIZE(names)),
		 with, SEE_LISTEN);
	for (i = 0; i < r->socks.n; i++) {
		const struct tcp_sock_info *s = &r->socks.v[i];
		size_t len = strlen(full);

		if (s->state != TCP_STATE_LISTEN || s->rqueue < s->wqueue || s->wqueue == 0)
			continue;
		if (nfull++ < 3) {
			endpoint_format(ep, sizeof(ep), s->family, s->saddr, s->sport);
			snprintf(full + len, sizeof(full) - len, "%s%s (%u/%u)", len ? ", " : "",
				 ep, s->rqueue, s->wqueue);
		}
	}
	if (nfull)
		together(r,
			 add_finding(r, "accept-queue-full", "warn",
				     "listeners with a full accept queue now", knob,
				     "%zu listener(s): %s", nfull, full),
			 with, SEE_LISTEN);
}

static void find_syncookies(struct report *r)
{
	static const char *const names[] = { "TcpExtSyncookiesSent" };
	static const char *const drop_names[] = { "TcpExtTCPReqQFullDrop" };
	static const char *const with[] = { "TcpExtTCPSynRetrans", "TcpExtListenOverflows", NULL };
	char knob[512];

	snprintf(knob, sizeof(knob),
		 "net.ipv4.tcp_max_syn_backlog (%s), the listen() backlog and "
		 "net.core.somaxconn (%s); net.ipv4.tcp_syncookies (%s)",
		 sysctl_text(r, SC_SYN_BACKLOG), sysctl_text(r, SC_SOMAXCONN),
		 sysctl_text(r, SC_SYNCOOKIES));
	counter_finding(r, "syn-cookies", "SYN queue full: SYN cookies sent (options lost)", knob,
			names, ARRAY_SIZE(names));
	/* Without cookies a full SYN queue drops the SYN instead. */
	together(r,
		 counter_finding(r, "syn-drops", "SYN queue full: SYNs dropped (no SYN cookies)",
				 knob, drop_names, ARRAY_SIZE(drop_names)),
		 with, SEE_LISTEN);
}

/* Now: TIME-WAIT sockets at 80% of the limit (info), or the kernel failing
 * to keep them during the interval (warn). */
static void find_time_wait(struct report *r)
{
	uint64_t tw = r->all_states[TCP_STATE_TIME_WAIT], max = r->sys[SC_MAX_TW].v[0];
	uint64_t total = counters_get(&r->b.ctr, "TcpExtTCPTimeWaitOverflow");
	int64_t rise =
	    r->rates && r->interval_s > 0 ? sample_delta(r, "TcpExtTCPTimeWaitOverflow") : 0;
	bool near = r->sys[SC_MAX_TW].ok && tw > 0 && tw * 10 >= max * 8;
	char knob[512], share[64] = "";

	if (!near && rise <= 0)
		return;
	snprintf(knob, sizeof(knob),
		 "net.ipv4.tcp_max_tw_buckets (%s); net.ipv4.tcp_tw_reuse "
		 "(%s); reuse connections",
		 sysctl_text(r, SC_MAX_TW), sysctl_text(r, SC_TW_REUSE));
	if (max)
		snprintf(share, sizeof(share), " (%.0f%%)", 100.0 * (double)tw / (double)max);
	if (rise > 0)
		add_finding(r, "time-wait-buckets", "warn",
			    "TIME_WAIT sockets dropped: over net.ipv4.tcp_max_tw_buckets", knob,
			    "TcpExtTCPTimeWaitOverflow +%" PRId64 " in %.1fs (%.1f/s; %" PRIu64
			    " in all); %" PRIu64 " TIME-WAIT sockets of %" PRIu64 " allowed%s",
			    rise, r->interval_s, (double)rise / r->interval_s, total, tw, max,
			    share);
	else
		add_finding(r, "time-wait-buckets", "info",
			    "TIME_WAIT sockets close to net.ipv4.tcp_max_tw_buckets", knob,
			    "%" PRIu64 " TIME-WAIT sockets of %" PRIu64 " allowed%s; "
			    "TcpExtTCPTimeWaitOverflow not rising",
			    tw, max, share);
}

static void find_port_range(struct report *r)
{
	const struct sysctl_val *pr = &r->sys[SC_PORT_RANGE];
	uint64_t lo, hi, range, used = 0, tw = 0, need = 0;
	double rate = 0;
	char knob[512];
	size_t i;

	if (!pr->ok || pr->n != 2 || pr->v[1] < pr->v[0])
		return;
	lo = pr->v[0];
	hi = pr->v[1];
	range = hi - lo + 1;
	for (i = 0; i < r->socks.n; i++) {
		const struct tcp_sock_info *s = &r->socks.v[i];

		if (s->state == TCP_STATE_LISTEN || s->state == TCP_STATE_CLOSE || s->sport < lo ||
		    s->sport > hi || s->dport == 0)
			continue;
		used++;
		tw += s->state == TCP_STATE_TIME_WAIT;
	}
	if (r->rates && r->interval_s > 0) {
		rate = (double)sample_delta(r, "TcpActiveOpens") / r->interval_s;
		/* Each actively closed connection holds its port for TIME_WAIT. */
		need = (uint64_t)(rate * TIME_WAIT_SECS);
	}
	if (used * 2 < range && need * 2 < range)
		return;
	snprintf(knob, sizeof(knob),
		 "net.ipv4.ip_local_port_range (%s); net.ipv4.tcp_tw_reuse "
		 "(%s); connection reuse (keep-alive, pools)",
		 pr->text, sysctl_text(r, SC_TW_REUSE));
	add_finding(r, "port-range", used >= range * 9 / 10 || need >= range ? "warn" : "info",
		    "ephemeral port range too narrow for the connection rate", knob,
		    "%" PRIu64 " of %" PRIu64 " local ports in use (%" PRIu64 " TIME-WAIT); "
		    "TcpActiveOpens %.1f/s x %ds TIME_WAIT needs ~%" PRIu64 " per destination",
		    used, range, tw, rate, TIME_WAIT_SECS, need);
}

static void find_softnet(struct report *r)
{
	uint64_t dropped = r->b.softnet.dropped, squeeze = r->b.softnet.time_squeeze;
	uint64_t ddrop = dropped - r->a.softnet.dropped, dsq = squeeze - r->a.softnet.time_squeeze;
	static const char *const softnet_with[] = { "TcpExtTCPBacklogDrop", NULL };
	char knob[512];

	if (r->rates && ddrop) {
		snprintf(knob, sizeof(knob), "net.core.netdev_max_backlog (%s)",
			 sysctl_text(r, SC_NETDEV_BACKLOG));
		together(
		    r,
		    add_finding(r, "softnet-drops", "warn",
				"packets dropped: the per-CPU input backlog was full (system-wide)",
				knob,
				"softnet_stat dropped +%" PRIu64 " in %.1fs (%" PRIu64 " in all)",
				ddrop, r->interval_s, dropped),
		    softnet_with, SEE_SOFTNET);
	}
	if (r->rates && dsq)
		add_finding(r, "softnet-squeeze", "info",
			    "softirq ran out of budget with work left (system-wide)",
			    "net.core.netdev_budget, net.core.netdev_budget_usecs",
			    "softnet_stat time_squeeze +%" PRIu64 " in %.1fs (%" PRIu64 " in all)",
			    dsq, r->interval_s, squeeze);
}

static void find_retrans(struct report *r)
{
	int64_t dout = r->rates ? sample_delta(r, "TcpOutSegs") : 0;
	int64_t dre = r->rates ? sample_delta(r, "TcpRetransSegs") : 0;
	static const char *const with[] = { "TcpExtTCPTimeouts",
					    "TcpExtTCPLossProbes",
					    "TcpExtTCPSynRetrans",
					    "TcpExtTCPOFODrop",
					    "TcpExtTCPRcvQDrop",
					    "TcpExtTCPZeroWindowDrop",
					    NULL };
	char knob[512];

	snprintf(knob, sizeof(knob),
		 "the path (loss, queueing: see the top retransmitters); "
		 "net.ipv4.tcp_congestion_control (%s)",
		 sysctl_text(r, SC_CC));
	/* 2%: well above what a healthy path shows; enough segments to mean
	 * it. Over the interval only: a lifetime ratio says nothing of now. */
	if (dout >= 100 && dre * 50 > dout)
		together(r,
			 add_finding(r, "retransmit-ratio", "warn", "high retransmit ratio now",
				     knob,
				     "TcpRetransSegs/TcpOutSegs +%" PRId64 "/+%" PRId64
				     " = %.1f%% in %.1fs",
				     dre, dout, 100.0 * (double)dre / (double)dout, r->interval_s),
			 with, SEE_RETRANS);
}

/* This host dropped TCP segments it received, counted by cause. */
static void find_receive_drops(struct report *r)
{
	static const char *const names[] = { "TcpExtTCPRcvQDrop", "TcpExtTCPOFODrop",
					     "TcpExtTCPZeroWindowDrop", "TcpExtTCPBacklogDrop" };
	static const char *const with[] = { "TcpExtPruneCalled", "TcpExtRcvPruned",
					    "TcpExtTCPRcvCollapsed", NULL };
	char knob[512];

	snprintf(knob, sizeof(knob),
		 "net.ipv4.tcp_rmem (%s), SO_RCVBUF; the application "
		 "reading faster",
		 sysctl_text(r, SC_RMEM));
	together(r,
		 counter_finding(r, "receive-drops",
				 "received segments dropped: receive memory or backlog full", knob,
				 names, ARRAY_SIZE(names)),
		 with, SEE_RCV);
}

static bool is_loopback(const struct tcp_sock_info *s)
{
	static const uint8_t v6_lo[16] = { [15] = 1 };

	if (s->family == AF_INET)
		return s->daddr[0] == 127;
	return !memcmp(s->daddr, v6_lo, 16);
}

static void find_keepalive(struct report *r)
{
	const struct sysctl_val *t = &r->sys[SC_KA_TIME];
	uint64_t estab = 0;
	uint32_t idle = 0, d;
	size_t i;

	/* Typical NAT and load-balancer idle timeouts are 60 s to 350 s;
	 * loopback connections cross neither, so they do not count. */
	if (!t->ok || t->v[0] <= 600)
		return;
	for (i = 0; i < r->socks.n; i++) {
		const struct tcp_sock_info *s = &r->socks.v[i];

		if (s->state != TCP_STATE_ESTABLISHED || is_loopback(s))
			continue;
		estab++;
		d = s->last_data_recv_ms < s->last_data_sent_ms ? s->last_data_recv_ms
								: s->last_data_sent_ms;
		if (s->has_info && d > idle)
			idle = d;
	}
	if (!estab)
		return;
	add_finding(r, "keepalive-long", "info",
		    "keepalive starts long after typical idle timeouts (60-350 s)",
		    "net.ipv4.tcp_keepalive_time, _intvl, _probes; or TCP_KEEPIDLE per socket",
		    "tcp_keepalive_time %" PRIu64 " s (intvl %s s, probes %s); %" PRIu64
		    " non-loopback ESTAB sockets, the longest idle for %.0f s",
		    t->v[0], sysctl_text(r, SC_KA_INTVL), sysctl_text(r, SC_KA_PROBES), estab,
		    idle / 1000.0);
}

void findings__run(struct report *r)
{
	find_listen_overflow(r);
	find_syncookies(r);
	find_time_wait(r);
	find_port_range(r);
	find_softnet(r);
	find_retrans(r);
	find_receive_drops(r);
	find_keepalive(r);
}
