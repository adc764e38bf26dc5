#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Measure the dut's delayed-ACK delay with the packet peer.

    ackdelay.py [--proto N] [--delack-min MS --delack-max MS] [--samples K]
                [--cpu N] [--ready FILE] [--pcap FILE] [-v]

In fresh namespaces (a veth pair, as selftests/peer/run sets up), with the
given net.atcp.delack_min/delack_max in the dut's namespace (atcp only:
Linux TCP has no such sysctls, its bounds are 40 and 200 ms), the dut
accepts a connection and its application never reads or writes.  The peer
sends 10-byte segments one at a time, each when the previous one has been
acked:

  - first until the dut has left quick-ack mode (its quick-ack credit in
    /proc/net/atcp, or /proc/net/tcp, is 0): those ACKs come at once;
  - then K more, each acked by the delayed-ACK timer: the delay of each is
    the time from the peer's send() to the kernel's receive stamp of the
    ACK (SO_TIMESTAMPNS on the peer's packet socket).

The peer takes 0.3 s to complete the handshake: the dut's RTT estimate is
then ~0.3 s and its RTO ~0.9 s, so that neither the RTT bound on the delay
(Linux's tcp_send_delayed_ack) nor the "idle longer than RTO: quick-ack
mode again" rule plays a part, and the delay grows from delack_min towards
delack_max as each timer expiry doubles the ACK timeout (ATO).

With --ready FILE (a fifo, say), once the connection is open it writes
"ready" to FILE and waits for SIGUSR1 before it sends data: so that several
runs measure at the same time.

Output, one "key value..." per line:

    port N                  the peer's port (the dut's is 8080)
    setting MIN MAX         the sysctls as read back in the dut's namespace
    quick N                 ACKs of the warm-up (quick-ack mode)
    sample I MS             delay of sample I, in ms (3 decimals)
    delayedacks N           DelayedACKs counted by the dut during the samples
    window T0 T1            wall-clock time of the first send, last ACK
    state QUICK PINGPONG    the dut socket's delayed-ACK state at the end

Exit status 0 when all was measured, 1 (with a "# FAIL" line) otherwise.
"""

import argparse
import os
import signal
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import atcppeer as peer  # noqa: E402


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument('--proto', type=int, default=int(os.environ.get('ATCP_PROTO', 253)))
    ap.add_argument('--delack-min', type=int)
    ap.add_argument('--delack-max', type=int)
    ap.add_argument('--samples', type=int, default=10)
    ap.add_argument('--cpu', type=int)
    ap.add_argument('--ready', metavar='FILE')
    ap.add_argument('--pcap')
    ap.add_argument('-v', '--verbose', action='store_true')
    a = ap.parse_args()

    sess = peer.Session(a.proto)
    it = None
    try:
        if a.pcap:
            sess.peer.open_pcap(a.pcap)
        it = peer.Interp(sess, 'ackdelay', sys.stdout, verbose=a.verbose)
        return measure(a, sess, it)
    except (peer.TestFailure, peer.ScriptError, OSError) as e:
        if it is not None and not a.verbose:
            for ln in it.logbuf:
                print('# %s' % ln)
        print('# FAIL: %s' % e)
        return 1
    finally:
        if it is not None:
            it.cleanup()
        sess.close()


def measure(a, sess, it):
    lines = []
    if a.cpu is not None:
        lines.append('cpu %d' % a.cpu)
    if a.proto != 6:
        if a.delack_min is not None:
            lines.append('sysctl net.atcp.delack_min=%d' % a.delack_min)
        if a.delack_max is not None:
            lines.append('sysctl net.atcp.delack_max=%d' % a.delack_max)
    lines += ['conn dport=8080', 'app: listen 8080', '> S seq=0 opts=mss:1460',
              '< S. seq=0 ack=1 opts=mss:*', '+0.3 > . seq=1 ack=1', 'app: accept']
    if a.ready:
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR1})
    it.run_lines(lines)
    c = it.default
    if a.ready:
        with open(a.ready, 'w') as f:
            f.write('ready\n')
        if signal.sigtimedwait({signal.SIGUSR1}, 60) is None:
            raise peer.TestFailure('no SIGUSR1 within 60 s of ready')
    print('port %d' % c.sport)
    if a.proto != 6:
        with open('/proc/sys/net/atcp/delack_min') as f1, \
                open('/proc/sys/net/atcp/delack_max') as f2:
            print('setting %s %s' % (f1.read().strip(), f2.read().strip()))
    else:
        print('setting 40 200')

    def state():
        for loc, rem, _st, _rto, _ato, quick, pp in peer.read_ack_state(a.proto):
            if loc == (c.dst, c.dport) and rem == (c.src, c.sport):
                return quick, pp
        raise peer.TestFailure('no dut socket for %s' % c.tuple_str())

    def one():
        """Send 10 bytes, return (send time, ACK's receive stamp)."""
        it.run_line('> P. len=10')
        t0 = it.pmark
        want = c.snd_nxt
        deadline = time.time() + 3
        while True:
            s = it.pull(deadline)
            if s is None:
                raise peer.TestFailure('no ACK of %d within 3 s' % want)
            it.show(s, s.conn, False, s.t, ' (+%.3f)' % (s.t - t0))
            if s.conn is not c or s.payload or s.flags != peer.F_ACK:
                raise peer.TestFailure('unexpected segment: %s' % it.fmt(s, s.conn, False))
            if peer.signed32(s.ack - c.peer_isn) >= want:
                return t0, s.t

    # The first data gives the dut its quick-ack credit; then send until it
    # is spent.
    n = 0
    while n == 0 or state()[0] > 0:
        n += 1
        if n > 40:
            raise peer.TestFailure('still in quick-ack mode after 40 segments')
        one()
    print('quick %d' % n)
    d0 = peer.read_mibs(a.proto)['DelayedACKs']
    first = last = None
    for i in range(1, a.samples + 1):
        t0, t1 = one()
        first = first or t0
        last = t1
        print('sample %d %.3f' % (i, (t1 - t0) * 1000))
        sys.stdout.flush()
    print('delayedacks %d' % (peer.read_mibs(a.proto)['DelayedACKs'] - d0))
    print('window %.6f %.6f' % (first, last))
    print('state %d %d' % state())
    it.run_line('app: read-exact %d' % (c.snd_nxt - 1))
    return 0


if __name__ == '__main__':
    sys.exit(main())
