// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <linux/capability.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "lib/parse.h"
#include "lib/privs.h"
#include "tracer/crosscheck.h"
#include "tracer/events.h"
#include "tracer/reasons.h"
#include "tracer/tracepoints.h"
#include "tracer/tracer.h" /* before the skeleton: its rodata uses our types */
#include "tcpscope.skel.h"

/* A tracepoint's primary program and its rescue twin, of one flavour. */
struct twin {
	struct bpf_program *main, *rescue;
	const struct tracepoint *tp;
};

struct tracer {
	struct tcpscope_bpf *skel;
	struct twin twins[TP_MAX]; /* by row of the tracepoint table */
	struct bpf_link *links[2 * TP_MAX];
	struct ring_buffer *rb;
	/* tracefs's count of each attached row's tracepoint, and the hits
	 * its twin had been given when the count began. */
	struct crosscheck xc[TP_MAX];
	uint64_t xc_base[TP_MAX];
	bool xc_skip[TP_MAX]; /* not counted by choice: crosscheck_wanted() */
	tracer_event_fn fn;
	void *ctx;
	int ncpus;
	bool raw_tp;
};

static bool verbose;

/* libbpf's own format strings: the attribute tells clang so. */
static __attribute__((format(printf, 2, 0))) int print_libbpf(enum libbpf_print_level level,
							      const char *fmt, va_list args)
{
	if (level == LIBBPF_DEBUG || !verbose)
		return 0;
	return vfprintf(stderr, fmt, args);
}

static struct btf *vmlinux_btf(void)
{
	static struct btf *btf;
	static bool tried;

	if (!tried) {
		tried = true;
		btf = btf__load_vmlinux_btf();
		if (!btf)
			btf = NULL;
	}
	return btf;
}

bool kernel_has_btf_tracepoint(const char *tp)
{
	struct btf *btf = vmlinux_btf();
	char name[128];

	if (!btf)
		return false;
	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	return btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF) > 0;
}

/* The type id of member NAME of struct or union ID, looking inside
 * anonymous members too; -1 if there is none. */
static int btf_member_type(const struct btf *btf, int id, const char *name)
{
	const struct btf_member *m;
	const struct btf_type *t;
	const char *n;
	int i, sub;

	id = btf__resolve_type(btf, id);
	t = id > 0 ? btf__type_by_id(btf, id) : NULL;
	if (!t || (!btf_is_struct(t) && !btf_is_union(t)))
		return -1;
	m = btf_members(t);
	for (i = 0; i < btf_vlen(t); i++, m++) {
		n = btf__name_by_offset(btf, m->name_off);
		if (n && *n && !strcmp(n, name))
			return m->type;
		if ((!n || !*n) && (sub = btf_member_type(btf, m->type, name)) >= 0)
			return sub;
	}
	return -1;
}

bool kernel_has_btf_type(const char *name, int kind, const char *member)
{
	struct btf *btf = vmlinux_btf();
	char path[128], *part, *save = NULL;
	int id;

	id = btf ? btf__find_by_name_kind(btf, name, kind) : -1;
	if (id <= 0)
		return false;
	if (!member)
		return true;
	snprintf(path, sizeof(path), "%s", member);
	for (part = strtok_r(path, ".", &save); part && id >= 0; part = strtok_r(NULL, ".", &save))
		id = btf_member_type(btf, id, part);
	return id >= 0;
}

void reset_reasons_load(void)
{
	static bool loaded;
	struct btf *btf = vmlinux_btf();
	const struct btf_type *t;
	const struct btf_enum *en;
	int id, i, n;

	if (loaded)
		return;
	loaded = true;
	id = btf ? btf__find_by_name_kind(btf, "sk_rst_reason", BTF_KIND_ENUM) : -1;
	if (id <= 0)
		return;
	t = btf__type_by_id(btf, id);
	en = btf_enum(t);
	n = btf_vlen(t);
	for (i = 0; i < n; i++, en++) {
		const char *s = btf__name_by_offset(btf, en->name_off);

		if (en->val >= 0 && s)
			reset_reason_set((uint32_t)en->val,
					 strncmp(s, "SK_RST_REASON_", 14) ? s : s + 14);
	}
}

