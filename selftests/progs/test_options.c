// SPDX-License-Identifier: GPL-2.0
/*
 * test_options - every TCP_* socket option of Linux 6.1, and what the ones
 * atcp has do, against Linux's TCP (difftest.h: each case runs on TCP
 * sockets, then on the protocol under test, and the records must match).
 *
 * First, on fresh sockets, each TCP_* option is set with edge values and
 * lengths and read back.  An option atcp has must give what TCP gives; one
 * it lacks must give what TCP gives for an option it does not know
 * (number 9999) with the same arguments (SPEC 9, Documentation/options.rst).
 * Then, over loopback: TCP_WINDOW_CLAMP across connect() and accept(),
 * TCP_CORK and MSG_MORE holding a part-filled segment (and the probe timer
 * sending it after about an RTO), TCP_NODELAY pushing it, TCP_NOTSENT_LOWAT
 * on poll() (per socket and by sysctl), TCP_INQ and its TCP_CM_INQ cmsg,
 * and TCP_DEFER_ACCEPT keeping a connection from accept() until data
 * comes.
 *
 * With ATCP_PROTO=6 it compares TCP with TCP, which validates the cases.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include "difftest.h"

#ifndef TCP_INQ
#define TCP_INQ 36
#define TCP_CM_INQ TCP_INQ
#endif

#define TCP_UNKNOWN 9999

static int proto_under_test;

/* ---- every option on a fresh socket -------------------------------------- */

/* Options whose value read back differs by nature (a clock, a struct). */
static int value_differs(int name)
{
	return name == TCP_TIMESTAMP || name == TCP_INFO;
}

static const int set_values[] = { 1, 0, -1, 2, 3, 88, 536, 1000, 65535, 65536,
				  0x7fffffff };

/*
 * Options that would load a module or touch the kernel's state beyond the
 * socket when set with an int (a ULP or congestion control "name", a
 * Fast Open key): only their lengths are tried there.
 */
static int set_with_ints(int name)
{
	return name != TCP_ULP && name != TCP_CONGESTION &&
	       name != TCP_FASTOPEN_KEY;
}

/* The vectors are name's; the calls go to option number as. */
static void try_option(int proto, int name, int as, struct res *r)
{
	static const socklen_t get_lens[] = { 0, 1, 4, 8, 300 };
	unsigned char buf[512];
	unsigned int i;

	if (set_with_ints(name)) {
		for (i = 0; i < sizeof(set_values) / sizeof(set_values[0]); i++) {
			int fd = sock(proto), v = set_values[i];
			socklen_t len = sizeof(v);

			rec(r, setsockopt(fd, SOL_TCP, as, &v, sizeof(v)));
			v = -7;
			if (!getsockopt(fd, SOL_TCP, as, &v, &len) &&
			    !value_differs(name) && len == sizeof(v))
				note(r, "=%d", v);
			close(fd);
		}
	}
	for (i = 0; i < 4; i++) {
		int fd = sock(proto), v = 1;

		/* Lengths 0 to 3: too short for an int. */
		if (name == TCP_ULP && i)
			break;
		rec(r, setsockopt(fd, SOL_TCP, as, &v, i));
		close(fd);
	}
	for (i = 0; i < sizeof(get_lens) / sizeof(get_lens[0]); i++) {
		int fd = sock(proto);
		socklen_t len = get_lens[i];

		memset(buf, 0, sizeof(buf));
		rec(r, getsockopt(fd, SOL_TCP, as, buf, &len));
		note(r, "len=%d", len);
		close(fd);
	}
}

static int run_option(int name, const char *label)
{
	struct res t = { "" }, a = { "" };
	int has = atcp_has_option(name, 1) || proto_under_test == IPPROTO_TCP;

	try_option(IPPROTO_TCP, name, has ? name : TCP_UNKNOWN, &t);
	try_option(proto_under_test, name, name, &a);
	return tap_result(!strcmp(t.s, a.s), "%s (%d)%s: tcp %s; %s %s", label, name,
			  has ? "" : ", which atcp lacks (tcp: as an unknown option)",
			  t.s, atcp_proto_name(proto_under_test), a.s);
}

