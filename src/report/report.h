/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The HTML report: a --timeline file rendered as one self-contained page. */
#ifndef TCPSCOPE_REPORT_H
#define TCPSCOPE_REPORT_H

#include <stdint.h>

#define REPORT_MAX_NAMED 16

struct report_opts {
	uint64_t named[REPORT_MAX_NAMED]; /* cookies the user wants drawn */
	int nnamed;
	unsigned int top;	 /* connections drawn per reason (default 4) */
	unsigned int max_points; /* per curve before decimation (default 1500) */
};

void report_opts__init(struct report_opts *o);
/* Read the timeline at in, write the page to out (a new file, not through
 * a symlink). 0 or -errno, with a one-line reason on stderr. */
int report__render(const char *in, const char *out, const struct report_opts *o);

/* tcpscope report: argv[0] is "report". Returns the exit code. */
int cmd_report(int argc, char **argv);

#endif
