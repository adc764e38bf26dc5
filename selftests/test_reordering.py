#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""test_reordering.py - segments that arrive out of order but are not
lost: the sender learns the reordering and stops treating it as loss.

netem on the client's link delays each segment by 5 ms +- 4 ms, so later
segments often overtake earlier ones; nothing is dropped.  The client
sends 4 MiB.  When a segment that was sent once is SACKed, or
cumulatively ACKed, below data SACKed before it, that was reordering:
atcp counts it (ReorderSeen) and raises its DupThresh to the degree
seen (the tcp_info reordering field, 3 at the start), as Linux TCP does
(tcp_check_sack_reordering, TCPSACKReorder).  The data must arrive whole.
Linux TCP runs the same transfer; both times and DupThresh are printed.
"""

import os
import socket
import struct
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
from nstest import NetnsPair, Tap, counters, proto_under_test, pump  # noqa: E402

SIZE = 4 << 20
REORDER_SEEN = {6: 'TCPSACKReorder'}
TCPI_REORDERING = 88        # offset of tcpi_reordering in struct tcp_info


def reordering(s):
    info = s.getsockopt(socket.IPPROTO_TCP, socket.TCP_INFO, 104)
    return struct.unpack_from('I', info, TCPI_REORDERING)[0]


def run(pair, proto):
    data = os.urandom(SIZE)
    key = REORDER_SEEN.get(proto, 'ReorderSeen')
    cli, conn = pair.connected(proto)
    start = reordering(cli)
    seen0 = counters(proto).get(key, 0)
    pair.tc('a', 'qdisc', 'add', 'dev', pair.va, 'root', 'netem', 'delay', '5ms', '4ms')
    cli.setblocking(False)
    conn.setblocking(False)
    t0 = time.monotonic()
    _, _, whole = pump(cli, conn, data, t0 + 120)
    took = time.monotonic() - t0
    res = {'whole': whole,
           'took': took, 'start': start, 'end': reordering(cli),
           'seen': counters(proto).get(key, 0) - seen0}
    pair.leave()
    pair.tc('a', 'qdisc', 'del', 'dev', pair.va, 'root')
    cli.close()
    conn.close()
    return res


def main():
    proto = proto_under_test()
    tap = Tap(4)
    pair = NetnsPair()
    a = run(pair, proto)
    t = run(pair, 6)
    for name, r in (('atcp', a), ('Linux TCP', t)):
        tap.diag('%s: 4 MiB in %.2f s, reordering seen %d times, DupThresh %d -> %d' % (
            name, r['took'], r['seen'], r['start'], r['end']))
    tap.ok(a['whole'], 'all 4 MiB arrive, in order, over a link that reorders')
    tap.ok(a['seen'] > 0, 'the reordering is seen (ReorderSeen %d)' % a['seen'])
    tap.ok(a['start'] == 3 and a['end'] > 3,
           'DupThresh starts at 3 and rises to the degree seen (tcp_info reordering %d -> %d)'
           % (a['start'], a['end']))
    tap.ok(t['whole'] and t['end'] > 3,
           'Linux TCP, same run: the data arrives and its reordering rises too (%d)' % t['end'])
    tap.done()


if __name__ == '__main__':
    main()
