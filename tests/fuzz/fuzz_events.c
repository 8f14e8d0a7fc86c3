// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The event decoder: any bytes as a struct event (the ring buffer is the
 * kernel's, but a bug or a version skew must not crash the printer). The
 * JSON form is one line ending in "}\n"; the text form one line. */
#include <stdio.h>
#include "tracer/events.h"
#include "fuzz.h"

static void one_line(const char *buf, size_t len, int json)
{
	if (!len || buf[len - 1] != '\n' || memchr(buf, '\n', len - 1))
		abort();
	if (json && (buf[0] != '{' || len < 3 || buf[len - 2] != '}'))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct event e;
	char *buf = NULL;
	size_t len = 0;
	FILE *f;

	memset(&e, 0, sizeof(e));
	memcpy(&e, data, size < sizeof(e) ? size : sizeof(e));
	f = open_memstream(&buf, &len);
	if (!f)
		return 0;
	event_print_json(f, &e, size & 1 ? ",\"side\":\"client\"" : NULL);
	fflush(f);
	one_line(buf, len, 1);
	fclose(f);
	free(buf);
	buf = NULL;
	len = 0;
	f = open_memstream(&buf, &len);
	if (!f)
		return 0;
	event_print_text(f, &e, (int64_t)e.ts_ns);
	fflush(f);
	one_line(buf, len, 0);
	fclose(f);
	free(buf);
	return 0;
}
