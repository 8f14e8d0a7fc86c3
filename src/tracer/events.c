// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include "lib/cgroup.h"
#include "lib/jsonw.h"
#include "lib/util.h"
#include "tracer/events.h"
#include "tracer/reasons.h"

static const char *const kinds[RK_MAX] = {
	[RK_FAST] = "fast",	[RK_RTO] = "rto",     [RK_SYN] = "syn",
	[RK_FAILED] = "failed", [RK_OTHER] = "other", [RK_TLP] = "tlp",
};

static const char *const types[EV_TYPE_MAX] = {
	[EV_RETRANSMIT] = "retransmit",
	[EV_STATE] = "state",
	[EV_PROBE] = "probe",
	[EV_SEND_RESET] = "send_reset",
	[EV_RECV_RESET] = "receive_reset",
	[EV_DROP] = "drop",
	[EV_CONG] = "cong",
};

#define NREASONS 128
static char reasons[NREASONS][48];

const char *reset_reason_name(uint32_t reason)
{
	return reason < NREASONS ? reasons[reason] : "";
}

void reset_reason_set(uint32_t reason, const char *name)
{
	char *d;

	if (reason >= NREASONS)
		return;
	snprintf(reasons[reason], sizeof(reasons[0]), "%s", name);
	for (d = reasons[reason]; *d; d++)
		*d = (char)tolower((unsigned char)*d);
}

const char *retrans_kind_name(unsigned int kind)
{
	return kind < RK_MAX ? kinds[kind] : "unknown";
}

const char *ev_type_name(unsigned int type)
{
	return type < EV_TYPE_MAX ? types[type] : "unknown";
}

/* The same rule as classify() in bpf/tcpscope.bpf.c; unit-tested here. */
unsigned int retrans_classify(unsigned int tcp_state, unsigned int ca_state, unsigned int pending,
			      int err)
{
	if (err)
		return RK_FAILED;
	if (tcp_state == 2 || tcp_state == 3) /* SYN_SENT, SYN_RECV */
		return RK_SYN;
	if (ca_state == 4) /* Loss */
		return RK_RTO;
	if (ca_state == 3) /* Recovery */
		return RK_FAST;
	if ((ca_state == 0 || ca_state == 2) && pending == 5) /* Open, CWR; ICSK_TIME_LOSS_PROBE */
		return RK_TLP;
	return RK_OTHER;
}

/* The words of --events, each the event types it turns on. Aliases have
 * no place in the list ev_mask_words() prints. */
static const struct ev_word {
	const char *word;
	unsigned int mask;
	bool alias;
} ev_words[] = {
	{ "retransmit", EVMASK(EV_RETRANSMIT), false },
	{ "retrans", EVMASK(EV_RETRANSMIT), true },
	{ "state", EVMASK(EV_STATE), false },
	{ "probe", EVMASK(EV_PROBE), false },
	{ "reset", EVMASK(EV_SEND_RESET) | EVMASK(EV_RECV_RESET), false },
	{ "drop", EVMASK(EV_DROP), false },
	{ "cong", EVMASK(EV_CONG), false },
	{ "all", (1u << EV_TYPE_MAX) - 1, false },
};

static unsigned int ev_word_mask(const char *word)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(ev_words); i++)
		if (!strcmp(word, ev_words[i].word))
			return ev_words[i].mask;
	return 0;
}

const char *ev_mask_words(void)
{
	static char list[128];
	size_t i, n = 0, last = ARRAY_SIZE(ev_words) - 1;

	if (list[0])
		return list;
	for (i = 0; i < ARRAY_SIZE(ev_words); i++) {
		if (ev_words[i].alias)
			continue;
		n += (size_t)snprintf(list + n, sizeof(list) - n, "%s%s",
				      !n	  ? ""
				      : i == last ? " or "
						  : ", ",
				      ev_words[i].word);
	}
	return list;
}

