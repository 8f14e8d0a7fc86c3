/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Small socket helpers shared by the load engine: address formatting, the
 * socket cookie, descriptor limits, and errors counted by errno name. */
#ifndef TCPSCOPE_NETUTIL_H
#define TCPSCOPE_NETUTIL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include "lib/jsonw.h"

/* Single-writer counters read by other threads or processes: a relaxed
 * atomic store costs a plain mov and keeps readers well defined. */
#define CNT_ADD(x, n) __atomic_store_n(&(x), (x) + (n), __ATOMIC_RELAXED)
#define CNT_READ(x)   __atomic_load_n(&(x), __ATOMIC_RELAXED)

#define FMT_ADDR_LEN 64 /* "[v6 address]:port" */

/* "10.0.0.1" or "fd00::1"; family 4/6 (the event record's) or AF_INET/AF_INET6. */
void addr_format(char *buf, size_t len, unsigned int family, const uint8_t *addr);
/* "10.0.0.1:80" or "[fd00::1]:80": the one endpoint spelling. */
void endpoint_format(char *buf, size_t len, unsigned int family, const uint8_t *addr,
		     uint16_t port);
/* The same from an address already formatted. */
void endpoint_text(char *buf, size_t len, const char *addr, unsigned int port);
/* A socket address, the same way. */
const char *fmt_sockaddr(const struct sockaddr_storage *ss, char *buf, size_t len);
/* getsockopt(SO_COOKIE); 0 or -errno. */
int socket_cookie(int fd, uint64_t *cookie);
/* Raise RLIMIT_NOFILE's soft limit to the hard one; returns the new soft
 * limit, or -errno. */
long raise_nofile_limit(void);
/* Number of online CPUs, at least 1. */
int online_cpus(void);

#define ERRNO_SLOTS 160

struct errcount {
	uint64_t n[ERRNO_SLOTS]; /* index: errno value; the last slot: others */
};

void errcount__add(struct errcount *e, int err);
void errcount__merge(struct errcount *dst, const struct errcount *src);
uint64_t errcount__total(const struct errcount *e);
/* {"ECONNREFUSED":3,...}, only the nonzero ones. */
void errcount__json(const struct errcount *e, struct jw *w, const char *key);
/* "ECONNREFUSED 3, ETIMEDOUT 1" or "none". */
void errcount__text(const struct errcount *e, FILE *f);

#endif
