// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The running kernel's drop reason names, from its BTF: see reasons.h. */
#include <stdbool.h>
#include <bpf/btf.h>
#include "tracer/reasons.h"

/* Each value of enum enum_name (ENUM or ENUM64) through set(). */
static void enum_walk(const struct btf *btf, const char *enum_name,
		      void (*set)(uint32_t val, const char *name))
{
	const struct btf_type *t;
	int id = btf__find_by_name_kind(btf, enum_name, BTF_KIND_ENUM);
	int i;

	if (id <= 0)
		id = btf__find_by_name_kind(btf, enum_name, BTF_KIND_ENUM64);
	if (id <= 0)
		return;
	t = btf__type_by_id(btf, id);
	for (i = 0; i < btf_vlen(t); i++) {
		uint64_t v = btf_is_enum(t) ? (uint32_t)btf_enum(t)[i].val
					    : btf_enum64_value(&btf_enum64(t)[i]);
		const char *s = btf__name_by_offset(
		    btf, btf_is_enum(t) ? btf_enum(t)[i].name_off : btf_enum64(t)[i].name_off);

		if (s && v <= UINT32_MAX)
			set((uint32_t)v, s);
	}
}

void drop_reasons_load(const struct btf *btf)
{
	static bool loaded;

	if (loaded || !btf)
		return;
	loaded = true;
	enum_walk(btf, "skb_drop_reason", drop_reason_set);
	enum_walk(btf, "skb_drop_reason_subsys", drop_subsys_set);
}
