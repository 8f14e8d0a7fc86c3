/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* What trace's and stress --trace's summaries say about the kernel side's
 * LISTEN -> SYN_RECV hold (bpf/tcpscope.bpf.c, handle_state). */
#ifndef TCPSCOPE_HOLDS_H
#define TCPSCOPE_HOLDS_H

#include <stdio.h>
#include "lib/jsonw.h"
#include "tracer/tracer.h"

/* A line when the kernel held any (nothing on kernels that never hold);
 * prefix goes before it ("" or stress's indent). */
void syn_recv_holds_text(FILE *f, const char *prefix, const struct tracer_counts *c);
/* The "syn_recv_holds" member: held, released, half_open, evicted. */
void syn_recv_holds_json(struct jw *w, const struct tracer_counts *c);

#endif
