/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The owner filters trace and stress --trace share (--pid, --cgroup,
 * --comm), and what the summary says about them. */
#ifndef TCPSCOPE_OWNER_H
#define TCPSCOPE_OWNER_H

#include <stdio.h>
#include "lib/jsonw.h"
#include "tracer/tracer.h"

/* Add VAL to the filters or fail the command line (exit 2) naming CMD. */
void tracer_opt_pid(const char *cmd, struct owner_filter *o, const char *val);
void tracer_opt_cgroup(const char *cmd, struct owner_filter *o, const char *val);
void tracer_opt_comm(const char *cmd, struct owner_filter *o, const char *val);
bool owner_filter_on(const struct owner_filter *o);

/* Events the owner filters could not decide (owner not known yet), and
 * owner records lost: a line for the text summary (nothing when both are
 * 0), and the members "owner_undecided", "owner_undecided_by_type" and
 * "owner_records_lost" of the JSON one. */
void owner_counts_text(FILE *f, const struct tracer_counts *c);
void owner_counts_json(struct jw *w, const struct tracer_counts *c);

#endif
