// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <math.h>
#include <string.h>
#include "lib/hist.h"

void hist__init(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

/* Values below 2*HIST_SUB map to themselves; above, the top HIST_SUB_BITS+1
 * bits of the value pick the bucket within its power of two. */
unsigned int hist__bucket(uint64_t v)
{
	unsigned int msb, shift;

	if (v < 2 * HIST_SUB)
		return (unsigned int)v;
	msb = 63u - (unsigned int)__builtin_clzll(v);
	shift = msb - HIST_SUB_BITS;
	return shift * HIST_SUB + (unsigned int)(v >> shift);
}

uint64_t hist__bucket_low(unsigned int b)
{
	unsigned int shift;

	if (b < 2 * HIST_SUB)
		return b;
	shift = b / HIST_SUB - 1;
	return (uint64_t)(b - shift * HIST_SUB) << shift;
}

static uint64_t bucket_width(unsigned int b)
{
	return b < 2 * HIST_SUB ? 1 : 1ULL << (b / HIST_SUB - 1);
}

void hist__record(struct hist *h, uint64_t v)
{
	h->buckets[hist__bucket(v)]++;
	h->count++;
	h->sum += v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

void hist__merge(struct hist *dst, const struct hist *src)
{
	unsigned int i;

	if (!src->count)
		return;
	for (i = 0; i < HIST_BUCKETS; i++)
		dst->buckets[i] += src->buckets[i];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

uint64_t hist__quantile(const struct hist *h, double q)
{
	uint64_t rank, seen = 0, v;
	unsigned int i;

	if (!h->count)
		return 0;
	if (q >= 1.0)
		return h->max;
	rank = (uint64_t)ceil(q * (double)h->count);
	if (rank < 1)
		rank = 1;
	for (i = 0; i < HIST_BUCKETS; i++) {
		seen += h->buckets[i];
		if (seen >= rank)
			break;
	}
	if (i == HIST_BUCKETS)
		return h->max;
	v = hist__bucket_low(i) + (bucket_width(i) - 1) / 2;
	if (v < h->min)
		v = h->min;
	if (v > h->max)
		v = h->max;
	return v;
}

double hist__mean(const struct hist *h)
{
	return h->count ? (double)h->sum / (double)h->count : 0.0;
}
