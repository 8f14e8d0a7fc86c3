// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* tcpscope trace: stream kernel TCP events, then summarise. */
#include <errno.h>
#include <getopt.h>
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "cli/commands.h"
#include "correlate/conntab.h"
#include "correlate/why.h"
#include "tracer/events.h"
#include "lib/jsonw.h"
#include "metrics/metrics.h"
#include "lib/parse.h"
#include "lib/privs.h"
#include "tracer/holds.h"
#include "tracer/unrun.h"
#include "tracer/owner.h"
#include "tracer/tracer.h"
#include "lib/util.h"

#define CMD	    "trace"
#define STOP_COUNT  (-ECANCELED) /* from the event callback: --count reached */
#define STOP_OUTPUT (-ESHUTDOWN) /* from the event callback: stdout failed */

struct trace_env {
	struct tracer_opts topts;
	bool json;
	uint64_t duration_ns;
	uint64_t max_events;
	unsigned int top;
	uint64_t max_conns; /* the table's limit: connections held at once */
	int64_t real_off_ns;
	/* what we handled, by type */
	uint64_t events[EV_TYPE_MAX];
	struct rtx_count rtx;
	uint64_t handled;
	int out_err; /* errno of the first failed write to stdout */
	struct conntab conns;
	struct why_trace why;	   /* verdicts of the connections seen fail */
	struct owner_tally owners; /* by process and cgroup, with --top */
	const char *metrics_addr;
	struct metrics *metrics;
	bool quiet;
};

static const char usage_text[] =
    "Usage: tcpscope trace [OPTIONS]\n"
    "\n"
    "Stream the kernel's TCP events as they happen: retransmits (with their kind:\n"
    "fast, rto, syn, failed, other), state changes, resets and ACK-driven probes\n"
    "(cwnd, srtt, windows). Filters run in the kernel. On SIGINT, SIGTERM, the end\n"
    "of --duration or --count, prints a summary and exits 0.\n"
    "\n"
    "Options:\n"
    "  -e, --events LIST        retransmit,state,probe,reset,drop,cong or all\n"
    "                           (default: retransmit,state,reset)\n"
    "  -p, --port N[,N...]      local or remote port (repeatable, up to 64)\n"
    "  -a, --addr CIDR          local or remote address in CIDR, v4 or v6 (up to 8)\n"
    "  -4, --ipv4 / -6, --ipv6  one address family only\n"
    "      --pid PID            sockets this process owns (repeatable, up to 16)\n"
    "      --cgroup PATH        sockets of this cgroup v2 or below it, such as\n"
    "                           /system.slice/nginx.service (repeatable, up to 8)\n"
    "      --comm NAME          sockets of processes with this name\n"
    "  -n, --netns NS           network namespace: inode number, name under\n"
    "                           /run/netns, or a path such as /proc/PID/ns/net\n"
    "  -i, --probe-interval MS  at most one probe event per socket per MS (default\n"
    "                           10; 0: every ACK)\n"
    "  -d, --duration TIME      stop after TIME (10, 500ms, 2m)\n"
    "  -c, --count N            stop after N events\n"
    "  -j, --json               one JSON object per line (docs/json.md), summary last\n"
    "      --top N              connections listed by retransmits (default 10; 0:\n"
    "                           none)\n"
    "      --max-conns N        connections held at once for the verdicts and --top\n"
    "                           (default 1000000, about 450 bytes each); those past\n"
    "                           it are counted in the summary\n"
    "      --ringbuf-size SIZE  BPF ring buffer (default 16M; a power of two)\n"
    "      --wakeup SIZE        wake up per SIZE of waiting events; below that an\n"
    "                           event waits at most 50 ms (default 256k, a quarter\n"
    "                           of a smaller ring; 0: per event, dearer under load)\n"
    "      --attach MODE        auto, tp_btf or raw_tp (default auto)\n"
    "      --metrics ADDR:PORT  serve Prometheus metrics on http://ADDR:PORT/metrics\n"
    "                           (counts by kind, state, reset reason, type; handshake\n"
    "                           and srtt histograms; no per-connection labels)\n"
    "  -q, --quiet              no line per event; the summary at the end only\n"
    "  -v, --verbose            libbpf's log on stderr\n"
    "  -h, --help               this text\n"
    "\n"
    "Examples:\n"
    "  tcpscope trace --events retransmit --port 443\n"
    "  tcpscope trace -e state,reset --addr 10.0.0.0/8 --json --duration 30s > ev.jsonl\n"
    "  tcpscope trace -e probe -p 5201 --probe-interval 0 --count 1000\n"
    "  tcpscope trace -e all -q --metrics 127.0.0.1:9464   # for Prometheus\n"
    "\n"
    "Exit status: 0 success, 1 runtime failure, 2 usage error.\n";

