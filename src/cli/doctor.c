// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* tcpscope doctor: what this kernel supports and what tcpscope will use. */
#include <errno.h>
#include <stdarg.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "cli/commands.h"
#include "lib/jsonw.h"
#include "lib/parse.h"
#include "tracer/tracepoints.h"
#include "tracer/tracer.h"
#include "lib/util.h"

#define CMD	"doctor"
#define TRACEFS "/sys/kernel/tracing"

struct check {
	const char *name;
	bool ok;
	bool required;
	char detail[300];
};

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

/* Mount tracefs where the kernel has it but nobody mounted it. */
static bool ensure_tracefs(char *detail, size_t len)
{
	if (exists(TRACEFS "/events")) {
		snprintf(detail, len, "%s", TRACEFS);
		return true;
	}
	if (mount("nodev", TRACEFS, "tracefs", 0, NULL) == 0) {
		snprintf(detail, len, "%s (mounted it)", TRACEFS);
		return true;
	}
	snprintf(detail, len, "cannot mount %s: %s", TRACEFS, strerror(errno));
	return false;
}

/* What the running kernel's tracepoints can tell, from its BTF: these are
 * the per-kernel gaps (not errors) that docs/kernels.md describes. */
struct gap {
	const char *name;
	bool ok;
	const char *yes, *no;
};

static size_t kernel_gaps(struct gap *g)
{
	size_t n = 0;

	/* "tcp: add reasons to tcp_send_reset tracepoint" (6.10). */
	g[n++] = (struct gap){ "reset_reasons",
			       kernel_has_btf_type("sk_rst_reason", BTF_KIND_ENUM, NULL),
			       "enum sk_rst_reason: tcp_send_reset carries why",
			       "no enum sk_rst_reason: sent resets have reason \"unknown\"" };
	/* "trace: tcp: fully support trace_tcp_send_reset" (6.10) gave the
	 * event its own record and calls it without a full socket. */
	g[n++] = (struct gap){ "reset_without_socket",
			       kernel_has_btf_type("trace_event_raw_tcp_send_reset",
						   BTF_KIND_STRUCT, NULL),
			       "tcp_send_reset has its own record: resets answering a segment no "
			       "socket owns are traced",
			       "tcp_send_reset shares tcp_event_sk_skb: only resets a full socket "
			       "sends are traced, "
			       "not those answering a segment no socket owns" };
	/* "tcp: Add err to tcp_retransmit_skb tracepoint" (6.12). */
	g[n++] = (struct gap){
		"retransmit_err",
		kernel_has_btf_type("trace_event_raw_tcp_retransmit_skb", BTF_KIND_STRUCT, "err"),
		"tcp_retransmit_skb has err: failed retransmit attempts are traced",
		"tcp_retransmit_skb has no err: failed retransmit attempts are not traced, "
		"kind \"failed\" never appears"
	};
	/* "net: add rx_sk to trace_kfree_skb" (6.13): the drop tracepoint
	 * passes the socket a received segment was for (variant drop_rx). */
	g[n++] = (struct gap){
		"drop_receiving_socket", kernel_tracepoint_nargs("kfree_skb") >= 4,
		"kfree_skb passes the receiving socket: a received segment's drop names it",
		"kfree_skb has no receiving socket: a received segment dropped before it had "
		"skb->sk is named by its 4-tuple, with cookie 0"
	};
	/* "bpf: Count missed stats in trace_call_bpf" (6.7) came with "bpf: Add
	 * missed value to kprobe_multi link info". Before it, a classic
	 * tracepoint program (bpftrace's, not ours) that its own CPU re-enters
	 * is skipped without a trace. */
	g[n++] = (struct gap){
		"classic_tp_misses",
		kernel_has_btf_type("bpf_link_info", BTF_KIND_STRUCT, "kprobe_multi.missed"),
		"nested runs the kernel skips of classic tracepoint programs are counted",
		"nested runs of classic tracepoint programs (bpftrace's) are skipped uncounted: "
		"what they count is a lower bound"
	};
	/* "net/socket: Add tracepoint for sock_send_length /
	 * sock_recv_length" (6.3): the owner of an accepted socket is known
	 * from its first send or receive (bpf/owner.bpf.h). */
	g[n++] = (struct gap){
		"owner_accepted",
		kernel_has_btf_tracepoint("sock_send_length") &&
		    kernel_has_btf_tracepoint("sock_recv_length"),
		"sock_send_length/sock_recv_length: an accepted socket names its process from its "
		"first send or receive",
		"no sock_send_length/sock_recv_length: an accepted socket says pid 0 until its "
		"owner's close() or shutdown() (its cgroup is known from the first event)"
	};
	/* eventfs (6.6) builds an instance's event files on demand; before it,
	 * each instance the hit count needs (src/tracer/crosscheck.h) builds
	 * every event's, and tracing skips the count. */
	g[n++] = (struct gap){
		"unrun_counted", tracer_counts_hits(),
		"tracefs counts each attached tracepoint's hits beside tcpscope's programs: hits "
		"the kernel runs no program for are reported (unrun)",
		"no eventfs: a tracefs instance builds every event's files (about 9 MB each, one a "
		"tracepoint), so hits are not counted beside the programs: hits the kernel runs no "
		"program for would go unreported"
	};
	/* "tcp: Add tracepoint for tcp_set_ca_state" (in 6.1 and 6.18): every
	 * congestion state set (bpf/cong.bpf.h). */
	g[n++] = (struct gap){
		"congestion_timeline", kernel_has_btf_tracepoint("tcp_cong_state_set"),
		"tcp_cong_state_set: cong events, per-connection Open/Disorder/CWR/Recovery/Loss "
		"intervals and time in each",
		"no tcp_cong_state_set: no cong events nor congestion intervals; what remains is "
		"the "
		"ca_state each retransmit event carries"
	};
	return n;
}

