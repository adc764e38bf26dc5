/* SPDX-License-Identifier: GPL-2.0 */
/*
 * util.h - what every program in selftests/progs/ shares: the protocol
 * under test, the options atcp has, die(), and the alarm that bounds a
 * run.  Header-only: every function is static inline.
 *
 * The protocol comes from the environment variable ATCP_PROTO (default
 * IPPROTO_ATCP, 253; 6 selects Linux's TCP so that a test can be
 * validated without the module); a program's -P option overrides it.
 *
 * die() names the program by program_invocation_short_name: build with
 * _GNU_SOURCE before any include, as every program here does.
 */
#ifndef ATCP_SELFTEST_UTIL_H
#define ATCP_SELFTEST_UTIL_H

#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/tcp.h>

#ifndef IPPROTO_ATCP
#define IPPROTO_ATCP 253
#endif

/* The IP protocol under test: $ATCP_PROTO, default IPPROTO_ATCP. */
static inline int atcp_test_proto(void)
{
	const char *s = getenv("ATCP_PROTO");
	char *end;
	long v;

	if (!s || !*s)
		return IPPROTO_ATCP;
	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || *end || v <= 0 || v > 255) {
		fprintf(stderr, "bad ATCP_PROTO '%s'\n", s);
		exit(1);
	}
	return (int)v;
}

/* "atcp" or "tcp", for messages. */
static inline const char *atcp_proto_name(int proto)
{
	return proto == 6 ? "tcp" : "atcp";
}

/*
 * Whether atcp has the SOL_TCP option NAME (module/socket.c, SPEC 9), for
 * getsockopt() when GET, else for setsockopt(): TCP_INFO and TCP_CC_INFO
 * are only read.
 */
static inline int atcp_has_option(int name, int get)
{
	switch (name) {
	case TCP_NODELAY: case TCP_MAXSEG: case TCP_CORK: case TCP_KEEPIDLE:
	case TCP_KEEPINTVL: case TCP_KEEPCNT: case TCP_SYNCNT: case TCP_LINGER2:
	case TCP_DEFER_ACCEPT: case TCP_WINDOW_CLAMP: case TCP_QUICKACK:
	case TCP_CONGESTION: case TCP_THIN_DUPACK: case TCP_USER_TIMEOUT:
	case TCP_TIMESTAMP: case TCP_NOTSENT_LOWAT: case TCP_INQ:
		return 1;
	case TCP_INFO: case TCP_CC_INFO:
		return get;
	}
	return 0;
}

/*
 * What die() and dief() put before their message: the program's name
 * unless the program sets another (closer and xfer say which end).
 */
static const char *die_prefix;

/* "PREFIX: WHAT: strerror(errno)" on stderr, then exit status 2. */
static inline void __attribute__((noreturn)) die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n",
		die_prefix ? die_prefix : program_invocation_short_name,
		what, strerror(errno));
	exit(2);
}

/* "PREFIX: message" on stderr, then exit status 2. */
static inline void __attribute__((noreturn, format(printf, 1, 2)))
dief(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ",
		die_prefix ? die_prefix : program_invocation_short_name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

/*
 * The alarm that bounds a run: once alarm() fires, write the message to
 * the descriptor and _exit() with the status (from a signal handler, so
 * nothing is flushed).
 */
static const char *alarm_msg;
static int alarm_fd, alarm_status;

static inline void alarm_handler(int sig)
{
	(void)sig;
	if (write(alarm_fd, alarm_msg, strlen(alarm_msg)) < 0)
		_exit(alarm_status);
	_exit(alarm_status);
}

/* From now on SIGALRM writes MSG to FD and exits with STATUS. */
static inline void alarm_exits(int fd, const char *msg, int status)
{
	alarm_fd = fd;
	alarm_msg = msg;
	alarm_status = status;
	signal(SIGALRM, alarm_handler);
}

#endif /* ATCP_SELFTEST_UTIL_H */
