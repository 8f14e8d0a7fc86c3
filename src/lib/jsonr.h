/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * A small JSON object reader for JSON lines: one object is checked for
 * syntax and its top-level members indexed (key and raw value span), with
 * no allocation. Nested objects are read by indexing their span in turn.
 */
#ifndef TCPSCOPE_JSONR_H
#define TCPSCOPE_JSONR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define JR_MAX_MEMBERS 64
#define JR_MAX_DEPTH   32

enum jr_type { JR_NONE, JR_STRING, JR_NUMBER, JR_TRUE, JR_FALSE, JR_NULL, JR_OBJECT, JR_ARRAY };

struct jr_member {
	const char *key; /* raw, between the quotes (escapes not decoded) */
	size_t klen;
	const char *val; /* raw value, quotes included for strings */
	size_t vlen;
	enum jr_type type;
};

struct jr_obj {
	struct jr_member m[JR_MAX_MEMBERS];
	int n;
	int dropped; /* members past JR_MAX_MEMBERS, not indexed */
};

/* Index the object in s[0..len) (surrounding whitespace allowed, nothing
 * else). 0, or -EINVAL on a syntax error or a value nested too deep. */
int jr_parse(struct jr_obj *o, const char *s, size_t len);
/* The member named key (an escape-free name), or NULL. */
const struct jr_member *jr_find(const struct jr_obj *o, const char *key);
/* Typed getters: true when key is there with a value of that type that
 * fits; *out is left alone otherwise. */
bool jr_u64(const struct jr_obj *o, const char *key, uint64_t *out);
bool jr_i64(const struct jr_obj *o, const char *key, int64_t *out);
bool jr_double(const struct jr_obj *o, const char *key, double *out);
bool jr_bool(const struct jr_obj *o, const char *key, bool *out);
/* The string, unescaped into buf (UTF-8, NUL-terminated, cut to fit). */
bool jr_str(const struct jr_obj *o, const char *key, char *buf, size_t len);
/* Does key hold this exact string? */
bool jr_str_is(const struct jr_obj *o, const char *key, const char *want);
/* Index a member that is an object. */
bool jr_sub(const struct jr_obj *o, const char *key, struct jr_obj *sub);

#endif
