// SPDX-License-Identifier: GPL-2.0
/*
 * closer - one short connection with a chosen way of closing it, for the
 * capture tests and the close experiments of the demo.
 *
 *   closer server [options]   accept one connection, read, close
 *   closer client [options]   connect, write, close
 *
 * Common options:
 *   -P PROTO        IP protocol (default $ATCP_PROTO, else 253)
 *   -a ADDR         server: bind address (default 0.0.0.0);
 *                   client: server address (default 127.0.0.1)
 *   -p PORT         port (server: 0 = any; reported through -R)
 *   -m STRING       data to send, with \n \t \\ escapes
 *   -n BYTES        data to send: BYTES bytes of "abc..." (instead of -m)
 *   -d MS           sleep MS milliseconds before closing
 *   -T EPOCH_MS     instead of -d: close at this CLOCK_REALTIME time (ms),
 *                   so two processes can close at the same instant
 *   -W FILE         instead of -d/-T: write "waiting\n" to FILE (e.g. a
 *                   fifo), then wait for SIGUSR1 before closing, so that a
 *                   script can make two processes close at the same time
 *   -H              half-close: shutdown(SHUT_WR), then read until EOF,
 *                   then close() (the default is a plain close())
 *   -L              SO_LINGER {1, 0}: close() aborts with RST
 *   -t SECS         give up after SECS seconds (default 20), exit 3
 *   -v              print each step, with ms since start and the socket
 *                   state from TCP_INFO, to stderr
 * Server:
 *   -R FILE         write "PORT\n" to FILE (e.g. a fifo) once listening
 *   -r BYTES        read exactly BYTES bytes, not until EOF
 *   -Q              setsockopt(TCP_QUICKACK, 1) after read() returned 0
 *                   (after the reads, with -r)
 * Client:
 *   -c MS           retry connect on ECONNREFUSED for up to MS ms
 *
 * Order of events.  Client: connect, send data, wait (-d/-T/-W), then close
 * (or with -H: shutdown(SHUT_WR), read to EOF, close).  Server: accept,
 * read (until EOF, or -r bytes), TCP_QUICKACK (-Q), send data, wait
 * (-d/-T/-W), close (or with -H: shutdown(SHUT_WR), read to EOF, close).
 *
 * Prints one summary line on stdout:
 *   server: read 6 bytes then EOF, sent 0 bytes, closed
 * Exit: 0 ok, 2 a system call failed, 3 timeout.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "tap.h"

static const char *role;
static int verbose;
static struct timespec t_start;

static const char *const state_names[] = {
	"?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
	"TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING",
	"NEW_SYN_RECV",
};

static void die(const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", role, what, strerror(errno));
	exit(2);
}

static void on_alarm(int sig)
{
	static const char msg[] = "closer: timeout\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	_exit(3);
}

/* First byte of TCP_INFO is the state, in struct tcp_info and atcp_info. */
static const char *sock_state(int fd)
{
	unsigned char info[256];
	socklen_t len = sizeof(info);

	if (fd < 0 || getsockopt(fd, SOL_TCP, TCP_INFO, info, &len) || !len)
		return "-";
	if (info[0] < sizeof(state_names) / sizeof(state_names[0]))
		return state_names[info[0]];
	return "?";
}

static void step(int fd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void step(int fd, const char *fmt, ...)
{
	struct timespec now;
	va_list ap;

	if (!verbose)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	fprintf(stderr, "%8.3f %s: ",
		(now.tv_sec - t_start.tv_sec) * 1e3 +
		(now.tv_nsec - t_start.tv_nsec) / 1e6, role);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "  [%s]\n", sock_state(fd));
}

static size_t unescape(char *s)
{
	char *o = s, *i = s;

	while (*i) {
		if (*i == '\\' && i[1]) {
			i++;
			switch (*i) {
			case 'n': *o++ = '\n'; break;
			case 't': *o++ = '\t'; break;
			case 'r': *o++ = '\r'; break;
			default: *o++ = *i; break;
			}
			i++;
		} else {
			*o++ = *i++;
		}
	}
	*o = 0;
	return o - s;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) && errno == EINTR)
		;
}

