// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Response framing: where each kind of response ends, fed whole and one
 * byte at a time, and the reason a broken one is refused. */
#include <string.h>
#include "load/framing.h"
#include "test.h"

/* Feed s in pieces of step bytes: the result, and *used the bytes taken
 * up to the end of the response (or the error). */
static int feed(const struct framing *f, const char *s, size_t step, size_t *used, int *status)
{
	struct resp r;
	size_t off = 0, n = strlen(s), u;
	int ret = RESP_MORE;

	resp__init(&r, f);
	while (off < n) {
		size_t k = n - off < step ? n - off : step;

		ret = resp__feed(&r, (const uint8_t *)s + off, k, &u);
		off += u;
		if (ret != RESP_MORE)
			break;
	}
	if (ret == RESP_MORE && off == n)
		ret = resp__eof(&r) == RESP_DONE ? 2 : resp__eof(&r);
	*used = off;
	*status = r.status;
	return ret;
}

static void both(const struct framing *f, const char *s, int want, size_t want_used,
		 const char *what)
{
	size_t steps[] = { 1, 3, 4096 }, i, used;
	int status;

	for (i = 0; i < 3; i++) {
		ASSERT_EQ(feed(f, s, steps[i], &used, &status), want, what);
		if (want == RESP_DONE)
			ASSERT_EQ(used, want_used, what);
	}
}

TEST(framing_http_lengths)
{
	struct framing f = { .kind = RESP_HTTP };
	const char *cl = "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1";
	const char *ch = "HTTP/1.1 404 Not Found\r\nTransfer-Encoding: chunked\r\n\r\n"
			 "3\r\nabc\r\nA;ext=1\r\n0123456789\r\n0\r\nX-T: 1\r\n\r\n";
	size_t used;
	int status;

	both(&f, cl, RESP_DONE, strlen(cl) - strlen("HTTP/1.1"), "content-length body");
	both(&f, ch, RESP_DONE, strlen(ch), "chunked body with trailer");
	feed(&f, ch, 7, &used, &status);
	ASSERT_EQ(status, 404, "status");
	both(&f, "HTTP/1.1 204 No Content\r\nServer: x\r\n\r\n", RESP_DONE, 38, "204 no body");
	both(&f, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\ncontent-length: 0\r\n\r\n",
	     RESP_DONE, 63, "100 then 200");
	/* No length, not chunked: the body runs until the peer closes. */
	both(&f, "HTTP/1.0 200 OK\r\n\r\nbody", 2, 0, "until close");
}

TEST(framing_http_head_and_close)
{
	struct framing f = { .kind = RESP_HTTP, .no_body = true };
	struct resp r;
	size_t used;
	const char *s = "HTTP/1.1 200 OK\r\nContent-Length: 612\r\nConnection: close\r\n\r\n";

	resp__init(&r, &f);
	ASSERT_EQ(resp__feed(&r, (const uint8_t *)s, strlen(s), &used), RESP_DONE, "HEAD");
	ASSERT_EQ(r.close, 1, "Connection: close seen");
	f.no_body = false;
	resp__init(&r, &f);
	s = "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n";
	ASSERT_EQ(resp__feed(&r, (const uint8_t *)s, strlen(s), &used), RESP_DONE,
		  "1.0 keep-alive");
	ASSERT_EQ(r.close, 0, "HTTP/1.0 with keep-alive stays open");
	ASSERT_EQ(resp__status_class(&r), 2, "class 2xx");
}

TEST(framing_http_errors)
{
	struct framing f = { .kind = RESP_HTTP };

	both(&f, "garbage\r\n", -RERR_STATUS_LINE, 0, "not a status line");
	both(&f, "HTTP/1.1 700 X\r\n", -RERR_STATUS_LINE, 0, "status 700");
	both(&f, "HTTP/1.1 200 OK\r\nno colon\r\n", -RERR_HEADER, 0, "header without colon");
	both(&f, "HTTP/1.1 200 OK\r\nContent-Length: 1x\r\n", -RERR_LENGTH, 0, "bad length");
	both(&f, "HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n", -RERR_LENGTH, 0,
	     "two lengths");
	both(&f, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", -RERR_CHUNK, 0,
	     "bad chunk size");
	both(&f, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nab\r\n", -RERR_CHUNK, 0,
	     "chunk longer than said");
	both(&f, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc", -RERR_TRUNCATED, 0,
	     "closed mid-body");
	both(&f, "", -RERR_CLOSED, 0, "closed before anything");
}

TEST(framing_bytes_and_lines)
{
	struct framing b = { .kind = RESP_BYTES, .bytes = 5 };
	struct framing l = { .kind = RESP_LINE };
	struct framing u = { .kind = RESP_UNTIL_CLOSE };

	both(&b, "12345678", RESP_DONE, 5, "5 bytes");
	both(&b, "123", -RERR_TRUNCATED, 0, "3 of 5 bytes");
	both(&l, "+OK ready\r\nnext", RESP_DONE, 11, "one line");
	both(&l, "no newline", -RERR_TRUNCATED, 0, "line without end");
	both(&u, "anything at all", 2, 0, "until close");
	ASSERT_STREQ(resp_err_name(RERR_EXTRA), "extra_bytes", "error name");
}
