// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The verdict rules, case by case: the evidence a timeline gives and the
 * one verdict it must get. */
#include <errno.h>
#include "correlate/verdict.h"
#include "test.h"

struct verdict_case {
	const char *what;
	struct verdict_evidence ev;
	const char *want;
	uint32_t n, reason;
};

static const struct verdict_case cases[] = {
	{ "still open", { .established = true }, "", 0, 0 },
	{ "orderly close", { .established = true, .ended = true, .fin_close = true }, "", 0, 0 },
	{ "SYN answered by a reset",
	  { .ended = true, .reset_in_syn_sent = true },
	  "refused",
	  0,
	  0 },
	{ "ECONNREFUSED alone", { .err = ECONNREFUSED }, "refused", 0, 0 },
	{ "refused after SYN retransmits",
	  { .ended = true, .reset_in_syn_sent = true, .syn_retransmits = 2 },
	  "refused",
	  0,
	  0 },
	{ "SYNs unanswered",
	  { .ended = true, .syn_retransmits = 5, .err = ETIMEDOUT },
	  "syn_timeout",
	  5,
	  0 },
	{ "SYNs dropped by the listener: still syn_timeout",
	  { .ended = true, .syn_retransmits = 3, .drops = 4, .drop_reason = 7 },
	  "syn_timeout",
	  3,
	  0 },
	{ "connect timed out before any retransmit", { .err = ETIMEDOUT }, "syn_timeout", 0, 0 },
	{ "never established, closed", { .ended = true }, "aborted", 0, 0 },
	{ "reset received",
	  { .established = true, .ended = true, .resets_received = 1 },
	  "reset_by_peer",
	  0,
	  0 },
	{ "ECONNRESET alone", { .established = true, .err = ECONNRESET }, "reset_by_peer", 0, 0 },
	{ "peer's reset beats ours",
	  { .established = true, .resets_received = 1, .resets_sent = 1 },
	  "reset_by_peer",
	  0,
	  0 },
	{ "we reset it",
	  { .established = true, .ended = true, .resets_sent = 1, .reset_reason = 9 },
	  "reset_locally",
	  0,
	  9 },
	{ "planned reset close",
	  { .established = true, .ended = true, .resets_sent = 1, .planned_reset = true },
	  "",
	  0,
	  0 },
	{ "retransmissions ran out",
	  { .established = true, .ended = true, .err = ETIMEDOUT },
	  "timeout",
	  0,
	  0 },
	{ "ran out while this host dropped them",
	  { .established = true, .ended = true, .err = ETIMEDOUT, .drops = 6, .drop_reason = 12 },
	  "dropped_locally",
	  0,
	  12 },
	{ "drops, then an orderly close",
	  { .established = true, .ended = true, .fin_close = true, .drops = 3 },
	  "",
	  0,
	  0 },
	{ "closed from ESTABLISHED without FIN or reset",
	  { .established = true, .ended = true },
	  "aborted",
	  0,
	  0 },
	{ "another error", { .established = true, .err = EPIPE }, "aborted", 0, 0 },
};

TEST(verdict_rules)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct verdict v = verdict_of(&cases[i].ev);

		ASSERT_STREQ(verdict_name(v.kind), cases[i].want, cases[i].what);
		ASSERT_EQ(v.n, cases[i].n, cases[i].what);
		ASSERT_EQ(v.reason, cases[i].reason, cases[i].what);
	}
}

TEST(verdict_names)
{
	ASSERT_STREQ(verdict_name(VERDICT_NONE), "", "none");
	ASSERT_STREQ(verdict_name(VERDICT_ABORTED), "aborted", "last");
	ASSERT_STREQ(verdict_name(VERDICT_MAX), "", "out of range");
	for (int k = 1; k < VERDICT_MAX; k++) {
		int named = verdict_name((enum verdict_kind)k)[0] != '\0';

		ASSERT_EQ(named, 1, "every verdict named");
	}
}
