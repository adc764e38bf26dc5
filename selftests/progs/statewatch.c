// SPDX-License-Identifier: GPL-2.0
/*
 * statewatch - how long a closed connection stays in TIME_WAIT or in
 * FIN_WAIT_2, as /proc/net/atcp shows it.
 *
 *   statewatch [-P PROTO] [-l LINGER2_S] time-wait|fin-wait-2
 *
 * Makes one connection over 127.0.0.1 in the current namespace.  The client
 * closes first.  time-wait: the server reads EOF and closes, so the client
 * ends in TIME_WAIT.  fin-wait-2: the server keeps its end open, so the
 * closed client waits in FIN_WAIT_2 until its timeout (-l sets TCP_LINGER2
 * on the client first).  The client's line in /proc/net/atcp is read every
 * POLL_US microseconds; prints the time from the first read that shows the
 * state to the first that shows the line gone:
 *
 *   statewatch: TIME_WAIT 1034 ms client 127.0.0.1:40312 server 127.0.0.1:35001
 *
 * A read is late by at most one polling interval plus the time to get the
 * CPU back, at both ends, so the printed length is the state's length
 * within that.  Exit: 0 measured, 2 a system call failed, 3 the state was
 * not seen, or did not end, within 30 s.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define POLL_US 1000
#define GIVE_UP_MS 30000
#define STATE_FIN_WAIT2 5
#define STATE_TIME_WAIT 6

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/*
 * The state of the connection from lport to rport in /proc/net/atcp (or
 * /proc/net/tcp for PROTO 6), or -1 if it has no line.
 */
static int conn_state(const char *path, unsigned int lport, unsigned int rport)
{
	static char buf[1 << 16];
	unsigned int lp, rp, st;
	char *line, *save;
	ssize_t n;
	int fd;

	fd = open(path, O_RDONLY);
	if (fd < 0)
		die(path);
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		die(path);
	buf[n] = '\0';
	for (line = strtok_r(buf, "\n", &save); line;
	     line = strtok_r(NULL, "\n", &save)) {
		if (sscanf(line, " %*u: %*x:%x %*x:%x %x", &lp, &rp, &st) == 3 &&
		    lp == lport && rp == rport)
			return st;
	}
	return -1;
}

int main(int argc, char **argv)
{
	struct sockaddr_in srv = { .sin_family = AF_INET };
	struct sockaddr_in cli;
	socklen_t len = sizeof(srv);
	int proto, linger2 = 0, want, opt, lfd, c, s, st;
	const char *path, *name;
	double t0, seen = 0, gone = 0;
	char byte;

	proto = atcp_test_proto();
	while ((opt = getopt(argc, argv, "P:l:")) != -1) {
		switch (opt) {
		case 'P':
			proto = atoi(optarg);
			break;
		case 'l':
			linger2 = atoi(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (optind != argc - 1)
		goto usage;
	if (!strcmp(argv[optind], "time-wait")) {
		want = STATE_TIME_WAIT;
		name = "TIME_WAIT";
	} else if (!strcmp(argv[optind], "fin-wait-2")) {
		want = STATE_FIN_WAIT2;
		name = "FIN_WAIT_2";
	} else {
		goto usage;
	}
	path = proto == IPPROTO_TCP ? "/proc/net/tcp" : "/proc/net/atcp";

	srv.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	lfd = socket(AF_INET, SOCK_STREAM, proto);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&srv, sizeof(srv)) ||
	    listen(lfd, 1) || getsockname(lfd, (struct sockaddr *)&srv, &len))
		die("listener");
	c = socket(AF_INET, SOCK_STREAM, proto);
	if (c < 0 || connect(c, (struct sockaddr *)&srv, sizeof(srv)))
		die("connect");
	len = sizeof(cli);
	if (getsockname(c, (struct sockaddr *)&cli, &len))
		die("getsockname");
	s = accept(lfd, NULL, NULL);
	if (s < 0)
		die("accept");
	close(lfd);
	if (linger2 && setsockopt(c, IPPROTO_TCP, TCP_LINGER2, &linger2,
				  sizeof(linger2)))
		die("TCP_LINGER2");

	close(c);
	if (want == STATE_TIME_WAIT) {
		if (read(s, &byte, 1) != 0)
			die("server: read to EOF");
		close(s);
	}

	t0 = now_ms();
	for (;;) {
		double t = now_ms();

		st = conn_state(path, ntohs(cli.sin_port), ntohs(srv.sin_port));
		if (!seen && st == want)
			seen = t;
		if (seen && st != want) {
			gone = t;
			break;
		}
		if (t - t0 > GIVE_UP_MS)
			break;
		usleep(POLL_US);
	}
	if (want == STATE_FIN_WAIT2)
		close(s);
	if (!gone) {
		fprintf(stderr, "statewatch: %s %s within %d ms\n", name,
			seen ? "did not end" : "never seen", GIVE_UP_MS);
		return 3;
	}
	printf("statewatch: %s %.0f ms client 127.0.0.1:%u server 127.0.0.1:%u\n",
	       name, gone - seen, ntohs(cli.sin_port), ntohs(srv.sin_port));
	return 0;

usage:
	fprintf(stderr, "usage: statewatch [-P PROTO] [-l LINGER2_S] time-wait|fin-wait-2\n");
	return 2;
}
