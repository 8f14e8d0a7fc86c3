// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * The user-space decode and output path of `tcpscope trace`, alone: N
 * synthetic events of one type through event_print_text() or
 * event_print_json() into a fully buffered FILE on /dev/null. Run under
 * callgrind by bench/cost.sh, whose instruction counts repeat run to run.
 *
 *   decode text|json state|probe|retransmit N
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "tracer/events.h"

static void fill(struct event *e, unsigned int type, unsigned int i)
{
	memset(e, 0, sizeof(*e));
	e->ts_ns = 1000000000ULL * 3600 + (unsigned long long)i * 7919;
	e->cookie = 4096 + i;
	e->netns = 4026531840u;
	e->family = 4;
	e->type = (__u8)type;
	e->saddr[0] = 127;
	e->saddr[3] = (__u8)(1 + i % 200);
	e->daddr[0] = 127;
	e->daddr[3] = 1;
	e->sport = (__u16)(32768 + i % 28000);
	e->dport = 40231;
	switch (type) {
	case EV_STATE:
		e->state.oldstate = (__u8)(1 + i % 10);
		e->state.newstate = (__u8)(1 + (i + 1) % 10);
		break;
	case EV_PROBE:
		e->probe.srtt_us = 20 + i % 1000;
		e->probe.snd_cwnd = 10 + i % 90;
		e->probe.ssthresh = 0x7fffffff;
		e->probe.snd_wnd = 65535;
		e->probe.rcv_wnd = 65535;
		e->probe.inflight = i % 100000;
		e->probe.data_len = 1448;
		break;
	default:
		e->retrans.total_retrans = i % 50;
		e->retrans.segs = 1;
		e->retrans.tcp_state = 1;
		e->retrans.ca_state = (__u8)(i % 5);
		e->retrans.kind = (__u8)retrans_classify(1, e->retrans.ca_state, 0);
		break;
	}
}

int main(int argc, char **argv)
{
	static char buf[1 << 16];
	unsigned int type, i, n;
	struct event e;
	bool json;
	FILE *f;

	if (argc != 4) {
		fprintf(stderr, "usage: decode text|json state|probe|retransmit N\n");
		return 2;
	}
	json = !strcmp(argv[1], "json");
	type = !strcmp(argv[2], "state")   ? EV_STATE
	       : !strcmp(argv[2], "probe") ? EV_PROBE
					   : EV_RETRANSMIT;
	n = (unsigned int)strtoul(argv[3], NULL, 10);
	f = fopen("/dev/null", "w");
	if (!f || setvbuf(f, buf, _IOFBF, sizeof(buf)))
		return 1;
	for (i = 0; i < n; i++) {
		fill(&e, type, i);
		if (json)
			event_print_json(f, &e, NULL);
		else
			event_print_text(f, &e, 0);
	}
	return fclose(f) ? 1 : 0;
}
