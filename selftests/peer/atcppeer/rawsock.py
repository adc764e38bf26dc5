# SPDX-License-Identifier: GPL-2.0
"""The peer's end of the veth: an AF_PACKET socket that sends and receives
whole frames, answers ARP, and records a pcap."""

import errno
import select
import socket
import struct
import time

from .wire import ETH_P_ALL, ETH_P_ARP, ETH_P_IP, build_ipv4, mac_bytes, parse_ip_frame

SOL_PACKET = 263
PACKET_AUXDATA = 8
PACKET_IGNORE_OUTGOING = 23
SO_TIMESTAMPNS = 35
SO_TIMESTAMPING = 37
SOF_TIMESTAMPING_TX_SCHED = 1 << 8
SOF_TIMESTAMPING_SOFTWARE = 1 << 4
SOF_TIMESTAMPING_OPT_TSONLY = 1 << 11
TP_STATUS_CSUMNOTREADY = 0x8


class Peer:
    """A raw packet endpoint on the peer veth.  Library API for fuzzers:

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
        packet; returns the send time: when the frame went to the veth."""
        fr = self.frame(src, dst, l4, proto, **ipkw)
        before = time.time()
        # A scripted time counts from the kernel's stamp, not from before
        # the call: a peer preempted between the two would otherwise charge
        # the dut with the delay.
        self.sock.sendmsg([fr], [(socket.SOL_SOCKET, SO_TIMESTAMPING,
                                  struct.pack('I', SOF_TIMESTAMPING_TX_SCHED))])
        t = self._tx_stamp() or before
        self._rec(fr, t)
        return t

    def _tx_stamp(self):
        """The stamp of the frame just sent: the kernel queues it on the
        socket's error queue within the send (the veth transmits
        synchronously), so it is there by now unless the kernel made none."""
        t = None
        while True:
            try:
                _d, anc, _f, _a = self.sock.recvmsg(0, 512, socket.MSG_ERRQUEUE |
                                                    socket.MSG_DONTWAIT)
            except (BlockingIOError, InterruptedError):
                return t
            for lvl, typ, cd in anc:
                if lvl == socket.SOL_SOCKET and typ == SO_TIMESTAMPING and len(cd) >= 16:
                    sec, nsec = struct.unpack('qq', cd[:16])
                    if sec or nsec:
                        t = sec + nsec / 1e9

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
                # An error queue that is not empty makes the socket
                # readable: a late send stamp must not make this spin.
                self._tx_stamp()
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
    # What is stamped on sending is asked per frame (send_l4); this says
    # how a stamp is reported: the software clock, without the frame.
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPING,
                 SOF_TIMESTAMPING_SOFTWARE | SOF_TIMESTAMPING_OPT_TSONLY)
    s.bind((ifname, ETH_P_ALL))
    return s
