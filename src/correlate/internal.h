/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Inside the correlator: the join (correlate.c) and its summary
 * (summary.c) need no tracer; run.c gives them one. Tests drive the join
 * directly, with a cookie filter of their own.
 */
#ifndef TCPSCOPE_CORRELATE_INTERNAL_H
#define TCPSCOPE_CORRELATE_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include "correlate/cong.h"
#include "correlate/conntab.h"
#include "correlate/correlate.h"
#include "lib/hist.h"
#include "lib/tcpstate.h"
#include "tracer/owner.h"

/* What the join asks of the kernel's filter (tracer__add_cookie() etc.). */
struct cookie_filter {
	void *ctx;
	int (*add)(void *ctx, uint64_t cookie);
	int (*del)(void *ctx, uint64_t cookie);
	int (*add_port)(void *ctx, uint16_t port);
};

/* The join keeps every connection of the run to its end: at most this
 * many (about 1.7 GB), events of any past them are counted untracked. */
#define CORR_MAX_CONNS 4000000

struct corr_summary;

struct correlator {
	struct corr_opts o;
	struct cookie_filter filter;
	struct tracer *t;
	pthread_t thread;
	bool running;
	volatile bool stop;
	int poll_err;
	pthread_mutex_t lock; /* conns, the counters below, the timeline */
	struct conntab conns;
	FILE *timeline;
	int timeline_err;
	/* what the kernel told us */
	uint64_t events[EV_TYPE_MAX];
	uint64_t foreign[EV_TYPE_MAX];
	struct rtx_count rtx;
	uint64_t reasons[64]; /* resets sent, by enum sk_rst_reason */
	struct drop_count drops;
	struct drop_count drops_ours; /* of those, the ones on our connections */
	/* Drops without a cookie, joined by 4-tuple once every connection
	 * knows its ports (the local port arrives after SYN_SENT). */
	struct event *unjoined;
	size_t nunjoined, unjoined_cap;
	uint64_t untraced; /* cookies the kernel map refused */
	bool by_port;	   /* the built-in server's port selects our sockets */
	bool typed;	   /* tp_btf: every event has its socket's cookie */
	struct hist handshake_ns;
	struct hist in_state_ns[TCP_NSTATES];
	struct owner_tally owners; /* by process and cgroup */
	struct cong_tally cong;	   /* congestion states' intervals */
	/* set by correlator__stop() */
	struct tracer_counts tc;
	const char *attach;
	struct metrics *metrics;      /* --metrics: counted by the poll thread */
	struct corr_summary *summary; /* computed once, at the first print */
};

/* The join's state, before any event. 0 or -ENOMEM. */
int correlator__init(struct correlator *k, const struct corr_opts *o);
void correlator__fini(struct correlator *k);
/* Join the drops that came without a cookie (correlator__stop() does). */
void correlator__join_drops(struct correlator *k);
/* One event from the ring buffer (a tracer_event_fn). */
int correlator__event(void *ctx, const struct event *e);

#endif
