// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Response framing for stress: see framing.h. */
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include "load/framing.h"

#define HEADERS_MAX (64 * 1024)

enum phase {
	P_STATUS,
	P_HEADERS,
	P_BODY,
	P_CHUNK_SIZE,
	P_CHUNK_DATA,
	P_CHUNK_END,
	P_TRAILERS,
	P_UNTIL_CLOSE,
	P_BYTES,
	P_LINE,
	P_DONE,
};

static const char *const err_names[RERR_MAX] = {
	[RERR_NONE] = "none",
	[RERR_STATUS_LINE] = "bad_status_line",
	[RERR_HEADER] = "bad_header",
	[RERR_LENGTH] = "bad_content_length",
	[RERR_CHUNK] = "bad_chunk",
	[RERR_HEADERS_SIZE] = "headers_too_long",
	[RERR_EXTRA] = "extra_bytes",
	[RERR_TRUNCATED] = "truncated",
	[RERR_CLOSED] = "closed_before_response",
};

static const char *const kind_names[] = { "echo", "http", "bytes", "line", "until-close" };

const char *resp_err_name(int err)
{
	return err > 0 && err < RERR_MAX ? err_names[err] : "?";
}

const char *resp_kind_name(int kind)
{
	return kind >= 0 && kind < (int)(sizeof(kind_names) / sizeof(kind_names[0]))
		   ? kind_names[kind]
		   : "?";
}

void resp__init(struct resp *r, const struct framing *f)
{
	memset(r, 0, sizeof(*r));
	r->no_body = f->no_body;
	switch (f->kind) {
	case RESP_HTTP:
		r->phase = P_STATUS;
		break;
	case RESP_BYTES:
		r->phase = f->bytes ? P_BYTES : P_DONE;
		r->remaining = f->bytes;
		break;
	case RESP_LINE:
		r->phase = P_LINE;
		break;
	default:
		r->phase = P_UNTIL_CLOSE;
		break;
	}
}

bool resp__idle(const struct resp *r)
{
	return !r->started;
}

int resp__status_class(const struct resp *r)
{
	return r->status >= 100 && r->status < 600 ? r->status / 100 : 0;
}

/* "HTTP/1.1 200 OK": the version decides the default for keep-alive. */
static int status_line(struct resp *r)
{
	const char *l = r->line;

	if (r->linelen < 12 || strncmp(l, "HTTP/1.", 7) || !isdigit((unsigned char)l[7]) ||
	    l[8] != ' ' || !isdigit((unsigned char)l[9]) || !isdigit((unsigned char)l[10]) ||
	    !isdigit((unsigned char)l[11]) || (r->linelen > 12 && l[12] != ' ') || l[9] < '1' ||
	    l[9] > '5')
		return -RERR_STATUS_LINE;
	r->status = (uint16_t)((l[9] - '0') * 100 + (l[10] - '0') * 10 + (l[11] - '0'));
	r->close = l[7] == '0';
	r->phase = P_HEADERS;
	return RESP_MORE;
}

static bool has_token(const char *v, const char *tok)
{
	size_t n = strlen(tok);

	for (; *v; v++)
		if (!strncasecmp(v, tok, n))
			return true;
	return false;
}

static int content_length(struct resp *r, const char *v)
{
	uint64_t len = 0;

	if (!isdigit((unsigned char)*v))
		return -RERR_LENGTH;
	for (; isdigit((unsigned char)*v); v++) {
		if (len > (UINT64_MAX - 9) / 10)
			return -RERR_LENGTH;
		len = len * 10 + (uint64_t)(*v - '0');
	}
	while (*v == ' ' || *v == '\t')
		v++;
	if (*v || (r->has_len && r->len != len))
		return -RERR_LENGTH;
	r->has_len = 1;
	r->len = len;
	return RESP_MORE;
}

/* The body that follows the headers, or the end of the response. */
static int headers_end(struct resp *r)
{
	if (r->status < 200 && r->status != 101) {
		/* An interim response: the real one follows. */
		r->phase = P_STATUS;
		r->has_len = r->chunked = 0;
		return RESP_MORE;
	}
	if (r->no_body || r->status == 204 || r->status == 304 || r->status == 101) {
		r->phase = P_DONE;
	} else if (r->chunked) {
		r->phase = P_CHUNK_SIZE;
	} else if (r->has_len) {
		r->remaining = r->len;
		r->phase = r->len ? P_BODY : P_DONE;
	} else {
		r->close = 1;
		r->phase = P_UNTIL_CLOSE;
	}
	return r->phase == P_DONE ? RESP_DONE : RESP_MORE;
}

