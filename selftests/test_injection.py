#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0
"""test_injection.py - blind injection (RFC 5961) does not break a live
transfer.

A client in namespace a sends 2 MiB to a server in namespace b over a veth.
Halfway, an attacker on the client's side of the link, who sees the
client's segments (AF_PACKET) but not the server's state, sends the server
segments from the client's address and port with sequence numbers inside
the window but not the exact next one:
  - a RST (RFC 5961 3: challenge ACK, no reset),
  - a SYN (RFC 5961 4: challenge ACK),
  - data whose ACK field acknowledges what the server never sent
    (RFC 5961 5: dropped; if it were queued, its bytes would replace the
    client's when the stream reaches them).
The transfer must go on: the server receives the 2 MiB whole (sha256), the
connection is not reset and still carries a reply, and the server's
namespace counts a challenge ACK.  Linux TCP runs the same in the same VM.
"""

import hashlib
import os
import select
import socket
import struct
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), 'lib'))
from nstest import (ADDR_A, ADDR_B, NetnsPair, Tap, counters,  # noqa: E402
                    proto_under_test, recv_hashed)

SIZE = 2 << 20
CHALLENGE = {6: 'TCPChallengeACK'}
ETH_P_IP = 0x0800
ETH_P_ALL = 0x0003      # outgoing frames reach only ETH_P_ALL taps


def csum(data):
    if len(data) % 2:
        data += b'\0'
    s = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff


def segment(proto, sport, dport, seq, ack, flags, payload=b''):
    """An IPv4 packet from ADDR_A to ADDR_B carrying a TCP-format segment."""
    src, dst = socket.inet_aton(ADDR_A), socket.inet_aton(ADDR_B)
    th = struct.pack('!HHIIBBHHH', sport, dport, seq & 0xffffffff, ack & 0xffffffff,
                     5 << 4, flags, 65535, 0, 0)
    pseudo = src + dst + struct.pack('!BBH', 0, proto, len(th) + len(payload))
    th = th[:16] + struct.pack('!H', csum(pseudo + th + payload)) + th[18:]
    total = 20 + len(th) + len(payload)
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, total, 0, 0x4000, 64, proto, 0, src, dst)
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    return ip + th + payload


def mac(pair, side, dev):
    out = subprocess.run(['ip', '-n', pair.ns[side], '-o', 'link', 'show', dev],
                         capture_output=True, text=True, check=True).stdout
    return bytes.fromhex(out.split('link/ether ')[1].split()[0].replace(':', ''))


def run(pair, proto):
    data = os.urandom(SIZE)
    ckey = CHALLENGE.get(proto, 'ChallengeACKs')
    pair.enter('b')
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    srv.bind((ADDR_B, 0))
    srv.listen(1)
    before = counters(proto).get(ckey, 0)
    pair.enter('a')
    cli = socket.socket(socket.AF_INET, socket.SOCK_STREAM, proto)
    cli.connect(srv.getsockname())
    conn, _ = srv.accept()
    srv.close()
    sport, dport = cli.getsockname()[1], conn.getsockname()[1]
    sniff = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    sniff.bind((pair.va, ETH_P_ALL))
    eth = mac(pair, 'b', pair.vb) + mac(pair, 'a', pair.va) + struct.pack('!H', ETH_P_IP)
    pair.leave()

    cli.setblocking(False)
    conn.setblocking(False)
    sent = nread = 0
    got = hashlib.sha256()
    last = None             # (next seq, ack) of the client's latest segment
    injected = 0
    error = None
    while nread < SIZE and error is None:
        rl = [conn, sniff]
        wl = [cli] if sent < SIZE else []
        r, w, _ = select.select(rl, wl, [], 10)
        if not r and not w:
            error = 'stalled for 10 s'
            break
        try:
            if cli in w:
                sent += cli.send(data[sent:sent + 65536])
                if sent == SIZE:
                    cli.shutdown(socket.SHUT_WR)
            if conn in r:
                n = recv_hashed(conn, got)
                if not n:
                    break
                nread += n
        except OSError as e:
            error = '%s' % e
            break
        if sniff in r:
            frame = sniff.recv(2048)
            ip = frame[14:]
            ihl = (ip[0] & 15) * 4
            if (frame[12:14] == struct.pack('!H', ETH_P_IP) and ip[9] == proto and
                    ip[12:16] == socket.inet_aton(ADDR_A)):
                th = ip[ihl:]
                sp, dp, seq, ack, off = struct.unpack('!HHIIB', th[:13])
                plen = struct.unpack('!H', ip[2:4])[0] - ihl - (off >> 4) * 4
                if (sp, dp) == (sport, dport) and plen > 0:
                    last = (seq + plen, ack)
        if not injected and last and nread >= SIZE // 2:
            nxt, ack = last
            for pkt in (segment(proto, sport, dport, nxt + 5000, 0, 0x04),
                        segment(proto, sport, dport, nxt + 7000, 0, 0x02),
                        segment(proto, sport, dport, nxt + 9000, ack + 100000, 0x18,
                                b'INJECTED' * 128)):
                sniff.send(eth + pkt)
            injected = 1
    whole = nread == SIZE and got.digest() == hashlib.sha256(data).digest()
    reply = False
    if whole:
        conn.setblocking(True)
        cli.setblocking(True)
        cli.settimeout(10)
        try:
            conn.sendall(b'ok')
            reply = cli.recv(2) == b'ok'
        except OSError as e:
            error = '%s' % e
    pair.enter('b')
    challenges = counters(proto).get(ckey, 0) - before
    pair.leave()
    for s in (cli, conn, sniff):
        s.close()
    return {'injected': injected, 'whole': whole, 'reply': reply, 'error': error,
            'challenges': challenges, 'nread': nread}


def main():
    proto = proto_under_test()
    tap = Tap(5)
    pair = NetnsPair()
    res = run(pair, proto)
    linux = run(pair, 6)
    for name, r in (('atcp' if proto != 6 else 'tcp', res), ('Linux TCP, same VM', linux)):
        tap.diag('%s: %d bytes read, error %s, %d challenge ACKs' %
                 (name, r['nread'], r['error'], r['challenges']))
    tap.ok(res['injected'], 'RST, SYN and bad-ACK data injected halfway through the transfer')
    tap.ok(res['whole'] and res['error'] is None,
           'the server receives the 2 MiB whole (sha256), no reset')
    tap.ok(res['reply'], 'the connection still carries a reply afterwards')
    tap.ok(res['challenges'] >= 1, 'a challenge ACK was sent (%d)' % res['challenges'])
    tap.ok(linux['whole'] and linux['reply'] and linux['challenges'] >= 1,
           'Linux TCP, same run: survives and challenges too')
    tap.done()


if __name__ == '__main__':
    main()
