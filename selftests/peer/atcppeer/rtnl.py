# SPDX-License-Identifier: GPL-2.0
"""The few rtnetlink requests the testbed needs."""

import errno
import os
import select
import socket
import struct

from .wire import mac_bytes

# A few rtnetlink requests, so that setting up costs no `ip` process (each one
# is ~0.1-0.2 s under QEMU TCG).
RTM_NEWLINK, RTM_DELLINK, RTM_NEWADDR, RTM_NEWROUTE, RTM_NEWNEIGH = 16, 17, 20, 24, 28
NLM_F_REQUEST, NLM_F_ACK, NLM_F_EXCL, NLM_F_CREATE, NLM_F_REPLACE = 1, 4, 0x200, 0x400, 0x100
IFF_UP = 1
RTMGRP_LINK = 1


def nla(typ, data):
    ln = 4 + len(data)
    return struct.pack('HH', ln, typ) + data + b'\0' * ((-ln) % 4)


class Rtnl:
    def __init__(self, groups=0):
        """groups: multicast groups to hear (RTMGRP_LINK: links' changes),
        for wait_event(); the replies to requests skip them."""
        self.s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)  # NETLINK_ROUTE
        self.s.bind((0, groups))
        self.seq = 0

    def wait_event(self, timeout):
        """Wait up to timeout for a notification; read and drop those there."""
        if not select.select([self.s], [], [], timeout)[0]:
            return
        while True:
            try:
                self.s.recv(65536, socket.MSG_DONTWAIT)
            except BlockingIOError:
                return

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
