// SPDX-License-Identifier: GPL-2.0
/*
 * sysfuzz - a seeded syscall fuzzer for atcp sockets.
 *
 *   sysfuzz [-s SEED] [-t SECONDS | -n OPS] [-j THREADS] [-P PROTO]
 *           [-N NETNS[,NETNS...]] [-a ADDR]... [-u ADDR] [-p PORT]
 *           [-F SLOTS] [-T N] [-d N] [-w SECONDS] [-v]
 *
 * THREADS threads (default 4) share a pool of SLOTS file descriptors
 * (default 32) and call, on whatever the pool holds at that moment,
 * random sequences of: socket, bind, listen, connect (blocking, bounded
 * by a short SO_SNDTIMEO and the watchdog's signal, or non-blocking, then
 * poll and SO_ERROR), accept and accept4, send, sendto, sendmsg, sendmmsg,
 * recv, recvfrom, recvmsg, recvmmsg (every MSG_ flag and random bits),
 * shutdown (every how, invalid ones too), close, dup, dup2, dup3 and
 * F_DUPFD, setsockopt and getsockopt (levels SOL_SOCKET, SOL_TCP, the
 * atcp level, SOL_IP and random ones; TCP_* names 0..40 and random ones;
 * lengths 0, 1, 3, 4, 8, huge, negative; values 0, 1, -1, INT_MAX, random;
 * pointers to NULL, unmapped, read-only memory and across the end of a
 * mapping), ioctl (SIOCINQ, SIOCOUTQ, SIOCOUTQNSD, FIONBIO, SIOCATMARK,
 * timestamps, owners, random), fcntl, poll, epoll, sendfile and splice
 * from a file, splice to a pipe, getsockname and getpeername.  So calls
 * race on one socket: close against send, connect against listen,
 * setsockopt against recv, shutdown and connect(AF_UNSPEC) against all.
 *
 * Sockets are AF_INET SOCK_STREAM of protocol PROTO (-P, else $ATCP_PROTO,
 * else IPPROTO_ATCP), and one in T (-T, default 8) of protocol 6: with
 * PROTO 6 every socket is Linux's TCP, which validates what is expected.
 * Addresses: 127.0.0.1 and each -a ADDR (other namespaces' addresses,
 * unreachable ones) and -u ADDR (one on a link where nothing answers, so
 * that a SYN stays unanswered), ports PORT..PORT+15 (-p, default 20000),
 * so that binds, listens and connects meet.  With -N, thread i works in
 * network namespace i mod K of the K named (ip netns); the pool is shared
 * anyway.
 *
 * Seeded: thread i draws every choice from its own stream, derived from
 * (SEED, i), whatever the calls return; the seed is printed, and -j 1 -n
 * OPS -v replays one thread's sequence call by call (the kernel's timing
 * still decides what each call meets).
 *
 * What it checks:
 *  - every errno is one that call may return on a socket (a list per
 *    call; EIO, ENOTRECOVERABLE, ERESTARTSYS leaking out, ... fail), and
 *    the values it returns are sane (no more bytes than asked, a sockaddr
 *    of AF_INET, SO_ERROR holding a connection error, poll events asked);
 *  - a bad pointer given to a known option fails with EFAULT, and a
 *    negative length with EINVAL, on a private duplicate of the descriptor
 *    (no other thread can close it);
 *  - one op in D (-d, default 16; 0: never) is a differential probe: two
 *    private sockets, one of PROTO and one of TCP, are brought to the same
 *    state (new, bound, listening, connected, accepted, with data pending,
 *    with data sent with MSG_MORE, shut down for writing, closed or reset
 *    by the peer, disconnected by connect(AF_UNSPEC), connecting to -u
 *    ADDR) over loopback, every step checked on both (the peer must see
 *    the data, the FIN, the RST), and the same random call (setsockopt,
 *    getsockopt, ioctl, recv, send, shutdown, listen, getsockname,
 *    getpeername, connect(AF_UNSPEC), accept4) is made on both: the
 *    results must be equal, except that an option atcp does not implement
 *    fails as TCP fails for one it does not know (SPEC 9), and what the
 *    core kernel decides on sk_protocol == IPPROTO_TCP (diff_excused()).
 *    A difference counts when it repeats on new sockets;
 *  - no call lasts longer than its bound: a watchdog thread sends the
 *    thread SIGUSR1 (no SA_RESTART) once a call passes its soft bound (a
 *    few milliseconds to 0.4 s, drawn per call) and every 100 ms after
 *    that; a call still running after -w SECONDS (default 30) is a hang:
 *    it prints the call, the thread's last calls and its kernel stack,
 *    and exits 3;
 *  - the process is not killed: SIGPIPE is ignored, SIGIO and SIGURG
 *    (owners set by FIOSETOWN) are counted;
 *  - the kernel logs no complaint (WARNING, BUG, KASAN, lockdep, ...):
 *    /dev/kmsg is read as it grows, and a complaint is printed with the
 *    last calls of the thread it names, and every thread's calls on the
 *    descriptor that thread was using.
 *
 * At the end it turns SO_LINGER off on every socket left (so that exit
 * never waits for a peer), closes them, and prints the calls and errnos
 * counted, per call, each distinct failure with its count, and a line
 *   sysfuzz: result calls=N errno=N value=N efault=N diff=N kernel=N hang=N ...
 * that test_sysfuzz.sh reads.  Exit 0 if all was well, 1 if any check
 * failed, 2 on a usage or setup error, 3 on a hang.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "prng.h"
#include "util.h"

#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#define MAX_THREADS	64
#define MAX_SLOTS	512
#define MAX_ADDRS	16
#define NPORTS		16
#define RING		24		/* calls remembered per thread */
#define DESC		240		/* characters per call remembered */
#define MSGLEN		400		/* characters per failure described */
#define BUF_SIZE	(256 << 10)	/* a thread's data buffer */
#define FILE_SIZE	(1 << 20)	/* the file sendfile and splice read */
#define PRIV_FD		600		/* private descriptors start here */
#define MAX_REPORTS	12		/* failures printed in full */

#ifndef SO_ZEROCOPY
#define SO_ZEROCOPY 60
#endif
#ifndef MSG_ZEROCOPY
#define MSG_ZEROCOPY 0x4000000
#endif
#ifndef SIOCGSTAMP_OLD
#define SIOCGSTAMP_OLD 0x8906
#define SIOCGSTAMPNS_OLD 0x8907
#endif

/* ------------------------------------------------------------------------
 * The calls, their names and the errnos each may return.
 */

enum op {
	OP_SOCKET, OP_BIND, OP_LISTEN, OP_CONNECT, OP_ACCEPT,
	OP_SEND, OP_SENDTO, OP_SENDMSG, OP_SENDMMSG,
	OP_RECV, OP_RECVFROM, OP_RECVMSG, OP_RECVMMSG,
	OP_SHUTDOWN, OP_CLOSE, OP_DUP,
	OP_SETSOCKOPT, OP_GETSOCKOPT, OP_IOCTL, OP_FCNTL,
	OP_POLL, OP_EPOLL_CTL, OP_EPOLL_WAIT,
	OP_SENDFILE, OP_SPLICE, OP_GETNAME, OP_DIFF,
	NOPS
};

static const char *const op_name[NOPS] = {
	"socket", "bind", "listen", "connect", "accept",
	"send", "sendto", "sendmsg", "sendmmsg",
	"recv", "recvfrom", "recvmsg", "recvmmsg",
	"shutdown", "close", "dup",
	"setsockopt", "getsockopt", "ioctl", "fcntl",
	"poll", "epoll_ctl", "epoll_wait",
	"sendfile", "splice", "getname", "diff",
};

struct eset {
	uint64_t w[4];
};

static struct eset allowed[NOPS];
static struct eset sockerr;	/* what a connection's error may be */

static void eset_add(struct eset *s, ...)
{
	va_list ap;
	int e;

	va_start(ap, s);
	while ((e = va_arg(ap, int)) != 0)
		s->w[e / 64] |= 1ULL << (e % 64);
	va_end(ap);
}

static void eset_or(struct eset *s, const struct eset *o)
{
	int i;

	for (i = 0; i < 4; i++)
		s->w[i] |= o->w[i];
}

static int eset_has(const struct eset *s, int e)
{
	return e > 0 && e < 256 && (s->w[e / 64] >> (e % 64)) & 1;
}

static void errnos_init(void)
{
	struct eset fd = { 0 }, mem = { 0 }, io = { 0 };
	int i;

	/*
	 * A connection's error (sk_err): what a RST, the retransmission
	 * timers, an ICMP error (icmp_err_convert) or a disconnect leave,
	 * and what send and recv then return.
	 */
	eset_add(&sockerr, ECONNREFUSED, ECONNRESET, ETIMEDOUT, EHOSTUNREACH,
		 ENETUNREACH, EPIPE, ECONNABORTED, EHOSTDOWN, ENONET,
		 EMSGSIZE, EPROTO, EACCES, EOPNOTSUPP, ENOPROTOOPT, 0);
	/* What recvmmsg() keeps there: see op_recv(). */
	eset_add(&sockerr, ENOTCONN, 0);
	/* Any descriptor may have been closed by another thread. */
	eset_add(&fd, EBADF, ENOTSOCK, 0);
	eset_add(&mem, ENOMEM, ENOBUFS, 0);
	for (i = 0; i < NOPS; i++) {
		eset_or(&allowed[i], &fd);
		eset_or(&allowed[i], &mem);
	}

	eset_add(&allowed[OP_SOCKET], EMFILE, ENFILE, 0);
	eset_add(&allowed[OP_BIND], EINVAL, EADDRINUSE, EADDRNOTAVAIL,
		 EAFNOSUPPORT, EFAULT, 0);
	eset_add(&allowed[OP_LISTEN], EINVAL, EADDRINUSE, EOPNOTSUPP, 0);
	eset_or(&allowed[OP_CONNECT], &sockerr);
	eset_add(&allowed[OP_CONNECT], EINPROGRESS, EALREADY, EISCONN, EINVAL,
		 EAFNOSUPPORT, EADDRNOTAVAIL, EADDRINUSE, EFAULT, EINTR, ENODEV, 0);
	eset_add(&allowed[OP_ACCEPT], EMFILE, ENFILE, EAGAIN, EINVAL, EINTR,
		 EFAULT, ECONNABORTED, EOPNOTSUPP, 0);

	/* send and recv: a connection's error, and what flags may do. */
	eset_or(&io, &sockerr);
	eset_add(&io, EAGAIN, ENOTCONN, EINTR, EFAULT, EINVAL, EMSGSIZE,
		 EOPNOTSUPP, 0);
	for (i = OP_SEND; i <= OP_RECVMMSG; i++)
		eset_or(&allowed[i], &io);
	/* Linux's TCP in TCP_REPAIR mode: recv without MSG_PEEK. */
	for (i = OP_RECV; i <= OP_RECVMMSG; i++)
		eset_add(&allowed[i], EPERM, 0);
	/* MSG_FASTOPEN: Linux's TCP connects from sendto() and sendmsg(). */
	for (i = OP_SEND; i <= OP_SENDMMSG; i++)
		eset_add(&allowed[i], EINPROGRESS, EALREADY, EISCONN,
			 EADDRNOTAVAIL, EADDRINUSE, EAFNOSUPPORT, EDESTADDRREQ, ENODEV, 0);

	eset_add(&allowed[OP_SHUTDOWN], ENOTCONN, EINVAL, 0);
	eset_add(&allowed[OP_DUP], EMFILE, EINVAL, EBUSY, 0);
	eset_add(&allowed[OP_SETSOCKOPT], EINVAL, ENOPROTOOPT, EFAULT, EPERM,
		 EOPNOTSUPP, ENOENT, EEXIST, EBUSY, ENOTCONN, EISCONN, EPROTO,
		 EDOM, ERANGE, ENODEV, EADDRNOTAVAIL, EMSGSIZE, EACCES,
		 EALREADY, ENOSPC, 0);
	eset_add(&allowed[OP_GETSOCKOPT], EINVAL, ENOPROTOOPT, EFAULT,
		 EOPNOTSUPP, ENOTCONN, ERANGE, EPERM, ENOENT, EAGAIN, ENODATA,
		 ENODEV, EADDRNOTAVAIL, 0);
	/* (ESRCH: FIOSETOWN to a process that does not exist.) */
	eset_add(&allowed[OP_IOCTL], ENOTTY, EINVAL, EFAULT, ENOENT,
		 EOPNOTSUPP, EPERM, ENODEV, ESRCH, 0);
	eset_add(&allowed[OP_FCNTL], EINVAL, 0);
	eset_add(&allowed[OP_POLL], EINTR, EFAULT, EINVAL, 0);
	eset_add(&allowed[OP_EPOLL_CTL], EEXIST, ENOENT, EINVAL, EPERM,
		 ELOOP, ENOSPC, 0);
	eset_add(&allowed[OP_EPOLL_WAIT], EINTR, EINVAL, EFAULT, 0);
	eset_or(&allowed[OP_SENDFILE], &io);
	eset_add(&allowed[OP_SENDFILE], EOVERFLOW, ESPIPE, 0);
	eset_or(&allowed[OP_SPLICE], &io);
	eset_add(&allowed[OP_SPLICE], EOVERFLOW, ESPIPE, 0);
	eset_add(&allowed[OP_GETNAME], ENOTCONN, EINVAL, EFAULT, 0);
}

