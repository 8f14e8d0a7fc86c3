/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The owner filters trace and stress --trace share (--pid, --cgroup,
 * --comm), and what the summary says about them. */
#ifndef TCPSCOPE_OWNER_H
#define TCPSCOPE_OWNER_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include "lib/jsonw.h"
#include "tracer/tracer.h"

/* Events the owner filters could not decide (owner not known yet), and
 * owner records lost: a line for the text summary (nothing when both are
 * 0), and the members "owner_undecided", "owner_undecided_by_type" and
 * "owner_records_lost" of the JSON one. */
void owner_counts_text(FILE *f, const struct tracer_counts *c);
void owner_counts_json(struct jw *w, const struct tracer_counts *c);

/* Retransmitted segments and resets by owning process and by cgroup, for
 * the summaries' top lists. Bounded: past OWNER_TALLY_MAX processes (or
 * cgroups) the rest count as "other". */
#define OWNER_TALLY_MAX 4096

struct owner_row {
	uint64_t key;	    /* pid, or cgroup id; 0: not known */
	uint64_t cgroup_id; /* a process's socket cgroup (its last one) */
	uint64_t retrans_segs, resets_sent, resets_received;
	char comm[16];
};

struct owner_tab {
	struct owner_row *rows;
	size_t cap, used;
	struct owner_row other;
};

struct owner_tally {
	struct owner_tab procs, cgroups;
};

void owner_tally__event(struct owner_tally *t, const struct event *e);
void owner_tally__free(struct owner_tally *t);
/* Up to max rows by retransmitted segments, then resets, into out
 * (pointers into the tally); the count. */
size_t owner_tab__top(const struct owner_tab *tab, const struct owner_row **out, size_t max);
/* "top processes ..." and "top cgroups ..." lines (nothing when empty). */
void owner_tally__text(const struct owner_tally *t, FILE *f, size_t max);
/* The members "top_processes" and "top_cgroups". */
void owner_tally__json(const struct owner_tally *t, struct jw *w, size_t max);

#endif
