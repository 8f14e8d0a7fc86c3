// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* tcpscope stress: the command line and the report of a run. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netdb.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/capability.h>
#include "cli/commands.h"
#include "correlate/correlate.h"
#include "lib/jsonw.h"
#include "lib/parse.h"
#include "report/report.h"
#include "tracer/owner.h"
#include "lib/privs.h"
#include "load/server.h"
#include "load/stress.h"
#include "lib/tcpinfo.h"
#include "lib/util.h"

static void hist_json_us(struct jw *w, const char *key, const struct hist *h, double div)
{
	jw_obj_open(w, key);
	jw_u64(w, "count", h->count);
	jw_double(w, "p50", (double)hist__quantile(h, 0.5) / div);
	jw_double(w, "p90", (double)hist__quantile(h, 0.9) / div);
	jw_double(w, "p99", (double)hist__quantile(h, 0.99) / div);
	jw_double(w, "p999", (double)hist__quantile(h, 0.999) / div);
	jw_double(w, "max", h->count ? (double)h->max / div : 0.0);
	jw_double(w, "mean", hist__mean(h) / div);
	jw_obj_close(w);
}

static void hist_text(FILE *f, const char *name, const struct hist *h, double div, const char *unit)
{
	fprintf(f,
		"%-13s n %" PRIu64 "  p50 %.1f  p90 %.1f  p99 %.1f  p99.9 %.1f  max %.1f"
		"  mean %.1f %s\n",
		name, h->count, (double)hist__quantile(h, 0.5) / div,
		(double)hist__quantile(h, 0.9) / div, (double)hist__quantile(h, 0.99) / div,
		(double)hist__quantile(h, 0.999) / div, h->count ? (double)h->max / div : 0.0,
		hist__mean(h) / div, unit);
}

static const char *close_name(int kind)
{
	return kind == CLOSE_RST ? "rst" : "fin";
}

/* Once per run, however many attempts it cost. */
static void emfile_hint(FILE *f, const struct stress_result *r)
{
	if (r->errors.n[EMFILE])
		fprintf(f,
			"hint: EMFILE: %" PRIu64 " connections found no free descriptor"
			" (RLIMIT_NOFILE %ld); raise the hard limit (ulimit -Hn, systemd"
			" LimitNOFILE=, /etc/security/limits.conf) or lower -c\n",
			r->errors.n[EMFILE], r->nofile);
}

