/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * Where a response ends, for `stress --request ... --response KIND`: an HTTP
 * response (status line, headers, then a Content-Length, chunked or
 * until-close body), a fixed number of bytes, one line, or whatever comes
 * until the peer closes. A streaming parser: bytes go in as they arrive,
 * a few dozen bytes of state per connection, no copy of the response.
 */
#ifndef TCPSCOPE_FRAMING_H
#define TCPSCOPE_FRAMING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum resp_kind {
	RESP_ECHO = 0, /* no --request: the echo of --size, verified */
	RESP_HTTP = 1,
	RESP_BYTES = 2,	      /* exactly N bytes */
	RESP_LINE = 3,	      /* up to and including the first '\n' */
	RESP_UNTIL_CLOSE = 4, /* everything until the peer's FIN */
};

/* Why a response was not one. */
enum resp_err {
	RERR_NONE = 0,
	RERR_STATUS_LINE,  /* not "HTTP/1.x NNN ..." */
	RERR_HEADER,	   /* a header line without a colon */
	RERR_LENGTH,	   /* Content-Length not a number, or two that differ */
	RERR_CHUNK,	   /* a chunk size line or chunk end that is not one */
	RERR_HEADERS_SIZE, /* headers past 64 KiB */
	RERR_EXTRA,	   /* bytes after the response, before the next request */
	RERR_TRUNCATED,	   /* the peer closed in the middle of a response */
	RERR_CLOSED,	   /* the peer closed before the response began */
	RERR_MAX,
};

struct framing {
	enum resp_kind kind;
	uint64_t bytes; /* RESP_BYTES */
	bool no_body;	/* the request is a HEAD: responses carry no body */
};

/* One response being read. */
struct resp {
	uint8_t phase;
	uint8_t close; /* the server will close after this response */
	uint8_t chunked;
	uint8_t has_len;
	uint8_t no_body; /* from struct framing */
	uint8_t started; /* a byte of it has arrived */
	uint16_t status;
	uint16_t linelen; /* of the current line, however long */
	uint32_t hdr_bytes;
	uint64_t remaining;
	uint64_t len;  /* the Content-Length seen */
	char line[40]; /* the current line's start (enough for the headers read) */
};

enum { RESP_MORE = 0, RESP_DONE = 1 };

void resp__init(struct resp *r, const struct framing *f);
/* Take up to n bytes: RESP_MORE, RESP_DONE (the response ends at *used
 * bytes) or -enum resp_err. */
int resp__feed(struct resp *r, const uint8_t *buf, size_t n, size_t *used);
/* The peer closed: RESP_DONE when that ends the response, else -error. */
int resp__eof(const struct resp *r);
/* Nothing of this response has arrived yet. */
bool resp__idle(const struct resp *r);
/* Its status class: 1..5, 0 when not HTTP. */
int resp__status_class(const struct resp *r);
/* "bad_status_line", ... (JSON key and text). */
const char *resp_err_name(int err);
const char *resp_kind_name(int kind);

#endif
