// SPDX-License-Identifier: GPL-2.0
/*
 * xfer - bulk transfer tool for atcp selftests.
 *
 *   xfer server [options]   accept one connection, receive, reply, close
 *   xfer client [options]   connect, send, shut down, receive, close
 *
 * Data is a seeded pseudo-random byte stream (xorshift64*), so both ends
 * verify every received byte against the stream they expect, and print a
 * FNV-1a 64 hash of what they sent and received, e.g.
 *
 *   client: tx 1048576 bytes hash 8c1f...  rx 1048576 bytes hash 77aa... ok
 *
 * Options (both modes):
 *   -P PROTO    IP protocol (default $ATCP_PROTO, else 253)
 *   -a ADDR     address: server binds it (default 0.0.0.0), client
 *               connects to it (default 127.0.0.1)
 *   -p PORT     port (server: 0 picks one; it is reported on the ready line)
 *   -n BYTES    bytes each way (default 1 MiB)
 *   -s SEED     PRNG seed (default 1); client->server uses SEED,
 *               server->client uses SEED+1 (reply "pattern")
 *   -b BYTES    size of each read/write call (default 65536)
 *   -t SECS     give up after SECS seconds (default 60), exit 3
 *   -q          quiet: only errors and the summary line
 *   -o FILE     write a copy of every byte received to FILE
 *   -O FILE     write a copy of every byte sent to FILE (e.g. to compare
 *               the two ends with sha256sum)
 *   -T          after the summary, print "ROLE: time SECS s": the client
 *               from just before connect() to after close(), the server
 *               from accept() returning to after close()
 * Server:
 *   -r MODE     reply: pattern (default), echo (send back what came in),
 *               none (send nothing)
 *   -e          do not wait for EOF before replying: reply after N bytes
 *   -R FILE     write "PORT\n" to FILE (e.g. a fifo) once listening
 * Client:
 *   -S STYLE    after sending: wr (shutdown(SHUT_WR), default), none (keep
 *               the write side open; the server must use -e), close is
 *               not offered: a full close would lose the reply
 *   -x MODE     expected reply: pattern (default), echo, none
 *   -c MS       retry connect on ECONNREFUSED for up to MS milliseconds
 *
 * Both ends check that the peer's EOF comes exactly after N bytes.
 * Exit: 0 ok, 1 data mismatch or wrong length, 2 a system call failed,
 * 3 timeout.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "prng.h"
#include "util.h"

#define FNV_INIT 0xcbf29ce484222325ULL

enum reply { R_PATTERN, R_ECHO, R_NONE };

static struct {
	int server;
	int proto;
	const char *addr;
	int port;
	size_t bytes;
	uint64_t seed;
	size_t chunk;
	int timeout;
	int quiet;
	enum reply reply;
	int wait_eof;
	const char *ready_file;
	int shut_wr;
	int retry_ms;
	const char *rx_copy;
	const char *tx_copy;
	int timing;
} opt = {
	.port = 0, .bytes = 1 << 20, .seed = 1, .chunk = 65536,
	.timeout = 60, .reply = R_PATTERN, .wait_eof = 1, .shut_wr = 1,
};

static const char *role;
static int rx_copy = -1, tx_copy = -1;

static enum reply parse_reply(const char *s)
{
	if (!strcmp(s, "pattern"))
		return R_PATTERN;
	if (!strcmp(s, "echo"))
		return R_ECHO;
	if (!strcmp(s, "none"))
		return R_NONE;
	fprintf(stderr, "bad reply mode '%s'\n", s);
	exit(2);
}

static void usage(void)
{
	fprintf(stderr,
		"usage: xfer server|client [-P proto] [-a addr] [-p port] [-n bytes]\n"
		"            [-s seed] [-b chunk] [-t secs] [-q] [-o rxfile] [-O txfile] [-T]\n"
		"       server: [-r pattern|echo|none] [-e] [-R readyfile]\n"
		"       client: [-S wr|none] [-x pattern|echo|none] [-c retry_ms]\n");
	exit(2);
}

/* Copies are written unbuffered: a run cut short by -t leaves them whole. */
static int open_copy(const char *path)
{
	int fd;

	if (!path)
		return -1;
	fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
	if (fd < 0)
		die(path);
	return fd;
}

static void copy_out(int fd, const uint8_t *d, size_t n)
{
	while (fd >= 0 && n) {
		ssize_t w = write(fd, d, n);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			die("write copy");
		}
		d += w;
		n -= w;
	}
}

static void close_copy(int fd)
{
	if (fd >= 0 && close(fd))
		die("close copy");
}