/* The address of a source, without the port (always 0). */
static const char *source_addr(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void *a = ss->ss_family == AF_INET6
			    ? (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr
			    : (const void *)&((const struct sockaddr_in *)ss)->sin_addr;

	if (!inet_ntop(ss->ss_family, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

/* Which sources, why, and how many sockets each one had. */
static void sources_text(FILE *f, const struct stress_result *r)
{
	static const char *const why[] = {
		[SOURCES_GIVEN] = "--source",
		[SOURCES_COUNT] = "loopback, for -c",
		[SOURCES_RATE] = "loopback FIN churn, for the rate (TIME_WAIT)",
		[SOURCES_WORKERS] = "one per worker, to its own listener",
	};
	char abuf[INET6_ADDRSTRLEN], item[INET6_ADDRSTRLEN + 24];
	int i, col = 99;

	if (!r->nsources)
		return;
	fprintf(f, "%-13s %d (%s), sockets bound to each:", "sources", r->nsources,
		r->source_plan > 0 && r->source_plan < (int)ARRAY_SIZE(why) ? why[r->source_plan]
									    : "?");
	for (i = 0; i < r->nsources; i++) {
		int n = snprintf(item, sizeof(item), "%s %" PRIu64,
				 source_addr(&r->sources[i], abuf, sizeof(abuf)),
				 r->source_attempts[i]);

		if (col + 2 + n > 96) {
			fprintf(f, "\n%13s", "");
			col = 13;
		}
		fprintf(f, "  %s", item);
		col += 2 + n;
	}
	fprintf(f, "\n");
}

static const char *response_name(const struct stress_opts *o, char *buf, size_t len)
{
	if (o->framing.kind == RESP_BYTES)
		snprintf(buf, len, "bytes:%" PRIu64, o->framing.bytes);
	else
		snprintf(buf, len, "%s", resp_kind_name(o->framing.kind));
	return buf;
}

/* "truncated 3, bad_status_line 1", or "0". */
static void resp_errors_text(FILE *f, const struct stress_counts *c)
{
	const char *sep = "";
	int i;

	if (!stress_counts__resp_errors(c))
		fprintf(f, "0");
	for (i = 1; i < RERR_MAX; i++) {
		if (!c->resp_errors[i])
			continue;
		fprintf(f, "%s%s %" PRIu64, sep, resp_err_name(i), c->resp_errors[i]);
		sep = ", ";
	}
}

static void responses_text(FILE *f, const struct stress_opts *o, const struct stress_result *r)
{
	if (!o->request)
		return;
	fprintf(f, "%-13s ", "responses");
	if (o->framing.kind == RESP_HTTP)
		fprintf(f,
			"1xx %" PRIu64 "  2xx %" PRIu64 "  3xx %" PRIu64 "  4xx %" PRIu64
			"  5xx %" PRIu64 "  ",
			r->c.http_status[1], r->c.http_status[2], r->c.http_status[3],
			r->c.http_status[4], r->c.http_status[5]);
	fprintf(f, "reopened %" PRIu64 "  errors ", r->c.reopened);
	resp_errors_text(f, &r->c);
	fprintf(f, "\n");
}

static const char *cut_reason(const struct stress_result *r)
{
	if (r->interrupted)
		return "signal";
	return r->hit_duration ? "duration" : NULL;
}

/* What the end of the run cut, and why. */
static void cut_text(FILE *f, const struct stress_opts *o, const struct stress_result *r)
{
	const char *why = cut_reason(r);

	if (!r->c.cut_short && !r->c.cut_connecting)
		return;
	fprintf(f, "%-13s %" PRIu64 " transactions, %" PRIu64 " connects in flight", "cut short",
		r->c.cut_short, r->c.cut_connecting);
	if (why && !strcmp(why, "duration"))
		fprintf(f, " at the --duration bound (%.3f s)\n", (double)o->duration_ns / 1e9);
	else if (why)
		fprintf(f, " when SIGINT/SIGTERM stopped the run\n");
	else
		fprintf(f, " at the end of the run\n");
}

static void responses_json(struct jw *w, const struct stress_opts *o, const struct stress_result *r)
{
	char buf[32];
	int i;

	jw_u64(w, "cut_connecting", r->c.cut_connecting);
	if (cut_reason(r))
		jw_str(w, "cut_reason", cut_reason(r));
	else
		jw_null(w, "cut_reason");
	if (o->request) {
		jw_u64(w, "request_bytes", o->request_len);
		jw_str(w, "response", response_name(o, buf, sizeof(buf)));
	} else {
		jw_null(w, "request_bytes");
		jw_null(w, "response");
	}
	jw_obj_open(w, "http_status");
	for (i = 1; i <= 5; i++) {
		snprintf(buf, sizeof(buf), "%dxx", i);
		jw_u64(w, buf, r->c.http_status[i]);
	}
	jw_obj_close(w);
	jw_obj_open(w, "response_errors");
	jw_u64(w, "total", stress_counts__resp_errors(&r->c));
	for (i = 1; i < RERR_MAX; i++)
		jw_u64(w, resp_err_name(i), r->c.resp_errors[i]);
	jw_obj_close(w);
	jw_u64(w, "reopened", r->c.reopened);
}

void stress_result__print_text(const struct stress_opts *o, const struct stress_result *r, FILE *f)
{
	char sobuf[160];

	sockopts__describe(&o->so, sobuf, sizeof(sobuf));
	fprintf(f, "stress %s -> %s%s%s%s: %d process%s x %d threads, nofile %ld, sources %d\n",
		stress_mode_name(o->mode), r->target, o->has_target ? "" : " (built-in server ",
		o->has_target ? "" : server_mode_name(o->server_mode), o->has_target ? "" : ")",
		r->procs, r->procs > 1 ? "es" : "", r->threads, r->nofile, r->nsources);
	if (!o->has_target)
		fprintf(f, "%-13s accepted %" PRIu64 "\n", "server", r->server_accepted);
	sources_text(f, r);
	fprintf(f, "%-13s %s, close %s\n", "sockopts", sobuf, close_name(o->close_kind));
	if (o->request)
		fprintf(f, "%-13s %zu bytes, response %s\n", "request", o->request_len,
			response_name(o, sobuf, sizeof(sobuf)));
	fprintf(f,
		"%-13s attempted %" PRIu64 "  established %" PRIu64 "  failed %" PRIu64
		"  closed %" PRIu64 "  peer_closed %" PRIu64 "\n",
		"connections", r->c.attempted, r->c.established, r->c.failed, r->c.closed,
		r->c.peer_closed);
	fprintf(f, "%-13s ", "errors");
	errcount__text(&r->errors, f);
	fprintf(f, "\n");
	if (o->rate)
		fprintf(f, "%-13s target %" PRIu64 "/s  achieved %.1f/s over %.3f s\n", "rate",
			o->rate, r->rate_achieved, (double)r->launch_ns / 1e9);
	else
		fprintf(f, "%-13s target max  achieved %.1f/s over %.3f s\n", "rate",
			r->rate_achieved, (double)r->launch_ns / 1e9);
	hist_text(f, "connect", &r->connect_ns, 1e3, "us");
	if (r->rr_ns.count)
		hist_text(f, "transaction", &r->rr_ns, 1e3, "us");
	fprintf(f,
		"%-13s sent %" PRIu64 "  received %" PRIu64 "  transactions %" PRIu64
		"  cut_short %" PRIu64 "  verify_errors %" PRIu64 "\n",
		"bytes", r->c.bytes_sent, r->c.bytes_received, r->c.transactions, r->c.cut_short,
		r->c.verify_errors);
	responses_text(f, o, r);
	cut_text(f, o, r);
	fprintf(f,
		"%-13s polls %" PRIu64 "  poll_errors %" PRIu64 "  total_retrans %" PRIu64
		"  conns_with_retrans %" PRIu64 "  max_retrans %" PRIu64 "\n",
		"tcp_info", r->ti.polls, r->ti.poll_errors, r->ti.total_retrans,
		r->ti.conns_with_retrans, r->ti.max_retrans);
	hist_text(f, "  rtt", &r->ti.rtt_us, 1, "us");
	hist_text(f, "  last rtt", &r->ti.last_rtt_us, 1, "us");
	hist_text(f, "  last cwnd", &r->ti.last_cwnd, 1, "segs");
	fprintf(f, "%-13s %.3f s%s\n", "duration", (double)r->duration_ns / 1e9,
		r->interrupted ? " (interrupted)" : "");
	if (r->hit_addrnotavail)
		fprintf(f,
			"hint: EADDRNOTAVAIL: no local port left toward %s; add source addresses"
			" (--source ADDR,ADDR...), widen net.ipv4.ip_local_port_range, or"
			" lower -c\n",
			r->target);
	emfile_hint(f, r);
}

void stress_result__print_json(const struct stress_opts *o, const struct stress_result *r, FILE *f,
			       void (*extra)(void *ctx, struct jw *w), void *ctx)
{
	struct jw w;
	int i;

	jw_init(&w, f);
	jw_obj_open(&w, NULL);
	jw_str(&w, "mode", stress_mode_name(o->mode));
	jw_str(&w, "target", r->target);
	jw_bool(&w, "builtin_server", !o->has_target);
	if (!o->has_target) {
		jw_obj_open(&w, "server");
		jw_str(&w, "mode", server_mode_name(o->server_mode));
		jw_u64(&w, "accepted", r->server_accepted);
		jw_obj_close(&w);
	}
	jw_u64(&w, "procs", (uint64_t)r->procs);
	jw_u64(&w, "threads", (uint64_t)r->threads);
	jw_i64(&w, "nofile", r->nofile);
	jw_u64(&w, "sources", (uint64_t)r->nsources);
	jw_str(&w, "source_plan", stress_source_plan_name(r->source_plan));
	jw_arr_open(&w, "source_addrs");
	for (i = 0; i < r->nsources; i++) {
		char abuf[INET6_ADDRSTRLEN];

		jw_obj_open(&w, NULL);
		jw_str(&w, "addr", source_addr(&r->sources[i], abuf, sizeof(abuf)));
		jw_u64(&w, "sockets", r->source_attempts[i]);
		jw_obj_close(&w);
	}
	jw_arr_close(&w);
	jw_obj_open(&w, "connections");
	jw_u64(&w, "attempted", r->c.attempted);
	jw_u64(&w, "established", r->c.established);
	jw_u64(&w, "failed", r->c.failed);
	jw_u64(&w, "closed", r->c.closed);
	jw_u64(&w, "peer_closed", r->c.peer_closed);
	jw_u64(&w, "source_switches", r->c.source_switches);
	jw_obj_close(&w);
	errcount__json(&r->errors, &w, "errors");
	hist_json_us(&w, "connect_latency_us", &r->connect_ns, 1e3);
	hist_json_us(&w, "transaction_latency_us", &r->rr_ns, 1e3);
	jw_obj_open(&w, "bytes");
	jw_u64(&w, "sent", r->c.bytes_sent);
	jw_u64(&w, "received", r->c.bytes_received);
	jw_obj_close(&w);
	jw_u64(&w, "transactions", r->c.transactions);
	jw_u64(&w, "verify_errors", r->c.verify_errors);
	jw_u64(&w, "cut_short", r->c.cut_short);
	responses_json(&w, o, r);
	jw_obj_open(&w, "rate");
	if (o->rate)
		jw_u64(&w, "target", o->rate);
	else
		jw_null(&w, "target");
	jw_double(&w, "achieved", r->rate_achieved);
	jw_double(&w, "launch_s", (double)r->launch_ns / 1e9);
	jw_obj_close(&w);
	jw_obj_open(&w, "tcp_info");
	jw_u64(&w, "polls", r->ti.polls);
	jw_u64(&w, "poll_errors", r->ti.poll_errors);
	hist_json_us(&w, "rtt_us", &r->ti.rtt_us, 1);
	hist_json_us(&w, "last_rtt_us", &r->ti.last_rtt_us, 1);
	hist_json_us(&w, "last_cwnd", &r->ti.last_cwnd, 1);
	jw_u64(&w, "total_retrans", r->ti.total_retrans);
	jw_u64(&w, "conns_with_retrans", r->ti.conns_with_retrans);
	jw_u64(&w, "max_retrans", r->ti.max_retrans);
	jw_obj_close(&w);
	jw_bool(&w, "interrupted", r->interrupted);
	jw_double(&w, "duration_s", (double)r->duration_ns / 1e9);
	if (extra)
		extra(ctx, &w);
	jw_obj_close(&w);
	fputc('\n', f);
}

static void conn_addr_text(const struct conn_addr *a, char *buf, size_t len)
{
	char host[INET6_ADDRSTRLEN] = "-";

	if (a->family)
		inet_ntop(a->family == 6 ? AF_INET6 : AF_INET, a->addr, host, sizeof(host));
	snprintf(buf, len, a->family == 6 ? "[%s]:%u" : "%s:%u", host, a->port);
}

static const char *close_kind_name(int kind)
{
	static const char *const names[] = { "none", "fin", "rst", "peer", "error" };

	return kind >= 0 && kind < (int)ARRAY_SIZE(names) ? names[kind] : "?";
}

/* One --records line. Traced (--trace): the kernel's view of the
 * connection too, from corr (its verdict, drops and retransmitted
 * segments), or "verdict":null without it. */
static void record_write(FILE *f, const struct conn_record *r, bool traced, struct correlator *corr)
{
	char buf[FMT_ADDR_LEN];
	struct jw w;

	jw_init(&w, f);
	jw_obj_open(&w, NULL);
	jw_u64(&w, "cookie", r->cookie);
	conn_addr_text(&r->local, buf, sizeof(buf));
	if (r->local.family)
		jw_str(&w, "local", buf);
	else
		jw_null(&w, "local");
	conn_addr_text(&r->remote, buf, sizeof(buf));
	jw_str(&w, "remote", buf);
	jw_u64(&w, "t_connect_ns", r->t_connect_ns);
	jw_u64(&w, "t_established_ns", r->t_established_ns);
	jw_u64(&w, "t_close_ns", r->t_close_ns);
	jw_str(&w, "close", close_kind_name(r->close_kind));
	if (r->err)
		jw_str(&w, "error", errno_name(r->err));
	else
		jw_null(&w, "error");
	if (r->last_info.valid) {
		jw_obj_open(&w, "tcp_info");
		jw_str(&w, "state", tcp_state_name(r->last_info.state));
		jw_u64(&w, "total_retrans", r->last_info.total_retrans);
		jw_u64(&w, "rtt_us", r->last_info.rtt_us);
		jw_u64(&w, "rttvar_us", r->last_info.rttvar_us);
		jw_u64(&w, "snd_cwnd", r->last_info.snd_cwnd);
		jw_obj_close(&w);
	}
	if (corr)
		correlator__record_json(corr, r->cookie, &w);
	else if (traced)
		jw_null(&w, "verdict");
	jw_obj_close(&w);
	fputc('\n', f);
}

/* --records: one JSON line per connection, through the hook API (worker
 * threads call it concurrently; the FILE lock keeps lines whole). */
static void record_line(void *ctx, const struct conn_record *r)
{
	FILE *f = ctx;

	flockfile(f);
	record_write(f, r, false, NULL);
	funlockfile(f);
}

/* --records with --trace: a verdict needs the whole timeline, so the
 * records wait in memory (in the order they came) until the trace is
 * joined. A record that finds no memory is written at once, with
 * "verdict":null. */
struct records_later {
	FILE *f;
	pthread_mutex_t lock;
	struct conn_record *v;
	size_t n, cap;
};

static void record_later(void *ctx, const struct conn_record *r)
{
	struct records_later *rl = ctx;
	struct conn_record *v;
	size_t cap;

	pthread_mutex_lock(&rl->lock);
	if (rl->n == rl->cap) {
		cap = rl->cap ? rl->cap * 2 : 1024;
		v = realloc(rl->v, cap * sizeof(*v));
		if (!v) {
			record_write(rl->f, r, true, NULL);
			pthread_mutex_unlock(&rl->lock);
			return;
		}
		rl->v = v;
		rl->cap = cap;
	}
	rl->v[rl->n++] = *r;
	pthread_mutex_unlock(&rl->lock);
}

/* After correlator__stop(): every waiting record, with its verdict. */
static void records_flush(struct records_later *rl, struct correlator *corr)
{
	size_t i;

	for (i = 0; i < rl->n; i++)
		record_write(rl->f, &rl->v[i], true, corr);
	free(rl->v);
	rl->v = NULL;
	rl->n = rl->cap = 0;
}

static void stress_usage(FILE *f)
{
	fprintf(
	    f,
	    "Usage: tcpscope stress [HOST:PORT] [OPTIONS]\n\n"
	    "Open, hold, churn or exercise TCP connections on an epoll loop per worker.\n"
	    "Without HOST:PORT, a built-in server on 127.0.0.1 (ephemeral port) is the\n"
	    "target, in the same run.\n\n"
	    "  --mode MODE            hold (default): open -c connections, hold, close;\n"
	    "                         churn: connect, exchange --size, close, again;\n"
	    "                         rr: request/response of --size on -c connections\n"
	    "  -c, --connections N    hold, rr: connections (default 100)\n"
	    "  --rate R               connection attempts per second (default: max)\n"
	    "  --duration DUR         hold: how long to hold; churn, rr: how long to run,\n"
	    "                         a bound: what is in flight 0.5 s past it is cut\n"
	    "                         short and counted (default 10s)\n"
	    "  -n, --count N          churn: stop after N connections\n"
	    "  --concurrency K        churn: connections alive at most; hold, rr:\n"
	    "                         connects in progress at most (default 512, churn 64)\n"
	    "  --size BYTES           churn, rr: bytes per exchange, echoed and verified\n"
	    "                         (default: churn 0, rr 64)\n"
	    "  --request DATA|@FILE   churn, rr: send these bytes per transaction instead\n"
	    "                         (escapes \\r \\n \\t \\0 \\\\ \\xHH; @FILE: the file as is)\n"
	    "  --response KIND        where a --request's response ends: http (default;\n"
	    "                         Content-Length, chunked or until close; keep-alive\n"
	    "                         and Connection: close honoured), bytes:N, line,\n"
	    "                         until-close\n"
	    "  --close fin|rst        how we close (default fin)\n"
	    "  --source ADDR[,ADDR]   source addresses (IP_BIND_ADDRESS_NO_PORT), used in\n"
	    "                         turn. Without it, on 127.0.0.0/8 targets, 127.0.0.x\n"
	    "                         sources are added as -c needs ports and, in a FIN\n"
	    "                         churn, as the rate does (closed ports wait in\n"
	    "                         TIME_WAIT); --source 127.0.0.1 keeps one\n"
	    "  --server-mode MODE     built-in server: echo, sink, source, close, reset\n"
	    "  --threads N            worker threads per process (default: one per core)\n"
	    "  --procs N              worker processes (default: as the fd limit needs)\n"
	    "  --poll-interval DUR    TCP_INFO of every live connection (default 1s)\n"
	    "  --json                 one JSON object at the end instead of text\n"
	    "  --records FILE         one JSON line per connection (cookie, addresses,\n"
	    "                         times, close, last TCP_INFO); one process only;\n"
	    "                         with --trace, its verdict and drops too, all\n"
	    "                         written when the run ends\n"
	    "  -h, --help             this help\n\n"
	    "Tracing (root; one process only):\n"
	    "  --trace                load the tracer before the first connect and join\n"
	    "                         its events to each of our connections by cookie\n"
	    "  --trace-all            --trace, and keep other sockets' events as foreign\n"
	    "  --timeline FILE        every joined event, per connection, as JSON lines\n"
	    "                         (implies --trace)\n"
	    "  --probe-interval MS    probe events per socket at most every MS (default\n"
	    "                         10; 0: every ACK)\n"
	    "  --ringbuf-size SIZE    the tracer's ring buffer (default 16M)\n"
	    "  --attach MODE          auto, tp_btf or raw_tp\n"
	    "  --pid PID, --cgroup PATH, --comm NAME\n"
	    "                         only sockets of these owners (as tcpscope trace;\n"
	    "                         with --trace-all, foreign sockets too)\n"
	    "  --report FILE.html     at the end, the timeline as an HTML page (implies\n"
	    "                         --trace; see tcpscope report --help)\n"
	    "  --metrics ADDR:PORT    serve Prometheus metrics of the kernel's events on\n"
	    "                         http://ADDR:PORT/metrics while the run lasts\n"
	    "                         (implies --trace)\n"
	    "  -v, --verbose          libbpf's log\n\n" SOCKOPT_HELP "\nExamples:\n"
	    "  tcpscope stress --trace        # the embedded default, traced\n"
	    "  tcpscope stress --mode churn --rate 5000 --duration 5s --trace --timeline t.jsonl\n"
	    "  tcpscope stress -c 1000 --duration 5s\n"
	    "  tcpscope stress --mode churn --rate 2000 --duration 10s --close rst\n"
	    "  tcpscope stress 10.0.0.2:80 --mode rr -c 50 --size 1k --nodelay --json\n"
	    "  tcpscope stress 127.0.0.1:80 --mode rr -c 16 --duration 5s \\\n"
	    "      --request 'GET / HTTP/1.1\\r\\nHost: localhost\\r\\n\\r\\n' --response http\n"
	    "  tcpscope stress -c 30000 --rate 5000 --duration 5s\n"
	    "  tcpscope stress 127.0.0.1:1 --mode churn -n 100   # a closed port\n"
	    "  tcpscope stress --mode churn -n 2000 --trace --report run.html\n"
	    "\nExit status: 0 success, 1 runtime failure (including a --timeline that\n"
	    "could not be written, and a run of transactions none of which completed),\n"
	    "2 usage error.\n");
}

static void parse_sources(struct stress_opts *o, char *list)
{
	char *save = NULL, *tok;
	size_t n = strlen(list);

	/* strtok_r would skip an empty item: "a,,b" or "a," is a typo. */
	if (!n || list[0] == ',' || list[n - 1] == ',' || strstr(list, ",,"))
		cli_bad_value("stress", "--source", list, -EINVAL,
			      "numeric addresses separated by single commas");

	for (tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		char buf[80];
		socklen_t len;
		int err;

		if (o->nsources >= STRESS_MAX_SOURCES)
			cli_fail("stress", "--source: at most %d addresses", STRESS_MAX_SOURCES);
		snprintf(buf, sizeof(buf), strchr(tok, ':') ? "[%s]:0" : "%s:0", tok);
		err = parse_sockaddr(buf, true, &o->sources[o->nsources], &len);
		if (err)
			cli_bad_value("stress", "--source", tok, err,
				      "numeric IPv4 or IPv6 addresses");
		o->nsources++;
	}
}

static bool looks_numeric(const char *host)
{
	return strspn(host, "0123456789.") == strlen(host) || strchr(host, ':');
}

/* A numeric address, or the first address getaddrinfo gives for a name. */
static int resolve_target(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM };
	char host[256], port[32];
	struct addrinfo *res;
	uint16_t p;
	int err = parse_sockaddr(s, false, ss, len);

	if (err != -EINVAL)
		return err;
	err = parse_hostport(s, host, sizeof(host), port, sizeof(port));
	if (!err)
		err = parse_port(port, false, &p);
	if (err)
		return err;
	/* getaddrinfo would read "1.2.3" as 1.2.0.3: a mistyped address
	 * must be an error, not traffic to somewhere else. */
	if (looks_numeric(host))
		return -EINVAL;
	err = getaddrinfo(host, port, &hints, &res);
	if (err == EAI_AGAIN || err == EAI_FAIL || err == EAI_MEMORY || err == EAI_SYSTEM) {
		/* The resolver did not answer: a failure, not a bad value. */
		fprintf(stderr, "tcpscope stress: cannot resolve '%s': %s\n", host,
			gai_strerror(err));
		exit(1);
	}
	if (err)
		cli_fail("stress", "cannot resolve '%s': %s", host, gai_strerror(err));
	if (res->ai_addrlen > sizeof(*ss)) {
		freeaddrinfo(res);
		return -EINVAL;
	}
	memcpy(ss, res->ai_addr, res->ai_addrlen);
	*len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

enum {
	OPT_MODE = 1,
	OPT_RATE,
	OPT_DURATION,
	OPT_CONCURRENCY,
	OPT_SIZE,
	OPT_CLOSE,
	OPT_SOURCE,
	OPT_SERVER_MODE,
	OPT_THREADS,
	OPT_PROCS,
	OPT_POLL,
	OPT_JSON,
	OPT_RECORDS,
	OPT_TRACE,
	OPT_TRACE_ALL,
	OPT_TIMELINE,
	OPT_PROBE_INTERVAL,
	OPT_RINGBUF,
	OPT_ATTACH,
	OPT_REPORT,
	OPT_METRICS,
	OPT_REQUEST,
	OPT_RESPONSE,
	OPT_PID,
	OPT_CGROUP,
	OPT_COMM,
};

/* --records and --trace both want the hooks: call each. */
struct hook_pair {
	struct stress_hooks a, b;
};

static void pair_socket(void *ctx, uint64_t cookie)
{
	struct hook_pair *p = ctx;

	if (p->a.on_socket)
		p->a.on_socket(p->a.ctx, cookie);
	if (p->b.on_socket)
		p->b.on_socket(p->b.ctx, cookie);
}

static void pair_done(void *ctx, const struct conn_record *r)
{
	struct hook_pair *p = ctx;

	if (p->a.on_conn_done)
		p->a.on_conn_done(p->a.ctx, r);
	if (p->b.on_conn_done)
		p->b.on_conn_done(p->b.ctx, r);
}

static void pair_listen(void *ctx, const struct sockaddr_storage *addr)
{
	struct hook_pair *p = ctx;

	if (p->a.on_listen)
		p->a.on_listen(p->a.ctx, addr);
	if (p->b.on_listen)
		p->b.on_listen(p->b.ctx, addr);
}

static void trace_json(void *ctx, struct jw *w)
{
	correlator__print_json(ctx, w);
}

/* The timeline's last line for tcpscope report: the stress --json object
 * with "type":"stress_summary" and the command line. */
struct summary_line {
	const struct stress_opts *o;
	const struct stress_result *r;
	struct correlator *corr;
	int argc;
	char **argv;
};

static void summary_members(void *ctx, struct jw *w)
{
	struct summary_line *sl = ctx;
	char cmd[2048];
	size_t off = 0;
	int i;

	correlator__print_json(sl->corr, w);
	jw_str(w, "type", "stress_summary");
	off = (size_t)snprintf(cmd, sizeof(cmd), "tcpscope");
	for (i = 0; i < sl->argc && off < sizeof(cmd); i++)
		off += (size_t)snprintf(cmd + off, sizeof(cmd) - off, " %s", sl->argv[i]);
	jw_str(w, "command", cmd);
}

static void summary_write(void *ctx, FILE *f)
{
	struct summary_line *sl = ctx;

	stress_result__print_json(sl->o, sl->r, f, summary_members, sl);
}

/* Before any thread starts (capabilities are per thread), after the tracer
 * is attached. The load itself needs no privilege, except that a
 * congestion control outside net.ipv4.tcp_allowed_congestion_control needs
 * CAP_NET_ADMIN. */
static int drop_privileges(const struct stress_opts *o, uint64_t keep)
{
	const char *msg = "";
	int err = privs_drop(keep | (o->so.cc[0] ? PRIVS_CAP(CAP_NET_ADMIN) : 0), &msg);

	if (err)
		fprintf(stderr, "tcpscope stress: dropping privileges: %s: %s\n", msg,
			errno_name(-err));
	return err;
}

#define REQUEST_MAX (1 << 20)

/* --request DATA: C-like escapes (\r \n \t \0 \\ \xHH) into bytes. */
static size_t unescape(const char *s, uint8_t *out)
{
	size_t n = 0;

	while (*s) {
		unsigned int hex;

		if (*s != '\\') {
			out[n++] = (uint8_t)*s++;
			continue;
		}
		s++;
		switch (*s) {
		case 'r':
			out[n++] = '\r';
			break;
		case 'n':
			out[n++] = '\n';
			break;
		case 't':
			out[n++] = '\t';
			break;
		case '0':
			out[n++] = '\0';
			break;
		case '\\':
			out[n++] = '\\';
			break;
		case 'x':
			if (!isxdigit((unsigned char)s[1]) || !isxdigit((unsigned char)s[2]) ||
			    sscanf(s + 1, "%2x", &hex) != 1)
				return SIZE_MAX;
			out[n++] = (uint8_t)hex;
			s += 2;
			break;
		default:
			return SIZE_MAX;
		}
		s++;
	}
	return n;
}

/* --request @FILE: the file's bytes as they are, into out (freed, and a
 * usage error, when they cannot be had). */
static size_t read_request_file(const char *path, uint8_t *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC), err = errno;
	size_t n = 0;
	ssize_t k = 1;

	while (fd >= 0 && n <= REQUEST_MAX && (k = read(fd, out + n, REQUEST_MAX + 1 - n)) > 0)
		n += (size_t)k;
	if (fd >= 0 && k < 0)
		err = errno;
	if (fd >= 0)
		close(fd);
	if (fd < 0 || k < 0 || n > REQUEST_MAX)
		free(out);
	if (fd < 0 || k < 0)
		cli_fail("stress", "--request: cannot read %s: %s", path, errno_name(err));
	if (n > REQUEST_MAX)
		cli_fail("stress", "--request: %s is over %d bytes", path, REQUEST_MAX);
	return n;
}

static void parse_request(struct stress_opts *o, const char *arg)
{
	uint8_t *buf = malloc(arg[0] == '@' ? REQUEST_MAX + 1 : strlen(arg) + 1);
	size_t n;

	if (!buf)
		cli_fail("stress", "out of memory");
	n = arg[0] == '@' ? read_request_file(arg + 1, buf) : unescape(arg, buf);
	if (n == SIZE_MAX || !n)
		free(buf);
	if (n == SIZE_MAX)
		cli_bad_value("stress", "--request", arg, -EINVAL,
			      "bytes with the escapes \\r \\n \\t \\0 \\\\ \\xHH, or @FILE");
	if (!n)
		cli_bad_value("stress", "--request", arg, -EINVAL, "at least one byte");
	free((void *)o->request);
	o->request = buf;
	o->request_len = n;
}

/* --response http | bytes:N | line | until-close */
static void parse_response(struct framing *f, const char *arg)
{
	const char *expected = "http, bytes:N, line or until-close";
	int err;

	if (!strcmp(arg, "http")) {
		f->kind = RESP_HTTP;
	} else if (!strcmp(arg, "line")) {
		f->kind = RESP_LINE;
	} else if (!strcmp(arg, "until-close")) {
		f->kind = RESP_UNTIL_CLOSE;
	} else if (!strncmp(arg, "bytes", 5) && strchr(":= ", arg[5]) && arg[5]) {
		err = parse_size(arg + 6, 1, 1ULL << 30, &f->bytes);
		if (err)
			cli_bad_number("stress", "--response", arg, err, 1,
				       "bytes:N, N from 1 to 1G");
		f->kind = RESP_BYTES;
	} else {
		cli_bad_value("stress", "--response", arg, -EINVAL, expected);
	}
}

/* What the command line asks for: the run, and what surrounds it. */
struct stress_cli {
	struct stress_opts o;
	bool json, trace, size_set, conc_set, response_set;
	const char *records, *report;
	struct corr_opts co;
};

static const struct option stress_longopts[] = {
	{ "mode", required_argument, NULL, OPT_MODE },
	{ "connections", required_argument, NULL, 'c' },
	{ "count", required_argument, NULL, 'n' },
	{ "rate", required_argument, NULL, OPT_RATE },
	{ "duration", required_argument, NULL, OPT_DURATION },
	{ "concurrency", required_argument, NULL, OPT_CONCURRENCY },
	{ "size", required_argument, NULL, OPT_SIZE },
	{ "request", required_argument, NULL, OPT_REQUEST },
	{ "response", required_argument, NULL, OPT_RESPONSE },
	{ "close", required_argument, NULL, OPT_CLOSE },
	{ "source", required_argument, NULL, OPT_SOURCE },
	{ "server-mode", required_argument, NULL, OPT_SERVER_MODE },
	{ "threads", required_argument, NULL, OPT_THREADS },
	{ "procs", required_argument, NULL, OPT_PROCS },
	{ "poll-interval", required_argument, NULL, OPT_POLL },
	{ "json", no_argument, NULL, OPT_JSON },
	{ "records", required_argument, NULL, OPT_RECORDS },
	{ "trace", no_argument, NULL, OPT_TRACE },
	{ "trace-all", no_argument, NULL, OPT_TRACE_ALL },
	{ "timeline", required_argument, NULL, OPT_TIMELINE },
	{ "probe-interval", required_argument, NULL, OPT_PROBE_INTERVAL },
	{ "ringbuf-size", required_argument, NULL, OPT_RINGBUF },
	{ "attach", required_argument, NULL, OPT_ATTACH },
	{ "report", required_argument, NULL, OPT_REPORT },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "comm", required_argument, NULL, OPT_COMM },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	SOCKOPT_LONGOPTS,
	{ 0 },
};

static void parse_mode(struct stress_opts *o, const char *arg)
{
	if (!strcmp(arg, "hold"))
		o->mode = STRESS_HOLD;
	else if (!strcmp(arg, "churn"))
		o->mode = STRESS_CHURN;
	else if (!strcmp(arg, "rr"))
		o->mode = STRESS_RR;
	else
		cli_bad_value("stress", "--mode", arg, -EINVAL, "hold, churn or rr");
}

static void parse_close(struct stress_opts *o, const char *arg)
{
	if (!strcmp(arg, "fin"))
		o->close_kind = CLOSE_FIN;
	else if (!strcmp(arg, "rst"))
		o->close_kind = CLOSE_RST;
	else
		cli_bad_value("stress", "--close", arg, -EINVAL, "fin or rst");
}

static int parse_int_opt(const char *opt, const char *arg, uint64_t max)
{
	return (int)opt_count("stress", opt, arg, 1, max);
}

static uint64_t parse_poll_interval(const char *arg)
{
	return opt_duration("stress", "--poll-interval", arg, 10 * NSEC_PER_MSEC);
}

/* The load's own options. False: not one of them. */
static bool parse_load_option(struct stress_cli *a, int opt, const char *arg)
{
	struct stress_opts *o = &a->o;

	switch (opt) {
	case OPT_MODE:
		parse_mode(o, arg);
		break;
	case 'c':
		o->conns = opt_count("stress", "-c", arg, 1, 10000000);
		break;
	case 'n':
		o->count = opt_count("stress", "--count", arg, 1, UINT64_MAX);
		break;
	case OPT_RATE:
		o->rate = opt_rate("stress", "--rate", arg, 10000000);
		break;
	case OPT_DURATION:
		o->duration_ns = opt_duration("stress", "--duration", arg, 0);
		break;
	case OPT_CONCURRENCY:
		o->concurrency = opt_count("stress", "--concurrency", arg, 1, 10000000);
		a->conc_set = true;
		break;
	case OPT_SIZE:
		o->size = opt_size("stress", "--size", arg, 0, 1ULL << 30);
		a->size_set = true;
		break;
	case OPT_REQUEST:
		parse_request(o, arg);
		break;
	case OPT_RESPONSE:
		parse_response(&o->framing, arg);
		a->response_set = true;
		break;
	case OPT_CLOSE:
		parse_close(o, arg);
		break;
	case OPT_SOURCE:
		parse_sources(o, (char *)arg);
		break;
	case OPT_SERVER_MODE:
		o->server_mode = server_mode_parse(arg);
		if (o->server_mode < 0)
			cli_bad_value("stress", "--server-mode", arg, -EINVAL,
				      "echo, sink, source, close or reset");
		break;
	case OPT_THREADS:
		o->threads = parse_int_opt("--threads", arg, 256);
		break;
	case OPT_PROCS:
		o->procs = parse_int_opt("--procs", arg, 64);
		break;
	case OPT_POLL:
		o->poll_interval_ns = parse_poll_interval(arg);
		break;
	default:
		return false;
	}
	return true;
}

/* Output and tracing options. False: not one of them. */
static bool parse_output_option(struct stress_cli *a, int opt, const char *arg)
{
	struct corr_opts *co = &a->co;
	struct sockaddr_storage mss;
	socklen_t mlen;

	switch (opt) {
	case OPT_JSON:
		a->json = true;
		break;
	case OPT_RECORDS:
		a->records = arg;
		break;
	case OPT_TRACE:
		a->trace = true;
		break;
	case OPT_TRACE_ALL:
		a->trace = co->trace_all = true;
		break;
	case OPT_TIMELINE:
		a->trace = true;
		co->timeline = arg;
		break;
	case OPT_PROBE_INTERVAL:
		co->probe_interval_ns = tracer_opt_probe_interval("stress", arg);
		break;
	case OPT_RINGBUF:
		co->ringbuf_size = tracer_opt_ringbuf_size("stress", arg);
		break;
	case OPT_ATTACH:
		co->attach = tracer_opt_attach("stress", arg);
		break;
	case OPT_METRICS:
		a->trace = true;
		/* Checked now: a usage error, before anything is loaded. */
		opt_sockaddr("stress", "--metrics", arg, false, &mss, &mlen);
		co->metrics_addr = arg;
		break;
	case OPT_REPORT:
		a->trace = true;
		a->report = arg;
		break;
	case OPT_PID:
		owner_opt_pid("stress", &co->owner, arg);
		break;
	case OPT_CGROUP:
		owner_opt_cgroup("stress", &co->owner, arg);
		break;
	case OPT_COMM:
		owner_opt_comm("stress", &co->owner, arg);
		break;
	case 'v':
		co->verbose = true;
		break;
	default:
		return false;
	}
	return true;
}

/* Defaults that depend on the mode, and the combinations refused. */
static void check_args(struct stress_cli *a)
{
	struct stress_opts *o = &a->o;

	if (!a->conc_set)
		o->concurrency = o->mode == STRESS_CHURN ? 64 : 512;
	if (o->request && a->size_set)
		cli_fail("stress", "--request and --size both say what to send: give one");
	if (a->response_set && !o->request)
		cli_fail("stress", "--response needs --request");
	if (o->request && o->mode == STRESS_HOLD)
		cli_fail("stress", "--request needs --mode rr or churn");
	if (o->request && !a->response_set)
		o->framing.kind = RESP_HTTP;
	o->framing.no_body = o->request && o->request_len >= 5 && !memcmp(o->request, "HEAD ", 5);
	if (!a->size_set && !o->request && o->mode == STRESS_RR)
		o->size = 64;
	if (o->mode == STRESS_RR && !o->size && !o->request)
		cli_fail("stress", "--mode rr needs --size of at least 1 byte");
	if (o->nsources && o->target.ss_family && o->sources[0].ss_family != o->target.ss_family)
		cli_fail("stress", "--source and the target are of different address families");
}

/* Fill a from the command line; usage errors exit 2. False: --help was
 * printed, nothing to run. */
static bool parse_args(struct stress_cli *a, int argc, char **argv)
{
	int opt, err;

	memset(a, 0, sizeof(*a));
	stress_opts__init(&a->o);
	a->co.probe_interval_ns = 10 * NSEC_PER_MSEC;
	optind = 1;
	opterr = 0; /* one line of our own instead of getopt's */
	while ((opt = getopt_long(argc, argv, ":c:n:hv", stress_longopts, NULL)) != -1) {
		if (sockopts__parse(&a->o.so, "stress", opt, optarg) ||
		    parse_load_option(a, opt, optarg) || parse_output_option(a, opt, optarg))
			continue;
		if (opt == 'h') {
			stress_usage(stdout);
			return false;
		}
		cli_bad_option("stress", opt, argv, stress_longopts);
	}
	if (optind < argc) {
		err = resolve_target(argv[optind], &a->o.target, &a->o.target_len);
		if (err)
			cli_bad_target("stress", "target", argv[optind], false, false);
		a->o.has_target = true;
		optind++;
	}
	cli_no_more_args("stress", argc, argv);
	check_args(a);
	a->o.progress = isatty(STDERR_FILENO);
	return true;
}

/* Everything a run holds; released by session_end() alone. */
struct session {
	struct stress_result *res;
	FILE *rf;		 /* --records */
	struct records_later rl; /* --records with --trace */
	struct correlator *corr; /* --trace */
	char tmp_timeline[32];	 /* --report without --timeline */
	bool tmp_made;
	struct hook_pair pair;
	struct stress_hooks hooks;
};

static void session_end(struct session *s)
{
	if (s->rf)
		fclose(s->rf);
	free(s->rl.v);
	pthread_mutex_destroy(&s->rl.lock);
	correlator__destroy(s->corr);
	if (s->tmp_made)
		unlink(s->tmp_timeline);
	free(s->res);
}

static int open_records(struct session *s, const char *records, bool traced)
{
	/* A new file, not through a symlink someone planted. */
	int fd = open(records, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);

	if (fd < 0 || !(s->rf = fdopen(fd, "w"))) {
		fprintf(stderr, "tcpscope stress: cannot write --records %s: %s\n", records,
			errno_name(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	privs_give_file(fd);
	s->rl.f = s->rf;
	if (traced)
		s->pair.a = (struct stress_hooks){ .ctx = &s->rl,
						   .on_conn_done = record_later,
						   .want_local = true };
	else
		s->pair.a = (struct stress_hooks){ .ctx = s->rf,
						   .on_conn_done = record_line,
						   .want_local = true };
	return 0;
}

/* The report is drawn from a timeline: a private one. */
static int make_timeline(struct session *s, struct corr_opts *co)
{
	int fd;

	snprintf(s->tmp_timeline, sizeof(s->tmp_timeline), "/tmp/tcpscope-timeline-XXXXXX");
	fd = mkstemp(s->tmp_timeline);
	if (fd < 0) {
		fprintf(stderr,
			"tcpscope stress: --report needs a temporary timeline in /tmp: %s\n",
			errno_name(errno));
		return -1;
	}
	close(fd);
	s->tmp_made = true;
	co->timeline = s->tmp_timeline;
	return 0;
}

static int start_tracing(struct session *s, struct stress_cli *a)
{
	/* The cookie map holds the connections alive at once (each is
	 * removed at its CLOSE); churn turns them over fast. */
	const struct stress_opts *o = &a->o;
	uint64_t live = o->mode == STRESS_CHURN ? o->concurrency * 8 : o->conns * 2;
	int err;

	a->co.max_conns = (uint32_t)(live < 65536 ? 65536 : live > (1u << 22) ? 1u << 22 : live);
	err = correlator__open(&s->corr, &a->co);
	if (!err)
		err = drop_privileges(o, correlator__caps_needed(s->corr));
	if (!err)
		err = correlator__start(s->corr);
	if (!err)
		correlator__hooks(s->corr, &s->pair.b);
	return err;
}

/* Signals, outputs, the tracer, then privileges dropped: ready to run. */
static int session_begin(struct session *s, struct stress_cli *a)
{
	int err = install_signal_handlers();

	if (err) {
		fprintf(stderr, "tcpscope stress: sigaction: %s\n", errno_name(err));
		return -1;
	}
	s->res = malloc(sizeof(*s->res));
	if (!s->res) {
		fprintf(stderr, "tcpscope stress: out of memory\n");
		return -1;
	}
	if (a->records && open_records(s, a->records, a->trace))
		return -1;
	if (a->report && !a->co.timeline && make_timeline(s, &a->co))
		return -1;
	if (a->trace)
		return start_tracing(s, a);
	return drop_privileges(&a->o, 0);
}

/* A run of transactions none of which completed is a failure: one line
 * on stderr that says what became of them. */
static int check_transactions(const struct stress_opts *o, const struct stress_result *r)
{
	if (!stress_opts__exchanges(o) || r->c.transactions || !r->c.attempted)
		return 0;
	fprintf(stderr,
		"tcpscope stress: no transaction completed: %" PRIu64 " attempts, %" PRIu64
		" failed to connect, %" PRIu64 " response errors, %" PRIu64 " verify errors,"
		" %" PRIu64 " cut short%s\n",
		r->c.attempted, r->c.failed, stress_counts__resp_errors(&r->c), r->c.verify_errors,
		r->c.cut_short,
		r->interrupted	  ? " by SIGINT/SIGTERM"
		: r->hit_duration ? " at the --duration bound"
				  : "");
	return -EIO;
}

static void print_results(struct session *s, const struct stress_cli *a, int argc, char **argv)
{
	struct summary_line sl = { &a->o, s->res, s->corr, argc, argv };

	if (s->corr)
		correlator__timeline_append(s->corr, summary_write, &sl);
	if (a->json) {
		stress_result__print_json(&a->o, s->res, stdout, s->corr ? trace_json : NULL,
					  s->corr);
		emfile_hint(stderr, s->res);
	} else {
		stress_result__print_text(&a->o, s->res, stdout);
		if (s->corr)
			correlator__print_text(s->corr, s->res, stdout);
	}
}

/* The load, its report, and the HTML report drawn from the timeline. */
static int session_run(struct session *s, struct stress_cli *a, int argc, char **argv)
{
	struct stress_hooks pair_hooks = { &s->pair, pair_socket, pair_done, pair_listen,
					   s->pair.a.want_local || s->pair.b.want_local };
	int err = stress_run(&a->o, s->rf || s->corr ? &pair_hooks : NULL, s->res);

	if (s->corr)
		correlator__stop(s->corr);
	if (s->rf && s->corr)
		records_flush(&s->rl, s->corr);
	if (s->rf && fclose(s->rf)) {
		fprintf(stderr, "tcpscope stress: --records %s: %s\n", a->records,
			errno_name(errno));
		if (!err)
			err = -EIO;
	}
	s->rf = NULL;
	/* A run that could not start has nothing to report. */
	if (err && !s->res->duration_ns)
		return err;
	print_results(s, a, argc, argv);
	if (s->corr && correlator__failed(s->corr))
		err = -EIO;
	correlator__destroy(s->corr); /* the timeline is complete after this */
	s->corr = NULL;
	if (a->report && !err) {
		struct report_opts ro;

		report_opts__init(&ro);
		err = report__render(a->co.timeline, a->report, &ro);
	}
	if (!err)
		err = check_transactions(&a->o, s->res);
	return err;
}

int cmd_stress(int argc, char **argv)
{
	struct stress_cli a;
	struct session s = { .rl.lock = PTHREAD_MUTEX_INITIALIZER };
	int err;

	if (!parse_args(&a, argc, argv))
		return 0;
	err = session_begin(&s, &a);
	if (!err)
		err = session_run(&s, &a, argc, argv);
	session_end(&s);
	free((void *)a.o.request);
	return err ? 1 : 0;
}
