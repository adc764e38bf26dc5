// SPDX-License-Identifier: GPL-2.0
/*
 * atcp-bench - measure one workload over Linux TCP or atcp.
 *
 *   atcp-bench [options] WORKLOAD
 *
 * The server runs in a child process, in the network namespace given by -s
 * (if any), the client in this process, in the one given by -c; mem and
 * scale's filler run both ends in this process (the listener is made in the
 * server's namespace).  Each run prints one JSON object on a line of its own
 * on stdout; scripts/bench collects them, tools/atcp-bench-report makes the
 * table and the medians.
 *
 * Workloads:
 *   stream  -j STREAMS connections (default 1) send -b BYTES writes for -t
 *           seconds; MB/s (10^6 bytes/s) of data delivered: the clock stops
 *           when every server has read EOF and closed ("MBps")
 *   rr      one connection, TCP_NODELAY, 1-byte request / 1-byte response
 *           for -t seconds: transactions/s, p50 and p99 latency in us
 *           ("tps", "p50_us", "p99_us")
 *   crr     for -t seconds: connect, 1-byte request/response, close (the
 *           client closes first and keeps the TIME_WAIT): connections/s
 *           ("cps", also "p50_us" and "p99_us" per connection)
 *   mem     -n COUNT idle connections (default 10000), then closed, each
 *           client first, then its server: slab memory per established
 *           connection, both ends and their files ("estab_bytes"), and per
 *           TIME_WAIT entry ("tw_bytes", divided by the entries present,
 *           "tw_entries"), from /proc/slabinfo before and after, each time
 *           after asking every cache to give back its empty slabs: the
 *           sum over all caches of slabs * pages per slab * page size, so
 *           that caches merged into one count once.  The caches that grew
 *           most are listed ("estab_caches", "tw_caches"; a merged cache
 *           shows under one of its names)
 *   scale   -n COUNT TIME_WAIT entries (default 50000), made on the client
 *           side towards listeners other than the server (one per 4000
 *           entries) by -j threads (default 2), then the crr loop with them
 *           there: "cps", with
 *           "tw_start" and "tw_end", how many of those entries were present
 *           before the first run and after the last (they only go, so
 *           tw_end is the fewest present during any run), "fill_secs"
 *
 * Every run's JSON also has "counters": the counters of the transport that
 * changed during the run, in the client's namespace (atcp: those of
 * /proc/net/atcp_stat; TCP: Tcp and TcpExt of /proc/net/snmp and netstat,
 * named as nstat names them), e.g. retransmissions.
 *
 * Options:
 *   -P PROTO   6 (tcp) or the atcp number (default $ATCP_PROTO, else 253)
 *   -a ADDR    server address (default 127.0.0.1)
 *   -s NETNS   run the server in this namespace (a name in /run/netns or a
 *              path such as /proc/PID/ns/net)
 *   -c NETNS   run the client in this namespace
 *   -t SECS    length of a timed run (default 3; fractions allowed)
 *   -r RUNS    runs (default 3); the setup of mem is redone each run, that
 *              of scale (the filling) only once
 *   -I N       number the runs from N in the JSON (default 1)
 *   -j N       parallel streams (stream, default 1); filler threads (scale,
 *              default 2)
 *   -b BYTES   write size of stream (default 65536)
 *   -B BYTES   SO_SNDBUF and SO_RCVBUF of every socket (default: the
 *              transport's defaults; TCP's then grow with the transfer)
 *   -n COUNT   connections (mem) or TIME_WAIT entries (scale)
 *   -l LABEL   put "topo": LABEL in the JSON (e.g. lo, veth)
 *   -A CPU     run client and server on this CPU only (scale: once the
 *              TIME_WAIT entries are made)
 *   -W SECS    give up after SECS seconds in all (default: generous)
 *   -v         progress on stderr
 *   -S PORT    only the server, on -a ADDR (0.0.0.0 for any) port PORT,
 *              until killed: for clients on another machine
 *   -R PORT    no server of our own: the clients connect to -a ADDR port
 *              PORT, served by -S on another machine (stream, rr, crr)
 *
 * Exit: 0 ok, 1 a measurement failed (the server saw an error, no local
 * port left, no TIME_WAIT entry at all), 2 a system call failed, 3 the -W
 * watchdog fired.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef IPPROTO_ATCP
#define IPPROTO_ATCP 253
#endif

#define MAX_STREAMS	64
#define MAX_FILLERS	8	/* filler threads */
#define MAX_FILL_PORTS	64	/* filler listeners */
/*
 * TIME_WAIT entries per filler listener: a few thousand source ports per
 * destination, so that neither transport runs short of them.  (Linux TCP
 * may still reuse a TIME_WAIT entry's port for a new connection to the
 * same destination, tcp_tw_reuse, on by default for loopback:
 * scripts/bench turns it off in scale's namespace.)
 */
#define FILL_PER_PORT	4000
#define BACKLOG		4096

enum workload { W_STREAM, W_RR, W_CRR, W_MEM, W_SCALE };
static const char *const workload_names[] = {
	[W_STREAM] = "stream", [W_RR] = "rr", [W_CRR] = "crr",
	[W_MEM] = "mem", [W_SCALE] = "scale",
};

