# SPDX-License-Identifier: GPL-2.0
"""Frames on the veth: Ethernet, IPv4, TCP-format segments and ICMP errors,
built and parsed, with their checksums."""

import socket
import struct

from .errors import ScriptError

ETH_P_ALL = 0x0003
ETH_P_IP = 0x0800
ETH_P_ARP = 0x0806

M32 = 0xffffffff

# TCP flag letters as tcpdump prints them, in tcpdump's order.
FLAGS = [('F', 0x01), ('S', 0x02), ('R', 0x04), ('P', 0x08), ('.', 0x10),
         ('U', 0x20), ('E', 0x40), ('W', 0x80), ('N', 0x100)]
FLAG_BIT = dict(FLAGS)
F_FIN, F_SYN, F_RST, F_PSH, F_ACK = 0x01, 0x02, 0x04, 0x08, 0x10


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


def signed32(x):
    x &= M32
    return x - (1 << 32) if x >= (1 << 31) else x



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