static const struct {
	int name;
	const char *label;
} options[] = {
	{ TCP_NODELAY, "TCP_NODELAY" }, { TCP_MAXSEG, "TCP_MAXSEG" },
	{ TCP_CORK, "TCP_CORK" }, { TCP_KEEPIDLE, "TCP_KEEPIDLE" },
	{ TCP_KEEPINTVL, "TCP_KEEPINTVL" }, { TCP_KEEPCNT, "TCP_KEEPCNT" },
	{ TCP_SYNCNT, "TCP_SYNCNT" }, { TCP_LINGER2, "TCP_LINGER2" },
	{ TCP_DEFER_ACCEPT, "TCP_DEFER_ACCEPT" },
	{ TCP_WINDOW_CLAMP, "TCP_WINDOW_CLAMP" }, { TCP_INFO, "TCP_INFO" },
	{ TCP_QUICKACK, "TCP_QUICKACK" }, { TCP_CONGESTION, "TCP_CONGESTION" },
	{ TCP_MD5SIG, "TCP_MD5SIG" },
	{ TCP_THIN_LINEAR_TIMEOUTS, "TCP_THIN_LINEAR_TIMEOUTS" },
	{ TCP_THIN_DUPACK, "TCP_THIN_DUPACK" },
	{ TCP_USER_TIMEOUT, "TCP_USER_TIMEOUT" }, { TCP_REPAIR, "TCP_REPAIR" },
	{ TCP_REPAIR_QUEUE, "TCP_REPAIR_QUEUE" }, { TCP_QUEUE_SEQ, "TCP_QUEUE_SEQ" },
	{ TCP_REPAIR_OPTIONS, "TCP_REPAIR_OPTIONS" },
	{ TCP_FASTOPEN, "TCP_FASTOPEN" }, { TCP_TIMESTAMP, "TCP_TIMESTAMP" },
	{ TCP_NOTSENT_LOWAT, "TCP_NOTSENT_LOWAT" }, { TCP_CC_INFO, "TCP_CC_INFO" },
	{ TCP_SAVE_SYN, "TCP_SAVE_SYN" }, { TCP_SAVED_SYN, "TCP_SAVED_SYN" },
	{ TCP_REPAIR_WINDOW, "TCP_REPAIR_WINDOW" },
	{ TCP_FASTOPEN_CONNECT, "TCP_FASTOPEN_CONNECT" }, { TCP_ULP, "TCP_ULP" },
	{ TCP_MD5SIG_EXT, "TCP_MD5SIG_EXT" },
	{ TCP_FASTOPEN_KEY, "TCP_FASTOPEN_KEY" },
	{ TCP_FASTOPEN_NO_COOKIE, "TCP_FASTOPEN_NO_COOKIE" },
	{ TCP_ZEROCOPY_RECEIVE, "TCP_ZEROCOPY_RECEIVE" }, { TCP_INQ, "TCP_INQ" },
	{ TCP_TX_DELAY, "TCP_TX_DELAY" },
};

/* ---- what they do over loopback ----------------------------------------- */

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int getint(int fd, int name)
{
	socklen_t len = sizeof(int);
	int v = -7;

	getsockopt(fd, SOL_TCP, name, &v, &len);
	return v;
}

static void setint(int fd, int level, int name, int v)
{
	if (setsockopt(fd, level, name, &v, sizeof(v)))
		setup_fail("setsockopt");
}

/* Bytes readable now (SIOCINQ), after waiting up to ms for any. */
static int inq_after(int fd, int ms)
{
	int n = 0;

	if (ms) {
		struct pollfd p = { .fd = fd, .events = POLLIN };

		poll(&p, 1, ms);
	}
	ioctl(fd, FIONREAD, &n);
	return n;
}