static struct {
	enum workload w;
	int proto;
	const char *addr;
	const char *srv_ns, *cli_ns;
	double secs;
	int runs;
	int par;
	size_t wsize;
	long count;
	const char *label;
	int watchdog;
	int verbose;
	int first_run;
	int cpu;
	int bufsize;
	int serve_port;		/* -S: only a server, on this port */
	int remote_port;	/* -R: no server of ours; the one on this port */
} opt = {
	.addr = "127.0.0.1", .secs = 3, .runs = 3, .par = 0, .wsize = 65536,
	.count = -1, .first_run = 1, .cpu = -1,
};

/* Shared with the server child (MAP_SHARED before fork). */
struct shared {
	atomic_int srv_error;		/* the server saw a read error */
};

static struct shared *sh;
static struct sockaddr_in srv_addr;
static int ports[1 + MAX_FILL_PORTS];	/* [0] the server, then fillers */
static int nfill_ports;
static pid_t srv_pid;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
	int err = errno;
	va_list ap;

	fprintf(stderr, "atcp-bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, ": %s\n", strerror(err));
	exit(2);
}

static void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void fail(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "atcp-bench: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(1);
}

static double now(void);
static double t_start;

static void note(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void note(const char *fmt, ...)
{
	va_list ap;

	if (!opt.verbose)
		return;
	fprintf(stderr, "atcp-bench: %6.1f s: ", now() - t_start);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void on_alarm(int sig)
{
	static const char msg[] = "atcp-bench: watchdog: giving up\n";

	(void)sig;
	if (write(2, msg, sizeof(msg) - 1) < 0)
		_exit(3);
	if (srv_pid > 0)
		kill(srv_pid, SIGKILL);
	_exit(3);
}

static void enter_netns(const char *ns)
{
	char path[PATH_MAX];
	int fd;

	if (!ns || !*ns)
		return;
	if (strchr(ns, '/'))
		snprintf(path, sizeof(path), "%s", ns);
	else
		snprintf(path, sizeof(path), "/run/netns/%s", ns);
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		die("open %s", path);
	if (setns(fd, CLONE_NEWNET))
		die("setns %s", path);
	close(fd);
}

static void raise_nofile(long want)
{
	struct rlimit rl;

	if (getrlimit(RLIMIT_NOFILE, &rl))
		die("getrlimit");
	if ((long)rl.rlim_cur >= want)
		return;
	rl.rlim_cur = want;
	if ((long)rl.rlim_max < want)
		rl.rlim_max = want;
	if (setrlimit(RLIMIT_NOFILE, &rl))
		die("setrlimit RLIMIT_NOFILE %ld", want);
}

/* -A: this thread (and what it forks or starts after) on one CPU. */
static void pin_cpu(void)
{
	cpu_set_t set;

	if (opt.cpu < 0)
		return;
	CPU_ZERO(&set);
	CPU_SET(opt.cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		die("sched_setaffinity CPU %d", opt.cpu);
}

/* -B: fixed buffers (accepted sockets inherit the listener's). */
static void set_bufs(int fd)
{
	if (!opt.bufsize)
		return;
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &opt.bufsize, sizeof(opt.bufsize)) ||
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &opt.bufsize, sizeof(opt.bufsize)))
		die("setsockopt SO_SNDBUF/SO_RCVBUF");
}

static int new_socket(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, opt.proto);

	if (fd < 0)
		die("socket(AF_INET, SOCK_STREAM, %d)", opt.proto);
	set_bufs(fd);
	return fd;
}

static void set_nodelay(int fd)
{
	int one = 1;

	if (setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one)))
		die("setsockopt TCP_NODELAY");
}

/* Connect to server port index i; EADDRNOTAVAIL is reported as such. */
static int connect_port(int i)
{
	struct sockaddr_in sin = srv_addr;
	int fd = new_socket();

	sin.sin_port = htons(ports[i]);
	if (connect(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		if (errno == EADDRNOTAVAIL)
			fail("connect: no local port left (EADDRNOTAVAIL)");
		die("connect to %s:%d", opt.addr, ports[i]);
	}
	return fd;
}

static ssize_t write_full(int fd, const void *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t w = send(fd, (const char *)buf + done, n - done,
				 MSG_NOSIGNAL);

		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		done += w;
	}
	return done;
}

/* Read until EOF; 0 on EOF, -1 on error. */
static int read_to_eof(int fd, char *buf, size_t size)
{
	for (;;) {
		ssize_t r = read(fd, buf, size);

		if (r == 0)
			return 0;
		if (r < 0 && errno != EINTR)
			return -1;
	}
}

static void xchg_byte(int fd, const char *what)
{
	char c = 'q';
	ssize_t r;

	if (write(fd, &c, 1) != 1)
		die("%s: write", what);
	do {
		r = read(fd, &c, 1);
	} while (r < 0 && errno == EINTR);
	if (r != 1) {
		if (r == 0)
			errno = ECONNRESET;
		die("%s: read", what);
	}
}

/* ------------------------------------------------------------------ */
/* The server (child process). */

struct conn_arg {
	int fd;
};

