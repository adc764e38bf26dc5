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
 *   -N COUNT        send the data COUNT times (default 1), -I MS apart
 *   -I MS           the time between two sends of -N
 *   -L              SO_LINGER {1, 0}: close() aborts with RST
 *   -l SECS         TCP_LINGER2: an orphaned FIN_WAIT_2 lasts SECS seconds
 *   -e              a read that fails with ECONNRESET ends the reading (a
 *                   step, and "reset" in the summary) instead of failing
 *   -t SECS         give up after SECS seconds (default 20), exit 3
 *   -v              print each step, with ms since start and the socket
 *                   state from TCP_INFO, to stderr (shutdown() and close()
 *                   are steps before the call, the others after it)
 *   -M FILE         also write each step, as "closer ROLE: STEP", to FILE
 *                   with one write() (e.g. a tracefs instance's
 *                   trace_marker, which timestamps it on the trace's clock)
 *   -G TAG          write "closer ROLE TAG: STEP" there instead, to tell
 *                   apart the steps of runs that share the file
 * Server:
 *   -R FILE         write "PORT\n" to FILE (e.g. a fifo) once listening
 *   -r BYTES        read exactly BYTES bytes, not until EOF (0: read
 *                   nothing)
 *   -Q              setsockopt(TCP_QUICKACK, 1) after read() returned 0
 *                   (after the reads, with -r)
 *   -k COUNT        serve COUNT connections, one after the other (default
 *                   1); the listener is closed after the last accept()
 * Client:
 *   -b PORT         bind to this local port first (with SO_REUSEADDR)
 *   -c MS           retry connect on ECONNREFUSED or EADDRNOTAVAIL for up
 *                   to MS ms (each failure is a step)
 *   -i MS           the time between two connect attempts of -c (default
 *                   10)
 *   -w              read until EOF (or ECONNRESET with -e) after sending,
 *                   before the wait and the close
 *
 * Order of events.  Client: connect, send data, read to EOF (-w), wait
 * (-d/-T/-W), then close (or with -H: shutdown(SHUT_WR), read to EOF,
 * close).  Server: accept, read (until EOF, or -r bytes), TCP_QUICKACK
 * (-Q), send data, wait (-d/-T/-W), close (or with -H: shutdown(SHUT_WR),
 * read to EOF, close); with -k, again from accept.  SO_LINGER (-L) and
 * TCP_LINGER2 (-l) are set just before the close (or the shutdown).
 *
 * Prints one summary line on stdout per connection:
 *   server: read 6 bytes then EOF, sent 0 bytes, closed
 * Exit: 0 ok, 2 a system call failed, 3 timeout.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

static const char *role;
static int verbose;
static int markfd = -1;
static const char *marktag;
static struct timespec t_start;

static const char *const state_names[] = {
	"?", "ESTABLISHED", "SYN_SENT", "SYN_RECV", "FIN_WAIT1", "FIN_WAIT2",
	"TIME_WAIT", "CLOSE", "CLOSE_WAIT", "LAST_ACK", "LISTEN", "CLOSING",
	"NEW_SYN_RECV",
};

/* What to do, from the options. */
static struct {
	int server, proto, port, lport, half, linger0, linger2, quickack;
	int timeout, retry_ms, retry_every, accepts, sends, resets_end;
	int read_first;
	const char *addr, *ready, *waitfile;
	char *data;
	size_t dlen;
	long delay_ms, read_limit, send_every;
	long long close_at;
} o = {
	.timeout = 20, .retry_every = 10, .accepts = 1, .sends = 1,
	.linger2 = -2, .read_limit = -1,
};

static sigset_t usr1;

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
	char text[200], line[256];
	va_list ap;
	int n;

	if (!verbose && markfd < 0)
		return;
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (markfd >= 0) {
		n = snprintf(line, sizeof(line), "closer %s%s%s: %s\n", role,
			     marktag ? " " : "", marktag ? marktag : "", text);
		if (write(markfd, line, n) < 0 && verbose)
			fprintf(stderr, "%s: write to the -M file: %s\n",
				role, strerror(errno));
	}
	if (!verbose)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	fprintf(stderr, "%8.3f %s: %s  [%s]\n",
		(now.tv_sec - t_start.tv_sec) * 1e3 +
		(now.tv_nsec - t_start.tv_nsec) / 1e6, role, text,
		sock_state(fd));
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

/*
 * Read until EOF (limit < 0) or exactly limit bytes; returns the count.
 * *end is 1 on EOF, 2 on ECONNRESET (only with -e).
 */
static size_t read_some(int fd, long limit, int *end)
{
	char buf[4096];
	size_t total = 0;

	*end = 0;
	while (limit < 0 || (long)total < limit) {
		size_t want = sizeof(buf);
		ssize_t r;

		if (limit >= 0 && (long)(limit - total) < (long)want)
			want = limit - total;
		r = recv(fd, buf, want, 0);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ECONNRESET && o.resets_end) {
				step(fd, "read() = -1 ECONNRESET");
				*end = 2;
				return total;
			}
			die("recv");
		}
		if (r == 0) {
			*end = 1;
			break;
		}
		step(fd, "read() = %zd", r);
		total += r;
	}
	if (*end == 1)
		step(fd, "read() = 0 (EOF)");
	return total;
}

