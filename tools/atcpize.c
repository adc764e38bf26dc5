// SPDX-License-Identifier: GPL-2.0
/*
 * libatcpize.so - run an unmodified program over atcp: its TCP sockets
 * become atcp sockets.  Loaded by tools/atcpize through LD_PRELOAD.
 *
 * socket(AF_INET, SOCK_STREAM[|flags], 0 or IPPROTO_TCP) is created with
 * protocol $ATCP_PROTO (default 253, IPPROTO_ATCP) instead; every other
 * socket is left alone.  If the kernel has no atcp (the module is not
 * loaded), the call fails with the kernel's error, unless
 * ATCPIZE_FALLBACK=1, which falls back to TCP with a warning on stderr.
 * AF_INET6 sockets stay TCP: atcp is IPv4 only, so bind and connect such
 * programs to IPv4 addresses.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef IPPROTO_ATCP
#define IPPROTO_ATCP 253
#endif

typedef int (*socket_fn)(int, int, int);

static int atcp_protocol(void)
{
	const char *p = getenv("ATCP_PROTO");
	int proto = p ? atoi(p) : 0;

	return proto > 0 && proto < 256 ? proto : IPPROTO_ATCP;
}

int socket(int domain, int type, int protocol)
{
	static socket_fn real_socket;
	const char *fallback;
	int fd, err;

	if (!real_socket) {
		real_socket = (socket_fn)dlsym(RTLD_NEXT, "socket");
		if (!real_socket) {
			errno = ENOSYS;
			return -1;
		}
	}
	if (domain != AF_INET || (type & 0xf) != SOCK_STREAM ||
	    (protocol != 0 && protocol != IPPROTO_TCP))
		return real_socket(domain, type, protocol);

	fd = real_socket(domain, type, atcp_protocol());
	if (fd >= 0)
		return fd;
	err = errno;
	fallback = getenv("ATCPIZE_FALLBACK");
	if (fallback && !strcmp(fallback, "1") &&
	    (err == EPROTONOSUPPORT || err == ESOCKTNOSUPPORT)) {
		static int warned;

		if (!warned++)
			fprintf(stderr, "atcpize: no atcp (%s): using TCP\n",
				strerror(err));
		return real_socket(domain, type, protocol);
	}
	errno = err;
	return -1;
}
