// SPDX-License-Identifier: GPL-2.0
/*
 * test_errno - socket calls in odd states return what Linux's TCP returns.
 *
 * Each case runs twice in this process: on TCP sockets (protocol 6), then
 * on sockets of the protocol under test ($ATCP_PROTO, default 253).  A case
 * records the outcome of each step (an errno name, or ret=N) and the two
 * records must be equal.  TAP output, one line per case, naming both:
 *
 *   ok 3 - getpeername() on an unconnected socket: tcp ENOTCONN, atcp ENOTCONN
 *
 * With ATCP_PROTO=6 it compares TCP with TCP, which validates the cases.
 * Only 127.0.0.1 is used (plus an unassigned 10.253.0.99 for a bind that
 * must fail); no packet leaves the host.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "difftest.h"

/* ---- the cases ---------------------------------------------------------- */

static void c_send_unconn(int proto, struct res *r)
{
	int fd = sock(proto);

	rec(r, send(fd, "x", 1, MSG_NOSIGNAL));
	close(fd);
}

static void c_write_unconn(int proto, struct res *r)
{
	int fd = sock(proto);

	rec(r, write(fd, "x", 1));	/* SIGPIPE is ignored */
	close(fd);
}

static void c_recv_unconn(int proto, struct res *r)
{
	char b;
	int fd = sock(proto);

	rec(r, recv(fd, &b, 1, 0));
	rec(r, read(fd, &b, 1));
	close(fd);
}

static void c_getpeername_unconn(int proto, struct res *r)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd = sock(proto);

	rec(r, getpeername(fd, (struct sockaddr *)&sin, &len));
	close(fd);
}

static void c_getsockname_unbound(int proto, struct res *r)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd = sock(proto);

	memset(&sin, 0xff, sizeof(sin));
	rec(r, getsockname(fd, (struct sockaddr *)&sin, &len));
	note(r, "len=%d", len);
	note(r, "port=%d", ntohs(sin.sin_port));
	note(r, "addr=%x", sin.sin_addr.s_addr);
	close(fd);
}

static void c_shutdown_unconn(int proto, struct res *r)
{
	int fd = sock(proto);

	rec(r, shutdown(fd, SHUT_RDWR));
	rec(r, shutdown(fd, SHUT_WR));
	close(fd);
}

static void c_shutdown_badhow(int proto, struct res *r)
{
	int c, s;

	pair(proto, &c, &s);
	rec(r, shutdown(c, 7));
	close(c);
	close(s);
}

static void c_accept_unconn(int proto, struct res *r)
{
	int fd = sock(proto);

	rec(r, accept(fd, NULL, NULL));
	close(fd);
}

static void c_accept_bound(int proto, struct res *r)
{
	int port, fd = bound(proto, &port);

	rec(r, accept(fd, NULL, NULL));
	close(fd);
}

static void c_accept_connected(int proto, struct res *r)
{
	int c, s;

	pair(proto, &c, &s);
	rec(r, accept(c, NULL, NULL));
	rec(r, accept(s, NULL, NULL));
	close(c);
	close(s);
}

static void c_accept_nonblock_empty(int proto, struct res *r)
{
	int port, l = listener(proto, &port);

	fcntl(l, F_SETFL, O_NONBLOCK);
	rec(r, accept(l, NULL, NULL));
	close(l);
}

static void c_listen_connected(int proto, struct res *r)
{
	int c, s;

	pair(proto, &c, &s);
	rec(r, listen(c, 4));
	rec(r, listen(s, 4));
	close(c);
	close(s);
}

static void c_listen_twice(int proto, struct res *r)
{
	int port, l = listener(proto, &port);

	rec(r, listen(l, 16));
	close(l);
}

static void c_listen_unbound(int proto, struct res *r)
{
	int fd = sock(proto);

	rec(r, listen(fd, 4));
	note(r, "autobound=%d", local_port(fd) != 0);
	close(fd);
}

