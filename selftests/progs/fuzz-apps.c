// SPDX-License-Identifier: GPL-2.0
/*
 * fuzz-apps.c - the fuzz program's applications: `fuzz sink` and
 * `fuzz hold`, the dut side's programs, and the helpers `fuzz sysctl`,
 * `fuzz cat` and `fuzz wait-empty` (fuzz.h; options at the top of
 * fuzz-main.c).
 */
#include "fuzz.h"

/* ------------------------------------------------------------------------
 * fuzz sink
 */

static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

int sink_main(int argc, char **argv)
{
	static struct pollfd pfd[1100];
	static char buf[65536];
	int nl = 0, n, c, i, proto = atcp_test_proto(), one = 1;
	long accepted = 0, cmds = 0, bytes = 0, errs = 0, closed = 0;
	const char *ready = NULL;
	struct rlimit rl = { 2048, 2048 };
	char *ports = NULL, *tok;

	while ((c = getopt(argc, argv, "p:P:R:")) != -1) {
		switch (c) {
		case 'p': ports = optarg; break;
		case 'P': proto = atoi(optarg); break;
		case 'R': ready = optarg; break;
		default: dief("usage: fuzz sink -p PORT[,PORT...] [-P PROTO] [-R FILE]");
		}
	}
	if (!ports)
		dief("fuzz sink: -p PORT");
	setrlimit(RLIMIT_NOFILE, &rl);
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	signal(SIGPIPE, SIG_IGN);
	for (tok = strtok(ports, ","); tok && nl < 8; tok = strtok(NULL, ",")) {
		struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(atoi(tok)) };
		int fd = socket(AF_INET, SOCK_STREAM, proto);

		if (fd < 0)
			die("socket");
		setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
		if (bind(fd, (struct sockaddr *)&a, sizeof(a)) || listen(fd, 512))
			die("bind/listen");
		fcntl(fd, F_SETFL, O_NONBLOCK);
		pfd[nl].fd = fd;
		pfd[nl].events = POLLIN;
		nl++;
	}
	n = nl;
	write_ready(ready, "ready");
	while (!stop) {
		if (poll(pfd, n, 200) < 0) {
			if (errno == EINTR)
				continue;
			die("poll");
		}
		for (i = 0; i < nl; i++) {
			int fd;

			if (!(pfd[i].revents & POLLIN))
				continue;
			while ((fd = accept4(pfd[i].fd, NULL, NULL, SOCK_NONBLOCK)) >= 0) {
				accepted++;
				if (n == (int)(sizeof(pfd) / sizeof(pfd[0]))) {
					/* Full: the oldest connection goes. */
					close(pfd[nl].fd);
					closed++;
					memmove(&pfd[nl], &pfd[nl + 1], (n - nl - 1) * sizeof(pfd[0]));
					n--;
				}
				pfd[n].fd = fd;
				pfd[n].events = POLLIN;
				pfd[n].revents = 0;
				n++;
			}
		}
		for (i = nl; i < n; i++) {
			int fd = pfd[i].fd, drop = 0;
			ssize_t got;

			if (!pfd[i].revents)
				continue;
			if (!(pfd[i].events & POLLIN)) {
				/* Not reading: only an error or hangup ends it. */
				if (!(pfd[i].revents & (POLLERR | POLLHUP)))
					continue;
				got = 0;
			} else {
				got = read(fd, buf, sizeof(buf));
			}
			if (got > 0) {
				bytes += got;
				if (strchr(sink_cmds, buf[0]) && buf[0])
					cmds++;
				switch (buf[0]) {
				case 'C': drop = 1; break;
				case 'W': shutdown(fd, SHUT_WR); break;
				case 'd':
					memset(buf, 'd', 2000);
					if (write(fd, buf, 2000) < 0)
						errs++;
					break;
				case 'D':
					memset(buf, 'D', 65536);
					if (write(fd, buf, 65536) < 0)
						errs++;
					break;
				case 'L': {
					struct linger lg = { 1, 0 };

					setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
					drop = 1;
					break;
				}
				case 'K': {
					int v1 = 1, v2 = 2;

					setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
					setsockopt(fd, SOL_TCP, TCP_KEEPIDLE, &v1, sizeof(v1));
					setsockopt(fd, SOL_TCP, TCP_KEEPINTVL, &v1, sizeof(v1));
					setsockopt(fd, SOL_TCP, TCP_KEEPCNT, &v2, sizeof(v2));
					break;
				}
				case 'S': pfd[i].events = 0; break;
				case 'Q':
					setsockopt(fd, SOL_TCP, TCP_QUICKACK, &one, sizeof(one));
					break;
				}
			} else if (got == 0 || (errno != EAGAIN && errno != EINTR)) {
				if (got < 0)
					errs++;
				drop = 1;
			}
			if (drop) {
				close(fd);
				closed++;
				pfd[i] = pfd[n - 1];
				n--;
				i--;
			}
		}
	}
	/* What is left goes with a RST: no orphan waits on a flood that is gone. */
	for (i = 0; i < n; i++) {
		struct linger lg = { 1, 0 };

		if (i >= nl)
			setsockopt(pfd[i].fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(pfd[i].fd);
	}
	printf("sink: accepted %ld connections, read %ld bytes, %ld commands, %ld closed "
	       "before the end, %ld errors\n", accepted, bytes, cmds, closed, errs);
	return 0;
}

