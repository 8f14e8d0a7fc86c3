/* SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause */
/*
 * The load engine behind `tcpscope stress`: one epoll loop per worker thread,
 * spread over worker processes when one process may not hold enough
 * descriptors. stress_run() is the programmatic entry; cmd_stress() only
 * parses the command line into struct stress_opts.
 */
#ifndef TCPSCOPE_STRESS_H
#define TCPSCOPE_STRESS_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include "lib/hist.h"
#include "lib/netutil.h"
#include "load/framing.h"
#include "load/sockopt.h"

enum stress_mode { STRESS_HOLD, STRESS_CHURN, STRESS_RR };

enum close_kind {
	CLOSE_NONE = 0,	 /* never established: see err */
	CLOSE_FIN = 1,	 /* we closed with FIN */
	CLOSE_RST = 2,	 /* we closed with RST (SO_LINGER 0) */
	CLOSE_PEER = 3,	 /* the peer closed first (FIN), we closed after */
	CLOSE_ERROR = 4, /* an error after establishment (err: ECONNRESET, ...) */
};

struct conn_addr {
	uint8_t addr[16]; /* IPv4 in the first 4 bytes */
	uint16_t port;	  /* host byte order */
	uint8_t family;	  /* 4 or 6, 0 when unknown */
};

/* Everything stress knows about one connection, handed to on_conn_done. */
struct conn_record {
	uint64_t cookie;	   /* SO_COOKIE, read right after socket() */
	uint64_t t_connect_ns;	   /* CLOCK_MONOTONIC, just before connect() */
	uint64_t t_established_ns; /* 0 if never established */
	uint64_t t_close_ns;
	struct conn_addr local;
	struct conn_addr remote;
	int32_t err;	    /* positive errno of the failure, 0 if none */
	uint8_t close_kind; /* enum close_kind */
	struct {
		uint8_t valid; /* a TCP_INFO poll succeeded before close */
		uint64_t t_ns; /* CLOCK_MONOTONIC, when getsockopt returned */
		uint8_t state; /* tcpi_state */
		uint32_t total_retrans;
		uint32_t rtt_us;
		uint32_t rttvar_us;
		uint32_t snd_cwnd;
	} last_info; /* the last poll, taken just before close */
};

/*
 * Optional callbacks for a tracer. Both are called from worker threads,
 * concurrently from several of them: they must be thread-safe and fast (they
 * run on the hot path of an epoll loop). NULL members are skipped.
 *  - on_socket: right after socket() and SO_COOKIE, before connect(); also
 *    for each socket the built-in server accepts (with its cookie).
 *  - on_conn_done: after the last TCP_INFO poll and close(), and for every
 *    failed attempt (close_kind CLOSE_NONE, err set). Not called for the
 *    built-in server's sockets.
 * Hooks are not supported when the run spreads over several processes:
 * stress_run() then fails with -EOPNOTSUPP and says so on stderr.
 */
struct stress_hooks {
	void *ctx;
	void (*on_socket)(void *ctx, uint64_t cookie);
	void (*on_conn_done)(void *ctx, const struct conn_record *rec);
	/* The built-in server's bound address, before the first connect()
	 * (called once, from the calling thread). */
	void (*on_listen)(void *ctx, const struct sockaddr_storage *addr);
	/* on_conn_done reads rec->local: a getsockname() per connection,
	 * which a hook that names connections by cookie does without. */
	bool want_local;
};

#define STRESS_MAX_SOURCES 64

/* Where a run's source addresses came from. */
enum source_plan {
	SOURCES_NONE = 0,    /* the kernel's choice (no bind) */
	SOURCES_GIVEN = 1,   /* --source */
	SOURCES_COUNT = 2,   /* loopback: as many 127.0.0.x as -c needs ports */
	SOURCES_RATE = 3,    /* loopback FIN churn: as many as the rate needs (TIME_WAIT) */
	SOURCES_WORKERS = 4, /* built-in server: one per worker, each to its own listener */
};