/* An inode number, or a namespace named or given by path: its inode. */
static uint32_t netns_inode(const char *arg)
{
	struct stat st;
	uint64_t v;
	int fd;

	if (!parse_u64(arg, 1, UINT32_MAX, &v))
		return (uint32_t)v;
	fd = opt_netns(CMD, "--netns", arg);
	if (fd < 0 || fstat(fd, &st)) {
		fprintf(stderr, "tcpscope trace: cannot open the namespace '%s': %s\n", arg,
			errno_name(fd < 0 ? -fd : errno));
		exit(1);
	}
	close(fd);
	return (uint32_t)st.st_ino;
}

static void add_ports(struct tracer_opts *o, const char *list)
{
	char buf[512], *tok, *save = NULL;

	snprintf(buf, sizeof(buf), "%s", list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		uint16_t port = opt_port(CMD, "--port", tok);

		if (o->nports >= MAX_PORTS)
			cli_fail(CMD, "too many --port values (at most %d)", MAX_PORTS);
		o->ports[o->nports++] = port;
	}
}

enum {
	OPT_TOP = 256,
	OPT_MAX_CONNS,
	OPT_RINGBUF,
	OPT_WAKEUP,
	OPT_ATTACH,
	OPT_METRICS,
	OPT_PID,
	OPT_CGROUP,
	OPT_COMM
};

static const struct option trace_longopts[] = {
	{ "events", required_argument, NULL, 'e' },
	{ "port", required_argument, NULL, 'p' },
	{ "addr", required_argument, NULL, 'a' },
	{ "ipv4", no_argument, NULL, '4' },
	{ "ipv6", no_argument, NULL, '6' },
	{ "netns", required_argument, NULL, 'n' },
	{ "probe-interval", required_argument, NULL, 'i' },
	{ "duration", required_argument, NULL, 'd' },
	{ "count", required_argument, NULL, 'c' },
	{ "json", no_argument, NULL, 'j' },
	{ "top", required_argument, NULL, OPT_TOP },
	{ "max-conns", required_argument, NULL, OPT_MAX_CONNS },
	{ "ringbuf-size", required_argument, NULL, OPT_RINGBUF },
	{ "wakeup", required_argument, NULL, OPT_WAKEUP },
	{ "attach", required_argument, NULL, OPT_ATTACH },
	{ "metrics", required_argument, NULL, OPT_METRICS },
	{ "pid", required_argument, NULL, OPT_PID },
	{ "cgroup", required_argument, NULL, OPT_CGROUP },
	{ "comm", required_argument, NULL, OPT_COMM },
	{ "quiet", no_argument, NULL, 'q' },
	{ "verbose", no_argument, NULL, 'v' },
	{ "help", no_argument, NULL, 'h' },
	{},
};

/* What the kernel keeps or drops, and how it is loaded: false if c is not
 * one of those options. */
static bool parse_filter_opt(struct tracer_opts *o, int c, const char *arg)
{
	char bad[64];

	switch (c) {
	case 'e':
		if (ev_mask_parse(arg, &o->events, bad, sizeof(bad)))
			cli_fail(CMD, "bad event type '%s' in --events; expected %s", bad,
				 ev_mask_words());
		return true;
	case 'p':
		add_ports(o, arg);
		return true;
	case 'a':
		if (o->ncidrs >= MAX_CIDRS)
			cli_fail(CMD, "too many --addr values (at most %d)", MAX_CIDRS);
		opt_cidr(CMD, "--addr", arg, &o->cidrs[o->ncidrs++]);
		return true;
	case '4':
	case '6':
		if (o->family && o->family != c - '0')
			cli_fail(CMD, "-4 and -6 exclude each other");
		o->family = (uint8_t)(c - '0');
		return true;
	case 'n':
		o->netns = netns_inode(arg);
		return true;
	case 'i':
		o->probe_interval_ns = tracer_opt_probe_interval(CMD, arg);
		return true;
	case OPT_PID:
		owner_opt_pid(CMD, &o->owner, arg);
		return true;
	case OPT_CGROUP:
		owner_opt_cgroup(CMD, &o->owner, arg);
		return true;
	case OPT_COMM:
		owner_opt_comm(CMD, &o->owner, arg);
		return true;
	case OPT_RINGBUF:
		o->ringbuf_size = tracer_opt_ringbuf_size(CMD, arg);
		return true;
	case OPT_WAKEUP:
		o->wakeup_bytes = opt_size(CMD, "--wakeup", arg, 0, 1ULL << 30);
		return true;
	case OPT_ATTACH:
		o->attach = tracer_opt_attach(CMD, arg);
		return true;
	case 'v':
		o->verbose = true;
		return true;
	}
	return false;
}

