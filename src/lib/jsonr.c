// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* A small JSON object reader: syntax check, member index, typed getters. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include "lib/jsonr.h"

struct cur {
	const char *p, *end;
};

static void skip_ws(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* At the opening quote; leaves c after the closing one. */
static int skip_string(struct cur *c)
{
	int i;

	c->p++;
	while (c->p < c->end) {
		unsigned char ch = (unsigned char)*c->p++;

		if (ch == '"')
			return 0;
		if (ch < 0x20)
			return -EINVAL;
		if (ch != '\\')
			continue;
		if (c->p >= c->end)
			return -EINVAL;
		ch = (unsigned char)*c->p++;
		if (ch == 'u') {
			for (i = 0; i < 4; i++)
				if (c->p >= c->end || hexval(*c->p++) < 0)
					return -EINVAL;
		} else if (!strchr("\"\\/bfnrt", ch) || !ch) {
			return -EINVAL;
		}
	}
	return -EINVAL;
}

static int skip_digits(struct cur *c)
{
	const char *start = c->p;

	while (c->p < c->end && *c->p >= '0' && *c->p <= '9')
		c->p++;
	return c->p > start ? 0 : -EINVAL;
}

static int skip_number(struct cur *c)
{
	if (*c->p == '-')
		c->p++;
	if (c->p < c->end && *c->p == '0')
		c->p++;
	else if (skip_digits(c))
		return -EINVAL;
	if (c->p < c->end && *c->p == '.') {
		c->p++;
		if (skip_digits(c))
			return -EINVAL;
	}
	if (c->p < c->end && (*c->p == 'e' || *c->p == 'E')) {
		c->p++;
		if (c->p < c->end && (*c->p == '+' || *c->p == '-'))
			c->p++;
		if (skip_digits(c))
			return -EINVAL;
	}
	return 0;
}

static int skip_word(struct cur *c, const char *w)
{
	size_t n = strlen(w);

	if ((size_t)(c->end - c->p) < n || memcmp(c->p, w, n))
		return -EINVAL;
	c->p += n;
	return 0;
}

static int skip_value(struct cur *c, int depth, enum jr_type *type);

/* At '{' or '['; members are indexed into o when o is not NULL. */
static int skip_container(struct cur *c, int depth, struct jr_obj *o)
{
	char close = *c->p == '{' ? '}' : ']';
	bool obj = close == '}';
	enum jr_type t;
	int err;

	if (depth >= JR_MAX_DEPTH)
		return -EINVAL;
	c->p++;
	skip_ws(c);
	if (c->p < c->end && *c->p == close) {
		c->p++;
		return 0;
	}
	for (;;) {
		const char *key = NULL, *val;
		size_t klen = 0;

		skip_ws(c);
		if (obj) {
			if (c->p >= c->end || *c->p != '"')
				return -EINVAL;
			key = c->p + 1;
			if (skip_string(c))
				return -EINVAL;
			klen = (size_t)(c->p - 1 - key);
			skip_ws(c);
			if (c->p >= c->end || *c->p != ':')
				return -EINVAL;
			c->p++;
			skip_ws(c);
		}
		val = c->p;
		err = skip_value(c, depth + 1, &t);
		if (err)
			return err;
		if (o && o->n < JR_MAX_MEMBERS) {
			o->m[o->n] = (struct jr_member){ key, klen, val, (size_t)(c->p - val), t };
			o->n++;
		} else if (o) {
			o->dropped++;
		}
		skip_ws(c);
		if (c->p >= c->end)
			return -EINVAL;
		if (*c->p == close) {
			c->p++;
			return 0;
		}
		if (*c->p++ != ',')
			return -EINVAL;
	}
}

static int skip_value(struct cur *c, int depth, enum jr_type *type)
{
	if (c->p >= c->end)
		return -EINVAL;
	switch (*c->p) {
	case '"':
		*type = JR_STRING;
		return skip_string(c);
	case '{':
		*type = JR_OBJECT;
		return skip_container(c, depth, NULL);
	case '[':
		*type = JR_ARRAY;
		return skip_container(c, depth, NULL);
	case 't':
		*type = JR_TRUE;
		return skip_word(c, "true");
	case 'f':
		*type = JR_FALSE;
		return skip_word(c, "false");
	case 'n':
		*type = JR_NULL;
		return skip_word(c, "null");
	default:
		*type = JR_NUMBER;
		if (*c->p != '-' && (*c->p < '0' || *c->p > '9'))
			return -EINVAL;
		return skip_number(c);
	}
}

int jr_parse(struct jr_obj *o, const char *s, size_t len)
{
	struct cur c = { s, s + len };
	int err;

	o->n = 0;
	o->dropped = 0;
	skip_ws(&c);
	if (c.p >= c.end || *c.p != '{')
		return -EINVAL;
	err = skip_container(&c, 0, o);
	if (err) {
		o->n = 0;
		return err;
	}
	skip_ws(&c);
	if (c.p != c.end) {
		o->n = 0;
		return -EINVAL;
	}
	return 0;
}

const struct jr_member *jr_find(const struct jr_obj *o, const char *key)
{
	size_t klen = strlen(key);
	int i;

	for (i = 0; i < o->n; i++)
		if (o->m[i].klen == klen && !memcmp(o->m[i].key, key, klen))
			return &o->m[i];
	return NULL;
}

/* Numbers are copied out: the value is not NUL-terminated in the line. */
static bool number_text(const struct jr_member *m, char *buf, size_t len)
{
	if (!m || m->type != JR_NUMBER || m->vlen >= len)
		return false;
	memcpy(buf, m->val, m->vlen);
	buf[m->vlen] = 0;
	return true;
}

bool jr_u64(const struct jr_obj *o, const char *key, uint64_t *out)
{
	char buf[64], *end;
	unsigned long long v;

	if (!number_text(jr_find(o, key), buf, sizeof(buf)) || buf[0] == '-' || strpbrk(buf, ".eE"))
		return false;
	errno = 0;
	v = strtoull(buf, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

bool jr_i64(const struct jr_obj *o, const char *key, int64_t *out)
{
	char buf[64], *end;
	long long v;

	if (!number_text(jr_find(o, key), buf, sizeof(buf)) || strpbrk(buf, ".eE"))
		return false;
	errno = 0;
	v = strtoll(buf, &end, 10);
	if (errno || *end)
		return false;
	*out = v;
	return true;
}

bool jr_double(const struct jr_obj *o, const char *key, double *out)
{
	char buf[64], *end;
	double v;

	if (!number_text(jr_find(o, key), buf, sizeof(buf)))
		return false;
	errno = 0;
	v = strtod(buf, &end);
	if (*end || !isfinite(v))
		return false;
	*out = v;
	return true;
}

bool jr_bool(const struct jr_obj *o, const char *key, bool *out)
{
	const struct jr_member *m = jr_find(o, key);

	if (!m || (m->type != JR_TRUE && m->type != JR_FALSE))
		return false;
	*out = m->type == JR_TRUE;
	return true;
}

static size_t put_utf8(char *d, uint32_t cp)
{
	if (cp < 0x80) {
		d[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		d[0] = (char)(0xc0 | cp >> 6);
		d[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		d[0] = (char)(0xe0 | cp >> 12);
		d[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		d[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	d[0] = (char)(0xf0 | cp >> 18);
	d[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	d[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	d[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

static uint32_t hex4(const char *p)
{
	/* The caller checked the four hex digits. */
	return (uint32_t)hexval(p[0]) << 12 | (uint32_t)hexval(p[1]) << 8 |
	       (uint32_t)hexval(p[2]) << 4 | (uint32_t)hexval(p[3]);
}

bool jr_str(const struct jr_obj *o, const char *key, char *buf, size_t len)
{
	const struct jr_member *m = jr_find(o, key);
	const char *p, *end;
	size_t n = 0;

	if (!m || m->type != JR_STRING || !len)
		return false;
	p = m->val + 1;
	end = m->val + m->vlen - 1; /* the syntax was checked by jr_parse() */
	while (p < end) {
		char tmp[4];
		size_t k = 1;
		uint32_t cp;

		if (*p != '\\') {
			tmp[0] = *p++;
		} else {
			p++;
			switch (*p) {
			case 'b':
				tmp[0] = '\b';
				break;
			case 'f':
				tmp[0] = '\f';
				break;
			case 'n':
				tmp[0] = '\n';
				break;
			case 'r':
				tmp[0] = '\r';
				break;
			case 't':
				tmp[0] = '\t';
				break;
			case 'u':
				cp = hex4(p + 1);
				p += 4;
				/* A surrogate pair, else U+FFFD for a lone half. */
				if (cp >= 0xd800 && cp < 0xdc00 && end - p >= 7 && p[1] == '\\' &&
				    p[2] == 'u' && hex4(p + 3) >= 0xdc00 && hex4(p + 3) < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					     (hex4(p + 3) - 0xdc00);
					p += 6;
				} else if (cp >= 0xd800 && cp < 0xe000) {
					cp = 0xfffd;
				}
				k = put_utf8(tmp, cp);
				break;
			default:
				tmp[0] = *p;
				break; /* " \ / */
			}
			p++;
		}
		if (n + k >= len)
			break;
		memcpy(buf + n, tmp, k);
		n += k;
	}
	buf[n] = 0;
	return true;
}

bool jr_str_is(const struct jr_obj *o, const char *key, const char *want)
{
	const struct jr_member *m = jr_find(o, key);
	size_t n = strlen(want);

	/* Raw compare: fine for the escape-free words tcpscope writes. */
	return m && m->type == JR_STRING && m->vlen == n + 2 && !memcmp(m->val + 1, want, n);
}

bool jr_sub(const struct jr_obj *o, const char *key, struct jr_obj *sub)
{
	const struct jr_member *m = jr_find(o, key);

	return m && m->type == JR_OBJECT && !jr_parse(sub, m->val, m->vlen);
}
