/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Names and printers of the events the BPF side sends. */
#ifndef TCPSCOPE_EVENTS_H
#define TCPSCOPE_EVENTS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <linux/types.h>
#include "tcpscope.h"
#include "lib/tcpinfo.h" /* tcp_ca_state_name() */
#include "lib/tcpstate.h"
#include "lib/netutil.h" /* addr_format(), endpoint_format() */

/* Name of a kernel enum sk_rst_reason value ("no_socket"), "" if unknown:
 * the tracer reads the names from the kernel's BTF and sets them here, so
 * the printers need no libbpf. */
const char *reset_reason_name(uint32_t reason);
/* Lower-cased, without its SK_RST_REASON_ prefix; reasons past 127 ignored. */
void reset_reason_set(uint32_t reason, const char *name);

/* "fast", "rto", "syn", "failed", "other", "tlp". */
const char *retrans_kind_name(unsigned int kind);
/* The JSON "type": "retransmit", "state", "probe", "send_reset",
 * "receive_reset", "drop", "cong". */
const char *ev_type_name(unsigned int type);
/* The kind a retransmit gets from its socket's states and error. */
unsigned int retrans_classify(unsigned int tcp_state, unsigned int ca_state, unsigned int pending,
			      int err);
/* "retransmit,state,probe,reset,drop" into a mask of EVMASK() bits; 0 or
 * -EINVAL with *bad pointing at the word not understood. */
int ev_mask_parse(const char *list, unsigned int *mask, char *bad, size_t badlen);
/* The words --events takes, for messages: "retransmit, state, ... or all". */
const char *ev_mask_words(void);

/* TCP flags in tcpdump's letters, FIN first: 0x12 is "SA". */
void tcp_flags_format(char *buf, size_t len, unsigned int flags);

/* One line, under 100 columns for IPv4: wall-clock time (real_off_ns turns
 * the event's CLOCK_MONOTONIC stamp into CLOCK_REALTIME), type, endpoints,
 * details. */
void event_print_text(FILE *f, const struct event *e, int64_t real_off_ns);
/* The socket's owner for text: "comm[pid]", or "-" while not known; the
 * comm shortened to fit in width columns if width > 0 (never the pid). */
void event_owner_text(char *buf, size_t len, const struct event *e, int width);
/* ,"pid":N,"comm":"...","cgroup":"/path","cgroup_id":N */
void event_print_owner_json(FILE *f, const struct event *e);
/* One JSON object and a newline: the contract in docs/json.md. extra, if
 * not NULL, is more members (",\"side\":\"client\"") put before the brace. */
void event_print_json(FILE *f, const struct event *e, const char *extra);

#endif