/* Wait until n bytes are readable, up to 5 s. */
static void wait_inq(int fd, int n)
{
	double end = now() + 5;

	while (inq_after(fd, 0) < n && now() < end)
		usleep(2000);
}

static void c_window_clamp(int proto, struct res *r)
{
	int c, s, port, l = bound(proto, &port), v = 30000;

	/* The listener's clamp goes to its children; the client's stays. */
	setint(l, SOL_TCP, TCP_WINDOW_CLAMP, v);
	if (listen(l, 4))
		setup_fail("listen");
	c = sock(proto);
	setint(c, SOL_TCP, TCP_WINDOW_CLAMP, 20000);
	rec(r, connect_to(c, port));
	s = accept(l, NULL, NULL);
	note(r, "client=%d", getint(c, TCP_WINDOW_CLAMP));
	note(r, "child=%d", getint(s, TCP_WINDOW_CLAMP));
	v = 0;
	rec(r, setsockopt(c, SOL_TCP, TCP_WINDOW_CLAMP, &v, sizeof(v)));
	v = 5000;
	rec(r, setsockopt(c, SOL_TCP, TCP_WINDOW_CLAMP, &v, sizeof(v)));
	note(r, "then=%d", getint(c, TCP_WINDOW_CLAMP));
	close(c);
	close(s);
	close(l);
}

static void c_cork(int proto, struct res *r)
{
	int c, s;

	pair(proto, &c, &s);
	setint(c, SOL_TCP, TCP_CORK, 1);
	rec(r, send(c, "abc", 3, 0));
	rec(r, send(c, "def", 3, 0));
	/* A part-filled segment waits while corked... */
	note(r, "corked=%d", inq_after(s, 100));
	setint(c, SOL_TCP, TCP_CORK, 0);
	/* ... and goes when the cork comes off. */
	note(r, "uncorked=%d", inq_after(s, 1000));
	close(c);
	close(s);
}

static void c_cork_ceiling(int proto, struct res *r)
{
	double t0;
	int c, s;

	pair(proto, &c, &s);
	setint(c, SOL_TCP, TCP_CORK, 1);
	t0 = now();
	rec(r, send(c, "abc", 3, 0));
	/*
	 * Nothing in flight: the probe timer sends it after about an RTO.
	 * When it arrived tells that it was held; a look at a fixed time
	 * would not, on a host that runs the VM late.
	 */
	wait_inq(s, 3);
	note(r, "later=%d", inq_after(s, 0));
	note(r, "after_0.15s=%d", now() - t0 > 0.15);
	close(c);
	close(s);
}

static void c_msg_more(int proto, struct res *r)
{
	int c, s;

	pair(proto, &c, &s);
	rec(r, send(c, "abc", 3, MSG_MORE));
	note(r, "held=%d", inq_after(s, 100));
	rec(r, send(c, "def", 3, 0));
	note(r, "then=%d", inq_after(s, 1000));
	close(c);
	close(s);
}

static void c_nodelay_pushes_cork(int proto, struct res *r)
{
	double t0;
	int c, s;

	pair(proto, &c, &s);
	setint(c, SOL_TCP, TCP_CORK, 1);
	rec(r, send(c, "abc", 3, 0));
	t0 = now();
	setint(c, SOL_TCP, TCP_NODELAY, 1);
	/* Setting TCP_NODELAY pushes what is queued, corked or not. */
	wait_inq(s, 3);
	note(r, "got=%d", inq_after(s, 0));
	note(r, "before_0.15s=%d", now() - t0 < 0.15);
	note(r, "cork=%d", getint(c, TCP_CORK));
	close(c);
	close(s);
}

