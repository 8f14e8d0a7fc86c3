/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * stress --trace: the tracer joined to the load engine's own connections by
 * socket cookie, on one clock (CLOCK_MONOTONIC in the kernel and here).
 */
#ifndef TCPSCOPE_CORRELATE_H
#define TCPSCOPE_CORRELATE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "lib/jsonw.h"
#include "load/stress.h"
#include "tracer/tracer.h"

struct corr_opts {
	bool trace_all;	      /* keep other sockets' events too, as foreign */
	const char *timeline; /* JSON lines of every joined event, or NULL */
	uint64_t probe_interval_ns;
	uint64_t ringbuf_size; /* 0: default */
	uint32_t max_conns;    /* size of the kernel's cookie map */
	enum attach_mode attach;
	struct owner_filter owner; /* --pid, --cgroup, --comm */
	bool verbose;
	const char *metrics_addr; /* --metrics: served from a thread of its own, or NULL */
};

struct correlator;

/* Load and attach the tracer (before the first connect). 0 or -errno, with
 * a one-line reason on stderr. */
int correlator__open(struct correlator **cp, const struct corr_opts *o);
/* The hooks to give stress_run(). */
void correlator__hooks(struct correlator *c, struct stress_hooks *h);
/* Poll the ring buffer on a thread of its own until correlator__stop(). */
int correlator__start(struct correlator *c);
/* Stop polling and take what is left in the ring buffer. */
void correlator__stop(struct correlator *c);
/* After correlator__stop(): one more line at the end of the timeline,
 * written by fn (the run's summary, for tcpscope report). 0 or -errno. */
int correlator__timeline_append(struct correlator *c, void (*fn)(void *ctx, FILE *f), void *ctx);
/* The kernel's view of the run, after the load engine's summary. */
void correlator__print_text(struct correlator *c, const struct stress_result *r, FILE *f);
/* The "trace" member of stress --json. */
void correlator__print_json(struct correlator *c, struct jw *w);
/* After correlator__stop(): the kernel's view of the connection of this
 * cookie, as members of its --records line (why__conn_json()'s verdict,
 * drops and their reason, and its retransmitted segments); "verdict":null
 * when the join has no record of it. */
void correlator__record_json(struct correlator *c, uint64_t cookie, struct jw *w);
/* Lost events or a failed timeline write: the run's exit status is 1. */
bool correlator__failed(const struct correlator *c);
/* What the tracer's maps need kept after the privilege drop (tracer.h). */
uint64_t correlator__caps_needed(struct correlator *c);
void correlator__destroy(struct correlator *c);

#endif
