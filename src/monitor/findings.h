/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The monitor's findings: what a snapshot (and the interval before it)
 * says is wrong, with the knob to turn. Pure functions of parsed /proc
 * counters, sysctls and the socket table, so tests can feed them.
 */
#ifndef TCPSCOPE_FINDINGS_H
#define TCPSCOPE_FINDINGS_H

#include <stdbool.h>
#include <stdint.h>
#include "monitor/procfs.h"
#include "monitor/sockdiag.h"

struct opts;

struct sample {
	struct counters ctr; /* snmp, netstat, snmp6: nstat's names */
	struct counters sockstat;
	struct softnet softnet;
	uint64_t t_ns;
};

enum sysctl_id {
	SC_KA_TIME,
	SC_KA_INTVL,
	SC_KA_PROBES,
	SC_SOMAXCONN,
	SC_SYN_BACKLOG,
	SC_PORT_RANGE,
	SC_TW_REUSE,
	SC_FIN_TIMEOUT,
	SC_MAX_TW,
	SC_SYNCOOKIES,
	SC_CC,
	SC_RMEM,
	SC_WMEM,
	SC_NETDEV_BACKLOG,
	SC_MAX,
};

struct sysctl_val {
	bool ok;
	int n;
	uint64_t v[3];
	char word[32];
	char text[64]; /* as printed: "4096 131072 6291456" */
};

#define MAX_FINDINGS 16
#define MAX_RELATED  6
struct finding {
	const char *id, *severity; /* "warn" or "info" */
	char what[96], evidence[256], knob[512];
	/* What goes with it: the counters the same cause moves (their rise in
	 * the interval, or "not rising"), and see: the kernel's drop reasons
	 * for it and where tcpscope shows them per reason and per connection
	 * (monitor reads counters only: it runs no tracer). */
	const char *related[MAX_RELATED];
	int64_t related_rise[MAX_RELATED]; /* -1: no interval */
	int nrelated;
	char together[256];
	const char *see;
};

struct report {
	const struct opts *o;
	struct sample a, b;
	bool rates;
	double interval_s;
	struct sysctl_val sys[SC_MAX];
	struct sock_table socks;
	uint64_t states[TCP_NSTATES];	  /* filtered */
	uint64_t all_states[TCP_NSTATES]; /* unfiltered, for the findings */
	struct finding findings[MAX_FINDINGS];
	int nfindings;
	char when[32];
};

/* Fill r->findings from r->a, r->b (a before b when r->rates), r->sys,
 * r->socks and r->all_states. */
void findings__run(struct report *r);
/* How much counter NAME rose from r->a to r->b. */
int64_t sample_delta(const struct report *r, const char *name);
/* The value of a sysctl as printed, or "?". */
const char *sysctl_text(const struct report *r, enum sysctl_id id);

#endif
