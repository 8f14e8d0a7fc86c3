/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The subcommands main.c dispatches to. Each takes argv[0] as its own
 * name and returns the exit code. The ones whose subsystem lives elsewhere
 * are declared beside that subsystem, so its folder includes nothing of
 * cli/. */
#ifndef TCPSCOPE_COMMANDS_H
#define TCPSCOPE_COMMANDS_H

#include "load/server.h"     /* cmd_server */
#include "monitor/monitor.h" /* cmd_monitor */
#include "report/report.h"   /* cmd_report */

int cmd_trace(int argc, char **argv);
int cmd_doctor(int argc, char **argv);
int cmd_stress(int argc, char **argv);
int cmd_client(int argc, char **argv);

#endif
