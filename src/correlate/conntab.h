/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Connections keyed by socket cookie (never by the sk address or the
 * 4-tuple, which the kernel reuses): an open-addressing hash table. */
#ifndef TCPSCOPE_CONNTAB_H
#define TCPSCOPE_CONNTAB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <linux/types.h>
#include "tcpscope.h"
#include "correlate/cong.h"

struct conn {
	uint64_t cookie;
	uint64_t first_ns, last_ns;
	uint16_t sport, dport;
	uint8_t saddr[16], daddr[16];
	uint8_t family;
	uint8_t last_state;
	uint32_t retrans_events;
	uint32_t retrans_segs;	      /* sent (err 0): what the kernel counts */
	uint32_t retrans_segs_failed; /* err != 0 (kind failed): never sent */
	uint32_t by_kind[RK_MAX];
	uint32_t resets_sent, resets_received;
	uint32_t max_total_retrans; /* the socket's own count, from the events */

	/* Correlation (stress --trace): the kernel's view... */
	uint8_t side; /* enum conn_side */
	uint8_t ours; /* a socket the load engine opened or accepted */
	uint8_t done; /* the load engine's record arrived */
	uint8_t npath;
	uint8_t path[14];     /* the states entered, in order (the first 14) */
	uint64_t state_ns;    /* when the current state was entered */
	uint64_t syn_sent_ns; /* kernel: CLOSE -> SYN_SENT */
	uint64_t kest_ns;     /* kernel: -> ESTABLISHED */
	uint32_t rtx_head;    /* the last CONN_RTX_RING sent retransmits, to */
	uint16_t rtx_segs[8]; /* tell those after the last TCP_INFO poll */
	uint64_t rtx_ts[8];
	uint32_t rtx_total[8]; /* the socket's total_retrans after each */
	uint32_t probes;
	uint32_t max_srtt_us, last_srtt_us;
	/* ...and the load engine's (struct conn_record) */
	uint64_t connect_ns, uest_ns, close_ns, info_ns;
	int32_t err;
	uint8_t close_kind;
	uint8_t info_valid;
	uint8_t drawn; /* tcpscope report: its place in the drawn list, plus 1 */
	uint32_t info_total_retrans, info_rtt_us, info_cwnd;
	/* Why (issue 14): what this host dropped of it, the resets' details. */
	uint32_t drops;		/* drop events joined to it */
	uint32_t drop_reason;	/* of the last one (enum skb_drop_reason) */
	uint32_t reset_reason;	/* of the last reset sent (enum sk_rst_reason) */
	uint8_t reset_rx_state; /* its state when a reset came in (0: none) */
	struct conn_cong cong;	/* its congestion states (cong.h) */
};

enum conn_side { SIDE_UNKNOWN, SIDE_CLIENT, SIDE_SERVER, SIDE_LISTENER };

#define CONN_RTX_RING 8 /* ARRAY_SIZE(conn.rtx_ts) */

/* Retransmits counted as RetransSegs and tcpi_total_retrans count them:
 * segments sent (err 0) apart from those whose transmission failed (err
 * != 0, kind failed), which the kernel does not count. */
struct rtx_count {
	uint64_t by_kind[RK_MAX]; /* events */
	uint64_t segs_sent, segs_failed;
};

void rtx_count__add(struct rtx_count *r, unsigned int kind, uint32_t segs, int err);

/* Drops by reason code: the first DROP_REASONS distinct codes of a run,
 * the rest in other (a run sees a handful). */
#define DROP_REASONS 32
enum { DROP_CTL_SYN, DROP_CTL_RST, DROP_CTL_FIN, DROP_CTL_ACK, DROP_CTL_MAX };
extern const char *const drop_ctl_names[DROP_CTL_MAX];

struct drop_count {
	uint32_t code[DROP_REASONS];
	uint64_t n[DROP_REASONS];
	uint32_t ncodes;
	uint64_t other;
	uint64_t joined; /* of all, those joined to a connection */
	/* What the dropped segments carried: data (payload bytes), or
	 * nothing but control: a SYN, else a RST, else a FIN, else an ACK. */
	uint64_t with_data, data_bytes;
	uint64_t ctl[DROP_CTL_MAX];
};

void drop_count__add(struct drop_count *d, const struct ev_drop *ev, bool joined);
/* One retransmit of c's socket at ts; total: the socket's total_retrans
 * after it. The correlator (from events) and the report (from a timeline)
 * both record them here. */
void conn__retransmit(struct conn *c, uint64_t ts, unsigned int kind, uint32_t segs, int err,
		      uint32_t total);

/* The index holds cookies and pointers only (16 bytes a slot), so growing
 * it rehashes little; the connections themselves sit in chunks that never
 * move. stress --trace keeps every connection to the end, and fresh memory
 * costs a page fault per 4 KiB: at tens of thousands of connections a
 * second, copying 344-byte slots on each doubling was the join's main
 * cost. trace removes a connection once nothing needs it: its place is
 * taken by the next one, so a long run's memory stays flat. */
struct conntab_slot {
	uint64_t cookie;
	struct conn *c;
};

struct conntab {
	struct conntab_slot *slots;
	size_t cap;	      /* a power of two */
	size_t used;	      /* connections held */
	size_t limit;	      /* at most this many at once (0: no limit) */
	uint64_t dropped;     /* connections refused at the limit */
	struct conn **chunks; /* CONNTAB_CHUNK connections each */
	size_t nchunks, chunks_cap;
	size_t placed;	     /* places in the chunks ever handed out */
	struct conn **spare; /* places of removed connections, for reuse */
	size_t nspare, spare_cap;
};

int conntab__init(struct conntab *t, size_t limit);
/* The connection of this cookie, created from e's identity if new; NULL at
 * the limit or out of memory (counted in ->dropped). Cookie 0 is refused. */
struct conn *conntab__get(struct conntab *t, const struct event *e);
struct conn *conntab__find(const struct conntab *t, uint64_t cookie);
/* Forget c (one of t's): its place goes to a later connection. */
void conntab__remove(struct conntab *t, struct conn *c);
/* The latest connection with e's endpoints (family, addresses, ports,
 * either way round: a segment one end of a connection on this host
 * dropped names the other end first) first seen no later than e: for
 * events without a cookie.
 * A walk over every connection, for rare events only. NULL if none. */
struct conn *conntab__find_tuple(const struct conntab *t, const struct event *e);
/* Pointers to every connection, sorted by cmp; caller frees. */
struct conn **conntab__sorted(const struct conntab *t, int (*cmp)(const void *, const void *),
			      size_t *n);
void conntab__free(struct conntab *t);

/* conntab__sorted() orders (struct conn * elements): most retransmitted
 * segments first, highest max srtt first, by cookie; ties by cookie. */
int conn__by_segs(const void *a, const void *b);
int conn__by_srtt(const void *a, const void *b);
int conn__by_cookie(const void *a, const void *b);

#endif
