// SPDX-License-Identifier: GPL-2.0 OR BSD-3-Clause
/* Addresses: CIDRs (and matching against them), HOST:PORT splitting and
 * numeric socket addresses. */
#include <netinet/in.h>
#include "fuzz.h"
#include "lib/parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char host[256], port[8];
	struct sockaddr_storage ss;
	struct cidr c;
	socklen_t len;
	char *s = fuzz_cstr(data, size);

	if (!s)
		return 0;
	if (!parse_cidr(s, &c)) {
		if ((c.family != 4 && c.family != 6) || c.prefix > (c.family == 4 ? 32 : 128))
			abort();
		if (!cidr_match(&c, c.family, c.addr))
			abort(); /* a network holds its own address */
	}
	if (!parse_hostport(s, host, sizeof(host), port, sizeof(port))) {
		if (!memchr(host, 0, sizeof(host)) || !memchr(port, 0, sizeof(port)) || !*host)
			abort();
	}
	if (!parse_sockaddr(s, size & 1, &ss, &len)) {
		if (ss.ss_family == AF_INET    ? len != sizeof(struct sockaddr_in)
		    : ss.ss_family == AF_INET6 ? len != sizeof(struct sockaddr_in6)
					       : 1)
			abort();
	}
	free(s);
	return 0;
}