static double secs_since(const struct timespec *t0)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (now.tv_sec - t0->tv_sec) + (now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* Send n bytes from the stream p (or from buf when p is NULL). */
static void send_all(int fd, struct prng *p, const uint8_t *buf, size_t n,
		     uint64_t *hash)
{
	uint8_t *tmp = malloc(opt.chunk);
	size_t done = 0;

	if (!tmp)
		die("malloc");
	while (done < n) {
		size_t len = n - done < opt.chunk ? n - done : opt.chunk;
		const uint8_t *src = tmp;
		ssize_t w;

		if (p)
			prng_fill(p, tmp, len);
		else
			src = buf + done;
		*hash = fnv1a(*hash, src, len);
		copy_out(tx_copy, src, len);
		for (size_t off = 0; off < len; off += w) {
			w = send(fd, src + off, len - off, MSG_NOSIGNAL);
			if (w < 0) {
				if (errno == EINTR) {
					w = 0;
					continue;
				}
				die("send");
			}
		}
		done += len;
	}
	free(tmp);
}

/*
 * Receive exactly n bytes, verifying them against the stream p (if not
 * NULL); keep them in keep (if not NULL).  Then, if want_eof, the next
 * read must return 0.  Returns 0 if everything matched.
 */
static int recv_check(int fd, struct prng *p, uint8_t *keep, size_t n,
		      int want_eof, uint64_t *hash, size_t *got)
{
	uint8_t *buf = malloc(opt.chunk), *exp = malloc(opt.chunk);
	int bad = 0;

	if (!buf || !exp)
		die("malloc");
	*got = 0;
	while (*got < n) {
		size_t want = n - *got < opt.chunk ? n - *got : opt.chunk;
		ssize_t r = recv(fd, buf, want, 0);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			die("recv");
		}
		if (r == 0) {
			fprintf(stderr, "%s: EOF after %zu of %zu bytes\n",
				role, *got, n);
			bad = 1;
			goto out;
		}
		*hash = fnv1a(*hash, buf, r);
		copy_out(rx_copy, buf, r);
		if (p) {
			prng_fill(p, exp, r);
			if (!bad && memcmp(buf, exp, r)) {
				for (ssize_t i = 0; i < r; i++) {
					if (buf[i] != exp[i]) {
						fprintf(stderr,
							"%s: mismatch at byte %zu: got 0x%02x want 0x%02x\n",
							role, *got + i, buf[i], exp[i]);
						break;
					}
				}
				bad = 1;
			}
		}
		if (keep)
			memcpy(keep + *got, buf, r);
		*got += r;
	}
	if (want_eof) {
		ssize_t r;

		do {
			r = recv(fd, buf, 1, 0);
		} while (r < 0 && errno == EINTR);
		if (r < 0)
			die("recv (waiting for EOF)");
		if (r > 0) {
			fprintf(stderr, "%s: data past %zu bytes, no EOF\n",
				role, n);
			bad = 1;
		}
	}
out:
	free(buf);
	free(exp);
	return bad;
}

static int make_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, opt.proto);

	if (fd < 0)
		die("socket");
	return fd;
}

static void fill_addr(struct sockaddr_in *sin, const char *addr)
{
	memset(sin, 0, sizeof(*sin));
	sin->sin_family = AF_INET;
	sin->sin_port = htons(opt.port);
	if (inet_pton(AF_INET, addr, &sin->sin_addr) != 1) {
		fprintf(stderr, "%s: bad address '%s'\n", role, addr);
		exit(2);
	}
}

