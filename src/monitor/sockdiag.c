// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* inet_diag client: see sockdiag.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <linux/inet_diag.h>
#include <linux/netlink.h>
#include <linux/sock_diag.h>
#include <linux/tcp.h>
#include "monitor/sockdiag.h"
#include "lib/tcpstate.h"

static int table_push(struct sock_table *t, const struct tcp_sock_info *s)
{
	if (t->n == t->cap) {
		size_t cap = t->cap ? t->cap * 2 : 64;
		struct tcp_sock_info *v = realloc(t->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		t->v = v;
		t->cap = cap;
	}
	t->v[t->n++] = *s;
	return 0;
}

void sock_table_free(struct sock_table *t)
{
	free(t->v);
	memset(t, 0, sizeof(*t));
}

static void take_tcp_info(struct tcp_sock_info *s, const void *data, size_t len)
{
	struct tcp_info ti;

	/* Older kernels send a shorter tcp_info: the missing tail reads 0. */
	memset(&ti, 0, sizeof(ti));
	memcpy(&ti, data, len < sizeof(ti) ? len : sizeof(ti));
	s->has_info = true;
	s->rtt_us = ti.tcpi_rtt;
	s->rttvar_us = ti.tcpi_rttvar;
	s->snd_cwnd = ti.tcpi_snd_cwnd;
	s->unacked = ti.tcpi_unacked;
	s->lost = ti.tcpi_lost;
	s->retrans = ti.tcpi_retrans;
	s->total_retrans = ti.tcpi_total_retrans;
	s->last_data_recv_ms = ti.tcpi_last_data_recv;
	s->last_data_sent_ms = ti.tcpi_last_data_sent;
	s->segs_out = ti.tcpi_segs_out;
	s->bytes_retrans = ti.tcpi_bytes_retrans;
	s->bytes_sent = ti.tcpi_bytes_sent;
}

static int parse_one(const struct nlmsghdr *h, struct sock_table *t)
{
	const struct inet_diag_msg *m = NLMSG_DATA(h);
	size_t len = h->nlmsg_len, off;
	struct tcp_sock_info s;

	if (len < NLMSG_LENGTH(sizeof(*m)))
		return -EINVAL;
	if (m->idiag_family != AF_INET && m->idiag_family != AF_INET6)
		return -EINVAL;
	memset(&s, 0, sizeof(s));
	s.family = m->idiag_family;
	s.state = m->idiag_state < TCP_NSTATES ? m->idiag_state : 0;
	s.sport = ntohs(m->id.idiag_sport);
	s.dport = ntohs(m->id.idiag_dport);
	memcpy(s.saddr, m->id.idiag_src, 16);
	memcpy(s.daddr, m->id.idiag_dst, 16);
	s.rqueue = m->idiag_rqueue;
	s.wqueue = m->idiag_wqueue;
	s.uid = m->idiag_uid;
	s.inode = m->idiag_inode;
	off = NLMSG_LENGTH(sizeof(*m));
	off = NLMSG_ALIGN(off);
	while (off + sizeof(struct nlattr) <= len) {
		const struct nlattr *a = (const void *)((const char *)h + off);

		if (a->nla_len < sizeof(*a) || a->nla_len > len - off)
			return -EINVAL;
		if ((a->nla_type & NLA_TYPE_MASK) == INET_DIAG_INFO)
			take_tcp_info(&s, (const char *)a + NLA_HDRLEN, a->nla_len - NLA_HDRLEN);
		else if ((a->nla_type & NLA_TYPE_MASK) == INET_DIAG_CGROUP_ID &&
			 a->nla_len >= NLA_HDRLEN + sizeof(s.cgroup_id))
			memcpy(&s.cgroup_id, (const char *)a + NLA_HDRLEN, sizeof(s.cgroup_id));
		off += NLA_ALIGN(a->nla_len);
	}
	return table_push(t, &s);
}

int sockdiag_parse(const void *buf, size_t len, struct sock_table *t)
{
	const char *p = buf;
	size_t off = 0;
	int err;

	while (off + sizeof(struct nlmsghdr) <= len) {
		struct nlmsghdr h;

		/* The buffer may be unaligned when fed by a test or fuzzer. */
		memcpy(&h, p + off, sizeof(h));
		if (h.nlmsg_len < sizeof(h) || h.nlmsg_len > len - off)
			return -EINVAL;
		if (h.nlmsg_type == NLMSG_DONE)
			return 1;
		if (h.nlmsg_type == NLMSG_ERROR) {
			struct nlmsgerr e;

			if (h.nlmsg_len < NLMSG_LENGTH(sizeof(e)))
				return -EINVAL;
			memcpy(&e, p + off + NLMSG_HDRLEN, sizeof(e));
			return e.error < 0 ? e.error : -EPROTO;
		}
		if (h.nlmsg_type == SOCK_DIAG_BY_FAMILY) {
			struct nlmsghdr *copy = malloc(h.nlmsg_len);

			if (!copy)
				return -ENOMEM;
			memcpy(copy, p + off, h.nlmsg_len);
			err = parse_one(copy, t);
			free(copy);
			if (err)
				return err;
		}
		off += NLMSG_ALIGN(h.nlmsg_len);
	}
	return off == len || off > len ? 0 : -EINVAL;
}

int sockdiag_dump(int family, struct sock_table *t)
{
	struct {
		struct nlmsghdr nlh;
		struct inet_diag_req_v2 req;
	} msg = {
		.nlh = {
			.nlmsg_len = sizeof(msg),
			.nlmsg_type = SOCK_DIAG_BY_FAMILY,
			.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP,
			.nlmsg_seq = 1,
		},
		.req = {
			.sdiag_family = (uint8_t)family,
			.sdiag_protocol = IPPROTO_TCP,
			.idiag_ext = 1 << (INET_DIAG_INFO - 1),
			/* Every state ss -a asks for, SYN_RECV bringing request sockets;
			 * not TCPF_BOUND_INACTIVE (bit 13, 6.5+), which ss -a leaves out. */
			.idiag_states = (1u << 13) - 1,
		},
	};
	struct sockaddr_nl kernel = { .nl_family = AF_NETLINK };
	size_t bufsz = 64 * 1024;
	char *buf = NULL;
	ssize_t r;
	int fd, err = 0;

	fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_SOCK_DIAG);
	if (fd < 0)
		return -errno;
	buf = malloc(bufsz);
	if (!buf) {
		err = -ENOMEM;
		goto cleanup;
	}
	if (sendto(fd, &msg, sizeof(msg), 0, (struct sockaddr *)&kernel, sizeof(kernel)) < 0) {
		err = -errno;
		goto cleanup;
	}
	while (!err) {
		r = recv(fd, buf, bufsz, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			break;
		}
		if (r == 0) {
			err = -EPROTO;
			break;
		}
		err = sockdiag_parse(buf, (size_t)r, t);
		if (err == 1) {
			err = 0;
			break;
		}
	}
cleanup:
	free(buf);
	close(fd);
	return err;
}
