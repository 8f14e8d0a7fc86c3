// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* stress --trace, the tracer's side: load and attach it, poll its ring
 * buffer on a thread, and give the join its cookie filter. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "correlate/internal.h"
#include "correlate/why.h"
#include "lib/privs.h"
#include "metrics/metrics.h"
#include "tracer/tracer.h"

static int filter_add(void *t, uint64_t cookie)
{
	return tracer__add_cookie(t, cookie);
}

static int filter_del(void *t, uint64_t cookie)
{
	return tracer__del_cookie(t, cookie);
}

static int filter_add_port(void *t, uint16_t port)
{
	return tracer__add_own_port(t, port);
}

/* The metrics are the poll thread's alone: counted here, before the join
 * takes its lock. */
static int run_event(void *ctx, const struct event *e)
{
	struct correlator *k = ctx;

	if (k->metrics)
		metrics__event(k->metrics, e);
	return correlator__event(k, e);
}

static void *poll_thread(void *arg)
{
	struct correlator *k = arg;
	int err;

	while (!k->stop) {
		err = tracer__poll(k->t, TRACER_FLUSH_MS);
		if (err < 0 && err != -EINTR) {
			k->poll_err = err;
			break;
		}
		if (k->metrics)
			metrics__publish(k->metrics);
	}
	return NULL;
}

int correlator__open(struct correlator **cp, const struct corr_opts *o)
{
	struct tracer_opts to = {
		.events = (1u << EV_TYPE_MAX) - 1,
		.filter_cookies = !o->trace_all,
		.max_cookies = o->max_conns,
		.probe_interval_ns = o->probe_interval_ns,
		.ringbuf_size = o->ringbuf_size,
		/* Batched: the poll thread's timeout takes what waits. */
		.wakeup_bytes = tracer_wakeup_default(o->ringbuf_size),
		.attach = o->attach,
		.owner = o->owner,
		.verbose = o->verbose,
	};
	struct correlator *k;
	const char *msg = "";
	int err, fd;

	*cp = NULL;
	k = calloc(1, sizeof(*k));
	if (!k)
		return -ENOMEM;
	err = correlator__init(k, o);
	if (err) {
		free(k);
		return err;
	}
	if (o->timeline) {
		/* A new file, not through a symlink someone planted. */
		fd = open(o->timeline, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd < 0 || !(k->timeline = fdopen(fd, "w"))) {
			err = -errno;
			if (fd >= 0)
				close(fd);
			fprintf(stderr, "tcpscope stress: --timeline %s: %s\n", o->timeline,
				strerror(-err));
			goto fail;
		}
		setvbuf(k->timeline, NULL, _IOFBF, 1 << 20);
		privs_give_file(fd);
	}
	if (o->metrics_addr) {
		err = metrics__open(&k->metrics, o->metrics_addr, "stress");
		if (err)
			goto fail;
	}
	err = tracer__open(&k->t, &to, run_event, k, &msg);
	if (err) {
		fprintf(stderr, "tcpscope stress: --trace: %s: %s\n", msg, strerror(-err));
		goto fail;
	}
	k->typed = tracer__typed(k->t);
	k->cong.on = tracer__attached(k->t, EV_CONG);
	k->attach = tracer__attach_name(k->t);
	k->filter = (struct cookie_filter){ k->t, filter_add, filter_del, filter_add_port };
	*cp = k;
	return 0;
fail:
	correlator__destroy(k);
	return err;
}

int correlator__start(struct correlator *c)
{
	const struct metrics_source src = { tracer__counts_of, c->t, tracer__attach_name(c->t) };
	int err = c->metrics ? metrics__start(c->metrics, &src, NULL, "stress") : 0;

	if (err)
		return err;
	err = pthread_create(&c->thread, NULL, poll_thread, c);
	if (err)
		return -err;
	c->running = true;
	return 0;
}

void correlator__stop(struct correlator *c)
{
	if (c->running) {
		c->stop = true;
		pthread_join(c->thread, NULL);
		c->running = false;
	}
	/* Late state changes (FIN_WAIT2 -> CLOSE) follow close() closely. */
	usleep(100 * 1000);
	tracer__drain(c->t);
	if (c->metrics)
		metrics__publish(c->metrics);
	correlator__join_drops(c);
	if (c->timeline)
		why__timeline(c->timeline, &c->conns);
	if (tracer__counts(c->t, &c->tc))
		fprintf(stderr, "tcpscope stress: cannot read the tracer's loss counters\n");
	if (c->poll_err)
		fprintf(stderr, "tcpscope stress: reading the ring buffer: %s\n",
			strerror(-c->poll_err));
	if (c->timeline && (fflush(c->timeline) || ferror(c->timeline))) {
		c->timeline_err = errno ? errno : EIO;
		fprintf(stderr, "tcpscope stress: --timeline %s: %s\n", c->o.timeline,
			strerror(c->timeline_err));
	}
}

int correlator__timeline_append(struct correlator *c, void (*fn)(void *ctx, FILE *f), void *ctx)
{
	if (!c->timeline || c->timeline_err)
		return c->timeline_err ? -c->timeline_err : 0;
	fn(ctx, c->timeline);
	if (fflush(c->timeline) || ferror(c->timeline)) {
		c->timeline_err = errno ? errno : EIO;
		fprintf(stderr, "tcpscope stress: --timeline %s: %s\n", c->o.timeline,
			strerror(c->timeline_err));
		return -c->timeline_err;
	}
	return 0;
}

uint64_t correlator__caps_needed(struct correlator *c)
{
	return tracer__caps_needed(c->t);
}

bool correlator__failed(const struct correlator *c)
{
	return c->timeline_err != 0 || c->poll_err != 0;
}

void correlator__destroy(struct correlator *c)
{
	if (!c)
		return;
	metrics__destroy(c->metrics); /* its thread reads the tracer's counters */
	tracer__destroy(c->t);
	correlator__fini(c);
	free(c);
}
