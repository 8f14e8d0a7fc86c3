// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* tracefs's count of a tracepoint's hits: see crosscheck.h. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include "tracer/crosscheck.h"

#define TRACEFS	  "/sys/kernel/tracing"
#define INSTANCES TRACEFS "/instances"
#define PREFIX	  "tcpscope."

static int write_str(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY | O_TRUNC | O_CLOEXEC);
	ssize_t n;
	int err;

	if (fd < 0)
		return -errno;
	n = write(fd, s, strlen(s));
	err = n < 0 ? -errno : 0;
	close(fd);
	return err;
}

/* Turn off whatever the instance has on (it cannot go with an event on)
 * and remove it. */
static void instance_remove(const char *dir)
{
	char path[512];

	if (snprintf(path, sizeof(path), "%s/events/enable", dir) < (int)sizeof(path))
		write_str(path, "0");
	rmdir(dir);
}

/* Instances named tcpscope.PID.* whose process is gone (killed before it
 * could remove them). */
static void remove_stale(void)
{
	DIR *d = opendir(INSTANCES);
	struct dirent *de;
	char dir[512], proc[64];
	long pid;

	if (!d)
		return;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, PREFIX, strlen(PREFIX)))
			continue;
		pid = strtol(de->d_name + strlen(PREFIX), NULL, 10);
		snprintf(proc, sizeof(proc), "/proc/%ld", pid);
		if (pid <= 0 || !access(proc, F_OK))
			continue;
		snprintf(dir, sizeof(dir), INSTANCES "/%s", de->d_name);
		instance_remove(dir);
	}
	closedir(d);
}

/* Keep an fd on each CPU's stats file of the instance. */
static int open_stats(struct crosscheck *x)
{
	char dir[200], path[512];
	struct dirent *de;
	int n = 0, fd, *more;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/per_cpu", x->dir);
	d = opendir(dir);
	if (!d)
		return -errno;
	while ((de = readdir(d))) {
		if (strncmp(de->d_name, "cpu", 3))
			continue;
		snprintf(path, sizeof(path), "%s/%s/stats", dir, de->d_name);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		more = fd < 0 ? NULL : realloc(x->stats_fd, (size_t)(n + 1) * sizeof(*more));
		if (!more) {
			if (fd >= 0)
				close(fd);
			closedir(d);
			return -EIO;
		}
		x->stats_fd = more;
		x->stats_fd[n++] = fd;
		x->nstats = n;
	}
	closedir(d);
	return n ? 0 : -ENOENT;
}

int crosscheck__open(struct crosscheck *x, const char *category, const char *name)
{
	static unsigned int seq; /* doctor opens tracers more than once */
	char path[512];
	struct stat st;
	int err;

	memset(x, 0, sizeof(*x));
	x->enable_fd = -1;
	if (stat(TRACEFS "/events", &st) && mount("nodev", TRACEFS, "tracefs", 0, NULL))
		return -errno;
	if (!seq) /* once a process */
		remove_stale();
	snprintf(x->dir, sizeof(x->dir), INSTANCES "/" PREFIX "%d.%u.%s", (int)getpid(), seq++,
		 name);
	if (mkdir(x->dir, 0700) && errno != EEXIST) {
		err = -errno;
		x->dir[0] = '\0';
		return err;
	}
	/* The smallest ring (a page per CPU): it only has to count. */
	snprintf(path, sizeof(path), "%s/buffer_size_kb", x->dir);
	err = write_str(path, "4");
	if (!err) {
		snprintf(path, sizeof(path), "%s/events/%s/%s/enable", x->dir, category, name);
		x->enable_fd = open(path, O_WRONLY | O_CLOEXEC);
		err = x->enable_fd < 0 ? -errno : 0;
	}
	if (!err)
		err = open_stats(x);
	if (!err && write(x->enable_fd, "1", 1) != 1)
		err = -errno;
	if (err) {
		crosscheck__close(x);
		return err;
	}
	return 0;
}

/* "entries: N", "overrun: N" and "read events: N" of one CPU's stats:
 * overwritten events count as overruns, so the sum is every event
 * written. */
static int cpu_events(int fd, uint64_t *n)
{
	char buf[1024], *line, *save = NULL;
	ssize_t len = pread(fd, buf, sizeof(buf) - 1, 0);
	uint64_t v;
	int found = 0;

	if (len < 0)
		return -errno;
	buf[len] = '\0';
	for (line = strtok_r(buf, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, "entries: %" SCNu64, &v) == 1 ||
		    sscanf(line, "overrun: %" SCNu64, &v) == 1 ||
		    sscanf(line, "read events: %" SCNu64, &v) == 1) {
			*n += v;
			found++;
		}
	}
	return found == 3 ? 0 : -EINVAL;
}

int crosscheck__hits(const struct crosscheck *x, uint64_t *hits)
{
	int i, err = 0;

	*hits = 0;
	if (!crosscheck__on(x))
		return -ENOENT;
	for (i = 0; !err && i < x->nstats; i++)
		err = cpu_events(x->stats_fd[i], hits);
	return err;
}

void crosscheck__close(struct crosscheck *x)
{
	int i;

	if (!crosscheck__on(x))
		return;
	if (x->enable_fd >= 0) {
		ssize_t n = write(x->enable_fd, "0", 1); /* fails only if off already */

		(void)n;
		close(x->enable_fd);
	}
	for (i = 0; i < x->nstats; i++)
		close(x->stats_fd[i]);
	free(x->stats_fd);
	instance_remove(x->dir);
	memset(x, 0, sizeof(*x));
	x->enable_fd = -1;
}
