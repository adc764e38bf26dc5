#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""test_retries.py - data that is never acknowledged: retransmission with
exponential backoff (RFC 6298), and after net.atcp.retries2 retransmissions
the connection fails with ETIMEDOUT; data whose sending fails locally is
sent again by the probe timer, and the same limit ends that too.

The client sends 1000 bytes over a link that drops everything (netem loss
100% on the client's side, so every segment leaves the socket and is
lost; a link set down instead may keep segments in a queue or fail them
locally, depending on timing).  With
retries2=3 and the RTO at its 200 ms floor (the RTT on a veth is far below
it), the retransmissions go 0.2, 0.6 and 1.4 s after the send and the
connection fails 3.0 s after it (0.2 + 0.4 + 0.8 + 1.6).  The test accepts
2.5 to 8 s (the RTO may sit above the floor after the handshake, and a
loaded TCG guest runs timers late), and checks that the gaps between
retransmissions (RetransSegs, polled every 10 ms) double.  Linux TCP with
net.ipv4.tcp_retries2=3 runs in the same VM for comparison (Linux turns
the count into a time limit, so its figure is printed, not asserted).

Then the route to the server is replaced by an unreachable one: every
transmission fails in ip_queue_xmit (IP OutNoRoutes counts them) and
nothing is in flight.  The probe timer retries the data itself
(tcp_write_wakeup), with the same backoff, and after retries2 unanswered
attempts the connection fails with ETIMEDOUT, as Linux TCP's does.  If the
route comes back after two failed attempts, the data arrives.
"""

import os
import select
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
from nstest import (ADDR_B, NetnsPair, Tap, attempt, counters, proto_under_test,  # noqa: E402
                    wait_until)

RETRANS = {6: 'RetransSegs'}


def no_routes():
    with open('/proc/thread-self/net/snmp') as f:
        names, vals = [l.split() for l in f.read().splitlines() if l.startswith('Ip:')][:2]
    return int(vals[names.index('OutNoRoutes')])


def failed_with(cli):
    got = attempt(lambda: cli.recv(1))
    return got if isinstance(got, str) else 'no error'


def run_noroute(pair, proto, restore):
    """Send with no route to the server; with restore, put the route back
    after two failed attempts.  Returns (seconds, error, bytes received)."""
    cli, conn = pair.connected(proto)
    pair.ip('a', 'route', 'add', 'unreachable', ADDR_B + '/32')
    base = no_routes()
    t0 = time.monotonic()
    cli.send(b'y' * 1000)
    got = 0
    if restore:
        wait_until(lambda: no_routes() - base >= 2, 10)
        pair.ip('a', 'route', 'del', 'unreachable', ADDR_B + '/32')
        conn.settimeout(10)
        try:
            while got < 1000:
                chunk = conn.recv(1000 - got)
                if not chunk:
                    break
                got += len(chunk)
        except OSError:
            pass
        err = 'no error'
    else:
        failed = wait_until(lambda: select.select([cli], [], [], 0)[0], 30)
        err = failed_with(cli) if failed else 'still waiting'
        pair.ip('a', 'route', 'del', 'unreachable', ADDR_B + '/32')
    took = time.monotonic() - t0
    pair.leave()
    cli.close()
    conn.close()
    return took, err, got


def run(pair, proto):
    cli, conn = pair.connected(proto)
    key = RETRANS.get(proto, 'RetransSegs')
    base = counters(proto).get(key, 0)
    pair.tc('a', 'qdisc', 'add', 'dev', pair.va, 'root', 'netem', 'loss', '100%')

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
    err = failed_with(cli) if failed else 'still waiting'
    pair.leave()
    pair.tc('a', 'qdisc', 'del', 'dev', pair.va, 'root')
    cli.close()
    conn.close()
    gaps = [b - a for a, b in zip([t0] + stamps, stamps)]
    return took, err, gaps


def main():
    proto = proto_under_test()
    tap = Tap(8)
    pair = NetnsPair()
    pair.sysctl('a', 'net.atcp.retries2', 3)
    pair.sysctl('a', 'net.ipv4.tcp_retries2', 3)
    # Backoff is the point: no tail loss probe ahead of the first RTO.
    pair.sysctl('a', 'net.atcp.early_retrans', 0)
    pair.sysctl('a', 'net.ipv4.tcp_early_retrans', 0)
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

    ntook, nerr, _ = run_noroute(pair, proto, False)
    lntook, lnerr, _ = run_noroute(pair, 6, False)
    rtook, _, rgot = run_noroute(pair, proto, True)
    lrtook, _, lrgot = run_noroute(pair, 6, True)
    tap.diag('no route: atcp %s after %.2f s, Linux TCP %s after %.2f s' % (
        nerr, ntook, lnerr, lntook))
    tap.diag('route back after two failed sends: atcp %d bytes after %.2f s, '
             'Linux TCP %d bytes after %.2f s' % (rgot, rtook, lrgot, lrtook))
    tap.ok(nerr == 'ETIMEDOUT' and 2.5 <= ntook <= 8,
           'no route: the data never leaves, and after retries2=3 attempts the '
           'connection fails with ETIMEDOUT (%.2f s)' % ntook)
    tap.ok(rgot == 1000,
           'route back after two failed sends: the probe timer sends the data, '
           'all 1000 bytes arrive (%d)' % rgot)
    tap.ok(lnerr == 'ETIMEDOUT', 'Linux TCP, no route: ETIMEDOUT too')
    tap.ok(lrgot == 1000, 'Linux TCP, route back: the data arrives too (%d)' % lrgot)
    tap.done()


if __name__ == '__main__':
    main()
