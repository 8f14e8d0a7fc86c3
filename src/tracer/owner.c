// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "lib/cgroup.h"
#include "tracer/events.h"
#include "tracer/owner.h"

static uint64_t undecided(const struct tracer_counts *c)
{
	uint64_t n = 0;
	int t;

	for (t = 0; t < EV_TYPE_MAX; t++)
		n += c->unowned[t];
	return n;
}

void owner_counts_text(FILE *f, const struct tracer_counts *c)
{
	int t;

	if (undecided(c)) {
		fprintf(f, "left out by --pid/--comm/--cgroup, owner not known yet: %" PRIu64 " (",
			undecided(c));
		for (t = 0; t < EV_TYPE_MAX; t++)
			if (c->unowned[t])
				fprintf(f, " %s %" PRIu64, ev_type_name(t), c->unowned[t]);
		fprintf(f, " )\n");
	}
	if (c->owner_lost)
		fprintf(f,
			"owner records lost to nested hits: %" PRIu64
			" (those sockets may show pid 0 until their next record)\n",
			c->owner_lost);
}

void owner_counts_json(struct jw *w, const struct tracer_counts *c)
{
	int t;

	jw_u64(w, "owner_undecided", undecided(c));
	jw_obj_open(w, "owner_undecided_by_type");
	for (t = 0; t < EV_TYPE_MAX; t++)
		jw_u64(w, ev_type_name(t), c->unowned[t]);
	jw_obj_close(w);
	jw_u64(w, "owner_records_lost", c->owner_lost);
}

/* Key 0 is a real row (owner not known yet), so a slot is free when all
 * of it is zero; a taken row always has a count, and is never removed. */
static bool row_free(const struct owner_row *r)
{
	return !r->key && !r->retrans_segs && !r->resets_sent && !r->resets_received;
}

static size_t row_slot(const struct owner_tab *t, uint64_t key)
{
	size_t i = (size_t)((key + 1) * 0x9E3779B97F4A7C15ULL) & (t->cap - 1);

	while (t->rows[i].key != key && !row_free(&t->rows[i]))
		i = (i + 1) & (t->cap - 1);
	return i;
}

static struct owner_row *tab_get(struct owner_tab *t, uint64_t key)
{
	struct owner_row *r;
	size_t i;

	if (!t->cap) {
		t->rows = calloc(2 * OWNER_TALLY_MAX, sizeof(*t->rows));
		if (!t->rows)
			return &t->other;
		t->cap = 2 * OWNER_TALLY_MAX;
	}
	i = row_slot(t, key);
	r = &t->rows[i];
	if (row_free(r)) {
		if (t->used >= OWNER_TALLY_MAX)
			return &t->other;
		t->used++;
		r->key = key; /* row_add() gives it a count at once */
	}
	return r;
}

static void row_add(struct owner_row *r, const struct event *e, uint32_t segs)
{
	if (e->type == EV_RETRANSMIT)
		r->retrans_segs += segs;
	else if (e->type == EV_SEND_RESET)
		r->resets_sent++;
	else
		r->resets_received++;
}

void owner_tally__event(struct owner_tally *t, const struct event *e)
{
	uint32_t segs = e->type == EV_RETRANSMIT && !e->retrans.err ? e->retrans.segs : 0;
	struct owner_row *r;

	if (e->type != EV_RETRANSMIT && e->type != EV_SEND_RESET && e->type != EV_RECV_RESET)
		return;
	if (e->type == EV_RETRANSMIT && !segs)
		return; /* a failed retransmit sent nothing */
	r = tab_get(&t->procs, e->pid);
	row_add(r, e, segs);
	if (r != &t->procs.other) {
		memcpy(r->comm, e->comm, sizeof(r->comm));
		if (e->cgroup_id)
			r->cgroup_id = e->cgroup_id;
	}
	r = tab_get(&t->cgroups, e->cgroup_id);
	row_add(r, e, segs);
	if (r != &t->cgroups.other)
		r->cgroup_id = e->cgroup_id;
}

void owner_tally__free(struct owner_tally *t)
{
	free(t->procs.rows);
	free(t->cgroups.rows);
	memset(t, 0, sizeof(*t));
}

