// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "correlate/conntab.h"

/* Connections live in chunks of 2 MiB, each asked for as one transparent
 * huge page: a traced churn adds tens of thousands a second, and with
 * 4 KiB pages the first touch of each (a page fault per nine connections)
 * was most of conntab__get()'s time. Where the kernel gives no huge page
 * the chunk is ordinary memory. */
#define CHUNK_BYTES   (2UL << 20)
#define CONNTAB_CHUNK (CHUNK_BYTES / sizeof(struct conn))

static size_t slot_of(uint64_t cookie, size_t cap)
{
	/* Cookies are sequential: mix them before masking. */
	cookie ^= cookie >> 33;
	cookie *= 0xff51afd7ed558ccdULL;
	cookie ^= cookie >> 33;
	return (size_t)cookie & (cap - 1);
}

int conntab__init(struct conntab *t, size_t limit)
{
	memset(t, 0, sizeof(*t));
	t->cap = 1024;
	t->limit = limit;
	t->slots = calloc(t->cap, sizeof(*t->slots));
	return t->slots ? 0 : -ENOMEM;
}

static int grow(struct conntab *t)
{
	size_t i, cap = t->cap * 2;
	struct conntab_slot *slots = calloc(cap, sizeof(*slots));

	if (!slots)
		return -ENOMEM;
	for (i = 0; i < t->cap; i++) {
		size_t j;

		if (!t->slots[i].cookie)
			continue;
		for (j = slot_of(t->slots[i].cookie, cap); slots[j].cookie; j = (j + 1) & (cap - 1))
			;
		slots[j] = t->slots[i];
	}
	free(t->slots);
	t->slots = slots;
	t->cap = cap;
	return 0;
}

/* Room for one more connection: a removed one's place, else the next
 * free place in the last chunk. */
static struct conn *take(struct conntab *t)
{
	size_t k = t->placed / CONNTAB_CHUNK;

	if (t->nspare)
		return t->spare[--t->nspare];

	if (k == t->nchunks) {
		if (t->nchunks == t->chunks_cap) {
			size_t n = t->chunks_cap ? 2 * t->chunks_cap : 16;
			struct conn **v = realloc(t->chunks, n * sizeof(*v));

			if (!v)
				return NULL;
			t->chunks = v;
			t->chunks_cap = n;
		}
		if (posix_memalign((void **)&t->chunks[k], CHUNK_BYTES, CHUNK_BYTES))
			return NULL;
		madvise(t->chunks[k], CHUNK_BYTES, MADV_HUGEPAGE);
		t->nchunks++;
	}
	return &t->chunks[k][t->placed++ % CONNTAB_CHUNK];
}

/* The i-th place handed out; cookie 0 there: a removed connection. */
static struct conn *place(const struct conntab *t, size_t i)
{
	return &t->chunks[i / CONNTAB_CHUNK][i % CONNTAB_CHUNK];
}

const char *const drop_ctl_names[DROP_CTL_MAX] = { "syn", "rst", "fin", "ack" };

/* TCP header flags (include/tcpscope.h's ev_drop.tcp_flags). */
#define TH_FIN 0x01
#define TH_SYN 0x02
#define TH_RST 0x04

static unsigned int drop_ctl(uint8_t flags)
{
	if (flags & TH_SYN)
		return DROP_CTL_SYN;
	if (flags & TH_RST)
		return DROP_CTL_RST;
	return flags & TH_FIN ? DROP_CTL_FIN : DROP_CTL_ACK;
}

void drop_count__add(struct drop_count *d, const struct ev_drop *ev, bool joined)
{
	uint32_t code = ev->reason, i;

	d->joined += joined;
	if (ev->payload) {
		d->with_data++;
		d->data_bytes += ev->payload;
	} else {
		d->ctl[drop_ctl(ev->tcp_flags)]++;
	}
	for (i = 0; i < d->ncodes; i++)
		if (d->code[i] == code)
			break;
	if (i == d->ncodes && d->ncodes < DROP_REASONS)
		d->code[d->ncodes++] = code;
	if (i < d->ncodes)
		d->n[i]++;
	else
		d->other++;
}

/* c's endpoints are e's, or e's the other way round (flip). */
static bool same_ends(const struct conn *c, const struct event *e, bool flip)
{
	return c->sport == (flip ? e->dport : e->sport) &&
	       c->dport == (flip ? e->sport : e->dport) &&
	       !memcmp(c->saddr, flip ? e->daddr : e->saddr, sizeof(c->saddr)) &&
	       !memcmp(c->daddr, flip ? e->saddr : e->daddr, sizeof(c->daddr));
}

struct conn *conntab__find_tuple(const struct conntab *t, const struct event *e)
{
	struct conn *best = NULL;
	size_t i;

	for (i = 0; i < t->placed; i++) {
		struct conn *c = place(t, i);

		if (!c->cookie || c->family != e->family ||
		    !(same_ends(c, e, false) || same_ends(c, e, true)))
			continue;
		if (c->first_ns <= e->ts_ns && (!best || c->first_ns >= best->first_ns))
			best = c;
	}
	return best;
}

struct conn *conntab__find(const struct conntab *t, uint64_t cookie)
{
	size_t i;

