#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""test_congestion.py - congestion control behind an ops table: what
TCP_CONGESTION and the sysctls say is what runs, as with Linux's TCP.

1. net.atcp.available_congestion_control names reno and cubic; a new
   namespace's net.atcp.congestion_control is cubic (Linux's
   net.ipv4.tcp_congestion_control alongside: cubic too); writing a name
   that does not exist fails with ENOENT and keeps the value.
2. TCP_CONGESTION: a new socket reads back its namespace's default; "reno"
   and "cubic" are taken and read back; an unknown name fails with ENOENT,
   exactly as on a TCP socket; the default set by the sysctl reaches new
   sockets, and a listener's choice reaches the connections it accepts.
3. Each carries a transfer over a veth with netem loss whole, and
   reports a threshold once it has lost (what each sets after a loss is
   checked segment by segment by peer/scripts/cong-*-ssthresh.pkt).
4. Another module's algorithm (selftests/kmod/atcp_cc_const.ko, a window
   of 7 segments always): once loaded it is available, a socket that picks
   it runs with a window of 7, its module cannot go while that socket
   lives, and goes once the socket is closed.
"""

import ctypes
import errno
import os
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
from nstest import NetnsPair, Tap, atcp_only, proto_under_test, wait_until  # noqa: E402

TCP_CONGESTION = 13
TCP_INFO = 11
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)


def tcp_info(s):
    raw = s.getsockopt(socket.SOL_TCP, TCP_INFO, 232)
    # struct tcp_info: u8 state, ca_state, ...; u32 from offset 8.
    u32 = struct.unpack_from('24I', raw, 8)
    return {'ca_state': raw[1], 'snd_ssthresh': u32[17], 'snd_cwnd': u32[18],
            'total_retrans': u32[23]}


def get_cc(s):
    return s.getsockopt(socket.SOL_TCP, TCP_CONGESTION, 16).rstrip(b'\0').decode()


def set_cc(s, name):
    try:
        s.setsockopt(socket.SOL_TCP, TCP_CONGESTION, name.encode())
        return 0
    except OSError as e:
        return e.errno


def sysctl_write(path, value):
    try:
        with open(path, 'w') as f:
            f.write(value)
        return 0
    except OSError as e:
        return e.errno


def read(path):
    with open(path) as f:
        return f.read().strip()


def transfer(pair, proto, cc, size=2 << 20):
    """size bytes a -> b over the pair, with TCP_CONGESTION cc; the
    sender's tcp_info at the end."""
    pair.enter('b')
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    srv.bind(('10.253.0.2', 0))
    srv.listen(1)
    got = [0]

    def reader():
        c, _ = srv.accept()
        while True:
            d = c.recv(1 << 16)
            if not d:
                break
            got[0] += len(d)
        c.close()
    t = threading.Thread(target=reader)
    t.start()
    pair.enter('a')
    cli = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    set_cc(cli, cc)
    cli.connect(srv.getsockname())
    cli.sendall(b'x' * size)
    info = tcp_info(cli)
    cli.close()
    t.join(60)
    srv.close()
    return info, got[0]