static int run_server(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	struct prng rx, tx;
	uint64_t rxh = FNV_INIT, txh = FNV_INIT;
	uint8_t *keep = NULL;
	struct timespec t0;
	double elapsed;
	size_t got;
	int one = 1, lfd, fd, bad;

	lfd = make_socket();
	if (setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		die("setsockopt SO_REUSEADDR");
	fill_addr(&sin, opt.addr ? opt.addr : "0.0.0.0");
	if (bind(lfd, (struct sockaddr *)&sin, sizeof(sin)))
		die("bind");
	if (listen(lfd, 8))
		die("listen");
	if (getsockname(lfd, (struct sockaddr *)&sin, &len))
		die("getsockname");
	if (!opt.quiet)
		fprintf(stderr, "server: listening on port %d, proto %d\n",
			ntohs(sin.sin_port), opt.proto);
	if (opt.ready_file) {
		FILE *f = fopen(opt.ready_file, "w");

		if (!f)
			die("open ready file");
		fprintf(f, "%d\n", ntohs(sin.sin_port));
		fclose(f);
	}
	fd = accept(lfd, NULL, NULL);
	if (fd < 0)
		die("accept");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	close(lfd);

	prng_init(&rx, opt.seed);
	if (opt.reply == R_ECHO) {
		keep = malloc(opt.bytes ? opt.bytes : 1);
		if (!keep)
			die("malloc");
	}
	bad = recv_check(fd, &rx, keep, opt.bytes, opt.wait_eof, &rxh, &got);

	prng_init(&tx, opt.seed + 1);
	if (opt.reply == R_PATTERN)
		send_all(fd, &tx, NULL, opt.bytes, &txh);
	else if (opt.reply == R_ECHO)
		send_all(fd, NULL, keep, got, &txh);
	if (close(fd))
		die("close");
	elapsed = secs_since(&t0);
	printf("server: rx %zu bytes hash %016" PRIx64 "  tx %s hash %016" PRIx64 " %s\n",
	       got, rxh, opt.reply == R_NONE ? "none" :
	       opt.reply == R_ECHO ? "echo" : "pattern", txh, bad ? "BAD" : "ok");
	if (opt.timing)
		printf("server: time %.3f s\n", elapsed);
	free(keep);
	return bad;
}

static int run_client(void)
{
	struct sockaddr_in sin;
	struct prng tx, rx;
	uint64_t rxh = FNV_INIT, txh = FNV_INIT;
	struct timespec t0, now;
	double elapsed;
	size_t got = 0;
	int fd, bad = 0;

	fill_addr(&sin, opt.addr ? opt.addr : "127.0.0.1");
	if (!opt.port) {
		fprintf(stderr, "client: -p PORT is needed\n");
		exit(2);
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		fd = make_socket();
		if (!connect(fd, (struct sockaddr *)&sin, sizeof(sin)))
			break;
		if (errno != ECONNREFUSED || !opt.retry_ms)
			die("connect");
		close(fd);
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((now.tv_sec - t0.tv_sec) * 1000 +
		    (now.tv_nsec - t0.tv_nsec) / 1000000 > opt.retry_ms) {
			errno = ECONNREFUSED;
			die("connect (retried)");
		}
		usleep(10000);
	}

	prng_init(&tx, opt.seed);
	send_all(fd, &tx, NULL, opt.bytes, &txh);
	if (opt.shut_wr && shutdown(fd, SHUT_WR))
		die("shutdown");

	if (opt.reply == R_PATTERN) {
		prng_init(&rx, opt.seed + 1);
		bad = recv_check(fd, &rx, NULL, opt.bytes, 1, &rxh, &got);
	} else if (opt.reply == R_ECHO) {
		prng_init(&rx, opt.seed);
		bad = recv_check(fd, &rx, NULL, opt.bytes, 1, &rxh, &got);
	} else {
		bad = recv_check(fd, NULL, NULL, 0, 1, &rxh, &got);
	}
	if (close(fd))
		die("close");
	elapsed = secs_since(&t0);
	printf("client: tx %zu bytes hash %016" PRIx64 "  rx %zu bytes hash %016" PRIx64 " %s\n",
	       opt.bytes, txh, got, rxh, bad ? "BAD" : "ok");
	if (opt.timing)
		printf("client: time %.3f s\n", elapsed);
	return bad;
}

int main(int argc, char **argv)
{
	int c;

	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "server"))
		opt.server = 1;
	else if (strcmp(argv[1], "client"))
		usage();
	role = argv[1];
	die_prefix = role;
	opt.proto = atcp_test_proto();
	argv++;
	argc--;
	while ((c = getopt(argc, argv, "P:a:p:n:s:b:t:qr:eR:S:x:c:o:O:T")) != -1) {
		switch (c) {
		case 'P': opt.proto = atoi(optarg); break;
		case 'a': opt.addr = optarg; break;
		case 'p': opt.port = atoi(optarg); break;
		case 'n': opt.bytes = strtoull(optarg, NULL, 0); break;
		case 's': opt.seed = strtoull(optarg, NULL, 0); break;
		case 'b': opt.chunk = strtoull(optarg, NULL, 0); break;
		case 't': opt.timeout = atoi(optarg); break;
		case 'q': opt.quiet = 1; break;
		case 'r': opt.reply = parse_reply(optarg); break;
		case 'x': opt.reply = parse_reply(optarg); break;
		case 'e': opt.wait_eof = 0; break;
		case 'R': opt.ready_file = optarg; break;
		case 'S':
			if (!strcmp(optarg, "wr"))
				opt.shut_wr = 1;
			else if (!strcmp(optarg, "none"))
				opt.shut_wr = 0;
			else
				usage();
			break;
		case 'c': opt.retry_ms = atoi(optarg); break;
		case 'o': opt.rx_copy = optarg; break;
		case 'O': opt.tx_copy = optarg; break;
		case 'T': opt.timing = 1; break;
		default: usage();
		}
	}
	if (!opt.chunk)
		usage();
	alarm_exits(2, "xfer: timeout\n", 3);
	alarm(opt.timeout);
	rx_copy = open_copy(opt.rx_copy);
	tx_copy = open_copy(opt.tx_copy);
	c = opt.server ? run_server() : run_client();
	close_copy(rx_copy);
	close_copy(tx_copy);
	return c;
}
