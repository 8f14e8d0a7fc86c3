/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Names of the kernel's drop reasons, from the running kernel's BTF. */
#ifndef TCPSCOPE_REASONS_H
#define TCPSCOPE_REASONS_H

#include <stddef.h>
#include <stdint.h>

struct btf;

/* "netfilter_drop" for SKB_DROP_REASON_NETFILTER_DROP: the name of the
 * value in the running kernel's enum skb_drop_reason, lower-cased without
 * its prefix. The values moved between kernels, so there is no table of
 * ours. A value with a subsystem in its high 16 bits (6.4+: enum
 * skb_drop_reason_subsys) reads "<subsystem>:<low 16 bits>" when the core
 * enum has no name for it; "" if the kernel's BTF has no name at all. */
const char *drop_reason_name(uint32_t code);
/* Fill the names from the kernel's BTF (reasons_btf.c; the tracer calls
 * it when it opens). */
void drop_reasons_load(const struct btf *btf);
void drop_reason_set(uint32_t code, const char *enum_name);
void drop_subsys_set(uint32_t id, const char *enum_name);
/* The naming rule alone: "SKB_DROP_REASON_TCP_CSUM" with prefix
 * "SKB_DROP_REASON_" into "tcp_csum" (a name without the prefix is
 * lower-cased whole). */
void reason_name_format(char *buf, size_t len, const char *enum_name, const char *prefix);

#endif