/* ------------------------------------------------------------------------
 * Settings and shared state.
 */

static int proto;			/* protocol under test */
static int tcp_one_in = 8;		/* one socket in N is TCP's */
static int diff_one_in = 16;		/* one op in N is a differential probe */
static uint64_t seed;
static int nthreads = 4;
static int nslots = 32;
static long ops_total;
static int secs;
static int hang_secs = 30;
static int verbose;
static int port_base = 20000;
static in_addr_t addrs[MAX_ADDRS];	/* network order */
static in_addr_t unreachable;		/* -u: where a SYN gets no answer */
static int naddrs;
static char *netns_names[MAX_THREADS];
static int nnetns;

static int slots[MAX_SLOTS];
static int memfd, nullfd;
static char *mem_rw, *mem_none, *mem_ro;	/* three pages in a row */
static long page;
static double t_start, t_end;
static int stop;

static pthread_mutex_t print_lock = PTHREAD_MUTEX_INITIALIZER;
static int failures, reports, hung;
static unsigned long diffs_compared, diffs_excused;

struct worker {
	int id;
	pthread_t th;
	pid_t tid;
	struct prng rng;
	int netns_fd;
	int epfd, pipe_r, pipe_w;
	char *buf;			/* BUF_SIZE bytes */
	char *obuf;			/* BUF_SIZE bytes, a second one */

	/* The call in progress, read by the watchdog. */
	int busy;
	int64_t t0, soft, kicked;

	unsigned long op_no;		/* ops drawn so far */
	int fd;				/* the last taken from the pool */
	int step;			/* calls made by this op */
	char ring[RING][DESC];
	unsigned int ring_pos;

	unsigned long calls[NOPS], oks[NOPS];
	unsigned long errs[NOPS][256];	/* [0]: errnos >= 256 */
	unsigned long long bytes_out, bytes_in;
};

static struct worker *workers;
static unsigned long kicks, sigios, sigurgs;

static int64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static double now_s(void)
{
	return now_ns() / 1e9;
}

static const char *ename(int e)
{
	static __thread char b[24];
	const char *n = e > 0 ? strerrorname_np(e) : NULL;

	if (n)
		return n;
	snprintf(b, sizeof(b), "errno%d", e);
	return b;
}

/* ------------------------------------------------------------------------
 * Random choices: every draw comes from the thread's own stream.
 */

static uint64_t rnd(struct worker *w)
{
	uint64_t x;

	prng_fill(&w->rng, (uint8_t *)&x, sizeof(x));
	return x;
}

static uint32_t rn(struct worker *w, uint32_t n)
{
	return n ? rnd(w) % n : 0;
}

/* One time in n. */
static int one_in(struct worker *w, uint32_t n)
{
	return rn(w, n) == 0;
}

/* An int of the kinds that find edges. */
static int redge(struct worker *w)
{
	switch (rn(w, 10)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return -1;
	case 3: return INT_MAX;
	case 4: return INT_MIN;
	case 5: return rn(w, 100);
	case 6: return rn(w, 65536);
	case 7: return 1 << rn(w, 31);
	case 8: return 2;
	default: return (int)rnd(w);
	}
}

/* A length for data: mostly small, sometimes large. */
static size_t rlen(struct worker *w)
{
	switch (rn(w, 8)) {
	case 0: return 0;
	case 1: return 1;
	case 2: return 1 + rn(w, 100);
	case 3: return 1 + rn(w, 1500);
	case 4: return 1 + rn(w, 16384);
	case 5: return 1 + rn(w, 65536);
	case 6: return one_in(w, 4) ? BUF_SIZE : 1 + rn(w, 4096);
	default: return 1 + rn(w, 600);
	}
}

/*
 * A buffer of len bytes for the kernel to read (out 0) or write (out 1):
 * mostly the thread's own, sometimes NULL, unmapped, read-only (which the
 * kernel may read, not write), or running off the end of a mapping.
 */
static void *rptr(struct worker *w, size_t len, int out)
{
	switch (rn(w, 40)) {
	case 0: return NULL;
	case 1: return mem_none;
	case 2: return mem_ro;
	case 3: return mem_rw + page - (len ? 1 + rn(w, len < (size_t)page ?
						  len : page) : 0);
	case 4: return (void *)(uintptr_t)(rnd(w) | 0x8000000000000000ULL);
	default: return out ? w->obuf : w->buf;
	}
}

/* ------------------------------------------------------------------------
 * Recording each call: the watchdog reads the bounds, the ring keeps
 * the thread's last calls for a report.
 */

/*
 * Every thread's last calls, in the order they ended (roughly: writers do
 * not wait for each other), for the history of one descriptor.
 */
#define HIST 2048
static char hist[HIST][DESC];
static unsigned long hist_pos;

static void hist_add(const char *d)
{
	unsigned long h = __atomic_fetch_add(&hist_pos, 1, __ATOMIC_RELAXED);

	memcpy(hist[h % HIST], d, DESC);
}

/* Does a call's description name descriptor fd? */
static int names_fd(const char *d, int fd)
{
	char pat[5][16];
	int i;

	/* (", N," also finds an argument N that is not a descriptor.) */
	snprintf(pat[0], sizeof(pat[0]), "(%d,", fd);
	snprintf(pat[1], sizeof(pat[1]), "(%d)", fd);
	snprintf(pat[2], sizeof(pat[2]), ", %d)", fd);
	snprintf(pat[3], sizeof(pat[3]), ", %d,", fd);
	snprintf(pat[4], sizeof(pat[4]), " = %d", fd);
	for (i = 0; i < 5; i++) {
		const char *m = strstr(d, pat[i]);

		/* " = 4" is not " = 42". */
		if (m && (i < 4 || m[strlen(pat[i])] == 0 || m[strlen(pat[i])] == ' '))
			return 1;
	}
	return 0;
}

/* Was it made by this call (socket, accept, dup = fd)? */
static int makes_fd(const char *d, int fd)
{
	char pat[16];
	const char *m;

	snprintf(pat, sizeof(pat), " = %d", fd);
	m = strstr(d, pat);
	return m && !m[strlen(pat)] &&
	       (strstr(d, " socket: ") || strstr(d, " accept: ") || strstr(d, " dup: "));
}

/* The calls on descriptor fd since the last call that made it. */
static void print_fd_history(int fd)
{
	unsigned long end = __atomic_load_n(&hist_pos, __ATOMIC_RELAXED), i;
	unsigned long start = end > HIST ? end - HIST : 0, from = start;

	if (fd < 0)
		return;
	for (i = start; i < end; i++)
		if (makes_fd(hist[i % HIST], fd))
			from = i;
	printf("sysfuzz:   the calls of every thread on descriptor %d since it was made:\n", fd);
	for (i = from; i < end; i++)
		if (names_fd(hist[i % HIST], fd))
			printf("sysfuzz:     %s\n", hist[i % HIST]);
}

static void print_ring(struct worker *w, int with_current)
{
	/* (The slot after the last is the call in progress's.) */
	unsigned int i, n = w->ring_pos < RING - 1 ? w->ring_pos : RING - 1;

	printf("sysfuzz:   the last %u calls of thread %d (seed %" PRIu64 "):\n",
	       n, w->id, seed);
	for (i = w->ring_pos - n; i != w->ring_pos; i++)
		printf("sysfuzz:     %s\n", w->ring[i % RING]);
	if (with_current)
		printf("sysfuzz:     %s   <- in progress\n", w->ring[w->ring_pos % RING]);
}

/*
 * A failure: counted by kind; the first of each signature (the call and
 * errno, the option and results, ...) is printed with the thread's last
 * calls, and listed with its count at the end.
 */
enum fkind { F_ERRNO, F_VALUE, F_EFAULT, F_DIFF, F_KERNEL, NF };

static const char *const fkind_key[NF] = { "errno", "value", "efault", "diff", "kernel" };
static unsigned long fcount[NF];

struct fsig {
	uint64_t sig;
	unsigned long n;
	char first[MSGLEN];
};

static struct fsig fsigs[64];
static int nfsigs;

static uint64_t sig(long a, long b, long c, long d, long e)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	long v[5] = { a, b, c, d, e };

	return fnv1a(h, (const uint8_t *)v, sizeof(v));
}

static int __attribute__((format(printf, 4, 5)))
report(struct worker *w, enum fkind k, uint64_t s, const char *fmt, ...)
{
	char msg[MSGLEN];
	va_list ap;
	int i;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pthread_mutex_lock(&print_lock);
	failures++;
	fcount[k]++;
	s ^= k;
	for (i = 0; i < nfsigs; i++) {
		if (fsigs[i].sig == s) {
			fsigs[i].n++;
			pthread_mutex_unlock(&print_lock);
			return 0;
		}
	}
	if (nfsigs < (int)ARRAY_SIZE(fsigs)) {
		fsigs[nfsigs].sig = s;
		fsigs[nfsigs].n = 1;
		snprintf(fsigs[nfsigs].first, MSGLEN, "%s", msg);
		nfsigs++;
	}
	i = reports++ < MAX_REPORTS;
	if (i) {
		printf("sysfuzz: FAIL: %s\n", msg);
		if (w)
			print_ring(w, k == F_KERNEL && __atomic_load_n(&w->busy, __ATOMIC_ACQUIRE));
		if (w && k == F_KERNEL)
			print_fd_history(w->fd);
	} else if (reports == MAX_REPORTS + 1) {
		printf("sysfuzz: (more failures are counted and listed at the end)\n");
	}
	fflush(stdout);
	pthread_mutex_unlock(&print_lock);
	return i;
}

#define bad_value(w, ...) report(w, F_VALUE, sig(F_VALUE, __LINE__, 0, 0, 0), __VA_ARGS__)

/* What a descriptor is now (another thread may have changed it since). */
static const char *describe_fd(int fd)
{
	static __thread char b[96];
	struct tcp_info ti;
	socklen_t len = sizeof(int), tl = sizeof(ti);
	int p = -1;

	memset(&ti, 0, sizeof(ti));
	if (getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &p, &len))
		snprintf(b, sizeof(b), "fd %d: %s", fd, ename(errno));
	else if (getsockopt(fd, SOL_TCP, TCP_INFO, &ti, &tl))
		snprintf(b, sizeof(b), "fd %d: protocol %d", fd, p);
	else
		snprintf(b, sizeof(b), "fd %d: protocol %d, state %d", fd, p, ti.tcpi_state);
	return b;
}

/* Before a call: describe it; the watchdog kicks it after soft_ms. */
static void __attribute__((format(printf, 4, 5)))
begin(struct worker *w, enum op op, int soft_ms, const char *fmt, ...)
{
	char *d = w->ring[w->ring_pos % RING];
	int64_t t = now_ns();
	va_list ap;
	int n;

	n = snprintf(d, DESC, "T%d #%lu.%d %s: ", w->id, w->op_no, w->step++, op_name[op]);
	va_start(ap, fmt);
	vsnprintf(d + n, DESC - n, fmt, ap);
	va_end(ap);
	__atomic_store_n(&w->t0, t, __ATOMIC_RELAXED);
	__atomic_store_n(&w->soft, t + soft_ms * 1000000LL, __ATOMIC_RELAXED);
	__atomic_store_n(&w->kicked, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&w->busy, 1, __ATOMIC_RELEASE);
}

/*
 * After it: ret < 0 means failure with errno.  Counts it, appends the
 * result to the description, checks the errno against the call's list.
 * Returns ret, errno kept.
 */
static long end(struct worker *w, enum op op, long ret)
{
	int e = errno;
	char *d = w->ring[w->ring_pos % RING];
	size_t l;

	__atomic_store_n(&w->busy, 0, __ATOMIC_RELEASE);
	l = strlen(d);
	if (ret < 0)
		snprintf(d + l, DESC - l, " = -1 %s", ename(e));
	else
		snprintf(d + l, DESC - l, " = %ld", ret);
	if (verbose)
		printf("%s\n", d);
	hist_add(d);
	w->ring_pos++;
	w->calls[op]++;
	if (ret >= 0) {
		w->oks[op]++;
		if ((op >= OP_SEND && op <= OP_SENDMSG) || op == OP_SENDFILE)
			w->bytes_out += ret;
		else if (op >= OP_RECV && op <= OP_RECVMSG)
			w->bytes_in += ret;
	} else {
		w->errs[op][e > 0 && e < 256 ? e : 0]++;
		if (!eset_has(&allowed[op], e))
			report(w, F_ERRNO, sig(F_ERRNO, op, e, 0, 0),
			       "%s returned %s (%d), which it may not (%s)", op_name[op],
			       ename(e), e, describe_fd(w->fd));
	}
	errno = e;
	return ret;
}

/* Appends a note to the last call's description (a value read back). */
static void __attribute__((format(printf, 2, 3)))
note(struct worker *w, const char *fmt, ...)
{
	char *d = w->ring[(w->ring_pos - 1) % RING];
	size_t l = strlen(d);
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(d + l, DESC - l, fmt, ap);
	va_end(ap);
}

/* ------------------------------------------------------------------------
 * The pool.
 */

/*
 * A descriptor from the pool (or, now and then, none, a file that is not
 * a socket, or a number never open).  Draws the same whatever the pool
 * holds, so that a thread's choices do not depend on what calls returned.
 */