static void c_connect_twice(int proto, struct res *r)
{
	int c, s, port, l = listener(proto, &port);

	c = sock(proto);
	rec(r, connect_to(c, port));
	rec(r, connect_to(c, port));
	s = accept(l, NULL, NULL);
	close(s);
	close(c);
	close(l);
}

static void c_connect_refused(int proto, struct res *r)
{
	int port, b = bound(proto, &port);	/* bound, not listening */
	int c = sock(proto);

	rec(r, connect_to(c, port));
	rec(r, connect_to(c, port));
	close(c);
	close(b);
}

static void c_connect_listening(int proto, struct res *r)
{
	int port, port2, l = listener(proto, &port), l2 = listener(proto, &port2);

	rec(r, connect_to(l, port2));
	close(l);
	close(l2);
}

/*
 * connect() or bind() (CALL) of a fresh socket to 127.0.0.1:PORT, the
 * address's family set to FAMILY and its length given as LEN.
 */
static void fresh_addr_call(int proto, struct res *r,
			    int (*call)(int, const struct sockaddr *, socklen_t),
			    int port, sa_family_t family, socklen_t len)
{
	struct sockaddr_in sin = lo_addr(port);
	int fd = sock(proto);

	sin.sin_family = family;
	rec(r, call(fd, (struct sockaddr *)&sin, len));
	close(fd);
}

static void c_connect_badlen(int proto, struct res *r)
{
	fresh_addr_call(proto, r, connect, 9, AF_INET, sizeof(sa_family_t));
}

static void c_connect_badfamily(int proto, struct res *r)
{
	fresh_addr_call(proto, r, connect, 9, AF_INET6, sizeof(struct sockaddr_in));
}

static void c_connect_unspec(int proto, struct res *r)
{
	fresh_addr_call(proto, r, connect, 0, AF_UNSPEC, sizeof(struct sockaddr_in));
}

/*
 * A non-blocking connect() to a listener (LISTENING) or to a port only
 * bound, then SO_ERROR once it is done: read twice where it was refused.
 */
static void connect_nonblock(int proto, struct res *r, int listening)
{
	int err = -1, port, l, c, s;
	socklen_t len = sizeof(err);

	l = listening ? listener(proto, &port) : bound(proto, &port);
	c = sock(proto);
	fcntl(c, F_SETFL, O_NONBLOCK);
	rec(r, connect_to(c, port));
	wait_ev(c, POLLOUT);
	rec(r, getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len));
	note_err(r, "so_error=", err);
	if (listening) {
		s = accept(l, NULL, NULL);
		close(s);
	} else {
		rec(r, getsockopt(c, SOL_SOCKET, SO_ERROR, &err, &len));
		note_err(r, "then=", err);
	}
	close(c);
	close(l);
}

static void c_connect_nonblock(int proto, struct res *r)
{
	connect_nonblock(proto, r, 1);
}

static void c_connect_nonblock_refused(int proto, struct res *r)
{
	connect_nonblock(proto, r, 0);
}

