#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""atcp packet-level test peer (our packetdrill).

The peer lives in its own network namespace on one end of a veth pair that
has no IP address, and speaks raw Ethernet frames through AF_PACKET, so the
peer namespace's own kernel stack never answers.  The device under test (dut)
holds the other end, 10.253.1.1/24, with a permanent neighbour entry for the
peer (10.253.1.2) and a route for 10.253.0.0/16 through it (spoofed sources).

Scripts (selftests/peer/scripts/*.pkt) name the segments to send and to
expect; see selftests/peer/README.md for the syntax.  `--proto 6` makes the
peer speak real TCP so that scripts can be checked against Linux's TCP.

Usable as a library too (a fuzzer imports it): Session, Peer, Seg.
"""

import codecs
import ctypes
import errno
import fcntl
import os
import queue
import random
import re
import select
import shlex
import signal
import socket
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'lib'))
# Protocol counters of the current netns: atcp_stat, or Tcp/TcpExt for proto 6.
from nstest import counters as read_mibs  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
DUTAPP = os.path.join(HERE, 'dutapp.py')

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806
SOL_PACKET = 263
PACKET_AUXDATA = 8
PACKET_IGNORE_OUTGOING = 23
SO_TIMESTAMPNS = 35
TP_STATUS_CSUMNOTREADY = 0x8
CLONE_NEWNET = 0x40000000
SIOCETHTOOL = 0x8946
ETHTOOL_STXCSUM = 0x17
ETHTOOL_STSO = 0x1f
ETHTOOL_SGSO = 0x24

DUT_IP = '10.253.1.1'
PEER_IP = '10.253.1.2'
DUT_MAC = '02:00:0a:fd:01:01'
PEER_MAC = '02:00:0a:fd:01:02'
DUT_IF = 'atcpd0'
PEER_IF = 'atcpp0'
SPOOF_NET = '10.253.0.0/16'

M32 = 0xffffffff

# TCP flag letters as tcpdump prints them, in tcpdump's order.
FLAGS = [('F', 0x01), ('S', 0x02), ('R', 0x04), ('P', 0x08), ('.', 0x10),
         ('U', 0x20), ('E', 0x40), ('W', 0x80), ('N', 0x100)]
FLAG_BIT = dict(FLAGS)
F_FIN, F_SYN, F_RST, F_PSH, F_ACK = 0x01, 0x02, 0x04, 0x08, 0x10

STATES = {
    1: 'ESTABLISHED', 2: 'SYN_SENT', 3: 'SYN_RECV', 4: 'FIN_WAIT1',
    5: 'FIN_WAIT2', 6: 'TIME_WAIT', 7: 'CLOSE', 8: 'CLOSE_WAIT',
    9: 'LAST_ACK', 10: 'LISTEN', 11: 'CLOSING', 12: 'NEW_SYN_RECV',
}
STATE_ALIASES = {
    'SYN_RCVD': 'SYN_RECV', 'FIN_WAIT_1': 'FIN_WAIT1', 'FIN_WAIT_2': 'FIN_WAIT2',
    'CLOSED': 'CLOSE', 'TIMEWAIT': 'TIME_WAIT', 'LASTACK': 'LAST_ACK',
}


class ScriptError(Exception):
    """A script line is malformed."""


class TestFailure(Exception):
    """The dut did not behave as the script says."""


def flags_str(f):
    s = ''.join(ch for ch, bit in FLAGS if f & bit)
    return s or 'none'


def parse_flags(tok):
    if tok in ('none', '-', '0'):
        return 0
    if tok.startswith('0x'):
        return int(tok, 16)
    f = 0
    for ch in tok:
        if ch not in FLAG_BIT:
            raise ScriptError('unknown flag letter %r in %r' % (ch, tok))
        f |= FLAG_BIT[ch]
    return f


def csum_fold(s):
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return s


def csum_sum(data):
    if len(data) & 1:
        data += b'\0'
    return sum(struct.unpack('!%dH' % (len(data) // 2), data))


def inet_csum(data, init=0):
    return (~csum_fold(csum_sum(data) + init)) & 0xffff


def pseudo_sum(src, dst, proto, length):
    return csum_sum(socket.inet_aton(src) + socket.inet_aton(dst) +
                    struct.pack('!BBH', 0, proto, length))


def mac_bytes(mac):
    return bytes(int(x, 16) for x in mac.split(':'))


def decode_escapes(s):
    return codecs.escape_decode(s.encode('latin-1', 'backslashreplace'))[0]


def show_bytes(b):
    out = []
    for c in b:
        if c == 0x5c:
            out.append('\\\\')
        elif c == 0x22:
            out.append('\\"')
        elif c == 10:
            out.append('\\n')
        elif c == 13:
            out.append('\\r')
        elif c == 9:
            out.append('\\t')
        elif 32 <= c < 127:
            out.append(chr(c))
        else:
            out.append('\\x%02x' % c)
    return '"' + ''.join(out) + '"'


def pattern_bytes(offset, n):
    """Payload for len=N: byte k of the stream is 'a' + k % 26."""
    return bytes(97 + (offset + i) % 26 for i in range(n))


def signed32(x):
    x &= M32
    return x - (1 << 32) if x >= (1 << 31) else x


# ----------------------------------------------------------------------------
# options

def parse_opts_bytes(b):
    """Decode TCP options into a list of tuples."""
    out = []
    i = 0
    while i < len(b):
        k = b[i]
        if k == 0:
            out.append(('eol',))
            rest = b[i + 1:]
            if rest.strip(b'\0'):
                out.append(('raw', rest))
            return out
        if k == 1:
            out.append(('nop',))
            i += 1
            continue
        if i + 1 >= len(b) or b[i + 1] < 2 or i + b[i + 1] > len(b):
            out.append(('raw', b[i:]))
            return out
        ln = b[i + 1]
        body = b[i + 2:i + ln]
        if k == 2 and ln == 4:
            out.append(('mss', struct.unpack('!H', body)[0]))
        elif k == 3 and ln == 3:
            out.append(('wscale', body[0]))
        elif k == 4 and ln == 2:
            out.append(('sackok',))
        elif k == 5 and ln >= 2 and (ln - 2) % 8 == 0:
            blocks = [struct.unpack('!II', body[j:j + 8]) for j in range(0, ln - 2, 8)]
            out.append(('sack', blocks))
        elif k == 8 and ln == 10:
            out.append(('ts',) + struct.unpack('!II', body))
        else:
            out.append(('opt', k, body))
        i += ln
    return out


def opt_text(o, sack_base):
    k = o[0]
    if k in ('nop', 'eol', 'sackok'):
        return k
    if k in ('mss', 'wscale'):
        return '%s:%d' % (k, o[1])
    if k == 'ts':
        return 'ts:%d:%d' % (o[1], o[2])
    if k == 'sack':
        return 'sack:' + ':'.join('%d-%d' % (signed32(l - sack_base), signed32(r - sack_base))
                                  for l, r in o[1])
    if k == 'opt':
        return 'opt:%d:%s' % (o[1], o[2].hex())
    return 'raw:' + o[1].hex()


def split_opts(s):
    return [t for t in s.split(',') if t] if s else []


def build_opts(spec, conn, now_ms):
    """Encode a send-side option list (text) into bytes; pads to 4 unless raw."""
    out = b''
    for tok in split_opts(spec):
        p = tok.split(':')
        k = p[0]
        if k == 'nop':
            out += b'\x01'
        elif k == 'eol':
            out += b'\x00'
        elif k == 'mss':
            out += struct.pack('!BBH', 2, 4, int(p[1], 0))
        elif k == 'wscale':
            out += struct.pack('!BBB', 3, 3, int(p[1], 0))
        elif k == 'sackok':
            out += b'\x04\x02'
        elif k == 'sack':
            base = (conn.dut_isn or 0) if conn else 0
            blocks = b''
            for blk in p[1:]:
                l, r = blk.split('-')
                blocks += struct.pack('!II', (base + int(l, 0)) & M32, (base + int(r, 0)) & M32)
            out += struct.pack('!BB', 5, 2 + len(blocks)) + blocks
        elif k == 'ts':
            val = p[1] if len(p) > 1 else 'now'
            ecr = p[2] if len(p) > 2 else 'echo'
            if val == 'now':
                last = conn.last_sent_tsval if conn and conn.last_sent_tsval is not None else 0
                v = max(now_ms, last + 1)
            else:
                v = int(val, 0)
            if conn:
                conn.last_sent_tsval = v & M32
            if ecr == 'echo':
                e = (conn.last_tsval if conn and conn.last_tsval is not None else 0)
            else:
                e = int(ecr, 0)
            out += struct.pack('!BBII', 8, 10, v & M32, e & M32)
        elif k == 'opt':
            body = bytes.fromhex(p[2]) if len(p) > 2 else b''
            out += struct.pack('!BB', int(p[1], 0), 2 + len(body)) + body
        elif k == 'raw':
            out += bytes.fromhex(p[1])
        else:
            raise ScriptError('unknown option %r' % tok)
    return out


def _wild_int(pat, val):
    if pat == '*':
        return True
    if '..' in pat:
        lo, hi = pat.split('..')
        return int(lo, 0) <= val <= int(hi, 0)
    return int(pat, 0) == val


def opt_matches(pat, o, sack_base):
    p = pat.split(':')
    if p[0] != o[0]:
        return False
    k = p[0]
    if k in ('nop', 'eol', 'sackok') or len(p) == 1:
        return True
    if len(p) > 1 and p[1] == '*' and len(p) == 2:
        return True
    if k in ('mss', 'wscale'):
        return _wild_int(p[1], o[1])
    if k == 'ts':
        return _wild_int(p[1], o[1]) and (len(p) < 3 or _wild_int(p[2], o[2]))
    if k == 'sack':
        blocks = [(signed32(l - sack_base), signed32(r - sack_base)) for l, r in o[1]]
        want = []
        for blk in p[1:]:
            l, r = blk.split('-')
            want.append((int(l, 0), int(r, 0)))
        return want == blocks
    return opt_text(o, sack_base) == pat


# ----------------------------------------------------------------------------
# segments

class Seg:
    """One TCP-format segment in an IPv4 packet (sent or received)."""
    __slots__ = ('src', 'dst', 'sport', 'dport', 'seq', 'ack', 'flags', 'win',
                 'urg', 'opts', 'optbytes', 'payload', 'doff', 'csum_ok', 'csum',
                 'ttl', 'tos', 'df', 'ipid', 't', 'l4len', 'proto', 'conn', 'short')

    def __init__(self, **kw):
        for k in self.__slots__:
            setattr(self, k, kw.get(k))


def parse_ip_frame(frame, proto, csum_not_ready=False):
    """Parse an Ethernet frame carrying IPv4.  Returns (kind, object)."""
    if len(frame) < 34:
        return ('short', None)
    ip = frame[14:]
    vihl = ip[0]
    if vihl >> 4 != 4:
        return ('other', None)
    ihl = (vihl & 15) * 4
    tot = struct.unpack('!H', ip[2:4])[0]
    ip = ip[:tot]
    p = ip[9]
    src = socket.inet_ntoa(ip[12:16])
    dst = socket.inet_ntoa(ip[16:20])
    frag = struct.unpack('!H', ip[6:8])[0]
    if p == 1:
        return ('icmp', (src, dst, ip[ihl:]))
    if p != proto:
        return ('other', None)
    if frag & 0x3fff:
        return ('frag', (src, dst))
    l4 = ip[ihl:]
    s = Seg(src=src, dst=dst, proto=p, ttl=ip[8], tos=ip[1], df=bool(frag & 0x4000),
            ipid=struct.unpack('!H', ip[4:6])[0], l4len=len(l4), short=False)
    if len(l4) < 20:
        s.short = True
        s.payload = b''
        s.opts = []
        s.flags = 0
        s.sport = s.dport = s.seq = s.ack = s.win = s.urg = 0
        s.doff = 0
        s.csum_ok = False
        return ('seg', s)
    (s.sport, s.dport, s.seq, s.ack, off, fl, s.win, s.csum, s.urg) = \
        struct.unpack('!HHIIBBHHH', l4[:20])
    s.doff = off >> 4
    s.flags = fl | ((off & 1) << 8)
    hl = s.doff * 4
    if hl < 20 or hl > len(l4):
        s.short = True
        hl = min(max(hl, 20), len(l4))
    s.optbytes = l4[20:hl]
    s.opts = parse_opts_bytes(s.optbytes)
    s.payload = l4[hl:]
    if csum_not_ready:
        s.csum_ok = None
    else:
        s.csum_ok = csum_fold(csum_sum(l4) + pseudo_sum(src, dst, p, len(l4))) == 0xffff
    return ('seg', s)


def build_ipv4(src, dst, proto, l4, ttl=64, tos=0, ipid=0, df=True, iplen=None,
               ipcsum_bad=False):
    tot = 20 + len(l4) if iplen is None else iplen
    hdr = struct.pack('!BBHHHBBH4s4s', 0x45, tos, tot, ipid, 0x4000 if df else 0,
                      ttl, proto, 0, socket.inet_aton(src), socket.inet_aton(dst))
    c = inet_csum(hdr)
    if ipcsum_bad:
        c ^= 0x5a5a
    return hdr[:10] + struct.pack('!H', c) + hdr[12:] + l4


def build_l4(sport, dport, seq, ack, flags, win, optbytes, payload, urg=0,
             src=None, dst=None, proto=None, doff=None, csum=None, trunc=None, res=0):
    hl = 20 + len(optbytes)
    pad = (-hl) % 4
    optbytes = optbytes + b'\0' * pad
    hl += pad
    d = (hl // 4) if doff is None else doff
    off = ((d & 15) << 4) | (res & 0xe) | ((flags >> 8) & 1)
    hdr = struct.pack('!HHIIBBHHH', sport, dport, seq & M32, ack & M32, off, flags & 0xff,
                      win & 0xffff, 0, urg & 0xffff)
    l4 = hdr + optbytes + payload
    if trunc is not None:
        l4 = l4[:trunc]
    if len(l4) >= 18:
        if csum is None or csum == 'bad':
            c = inet_csum(l4, pseudo_sum(src, dst, proto, len(l4)))
            if csum == 'bad':
                c ^= 0xbeef
                if c == 0:
                    c = 1
        else:
            c = csum
        l4 = l4[:16] + struct.pack('!H', c) + l4[18:]
    return l4


def build_quote(src, dst, proto, l4, qlen=None, ihl=None):
    """What an ICMP error quotes: the IPv4 header of the packet it is about
    (src > dst, protocol proto, total length qlen: by default as if l4 were
    all of it), then l4, the bytes of that packet's segment it quotes.
    ihl sets the header length field only (the header stays 20 bytes)."""
    hdr = bytearray(build_ipv4(src, dst, proto, b'', iplen=20 + len(l4) if qlen is None
                               else qlen))
    if ihl is not None:
        hdr[0] = 0x40 | (ihl & 15)
        hdr[10:12] = b'\0\0'
        hdr[10:12] = struct.pack('!H', inet_csum(bytes(hdr)))
    return bytes(hdr) + l4


def build_icmp_error(typ, code, quoted, rest=0, csum=None):
    """An ICMP message: type, code, checksum, the 32-bit word after it (rest:
    the next-hop MTU in its low 16 bits for FRAG_NEEDED, the pointer in its
    top byte for PARAMETERPROB), then the quoted bytes.  csum: None right,
    'bad' wrong, or a number."""
    msg = struct.pack('!BBHI', typ & 0xff, code & 0xff, 0, rest & M32) + quoted
    if csum is None or csum == 'bad':
        c = inet_csum(msg)
        if csum == 'bad':
            c ^= 0xbeef
    else:
        c = csum
    return msg[:2] + struct.pack('!H', c & 0xffff) + msg[4:]


# ----------------------------------------------------------------------------
# namespaces

_libc = ctypes.CDLL(None, use_errno=True)


def setns_fd(fd):
    if _libc.setns(fd, CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, 'setns: ' + os.strerror(e))


def ethtool_set(ifname, cmd, val):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        buf = ctypes.create_string_buffer(struct.pack('II', cmd, val))
        ifr = struct.pack('16sP', ifname.encode(), ctypes.addressof(buf))
        fcntl.ioctl(s, SIOCETHTOOL, ifr)
    except OSError:
        pass
    finally:
        s.close()


def write_proc(path, val):
    try:
        with open(path, 'w') as f:
            f.write(str(val))
        return True
    except OSError:
        return False


def unshare_net():
    if _libc.unshare(CLONE_NEWNET) != 0:
        e = ctypes.get_errno()
        raise OSError(e, 'unshare: ' + os.strerror(e))


def this_netns_fd():
    return os.open('/proc/thread-self/ns/net', os.O_RDONLY)


# A few rtnetlink requests, so that setting up costs no `ip` process (each one
# is ~0.1-0.2 s under QEMU TCG).
RTM_NEWLINK, RTM_DELLINK, RTM_NEWADDR, RTM_NEWROUTE, RTM_NEWNEIGH = 16, 17, 20, 24, 28
NLM_F_REQUEST, NLM_F_ACK, NLM_F_EXCL, NLM_F_CREATE, NLM_F_REPLACE = 1, 4, 0x200, 0x400, 0x100
IFF_UP = 1


def nla(typ, data):
    ln = 4 + len(data)
    return struct.pack('HH', ln, typ) + data + b'\0' * ((-ln) % 4)


class Rtnl:
    def __init__(self):
        self.s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)  # NETLINK_ROUTE
        self.s.bind((0, 0))
        self.seq = 0

    def close(self):
        self.s.close()

    def req(self, typ, flags, body, ok_errnos=()):
        self.seq += 1
        msg = struct.pack('IHHII', 16 + len(body), typ, NLM_F_REQUEST | NLM_F_ACK | flags,
                          self.seq, 0) + body
        self.s.send(msg)
        while True:
            data = self.s.recv(65536)
            off = 0
            while off + 16 <= len(data):
                ln, t, _f, sq, _pid = struct.unpack('IHHII', data[off:off + 16])
                if t == 2 and sq == self.seq:  # NLMSG_ERROR (an ACK when 0)
                    err = -struct.unpack('i', data[off + 16:off + 20])[0]
                    if err and err not in ok_errnos:
                        raise OSError(err, 'rtnetlink %d: %s' % (typ, os.strerror(err)))
                    return err
                off += (ln + 3) & ~3

    def veth(self, name, mac, peer_name, peer_mac, peer_nsfd, index=0, peer_index=0):
        # Distinct ifindexes on the two ends: when they are equal (both 2 in
        # fresh namespaces) linkwatch treats carrier-on as non-urgent and the
        # link stays without a qdisc for up to a second.
        peer = (struct.pack('BxHiII', 0, 0, peer_index, 0, 0) +
                nla(3, peer_name.encode() + b'\0') +
                nla(1, mac_bytes(peer_mac)) + nla(28, struct.pack('i', peer_nsfd)))
        info = nla(1, b'veth\0') + nla(2, nla(1, peer))
        body = (struct.pack('BxHiII', 0, 0, index, 0, 0) + nla(3, name.encode() + b'\0') +
                nla(1, mac_bytes(mac)) + nla(18, info))
        self.req(RTM_NEWLINK, NLM_F_CREATE | NLM_F_EXCL, body)

    def link_state(self, name):
        """(operstate, qdisc name) of a link, from RTM_GETLINK."""
        idx = socket.if_nametoindex(name)
        self.seq += 1
        body = struct.pack('BxHiII', 0, 0, idx, 0, 0)
        self.s.send(struct.pack('IHHII', 16 + len(body), 18, NLM_F_REQUEST, self.seq, 0) + body)
        while True:
            data = self.s.recv(65536)
            ln, t, _f, sq, _pid = struct.unpack('IHHII', data[:16])
            if sq != self.seq:
                continue
            if t == 2:
                err = -struct.unpack('i', data[16:20])[0]
                raise OSError(err, 'RTM_GETLINK: ' + os.strerror(err))
            off, oper, qdisc = 32, None, None
            while off + 4 <= ln:
                alen, atyp = struct.unpack('HH', data[off:off + 4])
                if alen < 4:
                    break
                val = data[off + 4:off + alen]
                if atyp == 16:
                    oper = val[0]
                elif atyp == 6:
                    qdisc = val.rstrip(b'\0').decode()
                off += (alen + 3) & ~3
            return oper, qdisc

    def dellink(self, name):
        try:
            idx = socket.if_nametoindex(name)
        except OSError:
            return
        self.req(RTM_DELLINK, 0, struct.pack('BxHiII', 0, 0, idx, 0, 0), (errno.ENODEV,))

    def up(self, name):
        idx = socket.if_nametoindex(name)
        self.req(RTM_NEWLINK, 0, struct.pack('BxHiII', 0, 0, idx, IFF_UP, IFF_UP))

    def addr(self, name, ip, plen):
        idx = socket.if_nametoindex(name)
        a = socket.inet_aton(ip)
        self.req(RTM_NEWADDR, NLM_F_CREATE | NLM_F_REPLACE,
                 struct.pack('BBBBI', socket.AF_INET, plen, 0, 0, idx) + nla(2, a) + nla(1, a))

    def route(self, net, plen, gw, name):
        idx = socket.if_nametoindex(name)
        self.req(RTM_NEWROUTE, NLM_F_CREATE | NLM_F_REPLACE,
                 struct.pack('BBBBBBBBI', socket.AF_INET, plen, 0, 0, 254, 3, 0, 1, 0) +
                 nla(1, socket.inet_aton(net)) + nla(5, socket.inet_aton(gw)) +
                 nla(4, struct.pack('i', idx)))

    def neigh(self, ip, mac, name):
        idx = socket.if_nametoindex(name)
        self.req(RTM_NEWNEIGH, NLM_F_CREATE | NLM_F_REPLACE,
                 struct.pack('BxxxiHBB', socket.AF_INET, idx, 0x80, 0, 0) +
                 nla(1, socket.inet_aton(ip)) + nla(2, mac_bytes(mac)))


# ----------------------------------------------------------------------------
# /proc/net/{tcp,atcp}

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


# ----------------------------------------------------------------------------
# the peer: a packet socket on the veth

class Conn:
    def __init__(self, name, src, dst, sport, dport, isn, win=65535):
        self.name = name
        self.src, self.dst = src, dst          # peer ip, dut ip
        self.sport, self.dport = sport, dport  # peer port, dut port (None: learn)
        self.peer_isn = isn
        self.dut_isn = None
        self.snd_nxt = 0      # relative to peer_isn
        self.rcv_nxt = None   # relative to dut_isn
        self.last_tsval = None
        self.last_sent_tsval = None
        self.last_rx = None   # (seq, ack, flags, win) of the dut's last segment
        self.win = win
        self.autots = False

    def tuple_str(self):
        return '%s:%s > %s:%s' % (self.src, self.sport, self.dst,
                                   self.dport if self.dport is not None else '*')


class Peer:
    """A raw packet endpoint on the peer veth.  Library API for fuzzers:

        p.send_seg(conn, flags=F_SYN, seq=0, opts='mss:1460', ...)
        p.send_l4(src, dst, l4bytes)        # any segment bytes
        p.send_l4(src, dst, build_icmp_error(3, 3, build_quote(...)), proto=1)
        p.send_frames(iterable_of_frames)   # as fast as possible
        p.frame(src, dst, l4bytes)          # build an Ethernet frame
        p.recv(deadline)                    # next Seg or None
    """

    def __init__(self, sock, proto, peer_mac, dut_mac, dut_ip, log):
        self.sock = sock
        self.proto = proto
        self.peer_mac = mac_bytes(peer_mac)
        self.dut_mac = mac_bytes(dut_mac)
        self.ethhdr = self.dut_mac + self.peer_mac + struct.pack('!H', ETH_P_IP)
        self.dut_ip = dut_ip
        self.log = log
        self.icmp_seen = 0
        self.pcap = None

    def open_pcap(self, path):
        """Record every frame sent and received (read it with
        tshark -d ip.proto==253,tcp)."""
        self.pcap = open(path, 'wb')
        self.pcap.write(struct.pack('<IHHiIII', 0xa1b23c4d, 2, 4, 0, 0, 262144, 1))

    def _rec(self, frame, t):
        if self.pcap:
            sec = int(t)
            self.pcap.write(struct.pack('<IIII', sec, int((t - sec) * 1e9), len(frame),
                                        len(frame)) + frame)

    def frame(self, src, dst, l4, proto=None, **ipkw):
        return self.ethhdr + build_ipv4(src, dst, self.proto if proto is None else proto, l4,
                                        **ipkw)

    def send_l4(self, src, dst, l4, proto=None, **ipkw):
        """Send l4 (a segment, or with proto=1 an ICMP message) in an IPv4
        packet; returns the send time."""
        fr = self.frame(src, dst, l4, proto, **ipkw)
        t = time.time()
        self.sock.send(fr)
        self._rec(fr, t)
        return t

    def send_frames(self, frames):
        send = self.sock.send
        n = 0
        for fr in frames:
            while True:
                try:
                    send(fr)
                    if self.pcap:
                        self._rec(fr, time.time())
                    break
                except (BlockingIOError, OSError) as e:
                    if getattr(e, 'errno', None) not in (errno.ENOBUFS, errno.EAGAIN):
                        raise
                    time.sleep(0.0005)
            n += 1
        return n

    def _arp_reply(self, frame):
        a = frame[14:]
        if len(a) < 28 or struct.unpack('!H', a[6:8])[0] != 1:
            return
        sha, spa, tpa = a[8:14], a[14:18], a[24:28]
        if socket.inet_ntoa(tpa) == self.dut_ip:
            return
        rep = (sha + self.peer_mac + struct.pack('!H', ETH_P_ARP) +
               struct.pack('!HHBBH', 1, ETH_P_IP, 6, 4, 2) + self.peer_mac + tpa + sha + spa)
        try:
            self.sock.send(rep)
            self._rec(rep, time.time())
        except OSError:
            pass

    def recv(self, deadline):
        """Next received segment of our protocol, or None at the deadline."""
        while True:
            timeout = max(0.0, deadline - time.time()) if deadline is not None else None
            r, _, _ = select.select([self.sock], [], [], timeout)
            if not r:
                return None
            try:
                data, anc, _flags, addr = self.sock.recvmsg(65600, 256, socket.MSG_DONTWAIT)
            except BlockingIOError:
                continue
            if addr[2] == socket.PACKET_OUTGOING:
                continue
            t = None
            notready = False
            for lvl, typ, cd in anc:
                if lvl == socket.SOL_SOCKET and typ == SO_TIMESTAMPNS and len(cd) >= 16:
                    sec, nsec = struct.unpack('qq', cd[:16])
                    t = sec + nsec / 1e9
                elif lvl == SOL_PACKET and typ == PACKET_AUXDATA and len(cd) >= 4:
                    notready = bool(struct.unpack('I', cd[:4])[0] & TP_STATUS_CSUMNOTREADY)
            if t is None:
                t = time.time()
            self._rec(data, t)
            if len(data) < 14:
                continue
            et = struct.unpack('!H', data[12:14])[0]
            if et == ETH_P_ARP:
                self._arp_reply(data)
                continue
            if et != ETH_P_IP:
                continue
            kind, obj = parse_ip_frame(data, self.proto, notready)
            if kind == 'seg':
                obj.t = t
                return obj
            if kind == 'icmp':
                src, dst, body = obj
                self.icmp_seen += 1
                if self.log and len(body) >= 2:
                    self.log('icmp %s > %s type %d code %d (ignored)%s' % (
                        src, dst, body[0], body[1],
                        ' -- protocol unreachable: is the module loaded?'
                        if body[0] == 3 and body[1] == 2 else ''))
            elif kind == 'frag' and self.log:
                self.log('fragment %s > %s (ignored)' % obj)


def open_packet_socket(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4 << 20)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4 << 20)
    try:
        s.setsockopt(SOL_PACKET, PACKET_IGNORE_OUTGOING, 1)
    except OSError:
        pass
    s.setsockopt(SOL_PACKET, PACKET_AUXDATA, 1)
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    s.bind((ifname, ETH_P_ALL))
    return s


class Session:
    """The two namespaces, the veth pair and the peer's packet socket.

    Namespaces are anonymous (unshare), set up with rtnetlink from this
    process: no `ip` process is run, which matters under QEMU TCG.  The
    process stays in the dut namespace while a script runs, so commands and
    the dut applications it starts run there, and /proc/net and /proc/sys/net
    are the dut's.

    dut_netns: None creates a fresh namespace; '-' uses the current one (for
    instance the VM's root namespace); any other name is an existing named
    namespace (/run/netns/NAME).  keep=True names the fresh namespaces
    (ip netns attach) and leaves them for debugging.
    """
    seq = 0

    def __init__(self, proto=253, dut_netns=None, log=None, keep=False):
        Session.seq += 1
        self.proto = proto
        self.log = log or (lambda s: None)
        self.keep = keep
        self.tag = '%d-%d' % (os.getpid(), Session.seq)
        self.dut_netns = dut_netns
        self.orig_fd = this_netns_fd()
        self.dut_fd = self.peer_fd = None
        self.sock = None
        self.peer = None
        self.saved_sysctls = []
        try:
            self._setup()
        except Exception:
            self.close()
            raise

    def _setup(self):
        if self.dut_netns is None:
            unshare_net()
            self.dut_fd = this_netns_fd()
            setns_fd(self.orig_fd)
        elif self.dut_netns == '-':
            self.dut_fd = os.dup(self.orig_fd)
        else:
            self.dut_fd = os.open('/run/netns/' + self.dut_netns, os.O_RDONLY)
        if self.dut_netns is not None:
            setns_fd(self.dut_fd)
            nl = Rtnl()
            nl.dellink(DUT_IF)  # left over by a killed run
            nl.close()
            setns_fd(self.orig_fd)
        # peer side: no address, no IPv6; the veth is created from here
        unshare_net()
        self.peer_fd = this_netns_fd()
        write_proc('/proc/sys/net/ipv6/conf/default/disable_ipv6', 1)
        nl = Rtnl()
        nl.veth(PEER_IF, PEER_MAC, DUT_IF, DUT_MAC, self.dut_fd,
                index=1000, peer_index=1001 if self.dut_netns is None else 0)
        write_proc('/proc/sys/net/ipv6/conf/%s/disable_ipv6' % PEER_IF, 1)
        nl.up(PEER_IF)
        nl.close()
        self.sock = open_packet_socket(PEER_IF)
        self.sock.setblocking(False)
        # dut side
        setns_fd(self.dut_fd)
        write_proc('/proc/sys/net/ipv6/conf/%s/disable_ipv6' % DUT_IF, 1)
        ethtool_set(DUT_IF, ETHTOOL_STXCSUM, 0)
        ethtool_set(DUT_IF, ETHTOOL_STSO, 0)
        # Generic segmentation stays on: GSO packets (TCP's, atcp's
        # super-segments) are cut in software before the veth, which has
        # no checksum offload; the skbs of the write queue are as TCP's.
        nl = Rtnl()
        nl.addr(DUT_IF, DUT_IP, 24)
        nl.up(DUT_IF)
        nl.up('lo')
        nl.neigh(PEER_IP, PEER_MAC, DUT_IF)
        a, plen = SPOOF_NET.split('/')
        nl.route(a, int(plen), PEER_IP, DUT_IF)
        nl.close()
        self.peer = Peer(self.sock, self.proto, PEER_MAC, DUT_MAC, DUT_IP, self.log)
        if self.keep:
            self._attach_names()
        # Wait until both ends are operationally up with their qdisc: the
        # linkwatch work does that asynchronously, and until then the
        # device's qdisc is noop, which drops frames (the first SYN of a
        # script, now and then).  IFF_RUNNING cannot tell: a new device's
        # operstate is "unknown", which counts as running.
        for fd, ifn in ((self.peer_fd, PEER_IF), (self.dut_fd, DUT_IF)):
            setns_fd(fd)
            nl = Rtnl()
            try:
                for _ in range(1000):
                    oper, qdisc = nl.link_state(ifn)
                    if oper == 6 and qdisc not in (None, 'noop'):  # IF_OPER_UP
                        break
                    time.sleep(0.002)
            finally:
                nl.close()

    def _attach_names(self):
        for fd, name in ((self.peer_fd, 'atcpp-' + self.tag),
                         (self.dut_fd if self.dut_netns is None else None, 'atcpd-' + self.tag)):
            if fd is None:
                continue
            subprocess.run(['sh', '-c', 'ip netns attach %s $$' % name],
                           preexec_fn=lambda fd=fd: setns_fd(fd))
            self.log('namespace kept: %s' % name)

    def in_peer(self):
        """preexec_fn for commands that run in the peer namespace."""
        setns_fd(self.peer_fd)

    def env(self):
        e = dict(os.environ)
        e.update(PROTO=str(self.proto), DUT_IP=DUT_IP, PEER_IP=PEER_IP,
                 DUT_IF=DUT_IF, PEER_IF=PEER_IF, PEERDIR=HERE,
                 DUTAPP='%s -u %s --proto %d' % (sys.executable, DUTAPP, self.proto))
        return e

    def sysctl(self, name, value):
        """Write a sysctl in the dut namespace; restored at close() when the
        namespace is not ours."""
        path = '/proc/sys/' + name.strip().replace('.', '/')
        if self.dut_netns is not None:
            try:
                with open(path) as f:
                    self.saved_sysctls.append((path, f.read().strip()))
            except OSError:
                pass
        with open(path, 'w') as f:
            f.write(value.strip())

    def close(self):
        if self.sock:
            self.sock.close()
            self.sock = None
        if self.peer and self.peer.pcap:
            self.peer.pcap.close()
            self.peer.pcap = None
        try:
            if self.dut_fd is not None and self.dut_netns is not None and not self.keep:
                setns_fd(self.dut_fd)
                for path, val in reversed(self.saved_sysctls):
                    write_proc(path, val)
                nl = Rtnl()
                nl.dellink(DUT_IF)
                nl.close()
        except OSError:
            pass
        setns_fd(self.orig_fd)
        for fd in (self.dut_fd, self.peer_fd, self.orig_fd):
            if fd is not None:
                os.close(fd)
        self.dut_fd = self.peer_fd = self.orig_fd = None


# ----------------------------------------------------------------------------
# dut applications (dutapp.py driven over a pipe)

class ForkedApp:
    """dutapp.py run in a child forked from this process: no interpreter
    start-up (0.5 s under QEMU TCG).  Mimics the bits of Popen that App uses."""

    def __init__(self, proto, env):
        in_r, in_w = os.pipe()
        out_r, out_w = os.pipe()
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter('ignore')
            pid = os.fork()
        if pid == 0:
            rc = 1
            try:
                os.setsid()
                os.dup2(in_r, 0)
                os.dup2(out_w, 1)
                os.dup2(out_w, 2)
                os.closerange(3, 1024)
                os.environ.clear()
                os.environ.update(env)
                sys.stdin = open(0, 'r', closefd=False)
                sys.stdout = open(1, 'w', buffering=1, closefd=False)
                sys.stderr = sys.stdout
                signal.signal(signal.SIGINT, signal.SIG_DFL)
                signal.signal(signal.SIGTERM, signal.SIG_DFL)
                if HERE not in sys.path:
                    sys.path.insert(0, HERE)
                import dutapp
                rc = dutapp.main(['--proto', str(proto)])
            except SystemExit as e:
                rc = e.code if isinstance(e.code, int) else 1
            except BaseException:
                import traceback
                traceback.print_exc()
            finally:
                try:
                    sys.stdout.flush()
                finally:
                    os._exit(rc or 0)
        os.close(in_r)
        os.close(out_w)
        self.pid = pid
        self.returncode = None
        self.stdin = os.fdopen(in_w, 'w', buffering=1)
        self.stdout = os.fdopen(out_r, 'r')

    def poll(self):
        if self.returncode is None:
            p, st = os.waitpid(self.pid, os.WNOHANG)
            if p:
                self.returncode = os.waitstatus_to_exitcode(st)
        return self.returncode

    def wait(self, timeout=None):
        end = None if timeout is None else time.time() + timeout
        while self.poll() is None:
            if end is not None and time.time() > end:
                raise subprocess.TimeoutExpired('dutapp', timeout)
            time.sleep(0.005)
        return self.returncode


class App:
    def __init__(self, name, sess, interp):
        self.name = name
        self.interp = interp
        if os.environ.get('PEER_APP_EXEC'):
            self.p = subprocess.Popen([sys.executable, '-u', DUTAPP, '--proto', str(sess.proto)],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.STDOUT, text=True, bufsize=1,
                                      env=sess.env(), start_new_session=True)
        else:
            self.p = ForkedApp(sess.proto, sess.env())
        self.q = queue.Queue()
        self.next_id = 1
        self.done = set()
        self.failed = {}
        self.pending = set()
        threading.Thread(target=self._reader, daemon=True).start()

    def _reader(self):
        for line in self.p.stdout:
            self.q.put(line.rstrip('\n'))
        self.q.put(None)

    def _consume(self, line):
        if line is None:
            return False
        m = re.match(r'@@(done|fail) (\d+) ?(.*)', line)
        if m:
            i = int(m.group(2))
            self.pending.discard(i)
            if m.group(1) == 'done':
                self.done.add(i)
            else:
                self.failed[i] = m.group(3)
                self.interp.log('app %s: FAIL %s' % (self.name, m.group(3)))
        else:
            self.interp.log('app %s: %s' % (self.name, line))
        return True

    def poll(self):
        while True:
            try:
                line = self.q.get_nowait()
            except queue.Empty:
                return
            if not self._consume(line):
                return

    def send(self, actions):
        i = self.next_id
        self.next_id += 1
        self.pending.add(i)
        try:
            self.p.stdin.write('%d %s\n' % (i, actions))
            self.p.stdin.flush()
        except BrokenPipeError:
            raise TestFailure('app %s is gone (exit %s)' % (self.name, self.p.poll()))
        return i

    def wait(self, ids, timeout):
        deadline = time.time() + timeout
        while any(i in self.pending for i in ids):
            try:
                line = self.q.get(timeout=max(0.01, deadline - time.time()))
            except queue.Empty:
                line = ''
            if line is None:
                raise TestFailure('app %s exited (status %s) before finishing %s'
                                  % (self.name, self.p.wait(), sorted(self.pending)))
            if line:
                self._consume(line)
            if time.time() > deadline and any(i in self.pending for i in ids):
                raise TestFailure('app %s: timeout waiting for command(s) %s'
                                  % (self.name, sorted(i for i in ids if i in self.pending)))
        bad = [i for i in ids if i in self.failed]
        if bad:
            raise TestFailure('app %s: command %d failed: %s'
                              % (self.name, bad[0], self.failed[bad[0]]))

    def stop(self, timeout=1.0):
        try:
            self.p.stdin.close()
        except OSError:
            pass
        try:
            self.p.wait(timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.p.pid, signal.SIGKILL)
            except OSError:
                pass
            self.p.wait()
        self.poll()


# ----------------------------------------------------------------------------
# the script interpreter

TIME_RE = re.compile(r'^(\+)?(\d+(?:\.\d*)?|\.\d+)(?:\.\.(\d+(?:\.\d*)?|\.\d+))?$')


STALE_TUPLES = set()   # (dut ip, dut port, peer ip, peer port) of finished scripts
STALE_NETS = []        # (base, size) of finished floods' sources


class Interp:
    def __init__(self, sess, name='script', out=sys.stdout, tolerance=0.1, timeout=3.0,
                 seed=None, verbose=True):
        self.sess = sess
        self.peer = sess.peer
        self.proto = sess.proto
        self.name = name
        self.out = out
        self.tolerance = tolerance
        self.timeout = timeout
        self.rng = random.Random(seed)
        self.verbose = verbose
        self.conns = {}
        self.default = None
        self.pending = []
        self.strict = True
        self.flood_nets = []
        self.app_timeout = float(os.environ.get('PEER_APP_TIMEOUT', 10))
        self.ignore_others = False
        self.ignored = 0
        self.apps = {}
        self.bg = []
        self.t0 = time.time()
        self.mark = self.t0     # end of the previous line: base of +T on commands
        self.pmark = self.t0    # previous packet sent/received: base of +T on `<`
        self.lineno = 0
        self.skip_reason = None
        self.logbuf = []
        self.peer.log = self.log
        self.mib0 = None        # counters when the script started (`mib`)
        self.saved_affinity = None  # CPUs before a `cpu` command

    # -- output
    def log(self, s):
        line = s
        self.logbuf.append(line)
        if self.verbose:
            self.out.write('# %s\n' % line)
            self.out.flush()

    def ts(self, t):
        return '%7.3f' % (t - self.t0)

    def fail(self, msg):
        raise TestFailure('line %d: %s' % (self.lineno, msg))

    # -- connections
    def conn_for(self, s):
        """The connection a received segment belongs to (learning the dut port)."""
        for c in self.conns.values():
            if (s.src == c.dst and s.dst == c.src and s.dport == c.sport and
                    s.sport == c.dport):
                return c
        if self.is_stale(s):
            return None
        for c in self.conns.values():
            if (c.dport is None and s.src == c.dst and s.dst == c.src and
                    s.dport == c.sport):
                c.dport = s.sport
                return c
        return None

    def is_stale(self, s):
        """A segment of an earlier script's connection or flood (only possible
        when scripts share the dut namespace: --dut-netns)."""
        if (s.src, s.sport, s.dst, s.dport) in STALE_TUPLES:
            return True
        ip = struct.unpack('!I', socket.inet_aton(s.dst))[0]
        return any(base <= ip < base + size for base, size in STALE_NETS)

    def new_conn(self, name, kv):
        sport = kv.get('sport', '*')
        sport = self.rng.randint(20000, 60000) if sport in ('*', 'rand') else int(sport)
        dport = kv.get('dport', '8080')
        dport = None if dport == '*' else int(dport)
        isn = kv.get('isn', 'rand')
        isn = self.rng.randint(0, M32) if isn == 'rand' else int(isn, 0) & M32
        c = Conn(name, kv.get('src', PEER_IP), kv.get('dst', DUT_IP), sport, dport, isn,
                 int(kv.get('win', '65535'), 0))
        c.autots = kv.get('ts', 'off') == 'auto'
        self.conns[name] = c
        if self.default is None or kv.get('default') == '1' or name == 'c':
            self.default = c
        return c

    def get_conn(self, name):
        if name is None:
            if self.default is None:
                self.new_conn('c', {})
            return self.default
        if name not in self.conns:
            self.fail('unknown connection @%s' % name)
        return self.conns[name]

    def note_rx(self, s, c):
        if c is None or s.short:
            return
        if s.flags & F_SYN and c.dut_isn is None:
            c.dut_isn = s.seq
        c.last_rx = (s.seq, s.ack, s.flags, s.win)
        for o in s.opts:
            if o[0] == 'ts':
                c.last_tsval = o[1]
        if s.flags & F_RST:
            return
        base = c.dut_isn or 0
        end = signed32(s.seq - base) + len(s.payload) + (1 if s.flags & F_SYN else 0) + \
            (1 if s.flags & F_FIN else 0)
        if c.rcv_nxt is None or end > c.rcv_nxt:
            c.rcv_nxt = end

    # -- formatting
    def fmt(self, s, c, sent):
        parts = []
        if c is None:
            parts.append('{%s:%d>%s:%d}' % (s.src, s.sport, s.dst, s.dport))
        elif c is not self.default:
            parts.append('@' + c.name)
        if s.short and s.l4len < 20:
            parts.append('short l4len=%d' % s.l4len)
            return ' '.join(parts)
        parts.append(flags_str(s.flags))
        if c is None:
            seqbase, ackbase = 0, 0
        elif sent:
            seqbase, ackbase = c.peer_isn, (c.dut_isn or 0)
        else:
            seqbase, ackbase = (c.dut_isn or 0), c.peer_isn
        parts.append('seq=%d' % signed32(s.seq - seqbase) if c else 'seq=abs:%d' % s.seq)
        if s.flags & F_ACK or s.ack:
            parts.append('ack=%d' % signed32(s.ack - ackbase) if c else 'ack=abs:%d' % s.ack)
        parts.append('win=%d' % s.win)
        if s.urg:
            parts.append('urg=%d' % s.urg)
        if s.payload:
            if len(s.payload) <= 40:
                parts.append('data=%s' % show_bytes(s.payload))
            else:
                parts.append('len=%d' % len(s.payload))
        sack_base = ackbase if c else 0
        if s.opts:
            parts.append('opts=' + ','.join(opt_text(o, sack_base) for o in s.opts))
        if s.short:
            parts.append('doff=%d l4len=%d' % (s.doff, s.l4len))
        if s.csum_ok is False:
            parts.append('csum=bad')
        return ' '.join(parts)

    def show(self, s, c, sent, t, extra=''):
        self.log('%s %s %s%s' % (self.ts(t), '>' if sent else '<', self.fmt(s, c, sent), extra))

    # -- receiving
    def pull(self, deadline):
        if self.pending:
            return self.pending.pop(0)
        s = self.peer.recv(deadline)
        if s is not None:
            s.conn = self.conn_for(s)
            self.note_rx(s, s.conn)
        return s

    def drain_nowait(self):
        while True:
            s = self.peer.recv(0)
            if s is None:
                return
            s.conn = self.conn_for(s)
            self.note_rx(s, s.conn)
            self.pending.append(s)

    def ignorable(self, s):
        """Under `strict conns`, segments of no known connection are ignored;
        so are, always, those of connections of earlier scripts."""
        if s.conn is None and self.is_stale(s):
            self.ignored += 1
            if self.ignored <= 3:
                self.show(s, None, False, s.t, '   (ignored: an earlier script\'s)')
            return True
        if self.ignore_others and s.conn is None:
            self.ignored += 1
            if self.ignored <= 3:
                self.show(s, None, False, s.t, '   (ignored: no connection)')
            return True
        return False

    def check_unexpected(self, where):
        self.drain_nowait()
        self.pending = [s for s in self.pending if not self.ignorable(s)]
        if not self.pending:
            return
        for s in self.pending:
            self.show(s, s.conn, False, s.t, '   <-- unexpected')
        if self.strict:
            n = len(self.pending)
            self.pending = []
            self.fail('%d unexpected segment(s) %s' % (n, where))
        self.pending = []

    # -- timing
    def parse_time(self, tok, relbase=None):
        if tok == '*':
            return None
        m = TIME_RE.match(tok)
        rel = bool(m.group(1))
        lo = float(m.group(2))
        hi = float(m.group(3)) if m.group(3) else None
        base = (self.mark if relbase is None else relbase) if rel else self.t0
        if hi is None:
            return (base + lo, None)
        return (base + lo, base + hi)

    def wait_until(self, t):
        while True:
            d = t - time.time()
            if d <= 0:
                return
            time.sleep(min(d, 0.05))

    # -- packet lines
    def parse_pkt(self, toks):
        conn = None
        if toks and toks[0].startswith('@'):
            conn = toks.pop(0)[1:]
        if not toks:
            raise ScriptError('missing flags')
        flags = toks.pop(0)
        kv = {}
        for t in toks:
            m = re.match(r'^([a-z_]+)(=|~)(.*)$', t, re.S)
            if not m:
                raise ScriptError('bad field %r (want key=value)' % t)
            kv[m.group(1)] = m.group(3)
        return conn, flags, kv

    def rel_num(self, v, base):
        """Send side: 'abs:N', 'N' (relative), returns absolute."""
        if v.startswith('abs:'):
            return int(v[4:], 0) & M32
        if v == 'rand':
            return self.rng.randint(0, M32)
        return (base + int(v, 0)) & M32

    def do_send(self, toks):
        cname, flags, kv = self.parse_pkt(toks)
        if flags == 'icmp':
            self.do_send_icmp(cname, kv)
            return
        c = self.get_conn(cname)
        f = parse_flags(flags) if 'flags' not in kv else int(kv['flags'], 0)
        if 'data' in kv:
            payload = decode_escapes(kv['data'])
        elif 'hex' in kv:
            payload = bytes.fromhex(kv['hex'])
        else:
            payload = b''
        seq = self.rel_num(kv['seq'], c.peer_isn) if 'seq' in kv else (c.peer_isn + c.snd_nxt) & M32
        seq_rel = signed32(seq - c.peer_isn)
        if 'len' in kv and 'data' not in kv and 'hex' not in kv:
            payload = pattern_bytes(seq_rel - 1, int(kv['len'], 0))
        dbase = c.dut_isn or 0
        if 'ack' in kv:
            ack = self.rel_num(kv['ack'], dbase)
        elif f & F_ACK:
            ack = (dbase + (c.rcv_nxt or 0)) & M32
        else:
            ack = 0
        win = int(kv.get('win', str(c.win)), 0)
        now_ms = int((time.time() - self.t0) * 1000) + 1000
        if 'opts' in kv:
            ob = build_opts(kv['opts'], c, now_ms)
        elif c.autots and not f & F_RST:
            ob = build_opts('nop,nop,ts:now:echo', c, now_ms)
        else:
            ob = b''
        src = kv.get('src', c.src)
        dst = kv.get('dst', c.dst)
        sport = int(kv.get('sport', c.sport))
        dport = kv.get('dport', c.dport)
        if dport is None:
            self.fail('dut port of @%s not known yet' % c.name)
        dport = int(dport)
        csum = kv.get('csum')
        if csum is not None and csum != 'bad':
            csum = int(csum, 0)
        ipkw = dict(ttl=int(kv.get('ttl', '64'), 0), tos=int(kv.get('tos', '0'), 0),
                    ipid=int(kv.get('ipid', '0'), 0), df=kv.get('df', '1') != '0',
                    iplen=int(kv['iplen'], 0) if 'iplen' in kv else None,
                    ipcsum_bad=kv.get('ipcsum') == 'bad')
        # split=N: the payload as segments of N bytes, built first and sent
        # back to back (as TSO would: PSH and FIN on the last one only).
        step = int(kv.get('split', '0'), 0) or max(len(payload), 1)
        chunks = [(o, payload[o:o + step]) for o in range(0, max(len(payload), 1), step)]
        l4s = []
        for i, (o, part) in enumerate(chunks):
            fl = f if i == len(chunks) - 1 else f & ~(F_PSH | F_FIN)
            l4s.append(build_l4(sport, dport, seq + o, ack, fl, win, ob, part,
                                urg=int(kv.get('urg', '0'), 0), src=src, dst=dst,
                                proto=self.proto,
                                doff=int(kv['doff'], 0) if 'doff' in kv else None,
                                csum=csum,
                                trunc=int(kv['trunc'], 0) if 'trunc' in kv else None,
                                res=int(kv.get('res', '0'), 0)))
        ts = [self.peer.send_l4(src, dst, l4, **ipkw) for l4 in l4s]
        t = ts[-1]
        self.pmark = t
        end = seq_rel + len(payload) + (1 if f & F_SYN else 0) + (1 if f & F_FIN else 0)
        if not f & F_RST and src == c.src and sport == c.sport and end > c.snd_nxt:
            c.snd_nxt = end
        for l4, tt in zip(l4s, ts):
            kind, s = parse_ip_frame(self.peer.frame(src, dst, l4, **ipkw), self.proto)
            if kind == 'seg':
                self.show(s, c if (src == c.src and sport == c.sport) else None, True, tt)
        self.mark = t

    def do_send_icmp(self, cname, kv):
        """> [@CONN] icmp type=T code=C ...: an ICMP error about the
        connection, quoting a segment of it as the dut sent it."""
        c = self.get_conn(cname)
        known = {'type', 'code', 'seq', 'ack', 'flags', 'win', 'quote', 'mtu', 'ptr', 'rest',
                 'src', 'dst', 'sport', 'dport', 'qsrc', 'qdst', 'qproto', 'qlen', 'qihl',
                 'csum', 'ttl', 'tos', 'ipid', 'df'}
        bad = sorted(set(kv) - known)
        if bad:
            raise ScriptError('icmp: unknown field(s) %s' % ', '.join(bad))
        if 'type' not in kv or 'code' not in kv:
            raise ScriptError('icmp: type= and code= are required')
        typ, code = int(kv['type'], 0), int(kv['code'], 0)
        # The quoted segment: by default the last one the dut sent on the
        # connection; seq relative to the dut's ISN, ack to the peer's.
        dbase = c.dut_isn or 0
        lseq, lack, lflags, lwin = c.last_rx or (dbase, (c.peer_isn + c.snd_nxt) & M32,
                                                 F_ACK, 0)
        seq = self.rel_num(kv['seq'], dbase) if 'seq' in kv else lseq
        ack = self.rel_num(kv['ack'], c.peer_isn) if 'ack' in kv else lack
        f = parse_flags(kv['flags']) if 'flags' in kv else lflags
        win = int(kv['win'], 0) if 'win' in kv else lwin
        sport = int(kv.get('sport', c.sport))
        dport = kv.get('dport', c.dport)
        if dport is None:
            self.fail('dut port of @%s not known yet' % c.name)
        dport = int(dport)
        qsrc, qdst = kv.get('qsrc', c.dst), kv.get('qdst', c.src)
        qproto = int(kv.get('qproto', str(self.proto)), 0)
        quote = int(kv.get('quote', '8'), 0)
        seg = build_l4(dport, sport, seq, ack, f, win, b'', b'\0' * max(0, quote - 20),
                       src=qsrc, dst=qdst, proto=qproto)[:quote]
        quoted = build_quote(qsrc, qdst, qproto, seg,
                             qlen=int(kv['qlen'], 0) if 'qlen' in kv else None,
                             ihl=int(kv['qihl'], 0) if 'qihl' in kv else None)
        rest = int(kv.get('rest', '0'), 0)
        if 'mtu' in kv:
            rest = (rest & ~0xffff) | (int(kv['mtu'], 0) & 0xffff)
        if 'ptr' in kv:
            rest = (rest & 0xffffff) | (int(kv['ptr'], 0) & 0xff) << 24
        csum = kv.get('csum')
        if csum is not None and csum != 'bad':
            csum = int(csum, 0)
        msg = build_icmp_error(typ, code, quoted, rest, csum)
        src, dst = kv.get('src', c.src), kv.get('dst', c.dst)
        ipkw = dict(ttl=int(kv.get('ttl', '64'), 0), tos=int(kv.get('tos', '0'), 0),
                    ipid=int(kv.get('ipid', '0'), 0), df=kv.get('df', '1') != '0')
        t = self.peer.send_l4(src, dst, msg, proto=1, **ipkw)
        self.pmark = self.mark = t
        mine = c.dut_isn is not None and not kv.get('seq', '').startswith('abs:')
        what = ['type=%d code=%d' % (typ, code)]
        what += ['%s=%s' % (k, kv[k]) for k in ('mtu', 'ptr', 'rest', 'src', 'dst') if k in kv]
        what.append('quoting %s%s seq=%s%s win=%d (%d bytes%s%s)' % (
            '' if c is self.default else '@%s ' % c.name, flags_str(f),
            '%d' % signed32(seq - dbase) if mine else 'abs:%d' % seq,
            ' ack=%d' % signed32(ack - c.peer_isn) if f & F_ACK else '', win, len(seg),
            '' if qproto == self.proto else ', protocol %d' % qproto,
            '' if 'qihl' not in kv else ', ihl %s' % kv['qihl']) +
            ('' if 'sport' not in kv and 'dport' not in kv else ' ports %d > %d' % (dport, sport)))
        self.log('%s > icmp %s%s' % (self.ts(t), ' '.join(what),
                                     ' csum=%s' % kv['csum'] if 'csum' in kv else ''))

    def match(self, kv, flags, s, c):
        """Returns None when the segment matches, else the reason."""
        if s.short and s.l4len < 20:
            return 'short segment'
        if flags != '*':
            # `X?` marks a flag that may or may not be set (e.g. `P?.`)
            opt = 0
            for m in re.finditer(r'(.)\?', flags):
                opt |= parse_flags(m.group(1))
            need = parse_flags(re.sub(r'.\?', '', flags) or 'none')
            if s.flags & ~opt != need:
                return 'flags %s, expected %s' % (flags_str(s.flags), flags)
        seqbase = (c.dut_isn or 0) if c else 0
        ackbase = c.peer_isn if c else 0
        for key, val, base in (('seq', s.seq, seqbase), ('ack', s.ack, ackbase)):
            if key not in kv or kv[key] == '*':
                continue
            pat = kv[key]
            if pat.startswith('abs:'):
                ok = _wild_int(pat[4:], val)
                shown = val
            else:
                shown = signed32(val - base)
                ok = _wild_int(pat, shown)
            if not ok:
                return '%s=%d, expected %s' % (key, shown, pat)
        for key, val in (('win', s.win), ('urg', s.urg), ('len', len(s.payload)),
                         ('ttl', s.ttl), ('tos', s.tos), ('doff', s.doff),
                         ('sport', s.sport), ('dport', s.dport)):
            if key in kv and not _wild_int(kv[key], val):
                return '%s=%d, expected %s' % (key, val, kv[key])
        if 'data' in kv and decode_escapes(kv['data']) != s.payload:
            return 'data %s, expected "%s"' % (show_bytes(s.payload), kv['data'])
        if 'hex' in kv and bytes.fromhex(kv['hex']) != s.payload:
            return 'payload %s, expected hex %s' % (s.payload.hex(), kv['hex'])
        for key, val in (('src', s.src), ('dst', s.dst)):
            if key in kv and kv[key] != val:
                return '%s=%s, expected %s' % (key, val, kv[key])
        if 'df' in kv and (kv['df'] != '0') != s.df:
            return 'df=%d, expected %s' % (s.df, kv['df'])
        if kv.get('csum', '') != '*' and s.csum_ok is False:
            return 'bad checksum 0x%04x' % s.csum
        if kv.get('csum') == 'bad' and s.csum_ok:
            return 'checksum good, expected bad'
        if 'opts' in kv and kv['opts'] != '*':
            want = split_opts(kv['opts'])
            if len(want) != len(s.opts) or not all(
                    opt_matches(w, o, ackbase) for w, o in zip(want, s.opts)):
                return 'options %s, expected %s' % (
                    ','.join(opt_text(o, ackbase) for o in s.opts) or '(none)', kv['opts'])
        if 'hasopts' in kv:
            for w in split_opts(kv['hasopts']):
                neg = w.startswith('!')
                w = w.lstrip('!')
                have = any(opt_matches(w, o, ackbase) for o in s.opts)
                if have == neg:
                    return 'option %s %s' % (w, 'present' if neg else 'missing or different')
        return None

    def do_expect(self, toks, tspec):
        cname, flags, kv = self.parse_pkt(toks)
        anyconn = cname == '*'
        c = None if anyconn else self.get_conn(cname)
        if tspec is None:
            lo = hi = None
            deadline = max(time.time(), self.mark) + self.timeout
        else:
            lo, hi = tspec
            if hi is None:
                lo, hi = lo - self.tolerance, lo + self.tolerance
            deadline = max(hi, time.time() + 0.001)
        want = '< %s%s %s' % ('@%s ' % cname if cname else '', flags,
                              ' '.join('%s=%s' % kv_ for kv_ in kv.items()))
        while True:
            s = self.pull(deadline)
            if s is None:
                if tspec is not None:
                    self.fail('nothing arrived by +%.3f (expected %s)' % (hi - self.pmark, want))
                self.fail('timeout (%.1fs) waiting for: %s' % (self.timeout, want))
            sc = s.conn
            if self.ignorable(s):
                continue
            why = None
            if not anyconn and sc is not c:
                why = 'segment of another connection (%s)' % (
                    sc.name if sc else '%s:%d>%s:%d' % (s.src, s.sport, s.dst, s.dport))
            if why is None:
                why = self.match(kv, flags, s, sc)
            dt = ' (%+.3f)' % (s.t - self.pmark)
            if why is None:
                if lo is not None and not lo <= s.t <= hi:
                    self.show(s, sc, False, s.t, dt)
                    self.fail('arrived at +%.3f, expected +%.3f..%.3f after the previous packet'
                              % (s.t - self.pmark, lo - self.pmark, hi - self.pmark))
                self.show(s, sc, False, s.t, dt)
                self.mark = self.pmark = s.t
                return s
            self.show(s, sc, False, s.t, dt + '   <-- no match')
            if self.strict:
                self.fail('unexpected segment: %s\n  expected: %s' % (why, want))

    def do_expect_none(self, secs):
        deadline = time.time() + secs
        while True:
            s = self.pull(deadline)
            if s is None or not self.ignorable(s):
                break
        if s is not None:
            self.show(s, s.conn, False, s.t, '   <-- expected nothing')
            self.fail('a segment arrived where none was expected')
        self.mark = time.time()

    # -- flood
    def do_flood(self, kv):
        n = int(kv.get('n', kv.get('count', '1000')), 0)
        c = self.get_conn(kv.get('conn'))
        net = kv.get('src', '10.253.128.0/17')
        if '/' in net:
            a, bits = net.split('/')
            base = struct.unpack('!I', socket.inet_aton(a))[0]
            size = 1 << (32 - int(bits))
            base &= ~(size - 1) & M32
        else:
            base, size = struct.unpack('!I', socket.inet_aton(net))[0], 1
        self.flood_nets.append((base, size))
        dport = int(kv.get('dport', c.dport if c.dport is not None else 8080))
        dst = kv.get('dst', c.dst)
        f = parse_flags(kv.get('flags', 'S'))
        win = int(kv.get('win', '65535'), 0)
        ob = build_opts(kv.get('opts', 'mss:1460'), None, 0)
        rate = float(kv.get('rate', '0'))
        sport_fixed = kv.get('sport', 'rand')
        frames = []
        rng = self.rng
        dstb = socket.inet_aton(dst)
        eth = self.peer.ethhdr
        hl = 20 + len(ob) + ((-len(ob)) % 4)
        ob = ob + b'\0' * ((-len(ob)) % 4)
        t = time.time()
        # incremental checksums: constant words summed once
        dst_hi, dst_lo = struct.unpack('!HH', dstb)
        tcp_const = (csum_sum(ob) + dst_hi + dst_lo + self.proto + hl + dport +
                     (((hl // 4) << 12) | f) + win)
        ip_const = 0x4500 + 20 + hl + 0x4000 + (64 << 8 | self.proto) + dst_hi + dst_lo
        pack_t = struct.Struct('!HHIIBBHHH').pack
        pack_i = struct.Struct('!BBHHHBBHI4s').pack
        off = (hl // 4) << 4
        randbits = rng.getrandbits
        for i in range(n):
            ipn = base + (rng.randrange(size) if size > 1 else 0)
            if size > 2 and (ipn & 0xff) in (0, 255):
                ipn ^= 1
            sport = randbits(16) | 1024 if sport_fixed == 'rand' else int(sport_fixed)
            seq = randbits(32)
            ack = randbits(32) if f & F_ACK else 0
            ipsum = (ipn >> 16) + (ipn & 0xffff)
            k = (tcp_const + ipsum + sport + (seq >> 16) + (seq & 0xffff) +
                 (ack >> 16) + (ack & 0xffff))
            k = (k & 0xffff) + (k >> 16)
            k = (k & 0xffff) + (k >> 16)
            ipid = i & 0xffff
            u = ip_const + ipsum + ipid
            u = (u & 0xffff) + (u >> 16)
            u = (u & 0xffff) + (u >> 16)
            frames.append(eth + pack_i(0x45, 0, 20 + hl, ipid, 0x4000, 64, self.proto,
                                       ~u & 0xffff, ipn, dstb) +
                          pack_t(sport, dport, seq, ack, off, f, win, ~k & 0xffff, 0) + ob)
        tb = time.time()
        if rate > 0:
            sent = 0
            start = time.time()
            for fr in frames:
                self.peer.send_frames((fr,))
                sent += 1
                ahead = sent / rate - (time.time() - start)
                if ahead > 0.001:
                    time.sleep(ahead)
        else:
            self.peer.send_frames(frames)
        te = time.time()
        self.log('%s > flood: %d x %s to %s:%d from %s (built in %.2fs, sent in %.2fs, %.0f/s)'
                 % (self.ts(te), n, flags_str(f), dst, dport, net, tb - t, te - tb,
                    n / max(te - tb, 1e-6)))
        self.mark = self.pmark = te

    def do_drain(self, secs):
        deadline = time.time() + secs
        n = 0
        self.pending = []
        while True:
            s = self.peer.recv(deadline)
            if s is None:
                break
            s.conn = self.conn_for(s)
            self.note_rx(s, s.conn)
            n += 1
        self.log('%s   drained %d segment(s)' % (self.ts(time.time()), n))
        self.mark = time.time()

    # -- state
    def sock_match(self, kv, c):
        loc = kv.get('local')
        rem = kv.get('remote')
        if loc is None:
            loc = '%s:%s' % (c.dst, c.dport)
            if rem is None:
                rem = '%s:%s' % (c.src, c.sport)
        if rem is None:
            rem = '*'

        def ok(pat, addr):
            if pat == '*':
                return True
            h, p = pat.rsplit(':', 1)
            # a socket bound to 0.0.0.0 serves every local address
            return ((h in ('', '*') or h == addr[0] or addr[0] == '0.0.0.0') and
                    (p == '*' or int(p) == addr[1]))
        return [st for l, r, st in read_sockets(self.proto) if ok(loc, l) and ok(rem, r)]

    def parse_state_args(self, toks):
        kv = {}
        cname = None
        pos = []
        for t in toks:
            if t.startswith('@'):
                cname = t[1:]
            elif '=' in t:
                k, v = t.split('=', 1)
                kv[k] = v
            elif t == 'dut':
                continue
            else:
                pos.append(t)
        if not pos:
            raise ScriptError('state: missing state name')
        # positional: [local [remote]] STATE [timeout]
        want = None
        rest = []
        for p in pos:
            if want is None and re.match(r'^[A-Za-z_0-9]+$', p) and not p[0].isdigit():
                want = p
            elif want is None:
                rest.append(p)
            else:
                kv.setdefault('timeout', p)
        if rest:
            kv.setdefault('local', rest[0])
            if len(rest) > 1:
                kv.setdefault('remote', rest[1])
        return cname, norm_state(want), kv

    def do_state(self, toks, wait):
        cname, want, kv = self.parse_state_args(toks)
        c = self.get_conn(cname) if ('local' not in kv) else (self.default or None)
        if 'local' not in kv and c.dport is None:
            self.fail('dut port of @%s not known yet' % c.name)
        timeout = float(kv.get('timeout', '5' if wait else '0'))
        deadline = time.time() + timeout
        while True:
            have = self.sock_match(kv, c)
            ok = (not have) if want in ('NONE', 'CLOSE') else (want in have)
            if want == 'CLOSE' and 'CLOSE' in have:
                ok = True
            if ok:
                t = time.time()
                self.log('%s   state %s%s' % (self.ts(t), want,
                                              ' (after %.3fs)' % (t - self.mark) if wait else ''))
                self.mark = t
                return
            if time.time() >= deadline:
                self.fail('state is %s, expected %s' % ('/'.join(have) or 'NONE', want))
            time.sleep(0.01)

    def do_ackstate(self, toks):
        """ackstate [@CONN] [pingpong=0|1] [quick=N|A..B|*]: the dut socket's
        delayed-ACK engine, from /proc/net/atcp (tcp), now."""
        cname, kv = None, {}
        for t in toks:
            if t.startswith('@'):
                cname = t[1:]
            elif '=' in t:
                k, v = t.split('=', 1)
                if k not in ('pingpong', 'quick'):
                    raise ScriptError('ackstate: unknown field %r' % k)
                kv[k] = v
            else:
                raise ScriptError('ackstate: bad argument %r' % t)
        c = self.get_conn(cname)
        if c.dport is None:
            self.fail('dut port of @%s not known yet' % c.name)
        mine = [r for r in read_ack_state(self.proto)
                if r[0] == (c.dst, c.dport) and r[1] == (c.src, c.sport)]
        if not mine:
            self.fail('ackstate: no socket %s' % c.tuple_str())
        _l, _r, st, rto, ato, quick, pp = mine[0]
        hz = os.sysconf('SC_CLK_TCK')
        self.log('%s   ackstate %s: rto %d ms, ato %d ms, quick %d, pingpong %d' % (
            self.ts(time.time()), st, rto * 1000 // hz, ato * 1000 // hz, quick, pp))
        for k, val in (('pingpong', pp), ('quick', quick)):
            if k in kv and not _wild_int(kv[k], val):
                self.fail('ackstate: %s=%d, expected %s' % (k, val, kv[k]))
        self.mark = time.time()

    def do_cpu(self, toks):
        """cpu N: run the peer, and the dut applications, on CPU N (modulo
        the CPUs there are) until the script ends.  What the dut sends from
        its receive path (in the softirq of the CPU the peer sent from) and
        what its applications send then all enter the veth on one CPU, in
        one backlog queue: in the order they were sent.  From different CPUs
        a segment can overtake an earlier one."""
        if len(toks) != 1 or not toks[0].isdigit():
            raise ScriptError('cpu N')
        cpus = sorted(os.sched_getaffinity(0))
        n = cpus[int(toks[0]) % len(cpus)]
        if self.saved_affinity is None:
            self.saved_affinity = cpus
        os.sched_setaffinity(0, {n})
        for a in self.apps.values():
            try:
                os.sched_setaffinity(a.p.pid, {n})
            except OSError:
                pass
        self.log('%s   cpu %d' % (self.ts(time.time()), n))
        self.mark = time.time()

    def mib_snapshot(self):
        if self.mib0 is None:
            self.mib0 = read_mibs(self.proto)

    def do_mib(self, toks):
        """mib NAME=N|A..B|* ...: a protocol counter of the dut namespace has
        grown by that much since the script started (e.g. DelayedACKs=0)."""
        self.mib_snapshot()
        now = read_mibs(self.proto)
        for t in toks:
            if '=' not in t:
                raise ScriptError('mib NAME=VALUE')
            k, pat = t.split('=', 1)
            if k not in now:
                self.fail('mib: no counter %s for protocol %d' % (k, self.proto))
            d = now[k] - self.mib0.get(k, 0)
            self.log('%s   mib %s +%d' % (self.ts(time.time()), k, d))
            if not _wild_int(pat, d):
                self.fail('mib: %s grew by %d, expected %s' % (k, d, pat))
        self.mark = time.time()

    # -- dut commands
    def do_sh(self, where, cmd, background):
        argv, env = ['sh', '-c', cmd], self.sess.env()
        pre = self.sess.in_peer if where == 'peer' else None
        if background:
            p = subprocess.Popen(argv, env=env, stdin=subprocess.DEVNULL,
                                 start_new_session=True, preexec_fn=pre)
            self.bg.append((p, cmd))
            self.log('%s   run %s: %s' % (self.ts(time.time()), where, cmd))
        else:
            r = subprocess.run(argv, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                               text=True, timeout=120, preexec_fn=pre)
            for ln in (r.stdout + r.stderr).splitlines():
                self.log('  | ' + ln)
            self.log('%s   sh %s: %s (exit %d)' % (self.ts(time.time()), where, cmd,
                                                   r.returncode))
            if r.returncode != 0:
                self.fail('command failed with status %d: %s' % (r.returncode, cmd))
        self.mark = time.time()

    def do_sysctl(self, arg, quiet=False):
        if '=' not in arg:
            raise ScriptError('sysctl NAME=VALUE')
        k, v = arg.split('=', 1)
        path = '/proc/sys/' + k.strip().replace('.', '/')
        if quiet and not os.path.exists(path):
            self.log('%s   sysctl %s: not on this kernel, ignored' % (self.ts(time.time()), k))
            return
        try:
            self.sess.sysctl(k, v)
        except OSError as e:
            self.fail('sysctl %s: %s' % (arg, e))
        self.log('%s   sysctl %s' % (self.ts(time.time()), arg))
        self.mark = time.time()

    def app(self, name):
        if name not in self.apps:
            self.apps[name] = App(name, self.sess, self)
        return self.apps[name]

    def do_app(self, name, actions, nowait):
        a = self.app(name)
        self.log('%s   app %s%s: %s' % (self.ts(time.time()), name, '&' if nowait else '',
                                        actions))
        i = a.send(actions)
        if not nowait:
            a.wait([i], self.app_timeout)
            self.log('%s   app %s: done %s' % (self.ts(time.time()), name, actions))
        self.mark = time.time()

    def do_app_wait(self, name, timeout):
        names = [name] if name else list(self.apps)
        for n in names:
            a = self.app(n)
            a.wait(sorted(a.pending) + sorted(a.failed), timeout)
        self.mark = time.time()

    # -- driver
    def run_lines(self, lines):
        if self.mib0 is None:
            try:
                self.mib_snapshot()
            except OSError:
                pass  # no such file: `mib` will say so
        for ln_no, raw in enumerate(lines, 1):
            self.lineno = ln_no
            line = raw.strip()
            if not line or line.startswith('#'):
                continue
            m = re.match(r'^\[(tcp|atcp)\]\s*(.*)$', line)
            if m:
                if (m.group(1) == 'tcp') != (self.proto == 6):
                    continue
                line = m.group(2)
            try:
                self.run_line(line)
            except ScriptError as e:
                raise ScriptError('line %d: %s: %s' % (ln_no, e, line))
            if self.skip_reason is not None:
                return

    def run_line(self, line):
        # commands that take the rest of the line verbatim
        m = re.match(r'^(?:(\S+)\s+)?(run|sh)\s+(dut|peer)\s*:\s*(.*)$', line)
        if m and (m.group(1) is None or m.group(1).startswith('+') or m.group(1)[0].isdigit()):
            if m.group(1):
                self.wait_until(self.parse_time(m.group(1))[0])
            self.do_sh(m.group(3), m.group(4), m.group(2) == 'run')
            return
        m = re.match(r'^(?:(\S+)\s+)?app(&?)(?:\s+([A-Za-z0-9_]+))?\s*:\s*(.*)$', line)
        if m and (m.group(1) is None or m.group(1).startswith('+') or m.group(1)[0].isdigit()):
            if m.group(1):
                self.wait_until(self.parse_time(m.group(1))[0])
            self.do_app(m.group(3) or 'a', m.group(4), m.group(2) == '&')
            return
        try:
            lex = shlex.shlex(line, posix=True)
            lex.whitespace_split = True
            lex.commenters = '#'
            toks = list(lex)
        except ValueError as e:
            raise ScriptError(str(e))
        if not toks:
            return
        tspec = None
        if TIME_RE.match(toks[0]) or toks[0] == '*':
            tok = toks.pop(0)
            tspec = self.parse_time(tok, self.pmark if toks[:1] == ['<'] else self.mark)
        if not toks:
            raise ScriptError('time without command')
        cmd = toks.pop(0)
        if cmd == '<':
            self.do_expect(toks, tspec)
            return
        if tspec is not None:
            self.wait_until(tspec[0])
        if cmd == '>':
            self.check_unexpected('before this send')
            self.do_send(toks)
        elif cmd == 'conn':
            name = 'c'
            if toks and '=' not in toks[0]:
                name = toks.pop(0)
            self.new_conn(name, dict(t.split('=', 1) for t in toks))
        elif cmd == 'renew':
            c = self.get_conn(toks[0][1:] if toks and toks[0].startswith('@') else None)
            c.dut_isn = None
            c.rcv_nxt = None
            c.last_tsval = None
        elif cmd in ('expect-none', 'none'):
            self.check_unexpected('before expect-none')
            self.do_expect_none(float(toks[0]) if toks else 0.5)
        elif cmd == 'sleep':
            time.sleep(float(toks[0]))
            self.mark = time.time()
        elif cmd in ('state', 'wait-state'):
            self.do_state(toks, cmd == 'wait-state')
        elif cmd == 'cpu':
            self.do_cpu(toks)
        elif cmd == 'ackstate':
            self.do_ackstate(toks)
        elif cmd == 'mib':
            self.do_mib(toks)
        elif cmd == 'sysctl':
            if toks and toks[0] == 'dut':
                toks.pop(0)
            quiet = bool(toks) and toks[0] == '-q'
            if quiet:
                toks.pop(0)
            self.do_sysctl(' '.join(toks), quiet)
        elif cmd == 'dut-gso':
            # Generic segmentation on the dut's veth, TSO and checksum
            # offload still off: GSO packets (TCP's, atcp's super-segments)
            # are cut in software before the veth; the peer sees segments.
            ethtool_set(DUT_IF, ETHTOOL_SGSO, int(toks[0] == 'on'))
            self.log('%s   dut-gso %s' % (self.ts(time.time()), toks[0]))
        elif cmd == 'tolerance':
            self.tolerance = float(toks[0])
        elif cmd == 'timeout':
            self.timeout = float(toks[0])
        elif cmd == 'strict':
            self.strict = toks[0] in ('on', '1', 'yes', 'conns')
            self.ignore_others = toks[0] == 'conns'
        elif cmd == 'drain':
            self.do_drain(float(toks[0]) if toks else 0.0)
        elif cmd == 'flood':
            kv = {}
            for t in toks:
                if '=' in t:
                    k, v = t.split('=', 1)
                    kv[k] = v
                else:
                    kv['n'] = t
            self.do_flood(kv)
        elif cmd == 'app-wait':
            name = toks[0] if toks and not TIME_RE.match(toks[0]) else None
            tmo = float(toks[-1]) if toks and TIME_RE.match(toks[-1]) else self.app_timeout
            self.do_app_wait(name, tmo)
        elif cmd == 'require':
            want = toks[0]
            if (want == 'tcp') != (self.proto == 6):
                self.skip_reason = ' '.join(toks[1:]) or 'needs %s' % want
        elif cmd == 'skip':
            self.skip_reason = ' '.join(toks) or 'skipped'
        elif cmd == 'todo':
            pass  # read by run_script
        elif cmd in ('print', 'log'):
            self.log(' '.join(toks))
        elif cmd == 'mark':
            self.mark = self.pmark = time.time()
        else:
            raise ScriptError('unknown command %r' % cmd)

    def finish(self):
        """End of script: unexpected leftovers, apps' failures."""
        self.check_unexpected('at the end of the script')
        for a in self.apps.values():
            a.poll()
            if a.failed:
                i = sorted(a.failed)[0]
                raise TestFailure('app %s: command %d failed: %s' % (a.name, i, a.failed[i]))

    def cleanup(self):
        for a in self.apps.values():
            a.stop()
        if self.saved_affinity is not None:
            os.sched_setaffinity(0, self.saved_affinity)
            self.saved_affinity = None
        # Scripts that share the dut namespace (--dut-netns) must not see
        # each other's leftovers: reset what this one left open, and ignore
        # whatever still comes from its tuples and flood sources.
        shared = self.sess.dut_netns is not None
        for c in self.conns.values():
            if c.dport is None:
                continue
            STALE_TUPLES.add((c.dst, c.dport, c.src, c.sport))
            if shared and self.peer.sock:
                try:
                    l4 = build_l4(c.sport, c.dport, c.peer_isn + c.snd_nxt, 0, F_RST, 0, b'',
                                  b'', src=c.src, dst=c.dst, proto=self.proto)
                    self.peer.send_l4(c.src, c.dst, l4)
                except OSError:
                    pass
        STALE_NETS.extend(self.flood_nets)
        for p, cmd in self.bg:
            if p.poll() is None:
                try:
                    os.killpg(p.pid, signal.SIGTERM)
                except OSError:
                    pass
                try:
                    p.wait(1)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
            elif p.returncode != 0:
                self.log('background command exited %d: %s' % (p.returncode, cmd))


def run_script(path, proto, out=sys.stdout, dut_netns=None, tolerance=0.1, timeout=3.0,
               seed=None, verbose=True, keep=False, pcap=None):
    """Run one script in fresh namespaces.  Returns (status, message):
    status 'ok', 'fail', 'skip', or 'todo-ok'/'todo-fail' (message: the TODO
    reason, then the failure)."""
    with open(path) as f:
        lines = f.read().splitlines()
    # whole-script `require` first, so that skipped scripts cost nothing
    todo = None
    for ln in lines:
        m = re.match(r'^\s*require\s+(tcp|atcp)\b\s*(.*)$', ln)
        if m and (m.group(1) == 'tcp') != (proto == 6):
            return 'skip', m.group(2) or 'needs %s' % m.group(1)
        m = re.match(r'^\s*todo\s+(tcp|atcp|all)\b\s*(.*)$', ln)
        if m and (m.group(1) == 'all' or (m.group(1) == 'tcp') == (proto == 6)):
            todo = m.group(2) or 'not done yet'
    st, msg = _run_script(path, lines, proto, out, dut_netns, tolerance, timeout, seed,
                          verbose, keep, pcap)
    if todo is not None and st in ('ok', 'fail'):
        return 'todo-' + st, '%s\n%s' % (todo, msg)
    return st, msg


def _run_script(path, lines, proto, out, dut_netns, tolerance, timeout, seed, verbose, keep,
                pcap):
    sess = None
    it = None
    try:
        t0 = time.time()
        sess = Session(proto, dut_netns, keep=keep)
        if pcap:
            sess.peer.open_pcap(pcap)
        t1 = time.time()
        it = Interp(sess, os.path.basename(path), out, tolerance, timeout, seed, verbose)
        try:
            it.run_lines(lines)
            if it.skip_reason is not None:
                return 'skip', it.skip_reason
            it.finish()
        finally:
            t2 = time.time()
            it.cleanup()
            if os.environ.get('PEER_DEBUG'):
                it.log('setup %.3fs, script %.3fs, cleanup %.3fs' % (t1 - t0, t2 - t1,
                                                                      time.time() - t2))
        return 'ok', ''
    except TestFailure as e:
        if it is not None and not verbose:
            for ln in it.logbuf:
                out.write('# %s\n' % ln)
        return 'fail', str(e)
    except ScriptError as e:
        return 'fail', 'script error: %s' % e
    except Exception:
        import traceback
        return 'fail', 'internal error:\n' + traceback.format_exc()
    finally:
        if sess is not None:
            sess.close()


def main(argv=None):
    import argparse
    ap = argparse.ArgumentParser(description='atcp packet-level test peer')
    ap.add_argument('--proto', type=int, default=int(os.environ.get('ATCP_PROTO', 253)))
    ap.add_argument('--dut-netns', default=None,
                    help="existing netns for the dut ('-' = the current one); "
                         'default: a fresh one per script')
    ap.add_argument('--tolerance', type=float, default=float(os.environ.get('PEER_TOLERANCE', 0.1)))
    ap.add_argument('--timeout', type=float, default=3.0)
    ap.add_argument('--seed', type=int, default=None)
    ap.add_argument('-q', '--quiet', action='store_true', help='print traces only on failure')
    ap.add_argument('--keep', action='store_true', help='keep the namespaces (debugging)')
    ap.add_argument('--pcap', metavar='DIR',
                    help='write DIR/SCRIPT.pcap: every frame the peer sent and received')
    ap.add_argument('scripts', nargs='*')
    a = ap.parse_args(argv)
    if not a.scripts:
        a.scripts = sorted(
            os.path.join(HERE, 'scripts', f) for f in os.listdir(os.path.join(HERE, 'scripts'))
            if f.endswith('.pkt'))
    paths = []
    for s in a.scripts:
        if not os.path.exists(s):
            alt = os.path.join(HERE, 'scripts', s if s.endswith('.pkt') else s + '.pkt')
            if os.path.exists(alt):
                s = alt
        paths.append(s)
    seed = a.seed if a.seed is not None else random.randrange(1 << 30)
    if os.geteuid() != 0:
        print('TAP version 13')
        print('1..0 # SKIP the packet peer needs root (namespaces, AF_PACKET)')
        return 4
    print('TAP version 13')
    print('1..%d' % len(paths))
    print('# peer: proto %d, seed %d' % (a.proto, seed))
    sys.stdout.flush()
    failed = 0
    for n, p in enumerate(paths, 1):
        name = os.path.basename(p)
        if name.endswith('.pkt'):
            name = name[:-4]
        t = time.time()
        pcap = None
        if a.pcap:
            os.makedirs(a.pcap, exist_ok=True)
            pcap = os.path.join(a.pcap, name + '.pcap')
        status, msg = run_script(p, a.proto, sys.stdout, a.dut_netns, a.tolerance, a.timeout,
                                 seed + n, not a.quiet, a.keep, pcap)
        dt = time.time() - t
        if status == 'ok':
            print('ok %d - %s (%.2fs)' % (n, name, dt))
        elif status == 'todo-ok':
            print('ok %d - %s (%.2fs) # TODO %s' % (n, name, dt, msg.splitlines()[0]))
        elif status == 'todo-fail':
            for ln in msg.splitlines()[1:]:
                print('# FAIL: ' + ln)
            print('not ok %d - %s # TODO %s' % (n, name, msg.splitlines()[0]))
        elif status == 'skip':
            print('ok %d - %s # SKIP %s' % (n, name, msg))
        else:
            failed += 1
            for ln in msg.splitlines():
                print('# FAIL: ' + ln)
            print('not ok %d - %s' % (n, name))
        sys.stdout.flush()
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