/* Has an earlier row of the tracepoint table the same tracepoint? */
static bool seen_before(size_t row)
{
	size_t i;

	for (i = 0; i < row; i++)
		if (!strcmp(tracepoints[i].name, tracepoints[row].name))
			return true;
	return false;
}

static int noop_event(void *ctx, const struct event *e)
{
	(void)ctx;
	(void)e;
	return 0;
}

struct checklist {
	struct check c[TP_MAX + 32];
	size_t n;
};

static void __attribute__((format(printf, 5, 6)))
add(struct checklist *l, const char *name, bool required, bool ok, const char *fmt, ...)
{
	struct check *c;
	va_list ap;

	if (l->n >= sizeof(l->c) / sizeof(l->c[0]))
		return;
	c = &l->c[l->n++];
	c->name = name;
	c->required = required;
	c->ok = ok;
	va_start(ap, fmt);
	vsnprintf(c->detail, sizeof(c->detail), fmt, ap);
	va_end(ap);
}

struct doctor_opts {
	bool json;
	bool verbose;
};

static void doctor_parse(int argc, char **argv, struct doctor_opts *o)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, 'j' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{},
	};
	int c;

	optind = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":jvh", opts, NULL)) != -1) {
		switch (c) {
		case 'j':
			o->json = true;
			break;
		case 'v':
			o->verbose = true;
			break;
		case 'h':
			printf(
			    "Usage: tcpscope doctor [--json] [-v]\n\n"
			    "Checks what tracing needs (privileges, BTF, tracefs, each "
			    "tracepoint,\n"
			    "tp_btf, raw_tp, the BPF ring buffer), names what this kernel's\n"
			    "tracepoints cannot tell (\"no\" lines: reset reasons, resets without\n"
			    "a socket, failed retransmits, ...), traces one connection on\n"
			    "127.0.0.1 to see how the kernel orders a child's SYN_RECV, then\n"
			    "loads and attaches the tracer once to prove it. Exits 1 if tracing\n"
			    "cannot work here.\n\n"
			    "  --json         one JSON object instead of text\n"
			    "  -v, --verbose  libbpf's log on stderr\n"
			    "  -h, --help     this text\n\n"
			    "Examples:\n"
			    "  tcpscope doctor\n"
			    "  tcpscope doctor --json | jq .checks\n\n"
			    "Exit status: 0 tracing works here, 1 it cannot, 2 usage error.\n");
			exit(0);
		default:
			cli_bad_option(CMD, c, argv, opts);
		}
	}
	cli_no_more_args(CMD, argc, argv);
}

/* What tracing needs before anything loads: kernel, privileges, BTF,
 * tracefs. Returns whether tracefs is there. */
