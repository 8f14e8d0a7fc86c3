// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * bench/floor: attach bench/floor.bpf.c's do-nothing programs and hold them
 * until SIGINT or SIGTERM.
 *   floor OBJ [--twins] [--no-owner] [--ring | --perf]
 * One program per tracepoint, or two with --twins (tcpscope runs a primary
 * and its rescue twin on each); --no-owner leaves out sock_send_length and
 * sock_recv_length, which tcpscope attaches only for owner attribution
 * (always, where the kernel has them). --ring: where tcpscope emits an
 * event per hit, the program writes a record of an event's size to a ring
 * buffer, which this process reads as tcpscope's tracer does (woken per
 * 256 KiB, else every 50 ms) and counts; --perf: the same record through a
 * perf buffer per CPU (woken per 256 KiB of records, else every 50 ms).
 * Prints "attached N" once attached and, with either, "records N" at the
 * end.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/perf_event.h>
#include <bpf/libbpf.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static bool ends_with(const char *s, const char *tail)
{
	size_t n = strlen(s), t = strlen(tail);

	return n > t && !strcmp(s + n - t, tail);
}

enum mode { BARE, RING, PERF };

static int on_record(void *ctx, void *data, size_t size)
{
	(void)data;
	(void)size;
	++*(unsigned long long *)ctx;
	return 0;
}

/* A base program gives way to its record variant under --ring or --perf. */
static bool wanted(struct bpf_object *obj, const char *name, bool twins, bool owner, enum mode mode)
{
	char r[128];

	if (ends_with(name, "_2"))
		return twins;
	if (ends_with(name, "_r"))
		return mode == RING;
	if (ends_with(name, "_p"))
		return mode == PERF;
	snprintf(r, sizeof(r), "%s_r", name);
	if (mode != BARE && bpf_object__find_program_by_name(obj, r))
		return false;
	return owner || strncmp(name, "f_owner_", 8);
}

/* Per CPU 4 MiB, woken per 256 KiB waiting (watermark), as the ring. */
#define PERF_PAGES 1024

static struct perf_event_attr perf_attr = {
	.type = PERF_TYPE_SOFTWARE,
	.config = PERF_COUNT_SW_BPF_OUTPUT,
	.sample_type = PERF_SAMPLE_RAW,
	.watermark = 1,
	.wakeup_watermark = 256 << 10,
};

static enum bpf_perf_event_ret on_perf_raw(void *ctx, int cpu, struct perf_event_header *h)
{
	(void)cpu;
	if (h->type == PERF_RECORD_SAMPLE)
		on_record(ctx, h, h->size);
	return LIBBPF_PERF_EVENT_CONT;
}

int main(int argc, char **argv)
{
	bool twins = false, owner = true;
	enum mode mode = BARE;
	unsigned long long records = 0;
	struct ring_buffer *rb = NULL;
	struct perf_buffer *pb = NULL;
	struct bpf_object *obj;
	struct bpf_program *p;
	int i, n = 0;

	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--twins"))
			twins = true;
		else if (!strcmp(argv[i], "--no-owner"))
			owner = false;
		else if (!strcmp(argv[i], "--ring"))
			mode = RING;
		else if (!strcmp(argv[i], "--perf"))
			mode = PERF;
		else
			argc = 0;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: floor OBJ [--twins] [--no-owner] [--ring | --perf]\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "floor: cannot open %s\n", argv[1]);
		return 1;
	}
	bpf_object__for_each_program(p, obj)
	    bpf_program__set_autoload(p, wanted(obj, bpf_program__name(p), twins, owner, mode));
	if (bpf_object__load(obj)) {
		fprintf(stderr, "floor: the kernel refused the programs\n");
		return 1;
	}
	bpf_object__for_each_program(p, obj)
	{
		if (!bpf_program__autoload(p))
			continue;
		if (!bpf_program__attach(p)) {
			fprintf(stderr, "floor: cannot attach %s\n", bpf_program__name(p));
			return 1;
		}
		n++;
	}
	if (mode == RING)
		rb = ring_buffer__new(bpf_map__fd(bpf_object__find_map_by_name(obj, "ring")),
				      on_record, &records, NULL);
	if (mode == PERF)
		pb = perf_buffer__new_raw(bpf_map__fd(bpf_object__find_map_by_name(obj, "perf")),
					  PERF_PAGES, &perf_attr, on_perf_raw, &records, NULL);
	if (mode != BARE && !rb && !pb) {
		fprintf(stderr, "floor: cannot read the %s buffer\n",
			mode == RING ? "ring" : "perf");
		return 1;
	}
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("attached %d\n", n);
	fflush(stdout);
	while (!stop) {
		/* The wakeup rules leave up to 256 KiB waiting: take it too. */
		if (rb) {
			ring_buffer__poll(rb, 50);
			ring_buffer__consume(rb);
		} else if (pb) {
			perf_buffer__poll(pb, 50);
			perf_buffer__consume(pb);
		} else {
			pause();
		}
	}
	if (rb) {
		ring_buffer__consume(rb);
		ring_buffer__free(rb);
	}
	if (pb) {
		perf_buffer__consume(pb);
		perf_buffer__free(pb);
	}
	if (mode != BARE)
		printf("records %llu\n", records);
	bpf_object__close(obj);
	return 0;
}
