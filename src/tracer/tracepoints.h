/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The kernel tracepoints tcpscope attaches to, one row each: the loader,
 * doctor and the tracefs check read this table. Adding a tracepoint is
 * its BPF handler (bpf/tcpscope.bpf.c, programs named <flavour>_<prog> and
 * <flavour>_<prog>_rescue) and a row in tracepoints.c. No libbpf here.
 */
#ifndef TCPSCOPE_TRACEPOINTS_H
#define TCPSCOPE_TRACEPOINTS_H

#include <stdbool.h>
#include <stddef.h>
#include <linux/types.h>
#include "tcpscope.h" /* enum ev_type */

#define TP_MAX 16 /* rows the loader has room for */

struct tracepoint {
	const char *category; /* tracefs folder: events/<category>/<name> */
	const char *name;     /* "tcp_retransmit_skb"; tp_btf's btf_trace_<name> */
	const char *prog;     /* the BPF programs' short name: "retransmit" */
	unsigned int type;    /* enum ev_type: the events it sends */
	/* NULL: tracing its events needs it. Otherwise the kernel may lack it
	 * and tracing goes on without it; this says what is missing then
	 * (doctor prints it, the loader skips the row). */
	const char *optional;
	/* 0: any. Otherwise the arguments the kernel's tracepoint must pass
	 * (its btf_trace_<name> typedef): rows of one tracepoint with
	 * different signatures are its variants, and the loader keeps the
	 * one that fits. */
	unsigned int nargs;
	/* Its twins' key in the twins map (NS_*), or TWIN_OWNER(OWNER_NS_*)
	 * in owner_twins (include/tcpscope.h). */
	unsigned int twin_key;
};

#define TWIN_OWNER(k) (0x100u | (k))

extern const struct tracepoint tracepoints[];
extern const size_t ntracepoints;

/* Of the rows of this tracepoint, the variant that fits a kernel whose
 * tracepoint passes nargs arguments (negative: unknown, the first row);
 * NULL if none fits. */
const struct tracepoint *tracepoint_variant(const char *name, int nargs);

#endif
