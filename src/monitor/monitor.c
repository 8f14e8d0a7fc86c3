// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* tcpscope monitor: the TCP stack of one network namespace at a glance,
 * read from /proc and NETLINK_SOCK_DIAG, with findings. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/capability.h>
#include "monitor/monitor.h"
#include "lib/jsonw.h"
#include "lib/netutil.h"
#include "lib/parse.h"
#include "lib/privs.h"
#include "monitor/findings.h"
#include "monitor/procfs.h"
#include "monitor/sockdiag.h"
#include "monitor/sockproc.h"
#include "lib/cgroup.h"
#include "lib/owner_opt.h"
#include "lib/util.h"

#define CMD "monitor"
#define NET "/proc/thread-self/net/"

struct opts {
	bool json, watch;
	uint64_t interval_ns, watch_ns, count;
	int port, state, top;
	const char *netns;
	int netns_fd;		   /* opt_netns(): an fd, or -errno */
	struct owner_filter owner; /* --pid, --cgroup */
};

static const struct {
	const char *name; /* dotted, as sysctl(8) names it */
	bool word;
} sysctl_defs[SC_MAX] = {
	[SC_KA_TIME] = { "net.ipv4.tcp_keepalive_time", false },
	[SC_KA_INTVL] = { "net.ipv4.tcp_keepalive_intvl", false },
	[SC_KA_PROBES] = { "net.ipv4.tcp_keepalive_probes", false },
	[SC_SOMAXCONN] = { "net.core.somaxconn", false },
	[SC_SYN_BACKLOG] = { "net.ipv4.tcp_max_syn_backlog", false },
	[SC_PORT_RANGE] = { "net.ipv4.ip_local_port_range", false },
	[SC_TW_REUSE] = { "net.ipv4.tcp_tw_reuse", false },
	[SC_FIN_TIMEOUT] = { "net.ipv4.tcp_fin_timeout", false },
	[SC_MAX_TW] = { "net.ipv4.tcp_max_tw_buckets", false },
	[SC_SYNCOOKIES] = { "net.ipv4.tcp_syncookies", false },
	[SC_CC] = { "net.ipv4.tcp_congestion_control", true },
	[SC_RMEM] = { "net.ipv4.tcp_rmem", false },
	[SC_WMEM] = { "net.ipv4.tcp_wmem", false },
	[SC_NETDEV_BACKLOG] = { "net.core.netdev_max_backlog", false },
};

/* The counters shown with their rates, in this order. */
static const char *const key_counters[] = {
	"TcpActiveOpens",
	"TcpPassiveOpens",
	"TcpAttemptFails",
	"TcpEstabResets",
	"TcpInSegs",
	"TcpOutSegs",
	"TcpRetransSegs",
	"TcpInErrs",
	"TcpOutRsts",
	"TcpExtListenOverflows",
	"TcpExtListenDrops",
	"TcpExtSyncookiesSent",
	"TcpExtSyncookiesFailed",
	"TcpExtTCPReqQFullDrop",
	"TcpExtTCPTimeouts",
	"TcpExtTCPSynRetrans",
	"TcpExtTCPLostRetransmit",
	"TcpExtTCPAbortOnTimeout",
	"TcpExtTCPTimeWaitOverflow",
	"TcpExtTCPBacklogDrop",
	"TcpExtTW",
	"IpExtInOctets",
	"IpExtOutOctets",
};

