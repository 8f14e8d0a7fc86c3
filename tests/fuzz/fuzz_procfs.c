// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The /proc parsers. Built once per parser (-DPARSER=...): each target has
 * a corpus of its own file format. The input is not NUL-terminated, so
 * reading past it is caught by ASan. */
#include <errno.h>
#include "fuzz.h"
#include "monitor/procfs.h"

#define SNMP	 1
#define SNMP6	 2
#define SOCKSTAT 3
#define SOFTNET	 4
#define SYSCTL	 5

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct counters c = {};
	const char *buf;
	char *copy = malloc(size ? size : 1);
	int err = 0;
	size_t i;

	if (!copy)
		return 0;
	memcpy(copy, data, size);
	buf = copy;
#if PARSER == SNMP
	err = procfs_parse_snmp(buf, size, &c);
#elif PARSER == SNMP6
	err = procfs_parse_snmp6(buf, size, &c);
#elif PARSER == SOCKSTAT
	err = procfs_parse_sockstat(buf, size, &c);
#elif PARSER == SOFTNET
	{
		struct softnet sn;

		err = procfs_parse_softnet(buf, size, &sn);
	}
#elif PARSER == SYSCTL
	{
		uint64_t vals[4];
		char word[32];

		err = procfs_parse_uints(buf, size, vals, 4);
		if (err > 4 || (err < 1 && err != -EINVAL && err != -ERANGE))
			abort();
		err = procfs_parse_word(buf, size, word, sizeof(word));
		if (!err && !memchr(word, 0, sizeof(word)))
			abort();
		err = 0;
	}
#else
#error "PARSER must name one of the /proc parsers"
#endif
	if (err > 0)
		abort();
	/* Every counter stored has a terminated name and can be found again. */
	for (i = 0; i < c.n; i++) {
		if (!memchr(c.v[i].name, 0, sizeof(c.v[i].name)))
			abort();
		if (!counters_find(&c, c.v[i].name))
			abort();
	}
	counters_free(&c);
	free(copy);
	return 0;
}
