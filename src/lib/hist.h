/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A log-linear histogram of u64 values: exact below 128, then 64 buckets per
 * power of two, so any value is reported within 0.8% (the bucket midpoint).
 * Fixed size, no pointers: it can live in shared memory and be merged.
 */
#ifndef TCPSCOPE_HIST_H
#define TCPSCOPE_HIST_H

#include <stdint.h>

#define HIST_SUB_BITS 6
#define HIST_SUB      (1u << HIST_SUB_BITS)
#define HIST_BUCKETS  (2 * HIST_SUB + (64 - HIST_SUB_BITS - 1) * HIST_SUB)

struct hist {
	uint64_t count;
	uint64_t sum;
	uint64_t min;
	uint64_t max;
	uint64_t buckets[HIST_BUCKETS];
};

void hist__init(struct hist *h);
void hist__record(struct hist *h, uint64_t v);
void hist__merge(struct hist *dst, const struct hist *src);
/* The value at quantile q (0 < q <= 1): the smallest bucket whose cumulative
 * count reaches ceil(q * count), reported as its midpoint clamped to
 * [min, max]. 0 when empty. */
uint64_t hist__quantile(const struct hist *h, double q);
double hist__mean(const struct hist *h);
/* Bucket index of v and the lowest value of a bucket (for tests). */
unsigned int hist__bucket(uint64_t v);
uint64_t hist__bucket_low(unsigned int b);

#endif
