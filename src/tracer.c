// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include "tracer.h" /* before the skeleton: its rodata uses our types */
#include "tcpscope.skel.h"

struct tracer {
	struct tcpscope_bpf *skel;
	struct ring_buffer *rb;
	tracer_event_fn fn;
	void *ctx;
	int ncpus;
	bool raw_tp;
};

static const char *const tp_names[EV_TYPE_MAX] = {
	[EV_RETRANSMIT] = "tcp_retransmit_skb",
	[EV_STATE] = "inet_sock_set_state",
	[EV_PROBE] = "tcp_probe",
	[EV_SEND_RESET] = "tcp_send_reset",
	[EV_RECV_RESET] = "tcp_receive_reset",
};

static bool verbose;

static int print_libbpf(enum libbpf_print_level level, const char *fmt, va_list args)
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

const char *reset_reason_name(uint32_t reason)
{
	static char names[128][48];
	static bool loaded;
	struct btf *btf;
	const struct btf_type *t;
	const struct btf_enum *en;
	int id, i, n;

	if (!loaded) {
		loaded = true;
		btf = vmlinux_btf();
		id = btf ? btf__find_by_name_kind(btf, "sk_rst_reason", BTF_KIND_ENUM) : -1;
		if (id > 0) {
			t = btf__type_by_id(btf, id);
			en = btf_enum(t);
			n = btf_vlen(t);
			for (i = 0; i < n; i++, en++) {
				const char *s = btf__name_by_offset(btf, en->name_off);
				char *d;

				if (en->val < 0 || en->val >= 128 || !s)
					continue;
				if (!strncmp(s, "SK_RST_REASON_", 14))
					s += 14;
				snprintf(names[en->val], sizeof(names[0]), "%s", s);
				for (d = names[en->val]; *d; d++)
					*d = (char)tolower((unsigned char)*d);
			}
		}
	}
	return reason < 128 ? names[reason] : "";
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

static void select_programs(struct tcpscope_bpf *s, unsigned int events, bool raw)
{
	struct bpf_program *btf_progs[EV_TYPE_MAX] = {
		s->progs.btf_retransmit, s->progs.btf_state, s->progs.btf_probe,
		s->progs.btf_send_reset, s->progs.btf_recv_reset,
	};
	struct bpf_program *raw_progs[EV_TYPE_MAX] = {
		s->progs.raw_retransmit, s->progs.raw_state, s->progs.raw_probe,
		s->progs.raw_send_reset, s->progs.raw_recv_reset,
	};
	int i;

	bool rt = events & EVMASK(EV_RETRANSMIT);

	for (i = 0; i < EV_TYPE_MAX; i++) {
		bool on = events & EVMASK(i);

		bpf_program__set_autoload(btf_progs[i], on && !raw);
		bpf_program__set_autoload(raw_progs[i], on && raw);
	}
	/* SYN-ACK retransmits are retransmits too (and in RetransSegs). */
	bpf_program__set_autoload(s->progs.btf_synack, rt && !raw);
	bpf_program__set_autoload(s->progs.raw_synack, rt && raw);
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
}

static int open_once(struct tracer *t, const struct tracer_opts *o, bool raw, const char **msg)
{
	struct tcpscope_bpf *s;
	uint8_t one = 1;
	int err, i;

	s = tcpscope_bpf__open();
	if (!s) {
		*msg = "cannot open the BPF object";
		return -errno;
	}
	t->skel = s;
	select_programs(s, o->events, raw);
	set_filters(s, o);
	err = bpf_map__set_max_entries(s->maps.events,
				       (__u32)(o->ringbuf_size ? o->ringbuf_size :
								 DEFAULT_RINGBUF_SIZE));
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
	err = tcpscope_bpf__attach(s);
	if (err) {
		*msg = "cannot attach to the TCP tracepoints (-v shows libbpf's log)";
		return err;
	}
	t->raw_tp = raw;
	return 0;
}

static bool want_raw_tp(const struct tracer_opts *o)
{
	int i;

	if (o->attach != ATTACH_AUTO)
		return o->attach == ATTACH_RAW_TP;
	for (i = 0; i < EV_TYPE_MAX; i++)
		if ((o->events & EVMASK(i)) && !kernel_has_btf_tracepoint(tp_names[i]))
			return true;
	if ((o->events & EVMASK(EV_RETRANSMIT)) &&
	    !kernel_has_btf_tracepoint("tcp_retransmit_synack"))
		return true;
	return false;
}

int tracer__open(struct tracer **tp, const struct tracer_opts *o, tracer_event_fn fn,
		 void *ctx, const char **msg)
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
	verbose = o->verbose;
	libbpf_set_print(print_libbpf);
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
		if (o->verbose)
			fprintf(stderr, "tcpscope: tp_btf failed (%s), trying raw_tp\n",
				strerror(-err));
		tcpscope_bpf__destroy(t->skel);
		t->skel = NULL;
		err = open_once(t, o, true, msg);
	}
	if (err)
		goto fail;
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

int tracer__poll(struct tracer *t, int timeout_ms)
{
	int n = ring_buffer__poll(t->rb, timeout_ms);

	if (n < 0)
		return n;
	/* Batched wakeups may leave events without an epoll wakeup. */
	return tracer__drain(t);
}

int tracer__drain(struct tracer *t)
{
	return ring_buffer__consume(t->rb);
}

int tracer__counts(struct tracer *t, struct tracer_counts *c)
{
	__u64 vals[t->ncpus];
	__u32 key;
	int i, err;

	memset(c, 0, sizeof(*c));
	for (key = 0; key < CNT_MAX; key++) {
		err = bpf_map__lookup_elem(t->skel->maps.counters, &key, sizeof(key), vals,
					   sizeof(vals), 0);
		if (err)
			return err;
		for (i = 0; i < t->ncpus; i++) {
			uint32_t type = key % EV_TYPE_MAX;

			if (key < EV_TYPE_MAX)
				c->seen[type] += vals[i];
			else if (key < 2 * EV_TYPE_MAX)
				c->lost[type] += vals[i];
			else
				c->sampled[type] += vals[i];
		}
	}
	return 0;
}

int tracer__add_cookie(struct tracer *t, uint64_t cookie)
{
	uint8_t one = 1;

	return bpf_map__update_elem(t->skel->maps.cookies, &cookie, sizeof(cookie), &one,
				    sizeof(one), BPF_ANY);
}

int tracer__del_cookie(struct tracer *t, uint64_t cookie)
{
	return bpf_map__delete_elem(t->skel->maps.cookies, &cookie, sizeof(cookie), 0);
}

const char *tracer__attach_name(const struct tracer *t)
{
	return t->raw_tp ? "raw_tp" : "tp_btf";
}

void tracer__destroy(struct tracer *t)
{
	if (!t)
		return;
	ring_buffer__free(t->rb);
	tcpscope_bpf__destroy(t->skel);
	free(t);
}