static int slot_fd(struct worker *w)
{
	int r = rn(w, 64), i, fd = -1;
	int idx[3] = { rn(w, nslots), rn(w, nslots), rn(w, nslots) };

	switch (r) {
	case 0: return -1;
	case 1: return nullfd;		/* not a socket */
	case 2: return 1000 + rn(w, 24);	/* never open */
	}
	for (i = 0; i < 3; i++) {
		fd = __atomic_load_n(&slots[idx[i]], __ATOMIC_RELAXED);
		if (fd >= 0)
			break;
	}
	w->fd = fd;
	return fd;
}

static void do_close(struct worker *w, int fd)
{
	begin(w, OP_CLOSE, 200, "close(%d)", fd);
	end(w, OP_CLOSE, close(fd));
}

/*
 * A new descriptor into the pool; what it replaces is closed.  The slots
 * tried come from the op's number, not from the stream: whether there is
 * a descriptor to put depends on what the call returned.
 */
static void slot_put(struct worker *w, int fd)
{
	uint64_t h = sig(seed, w->id, w->op_no, w->step, fd);
	int i = h % nslots, j = (h >> 32) % nslots, old;

	if (__atomic_load_n(&slots[i], __ATOMIC_RELAXED) >= 0)
		i = j;
	old = __atomic_exchange_n(&slots[i], fd, __ATOMIC_ACQ_REL);
	if (old >= 0 && old != fd)
		do_close(w, old);
}

/* ------------------------------------------------------------------------
 * Addresses.
 */

struct addr {
	struct sockaddr_storage ss;
	socklen_t len;
	void *ptr;
	char desc[64];
};

static void raddr(struct worker *w, struct addr *a, int for_bind)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)&a->ss;
	static const socklen_t odd_len[] = { 0, 1, 2, 8, 15, 17, 64, 128, 129, 1000 };
	in_addr_t ip;
	int family = AF_INET, port;

	memset(a, 0, sizeof(*a));
	switch (rn(w, 32)) {
	case 0: family = AF_UNSPEC; break;
	case 1: family = AF_INET6; break;
	case 2: family = rn(w, 64); break;
	}
	switch (rn(w, 16)) {
	case 0: ip = htonl(INADDR_ANY); break;
	case 1: ip = htonl(INADDR_LOOPBACK); break;
	case 2: ip = for_bind ? inet_addr("10.253.0.99") : htonl(INADDR_ANY); break;
	case 3: ip = inet_addr(one_in(w, 2) ? "224.0.0.1" : "255.255.255.255"); break;
	case 4: ip = htonl(0x7f000002); break;
	case 5: ip = (in_addr_t)rnd(w); break;
	default: ip = addrs[rn(w, naddrs)];
	}
	if (for_bind && rn(w, 4) == 0)
		ip = htonl(INADDR_ANY);
	switch (rn(w, 10)) {
	case 0: port = 0; break;
	case 1: port = rn(w, 65536); break;
	default: port = port_base + rn(w, NPORTS);
	}
	sin->sin_family = family;
	sin->sin_port = htons(port);
	sin->sin_addr.s_addr = ip;
	a->len = sizeof(*sin);
	if (one_in(w, 16))
		a->len = odd_len[rn(w, 10)];
	a->ptr = &a->ss;
	switch (rn(w, 40)) {
	case 0: a->ptr = NULL; break;
	case 1: a->ptr = mem_none; break;
	}
	snprintf(a->desc, sizeof(a->desc), "{%d, %s:%d}%s, %u", family,
		 inet_ntoa(sin->sin_addr), port,
		 a->ptr ? (a->ptr == mem_none ? "@unmapped" : "") : "@NULL", a->len);
}

/* ------------------------------------------------------------------------
 * Flags.
 */

static const int msg_bits[] = {
	MSG_OOB, MSG_PEEK, MSG_DONTROUTE, MSG_CTRUNC, MSG_PROXY, MSG_TRUNC,
	MSG_DONTWAIT, MSG_EOR, MSG_WAITALL, MSG_FIN, MSG_SYN, MSG_CONFIRM,
	MSG_RST, MSG_ERRQUEUE, MSG_NOSIGNAL, MSG_MORE, MSG_WAITFORONE,
	MSG_BATCH, MSG_ZEROCOPY, MSG_FASTOPEN, MSG_CMSG_CLOEXEC,
};

static int rflags(struct worker *w, int *blocking)
{
	unsigned int i;
	int f = 0;

	if (one_in(w, 24)) {
		f = (int)rnd(w);
	} else {
		for (i = 0; i < ARRAY_SIZE(msg_bits); i++)
			if (one_in(w, 7))
				f |= msg_bits[i];
	}
	if (!one_in(w, 3))
		f |= MSG_DONTWAIT;
	if (blocking)
		*blocking = !(f & MSG_DONTWAIT);
	return f;
}

/* A soft bound for a call that may block: mostly short. */
static int rsoft(struct worker *w)
{
	return one_in(w, 8) ? 100 + rn(w, 300) : 5 + rn(w, 60);
}

/* ------------------------------------------------------------------------
 * The ops on the pool.
 */

static void op_socket(struct worker *w)
{
	int p = proto, type = SOCK_STREAM, fd;

	if (proto != IPPROTO_TCP && tcp_one_in && one_in(w, tcp_one_in))
		p = IPPROTO_TCP;
	if (one_in(w, 3))
		type |= SOCK_NONBLOCK;
	if (one_in(w, 2))
		type |= SOCK_CLOEXEC;
	begin(w, OP_SOCKET, 200, "socket(AF_INET, %#x, %d)", type, p);
	fd = end(w, OP_SOCKET, socket(AF_INET, type, p));
	if (fd >= 0)
		slot_put(w, fd);
}

static void op_bind(struct worker *w)
{
	int fd = slot_fd(w);
	struct addr a;

	raddr(w, &a, 1);
	begin(w, OP_BIND, 200, "bind(%d, %s)", fd, a.desc);
	end(w, OP_BIND, bind(fd, a.ptr, a.len));
}

static void op_listen(struct worker *w)
{
	static const int backlogs[] = { 0, 1, 2, 8, 128, 4096, -1, INT_MAX, INT_MIN };
	int fd = slot_fd(w), b;

	b = one_in(w, 8) ? (int)rnd(w) : backlogs[rn(w, 9)];
	begin(w, OP_LISTEN, 200, "listen(%d, %d)", fd, b);
	end(w, OP_LISTEN, listen(fd, b));
}

static void set_nonblock(struct worker *w, int fd, int on)
{
	long fl;

	begin(w, OP_FCNTL, 200, "fcntl(%d, F_GETFL)", fd);
	fl = end(w, OP_FCNTL, fcntl(fd, F_GETFL));
	if (fl < 0)
		return;
	fl = on ? fl | O_NONBLOCK : fl & ~O_NONBLOCK;
	begin(w, OP_FCNTL, 200, "fcntl(%d, F_SETFL, %#lx)", fd, fl);
	end(w, OP_FCNTL, fcntl(fd, F_SETFL, fl));
}

/* getsockopt(SO_ERROR): the value must be 0 or a connection's error. */
static void check_so_error(struct worker *w, int fd)
{
	socklen_t len = sizeof(int);
	int v = 0;

	begin(w, OP_GETSOCKOPT, 200, "getsockopt(%d, SOL_SOCKET, SO_ERROR, 4)", fd);
	if (end(w, OP_GETSOCKOPT, getsockopt(fd, SOL_SOCKET, SO_ERROR, &v, &len)))
		return;
	note(w, " -> %s", v ? ename(v) : "0");
	if (v && !eset_has(&sockerr, v))
		bad_value(w, "SO_ERROR holds %s (%d), not a connection's error", ename(v), v);
}

static void op_connect(struct worker *w)
{
	int fd = slot_fd(w), nb = one_in(w, 2), soft = rsoft(w);
	int to_ms = rn(w, 300), poll_ms = rn(w, 100), check = one_in(w, 2);
	struct timeval tv = { .tv_sec = 0, .tv_usec = to_ms * 1000 };
	struct pollfd p = { .fd = fd, .events = POLLOUT };
	struct addr a;
	int r;

	raddr(w, &a, 0);
	if (one_in(w, 3))
		set_nonblock(w, fd, nb);
	if (!nb) {
		begin(w, OP_SETSOCKOPT, 200, "setsockopt(%d, SOL_SOCKET, SO_SNDTIMEO, %d ms)",
		      fd, to_ms);
		end(w, OP_SETSOCKOPT, setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)));
	}
	begin(w, OP_CONNECT, soft, "connect(%d, %s)", fd, a.desc);
	r = end(w, OP_CONNECT, connect(fd, a.ptr, a.len));
	if (r && errno == EINPROGRESS && check) {
		begin(w, OP_POLL, poll_ms + 100, "poll({%d, POLLOUT}, 1, %d)", fd, poll_ms);
		end(w, OP_POLL, poll(&p, 1, poll_ms));
		check_so_error(w, fd);
	}
}

static void op_accept(struct worker *w)
{
	static const socklen_t lens[] = { 16, 16, 16, 0, 4, 15, 128, (socklen_t)-1 };
	int fd = slot_fd(w), how = rn(w, 4), flags = 0, nfd;
	struct sockaddr_storage ss;
	socklen_t len = lens[rn(w, 8)], len0;
	void *ap = &ss, *lp = &len;
	int soft = rsoft(w);

	memset(&ss, 0xa5, sizeof(ss));
	switch (rn(w, 16)) {
	case 0: ap = NULL; lp = NULL; break;
	case 1: lp = mem_none; break;
	case 2: ap = mem_none; break;
	case 3: ap = mem_ro; break;
	}
	len0 = len;
	if (how) {
		flags = (one_in(w, 2) ? SOCK_NONBLOCK : 0) | (one_in(w, 2) ? SOCK_CLOEXEC : 0);
		if (one_in(w, 16))
			flags |= (int)rnd(w);
		begin(w, OP_ACCEPT, soft, "accept4(%d, %p, %d, %#x)", fd, ap, (int)len, flags);
		nfd = end(w, OP_ACCEPT, accept4(fd, ap, lp, flags));
	} else {
		begin(w, OP_ACCEPT, soft, "accept(%d, %p, %d)", fd, ap, (int)len);
		nfd = end(w, OP_ACCEPT, accept(fd, ap, lp));
	}
	if (nfd < 0)
		return;
	if (ap == &ss && lp == &len && (int)len0 >= 0) {
		note(w, " len %u family %d", len, ss.ss_family);
		if (len != sizeof(struct sockaddr_in) ||
		    (len0 >= 2 && ss.ss_family != AF_INET))
			bad_value(w, "accept gave an address of length %u, family %d",
			       len, ss.ss_family);
	}
	slot_put(w, nfd);
}

/* iovecs over buf: n of them, the total len. */
static int mk_iov(struct worker *w, struct iovec *iov, int max, char *buf, size_t len)
{
	int n = one_in(w, 3) ? 1 + rn(w, max) : 1, i;
	size_t left = len, off = 0;

	for (i = 0; i < n; i++) {
		size_t l = i == n - 1 ? left : rn(w, left + 1);

		iov[i].iov_base = buf ? buf + off : NULL;
		iov[i].iov_len = l;
		off += l;
		left -= l;
	}
	return n;
}

/*
 * A msghdr over buf (mk_iov()), at times with more iovecs than UIO_MAXIOV
 * or none, at times with the address NAME.
 */
static void mk_msg(struct worker *w, struct msghdr *mh, struct iovec *iov, char *buf,
		   size_t len, void *name, socklen_t namelen)
{
	int n = mk_iov(w, iov, 8, buf, len);

	mh->msg_iov = iov;
	mh->msg_iovlen = n;
	if (one_in(w, 16))
		mh->msg_iovlen = one_in(w, 2) ? 1025 : 0;	/* > UIO_MAXIOV */
	if (one_in(w, 4)) {
		mh->msg_name = name;
		mh->msg_namelen = namelen;
	}
}

