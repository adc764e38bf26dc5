# SPDX-License-Identifier: GPL-2.0
"""The frames of a `flood`: segments from random spoofed sources, built
before any is sent so that they go out as fast as the socket takes them."""

import socket
import struct

from .wire import F_ACK, csum_sum


def flood_frames(eth, proto, n, base, size, dst, dport, flags, win, optbytes, sport_spec, rng):
    """n Ethernet frames (header eth) of segments to dst:dport, each from an
    address of base..base+size (not .0 or .255 when there are more than
    two), from port sport_spec ('rand' or a number), with a random seq (and
    ack, when flags has ACK) drawn from rng."""
    frames = []
    dstb = socket.inet_aton(dst)
    hl = 20 + len(optbytes) + ((-len(optbytes)) % 4)
    optbytes = optbytes + b'\0' * ((-len(optbytes)) % 4)
    # Checksums are computed incrementally, the constant words summed once:
    # a flood of 100k segments is built in a second or two, even under TCG.
    dst_hi, dst_lo = struct.unpack('!HH', dstb)
    tcp_const = (csum_sum(optbytes) + dst_hi + dst_lo + proto + hl + dport +
                 (((hl // 4) << 12) | flags) + win)
    ip_const = 0x4500 + 20 + hl + 0x4000 + (64 << 8 | proto) + dst_hi + dst_lo
    pack_t = struct.Struct('!HHIIBBHHH').pack
    pack_i = struct.Struct('!BBHHHBBHI4s').pack
    off = (hl // 4) << 4
    randbits = rng.getrandbits
    for i in range(n):
        ipn = base + (rng.randrange(size) if size > 1 else 0)
        if size > 2 and (ipn & 0xff) in (0, 255):
            ipn ^= 1
        sport = randbits(16) | 1024 if sport_spec == 'rand' else int(sport_spec)
        seq = randbits(32)
        ack = randbits(32) if flags & F_ACK else 0
        ipsum = (ipn >> 16) + (ipn & 0xffff)
        k = (tcp_const + ipsum + sport + (seq >> 16) + (seq & 0xffff) +
             (ack >> 16) + (ack & 0xffff))
        k = (k & 0xffff) + (k >> 16)
        k = (k & 0xffff) + (k >> 16)
        ipid = i & 0xffff
        u = ip_const + ipsum + ipid
        u = (u & 0xffff) + (u >> 16)
        u = (u & 0xffff) + (u >> 16)
        frames.append(eth + pack_i(0x45, 0, 20 + hl, ipid, 0x4000, 64, proto,
                                   ~u & 0xffff, ipn, dstb) +
                      pack_t(sport, dport, seq, ack, off, flags, win, ~k & 0xffff, 0) + optbytes)
    return frames