static void *stream_conn(void *p)
{
	int fd = ((struct conn_arg *)p)->fd;
	size_t size = 256 << 10;
	char *buf = malloc(size);

	free(p);
	if (!buf || read_to_eof(fd, buf, size))
		atomic_store(&sh->srv_error, 1);
	close(fd);
	free(buf);
	return NULL;
}

static void *rr_conn(void *p)
{
	int fd = ((struct conn_arg *)p)->fd;
	char c;

	free(p);
	set_nodelay(fd);
	for (;;) {
		ssize_t r = read(fd, &c, 1);

		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (write(fd, &c, 1) != 1)
			break;
	}
	close(fd);
	return NULL;
}

static int accept_one(int lfd)
{
	int fd;

	for (;;) {
		fd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
		if (fd >= 0)
			break;
		if (errno != EINTR && errno != ECONNABORTED)
			die("server: accept");
	}
	return fd;
}

/* crr: request, response, then the client closes, then we do. */
static void serve_crr(int lfd)
{
	char buf[64];

	for (;;) {
		int fd = accept_one(lfd);
		ssize_t r;

		do {
			r = read(fd, buf, 1);
		} while (r < 0 && errno == EINTR);
		if (r == 1 && write(fd, buf, 1) == 1)
			read_to_eof(fd, buf, sizeof(buf));
		close(fd);
	}
}

static void serve_threads(int lfd, void *(*fn)(void *))
{
	for (;;) {
		struct conn_arg *a = malloc(sizeof(*a));
		pthread_t t;

		if (!a)
			die("malloc");
		a->fd = accept_one(lfd);
		if (pthread_create(&t, NULL, fn, a))
			die("pthread_create");
		pthread_detach(t);
	}
}

static int listener(void)
{
	struct sockaddr_in sin = srv_addr;
	socklen_t len = sizeof(sin);
	int one = 1, fd = new_socket();

	sin.sin_port = htons(opt.serve_port);
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)))
		die("setsockopt SO_REUSEADDR");
	if (bind(fd, (struct sockaddr *)&sin, sizeof(sin)))
		die("server: bind %s", opt.addr);
	if (listen(fd, BACKLOG))
		die("server: listen");
	if (getsockname(fd, (struct sockaddr *)&sin, &len))
		die("server: getsockname");
	return fd;
}

/*
 * A listener in the server's namespace, made from this process (mem and
 * scale's filler run both ends here); its port goes to ports[i].
 */
static int listener_in_server_ns(int i)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int back = -1, fd;

	if (opt.srv_ns) {
		back = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
		if (back < 0)
			die("open /proc/thread-self/ns/net");
		enter_netns(opt.srv_ns);
	}
	fd = listener();
	if (back >= 0) {
		if (setns(back, CLONE_NEWNET))
			die("setns back");
		close(back);
	}
	if (getsockname(fd, (struct sockaddr *)&sin, &len))
		die("getsockname");
	ports[i] = ntohs(sin.sin_port);
	return fd;
}

/* Serve the workload's connections on lfd, for as long as we live. */
static void serve(int lfd)
{
	switch (opt.w) {
	case W_STREAM:
		serve_threads(lfd, stream_conn);
		break;
	case W_RR:
		serve_threads(lfd, rr_conn);
		break;
	case W_CRR:
	case W_SCALE:
		serve_crr(lfd);
		break;
	case W_MEM:
		break;
	}
}

/* -S: the server alone, for a client on another machine (-R there). */
static void serve_only(void)
{
	pin_cpu();
	enter_netns(opt.srv_ns);
	fprintf(stderr, "atcp-bench: serving %s on %s port %d\n",
		workload_names[opt.w], opt.addr, opt.serve_port);
	serve(listener());
	exit(0);
}

static void server_main(int ready_fd)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int lfd;

	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() == 1)
		_exit(0);
	pin_cpu();
	enter_netns(opt.srv_ns);
	lfd = listener();
	if (getsockname(lfd, (struct sockaddr *)&sin, &len))
		die("server: getsockname");
	ports[0] = ntohs(sin.sin_port);
	if (write(ready_fd, &ports[0], sizeof(ports[0])) != sizeof(ports[0]))
		die("server: write ready");
	close(ready_fd);
	serve(lfd);
	_exit(0);
}

/* Fork the server; return once it listens, its port in ports[0]. */
static void start_server(void)
{
	int p[2];

	if (pipe2(p, O_CLOEXEC))
		die("pipe");
	srv_pid = fork();
	if (srv_pid < 0)
		die("fork");
	if (srv_pid == 0) {
		close(p[0]);
		server_main(p[1]);
	}
	close(p[1]);
	if (read(p[0], &ports[0], sizeof(ports[0])) != sizeof(ports[0]))
		fail("the server did not start");
	close(p[0]);
}

static void stop_server(void)
{
	if (srv_pid <= 0)
		return;
	kill(srv_pid, SIGKILL);
	waitpid(srv_pid, NULL, 0);
	srv_pid = 0;
}

/* ------------------------------------------------------------------ */
/* JSON output. */

