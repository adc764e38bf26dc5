#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""test_ofo.py - the out-of-order queue under thousands of tiny segments:
the receiver stays within its memory by collapsing and pruning, the
connection never wedges, and the data arrives whole.

The packet peer (selftests/peer) is the sender.  For each of two
connections to the dut (whose application reads all the time), the first
1000 bytes of the stream are held back (a hole), then the peer sends, as
fast as it can and all inside the window the dut offered:

  descending  10,000 one-byte segments, from the highest byte down: each
              arrival lands in front of everything queued;
  random      8,000 one-byte segments at every other byte and 2,000
              three-byte segments two bytes apart, in random order: no two
              are adjacent, so collapsing them does not help.

Their skbs cost the dut far more than the bytes the window promised (a
one-byte segment takes hundreds of bytes of truesize).  Linux's
tcp_data_queue_ofo() keeps within sk_rcvbuf with tcp_prune_queue()
(PruneCalled): collapsing adjacent segments, then dropping out-of-order
data from the top (OfoPruned); and the segment that fills the hole is
always taken when the receive queue is empty.  Then the peer fills the hole
and goes on as a real sender does: it sends from the cumulative ACK as far
as the advertised window allows, skipping what the latest SACK blocks
cover, and after 0.3 s without progress it sends everything from the ACK
again (an RTO, which forgets SACK).  The whole stream must reach the
application byte for byte (its pattern checked) within 120 s, and the
connection must never go 30 s without the ACK advancing (a wedge: every
retransmission of the missing segment dropped); both bounds grow in
proportion when run_tests allows a test more than 300 s.  Afterwards the dut's
PruneCalled and OfoPruned counters must have moved (Linux: TcpExt; atcp:
/proc/net/atcp_stat).