/* A sender whose data waits: the receiver's window is shut. */
static int fill_until_blocked(int c)
{
	static char buf[65536];
	int total = 0, n;

	fcntl(c, F_SETFL, O_NONBLOCK);
	for (;;) {
		n = send(c, buf, sizeof(buf), MSG_DONTWAIT);
		if (n > 0) {
			total += n;
			continue;
		}
		/* The window may still be closing: give it a moment. */
		if (!poll(&(struct pollfd){ .fd = c, .events = POLLOUT }, 1, 300))
			break;
	}
	return total;
}

static void drain(int s)
{
	static char buf[65536];

	fcntl(s, F_SETFL, O_NONBLOCK);
	while (recv(s, buf, sizeof(buf), 0) > 0)
		;
}

static int writable(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLOUT };

	return poll(&p, 1, ms) > 0 && (p.revents & POLLOUT);
}

static void c_notsent_lowat(int proto, struct res *r)
{
	int c, s, i;

	pair(proto, &c, &s);
	setint(s, SOL_SOCKET, SO_RCVBUF, 4096);
	setint(c, SOL_TCP, TCP_NOTSENT_LOWAT, 1);
	note(r, "fresh=%d", writable(c, 0));
	fill_until_blocked(c);
	/* Data waits to be sent: not writable, whatever the buffer has. */
	note(r, "blocked=%d", writable(c, 100));
	/* The reader drains: the data goes, the writer wakes. */
	for (i = 0; i < 100 && !writable(c, 0); i++) {
		drain(s);
		usleep(20000);
	}
	note(r, "drained=%d", writable(c, 0));
	note(r, "get=%d", getint(c, TCP_NOTSENT_LOWAT));
	close(c);
	close(s);
}

static int write_sysctl(const char *path, const char *val)
{
	FILE *f = fopen(path, "w");
	int ok;

	if (!f)
		return -1;
	ok = fputs(val, f) >= 0;
	return fclose(f) || !ok ? -1 : 0;
}

static void c_notsent_lowat_sysctl(int proto, struct res *r)
{
	const char *path = proto == IPPROTO_TCP ?
			   "/proc/sys/net/ipv4/tcp_notsent_lowat" :
			   "/proc/sys/net/atcp/notsent_lowat";
	int c, s;

	if (write_sysctl(path, "1")) {
		note(r, "no sysctl (errno %d)", errno);
		return;
	}
	pair(proto, &c, &s);
	setint(s, SOL_SOCKET, SO_RCVBUF, 4096);
	fill_until_blocked(c);
	note(r, "blocked=%d", writable(c, 100));
	note(r, "get=%d", getint(c, TCP_NOTSENT_LOWAT));
	/* The socket's own value wins over the sysctl. */
	setint(c, SOL_TCP, TCP_NOTSENT_LOWAT, 0x7fffffff);
	note(r, "own=%d", writable(c, 100));
	write_sysctl(path, "4294967295");
	close(c);
	close(s);
}