static const char *end_text(int end)
{
	return end == 2 ? " then ECONNRESET" : end == 1 ? " then EOF" : "";
}

/* The common part, once connected: send, wait, close. */
static void finish(int fd, size_t got, int end)
{
	size_t got2 = 0;
	int i;

	for (i = 0; i < o.sends && o.dlen; i++) {
		if (i && o.send_every)
			sleep_ms(o.send_every);
		send_all(fd, o.data, o.dlen);
		step(fd, "write(%zu)", o.dlen);
	}
	if (!o.server && o.read_first) {
		int end2;

		got += read_some(fd, -1, &end2);
		end = end2;
	}
	if (o.waitfile) {
		FILE *f = fopen(o.waitfile, "w");
		int sig;

		if (!f)
			die("open wait file");
		fprintf(f, "waiting\n");
		fclose(f);
		step(fd, "waiting for SIGUSR1");
		sigwait(&usr1, &sig);
	} else if (o.close_at) {
		sleep_until_epoch_ms(o.close_at);
	}
	if (!o.waitfile && !o.close_at && o.delay_ms)
		sleep_ms(o.delay_ms);
	if (o.linger0) {
		struct linger l = { 1, 0 };

		if (setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof(l)))
			die("SO_LINGER");
		step(fd, "SO_LINGER {1, 0}");
	}
	if (o.linger2 != -2) {
		if (setsockopt(fd, SOL_TCP, TCP_LINGER2, &o.linger2,
			       sizeof(o.linger2)))
			die("TCP_LINGER2");
		step(fd, "TCP_LINGER2 %d", o.linger2);
	}
	if (o.half) {
		int end2;

		step(fd, "shutdown(SHUT_WR)");
		if (shutdown(fd, SHUT_WR))
			die("shutdown");
		got2 = read_some(fd, -1, &end2);
		if (end2)
			end = end2;
	}
	step(fd, "close()");
	if (close(fd))
		die("close");
	printf("%s: read %zu bytes%s, sent %zu bytes, closed%s\n", role,
	       got + got2, end_text(end), o.dlen * o.sends,
	       o.linger0 ? " (RST)" : "");
	fflush(stdout);
}

static int listen_on(struct sockaddr_in *sin)
{
	socklen_t len = sizeof(*sin);
	int one = 1, lfd = socket(AF_INET, SOCK_STREAM, o.proto);

	if (lfd < 0)
		die("socket");
	if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		die("SO_REUSEADDR");
	if (bind(lfd, (struct sockaddr *)sin, sizeof(*sin)))
		die("bind");
	if (listen(lfd, 4))
		die("listen");
	if (getsockname(lfd, (struct sockaddr *)sin, &len))
		die("getsockname");
	step(lfd, "listening on port %d, proto %d", ntohs(sin->sin_port),
	     o.proto);
	if (o.ready) {
		FILE *f = fopen(o.ready, "w");

		if (!f)
			die("open ready file");
		fprintf(f, "%d\n", ntohs(sin->sin_port));
		fclose(f);
	}
	return lfd;
}

static void serve(struct sockaddr_in *sin)
{
	int lfd = listen_on(sin), n;

	for (n = 0; n < o.accepts; n++) {
		int fd = accept(lfd, NULL, NULL), end = 0, one = 1;
		size_t got;

		if (fd < 0)
			die("accept");
		if (n == o.accepts - 1)
			close(lfd);
		step(fd, "accept()");
		got = read_some(fd, o.read_limit, &end);
		if (o.quickack) {
			if (setsockopt(fd, SOL_TCP, TCP_QUICKACK, &one,
				       sizeof(one)))
				die("TCP_QUICKACK");
			step(fd, "TCP_QUICKACK");
		}
		finish(fd, got, end);
	}
}

static const char *errno_name(int e)
{
	switch (e) {
	case ECONNREFUSED: return "ECONNREFUSED";
	case EADDRNOTAVAIL: return "EADDRNOTAVAIL";
	case EADDRINUSE: return "EADDRINUSE";
	default: return strerror(e);
	}
}