/* When to stop and what to print: false if c is not one of those. */
static bool parse_output_opt(struct trace_env *env, int c, const char *arg)
{
	struct sockaddr_storage mss;
	socklen_t mlen;

	switch (c) {
	case 'd':
		env->duration_ns = opt_duration(CMD, "--duration", arg, 0);
		return true;
	case 'c':
		env->max_events = opt_count(CMD, "--count", arg, 1, UINT64_MAX);
		return true;
	case 'j':
		env->json = true;
		return true;
	case 'q':
		env->quiet = true;
		return true;
	case OPT_TOP:
		env->top = (unsigned int)opt_count(CMD, "--top", arg, 0, 1000);
		return true;
	case OPT_MAX_CONNS:
		env->max_conns = opt_count(CMD, "--max-conns", arg, 1, 100000000);
		return true;
	case OPT_METRICS:
		/* Checked now: a usage error, before anything is loaded. */
		opt_sockaddr(CMD, "--metrics", arg, false, &mss, &mlen);
		env->metrics_addr = arg;
		return true;
	}
	return false;
}

static void parse_args(struct trace_env *env, int argc, char **argv)
{
	struct tracer_opts *o = &env->topts;
	uint64_t ring;
	int c;

	o->events = EVMASK(EV_RETRANSMIT) | EVMASK(EV_STATE) | EVMASK(EV_SEND_RESET) |
		    EVMASK(EV_RECV_RESET);
	o->probe_interval_ns = 10 * NSEC_PER_MSEC;
	o->wakeup_bytes = UINT64_MAX; /* not given: tracer_wakeup_default() */
	env->top = 10;
	env->max_conns = 1000000;
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":e:p:a:46n:i:d:c:jqvh", trace_longopts, NULL)) != -1) {
		if (parse_filter_opt(o, c, optarg) || parse_output_opt(env, c, optarg))
			continue;
		if (c == 'h') {
			fputs(usage_text, stdout);
			exit(0);
		}
		cli_bad_option(CMD, c, argv, trace_longopts);
	}
	cli_no_more_args(CMD, argc, argv);
	if (o->wakeup_bytes == UINT64_MAX)
		o->wakeup_bytes = tracer_wakeup_default(o->ringbuf_size);
	ring = o->ringbuf_size ? o->ringbuf_size : DEFAULT_RINGBUF_SIZE;
	if (o->wakeup_bytes && o->wakeup_bytes >= ring / 2)
		cli_fail(CMD, "--wakeup must be under half of --ringbuf-size");
}

static int on_event(void *ctx, const struct event *e)
{
	struct trace_env *env = ctx;
	struct conn *c;

	if (env->max_events && env->handled >= env->max_events)
		return STOP_COUNT;
	env->handled++;
	if (env->metrics)
		metrics__event(env->metrics, e);
	if (e->type < EV_TYPE_MAX)
		env->events[e->type]++;
	if (env->top)
		owner_tally__event(&env->owners, e);
	if (e->type == EV_RETRANSMIT) {
		rtx_count__add(&env->rtx, e->retrans.kind, e->retrans.segs, e->retrans.err);
		/* --top 0 keeps no table: a long-lived daemon's memory stays flat. */
		c = env->top ? conntab__get(&env->conns, e) : NULL;
		if (c) {
			conn__retransmit(c, e->ts_ns, e->retrans.kind, e->retrans.segs,
					 e->retrans.err, e->retrans.total_retrans);
			c->last_ns = e->ts_ns;
		}
	}
	why_trace__event(&env->why, &env->conns, e);
	if (env->quiet)
		return 0;
	if (env->json)
		event_print_json(stdout, e, NULL);
	else
		event_print_text(stdout, e, env->real_off_ns);
	/* A full disk or a closed pipe ends the run rather than losing
	 * events without a word. */
	if (ferror(stdout)) {
		if (!env->out_err)
			env->out_err = errno ? errno : EIO;
		return STOP_OUTPUT;
	}
	return 0;
}

