// SPDX-License-Identifier: GPL-2.0
/*
 * procwatch - when TIME_WAIT and FIN_WAIT_2 minisockets come and go, as
 * /proc/net/tcp (or /proc/net/atcp) shows them.
 *
 *   procwatch [-P PROTO] -p PORT [-M FILE] [-i MS] [-t SECS]
 *
 * Linux TCP has no tracepoint for its minisockets: a socket that enters
 * TIME_WAIT, or an orphan that waits in FIN_WAIT_2 for less than 60 s, is
 * replaced by one (the socket itself goes to CLOSE), whose expiry nothing
 * reports.  procwatch reads the table of the current namespace every MS
 * milliseconds (default 5) and writes one line for each minisocket on
 * PORT (local or remote) that appears, changes state or goes:
 *
 *   procwatch tcp: 127.0.0.1:40312 127.0.0.1:35001 TIME_WAIT
 *   procwatch tcp: 127.0.0.1:40312 127.0.0.1:35001 gone
 *
 * (local address first), each with one write() to FILE (default stdout),
 * e.g. a tracefs instance's trace_marker, which timestamps it.  A line is
 * late by at most the polling interval plus the time to get the CPU back.
 * A minisocket is a line of the short format of /proc/net/tcp (what
 * get_timewait4_sock() writes) in state FIN_WAIT2 or TIME_WAIT.
 *
 * Runs until SIGTERM or SIGINT, or SECS seconds (default 60); exit 0, or
 * 2 if the table cannot be read.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

#define MAX_ENTRIES 256

struct entry {
	unsigned int laddr, raddr, lport, rport, state;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const char *state_name(unsigned int st)
{
	return st == 5 ? "FIN_WAIT2" : st == 6 ? "TIME_WAIT" : "?";
}

static void addr_str(char *buf, size_t n, unsigned int a, unsigned int port)
{
	/* /proc/net/tcp prints the address as a host-order word. */
	snprintf(buf, n, "%u.%u.%u.%u:%u", a & 255, (a >> 8) & 255,
		 (a >> 16) & 255, a >> 24, port);
}

static int read_table(const char *path, int port, struct entry *e)
{
	char line[512];
	int n = 0;
	FILE *f = fopen(path, "r");

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f) && n < MAX_ENTRIES) {
		struct entry x;
		char rest[512];
		int fields;

		if (sscanf(line, " %*d: %8X:%4X %8X:%4X %2X", &x.laddr,
			   &x.lport, &x.raddr, &x.rport, &x.state) != 5)
			continue;
		if ((int)x.lport != port && (int)x.rport != port)
			continue;
		if (x.state != 5 && x.state != 6)
			continue;
		/* The short format has 12 fields; a full socket's has more. */
		fields = 0;
		for (char *t = strtok(strcpy(rest, line), " \t\n"); t;
		     t = strtok(NULL, " \t\n"))
			fields++;
		if (fields > 12)
			continue;
		e[n++] = x;
	}
	fclose(f);
	return n;
}

static int same_conn(const struct entry *a, const struct entry *b)
{
	return a->laddr == b->laddr && a->raddr == b->raddr &&
	       a->lport == b->lport && a->rport == b->rport;
}

static void report(int fd, const char *name, const struct entry *x,
		   const char *what)
{
	char l[32], r[32], buf[160];
	int n;

	addr_str(l, sizeof(l), x->laddr, x->lport);
	addr_str(r, sizeof(r), x->raddr, x->rport);
	n = snprintf(buf, sizeof(buf), "procwatch %s: %s %s %s\n", name, l, r,
		     what);
	if (write(fd, buf, n) < 0)
		exit(2);
}

int main(int argc, char **argv)
{
	static struct entry prev[MAX_ENTRIES], cur[MAX_ENTRIES];
	int proto = atcp_test_proto(), port = 0, every = 5, secs = 60;
	int fd = 1, c, np = 0, nc, i, j;
	struct timespec t0, now;
	const char *path, *name;

	while ((c = getopt(argc, argv, "P:p:M:i:t:")) != -1) {
		switch (c) {
		case 'P': proto = atoi(optarg); break;
		case 'p': port = atoi(optarg); break;
		case 'i': every = atoi(optarg); break;
		case 't': secs = atoi(optarg); break;
		case 'M':
			fd = open(optarg, O_WRONLY | O_APPEND | O_CLOEXEC);
			if (fd < 0) {
				perror("procwatch: open");
				return 2;
			}
			break;
		default:
			fprintf(stderr, "usage: procwatch [-P proto] -p port "
				"[-M file] [-i ms] [-t secs]\n");
			return 2;
		}
	}
	if (!port || every < 1) {
		fprintf(stderr, "procwatch: -p PORT is needed\n");
		return 2;
	}
	path = proto == 6 ? "/proc/net/tcp" : "/proc/net/atcp";
	name = proto == 6 ? "tcp" : "atcp";
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!stop) {
		nc = read_table(path, port, cur);
		if (nc < 0) {
			perror(path);
			return 2;
		}
		for (i = 0; i < nc; i++) {
			for (j = 0; j < np && !same_conn(&cur[i], &prev[j]); j++)
				;
			if (j == np || prev[j].state != cur[i].state)
				report(fd, name, &cur[i], state_name(cur[i].state));
		}
		for (j = 0; j < np; j++) {
			for (i = 0; i < nc && !same_conn(&cur[i], &prev[j]); i++)
				;
			if (i == nc)
				report(fd, name, &prev[j], "gone");
		}
		memcpy(prev, cur, nc * sizeof(cur[0]));
		np = nc;
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec >= secs)
			break;
		usleep(every * 1000);
	}
	return 0;
}
