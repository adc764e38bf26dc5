#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""test_urg.py - urgent data (MSG_OOB) as Linux's TCP has it.

Over a veth, for Linux TCP and for atcp in turn, the same steps; every
answer is compared with TCP's:

1. recv(MSG_OOB) with no urgent data: EINVAL; SIOCATMARK 0;
2. send "hello", then "X" with MSG_OOB: SIGURG comes (F_SETOWN), poll
   has POLLPRI; a read stops at the mark ("hello"), SIOCATMARK is 1 there,
   recv(MSG_OOB|MSG_PEEK) and recv(MSG_OOB) give "X", a second one EINVAL;
   POLLPRI is gone; the stream goes on without the "X";
3. urgent data read past without recv(MSG_OOB): the byte is not in the
   stream, and recv(MSG_OOB) then gives EINVAL;
4. only an urgent byte queued: POLLPRI without POLLIN, a read EAGAIN;
5. two urgent bytes before a read: the first stays in the stream;
6. MSG_OOB on a write of three bytes: its last is urgent; on a write of
   60 kB, read while it arrives: its last too, the rest whole;
7. SO_OOBINLINE: recv(MSG_OOB) EINVAL, the byte read in the stream, the
   read stopping at the mark all the same.
"""

import fcntl
import os
import select
import signal
import socket
import struct
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
from nstest import Tap, attempt, proto_under_test, run_tcp_then  # noqa: E402

SIOCATMARK = 0x8905
FIONREAD = 0x541B
SIGURGS = [0]


def on_sigurg(signum, frame):
    SIGURGS[0] += 1


def ioctl_int(s, req):
    return struct.unpack('i', fcntl.ioctl(s.fileno(), req, b'\0' * 4))[0]


def atmark(s):
    return ioctl_int(s, SIOCATMARK)


def wait_queued(s, n):
    """Until n bytes (the urgent one counts) are in, at most 10 s."""
    for _ in range(1000):
        if ioctl_int(s, FIONREAD) >= n:
            return True
        time.sleep(0.01)
    return False


def wait_urg(s):
    """Until POLLPRI, at most 10 s; the events poll reports."""
    p = select.poll()
    p.register(s, select.POLLIN | select.POLLPRI)
    for _ in range(100):
        ev = p.poll(100)
        if ev and ev[0][1] & select.POLLPRI:
            return ev[0][1]
    return 0


def events(s):
    p = select.poll()
    p.register(s, select.POLLIN | select.POLLPRI)
    ev = p.poll(0)
    names = [n for n, b in (('IN', select.POLLIN), ('PRI', select.POLLPRI))
             if ev and ev[0][1] & b]
    return '|'.join(names) or '-'


def send_urgent(s, data):
    """One blocking send(MSG_OOB) of all of data.  SIGURG is blocked in
    this thread: a signal taken here would cut the send short, and
    sendall() would go on with another send(MSG_OOB), another mark."""
    signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGURG])
    n = s.send(data, socket.MSG_OOB)
    if n != len(data):
        raise RuntimeError('send(MSG_OOB) took %d of %d bytes' % (n, len(data)))


def recv(s, n, flags=0):
    return attempt(lambda: s.recv(n, flags | socket.MSG_DONTWAIT))


def run(pair, proto):
    out = []
    cli, srv = pair.connected(proto)
    fcntl.fcntl(srv.fileno(), fcntl.F_SETOWN, os.getpid())
    # 1
    out.append('no urgent data: oob %s, atmark %d' %
               (recv(srv, 1, socket.MSG_OOB), atmark(srv)))
    # 2
    SIGURGS[0] = 0
    cli.send(b'hello')
    cli.send(b'X', socket.MSG_OOB)
    wait_urg(srv)
    wait_queued(srv, 6)
    out.append('arrived: poll %s, SIGURG %d' % (events(srv), SIGURGS[0]))
    out.append('atmark before %d; read %r; atmark %d' %
               (atmark(srv), recv(srv, 100), atmark(srv)))
    out.append('oob peek %r, oob %r, oob again %s, atmark %d, poll %s' %
               (recv(srv, 1, socket.MSG_OOB | socket.MSG_PEEK),
                recv(srv, 1, socket.MSG_OOB), recv(srv, 1, socket.MSG_OOB),
                atmark(srv), events(srv)))
    out.append('read %s' % (recv(srv, 100),))
    cli.send(b'world')
    wait_queued(srv, 5)
    out.append('read %r, atmark %d' % (recv(srv, 100), atmark(srv)))
    # 3
    cli.send(b'ab')
    cli.send(b'Y', socket.MSG_OOB)
    cli.send(b'cd')
    wait_queued(srv, 5)
    out.append('past the mark: %r %r %r, oob %s' %
               (recv(srv, 100), recv(srv, 100), recv(srv, 100),
                recv(srv, 1, socket.MSG_OOB)))
    # 4
    SIGURGS[0] = 0
    cli.send(b'Q', socket.MSG_OOB)
    wait_urg(srv)
    wait_queued(srv, 1)
    out.append('only urgent: poll %s, SIGURG %d, atmark %d, read %s, oob %r, '
               'poll %s, read %s' %
               (events(srv), SIGURGS[0], atmark(srv), recv(srv, 100),
                recv(srv, 1, socket.MSG_OOB), events(srv), recv(srv, 100)))
    # 5
    cli.send(b'a')
    cli.send(b'B', socket.MSG_OOB)
    cli.send(b'c')
    cli.send(b'D', socket.MSG_OOB)
    wait_queued(srv, 4)
    time.sleep(0.05)
    out.append('two urgent: read %r, atmark %d, oob %r, read %s' %
               (recv(srv, 100), atmark(srv), recv(srv, 1, socket.MSG_OOB),
                recv(srv, 100)))
    # 6
    cli.send(b'xyz', socket.MSG_OOB)
    wait_queued(srv, 3)
    out.append('three bytes: read %r, oob %r' %
               (recv(srv, 100), recv(srv, 1, socket.MSG_OOB)))
    # Within 64 KiB, so that every segment's pointer is the byte's own.
    # Beyond, segments say 0xFFFF (later), and a reader as fast as the data
    # skips a stream byte at that provisional mark, Linux's TCP as well;
    # urg-send-far.pkt checks those pointers on the wire.
    big = bytes(i % 251 for i in range(60000))
    cli.setblocking(True)
    # Room for all of it, so that it is one urgent send: a write that
    # waits for memory pushes what it queued with URG at each wait
    # (tcp_push's tcp_mark_urg), and a reader as fast as the data takes
    # the byte at such an intermediate mark out of the stream; Linux's TCP
    # lost two bytes so under load.
    cli.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    # From another thread, so that a write larger than the buffers hold
    # never waits on a reader that has not started.
    writer = threading.Thread(target=send_urgent, args=(cli, big))
    writer.start()
    got = b''
    deadline = time.time() + 20
    while len(got) < len(big) - 1 and time.time() < deadline:
        select.select([srv], [], [], 0.1)
        r = recv(srv, 65536)
        if isinstance(r, bytes):
            got += r
    writer.join(5)
    wait_urg(srv)
    out.append('60 kB: %d bytes, whole %s, oob %r' %
               (len(got), got == big[:-1], recv(srv, 1, socket.MSG_OOB)))
    cli.close()
    srv.close()
    # 7
    cli, srv = pair.connected(proto)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE, 1)
    cli.send(b'ab')
    cli.send(b'Z', socket.MSG_OOB)
    cli.send(b'cd')
    wait_queued(srv, 5)
    time.sleep(0.05)
    out.append('inline: poll %s, oob %s, read %r, atmark %d, read %r, '
               'atmark %d, oob %s' %
               (events(srv), recv(srv, 1, socket.MSG_OOB), recv(srv, 100),
                atmark(srv), recv(srv, 100), atmark(srv),
                recv(srv, 1, socket.MSG_OOB)))
    cli.close()
    srv.close()
    return out


def main():
    proto = proto_under_test()
    signal.signal(signal.SIGURG, on_sigurg)
    tap = Tap(9)
    tcp, atcp = run_tcp_then(proto, run)
    for a, b in zip(tcp, atcp):
        tap.diag('tcp:  %s' % a)
        tap.diag('atcp: %s' % b)
    tap.ok(tcp[0] == atcp[0] and 'EINVAL' in atcp[0],
           'no urgent data: recv(MSG_OOB) EINVAL, not at the mark, as TCP')
    tap.ok(tcp[1] == atcp[1] and 'PRI' in atcp[1] and 'SIGURG 0' not in atcp[1],
           'urgent data arrived: POLLPRI and SIGURG, as TCP')
    tap.ok(tcp[2:6] == atcp[2:6] and "read b'hello'" in atcp[2],
           'read stops at the mark, SIOCATMARK, MSG_OOB (with MSG_PEEK) gives '
           'the byte once, then EINVAL; the stream goes on without it: as TCP')
    tap.ok(tcp[6] == atcp[6], 'urgent byte read past: not in the stream, as TCP')
    tap.ok(tcp[7] == atcp[7], 'only an urgent byte: POLLPRI without POLLIN, as TCP')
    tap.ok(tcp[8] == atcp[8], 'two urgent bytes unread: the first stays in the stream, as TCP')
    tap.ok(tcp[9] == atcp[9], 'MSG_OOB of three bytes: the last is urgent, as TCP')
    tap.ok(tcp[10] == atcp[10] and 'True' in atcp[10],
           'MSG_OOB of 60 kB: the rest whole, the last byte urgent, as TCP')
    tap.ok(tcp[11] == atcp[11], 'SO_OOBINLINE: in the stream, EINVAL for MSG_OOB, as TCP')
    tap.done()


if __name__ == '__main__':
    main()
