/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* A small streaming JSON writer: it tracks commas and nesting, escapes
 * strings, and writes straight to a FILE. */
#ifndef TCPSCOPE_JSONW_H
#define TCPSCOPE_JSONW_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define JW_MAX_DEPTH 32

struct jw {
	FILE *f;
	int depth;
	bool need_comma[JW_MAX_DEPTH];
};

void jw_init(struct jw *w, FILE *f);
/* key is NULL inside arrays and at top level. */
void jw_obj_open(struct jw *w, const char *key);
void jw_obj_close(struct jw *w);
void jw_arr_open(struct jw *w, const char *key);
void jw_arr_close(struct jw *w);
void jw_str(struct jw *w, const char *key, const char *val);
void jw_u64(struct jw *w, const char *key, uint64_t val);
/* An object of n counters, keyed by name(0) .. name(n - 1). */
void jw_u64_members(struct jw *w, const char *key, const uint64_t *v, unsigned int n,
		    const char *(*name)(unsigned int));
void jw_i64(struct jw *w, const char *key, int64_t val);
/* Finite values with up to 3 decimals; NaN and infinities become null. */
void jw_double(struct jw *w, const char *key, double val);
void jw_bool(struct jw *w, const char *key, bool val);
void jw_null(struct jw *w, const char *key);
/* Write s as a JSON string literal, quotes included. */
void json_write_string(FILE *f, const char *s);

#endif
