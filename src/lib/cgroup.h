/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * cgroup v2 names: where the v2 hierarchy is mounted (/sys/fs/cgroup, or
 * /sys/fs/cgroup/unified beside v1 controllers), and a cgroup's id (its
 * directory's inode, as the kernel's cgroup_id()) to its path relative to
 * the v2 root and back. Paths are cached: a tree walk per unknown id at
 * most once a second.
 */
#ifndef TCPSCOPE_CGROUP_H
#define TCPSCOPE_CGROUP_H

#include <stddef.h>
#include <stdint.h>

/* The mount point of the cgroup2 file system named in a mountinfo file
 * (/proc/self/mountinfo): 0, or -ENOENT when none is mounted. */
int cgroup_v2_mount(const char *mountinfo, char *buf, size_t len);

struct cgroup_names;

/* A resolver for the hierarchy mounted at root; NULL on no memory. */
struct cgroup_names *cgroup_names__new(const char *root);
/* "/system.slice/nginx.service", "/" for the root, NULL if no cgroup with
 * this id exists (any more). Valid until the resolver is freed. */
const char *cgroup_names__path(struct cgroup_names *c, uint64_t id);
/* path relative to the root ("/a/b", "a/b", or "/"): its id and its depth
 * (0 for the root). 0, or -errno (-ENOENT: no such cgroup). */
int cgroup_names__lookup(struct cgroup_names *c, const char *path, uint64_t *id, uint32_t *level);
void cgroup_names__free(struct cgroup_names *c);

/* A process-wide resolver for the v2 hierarchy of /proc/self/mountinfo,
 * made on first use; NULL when cgroup v2 is not mounted. */
struct cgroup_names *cgroup_names_default(void);
/* cgroup_names_default()'s path for id, "" when unknown. */
const char *cgroup_path(uint64_t id);

#endif