static bool check_basics(struct checklist *l)
{
	const char *msg = "";
	char path[256];
	struct utsname u;
	bool tracefs;
	int err;

	uname(&u);
	add(l, "kernel", false, true, "%s %s", u.release, u.machine);
	err = check_bpf_privileges(&msg);
	add(l, "privileges", true, !err, "%s",
	    err		     ? msg
	    : geteuid() == 0 ? "root"
			     : "CAP_BPF and CAP_PERFMON");
	add(l, "btf", true, exists("/sys/kernel/btf/vmlinux"), "%s",
	    exists("/sys/kernel/btf/vmlinux")
		? "/sys/kernel/btf/vmlinux"
		: "missing: the kernel needs CONFIG_DEBUG_INFO_BTF=y");
	tracefs = ensure_tracefs(path, sizeof(path));
	add(l, "tracefs", false, tracefs, "%s", path);
	return tracefs;
}

/* Each row of the tracepoint table, once per tracepoint. */
static void check_tracepoints(struct checklist *l, bool tracefs)
{
	char path[256];
	size_t i;

	for (i = 0; i < ntracepoints; i++) {
		const struct tracepoint *tp = &tracepoints[i];
		const char *fits = tp->nargs ? kernel_tracepoint_variant(tp->name) : NULL;
		char variant[64] = "";
		bool tp_exists, btf;

		/* A tracepoint with variants: the row this kernel's signature
		 * fits (bpf/drop.bpf.h), or the first when none does. */
		if (tp->nargs &&
		    (fits ? strcmp(fits, tp->prog) : tracepoint_variant(tp->name, -1) != tp))
			continue;
		if (!tp->nargs && seen_before(i))
			continue; /* a tracepoint with several rows: one check */
		if (fits)
			snprintf(variant, sizeof(variant), ", variant %s (%u arguments)", tp->prog,
				 tp->nargs);

		snprintf(path, sizeof(path), TRACEFS "/events/%s/%s", tp->category, tp->name);
		tp_exists = tracefs && exists(path);
		btf = kernel_has_btf_tracepoint(tp->name);
		add(l, tp->name, !tp->optional, tp_exists || btf,
		    "tracepoint %s, typed (tp_btf) %s%s%s%s",
		    tracefs ? (tp_exists ? "yes" : "no") : "unknown", btf ? "yes" : "no", variant,
		    tp->optional && !tp_exists && !btf ? ": " : "",
		    tp->optional && !tp_exists && !btf ? tp->optional : "");
	}
}

/* The per-kernel gaps: what this kernel's tracepoints cannot tell. */
static void check_gaps(struct checklist *l)
{
	struct gap gaps[8];
	size_t i, n = kernel_gaps(gaps);

	for (i = 0; i < n; i++)
		add(l, gaps[i].name, false, gaps[i].ok, "%s",
		    gaps[i].ok ? gaps[i].yes : gaps[i].no);
}

/* One connection on 127.0.0.1, accepted: 0 or -errno. */
static int loopback_handshake(void)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	int l, c = -1, s = -1, err = 0;

	l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (l < 0 || bind(l, (struct sockaddr *)&a, sizeof(a)) || listen(l, 1) ||
	    getsockname(l, (struct sockaddr *)&a, &len))
		err = -errno;
	if (!err && ((c = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0 ||
		     connect(c, (struct sockaddr *)&a, sizeof(a)) ||
		     (s = accept4(l, NULL, NULL, SOCK_CLOEXEC)) < 0))
		err = -errno;
	if (s >= 0)
		close(s);
	if (c >= 0)
		close(c);
	if (l >= 0)
		close(l);
	return err;
}

/* Does this kernel set a child's LISTEN -> SYN_RECV before the child has
 * its own ports and cookie (before upstream "inet: consolidate
 * inet_csk_clone_lock()")? No BTF tells: one loopback connection under
 * the tracer t (NULL: it did not load, why says why), and the holds the
 * state program made for it (bpf/tcpscope.bpf.c). */
