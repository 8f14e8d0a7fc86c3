// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include "lib/cgroup.h"
#include "test.h"

/* This machine's kind of hybrid: v1 controllers, cgroup2 beside them. */
static const char hybrid[] =
    "22 28 0:21 / /sys rw,nosuid,nodev,noexec,relatime shared:7 - sysfs sysfs rw\n"
    "30 22 0:26 / /sys/fs/cgroup ro,nosuid,nodev,noexec shared:9 - tmpfs tmpfs ro,mode=755\n"
    "31 30 0:27 / /sys/fs/cgroup/unified rw,nosuid,nodev,noexec,relatime shared:10 - "
    "cgroup2 cgroup2 rw,nsdelegate\n"
    "32 30 0:28 / /sys/fs/cgroup/systemd rw,nosuid shared:11 - cgroup cgroup rw,name=systemd\n"
    "35 30 0:31 / /sys/fs/cgroup/cpu,cpuacct rw shared:15 - cgroup cgroup rw,cpu,cpuacct\n";

/* A container's view: a non-root cgroup2 bind first, then the real one,
 * with a space in its mount point. */
static const char nested[] = "40 30 0:27 /user.slice /mnt/sub rw - cgroup2 cgroup2 rw\n"
			     "41 30 0:27 / /mnt/cg\\040two rw - cgroup2 cgroup2 rw\n";

static const char v1only[] =
    "35 30 0:31 / /sys/fs/cgroup/cpu rw shared:15 - cgroup cgroup rw,cpu\n";

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

TEST(cgroup_v2_mount_found)
{
	char path[] = "/tmp/tcpscope-unit-mi-XXXXXX", buf[256];
	int fd = mkstemp(path);

	if (fd < 0)
		return;
	close(fd);
	write_file(path, hybrid);
	ASSERT_EQ(cgroup_v2_mount(path, buf, sizeof(buf)), 0, "hybrid found");
	ASSERT_STREQ(buf, "/sys/fs/cgroup/unified", "hybrid mount point");
	write_file(path, nested);
	ASSERT_EQ(cgroup_v2_mount(path, buf, sizeof(buf)), 0, "nested found");
	ASSERT_STREQ(buf, "/mnt/cg two", "the hierarchy's root, unescaped");
	write_file(path, v1only);
	ASSERT_EQ(cgroup_v2_mount(path, buf, sizeof(buf)), -ENOENT, "v1 only");
	ASSERT_EQ(cgroup_v2_mount(path, buf, 5), -ENOENT, "v1 only, short buffer");
	write_file(path, hybrid);
	ASSERT_EQ(cgroup_v2_mount(path, buf, 8), -ENOENT, "mount point longer than the buffer");
	unlink(path);
	ASSERT_EQ(cgroup_v2_mount(path, buf, sizeof(buf)), -ENOENT, "no mountinfo");
}

static uint64_t ino_of(const char *path)
{
	struct stat st;

	return stat(path, &st) ? 0 : (uint64_t)st.st_ino;
}

TEST(cgroup_names_resolve)
{
	char root[] = "/tmp/tcpscope-unit-cg-XXXXXX", p[512];
	struct cgroup_names *c;
	uint64_t id = 0, svc;
	uint32_t level = 99;

	if (!mkdtemp(root))
		return;
	snprintf(p, sizeof(p), "%s/system.slice", root);
	mkdir(p, 0755);
	snprintf(p, sizeof(p), "%s/system.slice/nginx.service", root);
	mkdir(p, 0755);
	svc = ino_of(p);
	c = cgroup_names__new(root);
	ASSERT_STREQ(cgroup_names__path(c, svc), "/system.slice/nginx.service", "id to path");
	ASSERT_STREQ(cgroup_names__path(c, ino_of(root)), "/", "the root");
	ASSERT_EQ(cgroup_names__lookup(c, "/system.slice/nginx.service", &id, &level), 0,
		  "path to id");
	ASSERT_EQ(id, svc, "id");
	ASSERT_EQ(level, 2, "level");
	ASSERT_EQ(cgroup_names__lookup(c, "system.slice/", &id, &level), 0, "relative");
	ASSERT_EQ(level, 1, "level of system.slice");
	ASSERT_EQ(cgroup_names__lookup(c, "/", &id, &level), 0, "root");
	ASSERT_EQ(level, 0, "root level");
	ASSERT_EQ(id, ino_of(root), "root id");
	ASSERT_EQ(cgroup_names__lookup(c, "/nope", &id, &level), -ENOENT, "missing");
	ASSERT_EQ(cgroup_names__lookup(c, "/system.slice/..", &id, &level), -EINVAL, "dot-dot");
	/* A cgroup made after the first walk is found by the next one, at
	 * most once a second: until then an unknown id stays unknown. */
	snprintf(p, sizeof(p), "%s/late", root);
	mkdir(p, 0755);
	ASSERT_TRUE(cgroup_names__path(c, ino_of(p)) == NULL, "no walk within a second");
	sleep(1);
	ASSERT_STREQ(cgroup_names__path(c, ino_of(p)), "/late", "found by the next walk");
	ASSERT_TRUE(cgroup_names__path(c, 0) == NULL, "id 0 is no cgroup");
	/* Removed directories keep their cached names. */
	rmdir(p);
	snprintf(p, sizeof(p), "%s/system.slice/nginx.service", root);
	rmdir(p);
	ASSERT_STREQ(cgroup_names__path(c, svc), "/system.slice/nginx.service", "cached");
	snprintf(p, sizeof(p), "%s/system.slice", root);
	rmdir(p);
	rmdir(root);
	cgroup_names__free(c);
}