int ev_mask_parse(const char *list, unsigned int *mask, char *bad, size_t badlen)
{
	char buf[256], *tok, *save = NULL;
	unsigned int m;

	*mask = 0;
	if (!list || !*list || strlen(list) >= sizeof(buf)) {
		snprintf(bad, badlen, "%s", list ? list : "");
		return -EINVAL;
	}
	strcpy(buf, list);
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		m = ev_word_mask(tok);
		if (!m) {
			snprintf(bad, badlen, "%s", tok);
			return -EINVAL;
		}
		*mask |= m;
	}
	if (!*mask) {
		snprintf(bad, badlen, "%s", list);
		return -EINVAL;
	}
	return 0;
}

void tcp_flags_format(char *buf, size_t len, unsigned int flags)
{
	static const char letters[] = "FSRPAU"; /* tcpdump's, from bit 0 up */
	size_t n = 0;
	int i;

	for (i = 0; i < 6 && n + 1 < len; i++)
		if (flags & (1u << i))
			buf[n++] = letters[i];
	if (len)
		buf[n < len ? n : len - 1] = '\0';
}

/* HH:MM:SS.micro of a CLOCK_MONOTONIC stamp; localtime_r once a second. */
static const char *clock_text(uint64_t ts_ns, int64_t real_off_ns)
{
	static __thread char buf[32];
	static __thread time_t last_sec = -1;
	static __thread char hms[16];
	/* Unsigned: a stamp that makes no sense wraps instead of overflowing. */
	uint64_t real = ts_ns + (uint64_t)real_off_ns;
	time_t sec = (time_t)(real / 1000000000);
	struct tm tm;

	if (sec != last_sec) {
		if (localtime_r(&sec, &tm) && strftime(hms, sizeof(hms), "%H:%M:%S", &tm))
			last_sec = sec;
		else
			snprintf(hms, sizeof(hms), "??:??:??");
	}
	snprintf(buf, sizeof(buf), "%s.%06" PRIu64, hms, (real % 1000000000) / 1000);
	return buf;
}

/* 45us, 1.2ms, 250ms, 3.1s: short, for one-line output. */
static void human_us(char *buf, size_t len, uint32_t us)
{
	if (us < 1000)
		snprintf(buf, len, "%uus", us);
	else if (us < 10000)
		snprintf(buf, len, "%.1fms", us / 1e3);
	else if (us < 1000000)
		snprintf(buf, len, "%ums", us / 1000);
	else
		snprintf(buf, len, "%.1fs", us / 1e6);
}

static void human_bytes(char *buf, size_t len, uint32_t b)
{
	if (b < 10000)
		snprintf(buf, len, "%u", b);
	else if (b < 10000000)
		snprintf(buf, len, "%uK", b / 1024);
	else
		snprintf(buf, len, "%uM", b / (1024 * 1024));
}

/* The owner's comm, which the process may set to anything: printable
 * ASCII only, in a NUL-terminated copy. */
static void comm_copy(char *dst, const struct event *e)
{
	size_t i;

	for (i = 0; i < sizeof(e->comm) && e->comm[i]; i++)
		dst[i] = e->comm[i] > ' ' && e->comm[i] < 127 ? e->comm[i] : '?';
	dst[i] = '\0';
}

void event_owner_text(char *buf, size_t len, const struct event *e, int width)
{
	char comm[sizeof(e->comm) + 1];
	int pidlen;

	if (!e->pid) {
		snprintf(buf, len, "-");
		return;
	}
	comm_copy(comm, e);
	/* Shorten the comm, never the pid, to fit in width columns. */
	pidlen = snprintf(NULL, 0, "[%u]", e->pid);
	if (width > 0 && (int)strlen(comm) + pidlen > width)
		comm[width > pidlen ? width - pidlen : 0] = '\0';
	snprintf(buf, len, "%s[%u]", comm, e->pid);
}

/* Text lines end with the owner when known, in what is left of 99
 * columns (JSON says pid 0 for an owner not known yet). */
#define TEXT_COLUMNS 99

