/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * --metrics ADDR:PORT: counters and histograms of the tracer's events served
 * as Prometheus text on /metrics by a tiny HTTP/1.0 responder. One thread
 * owns it: the one that polls the ring buffer calls metrics__event() and
 * metrics__serve(). Labels come from fixed sets (kinds, states, event types,
 * reset reasons): never per connection.
 */
#ifndef TCPSCOPE_METRICS_H
#define TCPSCOPE_METRICS_H

#include "tcpscope.h"
#include "tracer/tracer.h"

struct metrics;

/* Listen on addr ("127.0.0.1:9464", "[::1]:9464"); 0 or -errno with a
 * one-line reason on stderr, naming cmd. */
int metrics__open(struct metrics **mp, const char *addr, const char *cmd);
void metrics__event(struct metrics *m, const struct event *e);
/* Answer the scrapes waiting, without blocking for new ones; t gives the
 * loss counters. */
void metrics__serve(struct metrics *m, struct tracer *t);
/* The page as served, into f (for tests and the end of a run). */
void metrics__write(struct metrics *m, struct tracer *t, FILE *f);
void metrics__destroy(struct metrics *m);

#endif
