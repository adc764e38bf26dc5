#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""soak-traffic.py: request/response traffic for scripts/soak, verified.

    soak-traffic.py server [--port P] [--ready FILE]
    soak-traffic.py rr|crr|abort --addr A --port P --seconds S [--seed N]

The server (threads, one per connection) serves every client mode; it
listens on ADDR 0.0.0.0 and writes "PORT\\n" to --ready once listening.

Each request is a header "!BIII" (op, payload length, reply length, tag)
and a payload; replies are a deterministic pattern of (tag, length), which
the client checks byte for byte.  Ops:
  1 ECHO         reply, keep the connection for the next request
  2 CLOSE_FIRST  reply, then the server closes first
  3 ABORT        the server reads the header, then aborts (SO_LINGER 0)
  4 UNREAD       the server closes without reading the payload (a RST)

Clients run for --seconds, then print "MODE: N ok, M failed, K errors"
(errors: unexpected socket errors and mismatches, which fail) and exit 1 on
any failure:
  rr     one connection, many ECHO requests of random sizes, reconnecting
         every few hundred requests
  crr    connect, one request (ECHO then the client closes, or CLOSE_FIRST),
         close: connections opened and closed as fast as they go
  abort  connections that end abnormally: the server aborts, the server
         closes with data unread, the client aborts (SO_LINGER 0) in the
         middle of a reply, the client closes with a reply unread, a
         connect to a port where nothing listens
