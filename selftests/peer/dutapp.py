#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""dut-side socket application for the packet peer.

    dutapp.py [--proto N] [ACTIONS...]

Runs ACTIONS (from the command line, then from stdin, one command line at a
time as "ID ACTIONS").  After each line it prints "@@done ID", or
"@@fail ID reason" when an action failed.  At EOF on stdin it exits, which
closes every socket it still holds (as a process exit does).

Actions are separated by ';'.  Any action takes err=ENAME to require that it
fail with that errno (e.g. `connect 10.253.1.2:9 err=ECONNREFUSED`).

  listen [IP:]PORT [backlog=N]   socket, SO_REUSEADDR, bind, listen
  accept [name=X]                accept a connection (becomes current)
  connect IP:PORT [bind=PORT] [name=X] [nonblock=1] [user_timeout=MS]
  wait-connect [timeout=T]       poll a non-blocking connect, check SO_ERROR
  use NAME                       make NAME the current connection
  write TEXT | write-len N       send (TEXT with C escapes; N pattern bytes);
                                 flags=more,eor,oob: MSG_MORE, MSG_EOR,
                                 MSG_OOB
  send-len N [ret=M]             one send() of N pattern bytes, blocking:
                                 print what it returned, which must be M
  read [N] [data=TEXT]           one recv() of up to N bytes (default 65536);
                                 flags=oob,peek,dontwait
  oobinline [0|1] | atmark N     SO_OOBINLINE; SIOCATMARK must answer N
  read-exact N | read-exact data=TEXT
  read-eof [data=TEXT] [len=N]   read until EOF, check what came
  shutdown wr|rd|rdwr
  close | close-listener
  quickack [0|1] | nodelay [0|1] | linger0 | linger2 SECS
  rcvbuf N | sndbuf N | keepalive IDLE INTVL CNT | syncnt N
  cork [0|1] | inq [0|1]
  notsent-lowat N | user-timeout MS | window-clamp N
  defer-accept SECS              on the listener
  state                          print the TCP_INFO state byte
  congestion NAME                TCP_CONGESTION on the current socket, or the
                                 listener if there is none yet
  tcpinfo [cwnd=A[..B]] [ssthresh=A[..B]] [ca_state=A[..B]] [options=A[..B]]
          [sacked=A[..B]] [lost=A[..B]]
                                 print those TCP_INFO fields, and fail if one
                                 is outside its range
  sleep SECS | exit [STATUS]