/* n mmsghdrs of one iovec each, len bytes of buf apiece. */
static void mk_mmsg(struct mmsghdr *mm, struct iovec *iov, int n, char *buf, size_t len)
{
	int i;

	memset(mm, 0, n * sizeof(*mm));
	for (i = 0; i < n; i++) {
		iov[i].iov_base = buf;
		iov[i].iov_len = len;
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
}

/*
 * What sendmmsg() or recvmmsg() (OP) returned, r, for n messages of len
 * bytes at the most: no more messages, no longer ones.
 */
static void check_mmsg(struct worker *w, int op, long r, const struct mmsghdr *mm, int n,
		       size_t len)
{
	int send = op == OP_SENDMMSG, i;

	if (r > n)
		report(w, F_VALUE, sig(F_VALUE, __LINE__, op, 0, 0), "%s %s %ld messages of %d",
		       op_name[op], send ? "sent" : "received", r, n);
	for (i = 0; i < n && i < r; i++)
		if (mm[i].msg_len > len)
			report(w, F_VALUE, sig(F_VALUE, __LINE__, op, 0, 0),
			       "%s: message %d %s %u bytes of %zu", op_name[op], i,
			       send ? "sent" : "has", mm[i].msg_len, len);
}

static void op_send(struct worker *w)
{
	int fd = slot_fd(w), blocking, flags = rflags(w, &blocking);
	int soft = rsoft(w), kind = rn(w, 4), n, i;
	size_t len = rlen(w), total = len;
	char *buf = rptr(w, len, 0);
	struct iovec iov[8];
	struct msghdr mh;
	struct mmsghdr mm[4];
	struct addr a;
	long r = 0;

	raddr(w, &a, 0);
	memset(&mh, 0, sizeof(mh));
	switch (kind) {
	case 0:
		begin(w, OP_SEND, blocking ? soft : 200, "send(%d, %p, %zu, %#x)",
		      fd, buf, len, flags);
		r = end(w, OP_SEND, send(fd, buf, len, flags));
		break;
	case 1:
		if (one_in(w, 2)) {
			a.ptr = NULL;
			a.len = 0;
		}
		begin(w, OP_SENDTO, blocking ? soft : 200, "sendto(%d, %p, %zu, %#x, %s)",
		      fd, buf, len, flags, a.ptr ? a.desc : "NULL");
		r = end(w, OP_SENDTO, sendto(fd, buf, len, flags, a.ptr, a.len));
		break;
	case 2:
		mk_msg(w, &mh, iov, buf == w->buf ? buf : NULL, len, a.ptr, a.len);
		if (one_in(w, 6)) {
			/* Garbage control data, or a pointer to nothing. */
			mh.msg_control = one_in(w, 4) ? (void *)mem_none : w->obuf;
			mh.msg_controllen = one_in(w, 8) ? 1 << 20 : rn(w, 256);
			for (i = 0; i < 256; i += 4)
				*(int *)(w->obuf + i) = redge(w);
		}
		total = mh.msg_iovlen <= 8 ? len : 0;
		if (mh.msg_iovlen == 0)
			total = 0;
		begin(w, OP_SENDMSG, blocking ? soft : 200,
		      "sendmsg(%d, {iov %zu, %zu bytes, name %u, control %zu}, %#x)",
		      fd, (size_t)mh.msg_iovlen, len, mh.msg_namelen, (size_t)mh.msg_controllen,
		      flags);
		r = end(w, OP_SENDMSG, sendmsg(fd, &mh, flags));
		break;
	default:
		n = 1 + rn(w, 4);
		mk_mmsg(mm, iov, n, w->buf, len / n);
		begin(w, OP_SENDMMSG, blocking ? soft : 200, "sendmmsg(%d, %d x %zu bytes, %#x)",
		      fd, n, len / n, flags);
		r = end(w, OP_SENDMMSG, sendmmsg(fd, mm, n, flags));
		check_mmsg(w, OP_SENDMMSG, r, mm, n, len / n);
		return;
	}
	if (r > (long)total)
		bad_value(w, "%s sent %ld bytes of %zu", op_name[OP_SEND + kind], r, total);
}

static void op_recv(struct worker *w)
{
	int fd = slot_fd(w), blocking, flags = rflags(w, &blocking);
	int soft = rsoft(w), kind = rn(w, 4), n;
	size_t len = rlen(w), total = len;
	char *buf = rptr(w, len, 1);
	struct sockaddr_storage ss;
	socklen_t alen = one_in(w, 8) ? rn(w, 200) : sizeof(ss);
	struct timespec ts = { 0, rn(w, 50) * 1000000L };
	struct iovec iov[8];
	struct msghdr mh;
	struct mmsghdr mm[4];
	long r = 0;

	memset(&mh, 0, sizeof(mh));
	switch (kind) {
	case 0:
		begin(w, OP_RECV, blocking ? soft : 200, "recv(%d, %p, %zu, %#x)",
		      fd, buf, len, flags);
		r = end(w, OP_RECV, recv(fd, buf, len, flags));
		break;
	case 1:
		begin(w, OP_RECVFROM, blocking ? soft : 200,
		      "recvfrom(%d, %p, %zu, %#x, addrlen %u)", fd, buf, len, flags, alen);
		r = end(w, OP_RECVFROM, recvfrom(fd, buf, len, flags,
						 one_in(w, 2) ? (void *)&ss : NULL, &alen));
		break;
	case 2:
		mk_msg(w, &mh, iov, buf == w->obuf ? buf : NULL, len, &ss, alen);
		if (one_in(w, 3)) {
			mh.msg_control = one_in(w, 8) ? (void *)mem_none : w->buf;
			mh.msg_controllen = rn(w, 512);
		}
		total = mh.msg_iovlen <= 8 ? len : 0;
		begin(w, OP_RECVMSG, blocking ? soft : 200,
		      "recvmsg(%d, {iov %zu, %zu bytes, control %zu}, %#x)", fd,
		      (size_t)mh.msg_iovlen, len, (size_t)mh.msg_controllen, flags);
		r = end(w, OP_RECVMSG, recvmsg(fd, &mh, flags));
		break;
	default:
		/*
		 * recvmmsg() keeps an error that follows a datagram in sk_err
		 * for the socket's next call (net/socket.c): one that may block
		 * takes one message, or a signal would leave -ERESTARTSYS there,
		 * to leak out of any thread's next send as errno 512 (Linux's
		 * TCP does it too); the buffers are good, or it would be EFAULT.
		 */
		n = blocking ? 1 : 1 + rn(w, 4);
		mk_mmsg(mm, iov, n, w->obuf, len / n);
		begin(w, OP_RECVMMSG, blocking ? soft : 200,
		      "recvmmsg(%d, %d x %zu bytes, %#x, timeout %ld ms)", fd, n, len / n,
		      flags, ts.tv_nsec / 1000000);
		r = end(w, OP_RECVMMSG, recvmmsg(fd, mm, n, flags, one_in(w, 2) ? &ts : NULL));
		check_mmsg(w, OP_RECVMMSG, r, mm, n, len / n);
		return;
	}
	if (r > (long)total)
		bad_value(w, "%s returned %ld bytes of %zu", op_name[OP_RECV + kind], r, total);
}

static void op_shutdown(struct worker *w)
{
	int fd = slot_fd(w), how;

	how = one_in(w, 8) ? (one_in(w, 2) ? redge(w) : 3) : (int)rn(w, 3);
	begin(w, OP_SHUTDOWN, 200, "shutdown(%d, %d)", fd, how);
	end(w, OP_SHUTDOWN, shutdown(fd, how));
}

static void op_close(struct worker *w)
{
	int i = rn(w, nslots), fd;

	if (one_in(w, 3)) {
		/* Closed, but left in the pool: later calls race with reuse. */
		do_close(w, slot_fd(w));
		return;
	}
	fd = __atomic_exchange_n(&slots[i], -1, __ATOMIC_ACQ_REL);
	if (fd >= 0)
		do_close(w, fd);
}

static void op_dup(struct worker *w)
{
	int fd = slot_fd(w), to = slot_fd(w), r, flags;

	switch (rn(w, 4)) {
	case 0:
		begin(w, OP_DUP, 200, "dup(%d)", fd);
		r = end(w, OP_DUP, dup(fd));
		if (r >= 0)
			slot_put(w, r);
		break;
	case 1:
		if (to < 0 || to == nullfd || to >= PRIV_FD)
			return;
		/* The socket under the number `to` is closed in the swap. */
		begin(w, OP_DUP, 200, "dup2(%d, %d)", fd, to);
		end(w, OP_DUP, dup2(fd, to));
		break;
	case 2:
		if (to < 0 || to == nullfd || to >= PRIV_FD)
			return;
		flags = one_in(w, 4) ? (int)rnd(w) : O_CLOEXEC;
		begin(w, OP_DUP, 200, "dup3(%d, %d, %#x)", fd, to, flags);
		end(w, OP_DUP, dup3(fd, to, flags));
		break;
	default:
		begin(w, OP_DUP, 200, "fcntl(%d, F_DUPFD_CLOEXEC, 0)", fd);
		r = end(w, OP_DUP, fcntl(fd, F_DUPFD_CLOEXEC, 0));
		if (r >= 0)
			slot_put(w, r);
	}
}

/* ------------------------------------------------------------------------
 * Socket options.
 */

static int rlevel(struct worker *w)
{
	switch (rn(w, 16)) {
	case 0: case 1: case 2: case 3: case 4: return SOL_SOCKET;
	case 5: case 6: case 7: case 8: return SOL_TCP;
	case 9: case 10: case 11: return proto == IPPROTO_TCP ? IPPROTO_ATCP : proto;
	case 12: case 13: return SOL_IP;
	case 14: return rn(w, 300);
	default: return (int)rnd(w);
	}
}

static int roptname(struct worker *w, int level)
{
	if (one_in(w, 10))
		return one_in(w, 2) ? (int)rnd(w) : (int)rn(w, 256);
	switch (level) {
	case SOL_SOCKET: return rn(w, 80);
	case SOL_IP: return one_in(w, 20) ? 200 + rn(w, 12) : (int)rn(w, 60);
	default: return rn(w, 41);	/* every TCP_* */
	}
}

/* Is fd a socket of Linux's TCP? (To keep some options from it, below.) */
static int is_tcp(int fd)
{
	socklen_t len = sizeof(int);
	int p = 0;

	return !getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &p, &len) && p == IPPROTO_TCP;
}

/*
 * Fills a buffer for an option: the first int of the kinds that find
 * edges, the rest random or zero; a congestion control or device name
 * where one is read.  Returns the length to pass.
 */
static socklen_t ropt(struct worker *w, int level, int name, int tcp, char *b)
{
	static const socklen_t lens[] = { 0, 1, 2, 3, 4, 4, 4, 4, 8, 8, 12, 16, 16,
					  24, 32, 64, 128, 256, 4096, 65536 };
	static const char *const cc[] = { "reno", "cubic", "", "bbr", "dctcp",
					  "atcp", "reno\n", "cubiccubiccubiccubic" };
	static const char *const dev[] = { "lo", "", "nosuchdev0", "lo:1" };
	socklen_t len = lens[rn(w, ARRAY_SIZE(lens))];
	int i, zero = one_in(w, 3);

	for (i = 0; i < 256; i += 4)
		*(int *)(b + i) = zero ? 0 : (int)rnd(w);
	*(int *)b = redge(w);
	if (one_in(w, 4))
		*(int *)(b + 4) = redge(w);	/* timeval, linger */
	if (len == 65536)
		memset(b + 256, 0, 65536 - 256);
	if (len == (socklen_t)4096 && one_in(w, 8))
		len = one_in(w, 2) ? (socklen_t)-1 : INT_MAX;
	if ((level == SOL_TCP || level == IPPROTO_ATCP || level == proto) &&
	    name == TCP_CONGESTION) {
		/* Linux's TCP loads a module for a name it does not know. */
		i = tcp ? rn(w, 2) : rn(w, 8);
		strcpy(b, cc[i]);
		len = one_in(w, 4) ? len : strlen(cc[i]) + rn(w, 2);
	}
	if (level == SOL_SOCKET && name == SO_BINDTODEVICE && one_in(w, 2)) {
		i = rn(w, 4);
		memset(b, 0, 32);
		strcpy(b, dev[i]);
		len = one_in(w, 2) ? strlen(dev[i]) + 1 : IFNAMSIZ;
	}
	return len;
}

/* Options that read an int first thing: a bad pointer must give EFAULT. */
static const int sol_socket_ints[] = {
	SO_REUSEADDR, SO_KEEPALIVE, SO_SNDBUF, SO_RCVBUF, SO_PRIORITY,
	SO_RCVLOWAT, SO_OOBINLINE, SO_DONTROUTE,
};
static const int sol_tcp_ints[] = {
	TCP_NODELAY, TCP_MAXSEG, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT,
	TCP_SYNCNT, TCP_LINGER2, TCP_QUICKACK,
};
static const int sol_ip_ints[] = { IP_TOS, IP_TTL };

/*
 * A known int option with a bad pointer, on a private duplicate of a
 * socket from the pool: setsockopt and getsockopt must fail with EFAULT
 * (a bad optlen pointer too), and getsockopt with a negative length at
 * SOL_SOCKET with EINVAL.
 */
static void op_sockopt_efault(struct worker *w)
{
	int fd = slot_fd(w), pfd, p = 0, level, name, want, kind = rn(w, 4);
	int which = rn(w, 3), pick = rn(w, 8), tcp_level = one_in(w, 2);
	void *bad = one_in(w, 2) ? NULL : (void *)mem_none;
	socklen_t len = sizeof(int);
	long r;

	begin(w, OP_DUP, 200, "fcntl(%d, F_DUPFD, %d)", fd, PRIV_FD);
	pfd = end(w, OP_DUP, fcntl(fd, F_DUPFD, PRIV_FD));
	if (pfd < 0)
		return;
	if (getsockopt(pfd, SOL_SOCKET, SO_PROTOCOL, &p, &len))
		goto out;
	switch (which) {
	case 0:
		level = SOL_SOCKET;
		name = sol_socket_ints[pick];
		break;
	case 1:
		level = p == IPPROTO_TCP || tcp_level ? SOL_TCP : p;
		name = sol_tcp_ints[pick];
		break;
	default:
		level = SOL_IP;
		name = sol_ip_ints[pick % 2];
	}
	want = EFAULT;
	switch (kind) {
	case 0:
		begin(w, OP_SETSOCKOPT, 200, "setsockopt(%d, %d, %d, %p, 4) (private dup)",
		      pfd, level, name, bad);
		r = end(w, OP_SETSOCKOPT, setsockopt(pfd, level, name, bad, 4));
		break;
	case 1:
		len = 4;
		begin(w, OP_GETSOCKOPT, 200, "getsockopt(%d, %d, %d, %p, 4) (private dup)",
		      pfd, level, name, bad);
		r = end(w, OP_GETSOCKOPT, getsockopt(pfd, level, name, bad, &len));
		break;
	case 2:
		begin(w, OP_GETSOCKOPT, 200, "getsockopt(%d, %d, %d, buf, %p) (private dup)",
		      pfd, level, name, bad);
		r = end(w, OP_GETSOCKOPT, getsockopt(pfd, level, name, w->obuf, bad));
		break;
	default:
		len = -1;
		want = EINVAL;
		begin(w, OP_GETSOCKOPT, 200, "getsockopt(%d, %d, %d, buf, -1) (private dup)",
		      pfd, level, name);
		r = end(w, OP_GETSOCKOPT, getsockopt(pfd, level, name, w->obuf, &len));
	}
	if (r == 0 || errno != want)
		report(w, F_EFAULT, sig(F_EFAULT, kind, level, name, r ? errno : 0),
		       "a known option (level %d, name %d) on a socket of protocol %d "
		       "gave %s, not %s", level, name, p, r ? ename(errno) : "success",
		       ename(want));
out:
	do_close(w, pfd);
}

