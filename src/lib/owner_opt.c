// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include "lib/cgroup.h"
#include "lib/owner_opt.h"
#include "lib/parse.h"

#define PID_MAX_LIMIT (4 * 1024 * 1024) /* include/linux/threads.h, 64-bit */

/* The process a pid belongs to (its Tgid), or 0 if there is none. */
static uint64_t tgid_of(uint64_t pid)
{
	char path[64], line[128];
	unsigned long long tgid = 0;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%" PRIu64 "/status", pid);
	f = fopen(path, "re");
	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "Tgid: %llu", &tgid) == 1)
			break;
	fclose(f);
	return tgid;
}

void owner_opt_pid(const char *cmd, struct owner_filter *o, const char *val)
{
	uint64_t pid, tgid;
	int err = parse_u64(val, 1, PID_MAX_LIMIT, &pid);

	if (err)
		cli_bad_value(cmd, "--pid", val, err, "a process id from 1 to 4194304");
	tgid = tgid_of(pid);
	if (!tgid)
		cli_fail(cmd,
			 "bad value '%s' for --pid: no such process; expected a running "
			 "process's id",
			 val);
	if (tgid != pid)
		cli_fail(cmd,
			 "bad value '%s' for --pid: a thread of process %" PRIu64
			 "; expected a process id (sockets belong to processes)",
			 val, tgid);
	if (o->npids >= MAX_PIDS)
		cli_fail(cmd, "too many --pid values (at most %d)", MAX_PIDS);
	o->pids[o->npids++] = (uint32_t)pid;
}

void owner_opt_cgroup(const char *cmd, struct owner_filter *o, const char *val)
{
	struct cgroup_names *c = cgroup_names_default();
	struct cgroup_filter *f;
	const char *rel = val;
	char root[PATH_MAX];
	uint64_t id = 0;
	uint32_t level = 0;
	int err;

	if (!c || cgroup_v2_mount("/proc/self/mountinfo", root, sizeof(root)))
		cli_fail(cmd,
			 "bad value '%s' for --cgroup: cgroup v2 is not mounted; expected a "
			 "cgroup v2 path",
			 val);
	/* Also take the path as the file system shows it. */
	if (!strncmp(val, root, strlen(root)) && (!val[strlen(root)] || val[strlen(root)] == '/'))
		rel = *(val + strlen(root)) ? val + strlen(root) : "/";
	if (o->ncgroups >= MAX_CGROUPS)
		cli_fail(cmd, "too many --cgroup values (at most %d)", MAX_CGROUPS);
	f = &o->cgroups[o->ncgroups];
	err = cgroup_names__lookup(c, rel, &id, &level);
	if (err)
		cli_fail(cmd,
			 "bad value '%s' for --cgroup: %s under %s; expected a cgroup v2 path "
			 "such as /system.slice/nginx.service",
			 val, err == -ENOENT || err == -ENOTDIR ? "no such cgroup" : strerror(-err),
			 root);
	f->id = id;
	f->level = level;
	o->ncgroups++;
}

void owner_opt_comm(const char *cmd, struct owner_filter *o, const char *val)
{
	if (!*val || strlen(val) >= sizeof(o->comm))
		cli_bad_value(cmd, "--comm", val, *val ? -ERANGE : -EINVAL,
			      "a process name of 1 to 15 characters, as ps -o comm shows it");
	snprintf(o->comm, sizeof(o->comm), "%s", val);
}

bool owner_filter_on(const struct owner_filter *o)
{
	return o->npids || o->ncgroups || o->comm[0];
}

bool owner_filter_cgroup_match(const struct owner_filter *o, uint64_t cgroup_id)
{
	const char *path = cgroup_path(cgroup_id), *want;
	size_t n;
	int i;

	for (i = 0; i < o->ncgroups; i++) {
		want = cgroup_path(o->cgroups[i].id);
		n = strlen(want);
		if (!*want || !*path)
			continue;
		if (!strcmp(want, "/") || (!strncmp(path, want, n) && (!path[n] || path[n] == '/')))
			return true;
	}
	return false;
}