/* recvmsg() with room for cmsgs: its return and the TCP_CM_INQ one's. */
static void recv_inq(int fd, int len, struct res *r)
{
	char buf[8192], cbuf[CMSG_SPACE(sizeof(int)) * 2];
	struct iovec iov = { .iov_base = buf, .iov_len = len };
	struct msghdr m = {
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;
	int found = 0;

	rec(r, recvmsg(fd, &m, 0));
	for (cm = CMSG_FIRSTHDR(&m); cm; cm = CMSG_NXTHDR(&m, cm)) {
		if (cm->cmsg_level == SOL_TCP && cm->cmsg_type == TCP_CM_INQ) {
			note(r, "inq=%d", *(int *)CMSG_DATA(cm));
			found = 1;
		}
	}
	if (!found)
		note(r, "no-inq%d", 0);
}

static void c_inq(int proto, struct res *r)
{
	static char data[3000];
	int c, s;

	pair(proto, &c, &s);
	if (send(c, data, sizeof(data), 0) != sizeof(data))
		setup_fail("send");
	wait_inq(s, sizeof(data));
	recv_inq(s, 500, r);		/* no TCP_INQ: no cmsg */
	setint(s, SOL_TCP, TCP_INQ, 1);
	note(r, "get=%d", getint(s, TCP_INQ));
	recv_inq(s, 1000, r);
	recv_inq(s, 1500, r);
	close(c);
	wait_ev(s, POLLIN);
	recv_inq(s, 100, r);		/* EOF: a FIN unread counts one */
	close(s);
}

static void c_defer_accept(int proto, struct res *r)
{
	int c, s, port, l = bound(proto, &port);
	char b[4] = "";

	setint(l, SOL_TCP, TCP_DEFER_ACCEPT, 5);
	note(r, "get=%d", getint(l, TCP_DEFER_ACCEPT));
	if (listen(l, 4))
		setup_fail("listen");
	fcntl(l, F_SETFL, O_NONBLOCK);
	c = sock(proto);
	rec(r, connect_to(c, port));
	/* Connected for the client; nothing to accept until data comes. */
	usleep(300000);
	rec(r, accept(l, NULL, NULL));
	rec(r, send(c, "x", 1, 0));
	wait_ev(l, POLLIN);
	s = accept(l, NULL, NULL);
	note(r, "accepted=%d", s >= 0);
	wait_ev(s, POLLIN);
	rec(r, recv(s, b, sizeof(b), MSG_DONTWAIT));
	close(s);
	close(c);
	close(l);
}

static void c_defer_accept_expires(int proto, struct res *r)
{
	int c, s, port, l = bound(proto, &port);
	struct pollfd p = { .fd = l, .events = POLLIN };
	double t0;

	/* One second: the SYN-ACK goes again then, and its ACK is taken. */
	setint(l, SOL_TCP, TCP_DEFER_ACCEPT, 1);
	if (listen(l, 4))
		setup_fail("listen");
	c = sock(proto);
	t0 = now();
	rec(r, connect_to(c, port));
	note(r, "ready=%d", poll(&p, 1, 5000));
	note(r, "after_0.5s=%d", now() - t0 > 0.5);
	s = accept(l, NULL, NULL);
	note(r, "accepted=%d", s >= 0);
	close(s);
	close(c);
	close(l);
}

static const struct diff_case cases[] = {
	{ "TCP_WINDOW_CLAMP before connect() and on a listener, read after", c_window_clamp },
	{ "TCP_CORK holds a part-filled segment; uncorking sends it", c_cork },
	{ "TCP_CORK: the probe timer sends held data after about an RTO", c_cork_ceiling },
	{ "MSG_MORE holds a part-filled segment until the next write", c_msg_more },
	{ "TCP_NODELAY set on a corked socket pushes what is queued", c_nodelay_pushes_cork },
	{ "TCP_NOTSENT_LOWAT: not writable while data waits to be sent", c_notsent_lowat },
	{ "net.*.notsent_lowat: the default of TCP_NOTSENT_LOWAT", c_notsent_lowat_sysctl },
	{ "TCP_INQ: recvmsg() tells what is left in a TCP_CM_INQ cmsg", c_inq },
	{ "TCP_DEFER_ACCEPT: accept() waits for data", c_defer_accept },
	{ "TCP_DEFER_ACCEPT of 1 s: the connection comes after it", c_defer_accept_expires },
};

int main(void)
{
	const int nopt = sizeof(options) / sizeof(options[0]);
	const int n = sizeof(cases) / sizeof(cases[0]);
	int i;

	proto_under_test = atcp_test_proto();
	diff_setup(proto_under_test);
	diff_plan(nopt + n, proto_under_test);
	for (i = 0; i < nopt; i++) {
		alarm(20);
		run_option(options[i].name, options[i].label);
		alarm(0);
	}
	diff_run(cases, n, proto_under_test, 30);
	return tap_finish();
}
