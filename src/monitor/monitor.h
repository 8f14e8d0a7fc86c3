/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The monitor: the system's TCP stack from /proc and sock_diag, with findings. */
#ifndef TCPSCOPE_MONITOR_H
#define TCPSCOPE_MONITOR_H

/* tcpscope monitor: argv[0] is "monitor". Returns the exit code. */
int cmd_monitor(int argc, char **argv);

#endif