static void connect_to(struct sockaddr_in *sin)
{
	struct timespec t0, now;
	int fd;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		fd = socket(AF_INET, SOCK_STREAM, o.proto);
		if (fd < 0)
			die("socket");
		if (o.lport) {
			struct sockaddr_in me = { .sin_family = AF_INET };
			int one = 1;

			me.sin_port = htons(o.lport);
			if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
				       sizeof(one)))
				die("SO_REUSEADDR");
			if (bind(fd, (struct sockaddr *)&me, sizeof(me)))
				die("bind");
		}
		if (!connect(fd, (struct sockaddr *)sin, sizeof(*sin)))
			break;
		if ((errno != ECONNREFUSED && errno != EADDRNOTAVAIL) ||
		    !o.retry_ms) {
			char what[64];

			snprintf(what, sizeof(what), "connect to %s port %d",
				 o.addr, o.port);
			die(what);
		}
		step(-1, "connect() = -1 %s", errno_name(errno));
		close(fd);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - t0.tv_sec) * 1000 +
		    (now.tv_nsec - t0.tv_nsec) / 1000000 > o.retry_ms) {
			die("connect (retried)");
		}
		sleep_ms(o.retry_every);
	}
	step(fd, "connect()");
	finish(fd, 0, 0);
}

int main(int argc, char **argv)
{
	struct sockaddr_in sin;
	int c;

	if (argc < 2)
		goto usage;
	o.server = !strcmp(argv[1], "server");
	if (!o.server && strcmp(argv[1], "client"))
		goto usage;
	role = argv[1];
	die_prefix = role;
	o.proto = atcp_test_proto();
	argv++;
	argc--;
	while ((c = getopt(argc, argv,
			   "P:a:p:m:n:d:T:W:HLt:vR:r:Qc:N:I:l:eM:G:k:b:i:w")) != -1) {
		switch (c) {
		case 'P': o.proto = atoi(optarg); break;
		case 'a': o.addr = optarg; break;
		case 'p': o.port = atoi(optarg); break;
		case 'm':
			o.data = strdup(optarg);
			if (!o.data)
				die("strdup");
			o.dlen = unescape(o.data);
			break;
		case 'n':
			o.dlen = strtoul(optarg, NULL, 0);
			o.data = malloc(o.dlen + 1);
			if (!o.data)
				die("malloc");
			for (size_t i = 0; i < o.dlen; i++)
				o.data[i] = 'a' + i % 26;
			break;
		case 'd': o.delay_ms = atol(optarg); break;
		case 'T': o.close_at = atoll(optarg); break;
		case 'W': o.waitfile = optarg; break;
		case 'H': o.half = 1; break;
		case 'L': o.linger0 = 1; break;
		case 'l': o.linger2 = atoi(optarg); break;
		case 'e': o.resets_end = 1; break;
		case 'N': o.sends = atoi(optarg); break;
		case 'I': o.send_every = atol(optarg); break;
		case 't': o.timeout = atoi(optarg); break;
		case 'v': verbose = 1; break;
		case 'M':
			markfd = open(optarg, O_WRONLY | O_APPEND | O_CLOEXEC);
			if (markfd < 0)
				die("open the -M file");
			break;
		case 'G': marktag = optarg; break;
		case 'R': o.ready = optarg; break;
		case 'r': o.read_limit = atol(optarg); break;
		case 'Q': o.quickack = 1; break;
		case 'k': o.accepts = atoi(optarg); break;
		case 'c': o.retry_ms = atoi(optarg); break;
		case 'i': o.retry_every = atoi(optarg); break;
		case 'b': o.lport = atoi(optarg); break;
		case 'w': o.read_first = 1; break;
		default: goto usage;
		}
	}
	if (o.accepts < 1 || o.sends < 1)
		goto usage;
	alarm_exits(2, "closer: timeout\n", 3);
	alarm(o.timeout);
	/* Blocked from the start, so a SIGUSR1 sent early is not lost. */
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	sigprocmask(SIG_BLOCK, &usr1, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t_start);

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(o.port);
	if (!o.addr)
		o.addr = o.server ? "0.0.0.0" : "127.0.0.1";
	if (inet_pton(AF_INET, o.addr, &sin.sin_addr) != 1) {
		fprintf(stderr, "%s: bad address '%s'\n", role, o.addr);
		return 2;
	}

	if (o.server) {
		serve(&sin);
	} else {
		if (!o.port) {
			fprintf(stderr, "client: -p PORT is needed\n");
			return 2;
		}
		connect_to(&sin);
	}
	return 0;

usage:
	fprintf(stderr,
		"usage: closer server|client [-P proto] [-a addr] [-p port]\n"
		"         [-m string | -n bytes] [-N count] [-I ms]\n"
		"         [-d ms | -T epoch_ms | -W file] [-H] [-L] [-l secs] [-e]\n"
		"         [-t secs] [-v] [-M file [-G tag]]\n"
		"         server: [-R readyfile] [-r bytes] [-Q] [-k count]\n"
		"         client: [-b port] [-c retry_ms] [-i ms] [-w]\n");
	return 2;
}
