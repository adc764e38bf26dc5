# SPDX-License-Identifier: GPL-2.0
"""What the dut namespace's /proc says about the protocol: its sockets and
their states, their delayed-ACK engines, its counters."""

import os
import socket
import struct
import sys

from .errors import TestFailure

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'lib'))
# Protocol counters of the current netns: atcp_stat, or Tcp/TcpExt for proto 6.
from nstest import counters as read_mibs  # noqa: E402,F401

STATES = {
    1: 'ESTABLISHED', 2: 'SYN_SENT', 3: 'SYN_RECV', 4: 'FIN_WAIT1',
    5: 'FIN_WAIT2', 6: 'TIME_WAIT', 7: 'CLOSE', 8: 'CLOSE_WAIT',
    9: 'LAST_ACK', 10: 'LISTEN', 11: 'CLOSING', 12: 'NEW_SYN_RECV',
}
STATE_ALIASES = {
    'SYN_RCVD': 'SYN_RECV', 'FIN_WAIT_1': 'FIN_WAIT1', 'FIN_WAIT_2': 'FIN_WAIT2',
    'CLOSED': 'CLOSE', 'TIMEWAIT': 'TIME_WAIT', 'LASTACK': 'LAST_ACK',
}



def hexaddr(s):
    """'0101FD0A:1F90' (as /proc/net/tcp prints it) or '10.253.1.1:8080'."""
    host, port = s.rsplit(':', 1)
    if '.' in host:
        return host, int(port)
    if len(host) == 8:
        ip = socket.inet_ntoa(struct.pack('<I', int(host, 16)))
    else:
        ip = host  # IPv6: keep as hex
    return ip, int(port, 16)


def read_sockets(proto):
    """All sockets of the protocol in the current netns: [(local, remote, state)].

    Tolerant parser for /proc/net/atcp (or /proc/net/tcp for proto 6): the
    first line is a header, each other line starts `sl local rem st ...` with
    addresses in hex (or dotted) and the state in hex as /proc/net/tcp has it.
    """
    name = 'tcp' if proto == 6 else 'atcp'
    out = []
    for base in ('/proc/thread-self/net/', '/proc/net/'):
        try:
            with open(base + name) as f:
                lines = f.read().splitlines()
            break
        except OSError:
            lines = None
    if lines is None:
        raise TestFailure('cannot read /proc/net/%s' % name)
    for ln in lines:
        f = ln.split()
        if len(f) < 4 or not f[0].rstrip(':').isdigit():
            continue
        try:
            loc = hexaddr(f[1])
            rem = hexaddr(f[2])
            st = int(f[3], 16)
        except ValueError:
            continue
        out.append((loc, rem, STATES.get(st, 'UNKNOWN_%02X' % st)))
    return out


def read_ack_state(proto):
    """The delayed-ACK columns of /proc/net/atcp (/proc/net/tcp for proto 6):
    [(local, remote, state, rto, ato, quick, pingpong)].  Both files print
    `rto` and `ato` in USER_HZ ticks, then `(quick << 1) | pingpong`."""
    name = 'tcp' if proto == 6 else 'atcp'
    out = []
    with open('/proc/thread-self/net/' + name) as f:
        lines = f.read().splitlines()
    for ln in lines:
        f = ln.split()
        if len(f) < 15 or not f[0].rstrip(':').isdigit():
            continue
        try:
            qp = int(f[14])
            out.append((hexaddr(f[1]), hexaddr(f[2]), STATES.get(int(f[3], 16), '?'),
                        int(f[12]), int(f[13]), qp >> 1, qp & 1))
        except ValueError:
            continue
    return out


def norm_state(s):
    s = s.upper()
    s = STATE_ALIASES.get(s, s)
    return s