static int by_activity(const void *a, const void *b)
{
	const struct owner_row *x = *(const struct owner_row *const *)a;
	const struct owner_row *y = *(const struct owner_row *const *)b;
	uint64_t rx = x->resets_sent + x->resets_received, ry = y->resets_sent + y->resets_received;

	if (x->retrans_segs != y->retrans_segs)
		return x->retrans_segs < y->retrans_segs ? 1 : -1;
	if (rx != ry)
		return rx < ry ? 1 : -1;
	return x->key < y->key ? -1 : x->key > y->key;
}

size_t owner_tab__top(const struct owner_tab *tab, const struct owner_row **out, size_t max)
{
	const struct owner_row **all;
	size_t i, n = 0;

	if (!tab->used || !max)
		return 0;
	all = malloc(tab->used * sizeof(*all));
	if (!all)
		return 0;
	for (i = 0; i < tab->cap; i++)
		if (!row_free(&tab->rows[i]))
			all[n++] = &tab->rows[i];
	qsort(all, n, sizeof(*all), by_activity);
	if (n > max)
		n = max;
	memcpy(out, all, n * sizeof(*out));
	free(all);
	return n;
}

static void row_label(char *buf, size_t len, const struct owner_row *r, bool proc)
{
	if (proc && r->key)
		snprintf(buf, len, "%.15s[%" PRIu64 "]", r->comm, r->key);
	else if (proc)
		snprintf(buf, len, "(owner not known)");
	else
		snprintf(buf, len, "%s", r->key ? cgroup_path(r->key) : "(cgroup not known)");
	if (!proc && r->key && !*buf)
		snprintf(buf, len, "(cgroup id %" PRIu64 ")", r->key);
}

static void tab_text(const struct owner_tab *tab, FILE *f, size_t max, bool proc)
{
	const struct owner_row *top[64];
	char label[96];
	size_t i, n = owner_tab__top(tab, top, max < 64 ? max : 64);

	if (!n)
		return;
	fprintf(f, "top %s by retransmitted segments, then resets:\n",
		proc ? "processes" : "cgroups");
	fprintf(f, "  %-44s %8s %8s %8s\n", proc ? "process" : "cgroup", "segs", "rst_tx",
		"rst_rx");
	for (i = 0; i < n; i++) {
		row_label(label, sizeof(label), top[i], proc);
		fprintf(f, "  %-44.44s %8" PRIu64 " %8" PRIu64 " %8" PRIu64 "\n", label,
			top[i]->retrans_segs, top[i]->resets_sent, top[i]->resets_received);
	}
	if (!row_free(&tab->other))
		fprintf(f, "  %-44s %8" PRIu64 " %8" PRIu64 " %8" PRIu64 "\n", "(others)",
			tab->other.retrans_segs, tab->other.resets_sent,
			tab->other.resets_received);
}

void owner_tally__text(const struct owner_tally *t, FILE *f, size_t max)
{
	tab_text(&t->procs, f, max, true);
	tab_text(&t->cgroups, f, max, false);
}

static void row_json(struct jw *w, const struct owner_row *r, bool proc)
{
	char comm[sizeof(r->comm) + 1];

	jw_obj_open(w, NULL);
	if (proc) {
		memcpy(comm, r->comm, sizeof(r->comm));
		comm[sizeof(r->comm)] = '\0';
		jw_u64(w, "pid", r->key);
		jw_str(w, "comm", comm);
	}
	jw_str(w, "cgroup", cgroup_path(proc ? r->cgroup_id : r->key));
	jw_u64(w, "cgroup_id", proc ? r->cgroup_id : r->key);
	jw_u64(w, "retrans_segs", r->retrans_segs);
	jw_u64(w, "resets_sent", r->resets_sent);
	jw_u64(w, "resets_received", r->resets_received);
	jw_obj_close(w);
}

static void tab_json(const struct owner_tab *tab, struct jw *w, const char *key, size_t max,
		     bool proc)
{
	const struct owner_row *top[64];
	size_t i, n = owner_tab__top(tab, top, max < 64 ? max : 64);

	jw_arr_open(w, key);
	for (i = 0; i < n; i++)
		row_json(w, top[i], proc);
	jw_arr_close(w);
}

void owner_tally__json(const struct owner_tally *t, struct jw *w, size_t max)
{
	tab_json(&t->procs, w, "top_processes", max, true);
	tab_json(&t->cgroups, w, "top_cgroups", max, false);
}
