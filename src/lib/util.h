/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
#ifndef TCPSCOPE_UTIL_H
#define TCPSCOPE_UTIL_H

#include <signal.h>
#include <stdint.h>
#include <time.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define NSEC_PER_SEC  1000000000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_USEC 1000ULL

extern volatile sig_atomic_t exiting;

/* SIGINT and SIGTERM set `exiting`; SIGPIPE is ignored. */
int install_signal_handlers(void);
uint64_t now_mono_ns(void);
/* CLOCK_REALTIME minus CLOCK_MONOTONIC, to print kernel timestamps as wall
 * clock. */
int64_t mono_to_real_offset_ns(void);
/* The sum of n counters. */
uint64_t u64_sum(const uint64_t *v, int n);
/* qsort() comparator of uint64_t, ascending. */
int u64_cmp(const void *a, const void *b);
/* Name of an errno value ("ECONNREFUSED"), or "E<number>". */
const char *errno_name(int err);

#endif