static void summary_json(struct trace_env *env, const struct tracer_counts *tc, double secs,
			 const char *attach, struct conn **top, size_t ntop)
{
	char a[INET6_ADDRSTRLEN];
	struct jw w;
	size_t i;
	int t;

	jw_init(&w, stdout);
	jw_obj_open(&w, NULL);
	jw_str(&w, "type", "summary");
	jw_obj_open(&w, "events");
	for (t = 0; t < EV_TYPE_MAX; t++)
		jw_u64(&w, ev_type_name(t), env->events[t]);
	jw_obj_close(&w);
	jw_obj_open(&w, "retransmits");
	for (t = 0; t < RK_MAX; t++)
		jw_u64(&w, retrans_kind_name(t), env->rtx.by_kind[t]);
	jw_obj_close(&w);
	jw_u64(&w, "retransmit_segs", env->rtx.segs_sent);
	jw_u64(&w, "retransmit_segs_failed", env->rtx.segs_failed);
	why_trace__print_json(&env->why, &w);
	jw_u64(&w, "events_untracked", env->conns.dropped);
	jw_u64(&w, "lost", u64_sum(tc->lost, EV_TYPE_MAX));
	jw_obj_open(&w, "lost_by_type");
	for (t = 0; t < EV_TYPE_MAX; t++)
		jw_u64(&w, ev_type_name(t), tc->lost[t]);
	jw_obj_close(&w);
	jw_u64(&w, "probes_sampled_out", tc->sampled[EV_PROBE]);
	jw_u64(&w, "recursion_misses", u64_sum(tc->recursion_misses, EV_TYPE_MAX));
	jw_u64(&w, "recursion_rescued", u64_sum(tc->rescued, EV_TYPE_MAX));
	unrun_json(&w, tc);
	owner_counts_json(&w, tc);
	syn_recv_holds_json(&w, tc);
	jw_double(&w, "duration_s", secs);
	jw_str(&w, "attach", attach);
	jw_arr_open(&w, "top_retransmits");
	for (i = 0; i < ntop; i++) {
		struct conn *c = top[i];

		jw_obj_open(&w, NULL);
		jw_u64(&w, "cookie", c->cookie);
		jw_u64(&w, "family", c->family);
		addr_format(a, sizeof(a), c->family, c->saddr);
		jw_str(&w, "saddr", a);
		jw_u64(&w, "sport", c->sport);
		addr_format(a, sizeof(a), c->family, c->daddr);
		jw_str(&w, "daddr", a);
		jw_u64(&w, "dport", c->dport);
		jw_u64(&w, "retransmits", c->retrans_events);
		jw_u64(&w, "segs", c->retrans_segs);
		jw_u64(&w, "segs_failed", c->retrans_segs_failed);
		jw_obj_open(&w, "kinds");
		for (t = 0; t < RK_MAX; t++)
			jw_u64(&w, retrans_kind_name(t), c->by_kind[t]);
		jw_obj_close(&w);
		jw_obj_close(&w);
	}
	jw_arr_close(&w);
	owner_tally__json(&env->owners, &w, env->top);
	jw_obj_close(&w);
	fputc('\n', stdout);
}

