/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The kernel's own count of a tracepoint's hits, to hold the BPF programs'
 * count against: the kernel can leave a hit's BPF programs unrun without
 * counting a recursion miss (seen on 6.18: a softirq run on top of another
 * task), and only a count from outside BPF shows it. Each tracepoint gets a
 * tracefs instance of its own, with just that event enabled into a
 * one-page ring buffer nobody reads: its entries plus its overruns are its
 * hits. No libbpf here.
 */
#ifndef TCPSCOPE_CROSSCHECK_H
#define TCPSCOPE_CROSSCHECK_H

#include <stdbool.h>
#include <stdint.h>

struct crosscheck {
	char dir[160]; /* the instance, "" when off */
	/* Opened while the process is still root: a run that has dropped its
	 * privileges still reads the counts and turns the event off. */
	int enable_fd;
	int *stats_fd; /* per_cpu/cpuN/stats */
	int nstats;
};

/* Make the instance and enable the event in it; removes instances left by
 * tcpscope processes that are gone. Returns 0 or -errno (no tracefs, no
 * such event): x stays off then. */
int crosscheck__open(struct crosscheck *x, const char *category, const char *name);

/* The hits counted since crosscheck__open(); -errno if unreadable. */
int crosscheck__hits(const struct crosscheck *x, uint64_t *hits);

static inline bool crosscheck__on(const struct crosscheck *x)
{
	return x->dir[0] != '\0';
}

/* Turn the event off and remove the instance (a run that gave up root
 * leaves the empty directory to the next run's cleanup). */
void crosscheck__close(struct crosscheck *x);

#endif
