# SPDX-License-Identifier: GPL-2.0
"""Values as scripts write them: C-escaped payloads, the len=N pattern,
numbers with wildcards and ranges."""

import codecs


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


def wild_int(pat, val):
    """pat: a number, `*`, or a range A..B."""
    if pat == '*':
        return True
    if '..' in pat:
        lo, hi = pat.split('..')
        return int(lo, 0) <= val <= int(hi, 0)
    return int(pat, 0) == val
