// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The verdict rules: see verdict.h. First match wins, in this order. */
#include <errno.h>
#include "correlate/verdict.h"

static const char *const names[VERDICT_MAX] = {
	[VERDICT_NONE] = "",
	[VERDICT_REFUSED] = "refused",
	[VERDICT_SYN_TIMEOUT] = "syn_timeout",
	[VERDICT_RESET_BY_PEER] = "reset_by_peer",
	[VERDICT_RESET_LOCALLY] = "reset_locally",
	[VERDICT_DROPPED_LOCALLY] = "dropped_locally",
	[VERDICT_TIMEOUT] = "timeout",
	[VERDICT_ABORTED] = "aborted",
};

const char *verdict_name(enum verdict_kind kind)
{
	return kind < VERDICT_MAX ? names[kind] : "";
}

/* Never established: refused, or the SYNs went unanswered. */
static struct verdict before_established(const struct verdict_evidence *ev)
{
	struct verdict v = { VERDICT_NONE, 0, 0 };

	if (ev->reset_in_syn_sent || ev->err == ECONNREFUSED)
		v.kind = VERDICT_REFUSED;
	else if (ev->syn_retransmits || ev->err == ETIMEDOUT)
		v = (struct verdict){ VERDICT_SYN_TIMEOUT, ev->syn_retransmits, 0 };
	else if (ev->ended || ev->err)
		v.kind = VERDICT_ABORTED;
	return v;
}

struct verdict verdict_of(const struct verdict_evidence *ev)
{
	struct verdict v = { VERDICT_NONE, 0, 0 };

	if (!ev->established)
		return ev->ended || ev->err ? before_established(ev) : v;
	if (ev->resets_received || ev->err == ECONNRESET)
		v.kind = VERDICT_RESET_BY_PEER;
	else if (ev->resets_sent && !ev->planned_reset)
		v = (struct verdict){ VERDICT_RESET_LOCALLY, 0, ev->reset_reason };
	else if (ev->err == ETIMEDOUT && ev->drops)
		v = (struct verdict){ VERDICT_DROPPED_LOCALLY, 0, ev->drop_reason };
	else if (ev->err == ETIMEDOUT)
		v.kind = VERDICT_TIMEOUT;
	else if (ev->err || (ev->ended && !ev->fin_close && !ev->planned_reset))
		v.kind = VERDICT_ABORTED;
	return v;
}
