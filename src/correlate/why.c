// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Drops and verdicts in stress --trace: see why.h. */
#include <arpa/inet.h>
#include <errno.h>
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
		.fin_close = path_has(c, TCP_STATE_FIN_WAIT1) ||
			     path_has(c, TCP_STATE_CLOSE_WAIT) || path_has(c, TCP_STATE_LAST_ACK) ||
			     path_has(c, TCP_STATE_CLOSING),
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

static uint64_t drop_total(const struct drop_count *d)
{
	uint64_t total = d->other;
	uint32_t i;

	for (i = 0; i < d->ncodes; i++)
		total += d->n[i];
	return total;
}

/* The drops: line; on_conns NULL (trace): no "on our connections". */
static void text_drops(const struct drop_count *d, const uint64_t *on_conns, FILE *f)
{
	uint64_t total = drop_total(d);
	uint32_t i;

	if (!total)
		return;
	fprintf(f, "drops: %" PRIu64, total);
	if (on_conns)
		fprintf(f, " (on our connections %" PRIu64 ")", *on_conns);
	fputc(':', f);
	for (i = 0; i < d->ncodes; i++)
		fprintf(f, " %s %" PRIu64,
			*drop_reason_name(d->code[i]) ? drop_reason_name(d->code[i]) : "unknown",
			d->n[i]);
	if (d->other)
		fprintf(f, " other %" PRIu64, d->other);
	fprintf(f, "; with data %" PRIu64 " (%" PRIu64 " B), control only", d->with_data,
		d->data_bytes);
	for (i = 0; i < DROP_CTL_MAX; i++)
		fprintf(f, " %s %" PRIu64, drop_ctl_names[i], d->ctl[i]);
	fputc('\n', f);
}

void why__print_text(const struct why_summary *w, FILE *f)
{
	char s[INET6_ADDRSTRLEN + 8], d[INET6_ADDRSTRLEN + 8];
	int k;

	text_drops(&w->drops, &w->drops_on_conns, f);
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

static void by_reason_json(struct jw *j, const char *key, const struct drop_count *d)
{
	uint32_t i;

	jw_obj_open(j, key);
	for (i = 0; i < d->ncodes; i++)
		jw_u64(j, *drop_reason_name(d->code[i]) ? drop_reason_name(d->code[i]) : "unknown",
		       d->n[i]);
	if (d->other)
		jw_u64(j, "other", d->other);
	jw_obj_close(j);
}

static void carried_json(struct jw *j, const char *key, const struct drop_count *d)
{
	int i;

	jw_obj_open(j, key);
	jw_u64(j, "with_data", d->with_data);
	jw_u64(j, "data_bytes", d->data_bytes);
	for (i = 0; i < DROP_CTL_MAX; i++)
		jw_u64(j, drop_ctl_names[i], d->ctl[i]);
	jw_obj_close(j);
}

void why__print_json(const struct why_summary *w, struct jw *j)
{
	int k;

	jw_obj_open(j, "drops");
	jw_u64(j, "total", drop_total(&w->drops));
	jw_u64(j, "joined", w->drops.joined);
	jw_u64(j, "on_our_connections", w->drops_on_conns);
	by_reason_json(j, "by_reason", &w->drops);
	by_reason_json(j, "ours_by_reason", &w->drops_ours);
	carried_json(j, "carried", &w->drops);
	carried_json(j, "ours_carried", &w->drops_ours);
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
		fprintf(f,
			"{\"type\":\"why\",\"cookie\":%" PRIu64 ",\"side\":\"%s\","
			"\"verdict\":\"%s\",\"syn_retransmits\":%u,\"reason\":\"%s\","
			"\"drops\":%u,\"retrans_segs\":%u}\n",
			c->cookie, c->side == SIDE_SERVER ? "server" : "client",
			verdict_name(v.kind), c->by_kind[RK_SYN], reason_text(&v), c->drops,
			c->retrans_segs);
	}
	free(all);
}

/* The evidence at a transition to CLOSE from old, with what the entry (if
 * any) gathered. Without the load engine's errno, retransmission timeouts
 * show as RTOs before ESTABLISHED -> CLOSE with no reset. */
static struct verdict close_verdict(const struct conn *c, unsigned int old)
{
	static const struct conn none;
	struct verdict_evidence ev;