/* ------------------------------------------------------------------------
 * fuzz hold
 */

static int read_full(int fd, char *b, int n)
{
	int got = 0, r;

	while (got < n) {
		r = read(fd, b + got, n - got);
		if (r <= 0)
			return -1;
		got += r;
	}
	return 0;
}

/* A socket of proto bound to la, with SO_REUSEADDR. */
static int bound_socket(int proto, const struct sockaddr_in *la)
{
	int one = 1, fd = socket(AF_INET, SOCK_STREAM, proto);

	if (fd < 0)
		die("socket");
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (bind(fd, (const struct sockaddr *)la, sizeof(*la)))
		die("bind");
	return fd;
}

int hold_main(int argc, char **argv)
{
	int server, c, fd, lfd = -1, proto = atcp_test_proto(), secs = 300, sig;
	uint32_t lip = 0, rip = 0;
	uint16_t lport = 0, rport = 0;
	size_t bytes = 1 << 20, sent = 0, rcvd = 0;
	uint64_t seed = 1, htx = 0xcbf29ce484222325ULL, hrx = htx;
	const char *ready = NULL, *role;
	struct sockaddr_in la = { .sin_family = AF_INET }, ra = { .sin_family = AF_INET };
	struct prng tx, rx;
	static uint8_t out[65536], in[65536], want[65536];
	size_t outlen = 0, outoff = 0;
	char hb[8], a[20];
	sigset_t set;
	double t0;
	int shut = 0, eof = 0;

	if (argc < 2)
		dief("usage: fuzz hold server|client -l ADDR:PORT -e ADDR:PORT ...");
	server = !strcmp(argv[1], "server");
	role = server ? "server" : "client";
	if (!server && strcmp(argv[1], "client"))
		dief("fuzz hold server|client");
	argv++;
	argc--;
	while ((c = getopt(argc, argv, "l:e:n:s:R:t:P:")) != -1) {
		switch (c) {
		case 'l': parse_ep(optarg, &lip, &lport); break;
		case 'e': parse_ep(optarg, &rip, &rport); break;
		case 'n': bytes = strtoull(optarg, NULL, 0); break;
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 'R': ready = optarg; break;
		case 't': secs = atoi(optarg); break;
		case 'P': proto = atoi(optarg); break;
		default: dief("fuzz hold: bad option");
		}
	}
	alarm_exits(2, "hold: timeout\n", 3);
	signal(SIGPIPE, SIG_IGN);
	alarm(secs);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigprocmask(SIG_BLOCK, &set, NULL);
	la.sin_addr.s_addr = htonl(lip);
	la.sin_port = htons(lport);
	ra.sin_addr.s_addr = htonl(rip);
	ra.sin_port = htons(rport);

	fd = bound_socket(proto, &la);
	if (server) {
		struct sockaddr_in peer;
		socklen_t pl = sizeof(peer);

		lfd = fd;
		if (listen(lfd, 8))
			die("listen");
		fd = accept(lfd, (struct sockaddr *)&peer, &pl);
		if (fd < 0)
			die("accept");
		if (peer.sin_addr.s_addr != ra.sin_addr.s_addr || peer.sin_port != ra.sin_port)
			dief("hold server: accepted %s:%u, not the expected peer",
			     ipstr(ntohl(peer.sin_addr.s_addr), a), ntohs(peer.sin_port));
		if (write(fd, "helo", 4) != 4 || read_full(fd, hb, 4))
			die("hold server: helo");
	} else {
		double end = now_s() + 10;

		while (connect(fd, (struct sockaddr *)&ra, sizeof(ra))) {
			if (errno != ECONNREFUSED || now_s() > end)
				die("connect");
			close(fd);
			usleep(50000);
			fd = bound_socket(proto, &la);
		}
		if (read_full(fd, hb, 4) || write(fd, "helo", 4) != 4)
			die("hold client: helo");
	}
	usleep(300000);
	write_ready(ready, "ready");
	if (sigwait(&set, &sig))
		die("sigwait");

	/* Both ways at once; every byte checked. */
	t0 = now_s();
	prng_init(&tx, seed * 2 + server);
	prng_init(&rx, seed * 2 + !server);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	while (!eof || !shut) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		ssize_t r;

		if (!shut)
			pfd.events |= POLLOUT;
		if (poll(&pfd, 1, 1000) < 0 && errno != EINTR)
			die("poll");
		if (!shut && outoff == outlen && sent < bytes) {
			outlen = bytes - sent < sizeof(out) ? bytes - sent : sizeof(out);
			prng_fill(&tx, out, outlen);
			htx = fnv1a(htx, out, outlen);
			outoff = 0;
		}
		if (!shut && outoff < outlen) {
			r = write(fd, out + outoff, outlen - outoff);
			if (r < 0 && errno != EAGAIN && errno != EINTR)
				die("write");
			if (r > 0) {
				outoff += r;
				sent += r;
			}
		}
		if (!shut && sent == bytes && outoff == outlen) {
			if (shutdown(fd, SHUT_WR))
				die("shutdown");
			shut = 1;
		}
		r = read(fd, in, sizeof(in));
		if (r < 0 && errno != EAGAIN && errno != EINTR)
			die("read");
		if (r == 0)
			eof = 1;
		if (r > 0) {
			if (rcvd + r > bytes) {
				fprintf(stderr, "hold %s: more than %zu bytes\n", role, bytes);
				return 1;
			}
			prng_fill(&rx, want, r);
			if (memcmp(in, want, r)) {
				ssize_t k = 0;

				while (in[k] == want[k])
					k++;
				fprintf(stderr, "hold %s: byte %zu is wrong\n", role, rcvd + k);
				return 1;
			}
			hrx = fnv1a(hrx, in, r);
			rcvd += r;
		}
	}
	close(fd);
	if (lfd >= 0)
		close(lfd);
	printf("hold %s: tx %zu bytes hash %016" PRIx64 ", rx %zu bytes hash %016" PRIx64
	       ", %.2f s, %s\n", role, sent, htx, rcvd, hrx, now_s() - t0,
	       rcvd == bytes ? "ok" : "SHORT");
	return rcvd == bytes ? 0 : 1;
}

