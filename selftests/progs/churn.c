// SPDX-License-Identifier: GPL-2.0
/*
 * churn - open and close many connections over loopback, every way a
 * connection can end, and check that each end saw what it should.
 *
 *   churn [-P PROTO] [-n COUNT] [-q QUEUED_ROUNDS]
 *
 * Connection i ends in one of four ways, by i % 4:
 *   0  the client closes first, the server reads EOF and closes
 *      (the client ends in TIME_WAIT)
 *   1  the server closes first, the client reads EOF and closes
 *      (the accepted socket ends in TIME_WAIT)
 *   2  the client aborts (SO_LINGER 0); the server reads ECONNRESET
 *   3  the client sends a byte; the server closes without reading it,
 *      which aborts; the client reads ECONNRESET
 * Then QUEUED_ROUNDS times (default 100): a listener with connections
 * waiting in its accept queue is closed; every waiting client reads
 * ECONNRESET.
 *
 * Everything runs in one thread: on loopback a segment is processed before
 * the system call that sent it returns to user space, or soon after, and
 * every wait below is a blocking call or poll() on the state it needs.
 *
 * Prints a summary line; exit 0 if every step behaved, 1 if not, 2 if a
 * setup call failed.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define QUEUED_PER_ROUND 8
#define WAIT_MS 10000

static int proto;
static unsigned long mismatches;

static void mismatch(unsigned long i, const char *what, long got, int err)
{
	if (mismatches++ < 10)
		fprintf(stderr, "churn: connection %lu: %s (got %ld, %s)\n",
			i, what, got, got < 0 ? strerror(err) : "no error");
}

static int listener(struct sockaddr_in *addr, int backlog)
{
	socklen_t len = sizeof(*addr);
	int fd = socket(AF_INET, SOCK_STREAM, proto);

	if (fd < 0)
		die("socket");
	addr->sin_family = AF_INET;
	addr->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	addr->sin_port = 0;
	if (bind(fd, (struct sockaddr *)addr, sizeof(*addr)) ||
	    listen(fd, backlog) ||
	    getsockname(fd, (struct sockaddr *)addr, &len))
		die("listener");
	return fd;
}

static int connect_to(const struct sockaddr_in *addr)
{
	int fd = socket(AF_INET, SOCK_STREAM, proto);

	if (fd < 0)
		die("socket");
	if (connect(fd, (const struct sockaddr *)addr, sizeof(*addr)))
		die("connect");
	return fd;
}

/* Wait until fd is readable (data, EOF or an error); 0 if it never is. */
static int readable(int fd)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };

	return poll(&p, 1, WAIT_MS) == 1;
}

/* read() one byte; returns its result, with errno in *err. */
static long read_one(int fd, int *err)
{
	char c;
	long n;

	if (!readable(fd)) {
		*err = ETIMEDOUT;
		return -1;
	}
	n = read(fd, &c, 1);
	*err = errno;
	return n;
}

static void expect_eof(unsigned long i, int fd, const char *who)
{
	int err = 0;
	long n = read_one(fd, &err);

	if (n != 0)
		mismatch(i, who, n, err);
}

static void expect_reset(unsigned long i, int fd, const char *who)
{
	int err = 0;
	long n = read_one(fd, &err);

	if (n != -1 || err != ECONNRESET)
		mismatch(i, who, n, err);
}

static void one_connection(unsigned long i, int lfd,
			   const struct sockaddr_in *addr)
{
	struct linger abort_linger = { .l_onoff = 1, .l_linger = 0 };
	int c = connect_to(addr);
	int s = accept(lfd, NULL, NULL);

	if (s < 0)
		die("accept");

	switch (i % 4) {
	case 0:
		close(c);
		expect_eof(i, s, "server: read after the client's close");
		close(s);
		break;
	case 1:
		close(s);
		expect_eof(i, c, "client: read after the server's close");
		close(c);
		break;
	case 2:
		if (setsockopt(c, SOL_SOCKET, SO_LINGER, &abort_linger,
			       sizeof(abort_linger)))
			die("SO_LINGER");
		close(c);
		expect_reset(i, s, "server: read after the client's abort");
		close(s);
		break;
	case 3:
		if (write(c, "x", 1) != 1)
			die("write");
		if (!readable(s))
			mismatch(i, "server: the byte never arrived", -1,
				 ETIMEDOUT);
		close(s);
		expect_reset(i, c, "client: read after close with unread data");
		close(c);
		break;
	}
}

/* A listener closed with connections in its accept queue resets them. */
static void queued_round(unsigned long round)
{
	struct sockaddr_in addr;
	int lfd = listener(&addr, QUEUED_PER_ROUND);
	int c[QUEUED_PER_ROUND];
	int k;

	for (k = 0; k < QUEUED_PER_ROUND; k++)
		c[k] = connect_to(&addr);
	close(lfd);
	for (k = 0; k < QUEUED_PER_ROUND; k++) {
		expect_reset(round, c[k],
			     "queued client: read after its listener closed");
		close(c[k]);
	}
}

int main(int argc, char **argv)
{
	unsigned long count = 10000, rounds = 100, i;
	struct sockaddr_in addr;
	struct timespec t0, t1;
	double secs;
	int lfd, opt;

	proto = atcp_test_proto();
	while ((opt = getopt(argc, argv, "P:n:q:")) != -1) {
		switch (opt) {
		case 'P':
			proto = atoi(optarg);
			break;
		case 'n':
			count = strtoul(optarg, NULL, 0);
			break;
		case 'q':
			rounds = strtoul(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: churn [-P PROTO] [-n COUNT] [-q ROUNDS]\n");
			return 2;
		}
	}

	clock_gettime(CLOCK_MONOTONIC, &t0);
	lfd = listener(&addr, 128);
	for (i = 0; i < count; i++)
		one_connection(i, lfd, &addr);
	close(lfd);
	for (i = 0; i < rounds; i++)
		queued_round(i);
	clock_gettime(CLOCK_MONOTONIC, &t1);

	secs = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("churn: %lu connections and %lu closed accept queues of %d in %.1f s, %lu mismatches\n",
	       count, rounds, QUEUED_PER_ROUND, secs, mismatches);
	return mismatches ? 1 : 0;
}