void event_print_text(FILE *f, const struct event *e, int64_t real_off_ns)
{
	char src[INET6_ADDRSTRLEN + 8], dst[INET6_ADDRSTRLEN + 8], owner[40];
	int n;

	endpoint_format(src, sizeof(src), e->family, e->saddr, e->sport);
	endpoint_format(dst, sizeof(dst), e->family, e->daddr, e->dport);
	n = fprintf(f, "%s %-5s %s > %s ", clock_text(e->ts_ns, real_off_ns),
		    e->type == EV_RETRANSMIT   ? "RETX"
		    : e->type == EV_STATE      ? "STATE"
		    : e->type == EV_PROBE      ? "PROBE"
		    : e->type == EV_SEND_RESET ? "RSTTX"
		    : e->type == EV_RECV_RESET ? "RSTRX"
		    : e->type == EV_CONG       ? "CONG"
					       : "DROP",
		    src, dst);
	switch (e->type) {
	case EV_RETRANSMIT:
		n += fprintf(f, "%s %s/%s segs=%u total=%u", retrans_kind_name(e->retrans.kind),
			     tcp_state_name(e->retrans.tcp_state),
			     tcp_ca_state_name(e->retrans.ca_state), e->retrans.segs,
			     e->retrans.total_retrans);
		if (e->retrans.err)
			n += fprintf(f, " err=%d", e->retrans.err);
		break;
	case EV_STATE:
		n += fprintf(f, "%s -> %s", tcp_state_name(e->state.oldstate),
			     tcp_state_name(e->state.newstate));
		break;
	case EV_PROBE: {
		char rtt[16], infl[16];

		human_us(rtt, sizeof(rtt), e->probe.srtt_us);
		human_bytes(infl, sizeof(infl), e->probe.inflight);
		n += fprintf(f, "rtt=%s cwnd=%u ", rtt, e->probe.snd_cwnd);
		/* TCP_INFINITE_SSTHRESH: slow start has not ended yet. */
		if (e->probe.ssthresh >= 0x7fffffff)
			n += fprintf(f, "ssth=inf");
		else
			n += fprintf(f, "ssth=%u", e->probe.ssthresh);
		n += fprintf(f, " infl=%s", infl); /* data_len: JSON only */
		break;
	}
	case EV_DROP: {
		char flags[8];

		tcp_flags_format(flags, sizeof(flags), e->drop.tcp_flags);
		n += fprintf(f, "%s %s %s %s payload=%u",
			     *drop_reason_name(e->drop.reason) ? drop_reason_name(e->drop.reason)
							       : "?",
			     e->drop.rx ? "rx" : "tx", flags,
			     e->drop.has_sock ? tcp_state_name(e->drop.tcp_state) : "no-sock",
			     e->drop.payload);
		break;
	}
	case EV_CONG:
		n += fprintf(f, "%s -> %s %s cwnd=%u total=%u", tcp_ca_state_name(e->cong.old_ca),
			     tcp_ca_state_name(e->cong.new_ca), tcp_state_name(e->cong.tcp_state),
			     e->cong.snd_cwnd, e->cong.total_retrans);
		break;
	default:
		n += fprintf(f, "%s",
			     e->reset.has_sock ? tcp_state_name(e->reset.tcp_state) : "no-sock");
		if (e->type == EV_SEND_RESET && *reset_reason_name(e->reset.reason))
			n += fprintf(f, " %s", reset_reason_name(e->reset.reason));
		break;
	}
	if (e->pid) {
		event_owner_text(owner, sizeof(owner), e, TEXT_COLUMNS - 1 - n);
		fprintf(f, " %s", owner);
	}
	fputc('\n', f);
}

void event_print_owner_json(FILE *f, const struct event *e)
{
	char comm[sizeof(e->comm) + 1];

	size_t i;

	/* Bytes past ASCII would not be UTF-8: shown as '?'. */
	for (i = 0; i < sizeof(e->comm) && e->comm[i]; i++)
		comm[i] = (unsigned char)e->comm[i] < 0x80 ? e->comm[i] : '?';
	comm[i] = '\0';
	fprintf(f, ",\"pid\":%u,\"comm\":", e->pid);
	json_write_string(f, comm);
	fputs(",\"cgroup\":", f);
	json_write_string(f, cgroup_path(e->cgroup_id));
	fprintf(f, ",\"cgroup_id\":%" PRIu64, (uint64_t)e->cgroup_id);
}

