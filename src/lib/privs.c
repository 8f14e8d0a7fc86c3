// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <grp.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>
#include <linux/capability.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include "lib/parse.h"
#include "lib/privs.h"

static int id_from_env(const char *name, uint64_t *id)
{
	const char *s = getenv(name);

	/* 0 is root itself; (uid_t)-1 means "unchanged" to setresuid. */
	return s ? parse_u64(s, 1, UINT32_MAX - 1, id) : -ENOENT;
}

int privs_sudo_user(uid_t *uid, gid_t *gid)
{
	uint64_t u, g;

	if (id_from_env("SUDO_UID", &u) || id_from_env("SUDO_GID", &g))
		return -ENOENT;
	*uid = (uid_t)u;
	*gid = (gid_t)g;
	return 0;
}

static int capset_keep(uint64_t keep)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = {
		{ .effective = (uint32_t)keep, .permitted = (uint32_t)keep },
		{ .effective = (uint32_t)(keep >> 32), .permitted = (uint32_t)(keep >> 32) },
	};

	/* glibc has no wrapper; libcap would be a dependency for one call. */
	return syscall(SYS_capset, &hdr, data) ? -errno : 0;
}

int privs_drop(uint64_t keep, const char **msg)
{
	bool sudo = false;
	uid_t uid = 0;
	gid_t gid = 0;
	int cap, err;

	if (geteuid() == 0 && !privs_sudo_user(&uid, &gid))
		sudo = true;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)) {
		*msg = "prctl(PR_SET_NO_NEW_PRIVS)";
		return -errno;
	}
	/* The bounding set needs CAP_SETPCAP to shrink; without it (started
	 * with only CAP_BPF and CAP_PERFMON) no_new_privs already stops exec
	 * from gaining anything. Numbers past the kernel's last are EINVAL. */
	for (cap = 0; cap < 64; cap++)
		if (!(keep & PRIVS_CAP(cap)) && prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) &&
		    errno != EINVAL && errno != EPERM) {
			*msg = "prctl(PR_CAPBSET_DROP)";
			return -errno;
		}
	if (prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0) && errno != EINVAL) {
		*msg = "prctl(PR_CAP_AMBIENT_CLEAR_ALL)";
		return -errno;
	}
	if (sudo) {
		/* Keep the permitted set across setresuid only if some of it
		 * is to stay; the effective set is restored by capset below. */
		if (prctl(PR_SET_KEEPCAPS, keep ? 1 : 0, 0, 0, 0)) {
			*msg = "prctl(PR_SET_KEEPCAPS)";
			return -errno;
		}
		if (setgroups(0, NULL) || setresgid(gid, gid, gid) || setresuid(uid, uid, uid)) {
			*msg = "switching to the sudo user (setgroups, setresgid, setresuid)";
			return -errno;
		}
		prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	}
	err = capset_keep(keep);
	if (err) {
		*msg = "capset";
		return err;
	}
	/* Gone for good: root cannot be had back. */
	if (sudo && (setresuid(0, 0, 0) == 0 || geteuid() == 0)) {
		*msg = "root could be regained after setresuid";
		return -EPERM;
	}
	return 0;
}

int privs_give_file(int fd)
{
	uid_t uid;
	gid_t gid;

	if (geteuid() != 0 || privs_sudo_user(&uid, &gid))
		return 0;
	return fchown(fd, uid, gid) ? -errno : 0;
}