int check_bpf_privileges(const char **msg)
{
	char line[256];
	unsigned long long cap = 0;
	FILE *f;

	if (geteuid() == 0)
		return 0;
	f = fopen("/proc/self/status", "re");
	if (f) {
		while (fgets(line, sizeof(line), f))
			if (sscanf(line, "CapEff: %llx", &cap) == 1)
				break;
		fclose(f);
	}
	/* CAP_SYS_ADMIN (21), or CAP_PERFMON (38) with CAP_BPF (39). */
	if ((cap & (1ULL << 21)) || ((cap & (1ULL << 38)) && (cap & (1ULL << 39))))
		return 0;
	*msg = "tracing needs root, or CAP_BPF and CAP_PERFMON: run it with sudo";
	return -EPERM;
}

static int on_sample(void *ctx, void *data, size_t size)
{
	struct tracer *t = ctx;

	if (size < sizeof(struct event))
		return 0;
	return t->fn(t->ctx, data);
}

static char errbuf[200];

/* The programs of one flavour for each row of the tracepoint table, by
 * their names: <flavour>_<prog> and <flavour>_<prog>_rescue. */
static int twins_of(struct tcpscope_bpf *s, bool raw, struct twin *t, const char **msg)
{
	char name[64];
	size_t i;

	for (i = 0; i < ntracepoints; i++) {
		const struct tracepoint *tp = &tracepoints[i];

		snprintf(name, sizeof(name), "%s_%s", raw ? "raw" : "btf", tp->prog);
		t[i].main = bpf_object__find_program_by_name(s->obj, name);
		snprintf(name, sizeof(name), "%s_%s_rescue", raw ? "raw" : "btf", tp->prog);
		t[i].rescue = bpf_object__find_program_by_name(s->obj, name);
		t[i].tp = tp;
		if (!t[i].main || !t[i].rescue) {
			snprintf(errbuf, sizeof(errbuf),
				 "the BPF object has no program %s for tracepoint %s:%s", name,
				 tp->category, tp->name);
			*msg = errbuf;
			return -ENOENT;
		}
	}
	return 0;
}

int kernel_tracepoint_nargs(const char *tp)
{
	struct btf *btf = vmlinux_btf();
	const struct btf_type *t;
	char name[128];
	int id;

	if (!btf)
		return -1;
	snprintf(name, sizeof(name), "btf_trace_%s", tp);
	id = btf__find_by_name_kind(btf, name, BTF_KIND_TYPEDEF);
	if (id <= 0)
		return -1;
	t = btf__type_by_id(btf, btf__resolve_type(btf, id)); /* the pointer */
	if (!t || !btf_is_ptr(t))
		return -1;
	t = btf__type_by_id(btf, t->type);
	return t && btf_is_func_proto(t) ? btf_vlen(t) - 1 : -1; /* less void *__data */
}

const char *kernel_tracepoint_variant(const char *tp)
{
	const struct tracepoint *v = tracepoint_variant(tp, kernel_tracepoint_nargs(tp));

	return v ? v->prog : NULL;
}

/* Does the running kernel have this tracepoint (with this row's signature,
 * for a row with variants)? Typed ones show in BTF; otherwise look in
 * tracefs (mounting it if nobody has). */
static bool kernel_has_tracepoint(const struct tracepoint *tp)
{
	char path[160];
	struct stat st;

	if (tp->nargs && tracepoint_variant(tp->name, kernel_tracepoint_nargs(tp->name)) != tp)
		return false;
	if (kernel_has_btf_tracepoint(tp->name))
		return true;
	if (stat("/sys/kernel/tracing/events", &st))
		mount("nodev", "/sys/kernel/tracing", "tracefs", 0, NULL);
	snprintf(path, sizeof(path), "/sys/kernel/tracing/events/%s/%s", tp->category, tp->name);
	return !stat(path, &st);
}

/* The tracepoint's events were asked for, and the kernel has it (a
 * missing optional tracepoint is left out; a missing required one fails
 * check_tracepoints() first). */
static bool wanted(const struct tracepoint *tp, unsigned int events)
{
	/* Owner rows serve every event type. */
	bool serves = tp->type == EV_OWNER ? events != 0 : (events & EVMASK(tp->type)) != 0;

	return serves && (!tp->optional || kernel_has_tracepoint(tp));
}

