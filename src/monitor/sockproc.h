/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Which processes hold each socket, the way ss -p finds them: the
 * socket:[INODE] links in /proc/PID/fd. */
#ifndef TCPSCOPE_SOCKPROC_H
#define TCPSCOPE_SOCKPROC_H

#include "monitor/sockdiag.h"

/* Fill pids, npids and comm of every socket of t from the /proc tree at
 * proc ("/proc"). 0, or -errno when proc cannot be read. */
int sockproc_fill(struct sock_table *t, const char *proc);

#endif