static void check_syn_recv_identity(struct checklist *l, struct tracer *t, const char *why)
{
	struct tracer_counts tc = {};
	const char *msg = why;
	int err = t ? 0 : -EINVAL;

	if (!err) {
		msg = "a connection on 127.0.0.1";
		err = loopback_handshake();
	}
	if (!err) {
		msg = "reading the counters";
		err = tracer__counts(t, &tc);
	}
	if (err)
		add(l, "syn_recv_identity", false, false, "could not tell: %s%s%s", msg,
		    t ? ": " : "", t ? errno_name(-err) : "");
	else if (tc.syn_recv_held)
		add(l, "syn_recv_identity", false, false, "%s",
		    "a child's LISTEN -> SYN_RECV comes before its ports and cookie: tcpscope "
		    "holds it in the kernel to the child's next transition (16384 at once; "
		    "summaries count holds never released, syn_recv_holds)");
	else
		add(l, "syn_recv_identity", false, true, "%s",
		    "a child's LISTEN -> SYN_RECV comes with its own ports and cookie: no hold");
}

/* Prove each attach type by loading it; a probe alone can mislead
 * (libbpf cannot probe BPF_PROG_TYPE_TRACING without a target). The last
 * check, "load", names the flavour tracing will use. */
static void check_loads(struct checklist *l, bool verbose)
{
	static const struct {
		const char *name;
		enum attach_mode mode;
	} tries[] = { { "tp_btf", ATTACH_TP_BTF },
		      { "raw_tp", ATTACH_RAW_TP },
		      { "load", ATTACH_AUTO } };
	struct tracer_opts to = { .events = (1u << EV_TYPE_MAX) - 1, .verbose = verbose };
	size_t i;

	for (i = 0; i < sizeof(tries) / sizeof(tries[0]); i++) {
		struct tracer *t = NULL;
		const char *msg = "";
		int err;

		to.attach = tries[i].mode;
		err = tracer__open(&t, &to, noop_event, NULL, &msg);
		/* The tracer tracing will use also tells how this kernel
		 * orders a child's SYN_RECV: no fourth load for that. */
		if (tries[i].mode == ATTACH_AUTO)
			check_syn_recv_identity(l, err ? NULL : t, msg);
		add(l, tries[i].name, tries[i].mode == ATTACH_AUTO, !err, "%s",
		    err				   ? msg
		    : tries[i].mode == ATTACH_AUTO ? tracer__attach_name(t)
						   : "loads and attaches");
		tracer__destroy(t);
	}
}

static void print_json(const struct checklist *l, bool fatal)
{
	struct jw w;
	size_t i;

	jw_init(&w, stdout);
	jw_obj_open(&w, NULL);
	jw_bool(&w, "ok", !fatal);
	jw_str(&w, "attach", fatal ? "" : l->c[l->n - 1].detail);
	jw_obj_open(&w, "checks");
	for (i = 0; i < l->n; i++) {
		jw_obj_open(&w, l->c[i].name);
		jw_bool(&w, "ok", l->c[i].ok);
		jw_bool(&w, "required", l->c[i].required);
		jw_str(&w, "detail", l->c[i].detail);
		jw_obj_close(&w);
	}
	jw_obj_close(&w);
	jw_obj_close(&w);
	putchar('\n');
}

static void print_text(const struct checklist *l, bool fatal)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		printf("%-22s %-5s %s\n", l->c[i].name,
		       l->c[i].ok	  ? "ok"
		       : l->c[i].required ? "FAIL"
					  : "no",
		       l->c[i].detail);
	if (fatal)
		printf("\ntracing cannot work here: see the FAIL lines above\n");
	else
		printf("\ntcpscope will trace with %s programs\n", l->c[l->n - 1].detail);
}

int cmd_doctor(int argc, char **argv)
{
	struct doctor_opts o = {};
	struct checklist *l = calloc(1, sizeof(*l));
	bool fatal = false, ringbuf;
	size_t i;

	if (!l) {
		fprintf(stderr, "tcpscope doctor: out of memory\n");
		return 1;
	}
	doctor_parse(argc, argv, &o);
	check_tracepoints(l, check_basics(l));
	ringbuf = libbpf_probe_bpf_map_type(BPF_MAP_TYPE_RINGBUF, NULL) == 1;
	add(l, "ringbuf", true, ringbuf, "BPF_MAP_TYPE_RINGBUF %s",
	    ringbuf ? "yes" : "no (kernel < 5.8?)");
	check_gaps(l);
	check_loads(l, o.verbose);
	for (i = 0; i < l->n; i++)
		if (l->c[i].required && !l->c[i].ok)
			fatal = true;
	if (o.json)
		print_json(l, fatal);
	else
		print_text(l, fatal);
	free(l);
	return fatal ? 1 : 0;
}