static int select_programs(struct tracer *tr, unsigned int events, bool raw, const char **msg)
{
	struct twin other[TP_MAX];
	size_t i;
	int err;

	err = twins_of(tr->skel, raw, tr->twins, msg);
	if (!err)
		err = twins_of(tr->skel, !raw, other, msg);
	if (err)
		return err;
	/* With state events on, their programs record the owners at each
	 * transition too, and the owner_state row stays off. */
	tr->skel->rodata->targ_state_owner = (events & EVMASK(EV_STATE)) != 0;
	for (i = 0; i < ntracepoints; i++) {
		const struct tracepoint *tp = tr->twins[i].tp;
		bool on = wanted(tp, events) &&
			  !(tp->type == EV_OWNER && tr->skel->rodata->targ_state_owner &&
			    !strcmp(tp->name, "inet_sock_set_state"));

		bpf_program__set_autoload(tr->twins[i].main, on);
		bpf_program__set_autoload(tr->twins[i].rescue, on);
		bpf_program__set_autoload(other[i].main, false);
		bpf_program__set_autoload(other[i].rescue, false);
		if (!on)
			tr->twins[i].main = tr->twins[i].rescue = NULL;
	}
	return 0;
}

/* Every primary before any twin: a tracepoint calls its programs in the
 * order they were attached, and a twin must run after its primary. */
static int attach_programs(struct tracer *tr, const char **msg)
{
	size_t i;
	int k, n = 0;

	for (k = 0; k < 2; k++) {
		for (i = 0; i < ntracepoints; i++) {
			struct bpf_program *p = k ? tr->twins[i].rescue : tr->twins[i].main;

			if (!p)
				continue;
			tr->links[n] = bpf_program__attach(p);
			if (!tr->links[n]) {
				int err = -errno;

				snprintf(
				    errbuf, sizeof(errbuf),
				    "cannot attach %s to tracepoint %s:%s (-v shows libbpf's log)",
				    bpf_program__name(p), tr->twins[i].tp->category,
				    tr->twins[i].tp->name);
				*msg = errbuf;
				return err;
			}
			n++;
		}
	}
	return 0;
}

static void set_owner_filters(struct tcpscope_bpf *s, const struct owner_filter *o)
{
	int i;

	s->rodata->targ_npids = (__u32)o->npids;
	for (i = 0; i < o->npids && i < MAX_PIDS; i++)
		s->rodata->targ_pids[i] = o->pids[i];
	s->rodata->targ_filter_comm = o->comm[0] != '\0';
	memcpy((char *)s->rodata->targ_comm, o->comm, sizeof(o->comm));
	s->rodata->targ_ncgroups = (__u32)o->ncgroups;
	for (i = 0; i < o->ncgroups && i < MAX_CGROUPS; i++)
		memcpy((void *)&s->rodata->targ_cgroups[i], &o->cgroups[i], sizeof(o->cgroups[i]));
}

static void set_filters(struct tcpscope_bpf *s, const struct tracer_opts *o)
{
	int i, j;

	s->rodata->targ_family = o->family;
	s->rodata->targ_netns = o->netns;
	s->rodata->targ_filter_ports = o->nports > 0;
	s->rodata->targ_filter_cookies = o->filter_cookies;
	s->rodata->targ_probe_interval_ns = o->probe_interval_ns;
	s->rodata->wakeup_bytes = o->wakeup_bytes;
	s->rodata->targ_ncidrs = (__u32)o->ncidrs;
	for (i = 0; i < o->ncidrs && i < MAX_CIDRS; i++) {
		struct cidr_filter *f = (struct cidr_filter *)&s->rodata->targ_cidrs[i];
		uint8_t mask[16] = {};

		for (j = 0; j < o->cidrs[i].prefix; j++)
			mask[j / 8] |= (uint8_t)(0x80 >> (j % 8));
		memcpy(f->mask, mask, sizeof(mask));
		for (j = 0; j < 4; j++) {
			uint32_t a;

			memcpy(&a, o->cidrs[i].addr + 4 * j, 4);
			f->addr[j] = a & f->mask[j];
		}
		f->family = o->cidrs[i].family;
	}
	set_owner_filters(s, &o->owner);
}

static void destroy_programs(struct tracer *t)
{
	size_t i;

	for (i = 0; i < sizeof(t->links) / sizeof(t->links[0]); i++) {
		bpf_link__destroy(t->links[i]);
		t->links[i] = NULL;
	}
	tcpscope_bpf__destroy(t->skel);
	t->skel = NULL;
}

