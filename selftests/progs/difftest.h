/* SPDX-License-Identifier: GPL-2.0 */
/*
 * difftest.h - differential tests of atcp against Linux's TCP: each case
 * runs on TCP sockets, then on sockets of the protocol under test, and
 * records the outcome of each step (an errno name, ret=N, or a note);
 * the two records must be equal.  Header-only, for test_errno.c and
 * test_options.c: the steps' helpers, and the harness that runs the cases
 * (diff_setup(), diff_plan(), diff_run()).  Only 127.0.0.1 is used.
 */
#ifndef ATCP_SELFTEST_DIFFTEST_H
#define ATCP_SELFTEST_DIFFTEST_H

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "tap.h"

#define RES_LEN 600

struct res {
	char s[RES_LEN];
};

static inline const char *errname(int e)
{
	const char *n = strerrorname_np(e);
	static char buf[32];

	if (n)
		return n;
	snprintf(buf, sizeof(buf), "errno%d", e);
	return buf;
}

/* Record one step: call it right after the syscall, errno still fresh. */
static inline void rec(struct res *r, long ret)
{
	int e = errno;
	size_t l = strlen(r->s);

	if (ret < 0)
		snprintf(r->s + l, RES_LEN - l, "%s%s", l ? " " : "", errname(e));
	else
		snprintf(r->s + l, RES_LEN - l, "%sret=%ld", l ? " " : "", ret);
	errno = e;
}

/* Record a note (e.g. a value read back). */
static inline void note(struct res *r, const char *fmt, int v)
{
	size_t l = strlen(r->s);

	if (l)
		r->s[l++] = ' ';
	snprintf(r->s + l, RES_LEN - l, fmt, v);
}

/* Record an errno value read back (SO_ERROR), by name. */
static inline void note_err(struct res *r, const char *label, int e)
{
	size_t l = strlen(r->s);

	snprintf(r->s + l, RES_LEN - l, "%s%s%s", l ? " " : "", label,
		 e ? errname(e) : "0");
}

static inline void setup_fail(const char *what)
{
	tap_bail("setup: %s: %s", what, strerror(errno));
}

static inline int sock(int proto)
{
	int fd = socket(AF_INET, SOCK_STREAM, proto);

	if (fd < 0)
		setup_fail("socket");
	return fd;
}

static inline struct sockaddr_in lo_addr(int port)
{
	struct sockaddr_in sin = {
		.sin_family = AF_INET,
		.sin_port = htons(port),
		.sin_addr.s_addr = htonl(INADDR_LOOPBACK),
	};
	return sin;
}

static inline int local_port(int fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);

	if (getsockname(fd, (struct sockaddr *)&sin, &len))
		setup_fail("getsockname");
	return ntohs(sin.sin_port);
}

/* A socket bound to 127.0.0.1 on an ephemeral port; *port gets the port. */
static inline int bound(int proto, int *port)
{
	struct sockaddr_in sin = lo_addr(0);
	int fd = sock(proto);

	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)))
		setup_fail("bind");
	*port = local_port(fd);
	return fd;
}

static inline int listener(int proto, int *port)
{
	int fd = bound(proto, port);

	if (listen(fd, 8))
		setup_fail("listen");
	return fd;
}

static inline int connect_to(int fd, int port)
{
	struct sockaddr_in sin = lo_addr(port);

	return connect(fd, (struct sockaddr *)&sin, sizeof(sin));
}

/* An established pair: *c connected to *s (accepted); the listener closed. */
static inline void pair(int proto, int *c, int *s)
{
	int port, l = listener(proto, &port);

	*c = sock(proto);
	if (connect_to(*c, port))
		setup_fail("connect");
	*s = accept(l, NULL, NULL);
	if (*s < 0)
		setup_fail("accept");
	close(l);
}

/* Wait until fd reports one of events (or 5 s pass). */
static inline void wait_ev(int fd, short events)
{
	struct pollfd p = { .fd = fd, .events = events };

	poll(&p, 1, 5000);
}

/* A case: the steps, done on a socket of the protocol given, recorded. */
struct diff_case {
	const char *name;
	void (*fn)(int proto, struct res *r);
};

/*
 * Before the plan: the protocol must open a socket, SIGPIPE is ignored,
 * and a socket call that hangs past its alarm() bails out the test.
 */
static inline void diff_setup(int proto)
{
	int fd;

	signal(SIGPIPE, SIG_IGN);
	alarm_exits(1, "Bail out! timeout (a socket call hung)\n", 1);
	fd = socket(AF_INET, SOCK_STREAM, proto);
	if (fd < 0)
		tap_bail("socket(AF_INET, SOCK_STREAM, %d): %s", proto, strerror(errno));
	close(fd);
}

/* The plan of n results, and what is compared with what. */
static inline void diff_plan(int n, int proto)
{
	tap_plan(n);
	tap_diag("comparing tcp (6) with %s (%d)", atcp_proto_name(proto), proto);
}

/*
 * Each case on TCP, then on the protocol under test, within secs seconds:
 * one result a case, which passes if the two records are equal.
 */
static inline void diff_run(const struct diff_case *cases, int n, int proto,
			    unsigned int secs)
{
	for (int i = 0; i < n; i++) {
		struct res a = { "" }, b = { "" };

		alarm(secs);
		cases[i].fn(IPPROTO_TCP, &a);
		cases[i].fn(proto, &b);
		alarm(0);
		tap_result(!strcmp(a.s, b.s), "%s: tcp %s, %s %s", cases[i].name,
			   a.s, atcp_proto_name(proto), b.s);
	}
}

#endif /* ATCP_SELFTEST_DIFFTEST_H */
