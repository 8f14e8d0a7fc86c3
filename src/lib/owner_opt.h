/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The owner filters (--pid, --cgroup, --comm) of trace, stress --trace
 * and monitor: one parser, one wording. */
#ifndef TCPSCOPE_OWNER_OPT_H
#define TCPSCOPE_OWNER_OPT_H

#include <stdbool.h>
#include <stdint.h>
#include <linux/types.h>
#include "tcpscope.h" /* MAX_PIDS, MAX_CGROUPS, struct cgroup_filter */

/* Any of these pids, this comm, under any of these cgroups (cgroup_filter:
 * id and level in the v2 hierarchy). */
struct owner_filter {
	uint32_t pids[MAX_PIDS];
	int npids;
	char comm[16]; /* "": any */
	struct cgroup_filter cgroups[MAX_CGROUPS];
	int ncgroups;
};

/* Add VAL to the filter or fail the command line (exit 2) naming CMD. */
void owner_opt_pid(const char *cmd, struct owner_filter *o, const char *val);
void owner_opt_cgroup(const char *cmd, struct owner_filter *o, const char *val);
void owner_opt_comm(const char *cmd, struct owner_filter *o, const char *val);
bool owner_filter_on(const struct owner_filter *o);
/* In user space: is this cgroup one of the filter's or below one? */
bool owner_filter_cgroup_match(const struct owner_filter *o, uint64_t cgroup_id);

#endif