static int open_once(struct tracer *t, const struct tracer_opts *o, bool raw, const char **msg)
{
	struct tcpscope_bpf *s;
	uint8_t one = 1;
	int err, i;

	s = tcpscope_bpf__open();
	if (!s) {
		*msg = "cannot open the BPF object";
		return errno ? -errno : -ENOMEM; /* never 0 with no skeleton */
	}
	t->skel = s;
	err = select_programs(t, o->events, raw, msg);
	if (err)
		return err;
	set_filters(s, o);
	err = bpf_map__set_max_entries(
	    s->maps.events, (__u32)(o->ringbuf_size ? o->ringbuf_size : DEFAULT_RINGBUF_SIZE));
	if (!err && o->max_cookies)
		err = bpf_map__set_max_entries(s->maps.cookies, o->max_cookies);
	if (err) {
		*msg = "cannot size the BPF maps";
		return err;
	}
	err = tcpscope_bpf__load(s);
	if (err) {
		*msg = "the kernel refused to load the BPF programs (-v shows libbpf's log)";
		return err;
	}
	for (i = 0; i < o->nports; i++) {
		err = bpf_map__update_elem(s->maps.ports, &o->ports[i], sizeof(o->ports[i]), &one,
					   sizeof(one), BPF_ANY);
		if (err) {
			*msg = "cannot fill the port filter map";
			return err;
		}
	}
	err = attach_programs(t, msg);
	if (err)
		return err;
	t->raw_tp = raw;
	return 0;
}

/* A required tracepoint the kernel lacks: say which, in a line. */
static int check_tracepoints(unsigned int events, const char **msg)
{
	size_t i;

	for (i = 0; i < ntracepoints; i++) {
		const struct tracepoint *tp = &tracepoints[i];

		if (!(events & EVMASK(tp->type)) || tp->optional || kernel_has_tracepoint(tp))
			continue;
		snprintf(
		    errbuf, sizeof(errbuf),
		    "this kernel has no tracepoint %s:%s ('tcpscope doctor' lists what it has)",
		    tp->category, tp->name);
		*msg = errbuf;
		return -ENOENT;
	}
	return 0;
}

/* Auto: tp_btf unless a tracepoint to attach has no typed form. */
static bool want_raw_tp(const struct tracer_opts *o)
{
	size_t i;

	if (o->attach != ATTACH_AUTO)
		return o->attach == ATTACH_RAW_TP;
	for (i = 0; i < ntracepoints; i++)
		if (wanted(&tracepoints[i], o->events) &&
		    !kernel_has_btf_tracepoint(tracepoints[i].name))
			return true;
	return false;
}

/* Every hit the kernel ran this row's programs for: its twin runs for
 * each one the kernel does not skip for it, and counts them; the skips
 * are the twin's recursion misses. 0 if unreadable. */
static uint64_t dispatched(struct tracer *t, size_t row)
{
	const struct tracepoint *tp = t->twins[row].tp;
	struct bpf_map *map =
	    tp->twin_key & TWIN_OWNER(0) ? t->skel->maps.owner_twins : t->skel->maps.twins;
	__u32 key = tp->twin_key & ~TWIN_OWNER(0);
	struct twin_state *v = calloc((size_t)t->ncpus, sizeof(*v));
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	uint64_t n = 0;
	int i;

	if (!v)
		return 0;
	if (!bpf_map__lookup_elem(map, &key, sizeof(key), v, (size_t)t->ncpus * sizeof(*v), 0))
		for (i = 0; i < t->ncpus; i++)
			n += v[i].dispatched;
	free(v);
	if (!bpf_obj_get_info_by_fd(bpf_program__fd(t->twins[row].rescue), &info, &len))
		n += info.recursion_misses;
	return n;
}

bool tracer_counts_hits(void)
{
	return kernel_has_btf_type("eventfs_inode", BTF_KIND_STRUCT, NULL);
}

/* Whether a row's hits are worth a tracefs record each (counting them all
 * cost a keep-alive load a tenth of its rate, BENCHMARKS.md 16): not where
 * a hit the kernel skipped loses nothing that the next hit does not bring.
 * A sampled tcp_probe (--probe-interval above 0) emits at the socket's
 * next ACK instead; the owner hooks record the owner at its next send or
 * receive (until then its events say pid 0, not known). Every other hit
 * is an event. */