"""

import codecs
import errno
import fcntl
import os
import select
import shlex
import socket
import struct
import sys
import time

SOL_TCP = 6
TCP_NODELAY, TCP_KEEPIDLE, TCP_KEEPINTVL, TCP_KEEPCNT = 1, 4, 5, 6
TCP_SYNCNT, TCP_LINGER2, TCP_INFO, TCP_QUICKACK = 7, 8, 11, 12
TCP_CONGESTION = 13
TCP_CORK, TCP_DEFER_ACCEPT, TCP_WINDOW_CLAMP = 3, 9, 10
TCP_USER_TIMEOUT, TCP_NOTSENT_LOWAT, TCP_INQ = 18, 25, 36
MSG_FLAGS = {'more': socket.MSG_MORE, 'eor': socket.MSG_EOR,
             'oob': socket.MSG_OOB, 'peek': socket.MSG_PEEK,
             'dontwait': socket.MSG_DONTWAIT}
SIOCATMARK = 0x8905
# struct tcp_info: offsets of the fields `tcpinfo` checks.
TCP_INFO_FIELDS = {'ca_state': ('B', 1), 'options': ('B', 5), 'sacked': ('I', 28),
                   'lost': ('I', 32), 'ssthresh': ('I', 76), 'cwnd': ('I', 80)}

proto = 253
KEYS = ('data', 'len', 'offset', 'err', 'name', 'bind', 'nonblock', 'timeout',
        'backlog', 'cwnd', 'ssthresh', 'ca_state', 'options', 'sacked', 'lost',
        'flags', 'user_timeout', 'ret')
socks = {}
cur = {'name': 'c'}
listener = [None]


class Fail(Exception):
    pass


def decode(s):
    return codecs.escape_decode(s.encode('latin-1', 'backslashreplace'))[0]


def pattern(offset, n):
    return bytes(97 + (offset + i) % 26 for i in range(n))


def addr(s, default_ip='0.0.0.0'):
    if ':' in s:
        h, p = s.rsplit(':', 1)
        return (h or default_ip, int(p))
    return (default_ip, int(s))


def sock():
    s = socks.get(cur['name'])
    if s is None:
        raise Fail('no connection %r' % cur['name'])
    return s


def new_socket():
    return socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)


def msg_flags(kw):
    f = 0
    for name in filter(None, kw.get('flags', '').split(',')):
        f |= MSG_FLAGS[name]
    return f


def send_all(s, data, flags):
    while data:
        n = s.send(data, flags)
        data = data[n:]


def act(args, kw):
    a = args[0]
    if a == 'listen':
        s = new_socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(addr(args[1]))
        s.listen(int(kw.get('backlog', 128)))
        listener[0] = s
    elif a == 'accept':
        if listener[0] is None:
            raise Fail('not listening')
        c, peer = listener[0].accept()
        name = kw.get('name', 'c')
        socks[name] = c
        cur['name'] = name
        print('accepted %s:%d' % peer)
    elif a == 'connect':
        s = new_socket()
        name = kw.get('name', 'c')
        socks[name] = s
        cur['name'] = name
        if 'bind' in kw:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(addr(kw['bind']))
        if 'user_timeout' in kw:
            s.setsockopt(SOL_TCP, TCP_USER_TIMEOUT, int(kw['user_timeout']))
        if kw.get('nonblock') == '1':
            s.setblocking(False)
            rc = s.connect_ex(addr(args[1]))
            if rc != errno.EINPROGRESS:
                raise OSError(rc, os.strerror(rc))
        else:
            s.connect(addr(args[1]))
            print('connected from %s:%d' % s.getsockname())
    elif a == 'wait-connect':
        s = sock()
        t = float(kw.get('timeout', 30))
        _, w, _ = select.select([], [s], [], t)
        if not w:
            raise Fail('connect did not complete within %ss' % t)
        e = s.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
        s.setblocking(True)
        if e:
            raise OSError(e, os.strerror(e))
    elif a == 'use':
        cur['name'] = args[1]
    elif a == 'write':
        send_all(sock(), decode(' '.join(args[1:])) if len(args) > 1 else decode(kw['data']),
                 msg_flags(kw))
    elif a == 'write-len':
        send_all(sock(), pattern(int(kw.get('offset', 0)), int(args[1])), msg_flags(kw))
    elif a == 'send-len':
        n = sock().send(pattern(int(kw.get('offset', 0)), int(args[1])), msg_flags(kw))
        print('sent %d' % n)
        if 'ret' in kw and n != int(kw['ret']):
            raise Fail('send returned %d, expected %s' % (n, kw['ret']))
    elif a == 'read':
        n = int(args[1]) if len(args) > 1 else 65536
        d = sock().recv(n, msg_flags(kw))
        print('read %d: %r' % (len(d), d[:64]))
        if 'data' in kw and d != decode(kw['data']):
            raise Fail('read %r, expected %r' % (d, decode(kw['data'])))
    elif a == 'read-exact':
        want = decode(kw['data']) if 'data' in kw else None
        if 'len' in kw:
            want = pattern(int(kw.get('offset', 0)), int(kw['len']))
        n = len(want) if want is not None else int(args[1])
        got = b''
        while len(got) < n:
            d = sock().recv(n - len(got))
            if not d:
                raise Fail('EOF after %d of %d bytes' % (len(got), n))
            got += d
        if want is not None and got != want:
            raise Fail('read %r, expected %r' % (got, want))
        print('read %d bytes' % n)
    elif a == 'read-eof':
        got = b''
        while True:
            d = sock().recv(65536)
            if not d:
                break
            got += d
        print('read %d bytes then EOF' % len(got))
        if 'data' in kw and got != decode(kw['data']):
            raise Fail('read %r, expected %r' % (got[:80], decode(kw['data'])))
        if 'len' in kw:
            n = int(kw['len'])
            if got != pattern(int(kw.get('offset', 0)), n):
                raise Fail('read %d bytes, expected the %d-byte pattern' % (len(got), n))
    elif a == 'shutdown':
        how = {'rd': socket.SHUT_RD, 'wr': socket.SHUT_WR, 'rdwr': socket.SHUT_RDWR}[args[1]]
        sock().shutdown(how)
    elif a == 'close':
        sock().close()
        del socks[cur['name']]
    elif a == 'close-listener':
        listener[0].close()
        listener[0] = None
    elif a == 'quickack':
        sock().setsockopt(SOL_TCP, TCP_QUICKACK, int(args[1]) if len(args) > 1 else 1)
    elif a == 'oobinline':
        sock().setsockopt(socket.SOL_SOCKET, socket.SO_OOBINLINE,
                          int(args[1]) if len(args) > 1 else 1)
    elif a == 'atmark':
        m = struct.unpack('i', fcntl.ioctl(sock().fileno(), SIOCATMARK, b'\0' * 4))[0]
        print('atmark %d' % m)
        if m != int(args[1]):
            raise Fail('SIOCATMARK %d, expected %s' % (m, args[1]))
    elif a == 'nodelay':
        sock().setsockopt(SOL_TCP, TCP_NODELAY, int(args[1]) if len(args) > 1 else 1)
    elif a == 'linger0':
        sock().setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
    elif a == 'linger2':
        sock().setsockopt(SOL_TCP, TCP_LINGER2, int(args[1]))
    elif a in ('rcvbuf', 'sndbuf'):
        opt = socket.SO_RCVBUF if a == 'rcvbuf' else socket.SO_SNDBUF
        s = socks.get(cur['name']) or listener[0]
        s.setsockopt(socket.SOL_SOCKET, opt, int(args[1]))
    elif a == 'keepalive':
        s = sock()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_KEEPALIVE, 1)
        s.setsockopt(SOL_TCP, TCP_KEEPIDLE, int(args[1]))
        s.setsockopt(SOL_TCP, TCP_KEEPINTVL, int(args[2]))
        s.setsockopt(SOL_TCP, TCP_KEEPCNT, int(args[3]))
    elif a == 'syncnt':
        s = socks.get(cur['name'])
        s.setsockopt(SOL_TCP, TCP_SYNCNT, int(args[1]))
    elif a in ('cork', 'inq'):
        opt = TCP_CORK if a == 'cork' else TCP_INQ
        sock().setsockopt(SOL_TCP, opt, int(args[1]) if len(args) > 1 else 1)
    elif a in ('notsent-lowat', 'user-timeout', 'window-clamp'):
        opt = {'notsent-lowat': TCP_NOTSENT_LOWAT, 'user-timeout': TCP_USER_TIMEOUT,
               'window-clamp': TCP_WINDOW_CLAMP}[a]
        s = socks.get(cur['name']) or listener[0]
        s.setsockopt(SOL_TCP, opt, int(args[1]))
    elif a == 'defer-accept':
        listener[0].setsockopt(SOL_TCP, TCP_DEFER_ACCEPT, int(args[1]))
    elif a == 'state':
        info = sock().getsockopt(SOL_TCP, TCP_INFO, 8)
        print('state %d' % info[0])
    elif a == 'congestion':
        s = socks.get(cur['name']) or listener[0]
        s.setsockopt(SOL_TCP, TCP_CONGESTION, args[1].encode())
    elif a == 'tcpinfo':
        info = sock().getsockopt(SOL_TCP, TCP_INFO, 104)
        vals = {k: struct.unpack_from(f, info, off)[0]
                for k, (f, off) in TCP_INFO_FIELDS.items()}
        print('tcpinfo ' + ' '.join('%s=%d' % kv for kv in sorted(vals.items())))
        for k, want in kw.items():
            if k not in vals:
                continue
            lo, _, hi = want.partition('..')
            if not int(lo) <= vals[k] <= int(hi or lo):
                raise Fail('tcpinfo: %s=%d, not %s' % (k, vals[k], want))
    elif a == 'sleep':
        time.sleep(float(args[1]))
    elif a == 'exit':
        sys.stdout.flush()
        os._exit(int(args[1]) if len(args) > 1 else 0)
    else:
        raise Fail('unknown action %r' % a)


def run(line):
    lex = shlex.shlex(line, posix=True, punctuation_chars=';')
    lex.whitespace_split = True
    toks = list(lex)
    groups = [[]]
    for t in toks:
        if t == ';':
            groups.append([])
        else:
            groups[-1].append(t)
    for g in groups:
        if not g:
            continue
        args = [t for t in g if t.split('=', 1)[0] not in KEYS or '=' not in t]
        kw = dict(t.split('=', 1) for t in g if t.split('=', 1)[0] in KEYS and '=' in t)
        want = kw.pop('err', None)
        try:
            act(args, kw)
        except OSError as e:
            name = errno.errorcode.get(e.errno, str(e.errno))
            if want != name:
                raise Fail('%s: %s (%s)' % (' '.join(g), name, e.strerror))
            print('%s: %s as expected' % (args[0], name))
            continue
        if want:
            raise Fail('%s: succeeded, expected %s' % (' '.join(g), want))


def main(argv=None):
    global proto
    if argv is None:
        argv = sys.argv[1:]
    if argv[:1] == ['--proto']:
        proto = int(argv[1])
        argv = argv[2:]
    if argv:
        try:
            run(' '.join(shlex.quote(a) for a in argv))
            print('@@done 0', flush=True)
        except Exception as e:
            print('@@fail 0 %s' % e, flush=True)
            return 1
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        i, _, rest = line.partition(' ')
        try:
            run(rest)
            print('@@done %s' % i, flush=True)
        except Exception as e:
            print('@@fail %s %s' % (i, e), flush=True)
    return 0


if __name__ == '__main__':
    sys.exit(main())