The time the dut took to take in each burst is printed (insertion that is
linear per segment shows as quadratic time in the descending burst); it is
not asserted.
"""

import os
import random
import shlex
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, 'peer'))
sys.path.insert(0, os.path.join(HERE, 'lib'))
import atcppeer as peer  # noqa: E402
from nstest import Tap, proto_under_test  # noqa: E402

MSS = 1460
HOLE = 1000
RTO = 0.3
# The bounds grow with run_tests' timeout (a debug kernel is slower).
SCALE = max(1.0, int(os.environ.get('ATCP_TEST_TIMEOUT', '300')) / 300.0)
WEDGE = 30.0 * SCALE
BOUND = 120.0 * SCALE
M32 = 0xffffffff


def descending():
    n = 10000
    return [(HOLE + i, 1) for i in reversed(range(n))], HOLE + n


def scattered(rng):
    singles = 8000
    tiny = 2000
    pieces = [(HOLE + 2 * i, 1) for i in range(singles)]
    base = HOLE + 2 * singles
    pieces += [(base + 5 * j, 3) for j in range(tiny)]
    rng.shuffle(pieces)
    return pieces, base + 5 * tiny


class Run:
    def __init__(self, sess, it, proto, name, port, app):
        self.sess, self.it, self.proto = sess, it, proto
        self.name, self.port, self.app = name, port, app
        self.c = None
        self.wscale = 0
        self.ack = 1
        self.win = 0
        self.sacks = []
        self.resent = 0

    def frame(self, off, n):
        c = self.c
        l4 = peer.build_l4(c.sport, c.dport, c.peer_isn + 1 + off, c.dut_isn + 1,
                           peer.F_ACK, 65535, b'', peer.pattern_bytes(off, n),
                           src=c.src, dst=c.dst, proto=self.proto)
        return self.sess.peer.frame(c.src, c.dst, l4)

    def open(self, total):
        it = self.it
        self.c = it.new_conn(self.name, {'dport': str(self.port)})
        it.run_lines(['app %s: listen %d' % (self.app, self.port),
                      '> @%s S seq=0 opts=mss:1460,sackok,nop,wscale:7' % self.name])
        synack = it.do_expect(shlex.split('@%s S. seq=0 ack=1' % self.name), None)
        for o in synack.opts:
            if o[0] == 'wscale':
                self.wscale = o[1]
        self.win = synack.win
        it.run_lines(['> @%s . seq=1 ack=1' % self.name,
                      'app %s: accept' % self.app,
                      'app& %s: read-exact len=%d' % (self.app, total)])

    def take(self, s):
        """Note what an ACK of the dut says."""
        c = self.c
        if s.conn is not c or not s.flags & peer.F_ACK or s.flags & peer.F_RST:
            return
        a = (s.ack - c.peer_isn) & M32
        if a < self.ack or a > 1 << 30:
            return
        self.ack = a
        self.win = s.win << self.wscale
        self.sacks = []
        for o in s.opts:
            if o[0] == 'sack':
                self.sacks = [((l - c.peer_isn - 1) & M32, (r - c.peer_isn - 1) & M32)
                              for l, r in o[1]]

    def drain(self, secs):
        deadline = time.time() + secs
        while True:
            s = self.it.pull(deadline)
            if s is None:
                return
            self.take(s)
            deadline = time.time() + min(secs, 0.02)

    def covered(self, a, b):
        return any(l <= a and b <= r for l, r in self.sacks)

    def send_from_ack(self, total, use_sack):
        """Offsets are stream offsets (seq - 1)."""
        start = self.ack - 1
        lim = min(total, start + self.win)
        if lim <= start:
            lim = min(total, start + 1)     # a window probe
        frames = []
        off = start
        while off < lim:
            n = min(MSS, lim - off)
            if not (use_sack and self.covered(off, off + n)):
                frames.append(self.frame(off, n))
            off += n
        self.resent += len(frames)
        self.sess.peer.send_frames(frames)

    def burst(self, pieces):
        frames = [self.frame(off, n) for off, n in pieces]
        base = peer.read_mibs(self.proto)['InSegs']
        t0 = time.monotonic()
        self.sess.peer.send_frames(frames)
        deadline = t0 + BOUND
        while peer.read_mibs(self.proto)['InSegs'] - base < len(frames) and \
                time.monotonic() < deadline:
            time.sleep(0.01)
        took = time.monotonic() - t0
        self.drain(0.2)
        return took

    def recover(self, total):
        """Fill the hole and follow the dut's ACKs.  Returns (delivered to
        the stream end, seconds, why it stopped)."""
        end = total + 1
        t0 = time.monotonic()
        progress = t0
        last_send = 0.0
        sent_for = None
        while self.ack < end:
            now = time.monotonic()
            if now - progress > WEDGE:
                return False, now - t0, 'wedged: ACK stuck at %d for %.0f s' % (self.ack, WEDGE)
            if now - t0 > BOUND:
                return False, now - t0, 'ACK at %d of %d after %.0f s' % (self.ack, end, BOUND)
            rto = now - last_send > RTO
            if sent_for != self.ack or rto:
                self.send_from_ack(total, not rto)
                last_send = now
                sent_for = self.ack
            prev = self.ack
            self.drain(0.05)
            if self.ack != prev:
                progress = time.monotonic()
        return True, time.monotonic() - t0, 'all acknowledged'


def main():
    proto = proto_under_test()
    name = 'atcp' if proto != 6 else 'tcp'
    tap = Tap(6)
    rng = random.Random(int(os.environ.get('OFO_SEED', '0')) or None)
    sess = peer.Session(proto)
    it = peer.Interp(sess, 'ofo', sys.stdout, verbose=False, timeout=5.0)
    it.app_timeout = 30
    m0 = peer.read_mibs(proto)
    try:
        for i, (label, (pieces, total)) in enumerate(
                (('descending', descending()), ('random', scattered(rng)))):
            run = Run(sess, it, proto, 'c%d' % i, 8080 + i, 'a%d' % i)
            run.open(total)
            took = run.burst(pieces)
            tap.diag('%s, %s: %d segments (%d bytes) after a %d-byte hole taken in %.2f s'
                     % (name, label, len(pieces), sum(n for _, n in pieces), HOLE, took))
            done, secs, why = run.recover(total)
            tap.diag('%s, %s: %s %.2f s after the hole was filled, %d segments resent'
                     % (name, label, why, secs, run.resent))
            tap.ok(done, '%s: every byte acknowledged, the connection never wedged (%s)'
                   % (label, why))
            if done:
                try:
                    it.run_line('app-wait a%d %d' % (i, BOUND))
                    read_ok, what = True, '%d bytes' % total
                except peer.TestFailure as e:
                    read_ok, what = False, str(e)
            else:
                read_ok, what = False, 'not delivered'
            tap.ok(read_ok, '%s: the application reads the %d-byte stream byte for byte (%s)'
                   % (label, total, what))
        m1 = peer.read_mibs(proto)
        for k in ('PruneCalled', 'OfoPruned'):
            if k in m1:
                d = m1[k] - m0.get(k, 0)
                tap.ok(d > 0, '%s moved: +%d' % (k, d))
            else:
                tap.ok(False, 'the dut has a %s counter' % k)
    except (peer.TestFailure, peer.ScriptError) as e:
        it.report_failure(tap.diag, e)
    finally:
        it.cleanup()
        sess.close()
    tap.done()


if __name__ == '__main__':
    main()
