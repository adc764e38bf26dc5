#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""test_orphans.py - a bound on orphaned sockets: net.atcp.max_orphans, as
net.ipv4.tcp_max_orphans bounds Linux TCP's.

An orphan is a connection its application has closed while the protocol
still has work to do (unacknowledged or unsent data, a FIN to deliver).
Linux checks the number of orphans against tcp_max_orphans
(tcp_check_oom(): the count, refreshed every 100 ms, above the limit) when
a socket becomes an orphan in tcp_close(), and on each retransmission or
window-probe timeout of an orphan (tcp_out_of_resources()): an orphan that
would live on past the limit is reset (RST on the wire, when it sent
something recently or the peer's window is closed, which is the case here),
destroyed, and counted as TCPAbortOnMemory; the kernel logs "too many
orphaned sockets" (rate-limited).

The packet peer opens 40 connections to the dut, offering a window of two
segments and never acknowledging anything.  The dut's application writes
8000 bytes on each (two segments go out, the rest waits) and closes it: 40
orphans with data unsent.  With the limit at 10, within 30 s at most 10
may be left alive, every other one must have sent a RST, and the counter
(atcp: AbortOnMemory in /proc/net/atcp_stat) must count each.

net.atcp.max_orphans is written in the dut's namespace (or, if only the
initial namespace has it, there).  Linux's tcp_max_orphans and its orphan
count are global, so under ATCP_PROTO=6 the test sets it in the initial
namespace, and puts it back.
"""

import os
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, 'peer'))
sys.path.insert(0, os.path.join(HERE, 'lib'))
import atcppeer as peer  # noqa: E402
from nstest import Tap, proto_under_test  # noqa: E402

CONNS = 40
MAX_ORPHANS = 10
WRITE = 8000
SETTLE = 30.0


def sysctl_path(proto):
    if proto == 6:
        return '/proc/sys/net/ipv4/tcp_max_orphans'
    return '/proc/sys/net/atcp/max_orphans'


def dmesg_count():
    out = subprocess.run(['dmesg'], capture_output=True, text=True).stdout
    return out.count('too many orphaned sockets')


def main():
    proto = proto_under_test()
    name = 'atcp' if proto != 6 else 'tcp'
    counter = 'TCPAbortOnMemory' if proto == 6 else 'AbortOnMemory'
    tap = Tap(4)
    path = sysctl_path(proto)
    saved = None
    # Linux: the initial namespace's, written before the Session moves us.
    if proto == 6 or os.path.exists(path):
        with open(path) as f:
            saved = f.read().strip()
    sess = peer.Session(proto)
    it = peer.Interp(sess, 'orphans', sys.stdout, verbose=False, timeout=5.0)
    where = None
    try:
        if proto != 6 and os.path.exists(path):
            sess.sysctl(path[len('/proc/sys/'):].replace('/', '.'), str(MAX_ORPHANS))
            where = 'the dut namespace'
        elif saved is not None:
            peer.setns_fd(sess.orig_fd)
            try:
                with open(path, 'w') as f:
                    f.write(str(MAX_ORPHANS))
            finally:
                peer.setns_fd(sess.dut_fd)
            where = 'the initial namespace'
        tap.ok(where is not None, '%s=%d set in %s' % (
            path[len('/proc/sys/'):].replace('/', '.'), MAX_ORPHANS, where or 'no namespace: '
            'the sysctl does not exist'))

        lines = ['app: listen 8080 backlog=64']
        for i in range(CONNS):
            c = 'c%d' % i
            lines += ['conn %s sport=%d dport=8080' % (c, 30000 + i),
                      '> @%s S seq=0 opts=mss:1460' % c,
                      '< @%s S. seq=0 ack=1' % c,
                      '> @%s . seq=1 ack=1 win=2920' % c]
        lines.append('app: ' + '; '.join('accept name=c%d' % i for i in range(CONNS)))
        it.run_lines(lines)
        m0 = peer.read_mibs(proto)
        before = dmesg_count()
        it.run_line('app: ' + '; '.join('use c%d; write-len %d; close' % (i, WRITE)
                                        for i in range(CONNS)))
        t0 = time.monotonic()
        ports = {30000 + i for i in range(CONNS)}
        reset = set()

        def alive():
            return [r for loc, r, st in peer.read_sockets(proto)
                    if r[1] in ports and st not in ('TIME_WAIT', 'LISTEN')]

        def collect(secs):
            deadline = time.time() + secs
            while True:
                s = it.pull(deadline)
                if s is None:
                    return
                if s.conn is not None and s.flags & peer.F_RST:
                    reset.add(s.conn.sport)

        while time.monotonic() - t0 < SETTLE and len(alive()) > MAX_ORPHANS:
            collect(0.05)
        settled = time.monotonic() - t0
        # What is already on its way (a RST leaves before its socket goes).
        collect(0.5)
        live = alive()
        m1 = peer.read_mibs(proto)
        aborted = m1.get(counter, 0) - m0.get(counter, 0) if counter in m1 else None
        tap.diag('%s: %d of %d orphans alive %.1f s after the closes, %d reset on the '
                 'wire, %s +%s' % (name, len(live), CONNS, settled, len(reset), counter,
                                   aborted if aborted is not None else '(none)'))
        tap.ok(len(live) <= MAX_ORPHANS,
               'at most max_orphans=%d orphans live on (%d)' % (MAX_ORPHANS, len(live)))
        tap.ok(len(reset) >= CONNS - MAX_ORPHANS and
               len(reset) + len({r[1] for r in live}) == CONNS,
               'every orphan over the limit sent a RST (%d reset, %d alive, of %d)'
               % (len(reset), len(live), CONNS))
        tap.ok(aborted is not None and aborted == len(reset),
               '%s counts each of them (+%s, %d reset)' % (
                   counter, aborted if aborted is not None else 'no such counter', len(reset)))
        tap.diag('kernel log: "too many orphaned sockets" %d time(s) (rate-limited)'
                 % (dmesg_count() - before))
    except (peer.TestFailure, peer.ScriptError) as e:
        it.report_failure(tap.diag, e)
    finally:
        it.cleanup()
        sess.close()
        if saved is not None and (proto == 6 or where == 'the initial namespace'):
            with open(path, 'w') as f:
                f.write(saved)
    tap.done()


if __name__ == '__main__':
    main()
