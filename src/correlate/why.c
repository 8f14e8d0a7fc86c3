// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Drops and verdicts in stress --trace: see why.h. */
#include <arpa/inet.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include "correlate/why.h"
#include "lib/tcpstate.h"
#include "tracer/events.h"
#include "tracer/reasons.h"

static bool path_has(const struct conn *c, unsigned int st)
{
	return memchr(c->path, (int)st, c->npath) != NULL;
}

struct verdict conn__verdict(const struct conn *c)
{
	struct verdict_evidence ev = {
		.established = c->kest_ns || c->uest_ns,
		.ended = c->done || c->last_state == TCP_STATE_CLOSE,
		.fin_close = path_has(c, TCP_STATE_FIN_WAIT1) || path_has(c, TCP_STATE_CLOSE_WAIT) ||
			     path_has(c, TCP_STATE_LAST_ACK) || path_has(c, TCP_STATE_CLOSING),
		.reset_in_syn_sent = c->reset_rx_state == TCP_STATE_SYN_SENT,
		.syn_retransmits = c->by_kind[RK_SYN],
		.resets_received = c->resets_received,
		.resets_sent = c->resets_sent,
		.planned_reset = c->close_kind == 2, /* CLOSE_RST: SO_LINGER 0 */
		.reset_reason = c->reset_reason,
		.drops = c->drops,
		.drop_reason = c->drop_reason,
		.err = c->err,
	};

	return verdict_of(&ev);
}

static bool judged(const struct conn *c)
{
	return c->ours && c->done && c->side != SIDE_SERVER && c->side != SIDE_LISTENER;
}

void why__count(struct why_summary *w, const struct conn *c)
{
	struct verdict v;

	if (!c->ours)
		return;
	w->drops_on_conns += c->drops;
	if (!judged(c))
		return;
	v = conn__verdict(c);
	if (v.kind == VERDICT_NONE || v.kind >= VERDICT_MAX)
		return;
	if (!w->verdicts[v.kind]++)
		w->example[v.kind] = c;
}

static const char *reason_text(const struct verdict *v)
{
	if (v->kind == VERDICT_RESET_LOCALLY)
		return reset_reason_name(v->reason);
	if (v->kind == VERDICT_DROPPED_LOCALLY)
		return drop_reason_name(v->reason);
	return "";
}

static void text_drops(const struct drop_count *d, uint64_t on_conns, FILE *f)
{
	uint64_t total = d->other;
	uint32_t i;

	for (i = 0; i < d->ncodes; i++)
		total += d->n[i];
	if (!total)
		return;
	fprintf(f, "drops: %" PRIu64 " (on our connections %" PRIu64 "):", total, on_conns);
	for (i = 0; i < d->ncodes; i++)
		fprintf(f, " %s %" PRIu64, *drop_reason_name(d->code[i]) ?
			drop_reason_name(d->code[i]) : "unknown", d->n[i]);
	if (d->other)
		fprintf(f, " other %" PRIu64, d->other);
	fputc('\n', f);
}

void why__print_text(const struct why_summary *w, FILE *f)
{
	char s[INET6_ADDRSTRLEN + 8], d[INET6_ADDRSTRLEN + 8];
	int k;

	text_drops(&w->drops, w->drops_on_conns, f);
	for (k = 1; k < VERDICT_MAX; k++) {
		const struct conn *c = w->example[k];
		struct verdict v;

		if (!w->verdicts[k] || !c)
			continue;
		v = conn__verdict(c);
		endpoint_format(s, sizeof(s), c->family ? c->family : 4, c->saddr, c->sport);
		endpoint_format(d, sizeof(d), c->family ? c->family : 4, c->daddr, c->dport);
		fprintf(f, "verdict %s: %" PRIu64 " connections, e.g. %s > %s", verdict_name(k),
			w->verdicts[k], s, d);
		if (k == VERDICT_SYN_TIMEOUT)
			fprintf(f, " after %u SYN retransmits", v.n);
		if (*reason_text(&v))
			fprintf(f, " (%s)", reason_text(&v));
		fputc('\n', f);
	}
}

void why__print_json(const struct why_summary *w, struct jw *j)
{
	uint64_t total = w->drops.other;
	uint32_t i;
	int k;

	for (i = 0; i < w->drops.ncodes; i++)
		total += w->drops.n[i];
	jw_obj_open(j, "drops");
	jw_u64(j, "total", total);
	jw_u64(j, "joined", w->drops.joined);
	jw_u64(j, "on_our_connections", w->drops_on_conns);
	jw_obj_open(j, "by_reason");
	for (i = 0; i < w->drops.ncodes; i++)
		jw_u64(j, *drop_reason_name(w->drops.code[i]) ? drop_reason_name(w->drops.code[i]) :
								 "unknown", w->drops.n[i]);
	if (w->drops.other)
		jw_u64(j, "other", w->drops.other);
	jw_obj_close(j);
	jw_obj_close(j);
	jw_obj_open(j, "verdicts");
	for (k = 1; k < VERDICT_MAX; k++)
		jw_u64(j, verdict_name(k), w->verdicts[k]);
	jw_obj_close(j);
}

void why__conn_json(struct jw *j, const struct conn *c)
{
	struct verdict v = conn__verdict(c);

	jw_u64(j, "drops", c->drops);
	if (c->drops)
		jw_str(j, "last_drop_reason", drop_reason_name(c->drop_reason));
	if (!judged(c))
		return;
	jw_str(j, "verdict", verdict_name(v.kind));
	if (v.kind == VERDICT_SYN_TIMEOUT)
		jw_u64(j, "syn_retransmits", v.n);
	if (*reason_text(&v))
		jw_str(j, "verdict_reason", reason_text(&v));
}

void why__timeline(FILE *f, const struct conntab *t)
{
	struct conn **all;
	size_t i, n;

	all = conntab__sorted(t, conn__by_cookie, &n);
	if (!all)
		return;
	for (i = 0; i < n; i++) {
		const struct conn *c = all[i];
		struct verdict v = conn__verdict(c);

		if (!c->ours || c->side == SIDE_LISTENER)
			continue;
		if (!judged(c))
			v.kind = VERDICT_NONE;
		fprintf(f, "{\"type\":\"why\",\"cookie\":%" PRIu64 ",\"side\":\"%s\","
			"\"verdict\":\"%s\",\"syn_retransmits\":%u,\"reason\":\"%s\","
			"\"drops\":%u,\"retrans_segs\":%u}\n", c->cookie,
			c->side == SIDE_SERVER ? "server" : "client", verdict_name(v.kind),
			c->by_kind[RK_SYN], reason_text(&v), c->drops, c->retrans_segs);
	}
	free(all);
}
