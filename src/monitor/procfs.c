// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Parsers of /proc/net and /proc/sys files; see procfs.h. */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "monitor/procfs.h"

struct span {
	const char *p;
	size_t n;
};

int counters_add(struct counters *c, const char *name, size_t name_len, uint64_t val)
{
	size_t i;

	if (name_len == 0 || name_len >= COUNTER_NAME_MAX)
		return -EINVAL;
	for (i = 0; i < name_len; i++)
		if (name[i] <= ' ' || name[i] > '~')
			return -EINVAL; /* a NUL or control byte: not a counter name */
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 256;
		struct counter *v = realloc(c->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	memcpy(c->v[c->n].name, name, name_len);
	c->v[c->n].name[name_len] = 0;
	c->v[c->n].val = val;
	c->n++;
	return 0;
}

const struct counter *counters_find(const struct counters *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (!strcmp(c->v[i].name, name))
			return &c->v[i];
	return NULL;
}

uint64_t counters_get(const struct counters *c, const char *name)
{
	const struct counter *k = counters_find(c, name);

	return k ? k->val : 0;
}

bool counters_has(const struct counters *c, const char *name)
{
	return counters_find(c, name) != NULL;
}

void counters_reset(struct counters *c)
{
	c->n = 0;
}

void counters_free(struct counters *c)
{
	free(c->v);
	memset(c, 0, sizeof(*c));
}

/* The next line of buf from *pos, without its newline; false at the end. */
static bool next_line(const char *buf, size_t len, size_t *pos, struct span *line)
{
	const char *nl;

	if (*pos >= len)
		return false;
	line->p = buf + *pos;
	nl = memchr(line->p, '\n', len - *pos);
	line->n = nl ? (size_t)(nl - line->p) : len - *pos;
	*pos += line->n + (nl ? 1 : 0);
	return true;
}

static bool is_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* The next blank-separated token of line from *pos; false at its end. */
static bool next_token(const struct span *line, size_t *pos, struct span *tok)
{
	while (*pos < line->n && is_blank(line->p[*pos]))
		(*pos)++;
	if (*pos >= line->n)
		return false;
	tok->p = line->p + *pos;
	while (*pos < line->n && !is_blank(line->p[*pos]))
		(*pos)++;
	tok->n = (size_t)(line->p + *pos - tok->p);
	return true;
}

static bool line_is_empty(const struct span *line)
{
	size_t pos = 0;
	struct span tok;

	return !next_token(line, &pos, &tok);
}

/* Decimal, with an optional '-' (stored as two's complement). */
static int span_to_u64(const struct span *t, uint64_t *out)
{
	size_t i = 0;
	bool neg = false;
	uint64_t v = 0;

	if (t->n && t->p[0] == '-') {
		neg = true;
		i = 1;
	}
	if (i >= t->n)
		return -EINVAL;
	for (; i < t->n; i++) {
		unsigned d = (unsigned char)t->p[i] - '0';

		if (d > 9)
			return -EINVAL;
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (neg && v > (uint64_t)INT64_MAX + 1)
		return -ERANGE;
	*out = neg ? (uint64_t)0 - v : v;
	return 0;
}

static int hex_to_u64(const struct span *t, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (t->n == 0 || t->n > 16)
		return t->n ? -ERANGE : -EINVAL;
	for (i = 0; i < t->n; i++) {
		char c = t->p[i];
		unsigned d;

		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else if (c >= 'A' && c <= 'F')
			d = (unsigned)(c - 'A' + 10);
		else
			return -EINVAL;
		v = v << 4 | d;
	}
	*out = v;
	return 0;
}

/* Split "Prefix: rest" at the first token, which must end in ':'. */
static int split_prefix(const struct span *line, struct span *prefix, size_t *rest)
{
	*rest = 0;
	if (!next_token(line, rest, prefix) || prefix->n < 2 || prefix->p[prefix->n - 1] != ':')
		return -EINVAL;
	prefix->n--;
	return 0;
}

static int add_prefixed(struct counters *out, const struct span *prefix, const char *sep,
			const struct span *name, uint64_t val)
{
	char buf[COUNTER_NAME_MAX];
	size_t seplen = strlen(sep), n = prefix->n + seplen + name->n;

	if (n >= sizeof(buf))
		return -EINVAL;
	memcpy(buf, prefix->p, prefix->n);
	memcpy(buf + prefix->n, sep, seplen);
	memcpy(buf + prefix->n + seplen, name->p, name->n);
	return counters_add(out, buf, n, val);
}

static int parse_snmp_pair(const struct span *hdr, const struct span *vals, struct counters *out)
{
	struct span hp, vp, name, val;
	size_t hpos, vpos;
	int err;

	if (split_prefix(hdr, &hp, &hpos) || split_prefix(vals, &vp, &vpos))
		return -EINVAL;
	if (hp.n != vp.n || memcmp(hp.p, vp.p, hp.n))
		return -EINVAL;
	for (;;) {
		bool more_names = next_token(hdr, &hpos, &name);
		bool more_vals = next_token(vals, &vpos, &val);
		uint64_t v;

		if (more_names != more_vals)
			return -EINVAL; /* a truncated line */
		if (!more_names)
			return 0;
		err = span_to_u64(&val, &v);
		if (!err)
			err = add_prefixed(out, &hp, "", &name, v);
		if (err)
			return err;
	}
}

int procfs_parse_snmp(const char *buf, size_t len, struct counters *out)
{
	struct span hdr, vals;
	size_t pos = 0;
	int err;

	while (next_line(buf, len, &pos, &hdr)) {
		if (line_is_empty(&hdr))
			continue;
		if (!next_line(buf, len, &pos, &vals))
			return -EINVAL; /* a header without its values */
		err = parse_snmp_pair(&hdr, &vals, out);
		if (err)
			return err;
	}
	return 0;
}

int procfs_parse_snmp6(const char *buf, size_t len, struct counters *out)
{
	struct span line, name, val, extra;
	size_t pos = 0, lpos;
	uint64_t v;
	int err;

	while (next_line(buf, len, &pos, &line)) {
		lpos = 0;
		if (!next_token(&line, &lpos, &name))
			continue;
		if (!next_token(&line, &lpos, &val) || next_token(&line, &lpos, &extra))
			return -EINVAL;
		err = span_to_u64(&val, &v);
		if (!err)
			err = counters_add(out, name.p, name.n, v);
		if (err)
			return err;
	}
	return 0;
}

int procfs_parse_sockstat(const char *buf, size_t len, struct counters *out)
{
	struct span line, prefix, key, val;
	size_t pos = 0, lpos;
	uint64_t v;
	int err;

	while (next_line(buf, len, &pos, &line)) {
		if (line_is_empty(&line))
			continue;
		if (split_prefix(&line, &prefix, &lpos))
			return -EINVAL;
		while (next_token(&line, &lpos, &key)) {
			if (!next_token(&line, &lpos, &val))
				return -EINVAL;
			err = span_to_u64(&val, &v);
			if (!err)
				err = add_prefixed(out, &prefix, "_", &key, v);
			if (err)
				return err;
		}
	}
	return 0;
}

int procfs_parse_softnet(const char *buf, size_t len, struct softnet *out)
{
	struct span line, tok;
	size_t pos = 0, lpos;
	uint64_t col[3], rest;
	int i, err;

	memset(out, 0, sizeof(*out));
	while (next_line(buf, len, &pos, &line)) {
		if (line_is_empty(&line))
			continue;
		lpos = 0;
		for (i = 0; i < 3; i++) {
			if (!next_token(&line, &lpos, &tok))
				return -EINVAL;
			err = hex_to_u64(&tok, &col[i]);
			if (err)
				return err;
		}
		while (next_token(&line, &lpos, &tok))
			if (hex_to_u64(&tok, &rest) < 0)
				return -EINVAL;
		out->processed += col[0];
		out->dropped += col[1];
		out->time_squeeze += col[2];
		out->cpus++;
	}
	return out->cpus ? 0 : -EINVAL;
}

int procfs_parse_uints(const char *buf, size_t len, uint64_t *vals, int max)
{
	struct span line, tok;
	size_t pos = 0, lpos = 0;
	int n = 0;

	if (!next_line(buf, len, &pos, &line))
		return -EINVAL;
	while (next_token(&line, &lpos, &tok)) {
		if (n == max || tok.p[0] == '-' || span_to_u64(&tok, &vals[n]))
			return -EINVAL;
		n++;
	}
	return n ? n : -EINVAL;
}

int procfs_parse_word(const char *buf, size_t len, char *out, size_t outlen)
{
	struct span line, tok, extra;
	size_t pos = 0, lpos = 0;

	if (!next_line(buf, len, &pos, &line) || !next_token(&line, &lpos, &tok) ||
	    next_token(&line, &lpos, &extra) || tok.n >= outlen)
		return -EINVAL;
	memcpy(out, tok.p, tok.n);
	out[tok.n] = 0;
	return 0;
}

int procfs_read_file(const char *path, char **buf, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *b = malloc(cap), *nb;
	ssize_t r;
	int fd, err = 0;

	if (!b)
		return -ENOMEM;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		free(b);
		return -errno;
	}
	for (;;) {
		if (n == cap) {
			/* /proc files are small; a runaway one is an error. */
			if (cap >= (16u << 20) || !(nb = realloc(b, cap * 2))) {
				err = -EFBIG;
				break;
			}
			b = nb;
			cap *= 2;
		}
		r = read(fd, b + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			err = -errno;
			break;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	if (err) {
		free(b);
		return err;
	}
	*buf = b;
	*len = n;
	return 0;
}