static void json_begin(int run)
{
	printf("{\"workload\":\"%s\",\"proto\":%d,\"transport\":\"%s\"",
	       workload_names[opt.w], opt.proto,
	       opt.proto == IPPROTO_TCP ? "tcp" : "atcp");
	if (opt.label)
		printf(",\"topo\":\"%s\"", opt.label);
	printf(",\"run\":%d", run + opt.first_run - 1);
	if (opt.cpu >= 0)
		printf(",\"cpu\":%d", opt.cpu);
	if (opt.w != W_MEM)
		printf(",\"secs\":%g", opt.secs);
}

static void json_end(void)
{
	printf("}\n");
	fflush(stdout);
}

/* ------------------------------------------------------------------ */
/* The transport's counters, in the client's namespace. */

#define MAX_CTRS 256

struct counters {
	int n;
	char name[MAX_CTRS][72];
	long long v[MAX_CTRS];
};

static struct counters ctr_before;

static void ctr_add(struct counters *c, const char *prefix, const char *name,
		    long long v)
{
	if (c->n >= MAX_CTRS)
		return;
	snprintf(c->name[c->n], sizeof(c->name[0]), "%s%s", prefix, name);
	c->v[c->n++] = v;
}

/* The "Tcp:" and "TcpExt:" name and value lines of /proc/net/{snmp,netstat}. */
static void ctr_read_mib(struct counters *c, const char *path)
{
	char names[4096], values[4096];
	FILE *f = fopen(path, "re");

	if (!f)
		return;
	while (fgets(names, sizeof(names), f) && fgets(values, sizeof(values), f)) {
		char *sn, *sv, *n, *v;
		const char *prefix;

		if (!strncmp(names, "Tcp: ", 5))
			prefix = "Tcp";
		else if (!strncmp(names, "TcpExt: ", 8))
			prefix = "TcpExt";
		else
			continue;
		n = strtok_r(names, " \n", &sn);
		v = strtok_r(values, " \n", &sv);
		while ((n = strtok_r(NULL, " \n", &sn)) &&
		       (v = strtok_r(NULL, " \n", &sv)))
			ctr_add(c, prefix, n, strtoll(v, NULL, 10));
	}
	fclose(f);
}

/*
 * atcp: every counter of /proc/net/atcp_stat; TCP: those of Tcp and TcpExt
 * (as nstat names them).
 */
static void ctr_read(struct counters *c)
{
	c->n = 0;
	if (opt.proto == IPPROTO_TCP) {
		ctr_read_mib(c, "/proc/net/snmp");
		ctr_read_mib(c, "/proc/net/netstat");
	} else {
		FILE *f = fopen("/proc/net/atcp_stat", "re");
		char name[64];
		long long v;

		if (!f)
			return;
		while (fscanf(f, "%63s %lld", name, &v) == 2)
			ctr_add(c, "", name, v);
		fclose(f);
	}
}

static void ctr_start(void)
{
	ctr_read(&ctr_before);
}

/* ,"counters":{...}: those that changed since ctr_start(), gauges aside. */
static void ctr_print(FILE *out)
{
	static struct counters after;
	int i, j, k = 0;

	ctr_read(&after);
	fprintf(out, ",\"counters\":{");
	for (i = 0; i < after.n; i++) {
		long long d;

		if (!strcmp(after.name[i], "TcpCurrEstab"))
			continue;
		for (j = 0; j < ctr_before.n; j++)
			if (!strcmp(ctr_before.name[j], after.name[i]))
				break;
		d = after.v[i] - (j < ctr_before.n ? ctr_before.v[j] : 0);
		if (d)
			fprintf(out, "%s\"%s\":%lld", k++ ? "," : "",
				after.name[i], d);
	}
	fprintf(out, "}");
}

/* ------------------------------------------------------------------ */
/* Latency samples. */

struct samples {
	double *v;
	size_t n, cap;
};

