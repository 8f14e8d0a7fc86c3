/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The --metrics HTTP/1.0 responder, on a thread of its own: one epoll loop
 * over non-blocking sockets, so that no client, slow or hostile, makes the
 * thread that reads the ring buffer wait. Its bounds: at most max_clients
 * connections at once (a new one closes the oldest), each closed at its
 * deadline (deadline_ms after accept) whatever it has sent or read, and an
 * answer of at most HTTPD_PAGE_MAX bytes.
 */
#ifndef TCPSCOPE_METRICS_HTTPD_H
#define TCPSCOPE_METRICS_HTTPD_H

#include <stdio.h>
#include <sys/socket.h>

#define HTTPD_MAX_CLIENTS 16
#define HTTPD_DEADLINE_MS 2000
#define HTTPD_PAGE_MAX	  (64 << 10)

struct httpd_limits {
	unsigned int max_clients; /* 1 to 255 */
	unsigned int deadline_ms;
};

/* Writes the body of GET /metrics into f; called on the server's thread. */
typedef void (*httpd_page_fn)(void *ctx, FILE *f);

struct httpd;

/* Bind and listen; 0 or -errno. Connections wait in the backlog until
 * httpd__start(). */
int httpd__open(struct httpd **sp, const struct sockaddr_storage *ss, socklen_t len);
/* Serve from a new thread (that blocks every signal) until destroy; lim
 * NULL: the defaults above. 0 or -errno. */
int httpd__start(struct httpd *s, const struct httpd_limits *lim, httpd_page_fn page, void *ctx);
/* The server's own counters as Prometheus text; on its thread (from the
 * page callback), or when it is not running. */
void httpd__write(const struct httpd *s, FILE *f);
/* Stop and join the thread, close every socket. */
void httpd__destroy(struct httpd *s);

#endif
