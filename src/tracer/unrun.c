// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <inttypes.h>
#include "lib/util.h"
#include "tracer/events.h"
#include "tracer/unrun.h"

uint64_t unrun_total(const struct tracer_counts *c)
{
	return u64_sum(c->unrun, EV_TYPE_MAX);
}

static void by_type(FILE *f, const uint64_t *v)
{
	for (int t = 0; t < EV_TYPE_MAX; t++)
		if (v[t])
			fprintf(f, " %s %" PRIu64, ev_type_name(t), v[t]);
}

void unrun_text(FILE *f, const char *prefix, const struct tracer_counts *c)
{
	if (u64_sum(c->unrun, EV_TYPE_MAX)) {
		fprintf(f, "%shits the kernel ran no tcpscope program for (tracefs counted them):",
			prefix);
		by_type(f, c->unrun);
		fprintf(f, "; any socket's, so at most this many of the events asked for are "
			   "lost\n");
	} else if (!c->unrun_checked) {
		fprintf(f,
			"%shits the kernel ran no tcpscope program for: not counted here "
			"(doctor: unrun_counted)\n",
			prefix);
	}
	if (u64_sum(c->duplicated, EV_TYPE_MAX)) {
		fprintf(f, "%sevents sent twice (a twin took a hit its primary had sent):", prefix);
		by_type(f, c->duplicated);
		fputc('\n', f);
	}
}

void unrun_json(struct jw *w, const struct tracer_counts *c)
{
	jw_u64(w, "unrun", u64_sum(c->unrun, EV_TYPE_MAX));
	jw_u64_members(w, "unrun_by_type", c->unrun, EV_TYPE_MAX, ev_type_name);
	/* The owner hooks' hits are not counted (tracer.c, crosscheck_wanted()):
	 * kept, as 0, for the consumers that read it. */
	jw_u64(w, "unrun_owner", 0);
	jw_bool(w, "unrun_checked", c->unrun_checked);
	jw_u64(w, "duplicated", u64_sum(c->duplicated, EV_TYPE_MAX));
	jw_u64_members(w, "duplicated_by_type", c->duplicated, EV_TYPE_MAX, ev_type_name);
}