The protocol is $ATCP_PROTO (default 253).
"""
import argparse
import errno
import os
import random
import socket
import struct
import sys
import threading
import time

PROTO = int(os.environ.get("ATCP_PROTO", "253"))
HDR = struct.Struct("!BIII")
ECHO, CLOSE_FIRST, ABORT, UNREAD = 1, 2, 3, 4
TIMEOUT = 60.0
LINGER0 = struct.pack("ii", 1, 0)


def pattern(tag, n):
    """n bytes determined by tag (cheap: a repeated 251-byte block)."""
    block = bytes((tag * 7 + i * 13) & 0xFF for i in range(251))
    reps = n // len(block) + 1
    return (block * reps)[:n]


def recv_exact(s, n):
    buf = bytearray()
    while len(buf) < n:
        chunk = s.recv(min(n - len(buf), 1 << 16))
        if not chunk:
            return bytes(buf)
        buf += chunk
    return bytes(buf)


def new_socket():
    return socket.socket(socket.AF_INET, socket.SOCK_STREAM, PROTO)


# ---------------------------------------------------------------------------
# Server.

def serve_conn(c):
    try:
        c.settimeout(TIMEOUT)
        while True:
            h = recv_exact(c, HDR.size)
            if len(h) < HDR.size:
                return
            op, plen, rlen, tag = HDR.unpack(h)
            if op == ABORT:
                c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER0)
                return
            if op == UNREAD:
                return
            p = recv_exact(c, plen)
            if p != pattern(tag, plen):
                sys.stderr.write("server: payload mismatch (tag %d)\n" % tag)
                return
            c.sendall(pattern(tag + 1, rlen))
            if op == CLOSE_FIRST:
                return
    except OSError:
        pass  # the clients abort on purpose; they check the outcome
    finally:
        c.close()


def server(args):
    ls = new_socket()
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind(("0.0.0.0", args.port))
    ls.listen(128)
    if args.ready:
        with open(args.ready, "w") as f:
            f.write("%d\n" % ls.getsockname()[1])
    while True:
        try:
            c, _ = ls.accept()
        except OSError as e:
            if e.errno in (errno.EINTR, errno.ECONNABORTED):
                continue
            raise
        threading.Thread(target=serve_conn, args=(c,), daemon=True).start()


# ---------------------------------------------------------------------------
# Clients.

class Count:
    def __init__(self, mode):
        self.mode, self.ok, self.failed, self.errors = mode, 0, 0, 0

    def fail(self, what):
        self.failed += 1
        if self.failed <= 10:
            sys.stderr.write("%s: %s\n" % (self.mode, what))

    def report(self):
        print("%s: %d ok, %d failed" % (self.mode, self.ok, self.failed))
        return 1 if self.failed else 0


def connect(args):
    s = new_socket()
    s.settimeout(TIMEOUT)
    s.connect((args.addr, args.port))
    return s


def request(s, op, plen, rlen, tag):
    s.sendall(HDR.pack(op, plen, rlen, tag) + pattern(tag, plen))


def rr(args, rnd, cnt, deadline):
    while time.monotonic() < deadline:
        try:
            s = connect(args)
        except OSError as e:
            cnt.fail("connect: %s" % e)
            time.sleep(0.5)
            continue
        try:
            for _ in range(rnd.randrange(50, 500)):
                if time.monotonic() >= deadline:
                    break
                tag = rnd.randrange(1 << 30)
                plen, rlen = rnd.randrange(1, 4000), rnd.randrange(1, 4000)
                request(s, ECHO, plen, rlen, tag)
                if recv_exact(s, rlen) != pattern(tag + 1, rlen):
                    cnt.fail("reply mismatch")
                    break
                cnt.ok += 1
        except OSError as e:
            cnt.fail("rr: %s" % e)
        finally:
            s.close()


def crr(args, rnd, cnt, deadline):
    while time.monotonic() < deadline:
        tag = rnd.randrange(1 << 30)
        plen, rlen = rnd.randrange(1, 2000), rnd.randrange(1, 20000)
        op = rnd.choice((ECHO, CLOSE_FIRST))
        try:
            s = connect(args)
        except OSError as e:
            cnt.fail("connect: %s" % e)
            time.sleep(0.5)
            continue
        try:
            request(s, op, plen, rlen, tag)
            if recv_exact(s, rlen) != pattern(tag + 1, rlen):
                cnt.fail("reply mismatch")
            elif op == CLOSE_FIRST and s.recv(1) != b"":
                cnt.fail("no EOF after CLOSE_FIRST")
            else:
                cnt.ok += 1
        except OSError as e:
            cnt.fail("crr: %s" % e)
        finally:
            s.close()


def abort(args, rnd, cnt, deadline):
    # A port where nothing listens: the connect is refused.
    probe = new_socket()
    probe.bind(("0.0.0.0", 0))
    closed_port = probe.getsockname()[1]
    probe.close()
    while time.monotonic() < deadline:
        kind = rnd.randrange(5)
        tag = rnd.randrange(1 << 30)
        try:
            if kind == 4:
                s = new_socket()
                s.settimeout(TIMEOUT)
                try:
                    s.connect((args.addr, closed_port))
                    cnt.fail("connect to a closed port succeeded")
                except ConnectionRefusedError:
                    cnt.ok += 1
                finally:
                    s.close()
                continue
            s = connect(args)
        except OSError as e:
            cnt.fail("connect: %s" % e)
            time.sleep(0.5)
            continue
        try:
            if kind == 0:
                # The server aborts.  Its one RST may be lost (netem), and
                # then an idle client never hears of it, as with any TCP:
                # so every few seconds we send a byte, which draws a new
                # RST from the peer that has no socket any more.
                request(s, ABORT, 100, 100, tag)
                s.settimeout(3)
                end = time.monotonic() + TIMEOUT
                while True:
                    try:
                        data = s.recv(1)
                    except socket.timeout:
                        if time.monotonic() > end:
                            cnt.fail("no RST within %ds of the server's abort" % TIMEOUT)
                            break
                        s.send(b"x")
                        continue
                    except ConnectionResetError:
                        cnt.ok += 1
                        break
                    if data:
                        cnt.fail("data after the server's abort")
                    else:
                        cnt.ok += 1     # EOF, then the RST: fine too
                    break
            elif kind == 1:
                # The server closes with our payload unread.
                request(s, UNREAD, rnd.randrange(1000, 50000), 0, tag)
                try:
                    while s.recv(65536):
                        pass
                    cnt.ok += 1
                except ConnectionResetError:
                    cnt.ok += 1
            elif kind == 2:
                # We abort in the middle of a large reply.
                request(s, ECHO, 10, 1 << 20, tag)
                recv_exact(s, rnd.randrange(1, 100000))
                s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, LINGER0)
                cnt.ok += 1
            else:
                # We close with the reply unread (our close sends a RST).
                request(s, ECHO, 10, rnd.randrange(1, 300000), tag)
                time.sleep(rnd.random() * 0.05)
                cnt.ok += 1
        except OSError as e:
            if kind in (0, 1) and e.errno in (errno.ECONNRESET, errno.EPIPE):
                cnt.ok += 1
            else:
                cnt.fail("abort kind %d: %s" % (kind, e))
        finally:
            s.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("mode", choices=("server", "rr", "crr", "abort"))
    ap.add_argument("--addr", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--ready")
    ap.add_argument("--seconds", type=float, default=60)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    if args.mode == "server":
        server(args)
        return 0
    rnd = random.Random(args.seed)
    cnt = Count(args.mode)
    deadline = time.monotonic() + args.seconds
    {"rr": rr, "crr": crr, "abort": abort}[args.mode](args, rnd, cnt, deadline)
    return cnt.report()


if __name__ == "__main__":
    sys.exit(main())
