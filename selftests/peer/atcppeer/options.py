# SPDX-License-Identifier: GPL-2.0
"""TCP options: bytes to and from the text scripts use, and matching them
against an expectation."""

import struct

from .errors import ScriptError
from .text import wild_int
from .wire import M32, signed32


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
        return wild_int(p[1], o[1])
    if k == 'ts':
        return wild_int(p[1], o[1]) and (len(p) < 3 or wild_int(p[2], o[2]))
    if k == 'sack':
        blocks = [(signed32(l - sack_base), signed32(r - sack_base)) for l, r in o[1]]
        want = []
        for blk in p[1:]:
            l, r = blk.split('-')
            want.append((int(l, 0), int(r, 0)))
        return want == blocks
    return opt_text(o, sack_base) == pat
