#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""test_splice.py - sendfile(2) into, and splice(2) out of, a socket.

As packetdrill's sendfile-simple and tcp_splice_loop_test do it, over a
veth, for Linux TCP and for atcp in turn:

1. 64 MiB of a file go through sendfile() to the socket, and come out of
   the other end through splice() to a pipe, then splice() from the pipe
   to a file; the two files hash the same, and the end of the stream is
   seen (splice returns 0);
2. sendfile() from an odd offset of an odd length: the bytes that come
   out (read by recv) are that part of the file, and the file offset
   given back is past it;
3. splice() from a pipe to the socket, and MSG_PEEK after splice from the
   socket, answer as TCP;
4. at the urgent mark (99 bytes, then one sent with MSG_OOB): splice()
   takes the 99 and then returns 0 rather than waiting behind the urgent
   byte (tcp_splice_loop_test); recv(MSG_OOB) and a read after it answer
   as TCP.
Every answer equals TCP's.
"""

import hashlib
import os
import random
import select
import signal
import socket
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
from nstest import NetnsPair, Tap, attempt, proto_under_test  # noqa: E402

SIZE = 64 << 20
PIPE = 1 << 16


def sha(path):
    h = hashlib.sha256()
    with open(path, 'rb') as f:
        for b in iter(lambda: f.read(1 << 20), b''):
            h.update(b)
    return h.hexdigest()


def sendfile_all(sock, fd, offset, count, res):
    try:
        sent = 0
        while sent < count:
            n = os.sendfile(sock.fileno(), fd, offset + sent, count - sent)
            if n == 0:
                break
            sent += n
        res['sent'] = sent
        sock.shutdown(socket.SHUT_WR)
    except OSError as e:
        res['error'] = str(e)


def splice_to_file(sock, out_fd, deadline):
    """socket -> pipe -> file until EOF; (bytes, saw EOF)."""
    r, w = os.pipe()
    total = 0
    eof = False
    try:
        while time.time() < deadline:
            n = os.splice(sock.fileno(), w, PIPE)
            if n == 0:
                eof = True
                break
            while n:
                m = os.splice(r, out_fd, n)
                n -= m
                total += m
    finally:
        os.close(r)
        os.close(w)
    return total, eof


def big(pair, proto, src, dst):
    cli, srv = pair.connected(proto)
    res = {}
    fd = os.open(src, os.O_RDONLY)
    out = os.open(dst, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    t = threading.Thread(target=sendfile_all, args=(cli, fd, 0, SIZE, res))
    start = time.time()
    t.start()
    got, eof = splice_to_file(srv, out, start + 600)
    t.join()
    el = time.time() - start
    os.close(fd)
    os.close(out)
    cli.close()
    srv.close()
    return ('sent %s, spliced %d, eof %s, same hash %s' %
            (res.get('sent', res.get('error')), got, eof, sha(src) == sha(dst)), el)


def small(pair, proto, src):
    out = []
    cli, srv = pair.connected(proto)
    fd = os.open(src, os.O_RDONLY)
    off, count = 12345, 100001
    n = os.sendfile(cli.fileno(), fd, off, count)
    want = os.pread(fd, count, off)
    got = b''
    srv.settimeout(10)
    while len(got) < n:
        got += srv.recv(1 << 16)
    out.append('sendfile at %d of %d: %d, the same bytes %s' %
               (off, count, n, got == want[:n]))
    # A pipe's bytes spliced to the socket; a peek after splicing from it.
    r, w = os.pipe()
    os.write(w, b'from a pipe')
    n = os.splice(r, cli.fileno(), 100)
    got = b''
    while len(got) < n:
        got += srv.recv(100)
    out.append('pipe to socket: %d %r' % (n, got))
    cli.send(b'0123456789')
    time.sleep(0.2)
    n = os.splice(srv.fileno(), w, 4)
    out.append('socket to pipe: %d %r, then peek %r' %
               (n, os.read(r, 100), srv.recv(100, socket.MSG_PEEK)))
    cli.close()
    out.append('rest %r, EOF %r' % (srv.recv(100), srv.recv(100)))
    os.close(r)
    os.close(w)
    os.close(fd)
    srv.close()
    return out


class Hung(Exception):
    pass


def hung(signum, frame):
    raise Hung()


def urgent(pair, proto):
    """splice() up to the urgent mark and at it; a blocking call that
    hangs is cut by an alarm and reported."""
    out = []
    cli, srv = pair.connected(proto)
    cli.send(b'x' * 99)
    cli.send(b'U', socket.MSG_OOB)
    poller = select.poll()
    poller.register(srv, select.POLLPRI)
    out.append('urgent data signalled %s' % bool(poller.poll(10000)))
    r, w = os.pipe()
    old = signal.signal(signal.SIGALRM, hung)
    try:
        for want in (99, 1):
            signal.alarm(5)
            try:
                n = os.splice(srv.fileno(), w, want)
                out.append('splice %d: %d' % (want, n))
            except Hung:
                out.append('splice %d: still waiting after 5 s' % want)
            finally:
                signal.alarm(0)
        out.append('pipe holds %d bytes' % len(os.read(r, 200)))
        out.append('OOB %s' % attempt(lambda: srv.recv(1, socket.MSG_OOB)))
        cli.send(b'after')
        srv.settimeout(10)
        out.append('then read %s' % attempt(lambda: srv.recv(100)))
    finally:
        signal.signal(signal.SIGALRM, old)
        os.close(r)
        os.close(w)
        cli.close()
        srv.close()
    return out


def main():
    proto = proto_under_test()
    tap = Tap(4)
    tmp = tempfile.mkdtemp(prefix='atcp-splice.')
    src = os.path.join(tmp, 'in')
    dst = os.path.join(tmp, 'out')
    rnd = random.Random(1)
    with open(src, 'wb') as f:
        for _ in range(SIZE >> 20):
            f.write(rnd.randbytes(1 << 20))
    pair = NetnsPair()
    try:
        tcp_big, tcp_el = big(pair, socket.IPPROTO_TCP, src, dst)
        atcp_big, atcp_el = big(pair, proto, src, dst)
        tcp_small = small(pair, socket.IPPROTO_TCP, src)
        atcp_small = small(pair, proto, src)
        tcp_urg = urgent(pair, socket.IPPROTO_TCP)
        atcp_urg = urgent(pair, proto)
    finally:
        pair.destroy()
        for p in (src, dst):
            if os.path.exists(p):
                os.unlink(p)
        os.rmdir(tmp)
    tap.diag('tcp:  %s (%.1f s)' % (tcp_big, tcp_el))
    tap.diag('atcp: %s (%.1f s)' % (atcp_big, atcp_el))
    for a, b in zip(tcp_small + tcp_urg, atcp_small + atcp_urg):
        tap.diag('tcp:  %s' % a)
        tap.diag('atcp: %s' % b)
    tap.ok(atcp_big == tcp_big and 'same hash True' in atcp_big and
           'spliced %d' % SIZE in atcp_big,
           '64 MiB: sendfile to the socket, splice to a pipe and a file: '
           'the same hash, EOF seen, as TCP')
    tap.ok(tcp_small[0] == atcp_small[0] and 'True' in atcp_small[0],
           'sendfile from an odd offset, of an odd length: those bytes, as TCP')
    tap.ok(tcp_small[1:] == atcp_small[1:],
           'splice from a pipe to the socket; from the socket, then a peek: as TCP')
    tap.ok(tcp_urg == atcp_urg and 'splice 1: 0' in atcp_urg,
           'splice at the urgent mark returns 0, not waiting; OOB and the read '
           'after it: as TCP')
    tap.done()


if __name__ == '__main__':
    main()
