#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""test_reconnect.py - a socket whose first connect() was refused connects
again and carries a bulk transfer as well as a fresh socket does, and once
everything is closed nothing holds the module.

Two namespaces joined by a veth pair, with netem delaying the client's
side by 5 ms (limit 100000 packets: the queue never overflows, nothing is
lost).  A blocking client socket connects to a port with no listener and
gets ECONNREFUSED; the listener is opened, the same socket connects again
and sends 4 MiB, which must arrive whole.  On a clean link there is nothing
to retransmit: the socket's tcpi_total_retrans (TCP_INFO) and the
namespace's RetransSegs must stay near zero, as with a fresh socket (run
next, for comparison) and as with Linux TCP (ATCP_PROTO=6), which keeps
what it learnt about the path (tp->reordering and the like) across
tcp_disconnect(), and any recovery must have been undone (D-SACKs,
timestamps).  What each end receives is steered to one CPU, so that the
link keeps order.  Linux TCP over the same path with TSO and GSO off (one
segment a packet, as atcp sends) is shown for comparison.

Then every socket is closed and the namespaces removed; for atcp the
module's reference count must drop to 0 and rmmod must succeed without a
slab cache reporting objects left (a reference taken by a timer that a
disconnect forgot would keep it loaded).  The module is loaded again for
the tests that follow, so this test runs among the first (Makefile).
"""

import errno
import hashlib
import os
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
from nstest import (ADDR_B, NetnsPair, Tap, counters, proto_under_test,  # noqa: E402
                    recv_hashed, wait_until)

SIZE = 4 << 20
# Waits grow with run_tests' timeout: a debug kernel tears namespaces down
# slower.
SCALE = max(1.0, int(os.environ.get('ATCP_TEST_TIMEOUT', '300')) / 300.0)
PORT = 8090
TCP_INFO = 11
# struct tcp_info: tcpi_total_retrans is the u32 at offset 100.
TOTAL_RETRANS_OFF = 100
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# A few retransmissions are tolerated (a timer running late under TCG);
# the defect this guards against retransmits about half the segments.
RETRANS_MAX = 10
# atcp's recoveries (fast and after an RTO) and its undos of them.
EPISODES = ('FastRetrans', 'RtoFires')
UNDOS = ('DSACKUndo', 'FullUndo', 'PartialUndo', 'LossUndo', 'SpuriousRTOs')
# Shown beside each transfer when they moved (atcp's names, Linux TCP's).
RECOVERY_COUNTERS = ('RtoFires', 'FastRetrans', 'LossProbes', 'LostRetransmit',
                     'SpuriousRTOs', 'DSACKRecv', 'DSACKUndo', 'FullUndo', 'PartialUndo',
                     'LossUndo', 'ReorderSeen', 'TCPSACKReorder', 'TCPTSReorder', 'TCPTimeouts', 'TCPLossProbes', 'TCPSpuriousRTOs',
                     'TCPDSACKRecv', 'TCPFullUndo', 'TCPDSACKUndo', 'TCPLossUndo')


def pattern(n):
    block = bytes(range(256)) * 256
    return (block * (n // len(block) + 1))[:n]


def total_retrans(s):
    info = s.getsockopt(socket.IPPROTO_TCP, TCP_INFO, 104)
    return struct.unpack_from('I', info, TOTAL_RETRANS_OFF)[0]


def transfer(pair, proto, cli, srv, port=PORT):
    """Connect cli (namespace a) to srv (listening in b), send SIZE bytes.
    Returns (bytes received, sha256 ok, retransmissions per TCP_INFO,
    RetransSegs delta of namespace a, seconds, the change of every
    counter of namespace a)."""
    pair.enter('a')
    before = counters(proto)
    base = before['RetransSegs']
    cli.connect((ADDR_B, port))
    conn, _ = srv.accept()
    data = pattern(SIZE)
    err = []

    def send():
        try:
            cli.sendall(data)
            cli.shutdown(socket.SHUT_WR)
        except OSError as e:
            err.append(e)
    t0 = time.monotonic()
    th = threading.Thread(target=send)
    th.start()
    h = hashlib.sha256()
    got = 0
    conn.settimeout(120)
    try:
        while True:
            n = recv_hashed(conn, h)
            if not n:
                break
            got += n
    except OSError as e:
        err.append(e)
    th.join(120)
    took = time.monotonic() - t0
    pair.enter('a')
    retrans = total_retrans(cli)
    after = counters(proto)
    segs = after['RetransSegs'] - base
    conn.close()
    ok = h.digest() == hashlib.sha256(data).digest() and not err
    delta = {k: after[k] - before.get(k, 0) for k in after}
    return got, ok, retrans, segs, took, delta


def moved(delta):
    """The recovery counters that moved, for the diagnosis."""
    text = ', '.join('%s +%d' % (k, delta[k]) for k in RECOVERY_COUNTERS if delta.get(k))
    return text and '; ' + text


def undone(delta):
    """Every recovery episode of atcp's was undone (reordering, not loss)."""
    return sum(delta.get(k, 0) for k in UNDOS) >= sum(delta.get(k, 0) for k in EPISODES)


