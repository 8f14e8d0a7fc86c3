// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <math.h>
#include <inttypes.h>
#include "lib/jsonw.h"

void json_write_string(FILE *f, const char *s)
{
	const unsigned char *p = (const unsigned char *)(s ? s : "");

	putc('"', f);
	for (; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\r':
			fputs("\\r", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		case '\b':
			fputs("\\b", f);
			break;
		case '\f':
			fputs("\\f", f);
			break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				putc(*p, f);
		}
	}
	putc('"', f);
}

void jw_init(struct jw *w, FILE *f)
{
	w->f = f;
	w->depth = 0;
	w->need_comma[0] = false;
}

static void jw_key(struct jw *w, const char *key)
{
	if (w->need_comma[w->depth])
		putc(',', w->f);
	w->need_comma[w->depth] = true;
	if (key) {
		json_write_string(w->f, key);
		putc(':', w->f);
	}
}

static void jw_open(struct jw *w, const char *key, char c)
{
	jw_key(w, key);
	putc(c, w->f);
	if (w->depth < JW_MAX_DEPTH - 1)
		w->depth++;
	w->need_comma[w->depth] = false;
}

static void jw_close(struct jw *w, char c)
{
	putc(c, w->f);
	if (w->depth > 0)
		w->depth--;
	if (w->depth == 0)
		w->need_comma[0] = false;
}

void jw_obj_open(struct jw *w, const char *key)
{
	jw_open(w, key, '{');
}
void jw_obj_close(struct jw *w)
{
	jw_close(w, '}');
}
void jw_arr_open(struct jw *w, const char *key)
{
	jw_open(w, key, '[');
}
void jw_arr_close(struct jw *w)
{
	jw_close(w, ']');
}

void jw_str(struct jw *w, const char *key, const char *val)
{
	jw_key(w, key);
	json_write_string(w->f, val);
}

void jw_u64(struct jw *w, const char *key, uint64_t val)
{
	jw_key(w, key);
	fprintf(w->f, "%" PRIu64, val);
}

void jw_i64(struct jw *w, const char *key, int64_t val)
{
	jw_key(w, key);
	fprintf(w->f, "%" PRId64, val);
}

void jw_double(struct jw *w, const char *key, double val)
{
	jw_key(w, key);
	if (!isfinite(val))
		fputs("null", w->f);
	else if (val == (double)(int64_t)val && fabs(val) < 9e15)
		fprintf(w->f, "%" PRId64, (int64_t)val);
	else
		fprintf(w->f, "%.3f", val);
}

void jw_bool(struct jw *w, const char *key, bool val)
{
	jw_key(w, key);
	fputs(val ? "true" : "false", w->f);
}

void jw_null(struct jw *w, const char *key)
{
	jw_key(w, key);
	fputs("null", w->f);
}

void jw_u64_members(struct jw *w, const char *key, const uint64_t *v, unsigned int n,
		    const char *(*name)(unsigned int))
{
	unsigned int i;

	jw_obj_open(w, key);
	for (i = 0; i < n; i++)
		jw_u64(w, name(i), v[i]);
	jw_obj_close(w);
}