static void op_setsockopt(struct worker *w)
{
	int fd = slot_fd(w), level = rlevel(w), name = roptname(w, level);
	int tcp = is_tcp(fd), soft = 200;
	socklen_t len = ropt(w, level, name, tcp, w->buf);
	void *ptr = rptr(w, len, 0);

	/* Linux's TCP loads a module for an unknown ULP name: not its calls. */
	if (tcp && level == SOL_TCP && name == TCP_ULP)
		name = TCP_NOTSENT_LOWAT;
	if (level == SOL_SOCKET && name == SO_LINGER)
		soft = 50;
	begin(w, OP_SETSOCKOPT, soft, "setsockopt(%d, %d, %d, %p [%d %d], %d)", fd, level,
	      name, ptr, *(int *)w->buf, *(int *)(w->buf + 4), (int)len);
	end(w, OP_SETSOCKOPT, setsockopt(fd, level, name, ptr, len));
}

/* A length for getsockopt: 0, small, large, negative. */
static socklen_t rgetlen(struct worker *w)
{
	static const int lens[] = { 0, 1, 3, 4, 4, 4, 8, 16, 64, 256, 4096, 65536,
				    -1, -100, INT_MIN, INT_MAX };

	return lens[rn(w, ARRAY_SIZE(lens))];
}

static void op_getsockopt(struct worker *w)
{
	int fd = slot_fd(w), level = rlevel(w), name = roptname(w, level);
	socklen_t len = rgetlen(w), len0;
	void *ptr = rptr(w, len, 1), *lp = &len;
	long r;

	if ((int)len == INT_MAX)
		ptr = one_in(w, 2) ? w->obuf : ptr;
	switch (rn(w, 24)) {
	case 0: lp = NULL; break;
	case 1: lp = mem_none; break;
	case 2: lp = mem_ro; break;
	}
	len0 = len;
	begin(w, OP_GETSOCKOPT, 200, "getsockopt(%d, %d, %d, %p, %d%s)", fd, level, name,
	      ptr, (int)len, lp == &len ? "" : " @bad");
	r = end(w, OP_GETSOCKOPT, getsockopt(fd, level, name, ptr, lp));
	if (r == 0 && lp == &len) {
		note(w, " len %d", (int)len);
		if ((int)len0 >= 0 && (int)len0 < INT_MAX && len > len0)
			bad_value(w, "getsockopt wrote back a length %u above the %u given",
			       len, len0);
		if ((int)len < 0)
			bad_value(w, "getsockopt wrote back a negative length %d", (int)len);
	}
	if (r == 0 && level == SOL_SOCKET && name == SO_ERROR && lp == &len &&
	    ptr == w->obuf && len == sizeof(int)) {
		int v = *(int *)w->obuf;

		if (v && !eset_has(&sockerr, v))
			bad_value(w, "SO_ERROR holds %s (%d), not a connection's error",
			       ename(v), v);
	}
}

/* ------------------------------------------------------------------------
 * ioctl, fcntl, poll, epoll, sendfile, splice, names.
 */

struct ioc {
	unsigned long cmd;
	const char *name;
};

static const struct ioc iocs[] = {
	{ SIOCINQ, "SIOCINQ" }, { SIOCOUTQ, "SIOCOUTQ" },
	{ SIOCOUTQNSD, "SIOCOUTQNSD" }, { FIONBIO, "FIONBIO" },
	{ SIOCATMARK, "SIOCATMARK" }, { SIOCGSTAMP_OLD, "SIOCGSTAMP" },
	{ SIOCGSTAMPNS_OLD, "SIOCGSTAMPNS" }, { FIOASYNC, "FIOASYNC" },
	{ FIOGETOWN, "FIOGETOWN" }, { SIOCGPGRP, "SIOCGPGRP" },
	{ FIOSETOWN, "FIOSETOWN" }, { SIOCSPGRP, "SIOCSPGRP" },
	{ FIOCLEX, "FIOCLEX" }, { FIONCLEX, "FIONCLEX" },
};

/*
 * An ioctl command: a known one, or a random one outside the socket
 * (0x89xx: device configuration, as root) and terminal (0x54xx) ranges.
 */
static unsigned long rioctl(struct worker *w, const char **name)
{
	unsigned long cmd;

	if (!one_in(w, 5)) {
		const struct ioc *c = &iocs[rn(w, ARRAY_SIZE(iocs))];

		*name = c->name;
		return c->cmd;
	}
	*name = "random";
	do {
		cmd = (uint32_t)rnd(w);
		if (one_in(w, 2))
			cmd &= 0xffff;
	} while (((cmd >> 8) & 0xff) == 0x89 || ((cmd >> 8) & 0xff) == 0x54);
	return cmd;
}

/* The argument: an int (an owner is this process or none, never another). */
static void *rioctl_arg(struct worker *w, unsigned long cmd, int *v)
{
	*v = redge(w);
	if (cmd == FIOSETOWN || cmd == SIOCSPGRP)
		*v = one_in(w, 2) ? 0 : getpid();
	switch (rn(w, 20)) {
	case 0: return NULL;
	case 1: return mem_none;
	case 2: return mem_ro;
	}
	return v;
}

static void op_ioctl(struct worker *w)
{
	int fd = slot_fd(w), v, v0;
	const char *name;
	unsigned long cmd = rioctl(w, &name);
	void *arg = rioctl_arg(w, cmd, &v);
	long r;

	v0 = v;
	begin(w, OP_IOCTL, 200, "ioctl(%d, %s %#lx, %p [%d])", fd, name, cmd, arg, v);
	r = end(w, OP_IOCTL, ioctl(fd, cmd, arg));
	if (r == 0 && arg == &v && v != v0)
		note(w, " -> %d", v);
	if (r == 0 && arg == &v && v < 0 &&
	    (cmd == SIOCINQ || cmd == SIOCOUTQ || cmd == SIOCOUTQNSD))
		bad_value(w, "%s gave a negative count %d", name, v);
}

static void op_fcntl(struct worker *w)
{
	int fd = slot_fd(w);

	switch (rn(w, 3)) {
	case 0:
		set_nonblock(w, fd, one_in(w, 2));
		break;
	case 1:
		begin(w, OP_FCNTL, 200, "fcntl(%d, F_SETFL, O_ASYNC)", fd);
		end(w, OP_FCNTL, fcntl(fd, F_SETFL, O_ASYNC | (one_in(w, 2) ? O_NONBLOCK : 0)));
		break;
	default:
		begin(w, OP_FCNTL, 200, "fcntl(%d, F_SETFD, FD_CLOEXEC)", fd);
		end(w, OP_FCNTL, fcntl(fd, F_SETFD, one_in(w, 2) ? FD_CLOEXEC : 0));
	}
}

static const short poll_bits[] = {
	POLLIN, POLLPRI, POLLOUT, POLLRDHUP, POLLRDNORM, POLLRDBAND, POLLWRNORM,
	POLLWRBAND, POLLMSG,
};

static short rpoll_events(struct worker *w)
{
	short e = 0;
	unsigned int i;

	if (one_in(w, 16))
		return (short)rnd(w);
	for (i = 0; i < ARRAY_SIZE(poll_bits); i++)
		if (one_in(w, 3))
			e |= poll_bits[i];
	return e;
}

static void op_poll(struct worker *w)
{
	struct pollfd p[8] = { 0 };
	int n = 1 + rn(w, 8), i, tmo = one_in(w, 2) ? 0 : (int)rn(w, 50), got = 0;
	long r;

	for (i = 0; i < n; i++) {
		p[i].fd = slot_fd(w);
		p[i].events = rpoll_events(w);
		p[i].revents = 0;
	}
	begin(w, OP_POLL, tmo + 100, "poll(%d fds, first %d %#x, %d ms)", n, p[0].fd,
	      p[0].events, tmo);
	r = end(w, OP_POLL, poll(p, n, tmo));
	if (r < 0)
		return;
	for (i = 0; i < n; i++) {
		short ok = p[i].events | POLLERR | POLLHUP | POLLNVAL;

		if (p[i].revents)
			got++;
		if (p[i].revents & ~ok)
			bad_value(w, "poll: fd %d asked for %#x, got %#x", p[i].fd,
			       p[i].events, p[i].revents);
	}
	if (got != r)
		bad_value(w, "poll returned %ld, but %d fds have events", r, got);
}

static void op_epoll(struct worker *w)
{
	static const uint32_t known = EPOLLIN | EPOLLPRI | EPOLLOUT | EPOLLERR |
		EPOLLHUP | EPOLLRDNORM | EPOLLRDBAND | EPOLLWRNORM | EPOLLWRBAND |
		EPOLLMSG | EPOLLRDHUP;
	struct epoll_event ev[16];
	int fd = slot_fd(w), op = 1 + rn(w, 3), n = 1 + rn(w, 16);
	int tmo = one_in(w, 2) ? 0 : (int)rn(w, 30), i;
	long r;

	if (one_in(w, 2)) {
		ev[0].events = (uint32_t)rpoll_events(w) & 0xffff;
		if (one_in(w, 4))
			ev[0].events |= EPOLLET;
		if (one_in(w, 6))
			ev[0].events |= EPOLLONESHOT;
		if (one_in(w, 8))
			ev[0].events |= EPOLLEXCLUSIVE;
		ev[0].data.u64 = fd;
		begin(w, OP_EPOLL_CTL, 200, "epoll_ctl(%d, %d, %d, %#x)", w->epfd, op, fd,
		      ev[0].events);
		end(w, OP_EPOLL_CTL, epoll_ctl(w->epfd, op, fd, &ev[0]));
		return;
	}
	begin(w, OP_EPOLL_WAIT, tmo + 100, "epoll_wait(%d, %d, %d ms)", w->epfd, n, tmo);
	r = end(w, OP_EPOLL_WAIT, epoll_wait(w->epfd, ev, n, tmo));
	for (i = 0; i < r; i++)
		if (ev[i].events & ~known)
			bad_value(w, "epoll_wait: fd %d has events %#x", (int)ev[i].data.u64,
			       ev[i].events);
}

static void drain_pipe(struct worker *w)
{
	while (read(w->pipe_r, w->obuf, BUF_SIZE) > 0)
		;
}

static void op_sendfile(struct worker *w)
{
	int fd = slot_fd(w), soft = rsoft(w);
	off_t off = one_in(w, 8) ? FILE_SIZE + rn(w, 100) : (off_t)rn(w, FILE_SIZE);
	size_t count = one_in(w, 16) ? SIZE_MAX >> rn(w, 2) : rlen(w);
	void *op = &off;

	switch (rn(w, 16)) {
	case 0: op = NULL; break;
	case 1: op = mem_none; break;
	}
	begin(w, OP_SENDFILE, soft, "sendfile(%d, file, %p [%lld], %zu)", fd, op,
	      (long long)off, count);
	end(w, OP_SENDFILE, sendfile(fd, memfd, op, count));
}

static void op_splice(struct worker *w)
{
	int fd = slot_fd(w), soft = rsoft(w), to_sock = one_in(w, 2), use_off = one_in(w, 16);
	unsigned int flags = 0;
	size_t len = 1 + rn(w, 65536);
	loff_t off = rn(w, FILE_SIZE), soff = 0;
	long r;

	if (one_in(w, 2))
		flags |= SPLICE_F_NONBLOCK;
	if (one_in(w, 3))
		flags |= SPLICE_F_MORE;
	if (one_in(w, 4))
		flags |= SPLICE_F_MOVE;
	if (to_sock) {
		/* From the file through the pipe into the socket. */
		r = splice(memfd, &off, w->pipe_w, NULL, len, SPLICE_F_NONBLOCK);
		if (r <= 0) {
			drain_pipe(w);
			return;
		}
		/* (An offset for the socket's side: ESPIPE.) */
		begin(w, OP_SPLICE, flags & SPLICE_F_NONBLOCK ? 200 : soft,
		      "splice(pipe, NULL, %d, %s, %ld, %#x)", fd, use_off ? "&0" : "NULL", r,
		      flags);
		end(w, OP_SPLICE, splice(w->pipe_r, NULL, fd, use_off ? &soff : NULL, r, flags));
	} else {
		/* From the socket into the pipe. */
		begin(w, OP_SPLICE, flags & SPLICE_F_NONBLOCK ? 200 : soft,
		      "splice(%d, NULL, pipe, NULL, %zu, %#x)", fd, len, flags);
		end(w, OP_SPLICE, splice(fd, NULL, w->pipe_w, NULL, len, flags));
	}
	drain_pipe(w);
}

