// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The congestion timeline: see cong.h. */
#include <string.h>
#include "correlate/cong.h"
#include "lib/tcpinfo.h" /* tcp_ca_state_name() */

void cong_tally__init(struct cong_tally *t, bool on)
{
	int i;

	memset(t, 0, sizeof(*t));
	t->on = on;
	for (i = 0; i < CA_NSTATES; i++)
		hist__init(&t->in_state_ns[i]);
}

static bool changed(const struct conn_cong *c)
{
	int i;

	for (i = 0; i < CA_NSTATES; i++)
		if (c->entered[i])
			return true;
	return false;
}

/* When the current interval began: the last change, or, for the Open a
 * socket starts in (no change seen yet), the handshake's end. 0: not
 * known (after a gap). */
static uint64_t interval_start(const struct conn_cong *c, uint64_t established_ns)
{
	if (c->since_ns)
		return c->since_ns;
	return c->ca == 0 && !changed(c) ? established_ns : 0;
}

static uint64_t interval_end(struct cong_tally *t, struct conn_cong *c, uint64_t ts,
			     uint64_t established_ns)
{
	uint64_t start = interval_start(c, established_ns);

	if (!start || ts < start || c->ca >= CA_NSTATES)
		return 0;
	c->in_ns[c->ca] += ts - start;
	hist__record(&t->in_state_ns[c->ca], ts - start);
	return ts - start;
}

uint64_t cong__set(struct cong_tally *t, struct conn_cong *c, uint64_t ts, unsigned int old,
		   unsigned int new, uint64_t established_ns)
{
	uint64_t len;

	t->sets++;
	if (new < CA_NSTATES)
		t->set_to[new]++;
	if (c->closed || old == new || new >= CA_NSTATES)
		return 0; /* Loss again (another RTO): the same interval */
	/* The event says what the socket left; trust it over our record,
	 * which misses the state a socket had before its first event. */
	if (c->ca != old && c->since_ns)
		t->gaps++;
	if (c->ca != old) {
		c->ca = (uint8_t)old;
		c->since_ns = 0;
	}
	len = interval_end(t, c, ts, established_ns);
	c->ca = (uint8_t) new;
	c->since_ns = ts;
	c->entered[new]++;
	t->entered[new]++;
	return len;
}

void cong__close(struct cong_tally *t, struct conn_cong *c, uint64_t ts, uint64_t established_ns)
{
	if (c->closed)
		return;
	interval_end(t, c, ts, established_ns);
	c->closed = 1;
}

bool cong__eventful(const struct conn_cong *c)
{
	int i;

	for (i = 1; i < CA_NSTATES; i++)
		if (c->entered[i])
			return true;
	return false;
}

void cong__conn_json(const struct conn_cong *c, struct jw *w)
{
	unsigned int i;

	jw_obj_open(w, "congestion");
	for (i = 0; i < CA_NSTATES; i++) {
		if (!c->entered[i] && !c->in_ns[i])
			continue;
		jw_obj_open(w, tcp_ca_state_name(i));
		jw_u64(w, "entered", c->entered[i]);
		jw_double(w, "us", (double)c->in_ns[i] / 1e3);
		jw_obj_close(w);
	}
	jw_obj_close(w);
}
