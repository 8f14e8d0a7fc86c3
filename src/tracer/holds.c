// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <inttypes.h>
#include "tracer/holds.h"

void syn_recv_holds_text(FILE *f, const char *prefix, const struct tracer_counts *c)
{
	if (!c->syn_recv_held)
		return;
	fprintf(f,
		"%sLISTEN -> SYN_RECV held until the child had its identity (this kernel sets "
		"the state first): %" PRIu64 ", released %" PRIu64,
		prefix, c->syn_recv_held, c->syn_recv_released);
	if (c->syn_recv_pending + c->syn_recv_evicted)
		fprintf(f,
			"; never released: half-open at the end %" PRIu64 ", evicted %" PRIu64 "%s",
			c->syn_recv_pending, c->syn_recv_evicted,
			c->syn_recv_evicted ? " (those events lost)" : "");
	fputc('\n', f);
}

void syn_recv_holds_json(struct jw *w, const struct tracer_counts *c)
{
	jw_obj_open(w, "syn_recv_holds");
	jw_u64(w, "held", c->syn_recv_held);
	jw_u64(w, "released", c->syn_recv_released);
	jw_u64(w, "half_open", c->syn_recv_pending);
	jw_u64(w, "evicted", c->syn_recv_evicted);
	jw_obj_close(w);
}
