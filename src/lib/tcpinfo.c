// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <string.h>
#include "lib/tcpinfo.h"
#include "lib/tcpstate.h"
#include "lib/util.h"

/* The fields before the bitfields, and the u32/u64/u16 fields after, all
 * described by one table: name for JSON (with unit), unit for text. */
struct field {
	const char *name;
	const char *unit; /* text unit, "" for counts */
	const char *json; /* JSON key */
	size_t off;
	size_t size;
};

/* Left as written: clang-format breaks a macro's braces apart. */
/* clang-format off */
#define F(n, u, j) { #n, u, j, offsetof(struct ts_tcp_info, tcpi_##n), \
		     sizeof(((struct ts_tcp_info *)0)->tcpi_##n) }
/* clang-format on */

static const struct field fields[] = {
	F(retransmits, "", "retransmits"),
	F(probes, "", "probes"),
	F(backoff, "", "backoff"),
	F(rto, "us", "rto_us"),
	F(ato, "us", "ato_us"),
	F(snd_mss, "B", "snd_mss"),
	F(rcv_mss, "B", "rcv_mss"),
	F(unacked, "segs", "unacked"),
	F(sacked, "segs", "sacked"),
	F(lost, "segs", "lost"),
	F(retrans, "segs", "retrans"),
	F(fackets, "segs", "fackets"),
	F(last_data_sent, "ms", "last_data_sent_ms"),
	F(last_ack_sent, "ms", "last_ack_sent_ms"),
	F(last_data_recv, "ms", "last_data_recv_ms"),
	F(last_ack_recv, "ms", "last_ack_recv_ms"),
	F(pmtu, "B", "pmtu"),
	F(rcv_ssthresh, "B", "rcv_ssthresh"),
	F(rtt, "us", "rtt_us"),
	F(rttvar, "us", "rttvar_us"),
	F(snd_ssthresh, "segs", "snd_ssthresh"),
	F(snd_cwnd, "segs", "snd_cwnd"),
	F(advmss, "B", "advmss"),
	F(reordering, "segs", "reordering"),
	F(rcv_rtt, "us", "rcv_rtt_us"),
	F(rcv_space, "B", "rcv_space"),
	F(total_retrans, "segs", "total_retrans"),
	F(pacing_rate, "B/s", "pacing_rate_Bps"),
	F(max_pacing_rate, "B/s", "max_pacing_rate_Bps"),
	F(bytes_acked, "B", "bytes_acked"),
	F(bytes_received, "B", "bytes_received"),
	F(segs_out, "segs", "segs_out"),
	F(segs_in, "segs", "segs_in"),
	F(notsent_bytes, "B", "notsent_bytes"),
	F(min_rtt, "us", "min_rtt_us"),
	F(data_segs_in, "segs", "data_segs_in"),
	F(data_segs_out, "segs", "data_segs_out"),
	F(delivery_rate, "B/s", "delivery_rate_Bps"),
	F(busy_time, "us", "busy_time_us"),
	F(rwnd_limited, "us", "rwnd_limited_us"),
	F(sndbuf_limited, "us", "sndbuf_limited_us"),
	F(delivered, "segs", "delivered"),
	F(delivered_ce, "segs", "delivered_ce"),
	F(bytes_sent, "B", "bytes_sent"),
	F(bytes_retrans, "B", "bytes_retrans"),
	F(dsack_dups, "", "dsack_dups"),
	F(reord_seen, "", "reord_seen"),
	F(rcv_ooopack, "pkts", "rcv_ooopack"),
	F(snd_wnd, "B", "snd_wnd"),
	F(rcv_wnd, "B", "rcv_wnd"),
	F(rehash, "", "rehash"),
	F(total_rto, "", "total_rto"),
	F(total_rto_recoveries, "", "total_rto_recoveries"),
	F(total_rto_time, "ms", "total_rto_time_ms"),
	F(received_ce, "pkts", "received_ce"),
	F(delivered_e1_bytes, "B", "delivered_e1_bytes"),
	F(delivered_e0_bytes, "B", "delivered_e0_bytes"),
	F(delivered_ce_bytes, "B", "delivered_ce_bytes"),
	F(received_e1_bytes, "B", "received_e1_bytes"),
	F(received_e0_bytes, "B", "received_e0_bytes"),
	F(received_ce_bytes, "B", "received_ce_bytes"),
	F(accecn_fail_mode, "", "accecn_fail_mode"),
	F(accecn_opt_seen, "", "accecn_opt_seen"),
};

/* The layout must match the kernel's where the system header knows it. */
_Static_assert(offsetof(struct ts_tcp_info, tcpi_rto) == offsetof(struct tcp_info, tcpi_rto),
	       "tcp_info rto offset");
_Static_assert(offsetof(struct ts_tcp_info, tcpi_total_retrans) ==
		   offsetof(struct tcp_info, tcpi_total_retrans),
	       "tcp_info total_retrans offset");
_Static_assert(sizeof(struct ts_tcp_info) == 280, "tcp_info size of kernel 6.18");

int tcpinfo__get(int fd, struct tcpinfo *ti)
{
	socklen_t len = sizeof(ti->i);

	memset(&ti->i, 0, sizeof(ti->i));
	if (getsockopt(fd, IPPROTO_TCP, TCP_INFO, &ti->i, &len))
		return -errno;
	ti->len = len;
	return 0;
}

const char *tcp_ca_state_name(unsigned int ca)
{
	static const char *const names[] = { "Open", "Disorder", "CWR", "Recovery", "Loss" };

	return ca < ARRAY_SIZE(names) ? names[ca] : "unknown";
}

static uint64_t field_value(const struct ts_tcp_info *i, const struct field *f)
{
	const uint8_t *p = (const uint8_t *)i + f->off;
	uint64_t v64;
	uint32_t v32;
	uint16_t v16;

	switch (f->size) {
	case 1:
		return *p;
	case 2:
		memcpy(&v16, p, 2);
		return v16;
	case 4:
		memcpy(&v32, p, 4);
		return v32;
	default:
		memcpy(&v64, p, 8);
		return v64;
	}
}

static bool field_present(const struct tcpinfo *ti, const struct field *f)
{
	return ti->len >= f->off + f->size;
}

static void options_text(char *buf, size_t len, uint8_t o)
{
	static const char *const names[] = { "ts",	 "sack",     "wscale",	"ecn",
					     "ecn_seen", "syn_data", "usec_ts", "tfo_child" };
	size_t i, n = 0;

	buf[0] = 0;
	for (i = 0; i < ARRAY_SIZE(names); i++) {
		if (!(o & (1u << i)))
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "," : "", names[i]);
		if (n >= len)
			break;
	}
	if (!buf[0])
		snprintf(buf, len, "none");
}