def main():
    proto = proto_under_test()
    tap = Tap(17)
    atcp_only(proto, 'net.atcp.* and atcp_cc_const are atcp\'s')
    pair = NetnsPair()
    pair.enter('a')
    avail = read('/proc/sys/net/atcp/available_congestion_control').split()
    tap.ok('reno' in avail and 'cubic' in avail,
           'available_congestion_control: %s' % ' '.join(avail))
    default = read('/proc/sys/net/atcp/congestion_control')
    linux = read('/proc/sys/net/ipv4/tcp_congestion_control')
    tap.ok(default == 'cubic' == linux,
           'a new namespace\'s default is cubic (Linux TCP: %s)' % linux)
    rc = sysctl_write('/proc/sys/net/atcp/congestion_control', 'nope')
    rc_tcp = sysctl_write('/proc/sys/net/ipv4/tcp_congestion_control', 'nope')
    tap.ok(rc == errno.ENOENT == rc_tcp and
           read('/proc/sys/net/atcp/congestion_control') == 'cubic',
           'an unknown name fails with %s (Linux TCP: %s), cubic stays' %
           (errno.errorcode.get(rc, rc), errno.errorcode.get(rc_tcp, rc_tcp)))

    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    t = socket.socket(socket.AF_INET, socket.SOCK_STREAM, 6)
    tap.ok(get_cc(s) == 'cubic', 'a new socket reads back cubic')
    ok = set_cc(s, 'reno') == 0 and get_cc(s) == 'reno' and \
        set_cc(s, 'cubic') == 0 and get_cc(s) == 'cubic'
    tap.ok(ok, 'TCP_CONGESTION reno, then cubic: each read back')
    rc, rc_tcp = set_cc(s, 'nope'), set_cc(t, 'nope')
    tap.ok(rc == errno.ENOENT == rc_tcp and get_cc(s) == 'cubic',
           'TCP_CONGESTION "nope" fails with %s, as on a TCP socket (%s)' %
           (errno.errorcode.get(rc, rc), errno.errorcode.get(rc_tcp, rc_tcp)))
    s.close()
    t.close()
    tap.ok(sysctl_write('/proc/sys/net/atcp/congestion_control', 'reno') == 0,
           'net.atcp.congestion_control=reno is taken')
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    tap.ok(get_cc(s) == 'reno', 'a socket made after it reads back reno')
    s.close()
    sysctl_write('/proc/sys/net/atcp/congestion_control', 'cubic')

    # A listener's algorithm is its children's.
    pair.enter('b')
    lst = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    set_cc(lst, 'reno')
    lst.bind(('10.253.0.2', 0))
    lst.listen(1)
    pair.enter('a')
    c = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    c.connect(lst.getsockname())
    child, _ = lst.accept()
    tap.ok(get_cc(child) == 'reno' and get_cc(c) == 'cubic',
           'an accepted socket has its listener\'s reno (the client: %s)' % get_cc(c))
    for x in (c, child, lst):
        x.close()

    # The algorithm decides the window after a loss.  One segment a
    # packet: netem drops a super-segment as one packet, and 2 MiB in a
    # few dozen of them may lose none.
    pair.ip('a', 'link', 'set', 'dev', pair.va, 'gso_max_segs', '1')
    pair.tc('a', 'qdisc', 'add', 'dev', pair.va, 'root', 'netem', 'delay', '5ms',
            'loss', '2%')
    results = {}
    for cc in ('reno', 'cubic'):
        info, got = transfer(pair, proto, cc)
        info['got'] = got
        results[cc] = info
        tap.diag('%s: ca_state %d cwnd %d ssthresh %d retrans %d, %d bytes' %
                 (cc, info['ca_state'], info['snd_cwnd'], info['snd_ssthresh'],
                  info['total_retrans'], got))
    pair.tc('a', 'qdisc', 'del', 'dev', pair.va, 'root')
    r, c3 = results['reno'], results['cubic']
    tap.ok(r['got'] == c3['got'] == 2 << 20,
           'over 2%% loss, reno and cubic each carried 2 MiB whole (%d, %d)' %
           (r['got'], c3['got']))
    tap.ok(all(x['total_retrans'] > 0 and 2 <= x['snd_ssthresh'] < 1 << 30
               for x in (r, c3)),
           'both lost segments and set a threshold of two segments or more')

    # Another module's algorithm.
    ko = os.path.join(os.path.dirname(os.path.dirname(
        os.environ.get('ATCP_MODULE', os.path.join(REPO, 'module', 'atcp.ko')))),
        'selftests', 'kmod', 'atcp_cc_const.ko')
    rc = subprocess.run(['insmod', ko, 'cwnd=7']).returncode
    tap.ok(rc == 0 and 'const' in read(
        '/proc/sys/net/atcp/available_congestion_control').split(),
        'insmod atcp_cc_const: "const" is available (%s)' % ko)
    info, got = transfer(pair, proto, 'const', 256 << 10)
    tap.ok(info['snd_cwnd'] == 7 and got == 256 << 10,
           'a socket on "const" sends 256 KiB with a window of %d (7)' % info['snd_cwnd'])
    pair.enter('a')
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    set_cc(s, 'const')
    busy = subprocess.run(['rmmod', 'atcp_cc_const'], stderr=subprocess.DEVNULL).returncode
    tap.ok(busy != 0 and get_cc(s) == 'const',
           'rmmod atcp_cc_const is refused while a socket uses it')
    s.close()
    gone = wait_until(lambda: subprocess.run(['rmmod', 'atcp_cc_const'],
                                             stderr=subprocess.DEVNULL).returncode == 0, 10)
    tap.ok(gone, 'and succeeds once the socket is closed')
    pair.enter('a')
    tap.ok('const' not in read('/proc/sys/net/atcp/available_congestion_control').split(),
           'then "const" is no longer available')
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    tap.ok(set_cc(s, 'const') == errno.ENOENT, 'and TCP_CONGESTION "const" fails with ENOENT')
    s.close()
    tap.done()


if __name__ == '__main__':
    main()
