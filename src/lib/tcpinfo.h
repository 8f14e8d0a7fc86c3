/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * TCP_INFO as kernel 6.18 defines it (include/uapi/linux/tcp.h). Debian 12's
 * linux-libc-dev stops at 6.1, so the layout is spelled out here and every
 * field newer than the running kernel is told apart by the length that
 * getsockopt returns.
 */
#ifndef TCPSCOPE_TCPINFO_H
#define TCPSCOPE_TCPINFO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include "lib/jsonw.h"
#include "lib/tcpstate.h"

struct ts_tcp_info {
	uint8_t tcpi_state;
	uint8_t tcpi_ca_state;
	uint8_t tcpi_retransmits;
	uint8_t tcpi_probes;
	uint8_t tcpi_backoff;
	uint8_t tcpi_options;
	uint8_t tcpi_snd_wscale : 4, tcpi_rcv_wscale : 4;
	uint8_t tcpi_delivery_rate_app_limited : 1, tcpi_fastopen_client_fail : 2;
	uint32_t tcpi_rto;
	uint32_t tcpi_ato;
	uint32_t tcpi_snd_mss;
	uint32_t tcpi_rcv_mss;
	uint32_t tcpi_unacked;
	uint32_t tcpi_sacked;
	uint32_t tcpi_lost;
	uint32_t tcpi_retrans;
	uint32_t tcpi_fackets;
	uint32_t tcpi_last_data_sent;
	uint32_t tcpi_last_ack_sent;
	uint32_t tcpi_last_data_recv;
	uint32_t tcpi_last_ack_recv;
	uint32_t tcpi_pmtu;
	uint32_t tcpi_rcv_ssthresh;
	uint32_t tcpi_rtt;
	uint32_t tcpi_rttvar;
	uint32_t tcpi_snd_ssthresh;
	uint32_t tcpi_snd_cwnd;
	uint32_t tcpi_advmss;
	uint32_t tcpi_reordering;
	uint32_t tcpi_rcv_rtt;
	uint32_t tcpi_rcv_space;
	uint32_t tcpi_total_retrans;
	uint64_t tcpi_pacing_rate;
	uint64_t tcpi_max_pacing_rate;
	uint64_t tcpi_bytes_acked;
	uint64_t tcpi_bytes_received;
	uint32_t tcpi_segs_out;
	uint32_t tcpi_segs_in;
	uint32_t tcpi_notsent_bytes;
	uint32_t tcpi_min_rtt;
	uint32_t tcpi_data_segs_in;
	uint32_t tcpi_data_segs_out;
	uint64_t tcpi_delivery_rate;
	uint64_t tcpi_busy_time;
	uint64_t tcpi_rwnd_limited;
	uint64_t tcpi_sndbuf_limited;
	uint32_t tcpi_delivered;
	uint32_t tcpi_delivered_ce;
	uint64_t tcpi_bytes_sent;
	uint64_t tcpi_bytes_retrans;
	uint32_t tcpi_dsack_dups;
	uint32_t tcpi_reord_seen;
	uint32_t tcpi_rcv_ooopack;
	uint32_t tcpi_snd_wnd;
	uint32_t tcpi_rcv_wnd;
	uint32_t tcpi_rehash;
	uint16_t tcpi_total_rto;
	uint16_t tcpi_total_rto_recoveries;
	uint32_t tcpi_total_rto_time;
	uint32_t tcpi_received_ce;
	uint32_t tcpi_delivered_e1_bytes;
	uint32_t tcpi_delivered_e0_bytes;
	uint32_t tcpi_delivered_ce_bytes;
	uint32_t tcpi_received_e1_bytes;
	uint32_t tcpi_received_e0_bytes;
	uint32_t tcpi_received_ce_bytes;
	uint16_t tcpi_accecn_fail_mode;
	uint16_t tcpi_accecn_opt_seen;
};

/* What getsockopt filled in: the struct and the length the kernel gave. */
struct tcpinfo {
	struct ts_tcp_info i;
	socklen_t len;
};

/* True when the kernel filled field F (it returns only what it knows). */
#define TCPINFO_HAS(ti, f) ((ti)->len >= offsetof(struct ts_tcp_info, f) + sizeof((ti)->i.f))

/* getsockopt(TCP_INFO); 0 or -errno. */
int tcpinfo__get(int fd, struct tcpinfo *ti);
const char *tcp_ca_state_name(unsigned int ca);
/* Every field the kernel gave, with units, one "name value unit" per line,
 * each line prefixed with indent. */
void tcpinfo__print_text(FILE *f, const struct tcpinfo *ti, const char *indent);
/* An object named key (NULL inside arrays) with every field the kernel gave;
 * keys carry the unit ("rtt_us", "pacing_rate_Bps"). */
void tcpinfo__print_json(struct jw *w, const char *key, const struct tcpinfo *ti);

#endif
