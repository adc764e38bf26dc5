#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""ACK statistics of a one-way bulk transfer, from a capture on the receiver.

    ackstats.py PCAP SENDER_IP RECEIVER_IP [--proto N] [--mss N]

Reads a pcap (Ethernet, or Linux cooked; tcpdump -w) and looks at the
segments of protocol N (default 253; TCP-format headers) between the two
addresses.  Prints "key value" lines:

    data N          data segments from the sender (retransmissions included)
    retrans N       of those, ones that repeat sequence space already seen
    bytes N         distinct payload bytes (highest end - first seq)
    mss_units N     data in units of MSS (sum of ceil(len / MSS)): what the
                    data segments would be without TSO/GRO
    acks N          pure ACKs from the receiver (no payload, no SYN/FIN/RST)
                    from the first data segment on (a FIN of the receiver
                    that acks data counts for the latency, not here)
    acks_new N      of those, ones that acknowledge new data
    unacked N       data segments no ACK (or FIN) of the receiver covers
    ratio R         acks / data
    ratio_mss R     acks / mss_units
    lat_max MS      the longest time from a data segment (first copy) to the
                    first ACK that covers it
    lat_p99 MS      the 99th percentile of that, lat_med MS the median
    lat_worst T     capture time of the segment with lat_max (relative)
    gap_max MS      the longest time without any segment between the first
                    data segment and the last ACK
    duration S      first data segment to last ACK
"""

import argparse
import math
import socket
import struct
import sys


def packets(path, whole=False):
    """Yield (time, ip_packet_bytes) from a pcap file; with whole, only of
    the frames captured whole (not cut at the snapshot length)."""
    with open(path, 'rb') as f:
        hdr = f.read(24)
        if len(hdr) < 24:
            return
        magic = struct.unpack('<I', hdr[:4])[0]
        if magic in (0xa1b2c3d4, 0xa1b23c4d):
            endian = '<'
        else:
            endian = '>'
            magic = struct.unpack('>I', hdr[:4])[0]
        nano = magic == 0xa1b23c4d
        linktype = struct.unpack(endian + 'I', hdr[20:24])[0]
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            sec, frac, incl, orig = struct.unpack(endian + 'IIII', rec)
            data = f.read(incl)
            if whole and incl != orig:
                continue
            t = sec + frac / (1e9 if nano else 1e6)
            if linktype == 1:           # Ethernet
                if len(data) < 14 or struct.unpack('!H', data[12:14])[0] != 0x0800:
                    continue
                yield t, data[14:]
            elif linktype == 113:       # Linux cooked (SLL)
                if len(data) < 16 or struct.unpack('!H', data[14:16])[0] != 0x0800:
                    continue
                yield t, data[16:]
            elif linktype in (101, 228):  # raw IPv4
                yield t, data


def segments(path, proto, sender, receiver):
    """Yield (t, from_sender, seq, ack, flags, payload_len) for the segments
    between the two addresses (packed, 4 bytes each)."""
    unpack = struct.unpack_from
    pair = (sender + receiver, receiver + sender)
    for t, ip in packets(path):
        if len(ip) < 40 or ip[9] != proto or ip[0] >> 4 != 4:
            continue
        addrs = ip[12:20]
        if addrs not in pair:
            continue
        ihl = (ip[0] & 15) * 4
        tot = unpack('!H', ip, 2)[0]
        seq, ack, off, flags = unpack('!IIBB', ip, ihl + 4)
        yield t, addrs == pair[0], seq, ack, flags, tot - ihl - (off >> 4) * 4


def after(a, b):
    return ((a - b) & 0xffffffff) - (1 << 31) < 0 and a != b


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('pcap')
    ap.add_argument('sender')
    ap.add_argument('receiver')
    ap.add_argument('--proto', type=int, default=253)
    ap.add_argument('--mss', type=int, default=1460)
    a = ap.parse_args()

    data = retrans = mss_units = acks = acks_new = 0
    first_seq = high = None
    pending = []            # (end seq, time) of data not yet acked, in order
    lat = []
    worst = (0.0, 0.0)
    t_first = t_last_ack = t_prev = None
    gap_max = 0.0
    ack_high = None
    t0 = None
    for t, fwd, seq, ack, flags, plen in segments(a.pcap, a.proto, socket.inet_aton(a.sender),
                                                   socket.inet_aton(a.receiver)):
        t0 = t if t0 is None else t0
        if fwd and plen > 0:
            if t_first is None:
                t_first = t
                first_seq = seq
                high = seq
            data += 1
            mss_units += math.ceil(plen / a.mss)
            end = (seq + plen) & 0xffffffff
            if after(end, high):
                if after(high, seq):
                    retrans += 1    # partly old
                pending.append((end, t))
                high = end
            else:
                retrans += 1
        elif (not fwd and plen == 0 and flags & 0x10 and not flags & 0x06 and
              t_first is not None):
            # A FIN may carry the last ACK (the receiver closes): it covers
            # data, but is not counted as an ACK.
            if not flags & 0x01:
                acks += 1
                if ack_high is None or after(ack, ack_high):
                    acks_new += 1
            if ack_high is None or after(ack, ack_high):
                ack_high = ack
            while pending and not after(pending[0][0], ack):
                end, td = pending.pop(0)
                lat.append(t - td)
                if t - td > worst[0]:
                    worst = (t - td, td - t0)
            t_last_ack = t
        else:
            continue
        if t_prev is not None and t_first is not None and t_prev >= t_first:
            gap_max = max(gap_max, t - t_prev)
        t_prev = t

    if not data:
        print('data 0')
        return 1
    lat.sort()

    def pct(p):
        return lat[min(len(lat) - 1, int(p * len(lat)))] * 1000 if lat else -1

    print('data %d' % data)
    print('retrans %d' % retrans)
    print('bytes %d' % ((high - first_seq) & 0xffffffff))
    print('mss_units %d' % mss_units)
    print('acks %d' % acks)
    print('acks_new %d' % acks_new)
    print('unacked %d' % len(pending))
    print('ratio %.3f' % (acks / data))
    print('ratio_mss %.3f' % (acks / mss_units))
    print('lat_max %.3f' % (worst[0] * 1000))
    print('lat_p99 %.3f' % pct(0.99))
    print('lat_med %.3f' % pct(0.5))
    print('lat_worst %.6f' % worst[1])
    print('gap_max %.3f' % (gap_max * 1000))
    print('duration %.3f' % ((t_last_ack or t_first) - t_first))
    return 0


if __name__ == '__main__':
    sys.exit(main())
