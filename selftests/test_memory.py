#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""test_memory.py - the memory of all atcp sockets together is bounded by
net.atcp.mem, as Linux's by net.ipv4.tcp_mem.

net.atcp.mem is set to 1024 2048 3072 pages (4, 8 and 12 MiB: no
pressure, pressure, hard limit).  Then 200 connections over a veth, whose
receivers do not read, each try to move 256 KiB: without a bound they
would pin 50 MiB in send and receive queues (autotuning may grow each
socket's buffers to net.atcp.rmem's and wmem's maxima, 6 and 4 MiB).  While they are stuck:

  - the figure /proc/net/protocols shows for ATCP never exceeds the hard
    limit by more than what per-CPU reserves may hold back (256 pages a
    CPU, net.core.mem_pcpu_rsv) and one segment of credit per socket;
  - the data the queues hold (SIOCOUTQ of every sender and SIOCINQ of
    every receiver) fits in that memory;
  - pressure was entered (the press column says yes, MemoryPressures
    counted it);
  - the writers are held, not failed: one more send on each that has data
    left meets EAGAIN or takes at most what its socket already has on hand
    (the rest of a segment, never more than net.atcp.wmem's 4 KiB minimum),
    and no socket has an error.

Then the receivers read: every connection delivers its 256 KiB, byte for
byte, and pressure is left.  After close, no socket is left and the
figure is back within the per-CPU reserves.
"""

import fcntl
import hashlib
import os
import select
import socket
import struct
import sys
import termios
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
from nstest import NetnsPair, Tap, atcp_only, counters, proto_under_test, wait_until  # noqa: E402

CONNS = 200
EACH = 256 << 10
LIMITS = (1024, 2048, 3072)
PAGE = os.sysconf('SC_PAGE_SIZE')
# The drain's bound grows with run_tests' timeout (a debug kernel is slower).
SCALE = max(1.0, int(os.environ.get('ATCP_TEST_TIMEOUT', '300')) / 300.0)
SIOCOUTQ = termios.TIOCOUTQ


def protocols_line(name):
    with open('/proc/net/protocols') as f:
        head = f.readline().split()
        for line in f:
            if line.split()[0] == name:
                return dict(zip(head, line.split()))
    return None


def queued(sock, req):
    return struct.unpack('i', fcntl.ioctl(sock.fileno(), req, b'\0' * 4))[0]


def payload(i):
    seed = hashlib.sha256(b'conn %d' % i).digest()
    return (seed * (EACH // len(seed) + 1))[:EACH]


def main():
    proto = proto_under_test()
    tap = Tap(10)
    atcp_only(proto, 'net.atcp.mem is atcp\'s')
    cpus = os.cpu_count()
    slack = 256 * cpus + CONNS          # per-CPU reserves, a page of credit each
    with open('/proc/sys/net/atcp/mem') as f:
        old = f.read().split()
    tap.ok(len(old) == 3 and int(old[0]) < int(old[1]) < int(old[2]),
           'net.atcp.mem is a triple of pages, rising: %s' % ' '.join(old))
    with open('/proc/sys/net/atcp/mem', 'w') as f:
        f.write(' '.join(map(str, LIMITS)))

    pair = NetnsPair()
    try:
        pair.enter('b')
        srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
        srv.bind(('10.253.0.2', 0))
        srv.listen(CONNS)
        pair.enter('a')
        clis, srvs = [], []
        for _ in range(CONNS):
            c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
            c.connect(srv.getsockname())
            c.setblocking(False)
            clis.append(c)
            s, _ = srv.accept()
            srvs.append(s)
        srv.close()

        # Push until no writer gets anything more in for a second.
        sent = [0] * CONNS
        peak = 0
        press_seen = False
        quiet_since = time.monotonic()
        deadline = time.monotonic() + 120
        while time.monotonic() - quiet_since < 1.0 and time.monotonic() < deadline:
            moved = False
            _, w, _ = select.select([], [c for i, c in enumerate(clis) if sent[i] < EACH], [], 0.2)
            for c in w:
                i = clis.index(c)
                try:
                    n = c.send(payload(i)[sent[i]:sent[i] + 65536])
                    sent[i] += n
                    moved = moved or n > 0
                except BlockingIOError:
                    pass
            line = protocols_line('ATCP')
            peak = max(peak, int(line['memory']))
            press_seen = press_seen or line['press'] == 'yes'
            if moved:
                quiet_since = time.monotonic()
        line = protocols_line('ATCP')
        peak = max(peak, int(line['memory']))
        press_seen = press_seen or line['press'] == 'yes'
        held_bytes = sum(queued(c, SIOCOUTQ) for c in clis) + \
            sum(queued(s, termios.FIONREAD) for s in srvs)
        # One more try at each writer with data left.
        unfinished = [i for i in range(CONNS) if sent[i] < EACH]
        eagain = 0
        took = []
        for i in unfinished:
            try:
                n = clis[i].send(payload(i)[sent[i]:sent[i] + 65536])
                sent[i] += n
                took.append(n)
            except BlockingIOError:
                eagain += 1
        errors = sum(1 for c in clis + srvs
                     if c.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR))
        tap.diag('sent %d KiB of %d KiB; %d of %d writers with data left met EAGAIN; '
                 'queues hold %d KiB; memory peak %d pages (hard limit %d, slack %d); '
                 'sockets %s; the others took %s bytes' %
                 (sum(sent) >> 10, CONNS * EACH >> 10, eagain, len(unfinished),
                  held_bytes >> 10, peak, LIMITS[2], slack, line['sockets'],
                  sorted(set(took))))
        tap.ok(sum(sent) < CONNS * EACH, 'the writers could not move everything while nobody read')
        tap.ok(0 <= peak <= LIMITS[2] + slack,
               'the memory figure stayed within the hard limit (peak %d pages, limit %d + %d)' %
               (peak, LIMITS[2], slack))
        tap.ok(held_bytes <= (LIMITS[2] + slack) * PAGE,
               'what the queues hold fits in it (%d KiB)' % (held_bytes >> 10))
        mp = counters(proto).get('MemoryPressures', 0)
        pair.enter('b')
        mp += counters(proto).get('MemoryPressures', 0)
        pair.enter('a')
        tap.ok(press_seen and mp > 0,
               'pressure was entered (press column: %s, MemoryPressures %d)' %
               ('yes' if press_seen else 'never yes', mp))
        tap.ok(unfinished and eagain > len(unfinished) // 2 and
               all(n <= 4096 for n in took) and not errors,
               'the writers were held: %d of %d met EAGAIN, the others took at most '
               '%d bytes; %d socket errors' %
               (eagain, len(unfinished), max(took, default=0), errors))

        # The readers read; the writers finish.
        got = [bytearray() for _ in range(CONNS)]
        for s in srvs:
            s.setblocking(False)
        t0 = time.monotonic()
        deadline = t0 + 180 * SCALE
        while time.monotonic() < deadline and \
                any(len(got[i]) < EACH for i in range(CONNS)):
            r, w, _ = select.select([s for i, s in enumerate(srvs) if len(got[i]) < EACH],
                                    [c for i, c in enumerate(clis) if sent[i] < EACH], [], 0.5)
            for s in r:
                i = srvs.index(s)
                try:
                    got[i] += s.recv(1 << 20)
                except BlockingIOError:
                    pass
            for c in w:
                i = clis.index(c)
                try:
                    sent[i] += c.send(payload(i)[sent[i]:sent[i] + 65536])
                except BlockingIOError:
                    pass
        whole = sum(1 for i in range(CONNS) if bytes(got[i]) == payload(i))
        tap.diag('the drain took %.1f s (bound %.0f s): %d KiB of %d KiB read' %
                 (time.monotonic() - t0, 180 * SCALE, sum(map(len, got)) >> 10,
                  CONNS * EACH >> 10))
        tap.ok(whole == CONNS, 'every connection delivered its %d KiB byte for byte (%d of %d)' %
               (EACH >> 10, whole, CONNS))
        left = wait_until(lambda: protocols_line('ATCP')['press'] == 'no', 10)
        tap.ok(left, 'pressure was left once the queues drained (memory %s pages)' %
               protocols_line('ATCP')['memory'])

        for c in clis + srvs:
            c.close()
        pair.leave()
        gone = wait_until(lambda: protocols_line('ATCP')['sockets'] == '0', 30)
        line = protocols_line('ATCP')
        tap.ok(gone, 'every socket is gone after close (sockets %s)' % line['sockets'])
        tap.ok(int(line['memory']) <= 256 * cpus,
               'the memory figure is back within the per-CPU reserves (%s pages)' % line['memory'])
    finally:
        with open('/proc/sys/net/atcp/mem', 'w') as f:
            f.write(' '.join(old))
    tap.done()


if __name__ == '__main__':
    main()