def module_unload_check(tap):
    refcnt = '/sys/module/atcp/refcnt'

    def zero():
        with open(refcnt) as f:
            return f.read().strip() == '0'
    ok = wait_until(zero, 30 * SCALE)
    with open(refcnt) as f:
        n = f.read().strip()
    tap.ok(ok, 'after close and namespace removal no reference holds the module (refcnt %s)' % n)
    before = subprocess.run(['dmesg'], capture_output=True, text=True).stdout.count('\n')
    rc = subprocess.run(['rmmod', 'atcp']).returncode
    log = subprocess.run(['dmesg'], capture_output=True, text=True).stdout.splitlines()[before:]
    leaks = [ln for ln in log if any(w in ln.lower() for w in
                                     ('still has objects', 'objects remaining', 'leak'))]
    tap.ok(rc == 0, 'rmmod atcp succeeds (exit %d)' % rc)
    for ln in leaks:
        tap.diag(ln)
    tap.ok(not leaks, "unloading reports no object left in atcp's slab caches")
    rc = subprocess.run(['insmod', os.path.join(REPO, 'module', 'atcp.ko')]).returncode
    tap.ok(rc == 0, 'insmod again, for the tests that follow')


def linux_reference(pair, tap):
    """Linux TCP over the same path with TSO and GSO off, as atcp sends:
    one segment per packet, which the two CPUs of a TCG guest can reorder
    (for comparison only)."""
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'peer'))
    import atcppeer as peer
    pair.enter('a')
    for cmd in (peer.ETHTOOL_STSO, peer.ETHTOOL_SGSO):
        peer.ethtool_set(pair.va, cmd, 0)
    pair.enter('b')
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 6)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((ADDR_B, PORT + 1))
    srv.listen(8)
    pair.enter('a')
    cli = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 6)
    got, ok, retrans, segs, took, delta = transfer(pair, 6, cli, srv, PORT + 1)
    tap.diag('Linux TCP, same path, TSO/GSO off: %d bytes in %.2f s, tcpi_total_retrans %d, '
             'RetransSegs +%d%s' % (got, took, retrans, segs, moved(delta)))
    pair.enter('a')
    cli.close()
    srv.close()


def main():
    proto = proto_under_test()
    name = 'atcp' if proto != 6 else 'Linux TCP'
    tap = Tap(9 if proto != 6 else 5)
    pair = NetnsPair()
    pair.tc('a', 'qdisc', 'add', 'dev', pair.va, 'root', 'netem', 'delay', '5ms',
            'limit', '100000')
    # A clean link keeps order too: without this the guest's two CPUs
    # reorder hundreds of segments at a time, and Linux TCP with one
    # segment a packet retransmits as much as atcp.
    pair.one_cpu_receive()

    pair.enter('a')
    cli = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    try:
        cli.connect((ADDR_B, PORT))
        first = 'connected'
    except OSError as e:
        first = errno.errorcode.get(e.errno, str(e.errno))
    tap.ok(first == 'ECONNREFUSED',
           'connect() to a port with no listener: %s (want ECONNREFUSED)' % first)

    pair.enter('b')
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind((ADDR_B, PORT))
    srv.listen(8)

    got, ok, retrans, segs, took, delta = transfer(pair, proto, cli, srv)
    tap.diag('%s, same socket after ECONNREFUSED: %d bytes in %.2f s, '
             'tcpi_total_retrans %d, RetransSegs +%d%s' % (name, got, took, retrans, segs,
                                                          moved(delta)))
    tap.ok(got == SIZE and ok, 'the socket connects again and 4 MiB arrive whole (%d bytes)' % got)
    tap.ok(retrans <= RETRANS_MAX and segs <= RETRANS_MAX and (proto == 6 or undone(delta)),
           'no retransmission storm on a clean link after the refused connect: '
           'tcpi_total_retrans %d, RetransSegs +%d (at most %d), every recovery undone'
           % (retrans, segs, RETRANS_MAX))
    pair.enter('a')
    cli.close()

    pair.enter('a')
    fresh = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    fgot, fok, fretrans, fsegs, ftook, fdelta = transfer(pair, proto, fresh, srv)
    tap.diag('%s, fresh socket: %d bytes in %.2f s, tcpi_total_retrans %d, '
             'RetransSegs +%d%s' % (name, fgot, ftook, fretrans, fsegs, moved(fdelta)))
    tap.ok(fgot == SIZE and fok, 'a fresh socket: 4 MiB arrive whole (%d bytes)' % fgot)
    tap.ok(fretrans <= RETRANS_MAX and (proto == 6 or undone(fdelta)),
           'a fresh socket: no storm either (%d), every recovery undone' % fretrans)
    pair.enter('a')
    fresh.close()
    srv.close()
    if proto != 6:
        linux_reference(pair, tap)
    pair.destroy()

    if proto != 6:
        module_unload_check(tap)
    tap.done()


if __name__ == '__main__':
    main()
