/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* Shared by the libFuzzer targets: the input as a NUL-terminated string. */
#ifndef TCPSCOPE_FUZZ_H
#define TCPSCOPE_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A malloc'd copy with a NUL after it; NULL when out of memory. */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s) {
		memcpy(s, data, size);
		s[size] = 0;
	}
	return s;
}

#endif