static bool crosscheck_wanted(const struct tracepoint *tp, const struct tracer_opts *o)
{
	if (tp->type == EV_PROBE)
		return o->probe_interval_ns == 0;
	return tp->type != EV_OWNER;
}

/* The hits from here on, counted both ways. The base is read first: a hit
 * between the two counts for BPF only, so an unrun hit is never claimed
 * that was not. A tracepoint tracefs cannot count stays unchecked. */
static void crosscheck_start(struct tracer *t, const struct tracer_opts *o)
{
	size_t i;

	if (!tracer_counts_hits())
		return;
	for (i = 0; i < ntracepoints; i++) {
		if (!t->twins[i].main)
			continue;
		if (!crosscheck_wanted(t->twins[i].tp, o)) {
			t->xc_skip[i] = true;
			continue;
		}
		t->xc_base[i] = dispatched(t, i);
		crosscheck__open(&t->xc[i], t->twins[i].tp->category, t->twins[i].tp->name);
	}
}

int tracer__open(struct tracer **tp, const struct tracer_opts *o, tracer_event_fn fn, void *ctx,
		 const char **msg)
{
	struct tracer *t;
	bool raw = want_raw_tp(o);
	int err;

	*tp = NULL;
	err = check_bpf_privileges(msg);
	if (err)
		return err;
	if (!vmlinux_btf()) {
		*msg = "the kernel has no BTF (/sys/kernel/btf/vmlinux): CO-RE needs "
		       "CONFIG_DEBUG_INFO_BTF=y";
		return -ENOENT;
	}
	err = check_tracepoints(o->events, msg);
	if (err)
		return err;
	verbose = o->verbose;
	libbpf_set_print(print_libbpf);
	reset_reasons_load();
	drop_reasons_load(vmlinux_btf());
	t = calloc(1, sizeof(*t));
	if (!t) {
		*msg = "out of memory";
		return -ENOMEM;
	}
	t->fn = fn;
	t->ctx = ctx;
	t->ncpus = libbpf_num_possible_cpus();
	err = open_once(t, o, raw, msg);
	if (err && !raw && o->attach == ATTACH_AUTO) {
		/* tp_btf refused (e.g. BPF tracing locked down): try raw_tp. */
		fprintf(stderr,
			"tcpscope: tp_btf refused (%s: %s); using raw_tp, where only "
			"sockets that already have a cookie carry one\n",
			*msg, strerror(-err));
		destroy_programs(t);
		err = open_once(t, o, true, msg);
	}
	if (err)
		goto fail;
	crosscheck_start(t, o);
	t->rb = ring_buffer__new(bpf_map__fd(t->skel->maps.events), on_sample, t, NULL);
	if (!t->rb) {
		err = -errno;
		*msg = "cannot map the ring buffer";
		goto fail;
	}
	*tp = t;
	return 0;
fail:
	tracer__destroy(t);
	return err < 0 ? err : -EINVAL;
}

uint64_t tracer_wakeup_default(uint64_t ringbuf_size)
{
	uint64_t size = ringbuf_size ? ringbuf_size : DEFAULT_RINGBUF_SIZE;

	return size / 4 < DEFAULT_WAKEUP ? size / 4 : DEFAULT_WAKEUP;
}

int tracer__poll(struct tracer *t, int timeout_ms)
{
	int n = ring_buffer__poll(t->rb, timeout_ms);

	if (n < 0)
		return n;
	/* Batched wakeups leave events below the mark with no epoll wakeup:
	 * the timeout's end takes them. */
	return tracer__drain(t);
}

int tracer__drain(struct tracer *t)
{
	return ring_buffer__consume(t->rb);
}

/* One counter of the per-CPU map, summed over the CPUs. */
static uint64_t counter_sum(struct tracer *t, __u32 key)
{
	__u64 vals[t->ncpus];
	uint64_t sum = 0;
	int i;

	if (bpf_map__lookup_elem(t->skel->maps.counters, &key, sizeof(key), vals, sizeof(vals), 0))
		return 0;
	for (i = 0; i < t->ncpus; i++)
		sum += vals[i];
	return sum;
}

/* Holds never released: those still in the map are half-open children,
 * the rest were evicted (or overwritten by a later hold at the same
 * address). Releases go on while the map is walked: the releases counted
 * after the walk make the evicted figure a lower bound, never a false
 * loss. Only where the kernel holds at all. */