static void sample_add(struct samples *s, double x)
{
	if (s->n == s->cap) {
		s->cap = s->cap ? s->cap * 2 : 4096;
		s->v = realloc(s->v, s->cap * sizeof(*s->v));
		if (!s->v)
			die("realloc");
	}
	s->v[s->n++] = x;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

/* The p-th percentile (nearest rank), in microseconds. */
static double percentile(struct samples *s, double p)
{
	size_t k;

	if (!s->n)
		return 0;
	qsort(s->v, s->n, sizeof(*s->v), cmp_double);
	k = (size_t)(p / 100 * s->n + 0.5);
	if (k > 0)
		k--;
	if (k >= s->n)
		k = s->n - 1;
	return s->v[k] * 1e6;
}

/* ------------------------------------------------------------------ */
/* stream */

struct stream_arg {
	int fd;
	double deadline;
	long long bytes;
	pthread_barrier_t *bar;
};

static void *stream_client(void *p)
{
	struct stream_arg *a = p;
	char *buf = malloc(opt.wsize);

	if (!buf)
		die("malloc");
	memset(buf, 'x', opt.wsize);
	pthread_barrier_wait(a->bar);
	do {
		if (write_full(a->fd, buf, opt.wsize) < 0)
			die("stream: send");
		a->bytes += opt.wsize;
	} while (now() < a->deadline);
	if (shutdown(a->fd, SHUT_WR))
		die("stream: shutdown");
	/* The server closes once it has read everything. */
	if (read_to_eof(a->fd, buf, opt.wsize))
		die("stream: read EOF");
	close(a->fd);
	free(buf);
	return NULL;
}

static void run_stream(int run)
{
	struct stream_arg a[MAX_STREAMS];
	pthread_t t[MAX_STREAMS];
	pthread_barrier_t bar;
	long long total = 0;
	double t0, t1;
	int i, j = opt.par;

	pthread_barrier_init(&bar, NULL, j + 1);
	ctr_start();
	for (i = 0; i < j; i++) {
		a[i].fd = connect_port(0);
		a[i].bytes = 0;
		a[i].bar = &bar;
	}
	t0 = now();
	for (i = 0; i < j; i++) {
		a[i].deadline = t0 + opt.secs;
		if (pthread_create(&t[i], NULL, stream_client, &a[i]))
			die("pthread_create");
	}
	pthread_barrier_wait(&bar);
	for (i = 0; i < j; i++) {
		pthread_join(t[i], NULL);
		total += a[i].bytes;
	}
	t1 = now();
	pthread_barrier_destroy(&bar);
	if (atomic_load(&sh->srv_error))
		fail("stream: the server saw an error");
	json_begin(run);
	printf(",\"streams\":%d,\"write_size\":%zu,\"bytes\":%lld,\"elapsed\":%.4f,\"MBps\":%.3f",
	       j, opt.wsize, total, t1 - t0, total / (t1 - t0) / 1e6);
	ctr_print(stdout);
	json_end();
}

/* ------------------------------------------------------------------ */
/* rr */

static void run_rr(int run)
{
	struct samples s = { 0 };
	double t0, t1, deadline, a, b;
	long n = 0;
	int i, fd;

	ctr_start();
	fd = connect_port(0);
	set_nodelay(fd);
	for (i = 0; i < 20; i++)
		xchg_byte(fd, "rr (warm-up)");
	t0 = now();
	deadline = t0 + opt.secs;
	a = t0;
	do {
		xchg_byte(fd, "rr");
		b = now();
		sample_add(&s, b - a);
		a = b;
		n++;
	} while (b < deadline);
	t1 = b;
	close(fd);
	json_begin(run);
	printf(",\"transactions\":%ld,\"elapsed\":%.4f,\"tps\":%.1f,\"p50_us\":%.1f,\"p99_us\":%.1f",
	       n, t1 - t0, n / (t1 - t0), percentile(&s, 50), percentile(&s, 99));
	ctr_print(stdout);
	json_end();
	free(s.v);
}

/* ------------------------------------------------------------------ */
/* crr, and the TIME_WAIT entries for scale */

/*
 * Entries of this namespace's /proc/net/tcp or /proc/net/atcp (same
 * format) in state st_want (hex state numbers, 6: TIME_WAIT), or with
 * st_want < 0 in any state but LISTEN; with nports > 0, only those towards
 * one of the remote ports given.
 */
static long count_entries(int st_want, const int *rports, int nports)
{
	const char *path = opt.proto == IPPROTO_TCP ? "/proc/net/tcp" : "/proc/net/atcp";
	FILE *f = fopen(path, "re");
	char line[512];
	long n = 0;

	if (!f)
		die("open %s", path);
	while (fgets(line, sizeof(line), f)) {
		unsigned int rport, st;
		int i;

		if (sscanf(line, "%*s %*s %*x:%x %x", &rport, &st) != 2)
			continue;
		if (st_want < 0 ? st == 10 /* LISTEN */ : (int)st != st_want)
			continue;
		for (i = 0; i < nports && rports[i] != (int)rport; i++)
			;
		if (!nports || i < nports)
			n++;
	}
	fclose(f);
	return n;
}

static void crr_loop(double secs, long *count, double *elapsed,
		     struct samples *s)
{
	double t0 = now(), deadline = t0 + secs, a = t0, b;
	long n = 0;

	do {
		int fd = connect_port(0);

		xchg_byte(fd, "crr");
		close(fd);
		b = now();
		if (s)
			sample_add(s, b - a);
		a = b;
		n++;
	} while (b < deadline);
	*count = n;
	*elapsed = b - t0;
}

static void run_crr(int run)
{
	struct samples s = { 0 };
	double elapsed;
	long n;

	ctr_start();
	crr_loop(opt.secs, &n, &elapsed, &s);
	json_begin(run);
	printf(",\"connections\":%ld,\"elapsed\":%.4f,\"cps\":%.1f,\"p50_us\":%.1f,\"p99_us\":%.1f",
	       n, elapsed, n / elapsed, percentile(&s, 50), percentile(&s, 99));
	ctr_print(stdout);
	json_end();
	free(s.v);
}

struct fill_arg {
	int first;		/* filler listeners first, first + step, ... */
	int step;
	long n;
};

static int fill_lfd[1 + MAX_FILL_PORTS];

/*
 * Open and close n connections, both ends here, each client closing first:
 * each leaves a TIME_WAIT entry on the client's side.  On loopback (and a
 * veth) each step is done by the time its system call returns, so nothing
 * waits for another process to be scheduled.  The connections go to the
 * thread's listeners in turn.
 */
static void *fill_thread(void *p)
{
	struct fill_arg *a = p;
	int k = a->first;
	char buf[64];
	long i;

	for (i = 0; i < a->n; i++) {
		int c = connect_port(k);
		int s = accept_one(fill_lfd[k]);

		close(c);
		if (read_to_eof(s, buf, sizeof(buf)))
			die("filler: read");
		close(s);
		k += a->step;
		if (k > nfill_ports)
			k = a->first;
	}
	return NULL;
}

static double fill_tw(long n, int nthreads)
{
	struct fill_arg a[MAX_FILLERS];
	pthread_t t[MAX_FILLERS];
	double t0 = now();
	int i;

	nfill_ports = (n + FILL_PER_PORT - 1) / FILL_PER_PORT;
	if (nfill_ports < nthreads)
		nfill_ports = nthreads;
	if (nfill_ports > MAX_FILL_PORTS)
		nfill_ports = MAX_FILL_PORTS;
	for (i = 1; i <= nfill_ports; i++)
		fill_lfd[i] = listener_in_server_ns(i);
	for (i = 0; i < nthreads; i++) {
		a[i].first = 1 + i;
		a[i].step = nthreads;
		a[i].n = n / nthreads + (i < n % nthreads);
		if (pthread_create(&t[i], NULL, fill_thread, &a[i]))
			die("pthread_create");
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(t[i], NULL);
	for (i = 1; i <= nfill_ports; i++)
		close(fill_lfd[i]);
	return now() - t0;
}

/*
 * The filler's entries are counted once made and after the last run: none
 * is made in between, so the count after the last run is the fewest there
 * were during any run.  (Counting reads /proc/net/tcp or /proc/net/atcp,
 * a second or more for 50,000 entries under TCG, and Linux TCP's entries
 * only last 60 s: no count between runs.)
 */
static void run_scale(void)
{
	long n = opt.count, start = 0, end = 0;
	double fill_secs = 0, fill_end;
	double *elapsed = calloc(opt.runs, sizeof(*elapsed));
	double *since = calloc(opt.runs, sizeof(*since));
	long *c = calloc(opt.runs, sizeof(*c));
	char **ctrs = calloc(opt.runs, sizeof(*ctrs));
	int run;

	if (!elapsed || !since || !c || !ctrs)
		die("calloc");
	if (n > 0) {
		note("scale: making %ld TIME_WAIT entries, %d threads", n, opt.par);
		fill_secs = fill_tw(n, opt.par);
		start = count_entries(6, ports + 1, nfill_ports);
		note("scale: made in %.1f s, %ld present", fill_secs, start);
	}
	pin_cpu();
	fill_end = now();
	for (run = 0; run < opt.runs; run++) {
		size_t len;
		FILE *f;

		ctr_start();
		crr_loop(opt.secs, &c[run], &elapsed[run], NULL);
		since[run] = now() - fill_end;
		f = open_memstream(&ctrs[run], &len);
		if (!f)
			die("open_memstream");
		ctr_print(f);
		fclose(f);
	}
	if (n > 0)
		end = count_entries(6, ports + 1, nfill_ports);
	if (end < n)
		note("scale: %ld of the %ld TIME_WAIT entries left after the last run (made in %.1f s; Linux TCP keeps them 60 s)",
		     end, n, fill_secs);
	for (run = 0; run < opt.runs; run++) {
		json_begin(run + 1);
		printf(",\"tw_target\":%ld,\"tw_start\":%ld,\"tw_end\":%ld,\"fill_secs\":%.2f,\"since_fill\":%.2f,\"connections\":%ld,\"elapsed\":%.4f,\"cps\":%.1f",
		       n, start, end, fill_secs, since[run], c[run], elapsed[run],
		       c[run] / elapsed[run]);
		fputs(ctrs[run], stdout);
		free(ctrs[run]);
		json_end();
	}
	free(ctrs);
	free(elapsed);
	free(since);
	free(c);
}

/* ------------------------------------------------------------------ */
/* mem */

#define MAX_CACHES 512

struct slab_snap {
	int n;
	char name[MAX_CACHES][64];
	long long bytes[MAX_CACHES];
	long long total;
};

/* Every slab cache's memory: num_slabs * pagesperslab * page size. */
static void slab_snapshot(struct slab_snap *s)
{
	long page = sysconf(_SC_PAGESIZE);
	FILE *f = fopen("/proc/slabinfo", "re");
	char line[1024];

	if (!f)
		die("open /proc/slabinfo");
	s->n = 0;
	s->total = 0;
	while (fgets(line, sizeof(line), f)) {
		char name[64];
		long long active, num, objsize, perslab, pages, slabs;

		if (line[0] == '#' || !strncmp(line, "slabinfo", 8))
			continue;
		if (sscanf(line, "%63s %lld %lld %lld %lld %lld : tunables %*d %*d %*d : slabdata %*d %lld",
			   name, &active, &num, &objsize, &perslab, &pages,
			   &slabs) != 7)
			continue;
		if (s->n < MAX_CACHES) {
			snprintf(s->name[s->n], sizeof(s->name[0]), "%s", name);
			s->bytes[s->n++] = slabs * pages * page;
		}
		s->total += slabs * pages * page;
	}
	fclose(f);
}

/* Give back empty slabs (per-CPU partial lists included) before a snapshot. */
static void slab_settle(void)
{
	DIR *d;
	struct dirent *e;

	usleep(300000);
	d = opendir("/sys/kernel/slab");
	if (d) {
		while ((e = readdir(d))) {
			char path[PATH_MAX];
			int fd;

			if (e->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/sys/kernel/slab/%s/shrink",
				 e->d_name);
			fd = open(path, O_WRONLY | O_CLOEXEC);
			if (fd < 0)
				continue;
			if (write(fd, "1", 1) < 0)
				note("cannot shrink %s: %s", e->d_name, strerror(errno));
			close(fd);
		}
		closedir(d);
	}
	usleep(200000);
}

/* The caches that grew most between a and b, as a JSON object. */
static void print_cache_deltas(const char *key, const struct slab_snap *a,
			       const struct slab_snap *b, long n)
{
	long long d[MAX_CACHES];
	int idx[MAX_CACHES], i, j, k = 0;

	for (i = 0; i < b->n; i++) {
		long long before = 0;

		for (j = 0; j < a->n; j++) {
			if (!strcmp(a->name[j], b->name[i])) {
				before = a->bytes[j];
				break;
			}
		}
		d[i] = b->bytes[i] - before;
		idx[i] = i;
	}
	/* Sort by delta, largest first (selection sort: a few hundred). */
	for (i = 0; i < b->n; i++) {
		int m = i;

		for (j = i + 1; j < b->n; j++)
			if (d[idx[j]] > d[idx[m]])
				m = j;
		k = idx[i];
		idx[i] = idx[m];
		idx[m] = k;
	}
	printf(",\"%s\":{", key);
	for (i = 0, k = 0; i < b->n && k < 8; i++) {
		if (d[idx[i]] * 20 < (long long)n * 8)	/* < 0.4 byte each */
			break;
		printf("%s\"%s\":%.1f", k ? "," : "", b->name[idx[i]],
		       (double)d[idx[i]] / n);
		k++;
	}
	printf("}");
}

static void run_mem(int run)
{
	static struct slab_snap base, estab, tw;
	long n = opt.count, i, twn = -1, others = -1;
	int *cfd = malloc(n * sizeof(*cfd)), *sfd = malloc(n * sizeof(*sfd));
	double t0, last = 0, full = 0;
	char buf[64];
	int lfd;

	if (!cfd || !sfd)
		die("malloc");
	lfd = listener_in_server_ns(0);
	ctr_start();
	slab_settle();
	slab_snapshot(&base);
	note("mem: opening %ld connections", n);
	t0 = now();
	for (i = 0; i < n; i++) {
		cfd[i] = connect_port(0);
		sfd[i] = accept_one(lfd);
	}
	note("mem: %ld established in %.1f s", n, now() - t0);
	slab_settle();
	slab_snapshot(&estab);

	/*
	 * Each client closes first, then its server, once the FIN is in: one
	 * orphaned socket at a time.  (Closing all the clients first would
	 * leave 10,000 orphans waiting for delayed ACKs: past
	 * net.ipv4.tcp_max_orphans, Linux TCP resets them, TCPAbortOnMemory.)
	 */
	t0 = now();
	for (i = 0; i < n; i++) {
		close(cfd[i]);
		if (read_to_eof(sfd[i], buf, sizeof(buf)))
			die("mem: read");
		close(sfd[i]);
	}
	close(lfd);
	/*
	 * Wait for every client to be in TIME_WAIT and the servers gone
	 * (LAST_ACK), or for the counts to stop changing: a TIME_WAIT entry
	 * can be ended early by a RST (TIME_WAIT assassination, RFC 1337).
	 */
	for (;;) {
		long t = count_entries(6, NULL, 0), o = count_entries(-1, NULL, 0) - t;

		if (t != twn || o != others)
			full = now();
		twn = t;
		others = o;
		if (twn >= n && others <= 0)
			break;
		if (now() > full + 3 || now() > t0 + 40)
			break;
		if (opt.verbose && now() > last + 5) {
			note("mem: waiting: %ld TIME_WAIT entries, %ld other sockets",
			     twn, others);
			last = now();
		}
		usleep(100000);
	}
	note("mem: %ld TIME_WAIT entries, %ld other sockets, %.1f s after closing",
	     twn, others, now() - t0);
	slab_settle();
	slab_snapshot(&tw);
	free(cfd);
	free(sfd);
	if (twn < n)
		note("mem: only %ld TIME_WAIT entries of %ld (see TimeWaitKilledByRst in /proc/net/atcp_stat or TWKilled in nstat)",
		     twn, n);
	if (twn <= 0)
		fail("mem: no TIME_WAIT entry");

	json_begin(run);
	printf(",\"connections\":%ld,\"tw_entries\":%ld,\"other_sockets\":%ld,\"slab_base\":%lld,\"slab_estab\":%lld,\"slab_tw\":%lld,\"estab_bytes\":%.1f,\"tw_bytes\":%.1f",
	       n, twn, others, base.total, estab.total, tw.total,
	       (double)(estab.total - base.total) / n,
	       (double)(tw.total - base.total) / twn);
	print_cache_deltas("estab_caches", &base, &estab, n);
	print_cache_deltas("tw_caches", &base, &tw, twn);
	ctr_print(stdout);
	json_end();
}

/* ------------------------------------------------------------------ */

static void usage(void)
{
	fprintf(stderr,
		"usage: atcp-bench [-P proto] [-a addr] [-s server-netns] [-c client-netns]\n"
		"                  [-t secs] [-r runs] [-I first] [-j n] [-b bytes] [-B bytes]\n"
		"                  [-n count] [-l label] [-A cpu] [-W secs] [-v]\n"
		"                  [-S port | -R port]\n"
		"                  stream|rr|crr|mem|scale\n");
	exit(2);
}

int main(int argc, char **argv)
{
	const char *env = getenv("ATCP_PROTO");
	int c, run;

	t_start = now();
	opt.proto = env ? atoi(env) : IPPROTO_ATCP;
	while ((c = getopt(argc, argv, "P:a:s:c:t:r:I:j:b:B:n:l:A:W:vS:R:")) != -1) {
		switch (c) {
		case 'P':
			if (!strcmp(optarg, "tcp"))
				opt.proto = IPPROTO_TCP;
			else if (!strcmp(optarg, "atcp"))
				opt.proto = IPPROTO_ATCP;
			else
				opt.proto = atoi(optarg);
			break;
		case 'a': opt.addr = optarg; break;
		case 's': opt.srv_ns = optarg; break;
		case 'c': opt.cli_ns = optarg; break;
		case 't': opt.secs = atof(optarg); break;
		case 'r': opt.runs = atoi(optarg); break;
		case 'I': opt.first_run = atoi(optarg); break;
		case 'j': opt.par = atoi(optarg); break;
		case 'b': opt.wsize = strtoul(optarg, NULL, 0); break;
		case 'B': opt.bufsize = atoi(optarg); break;
		case 'n': opt.count = strtol(optarg, NULL, 0); break;
		case 'l': opt.label = optarg; break;
		case 'A': opt.cpu = atoi(optarg); break;
		case 'W': opt.watchdog = atoi(optarg); break;
		case 'v': opt.verbose = 1; break;
		case 'S': opt.serve_port = atoi(optarg); break;
		case 'R': opt.remote_port = atoi(optarg); break;
		default: usage();
		}
	}
	if (optind != argc - 1)
		usage();
	for (c = 0; c < (int)(sizeof(workload_names) / sizeof(workload_names[0])); c++)
		if (!strcmp(argv[optind], workload_names[c]))
			break;
	if (c == sizeof(workload_names) / sizeof(workload_names[0]))
		usage();
	opt.w = c;
	if (opt.proto <= 0 || opt.proto > 255 || opt.secs <= 0 || opt.runs < 1 ||
	    !opt.wsize)
		usage();
	if (!opt.par)
		opt.par = opt.w == W_SCALE ? 2 : 1;
	if (opt.par < 1 || opt.par > (opt.w == W_SCALE ? MAX_FILLERS : MAX_STREAMS))
		usage();
	if (opt.count < 0)
		opt.count = opt.w == W_SCALE ? 50000 : 10000;
	if (opt.w == W_MEM && opt.count < 1)
		usage();

	memset(&srv_addr, 0, sizeof(srv_addr));
	srv_addr.sin_family = AF_INET;
	if (inet_pton(AF_INET, opt.addr, &srv_addr.sin_addr) != 1)
		usage();

	sh = mmap(NULL, sizeof(*sh), PROT_READ | PROT_WRITE,
		  MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	if (sh == MAP_FAILED)
		die("mmap");
	signal(SIGPIPE, SIG_IGN);
	signal(SIGALRM, on_alarm);
	if (!opt.watchdog)
		opt.watchdog = 120 + opt.runs * (opt.secs * 3 + 10) +
			       (opt.w == W_MEM ? opt.runs : 1) * opt.count / 50;
	alarm(opt.watchdog);
	if (opt.w == W_MEM)
		raise_nofile(2 * opt.count + 1024);

	/* scale's filler threads may use every CPU; its crr loop is pinned. */
	if (opt.w != W_SCALE)
		pin_cpu();
	if (opt.serve_port)
		serve_only();
	if (opt.remote_port)
		ports[0] = opt.remote_port;
	else if (opt.w != W_MEM)
		start_server();
	/* After the fork: the server entered its own namespace. */
	enter_netns(opt.cli_ns);

	switch (opt.w) {
	case W_STREAM:
		for (run = 1; run <= opt.runs; run++)
			run_stream(run);
		break;
	case W_RR:
		for (run = 1; run <= opt.runs; run++)
			run_rr(run);
		break;
	case W_CRR:
		for (run = 1; run <= opt.runs; run++)
			run_crr(run);
		break;
	case W_SCALE:
		run_scale();
		break;
	case W_MEM:
		for (run = 1; run <= opt.runs; run++)
			run_mem(run);
		break;
	}
	stop_server();
	return 0;
}
