/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Parsers of the /proc files that describe the TCP stack. Each parser takes
 * a buffer and its length (no NUL needed), never reads past it, and returns
 * 0 or -EINVAL/-ERANGE/-ENOMEM: truncated or odd content is an error, not a
 * crash. The file reading is separate (procfs_read_file) so tests and fuzz
 * targets can feed the parsers anything.
 */
#ifndef TCPSCOPE_PROCFS_H
#define TCPSCOPE_PROCFS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define COUNTER_NAME_MAX 64

/* Counters named as nstat names them: "TcpActiveOpens",
 * "TcpExtListenOverflows", "Ip6InReceives". Negative values in the file
 * (TcpMaxConn is -1) are stored as their two's complement. */
struct counter {
	char name[COUNTER_NAME_MAX];
	uint64_t val;
};

struct counters {
	struct counter *v;
	size_t n, cap;
};

int counters_add(struct counters *c, const char *name, size_t name_len, uint64_t val);
const struct counter *counters_find(const struct counters *c, const char *name);
/* The value of NAME, or 0 when it is absent. */
uint64_t counters_get(const struct counters *c, const char *name);
bool counters_has(const struct counters *c, const char *name);
void counters_reset(struct counters *c);
void counters_free(struct counters *c);

/* /proc/net/snmp and /proc/net/netstat: pairs of "Prefix: names" and
 * "Prefix: values" lines; each counter is named Prefix+name. */
int procfs_parse_snmp(const char *buf, size_t len, struct counters *out);
/* /proc/net/snmp6: "Name value" lines. */
int procfs_parse_snmp6(const char *buf, size_t len, struct counters *out);
/* /proc/net/sockstat and sockstat6: "TCP: inuse 1 orphan 0 ..." lines,
 * stored as "TCP_inuse", "sockets_used", "TCP6_inuse". */
int procfs_parse_sockstat(const char *buf, size_t len, struct counters *out);

/* /proc/net/softnet_stat, summed over CPUs. System-wide, not per netns. */
struct softnet {
	uint64_t processed, dropped, time_squeeze;
	unsigned int cpus;
};
int procfs_parse_softnet(const char *buf, size_t len, struct softnet *out);

/* A sysctl file: up to MAX unsigned numbers separated by blanks. Returns
 * how many were read (>= 1) or -EINVAL. */
int procfs_parse_uints(const char *buf, size_t len, uint64_t *vals, int max);
/* A sysctl file holding one word (tcp_congestion_control). */
int procfs_parse_word(const char *buf, size_t len, char *out, size_t outlen);

/* Read a whole /proc file into a malloc'd buffer (*buf, *len). */
int procfs_read_file(const char *path, char **buf, size_t *len);

#endif
