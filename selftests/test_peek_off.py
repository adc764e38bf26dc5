#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""test_peek_off.py - SO_PEEK_OFF as the running kernel's TCP has it.

Linux's TCP takes SO_PEEK_OFF from 6.9 on, and MSG_PEEK then reads from
the peek offset and moves it; before, setsockopt and getsockopt refuse it
with EOPNOTSUPP.  atcp follows the kernel it runs on.  Over a veth, for
Linux TCP and for atcp in turn, on a connected socket and on a listener:

1. setsockopt(SO_PEEK_OFF, 0) and getsockopt(SO_PEEK_OFF) answer as TCP's
   (the value, or the errno);
2. where TCP takes it: with "abcdefgh" queued, MSG_PEEK of 3 gives "abc",
   then "def" (the offset moved to 6); a read of 2 gives "ab" and brings
   the offset back to 4; MSG_PEEK of 3 then gives "gh"; a read of 6 gives
   "cdefgh".  Every answer equals TCP's; where TCP refuses the option,
   MSG_PEEK always starts at the first unread byte, for both.
"""

import os
import select
import socket
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
from nstest import ADDR_B, Tap, attempt, proto_under_test, run_tcp_then  # noqa: E402

SO_PEEK_OFF = 42


def wait_readable(s, n):
    """Until n bytes are queued (MSG_PEEK of n), at most 10 s."""
    for _ in range(100):
        select.select([s], [], [], 0.1)
        try:
            if len(s.recv(n, socket.MSG_PEEK | socket.MSG_DONTWAIT)) >= n:
                return True
        except BlockingIOError:
            pass
    return False


def run(pair, proto):
    """What each step answers, in order, as strings."""
    out = []
    pair.enter('b')
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    lst.bind((ADDR_B, 0))
    lst.listen(1)
    out.append('listener set: %s' %
               attempt(lambda: lst.setsockopt(socket.SOL_SOCKET, SO_PEEK_OFF, 0)))
    out.append('listener get: %s' %
               attempt(lambda: lst.getsockopt(socket.SOL_SOCKET, SO_PEEK_OFF)))
    lst.close()
    cli, srv = pair.connected(proto)
    cli.sendall(b'abcdefgh')
    if not wait_readable(srv, 8):
        out.append('the 8 bytes never arrived')
        return out
    out.append('get before: %s' %
               attempt(lambda: srv.getsockopt(socket.SOL_SOCKET, SO_PEEK_OFF)))
    out.append('set 0: %s' %
               attempt(lambda: srv.setsockopt(socket.SOL_SOCKET, SO_PEEK_OFF, 0)))
    for what, n, flags in (('peek', 3, socket.MSG_PEEK), ('peek', 3, socket.MSG_PEEK),
                           ('read', 2, 0), ('peek', 3, socket.MSG_PEEK),
                           ('read', 6, 0)):
        data = attempt(lambda: srv.recv(n, flags | socket.MSG_DONTWAIT))
        off = attempt(lambda: srv.getsockopt(socket.SOL_SOCKET, SO_PEEK_OFF))
        out.append('%s %d: %r, offset %s' % (what, n, data, off))
    cli.close()
    srv.close()
    return out


def main():
    proto = proto_under_test()
    tap = Tap(3)
    tcp, atcp = run_tcp_then(proto, run)
    for a, b in zip(tcp, atcp):
        tap.diag('tcp: %-42s atcp: %s' % (a, b))
    taken = 'set 0: None' in tcp
    tap.diag('this kernel\'s TCP %s SO_PEEK_OFF (%s)' %
             ('takes' if taken else 'refuses', os.uname().release))
    tap.ok(tcp[:4] == atcp[:4],
           'SO_PEEK_OFF set and read, on a listener and a connection: as TCP')
    tap.ok(tcp[4:] == atcp[4:],
           'MSG_PEEK and reads with the offset set: the same bytes and offsets as TCP')
    want = ("peek 3: b'abc'", "peek 3: b'def'", "read 2: b'ab'",
            "peek 3: b'gh'", "read 6: b'cdefgh'") if taken else \
        ("peek 3: b'abc'", "peek 3: b'abc'", "read 2: b'ab'",
         "peek 3: b'cde'", "read 6: b'cdefgh'")
    got = tuple(x.split(',')[0] for x in atcp[4:])
    tap.ok(got == want, 'atcp: %s' % '; '.join(got))
    tap.done()


if __name__ == '__main__':
    main()
