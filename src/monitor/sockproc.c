// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "monitor/sockproc.h"

struct holder {
	uint32_t inode, pid;
};

struct holders {
	struct holder *v;
	size_t n, cap;
};

static int holders_push(struct holders *h, uint32_t inode, uint32_t pid)
{
	struct holder *nv;

	if (h->n == h->cap) {
		nv = realloc(h->v, (h->cap ? 2 * h->cap : 1024) * sizeof(*nv));
		if (!nv)
			return -ENOMEM;
		h->v = nv;
		h->cap = h->cap ? 2 * h->cap : 1024;
	}
	h->v[h->n++] = (struct holder){ inode, pid };
	return 0;
}

/* Every socket:[INODE] among /proc/PID/fd's links. */
static int scan_pid(struct holders *h, const char *proc, uint32_t pid)
{
	char path[400], link[64];
	struct dirent *d;
	unsigned long ino;
	DIR *dp;
	ssize_t n;
	int err = 0;

	snprintf(path, sizeof(path), "%s/%u/fd", proc, pid);
	dp = opendir(path);
	if (!dp)
		return 0; /* gone, or a kernel thread */
	while (!err && (d = readdir(dp))) {
		if (d->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%u/fd/%s", proc, pid, d->d_name);
		n = readlink(path, link, sizeof(link) - 1);
		if (n <= 0)
			continue;
		link[n] = '\0';
		if (sscanf(link, "socket:[%lu]", &ino) == 1)
			err = holders_push(h, (uint32_t)ino, pid);
	}
	closedir(dp);
	return err;
}

static int by_inode_pid(const void *a, const void *b)
{
	const struct holder *x = a, *y = b;

	if (x->inode != y->inode)
		return x->inode < y->inode ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

static void read_comm(const char *proc, uint32_t pid, char *comm, size_t len)
{
	char path[128];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%u/comm", proc, pid);
	comm[0] = '\0';
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(comm, (int)len, f))
		comm[strcspn(comm, "\n")] = '\0';
	fclose(f);
}

/* The first holder of inode (h sorted by inode, then pid). */
static size_t lower_bound(const struct holders *h, uint32_t inode)
{
	size_t lo = 0, hi = h->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (h->v[mid].inode < inode)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static void fill_one(struct tcp_sock_info *s, const struct holders *h, const char *proc)
{
	size_t i = lower_bound(h, s->inode);

	s->npids = 0;
	for (; i < h->n && h->v[i].inode == s->inode; i++) {
		if (s->npids && h->v[i].pid == h->v[i - 1].pid)
			continue; /* the same socket on two fds of one process */
		if (s->npids < sizeof(s->pids) / sizeof(s->pids[0]))
			s->pids[s->npids] = h->v[i].pid;
		s->npids++;
	}
	if (s->npids)
		read_comm(proc, s->pids[0], s->comm, sizeof(s->comm));
}

int sockproc_fill(struct sock_table *t, const char *proc)
{
	struct holders h = {};
	struct dirent *d;
	char *end;
	DIR *dp = opendir(proc);
	size_t i;
	int err = 0;

	if (!dp)
		return -errno;
	while (!err && (d = readdir(dp))) {
		unsigned long pid = strtoul(d->d_name, &end, 10);

		if (*end || !pid)
			continue;
		err = scan_pid(&h, proc, (uint32_t)pid);
	}
	closedir(dp);
	if (!err) {
		if (h.n)
			qsort(h.v, h.n, sizeof(*h.v), by_inode_pid);
		for (i = 0; i < t->n; i++)
			if (t->v[i].inode)
				fill_one(&t->v[i], &h, proc);
	}
	free(h.v);
	return err;
}