static void c_bind_twice(int proto, struct res *r)
{
	struct sockaddr_in sin = lo_addr(0);
	int port, fd = bound(proto, &port);

	rec(r, bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	close(fd);
}

/* bind() to the port of another socket, listening (LISTENING) or only bound. */
static void bind_inuse(int proto, struct res *r, int listening)
{
	int port, b = listening ? listener(proto, &port) : bound(proto, &port);
	int fd = sock(proto);
	struct sockaddr_in sin = lo_addr(port);

	rec(r, bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	close(fd);
	close(b);
}

static void c_bind_inuse_listening(int proto, struct res *r)
{
	bind_inuse(proto, r, 1);
}

static void c_bind_inuse_bound(int proto, struct res *r)
{
	bind_inuse(proto, r, 0);
}

static void c_bind_inuse_reuseaddr(int proto, struct res *r)
{
	int one = 1, port, b, fd = sock(proto);
	struct sockaddr_in sin;

	/* Both bound with SO_REUSEADDR, neither listening: allowed. */
	b = sock(proto);
	setsockopt(b, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sin = lo_addr(0);
	if (bind(b, (struct sockaddr *)&sin, sizeof(sin)))
		setup_fail("bind");
	port = local_port(b);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	sin = lo_addr(port);
	rec(r, bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	/* Now one of them listens: the other cannot. */
	rec(r, listen(b, 4));
	rec(r, listen(fd, 4));
	close(fd);
	close(b);
}

static void c_bind_nonlocal(int proto, struct res *r)
{
	struct sockaddr_in sin = lo_addr(0);
	int fd = sock(proto);

	sin.sin_addr.s_addr = inet_addr("10.253.0.99");
	rec(r, bind(fd, (struct sockaddr *)&sin, sizeof(sin)));
	close(fd);
}

static void c_bind_badlen(int proto, struct res *r)
{
	fresh_addr_call(proto, r, bind, 0, AF_INET, 4);
}

static void c_bind_badfamily(int proto, struct res *r)
{
	fresh_addr_call(proto, r, bind, 0, AF_INET6, sizeof(struct sockaddr_in));
}

static void c_bind_after_connect(int proto, struct res *r)
{
	struct sockaddr_in sin = lo_addr(0);
	int c, s;

	pair(proto, &c, &s);
	rec(r, bind(c, (struct sockaddr *)&sin, sizeof(sin)));
	close(c);
	close(s);
}

static void c_send_after_shut_wr(int proto, struct res *r)
{
	int c, s;

	pair(proto, &c, &s);
	rec(r, shutdown(c, SHUT_WR));
	rec(r, send(c, "x", 1, MSG_NOSIGNAL));
	rec(r, write(c, "x", 1));
	rec(r, shutdown(c, SHUT_WR));
	close(c);
	close(s);
}

static void c_recv_after_shut_rd(int proto, struct res *r)
{
	char b;
	int c, s;

	pair(proto, &c, &s);
	rec(r, shutdown(c, SHUT_RD));
	rec(r, recv(c, &b, 1, 0));
	rec(r, send(c, "x", 1, MSG_NOSIGNAL));
	close(c);
	close(s);
}

static void c_recv_eof(int proto, struct res *r)
{
	char b;
	int c, s;

	pair(proto, &c, &s);
	close(s);
	rec(r, recv(c, &b, 1, 0));
	rec(r, recv(c, &b, 1, 0));
	rec(r, shutdown(c, SHUT_WR));
	close(c);
}

static void c_recv_dontwait_empty(int proto, struct res *r)
{
	char b;
	int c, s;

	pair(proto, &c, &s);
	rec(r, recv(c, &b, 1, MSG_DONTWAIT));
	rec(r, send(c, "", 0, MSG_NOSIGNAL));
	close(c);
	close(s);
}

static void c_peer_abort(int proto, struct res *r)
{
	struct linger lg = { 1, 0 };
	char b;
	int c, s;

	pair(proto, &c, &s);
	setsockopt(s, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	close(s);		/* RST */
	wait_ev(c, POLLIN);
	rec(r, recv(c, &b, 1, 0));
	rec(r, recv(c, &b, 1, 0));
	rec(r, send(c, "x", 1, MSG_NOSIGNAL));
	close(c);
}

static void c_close_unread(int proto, struct res *r)
{
	char b;
	int c, s;

	pair(proto, &c, &s);
	if (send(c, "abc", 3, MSG_NOSIGNAL) != 3)
		setup_fail("send");
	wait_ev(s, POLLIN);
	close(s);		/* unread data: RST */
	wait_ev(c, POLLIN);
	rec(r, recv(c, &b, 1, 0));
	rec(r, recv(c, &b, 1, 0));
	close(c);
}

static void c_write_after_peer_close(int proto, struct res *r)
{
	char b;
	int c, s;

	pair(proto, &c, &s);
	close(s);		/* FIN */
	rec(r, recv(c, &b, 1, 0));	/* EOF */
	rec(r, send(c, "x", 1, MSG_NOSIGNAL));	/* goes out, RST comes back */
	wait_ev(c, POLLERR | POLLHUP);
	rec(r, send(c, "x", 1, MSG_NOSIGNAL));
	rec(r, send(c, "x", 1, MSG_NOSIGNAL));
	close(c);
}

static void c_send_listening(int proto, struct res *r)
{
	char b;
	int port, l = listener(proto, &port);

	rec(r, send(l, "x", 1, MSG_NOSIGNAL));
	rec(r, recv(l, &b, 1, 0));
	close(l);
}

static void c_getpeername_listening(int proto, struct res *r)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int port, l = listener(proto, &port);

	rec(r, getpeername(l, (struct sockaddr *)&sin, &len));
	close(l);
}

static void c_shutdown_listening(int proto, struct res *r)
{
	int port, l = listener(proto, &port);

	rec(r, shutdown(l, SHUT_WR));
	rec(r, shutdown(l, SHUT_RD));
	rec(r, accept(l, NULL, NULL));
	rec(r, listen(l, 4));
	close(l);
}

static void c_shutdown_twice(int proto, struct res *r)
{
	int c, s;

	pair(proto, &c, &s);
	rec(r, shutdown(c, SHUT_RDWR));
	rec(r, shutdown(c, SHUT_RDWR));
	close(c);
	close(s);
}

static void c_setsockopt_badlevel(int proto, struct res *r)
{
	int one = 1, fd = sock(proto);

	rec(r, setsockopt(fd, 9999, 1, &one, sizeof(one)));
	close(fd);
}

static void c_getsockopt_badlevel(int proto, struct res *r)
{
	int v, fd = sock(proto);
	socklen_t len = sizeof(v);

	rec(r, getsockopt(fd, 9999, 1, &v, &len));
	close(fd);
}

static void c_setsockopt_shortlen(int proto, struct res *r)
{
	int one = 1, fd = sock(proto);

	rec(r, setsockopt(fd, SOL_TCP, TCP_NODELAY, &one, 1));
	rec(r, setsockopt(fd, SOL_TCP, TCP_NODELAY, &one, 0));
	close(fd);
}

static void c_sockopt_unknown(int proto, struct res *r)
{
	int v = 1, fd = sock(proto);
	socklen_t len = sizeof(v);

	rec(r, setsockopt(fd, SOL_TCP, 9999, &v, sizeof(v)));
	rec(r, getsockopt(fd, SOL_TCP, 9999, &v, &len));
	close(fd);
}

static void c_getsockopt_neglen(int proto, struct res *r)
{
	int v, fd = sock(proto);
	socklen_t len = -1;

	rec(r, getsockopt(fd, SOL_TCP, TCP_NODELAY, &v, &len));
	close(fd);
}

static void c_nodelay_roundtrip(int proto, struct res *r)
{
	int v = 1, fd = sock(proto);
	socklen_t len = sizeof(v);

	rec(r, setsockopt(fd, SOL_TCP, TCP_NODELAY, &v, sizeof(v)));
	v = -1;
	rec(r, getsockopt(fd, SOL_TCP, TCP_NODELAY, &v, &len));
	note(r, "value=%d", v);
	note(r, "len=%d", len);
	close(fd);
}

/* Note fd's TCP_INFO state; with RECORD, the getsockopt() call's result first. */
static void note_info_state(struct res *r, int fd, int record)
{
	unsigned char info[256];
	socklen_t len = sizeof(info);
	long ret = getsockopt(fd, SOL_TCP, TCP_INFO, info, &len);

	if (record)
		rec(r, ret);
	note(r, "state=%d", info[0]);
}

static void c_info_state(int proto, struct res *r)
{
	int c, s, port, fd = sock(proto), l;

	note_info_state(r, fd, 1);
	close(fd);
	l = listener(proto, &port);
	note_info_state(r, l, 0);
	close(l);
	pair(proto, &c, &s);
	note_info_state(r, c, 0);
	close(s);
	wait_ev(c, POLLIN);
	note_info_state(r, c, 0);
	close(c);
}

static const struct diff_case cases[] = {
	{ "send() on an unconnected socket", c_send_unconn },
	{ "write() on an unconnected socket", c_write_unconn },
	{ "recv(), read() on an unconnected socket", c_recv_unconn },
	{ "getpeername() on an unconnected socket", c_getpeername_unconn },
	{ "getsockname() on an unbound socket", c_getsockname_unbound },
	{ "shutdown() on an unconnected socket", c_shutdown_unconn },
	{ "shutdown() with a bad 'how'", c_shutdown_badhow },
	{ "accept() on a fresh socket", c_accept_unconn },
	{ "accept() on a bound, not listening socket", c_accept_bound },
	{ "accept() on connected sockets", c_accept_connected },
	{ "accept() on a non-blocking listener with no connection", c_accept_nonblock_empty },
	{ "listen() on connected sockets", c_listen_connected },
	{ "listen() twice", c_listen_twice },
	{ "listen() on an unbound socket (autobind)", c_listen_unbound },
	{ "connect() twice", c_connect_twice },
	{ "connect() to a port with no listener, twice", c_connect_refused },
	{ "connect() on a listening socket", c_connect_listening },
	{ "connect() with a short address length", c_connect_badlen },
	{ "connect() with a wrong address family", c_connect_badfamily },
	{ "connect(AF_UNSPEC) on an unconnected socket", c_connect_unspec },
	{ "non-blocking connect(), then SO_ERROR", c_connect_nonblock },
	{ "non-blocking connect() refused, then SO_ERROR", c_connect_nonblock_refused },
	{ "bind() twice", c_bind_twice },
	{ "bind() to the port of a listener", c_bind_inuse_listening },
	{ "bind() to the port of a bound socket", c_bind_inuse_bound },
	{ "bind() twice with SO_REUSEADDR, then listen() on both", c_bind_inuse_reuseaddr },
	{ "bind() to a non-local address", c_bind_nonlocal },
	{ "bind() with a short address length", c_bind_badlen },
	{ "bind() with a wrong address family", c_bind_badfamily },
	{ "bind() on a connected socket", c_bind_after_connect },
	{ "send(), write(), shutdown() after shutdown(SHUT_WR)", c_send_after_shut_wr },
	{ "recv(), send() after shutdown(SHUT_RD)", c_recv_after_shut_rd },
	{ "recv() twice after the peer's close, then shutdown()", c_recv_eof },
	{ "recv(MSG_DONTWAIT) with nothing queued; send() of 0 bytes", c_recv_dontwait_empty },
	{ "recv() twice, send() after the peer aborts (SO_LINGER 0)", c_peer_abort },
	{ "recv() twice after the peer closes with unread data (RST)", c_close_unread },
	{ "send() after the peer closed: ok, then RST, then EPIPE", c_write_after_peer_close },
	{ "send(), recv() on a listening socket", c_send_listening },
	{ "getpeername() on a listening socket", c_getpeername_listening },
	{ "shutdown(SHUT_WR), shutdown(SHUT_RD), accept(), listen() on a listener", c_shutdown_listening },
	{ "shutdown(SHUT_RDWR) twice", c_shutdown_twice },
	{ "setsockopt() at an unknown level", c_setsockopt_badlevel },
	{ "getsockopt() at an unknown level", c_getsockopt_badlevel },
	{ "setsockopt(SOL_TCP, TCP_NODELAY) with optlen 1 and 0", c_setsockopt_shortlen },
	{ "setsockopt(), getsockopt() of an unknown SOL_TCP option", c_sockopt_unknown },
	{ "getsockopt(SOL_TCP, TCP_NODELAY) with a negative optlen", c_getsockopt_neglen },
	{ "TCP_NODELAY set and read back at SOL_TCP", c_nodelay_roundtrip },
	{ "TCP_INFO state: fresh, listening, established, close-wait", c_info_state },
};

int main(void)
{
	const int n = sizeof(cases) / sizeof(cases[0]);
	int proto = atcp_test_proto();

	diff_setup(proto);
	diff_plan(n, proto);
	diff_run(cases, n, proto, 20);
	return tap_finish();
}