static void syn_recv_unreleased(struct tracer *t, struct tracer_counts *c)
{
	uint64_t open = 0, unreleased = c->syn_recv_held - c->syn_recv_released, released;
	__u64 key, next, *prev = NULL;

	if (c->syn_recv_held <= c->syn_recv_released)
		return;
	while (!bpf_map__get_next_key(t->skel->maps.syn_recv_held, prev, &next, sizeof(next))) {
		open++;
		key = next;
		prev = &key;
	}
	released = counter_sum(t, CNT_SYN_RECV_RELEASED);
	if (c->syn_recv_held > released + open)
		c->syn_recv_evicted = c->syn_recv_held - released - open;
	if (c->syn_recv_evicted > unreleased)
		c->syn_recv_evicted = unreleased;
	c->syn_recv_pending = unreleased - c->syn_recv_evicted;
}

/* tracefs's count of each row's hits, -1 where it has none. */
static void unrun_hits(struct tracer *t, int64_t *hits)
{
	uint64_t n;
	size_t i;

	for (i = 0; i < ntracepoints; i++)
		hits[i] = t->twins[i].main && !crosscheck__hits(&t->xc[i], &n) ? (int64_t)n : -1;
}

/* The hits tracefs counted that the kernel gave none of our programs: of
 * every socket, so an upper bound on the events of ours they carried. */
static void unrun_count(struct tracer *t, const int64_t *hits, struct tracer_counts *c)
{
	uint64_t ran, unrun;
	size_t i;

	c->unrun_checked = true;
	for (i = 0; i < ntracepoints; i++) {
		if (!t->twins[i].main)
			continue;
		if (t->xc_skip[i])
			continue;
		if (hits[i] < 0) {
			c->unrun_checked = false;
			continue;
		}
		ran = dispatched(t, i) - t->xc_base[i];
		unrun = (uint64_t)hits[i] > ran ? (uint64_t)hits[i] - ran : 0;
		if (t->twins[i].tp->type < EV_TYPE_MAX) /* owner rows are not counted */
			c->unrun[t->twins[i].tp->type] += unrun;
	}
}

int tracer__counts(struct tracer *t, struct tracer_counts *c)
{
	__u64 vals[t->ncpus], owner_misses = 0, owner_rescued = 0;
	int64_t kernel_hits[TP_MAX];
	__u32 key;
	int i, err;

	memset(c, 0, sizeof(*c));
	/* tracefs first: see crosscheck_start(). */
	unrun_hits(t, kernel_hits);
	for (key = 0; key < CNT_MAX; key++) {
		err = bpf_map__lookup_elem(t->skel->maps.counters, &key, sizeof(key), vals,
					   sizeof(vals), 0);
		if (err)
			return err;
		for (i = 0; i < t->ncpus; i++) {
			uint32_t type = key % EV_TYPE_MAX;

			if (key == CNT_SYN_RECV_HELD)
				c->syn_recv_held += vals[i];
			else if (key == CNT_SYN_RECV_RELEASED)
				c->syn_recv_released += vals[i];
			else if (key < EV_TYPE_MAX)
				c->seen[type] += vals[i];
			else if (key < 2 * EV_TYPE_MAX)
				c->lost[type] += vals[i];
			else if (key < 3 * EV_TYPE_MAX)
				c->sampled[type] += vals[i];
			else if (key < 4 * EV_TYPE_MAX)
				c->rescued[type] += vals[i];
			else if (key == CNT_RESCUED(EV_OWNER))
				owner_rescued += vals[i];
			else
				c->unowned[key - CNT_UNOWNED(0)] += vals[i];
		}
	}
	for (i = 0; i < (int)ntracepoints; i++) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);

		if (!t->twins[i].main)
			continue;
		err = bpf_obj_get_info_by_fd(bpf_program__fd(t->twins[i].main), &info, &len);
		if (err)
			return err;
		if (t->twins[i].tp->type == EV_OWNER)
			owner_misses += info.recursion_misses;
		else
			c->recursion_misses[t->twins[i].tp->type] += info.recursion_misses;
	}
	c->owner_lost = owner_misses > owner_rescued ? owner_misses - owner_rescued : 0;
	syn_recv_unreleased(t, c);
	for (i = 0; i < EV_TYPE_MAX; i++) {
		/* Misses the twin did not rescue are gone for good; rescues
		 * beyond the misses were sent twice. */
		if (c->recursion_misses[i] > c->rescued[i])
			c->lost[i] += c->recursion_misses[i] - c->rescued[i];
		else
			c->duplicated[i] = c->rescued[i] - c->recursion_misses[i];
	}
	unrun_count(t, kernel_hits, c);
	return 0;
}

