// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>
#include "lib/netutil.h"
#include "lib/util.h"

#ifndef SO_COOKIE
#define SO_COOKIE 57
#endif

/* glibc's inet_ntop() formats IPv4 through sprintf(): 40% of the
 * instructions of a text event (callgrind, bench/cost.sh). */
static bool ipv4_format(char *buf, size_t len, const uint8_t *a)
{
	char tmp[INET_ADDRSTRLEN], *p = tmp;
	int i;

	for (i = 0; i < 4; i++) {
		if (a[i] >= 100)
			*p++ = (char)('0' + a[i] / 100);
		if (a[i] >= 10)
			*p++ = (char)('0' + a[i] / 10 % 10);
		*p++ = (char)('0' + a[i] % 10);
		*p++ = i < 3 ? '.' : '\0';
	}
	if ((size_t)(p - tmp) > len)
		return false;
	memcpy(buf, tmp, (size_t)(p - tmp));
	return true;
}

static bool is_v6(unsigned int family)
{
	return family == 6 || family == AF_INET6;
}

void addr_format(char *buf, size_t len, unsigned int family, const uint8_t *addr)
{
	if (!is_v6(family) && ipv4_format(buf, len, addr))
		return;
	if (!inet_ntop(is_v6(family) ? AF_INET6 : AF_INET, addr, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

void endpoint_text(char *buf, size_t len, const char *addr, unsigned int port)
{
	snprintf(buf, len, strchr(addr, ':') ? "[%s]:%u" : "%s:%u", addr, port);
}

void endpoint_format(char *buf, size_t len, unsigned int family, const uint8_t *addr, uint16_t port)
{
	char a[INET6_ADDRSTRLEN];

	addr_format(a, sizeof(a), family, addr);
	endpoint_text(buf, len, a, port);
}

const char *fmt_sockaddr(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)ss;

	if (ss->ss_family == AF_INET)
		endpoint_format(buf, len, AF_INET, (const uint8_t *)&sin->sin_addr,
				ntohs(sin->sin_port));
	else if (ss->ss_family == AF_INET6)
		endpoint_format(buf, len, AF_INET6, sin6->sin6_addr.s6_addr,
				ntohs(sin6->sin6_port));
	else
		snprintf(buf, len, "-");
	return buf;
}

int socket_cookie(int fd, uint64_t *cookie)
{
	socklen_t len = sizeof(*cookie);

	if (getsockopt(fd, SOL_SOCKET, SO_COOKIE, cookie, &len))
		return -errno;
	return 0;
}

long raise_nofile_limit(void)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		return -errno;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl))
			return -errno;
	}
	return rl.rlim_cur > (rlim_t)INT32_MAX ? INT32_MAX : (long)rl.rlim_cur;
}

int online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n < 1 ? 1 : (int)n;
}

void errcount__add(struct errcount *e, int err)
{
	if (err < 0)
		err = -err;
	if (err <= 0 || err >= ERRNO_SLOTS)
		err = ERRNO_SLOTS - 1;
	CNT_ADD(e->n[err], 1);
}

void errcount__merge(struct errcount *dst, const struct errcount *src)
{
	int i;

	for (i = 0; i < ERRNO_SLOTS; i++)
		dst->n[i] += CNT_READ(src->n[i]);
}

uint64_t errcount__total(const struct errcount *e)
{
	uint64_t t = 0;
	int i;

	for (i = 0; i < ERRNO_SLOTS; i++)
		t += CNT_READ(e->n[i]);
	return t;
}

static const char *slot_name(int i)
{
	return i == ERRNO_SLOTS - 1 ? "other" : errno_name(i);
}

void errcount__json(const struct errcount *e, struct jw *w, const char *key)
{
	int i;

	jw_obj_open(w, key);
	for (i = 1; i < ERRNO_SLOTS; i++)
		if (e->n[i])
			jw_u64(w, slot_name(i), e->n[i]);
	jw_obj_close(w);
}

void errcount__text(const struct errcount *e, FILE *f)
{
	int i, any = 0;

	for (i = 1; i < ERRNO_SLOTS; i++) {
		if (!e->n[i])
			continue;
		fprintf(f, "%s%s %" PRIu64, any ? ", " : "", slot_name(i), e->n[i]);
		any = 1;
	}
	if (!any)
		fprintf(f, "none");
}
