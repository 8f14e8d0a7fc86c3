// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/stat.h>
#include "lib/cgroup.h"

#define RESCAN_NS 1000000000ULL
#define MAX_DEPTH 32

struct cg_entry {
	uint64_t id; /* 0: free */
	char *path;
};

struct cgroup_names {
	char root[PATH_MAX];
	struct cg_entry *tab;
	size_t cap, used; /* open addressing, cap a power of two */
	uint64_t last_scan_ns;
	bool scanned;
};

/* mountinfo escapes space, tab, newline and backslash as \ooo. */
static void unescape(char *s)
{
	char *d = s;

	while (*s) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' && s[2] >= '0' && s[2] <= '7' &&
		    s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 + (s[3] - '0'));
			s += 4;
		} else {
			*d++ = *s++;
		}
	}
	*d = '\0';
}

/* One mountinfo line: "36 35 0:30 / /sys/fs/cgroup/unified rw,... - cgroup2 cgroup2 rw".
 * True, with the mount point in buf, for a cgroup2 mount of the whole
 * hierarchy (root "/"). */
static bool cgroup2_line(char *line, char *buf, size_t len)
{
	char *f[5], *save = NULL, *sep = strstr(line, " - ");
	int i;

	if (!sep || strncmp(sep + 3, "cgroup2 ", 8))
		return false;
	*sep = '\0';
	for (i = 0; i < 5; i++) {
		f[i] = strtok_r(i ? NULL : line, " ", &save);
		if (!f[i])
			return false;
	}
	unescape(f[3]);
	unescape(f[4]);
	if (strcmp(f[3], "/") || strlen(f[4]) >= len)
		return false;
	strcpy(buf, f[4]);
	return true;
}

int cgroup_v2_mount(const char *mountinfo, char *buf, size_t len)
{
	char line[4096];
	int err = -ENOENT;
	FILE *f = fopen(mountinfo, "re");

	if (!f)
		return -errno;
	while (err && fgets(line, sizeof(line), f))
		if (cgroup2_line(line, buf, len))
			err = 0;
	fclose(f);
	return err;
}

struct cgroup_names *cgroup_names__new(const char *root)
{
	struct cgroup_names *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	snprintf(c->root, sizeof(c->root), "%s", root);
	return c;
}

void cgroup_names__free(struct cgroup_names *c)
{
	size_t i;

	if (!c)
		return;
	for (i = 0; i < c->cap; i++)
		free(c->tab[i].path);
	free(c->tab);
	free(c);
}

static size_t slot_of(const struct cgroup_names *c, uint64_t id)
{
	size_t i = (size_t)(id * 0x9E3779B97F4A7C15ULL) & (c->cap - 1);

	while (c->tab[i].id && c->tab[i].id != id)
		i = (i + 1) & (c->cap - 1);
	return i;
}

static int grow(struct cgroup_names *c)
{
	struct cgroup_names old = *c;
	size_t i;

	c->cap = c->cap ? 2 * c->cap : 256;
	c->tab = calloc(c->cap, sizeof(*c->tab));
	if (!c->tab) {
		*c = old;
		return -ENOMEM;
	}
	for (i = 0; i < old.cap; i++)
		if (old.tab[i].id)
			c->tab[slot_of(c, old.tab[i].id)] = old.tab[i];
	free(old.tab);
	return 0;
}

static void remember(struct cgroup_names *c, uint64_t id, const char *path)
{
	struct cg_entry *e;
	char *p;

	if ((c->used + 1) * 2 > c->cap && grow(c))
		return;
	e = &c->tab[slot_of(c, id)];
	if (e->id)
		return;
	p = strdup(path);
	if (!p)
		return;
	e->id = id;
	e->path = p;
	c->used++;
}

/* Every directory under rel (relative to the root, "" for the root). */
static void walk(struct cgroup_names *c, char *rel, size_t rlen, int depth)
{
	char dir[PATH_MAX + PATH_MAX];
	struct dirent *d;
	struct stat st;
	DIR *dp;

	snprintf(dir, sizeof(dir), "%s%s", c->root, rel);
	if (stat(dir, &st) || !S_ISDIR(st.st_mode))
		return;
	remember(c, (uint64_t)st.st_ino, rlen ? rel : "/");
	if (depth >= MAX_DEPTH || !(dp = opendir(dir)))
		return;
	while ((d = readdir(dp))) {
		size_t n = strlen(d->d_name);

		if ((d->d_type != DT_DIR && d->d_type != DT_UNKNOWN) || d->d_name[0] == '.' ||
		    rlen + 1 + n >= PATH_MAX)
			continue;
		rel[rlen] = '/';
		memcpy(rel + rlen + 1, d->d_name, n + 1);
		walk(c, rel, rlen + 1 + n, depth + 1);
		rel[rlen] = '\0';
	}
	closedir(dp);
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

const char *cgroup_names__path(struct cgroup_names *c, uint64_t id)
{
	char rel[PATH_MAX] = "";
	uint64_t now;

	if (!id)
		return NULL;
	if (c->cap && c->tab[slot_of(c, id)].id)
		return c->tab[slot_of(c, id)].path;
	now = now_ns();
	if (c->scanned && now - c->last_scan_ns < RESCAN_NS)
		return NULL;
	c->scanned = true;
	c->last_scan_ns = now;
	walk(c, rel, 0, 0);
	return c->cap && c->tab[slot_of(c, id)].id ? c->tab[slot_of(c, id)].path : NULL;
}

int cgroup_names__lookup(struct cgroup_names *c, const char *path, uint64_t *id, uint32_t *level)
{
	char full[PATH_MAX + PATH_MAX];
	const char *p;
	struct stat st;
	uint32_t depth = 0;

	for (p = path; *p; p++) /* one level per name between slashes */
		if (*p != '/' && (p == path || p[-1] == '/'))
			depth++;
	if (strstr(path, "/..") || !strncmp(path, "..", 2))
		return -EINVAL;
	snprintf(full, sizeof(full), "%s%s%s", c->root, *path == '/' ? "" : "/", path);
	if (stat(full, &st))
		return -errno;
	if (!S_ISDIR(st.st_mode))
		return -ENOTDIR;
	*id = (uint64_t)st.st_ino;
	*level = depth;
	return 0;
}

struct cgroup_names *cgroup_names_default(void)
{
	static struct cgroup_names *names;
	static bool tried;
	char root[PATH_MAX];

	if (!tried) {
		tried = true;
		/* `ip netns exec` remounts /sys and loses the cgroup mounts:
		 * then reach init's through /proc/1/root. */
		if (!cgroup_v2_mount("/proc/self/mountinfo", root, sizeof(root)))
			names = cgroup_names__new(root);
		else if (!cgroup_v2_mount("/proc/1/mountinfo", root + 12, sizeof(root) - 12))
			names = cgroup_names__new(memcpy(root, "/proc/1/root", 12));
	}
	return names;
}

const char *cgroup_path(uint64_t id)
{
	struct cgroup_names *c = cgroup_names_default();
	const char *p = c ? cgroup_names__path(c, id) : NULL;

	return p ? p : "";
}
