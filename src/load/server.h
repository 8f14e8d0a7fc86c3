/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/* The target of a stress test: one epoll loop per thread, each on its own
 * SO_REUSEPORT listener. Used by `tcpscope server` and by stress's built-in
 * server (in threads, or in worker processes). */
#ifndef TCPSCOPE_SERVER_H
#define TCPSCOPE_SERVER_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include "lib/netutil.h"

struct stress_hooks;

enum server_mode { SERVER_ECHO, SERVER_SINK, SERVER_SOURCE, SERVER_CLOSE, SERVER_RESET };

/* One per thread; written by that thread only (CNT_ADD), read by anyone. */
struct server_stats {
	uint64_t accepted;
	uint64_t closed;
	uint64_t bytes_in;
	uint64_t bytes_out;
	struct errcount errors;
};

struct server_opts {
	int mode;
	int backlog;
	const struct stress_hooks *hooks; /* on_socket for accepted sockets */
	int pin_ncpu; /* server__start: pin thread i near its CPUs (server__steer_by_cpu); 0: no */
};

struct server;

const char *server_mode_name(int mode);
int server_mode_parse(const char *s);
/* n listeners on addr, all SO_REUSEPORT on one port (port 0: the first picks
 * it). *bound gets the address. 0 or -errno (fds closed on failure). */
int server__listen(const struct sockaddr_storage *addr, int backlog, int n, int *fds,
		   struct sockaddr_storage *bound);
/* Steer each connection of the group of fds[0] (n listeners) to the
 * listener of the CPU that received its SYN: listener cpu % n, or when n >
 * ncpu, one at random among the listeners cpu, cpu + ncpu, ... (a CBPF
 * program). 0 or -errno; on failure the kernel's 4-tuple hash stays. */
int server__steer_by_cpu(int lfd, int n, int ncpu);
/* Whether server__steer_by_cpu gives connections received on cpu to
 * listener i (of n): the CPUs its thread is pinned to. */
bool server__cpu_serves(int cpu, int i, int n, int ncpu);
/* One thread per listener fd, each counting into stats[i]. Takes ownership of
 * the fds. */
int server__start(const struct server_opts *o, int n, const int *fds, struct server_stats *stats,
		  struct server **out);
/* The server of one listener inside someone else's epoll loop (stress's
 * workers): the listener is added to epfd with data.ptr NULL, accepted
 * sockets with their own pointers; every event whose pointer is not the
 * caller's goes to server__event(), and server__tick() runs once per loop.
 * Takes ownership of lfd (also on failure). 0 or -errno. */
int server__embed(const struct server_opts *o, int lfd, int epfd, struct server_stats *stats,
		  struct server **out);
void server__event(struct server *s, void *ptr, uint32_t events);
void server__tick(struct server *s);
/* Close every accepted socket and the listener, free (not epfd). NULL-safe. */
void server__embed_end(struct server *s);
/* Stop the threads, close every socket, free. NULL-safe. */
void server__stop(struct server *s);
/* Sum of per-thread stats. */
void server_stats__sum(const struct server_stats *st, int n, struct server_stats *out);

/* tcpscope server: argv[0] is "server". Returns the exit code. */
int cmd_server(int argc, char **argv);

#endif
