// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <string.h>
#include "tracer/owner.h"
#include "test.h"

static struct event ev(int type, uint32_t pid, uint64_t cg, uint16_t segs, int err)
{
	struct event e = { .type = (uint8_t)type, .pid = pid, .cgroup_id = cg };

	if (pid)
		memcpy(e.comm, "srv", 4);
	if (type == EV_RETRANSMIT) {
		e.retrans.segs = segs;
		e.retrans.err = err;
	}
	return e;
}

TEST(owner_tally_top_by_segs_then_resets)
{
	struct owner_tally t = {};
	const struct owner_row *top[4];
	struct event e;
	size_t n;

	e = ev(EV_RETRANSMIT, 10, 100, 3, 0);
	owner_tally__event(&t, &e);
	e = ev(EV_RETRANSMIT, 10, 100, 2, 0);
	owner_tally__event(&t, &e);
	e = ev(EV_RETRANSMIT, 10, 100, 9, -11); /* failed: never sent, not counted */
	owner_tally__event(&t, &e);
	e = ev(EV_SEND_RESET, 0, 0, 0, 0); /* no socket: owner and cgroup unknown */
	owner_tally__event(&t, &e);
	e = ev(EV_RECV_RESET, 20, 200, 0, 0);
	owner_tally__event(&t, &e);
	owner_tally__event(&t, &e);
	e = ev(EV_STATE, 30, 300, 0, 0); /* not counted */
	owner_tally__event(&t, &e);
	n = owner_tab__top(&t.procs, top, 4);
	ASSERT_EQ(n, 3, "processes");
	ASSERT_EQ(top[0]->key, 10, "most segments first");
	ASSERT_EQ(top[0]->retrans_segs, 5, "sent segments only");
	ASSERT_STREQ(top[0]->comm, "srv", "comm");
	ASSERT_EQ(top[0]->cgroup_id, 100, "its cgroup");
	ASSERT_EQ(top[1]->key, 20, "then most resets");
	ASSERT_EQ(top[1]->resets_received, 2, "resets received");
	ASSERT_EQ(top[2]->key, 0, "the unknown owner is a row of its own");
	ASSERT_EQ(top[2]->resets_sent, 1, "reset without socket");
	n = owner_tab__top(&t.cgroups, top, 1);
	ASSERT_EQ(n, 1, "max honoured");
	ASSERT_EQ(top[0]->key, 100, "cgroup with most segments");
	owner_tally__free(&t);
}

TEST(owner_tally_bounded)
{
	struct owner_tally t = {};
	struct event e;
	uint32_t pid;

	for (pid = 1; pid <= OWNER_TALLY_MAX + 10; pid++) {
		e = ev(EV_SEND_RESET, pid, 5, 0, 0);
		owner_tally__event(&t, &e);
	}
	ASSERT_EQ(t.procs.used, OWNER_TALLY_MAX, "table bounded");
	ASSERT_EQ(t.procs.other.resets_sent, 10, "the rest as other");
	ASSERT_EQ(t.cgroups.used, 1, "one cgroup");
	owner_tally__free(&t);
}