static void usage(FILE *f)
{
	fprintf(f,
		"Usage: tcpscope monitor [OPTIONS]\n\n"
		"The TCP stack of this (or a named) network namespace at a glance: socket\n"
		"states, listeners and their accept queues, the top connections by\n"
		"retransmits and by rtt, key counters with rates, the sysctls that shape\n"
		"TCP, and findings, each naming its evidence and the knob that changes it,\n"
		"the counters that go with it and the kernel's drop reasons for it.\n\n"
		"Options:\n"
		"  --interval DUR   rates cover DUR between two reads (default 1s; 0: no rates)\n"
		"  --watch DUR      print counter deltas every DUR, like nstat, until SIGINT\n"
		"  --count N        with --watch: stop after N intervals\n"
		"  --port PORT      only sockets with this local or remote port\n"
		"  --state STATE    only sockets in STATE (ESTAB, LISTEN, TIME-WAIT, ...)\n"
		"  --pid PID        only sockets this process holds, as ss -p finds them\n"
		"                   (repeatable, up to 16)\n"
		"  --cgroup PATH    only sockets of this cgroup v2 or below it (repeatable)\n"
		"  --netns NS       look inside the namespace /run/netns/NS, or a path such\n"
		"                   as /proc/PID/ns/net\n"
		"  --top N          rows in the top-connection tables (default 5)\n"
		"  --json           one JSON object (with --watch: one per interval, a line each)\n"
		"  -h, --help       this help\n\n"
		"Filters apply to the socket table; counters and sysctls are per namespace.\n\n"
		"Examples:\n"
		"  tcpscope monitor\n"
		"  tcpscope monitor --port 443 --state established\n"
		"  tcpscope monitor --netns blue --json | jq .findings\n"
		"  tcpscope monitor --watch 2 --count 10\n\n"
		"Exit status: 0 success, 1 runtime failure (unreadable /proc, netlink),\n"
		"2 usage error (a bad option, or --netns naming no network namespace).\n");
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option longopts[] = {
		{ "interval", required_argument, NULL, 'i' },
		{ "watch", required_argument, NULL, 'w' },
		{ "count", required_argument, NULL, 'c' },
		{ "port", required_argument, NULL, 'p' },
		{ "state", required_argument, NULL, 's' },
		{ "netns", required_argument, NULL, 'n' },
		{ "top", required_argument, NULL, 't' },
		{ "pid", required_argument, NULL, 'P' },
		{ "cgroup", required_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'j' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	bool have_count = false;
	int c;

	*o = (struct opts){ .interval_ns = NSEC_PER_SEC, .port = -1, .state = -1, .top = 5 };
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
		switch (c) {
		case 'i':
			o->interval_ns = opt_interval(CMD, "--interval", optarg, 0);
			break;
		case 'w':
			o->watch_ns = opt_duration(CMD, "--watch", optarg, 10 * NSEC_PER_MSEC);
			o->watch = true;
			break;
		case 'c':
			o->count = opt_count(CMD, "--count", optarg, 1, UINT64_MAX);
			have_count = true;
			break;
		case 'p':
			o->port = opt_port(CMD, "--port", optarg);
			break;
		case 's':
			o->state = tcp_state_parse(optarg);
			if (o->state < 0)
				cli_bad_value(
				    CMD, "--state", optarg, -EINVAL,
				    "a TCP state: ESTAB, LISTEN, TIME-WAIT, SYN-RECV, ...");
			break;
		case 'n':
			if (o->netns && o->netns_fd >= 0)
				close(o->netns_fd);
			o->netns = optarg;
			o->netns_fd = opt_netns(CMD, "--netns", optarg);
			break;
		case 't':
			o->top = (int)opt_count(CMD, "--top", optarg, 0, 1000);
			break;
		case 'P':
			owner_opt_pid(CMD, &o->owner, optarg);
			break;
		case 'C':
			owner_opt_cgroup(CMD, &o->owner, optarg);
			break;
		case 'j':
			o->json = true;
			break;
		case 'h':
			usage(stdout);
			exit(0);
		default:
			cli_bad_option(CMD, c, argv, longopts);
		}
	}
	cli_no_more_args(CMD, argc, argv);
	if (have_count && !o->watch)
		cli_fail(CMD, "--count needs --watch");
}

/* Enter the namespace parse_opts() opened (a missing or wrong one was a
 * usage error there); failing to enter it is a runtime error (exit 1). */
static int enter_netns(const struct opts *o)
{
	if (o->netns_fd < 0) {
		fprintf(stderr, "tcpscope monitor: cannot open the namespace '%s': %s\n", o->netns,
			errno_name(-o->netns_fd));
		return -1;
	}
	if (setns(o->netns_fd, CLONE_NEWNET)) {
		fprintf(stderr, "tcpscope monitor: cannot enter netns '%s': %s (%s)\n", o->netns,
			errno_name(errno), "needs CAP_SYS_ADMIN: run as root");
		close(o->netns_fd);
		return -1;
	}
	close(o->netns_fd);
	return 0;
}

typedef int (*counters_parser)(const char *, size_t, struct counters *);

static int read_into(const char *file, counters_parser parse, struct counters *c, bool optional)
{
	char path[128], *buf;
	size_t len;
	int err;

	snprintf(path, sizeof(path), NET "%s", file);
	err = procfs_read_file(path, &buf, &len);
	if (err == -ENOENT && optional)
		return 0; /* snmp6 and sockstat6 are absent without IPv6 */
	if (err) {
		fprintf(stderr, "tcpscope monitor: cannot read %s: %s\n", path, errno_name(err));
		return err;
	}
	err = parse(buf, len, c);
	free(buf);
	if (err)
		fprintf(stderr, "tcpscope monitor: %s: unexpected content (%s)\n", path,
			errno_name(err));
	return err;
}

static int read_sample(struct sample *s)
{
	char *buf;
	size_t len;
	int err;

	counters_reset(&s->ctr);
	counters_reset(&s->sockstat);
	s->t_ns = now_mono_ns();
	if ((err = read_into("snmp", procfs_parse_snmp, &s->ctr, false)) ||
	    (err = read_into("netstat", procfs_parse_snmp, &s->ctr, false)) ||
	    (err = read_into("snmp6", procfs_parse_snmp6, &s->ctr, true)) ||
	    (err = read_into("sockstat", procfs_parse_sockstat, &s->sockstat, false)) ||
	    (err = read_into("sockstat6", procfs_parse_sockstat, &s->sockstat, true)))
		return err;
	err = procfs_read_file(NET "softnet_stat", &buf, &len);
	if (err) {
		fprintf(stderr, "tcpscope monitor: cannot read " NET "softnet_stat: %s\n",
			errno_name(err));
		return err;
	}
	err = procfs_parse_softnet(buf, len, &s->softnet);
	free(buf);
	if (err)
		fprintf(stderr, "tcpscope monitor: " NET "softnet_stat: unexpected content (%s)\n",
			errno_name(err));
	return err;
}

static void sample_free(struct sample *s)
{
	counters_free(&s->ctr);
	counters_free(&s->sockstat);
}

/* A missing sysctl is not an error: it is shown as absent. */
static void read_sysctls(struct sysctl_val *sys)
{
	char path[128], *buf, *p;
	size_t len;
	int i, j, n;

	for (i = 0; i < SC_MAX; i++) {
		struct sysctl_val *s = &sys[i];

		memset(s, 0, sizeof(*s));
		snprintf(path, sizeof(path), "/proc/sys/%s", sysctl_defs[i].name);
		for (p = path + strlen("/proc/sys/"); *p; p++)
			if (*p == '.')
				*p = '/';
		if (procfs_read_file(path, &buf, &len))
			continue;
		if (sysctl_defs[i].word) {
			s->ok = !procfs_parse_word(buf, len, s->word, sizeof(s->word));
			snprintf(s->text, sizeof(s->text), "%s", s->word);
		} else {
			n = procfs_parse_uints(buf, len, s->v, 3);
			s->ok = n > 0;
			s->n = n > 0 ? n : 0;
			for (j = 0; j < s->n; j++)
				snprintf(s->text + strlen(s->text),
					 sizeof(s->text) - strlen(s->text), "%s%" PRIu64,
					 j ? " " : "", s->v[j]);
		}
		free(buf);
	}
}

static bool pid_matches(const struct owner_filter *f, const struct tcp_sock_info *s)
{
	uint32_t i;
	int j;

	for (i = 0; i < s->npids && i < sizeof(s->pids) / sizeof(s->pids[0]); i++)
		for (j = 0; j < f->npids; j++)
			if (s->pids[i] == f->pids[j])
				return true;
	return false;
}

static bool sock_matches(const struct opts *o, const struct tcp_sock_info *s)
{
	if (o->port >= 0 && s->sport != o->port && s->dport != o->port)
		return false;
	if (o->owner.npids && !pid_matches(&o->owner, s))
		return false;
	if (o->owner.ncgroups && !owner_filter_cgroup_match(&o->owner, s->cgroup_id))
		return false;
	return o->state < 0 || s->state == o->state;
}

/* "nginx[123]", "nginx[123]+2" when more processes hold it, "-" for none. */
static void sock_owner_text(char *buf, size_t len, const struct tcp_sock_info *s)
{
	if (!s->npids)
		snprintf(buf, len, "-");
	else if (s->npids == 1)
		snprintf(buf, len, "%s[%u]", s->comm, s->pids[0]);
	else
		snprintf(buf, len, "%s[%u]+%u", s->comm, s->pids[0], s->npids - 1);
}

/* An endpoint in at most WIDTH columns: long IPv6 ones keep their tail. */
static const char *fit(const char *s, size_t width, char *buf, size_t buflen)
{
	size_t n = strlen(s);

	if (n <= width || width < 2)
		return s;
	snprintf(buf, buflen, "~%s", s + n - (width - 1));
	return buf;
}

static void count_states(struct report *r)
{
	size_t i;

	for (i = 0; i < r->socks.n; i++) {
		const struct tcp_sock_info *s = &r->socks.v[i];

		r->all_states[s->state]++;
		if (sock_matches(r->o, s))
			r->states[s->state]++;
	}
}

static int read_sockets(struct report *r)
{
	int err = sockdiag_dump(AF_INET, &r->socks);

	if (!err)
		err = sockdiag_dump(AF_INET6, &r->socks);
	/* A kernel without IPv6 answers AF_INET6 dumps with ENOENT. */
	if (err == -ENOENT)
		err = 0;
	if (!err && sockproc_fill(&r->socks, "/proc"))
		fprintf(stderr, "tcpscope monitor: cannot read /proc: sockets show no process\n");
	if (err)
		fprintf(stderr, "tcpscope monitor: NETLINK_SOCK_DIAG dump failed: %s\n",
			errno_name(err));
	return err;
}

/* Sorted selections of the socket table for the top tables. */
static int cmp_retrans(const void *a, const void *b)
{
	const struct tcp_sock_info *x = *(const struct tcp_sock_info *const *)a;
	const struct tcp_sock_info *y = *(const struct tcp_sock_info *const *)b;

	return x->total_retrans < y->total_retrans   ? 1
	       : x->total_retrans > y->total_retrans ? -1
						     : 0;
}

static int cmp_rtt(const void *a, const void *b)
{
	const struct tcp_sock_info *x = *(const struct tcp_sock_info *const *)a;
	const struct tcp_sock_info *y = *(const struct tcp_sock_info *const *)b;

	return x->rtt_us < y->rtt_us ? 1 : x->rtt_us > y->rtt_us ? -1 : 0;
}

static size_t top_of(const struct report *r, bool by_rtt, const struct tcp_sock_info **out)
{
	size_t i, n = 0;

	for (i = 0; i < r->socks.n; i++) {
		const struct tcp_sock_info *s = &r->socks.v[i];

		if (!s->has_info || s->state == TCP_STATE_LISTEN || !sock_matches(r->o, s))
			continue;
		if (by_rtt ? s->rtt_us == 0 : s->total_retrans == 0)
			continue;
		out[n++] = s;
	}
	qsort(out, n, sizeof(*out), by_rtt ? cmp_rtt : cmp_retrans);
	return n < (size_t)r->o->top ? n : (size_t)r->o->top;
}

static void time_now(char *buf, size_t len)
{
	time_t t = time(NULL);
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(buf, len, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* ---- text output ---- */

static void text_states(const struct report *r)
{
	static const int order[] = { 1, 10, 6, 2, 3, 4, 5, 8, 9, 11, 7 };
	uint64_t total = 0;
	int col = 0;
	size_t i;

	for (i = 0; i < TCP_NSTATES; i++)
		total += r->states[i];
	printf("States   %" PRIu64 " TCP sockets (IPv4+IPv6, as ss -tan counts them)\n", total);
	for (i = 0; i < ARRAY_SIZE(order); i++) {
		if (col == 0)
			printf("        ");
		printf(" %-10s %6" PRIu64, tcp_state_ss_name((unsigned)order[i]),
		       r->states[order[i]]);
		if (++col == 4 || i + 1 == ARRAY_SIZE(order)) {
			printf("\n");
			col = 0;
		}
	}
	printf("Sockstat TCP inuse %" PRIu64 " orphan %" PRIu64 " tw %" PRIu64 " alloc %" PRIu64
	       " mem %" PRIu64 " pages; TCP6 inuse %" PRIu64 "\n",
	       counters_get(&r->b.sockstat, "TCP_inuse"),
	       counters_get(&r->b.sockstat, "TCP_orphan"), counters_get(&r->b.sockstat, "TCP_tw"),
	       counters_get(&r->b.sockstat, "TCP_alloc"), counters_get(&r->b.sockstat, "TCP_mem"),
	       counters_get(&r->b.sockstat, "TCP6_inuse"));
}

static void text_listeners(const struct report *r)
{
	char ep[64], fitbuf[64];
	size_t i, n = 0;

	printf("\nListeners (accept queue now / backlog limit)\n");
	for (i = 0; i < r->socks.n; i++) {
		const struct tcp_sock_info *s = &r->socks.v[i];

		if (s->state != TCP_STATE_LISTEN || !sock_matches(r->o, s))
			continue;
		if (!n++)
			printf("  %-46s %10s %10s\n", "LOCAL", "QUEUE", "BACKLOG");
		endpoint_format(ep, sizeof(ep), s->family, s->saddr, s->sport);
		printf("  %-46s %10u %10u%s\n", fit(ep, 46, fitbuf, sizeof(fitbuf)), s->rqueue,
		       s->wqueue, s->rqueue >= s->wqueue && s->wqueue ? "  FULL" : "");
	}
	if (!n)
		printf("  (none)\n");
}

static void text_top(const struct report *r, bool by_rtt)
{
	const struct tcp_sock_info **v = calloc(r->socks.n + 1, sizeof(*v));
	char l[64], p[64], lb[64], pb[64], own[48];
	size_t i, n;

	printf("\nTop by %s\n", by_rtt ? "rtt" : "retransmits");
	if (!v)
		return;
	n = top_of(r, by_rtt, v);
	if (n)
		printf("  %-21s %-21s %-10s %7s %9s %6s %s\n", "LOCAL", "PEER", "STATE", "RETRANS",
		       "RTT ms", "CWND", "PROCESS");
	for (i = 0; i < n; i++) {
		endpoint_format(l, sizeof(l), v[i]->family, v[i]->saddr, v[i]->sport);
		endpoint_format(p, sizeof(p), v[i]->family, v[i]->daddr, v[i]->dport);
		sock_owner_text(own, sizeof(own), v[i]);
		printf("  %-21s %-21s %-10s %7u %9.3f %6u %.20s\n", fit(l, 21, lb, sizeof(lb)),
		       fit(p, 21, pb, sizeof(pb)), tcp_state_ss_name(v[i]->state),
		       v[i]->total_retrans, v[i]->rtt_us / 1000.0, v[i]->snd_cwnd, own);
	}
	if (!n)
		printf("  (none)\n");
	free(v);
}

static void text_counters(const struct report *r)
{
	size_t i, col = 0;

	if (r->rates)
		printf("\nCounters: totals, and per second over the last %.2f s\n", r->interval_s);
	else
		printf("\nCounters: totals (no rates with --interval 0)\n");
	for (i = 0; i < ARRAY_SIZE(key_counters); i++) {
		const char *name = key_counters[i];

		if (!counters_has(&r->b.ctr, name))
			continue;
		printf("%s  %-25s %11" PRIu64, col % 2 ? " " : "", name,
		       counters_get(&r->b.ctr, name));
		if (r->rates)
			printf(" %9.1f", (double)sample_delta(r, name) / r->interval_s);
		else
			printf(" %9s", "");
		if (col++ % 2)
			printf("\n");
	}
	printf("%s  %-25s %11" PRIu64 " %9s   %-25s %11" PRIu64 "\n", col % 2 ? "\n" : "",
	       "softnet dropped (all ns)", r->b.softnet.dropped, "", "softnet time_squeeze",
	       r->b.softnet.time_squeeze);
}

/* name=value pairs packed into lines of at most 98 columns. */
static void text_sysctls(const struct report *r)
{
	char item[128];
	int i, col = 0, n;

	printf("\nSysctls");
	for (i = 0; i < SC_MAX; i++) {
		n = snprintf(item, sizeof(item), "%s=%s", sysctl_defs[i].name,
			     r->sys[i].ok ? r->sys[i].text : "(absent)");
		if (col == 0 || col + 3 + n > 98) {
			printf("\n ");
			col = 1;
		}
		printf("  %s", item);
		col += 2 + n;
	}
	printf("\n");
}

/* Wrap TEXT at 96 columns, continuation lines indented by INDENT. */
static void print_wrapped(const char *first, const char *text, int indent)
{
	const char *p = text;
	int width = 96 - (int)strlen(first);

	if (width < 40)
		width = 40; /* a long first part: go over rather than loop */

	printf("%s", first);
	while (*p) {
		int n = (int)strlen(p), cut = n;

		if (n > width) {
			for (cut = width; cut > 0 && p[cut] != ' '; cut--)
				;
			if (cut == 0)
				cut = width;
		}
		printf("%.*s\n", cut, p);
		p += cut;
		while (*p == ' ')
			p++;
		if (*p)
			printf("%*s", indent, "");
		width = 96 - indent;
	}
}

static void text_findings(const struct report *r)
{
	char first[48];
	int i;

	printf("\nFindings\n");
	for (i = 0; i < r->nfindings; i++) {
		const struct finding *f = &r->findings[i];

		snprintf(first, sizeof(first), "  [%s] %s: ", f->severity, f->id);
		print_wrapped(first, f->what, 8);
		print_wrapped("      evidence: ", f->evidence, 16);
		print_wrapped("      knob: ", f->knob, 12);
		if (f->nrelated)
			print_wrapped("      with: ", f->together, 12);
		if (f->see)
			print_wrapped("      see: ", f->see, 11);
	}
	if (!r->nfindings)
		printf("  none: nothing in the counters, sockets or sysctls looks wrong\n");
}

static void print_text(const struct report *r)
{
	const struct opts *o = r->o;

	printf("tcpscope monitor  %s  netns %s", r->when, o->netns ? o->netns : "(own)");
	if (o->port >= 0)
		printf("  port %d", o->port);
	if (o->state >= 0)
		printf("  state %s", tcp_state_ss_name((unsigned)o->state));
	printf("\n");
	text_states(r);
	text_listeners(r);
	text_top(r, false);
	text_top(r, true);
	text_counters(r);
	text_sysctls(r);
	text_findings(r);
}

/* ---- JSON output ---- */

/* "related": counter -> its rise in the interval (null without one);
 * "see": where the drop reasons and the per-connection view are. */
static void json_related(struct jw *w, const struct finding *f)
{
	int i;

	if (!f->nrelated && !f->see)
		return;
	jw_obj_open(w, "related");
	for (i = 0; i < f->nrelated; i++)
		if (f->related_rise[i] < 0)
			jw_null(w, f->related[i]);
		else
			jw_i64(w, f->related[i], f->related_rise[i]);
	jw_obj_close(w);
	if (f->see)
		jw_str(w, "see", f->see);
}

/* As trace's events name them: "pid" (the lowest of its processes, 0 for
 * none), "comm", "pids" (all, up to 4), "cgroup", "cgroup_id". */
static void json_sock_owner(struct jw *w, const struct tcp_sock_info *s)
{
	uint32_t i;

	jw_u64(w, "pid", s->npids ? s->pids[0] : 0);
	jw_str(w, "comm", s->npids ? s->comm : "");
	jw_arr_open(w, "pids");
	for (i = 0; i < s->npids && i < sizeof(s->pids) / sizeof(s->pids[0]); i++)
		jw_u64(w, NULL, s->pids[i]);
	jw_arr_close(w);
	jw_u64(w, "processes", s->npids);
	jw_str(w, "cgroup", cgroup_path(s->cgroup_id));
	jw_u64(w, "cgroup_id", s->cgroup_id);
}

static void json_sock(struct jw *w, const struct tcp_sock_info *s)
{
	char ep[64];

	jw_obj_open(w, NULL);
	endpoint_format(ep, sizeof(ep), s->family, s->saddr, s->sport);
	jw_str(w, "local", ep);
	endpoint_format(ep, sizeof(ep), s->family, s->daddr, s->dport);
	jw_str(w, "peer", ep);
	jw_str(w, "state", tcp_state_name(s->state));
	jw_u64(w, "total_retrans", s->total_retrans);
	jw_u64(w, "retrans", s->retrans);
	jw_u64(w, "lost", s->lost);
	jw_u64(w, "rtt_us", s->rtt_us);
	jw_u64(w, "rttvar_us", s->rttvar_us);
	jw_u64(w, "snd_cwnd", s->snd_cwnd);
	jw_u64(w, "unacked", s->unacked);
	jw_u64(w, "bytes_sent", s->bytes_sent);
	jw_u64(w, "bytes_retrans", s->bytes_retrans);
	json_sock_owner(w, s);
	jw_obj_close(w);
}

static void json_top(struct jw *w, const struct report *r, bool by_rtt)
{
	const struct tcp_sock_info **v = calloc(r->socks.n + 1, sizeof(*v));
	size_t i, n = v ? top_of(r, by_rtt, v) : 0;

	jw_arr_open(w, by_rtt ? "top_rtt" : "top_retrans");
	for (i = 0; i < n; i++)
		json_sock(w, v[i]);
	jw_arr_close(w);
	free(v);
}

static void json_counters(struct jw *w, const char *key, const struct counters *c)
{
	size_t i;

	jw_obj_open(w, key);
	for (i = 0; i < c->n; i++)
		jw_u64(w, c->v[i].name, c->v[i].val);
	jw_obj_close(w);
}

static void json_sysctls(struct jw *w, const struct report *r)
{
	int i, j;

	jw_obj_open(w, "sysctl");
	for (i = 0; i < SC_MAX; i++) {
		const struct sysctl_val *s = &r->sys[i];

		if (!s->ok) {
			jw_null(w, sysctl_defs[i].name);
		} else if (sysctl_defs[i].word) {
			jw_str(w, sysctl_defs[i].name, s->word);
		} else if (s->n == 1) {
			jw_u64(w, sysctl_defs[i].name, s->v[0]);
		} else {
			jw_arr_open(w, sysctl_defs[i].name);
			for (j = 0; j < s->n; j++)
				jw_u64(w, NULL, s->v[j]);
			jw_arr_close(w);
		}
	}
	jw_obj_close(w);
}

static void print_json(const struct report *r)
{
	const struct opts *o = r->o;
	struct jw w;
	size_t i;
	int st;

	jw_init(&w, stdout);
	jw_obj_open(&w, NULL);
	jw_str(&w, "time", r->when);
	if (o->netns)
		jw_str(&w, "netns", o->netns);
	else
		jw_null(&w, "netns");
	if (r->rates)
		jw_double(&w, "interval_s", r->interval_s);
	else
		jw_null(&w, "interval_s");
	jw_obj_open(&w, "filters");
	if (o->port >= 0)
		jw_u64(&w, "port", (uint64_t)o->port);
	if (o->state >= 0)
		jw_str(&w, "state", tcp_state_name((unsigned)o->state));
	jw_obj_close(&w);
	jw_obj_open(&w, "states");
	for (st = 1; st <= TCP_STATE_CLOSING; st++)
		jw_u64(&w, tcp_state_name((unsigned)st), r->states[st]);
	jw_obj_close(&w);
	json_counters(&w, "sockstat", &r->b.sockstat);
	jw_arr_open(&w, "listeners");
	for (i = 0; i < r->socks.n; i++) {
		const struct tcp_sock_info *s = &r->socks.v[i];
		char ep[64], addr[INET6_ADDRSTRLEN];

		if (s->state != TCP_STATE_LISTEN || !sock_matches(o, s))
			continue;
		jw_obj_open(&w, NULL);
		endpoint_format(ep, sizeof(ep), s->family, s->saddr, s->sport);
		jw_str(&w, "local", ep);
		addr_format(addr, sizeof(addr), s->family, s->saddr);
		jw_str(&w, "addr", addr);
		jw_u64(&w, "port", s->sport);
		jw_u64(&w, "accept_queue", s->rqueue);
		jw_u64(&w, "backlog", s->wqueue);
		jw_obj_close(&w);
	}
	jw_arr_close(&w);
	json_top(&w, r, false);
	json_top(&w, r, true);
	json_counters(&w, "counters", &r->b.ctr);
	jw_obj_open(&w, "rates");
	for (i = 0; r->rates && i < ARRAY_SIZE(key_counters); i++)
		if (counters_has(&r->b.ctr, key_counters[i]))
			jw_double(&w, key_counters[i],
				  (double)sample_delta(r, key_counters[i]) / r->interval_s);
	jw_obj_close(&w);
	jw_obj_open(&w, "softnet");
	jw_u64(&w, "processed", r->b.softnet.processed);
	jw_u64(&w, "dropped", r->b.softnet.dropped);
	jw_u64(&w, "time_squeeze", r->b.softnet.time_squeeze);
	jw_u64(&w, "cpus", r->b.softnet.cpus);
	jw_obj_close(&w);
	json_sysctls(&w, r);
	jw_arr_open(&w, "findings");
	for (i = 0; i < (size_t)r->nfindings; i++) {
		const struct finding *f = &r->findings[i];

		jw_obj_open(&w, NULL);
		jw_str(&w, "id", f->id);
		jw_str(&w, "severity", f->severity);
		jw_str(&w, "what", f->what);
		jw_str(&w, "evidence", f->evidence);
		jw_str(&w, "knob", f->knob);
		json_related(&w, f);
		jw_obj_close(&w);
	}
	jw_arr_close(&w);
	jw_obj_close(&w);
	putchar('\n');
}

/* Sleep up to NS; a signal (SIGINT) cuts it short. */
static void nap(uint64_t ns)
{
	struct timespec ts = { .tv_sec = (time_t)(ns / NSEC_PER_SEC),
			       .tv_nsec = (long)(ns % NSEC_PER_SEC) };

	while (!exiting && nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static int snapshot(const struct opts *o)
{
	struct report *r = calloc(1, sizeof(*r));
	int err;

	if (!r)
		return 1;
	r->o = o;
	err = o->interval_ns ? read_sample(&r->a) : 0;
	if (!err && o->interval_ns) {
		nap(o->interval_ns);
		err = read_sample(&r->b);
		r->rates = true;
		r->interval_s = (double)(r->b.t_ns - r->a.t_ns) / 1e9;
	} else if (!err) {
		/* No rates: b is a copy of a, so every delta is 0. */
		err = read_sample(&r->b);
		r->a.softnet = r->b.softnet;
		counters_reset(&r->a.ctr);
		for (size_t i = 0; !err && i < r->b.ctr.n; i++)
			err = counters_add(&r->a.ctr, r->b.ctr.v[i].name,
					   strlen(r->b.ctr.v[i].name), r->b.ctr.v[i].val);
	}
	if (!err)
		err = read_sockets(r);
	if (!err) {
		read_sysctls(r->sys);
		count_states(r);
		findings__run(r);
		time_now(r->when, sizeof(r->when));
		if (o->json)
			print_json(r);
		else
			print_text(r);
	}
	sample_free(&r->a);
	sample_free(&r->b);
	sock_table_free(&r->socks);
	free(r);
	return err ? 1 : 0;
}

static void print_deltas(const struct opts *o, const struct sample *prev, const struct sample *cur)
{
	double secs = (double)(cur->t_ns - prev->t_ns) / 1e9;
	char when[32];
	struct jw w;
	size_t i;

	time_now(when, sizeof(when));
	if (o->json) {
		jw_init(&w, stdout);
		jw_obj_open(&w, NULL);
		jw_str(&w, "time", when);
		jw_double(&w, "interval_s", secs);
		jw_obj_open(&w, "deltas");
	} else {
		printf("--- %s  deltas over %.2f s%s\n", when, secs,
		       exiting ? " (interrupted)" : "");
	}
	for (i = 0; i < cur->ctr.n; i++) {
		const struct counter *c = &cur->ctr.v[i];
		int64_t d = (int64_t)(c->val - counters_get(&prev->ctr, c->name));

		if (!d)
			continue;
		if (o->json)
			jw_i64(&w, c->name, d);
		else
			printf("  %-44s %14" PRId64 " %12.1f/s\n", c->name, d,
			       secs > 0 ? (double)d / secs : 0);
	}
	if (o->json) {
		jw_obj_close(&w);
		jw_obj_open(&w, "softnet");
		jw_u64(&w, "dropped", cur->softnet.dropped - prev->softnet.dropped);
		jw_u64(&w, "time_squeeze", cur->softnet.time_squeeze - prev->softnet.time_squeeze);
		jw_obj_close(&w);
		jw_bool(&w, "interrupted", exiting != 0);
		jw_obj_close(&w);
		putchar('\n');
	} else {
		uint64_t dd = cur->softnet.dropped - prev->softnet.dropped;
		uint64_t ds = cur->softnet.time_squeeze - prev->softnet.time_squeeze;

		if (dd || ds)
			printf("  softnet dropped %" PRIu64 ", time_squeeze %" PRIu64 "\n", dd, ds);
	}
}

static int watch(const struct opts *o)
{
	struct sample s[2] = { 0 };
	uint64_t n = 0;
	int cur = 0, err;

	err = read_sample(&s[cur]);
	if (!o->json && !err)
		printf("tcpscope monitor --watch: counter deltas every %.2f s (netns %s); "
		       "Ctrl-C stops\n",
		       (double)o->watch_ns / 1e9, o->netns ? o->netns : "(own)");
	while (!err) {
		nap(o->watch_ns);
		err = read_sample(&s[!cur]);
		if (err)
			break;
		print_deltas(o, &s[cur], &s[!cur]);
		cur = !cur;
		if (exiting || (o->count && ++n >= o->count))
			break;
	}
	sample_free(&s[0]);
	sample_free(&s[1]);
	return err ? 1 : 0;
}

int cmd_monitor(int argc, char **argv)
{
	struct opts o;
	const char *msg = "";
	int err;

	parse_opts(argc, argv, &o);
	if (o.netns && enter_netns(&o))
		return 1;
	err = install_signal_handlers();
	if (err) {
		fprintf(stderr, "tcpscope monitor: sigaction: %s\n", errno_name(err));
		return 1;
	}
	/* Inside the namespace: sock_diag needs nothing more. Which process
	 * holds a socket (its /proc/PID/fd links, as ss -p reads them) needs
	 * read access to other processes' fd tables: CAP_DAC_READ_SEARCH to
	 * list them, CAP_SYS_PTRACE to read a link of a process with more
	 * capabilities than we keep. Both read-only; nothing else stays. */
	err = privs_drop(PRIVS_CAP(CAP_SYS_PTRACE) | PRIVS_CAP(CAP_DAC_READ_SEARCH), &msg);
	if (err) {
		fprintf(stderr, "tcpscope monitor: dropping privileges: %s: %s\n", msg,
			errno_name(-err));
		return 1;
	}
	return o.watch ? watch(&o) : snapshot(&o);
}
