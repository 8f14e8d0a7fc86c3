/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The BPF side's loader: open, set filters, load, attach, poll. */
#ifndef TCPSCOPE_TRACER_H
#define TCPSCOPE_TRACER_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "tcpscope.h"
#include "lib/owner_opt.h"

enum attach_mode {
	ATTACH_AUTO, /* tp_btf where the kernel has it, else raw_tp */
	ATTACH_TP_BTF,
	ATTACH_RAW_TP,
};

struct tracer_opts {
	unsigned int events; /* EVMASK() bits */
	uint8_t family;	     /* 0, 4 or 6 */
	uint32_t netns;	     /* inode, 0 for all */
	uint16_t ports[MAX_PORTS];
	int nports;
	struct cidr cidrs[MAX_CIDRS];
	int ncidrs;
	bool filter_cookies;  /* only sockets added with tracer__add_cookie() */
	uint32_t max_cookies; /* size of the cookie map (0: default 65536) */
	uint64_t probe_interval_ns;
	uint64_t ringbuf_size; /* bytes, a power of two (0: default 16 MiB) */
	/* Wake the reader each time another wakeup_bytes wait in the ring
	 * (tracer_wakeup_default()); 0: per event, the kernel's default. */
	uint64_t wakeup_bytes;
	struct owner_filter owner;
	enum attach_mode attach;
	bool verbose;
};

/* Called for each event, in order, from tracer__poll(). Non-zero stops the
 * poll and is returned from it. */
typedef int (*tracer_event_fn)(void *ctx, const struct event *e);

struct tracer_counts {
	uint64_t seen[EV_TYPE_MAX];		/* passed the filters in the kernel */
	uint64_t lost[EV_TYPE_MAX];		/* never delivered: ring buffer full, or
						 * skipped by recursion and not rescued */
	uint64_t sampled[EV_TYPE_MAX];		/* skipped by --probe-interval */
	uint64_t recursion_misses[EV_TYPE_MAX]; /* primaries skipped by the kernel */
	uint64_t rescued[EV_TYPE_MAX];		/* of which the twins took over */
	/* Left out by --pid, --comm or --cgroup while the socket's owner was
	 * not known yet (the filter could not decide). */
	uint64_t unowned[EV_TYPE_MAX];
	/* Owner records the kernel skipped by recursion and the twins did not
	 * rescue: those sockets' later events may say pid 0. */
	uint64_t owner_lost;
	/* Children's LISTEN -> SYN_RECV held until the child has its identity
	 * (kernels before upstream "inet: consolidate inet_csk_clone_lock()";
	 * 0 on later ones) and released at the child's next transition. Of
	 * the rest, pending are still held (half-open children) when counted,
	 * evicted were pushed out of the hold's 16384 entries: their events
	 * are lost, before any filter could say whether they were asked for. */
	uint64_t syn_recv_held, syn_recv_released, syn_recv_pending, syn_recv_evicted;
	/* Hits of the tracepoints whose programs the kernel did not run at
	 * all and did not count as recursion misses either (seen on 6.18:
	 * softirqs run on top of another task), by the events the tracepoint
	 * sends: tracefs counted them (src/tracer/crosscheck.h). Every
	 * socket's, not just those the filters keep, so at most this many of
	 * the events asked for are lost. unrun_checked: tracefs counted every
	 * attached tracepoint whose hits it is asked to count. */
	uint64_t unrun[EV_TYPE_MAX];
	bool unrun_checked;
	/* Hits a twin took that its primary had sent too (rescues beyond the
	 * recursion misses): delivered twice. */
	uint64_t duplicated[EV_TYPE_MAX];
};

struct tracer;

#define DEFAULT_RINGBUF_SIZE (16ULL << 20)

/* Batched wakeups: the BPF side wakes the reader once per wakeup_bytes of
 * waiting events, and a reader that polls with a timeout of at most
 * TRACER_FLUSH_MS takes what waits below the mark: no event waits longer
 * than that (plus the reader's own work). */
