#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""test_retries.py - data that is never acknowledged: retransmission with
exponential backoff (RFC 6298), and after net.atcp.retries2 retransmissions
the connection fails with ETIMEDOUT.

The client sends 1000 bytes to a server whose link is down.  With
retries2=3 and the RTO at its 200 ms floor (the RTT on a veth is far below
it), the retransmissions go 0.2, 0.6 and 1.4 s after the send and the
connection fails 3.0 s after it (0.2 + 0.4 + 0.8 + 1.6).  The test accepts
2.5 to 8 s (the RTO may sit above the floor after the handshake, and a
loaded TCG guest runs timers late), and checks that the gaps between
retransmissions (RetransSegs, polled every 10 ms) double.  Linux TCP with
net.ipv4.tcp_retries2=3 runs in the same VM for comparison (Linux turns
the count into a time limit, so its figure is printed, not asserted).
"""

import errno
import os
import select
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
from nstest import (ADDR_B, NetnsPair, Tap, counters, proto_under_test,  # noqa: E402
                    wait_until)

RETRANS = {6: 'RetransSegs'}


def run(pair, proto):
    pair.enter('b')
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    srv.bind((ADDR_B, 0))
    srv.listen(1)
    pair.enter('a')
    cli = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    cli.connect(srv.getsockname())
    conn, _ = srv.accept()
    srv.close()
    key = RETRANS.get(proto, 'RetransSegs')
    base = counters(proto).get(key, 0)
    pair.ip('b', 'link', 'set', pair.vb, 'down')

    stamps = []

    def retransmitted():
        n = counters(proto).get(key, 0) - base
        while len(stamps) < n:
            stamps.append(time.monotonic())
        r, _, _ = select.select([cli], [], [], 0)
        return bool(r)
    t0 = time.monotonic()
    cli.send(b'z' * 1000)
    failed = wait_until(retransmitted, 30)
    took = time.monotonic() - t0
    err = 'still waiting'
    if failed:
        try:
            cli.recv(1)
            err = 'no error'
        except OSError as e:
            err = errno.errorcode.get(e.errno, str(e.errno))
    pair.leave()
    pair.ip('b', 'link', 'set', pair.vb, 'up')
    cli.close()
    conn.close()
    gaps = [b - a for a, b in zip([t0] + stamps, stamps)]
    return took, err, gaps


def main():
    proto = proto_under_test()
    tap = Tap(4)
    pair = NetnsPair()
    pair.sysctl('a', 'net.atcp.retries2', 3)
    pair.sysctl('a', 'net.ipv4.tcp_retries2', 3)
    took, err, gaps = run(pair, proto)
    ltook, lerr, lgaps = run(pair, 6)
    fmt = lambda g: '/'.join('%.2f' % x for x in g)
    tap.diag('%s: %s after %.2f s, retransmissions at gaps %s s' % (
        'atcp' if proto != 6 else 'tcp', err, took, fmt(gaps)))
    tap.diag('Linux TCP, same VM, tcp_retries2=3: %s after %.2f s, gaps %s s' % (
        lerr, ltook, fmt(lgaps)))
    tap.ok(err == 'ETIMEDOUT' and 2.5 <= took <= 8,
           'retries2=3: the connection fails with ETIMEDOUT after %.2f s' % took)
    tap.ok(len(gaps) == 3, 'exactly 3 retransmissions before giving up (%d)' % len(gaps))
    tap.ok(len(gaps) >= 3 and all(gaps[i + 1] > 1.5 * gaps[i] for i in range(len(gaps) - 1)),
           'the gaps between them double (%s s)' % fmt(gaps))
    tap.ok(lerr == 'ETIMEDOUT', 'Linux TCP gives up with ETIMEDOUT too')
    tap.done()


if __name__ == '__main__':
    main()