	if (!cookie)
		return NULL;
	for (i = slot_of(cookie, t->cap); t->slots[i].cookie; i = (i + 1) & (t->cap - 1))
		if (t->slots[i].cookie == cookie)
			return t->slots[i].c;
	return NULL;
}

/* Linear probing without tombstones: the entries after the hole that
 * would no longer be found move back into it (Knuth's algorithm R). */
void conntab__remove(struct conntab *t, struct conn *c)
{
	size_t mask = t->cap - 1, i, j, home;

	for (i = slot_of(c->cookie, t->cap); t->slots[i].c != c; i = (i + 1) & mask)
		if (!t->slots[i].cookie)
			return; /* not one of t's */
	for (j = (i + 1) & mask; t->slots[j].cookie; j = (j + 1) & mask) {
		home = slot_of(t->slots[j].cookie, t->cap);
		/* It stays if its home lies cyclically in (i, j]. */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		t->slots[i] = t->slots[j];
		i = j;
	}
	t->slots[i] = (struct conntab_slot){ 0 };
	c->cookie = 0;
	t->used--;
	if (t->nspare == t->spare_cap) {
		size_t n = t->spare_cap ? 2 * t->spare_cap : 64;
		struct conn **v = realloc(t->spare, n * sizeof(*v));

		if (!v)
			return; /* the place is lost, not the table */
		t->spare = v;
		t->spare_cap = n;
	}
	t->spare[t->nspare++] = c;
}

struct conn *conntab__get(struct conntab *t, const struct event *e)
{
	struct conn *c = conntab__find(t, e->cookie);
	size_t i;

	if (c || !e->cookie)
		return c;
	if ((t->limit && t->used >= t->limit) || (t->used + 1 > t->cap / 2 && grow(t)) ||
	    !(c = take(t))) {
		t->dropped++;
		return NULL;
	}
	for (i = slot_of(e->cookie, t->cap); t->slots[i].cookie; i = (i + 1) & (t->cap - 1))
		;
	t->slots[i].cookie = e->cookie;
	t->slots[i].c = c;
	memset(c, 0, sizeof(*c));
	c->cookie = e->cookie;
	c->family = e->family;
	c->sport = e->sport;
	c->dport = e->dport;
	memcpy(c->saddr, e->saddr, sizeof(c->saddr));
	memcpy(c->daddr, e->daddr, sizeof(c->daddr));
	c->first_ns = e->ts_ns;
	t->used++;
	return c;
}

struct conn **conntab__sorted(const struct conntab *t, int (*cmp)(const void *, const void *),
			      size_t *n)
{
	struct conn **v = malloc((t->used ? t->used : 1) * sizeof(*v));
	size_t i, k = 0;

	if (!v)
		return NULL;
	for (i = 0; i < t->placed; i++)
		if (place(t, i)->cookie)
			v[k++] = place(t, i);
	qsort(v, k, sizeof(*v), cmp);
	*n = k;
	return v;
}

void rtx_count__add(struct rtx_count *r, unsigned int kind, uint32_t segs, int err)
{
	r->by_kind[kind < RK_MAX ? kind : RK_OTHER]++;
	if (err)
		r->segs_failed += segs;
	else
		r->segs_sent += segs;
}

void conn__retransmit(struct conn *c, uint64_t ts, unsigned int kind, uint32_t segs, int err,
		      uint32_t total)
{
	unsigned int slot = c->rtx_head % CONN_RTX_RING;

	c->retrans_events++;
	c->by_kind[kind < RK_MAX ? kind : RK_OTHER]++;
	if (total > c->max_total_retrans)
		c->max_total_retrans = total;
	if (err) {
		c->retrans_segs_failed += segs;
		return;
	}
	c->retrans_segs += segs;
	c->rtx_ts[slot] = ts;
	c->rtx_segs[slot] = (uint16_t)(segs > 65535 ? 65535 : segs);
	c->rtx_total[slot] = total;
	c->rtx_head++;
}

static int cookie_order(const struct conn *x, const struct conn *y)
{
	return x->cookie < y->cookie ? -1 : x->cookie > y->cookie;
}

int conn__by_cookie(const void *a, const void *b)
{
	return cookie_order(*(const struct conn *const *)a, *(const struct conn *const *)b);
}

int conn__by_segs(const void *a, const void *b)
{
	const struct conn *x = *(const struct conn *const *)a, *y = *(const struct conn *const *)b;

	if (x->retrans_segs != y->retrans_segs)
		return x->retrans_segs < y->retrans_segs ? 1 : -1;
	return cookie_order(x, y);
}

int conn__by_srtt(const void *a, const void *b)
{
	const struct conn *x = *(const struct conn *const *)a, *y = *(const struct conn *const *)b;

	if (x->max_srtt_us != y->max_srtt_us)
		return x->max_srtt_us < y->max_srtt_us ? 1 : -1;
	return cookie_order(x, y);
}

void conntab__free(struct conntab *t)
{
	size_t i;

	for (i = 0; i < t->nchunks; i++)
		free(t->chunks[i]);
	free(t->chunks);
	free(t->slots);
	free(t->spare);
	memset(t, 0, sizeof(*t));
}