static void summary_text(struct trace_env *env, const struct tracer_counts *tc, double secs,
			 const char *attach, struct conn **top, size_t ntop)
{
	char s[INET6_ADDRSTRLEN + 8], d[INET6_ADDRSTRLEN + 8];
	uint64_t lost = u64_sum(tc->lost, EV_TYPE_MAX);
	size_t i;
	int t;

	printf("\n--- tcpscope trace: %.1f s, %s ---\n", secs, attach);
	printf("events:");
	for (t = 0; t < EV_TYPE_MAX; t++)
		printf(" %s %" PRIu64, ev_type_name(t), env->events[t]);
	printf("\nretransmits: %" PRIu64 " events, %" PRIu64 " segments sent, %" PRIu64
	       " failed to send (fast %" PRIu64 ", rto %" PRIu64 ", syn %" PRIu64
	       ", failed %" PRIu64 ", tlp %" PRIu64 ", other %" PRIu64 ")\n",
	       env->events[EV_RETRANSMIT], env->rtx.segs_sent, env->rtx.segs_failed,
	       env->rtx.by_kind[RK_FAST], env->rtx.by_kind[RK_RTO], env->rtx.by_kind[RK_SYN],
	       env->rtx.by_kind[RK_FAILED], env->rtx.by_kind[RK_TLP], env->rtx.by_kind[RK_OTHER]);
	why_trace__print_text(&env->why, stdout);
	if (env->conns.dropped)
		printf("events untracked: %" PRIu64 ", of connections past --max-conns %" PRIu64
		       " held at once: their verdicts may be wrong, their retransmits are not "
		       "listed\n",
		       env->conns.dropped, env->max_conns);
	if (tc->sampled[EV_PROBE])
		printf("probes sampled out by --probe-interval: %" PRIu64 "\n",
		       tc->sampled[EV_PROBE]);
	if (u64_sum(tc->recursion_misses, EV_TYPE_MAX))
		printf("nested hits the kernel skipped: %" PRIu64 ", taken by the twin programs: "
		       "%" PRIu64 "\n",
		       u64_sum(tc->recursion_misses, EV_TYPE_MAX),
		       u64_sum(tc->rescued, EV_TYPE_MAX));
	printf("lost events: %" PRIu64, lost);
	if (lost) {
		printf(" (");
		for (t = 0; t < EV_TYPE_MAX; t++)
			if (tc->lost[t])
				printf(" %s %" PRIu64, ev_type_name(t), tc->lost[t]);
		printf(" ): ring buffer full or nested hits; raise --ringbuf-size or narrow the "
		       "filters");
	}
	printf("\n");
	unrun_text(stdout, "", tc);
	syn_recv_holds_text(stdout, "", tc);
	owner_counts_text(stdout, tc);
	owner_tally__text(&env->owners, stdout, env->top);
	if (!ntop)
		return;
	printf("top connections by retransmitted segments:\n");
	printf("  %-28s %-28s %6s %6s %5s %5s %5s %5s %5s\n", "local", "remote", "segs", "failed",
	       "fast", "rto", "syn", "tlp", "other");
	for (i = 0; i < ntop; i++) {
		struct conn *c = top[i];

		endpoint_format(s, sizeof(s), c->family, c->saddr, c->sport);
		endpoint_format(d, sizeof(d), c->family, c->daddr, c->dport);
		printf("  %-28s %-28s %6u %6u %5u %5u %5u %5u %5u\n", s, d, c->retrans_segs,
		       c->retrans_segs_failed, c->by_kind[RK_FAST], c->by_kind[RK_RTO],
		       c->by_kind[RK_SYN], c->by_kind[RK_TLP], c->by_kind[RK_OTHER]);
	}
}

static void trace_cleanup(struct trace_env *env, struct tracer *t)
{
	metrics__destroy(env->metrics); /* its thread reads t's counters */
	tracer__destroy(t);
	conntab__free(&env->conns);
	owner_tally__free(&env->owners);
}

/* Loaded, attached, privileges dropped and the metrics server running: 0,
 * or 1 with the reason printed and everything undone. */
static int trace_start(struct trace_env *env, struct tracer **tp)
{
	struct tracer *t = NULL;
	const char *msg = "";
	int err;

	env->why.keep_retransmitting = env->top != 0;
	if (conntab__init(&env->conns, env->max_conns)) {
		fprintf(stderr, "tcpscope trace: out of memory\n");
		return 1;
	}
	if (env->metrics_addr && metrics__open(&env->metrics, env->metrics_addr, CMD)) {
		trace_cleanup(env, NULL);
		return 1;
	}
	err = install_signal_handlers();
	if (!err)
		err = tracer__open(&t, &env->topts, on_event, env, &msg);
	if (err) {
		fprintf(stderr, "tcpscope trace: %s: %s\n", msg, strerror(-err));
		trace_cleanup(env, NULL);
		return 1;
	}
	/* Attached: the ring buffer and the maps are fds we hold. */
	err = privs_drop(tracer__caps_needed(t), &msg);
	if (err)
		fprintf(stderr, "tcpscope trace: dropping privileges: %s: %s\n", msg,
			strerror(-err));
	/* After the drop: the server's thread starts with what we kept. */
	if (!err && env->metrics)
		err = metrics__start(
		    env->metrics,
		    &(struct metrics_source){ tracer__counts_of, t, tracer__attach_name(t) }, NULL,
		    CMD);
	if (err) {
		trace_cleanup(env, t);
		return 1;
	}
	*tp = t;
	return 0;
}

