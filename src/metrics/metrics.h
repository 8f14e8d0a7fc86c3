/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * --metrics ADDR:PORT: counters and histograms of the tracer's events served
 * as Prometheus text on /metrics. Two threads share it and neither waits for
 * the other: the one that polls the ring buffer calls metrics__event() per
 * event (plain counters of its own) and metrics__publish() at each poll
 * tick (a copy handed over without a lock); the server's thread
 * (metrics/httpd.c) renders the latest copy per scrape. Labels come from
 * fixed sets (kinds, states, event types, reset reasons): never per
 * connection.
 */
#ifndef TCPSCOPE_METRICS_H
#define TCPSCOPE_METRICS_H

#include "tcpscope.h"
#include "metrics/httpd.h"
#include "tracer/tracer.h"

struct metrics;

/* Where the page's loss counters and attach mode come from (the tracer's,
 * in a run), so that this module needs no tracer, and its tests no libbpf.
 * NULL: none (counters absent, attach "none"). */
struct metrics_source {
	int (*counts)(void *ctx, struct tracer_counts *c); /* 0 or -errno */
	void *ctx;
	const char *attach;
};

/* Listen on addr ("127.0.0.1:9464", "[::1]:9464"); 0 or -errno with a
 * one-line reason on stderr, naming cmd. Nothing is served before
 * metrics__start(). */
int metrics__open(struct metrics **mp, const char *addr, const char *cmd);
/* Serve from a thread of its own; src (or NULL) is copied, and what it
 * points to must outlive the thread. Start it after privileges are dropped: capabilities are
 * per thread. lim NULL: the defaults in metrics/httpd.h. */
int metrics__start(struct metrics *m, const struct metrics_source *src,
		   const struct httpd_limits *lim, const char *cmd);
/* The event thread's two calls. */
void metrics__event(struct metrics *m, const struct event *e);
void metrics__publish(struct metrics *m);
/* The page of the last publish, into f: on the server's thread, or (tests)
 * when it is not running. */
void metrics__write(struct metrics *m, const struct metrics_source *src, FILE *f);
/* Stops and joins the server's thread: before t is destroyed. */
void metrics__destroy(struct metrics *m);

#endif