static void op_getname(struct worker *w)
{
	static const socklen_t lens[] = { 16, 16, 16, 128, 0, 1, 8, (socklen_t)-1 };
	int fd = slot_fd(w), peer = one_in(w, 2);
	struct sockaddr_storage ss;
	socklen_t len = lens[rn(w, 8)], len0 = len;
	void *ap = &ss, *lp = &len;
	long r;

	switch (rn(w, 16)) {
	case 0: ap = mem_none; break;
	case 1: lp = mem_none; break;
	case 2: ap = NULL; break;
	}
	memset(&ss, 0, sizeof(ss));
	begin(w, OP_GETNAME, 200, "%s(%d, %p, %d)", peer ? "getpeername" : "getsockname",
	      fd, ap, (int)len);
	r = end(w, OP_GETNAME, peer ? getpeername(fd, ap, lp) : getsockname(fd, ap, lp));
	if (r == 0 && ap == &ss && lp == &len) {
		if (len != sizeof(struct sockaddr_in) ||
		    (len0 >= 2 && ss.ss_family != AF_INET))
			bad_value(w, "%s gave an address of length %u, family %d",
			       peer ? "getpeername" : "getsockname", len, ss.ss_family);
	}
}

/*
 * A connection on purpose: a listener on one of the ports, a
 * non-blocking connect to it and an accept, each into the pool (random
 * calls alone rarely line these up).
 */
static void op_conn(struct worker *w)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int p = proto, l, c, one = 1, a;
	int port = port_base + rn(w, NPORTS), wild = one_in(w, 2);
	int ai = rn(w, naddrs), close_l = one_in(w, 2), tmo = rn(w, 50);
	struct pollfd pf;

	if (proto != IPPROTO_TCP && tcp_one_in && one_in(w, tcp_one_in))
		p = IPPROTO_TCP;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = wild ? htonl(INADDR_ANY) : addrs[ai];
	begin(w, OP_SOCKET, 200, "socket(AF_INET, SOCK_STREAM, %d) (listener)", p);
	l = end(w, OP_SOCKET, socket(AF_INET, SOCK_STREAM, p));
	if (l < 0)
		return;
	begin(w, OP_SETSOCKOPT, 200, "setsockopt(%d, SOL_SOCKET, SO_REUSEADDR, 1)", l);
	end(w, OP_SETSOCKOPT, setsockopt(l, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)));
	begin(w, OP_BIND, 200, "bind(%d, %s:%d)", l, inet_ntoa(sin.sin_addr), port);
	if (end(w, OP_BIND, bind(l, (struct sockaddr *)&sin, sizeof(sin))))
		goto out_l;
	begin(w, OP_LISTEN, 200, "listen(%d, 16)", l);
	if (end(w, OP_LISTEN, listen(l, 16)))
		goto out_l;
	begin(w, OP_SOCKET, 200, "socket(AF_INET, SOCK_STREAM|SOCK_NONBLOCK, %d)", p);
	c = end(w, OP_SOCKET, socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, p));
	if (c < 0)
		goto out_l;
	if (wild)
		sin.sin_addr.s_addr = addrs[ai];
	begin(w, OP_CONNECT, 200, "connect(%d, %s:%d)", c, inet_ntoa(sin.sin_addr), port);
	end(w, OP_CONNECT, connect(c, (struct sockaddr *)&sin, sizeof(sin)));
	slot_put(w, c);
	pf.fd = l;
	pf.events = POLLIN;
	begin(w, OP_POLL, tmo + 100, "poll({%d, POLLIN}, 1, %d)", l, tmo);
	end(w, OP_POLL, poll(&pf, 1, tmo));
	begin(w, OP_ACCEPT, 200, "accept4(%d, NULL, NULL, SOCK_NONBLOCK)", l);
	a = end(w, OP_ACCEPT, accept4(l, NULL, NULL, SOCK_NONBLOCK));
	if (a >= 0)
		slot_put(w, a);
	if (!close_l) {
		slot_put(w, l);
		return;
	}
out_l:
	do_close(w, l);
}

/* ------------------------------------------------------------------------
 * The differential probe: one random call on a socket of the protocol
 * under test and on one of Linux's TCP, both private and in the same
 * state; the results must agree.
 */

enum dstate {
	D_NEW, D_BOUND, D_LISTEN, D_CONNECTED, D_ACCEPTED, D_DATA, D_SHUT_WR,
	D_PEER_CLOSED, D_RESET, D_DISCONNECTED, D_SYN_SENT, D_MORE, ND
};

static const char *const dstate_name[ND] = {
	"new", "bound", "listening", "connected", "accepted", "with data pending",
	"shut down for writing", "closed by its peer", "reset by its peer",
	"bound to 0.0.0.0, connected, then disconnected (connect AF_UNSPEC)",
	"connecting to an address that does not answer",
	"with data sent with MSG_MORE, and nothing after it",
};

struct dside {
	int fd;		/* the socket probed */
	int other;	/* its peer, or the listener */
	int ok;
	const char *step;	/* where the setup failed */
	int err;		/* and its errno (0: a wait that timed out) */
};

static int priv(int fd)
{
	int p;

	if (fd < 0)
		return fd;
	p = fcntl(fd, F_DUPFD_CLOEXEC, PRIV_FD);
	close(fd);
	return p;
}

/* Wait (at most 5 s, signals or not) until fd shows ev. */
static int wait_ev(int fd, short ev)
{
	struct pollfd p = { .fd = fd, .events = ev };
	int64_t end = now_ns() + 5000000000LL;

	while (now_ns() < end) {
		p.revents = 0;
		if (poll(&p, 1, 50) == 1 && (p.revents & ev))
			return 1;
	}
	errno = 0;
	return 0;
}

/*
 * The same steps on both protocols; a step that fails on one only is a
 * difference too (a FIN, RST or data the peer never sees).
 */
#define STEP(what, cond)				\
	do {						\
		if (!(cond)) {				\
			d->step = what;			\
			d->err = errno;			\
			goto fail;			\
		}					\
	} while (0)

static void dside_setup(struct dside *d, int p, enum dstate st)
{
	struct sockaddr_in sin = { .sin_family = AF_INET,
				   .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	struct sockaddr_in any = { .sin_family = AF_INET };
	struct sockaddr unspec = { .sa_family = AF_UNSPEC };
	struct linger lg = { 1, 0 };
	socklen_t sl = sizeof(sin);
	int l = -1, c = -1, a = -1;

	memset(d, 0, sizeof(*d));
	d->fd = d->other = -1;
	c = priv(socket(AF_INET, SOCK_STREAM, p));
	STEP("socket", c >= 0);
	if (st == D_NEW)
		goto done;
	if (st == D_SYN_SENT) {
		/* A SYN to nobody; non-blocking, so it stays in SYN_SENT. */
		sin.sin_addr.s_addr = unreachable;
		sin.sin_port = htons(port_base);
		STEP("an address that does not answer (-u)", unreachable);
		STEP("fcntl O_NONBLOCK", !fcntl(c, F_SETFL, O_NONBLOCK));
		STEP("connect gives EINPROGRESS",
		     connect(c, (struct sockaddr *)&sin, sizeof(sin)) == -1 && errno == EINPROGRESS);
		STEP("fcntl 0", !fcntl(c, F_SETFL, 0));
		goto done;
	}
	STEP("bind", !bind(c, (struct sockaddr *)(st == D_DISCONNECTED ? &any : &sin),
			   sizeof(sin)));
	if (st == D_BOUND)
		goto done;
	if (st == D_LISTEN) {
		STEP("listen", !listen(c, 4));
		goto done;
	}
	l = priv(socket(AF_INET, SOCK_STREAM, p));
	STEP("socket (listener)", l >= 0);
	STEP("bind (listener)", !bind(l, (struct sockaddr *)&sin, sizeof(sin)));
	STEP("listen (listener)", !listen(l, 4) &&
	     !getsockname(l, (struct sockaddr *)&sin, &sl));
	STEP("connect", !connect(c, (struct sockaddr *)&sin, sizeof(sin)));
	STEP("the listener has the connection (POLLIN)", wait_ev(l, POLLIN));
	a = priv(accept(l, NULL, NULL));
	STEP("accept", a >= 0);
	close(l);
	l = -1;
	switch (st) {
	case D_DATA:
		STEP("send 32 bytes", send(a, "0123456789abcdef0123456789abcdef", 32, 0) == 32);
		STEP("the peer sees the data (POLLIN)", wait_ev(c, POLLIN));
		break;
	case D_MORE:
		STEP("send 10 bytes, MSG_MORE", send(c, "0123456789", 10, MSG_MORE) == 10);
		STEP("the peer sees the data sent with MSG_MORE (POLLIN)", wait_ev(a, POLLIN));
		break;
	case D_SHUT_WR:
		STEP("shutdown(SHUT_WR)", !shutdown(c, SHUT_WR));
		STEP("the peer sees the FIN (POLLRDHUP)", wait_ev(a, POLLRDHUP));
		break;
	case D_PEER_CLOSED:
		close(a);
		a = -1;
		STEP("close's FIN reaches the socket (POLLRDHUP)", wait_ev(c, POLLRDHUP));
		break;
	case D_RESET:
		STEP("SO_LINGER {1, 0}", !setsockopt(a, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg)));
		close(a);
		a = -1;
		STEP("the abort's RST reaches the socket (POLLHUP)", wait_ev(c, POLLHUP));
		break;
	case D_DISCONNECTED:
		STEP("connect(AF_UNSPEC)", !connect(c, &unspec, sizeof(sin)));
		break;
	default:
		break;
	}
done:
	if (st == D_ACCEPTED) {
		d->fd = a;
		d->other = c;
	} else {
		d->fd = c;
		d->other = a;
	}
	d->ok = 1;
	return;
fail:
	if (l >= 0)
		close(l);
	if (c >= 0)
		close(c);
	if (a >= 0)
		close(a);
	d->fd = d->other = -1;
}

