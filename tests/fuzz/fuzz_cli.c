// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Command-line values: every parse_* of parse.h that takes a number, the
 * event list, state and server-mode names. The first byte picks the parser;
 * results must respect the bounds they were asked for. */
#include <errno.h>
#include "tracer/events.h"
#include "fuzz.h"
#include "lib/parse.h"
#include "load/server.h"
#include "monitor/sockdiag.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char bad[32];
	unsigned int mask;
	uint64_t v, min, max;
	uint16_t port;
	char *s;
	int err;

	if (size < 1)
		return 0;
	s = fuzz_cstr(data + 1, size - 1);
	if (!s)
		return 0;
	min = data[0] & 0x10 ? 4096 : 0;
	max = data[0] & 0x20 ? 1ULL << 30 : UINT64_MAX;
	switch (data[0] % 7) {
	case 0:
		err = parse_u64(s, min, max, &v);
		if (!err && (v < min || v > max))
			abort();
		break;
	case 1:
		err = parse_port(s, data[0] & 0x40, &port);
		if (!err && !port && !(data[0] & 0x40))
			abort();
		break;
	case 2:
		err = parse_duration_ns(s, &v);
		if (!err && (v < 1000 || v > 366ULL * 86400 * 1000000000ULL))
			abort();
		break;
	case 3:
		err = parse_size(s, min, max, &v);
		if (!err && (v < min || v > max))
			abort();
		break;
	case 4:
		err = ev_mask_parse(s, &mask, bad, sizeof(bad));
		if (!err && mask >> EV_TYPE_MAX)
			abort();
		if (err && !memchr(bad, 0, sizeof(bad)))
			abort();
		break;
	case 5:
		err = tcp_state_parse(s);
		if (err != -EINVAL && (err < 1 || err >= TCP_NSTATES))
			abort();
		break;
	default:
		err = server_mode_parse(s);
		(void)err;
		break;
	}
	free(s);
	return 0;
}
