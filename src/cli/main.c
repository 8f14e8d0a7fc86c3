// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* tcpscope: subcommand dispatch. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "cli/commands.h"
#include "lib/parse.h"
#include "lib/util.h"

static const struct command {
	const char *name;
	int (*run)(int argc, char **argv);
	const char *summary;
} commands[] = {
	{ "trace", cmd_trace, "stream kernel TCP events (retransmits, states, probes)" },
	{ "stress", cmd_stress, "load a target (or the built-in server), --trace to correlate" },
	{ "server", cmd_server, "the target of a stress test: echo, sink, source, close, reset" },
	{ "client", cmd_client, "one connection, fully described (TCP_INFO decoded)" },
	{ "monitor", cmd_monitor, "the system's TCP stack at a glance, with findings" },
	{ "report", cmd_report, "render a stress --timeline as one self-contained HTML page" },
	{ "doctor", cmd_doctor, "what this kernel supports and what tcpscope will use" },
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "Usage: tcpscope COMMAND [OPTIONS]\n\n"
		   "TCP forensics with kernel-level truth.\n\nCommands:\n");
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(f, "  %-9s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\n'tcpscope COMMAND --help' describes each command.\n"
		   "Exit status: 0 success, 1 runtime failure, 2 usage error.\n");
}

/* Output that did not reach its file (a full disk, a closed pipe) is a
 * failure, unless the command has already said why it failed. */
static int finish(const char *cmd, int rc)
{
	if (fflush(stdout) == 0 && !ferror(stdout))
		return rc;
	if (rc == 0) {
		fprintf(stderr, "tcpscope %s: writing the output: %s\n", cmd,
			errno ? errno_name(errno) : "EIO");
		rc = 1;
	}
	return rc;
}

int main(int argc, char **argv)
{
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc < 2)
		cli_fail(NULL, "no command given; one of trace, stress, server, client, monitor, "
			       "report, doctor");
	if (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help") || !strcmp(argv[1], "help")) {
		usage(stdout);
		return 0;
	}
	if (!strcmp(argv[1], "-V") || !strcmp(argv[1], "--version")) {
		printf("tcpscope %s\n", TCPSCOPE_VERSION);
		return 0;
	}
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[1], commands[i].name))
			continue;
		return finish(argv[1], commands[i].run(argc - 1, argv + 1));
	}
	cli_fail(NULL, "unknown command '%s'", argv[1]);
}