/* Once a second: a warning on stderr when the loss count has grown. */
static void warn_new_losses(struct tracer *t, uint64_t *last_lost)
{
	struct tracer_counts tc = {};
	uint64_t lost;

	if (tracer__counts(t, &tc))
		return;
	lost = u64_sum(tc.lost, EV_TYPE_MAX) + unrun_total(&tc);
	if (lost <= *last_lost)
		return;
	fprintf(stderr,
		"tcpscope trace: WARNING: %" PRIu64 " events lost so far (ring buffer "
		"full: raise --ringbuf-size), %" PRIu64 " hits the kernel ran no tcpscope "
		"program for\n",
		u64_sum(tc.lost, EV_TYPE_MAX), unrun_total(&tc));
	*last_lost = lost;
}

/* Events until a signal, --duration, --count or a failure: 0, or -1 after
 * printing why it stopped. */
static int trace_loop(struct trace_env *env, struct tracer *t, uint64_t start)
{
	uint64_t now, next_check = start + NSEC_PER_SEC, last_lost = 0;
	int err;

	while (!exiting) {
		err = tracer__poll(t, TRACER_FLUSH_MS);
		fflush(stdout);
		if (err == -EINTR || err == STOP_COUNT)
			return 0;
		if (err == STOP_OUTPUT) {
			fprintf(stderr, "tcpscope trace: writing the output: %s; stopped\n",
				errno_name(env->out_err));
			return -1;
		}
		if (err < 0) {
			fprintf(stderr, "tcpscope trace: reading the ring buffer: %s\n",
				strerror(-err));
			return -1;
		}
		if (env->metrics)
			metrics__publish(env->metrics);
		now = now_mono_ns();
		if (env->duration_ns && now - start >= env->duration_ns)
			return 0;
		if (now >= next_check) {
			next_check = now + NSEC_PER_SEC;
			warn_new_losses(t, &last_lost);
		}
	}
	return 0;
}

/* What is left in the ring, then the summary. */
static void trace_finish(struct trace_env *env, struct tracer *t, uint64_t start)
{
	struct tracer_counts tc = {};
	struct conn **sorted;
	double secs;
	size_t n = 0;

	/* Whatever the kernel wrote before we stopped is still ours to show. */
	if (!env->max_events || env->handled < env->max_events)
		tracer__drain(t);
	if (env->metrics)
		metrics__publish(env->metrics);
	if (tracer__counts(t, &tc))
		fprintf(stderr, "tcpscope trace: cannot read the loss counters\n");
	sorted = conntab__sorted(&env->conns, conn__by_segs, &n);
	if (!sorted)
		n = 0;
	if (n > env->top)
		n = env->top;
	/* The table also holds sockets kept for their verdicts only. */
	while (n && !sorted[n - 1]->retrans_events)
		n--;
	secs = (double)(now_mono_ns() - start) / 1e9;
	if (env->json)
		summary_json(env, &tc, secs, tracer__attach_name(t), sorted, n);
	else
		summary_text(env, &tc, secs, tracer__attach_name(t), sorted, n);
	fflush(stdout);
	free(sorted);
}

int cmd_trace(int argc, char **argv)
{
	struct trace_env env = {};
	struct tracer *t = NULL;
	uint64_t start;
	int err;

	parse_args(&env, argc, argv);
	if (trace_start(&env, &t))
		return 1;
	env.real_off_ns = mono_to_real_offset_ns();
	/* One write() per poll batch, not per line (bench/profile.sh: per-line
	 * writes were half the tracer's CPU under churn). Flushed after every
	 * batch, so output is as prompt as before and a stop loses nothing. */
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (!env.json)
		fprintf(stderr, "tcpscope trace: tracing (%s), Ctrl-C to stop\n",
			tracer__attach_name(t));
	start = now_mono_ns();
	err = trace_loop(&env, t, start);
	trace_finish(&env, t, start);
	trace_cleanup(&env, t);
	return err ? 1 : 0;
}