void event_print_json(FILE *f, const struct event *e, const char *extra)
{
	char src[INET6_ADDRSTRLEN], dst[INET6_ADDRSTRLEN];

	addr_format(src, sizeof(src), e->family, e->saddr);
	addr_format(dst, sizeof(dst), e->family, e->daddr);
	fprintf(f,
		"{\"type\":\"%s\",\"ts_ns\":%" PRIu64 ",\"cookie\":%" PRIu64 ",\"netns\":%u,"
		"\"family\":%u,\"saddr\":\"%s\",\"sport\":%u,\"daddr\":\"%s\",\"dport\":%u",
		ev_type_name(e->type), (uint64_t)e->ts_ns, (uint64_t)e->cookie, e->netns, e->family,
		src, e->sport, dst, e->dport);
	event_print_owner_json(f, e);
	switch (e->type) {
	case EV_RETRANSMIT:
		fprintf(f,
			",\"state\":\"%s\",\"ca_state\":\"%s\",\"kind\":\"%s\",\"err\":%d,"
			"\"segs\":%u,\"total_retrans\":%u,\"retransmits\":%u%s}\n",
			tcp_state_name(e->retrans.tcp_state),
			tcp_ca_state_name(e->retrans.ca_state), retrans_kind_name(e->retrans.kind),
			e->retrans.err, e->retrans.segs, e->retrans.total_retrans,
			e->retrans.icsk_retransmits, extra ? extra : "");
		break;
	case EV_STATE:
		fprintf(f, ",\"old\":\"%s\",\"new\":\"%s\"%s}\n", tcp_state_name(e->state.oldstate),
			tcp_state_name(e->state.newstate), extra ? extra : "");
		break;
	case EV_PROBE:
		fprintf(f,
			",\"srtt_us\":%u,\"snd_cwnd\":%u,\"ssthresh\":%u,\"snd_wnd\":%u,"
			"\"rcv_wnd\":%u,\"inflight\":%u,\"data_len\":%u%s}\n",
			e->probe.srtt_us, e->probe.snd_cwnd, e->probe.ssthresh, e->probe.snd_wnd,
			e->probe.rcv_wnd, e->probe.inflight, e->probe.data_len, extra ? extra : "");
		break;
	case EV_DROP: {
		char flags[8];

		tcp_flags_format(flags, sizeof(flags), e->drop.tcp_flags);
		fprintf(f,
			",\"reason\":\"%s\",\"reason_code\":%u,\"direction\":\"%s\","
			"\"tcp_flags\":\"%s\",\"len\":%u,\"ip_len\":%u,\"payload\":%u,"
			"\"has_sock\":%s,\"state\":\"%s\"%s}\n",
			drop_reason_name(e->drop.reason), e->drop.reason, e->drop.rx ? "rx" : "tx",
			flags, e->drop.len, e->drop.ip_len, e->drop.payload,
			e->drop.has_sock ? "true" : "false",
			e->drop.has_sock ? tcp_state_name(e->drop.tcp_state) : "",
			extra ? extra : "");
		break;
	}
	case EV_CONG:
		fprintf(f,
			",\"old\":\"%s\",\"new\":\"%s\",\"state\":\"%s\",\"snd_cwnd\":%u,"
			"\"ssthresh\":%u,\"total_retrans\":%u,\"retransmits\":%u%s}\n",
			tcp_ca_state_name(e->cong.old_ca), tcp_ca_state_name(e->cong.new_ca),
			tcp_state_name(e->cong.tcp_state), e->cong.snd_cwnd, e->cong.ssthresh,
			e->cong.total_retrans, e->cong.icsk_retransmits, extra ? extra : "");
		break;
	default:
		fprintf(f, ",\"state\":\"%s\",\"has_sock\":%s",
			e->reset.has_sock ? tcp_state_name(e->reset.tcp_state) : "",
			e->reset.has_sock ? "true" : "false");
		if (e->type == EV_SEND_RESET)
			fprintf(f, ",\"reason\":\"%s\",\"reason_code\":%u",
				reset_reason_name(e->reset.reason), e->reset.reason);
		fprintf(f, "%s}\n", extra ? extra : "");
		break;
	}
}
