// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/*
 * bench/floor: attach bench/floor.bpf.c's do-nothing programs and hold them
 * until SIGINT or SIGTERM.
 *   floor OBJ [--twins] [--no-owner]
 * One program per tracepoint, or two with --twins (tcpscope runs a primary
 * and its rescue twin on each); --no-owner leaves out sock_send_length and
 * sock_recv_length, which tcpscope attaches only for owner attribution
 * (always, where the kernel has them). Prints "attached N" once attached.
 */
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <bpf/libbpf.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static bool wanted(const char *name, bool twins, bool owner)
{
	size_t n = strlen(name);

	if (!twins && n > 2 && !strcmp(name + n - 2, "_2"))
		return false;
	return owner || strncmp(name, "f_owner_", 8);
}

int main(int argc, char **argv)
{
	bool twins = false, owner = true;
	struct bpf_object *obj;
	struct bpf_program *p;
	int i, n = 0;

	for (i = 2; i < argc; i++) {
		if (!strcmp(argv[i], "--twins"))
			twins = true;
		else if (!strcmp(argv[i], "--no-owner"))
			owner = false;
		else
			argc = 0;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: floor OBJ [--twins] [--no-owner]\n");
		return 2;
	}
	obj = bpf_object__open_file(argv[1], NULL);
	if (!obj) {
		fprintf(stderr, "floor: cannot open %s\n", argv[1]);
		return 1;
	}
	bpf_object__for_each_program(p, obj)
	    bpf_program__set_autoload(p, wanted(bpf_program__name(p), twins, owner));
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
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	printf("attached %d\n", n);
	fflush(stdout);
	while (!stop)
		pause();
	bpf_object__close(obj);
	return 0;
}
