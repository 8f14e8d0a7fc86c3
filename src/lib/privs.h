/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Giving up privileges once the part of a run that needs them is over:
 * after the BPF programs are attached, after setns(). docs/security.md says
 * what each subcommand keeps and why. */
#ifndef TCPSCOPE_PRIVS_H
#define TCPSCOPE_PRIVS_H

#include <stdint.h>
#include <sys/types.h>

#define PRIVS_CAP(c) (1ULL << (c))

/* The user sudo was invoked by (SUDO_UID, SUDO_GID, numeric, not root):
 * 0, or -ENOENT when not started through sudo by another user. */
int privs_sudo_user(uid_t *uid, gid_t *gid);
/* Drop every capability not in keep (a PRIVS_CAP() mask) from the
 * effective, permitted, inheritable, ambient and bounding sets, set
 * no_new_privs, and, when started through sudo as root, become the
 * invoking user (no supplementary groups). Must run before any thread is
 * created: capabilities are per thread. 0, or -errno with *msg naming the
 * step that failed. */
int privs_drop(uint64_t keep, const char **msg);
/* A file we created as root under sudo goes to the invoking user. */
int privs_give_file(int fd);

#endif