	if (!c)
		c = &none;
	ev = (struct verdict_evidence){
		.established = old != TCP_STATE_SYN_SENT,
		.ended = true,
		.fin_close = old != TCP_STATE_SYN_SENT && old != TCP_STATE_ESTABLISHED,
		.reset_in_syn_sent = c->reset_rx_state == TCP_STATE_SYN_SENT,
		.syn_retransmits = c->by_kind[RK_SYN],
		.resets_received = c->resets_received,
		.resets_sent = c->resets_sent,
		.reset_reason = c->reset_reason,
		.drops = c->drops,
		.drop_reason = c->drop_reason,
		.err = old == TCP_STATE_ESTABLISHED && c->by_kind[RK_RTO] && !c->resets_received &&
			       !c->resets_sent
			   ? ETIMEDOUT
			   : 0,
	};
	return verdict_of(&ev);
}

/* A socket in state st has a transition to CLOSE ahead: not a closed
 * one's reset (an abortive close sends it after CLOSE), nor a TIME_WAIT
 * or request socket's (they have none). */
static bool may_close(unsigned int st)
{
	return st != TCP_STATE_CLOSE && st != TCP_STATE_TIME_WAIT && st != TCP_STATE_NEW_SYN_RECV;
}

/* One connection at its CLOSE: its verdict counted, the first of each
 * kind kept as the example. */
static void judge(struct why_trace *w, const struct conn *c, const struct event *e)
{
	struct verdict v = close_verdict(c, e->state.oldstate);

	if (v.kind == VERDICT_NONE || v.kind >= VERDICT_MAX)
		return;
	if (!w->verdicts[v.kind]++) {
		w->example[v.kind] = (struct conn){ .cookie = e->cookie,
						    .family = e->family,
						    .sport = e->sport,
						    .dport = e->dport };
		memcpy(w->example[v.kind].saddr, e->saddr, sizeof(e->saddr));
		memcpy(w->example[v.kind].daddr, e->daddr, sizeof(e->daddr));
		w->example_v[v.kind] = v;
	}
}

void why_trace__event(struct why_trace *w, struct conntab *t, const struct event *e)
{
	struct conn *c = e->cookie ? conntab__find(t, e->cookie) : NULL;

	if (e->type == EV_DROP)
		drop_count__add(&w->drops, &e->drop, false);
	if (e->type == EV_SEND_RESET || e->type == EV_RECV_RESET || e->type == EV_DROP) {
		bool has_sock = e->type == EV_DROP ? e->drop.has_sock : e->reset.has_sock;
		unsigned int st = e->type == EV_DROP ? e->drop.tcp_state : e->reset.tcp_state;

		if (!c && e->cookie && has_sock && may_close(st))
			c = conntab__get(t, e);
		if (!c)
			return;
		if (e->type == EV_DROP) {
			c->drops++;
			c->drop_reason = e->drop.reason;
		} else if (e->type == EV_SEND_RESET) {
			c->resets_sent++;
			c->reset_reason = e->reset.reason;
		} else {
			c->resets_received++;
			c->reset_rx_state = e->reset.tcp_state;
		}
		return;
	}
	if (e->type != EV_STATE || e->state.newstate != TCP_STATE_CLOSE)
		return;
	if (e->state.oldstate != TCP_STATE_LISTEN && e->state.oldstate != TCP_STATE_SYN_RECV)
		judge(w, c, e);
	if (c && !(c->retrans_events && w->keep_retransmitting))
		conntab__remove(t, c);
}

void why_trace__print_text(const struct why_trace *w, FILE *f)
{
	char s[INET6_ADDRSTRLEN + 8], d[INET6_ADDRSTRLEN + 8];
	int k;

	text_drops(&w->drops, NULL, f);
	for (k = 1; k < VERDICT_MAX; k++) {
		const struct conn *c = &w->example[k];
		const struct verdict *v = &w->example_v[k];

		if (!w->verdicts[k])
			continue;
		endpoint_format(s, sizeof(s), c->family ? c->family : 4, c->saddr, c->sport);
		endpoint_format(d, sizeof(d), c->family ? c->family : 4, c->daddr, c->dport);
		fprintf(f, "verdict %s: %" PRIu64 " connections, e.g. %s > %s", verdict_name(k),
			w->verdicts[k], s, d);
		if (k == VERDICT_SYN_TIMEOUT)
			fprintf(f, " after %u SYN retransmits", v->n);
		if (*reason_text(v))
			fprintf(f, " (%s)", reason_text(v));
		fputc('\n', f);
	}
}

void why_trace__print_json(const struct why_trace *w, struct jw *j)
{
	int k;

	jw_obj_open(j, "drops");
	jw_u64(j, "total", drop_total(&w->drops));
	by_reason_json(j, "by_reason", &w->drops);
	carried_json(j, "carried", &w->drops);
	jw_obj_close(j);
	jw_obj_open(j, "verdicts");
	for (k = 1; k < VERDICT_MAX; k++)
		jw_u64(j, verdict_name(k), w->verdicts[k]);
	jw_obj_close(j);
}
