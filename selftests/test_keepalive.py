#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""test_keepalive.py - keepalive finds a dead peer: once the peer's link
goes down (`ip link set ... down`), an idle connection with SO_KEEPALIVE
fails with ETIMEDOUT after idle + probes * interval.

Two ways to set the times: TCP_KEEPIDLE=1, TCP_KEEPINTVL=1, TCP_KEEPCNT=2
on the socket; and the namespace's net.atcp.keepalive_time=1,
keepalive_intvl=1, keepalive_probes=2 with only SO_KEEPALIVE.  Either way
the first probe goes 1 s after the last segment and the connection fails
when the second probe is 1 s unanswered: 3 s after the last exchange,
just before which the link went down (the test accepts 2.8 to 6 s: timers
in a loaded TCG guest run late).  Also checked: a
live peer answers the probes and the connection stays up; the namespace
counts KeepaliveTimeouts.  Linux TCP runs the socket-option case in the
same VM for comparison.
"""

import errno
import os
import select
import socket
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
from nstest import NetnsPair, Tap, counters, proto_under_test  # noqa: E402


def connect(pair, proto, sockopts):
    opts = [(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)]
    if sockopts:
        opts += [(socket.IPPROTO_TCP, socket.TCP_KEEPIDLE, 1),
                 (socket.IPPROTO_TCP, socket.TCP_KEEPINTVL, 1),
                 (socket.IPPROTO_TCP, socket.TCP_KEEPCNT, 2)]
    cli, conn = pair.connected(proto, cli_opts=opts)
    cli.sendall(b'x')
    conn.recv(1)
    return cli, conn, time.monotonic()


def dead_peer(pair, proto, sockopts):
    """Seconds from the last exchange until recv() fails, the peer's link
    being down, and the error; the link is up again afterwards."""
    cli, conn, t0 = connect(pair, proto, sockopts)
    pair.ip('b', 'link', 'set', pair.vb, 'down')
    err = None
    try:
        r, _, _ = select.select([cli], [], [], 30)
        if r:
            cli.recv(1)
            err = 'no error'
        else:
            err = 'still waiting after 30 s'
    except OSError as e:
        err = errno.errorcode.get(e.errno, str(e.errno))
    took = time.monotonic() - t0
    pair.ip('b', 'link', 'set', pair.vb, 'up')
    cli.close()
    conn.close()
    return took, err


def live_peer(pair, proto):
    """Probes answered: the connection is still up after 4 s of probing."""
    cli, conn, _ = connect(pair, proto, True)
    r, _, _ = select.select([cli], [], [], 4)
    alive = not r
    cli.sendall(b'y')
    alive = alive and conn.recv(1) == b'y'
    cli.close()
    conn.close()
    return alive


def main():
    proto = proto_under_test()
    tap = Tap(6)
    pair = NetnsPair()

    took, err = dead_peer(pair, proto, True)
    tap.ok(err == 'ETIMEDOUT' and 2.8 <= took <= 6,
           'socket options 1/1/2: recv() fails with ETIMEDOUT %.2f s after the last exchange '
           '(got %s)' % (took, err))
    ltook, lerr = dead_peer(pair, 6, True)
    tap.ok(lerr == err and 2.8 <= ltook <= 6,
           'Linux TCP, same VM: %s after %.2f s' % (lerr, ltook))

    pair.enter('a')
    before = counters(proto).get('KeepaliveTimeouts', 0)
    pair.leave()
    for k in ('keepalive_time', 'keepalive_intvl'):
        pair.sysctl('a', 'net.atcp.' + k, 1)
    pair.sysctl('a', 'net.atcp.keepalive_probes', 2)
    took, err = dead_peer(pair, proto, False)
    tap.ok(err == 'ETIMEDOUT' and 2.8 <= took <= 6,
           'sysctls 1/1/2 and SO_KEEPALIVE alone: ETIMEDOUT %.2f s after the last exchange '
           '(got %s)' % (took, err))
    pair.enter('a')
    after = counters(proto).get('KeepaliveTimeouts', 0)
    pair.leave()
    tap.ok(proto == 6 or after - before == 1,
           'KeepaliveTimeouts counted it (%d -> %d)' % (before, after))

    tap.ok(live_peer(pair, proto), 'a live peer answers the probes: the connection stays up')
    tap.ok(live_peer(pair, 6), 'Linux TCP, same VM: stays up too')
    tap.done()


if __name__ == '__main__':
    main()