static int header_line(struct resp *r)
{
	char *v;

	if (!r->linelen)
		return headers_end(r);
	if (r->line[0] == ' ' || r->line[0] == '\t')
		return RESP_MORE; /* a folded continuation: nothing we read */
	v = strchr(r->line, ':');
	if (!v)
		return r->linelen >= sizeof(r->line) - 1 ? RESP_MORE : -RERR_HEADER;
	*v++ = '\0';
	while (*v == ' ' || *v == '\t')
		v++;
	if (!strcasecmp(r->line, "content-length"))
		return content_length(r, v);
	if (!strcasecmp(r->line, "transfer-encoding") && has_token(v, "chunked"))
		r->chunked = 1;
	else if (!strcasecmp(r->line, "connection") && has_token(v, "close"))
		r->close = 1;
	else if (!strcasecmp(r->line, "connection") && has_token(v, "keep-alive"))
		r->close = 0;
	return RESP_MORE;
}

static int chunk_size(struct resp *r)
{
	uint64_t size = 0;
	const char *p = r->line;

	if (!isxdigit((unsigned char)*p))
		return -RERR_CHUNK;
	for (; isxdigit((unsigned char)*p); p++) {
		if (size >> 60)
			return -RERR_CHUNK;
		size = size * 16 + (uint64_t)(isdigit((unsigned char)*p)
						  ? *p - '0'
						  : (tolower((unsigned char)*p) - 'a' + 10));
	}
	if (*p && *p != ';' && *p != ' ' && *p != '\t')
		return -RERR_CHUNK;
	r->remaining = size;
	r->phase = size ? P_CHUNK_DATA : P_TRAILERS;
	return RESP_MORE;
}

/* A complete line (without its CRLF) in the phase that reads lines. */
static int on_line(struct resp *r)
{
	switch (r->phase) {
	case P_STATUS:
		return status_line(r);
	case P_HEADERS:
		return header_line(r);
	case P_CHUNK_SIZE:
		return chunk_size(r);
	case P_CHUNK_END:
		if (r->linelen)
			return -RERR_CHUNK;
		r->phase = P_CHUNK_SIZE;
		return RESP_MORE;
	case P_TRAILERS:
		if (r->linelen)
			return RESP_MORE;
		r->phase = P_DONE;
		return RESP_DONE;
	}
	return RESP_MORE;
}

static bool reads_lines(const struct resp *r)
{
	return r->phase == P_STATUS || r->phase == P_HEADERS || r->phase == P_CHUNK_SIZE ||
	       r->phase == P_CHUNK_END || r->phase == P_TRAILERS;
}

/* Line phases: one byte at a time into the line buffer. */
static int take_line_byte(struct resp *r, uint8_t ch)
{
	int ret;

	if (r->phase == P_STATUS || r->phase == P_HEADERS)
		if (++r->hdr_bytes > HEADERS_MAX)
			return -RERR_HEADERS_SIZE;
	if (ch != '\n') {
		if (r->linelen < sizeof(r->line) - 1)
			r->line[r->linelen] = (char)ch;
		if (r->linelen < UINT16_MAX)
			r->linelen++;
		return RESP_MORE;
	}
	/* The CR before the LF is not content. Past the buffer it is not
	 * seen, and a line that long is not empty either way. */
	if (r->linelen && (r->linelen > sizeof(r->line) - 1 || r->line[r->linelen - 1] == '\r'))
		r->linelen--;
	r->line[r->linelen < sizeof(r->line) - 1 ? r->linelen : sizeof(r->line) - 1] = '\0';
	ret = on_line(r);
	r->linelen = 0;
	return ret;
}

/* Body phases: as much of buf as the body still needs. */
static size_t take_body(struct resp *r, size_t n)
{
	size_t k = r->remaining < n ? (size_t)r->remaining : n;

	r->remaining -= k;
	if (!r->remaining)
		r->phase = r->phase == P_CHUNK_DATA ? P_CHUNK_END : P_DONE;
	return k;
}

int resp__feed(struct resp *r, const uint8_t *buf, size_t n, size_t *used)
{
	size_t i = 0;
	int ret = RESP_MORE;

	if (n)
		r->started = 1;
	while (i < n && r->phase != P_DONE) {
		if (reads_lines(r)) {
			ret = take_line_byte(r, buf[i++]);
			if (ret < 0)
				break;
		} else if (r->phase == P_LINE) {
			if (buf[i++] == '\n')
				r->phase = P_DONE;
		} else if (r->phase == P_UNTIL_CLOSE) {
			i = n;
		} else {
			i += take_body(r, n - i);
		}
	}
	*used = i;
	if (ret < 0)
		return ret;
	return r->phase == P_DONE ? RESP_DONE : RESP_MORE;
}

int resp__eof(const struct resp *r)
{
	if (r->phase == P_UNTIL_CLOSE || r->phase == P_DONE)
		return RESP_DONE;
	return r->started ? -RERR_TRUNCATED : -RERR_CLOSED;
}
