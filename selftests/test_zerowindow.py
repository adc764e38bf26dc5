#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""test_zerowindow.py - flow control: a receiver that stops reading closes
its window; the sender stops at its buffer sizes, probes the zero window
(with backoff), and resumes when the reader drains, with nothing lost.

Over a veth between two namespaces, with SO_RCVBUF and SO_SNDBUF of 64 KiB
(the kernel doubles both).  The sender writes 4 MiB without blocking until
EAGAIN, waits until it has sent three zero-window probes (its counter,
polled every 10 ms: the gaps between them must grow), then
the receiver reads everything: the stream must arrive whole (sha256) and
the sender must finish.  The same run over Linux TCP is printed alongside
(its probes count as TCPWinProbe).
"""

import os
import select
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
from nstest import (NetnsPair, Tap, counters, proto_under_test,  # noqa: E402
                    pump, wait_until)

SIZE = 4 << 20
BUF = 64 << 10
PROBES = {6: 'TCPWinProbe'}


def pattern(n):
    block = bytes(range(256)) * 256
    return (block * (n // len(block) + 1))[:n]


def run(pair, proto):
    probe_key = PROBES.get(proto, 'ZeroWindowProbes')
    data = pattern(SIZE)
    cli, conn = pair.connected(proto,
                               cli_opts=[(socket.SOL_SOCKET, socket.SO_SNDBUF, BUF)],
                               srv_opts=[(socket.SOL_SOCKET, socket.SO_RCVBUF, BUF)])
    probes0 = counters(proto)[probe_key]

    cli.setblocking(False)
    sent = 0
    while sent < SIZE:
        try:
            sent += cli.send(data[sent:sent + 65536])
        except BlockingIOError:
            # Full for now; the window may still be closing: wait a little
            # for writability before deciding the sender is held.
            _, w, _ = select.select([], [cli], [], 0.5)
            if not w:
                break
    held = sent
    # The times at which the probe counter moves, for three probes.
    stamps = []

    def probe_seen():
        n = counters(proto)[probe_key] - probes0
        while len(stamps) < n:
            stamps.append(time.monotonic())
        return n >= 3
    probed = wait_until(probe_seen, 20)
    probes = counters(proto)[probe_key] - probes0
    gaps = [b - a for a, b in zip(stamps, stamps[1:])]

    # Drain: read everything while sending the rest.
    t0 = time.monotonic()
    conn.setblocking(False)
    sent, nread, whole = pump(cli, conn, data, t0 + 60, sent=sent, shut_wr=True)
    drained = time.monotonic() - t0
    for s in (cli, conn):
        s.close()
    pair.leave()
    return {'held': held, 'probed': bool(probed), 'probes': probes, 'gaps': gaps,
            'whole': whole, 'nread': nread, 'drained': drained}


def main():
    proto = proto_under_test()
    tap = Tap(6)
    pair = NetnsPair()
    res = run(pair, proto)
    linux = run(pair, 6)
    for name, r in (('atcp' if proto != 6 else 'tcp', res), ('Linux TCP, same VM', linux)):
        tap.diag('%s: held at %d bytes, %d zero-window probes %s s apart, drained in %.2f s, '
                 '%d bytes read' % (name, r['held'], r['probes'],
                                    '/'.join('%.2f' % g for g in r['gaps']),
                                    r['drained'], r['nread']))
    # Send buffer 2 * 64 KiB plus the receiver's 2 * 64 KiB buffer, with
    # room for per-skb overhead accounting: far below the 4 MiB written.
    tap.ok(res['held'] < SIZE // 4,
           'a receiver that does not read holds the sender at its buffers (%d bytes)'
           % res['held'])
    tap.ok(res['probed'], 'the sender probes the zero window (%d probes)' % res['probes'])
    gaps = res['gaps']
    tap.ok(len(gaps) == 2 and gaps[1] > 1.5 * gaps[0],
           'probes back off: the second gap is over 1.5 times the first (%s s)'
           % '/'.join('%.2f' % g for g in gaps))
    tap.ok(res['whole'], 'after the reader drains, all 4 MiB arrive, sha256 equal')
    tap.ok(res['drained'] < 30, 'the transfer resumes and completes (%.2f s)' % res['drained'])
    tap.ok(linux['whole'] and linux['probed'],
           'Linux TCP, same run: probes and completes too')
    tap.done()


if __name__ == '__main__':
    main()