static void dside_close(struct dside *d)
{
	struct linger lg = { 1, 0 };

	/* Aborted: no FIN to wait for, no TIME_WAIT to leave behind. */
	if (d->fd >= 0) {
		setsockopt(d->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(d->fd);
	}
	if (d->other >= 0) {
		setsockopt(d->other, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(d->other);
	}
}

/* A TCP_* name no kernel knows. */
#define TCP_UNKNOWN 1000

struct dcall {
	int kind;	/* what is called: see dcall_do() */
	int level, name, flags, how;
	socklen_t len;
	int bad;	/* 1: NULL, 2: an unmapped pointer */
	int val;	/* ioctl's int */
	unsigned long cmd;
	char desc[160];
};

/*
 * Makes the call on fd, a socket of protocol p.  Option values come from
 * w->buf, which nothing writes between the two calls; what the kernel
 * writes goes to w->obuf.
 */
static long dcall_do(struct worker *w, const struct dcall *c, int fd, int p, socklen_t *olen)
{
	void *bad = c->bad == 1 ? NULL : (void *)mem_none;
	struct sockaddr_storage ss;
	socklen_t sl = sizeof(ss);
	int level = c->level, v = c->val;

	/* The atcp level is SOL_TCP for TCP's socket. */
	if (p == IPPROTO_TCP && level == (proto == IPPROTO_TCP ? IPPROTO_ATCP : proto))
		level = SOL_TCP;
	switch (c->kind) {
	case 0:
		return setsockopt(fd, level, c->name, c->bad ? bad : w->buf, c->len);
	case 1:
		*olen = c->len;
		return getsockopt(fd, level, c->name, c->bad ? bad : w->obuf, olen);
	case 2:
		return ioctl(fd, c->cmd, c->bad ? bad : &v);
	case 3:
		return recv(fd, c->bad ? bad : w->obuf, c->len, c->flags | MSG_DONTWAIT);
	case 4:
		return send(fd, c->bad ? bad : w->buf, c->len,
			    (c->flags & ~MSG_FASTOPEN) | MSG_DONTWAIT | MSG_NOSIGNAL);
	case 5:
		return shutdown(fd, c->how);
	case 6:
		return listen(fd, c->how);
	case 7:
		return c->how ? getpeername(fd, (void *)&ss, &sl) :
				getsockname(fd, (void *)&ss, &sl);
	case 8:
		memset(&ss, 0, sizeof(ss));
		ss.ss_family = AF_UNSPEC;
		return connect(fd, (void *)&ss, sizeof(struct sockaddr_in));
	default:
		/* (SOCK_NONBLOCK is the new socket's: the wait is the file's.) */
		if (fcntl(fd, F_SETFL, O_NONBLOCK))
			return -1;
		v = accept4(fd, NULL, NULL, c->flags);
		if (v >= 0)
			close(v);
		return v;
	}
}

/* Differences the core kernel makes on sk_protocol == IPPROTO_TCP. */
static int diff_excused(const struct dcall *c, long rt, int et, long ra)
{
	if (c->kind == 0 && c->level == SOL_SOCKET && c->name == SO_ZEROCOPY)
		return 1;	/* TCP and UDP only */
	if (c->kind == 0 && c->level == SOL_SOCKET &&
	    (c->name == SO_TIMESTAMPING_OLD || c->name == SO_TIMESTAMPING_NEW) &&
	    rt < 0 && et == EINVAL && ra == 0)
		return 1;	/* SOF_TIMESTAMPING_OPT_ID: TCP checks its state */
	return 0;
}

static void dcall_draw(struct worker *w, struct dcall *c)
{
	const char *name = "";
	int k = rn(w, 10), lvl = rlevel(w), kind2 = rn(w, 3), shut = rn(w, 4);
	socklen_t glen = rgetlen(w);

	memset(c, 0, sizeof(*c));
	c->kind = k >= 5 && one_in(w, 2) ? kind2 : k;	/* options and ioctls, mostly */
	c->level = lvl;
	c->name = roptname(w, c->level);
	c->len = ropt(w, c->level, c->name, 1, w->buf);
	c->bad = one_in(w, 12) ? 1 + rn(w, 2) : 0;
	c->flags = rflags(w, NULL);
	c->how = shut ? (int)rn(w, 3) : redge(w);
	c->val = *(int *)w->buf;
	c->cmd = rioctl(w, &name);
	if (c->cmd == FIOSETOWN || c->cmd == SIOCSPGRP)
		c->cmd = SIOCINQ;
	if (c->kind == 3 || c->kind == 4)
		c->len = rn(w, 64);
	if (c->kind == 9)
		c->flags = SOCK_NONBLOCK | (one_in(w, 8) ? (int)rnd(w) : 0);
	/* Linux's TCP loads a module for an unknown ULP name. */
	if (c->level == SOL_TCP && c->name == TCP_ULP)
		c->name = c->kind ? TCP_INFO : TCP_NODELAY;
	if (c->kind == 1)
		c->len = glen;

	switch (c->kind) {
	case 0:
		snprintf(c->desc, sizeof(c->desc), "setsockopt(level %d, %d, [%d %d]%s, %d)",
			 c->level, c->name, *(int *)w->buf, *(int *)(w->buf + 4),
			 c->bad ? " bad pointer" : "", (int)c->len);
		break;
	case 1:
		snprintf(c->desc, sizeof(c->desc), "getsockopt(level %d, %d%s, %d)", c->level,
			 c->name, c->bad ? ", bad pointer" : "", (int)c->len);
		break;
	case 2:
		snprintf(c->desc, sizeof(c->desc), "ioctl(%s %#lx, [%d]%s)", name, c->cmd,
			 c->val, c->bad ? " bad pointer" : "");
		break;
	case 3:
	case 4:
		snprintf(c->desc, sizeof(c->desc), "%s(%u bytes%s, %#x|MSG_DONTWAIT)",
			 c->kind == 3 ? "recv" : "send", c->len, c->bad ? ", bad pointer" : "",
			 c->flags);
		break;
	case 5:
		snprintf(c->desc, sizeof(c->desc), "shutdown(%d)", c->how);
		break;
	case 6:
		snprintf(c->desc, sizeof(c->desc), "listen(%d)", c->how);
		break;
	case 7:
		c->how &= 1;
		snprintf(c->desc, sizeof(c->desc), "%s()", c->how ? "getpeername" : "getsockname");
		break;
	case 8:
		snprintf(c->desc, sizeof(c->desc), "connect(AF_UNSPEC)");
		break;
	default:
		snprintf(c->desc, sizeof(c->desc), "accept4(%#x)", c->flags);
	}
}

/* Setups that failed on one protocol only: after 3, the state is left. */
static int dstate_failed[ND];
static unsigned long diffs_unconfirmed;

enum { D_SAME, D_DIFFERENT, D_NO_VERDICT };

struct dverdict {
	uint64_t sig;
	int setup;		/* the difference is in the setup */
	char msg[MSGLEN];
};

/*
 * One probe: both setups, the call on both.  A difference is described
 * in v; whether it counts is op_diff's to decide.
 */
static int diff_once(struct worker *w, enum dstate st, struct dcall *c, struct dverdict *v)
{
	int et = 0, ea = 0, p = proto, ret = D_SAME;
	socklen_t olt = 0, ola = 0;
	struct dside dt, da;
	long rt = 0, ra = 0;

	dside_setup(&dt, IPPROTO_TCP, st);
	dside_setup(&da, p, st);
	if (dt.ok != da.ok) {
		struct dside *f = dt.ok ? &da : &dt;

		/* (Descriptors, memory and signals are no difference.) */
		ret = D_NO_VERDICT;
		if (f->err == EBADF || f->err == ENOTSOCK || f->err == EINTR ||
		    f->err == EMFILE || f->err == ENFILE || f->err == ENOBUFS ||
		    f->err == ENOMEM)
			goto out;
		ret = D_DIFFERENT;
		v->setup = 1;
		v->sig = sig(st, 0x5e7, dt.ok, 0, 0);
		snprintf(v->msg, MSGLEN, "sockets %s: every step worked on %s; on %s, \"%s\" failed (%s)",
			 dstate_name[st], dt.ok ? "tcp" : atcp_proto_name(p),
			 dt.ok ? atcp_proto_name(p) : "tcp", f->step,
			 f->err ? ename(f->err) : "timed out");
		goto out;
	}
	if (!dt.ok) {
		ret = D_NO_VERDICT;
		goto out;
	}
	errno = 0;
	rt = dcall_do(w, c, dt.fd, IPPROTO_TCP, &olt);
	et = errno;
	errno = 0;
	ra = dcall_do(w, c, da.fd, p, &ola);
	ea = errno;
	snprintf(v->msg, MSGLEN, "tcp %ld %s, %s %ld %s", rt, rt < 0 ? ename(et) : "",
		 atcp_proto_name(p), ra, ra < 0 ? ename(ea) : "");
	/* Another thread closed a number we had not yet moved: no verdict. */
	if ((rt < 0 && (et == EBADF || et == ENOTSOCK)) ||
	    (ra < 0 && (ea == EBADF || ea == ENOTSOCK))) {
		ret = D_NO_VERDICT;
		goto out;
	}
	if ((rt < 0) == (ra < 0) && (rt >= 0 || et == ea) &&
	    (c->kind < 3 || c->kind > 4 || rt == ra) &&
	    (c->kind != 1 || rt < 0 || c->bad || olt == ola || c->level != SOL_SOCKET))
		goto out;
	/*
	 * An option atcp lacks fails as TCP fails for one it lacks (SPEC 9):
	 * as TCP's socket does for a name it does not know, same arguments.
	 */
	if ((c->kind == 0 || c->kind == 1) && (c->level == SOL_TCP || c->level == p) &&
	    !atcp_has_option(c->name, c->kind)) {
		struct dcall u = *c;
		long ru;
		int eu;

		u.name = TCP_UNKNOWN;
		errno = 0;
		ru = dcall_do(w, &u, dt.fd, IPPROTO_TCP, &olt);
		eu = errno;
		if ((ru < 0) == (ra < 0) && (ra >= 0 || eu == ea)) {
			__atomic_fetch_add(&diffs_excused, 1, __ATOMIC_RELAXED);
			goto out;
		}
		rt = ru;
		et = eu;
	}
	if (diff_excused(c, rt, et, ra)) {
		__atomic_fetch_add(&diffs_excused, 1, __ATOMIC_RELAXED);
		goto out;
	}
	ret = D_DIFFERENT;
	v->sig = sig(c->kind, c->kind <= 1 ? c->level : 0,
		     c->kind <= 1 ? c->name : c->kind == 2 ? (long)c->cmd : 0,
		     rt < 0 ? et : -1, ra < 0 ? ea : -1);
	snprintf(v->msg, MSGLEN, "on sockets %s, %s%s: tcp gives %ld %s, %s gives %ld %s%s",
		 dstate_name[st], c->desc,
		 (c->kind == 0 || c->kind == 1) && (c->level == SOL_TCP || c->level == p) &&
		 !atcp_has_option(c->name, c->kind) ?
		 " (an option atcp lacks; tcp: as for an unknown one)" : "",
		 rt, rt < 0 ? ename(et) : "", atcp_proto_name(p), ra, ra < 0 ? ename(ea) : "",
		 c->kind == 1 && rt >= 0 && ra >= 0 ? " (the lengths differ)" : "");
out:
	dside_close(&dt);
	dside_close(&da);
	return ret;
}

static void op_diff(struct worker *w)
{
	enum dstate st = rn(w, ND);
	struct dverdict v1, v2;
	struct dcall c;
	int i, r;
	char *d;

	dcall_draw(w, &c);
	for (i = 0; __atomic_load_n(&dstate_failed[st], __ATOMIC_RELAXED) >= 3; i++) {
		if (i == ND)
			return;
		st = (st + 1) % ND;
	}
	memset(&v1, 0, sizeof(v1));
	memset(&v2, 0, sizeof(v2));
	/* The setups are under the watchdog too. */
	begin(w, OP_DIFF, 25000, "on sockets %s: %s", dstate_name[st], c.desc);
	r = diff_once(w, st, &c, &v1);
	/*
	 * Until a socket is moved to its private number, a thread holding a
	 * stale number may act on it (bind it, shut it down): a difference
	 * counts when a second probe, on new sockets, gives it again.
	 */
	if (r == D_DIFFERENT && (diff_once(w, st, &c, &v2) != D_DIFFERENT || v2.sig != v1.sig)) {
		__atomic_fetch_add(&diffs_unconfirmed, 1, __ATOMIC_RELAXED);
		r = D_NO_VERDICT;
	}
	__atomic_store_n(&w->busy, 0, __ATOMIC_RELEASE);
	d = w->ring[w->ring_pos++ % RING];
	snprintf(d + strlen(d), DESC - strlen(d), ": %s", r == D_NO_VERDICT ? "no verdict" :
		 v1.setup ? "setups differ" : v1.msg);
	if (verbose)
		printf("%s\n", d);
	w->calls[OP_DIFF]++;
	if (r == D_NO_VERDICT)
		return;
	w->oks[OP_DIFF]++;
	__atomic_fetch_add(&diffs_compared, 1, __ATOMIC_RELAXED);
	if (r == D_SAME)
		return;
	if (v1.setup)
		__atomic_fetch_add(&dstate_failed[st], 1, __ATOMIC_RELAXED);
	report(w, F_DIFF, v1.sig, "%s", v1.msg);
}

/* ------------------------------------------------------------------------
 * Threads.
 */

struct choice {
	void (*fn)(struct worker *w);
	int weight;
};

static const struct choice choices[] = {
	{ op_socket, 4 }, { op_bind, 5 }, { op_listen, 4 }, { op_connect, 8 },
	{ op_accept, 6 }, { op_send, 16 }, { op_recv, 16 }, { op_shutdown, 3 },
	{ op_close, 3 }, { op_dup, 2 }, { op_setsockopt, 12 },
	{ op_getsockopt, 8 }, { op_sockopt_efault, 1 }, { op_ioctl, 4 },
	{ op_fcntl, 2 }, { op_poll, 3 }, { op_epoll, 3 }, { op_sendfile, 3 },
	{ op_splice, 3 }, { op_getname, 2 }, { op_conn, 8 },
};

static void on_signal(int sig)
{
	switch (sig) {
	case SIGUSR1: __atomic_fetch_add(&kicks, 1, __ATOMIC_RELAXED); break;
	case SIGIO: __atomic_fetch_add(&sigios, 1, __ATOMIC_RELAXED); break;
	case SIGURG: __atomic_fetch_add(&sigurgs, 1, __ATOMIC_RELAXED); break;
	}
}

static void *worker_main(void *arg)
{
	struct worker *w = arg;
	unsigned long limit = ops_total ? (ops_total + nthreads - 1) / nthreads : 0;
	int total = 0, i, r;

	w->tid = syscall(SYS_gettid);
	if (w->netns_fd >= 0 && setns(w->netns_fd, CLONE_NEWNET))
		die("setns");
	for (i = 0; i < (int)ARRAY_SIZE(choices); i++)
		total += choices[i].weight;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		if (limit && w->op_no >= limit)
			break;
		if (!limit && now_s() >= t_end)
			break;
		w->step = 0;
		if (diff_one_in && one_in(w, diff_one_in)) {
			op_diff(w);
		} else {
			r = rn(w, total);
			for (i = 0; r >= choices[i].weight; i++)
				r -= choices[i].weight;
			choices[i].fn(w);
		}
		w->op_no++;
	}
	return NULL;
}

/* Prints the kernel's view of a stuck thread. */
static void print_task(struct worker *w)
{
	static const char *const files[] = { "stack", "wchan", "stat" };
	char path[128], b[4096];
	unsigned int i;
	ssize_t n;
	int fd;

	for (i = 0; i < 3; i++) {
		snprintf(path, sizeof(path), "/proc/self/task/%d/%s", w->tid, files[i]);
		fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		n = read(fd, b, sizeof(b) - 1);
		close(fd);
		if (n <= 0)
			continue;
		b[n] = 0;
		printf("sysfuzz:   %s of thread %d (tid %d):\n%s%s", files[i], w->id, w->tid, b,
		       b[n - 1] == '\n' ? "" : "\n");
	}
}

/*
 * The kernel log, read as it grows: a complaint (the lines run_tests and
 * scripts/vm-run look for) is a failure, printed with the last calls of
 * the thread it names (PID: is the thread's id), which made the call
 * that drew it, or one of the few before.
 */
static int kmsg_fd = -1;

static const char *const splats[] = {
	"WARNING:", "BUG:", "Oops", "general protection fault", "UBSAN:", "KASAN",
	"KFENCE", "kernel BUG at", "Kernel panic", "unreferenced object",
	"possible circular locking", "possible recursive locking", "soft lockup",
	"hard LOCKUP", "blocked for more than", "self-detected stall", "rcu: INFO",
	"Unable to handle kernel", "stack-protector",
};

static struct {
	char line[MSGLEN];
	uint64_t sig;
	int records;	/* left to find the PID in */
} splat;

static void kmsg_read(void)
{
	char rec[2048], *msg, *nl, *pid;
	struct worker *w;
	unsigned int i;
	ssize_t n;

	for (;;) {
		n = read(kmsg_fd, rec, sizeof(rec) - 1);
		if (n < 0 && errno == EPIPE)
			continue;	/* records lost to the ring's wrap */
		if (n <= 0)
			break;
		rec[n] = 0;
		msg = strchr(rec, ';');
		if (!msg)
			continue;
		msg++;
		nl = strchr(msg, '\n');
		if (nl)
			*nl = 0;
		for (i = 0; !splat.records && i < ARRAY_SIZE(splats); i++) {
			if (strstr(msg, splats[i])) {
				char key[MSGLEN], *k = key, *m;

				snprintf(splat.line, sizeof(splat.line), "%s", msg);
				/* The same complaint from another CPU or task: one signature. */
				for (m = msg; *m && k < key + sizeof(key) - 1; m++)
					if (*m < '0' || *m > '9')
						*k++ = *m;
				*k = 0;
				splat.sig = fnv1a(0xcbf29ce484222325ULL, (uint8_t *)key, strlen(key));
				splat.records = 40;
			}
		}
		if (!splat.records)
			continue;
		pid = strstr(msg, " PID: ");
		w = NULL;
		for (i = 0; pid && i < (unsigned int)nthreads; i++)
			if (workers[i].tid == atoi(pid + 6))
				w = &workers[i];
		if (w || pid || !--splat.records) {
			report(w, F_KERNEL, splat.sig, "the kernel: %s%s", splat.line,
			       w ? "; in this thread's last calls:" : " (not in a thread of ours)");
			splat.records = 0;
		}
	}
}

static void print_counts(void);

static void *watchdog_main(void *arg)
{
	int64_t hang = hang_secs * 1000000000LL;
	int i;

	(void)arg;
	while (!__atomic_load_n(&stop, __ATOMIC_RELAXED)) {
		int64_t t = now_ns();

		for (i = 0; i < nthreads; i++) {
			struct worker *w = &workers[i];
			int64_t t0, soft, kicked;

			if (!__atomic_load_n(&w->busy, __ATOMIC_ACQUIRE))
				continue;
			t0 = __atomic_load_n(&w->t0, __ATOMIC_RELAXED);
			soft = __atomic_load_n(&w->soft, __ATOMIC_RELAXED);
			kicked = __atomic_load_n(&w->kicked, __ATOMIC_RELAXED);
			if (t - t0 > hang) {
				pthread_mutex_lock(&print_lock);
				printf("sysfuzz: HANG: thread %d has been in one call for %.1f s "
				       "(bound %d s), signalled every 100 ms:\n", w->id,
				       (t - t0) / 1e9, hang_secs);
				print_ring(w, 1);
				print_task(w);
				hung = 1;
				failures++;
				pthread_mutex_unlock(&print_lock);
				print_counts();
				fflush(stdout);
				_exit(3);
			}
			if (t > soft && t - kicked > 100000000LL) {
				__atomic_store_n(&w->kicked, t, __ATOMIC_RELAXED);
				pthread_kill(w->th, SIGUSR1);
			}
		}
		if (kmsg_fd >= 0)
			kmsg_read();
		usleep(10000);
	}
	return NULL;
}

static void print_counts(void)
{
	unsigned long calls[NOPS] = { 0 }, oks[NOPS] = { 0 }, all = 0;
	unsigned long long out = 0, in = 0;
	static unsigned long errs[NOPS][256];
	int i, j, t;
	double el = now_s() - t_start;

	memset(errs, 0, sizeof(errs));
	for (t = 0; t < nthreads; t++) {
		out += workers[t].bytes_out;
		in += workers[t].bytes_in;
		for (i = 0; i < NOPS; i++) {
			calls[i] += workers[t].calls[i];
			oks[i] += workers[t].oks[i];
			for (j = 0; j < 256; j++)
				errs[i][j] += workers[t].errs[i][j];
		}
	}
	printf("sysfuzz: %-11s %8s %8s  errnos\n", "call", "calls", "ok");
	for (i = 0; i < NOPS; i++) {
		char line[2048];
		size_t l = 0;

		all += calls[i];
		line[0] = 0;
		for (j = 0; j < 256; j++)
			if (errs[i][j] && l < sizeof(line) - 40)
				l += snprintf(line + l, sizeof(line) - l, " %s %lu",
					      j ? ename(j) : "other", errs[i][j]);
		printf("sysfuzz: %-11s %8lu %8lu %s\n", op_name[i], calls[i], oks[i], line);
	}
	printf("sysfuzz: %lu calls in %.1f s (%.0f/s); %llu bytes sent, %llu received (send, "
	       "sendto, sendmsg, sendfile; recv, recvfrom, recvmsg); %lu differential probes "
	       "compared (%lu excused, %lu differences not seen again); signals: %lu watchdog, "
	       "%lu SIGIO, %lu SIGURG\n", all, el, el > 0 ? all / el : 0, out, in,
	       diffs_compared, diffs_excused, diffs_unconfirmed, kicks, sigios, sigurgs);
	for (i = 0; i < nfsigs; i++)
		printf("sysfuzz: failed %lu times: %s\n", fsigs[i].n, fsigs[i].first);
	printf("sysfuzz: result calls=%lu", all);
	for (i = 0; i < NF; i++)
		printf(" %s=%lu", fkind_key[i], fcount[i]);
	printf(" hang=%d compared=%lu seed=%" PRIu64 "\n", hung, diffs_compared, seed);
}

/* Nothing left to wait for at exit: linger off, then close. */
static void close_all(void)
{
	struct linger lg = { 0, 0 };
	struct stat st;
	int fd;

	for (fd = 3; fd < PRIV_FD + 64; fd++) {
		if (fd == memfd || fd == nullfd || fstat(fd, &st) || !S_ISSOCK(st.st_mode))
			continue;
		setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
		close(fd);
	}
}

static void usage(void)
{
	fprintf(stderr, "usage: sysfuzz [-s SEED] [-t SECONDS | -n OPS] [-j THREADS] [-P PROTO]\n"
		"               [-N NETNS[,NETNS...]] [-a ADDR]... [-u ADDR] [-p PORT] [-F SLOTS]\n"
		"               [-T N] [-d N] [-w SECONDS] [-v]   (see sysfuzz.c)\n");
	exit(2);
}

int main(int argc, char **argv)
{
	struct sigaction sa;
	pthread_t wd;
	char *nslist = NULL, *tok, *save;
	int c, i, fds[2];

	setvbuf(stdout, NULL, _IOLBF, 0);
	proto = atcp_test_proto();
	seed = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 16);
	addrs[naddrs++] = htonl(INADDR_LOOPBACK);
	while ((c = getopt(argc, argv, "s:t:n:j:P:N:a:u:p:F:T:d:w:v")) != -1) {
		switch (c) {
		case 's': seed = strtoull(optarg, NULL, 0); break;
		case 't': secs = atoi(optarg); break;
		case 'n': ops_total = atol(optarg); break;
		case 'j': nthreads = atoi(optarg); break;
		case 'P': proto = atoi(optarg); break;
		case 'N': nslist = optarg; break;
		case 'a':
			if (naddrs == MAX_ADDRS || inet_pton(AF_INET, optarg, &addrs[naddrs]) != 1)
				usage();
			naddrs++;
			break;
		case 'u':
			if (inet_pton(AF_INET, optarg, &unreachable) != 1)
				usage();
			if (naddrs < MAX_ADDRS)
				addrs[naddrs++] = unreachable;
			break;
		case 'p': port_base = atoi(optarg); break;
		case 'F': nslots = atoi(optarg); break;
		case 'T': tcp_one_in = atoi(optarg); break;
		case 'd': diff_one_in = atoi(optarg); break;
		case 'w': hang_secs = atoi(optarg); break;
		case 'v': verbose = 1; break;
		default: usage();
		}
	}
	if (optind != argc || nthreads < 1 || nthreads > MAX_THREADS || nslots < 1 ||
	    nslots > MAX_SLOTS || proto < 1 || proto > 255 || hang_secs < 1 ||
	    port_base < 1 || port_base > 65535 - NPORTS || tcp_one_in < 0 || diff_one_in < 0)
		usage();
	if (!secs && !ops_total)
		secs = 10;
	if (nslist) {
		for (tok = strtok_r(nslist, ",", &save); tok && nnetns < MAX_THREADS;
		     tok = strtok_r(NULL, ",", &save))
			netns_names[nnetns++] = tok;
	}

	errnos_init();
	page = sysconf(_SC_PAGESIZE);
	mem_rw = mmap(NULL, 3 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
		      -1, 0);
	if (mem_rw == MAP_FAILED)
		die("mmap");
	memset(mem_rw, 0x5a, 3 * page);
	mem_none = mem_rw + page;
	mem_ro = mem_rw + 2 * page;
	if (mprotect(mem_none, page, PROT_NONE) || mprotect(mem_ro, page, PROT_READ))
		die("mprotect");

	/*
	 * Every descriptor of the fuzzer's own is opened before the threads
	 * start: the pool's numbers come from socket(), accept() and dup()
	 * only, so a stale number in the pool is never one of these.
	 */
	memfd = memfd_create("sysfuzz", 0);
	if (memfd < 0 || ftruncate(memfd, FILE_SIZE))
		die("memfd");
	nullfd = open("/dev/null", O_RDONLY);
	if (nullfd < 0)
		die("/dev/null");
	/* (Not root, or no /dev/kmsg: the test reads the log itself.) */
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (kmsg_fd >= 0)
		lseek(kmsg_fd, 0, SEEK_END);
	workers = calloc(nthreads, sizeof(*workers));
	if (!workers)
		die("calloc");
	for (i = 0; i < nthreads; i++) {
		struct worker *w = &workers[i];
		char path[300];

		w->id = i;
		prng_init(&w->rng, seed * 0x100000001b3ULL + i + 1);
		w->buf = malloc(BUF_SIZE);
		w->obuf = malloc(BUF_SIZE);
		if (!w->buf || !w->obuf)
			die("malloc");
		prng_fill(&w->rng, (uint8_t *)w->buf, BUF_SIZE);
		if (i == 0) {
			for (c = 0; c < FILE_SIZE; c += BUF_SIZE)
				if (pwrite(memfd, w->buf, BUF_SIZE, c) != BUF_SIZE)
					die("pwrite");
		}
		w->netns_fd = -1;
		if (nnetns) {
			snprintf(path, sizeof(path), "/var/run/netns/%s", netns_names[i % nnetns]);
			w->netns_fd = open(path, O_RDONLY | O_CLOEXEC);
			if (w->netns_fd < 0)
				die(path);
		}
		w->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (w->epfd < 0 || pipe2(fds, O_NONBLOCK | O_CLOEXEC))
			die("epoll_create1, pipe2");
		w->pipe_r = fds[0];
		w->pipe_w = fds[1];
	}
	for (i = 0; i < MAX_SLOTS; i++)
		slots[i] = -1;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;	/* no SA_RESTART: calls return EINTR */
	sigaction(SIGUSR1, &sa, NULL);
	sigaction(SIGIO, &sa, NULL);
	sigaction(SIGURG, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	printf("sysfuzz: seed %" PRIu64 ", %d threads, %s %ld, protocol %d (one socket in %d "
	       "tcp), %d slots, ports %d-%d, %d addresses, %d namespaces, hang bound %d s\n",
	       seed, nthreads, ops_total ? "ops" : "seconds", ops_total ? ops_total : secs,
	       proto, proto == IPPROTO_TCP ? 1 : tcp_one_in, nslots, port_base,
	       port_base + NPORTS - 1, naddrs, nnetns, hang_secs);
	printf("sysfuzz: replay: sysfuzz -s %" PRIu64 " -j %d %s%ld -P %d -F %d -T %d -d %d"
	       " (and the same -N, -a, -p)\n", seed, nthreads, ops_total ? "-n " : "-t ",
	       ops_total ? ops_total : secs, proto, nslots, tcp_one_in, diff_one_in);

	t_start = now_s();
	t_end = t_start + secs;
	for (i = 0; i < nthreads; i++)
		if (pthread_create(&workers[i].th, NULL, worker_main, &workers[i]))
			die("pthread_create");
	if (pthread_create(&wd, NULL, watchdog_main, NULL))
		die("pthread_create");
	for (i = 0; i < nthreads; i++)
		pthread_join(workers[i].th, NULL);
	close_all();
	/* What the last calls and the closes drew, read by this thread now. */
	usleep(200000);
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	pthread_join(wd, NULL);
	if (kmsg_fd >= 0) {
		kmsg_read();
		if (splat.records)
			report(NULL, F_KERNEL, splat.sig, "the kernel: %s", splat.line);
	}
	print_counts();
	printf("sysfuzz: %s\n", failures ? "FAIL" : "PASS");
	return failures ? 1 : 0;
}