void tcpinfo__print_text(FILE *f, const struct tcpinfo *ti, const char *indent)
{
	const struct ts_tcp_info *i = &ti->i;
	char opts[96];
	size_t k;

	options_text(opts, sizeof(opts), i->tcpi_options);
	fprintf(f, "%sstate %s  ca_state %s  options %s\n", indent, tcp_state_name(i->tcpi_state),
		tcp_ca_state_name(i->tcpi_ca_state), opts);
	fprintf(f,
		"%ssnd_wscale %u  rcv_wscale %u  delivery_rate_app_limited %u"
		"  fastopen_client_fail %u\n",
		indent, i->tcpi_snd_wscale, i->tcpi_rcv_wscale, i->tcpi_delivery_rate_app_limited,
		i->tcpi_fastopen_client_fail);
	for (k = 0; k < ARRAY_SIZE(fields); k++) {
		const struct field *fd = &fields[k];

		if (!field_present(ti, fd))
			break;
		fprintf(f, "%s%-22s %" PRIu64 "%s%s\n", indent, fd->name, field_value(i, fd),
			fd->unit[0] ? " " : "", fd->unit);
	}
	fprintf(f, "%s(%u bytes of tcp_info from the kernel)\n", indent, (unsigned int)ti->len);
}

void tcpinfo__print_json(struct jw *w, const char *key, const struct tcpinfo *ti)
{
	const struct ts_tcp_info *i = &ti->i;
	size_t k;

	jw_obj_open(w, key);
	jw_str(w, "state", tcp_state_name(i->tcpi_state));
	jw_str(w, "ca_state", tcp_ca_state_name(i->tcpi_ca_state));
	jw_u64(w, "options", i->tcpi_options);
	jw_u64(w, "snd_wscale", i->tcpi_snd_wscale);
	jw_u64(w, "rcv_wscale", i->tcpi_rcv_wscale);
	jw_u64(w, "delivery_rate_app_limited", i->tcpi_delivery_rate_app_limited);
	jw_u64(w, "fastopen_client_fail", i->tcpi_fastopen_client_fail);
	for (k = 0; k < ARRAY_SIZE(fields); k++) {
		if (!field_present(ti, &fields[k]))
			break;
		jw_u64(w, fields[k].json, field_value(i, &fields[k]));
	}
	jw_u64(w, "kernel_len", ti->len);
	jw_obj_close(w);
}
