/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TCPSCOPE_COMMANDS_H
#define TCPSCOPE_COMMANDS_H

/* Weak while the load engine and monitor are written in parallel. */
#define TS_WEAK __attribute__((weak))

/* Each subcommand: argv[0] is the subcommand name. Returns the exit code. */
TS_WEAK int cmd_trace(int argc, char **argv);
TS_WEAK int cmd_doctor(int argc, char **argv);
TS_WEAK int cmd_stress(int argc, char **argv);
TS_WEAK int cmd_server(int argc, char **argv);
TS_WEAK int cmd_client(int argc, char **argv);
TS_WEAK int cmd_monitor(int argc, char **argv);
TS_WEAK int cmd_report(int argc, char **argv);

#endif