static void sleep_until_epoch_ms(long long when)
{
	struct timespec ts = { when / 1000, (when % 1000) * 1000000L };

	while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void send_all(int fd, const char *buf, size_t n)
{
	size_t off = 0;

	while (off < n) {
		ssize_t w = send(fd, buf + off, n - off, MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			die("send");
		}
		off += w;
	}
}

/* Read until EOF (limit < 0) or exactly limit bytes; returns the count. */
static size_t read_some(int fd, long limit, int *eof)
{
	char buf[4096];
	size_t total = 0;

	*eof = 0;
	while (limit < 0 || (long)total < limit) {
		size_t want = sizeof(buf);
		ssize_t r;

		if (limit >= 0 && (long)(limit - total) < (long)want)
			want = limit - total;
		r = recv(fd, buf, want, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			die("recv");
		}
		if (r == 0) {
			*eof = 1;
			break;
		}
		step(fd, "read() = %zd", r);
		total += r;
	}
	if (*eof)
		step(fd, "read() = 0 (EOF)");
	return total;
}

int main(int argc, char **argv)
{
	int server, proto, port = 0, c, fd, half = 0, linger0 = 0;
	int quickack = 0, timeout = 20, retry_ms = 0, eof = 0;
	const char *addr = NULL, *ready = NULL, *waitfile = NULL;
	sigset_t usr1;
	char *data = NULL;
	size_t dlen = 0, got = 0, got2 = 0;
	long delay_ms = 0, read_limit = -1;
	long long close_at = 0;
	struct sockaddr_in sin;

	if (argc < 2)
		goto usage;
	server = !strcmp(argv[1], "server");
	if (!server && strcmp(argv[1], "client"))
		goto usage;
	role = argv[1];
	proto = atcp_test_proto();
	argv++;
	argc--;
	while ((c = getopt(argc, argv, "P:a:p:m:n:d:T:W:HLt:vR:r:Qc:")) != -1) {
		switch (c) {
		case 'P': proto = atoi(optarg); break;
		case 'a': addr = optarg; break;
		case 'p': port = atoi(optarg); break;
		case 'm':
			data = strdup(optarg);
			if (!data)
				die("strdup");
			dlen = unescape(data);
			break;
		case 'n':
			dlen = strtoul(optarg, NULL, 0);
			data = malloc(dlen + 1);
			if (!data)
				die("malloc");
			for (size_t i = 0; i < dlen; i++)
				data[i] = 'a' + i % 26;
			break;
		case 'd': delay_ms = atol(optarg); break;
		case 'T': close_at = atoll(optarg); break;
		case 'W': waitfile = optarg; break;
		case 'H': half = 1; break;
		case 'L': linger0 = 1; break;
		case 't': timeout = atoi(optarg); break;
		case 'v': verbose = 1; break;
		case 'R': ready = optarg; break;
		case 'r': read_limit = atol(optarg); break;
		case 'Q': quickack = 1; break;
		case 'c': retry_ms = atoi(optarg); break;
		default: goto usage;
		}
	}
	signal(SIGALRM, on_alarm);
	alarm(timeout);
	/* Blocked from the start, so a SIGUSR1 sent early is not lost. */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t_start);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	if (!addr)
		addr = server ? "0.0.0.0" : "127.0.0.1";
	if (inet_pton(AF_INET, addr, &sin.sin_addr) != 1) {
		fprintf(stderr, "%s: bad address '%s'\n", role, addr);
		return 2;
	}

	if (server) {
		socklen_t len = sizeof(sin);
		int one = 1, lfd = socket(AF_INET, SOCK_STREAM, proto);

		if (lfd < 0)
			die("socket");
		if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
			die("SO_REUSEADDR");
		if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)))
			die("bind");
		if (listen(lfd, 4))
			die("listen");
		if (getsockname(lfd, (struct sockaddr *)&sin, &len))
			die("getsockname");
		step(lfd, "listening on port %d, proto %d",
		     ntohs(sin.sin_port), proto);
		if (ready) {
			FILE *f = fopen(ready, "w");

			if (!f)
				die("open ready file");
			fprintf(f, "%d\n", ntohs(sin.sin_port));
			fclose(f);
		}
		fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			die("accept");
		close(lfd);
		step(fd, "accept()");
		got = read_some(fd, read_limit, &eof);
		if (quickack) {
			one = 1;
			if (setsockopt(fd, SOL_TCP, TCP_QUICKACK, &one, sizeof(one)))
				die("TCP_QUICKACK");
			step(fd, "TCP_QUICKACK");
		}
	} else {
		struct timespec t0, now;

		if (!port) {
			fprintf(stderr, "client: -p PORT is needed\n");
			return 2;
		}
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (;;) {
			fd = socket(AF_INET, SOCK_STREAM, proto);
			if (fd < 0)
				die("socket");
			if (!connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
				break;
			if (errno != ECONNREFUSED || !retry_ms) {
				char what[64];

				snprintf(what, sizeof(what), "connect to %s port %d",
					 addr, port);
				die(what);
			}
			close(fd);
			clock_gettime(CLOCK_MONOTONIC, &now);
			if ((now.tv_sec - t0.tv_sec) * 1000 +
			    (now.tv_nsec - t0.tv_nsec) / 1000000 > retry_ms) {
				errno = ECONNREFUSED;
				die("connect (retried)");
			}
			sleep_ms(10);
		}
		step(fd, "connect()");
	}

	if (dlen) {
		send_all(fd, data, dlen);
		step(fd, "write(%zu)", dlen);
	}
	if (waitfile) {
		FILE *f = fopen(waitfile, "w");
		int sig;

		if (!f)
			die("open wait file");
		fprintf(f, "waiting\n");
		fclose(f);
		step(fd, "waiting for SIGUSR1");
		sigwait(&usr1, &sig);
	} else if (close_at) {
		sleep_until_epoch_ms(close_at);
	}
	if (!waitfile && !close_at && delay_ms)
		sleep_ms(delay_ms);
	if (linger0) {
		struct linger l = { 1, 0 };

		if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)))
			die("SO_LINGER");
	}
	if (half) {
		int eof2;

		if (shutdown(fd, SHUT_WR))
			die("shutdown");
		step(fd, "shutdown(SHUT_WR)");
		got2 = read_some(fd, -1, &eof2);
		eof |= eof2;
	}
	step(fd, "close()");
	if (close(fd))
		die("close");
	printf("%s: read %zu bytes%s, sent %zu bytes, closed%s\n", role,
	       got + got2, eof ? " then EOF" : "", dlen,
	       linger0 ? " (RST)" : "");
	return 0;

usage:
	fprintf(stderr,
		"usage: closer server|client [-P proto] [-a addr] [-p port]\n"
		"         [-m string | -n bytes] [-d ms | -T epoch_ms | -W file]\n"
		"         [-H] [-L]\n"
		"         [-t secs] [-v]  server: [-R readyfile] [-r bytes] [-Q]\n"
		"         client: [-c retry_ms]\n");
	return 2;
}