struct stress_opts {
	enum stress_mode mode;
	bool has_target; /* false: the built-in server on 127.0.0.1 */
	struct sockaddr_storage target;
	socklen_t target_len;
	int server_mode; /* built-in server: enum server_mode */
	uint64_t conns;	 /* hold, rr: -c */
	uint64_t rate;	 /* connections per second, 0: as fast as possible */
	uint64_t duration_ns;
	uint64_t count;	      /* churn: stop after this many, 0: no limit */
	uint64_t concurrency; /* churn: in flight at most */
	uint64_t size;	      /* churn, rr: bytes per exchange (the echo) */
	/* --request, --response: the bytes sent per transaction (the
	 * caller's, kept for the run) and where the response ends; request
	 * NULL: the --size echo. */
	const uint8_t *request;
	size_t request_len;
	struct framing framing;
	int close_kind;		   /* CLOSE_FIN or CLOSE_RST */
	int threads;		   /* per process, 0: one per core */
	int procs;		   /* 0: as many as the descriptor limit needs */
	uint64_t poll_interval_ns; /* TCP_INFO of every live connection */
	struct sockopts so;
	struct sockaddr_storage sources[STRESS_MAX_SOURCES];
	int nsources;
	bool progress; /* live line on stderr */
};

/* TCP_INFO aggregated over every poll and over the last poll of each
 * connection (taken before close). */
struct tcpinfo_agg {
	uint64_t polls;
	uint64_t poll_errors;
	struct hist rtt_us;	 /* every poll */
	struct hist last_rtt_us; /* last poll per connection */
	struct hist last_cwnd;	 /* last poll per connection, segments */
	uint64_t total_retrans;	 /* sum of the last tcpi_total_retrans */
	uint64_t conns_with_retrans;
	uint64_t max_retrans; /* largest per connection */
};

/* Counters of one worker thread; merged into struct stress_result. */
struct stress_counts {
	uint64_t attempted;
	uint64_t established;
	uint64_t failed;
	uint64_t closed;
	uint64_t peer_closed; /* closed first by the peer (FIN or RST) */
	uint64_t bytes_sent;
	uint64_t bytes_received;
	uint64_t transactions;
	uint64_t verify_errors;
	uint64_t cut_short;		/* exchanges in progress when the run ended */
	uint64_t cut_connecting;	/* attempts still connecting when the run ended */
	uint64_t http_status[6];	/* complete HTTP responses by class: [2] is 2xx */
	uint64_t resp_errors[RERR_MAX]; /* responses that were not one, by reason */
	uint64_t reopened;		/* rr: connections the server closed after a
					 * response (Connection: close), opened again */
	uint64_t source_switches;
	uint64_t launch_end_ns; /* when this worker launched its last attempt */
	uint64_t in_flight;	/* live connections, for progress */
};

struct stress_result {
	struct stress_counts c;
	struct errcount errors;
	struct hist connect_ns;
	struct hist rr_ns;
	struct tcpinfo_agg ti;
	uint64_t duration_ns;
	uint64_t launch_ns;   /* first to last attempt */
	double rate_achieved; /* attempts per second over launch_ns */
	int procs;
	int threads;
	int nsources;	 /* source addresses in use (0: kernel's choice) */
	int source_plan; /* enum source_plan: where they came from */
	struct sockaddr_storage sources[STRESS_MAX_SOURCES];
	uint64_t source_attempts[STRESS_MAX_SOURCES]; /* sockets bound to each */
	long nofile;				      /* RLIMIT_NOFILE soft limit after raising */
	bool interrupted;			      /* SIGINT/SIGTERM */
	bool hit_duration; /* the run was stopped by its --duration bound */
	bool hit_addrnotavail;
	char target[FMT_ADDR_LEN];
	uint64_t server_accepted; /* built-in server */
};

void stress_opts__init(struct stress_opts *o);
/* Run to completion (or until SIGINT/SIGTERM: `exiting`). 0, or -errno with
 * a message on stderr. hooks may be NULL. */
int stress_run(const struct stress_opts *o, const struct stress_hooks *hooks,
	       struct stress_result *res);
void stress_result__print_text(const struct stress_opts *o, const struct stress_result *r, FILE *f);
struct jw;
/* extra, if not NULL, adds members to the object (stress --trace). */
void stress_result__print_json(const struct stress_opts *o, const struct stress_result *r, FILE *f,
			       void (*extra)(void *ctx, struct jw *w), void *ctx);
const char *stress_mode_name(int mode);
/* Does the run make transactions (rr, churn with --size or --request)? */
bool stress_opts__exchanges(const struct stress_opts *o);
/* Response errors, summed over their reasons. */
uint64_t stress_counts__resp_errors(const struct stress_counts *c);
const char *stress_source_plan_name(int plan);

#endif
