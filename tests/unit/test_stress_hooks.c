// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* The hook API of stress_run(), on a short run against the built-in server
 * over loopback (no root needed). */
#include <errno.h>
#include <stdlib.h>
#include "load/server.h"
#include "load/stress.h"
#include "test.h"
#include "lib/util.h"

#define N 40

struct seen {
	uint64_t sockets; /* on_socket calls */
	uint64_t done;	  /* on_conn_done calls */
	uint64_t bad_records;
	uint64_t cookies[4 * N]; /* from on_socket, client and server */
	uint64_t done_cookies[N];
};

static void on_socket(void *ctx, uint64_t cookie)
{
	struct seen *s = ctx;
	uint64_t i = __atomic_fetch_add(&s->sockets, 1, __ATOMIC_RELAXED);

	if (i < 4 * N)
		s->cookies[i] = cookie;
}

static void on_conn_done(void *ctx, const struct conn_record *r)
{
	struct seen *s = ctx;
	uint64_t i = __atomic_fetch_add(&s->done, 1, __ATOMIC_RELAXED);

	if (!r->cookie || r->t_established_ns < r->t_connect_ns ||
	    r->t_close_ns < r->t_established_ns || r->close_kind != CLOSE_FIN || r->err ||
	    !r->last_info.valid || r->remote.family != 4 || r->local.port == 0 ||
	    r->remote.port == 0)
		__atomic_fetch_add(&s->bad_records, 1, __ATOMIC_RELAXED);
	if (i < N)
		s->done_cookies[i] = r->cookie;
}

TEST(stress_hooks_called_per_connection)
{
	struct stress_opts o;
	struct stress_hooks h = {};
	struct stress_result *res = malloc(sizeof(*res));
	struct seen *s = calloc(1, sizeof(*s));
	uint64_t i, j, matched = 0;

	stress_opts__init(&o);
	o.conns = N;
	o.duration_ns = 200 * NSEC_PER_MSEC;
	o.threads = 2;
	h.ctx = s;
	h.on_socket = on_socket;
	h.on_conn_done = on_conn_done;
	h.want_local = true; /* the records' local ends are checked */
	ASSERT_EQ(stress_run(&o, &h, res), 0, "stress_run");
	ASSERT_EQ(res->c.established, N, "established");
	ASSERT_EQ(s->done, N, "on_conn_done once per connection");
	/* Client sockets and the built-in server's accepted ones (a loaded
	 * machine may end the run before the server accepted them all). */
	ASSERT_TRUE(res->server_accepted > 0, "server accepted");
	ASSERT_EQ(s->sockets, N + res->server_accepted, "on_socket per socket");
	ASSERT_EQ(s->bad_records, 0, "records complete and ordered");
	for (i = 0; i < N; i++)
		for (j = 0; j < 2 * N; j++)
			if (s->done_cookies[i] == s->cookies[j]) {
				matched++;
				break;
			}
	ASSERT_EQ(matched, N, "each record's cookie was announced by on_socket");
	free(res);
	free(s);
}

TEST(stress_hooks_refused_with_processes)
{
	struct stress_opts o;
	struct stress_hooks h = { .on_socket = on_socket };
	struct stress_result *res = malloc(sizeof(*res));
	struct seen *s = calloc(1, sizeof(*s));
	FILE *saved = stderr;

	stress_opts__init(&o);
	o.conns = 4;
	o.procs = 2;
	o.duration_ns = NSEC_PER_MSEC;
	h.ctx = s;
	stderr = fopen("/dev/null", "w");
	ASSERT_EQ(stress_run(&o, &h, res), -EOPNOTSUPP, "hooks with 2 processes");
	fclose(stderr);
	stderr = saved;
	ASSERT_EQ(s->sockets, 0, "nothing ran");
	free(res);
	free(s);
}
