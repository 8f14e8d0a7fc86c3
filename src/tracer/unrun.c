// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <inttypes.h>
#include "tracer/events.h"
#include "tracer/unrun.h"

static uint64_t sum(const uint64_t *v)
{
	uint64_t n = 0;

	for (int t = 0; t < EV_TYPE_MAX; t++)
		n += v[t];
	return n;
}

uint64_t unrun_total(const struct tracer_counts *c)
{
	return sum(c->unrun);
}

static void by_type(FILE *f, const uint64_t *v)
{
	for (int t = 0; t < EV_TYPE_MAX; t++)
		if (v[t])
			fprintf(f, " %s %" PRIu64, ev_type_name(t), v[t]);
}

void unrun_text(FILE *f, const char *prefix, const struct tracer_counts *c)
{
	if (sum(c->unrun) || c->owner_unrun) {
		fprintf(f, "%shits the kernel ran no tcpscope program for (tracefs counted them):",
			prefix);
		by_type(f, c->unrun);
		if (c->owner_unrun)
			fprintf(f, " owner records %" PRIu64, c->owner_unrun);
		fprintf(f, "; any socket's, so at most this many of the events asked for are "
			   "lost\n");
	} else if (!c->unrun_checked) {
		fprintf(f,
			"%shits the kernel ran no tcpscope program for: not checked (no "
			"tracefs instance)\n",
			prefix);
	}
	if (sum(c->duplicated)) {
		fprintf(f, "%sevents sent twice (a twin took a hit its primary had sent):", prefix);
		by_type(f, c->duplicated);
		fputc('\n', f);
	}
}

static void members(struct jw *w, const char *name, const uint64_t *v)
{
	jw_obj_open(w, name);
	for (int t = 0; t < EV_TYPE_MAX; t++)
		jw_u64(w, ev_type_name(t), v[t]);
	jw_obj_close(w);
}

void unrun_json(struct jw *w, const struct tracer_counts *c)
{
	jw_u64(w, "unrun", sum(c->unrun));
	members(w, "unrun_by_type", c->unrun);
	jw_u64(w, "unrun_owner", c->owner_unrun);
	jw_bool(w, "unrun_checked", c->unrun_checked);
	jw_u64(w, "duplicated", sum(c->duplicated));
	members(w, "duplicated_by_type", c->duplicated);
}
