// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The inet_diag netlink message parser, on anything. Fed as one recv()'s
 * worth, then again split in two as if it came in two reads. */
#include "fuzz.h"
#include "monitor/sockdiag.h"

static void check(const struct sock_table *t)
{
	size_t i;

	for (i = 0; i < t->n; i++)
		if (t->v[i].family != 2 && t->v[i].family != 10)
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sock_table t = {};
	char *buf = malloc(size ? size : 1);
	size_t half = size / 2 & ~(size_t)3;
	int err;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	err = sockdiag_parse(buf, size, &t);
	if (err > 1)
		abort();
	check(&t);
	sock_table_free(&t);
	memset(&t, 0, sizeof(t));
	err = sockdiag_parse(buf, half, &t);
	if (err == 0)
		sockdiag_parse(buf + half, size - half, &t);
	check(&t);
	sock_table_free(&t);
	free(buf);
	return 0;
}
