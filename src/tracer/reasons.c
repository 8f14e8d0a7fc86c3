// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Drop reason names: see reasons.h. No libbpf here (the unit tests link
 * this); reasons_btf.c fills the table from the kernel's BTF. */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include "tracer/reasons.h"

#define SUBSYS_SHIFT 16 /* SKB_DROP_REASON_SUBSYS_SHIFT, 6.4+ */
#define NCORE	     512
#define NSUBSYS	     32

static char core[NCORE][40];
static char subsys[NSUBSYS][40];

void reason_name_format(char *buf, size_t len, const char *enum_name, const char *prefix)
{
	size_t n = strlen(prefix), i;

	if (!strncmp(enum_name, prefix, n))
		enum_name += n;
	for (i = 0; len && i < len - 1 && enum_name[i]; i++)
		buf[i] = (char)tolower((unsigned char)enum_name[i]);
	if (len)
		buf[i] = '\0';
}

void drop_reason_set(uint32_t code, const char *enum_name)
{
	if (code < NCORE)
		reason_name_format(core[code], sizeof(core[0]), enum_name, "SKB_DROP_REASON_");
}

void drop_subsys_set(uint32_t id, const char *enum_name)
{
	if (id < NSUBSYS)
		reason_name_format(subsys[id], sizeof(subsys[0]), enum_name,
				   "SKB_DROP_REASON_SUBSYS_");
}

const char *drop_reason_name(uint32_t code)
{
	static __thread char buf[64];
	uint32_t id = code >> SUBSYS_SHIFT;

	if (code < NCORE && core[code][0])
		return core[code];
	if (id && id < NSUBSYS && subsys[id][0]) {
		snprintf(buf, sizeof(buf), "%s:%u", subsys[id], code & ((1u << SUBSYS_SHIFT) - 1));
		return buf;
	}
	return "";
}