int tracer__counts_of(void *t, struct tracer_counts *c)
{
	return tracer__counts(t, c);
}

int tracer__add_cookie(struct tracer *t, uint64_t cookie)
{
	uint8_t one = 1;

	return bpf_map__update_elem(t->skel->maps.cookies, &cookie, sizeof(cookie), &one,
				    sizeof(one), BPF_ANY);
}

int tracer__add_own_port(struct tracer *t, uint16_t port)
{
	uint32_t key = port; /* an array indexed by port */
	uint8_t one = 1;

	return bpf_map__update_elem(t->skel->maps.own_ports, &key, sizeof(key), &one, sizeof(one),
				    BPF_ANY);
}

int tracer__del_cookie(struct tracer *t, uint64_t cookie)
{
	return bpf_map__delete_elem(t->skel->maps.cookies, &cookie, sizeof(cookie), 0);
}

/* With kernel.unprivileged_bpf_disabled set, 6.5+ ("bpf: Move unprivileged
 * checks into map_create() and bpf_prog_load()") and Debian 12's 6.1
 * refuse only map creation and program loading without CAP_BPF: a map fd
 * we hold works without any capability. A kernel that checks every bpf()
 * command would refuse that too. Rather than guess from the version, a
 * child drops everything and tries a lookup on our counters map. */
uint64_t tracer__caps_needed(struct tracer *t)
{
	int status = 0;
	pid_t pid = fork();

	if (pid < 0)
		return PRIVS_CAP(CAP_BPF); /* cannot tell: keep what the maps may need */
	if (pid == 0) {
		__u64 vals[t->ncpus];
		const char *msg = "";
		__u32 key = 0;

		if (privs_drop(0, &msg))
			_exit(2);
		_exit(bpf_map__lookup_elem(t->skel->maps.counters, &key, sizeof(key), vals,
					   sizeof(vals), 0)
			  ? 1
			  : 0);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : PRIVS_CAP(CAP_BPF);
}

const char *tracer__attach_name(const struct tracer *t)
{
	return t->raw_tp ? "raw_tp" : "tp_btf";
}

bool tracer__typed(const struct tracer *t)
{
	return !t->raw_tp;
}

bool tracer__attached(const struct tracer *t, unsigned int type)
{
	size_t i;

	for (i = 0; i < ntracepoints; i++)
		if (t->twins[i].main && t->twins[i].tp->type == type)
			return true;
	return false;
}

void tracer__destroy(struct tracer *t)
{
	if (!t)
		return;
	ring_buffer__free(t->rb);
	for (size_t i = 0; i < ntracepoints; i++)
		crosscheck__close(&t->xc[i]);
	destroy_programs(t);
	free(t);
}

uint64_t tracer_opt_probe_interval(const char *cmd, const char *val)
{
	uint64_t ms;
	int err = parse_u64(val, 0, 3600 * 1000, &ms);

	if (err)
		cli_bad_number(cmd, "--probe-interval", val, err, 0,
			       "milliseconds from 0 to 3600000");
	return ms * 1000000ULL;
}

uint64_t tracer_opt_ringbuf_size(const char *cmd, const char *val)
{
	uint64_t v;
	int err = parse_size(val, 4096, 1ULL << 30, &v);

	if (!err && (v & (v - 1)))
		err = -EINVAL;
	if (err)
		cli_bad_number(cmd, "--ringbuf-size", val, err, 4096,
			       "a power of two from 4k to 1G, such as 16M");
	return v;
}

enum attach_mode tracer_opt_attach(const char *cmd, const char *val)
{
	if (!strcmp(val, "auto"))
		return ATTACH_AUTO;
	if (!strcmp(val, "tp_btf"))
		return ATTACH_TP_BTF;
	if (!strcmp(val, "raw_tp"))
		return ATTACH_RAW_TP;
	cli_bad_value(cmd, "--attach", val, -EINVAL, "auto, tp_btf or raw_tp");
}