/* ------------------------------------------------------------------------
 * fuzz sysctl, cat, wait-empty
 */

int sysctl_main(int argc, char **argv)
{
	int i, quiet = 0, rc = 0;

	for (i = 1; i < argc; i++) {
		char path[256], *eq, *p;
		FILE *f;

		if (!strcmp(argv[i], "-q")) {
			quiet = 1;
			continue;
		}
		eq = strchr(argv[i], '=');
		if (!eq)
			dief("sysctl: want KEY=VALUE, got '%s'", argv[i]);
		snprintf(path, sizeof(path), "/proc/sys/%.*s", (int)(eq - argv[i]), argv[i]);
		for (p = path + 10; *p; p++)
			if (*p == '.')
				*p = '/';
		f = fopen(path, "w");
		if (!f || fprintf(f, "%s\n", eq + 1) < 0 || fclose(f)) {
			if (!(quiet && errno == ENOENT)) {
				fprintf(stderr, "fuzz: sysctl %s: %s\n", argv[i], strerror(errno));
				rc = 1;
			}
		}
	}
	return rc;
}

int cat_main(int argc, char **argv)
{
	char buf[4096];
	size_t n;
	int i;

	for (i = 1; i < argc; i++) {
		FILE *f = fopen(argv[i], "r");

		if (!f)
			die(argv[i]);
		while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
			fwrite(buf, 1, n, stdout);
		fclose(f);
	}
	return 0;
}

/* The socket lines of /proc/net/atcp (tcp) in NETNS, appended to out. */
static int socket_lines(const char *ns, const char *file, char *out, size_t room)
{
	char line[512];
	int n = 0;
	FILE *f = open_socket_table(ns, file);

	if (!f)
		die(file);
	while (fgets(line, sizeof(line), f)) {
		size_t len = strlen(out);

		n++;
		if (len + strlen(ns) + strlen(line) + 4 < room) {
			strcat(out, ns);
			strcat(out, ": ");
			strcat(out, line);
		}
	}
	fclose(f);
	return n;
}

int wait_empty_main(int argc, char **argv)
{
	int c, i, n, proto = atcp_test_proto(), secs = 30, told = 0;
	static char out[8192];
	const char *file;
	double start, end;

	while ((c = getopt(argc, argv, "P:t:")) != -1) {
		switch (c) {
		case 'P': proto = atoi(optarg); break;
		case 't': secs = atoi(optarg); break;
		default: dief("usage: fuzz wait-empty [-P PROTO] [-t SECS] NETNS...");
		}
	}
	file = proto == 6 ? "/proc/self/net/tcp" : "/proc/self/net/atcp";
	start = now_s();
	end = start + secs;
	for (;;) {
		out[0] = 0;
		for (n = 0, i = optind; i < argc; i++)
			n += socket_lines(argv[i], file, out, sizeof(out));
		if (!n)
			return 0;
		if (now_s() > end)
			break;
		if (!told && now_s() - start > 10) {
			printf("still there after 10 s:\n%s", out);
			told = 1;
		}
		/* Only stuck sockets left: no use waiting for them. */
		if (now_s() - start > 3) {
			int k = 0;

			for (i = optind; i < argc; i++)
				k += scan_stuck(argv[i], proto, 1, NULL);
			if (k >= n) {
				for (i = optind; i < argc; i++)
					scan_stuck(argv[i], proto, 1, "stuck: ");
				printf("%d sockets left, stuck; all of them:\n%s", n, out);
				return 1;
			}
		}
		usleep(50000);
	}
	printf("%d sockets left after %d s:\n%s", n, secs, out);
	return 1;
}