#define TRACER_FLUSH_MS 50
#define DEFAULT_WAKEUP	(256ULL << 10)

/* The default wakeup_bytes for a ring of ringbuf_size bytes (0: the
 * default size): DEFAULT_WAKEUP, or a quarter of a ring under 1 MiB. */
uint64_t tracer_wakeup_default(uint64_t ringbuf_size);

/* Returns 0 or -errno; on failure *msg says what is missing, in a line. */
int tracer__open(struct tracer **tp, const struct tracer_opts *o, tracer_event_fn fn, void *ctx,
		 const char **msg);
/* Wait up to timeout_ms (at most TRACER_FLUSH_MS keeps the latency bound of
 * batched wakeups), then take everything waiting. Returns the number of
 * events handled, or a negative errno (-EINTR is a clean stop). */
int tracer__poll(struct tracer *t, int timeout_ms);
/* Take everything still in the ring buffer. */
int tracer__drain(struct tracer *t);
int tracer__counts(struct tracer *t, struct tracer_counts *c);
/* The same with the tracer as a void *: a callback for those who must not
 * link the tracer (metrics). */
int tracer__counts_of(void *t, struct tracer_counts *c);
int tracer__add_cookie(struct tracer *t, uint64_t cookie);
int tracer__del_cookie(struct tracer *t, uint64_t cookie);
/* With filter_cookies: sockets with this local port pass as well. */
int tracer__add_own_port(struct tracer *t, uint16_t port);
/* The capabilities the rest of a run needs to keep using the maps once
 * attached: 0 on Linux >= 6.5, CAP_BPF before (a PRIVS_CAP() mask). */
uint64_t tracer__caps_needed(struct tracer *t);
/* "tp_btf" or "raw_tp". */
const char *tracer__attach_name(const struct tracer *t);
/* tp_btf: every event carries its socket's cookie (raw_tp's only once the
 * cookie has been asked for). */
bool tracer__typed(const struct tracer *t);
/* Is a tracepoint sending events of this type attached (an optional one
 * the kernel lacks is not)? */
bool tracer__attached(const struct tracer *t, unsigned int type);
void tracer__destroy(struct tracer *t);

/* Options trace and stress --trace share: parse VAL or fail the command
 * line (exit 2) naming CMD. */
uint64_t tracer_opt_probe_interval(const char *cmd, const char *val);
uint64_t tracer_opt_ringbuf_size(const char *cmd, const char *val);
enum attach_mode tracer_opt_attach(const char *cmd, const char *val);

/* Does the running kernel's BTF have a typed tracepoint for tp? */
bool kernel_has_btf_tracepoint(const char *tp);
/* The running kernel's BTF has type NAME of KIND (BTF_KIND_*), with a
 * member MEMBER ("a.b" for a member of a member; anonymous members are
 * looked into) unless that is NULL. */
bool kernel_has_btf_type(const char *name, int kind, const char *member);
/* Whether tracing counts each tracepoint's hits in tracefs too (unrun):
 * where tracefs has eventfs (6.6), which makes an instance cheap. */
bool tracer_counts_hits(void);
/* Give reset_reason_name() (events.h) the names of the kernel's enum
 * sk_rst_reason, from its BTF; tracer__open() does it. */
void reset_reasons_load(void);
/* The arguments the kernel's tracepoint tp passes, from its BTF typedef
 * btf_trace_<tp>; -1 if BTF does not say. */
int kernel_tracepoint_nargs(const char *tp);
/* The program short name of the row of tracepoint tp whose signature fits
 * the running kernel ("drop_rx"); NULL if none fits. */
const char *kernel_tracepoint_variant(const char *tp);
/* Needs root or CAP_BPF and CAP_PERFMON: 0, or -EPERM with *msg set. */
int check_bpf_privileges(const char **msg);

#endif
