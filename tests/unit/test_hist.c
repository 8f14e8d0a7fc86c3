// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <stdlib.h>
#include "lib/hist.h"
#include "lib/util.h"
#include "test.h"

/* The oracle: the value of rank ceil(q*n) in the sorted sample. */
static uint64_t oracle(const uint64_t *sorted, size_t n, double q)
{
	size_t rank = (size_t)((q * (double)n) + 0.999999999);

	if (rank < 1)
		rank = 1;
	if (rank > n)
		rank = n;
	return sorted[rank - 1];
}

static int within(uint64_t got, uint64_t want, double rel)
{
	double d = (double)got - (double)want;

	if (d < 0)
		d = -d;
	return d <= rel * (double)want + 0.5;
}

TEST(hist_buckets_contiguous)
{
	unsigned int b;

	for (b = 1; b < HIST_BUCKETS; b++) {
		uint64_t lo = hist__bucket_low(b);

		if (!ASSERT_EQ(hist__bucket(lo), b, "bucket of its own low bound"))
			return;
		if (!ASSERT_EQ(hist__bucket(lo - 1), b - 1, "value below low bound"))
			return;
	}
	ASSERT_EQ(hist__bucket(UINT64_MAX), HIST_BUCKETS - 1, "u64 max in last bucket");
	ASSERT_EQ(hist__bucket(127), 127, "exact below 128");
}

static void check_against_oracle(uint64_t *vals, size_t n, const char *what)
{
	static const double qs[] = { 0.5, 0.9, 0.99, 0.999, 1.0 };
	struct hist h;
	size_t i;
	uint64_t sum = 0;

	hist__init(&h);
	for (i = 0; i < n; i++) {
		hist__record(&h, vals[i]);
		sum += vals[i];
	}
	qsort(vals, n, sizeof(*vals), u64_cmp);
	for (i = 0; i < sizeof(qs) / sizeof(qs[0]); i++) {
		uint64_t got = hist__quantile(&h, qs[i]), want = oracle(vals, n, qs[i]);

		if (!within(got, want, 0.01))
			TEST_FAIL_AT("%s q=%.3f: got %" PRIu64 ", want %" PRIu64 " within 1%%",
				     what, qs[i], got, want);
	}
	ASSERT_EQ(h.max, vals[n - 1], "max");
	ASSERT_EQ(h.min, vals[0], "min");
	ASSERT_EQ(h.count, n, "count");
	ASSERT_TRUE(hist__mean(&h) == (double)sum / (double)n, "mean exact");
}

TEST(hist_quantiles_uniform)
{
	size_t n = 100000, i;
	uint64_t *v = malloc(n * sizeof(*v));

	srandom(1);
	for (i = 0; i < n; i++)
		v[i] = (uint64_t)random() % 5000000;
	check_against_oracle(v, n, "uniform");
	free(v);
}

TEST(hist_quantiles_heavy_tail)
{
	size_t n = 50000, i;
	uint64_t *v = malloc(n * sizeof(*v));

	srandom(2);
	for (i = 0; i < n; i++) {
		/* mostly ~50us, a tail up to seconds */
		uint64_t x = 40000 + (uint64_t)random() % 20000;

		if (random() % 100 == 0)
			x *= 1 + (uint64_t)random() % 20000;
		v[i] = x;
	}
	check_against_oracle(v, n, "heavy tail");
	free(v);
}

TEST(hist_small_samples)
{
	uint64_t one[] = { 42 }, few[] = { 1000, 3, 70000, 5, 200 };

	check_against_oracle(one, 1, "one value");
	check_against_oracle(few, 5, "five values");
}

TEST(hist_merge_equals_single)
{
	struct hist a, b, all;
	uint64_t i;

	hist__init(&a);
	hist__init(&b);
	hist__init(&all);
	for (i = 0; i < 10000; i++) {
		uint64_t x = i * i % 1000003;

		hist__record(i % 2 ? &a : &b, x);
		hist__record(&all, x);
	}
	hist__merge(&a, &b);
	ASSERT_EQ(a.count, all.count, "count");
	ASSERT_EQ(a.sum, all.sum, "sum");
	ASSERT_EQ(a.max, all.max, "max");
	ASSERT_EQ(a.min, all.min, "min");
	ASSERT_EQ(hist__quantile(&a, 0.99), hist__quantile(&all, 0.99), "p99");
	ASSERT_TRUE(!memcmp(a.buckets, all.buckets, sizeof(a.buckets)), "buckets");
}

TEST(hist_empty)
{
	struct hist h;

	hist__init(&h);
	ASSERT_EQ(hist__quantile(&h, 0.5), 0, "p50 of empty");
	ASSERT_TRUE(hist__mean(&h) == 0.0, "mean of empty");
}
