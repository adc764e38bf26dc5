#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""loadgen.py - many connections over 127.0.0.1 moving data, until killed.

    loadgen.py [-P PROTO] [-n CONNECTIONS] [-b BUFFER]

Opens CONNECTIONS (default 1000) connections to a listener of its own, in
the current namespace, with SO_SNDBUF and SO_RCVBUF of BUFFER bytes
(default 16 KiB: a thousand busy connections with default buffers could
queue gigabytes), then keeps every one of them busy: each client end
writes 4 KiB whenever it can, each server end reads what comes and writes
64 bytes back.  Prints "ready N" once all are established and each has
carried data both ways, then "moved BYTES" every second.  It never closes
anything: it is meant to be killed (the test then checks what the kernel
does with the sockets).
"""

import argparse
import os
import resource
import selectors
import socket
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('-P', type=int, default=int(os.environ.get('ATCP_PROTO', '253')))
    ap.add_argument('-n', type=int, default=1000)
    ap.add_argument('-b', type=int, default=16384)
    args = ap.parse_args()

    def small(x):
        x.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, args.b)
        x.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, args.b)
        return x

    # Two descriptors per connection.
    want = 2 * args.n + 64
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(hard, want)))

    lst = small(socket.socket(socket.AF_INET, socket.SOCK_STREAM, args.P))
    lst.bind(('127.0.0.1', 0))
    lst.listen(128)
    sel = selectors.DefaultSelector()
    pairs = []
    for _ in range(args.n):
        c = small(socket.socket(socket.AF_INET, socket.SOCK_STREAM, args.P))
        c.connect(lst.getsockname())
        s, _ = lst.accept()
        for x in (c, s):
            x.setblocking(False)
        pairs.append((c, s))
        sel.register(c, selectors.EVENT_READ | selectors.EVENT_WRITE, 'client')
        sel.register(s, selectors.EVENT_READ, 'server')
    chunk = b'x' * 4096
    pong = b'y' * 64
    moved = 0
    both = set()
    ready = False
    last = time.monotonic()
    while True:
        for key, ev in sel.select(1):
            sock = key.fileobj
            try:
                if ev & selectors.EVENT_READ:
                    d = sock.recv(65536)
                    moved += len(d)
                    if d and key.data == 'server':
                        sock.send(pong)
                    elif d:
                        both.add(sock.fileno())
                if ev & selectors.EVENT_WRITE and key.data == 'client':
                    moved += sock.send(chunk)
            except (BlockingIOError, InterruptedError):
                pass
        if not ready and len(both) == args.n:
            print('ready %d' % args.n, flush=True)
            ready = True
        now = time.monotonic()
        if now - last >= 1:
            print('moved %d' % moved, flush=True)
            last = now


if __name__ == '__main__':
    sys.exit(main())
