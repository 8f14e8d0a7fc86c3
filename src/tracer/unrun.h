/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* What trace's and stress --trace's summaries say about the hits the
 * kernel ran none of our programs for (tracefs counted them) and the hits
 * a twin sent twice: src/tracer/crosscheck.h, tracer.h. */
#ifndef TCPSCOPE_UNRUN_H
#define TCPSCOPE_UNRUN_H

#include <stdio.h>
#include "lib/jsonw.h"
#include "tracer/tracer.h"

uint64_t unrun_total(const struct tracer_counts *c);

/* A line each when there were any; prefix goes before them. */
void unrun_text(FILE *f, const char *prefix, const struct tracer_counts *c);
/* "unrun", "unrun_by_type", "unrun_owner", "unrun_checked", "duplicated",
 * "duplicated_by_type". */
void unrun_json(struct jw *w, const struct tracer_counts *c);

#endif
