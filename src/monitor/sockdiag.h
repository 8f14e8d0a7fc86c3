/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The TCP socket table through NETLINK_SOCK_DIAG (inet_diag, with tcp_info),
 * IPv4 and IPv6. The message parser (a buffer in) is separate from the
 * socket I/O so that tests and fuzz targets can feed it anything.
 */
#ifndef TCPSCOPE_SOCKDIAG_H
#define TCPSCOPE_SOCKDIAG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "lib/tcpstate.h"

struct tcp_sock_info {
	uint8_t saddr[16]; /* v4 in the first 4 bytes */
	uint8_t daddr[16];
	uint16_t sport, dport; /* host byte order */
	uint8_t family;	       /* AF_INET or AF_INET6 */
	uint8_t state;
	bool has_info; /* the tcp_info fields below are valid */
	/* Listeners: rqueue is the accept queue, wqueue its limit (backlog). */
	uint32_t rqueue, wqueue;
	uint32_t uid, inode;
	uint32_t rtt_us, rttvar_us, snd_cwnd, unacked, lost, retrans;
	uint32_t total_retrans, last_data_recv_ms, last_data_sent_ms;
	uint64_t segs_out, bytes_retrans, bytes_sent;
	uint64_t cgroup_id; /* INET_DIAG_CGROUP_ID (5.7+); 0: not given */
	/* Its processes, as ss -p finds them (sockproc_fill()): the lowest
	 * pids holding it, npids of them in all. */
	uint32_t pids[4];
	uint32_t npids;
	char comm[16]; /* pids[0]'s */
};

struct sock_table {
	struct tcp_sock_info *v;
	size_t n, cap;
};

/* Parse one recv() worth of netlink messages from an inet_diag dump and
 * append the sockets to t. Returns 1 when NLMSG_DONE was seen, 0 when more
 * messages are to come, or -errno (a kernel NLMSG_ERROR or a malformed
 * buffer: -EINVAL). */
int sockdiag_parse(const void *buf, size_t len, struct sock_table *t);
/* Dump all TCP sockets of FAMILY (AF_INET/AF_INET6) in the current netns. */
int sockdiag_dump(int family, struct sock_table *t);
void sock_table_free(struct sock_table *t);

#endif
